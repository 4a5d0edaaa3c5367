import pytest
from django.core.cache import cache
from django.test import Client

from activities.services import activity_log
from org.models import Team, User
from org.services import api_token_create, user_create
from tests.worlds import PASSWORD, pipeline_world, sql


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """Throttle counts live in the cache, which outlives a test's database transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def w(frozen):
    """``pipeline_world()`` plus a manager of the FS team (so of fs_a and fs_b) and an admin."""
    world = pipeline_world()
    world["manager"] = user_create(username="fsmgr", password=PASSWORD, role=User.Role.MANAGER)
    Team.objects.filter(pk=world["fs_a"].team_id).update(manager=world["manager"])
    world["admin"] = user_create(username="admin", password=PASSWORD, role=User.Role.ADMIN)
    return world


def token_client(user: User) -> Client:
    """A client sending the user's own API key, as a tool on their behalf would."""
    _token, key = api_token_create(user=user, name="pytest")
    return Client(headers={"Authorization": f"Token {key}"})


@pytest.fixture
def api(w):
    """``api["fs_a"]``: a client with a fresh token of that user of the world; ``api["anonymous"]`` has none."""

    class Clients(dict):
        def __missing__(self, role):
            self[role] = Client() if role == "anonymous" else token_client(w[role])
            return self[role]

    return Clients()


@pytest.fixture
def two_sqls(w):
    """One SQL from ``rep`` to each FS rep, with a call on A's lead and a first meeting logged on each deal."""
    w["h_a"], w["h_b"] = sql(w, to="fs_a", name="山田"), sql(w, to="fs_b", name="田中")
    for side in ("a", "b"):
        handoff = w[f"h_{side}"]
        w[f"lead_{side}"], w[f"deal_{side}"], w[f"company_{side}"] = (
            handoff.lead,
            handoff.opportunity,
            handoff.lead.company,
        )
        w[f"meet_{side}"] = activity_log(
            actor=handoff.to_user, kind="web_meeting", direction="outbound", opportunity=handoff.opportunity
        )
    w["call_a"] = activity_log(actor=w["rep"], kind="call", direction="outbound", connected=True, lead=w["lead_a"])
    return w
