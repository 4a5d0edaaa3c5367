"""Times every dashboard page on 3 years of generated history: each board at each of its grains (with and
without the team filter where it has one), an htmx swap, a CSV download, the KPI planner and the records page.

    .venv/bin/python -m bench.dashboards                 # 3 years: generate once a day, rebuild the figures, time
    .venv/bin/python -m bench.dashboards --years 1       # a third of the data, for a quick look
    .venv/bin/python -m bench.dashboards --help          # sizes, requests, the period measured

The database is bench/metrics.py's (``kakehashi_bench_metrics_3y``, or ``_1y`` with ``--years 1``): created,
migrated and filled by bench/generate_history.py unless it already holds that history, generated today. Its
figures are rebuilt from the facts (``metrics_rebuild``) unless a rebuild since the facts were generated
covered the whole history with the same metric definitions (a digest kept as the figures table's comment).
The boards' own settings are added if missing: the KPI plan of the current month and of the month measured,
an asset target per IS team, and per-rep FS capacity rules beside the defaults.

A manager (``dashboards-bench``, outside the generator's ``bench-`` users, so a plan that names it survives
a regeneration) is logged in with ``force_login`` and each request sent through Django's test client
in-process: the time is the server's (middleware, view, SQL, template), without network or WSGI server.
Settings are ``config.settings.local`` with ``DEBUG=false`` and ``METRICS_ROLLUP_ON_VIEW=false`` (a worker
rolls the figures up; a page never does). Boards are read for the period that contains yesterday (a full
day, week and month), not today's, which has barely begun when the history is generated.

Exits 1 when a board page (a board at any grain or team, the htmx swap, the CSV, the planner) has a p95 of
150 ms or more, or reads a fact table. The records page lists facts by design: it is reported apart.
"""

import argparse
import hashlib
import os
import re
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter, process_time
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as `python bench/dashboards.py`, the script's own folder is on the path, not the project.
    sys.path.insert(0, str(ROOT))

from bench.generate_history import (  # noqa: E402
    DEFAULT_ACTIVITIES,
    DEFAULT_LEADS,
    DEFAULT_OPPORTUNITIES,
    DEFAULT_YEARS,
    _years,
    period_start,
)
from bench.metrics import DEFAULT_PREFIX, DEFAULT_SERVER, _prepare  # noqa: E402

TARGET_P95_MS = 150
MANAGER = "dashboards-bench"
# The tables of facts; a board reads the figures computed from them, never these.
FACT_TABLES = (
    "leads_lead",
    "leads_company",
    "activities_activity",
    "handoffs_handoff",
    "opportunities_opportunity",
    "opportunities_phasehistory",
    "leads_leadrecycle",
    "leads_touchpoint",
)
# A whole name: leads_lead must not match leads_leadsource (a lookup table) or leads_leadrecycle.
FACT_TABLE = re.compile(r"(?<![\w])(" + "|".join(FACT_TABLES) + r")(?![\w])")
# The boards' settings when the database has none (a mid-sized inside-sales floor's).
PLAN = {"revenue_budget": 120_000_000, "deal_size": 2_400_000, "lead_rate": Decimal("0.0200")}
FALLBACK_RATES = {
    "win_rate": Decimal("0.2500"),
    "meeting_rate": Decimal("0.6000"),
    "opportunity_rate": Decimal("0.1500"),
}
ASSET_TARGET = {"daily": 400, "weekly": 2_000}
# Every fifth FS rep has a limit of its own in its team's segment, beside the segment defaults.
OWN_CAPACITY_EVERY, OWN_CAPACITY_LIMIT = 5, 45
SLOWEST_SHOWN = 3
# A statement PostgreSQL takes this long to execute gets its plan printed.
SLOW_STATEMENT_MS = 10
# The figures are rebuilt when these change (a new metric or breakdown has no figures until then).
ENGINE_FILES = ("dashboards/metrics.py", "dashboards/rollup.py")
VERSION_NOTE = "Figures rebuilt by the dashboards benchmark with metric definitions "


