"""Times GET /api/v1/handoffs/ for a busy FS rep among 200,000 handoffs: in-process (server time, first
page and a deep page reached by following ``next``), then under concurrent load through gunicorn and wrk.

    .venv/bin/python bench/api.py                  # generate once, time in-process, then load-test
    .venv/bin/python bench/api.py --skip-load      # in-process timings only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/other_bench .venv/bin/python bench/api.py --regenerate

The database (kakehashi_bench_api unless DATABASE_URL names another) is created and migrated if needed.
bench/generate.py makes the org, companies and IS leads; this script adds the SQLs: a qualified lead
(temperature A, BANT heard), its deal and its IS→FS handoff per row, with ``INSERT ... SELECT FROM
generate_series`` in one transaction. Exits 1 when a target fails.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as `python bench/api.py`, the script's own folder is on the path, not the project.
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kakehashi_bench_api"
FIRST_PAGE_P95_MS = 50
DEEP_PAGE_RATIO = 1.5
PAGE_SIZE = 50
LIST_PATH = "/api/v1/handoffs/"
# Of the SQLs: still pending, accepted, rejected (the rest). Accepted deals are spread over the phases.
PENDING_SHARE = 0.05
ACCEPTED_SHARE = 0.85
FEEDBACK_SHARE = 0.4
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Timing:
    label: str
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.times_ms, n=100, method="inclusive")[p - 1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data (generated once, kept for later runs)")
    data.add_argument("--handoffs", type=int, default=200_000, help="SQLs to generate (default 200,000)")
    data.add_argument("--fs-reps", type=int, default=60, help="FS reps the SQLs are spread over (default 60)")
    data.add_argument("--leads", type=int, default=50_000, help="IS leads for bench/generate.py (default 50,000)")
    data.add_argument("--regenerate", action="store_true", help="wipe and generate even if the data is there")
    timing = parser.add_argument_group("in-process timing")
    timing.add_argument("--iterations", type=int, default=200)
    timing.add_argument("--warmup", type=int, default=20)
    timing.add_argument("--depth", type=int, default=40, help="follow next this many times for the deep page")
    timing.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of both pages' list query")
    load = parser.add_argument_group("load through gunicorn + wrk (loopback only)")
    load.add_argument("--skip-load", action="store_true")
    load.add_argument("--seconds", type=int, default=30, help="per concurrency level, at most 120 (default 30)")
    load.add_argument("--concurrency", default="1,8,32", help="connections, comma-separated (default 1,8,32)")
    load.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    load.add_argument("--port", type=int, default=8765)
    load.add_argument("--conn-max-age", type=int, default=60, help="CONN_MAX_AGE of the gunicorn workers")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.concurrency.split(",")]
    if args.handoffs < 1 or args.fs_reps < 1 or args.iterations < 2 or args.depth < 1 or not 1 <= args.seconds <= 120:
        parser.error("--handoffs, --fs-reps, --depth need at least 1, --iterations 2, --seconds 1 to 120")
    if min(levels) < 1:
        parser.error("--concurrency levels must be positive")

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    # Production runs without DEBUG; the test client's host is "testserver"; the budget must not throttle.
    os.environ.setdefault("DEBUG", "false")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ["API_THROTTLE_RATE"] = "1000000/min"
    url = urlsplit(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres") or "bench" not in url.path:
        sys.exit(f"DATABASE_URL must name a PostgreSQL database whose name contains 'bench', e.g. {DEFAULT_URL}")
    _create_database(url)

    from bench import django_setup

    # The app serves no static files here; whitenoise's warning about the missing folder is noise.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.regenerate or not _holds_enough(handoffs=args.handoffs, fs_reps=args.fs_reps):
        generate(handoffs=args.handoffs, fs_reps=args.fs_reps, leads=args.leads)
    else:
        print(f"{connection.settings_dict['NAME']} already holds the SQLs; --regenerate to start again.")

    rep, key, token_pk = _busiest_fs_rep()
    try:
        passed = benchmark(
            rep=rep, key=key, iterations=args.iterations, warmup=args.warmup, depth=args.depth, explain=args.explain
        )
        if not args.skip_load:
            load_test(
                key=key,
                levels=levels,
                seconds=args.seconds,
                workers=args.workers,
                port=args.port,
                conn_max_age=args.conn_max_age,
                depth=args.depth,
            )
    finally:
        from org.models import ApiToken

        ApiToken.objects.filter(pk=token_pk).delete()
    sys.exit(0 if passed else 1)


def _create_database(url) -> None:
    import psycopg2
    from psycopg2 import sql

    name = url.path.lstrip("/")
    connection = psycopg2.connect(urlunsplit(url._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"Creating database {name}.")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def _holds_enough(*, handoffs: int, fs_reps: int) -> bool:
    from bench import USERNAME_PREFIX
    from handoffs.models import Handoff
    from org.models import User

    return (
        User.objects.filter(username__startswith=f"{USERNAME_PREFIX}fs").count() >= fs_reps
        and Handoff.objects.filter(to_user__username__startswith=f"{USERNAME_PREFIX}fs").count() >= handoffs
    )


def generate(*, handoffs: int, fs_reps: int, leads: int) -> None:
    from bench.generate import _step, _vacuum_analyze
    from bench.generate import generate as generate_is_history

    started = time.perf_counter()
    # The IS side first: it wipes companies (and with them every lead, deal and handoff) and the org.
    generate_is_history(leads=leads, activities=0, is_reps=12, fs_reps=fs_reps)
    print("Adding the SQLs:")
    with _step("SQL leads, deals, handoffs") as rows:
        rows.append(_insert_sqls(count=handoffs))
    with _step("VACUUM, ANALYZE"):
        _vacuum_analyze()
        _vacuum_sql_tables()
    print(f"{'total with the IS history':<30}{'':>12}{time.perf_counter() - started:>9.1f} s")


def _insert_sqls(*, count: int) -> int:
    """One qualified lead, its deal and its SQL handoff per row, as handoff_create_sql leaves them and as
    accept / reject / feedback / the phase moves change them afterwards. Every check constraint of
    leads_lead, opportunities_opportunity and handoffs_handoff holds by construction; the unique ones
    (one handoff per deal and kind, one pending SQL per lead) hold because each row has its own lead
    and deal."""
    from django.db import transaction

    from bench import IS_REP_PREFIX, USERNAME_PREFIX
    from bench.generate import FIRST_NAMES, LAST_NAMES, NEEDS, _bulk_load, _seeded_cursor
    from leads.models import Lead, LeadSource
    from opportunities.models import LostReason, Phase, Service
    from org.models import User

    reps = list(User.objects.filter(username__startswith=IS_REP_PREFIX).order_by("pk").values_list("pk", "team_id"))
    fs = list(
        User.objects.filter(username__startswith=f"{USERNAME_PREFIX}fs").order_by("pk").values_list("pk", flat=True)
    )
    phases = dict(Phase.objects.values_list("code", "pk"))
    params = {
        "count": count,
        "is_ids": [pk for pk, _team in reps],
        "is_team_ids": [team for _pk, team in reps],
        "fs_ids": fs,
        "source_ids": list(LeadSource.objects.order_by("pk").values_list("pk", flat=True)),
        "service_ids": list(Service.objects.order_by("pk").values_list("pk", flat=True)),
        "open_phase_ids": [phases[code] for code in ("01", "02", "03", "04")],
        "won_phase": phases["05W"],
        "lost_phase": phases["05L"],
        "rejected_reason": LostReason.objects.get(code="sql_rejected").pk,
        "lost_reasons": list(LostReason.objects.exclude(code="sql_rejected").values_list("pk", flat=True)),
        "pending": PENDING_SHARE,
        "accepted": PENDING_SHARE + ACCEPTED_SHARE,
        "feedback": FEEDBACK_SHARE,
        "last_names": LAST_NAMES,
        "first_names": FIRST_NAMES,
        "needs": NEEDS,
    }
    with transaction.atomic(), _seeded_cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM leads_lead")
        (first_lead,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM leads_company")
        (companies,) = cursor.fetchone()
        # The draws for every row, once: the three inserts read the same lead, deal and outcome.
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_sql ON COMMIT DROP AS
            SELECT
                g AS n,
                %(first_lead)s + g AS lead_id,
                1 + floor(random() * %(companies)s)::bigint AS company_id,
                1 + floor(random() * cardinality(%(is_ids)s::bigint[]))::int AS is_slot,
                pg_temp.pick(%(fs_ids)s::bigint[], random()) AS fs_id,
                pg_temp.pick(%(source_ids)s::bigint[], random()) AS source_id,
                CASE WHEN r_outcome < %(pending)s THEN 'pending'
                     WHEN r_outcome < %(accepted)s THEN 'accepted'
                     ELSE 'rejected' END AS outcome,
                r_phase, r_feedback, random() AS r_name, random() AS r_first, random() AS r_needs,
                created_at,
                -- Changed since: the last answer, feedback or phase move; an order unlike the ids'.
                created_at + random() * (now() - created_at) AS updated_at
            FROM (
                SELECT g, random() AS r_outcome, random() AS r_phase, random() AS r_feedback,
                       now() - random() * interval '2 years' AS created_at
                FROM generate_series(1, %(count)s) AS g
            ) AS draws
            """,
            {**params, "first_lead": first_lead, "companies": companies},
        )
        cursor.execute("ANALYZE bench_sql")
        with _bulk_load(cursor, "leads_lead"):
            # Rejected SQLs went back to their IS rep's queue as working leads (handoff_reject).
            cursor.execute(
                """
                INSERT INTO leads_lead (
                    id, bant_budget, bant_authority, bant_needs, bant_timeframe, last_name, first_name,
                    department, title, email, phone, phone_key, origin, status, status_reason, next_approach_on,
                    temperature, score, is_hot, hot_since, last_activity_at, created_at, updated_at,
                    campaign_id, company_id, owner_id, team_id, source_id, recycle_reason_id
                )
                SELECT
                    lead_id, '300万円', '部長', pg_temp.pick(%(needs)s::text[], r_needs), '来期',
                    pg_temp.pick(%(last_names)s::text[], r_name), pg_temp.pick(%(first_names)s::text[], r_first),
                    '', '', 'sql' || n || '@c' || company_id || '.example.jp', '', '', 'inbound',
                    CASE WHEN outcome = 'rejected' THEN 'working' ELSE 'qualified' END, '',
                    CASE WHEN outcome = 'rejected' THEN (updated_at AT TIME ZONE 'Asia/Tokyo')::date + 14 END,
                    'A', 80, false, NULL, NULL, created_at - interval '30 days', updated_at,
                    NULL, company_id, (%(is_ids)s::bigint[])[is_slot], (%(is_team_ids)s::bigint[])[is_slot],
                    source_id, NULL
                FROM bench_sql
                """,
                params,
            )
            inserted = cursor.rowcount
        cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), %s)", [first_lead + count])
        with _bulk_load(cursor, "opportunities_opportunity"):
            # Accepted deals sit in an open phase (70 %%), or were won (15 %%) or lost (15 %%).
            cursor.execute(
                """
                INSERT INTO opportunities_opportunity (
                    id, bant_budget, bant_authority, bant_needs, bant_timeframe, name, origin, phase_entered_at,
                    status, amount, quantity, first_meeting_on, first_meeting_attendees, decision_maker,
                    expected_close_on, contract_on, next_action_on, next_action, lost_note, closed_at,
                    last_activity_at, created_at, updated_at, company_id, created_by_id, lost_reason_id,
                    origin_lead_id, owner_id, phase_id, revived_from_id, service_id
                )
                SELECT
                    n, '300万円', '部長', '勤怠集計の自動化', '来期', '商談 ' || n, 'sql', updated_at,
                    status,
                    CASE WHEN status = 'won' OR phase_slot >= 3 THEN 1000000 + (n %% 50) * 100000 END,
                    NULL,
                    CASE WHEN phase_slot >= 2 OR status <> 'open'
                         THEN (created_at AT TIME ZONE 'Asia/Tokyo')::date + 7 END,
                    CASE WHEN phase_slot >= 2 OR status <> 'open' THEN 2 END,
                    '', NULL,
                    CASE WHEN status = 'won' THEN (updated_at AT TIME ZONE 'Asia/Tokyo')::date END,
                    CASE WHEN status = 'open' THEN (updated_at AT TIME ZONE 'Asia/Tokyo')::date + 7 END,
                    '', '',
                    CASE WHEN status <> 'open' THEN updated_at END,
                    NULL, created_at, updated_at, company_id, (%(is_ids)s::bigint[])[is_slot],
                    CASE WHEN outcome = 'rejected' THEN %(rejected_reason)s
                         WHEN status = 'lost' THEN pg_temp.pick(%(lost_reasons)s::bigint[], r_feedback) END,
                    lead_id, fs_id,
                    CASE status WHEN 'won' THEN %(won_phase)s WHEN 'lost' THEN %(lost_phase)s
                         ELSE (%(open_phase_ids)s::bigint[])[phase_slot] END,
                    NULL,
                    CASE WHEN status = 'won' OR phase_slot >= 3
                         THEN pg_temp.pick(%(service_ids)s::bigint[], r_phase) END
                FROM (
                    SELECT *,
                        CASE WHEN outcome = 'rejected' THEN 'lost'
                             WHEN outcome = 'pending' THEN 'open'
                             WHEN r_phase < 0.15 THEN 'won'
                             WHEN r_phase < 0.30 THEN 'lost'
                             ELSE 'open' END AS status,
                        CASE WHEN outcome = 'pending' THEN 1 ELSE 1 + floor((r_phase - 0.30) / 0.70 * 4)::int END
                            AS phase_slot
                    FROM bench_sql
                ) AS deals
                """,
                params,
            )
        cursor.execute("SELECT setval(pg_get_serial_sequence('opportunities_opportunity', 'id'), %s)", [count])
        with _bulk_load(cursor, "handoffs_handoff"):
            cursor.execute(
                """
                INSERT INTO handoffs_handoff (
                    id, bant_budget, bant_authority, bant_needs, bant_timeframe, kind, status, temperature,
                    heard, why_now, decision_process, to_confirm, reason, capacity_override_reason,
                    responded_at, feedback, feedback_reason, feedback_at, created_at, updated_at,
                    from_user_id, lead_id, opportunity_id, to_team_id, to_user_id
                )
                SELECT
                    n, '300万円', '部長', '勤怠集計の自動化', '来期', 'is_to_fs', outcome, 'A',
                    '予算300万円、来期導入、部長決裁', '法改正対応', '部長→役員会', '給与システム連携',
                    CASE WHEN outcome = 'rejected' THEN '予算が確保できていない' ELSE '' END, '',
                    CASE WHEN outcome <> 'pending' THEN created_at + (updated_at - created_at) / 4 END,
                    CASE WHEN has_feedback THEN 'yes' ELSE '' END, '',
                    CASE WHEN has_feedback THEN updated_at END,
                    created_at, updated_at,
                    (%(is_ids)s::bigint[])[is_slot], lead_id, n, NULL, fs_id
                FROM (
                    SELECT *, outcome = 'accepted' AND r_feedback < %(feedback)s AS has_feedback FROM bench_sql
                ) AS sqls
                """,
                params,
            )
        cursor.execute("SELECT setval(pg_get_serial_sequence('handoffs_handoff', 'id'), %s)", [count])
    assert Lead.objects.filter(pk__gt=first_lead).count() == count
    return inserted


