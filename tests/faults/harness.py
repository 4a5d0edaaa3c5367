"""Real processes for the fault tests: a private redis-server, Celery workers and a private PostgreSQL
cluster, each started and killed by the test that needs it. The machine's own Redis and PostgreSQL are never
stopped. A missing redis-server or initdb fails the test: the faults are what these tests are about."""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import Connection

from config.celery import app

TIMEOUT = 20.0  # seconds for any one thing a process does


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, condition: Callable[[], object], *, timeout: float = TIMEOUT, logs: Callable[[], str] = str):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")
        time.sleep(0.05)
    return result


def required_program(name: str, pattern: str = "") -> str:
    """The program on the PATH or, failing that, the newest match of ``pattern``; fails the test without."""
    found = shutil.which(name) or (sorted(glob.glob(pattern))[-1:] or [None])[0]
    if found is None:
        pytest.fail(f"{name} is needed for the fault tests (apt-get install redis-server postgresql)", pytrace=False)
    return found


# --- Redis ------------------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence: stopping it loses everything,
    as a crashed or replaced Redis does."""

    def __init__(self):
        self.program = required_program("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"redis-server on port {self.port}", self._answers)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def redeliver_unacknowledged(self) -> None:
        """What the Redis transport does with a message left unacknowledged longer than its visibility
        timeout (an hour by default): put it back in its queue. Here without the hour."""
        with Connection(self.url, transport_options={"visibility_timeout": 0}) as broker:
            broker.default_channel.qos.restore_visible(num=100)


def use_broker(url: str | None) -> None:
    """Points this process's publishing at ``url`` (a real broker, nothing eager), or back to the settings."""
    app.conf.broker_url = url or settings.CELERY_BROKER_URL
    app.conf.task_always_eager = url is None and settings.CELERY_TASK_ALWAYS_EAGER
    app._pool = None
    app.amqp._producer_pool = None


# --- Celery workers -----------------------------------------------------------------------------------------


def database_url(application_name: str) -> str:
    """The test database pytest-django created, named so the worker's sessions can be found."""
    s = connection.settings_dict
    auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{quote(s['NAME'])}?application_name={application_name}"


@dataclass(frozen=True)
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def succeeded(self, task: str) -> int:
        """How many ``task`` messages this worker has run to the end."""
        return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", self.log()))

    def kill(self) -> int:
        """SIGKILL, as the OOM killer or a lost host would: no warm shutdown, nothing acknowledged."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=TIMEOUT)


class Workers:
    """Celery worker subprocesses on the private Redis, against the test database; short leases so a dead
    worker's work is taken up within seconds."""

    LEASE_SECONDS = 3

    def __init__(self, broker_url: str, tmp_path: Path, *, database: Callable[[str], str] = database_url, **env):
        """``database(name)`` gives the worker's DATABASE_URL (by default the test database's)."""
        self.broker_url, self.tmp_path, self.database, self.env = broker_url, tmp_path, database, env
        self.started: list[Worker] = []

    def start(self) -> Worker:
        name = f"kakehashi-fault-{uuid.uuid4().hex[:8]}"
        log = self.tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": self.database(name),
            "REDIS_URL": self.broker_url,
            "SLACK_WEBHOOK_URL": "",
            "CONN_MAX_AGE": "0",
            "OUTBOX_LEASE_SECONDS": str(self.LEASE_SECONDS),
            "WEBHOOK_LEASE_SECONDS": str(self.LEASE_SECONDS),
            **self.env,
        }
        command = [
            str(Path(sys.executable).with_name("celery")),
            *("-A", "config", "worker", "--pool", "solo", "--concurrency", "1", "-l", "info"),
            *("-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name, process, log)
        self.started.append(worker)
        wait_for(f"worker {name} to start", lambda: " ready." in worker.log() or process.poll() is not None)
        if process.poll() is not None:
            pytest.fail(f"worker {name} exited at start\n{worker.log()}")
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- {worker.name} ---\n{worker.log()[-3000:]}" for worker in self.started)

    def wait(self, what: str, condition: Callable[[], object], *, timeout: float = TIMEOUT):
        return wait_for(what, condition, timeout=timeout, logs=self.logs)

    def close(self) -> None:
        for worker in self.started:
            worker.kill()


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


def other_session():
    """A second database connection of the test's own, to hold locks a worker will wait for."""
    return connection.get_new_connection(connection.get_connection_params())


# --- PostgreSQL -------------------------------------------------------------------------------------------


class PrivateCluster:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory, its own port and socket), so
    the test can restart it without touching the server everyone else uses. Run as root, the server runs as
    the postgres user, as PostgreSQL requires."""

    def __init__(self):
        self.initdb = required_program("initdb", "/usr/lib/postgresql/*/bin/initdb")
        self.pg_ctl = str(Path(self.initdb).with_name("pg_ctl"))
        self.directory = Path(tempfile.mkdtemp(prefix="kakehashi-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.directory, "postgres")

    def url(self, database: str, **params: str) -> str:
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def _run(self, *command: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.as_postgres, *command], capture_output=True, text=True, timeout=timeout, cwd=self.directory
        )
        if result.returncode:
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)

    def init_and_start(self) -> None:
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        self._pg_ctl("start")

    def restart(self) -> None:
        """A fast restart: every session is cut, the server is back when this returns."""
        self._pg_ctl("-m", "fast", "restart")

    def _pg_ctl(self, *action: str) -> None:
        # The server logs to a file: with its output on pg_ctl's pipe, pg_ctl's caller would wait for the server.
        log = str(self.directory / "log")
        self._run(self.pg_ctl, "-D", str(self.data), "-o", self._options(), "-l", log, "-w", *action)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_postgres, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.directory, ignore_errors=True)

    def _options(self) -> str:
        return f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"

    def copy_database(self, name: str) -> None:
        """The test database, schema and rows, copied into a database of the same name here."""
        s = connection.settings_dict
        source = [*("-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"])]
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        dump = subprocess.Popen(["pg_dump", *source, "--no-owner", s["NAME"]], stdout=subprocess.PIPE)
        load = subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            stdin=dump.stdout,
            capture_output=True,
            text=True,
            timeout=120,
        )
        dump.stdout.close()
        if dump.wait(timeout=60) or load.returncode:
            pytest.fail(f"copying the test database failed:\n{load.stderr}", pytrace=False)
