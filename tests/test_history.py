"""Change history: every change of a lead, deal, handoff and CS account is kept with who and old → new,
and replaying a record's history gives the row as it is."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from activities.services import activity_log
from handoffs.models import Handoff
from handoffs.services import handoff_accept, handoff_create_sql, handoff_feedback, opportunity_win
from leads.models import ImportJob, Lead, LeadSource, Origin, ScoringRule
from leads.services import (
    import_job_create,
    import_job_set_columns,
    import_job_start,
    lead_assign,
    lead_create,
    lead_update_bant,
)
from leads.touchpoints import touch_point_receive
from opportunities.models import CSAccount, Opportunity
from opportunities.services import cs_account_update, opportunity_move, opportunity_update
from org.history import record_history, record_replay, record_values, snapshot_existing_rows, tracked_fields
from tests.api.conftest import token_client
from tests.helpers import NOW
from tests.leads.factories import CompanyFactory, LeadFactory, lead_with_bant, source
from tests.opportunities.factories import OpportunityFactory, service
from tests.org.factories import UserFactory

pytestmark = [pytest.mark.django_db]


def snapshots(record):
    """(history type, user, {changed column: (old, new)}) per change, oldest first."""
    rows = list(type(record).history.filter(id=record.pk).order_by("history_date", "history_id"))
    names = [f.attname for f in tracked_fields(type(record)) if f.attname != "updated_at"]
    out = []
    for before, after in zip([None, *rows], rows, strict=False):
        changed = {
            name: (getattr(before, name) if before else None, getattr(after, name))
            for name in names
            if before is None or getattr(before, name) != getattr(after, name)
        }
        out.append((after.history_type, after.history_user, changed))
    return out


def assert_replays(record):
    record.refresh_from_db()
    assert record_replay(type(record), record.pk) == record_values(record)


def test_a_lead_a_deal_a_handoff_and_an_account_replay_to_their_rows(frozen, is_rep, fs_rep, cs_rep, manager, phase):
    other_rep = UserFactory(username="is_rep_2", team=is_rep.team)
    lead = lead_create(
        actor=is_rep, company=CompanyFactory(), last_name="山田", source=source(), origin=Origin.INBOUND, owner=is_rep
    )
    frozen.shift(timedelta(minutes=5))
    activity_log(actor=is_rep, kind="call", direction="outbound", lead=lead, connected=True)
    frozen.shift(timedelta(minutes=5))
    lead_update_bant(lead=lead, actor=is_rep, budget="300万円", authority="部長", needs="勤怠", timeframe="4月")
    frozen.shift(timedelta(minutes=5))
    lead_assign(lead=lead, owner=other_rep, actor=manager)
    frozen.shift(timedelta(minutes=5))
    sql = handoff_create_sql(
        lead=lead, actor=other_rep, to_user=fs_rep, heard="予算300万円", why_now="法改正", decision_process="部長",
        to_confirm="連携",
    )  # fmt: skip
    frozen.shift(timedelta(minutes=5))
    handoff_accept(handoff=sql, actor=fs_rep)
    deal = sql.opportunity
    frozen.shift(timedelta(minutes=5))
    opportunity_move(
        opportunity=deal,
        to_phase=phase("02"),
        actor=fs_rep,
        changes={"first_meeting_on": date(2026, 11, 20), "first_meeting_attendees": 2},
    )
    frozen.shift(timedelta(minutes=5))
    opportunity_update(opportunity=deal, actor=manager, data={"amount": 3_000_000, "service": service()})
    frozen.shift(timedelta(minutes=5))
    opportunity_move(opportunity=deal, to_phase=phase("03"), actor=fs_rep)
    frozen.shift(timedelta(minutes=5))
    activity_log(actor=fs_rep, kind="web_meeting", direction="outbound", opportunity=deal)
    frozen.shift(timedelta(minutes=5))
    opportunity_move(
        opportunity=deal,
        to_phase=phase("04"),
        actor=fs_rep,
        changes={"expected_close_on": date(2026, 12, 1), "decision_maker": "部長"},
    )
    frozen.shift(timedelta(minutes=5))
    handoff_feedback(handoff=sql, actor=fs_rep, feedback=Handoff.Feedback.YES)
    frozen.shift(timedelta(minutes=5))
    account = opportunity_win(
        opportunity=deal, actor=fs_rep, amount=3_200_000, contract_on=date(2026, 12, 1), cs_owner=cs_rep
    )
    frozen.shift(timedelta(minutes=5))
    cs_account_update(account=account, actor=cs_rep, data={"health": CSAccount.Health.YELLOW})
    frozen.shift(timedelta(minutes=5))
    cs_account_update(account=account, actor=manager, data={"success_definition": "残業時間を2割削減"})

    for record in (lead, deal, sql, account, Handoff.objects.get(kind=Handoff.Kind.FS_TO_CS)):
        assert_replays(record)

    lead_changes = snapshots(lead)
    assert [(kind, user) for kind, user, _ in lead_changes] == [
        ("+", is_rep),
        ("~", is_rep),  # the call: last activity
        ("~", is_rep),  # started working
        ("~", is_rep),  # BANT
        ("~", manager),  # reassigned
        ("~", other_rep),  # qualified by the SQL handoff
    ]
    assert lead_changes[4][2] == {"owner_id": (is_rep.pk, other_rep.pk)}
    assert lead_changes[3][2]["temperature"] == ("", "A")
    assert lead_changes[5][2]["status"] == ("working", "qualified")

    deal_changes = snapshots(deal)
    assert [(kind, user) for kind, user, _ in deal_changes] == [
        ("+", other_rep),
        ("~", fs_rep),  # phase 02
        ("~", manager),  # amount and service
        ("~", fs_rep),  # phase 03
        ("~", fs_rep),  # the web meeting: last activity
        ("~", fs_rep),  # phase 04
        ("~", fs_rep),  # won
    ]
    assert deal_changes[2][2] == {"amount": (None, 3_000_000), "service_id": (None, service().pk)}
    assert deal_changes[5][2]["decision_maker"] == ("", "部長")
    assert deal_changes[6][2]["status"] == ("open", "won")
    assert deal_changes[6][2]["amount"] == (3_000_000, 3_200_000)

    assert [(kind, user, set(changed)) for kind, user, changed in snapshots(sql)][1:] == [
        ("~", fs_rep, {"status", "responded_at"}),
        ("~", fs_rep, {"feedback", "feedback_at"}),
    ]
    assert [(kind, user, changed) for kind, user, changed in snapshots(account)][1:] == [
        ("~", cs_rep, {"health": ("green", "yellow")}),
        ("~", manager, {"success_definition": ("", "残業時間を2割削減")}),
    ]
    assert snapshots(account)[0][:2] == ("+", fs_rep)


def test_the_record_page_shows_who_changed_what_for_people(frozen, is_rep, manager, client):
    other_rep = UserFactory(username="is_rep_2", team=is_rep.team, first_name="花子", last_name="佐藤")
    lead = LeadFactory(owner=is_rep)
    frozen.shift(timedelta(hours=1))
    lead_assign(lead=lead, owner=other_rep, actor=manager)

    newest = record_history(lead).entries[0]
    assert (newest.user, newest.kind) == (manager, "Changed")
    assert [(c.label, c.old, c.new) for c in newest.changes] == [("owner", str(is_rep), str(other_rep))]

    client.force_login(manager)
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert 'data-testid="record-history"' in page
    assert f"{is_rep} → <strong>{other_rep}</strong>" in page


def test_a_long_history_is_shown_newest_first_twenty_at_a_time(frozen, is_rep, manager, client):
    lead = lead_with_bant(owner=is_rep)
    reps = [UserFactory(team=is_rep.team) for _ in range(25)]
    for rep in reps:
        frozen.shift(timedelta(minutes=1))
        lead_assign(lead=lead, owner=rep, actor=manager)

    first = record_history(lead)
    assert (len(first.entries), first.has_more) == (20, True)
    assert first.entries[0].changes[0].new == str(reps[-1])
    assert record_history(lead, limit=first.next_limit).has_more is False

    client.force_login(manager)
    page = client.get(reverse("leads:detail", args=[lead.pk]), {"history": first.next_limit}).content.decode()
    assert page.count('data-testid="history-entry"') == 27  # 25 moves, BANT set by the factory, creation
    assert 'data-testid="history-more"' not in page


def test_an_api_call_with_a_token_is_recorded_as_the_token_owner(frozen, is_rep, fs_rep):
    sql = handoff_create_sql(
        lead=lead_with_bant(owner=is_rep), actor=is_rep, to_user=fs_rep, heard="予算", why_now="", decision_process="",
        to_confirm="",
    )  # fmt: skip

    response = token_client(fs_rep).post(f"/api/v1/handoffs/{sql.pk}/accept/")

    assert response.status_code == 200
    latest = sql.history.order_by("-history_id").first()
    assert (latest.history_user, latest.status) == (fs_rep, "accepted")


def test_a_page_write_without_a_service_actor_names_the_signed_in_user(frozen, cs_rep):
    account = opportunity_win(
        opportunity=OpportunityFactory(phase_code="04"),
        actor=UserFactory(admin=True),
        amount=1_000_000,
        contract_on=date(2026, 12, 1),
        cs_owner=cs_rep,
    )
    client = Client()
    client.force_login(cs_rep)

    response = client.post(
        reverse("opportunities:cs_detail", args=[account.pk]),
        {"success_definition": "定着", "health": "red", "renewal_on": "2027-12-01", "expansion_notes": ""},
    )

    assert response.status_code == 302
    latest = account.history.order_by("-history_id").first()
    assert (latest.history_user, latest.health) == (cs_rep, "red")
    assert_replays(account)


def test_an_imported_lead_starts_its_history_with_the_importer(frozen, marketer, django_capture_on_commit_callbacks):
    data = "会社名,氏名,メール\n株式会社ワカバ,野村 優,nomura@wakaba.jp\n".encode()
    job = import_job_create(
        actor=marketer, file_name="x.csv", data=data, source=LeadSource.objects.get(code="house_list")
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_job_set_columns(job=job, actor=marketer, columns=job.columns)
    with django_capture_on_commit_callbacks(execute=True):
        import_job_start(job=job, actor=marketer, mode=ImportJob.Mode.ALL)

    lead = Lead.objects.get(email="nomura@wakaba.jp")
    assert [(kind, user) for kind, user, _ in snapshots(lead)] == [("+", marketer)]
    assert lead.history.get().history_change_reason == f"import #{job.pk}"
    assert_replays(lead)


def test_a_deal_replays_after_a_delete_as_gone(frozen):
    deal = OpportunityFactory()
    pk = deal.pk
    deal.delete()
    assert record_replay(Opportunity, pk) is None


def test_scoring_and_hot_leads_are_recorded_as_the_system(frozen, is_rep):
    ScoringRule.objects.all().delete()
    ScoringRule.objects.create(name="Trial requested", kind="trial", points=30, makes_hot=True)
    lead = LeadFactory(owner=is_rep, email="hanako@hikari.example.jp")

    touch_point_receive(event_id="ev-1", kind="trial", occurred_at=NOW, email=lead.email, url="", payload={})

    assert [(kind, user, changed) for kind, user, changed in snapshots(lead)][1:] == [
        ("~", None, {"score": (0, 30)}),
        ("~", None, {"is_hot": (False, True), "hot_since": (None, NOW)}),
    ]
    assert_replays(lead)


def test_someone_who_may_not_see_the_lead_does_not_see_its_history(frozen, is_rep, client):
    lead = LeadFactory(owner=is_rep)
    client.force_login(UserFactory(fs=True))

    assert client.get(reverse("leads:detail", args=[lead.pk])).status_code == 404


def test_the_admin_shows_a_records_history_and_offers_no_revert(frozen, is_rep, manager, admin_client):
    client = admin_client
    lead = LeadFactory(owner=is_rep)
    lead_assign(lead=lead, owner=None, actor=manager)

    listing = client.get(reverse("admin:leads_lead_history", args=[lead.pk]))
    snapshot = lead.history.order_by("history_id").first()
    old = client.get(reverse("admin:leads_lead_simple_history", args=[lead.pk, snapshot.history_id]))

    assert listing.status_code == 200
    assert manager.username in listing.content.decode()
    assert old.status_code == 200
    assert 'name="_save"' not in old.content.decode()
    reverted = client.post(
        reverse("admin:leads_lead_simple_history", args=[lead.pk, snapshot.history_id]), {"last_name": "改ざん"}
    )
    lead.refresh_from_db()
    assert (reverted.status_code, lead.owner_id, lead.last_name) == (403, None, "山田")


def test_changes_read_as_people_write_them(frozen, fs_rep, phase):
    deal = OpportunityFactory(owner=fs_rep)
    frozen.shift(timedelta(hours=1))
    opportunity_move(
        opportunity=deal,
        to_phase=phase("02"),
        actor=fs_rep,
        changes={"first_meeting_on": date(2026, 11, 20), "first_meeting_attendees": 1200},
    )

    newest = record_history(deal).entries[0]

    assert {(c.label, c.old, c.new) for c in newest.changes} == {
        ("phase", "01 First meeting set", "02 First meeting held"),
        ("in phase since", "11/20/2026 10 a.m.", "11/20/2026 11 a.m."),
        ("first meeting date", "—", "11/20/2026"),
        ("first meeting attendees", "—", "1,200"),
    }


def test_the_import_command_records_the_user_it_imports_as(frozen, marketer, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("会社名,氏名,メール\n株式会社ワカバ,原 玲奈,hara@wakaba.jp\n", encoding="utf-8")

    call_command("import_leads", str(path), "--source", "house_list", "--user", marketer.username, stdout=StringIO())

    lead = Lead.objects.get(email="hara@wakaba.jp")
    assert [(kind, user) for kind, user, _ in snapshots(lead)] == [("+", marketer)]
    assert_replays(lead)


def test_rows_from_before_the_history_get_a_starting_snapshot(frozen, is_rep):
    lead = LeadFactory(owner=is_rep)
    kept = LeadFactory(owner=is_rep)
    lead.history.all().delete()

    snapshot_existing_rows(django_apps, "leads", "Lead")

    assert [(s.history_type, s.history_change_reason) for s in lead.history.all()] == [("+", "before history")]
    assert kept.history.count() == 1
    assert_replays(lead)


def test_trashing_and_restoring_a_company_is_in_its_leads_and_deals_history(frozen, admin):
    from leads.services import company_delete, company_restore

    lead = LeadFactory()
    deal = OpportunityFactory(company=lead.company)

    company_delete(company=lead.company, actor=admin)
    for record in (lead, deal):
        assert_replays(record)
        assert record.deleted_at is not None
    company_restore(company=lead.company, actor=admin)

    for record in (lead, deal):
        assert_replays(record)
        assert record.deleted_at is None
        changes = list(record.history.order_by("history_id").values_list("history_user", "deleted_by"))
        assert changes[-2:] == [(admin.pk, admin.pk), (admin.pk, None)], changes
