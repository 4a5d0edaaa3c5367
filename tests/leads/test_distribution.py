"""Fair inbound distribution: round robin over the IS reps on shift, rules by source and company size, the
team pool when nobody is on shift, and the manager's page with today's and this week's counts."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from leads.admin import DistributionRuleForm
from leads.distribution import lead_distribute, next_in_turn
from leads.models import DistributionCursor, DistributionRule, Lead, LeadEvent
from leads.services import lead_create
from org.models import User
from org.services import user_set_on_shift
from tests.helpers import NOW
from tests.leads.factories import CompanyFactory, LeadFactory, source
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reps(is_team):
    """Three SDR reps on shift, in id order."""
    return [UserFactory(username=f"sdr{n}", team=is_team, last_name=f"担当{n}") for n in (1, 2, 3)]


def inbound(code="web_inquiry", employees=50, **kwargs) -> Lead:
    return lead_create(
        actor=None,
        company=CompanyFactory(employee_count=employees),
        last_name="山田",
        source=source(code),
        origin="inbound",
        **kwargs,
    )


def owners(leads) -> list[str]:
    return [Lead.objects.get(pk=lead.pk).owner.username for lead in leads]


# --- round robin ------------------------------------------------------------------------------------------


def test_new_inbound_leads_go_round_robin_over_the_reps_on_shift(frozen, is_team, reps):
    leads = [lead_distribute(lead=inbound()) for _ in range(7)]

    assert owners(leads) == ["sdr1", "sdr2", "sdr3", "sdr1", "sdr2", "sdr3", "sdr1"]
    assert {lead.team for lead in leads} == {is_team}
    cursor = DistributionCursor.objects.get()
    assert (cursor.pool, cursor.last_rep.username, cursor.assigned) == (f"team:{is_team.pk}", "sdr1", 7)
    assert set(LeadEvent.objects.filter(kind="owner").values_list("note", "actor")) == {
        ("Inbound distribution: round robin", None)
    }


def test_a_rep_off_shift_is_passed_over_and_takes_the_turn_again_once_back(frozen, reps, manager):
    first = lead_distribute(lead=inbound())  # sdr1
    user_set_on_shift(user=reps[1], on_shift=False, actor=manager)
    second = lead_distribute(lead=inbound())  # sdr2 is away: sdr3
    user_set_on_shift(user=reps[1], on_shift=True, actor=manager)
    rest = [lead_distribute(lead=inbound()) for _ in range(3)]

    assert owners([first, second, *rest]) == ["sdr1", "sdr3", "sdr1", "sdr2", "sdr3"]


@pytest.mark.parametrize(
    ("ids", "last", "expected"),
    [([3, 5, 9], None, 3), ([3, 5, 9], 3, 5), ([3, 5, 9], 9, 3), ([3, 5, 9], 4, 5), ([3, 5, 9], 12, 3), ([7], 7, 7)],
)
def test_the_next_in_turn_follows_the_last_rep_in_id_order_and_wraps(ids, last, expected):
    assert next_in_turn(ids, last) == expected


def test_with_nobody_on_shift_the_lead_waits_in_the_team_pool(frozen, is_team, reps):
    User.objects.filter(pk__in=[rep.pk for rep in reps]).update(on_shift=False)

    lead = lead_distribute(lead=inbound())

    assert (lead.owner, lead.team) == (None, is_team)
    assert not LeadEvent.objects.filter(lead=lead, kind="owner").exists()


def test_inactive_reps_and_reps_of_other_roles_or_teams_get_nothing(frozen, is_team, reps):
    User.objects.filter(pk=reps[0].pk).update(is_active=False)
    UserFactory(username="other_team_rep")
    UserFactory(username="sdr_manager", manager=True, team=None)

    leads = [lead_distribute(lead=inbound()) for _ in range(4)]

    assert owners(leads) == ["sdr2", "sdr3", "sdr2", "sdr3"]


def test_distributing_is_idempotent_and_leaves_owned_outbound_and_closed_leads_alone(frozen, reps):
    elsewhere = UserFactory(username="elsewhere")
    owned = LeadFactory(owner=elsewhere)
    outbound = lead_create(
        actor=None, company=CompanyFactory(), last_name="佐藤", source=source("house_list"), origin="outbound"
    )
    closed = inbound(employees=10)
    Lead.objects.filter(pk=closed.pk).update(status="disqualified", status_reason="重複", next_approach_on=None)
    lead = lead_distribute(lead=inbound())

    again = lead_distribute(lead=lead)
    results = [lead_distribute(lead=other) for other in (owned, outbound, closed)]

    assert (again.owner.username, [r.owner for r in results]) == ("sdr1", [elsewhere, None, None])
    assert DistributionCursor.objects.get().assigned == 1
    assert LeadEvent.objects.filter(lead=lead, kind="owner").count() == 1


# --- rules ------------------------------------------------------------------------------------------------


@pytest.fixture
def seminar_team():
    """A second SDR team; "SDR 東京" sorts first, so it stays the default for leads no rule matches."""
    team = TeamFactory(name="SDR 横浜")
    return team, [UserFactory(username=f"sem{n}", team=team) for n in (1, 2)]


def test_a_source_rule_sends_its_leads_to_its_team_in_turn(frozen, reps, seminar_team):
    team, _members = seminar_team
    DistributionRule.objects.create(name="セミナーはセミナー班", source=source("seminar"), team=team)

    leads = [lead_distribute(lead=inbound(code)) for code in ("seminar", "web_inquiry", "seminar", "seminar")]

    assert owners(leads) == ["sem1", "sdr1", "sem2", "sem1"]
    assert Lead.objects.get(pk=leads[0].pk).team == team


def test_a_segment_rule_with_named_reps_rotates_over_those_reps_only(frozen, is_team, reps):
    rule = DistributionRule.objects.create(name="大企業は担当2・3", size_band="1000+", team=is_team)
    rule.reps.set([reps[1], reps[2]])

    leads = [lead_distribute(lead=inbound(employees=n)) for n in (5000, 1000, 999, 1200)]

    assert owners(leads) == ["sdr2", "sdr3", "sdr1", "sdr2"]
    assert set(DistributionCursor.objects.values_list("pool", "assigned")) == {
        (f"rule:{rule.pk}", 3),
        (f"team:{is_team.pk}", 1),
    }


def test_rules_are_tried_in_order_and_inactive_ones_are_skipped(frozen, is_team, reps, seminar_team):
    team, _members = seminar_team
    DistributionRule.objects.create(name="全部", sort_order=2, team=is_team)
    first = DistributionRule.objects.create(name="セミナー", sort_order=1, source=source("seminar"), team=team)
    lead = lead_distribute(lead=inbound("seminar"))
    first.is_active = False
    first.save()

    other = lead_distribute(lead=inbound("seminar"))

    assert owners([lead, other]) == ["sem1", "sdr1"]


def test_a_company_of_unknown_size_matches_only_rules_without_a_segment(frozen, is_team, reps, seminar_team):
    team, _members = seminar_team
    DistributionRule.objects.create(name="小規模", size_band="1-30", team=team)

    lead = lead_distribute(lead=inbound(employees=None))

    assert owners([lead]) == ["sdr1"]


def test_without_a_rule_a_lead_without_a_team_goes_to_the_first_sdr_team_by_name(frozen, reps, seminar_team):
    lead = lead_distribute(lead=inbound())

    assert owners([lead]) == ["sdr1"]


def test_without_a_rule_a_lead_stays_with_its_own_is_team(frozen, reps, seminar_team):
    team, _members = seminar_team

    lead = lead_distribute(lead=inbound(team=team))

    assert owners([lead]) == ["sem1"]


def test_the_admin_refuses_named_reps_from_another_team(is_team, reps, seminar_team):
    _team, members = seminar_team
    form = DistributionRuleForm(
        data={
            "name": "大企業",
            "sort_order": 0,
            "size_band": "1000+",
            "team": is_team.pk,
            "reps": [reps[0].pk, members[0].pk],
            "is_active": True,
        }
    )

    assert form.errors == {"reps": [f"Not in SDR 東京: {members[0]}."]}
    assert DistributionRuleForm(data={**form.data, "reps": [reps[0].pk]}).is_valid()


# --- shifts -----------------------------------------------------------------------------------------------


def test_a_manager_sets_shifts_of_their_teams_reps_only(is_team, reps, manager):
    outsider = UserFactory(username="outsider")

    user_set_on_shift(user=reps[0], on_shift=False, actor=manager)
    with pytest.raises(PermissionDenied):
        user_set_on_shift(user=outsider, on_shift=False, actor=manager)
    with pytest.raises(PermissionDenied):
        user_set_on_shift(user=reps[1], on_shift=False, actor=reps[2])

    assert list(User.objects.filter(role="is").order_by("username").values_list("username", "on_shift")) == [
        ("outsider", True),
        ("sdr1", False),
        ("sdr2", True),
        ("sdr3", True),
    ]


# --- the manager's page -----------------------------------------------------------------------------------


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_manager_sees_how_many_inbound_leads_each_rep_received_today_and_this_week(frozen, is_team, reps, manager):
    frozen.move_to(NOW - timedelta(days=3))  # Tuesday of the same ISO week
    for _ in range(3):
        lead_distribute(lead=inbound())  # sdr1, sdr2, sdr3
    frozen.move_to(NOW - timedelta(days=7))  # last week: not counted
    lead_distribute(lead=inbound())  # sdr1
    frozen.move_to(NOW)
    lead_distribute(lead=inbound())  # sdr2
    User.objects.filter(pk=reps[2].pk).update(on_shift=False)
    User.objects.filter(pk__in=[reps[0].pk, reps[1].pk]).update(on_shift=False)
    lead_distribute(lead=inbound())  # nobody on shift: the pool
    LeadFactory(owner=reps[0], origin="outbound")  # not inbound

    response = login(manager).get("/leads/distribution/")

    assert response.status_code == 200
    (team,) = response.context["teams"]
    assert [(row.rep.username, row.rep.on_shift, row.today, row.week) for row in team.reps] == [
        ("sdr1", False, 0, 1),
        ("sdr2", False, 1, 2),
        ("sdr3", False, 0, 1),
    ]
    assert (team.today, team.week, team.pool_today, team.pool_week) == (1, 4, 1, 1)
    assert b'data-testid="pool-row"' in response.content


@pytest.mark.parametrize("who", ["is_rep", "fs_rep", "marketer"])
def test_only_managers_and_admins_see_the_distribution_page(who, request):
    assert login(request.getfixturevalue(who)).get("/leads/distribution/").status_code == 403


def test_a_manager_sees_only_the_teams_they_manage(is_team, reps, manager):
    TeamFactory(name="SDR 大阪")

    response = login(manager).get("/leads/distribution/")

    assert [team.team for team in response.context["teams"]] == [is_team]


def test_the_manager_takes_a_rep_off_shift_from_the_page(is_team, reps, manager):
    response = login(manager).post(
        f"/leads/distribution/reps/{reps[0].pk}/shift/", {"on_shift": "0"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert b'data-testid="off-shift"' in response.content
    assert b"<table" not in response.content  # only the rep's row is swapped
    assert User.objects.get(pk=reps[0].pk).on_shift is False


def test_a_rep_outside_the_managers_teams_cannot_be_switched(manager):
    outsider = UserFactory()

    response = login(manager).post(f"/leads/distribution/reps/{outsider.pk}/shift/", {"on_shift": "0"})

    assert (response.status_code, User.objects.get(pk=outsider.pk).on_shift) == (404, True)
