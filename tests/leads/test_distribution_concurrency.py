"""Round robin under concurrent assignment: real threads, each with its own database connection, distribute
at the same moment. The per-pool cursor row lock makes them take turns, so every rep on shift gets the
same number of leads, none is skipped, and no lead gets two owners.

Row locks make this hold; SQLite has none, so these run on PostgreSQL (CI runs the suite there)."""

import json
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from leads.distribution import lead_distribute
from leads.models import Company, DistributionCursor, Lead, LeadEvent, TouchPoint
from leads.services import lead_create
from leads.touchpoints import touch_point_signature
from tests.defaults import ensure_default_data
from tests.leads.factories import CompanyFactory, source
from tests.org.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_postgres]


@pytest.fixture(autouse=True)
def default_data():
    ensure_default_data()


@pytest.fixture
def team():
    team = TeamFactory(name="SDR 東京")
    for n in range(1, 4):
        UserFactory(username=f"sdr{n}", team=team)
    return team


def unowned(n: int) -> list[Lead]:
    return [
        lead_create(actor=None, company=CompanyFactory(), last_name=f"山田{i}", source=source(), origin="inbound")
        for i in range(n)
    ]


def race(calls, *, threads: int):
    """Runs ``calls`` split over ``threads`` threads released together by a barrier; returns the errors."""
    barrier = threading.Barrier(threads)
    errors = []

    def run(chunk):
        try:
            barrier.wait()
            for call in chunk:
                call()
        except Exception as error:  # reported by the assertion below, with the thread's error
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(calls[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


@pytest.mark.parametrize("attempt", range(3))
def test_twelve_leads_distributed_at_once_give_each_of_three_reps_four(team, attempt):
    leads = unowned(12)

    errors = race([lambda lead=lead: lead_distribute(lead=lead) for lead in leads], threads=6)

    assert errors == []
    owners = Counter(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("owner__username", flat=True))
    assert owners == {"sdr1": 4, "sdr2": 4, "sdr3": 4}
    assert DistributionCursor.objects.get().assigned == 12
    assert LeadEvent.objects.filter(kind="owner").count() == 12


@pytest.mark.parametrize("attempt", range(3))
def test_two_imports_distributing_the_same_leads_at_once_give_each_lead_one_owner(team, attempt):
    """Two jobs walk the same ten leads (as two imports of one file might): each lead is assigned once,
    and the turns still go 4-3-3 with no rep skipped."""
    leads = unowned(10)
    job = [lambda lead=lead: lead_distribute(lead=lead) for lead in leads]

    errors = race([*job, *job], threads=2)

    assert errors == []
    assert LeadEvent.objects.filter(kind="owner").count() == 10
    owners = Counter(Lead.objects.values_list("owner__username", flat=True))
    assert sorted(owners.values()) == [3, 3, 4]
    assert DistributionCursor.objects.get().assigned == 10


SECRET = "test-touchpoint-secret-0123456789"


def post_event(body: dict, stamp: int):
    data = json.dumps(body, ensure_ascii=False).encode()
    signature = "sha256=" + touch_point_signature(secret=SECRET, timestamp=str(stamp), body=data)
    return Client().post(
        "/api/v1/touchpoints/",
        data,
        content_type="application/json",
        headers={"X-Kakehashi-Signature": signature, "X-Kakehashi-Timestamp": str(stamp)},
    )


def test_events_of_one_new_person_arriving_at_once_create_one_lead(team):
    """Four different events of an unknown email, and one of them sent twice, at the same moment."""
    stamp = int(time.time())
    base = {
        "kind": "page_view",
        "occurred_at": "2026-11-20T09:55:00+09:00",
        "email": "jiro@midori.example.jp",
        "contact": {"last_name": "佐藤", "company": "株式会社みどり"},
    }
    bodies = [{**base, "event_id": f"ev-{n}"} for n in (1, 2, 3, 4, 4)]
    statuses = []

    errors = race(
        [lambda body=body: statuses.append(post_event(body, stamp).status_code) for body in bodies], threads=5
    )

    assert (errors, sorted(statuses)) == ([], [201] * 5)
    assert (Lead.objects.count(), Company.objects.count(), TouchPoint.objects.count()) == (1, 1, 4)
    assert Lead.objects.get().owner.username == "sdr1"


def inbound_file(prefix: str, n: int) -> bytes:
    rows = [f"株式会社{prefix}{i},{prefix} 太郎{i},{prefix.lower()}{i}@example.jp\n" for i in range(n)]
    return "".join(["会社名,氏名,メール\n", *rows]).encode()


def import_ready(user, data: bytes):
    from leads.models import ImportJob
    from leads.services import import_job_create, import_job_set_columns, import_job_start, import_job_validate

    job = import_job_create(actor=user, file_name="seminar.csv", data=data, source=source("seminar"))
    import_job_set_columns(job=job, actor=user, columns=job.columns, queue=False)
    job = import_job_validate(job_id=job.pk)
    return import_job_start(job=job, actor=user, mode=ImportJob.Mode.ALL, queue=False)


@pytest.mark.parametrize("attempt", range(3))
def test_two_imports_and_webhook_leads_at_once_share_the_turns_fairly(team, attempt):
    """Two files of inbound leads import while three webhook leads are distributed: fifteen leads over
    three reps on shift give each five, whatever order the transactions commit in."""
    from leads.services import import_job_run

    marketer = UserFactory(marketing=True)
    first, second = import_ready(marketer, inbound_file("Alpha", 7)), import_ready(marketer, inbound_file("Beta", 5))
    webhook = unowned(3)

    errors = race(
        [
            lambda: import_job_run(job_id=first.pk),
            lambda: import_job_run(job_id=second.pk),
            *[lambda lead=lead: lead_distribute(lead=lead) for lead in webhook],
        ],
        threads=5,
    )

    assert errors == []
    assert Lead.objects.count() == 15
    assert not Lead.objects.filter(owner__isnull=True).exists()
    assert Counter(Lead.objects.values_list("owner__username", flat=True)) == {"sdr1": 5, "sdr2": 5, "sdr3": 5}
    assert DistributionCursor.objects.get().assigned == 15
    # Each imported lead's creation names its owner; each webhook lead got one owner change.
    assert LeadEvent.objects.filter(kind="created", to_owner__isnull=False).count() == 12
    assert LeadEvent.objects.filter(kind="owner").count() == 3
