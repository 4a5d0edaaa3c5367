"""Schemathesis' stateful run: sequences of API calls, each reusing what earlier answers returned, as an admin
on the world of test_schema_fuzz (two SQLs with their leads and deals). The schema declares no OpenAPI links;
Schemathesis infers them from it (ids of list and detail answers feed detail pages and actions), so a handoff
listed is then accepted, a deal read is then moved. No answer may be a server error.

The shape of each answer is checked by test_schema_fuzz per operation; here the sequences are the point."""

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error

from tests.api.test_schema_fuzz import admin_key, schema, test_transaction_kept_open  # noqa: F401


@pytest.mark.django_db
def test_api_call_sequences_never_fail_on_the_server(admin_key):  # noqa: F811
    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {admin_key}"}}

        def validate_response(self, response, case, **kwargs):
            case.validate_response(response, checks=[not_a_server_error])

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            database=None,
            # Examples share the world (as in test_schema_fuzz); a failure is printed unshrunk, with its seed.
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
