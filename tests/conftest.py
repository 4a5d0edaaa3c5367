import pytest
import time_machine
from django.conf import settings

from tests.helpers import NOW
from tests.opportunities.factories import phase as factories_phase
from tests.org.factories import TeamFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked ``needs_postgres`` (row locks under real threads) are deselected on other databases."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("needs_postgres")]
    config.hook.pytest_deselected(items=deselected)
    items[:] = [item for item in items if not item.get_closest_marker("needs_postgres")]


@pytest.fixture
def frozen():
    """Friday 2026-11-20, 10:00 in Tokyo, for tests whose outcome depends on "today"."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phase():
    """``phase("03")``: a phase from the default pipeline the data migration sets up."""
    return factories_phase


@pytest.fixture
def is_team():
    return TeamFactory(name="SDR 東京")


@pytest.fixture
def is_rep(is_team):
    return UserFactory(username="is_rep", team=is_team)


@pytest.fixture
def fs_rep():
    return UserFactory(username="fs_rep", fs=True)


@pytest.fixture
def cs_rep():
    return UserFactory(username="cs_rep", cs=True)


@pytest.fixture
def manager(is_team):
    return UserFactory(username="manager", manager=True, manages=[is_team])


@pytest.fixture
def admin():
    return UserFactory(username="admin", admin=True)


@pytest.fixture
def marketer():
    return UserFactory(username="marketing", marketing=True)
