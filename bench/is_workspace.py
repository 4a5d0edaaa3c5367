"""Times the IS rep's workspace on a generated database: the call queue, the lead page and the in-place
call log, as Django serves them in-process (server time without network), with the SQL each one runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kakehashi_bench .venv/bin/python -m bench.is_workspace

Logs in the IS rep with the longest queue today (the worst case a rep meets), warms each request up,
then times it; exits 1 when a target fails. The logged calls are committed like real ones, then deleted
and their leads restored, so a second run measures the same data.
"""

import argparse
import os
import statistics
import sys
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from time import perf_counter, process_time

from bench import IS_REP_PREFIX, django_setup

QUEUE_P95_MS = 100
LOG_CALL_P95_MS = 50
TYPICAL_HEAVY_LEAD_ACTIVITIES = 50


@dataclass
class Result:
    label: str
    target_ms: float | None = None
    times_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.times_ms, n=100, method="inclusive")[p - 1]

    @property
    def query_count(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"

    @property
    def passed(self) -> bool:
        return self.target_ms is None or self.percentile(95) < self.target_ms


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rep", help="username of the IS rep to log in (default: the one with the longest queue)")
    args = parser.parse_args(argv)
    if args.iterations < 2 or args.warmup < 0:
        parser.error("--iterations must be at least 2 and --warmup not negative")

    # Production runs without DEBUG, which would add template debug bookkeeping to every render.
    os.environ.setdefault("DEBUG", "false")
    # WhiteNoise looks for collected static files, which a benchmark does not serve.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    # The test client's default host is "testserver"; we send 127.0.0.1, and allow both.
    hosts = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    os.environ["ALLOWED_HOSTS"] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "testserver"]))
    django_setup()
    sys.exit(0 if benchmark(iterations=args.iterations, warmup=args.warmup, username=args.rep) else 1)


def benchmark(*, iterations: int, warmup: int, username: str | None) -> bool:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from leads.models import LeadSource
    from leads.views import QUEUE_PAGE_SIZE

    today = timezone.localdate()
    rep = _busiest_rep(today=today, username=username)
    leads = _sample_leads(rep=rep, today=today, posts=warmup + iterations)
    source = LeadSource.objects.get(code="web_inquiry")
    connect_ms = _connect_ms()

    print(
        f"Database {connection.settings_dict['NAME']}: {_table_rows('leads_lead'):,} leads, "
        f"{_table_rows('activities_activity'):,} activities; DEBUG={settings.DEBUG}; today {today}."
    )
    print(
        f"Rep {rep.username} ({rep.team}): {leads['due']:,} leads due today, {leads['open']:,} open. "
        f"Lead page: lead {leads['typical'][0]} with {leads['typical'][1]} activities "
        f"(busiest: lead {leads['busiest'][0]} with {leads['busiest'][1]})."
    )
    if leads["due"] <= 4 * QUEUE_PAGE_SIZE:
        print(f"Only {leads['due']} leads are due, so 'page 5' is the last page: generate more leads.")
    load_before = os.getloadavg()[0]
    print(f"{iterations} timed requests each after {warmup} warm-up ones; load average {load_before:.2f}.\n")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(rep)
    queue_url = reverse("leads:queue")
    typical_url = reverse("leads:detail", args=[leads["typical"][0]])
    busiest_url = reverse("leads:detail", args=[leads["busiest"][0]])
    queue_marker, lead_marker = b'data-testid="queue-row"', b'data-testid="timeline"'

    def run(label, send, *, marker, target_ms=None):
        return _measure(label, send, marker=marker, target_ms=target_ms, iterations=iterations, warmup=warmup)

    results = [
        run("GET  queue, page 1", lambda _i: client.get(queue_url), marker=queue_marker, target_ms=QUEUE_P95_MS),
        run(
            "GET  queue, page 5",
            lambda _i: client.get(queue_url, {"page": 5}),
            marker=queue_marker,
            target_ms=QUEUE_P95_MS,
        ),
        run(
            "GET  queue, source filter",
            lambda _i: client.get(queue_url, {"source": source.pk}),
            marker=queue_marker,
            target_ms=QUEUE_P95_MS,
        ),
        run(f"GET  lead, {leads['typical'][1]} activities", lambda _i: client.get(typical_url), marker=lead_marker),
        run(f"GET  lead, {leads['busiest'][1]} activities", lambda _i: client.get(busiest_url), marker=lead_marker),
    ]
    lead_page_queries = {
        activities: _query_count(client, reverse("leads:detail", args=[pk]), marker=lead_marker)
        for pk, activities in (leads["untouched"], leads["typical"], leads["busiest"])
    }
    results.append(_measure_log_calls(client, leads["queue"], today=today, iterations=iterations, warmup=warmup))
    client.logout()

    _print_table(results)
    load_after = os.getloadavg()[0]
    # The benchmark itself keeps about one CPU busy (Django and PostgreSQL take turns); more than half
    # the machine's CPUs busy besides means others competed for them.
    if max(load_before, load_after - 1) > (os.cpu_count() or 1) / 2:
        print(
            f"\nWARNING: the load average was {load_before:.2f} before and {load_after:.2f} after on "
            f"{os.cpu_count()} CPUs: other processes competed for the CPU and the timings above are inflated."
        )
    print(
        f"\nNot included above: a new PostgreSQL connection takes {connect_ms:.1f} ms here, paid by every "
        f"request while CONN_MAX_AGE is {settings.DATABASES['default']['CONN_MAX_AGE']}."
    )
    return _print_verdicts(results, lead_page_queries)


