"""The alerts page: what needs attention, for whom, linking to what it is about."""

import pytest
from django.utils import timezone

from dashboards.models import Alert
from tests.leads.factories import LeadFactory
from tests.opportunities.factories import OpportunityFactory
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def alert(kind, key, **fields) -> Alert:
    defaults = {"params": {}, "opened_at": timezone.now()}
    if kind == Alert.Kind.HOT_LEAD:
        defaults["params"] = {"lead": "山田 太郎", "company": "株式会社ひかり"}
    if kind == Alert.Kind.STAGNANT:
        defaults["params"] = {"phase": "02", "days_in_phase": 40, "days_idle": 20}
    return Alert.objects.create(kind=kind, key=key, **{**defaults, **fields})


@pytest.fixture
def world():
    team, other_team = TeamFactory(name="SDR"), TeamFactory(name="BDR")
    manager = UserFactory(manager=True, manages=[team])
    rep, other_rep = UserFactory(team=team), UserFactory(team=other_team)
    fs = UserFactory(fs=True)
    hot = LeadFactory(owner=rep)
    deal = OpportunityFactory(owner=fs, name="大型案件")
    return {
        "manager": manager,
        "rep": rep,
        "fs": fs,
        "hot": alert(Alert.Kind.HOT_LEAD, "1", user=rep, lead=hot),
        "other": alert(Alert.Kind.HOT_LEAD, "2", user=other_rep, lead=LeadFactory(owner=other_rep)),
        "stagnant": alert(Alert.Kind.STAGNANT, "3", user=fs, opportunity=deal),
        "resolved": alert(Alert.Kind.HOT_LEAD, "4", user=rep, status="resolved", resolved_at=timezone.now()),
    }


def shown(response) -> list[int]:
    return [alert.pk for alert in response.context["page"].object_list]


def test_a_manager_sees_the_alerts_of_the_teams_they_manage(client, world):
    client.force_login(world["manager"])

    response = client.get("/dashboards/alerts/")

    assert response.status_code == 200
    assert shown(response) == [world["hot"].pk]
    link = f'href="/leads/{world["hot"].lead_id}/"'
    assert link in response.content.decode()


def test_a_rep_sees_their_own_and_an_fs_rep_theirs_with_the_deal_linked(client, world):
    client.force_login(world["rep"])
    assert shown(client.get("/dashboards/alerts/")) == [world["hot"].pk]

    client.force_login(world["fs"])
    response = client.get("/dashboards/alerts/")
    assert shown(response) == [world["stagnant"].pk]
    assert f'href="/deals/{world["stagnant"].opportunity_id}/"' in response.content.decode()
    assert "大型案件: 40 days in phase 02, 20 days without activity." in response.content.decode()


def test_an_admin_filters_by_kind_and_reads_the_resolved_ones(client, world):
    client.force_login(UserFactory(admin=True))

    assert shown(client.get("/dashboards/alerts/", {"kind": "stagnant"})) == [world["stagnant"].pk]
    assert shown(client.get("/dashboards/alerts/", {"status": "resolved"})) == [world["resolved"].pk]
    assert sorted(shown(client.get("/dashboards/alerts/", {"kind": "nonsense"}))) == sorted(
        [world["hot"].pk, world["other"].pk, world["stagnant"].pk]
    )


def test_nothing_to_show_says_what_would_appear(client):
    client.force_login(UserFactory())

    response = client.get("/dashboards/alerts/")

    assert 'data-testid="alerts-empty"' in response.content.decode()
    assert "Nothing needs attention" in response.content.decode()


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get("/dashboards/alerts/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
