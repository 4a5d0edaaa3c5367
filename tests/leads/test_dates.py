"""Weeks of a month start on Monday; week 1 is the week holding the 1st (checked against a printed calendar)."""

from datetime import date

import pytest

from leads.dates import week_of_month_end, week_of_month_start, weeks_in_month

# (year, month): [(first day, last day) of week 1, week 2, ...]
MONTHS = {
    # Starts on a Sunday: week 1 is the 1st alone, and the 30th (a Monday) is a week of its own.
    (2026, 11): [
        (date(2026, 11, 1), date(2026, 11, 1)),
        (date(2026, 11, 2), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 15)),
        (date(2026, 11, 16), date(2026, 11, 22)),
        (date(2026, 11, 23), date(2026, 11, 29)),
        (date(2026, 11, 30), date(2026, 11, 30)),
    ],
    # Starts on a Monday, 30 days: four full weeks and a two-day fifth.
    (2026, 6): [
        (date(2026, 6, 1), date(2026, 6, 7)),
        (date(2026, 6, 8), date(2026, 6, 14)),
        (date(2026, 6, 15), date(2026, 6, 21)),
        (date(2026, 6, 22), date(2026, 6, 28)),
        (date(2026, 6, 29), date(2026, 6, 30)),
    ],
    # Starts on a Monday, 28 days: exactly four weeks.
    (2027, 2): [
        (date(2027, 2, 1), date(2027, 2, 7)),
        (date(2027, 2, 8), date(2027, 2, 14)),
        (date(2027, 2, 15), date(2027, 2, 21)),
        (date(2027, 2, 22), date(2027, 2, 28)),
    ],
    # Starts on a Saturday, 31 days: six weeks, the last one Monday the 31st alone.
    (2026, 8): [
        (date(2026, 8, 1), date(2026, 8, 2)),
        (date(2026, 8, 3), date(2026, 8, 9)),
        (date(2026, 8, 10), date(2026, 8, 16)),
        (date(2026, 8, 17), date(2026, 8, 23)),
        (date(2026, 8, 24), date(2026, 8, 30)),
        (date(2026, 8, 31), date(2026, 8, 31)),
    ],
    # Starts on a Tuesday, 31 days.
    (2026, 12): [
        (date(2026, 12, 1), date(2026, 12, 6)),
        (date(2026, 12, 7), date(2026, 12, 13)),
        (date(2026, 12, 14), date(2026, 12, 20)),
        (date(2026, 12, 21), date(2026, 12, 27)),
        (date(2026, 12, 28), date(2026, 12, 31)),
    ],
    # Leap February starting on a Tuesday.
    (2028, 2): [
        (date(2028, 2, 1), date(2028, 2, 6)),
        (date(2028, 2, 7), date(2028, 2, 13)),
        (date(2028, 2, 14), date(2028, 2, 20)),
        (date(2028, 2, 21), date(2028, 2, 27)),
        (date(2028, 2, 28), date(2028, 2, 29)),
    ],
}
WEEKS = [
    pytest.param(year, month, week, start, end, id=f"{year}-{month:02}-w{week}")
    for (year, month), weeks in MONTHS.items()
    for week, (start, end) in enumerate(weeks, start=1)
]


@pytest.mark.parametrize(("year", "month", "weeks"), [(y, m, len(w)) for (y, m), w in MONTHS.items()])
def test_weeks_in_month(year, month, weeks):
    assert weeks_in_month(year, month) == weeks


@pytest.mark.parametrize(("year", "month", "week", "start", "end"), WEEKS)
def test_week_start_and_end(year, month, week, start, end):
    assert (week_of_month_start(year, month, week), week_of_month_end(year, month, week)) == (start, end)


@pytest.mark.parametrize(("year", "month"), list(MONTHS))
def test_weeks_tile_the_month_without_gaps(year, month):
    weeks = range(1, weeks_in_month(year, month) + 1)
    starts = [week_of_month_start(year, month, w) for w in weeks]
    ends = [week_of_month_end(year, month, w) for w in weeks]

    assert starts[0] == date(year, month, 1)
    assert ends[-1] == MONTHS[year, month][-1][1]
    assert {(next_start - prev_end).days for prev_end, next_start in zip(ends, starts[1:], strict=False)} == {1}
    assert {start.weekday() for start in starts[1:]} == {0}
    assert {end.weekday() for end in ends[:-1]} == {6}


@pytest.mark.parametrize(
    ("year", "month", "week"),
    [(2026, 11, 0), (2026, 11, 7), (2027, 2, 5), (2026, 6, 6), (2026, 13, 1), (2026, 0, 1)],
)
def test_out_of_range_weeks_and_months_raise(year, month, week):
    with pytest.raises(ValueError, match="out of range"):
        week_of_month_start(year, month, week)
