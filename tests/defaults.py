"""The picklists, phases and capacity limits the data migrations create, put back for tests that run
in real transactions (browser, threads): each of those tests ends with a flush that empties them."""

import importlib

from django.apps import apps

DEFAULT_DATA_MIGRATIONS = (
    "leads.migrations.0003_default_picklists",
    "leads.migrations.0007_scoring_rules_and_distribution",
    "leads.migrations.0010_default_checkpoints_and_mql_reasons",
    "opportunities.migrations.0003_default_phases_and_picklists",
    "activities.migrations.0003_default_call_outcomes",
    "handoffs.migrations.0003_default_capacity",
)


def ensure_default_data() -> None:
    for name in DEFAULT_DATA_MIGRATIONS:
        importlib.import_module(name).forwards(apps, None)
