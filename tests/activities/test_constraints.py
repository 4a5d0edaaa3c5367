"""The database keeps the activity invariants even when a write bypasses the services."""

import pytest
from django.db import IntegrityError, transaction

from activities.models import Activity
from tests.activities.factories import ActivityFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("constraint", "changes"),
    [
        pytest.param("activity_on_lead_or_opportunity", {"lead": None}, id="on-nothing"),
        pytest.param("activity_call_connected_known", {"connected": None}, id="call-connect-unknown"),
        pytest.param(
            "activity_effective_needs_connect",
            {"connected": False, "effective_conversation": True},
            id="effective-call-not-connected",
        ),
        pytest.param(
            "activity_effective_needs_connect",
            {"kind": "mail", "connected": None, "effective_conversation": True},
            id="effective-mail",
        ),
    ],
)
def test_activity_constraint_refuses_a_raw_update(constraint, changes):
    activity = ActivityFactory()

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"connected": True, "effective_conversation": True}, id="effective-call"),
        pytest.param({"kind": "mail", "connected": None}, id="mail"),
        pytest.param({"kind": "web_meeting", "connected": None, "effective_conversation": True}, id="web-meeting"),
        pytest.param({"kind": "visit", "connected": True, "effective_conversation": True}, id="visit"),
        pytest.param({"connected": False}, id="call-not-connected"),
    ],
)
def test_activity_constraints_accept_what_they_allow(changes):
    activity = ActivityFactory()

    assert Activity.objects.filter(pk=activity.pk).update(**changes) == 1
