"""Soak: 50 IS reps logging calls in the browser pages and 10 FS tools polling the API, for 10 minutes, against
gunicorn, a Celery worker and beat; then every call the reps logged must be in the activities table and in the
call metrics.

    .venv/bin/python -m bench.soak                    # create, migrate and generate once, then 600 s of load
    .venv/bin/python -m bench.soak --duration 60      # a shorter run, to try it out
    .venv/bin/python -m bench.soak --help             # sizes, users, think times, workers, port

The database (kakehashi_bench_soak unless DATABASE_URL names another whose name contains "bench") is created
and migrated if needed, then filled by bench/generate.py (50 IS reps with their queues) and bench/api.py's SQL
generator (SQLs for 10 FS reps) unless it already holds them. Load comes from locust, used as a library:
each rep logs in, opens the queue, opens a lead and logs a call on it (htmx POST), with think times of a few
seconds; each FS tool lists its SQLs with an API key, follows ``next`` and fetches some of them. gunicorn
serves config.wsgi with the production settings (bench/soak_settings.py: cookies not Secure on plain HTTP)
on a free loopback port; a Celery worker and beat on REDIS_URL roll the metrics up as in production.

Afterwards the script prints the requests, the errors by kind, p50/p95/p99 per request kind and the
throughput, then checks that every call a rep got a 2xx "Logged." for is in the activities table, and waits
for the rollup until the day's call figures (dashboards.selectors.metric_table, metric "calls") have grown by
exactly the calls logged, in total and per rep. Exits 1 on any error or mismatch.
"""

import argparse
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

# Importing locust patches the standard library for gevent: it must come before Django, requests and ssl load
# (none of the modules above imports them).
import gevent
from locust import HttpUser, between, task
from locust.env import Environment
from locust.exception import StopUser
from locust.user.task import LOCUST_STATE_STOPPING

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kakehashi_bench_soak"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
SETTINGS = "bench.soak_settings"
API_PAGE_SIZE = 50
# A rep's cycle (queue, lead, call, pause) takes at least this long: how many leads a run needs per rep.
MIN_CYCLE_SECONDS = 6

TOKEN_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
LOGIN_TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUEUE_ROW_RE = re.compile(r'data-testid="queue-row" data-lead="(\d+)"')
OUTCOME_SELECT_RE = re.compile(r'<select name="outcome"[^>]*>(.*?)</select>', re.S)
OPTION_RE = re.compile(r'<option value="(\d+)"')


# --- What the users record --------------------------------------------------------------------------------------


@dataclass
class Record:
    times_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)  # (request kind, what went wrong) → count
    calls: list[tuple[str, str]] = field(default_factory=list)  # (rep username, note) of every 2xx "Logged."

    def error(self, name: str, kind: str) -> None:
        self.errors[(name, kind)] += 1


RECORD = Record()


class Soak:
    """What the users share: set by ``run_load`` before the runner starts."""

    run_id = ""
    password = ""
    reps: list[str] = []
    keys: list[str] = []
    think = 1.0
    api_pages = 3
    api_details = 2
    today = None
    seq = 0


def _think(low: float, high: float) -> None:
    gevent.sleep(random.uniform(low, high) * Soak.think)


def _request(user: HttpUser, method: str, url: str, *, name: str, ok=lambda r: None, **kwargs):
    """One request, timed by locust; ``ok`` returns what is wrong with a 2xx answer, or None. Returns the
    response when it went right, else None (the failure is counted under the request's name)."""
    if user._state == LOCUST_STATE_STOPPING:
        # The run is over: the user ends between requests, never in the middle of one.
        raise StopUser()
    started = time.perf_counter()
    try:
        with user.client.request(method, url, name=name, catch_response=True, **kwargs) as response:
            elapsed = (time.perf_counter() - started) * 1000
            if response.error is not None and response.status_code == 0:
                problem = type(response.error).__name__
            elif not 200 <= response.status_code < 300 and not (method == "POST" and response.status_code == 302):
                problem = f"HTTP {response.status_code}"
            else:
                try:
                    problem = ok(response)
                except ValueError as error:  # e.g. a body that is not the JSON expected
                    problem = f"unreadable answer ({type(error).__name__})"
            RECORD.times_ms[name].append(elapsed)
            if problem:
                response.failure(problem)
                RECORD.error(name, problem)
                return None
            response.success()
            return response
    except StopUser:
        raise
    except Exception as error:  # a client-side failure is an error of that request too
        RECORD.error(name, type(error).__name__)
        return None


