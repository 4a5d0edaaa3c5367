"""Constants and small readers shared by the suite. Time is always frozen or passed in."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Subquery

TOKYO = ZoneInfo("Asia/Tokyo")
# Friday 2026-11-20, 10:00 in Tokyo: week 4 of November (Mon 16 – Sun 22).
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
TODAY = date(2026, 11, 20)


def field_codes(error: ValidationError) -> dict[str, list[str | None]]:
    """{field: [code, ...]} of a ValidationError raised with a dict of errors."""
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def picklist_pk(model, code: str) -> Subquery:
    """The primary key of a picklist row, resolved by the database: usable in a parametrized raw update,
    whose values are built before the test database exists."""
    return Subquery(model.objects.filter(code=code).values("pk")[:1])
