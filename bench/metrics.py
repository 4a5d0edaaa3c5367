"""Times the funnel-metrics engine (dashboards) on 1, 2 and 3 years of generated history: the incremental
rollup of one day, the full rebuild next to the plain GROUP BY statements it runs, and a month's read.

    .venv/bin/python -m bench.metrics                   # create, migrate and fill the databases once, then time
    .venv/bin/python -m bench.metrics --rollup-runs 20  # more runs of the one-day rollup
    .venv/bin/python -m bench.metrics --help            # sizes, runs, database names

Each history size has a database of its own, ``kakehashi_bench_metrics_1y``, ``_2y`` and ``_3y``, created and
migrated if needed, and filled by bench/generate_history.py at the same daily density (3 years: 1,000,000
leads, 5,000,000 activities, 200,000 deals; 1 year: a third of that). A database generated on an earlier day
is generated again, since its yesterday would lack facts. Each is then measured by this script in a process
of its own (``--measure``):

1. the figures are reset and rebuilt over the whole history (``metrics_rebuild``), timed;
2. on the largest history only: the plain ``SELECT ... GROUP BY`` statements that rebuild runs
   (``dashboards.rollup.day_selects``), every row fetched, timed; then the rebuild again, timed;
3. yesterday (``--days-ago``) is marked dirty (``metrics_mark_dirty``) and the incremental rollup
   (``metrics_rollup_dirty``) timed, ``--rollup-runs`` times after one warm-up;
4. the dashboard read of last month (``metric_table(grain="month", ...)``), ``--reads`` times after five.

Exits 1 when a target fails: the 3-year rollup's p50 within 1.5x the 1-year's, the rebuild within 3x the
plain GROUP BY.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as `python bench/metrics.py`, the script's own folder is on the path, not the project.
    sys.path.insert(0, str(ROOT))

from bench.generate_history import (  # noqa: E402
    DEFAULT_ACTIVITIES,
    DEFAULT_LEADS,
    DEFAULT_OPPORTUNITIES,
    DEFAULT_YEARS,
    _years,
)

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_PREFIX = "kakehashi_bench_metrics"
# Targets: the one-day rollup stays flat as history grows; the rebuild costs little more than its GROUP BYs.
FLAT_RATIO = 1.5
REBUILD_RATIO = 3.0
READ_WARMUP = 5
RESULT_PREFIX = "RESULT "


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data (generated once a day, kept for later runs)")
    data.add_argument("--years", default="1,2,3", help="history sizes in years, comma-separated (default 1,2,3)")
    data.add_argument("--leads", type=int, default=DEFAULT_LEADS, help="per 3 years of history (default 1,000,000)")
    data.add_argument("--activities", type=int, default=DEFAULT_ACTIVITIES, help="per 3 years (default 5,000,000)")
    data.add_argument("--opportunities", type=int, default=DEFAULT_OPPORTUNITIES, help="per 3 years (default 200,000)")
    data.add_argument("--server", default=DEFAULT_SERVER, help=f"PostgreSQL server URL (default {DEFAULT_SERVER})")
    data.add_argument(
        "--prefix", default=DEFAULT_PREFIX, help=f"database names: PREFIX_1y, PREFIX_2y... (default {DEFAULT_PREFIX})"
    )
    timing = parser.add_argument_group("timing")
    timing.add_argument("--rollup-runs", type=int, default=10, help="one-day rollups timed per size (default 10)")
    timing.add_argument("--reads", type=int, default=50, help="month reads timed per size (default 50)")
    timing.add_argument(
        "--days-ago", type=int, default=1, help="the day the rollup recomputes: this many days ago (default 1)"
    )
    internal = parser.add_argument_group("one database (what the script runs for each size)")
    internal.add_argument("--measure", type=int, metavar="YEARS", help="measure the database DATABASE_URL names")
    internal.add_argument("--compare", action="store_true", help="also time the plain GROUP BY and a second rebuild")
    args = parser.parse_args(argv)
    if args.rollup_runs < 2 or args.reads < 2 or args.days_ago < 0:
        parser.error("--rollup-runs and --reads need at least 2, --days-ago cannot be negative")

    if args.measure is not None:
        measure(
            years=args.measure,
            compare=args.compare,
            rollup_runs=args.rollup_runs,
            reads=args.reads,
            days_ago=args.days_ago,
        )
        return

    sizes = sorted({int(years) for years in args.years.split(",")})
    if not sizes or sizes[0] < 1:
        parser.error("--years takes positive whole numbers, e.g. 1,2,3")
    if "bench" not in args.prefix:
        parser.error("--prefix must contain 'bench': the generator wipes the databases it fills")
    urls = {years: f"{args.server.rstrip('/')}/{args.prefix}_{years}y" for years in sizes}
    load_before = _load()
    started = time.perf_counter()
    for years, url in urls.items():
        _prepare(
            url,
            years=years,
            leads=round(args.leads * years / DEFAULT_YEARS),
            activities=round(args.activities * years / DEFAULT_YEARS),
            opportunities=round(args.opportunities * years / DEFAULT_YEARS),
        )
    results = []
    for years, url in urls.items():
        results.append(
            _measure_in_child(
                url,
                years=years,
                compare=years == sizes[-1],
                rollup_runs=args.rollup_runs,
                reads=args.reads,
                days_ago=args.days_ago,
            )
        )
    passed = report(results, load_before=load_before, seconds=time.perf_counter() - started)
    sys.exit(0 if passed else 1)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _prepare(url: str, *, years: int, leads: int, activities: int, opportunities: int) -> None:
    """Creates and migrates the database, and fills it unless it already holds today's history."""
    from bench.api import _create_database

    _create_database(urlsplit(url))
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    command = [sys.executable, "-m", "bench.generate_history", "--skip-if-present", "--years", str(years)]
    command += ["--leads", str(leads), "--activities", str(activities), "--opportunities", str(opportunities)]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def _measure_in_child(url: str, *, years: int, compare: bool, rollup_runs: int, reads: int, days_ago: int) -> dict:
    """This script with --measure against one database: a process of its own, so no state of the engine
    (connections, caches) carries from one database to the next. Its lines pass through; the last one is
    the result."""
    command = [sys.executable, "-m", "bench.metrics", "--measure", str(years)]
    command += ["--rollup-runs", str(rollup_runs), "--reads", str(reads), "--days-ago", str(days_ago)]
    command += ["--compare"] if compare else []
    env = {**os.environ, "DATABASE_URL": url}
    # Production runs without DEBUG (which would also keep every query in memory).
    env.setdefault("DEBUG", "false")
    result = None
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as child:
        for line in child.stdout:
            if line.startswith(RESULT_PREFIX):
                result = json.loads(line[len(RESULT_PREFIX) :])
            else:
                print(line, end="", flush=True)
    if child.returncode != 0 or result is None:
        sys.exit(f"Measuring {url} failed (exit {child.returncode}).")
    return result