@dataclass
class Result:
    label: str
    group: str  # "board" (the 150 ms target and no facts) or "records" (reported apart)
    times_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    facts: set[str] = field(default_factory=set)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    size_kb: float = 0.0

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.times_ms, n=100, method="inclusive")[p - 1]

    @property
    def query_count(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"

    @property
    def targeted(self) -> bool:
        return self.group == "board"

    @property
    def fast(self) -> bool:
        return self.percentile(95) < TARGET_P95_MS

    @property
    def passed(self) -> bool:
        return not self.targeted or (self.fast and not self.facts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data (bench/metrics.py's databases, generated once a day)")
    data.add_argument("--years", type=int, default=DEFAULT_YEARS, help="history in years (default 3; 1 is quick)")
    data.add_argument("--server", default=DEFAULT_SERVER, help=f"PostgreSQL server URL (default {DEFAULT_SERVER})")
    data.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"database PREFIX_<years>y (default {DEFAULT_PREFIX})")
    timing = parser.add_argument_group("timing")
    timing.add_argument("--iterations", type=int, default=50, help="timed requests per page (default 50)")
    timing.add_argument("--warmup", type=int, default=5, help="untimed requests before them (default 5)")
    timing.add_argument(
        "--period", type=date.fromisoformat, help="a day of the periods read (default yesterday, company time)"
    )
    timing.add_argument("--explain", action="store_true", help="every page's slowest statements and their plans")
    args = parser.parse_args(argv)
    if args.years < 1:
        parser.error("--years must be positive")
    if args.iterations < 2 or args.warmup < 0:
        parser.error("--iterations must be at least 2 and --warmup not negative")
    if "bench" not in args.prefix:
        parser.error("--prefix must contain 'bench': the generator wipes the database it fills")

    url = f"{args.server.rstrip('/')}/{args.prefix}_{args.years}y"
    started = time.perf_counter()
    _prepare(
        url,
        years=args.years,
        leads=round(DEFAULT_LEADS * args.years / DEFAULT_YEARS),
        activities=round(DEFAULT_ACTIVITIES * args.years / DEFAULT_YEARS),
        opportunities=round(DEFAULT_OPPORTUNITIES * args.years / DEFAULT_YEARS),
    )
    prepared_s = time.perf_counter() - started

    os.environ["DATABASE_URL"] = url
    # Production runs without DEBUG (template debug bookkeeping, every query kept); a worker rolls up.
    os.environ.setdefault("DEBUG", "false")
    os.environ["METRICS_ROLLUP_ON_VIEW"] = "false"
    # The test client's host is "testserver"; we send 127.0.0.1, and allow both.
    hosts = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    os.environ["ALLOWED_HOSTS"] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "testserver"]))
    # The app serves no static files here; whitenoise's warning about the missing folder is noise.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    from bench import django_setup

    # Read before Django imports the engine: the version of the code this process runs.
    engine = _engine_version()
    django_setup()
    passed = benchmark(
        years=args.years,
        engine=engine,
        iterations=args.iterations,
        warmup=args.warmup,
        day=args.period,
        explain=args.explain,
        prepared_s=prepared_s,
    )
    sys.exit(0 if passed else 1)


# --- The data ------------------------------------------------------------------------------------------------


def _ensure_figures(*, years: int, engine: str) -> float:
    """Rebuilds the figures unless a rebuild since the facts were generated covered the whole history with
    today's metric definitions; rolls up days marked dirty since. Returns the seconds it took."""
    from django.db.models import Min
    from django.utils import timezone

    from bench import IS_REP_PREFIX
    from bench.metrics import _vacuum_figures
    from dashboards.models import DirtyDay, RollupState
    from dashboards.services import metrics_rebuild, metrics_rollup_dirty
    from org.models import User

    today = timezone.localdate()
    first_day = period_start(today=today, years=years)
    generated = User.objects.filter(username__startswith=IS_REP_PREFIX).aggregate(at=Min("date_joined"))["at"]
    state = RollupState.objects.filter(pk=1).first()
    why = "no rebuild since the facts were generated"
    if state and state.last_rebuild_at and state.last_rebuild_at >= generated and state.last_rebuild_range:
        first, last = (date.fromisoformat(day) for day in state.last_rebuild_range.split(".."))
        if first > first_day or last < timezone.localdate(generated):
            why = f"the last rebuild covered {state.last_rebuild_range}"
        elif _figures_version() != engine:
            why = "the metric definitions changed since the last rebuild"
        else:
            why = ""
    started = time.perf_counter()
    if why:
        print(f"Rebuilding the figures of {first_day}..{today} from the facts ({why})...", flush=True)
        metrics_rebuild(first_day=first_day, last_day=today, today=today)
        _vacuum_figures()
        _figures_version(engine)
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)
    while DirtyDay.objects.exists():
        metrics_rollup_dirty(today=today)
    return time.perf_counter() - started if why else 0.0