class Rep(HttpUser):
    """An IS rep working the call queue in the browser: the pages and the htmx POST the lead page sends."""

    fixed_count = 50
    wait_time = between(2, 5)

    def on_start(self):
        self.username = Soak.reps.pop()
        self.called: set[int] = set()
        self.outcomes: list[str] = []
        self.client.headers["Accept-Language"] = "ja"
        page = _request(self, "GET", "/login/", name="rep: GET login page")
        token = LOGIN_TOKEN_RE.search(page.text) if page is not None else None
        if token is None:
            RECORD.error("rep: GET login page", "no login form")
            raise StopUser()
        answer = _request(
            self,
            "POST",
            "/login/",
            name="rep: POST log in",
            data={"username": self.username, "password": Soak.password, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{self.host}/login/"},
            allow_redirects=False,
            ok=lambda r: None if r.status_code == 302 else "login refused",
        )
        if answer is None:
            raise StopUser()

    @task
    def log_a_call(self):
        queue = _request(
            self,
            "GET",
            "/leads/queue/",
            name="rep: GET queue",
            ok=lambda r: None if QUEUE_ROW_RE.search(r.text) else "queue without rows",
        )
        if queue is None:
            return
        lead = next((int(pk) for pk in QUEUE_ROW_RE.findall(queue.text) if int(pk) not in self.called), None)
        if lead is None:
            RECORD.error("rep: GET queue", "every row on page 1 already called")
            return
        _think(1, 3)
        page = _request(
            self,
            "GET",
            f"/leads/{lead}/",
            name="rep: GET lead",
            ok=lambda r: None if 'data-testid="log-form"' in r.text else "no call form",
        )
        if page is None:
            return
        token = TOKEN_RE.search(page.text)
        if not self.outcomes and (select := OUTCOME_SELECT_RE.search(page.text)):
            self.outcomes = OPTION_RE.findall(select.group(1))
        if token is None or not self.outcomes:
            RECORD.error("rep: GET lead", "no CSRF token or outcomes")
            return
        _think(3, 8)  # the call itself
        Soak.seq += 1
        note = f"soak {Soak.run_id} #{Soak.seq}: 担当者と会話、課題をヒアリング。"
        connected = random.random() < 0.3
        data = {
            "kind": "call",
            "direction": "outbound",
            "connected": "1" if connected else "0",
            "outcome": random.choice(self.outcomes) if connected else "",
            "note": note,
            "next_approach_on": (Soak.today + timedelta(days=random.randint(2, 14))).isoformat(),
        }
        if connected and random.random() < 0.4:
            data["effective_conversation"] = "on"
        self.called.add(lead)
        answer = _request(
            self,
            "POST",
            f"/leads/{lead}/log/",
            name="rep: POST call (htmx)",
            data=data,
            headers={
                "HX-Request": "true",
                "HX-Current-URL": f"{self.host}/leads/{lead}/",
                "X-CSRFToken": token.group(1),
                "Referer": f"{self.host}/leads/{lead}/",
            },
            ok=lambda r: None if 'data-testid="log-ok"' in r.text else "call not logged (form errors)",
        )
        if answer is not None:
            RECORD.calls.append((self.username, note))


class FsTool(HttpUser):
    """An FS rep's tool syncing SQLs: the first page, ``next`` a few times, a few details; then a pause."""

    fixed_count = 10
    wait_time = between(5, 15)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {Soak.keys.pop()}"

    @task
    def poll(self):
        def listed(r):
            body = r.json()
            return None if body.get("results") else "empty page"

        url = f"/api/v1/handoffs/?mine=true&page_size={API_PAGE_SIZE}"
        seen: list[int] = []
        for page in range(1 + Soak.api_pages):
            name = "fs: GET handoffs, first page" if page == 0 else "fs: GET handoffs, next page"
            answer = _request(self, "GET", url, name=name, ok=listed)
            if answer is None:
                return
            body = answer.json()
            seen += [row["id"] for row in body["results"]]
            if not body.get("next"):
                break
            url = body["next"].removeprefix(self.host)
            _think(0.2, 1)
        for pk in random.sample(seen, min(Soak.api_details, len(seen))):
            _think(0.2, 1)
            _request(
                self,
                "GET",
                f"/api/v1/handoffs/{pk}/",
                name="fs: GET handoff",
                ok=lambda r, pk=pk: None if r.json().get("id") == pk else "wrong handoff",
            )


# --- Setup -----------------------------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data (generated once, kept for later runs)")
    data.add_argument("--leads", type=int, default=100_000, help="IS leads (default 100,000)")
    data.add_argument("--activities", type=int, default=300_000, help="past activities (default 300,000)")
    data.add_argument("--sqls", type=int, default=20_000, help="SQLs for the FS reps (default 20,000)")
    data.add_argument("--regenerate", action="store_true", help="wipe and generate even if the data is there")
    load = parser.add_argument_group("load")
    load.add_argument("--duration", type=int, default=600, help="seconds of load (default 600)")
    load.add_argument("--reps", type=int, default=50, help="IS reps logging calls (default 50)")
    load.add_argument("--fs-tools", type=int, default=10, help="FS tools polling the API (default 10)")
    load.add_argument("--spawn-rate", type=float, default=1, help="users started per second (default 1)")
    load.add_argument("--think", type=float, default=1.0, help="scale of every think time (default 1)")
    load.add_argument("--api-pages", type=int, default=3, help="times a poll follows next (default 3)")
    server = parser.add_argument_group("server (loopback only)")
    server.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    server.add_argument("--port", type=int, default=0, help="default: a free port")
    server.add_argument("--conn-max-age", type=int, default=60, help="CONN_MAX_AGE of the server (default 60)")
    server.add_argument(
        "--rollup-seconds", type=float, default=180, help="beat's metrics rollup interval (production's: 180)"
    )
    args = parser.parse_args(argv)
    if args.duration < 10 or args.reps < 1 or args.fs_tools < 0 or args.workers < 1 or args.think < 0:
        parser.error("--duration needs 10 s or more, --reps and --workers at least 1")

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    os.environ.setdefault("DEBUG", "false")
    url = urlsplit(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres") or "bench" not in url.path:
        sys.exit(f"DATABASE_URL must name a PostgreSQL database whose name contains 'bench', e.g. {DEFAULT_URL}")

    from bench.api import _create_database

    _create_database(url)
    from bench import django_setup

    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    prepare(args)
    sys.exit(0 if soak(args) else 1)


def prepare(args) -> None:
    """Generates the org and its data unless the database already holds enough of it for this run."""
    from django.db import connection
    from django.utils import timezone

    from bench import IS_REP_PREFIX, USERNAME_PREFIX
    from handoffs.models import Handoff
    from leads.models import Lead
    from leads.selectors import lead_queue_counts
    from org.models import User

    reps = User.objects.filter(username__startswith=IS_REP_PREFIX, role=User.Role.IS).order_by("username")
    fs = User.objects.filter(username__startswith=f"{USERNAME_PREFIX}fs", role=User.Role.FS)
    today = timezone.localdate()
    # Each logged call moves its lead to a later day: a rep needs a queue as long as the calls of a run.
    needed = int(args.duration / (MIN_CYCLE_SECONDS * max(args.think, 0.1))) + 1
    shortest = min((lead_queue_counts(user=rep, today=today)["today"] for rep in reps), default=0)
    enough = (
        reps.count() >= args.reps
        and fs.count() >= args.fs_tools
        and Lead.objects.count() >= args.leads
        and Handoff.objects.filter(to_user__in=fs).count() >= args.sqls
        and shortest >= needed
    )
    if enough and not args.regenerate:
        print(
            f"{connection.settings_dict['NAME']} holds the data (the shortest queue today: {shortest} leads, "
            f"a run needs about {needed}); --regenerate to start again."
        )
        return
    from bench.api import _insert_sqls, _vacuum_sql_tables
    from bench.generate import _step, _vacuum_analyze, generate

    started = time.perf_counter()
    generate(leads=args.leads, activities=args.activities, is_reps=args.reps, fs_reps=max(args.fs_tools, 1))
    with _step("SQL leads, deals, handoffs") as rows:
        rows.append(_insert_sqls(count=args.sqls))
    with _step("VACUUM, ANALYZE"):
        _vacuum_analyze()
        _vacuum_sql_tables()
    print(f"{'generated in':<30}{'':>12}{time.perf_counter() - started:>9.1f} s")


def soak(args) -> bool:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from bench import IS_REP_PREFIX, USERNAME_PREFIX
    from org.models import ApiToken, User
    from org.services import api_token_create

    reps = list(
        User.objects.filter(username__startswith=IS_REP_PREFIX, role=User.Role.IS)
        .order_by("username")
        .values_list("username", flat=True)[: args.reps]
    )
    fs = list(User.objects.filter(username__startswith=f"{USERNAME_PREFIX}fs").order_by("username")[: args.fs_tools])
    Soak.run_id = timezone.now().strftime("%Y%m%d%H%M%S")
    Soak.password = secrets.token_urlsafe(16)
    # One hash for every rep (the password hasher costs about a second of CPU per hash, by design).
    User.objects.filter(username__in=reps).update(password=make_password(Soak.password))
    tokens = [api_token_create(user=user, name=f"bench/soak.py {Soak.run_id}") for user in fs]
    Soak.reps, Soak.keys = list(reps), [key for _token, key in tokens]
    Soak.think, Soak.api_pages = args.think, args.api_pages
    try:
        baseline = metrics_baseline(reps)
        port = args.port or _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "CONN_MAX_AGE": str(args.conn_max_age),
            "METRICS_ROLLUP_SECONDS": str(args.rollup_seconds),
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
        _collectstatic(env)
        connection.close()  # nothing of ours holds a connection open while the load runs
        with ExitStack() as stack:
            logs = {}
            for label, command in _processes(args=args, port=port).items():
                logs[label] = stack.enter_context(_process(label, command, env=env))
            _wait_until_serving(port)
            print(
                f"\ngunicorn config.wsgi ({args.workers} sync workers, {SETTINGS}, CONN_MAX_AGE={args.conn_max_age}) "
                f"on 127.0.0.1:{port}; Celery worker and beat on {_redacted(os.environ['REDIS_URL'])} "
                f"(metrics rollup every {args.rollup_seconds:g} s); database {connection.settings_dict['NAME']}."
            )
            load_before = os.getloadavg()
            started = time.perf_counter()
            run_load(args=args, host=f"http://127.0.0.1:{port}")
            elapsed = time.perf_counter() - started
            load_after = os.getloadavg()
            print_figures(elapsed=elapsed, load_before=load_before, load_after=load_after)
            # The worker and beat keep running: the rollup of the last calls is theirs to do.
            checks = verify(reps=reps, baseline=baseline, wait=2 * args.rollup_seconds + 300)
    finally:
        ApiToken.objects.filter(pk__in=[token.pk for token, _key in tokens]).delete()
    for label, errors in logs.items():
        if errors:
            checks.append((False, f"{label} logged {len(errors)} error lines; the first: {errors[0][:300]}"))
    checks.insert(0, (not RECORD.errors, f"no request failed ({sum(RECORD.errors.values())} did)"))
    print()
    for passed, text in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    return all(passed for passed, _text in checks)


def _collectstatic(env: dict) -> None:
    """As a deployment does: the production settings serve the static files from their manifest. Skipped
    while the manifest is newer than every file of static/ (compressing them all takes a while)."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    newest = max(path.stat().st_mtime for path in (ROOT / "static").rglob("*") if path.is_file())
    if manifest.exists() and manifest.stat().st_mtime > newest:
        return
    started = time.perf_counter()
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    print(f"collectstatic: {time.perf_counter() - started:.0f} s.")


def _processes(*, args, port: int) -> dict[str, list[str]]:
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    return {
        "gunicorn": [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        "celery worker": [*celery, "worker", "--loglevel", "warning", "--concurrency", "1", "--without-mingle"],
        "celery beat": [*celery, "beat", "--loglevel", "warning", "--pidfile", ""],
    }


@contextmanager
def _process(label: str, command: list[str], *, env: dict):
    """A server process for as long as the block runs, stopped by its own pid; yields a list that holds the
    error lines of its log once it has stopped."""
    errors: list[str] = []
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield errors
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                errors.append(f"{label} did not stop within 60 s after SIGTERM: killed")
                process.kill()
                process.wait()
            log.seek(0)
            errors += [line for line in log.read().splitlines() if re.search(r"ERROR|CRITICAL|Traceback", line)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(port: int) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    sys.exit("gunicorn did not answer /health/ within 60 s.")


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl()


# --- Load ------------------------------------------------------------------------------------------------------


def run_load(*, args, host: str) -> None:
    from django.utils import timezone

    Soak.today = timezone.localdate()
    Rep.fixed_count, FsTool.fixed_count = args.reps, args.fs_tools
    Rep.host = FsTool.host = host
    classes = [Rep, FsTool] if args.fs_tools else [Rep]
    # Users stopping at the end finish the request they are in (stop_timeout), so no call is cut off.
    environment = Environment(user_classes=classes, stop_timeout=120, catch_exceptions=True)
    runner = environment.create_local_runner()
    users = args.reps + args.fs_tools
    print(
        f"Load: {args.reps} IS reps and {args.fs_tools} FS tools, started at {args.spawn_rate:g}/s, "
        f"for {args.duration} s (think times x{args.think:g}); run id {Soak.run_id}.",
        flush=True,
    )
    runner.start(users, spawn_rate=args.spawn_rate)
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        gevent.sleep(min(60, max(0.0, deadline - time.monotonic())))
        left = deadline - time.monotonic()
        if left > 1:
            total = environment.stats.total
            print(
                f"  {args.duration - left:>5.0f} s: {total.num_requests:,} requests, {total.num_failures} failed, "
                f"{len(RECORD.calls):,} calls logged; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    runner.stop()
    runner.quit()
    for key, (message, count) in {k: (v["msg"], v["count"]) for k, v in runner.exceptions.items()}.items():
        RECORD.error("user code", f"{message} ({key})")
        print(f"Exception in the load's own code, {count} times: {message}")


def print_figures(*, elapsed: float, load_before, load_after) -> None:
    total = sum(len(times) for times in RECORD.times_ms.values())
    errors = sum(RECORD.errors.values())
    print(
        f"\n{total:,} requests in {elapsed:.0f} s ({total / elapsed:.1f}/s), {errors} errors; "
        f"{len(RECORD.calls):,} calls logged ({len(RECORD.calls) / elapsed * 60:.0f}/min). "
        f"Load average {_load(load_before)} before, {_load(load_after)} after, on {os.cpu_count()} cores "
        "(the load itself, server and PostgreSQL included, shares them)."
    )
    print(f"\n{'request':<32}{'count':>8}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    errors_by_name = Counter()
    for (name, _kind), count in RECORD.errors.items():
        errors_by_name[name] += count
    for name in sorted(RECORD.times_ms):
        times = RECORD.times_ms[name]
        p50, p95, p99 = _percentiles(times)
        print(
            f"{name:<32}{len(times):>8,}{errors_by_name[name]:>8}{len(times) / elapsed:>8.2f}"
            f"{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}{max(times):>9.0f}"
        )
    if RECORD.errors:
        print("\nErrors by kind:")
        for (name, kind), count in RECORD.errors.most_common():
            print(f"  {count:>6}  {name}: {kind}")


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    if len(times) < 2:
        return (times[0],) * 3 if times else (0.0,) * 3
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _load(values) -> str:
    return "/".join(f"{value:.2f}" for value in values)


# --- Verification ----------------------------------------------------------------------------------------------


def _calls_facts(days) -> int:
    from dashboards.metrics import METRICS
    from dashboards.rollup import in_range

    definition = METRICS["calls"]
    return definition.facts().filter(in_range(definition, min(days), max(days))).count()


def _calls_figures(days) -> tuple[int, dict[str, int]]:
    """The day figures of the "calls" metric, read as the dashboards read them: total and per rep (pk)."""
    from dashboards.models import Grain
    from dashboards.selectors import metric_table

    total, per_rep = 0, Counter()
    for day in days:
        total += sum(f.numerator for f in metric_table(grain=Grain.DAY, period_start=day, metrics=["calls"]))
        for figure in metric_table(grain=Grain.DAY, period_start=day, metrics=["calls"], dimension="rep"):
            per_rep[figure.dim_value] += figure.numerator
    return total, per_rep


def metrics_baseline(reps: list[str]) -> dict:
    """Today's call figures before the load, rolled up to date in-process so they match the facts."""
    from django.utils import timezone

    from dashboards.services import metrics_mark_dirty, metrics_rollup_dirty

    today = timezone.localdate()
    metrics_mark_dirty(days=[today])
    while metrics_rollup_dirty().more:
        pass
    total, per_rep = _calls_figures([today])
    facts = _calls_facts([today])
    print(f"Before the load: {facts:,} calls today in the activities table, {total:,} in the call metric.")
    if total != facts:
        sys.exit("The call metric does not match the activities before the load even starts: see dashboards.")
    return {"day": today, "total": total, "per_rep": per_rep, "facts": facts}


def verify(*, reps: list[str], baseline: dict, wait: float) -> list[tuple[bool, str]]:
    from django.db import close_old_connections
    from django.utils import timezone

    from activities.models import Activity
    from dashboards.models import DirtyDay
    from org.models import User

    close_old_connections()
    days = [baseline["day"] + timedelta(days=n) for n in range((timezone.localdate() - baseline["day"]).days + 1)]
    posted = Counter(username for username, _note in RECORD.calls)
    notes = {note for _username, note in RECORD.calls}
    stored = list(
        Activity.objects.filter(note__startswith=f"soak {Soak.run_id} #").values_list("note", "actor__username", "kind")
    )
    stored_notes = {note for note, _actor, _kind in stored}
    checks = [
        (bool(RECORD.calls), f"the reps logged calls ({len(RECORD.calls):,})"),
        (
            notes <= stored_notes,
            f"every call logged with a 2xx is in the activities table ({len(notes - stored_notes)} missing)",
        ),
        (
            len(stored) == len(RECORD.calls),
            f"and nothing else: {len(stored):,} activities of this run for {len(RECORD.calls):,} calls logged",
        ),
        (
            all(kind == Activity.Kind.CALL for _n, _a, kind in stored)
            and Counter(actor for _n, actor, _k in stored) == posted,
            "each one a call by the rep who logged it",
        ),
    ]
    # A logged call marks its own day and the days its lead sits on (created, next approach before and after).
    print(f"\nWhen the load ended {DirtyDay.objects.count()} days were marked dirty for the rollup.")
    expected = baseline["total"] + len(RECORD.calls)
    pks = dict(User.objects.filter(username__in=reps).values_list("username", "pk"))
    expected_per_rep = Counter({str(pks[name]): count for name, count in posted.items()})
    expected_per_rep.update(baseline["per_rep"])
    print(f"Waiting for the Celery rollup until the call metric shows {expected:,} calls (at most {wait:g} s).")
    started = time.monotonic()
    while True:
        total, per_rep = _calls_figures(days)
        dirty = DirtyDay.objects.filter(day__in=days).exists()
        if (total == expected and not dirty) or time.monotonic() - started > wait:
            break
        time.sleep(5)
        close_old_connections()
    facts = _calls_facts(days)
    print(
        f"After {time.monotonic() - started:.0f} s: {total:,} calls in the metric for {', '.join(map(str, days))} "
        f"({total - baseline['total']:+,}), {facts:,} in the activities table; days still marked dirty: {dirty}."
    )
    checks += [
        (
            total == expected,
            f"the call metric grew by the calls logged: {total - baseline['total']:,} of {len(RECORD.calls):,}",
        ),
        (
            +per_rep == +expected_per_rep,
            f"per rep too ({sum(1 for k in expected_per_rep if per_rep[k] != expected_per_rep[k])} reps differ)",
        ),
        (facts == baseline["facts"] + len(RECORD.calls), f"the activities table has {facts:,} calls on those days"),
    ]
    return checks


if __name__ == "__main__":
    main()
