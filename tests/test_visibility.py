"""Who sees which leads, deals, handoffs, activities and CS accounts (rules: org/selectors.py)."""

import pytest

from activities.selectors import activity_list
from handoffs.models import Handoff
from handoffs.selectors import handoff_get, handoff_list
from leads.models import Lead
from leads.selectors import lead_get, lead_list
from opportunities.models import Opportunity
from opportunities.selectors import cs_account_list, opportunity_get, opportunity_list
from tests.worlds import visibility_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

ROLES = ["admin", "marketer", "rep_a", "rep_b", "manager_a", "manager_fs_b", "fs_a", "fs_b", "cs", "inactive"]


@pytest.fixture
def world():
    return visibility_world()


def visible(queryset):
    return set(queryset.values_list("pk", flat=True))


def pks(w, names):
    return {w[name].pk for name in names}


ALL_LEADS = ["a_own", "a_pool", "b_own", "b_pool", "sql_a", "sql_b", "won_lead"]
SELECTORS = {
    "leads": lead_list,
    "deals": opportunity_list,
    "handoffs": handoff_list,
    "activities": activity_list,
    "accounts": cs_account_list,
}
NOTHING = {"leads": [], "deals": [], "handoffs": [], "activities": [], "accounts": []}
EXPECTED = {
    "admin": {
        "leads": ALL_LEADS,
        "deals": ["deal_a", "deal_b", "won_deal"],
        "handoffs": ["h_a", "h_b"],
        "activities": ["call_a", "call_b", "meet_a", "meet_b", "meet_won"],
        "accounts": ["account"],
    },
    # Marketing brings the leads in: all of them and what was done on them, but no deals.
    "marketer": {**NOTHING, "leads": ALL_LEADS, "activities": ["call_a", "call_b"]},
    "rep_a": {
        **NOTHING,
        "leads": ["a_own", "a_pool", "sql_a"],
        "deals": ["deal_a"],
        "handoffs": ["h_a"],
        "activities": ["call_a", "meet_a"],
    },
    "rep_b": {
        **NOTHING,
        "leads": ["b_own", "b_pool", "sql_b", "won_lead"],
        "deals": ["deal_b", "won_deal"],
        "handoffs": ["h_b"],
        "activities": ["call_b", "meet_b", "meet_won"],
    },
    "manager_a": {
        **NOTHING,
        "leads": ["a_own", "a_pool", "sql_a"],
        "deals": ["deal_a"],
        "handoffs": ["h_a"],
        "activities": ["call_a", "meet_a"],
    },
    "manager_fs_b": {
        **NOTHING,
        "deals": ["deal_b", "won_deal"],
        "handoffs": ["h_b"],
        "activities": ["meet_b", "meet_won"],
        "accounts": ["account"],
    },
    "fs_a": {**NOTHING, "leads": ["sql_a"], "deals": ["deal_a"], "handoffs": ["h_a"], "activities": ["meet_a"]},
    "fs_b": {
        "leads": ["sql_b", "won_lead"],
        "deals": ["deal_b", "won_deal"],
        "handoffs": ["h_b"],
        "activities": ["meet_b", "meet_won"],
        "accounts": ["account"],
    },
    "cs": {
        **NOTHING,
        "leads": ["won_lead"],
        "deals": ["won_deal"],
        "activities": ["meet_won"],
        "accounts": ["account"],
    },
    "inactive": NOTHING,
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_rows(world, role):
    seen = {name: visible(selector(user=world[role])) for name, selector in SELECTORS.items()}

    assert seen == {name: pks(world, names) for name, names in EXPECTED[role].items()}


def test_every_role_of_the_world_has_its_expectations():
    assert list(EXPECTED) == ROLES
    assert {frozenset(expected) for expected in EXPECTED.values()} == {frozenset(SELECTORS)}


@pytest.mark.parametrize(
    ("getter", "role", "name", "missing"),
    [
        pytest.param(lead_get, "rep_a", "b_own", Lead.DoesNotExist, id="lead-of-another-team"),
        pytest.param(lead_get, "rep_a", "b_pool", Lead.DoesNotExist, id="another-teams-pool"),
        pytest.param(lead_get, "fs_a", "sql_b", Lead.DoesNotExist, id="lead-of-another-fs-reps-sql"),
        pytest.param(lead_get, "inactive", "a_pool", Lead.DoesNotExist, id="inactive-user"),
        pytest.param(opportunity_get, "fs_a", "deal_b", Opportunity.DoesNotExist, id="deal-of-another-fs-rep"),
        pytest.param(opportunity_get, "marketer", "deal_a", Opportunity.DoesNotExist, id="deal-for-marketing"),
        pytest.param(handoff_get, "fs_a", "h_b", Handoff.DoesNotExist, id="handoff-to-another-fs-rep"),
        pytest.param(handoff_get, "rep_a", "h_b", Handoff.DoesNotExist, id="handoff-of-another-is-rep"),
    ],
)
def test_a_hidden_row_does_not_exist_for_the_user(world, getter, role, name, missing):
    with pytest.raises(missing):
        getter(user=world[role], pk=world[name].pk)


@pytest.mark.parametrize(
    ("getter", "role", "name"),
    [
        (lead_get, "rep_a", "a_pool"),
        (lead_get, "fs_a", "sql_a"),
        (opportunity_get, "fs_a", "deal_a"),
        (handoff_get, "fs_a", "h_a"),
    ],
)
def test_a_visible_row_is_found(world, getter, role, name):
    assert getter(user=world[role], pk=world[name].pk) == world[name]
