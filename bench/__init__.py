"""Benchmarks against a generated PostgreSQL database; ``make bench-is`` runs the IS workspace's (README.md)."""

import os
import sys

EXAMPLE_URL = "postgres://postgres@127.0.0.1:5432/kakehashi_bench"
# The generator owns the users and teams whose names start so: it deletes and recreates them.
USERNAME_PREFIX = "bench-"
IS_REP_PREFIX = "bench-is"
TEAM_PREFIX = "Bench "


def django_setup() -> None:
    """Django on the local settings, refusing anything but PostgreSQL: SQLite's plans and timings say
    nothing about production, and the generator's SQL is PostgreSQL's."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(
            f"DATABASE_URL must point at PostgreSQL; it resolves to {connection.vendor} "
            f"({connection.settings_dict['NAME'] or 'no name'}), and unset it means SQLite. For example:\n"
            f"  DATABASE_URL={EXAMPLE_URL} .venv/bin/python -m bench.generate\n"
            "or run `make bench-is`, which creates, migrates and fills that database."
        )
