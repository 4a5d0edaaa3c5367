"""Throughput of the MA tool's touch-point webhook: signed events POSTed one after another in-process
(Django's test client: middleware, signature check, parsing, matching, scoring, distribution, commit).

    make bench-webhook
    .venv/bin/python -m bench.webhook --events 2000 --known-leads 500

The database (kakehashi_bench_webhook unless DATABASE_URL names another whose name contains "bench") is
created and migrated if needed. The run adds a team of IS reps on shift and leads with known emails, sends
the events (mostly page views, mail opens and clicks of known leads; some demo clicks and trial requests,
which fire the default scoring rules and make leads hot; a share from unknown people, which creates and
distributes a lead; and a share of replays of an event already sent), then deletes everything it added.
Exits 1 when an answer is not the expected one or a target is missed.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import warnings
from collections import Counter
from urllib.parse import urlsplit

from bench.api import _create_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kakehashi_bench_webhook"
SECRET = "bench-touchpoint-secret-0123456789"
PREFIX = "bench-wh"
P95_TARGET_MS = 50
RATE_TARGET = 50  # requests per second, one client, in-process

# What the MA tool sends, by share: known people's page views dominate.
MIX = [
    ("page_view", 0.55),
    ("email_open", 0.15),
    ("email_click", 0.08),
    ("demo_click", 0.03),
    ("form", 0.02),
    ("seminar", 0.01),
    ("trial", 0.01),
]
PAGES = ["pricing", "case-studies", "blog/attendance", "features"]
NEW_PERSON_SHARE = 0.10
REPLAY_SHARE = 0.05


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--events", type=int, default=2000, help="signed requests to time (default 2,000)")
    parser.add_argument("--warmup", type=int, default=50, help="requests sent first and not timed (default 50)")
    parser.add_argument("--known-leads", type=int, default=500, help="leads whose emails events match (default 500)")
    parser.add_argument("--reps", type=int, default=6, help="IS reps on shift new leads go to (default 6)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the rows the run added")
    args = parser.parse_args(argv)
    if args.events < 20 or args.known_leads < 1 or args.reps < 1:
        parser.error("--events needs at least 20, --known-leads and --reps at least 1")

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DEBUG", "false")
    # Without a broker the hot-lead tasks run in the request, as they do on a laptop; their log lines are noise.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ["TOUCHPOINT_WEBHOOK_SECRET"] = SECRET
    url = urlsplit(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres") or "bench" not in url.path:
        sys.exit(f"DATABASE_URL must name a PostgreSQL database whose name contains 'bench', e.g. {DEFAULT_URL}")
    _create_database(url)
    from bench import django_setup

    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _cleanup()
    team = _setup(reps=args.reps, known=args.known_leads)
    try:
        passed = benchmark(events=args.events, warmup=args.warmup, known=args.known_leads, seed=args.seed, team=team)
    finally:
        if not args.keep:
            _cleanup()
    sys.exit(0 if passed else 1)


def _setup(*, reps: int, known: int):
    from django.db import transaction

    from leads.models import LeadSource
    from leads.services import company_create, lead_create
    from org.models import Team, User
    from org.services import user_create

    with transaction.atomic():
        team = Team.objects.create(name=f"Bench webhook SDR {time.time_ns()}", kind=Team.Kind.SDR)
        members = [
            user_create(username=f"{PREFIX}-{n:02d}", password=None, role=User.Role.IS, team=team)
            for n in range(1, reps + 1)
        ]
        source = LeadSource.objects.get(code="web_inquiry")
        for n in range(known):
            company = company_create(name=f"{PREFIX} 株式会社{n}", employee_count=10 + n % 900)
            lead_create(
                actor=None,
                company=company,
                last_name="山田",
                email=f"{PREFIX}-known-{n}@example.jp",
                source=source,
                origin="inbound",
                owner=members[n % reps],
            )
    return team


def _cleanup() -> None:
    """Deletes what a run added (and what an interrupted run left)."""
    from django.db import transaction

    from dashboards.models import Alert
    from leads.models import Company, DistributionCursor, Lead, TouchPoint
    from org.models import Team, User

    with transaction.atomic():
        leads = Lead.objects.filter(email__startswith=PREFIX)
        Alert.objects.filter(lead__in=leads).delete()
        TouchPoint.objects.filter(external_id__startswith=PREFIX).delete()
        TouchPoint.objects.filter(lead__in=leads).delete()
        leads.delete()
        Company.objects.filter(name__startswith=PREFIX).delete()
        teams = Team.objects.filter(name__startswith="Bench webhook SDR")
        DistributionCursor.objects.filter(pool__in=[f"team:{pk}" for pk in teams.values_list("pk", flat=True)]).delete()
        User.objects.filter(username__startswith=f"{PREFIX}-").delete()
        teams.delete()


def _events(*, count: int, known: int, seed: int, label: str):
    """(body, expected status) pairs: a deterministic mix of kinds, people and replays."""
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    sent: list[dict] = []
    for n in range(count):
        if sent and rng.random() < REPLAY_SHARE:
            yield rng.choice(sent), 201
            continue
        kind = rng.choices(kinds, weights)[0]
        body = {
            "event_id": f"{PREFIX}-{label}-{n}",
            "kind": kind,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - rng.randint(0, 3600))),
            "url": "https://kakehashi.example.com/" + ("demo" if kind == "demo_click" else rng.choice(PAGES)),
        }
        if rng.random() < NEW_PERSON_SHARE:
            body["email"] = f"{PREFIX}-new-{label}-{n}@example.jp"
            body["contact"] = {"last_name": "佐藤", "company": f"{PREFIX} 新規株式会社{label}{n}", "employee_count": 40}
        else:
            body["email"] = f"{PREFIX}-known-{rng.randrange(known)}@example.jp"
        sent.append(body)
        yield body, 201


def _post(client, body: dict):
    from leads.touchpoints import touch_point_signature

    data = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    signature = "sha256=" + touch_point_signature(secret=SECRET, timestamp=stamp, body=data)
    return client.post(
        "/api/v1/touchpoints/",
        data,
        content_type="application/json",
        headers={"X-Kakehashi-Signature": signature, "X-Kakehashi-Timestamp": stamp},
    )


def benchmark(*, events: int, warmup: int, known: int, seed: int, team) -> bool:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from leads.models import Lead, TouchPoint

    client = Client()
    for body, _status in _events(count=warmup, known=known, seed=seed + 1, label="warmup"):
        _post(client, body)
    leads_before, touch_points_before = Lead.objects.count(), TouchPoint.objects.count()
    hot_before = Lead.objects.filter(is_hot=True, email__startswith=PREFIX).count()

    times_ms, queries, statuses, unexpected = [], [], Counter(), 0
    started = time.perf_counter()
    for body, expected in _events(count=events, known=known, seed=seed, label="run"):
        connection.queries_log.clear()  # the log keeps 9,000 queries: past that the count would be wrong
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = _post(client, body)
            times_ms.append((time.perf_counter() - t0) * 1000)
        queries.append(len(captured))
        statuses[response.status_code] += 1
        unexpected += response.status_code != expected
    elapsed = time.perf_counter() - started

    new_touch_points = TouchPoint.objects.count() - touch_points_before
    replays = events - new_touch_points
    quantiles = statistics.quantiles(times_ms, n=100, method="inclusive")
    p50, p95, p99 = quantiles[49], quantiles[94], quantiles[98]
    rate = events / elapsed
    print(
        f"{events:,} signed touch-point events, one client, in-process (django.test.Client), "
        f"PostgreSQL {connection.settings_dict['NAME']}, after {warmup} warm-up requests"
    )
    print(
        f"  written: {new_touch_points:,} touch points, {Lead.objects.count() - leads_before:,} new leads "
        f"(distributed over {team.members.count()} reps), "
        f"{Lead.objects.filter(is_hot=True, email__startswith=PREFIX).count() - hot_before:,} leads turned hot; "
        f"{replays:,} replays answered without writing"
    )
    print(
        f"  answers: {dict(sorted(statuses.items()))}; SQL queries per request: median {statistics.median(queries):.0f}"
    )
    print(f"{'requests/s':>12}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(f"{rate:>12.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{max(times_ms):>9.1f}")
    checks = [
        (unexpected == 0, f"every answer as expected ({unexpected} not)"),
        (p95 < P95_TARGET_MS, f"p95 < {P95_TARGET_MS} ms"),
        (rate >= RATE_TARGET, f"at least {RATE_TARGET} requests/s from one client"),
    ]
    for ok, label in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    return all(ok for ok, _label in checks)


if __name__ == "__main__":
    main()