def _busiest_rep(*, today, username: str | None):
    from django.db.models import Count, Q

    from leads.models import Lead
    from org.models import User

    reps = User.objects.filter(role=User.Role.IS, is_active=True)
    reps = reps.filter(username=username) if username else reps.filter(username__startswith=IS_REP_PREFIX)
    due = Q(owned_leads__status__in=Lead.OPEN_STATUSES) & (
        Q(owned_leads__next_approach_on__lte=today) | Q(owned_leads__is_hot=True)
    )
    rep = reps.select_related("team").annotate(due=Count("owned_leads", filter=due)).order_by("-due", "pk").first()
    if rep is None:
        sys.exit(
            f"No IS rep {username!r} in this database." if username else "No generated IS reps: run bench.generate."
        )
    return rep


def _sample_leads(*, rep, today, posts: int) -> dict:
    """The leads the benchmark requests: a typical heavy one, the busiest and an untouched one for the lead
    page, and the rep's queue in working order for the calls, as a rep works down it."""
    from django.db.models import Count, F, Func

    from leads.models import Lead
    from leads.selectors import lead_queue, lead_queue_counts

    open_leads = Lead.objects.filter(owner=rep, status__in=Lead.OPEN_STATUSES).annotate(n=Count("activities"))
    typical = (
        open_leads.annotate(distance=Func(F("n") - TYPICAL_HEAVY_LEAD_ACTIVITIES, function="ABS"))
        .order_by("distance", "pk")
        .values_list("pk", "n")
        .first()
    )
    busiest = open_leads.order_by("-n", "pk").values_list("pk", "n").first()
    untouched = open_leads.filter(n=0).order_by("pk").values_list("pk", "n").first()
    queue = list(lead_queue(user=rep, today=today).values_list("pk", flat=True)[:posts])
    if typical is None or untouched is None or not queue:
        sys.exit(f"{rep.username} has no leads to work today: regenerate with bench.generate.")
    counts = lead_queue_counts(user=rep, today=today)
    return {
        "typical": typical,
        "busiest": busiest,
        "untouched": untouched,
        "queue": queue,
        "due": counts["today"],
        "open": open_leads.count(),
    }


def _measure(label, send, *, marker: bytes, iterations: int, warmup: int, target_ms=None) -> Result:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    result = Result(label, target_ms=target_ms)
    for i in range(warmup + iterations):
        # The query log is a bounded deque; once full, CaptureQueriesContext's slice comes back empty.
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = perf_counter(), process_time()
            response = send(i)
            elapsed, cpu = perf_counter() - started, process_time() - started_cpu
        if response.status_code != 200 or marker not in response.content:
            sys.exit(f"{label}: unexpected answer {response.status_code}:\n{response.content.decode()[:2000]}")
        if i >= warmup:
            result.times_ms.append(elapsed * 1000)
            result.cpu_ms.append(cpu * 1000)
            result.queries.append(len(captured.captured_queries))
            result.sql_ms.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
    return result


def _query_count(client, url: str, *, marker: bytes) -> int:
    return _measure(url, lambda _i: client.get(url), marker=marker, iterations=2, warmup=0).queries[0]


