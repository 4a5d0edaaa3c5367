"""Schemathesis fuzzes every operation of /api/schema/ (valid and invalid inputs) as an admin, who may
reach every object, on a database holding two SQLs with their leads, deals and activities: no answer
may be a server error, and every answer must have a status, content type and body the schema documents.

Each operation is one pytest test, so each runs in its own rolled-back transaction with a fresh world."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from activities.models import Activity
from handoffs.models import Handoff
from leads.models import Company, Lead
from opportunities.models import Opportunity
from org.services import api_token_create

# Served by the app itself, so the test checks the schema clients download, not one built beside it.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODELS = {
    "handoffs": Handoff,
    "opportunities": Opportunity,
    "leads": Lead,
    "companies": Company,
    "activities": Activity,
}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Random ids would only ever find nothing: half the cases name a row that exists instead, so
    detail pages and actions are fuzzed past their 404."""
    if not path_parameters or "id" not in path_parameters:
        return st.just(path_parameters)
    resource = context.operation.path.split("/")[3]
    existing = list(MODELS[resource].objects.values_list("pk", flat=True))
    return st.one_of(st.just(path_parameters), st.sampled_from(existing).map(lambda pk: {**path_parameters, "id": pk}))


@pytest.fixture
def test_transaction_kept_open():
    """The real WSGI handler closes the database connection at the end of every request, which on
    PostgreSQL ends the test's transaction; Django's test client disconnects the same signal."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_key(two_sqls, test_transaction_kept_open):
    _token, key = api_token_create(user=two_sqls["admin"], name="schemathesis")
    return key


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # The world is built once per operation, not per example: examples share it on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Failures are reported, not remembered in a .hypothesis folder in the work tree.
    database=None,
)
def test_every_operation_answers_as_its_schema_says(case, admin_key):
    case.call_and_validate(headers={"Authorization": f"Token {admin_key}"}, checks=CHECKS)