# --- One database -------------------------------------------------------------------------------------------


def measure(*, years: int, compare: bool, rollup_runs: int, reads: int, days_ago: int = 1) -> None:
    from bench import django_setup

    # The app serves no static files here; whitenoise's warning about the missing folder is noise.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    django_setup()
    from django.db import connection
    from django.utils import timezone

    from activities.models import Activity
    from bench.generate_history import period_start
    from leads.models import Lead
    from opportunities.models import Opportunity

    try:
        from dashboards.rollup import day_selects
        from dashboards.selectors import metric_table
        from dashboards.services import metrics_mark_dirty, metrics_rebuild, metrics_reset, metrics_rollup_dirty
    except ImportError as error:
        sys.exit(f"The metrics engine is not there yet: {error!r}")

    today = timezone.localdate()
    first_day = period_start(today=today, years=years)
    day = today - timedelta(days=days_ago)
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    name = connection.settings_dict["NAME"]
    result = {
        "years": years,
        "database": name,
        "leads": Lead.objects.count(),
        "activities": Activity.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "day": str(day),
        "day_activities": Activity.objects.filter(
            occurred_at__gte=_midnight(day), occurred_at__lt=_midnight(day + timedelta(days=1))
        ).count(),
        "first_day": str(first_day),
        "today": str(today),
    }
    print(
        f"\n{name}: {_years(years)} of history, {first_day} to {today}: {result['leads']:,} leads, "
        f"{result['activities']:,} activities ({result['day_activities']:,} on {day:%a %Y-%m-%d}), "
        f"{result['opportunities']:,} deals; load average {_load()}.",
        flush=True,
    )

    # 1. From no figures at all, the whole history.
    metrics_reset()
    result["rebuild_s"] = _timed(lambda: metrics_rebuild(first_day=first_day, last_day=today, today=today))
    print(f"  full rebuild from empty, {first_day}..{today}: {result['rebuild_s']:.1f} s", flush=True)
    _vacuum_figures()

    # 2. The plain GROUP BY statements of that rebuild, then the rebuild again, each with the other's cache.
    if compare:
        try:
            statements = day_selects(first_day=first_day, last_day=today, today=today)
        except Exception as error:  # reported, not worked around: the engine owns day_selects
            result["raw_error"] = f"dashboards.rollup.day_selects(first_day=..., last_day=...) raised {error!r}"
            print(f"  {result['raw_error']}", flush=True)
        else:
            rows, seconds = _run_selects(statements)
            result.update(raw_s=seconds, raw_statements=len(statements), raw_rows=rows)
            print(f"  plain GROUP BY: {len(statements)} statements, {rows:,} rows: {seconds:.1f} s", flush=True)
        result["rebuild_again_s"] = _timed(lambda: metrics_rebuild(first_day=first_day, last_day=today, today=today))
        print(f"  full rebuild over the existing figures: {result['rebuild_again_s']:.1f} s", flush=True)
        _vacuum_figures()

    # 3. A fact of yesterday (or --days-ago) changed: the incremental rollup.
    rollups, queries, statements = [], [], []
    for run in range(1 + rollup_runs):
        metrics_mark_dirty(days=[day])
        seconds, count, outcome = _timed_queries(lambda: metrics_rollup_dirty(today=today), statements)
        if outcome.days != [day]:
            sys.exit(f"metrics_rollup_dirty recomputed {outcome.days}, not [{day}]")
        if run:
            rollups.append(seconds * 1000)
            queries.append(count)
    result.update(rollup_ms=rollups, rollup_queries=sorted(set(queries)), rollup_slowest=_slowest(statements))
    print(
        f"  one-day rollup of {day}, {rollup_runs} runs: p50 {_percentile(rollups, 50):.0f} ms, "
        f"p95 {_percentile(rollups, 95):.0f} ms, {'-'.join(map(str, result['rollup_queries']))} queries",
        flush=True,
    )

    # 4. The dashboard's month.
    times, figures = [], 0
    for run in range(READ_WARMUP + reads):
        seconds, count, table = _timed_queries(lambda: metric_table(grain="month", period_start=month))
        figures = len(table)
        if run >= READ_WARMUP:
            times.append(seconds * 1000)
    result.update(read_ms=times, read_rows=figures, read_queries=count, month=str(month))
    print(
        f"  metric_table(grain='month', period_start={month}), {reads} reads: {figures} figures, "
        f"p50 {_percentile(times, 50):.1f} ms, p95 {_percentile(times, 95):.1f} ms",
        flush=True,
    )
    result["load_after"] = _load()
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def _midnight(day):
    from datetime import datetime

    from django.utils import timezone

    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_default_timezone())


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _timed_queries(function, statements: list | None = None):
    """Seconds, SQL statements sent, and the function's result; ``statements`` receives the statements."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    # The query log is a deque of 9,000: once full, a capture's slice of it comes out empty.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        outcome = function()
        seconds = time.perf_counter() - started
    if statements is not None:
        statements[:] = captured.captured_queries
    return seconds, len(captured.captured_queries), outcome


def _slowest(statements: list[dict], count: int = 6) -> list[tuple[str, float]]:
    """The statements of one run that took longest: (what, ms). An upsert of figures is named by the
    metric and grain it writes (its first two literals)."""
    named = []
    for statement in statements:
        match = re.search(r"SELECT '([a-z_]+)', '(day|week|month)'", statement["sql"])
        what = f"{match[1]} {match[2]}" if match else " ".join(statement["sql"].split())[:60]
        named.append((what, float(statement["time"]) * 1000))
    return sorted(named, key=lambda item: -item[1])[:count]


def _run_selects(statements: list[tuple[str, list]]) -> tuple[int, float]:
    """Every statement executed and its rows fetched, in one transaction like the rebuild's."""
    from django.db import connection, transaction

    rows = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows, time.perf_counter() - started