def _engine_version() -> str:
    """What the figures depend on besides the facts: the metric definitions and the rollup's SQL."""
    digest = hashlib.sha256()
    for name in ENGINE_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def _figures_version(version: str | None = None) -> str:
    """The engine version that last rebuilt the figures, kept as the figures table's comment (so it goes
    with the database); with ``version``, records it."""
    from django.db import connection

    from dashboards.models import MetricValue

    table = MetricValue._meta.db_table
    with connection.cursor() as cursor:
        if version is not None:
            cursor.execute(f"COMMENT ON TABLE {table} IS %s", [f"{VERSION_NOTE}{version}"])
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [table])
        comment = cursor.fetchone()[0] or ""
    return comment.removeprefix(VERSION_NOTE)


def _ensure_settings(*, manager, months: list[date]) -> None:
    """What the boards read besides the figures: the KPI plan of each month, the IS teams' asset targets,
    and FS capacity rules. Kept when present."""
    from django.utils import timezone

    from dashboards.models import KpiPlan
    from dashboards.planning import trailing_rates
    from dashboards.services import asset_target_set, kpi_plan_save
    from handoffs.models import FSCapacityRule
    from org.models import SizeBand, Team, User

    rates = {
        name: rate or FALLBACK_RATES[name]
        for name, rate in trailing_rates(today=timezone.localdate()).items()
        if name in FALLBACK_RATES
    }
    for month in months:
        if not KpiPlan.objects.filter(month=month).exists():
            kpi_plan_save(actor=manager, month=month, **PLAN, **rates)
    for team in Team.objects.filter(kind__in=Team.IS_KINDS, asset_target__isnull=True):
        asset_target_set(team=team, **ASSET_TARGET)
    for band, _label in SizeBand.choices:
        FSCapacityRule.objects.get_or_create(size_band=band, user=None, defaults={"monthly_limit": 40})
    fs_reps = User.objects.filter(role=User.Role.FS, is_active=True, team__isnull=False).select_related("team")
    for rep in fs_reps.order_by("pk")[::OWN_CAPACITY_EVERY]:
        if rep.team.segment and not FSCapacityRule.objects.filter(user=rep).exists():
            rule = FSCapacityRule(size_band=rep.team.segment, user=rep, monthly_limit=OWN_CAPACITY_LIMIT)
            rule.full_clean()
            rule.save()


def _manager():
    from org.models import User
    from org.services import user_create

    return User.objects.filter(username=MANAGER).first() or user_create(
        username=MANAGER, password=None, role=User.Role.MANAGER, last_name="ベンチ", first_name="管理"
    )


# --- The measurement -----------------------------------------------------------------------------------------