def _vacuum_sql_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) opportunities_opportunity, handoffs_handoff")


def _busiest_fs_rep():
    """The FS rep with the most handoffs, and a fresh key for them (deleted when the run ends)."""
    from django.db.models import Count

    from bench import USERNAME_PREFIX
    from org.models import User
    from org.services import api_token_create

    rep = (
        User.objects.filter(username__startswith=f"{USERNAME_PREFIX}fs")
        .annotate(n=Count("handoffs_received"))
        .order_by("-n", "pk")
        .first()
    )
    token, key = api_token_create(user=rep, name="bench/api.py")
    return rep, key, token.pk


def benchmark(*, rep, key: str, iterations: int, warmup: int, depth: int, explain: bool) -> bool:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from handoffs.models import Handoff

    client = Client(headers={"Authorization": f"Token {key}"})
    first_url = f"{LIST_PATH}?page_size={PAGE_SIZE}"
    deep_url = _follow(client, first_url, depth)
    print(
        f"\nDatabase {connection.settings_dict['NAME']}: {Handoff.objects.count():,} handoffs; DEBUG={settings.DEBUG}."
    )
    print(
        f"FS rep {rep.username}: {rep.n:,} handoffs, {-(-rep.n // PAGE_SIZE)} pages of {PAGE_SIZE}; "
        f"deep page = page {depth + 1}, after following next {depth} times."
    )
    print(
        f"{iterations} timed requests each after {warmup} warm-up ones, in-process (django.test.Client); "
        f"load average {_load()} on {os.cpu_count()} cores (other work on the machine slows every figure).\n"
    )
    first, deep = _measure(
        client, {"first page": first_url, f"page {depth + 1}": deep_url}, iterations=iterations, warmup=warmup
    )

    print(f"{'request':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'queries':>9}{'SQL p50':>9}")
    for t in (first, deep):
        queries = "-".join(sorted({str(min(t.queries)), str(max(t.queries))}))
        print(
            f"{'GET handoffs, ' + t.label:<34}{t.percentile(50):>8.1f}{t.percentile(95):>8.1f}"
            f"{t.percentile(99):>8.1f}{max(t.times_ms):>8.1f}{queries:>9}{statistics.median(t.sql_ms):>9.1f}"
        )
    ratio = deep.percentile(95) / first.percentile(95)
    checks = [
        (first.percentile(95) < FIRST_PAGE_P95_MS, f"first page p95 < {FIRST_PAGE_P95_MS} ms"),
        (deep.percentile(95) < FIRST_PAGE_P95_MS, f"page {depth + 1} p95 < {FIRST_PAGE_P95_MS} ms"),
        (ratio <= DEEP_PAGE_RATIO, f"page {depth + 1} p95 within {DEEP_PAGE_RATIO}x the first's ({ratio:.2f}x)"),
        (
            set(first.queries) == set(deep.queries) and len(set(first.queries)) == 1,
            f"queries per page constant: first {sorted(set(first.queries))}, deep {sorted(set(deep.queries))}",
        ),
    ]
    print()
    for passed, text in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    if explain or not all(passed for passed, _text in checks):
        for label, url in (("first page", first_url), (f"page {depth + 1}", deep_url)):
            _explain(client, label, url)
    return all(passed for passed, _text in checks)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _follow(client, url: str, times: int) -> str:
    for _ in range(times):
        response = client.get(url)
        if response.status_code != 200 or not response.json()["next"]:
            sys.exit(f"Following next from {url}: {response.status_code} {response.content[:500]!r}")
        url = response.json()["next"].removeprefix("http://testserver")
    return url


