"""The calendar reps plan in: a re-approach day, or at least "month M, week W"."""

import calendar
from datetime import date, timedelta


def weeks_in_month(year: int, month: int) -> int:
    return len(calendar.Calendar(firstweekday=calendar.MONDAY).monthdayscalendar(year, month))


def week_of_month_start(year: int, month: int, week: int) -> date:
    """First day of week ``week`` (1-based, weeks start on Monday) within the month.

    Week 1 is the week holding the 1st, so it may start on any weekday; later weeks start on Monday.
    """
    if not 1 <= month <= 12:
        raise ValueError("month out of range")
    if not 1 <= week <= weeks_in_month(year, month):
        raise ValueError("week out of range")
    first = date(year, month, 1)
    first_monday = first - timedelta(days=first.weekday())
    return max(first, first_monday + timedelta(weeks=week - 1))


def week_of_month_end(year: int, month: int, week: int) -> date:
    start = week_of_month_start(year, month, week)
    week_end = start + timedelta(days=6 - start.weekday())
    last = date(year, month, calendar.monthrange(year, month)[1])
    return min(week_end, last)