def benchmark(
    *, years: int, engine: str, iterations: int, warmup: int, day: date | None, explain: bool, prepared_s: float
) -> bool:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from dashboards.boards import BOARDS
    from dashboards.models import Grain, MetricValue
    from dashboards.rollup import period_end
    from dashboards.rollup import period_start as grain_start
    from org.models import Team

    figures_s = _ensure_figures(years=years, engine=engine)
    today = timezone.localdate()
    day = day or today - timedelta(days=1)
    month = grain_start(Grain.MONTH, day)
    manager = _manager()
    _ensure_settings(manager=manager, months=sorted({today.replace(day=1), month}))
    team = Team.objects.filter(kind__in=Team.IS_KINDS).order_by("name", "pk").first()
    if team is None:
        sys.exit("No IS team in this database: regenerate it (bench/generate_history.py).")

    print(
        f"\nDatabase {connection.settings_dict['NAME']}: {_years(years)} of history; "
        f"{_table_rows('leads_lead'):,} leads, {_table_rows('activities_activity'):,} activities, "
        f"{_table_rows('opportunities_opportunity'):,} deals; {MetricValue.objects.count():,} figures. "
        f"DEBUG={settings.DEBUG}, METRICS_ROLLUP_ON_VIEW={settings.METRICS_ROLLUP_ON_VIEW}; today {today}, "
        f"periods containing {day}; team filter: {team}."
    )
    load_before = os.getloadavg()[0]
    print(f"{iterations} timed requests each after {warmup} warm-up ones; load average {load_before:.2f}.\n")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    board_marker, csv_marker = b'data-testid="board"', "text/csv"

    def run(label, path, params=None, *, group="board", marker=board_marker, **headers):
        url = f"{path}?{urlencode(params)}" if params else path
        print(f"  {label:<40}", end="", flush=True)
        result = _measure(
            Result(label, group),
            lambda: client.get(url, **headers),
            marker=marker,
            iterations=iterations,
            warmup=warmup,
        )
        print(f"p95 {result.percentile(95):7.1f} ms  {result.query_count:>5} queries", flush=True)
        return result

    results = []
    for board in BOARDS.values():
        path = reverse("dashboards:board", args=[board.key])
        for grain in board.grains:
            params = {"grain": grain, "period": day.isoformat()} if board.uses_period else {"grain": grain}
            label = f"{board.key}, {grain}" if len(board.grains) > 1 else board.key
            results.append(run(label, path, params))
            if board.uses_team:
                results.append(run(f"{label}, one team", path, params | {"team": team.pk}))
    funnel = reverse("dashboards:board", args=["funnel"])
    month_params = {"grain": Grain.MONTH, "period": day.isoformat()}
    results.append(run("funnel, month, htmx swap", funnel, month_params, HTTP_HX_REQUEST="true"))
    results.append(run("funnel, month, CSV", funnel, month_params | {"csv": "funnel"}, marker=csv_marker))
    results.append(run("planner", reverse("dashboards:planner"), marker=b'data-testid="planner-form"'))
    records = {"metric": "sqls", "since": month.isoformat(), "until": period_end(Grain.MONTH, month).isoformat()}
    results.append(
        run(
            f"records: SQLs of {month:%Y-%m}, page 1",
            reverse("dashboards:records"),
            records,
            group="records",
            marker=b'data-testid="records"',
        )
    )
    client.logout()
    load_after = os.getloadavg()[0]

    times = {"generation (if due) s": prepared_s, "figures rebuild s": figures_s}
    _print_table(results, today=today, day=day, load=(load_before, load_after), times=times)
    _print_slow(results, explain=explain)
    return _print_verdicts(results)


def _measure(result: Result, send, *, marker, iterations: int, warmup: int) -> Result:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup + iterations):
        # The query log is a bounded deque; once full, CaptureQueriesContext's slice comes back empty.
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = perf_counter(), process_time()
            response = send()
            elapsed, cpu = perf_counter() - started, process_time() - started_cpu
        if response.status_code != 200 or not _has(response, marker):
            sys.exit(f"\n{result.label}: unexpected answer {response.status_code}:\n{response.content.decode()[:2000]}")
        if i < warmup:
            continue
        statements = captured.captured_queries
        result.times_ms.append(elapsed * 1000)
        result.cpu_ms.append(cpu * 1000)
        result.queries.append(len(statements))
        result.sql_ms.append(sum(float(query["time"]) for query in statements) * 1000)
        for query in statements:
            result.facts.update(FACT_TABLE.findall(query["sql"]))
        if i == warmup + iterations - 1:
            result.size_kb = len(response.content) / 1024
            result.slowest = sorted(((float(q["time"]) * 1000, q["sql"]) for q in statements), reverse=True)
    return result


def _has(response, marker) -> bool:
    if isinstance(marker, bytes):
        return marker in response.content
    return response["Content-Type"].startswith(marker)


