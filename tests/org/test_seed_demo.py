"""``manage.py seed_demo``: the demo company someone logs into after ``make run``."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from activities.models import Activity
from handoffs.models import Handoff
from leads.models import Company, Lead, LeadEvent, LeadRecycle
from opportunities.models import CSAccount, Opportunity
from org.demo import ADMIN_PASSWORD, DEMO_PASSWORD
from org.history import record_replay, record_values
from org.models import Team, User

SMALL = ("--scale", "0.02", "--seed", "7")

pytestmark = pytest.mark.django_db


def seed(*extra: str) -> str:
    out = StringIO()
    call_command("seed_demo", *SMALL, *extra, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (User, Team, Company, Lead, LeadEvent, LeadRecycle, Activity, Handoff, Opportunity, CSAccount)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def output(frozen):
    return seed()


def test_every_role_has_users_who_can_log_in_with_the_printed_password(output):
    for role in User.Role.values:
        assert User.objects.filter(role=role).exists(), role
    for username in ("is01", "is06", "is10", "fs01", "fs05", "cs01", "manager1", "manager2", "mkt01"):
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
        assert f"{username}  " in output
    admin = authenticate(username="admin", password=ADMIN_PASSWORD)
    assert admin is not None and admin.is_superuser and admin.role == User.Role.ADMIN
    assert DEMO_PASSWORD in output and ADMIN_PASSWORD in output


def test_the_organisation_has_the_teams_and_managers_the_readme_lists(output):
    teams = {team.kind: team for team in Team.objects.exclude(kind=Team.Kind.FS_SEGMENT)}
    assert {t.name for t in Team.objects.filter(kind=Team.Kind.FS_SEGMENT)} == {"FS SMB", "FS Enterprise"}
    assert User.objects.filter(role=User.Role.IS).count() == 12
    assert User.objects.filter(role=User.Role.FS).count() == 8
    assert User.objects.filter(team=teams[Team.Kind.SDR]).count() == 5
    assert User.objects.get(username="is10").team == teams[Team.Kind.RECYCLE]
    assert teams[Team.Kind.SDR].manager.username == "manager1"
    assert set(User.objects.get(username="manager2").managed_teams.values_list("kind", flat=True)) == {
        Team.Kind.FS_SEGMENT,
        Team.Kind.CS,
    }


def test_leads_exist_in_every_status_and_recycled_ones_say_why_and_when(output):
    statuses = set(Lead.objects.values_list("status", flat=True))
    assert statuses == set(Lead.Status.values)
    recycled = Lead.objects.filter(status=Lead.Status.RECYCLED)
    assert not recycled.filter(recycle_reason=None).exists()
    assert not recycled.filter(next_approach_on__lte=timezone.localdate()).exists()
    assert LeadRecycle.objects.filter(lead__in=recycled).count() >= recycled.count()
    assert not Lead.objects.filter(status__in=Lead.OPEN_STATUSES, next_approach_on=None).exists()


def test_each_sql_handoff_carries_its_deal_and_the_heard_background(output):
    sqls = Handoff.objects.filter(kind=Handoff.Kind.IS_TO_FS).select_related("opportunity")
    assert sqls.exists()
    for handoff in sqls:
        assert handoff.opportunity.origin == Opportunity.Origin.SQL
        assert handoff.opportunity.origin_lead_id == handoff.lead_id
        assert handoff.temperature and handoff.heard
    for lead in Lead.objects.filter(status=Lead.Status.QUALIFIED):
        assert lead.handoffs.filter(kind=Handoff.Kind.IS_TO_FS).exists()
    assert Opportunity.objects.filter(origin=Opportunity.Origin.SGL, origin_lead=None).exists()


def test_a_won_deal_became_a_cs_account_renewing_a_year_later(output):
    account = CSAccount.objects.select_related("opportunity", "owner").first()
    assert account is not None
    assert account.opportunity.status == Opportunity.Status.WON
    assert account.owner.role == User.Role.CS
    assert (account.renewal_on - account.contract_on).days in (365, 366)


def test_history_lies_in_the_past_on_working_days_in_business_hours(output):
    now = timezone.now()
    assert Activity.objects.exists()
    assert not Activity.objects.filter(occurred_at__gt=now).exists()
    assert not LeadEvent.objects.filter(at__gt=now).exists()
    assert not Activity.objects.filter(lead__status=Lead.Status.NEW).exists()
    for occurred_at in Activity.objects.values_list("occurred_at", flat=True):
        local = timezone.localtime(occurred_at)
        assert local.weekday() < 5 and 9 <= local.hour < 19
    oldest = Lead.objects.order_by("created_at").values_list("created_at", flat=True).first()
    assert (now - oldest).days >= 30
    assert not Lead.objects.exclude(status=Lead.Status.NEW).filter(last_activity_at=None).exists()


def test_every_record_of_the_story_replays_from_its_history_to_its_row(output):
    for model in (Lead, Opportunity, Handoff, CSAccount):
        rows = list(model.objects.order_by("pk"))
        assert rows
        assert [record_replay(model, row.pk) for row in rows] == [record_values(row) for row in rows]


def test_a_second_run_without_reset_changes_nothing(output):
    before = row_counts()
    again = seed()
    assert "already loaded" in again
    assert row_counts() == before


def test_the_same_seed_builds_the_same_companies_after_a_reset(frozen):
    seed()
    first = list(Company.objects.order_by("pk").values_list("name", "employee_count", "prefecture"))
    seed("--reset")
    second = list(Company.objects.order_by("pk").values_list("name", "employee_count", "prefecture"))
    assert first == second
    assert User.objects.filter(username="is01").count() == 1


def test_a_scale_of_zero_is_refused(db):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", "0", stdout=StringIO())
