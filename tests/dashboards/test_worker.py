"""The incremental rollup run by a real Celery worker, through Redis, against the test database.

What operations rely on: the figures the worker writes for the marked days are exactly what a full
rebuild computes from the facts; and a worker killed in the middle of a rollup leaves nothing half
written: its marks stay, the figures stay as they were, the unacknowledged task (``acks_late``) is
delivered again, and the rerun writes the rebuild's figures.

A worker reads committed rows over its own connection, hence real transactions (and PostgreSQL, for the
row locks). The worker gets a Redis database of its own, emptied before and after, so stray messages
neither reach it nor outlive the test. REDIS_URL is required: without it the test fails, never skips."""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from config.celery import app
from dashboards.models import DirtyDay, MetricValue, RollupState
from dashboards.services import metrics_rebuild, metrics_rollup_dirty
from dashboards.tasks import rollup_dirty_days
from tests.activities.factories import ActivityFactory
from tests.defaults import ensure_default_data
from tests.handoffs.factories import HandoffFactory
from tests.helpers import TOKYO
from tests.leads.factories import LeadFactory
from tests.org.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]

MON, WED, THU = date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 19)
WORKER_REDIS_DB = 15  # the worker's own Redis database (14 if REDIS_URL already uses 15)
TIMEOUT = 20.0  # seconds for any one thing a worker does
FIGURE = ("metric", "grain", "period_start", "dimension", "dim_value", "numerator", "denominator")


def jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


# --- the harness: a Redis database of the test's own and worker subprocesses -------------------------------