def _measure(client, urls: dict[str, str], *, iterations: int, warmup: int) -> list[Timing]:
    """The pages in turn, request by request, so that other work on the machine weighs on each alike."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    timings = {label: Timing(label) for label in urls}
    for i in range(warmup + iterations):
        for label, url in urls.items():
            # The query log is a deque of 9,000: once full, a capture's slice of it comes out empty.
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            if response.status_code != 200 or len(response.json()["results"]) != PAGE_SIZE:
                sys.exit(f"{label}: unexpected answer {response.status_code}: {response.content[:500]!r}")
            if i >= warmup:
                timings[label].times_ms.append(elapsed * 1000)
                timings[label].queries.append(len(captured.captured_queries))
                timings[label].sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    return list(timings.values())


def _explain(client, label: str, url: str) -> None:
    """EXPLAIN ANALYZE of the page's handoff query: the one that selects from handoffs_handoff."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    (sql,) = [q["sql"] for q in captured.captured_queries if re.search(r'FROM "handoffs_handoff"', q["sql"])]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
    print(f"\nEXPLAIN ANALYZE, {label}:\n{plan}")


def load_test(*, key: str, levels: list[int], seconds: int, workers: int, port: int, conn_max_age: int, depth: int):
    """gunicorn serving config.wsgi on the production settings, on loopback, and wrk hitting it."""
    from django.db import connection

    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (or run with --skip-load).")
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_RATE": "1000000/min",
        "DEBUG": "false",
        "CONN_MAX_AGE": str(conn_max_age),
        "LOG_LEVEL": "WARNING",
    }
    with _gunicorn(env=env, port=port, workers=workers):
        _wait_until_serving(f"{base}{LIST_PATH}?page_size={PAGE_SIZE}", key)
        deep_path = _follow_over_http(base, f"{LIST_PATH}?page_size={PAGE_SIZE}", key, depth)
        print(
            f"\nLoad: gunicorn config.wsgi, {workers} sync workers, production settings, CONN_MAX_AGE={conn_max_age}, "
            f"database {connection.settings_dict['NAME']}; wrk for {seconds} s per level on 127.0.0.1:{port}."
        )
        print(
            f"{'request':<22}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'non-2xx':>9}"
        )
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(WRK_SCRIPT)
            script.flush()
            runs = [("first page", f"{LIST_PATH}?page_size={PAGE_SIZE}", level) for level in levels]
            runs.append((f"page {depth + 1}", deep_path, levels[len(levels) // 2]))
            for label, path, level in runs:
                result = _wrk(wrk, script.name, f"{base}{path}", key, connections=level, seconds=seconds)
                print(
                    f"{label:<22}{level:>6}{result['rps']:>9.1f}{result['p50']:>9.1f}{result['p95']:>9.1f}"
                    f"{result['p99']:>9.1f}{result['errors']:>8}{result['non_2xx']:>9}"
                )


@contextmanager
def _gunicorn(*, env: dict, port: int, workers: int):
    """The server for as long as the block runs; stopped by its own pid, its error log summarised."""
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--worker-class", "sync", "--log-level", "warning"]
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            yield server
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.seek(0)
            errors = [line for line in log.read().splitlines() if "ERROR" in line or "Traceback" in line]
            if errors:
                print(f"\ngunicorn logged {len(errors)} errors; the first: {errors[0]}")


def _get(url: str, key: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_until_serving(url: str, key: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, body = _get(url, key)
        except OSError:
            time.sleep(0.5)
            continue
        if status != 200:
            sys.exit(f"gunicorn answered {status}: {body[:500]!r}")
        return
    sys.exit("gunicorn did not start within 60 s.")


def _follow_over_http(base: str, path: str, key: str, times: int) -> str:
    import json

    for _ in range(times):
        status, body = _get(f"{base}{path}", key)
        following = json.loads(body)["next"] if status == 200 else None
        if not following:
            sys.exit(f"Following next over HTTP from {path}: {status} {body[:500]!r}")
        path = following.removeprefix(f"{base}")
    return path


def _wrk(wrk: str, script: str, url: str, key: str, *, connections: int, seconds: int) -> dict:
    completed = subprocess.run(
        [
            wrk,
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            script,
            "-H",
            f"Authorization: Token {key}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    (line,) = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    requests, duration_us, connect, read, write, status, timeout, p50, p95, p99 = map(int, line.split()[1:])
    return {
        "rps": requests / (duration_us / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": connect + read + write + timeout,
        "non_2xx": status,
    }


if __name__ == "__main__":
    main()