def _vacuum_figures() -> None:
    """After a rebuild the summary table is new (or rewritten): autovacuum would analyse and vacuum it
    within a minute; the rollup measured next should meet the table as production would."""
    from django.db import connection

    from dashboards.models import MetricValue

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {MetricValue._meta.db_table}")


def _percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --- The report ---------------------------------------------------------------------------------------------


def report(results: list[dict], *, load_before: str, seconds: float) -> bool:
    print(
        f"\nMetrics engine, {results[0]['today']} (company time zone); load average {load_before} before, "
        f"{results[-1]['load_after']} after, on {os.cpu_count()} cores (other work on the machine slows every "
        f"figure); {seconds:.0f} s in all.\n"
    )
    print(f"One-day rollup of {results[0]['day']}; month read of {results[0]['month']}.")
    print(
        f"{'history':<9}{'leads':>11}{'activities':>12}{'that day':>10}{'deals':>9}{'rebuild s':>11}"
        f"{'rollup p50':>12}{'p95 ms':>8}{'queries':>9}{'month read p50':>16}{'p95 ms':>8}{'figures':>9}"
    )
    for result in results:
        print(
            f"{result['years']} y{'':<6}{result['leads']:>11,}{result['activities']:>12,}"
            f"{result['day_activities']:>10,}{result['opportunities']:>9,}"
            f"{result['rebuild_s']:>11.1f}{_percentile(result['rollup_ms'], 50):>12.0f}"
            f"{_percentile(result['rollup_ms'], 95):>8.0f}{'-'.join(map(str, result['rollup_queries'])):>9}"
            f"{_percentile(result['read_ms'], 50):>16.1f}{_percentile(result['read_ms'], 95):>8.1f}"
            f"{result['read_rows']:>9}"
        )
    smallest, largest = results[0], results[-1]
    checks = []
    if len(results) > 1:
        ratio = _percentile(largest["rollup_ms"], 50) / _percentile(smallest["rollup_ms"], 50)
        checks.append(
            (
                ratio <= FLAT_RATIO,
                f"one-day rollup flat: {largest['years']}-year p50 within {FLAT_RATIO}x the "
                f"{smallest['years']}-year's ({ratio:.2f}x)",
            )
        )
    print(f"\nFull rebuild of {_years(largest['years'])} ({largest['first_day']}..{largest['today']}):")
    print(f"  {'rebuild, from empty':<44}{largest['rebuild_s']:>9.1f} s")
    print(f"  {'rebuild, over the existing figures':<44}{largest['rebuild_again_s']:>9.1f} s")
    if "raw_error" in largest:
        print(f"  plain GROUP BY: not measured: {largest['raw_error']}")
        checks.append((False, f"rebuild within {REBUILD_RATIO}x the plain GROUP BY: not measured"))
    else:
        label = f"plain GROUP BY ({largest['raw_statements']} statements, {largest['raw_rows']:,} rows)"
        print(f"  {label:<44}{largest['raw_s']:>9.1f} s")
        ratio = largest["rebuild_again_s"] / largest["raw_s"]
        checks.append(
            (
                ratio <= REBUILD_RATIO,
                f"rebuild within {REBUILD_RATIO}x the plain GROUP BY ({ratio:.2f}x, the second rebuild's)",
            )
        )
    for result in (smallest, largest) if len(results) > 1 else (largest,):
        slowest = "; ".join(f"{what}: {ms:.0f} ms" for what, ms in result["rollup_slowest"])
        print(f"\nSlowest statements of the last one-day rollup, {_years(result['years'])}: {slowest}")
    print()
    for passed, text in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    return all(passed for passed, _text in checks)


if __name__ == "__main__":
    main()