def _table_rows(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


# --- The report ----------------------------------------------------------------------------------------------


def _print_table(results: list[Result], *, today, day, load, times) -> None:
    print(
        f"\nDashboards, {today} (company time zone), periods containing {day}; load average {load[0]:.2f} before, "
        f"{load[1]:.2f} after, on {os.cpu_count()} cores; "
        + ", ".join(f"{name} {seconds:.0f}" for name, seconds in times.items())
        + ".\n"
    )
    header = f"{'request':<36}{'p50':>8}{'p95':>8}{'max':>8}{'queries':>9}{'SQL p50':>9}{'CPU p50':>9}{'page':>7}  "
    print(f"{header}{'fact tables':<14}result")
    print(f"{'':<36}{'ms':>8}{'ms':>8}{'ms':>8}{'':>9}{'ms':>9}{'ms':>9}{'KB':>7}")
    for group in ("board", "records"):
        if group == "records":
            print(f"{'-- reads facts by design, no target':<36}")
        for r in (r for r in results if r.group == group):
            facts = ", ".join(sorted(r.facts)) or "none"
            verdict = ("PASS" if r.passed else "FAIL") if r.targeted else ""
            print(
                f"{r.label:<36}{r.percentile(50):>8.1f}{r.percentile(95):>8.1f}{max(r.times_ms):>8.1f}"
                f"{r.query_count:>9}{statistics.median(r.sql_ms):>9.1f}{statistics.median(r.cpu_ms):>9.1f}"
                f"{r.size_kb:>7.0f}  "
                f"{facts:<14}{verdict}"
            )
    load_before, load_after = load
    # The benchmark itself keeps about one CPU busy (Django and PostgreSQL take turns); more than half
    # the machine's CPUs busy besides means others competed for them.
    if max(load_before, load_after - 1) > (os.cpu_count() or 1) / 2:
        print(
            f"\nWARNING: the load average was {load_before:.2f} before and {load_after:.2f} after on "
            f"{os.cpu_count()} CPUs: other processes competed for the CPU and the timings above are inflated."
        )


def _print_slow(results: list[Result], *, explain: bool) -> None:
    """For each page that failed (every page with --explain): where its time goes, the slowest statements
    of its last request with what PostgreSQL takes to execute them, and the plan of any that takes long."""
    shown = [r for r in results if explain or (r.targeted and not r.passed)]
    for r in shown:
        sql, cpu = statistics.median(r.sql_ms), statistics.median(r.cpu_ms)
        print(
            f"\n{r.label}: p50 {r.percentile(50):.0f} ms, of which SQL {sql:.0f} ms and Django's CPU {cpu:.0f} ms "
            f"(view and template; the page is {r.size_kb:.0f} KB). Slowest statements of its last request:"
        )
        for waited, statement in r.slowest[:SLOWEST_SHOWN]:
            plan = _explain(statement) if statement.lstrip().upper().startswith("SELECT") else []
            executed = next((line for line in plan if line.startswith("Execution Time")), "")
            took = float(executed.split(":")[1].split()[0]) if executed else None
            print(
                f"  waited {waited:5.1f} ms, executes in {'?' if took is None else f'{took:.1f}'} ms: "
                f"{' '.join(statement.split())[:300]}"
            )
            if took is not None and (explain or took >= SLOW_STATEMENT_MS):
                for line in plan:
                    print(f"      {line}")


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [row[0] for row in cursor.fetchall()]


def _print_verdicts(results: list[Result]) -> bool:
    boards = [r for r in results if r.targeted]
    slow = [r.label for r in boards if not r.fast]
    reading = [f"{r.label} ({', '.join(sorted(r.facts))})" for r in boards if r.facts]
    counts = sorted({count for r in boards for count in r.queries})
    checks = [
        (not slow, f"every board page p95 < {TARGET_P95_MS} ms" + (f"; not: {'; '.join(slow)}" if slow else "")),
        (not reading, "no board page reads a fact table" + (f"; these do: {'; '.join(reading)}" if reading else "")),
    ]
    print()
    for passed, text in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    print(f"      queries per board page: {counts[0]}-{counts[-1]}")
    return all(passed for passed, _text in checks)


if __name__ == "__main__":
    main()
