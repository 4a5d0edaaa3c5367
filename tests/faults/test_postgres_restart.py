"""PostgreSQL restarts (an upgrade, a failover, a crash) while the app serves requests: requests may fail
while it is down, and every request after it is back succeeds, with no restart of the app. The app keeps
its connections open (CONN_MAX_AGE) and checks a kept connection before reusing it (CONN_HEALTH_CHECKS), so
the first request after a restart reconnects instead of failing on the dead connection, also when nothing
ran during the restart to find the connection broken.

A Celery worker, which keeps its connection too, runs a task before and after the restarts: the first
task after them succeeds, with no retry.

The restart needs a PostgreSQL of the test's own: a private cluster holding a copy of the test database,
served by a real gunicorn and worker. The machine's PostgreSQL is never restarted."""

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from org.services import api_token_create
from org.tasks import relay_outbox
from tests.org.factories import UserFactory

from .harness import PrivateCluster, Workers, free_port, wait_for

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster():
    cluster = PrivateCluster()
    try:
        cluster.init_and_start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def serve(tmp_path):
    started = []

    def serve(database_url: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "false",
            "DATABASE_URL": database_url,
            "CONN_MAX_AGE": "600",
            "REDIS_URL": "",
        }
        log = (tmp_path / "gunicorn.log").open("wb")
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--timeout",
                "30",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_for(
            "gunicorn to answer",
            lambda: status(f"{base}/health/") == 200,
            logs=lambda: (tmp_path / "gunicorn.log").read_text(),
        )
        return base, process

    yield serve
    for process in started:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def workers(cluster, private_redis, tmp_path):
    """Celery workers on the private cluster, keeping their connections like the app."""
    cluster_workers = Workers(
        private_redis.url,
        tmp_path,
        database=lambda name: cluster.url("kakehashi", application_name=name),
        CONN_MAX_AGE="600",
    )
    try:
        yield cluster_workers
    finally:
        cluster_workers.close()


def status(url: str, headers: dict | None = None) -> int | str:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError) as error:
        return type(error).__name__


def worker_pids(master: subprocess.Popen) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master.pid)], capture_output=True, text=True).stdout
    return {int(pid) for pid in out.split()}


def test_the_app_and_a_worker_serve_again_right_after_postgresql_restarts_without_being_restarted(
    cluster, serve, workers
):
    _token, key = api_token_create(user=UserFactory(fs=True), name="load")
    cluster.copy_database("kakehashi")
    base, master = serve(cluster.url("kakehashi"))
    pids = worker_pids(master)
    celery = workers.start()
    relay_outbox.delay()  # a task that reads the database
    workers.wait("the worker's first task", lambda: celery.succeeded("org.tasks.relay_outbox") == 1)
    results: list[tuple[float, float, int | str]] = []  # (started, finished, HTTP status or error)
    stop = threading.Event()

    def load():
        # A page that reads a row and an API call that authenticates a key: both need the database.
        requests = [(f"{base}/health/", {}), (f"{base}/api/v1/phases/", {"Authorization": f"Token {key}"})]
        while not stop.is_set():
            for url, headers in requests:
                started = time.monotonic()
                code = status(url, headers)
                results.append((started, time.monotonic(), code))

    loader = threading.Thread(target=load)
    loader.start()
    try:
        wait_for("requests before the restart", lambda: len(results) >= 10)
        restart_began = time.monotonic()
        cluster.restart()  # pg_ctl restart -m fast: every connection is cut
        restart_ended = time.monotonic()
        wait_for("requests after the restart", lambda: sum(at > restart_ended for at, _, _ in results) >= 20)
    finally:
        stop.set()
        loader.join(timeout=10)

    # Requests overlapping the restart may fail; every one before it and after it succeeds.
    before = {code for _, finished, code in results if finished < restart_began}
    after = [code for started, _, code in results if started > restart_ended]
    assert (before, set(after), len(after) >= 20) == ({200}, {200}, True)
    # Restarted while the app is idle: its kept connection is dead, and the very first request must notice.
    cluster.restart()
    assert [status(f"{base}/api/v1/phases/", {"Authorization": f"Token {key}"}) for _ in range(3)] == [200] * 3
    relay_outbox.delay()
    workers.wait("the worker's task after the restarts", lambda: celery.succeeded("org.tasks.relay_outbox") == 2)
    assert (celery.process.poll(), "raised unexpected" in celery.log()) == (None, False)
    assert (master.poll(), worker_pids(master)) == (None, pids)  # the same gunicorn worker served throughout
