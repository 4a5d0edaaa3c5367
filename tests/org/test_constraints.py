import pytest
from django.db import IntegrityError, transaction

from org.models import Team
from tests.org.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("traits", "changes", "constraint"),
    [
        pytest.param({"fs": True}, {"placement": "independent"}, "team_placement_only_for_is", id="fs-with-placement"),
        pytest.param({"cs": True}, {"placement": "under_sales"}, "team_placement_only_for_is", id="cs-with-placement"),
        pytest.param({}, {"segment": "31-100"}, "team_segment_only_for_fs", id="sdr-with-segment"),
        pytest.param({"marketing": True}, {"segment": "1000+"}, "team_segment_only_for_fs", id="mkt-with-segment"),
    ],
)
def test_team_fields_belong_to_their_kind(traits, changes, constraint):
    team = TeamFactory(**traits)

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Team.objects.filter(pk=team.pk).update(**changes)


@pytest.mark.parametrize("traits", [{}, {"bdr": True}, {"recycle": True}])
def test_inside_sales_teams_say_where_they_sit(traits):
    team = TeamFactory(**traits)

    assert Team.objects.filter(pk=team.pk).update(placement="under_marketing") == 1