def _measure_log_calls(client, queue: list[int], *, today, iterations: int, warmup: int) -> Result:
    """One call logged per lead, down the queue: logging them all on one lead would time a timeline that
    grows by a row per request. Each commits as in production; the finally block takes them back out."""
    from django.urls import reverse

    from activities.models import CallOutcome

    targets = [queue[i % len(queue)] for i in range(warmup + iterations)]
    data = {
        "kind": "call",
        "direction": "outbound",
        "connected": "1",
        "outcome": CallOutcome.objects.get(code="hearing").pk,
        "note": "担当者と会話。課題をヒアリング、来週デモ予定。",
        "next_approach_on": (today + timedelta(days=7)).isoformat(),
    }
    snapshot = _snapshot(targets)
    try:
        return _measure(
            "POST log a call (htmx)",
            lambda i: client.post(reverse("leads:log", args=[targets[i]]), data, HTTP_HX_REQUEST="true"),
            marker=b'data-testid="log-ok"',
            target_ms=LOG_CALL_P95_MS,
            iterations=iterations,
            warmup=warmup,
        )
    finally:
        _restore(snapshot)


def _lead_columns() -> list[str]:
    from leads.models import Lead

    return [f.column for f in Lead._meta.concrete_fields if not f.primary_key and not f.generated]


def _snapshot(lead_ids: list[int]) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM activities_activity")
        (last_activity,) = cursor.fetchone()
        cursor.execute("SELECT coalesce(max(id), 0) FROM leads_leadevent")
        (last_event,) = cursor.fetchone()
        cursor.execute(f"SELECT {', '.join(_lead_columns())}, id FROM leads_lead WHERE id = ANY(%s)", [lead_ids])
        rows = cursor.fetchall()
    return {"lead_ids": sorted(set(lead_ids)), "last_activity": last_activity, "last_event": last_event, "rows": rows}


def _restore(snapshot: dict) -> None:
    """Deletes what the logged calls added and puts their leads back as they were, in one transaction."""
    from django.db import connection, transaction

    columns = _lead_columns()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM activities_activity WHERE id > %s AND lead_id = ANY(%s)",
            [snapshot["last_activity"], snapshot["lead_ids"]],
        )
        cursor.execute(
            "DELETE FROM leads_leadevent WHERE id > %s AND lead_id = ANY(%s)",
            [snapshot["last_event"], snapshot["lead_ids"]],
        )
        cursor.executemany(
            f"UPDATE leads_lead SET ({', '.join(columns)}) = ({', '.join(['%s'] * len(columns))}) WHERE id = %s",
            snapshot["rows"],
        )


def _connect_ms() -> float:
    from django.db import connection

    samples = []
    for _ in range(10):
        connection.close()
        started = perf_counter()
        connection.ensure_connection()
        samples.append((perf_counter() - started) * 1000)
    return statistics.median(samples)


def _table_rows(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _print_table(results: list[Result]) -> None:
    print(
        f"{'request':<32}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'queries':>9}{'SQL p50':>9}{'CPU p50':>9}  "
        f"{'target (p95)':<14}result"
    )
    print(f"{'':<32}{'ms':>8}{'ms':>8}{'ms':>8}{'ms':>8}{'':>9}{'ms':>9}{'ms':>9}")
    for r in results:
        target = f"< {r.target_ms:g} ms" if r.target_ms else "-"
        verdict = ("PASS" if r.passed else "FAIL") if r.target_ms else ""
        print(
            f"{r.label:<32}{r.percentile(50):>8.1f}{r.percentile(95):>8.1f}{r.percentile(99):>8.1f}"
            f"{max(r.times_ms):>8.1f}{r.query_count:>9}{statistics.median(r.sql_ms):>9.1f}"
            f"{statistics.median(r.cpu_ms):>9.1f}  {target:<14}{verdict}"
        )


def _print_verdicts(results: list[Result], lead_page_queries: dict[int, int]) -> bool:
    by_label = {r.label: r for r in results}
    page_1, page_5 = by_label["GET  queue, page 1"], by_label["GET  queue, page 5"]
    checks = [
        (
            all(r.passed for r in results if r.target_ms == QUEUE_P95_MS),
            f"queue p95 < {QUEUE_P95_MS} ms on page 1, page 5 and filtered",
        ),
        (by_label["POST log a call (htmx)"].passed, f"log-call POST p95 < {LOG_CALL_P95_MS} ms"),
        (
            set(page_1.queries) == set(page_5.queries) and len(set(page_1.queries)) == 1,
            f"queue queries bounded: page 1 runs {page_1.query_count}, page 5 runs {page_5.query_count}",
        ),
        (
            len(set(lead_page_queries.values())) == 1,
            "lead page queries independent of its activities: "
            + ", ".join(f"{count} with {n} activities" for n, count in lead_page_queries.items()),
        ),
    ]
    print()
    for passed, text in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    return all(passed for passed, _text in checks)


if __name__ == "__main__":
    main()