@dataclass(frozen=True)
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Cluster:
    """Worker subprocesses on a Redis database of their own; ``close`` kills them and empties it."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.workers: list[Worker] = []
        self.broker_url = ""
        self.redis = None
        self.was_eager = app.conf.task_always_eager

    def connect(self) -> None:
        """Points this process at the workers' broker: publishing, not running tasks in-process."""
        base = os.environ.get("REDIS_URL") or pytest.fail(
            "REDIS_URL is not set: this test runs a real Celery worker and needs Redis, e.g. "
            "REDIS_URL=redis://127.0.0.1:6379/0 (CI sets it with DATABASE_URL).",
            pytrace=False,
        )
        parts = urlsplit(base)
        db = WORKER_REDIS_DB if parts.path.strip("/") != str(WORKER_REDIS_DB) else WORKER_REDIS_DB - 1
        self.broker_url = parts._replace(path=f"/{db}").geturl()
        self.redis = redis.Redis.from_url(self.broker_url)
        self.redis.flushdb()
        app.conf.task_always_eager = False

    def database_url(self, application_name: str) -> str:
        """The test database pytest-django created, named so the worker's sessions can be found."""
        s = connection.settings_dict
        auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{quote(s['NAME'])}?application_name={application_name}"

    def start(self) -> Worker:
        """Starts a worker and waits until it consumes. Its name is also its database sessions' name."""
        name = f"kakehashi-test-{uuid.uuid4().hex[:8]}"
        log = self.tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": self.database_url(name),
            "REDIS_URL": self.broker_url,
            "SLACK_WEBHOOK_URL": "",
            "CONN_MAX_AGE": "0",
        }
        command = [
            str(Path(sys.executable).with_name("celery")),
            *("-A", "config", "worker", "--pool", "solo", "--concurrency", "1", "-l", "info"),
            *("-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole, whatever it forked
            )
        worker = Worker(name, process, log)
        self.workers.append(worker)
        self.wait(f"worker {name} to start", lambda: " ready." in worker.log(), worker=worker)
        return worker

    def finish(self, worker: Worker, task_id: str) -> None:
        """Waits until ``worker`` has run the rollup ``task_id`` and the alert evaluation it queues."""
        for task, pattern in (("rollup_dirty_days", task_id), ("evaluate_alerts", r"[0-9a-f-]+")):
            done = re.compile(rf"Task dashboards\.tasks\.{task}\[{pattern}\] succeeded")
            self.wait(f"{task} to succeed on {worker.name}", lambda done=done: done.search(worker.log()), worker=worker)

    def send(self, task) -> str:
        """Publishes ``task`` to Redis (never run in this process); returns the task id."""
        with app.connection_for_write(self.broker_url) as broker:
            return task.apply_async(connection=broker).id

    def kill(self, worker: Worker) -> int:
        """SIGKILL, as the OOM killer or a lost host would: no warm shutdown, nothing acknowledged."""
        if worker.process.poll() is None:
            os.killpg(worker.process.pid, signal.SIGKILL)
        return worker.process.wait(timeout=TIMEOUT)

    def redeliver_unacknowledged(self) -> None:
        """What the Redis transport does for a message left unacknowledged longer than its visibility
        timeout (an hour by default): put it back in its queue. Here without the hour."""
        with Connection(self.broker_url, transport_options={"visibility_timeout": 0}) as broker:
            broker.default_channel.qos.restore_visible(num=100)

    def wait(self, what: str, condition, *, worker: Worker | None = None, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if worker is not None and worker.process.poll() is not None:
                pytest.fail(f"{worker.name} exited ({worker.process.returncode}) before {what}\n{self.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{self.logs()}")
            time.sleep(0.1)

    def logs(self) -> str:
        return "\n".join(f"--- {worker.name} ---\n{worker.log()[-3000:]}" for worker in self.workers)

    def close(self) -> None:
        for worker in self.workers:
            self.kill(worker)
        if self.redis is not None:
            self.redis.flushdb()
            self.redis.close()
        app.conf.task_always_eager = self.was_eager


@pytest.fixture(autouse=True)
def default_data(transactional_db):
    ensure_default_data()


@pytest.fixture
def cluster(transactional_db, tmp_path):
    cluster = Cluster(tmp_path)
    try:
        yield cluster
    finally:
        cluster.close()


# --- reading the figures and the database sessions --------------------------------------------------------


def figures() -> set[tuple]:
    return set(MetricValue.objects.values_list(*FIGURE))


def stored_rows() -> set[tuple]:
    """The figures with the moment each was computed: any rewrite shows."""
    return set(MetricValue.objects.values_list(*FIGURE, "computed_at"))


def totals(metric: str) -> dict[tuple[str, date], int]:
    rows = MetricValue.objects.filter(metric=metric, dimension="").values_list("grain", "period_start", "numerator")
    return {(grain, start): numerator for grain, start, numerator in rows}


def rebuilt(*, first_day: date, last_day: date, today: date) -> set[tuple]:
    """The figures a full rebuild computes for the days, from the facts alone (no earlier rows)."""
    MetricValue.objects.all().delete()
    metrics_rebuild(first_day=first_day, last_day=last_day, today=today)
    return figures()


def sessions(application_name: str) -> list[tuple]:
    """(wait event type, state, query) of each database session of a worker."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type, state, query FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        )
        return cursor.fetchall()


def blocked_on_a_lock(application_name: str) -> list[tuple]:
    return [session for session in sessions(application_name) if session[0] == "Lock"]


def marks() -> list[tuple[date, int]]:
    return list(DirtyDay.objects.order_by("day").values_list("day", "version"))


# --- the world ------------------------------------------------------------------------------------------


def build_world() -> dict:
    """Rep A of team SDR calls lead L twice on Monday 16 November, once on Wednesday and three times on
    Thursday, when L is handed to FS rep F as an SQL; L is scheduled for Wednesday. Built at Thursday
    18:00 in Tokyo, so every fact (and every mark) sits on those three days."""
    with time_machine.travel(jst(11, 19, 18), tick=False):
        rep = UserFactory(username="rep_a", team=TeamFactory(name="SDR"))
        lead = LeadFactory(owner=rep, next_approach_on=WED)
        ActivityFactory.create_batch(2, lead=lead, occurred_at=jst(11, 16, 10))
        ActivityFactory(lead=lead, occurred_at=jst(11, 18, 14))
        ActivityFactory.create_batch(3, lead=lead, occurred_at=jst(11, 19, 16))
        HandoffFactory(lead=lead, fs_rep=UserFactory(username="fs_f", fs=True), accepted=True)
    return {"rep": rep, "lead": lead}


# --- the tests ------------------------------------------------------------------------------------------


def test_a_worker_rolls_up_the_marked_days_to_exactly_the_figures_of_a_full_rebuild(cluster):
    build_world()
    assert [day for day, _version in marks()] == [MON, WED, THU]
    cluster.connect()
    worker = cluster.start()

    cluster.finish(worker, cluster.send(rollup_dirty_days))

    rolled_up = figures()
    state = RollupState.objects.get()
    assert (marks(), state.last_rollup_days) == ([], 3)
    assert totals("activities") == {
        ("day", MON): 2,
        ("day", WED): 1,
        ("day", THU): 3,
        ("week", MON): 6,
        ("month", date(2026, 11, 1)): 6,
    }
    assert totals("sqls") == {("day", THU): 1, ("week", MON): 1, ("month", date(2026, 11, 1)): 1}
    assert rolled_up == rebuilt(first_day=MON, last_day=THU, today=timezone.localdate(state.last_rollup_at))


def test_a_worker_killed_mid_rollup_leaves_nothing_half_written_and_the_redelivered_task_finishes_it(cluster):
    w = build_world()
    metrics_rollup_dirty()  # Thursday evening's figures, written before the worker starts
    before, rolled_at = stored_rows(), RollupState.objects.get().last_rollup_at
    ActivityFactory(lead=w["lead"], occurred_at=jst(11, 18, 15))  # a late entry for Wednesday
    assert marks() == [(WED, 1)]
    cluster.connect()

    # Another session holds Wednesday's activity count, so the worker's rollup stops when it rewrites it:
    # inside its transaction, holding the rollup lock, after the figures it wrote before that one.
    locker = connection.get_new_connection(connection.get_connection_params())
    try:
        with locker.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM dashboards_metricvalue WHERE metric = 'activities' AND grain = 'day' "
                "AND period_start = %s AND dimension = '' FOR UPDATE",
                [WED],
            )
            assert len(cursor.fetchall()) == 1
        doomed = cluster.start()
        task_id = cluster.send(rollup_dirty_days)
        cluster.wait("its rollup to block on the held row", lambda: blocked_on_a_lock(doomed.name), worker=doomed)
        [(wait_event_type, state, query)] = blocked_on_a_lock(doomed.name)
        assert (wait_event_type, state, query.startswith("INSERT INTO dashboards_metricvalue")) == (
            "Lock",
            "active",
            True,
        )

        returncode = cluster.kill(doomed)
    finally:
        locker.rollback()
        locker.close()
    # The killed worker's session finds its client gone once it gets the row, and rolls back.
    cluster.wait("the killed worker's database session to end", lambda: not sessions(doomed.name))

    assert returncode == -signal.SIGKILL
    assert (marks(), stored_rows(), RollupState.objects.get().last_rollup_at) == ([(WED, 1)], before, rolled_at)
    assert (cluster.redis.hlen("unacked"), cluster.redis.llen("celery")) == (1, 0)  # taken, never acknowledged

    cluster.redeliver_unacknowledged()
    cluster.finish(cluster.start(), task_id)  # the same message, now marked redelivered

    state = RollupState.objects.get()
    rolled_up = figures()
    assert (marks(), state.last_rollup_days, state.last_rollup_at > rolled_at) == ([], 1, True)
    assert (totals("activities")[("day", WED)], totals("activities")[("week", MON)]) == (2, 7)
    assert (cluster.redis.hlen("unacked"), cluster.redis.llen("celery")) == (0, 0)
    assert rolled_up == rebuilt(first_day=MON, last_day=THU, today=timezone.localdate(state.last_rollup_at))
