"""A Celery worker killed with SIGKILL in the middle of a rollup, a webhook delivery and a lead import, then
replaced: the work is done, and done once.

Each task is stopped at a known point inside its work by a lock the test holds from a second database
session (a metric row, a table the import writes to) or by a receiver that does not answer yet, so the kill
lands mid-task every time. Then what operations rely on: the killed worker's transaction leaves nothing
behind; a new worker takes the work up once the lease runs out (the outbox relay or the webhook sweeper
publishes it again, the rollup's marks wait for beat's next run); and the killed worker's message, which
Redis hands out again after its visibility timeout, changes nothing more."""

import csv
import io
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from werkzeug import Response

from dashboards.models import DirtyDay, MetricValue, RollupState
from dashboards.services import metrics_rebuild, metrics_rollup_dirty
from dashboards.tasks import rollup_dirty_days
from leads.models import ImportJob, Lead, LeadEvent, LeadSource
from leads.services import import_job_create, import_job_set_columns, import_job_start, import_job_validate
from org.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from org.outbox import due_message_ids
from org.tasks import dispatch_due_webhooks
from org.webhooks import due_delivery_ids, emit
from tests.activities.factories import ActivityFactory
from tests.leads.factories import LeadFactory
from tests.org.factories import TeamFactory, UserFactory

from .harness import blocked_on_a_lock, other_session, sessions

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]

FIGURE = ("metric", "grain", "period_start", "dimension", "dim_value", "numerator", "denominator", "computed_at")


def kill_while_blocked(workers, worker, locker, query_start: str) -> None:
    """Waits until the worker's task waits on the test's lock in ``query_start``, kills the worker, lets the
    lock go and waits until PostgreSQL has ended (and rolled back) the dead worker's session."""
    workers.wait(f"the worker to block in {query_start}", lambda: blocked_on_a_lock(worker.name))
    [(_event, state, query)] = blocked_on_a_lock(worker.name)
    assert (state, query.startswith(query_start)) == ("active", True)
    assert worker.kill() == -signal.SIGKILL
    locker.rollback()
    locker.close()
    workers.wait("the killed worker's database session to end", lambda: not sessions(worker.name))


def test_a_rollup_killed_mid_write_is_redone_by_the_next_run_and_its_redelivered_message_changes_nothing(
    workers, private_redis
):
    lead = LeadFactory(owner=UserFactory(team=TeamFactory(name="SDR")))
    moment = timezone.now() - timedelta(minutes=5)
    today = timezone.localdate(moment)
    ActivityFactory(lead=lead, occurred_at=moment)
    metrics_rollup_dirty()
    before = set(MetricValue.objects.values_list(*FIGURE))
    ActivityFactory(lead=lead, occurred_at=moment)  # marks today again
    locker = other_session()
    with locker.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM dashboards_metricvalue WHERE metric = 'activities' AND grain = 'day' "
            "AND period_start = %s AND dimension = '' FOR UPDATE",
            [today],
        )
        assert len(cursor.fetchall()) == 1
    doomed = workers.start()
    rollup_dirty_days.delay()

    kill_while_blocked(workers, doomed, locker, "INSERT INTO dashboards_metricvalue")

    assert list(DirtyDay.objects.values_list("day", flat=True)) == [today]
    assert set(MetricValue.objects.values_list(*FIGURE)) == before
    worker = workers.start()
    rollup_dirty_days.delay()  # beat's next run
    workers.wait("the rollup to clear the mark", lambda: not DirtyDay.objects.exists())
    workers.wait("the rollup to finish", lambda: worker.succeeded("dashboards.tasks.rollup_dirty_days") == 1)
    rolled_up = set(MetricValue.objects.values_list(*FIGURE))
    private_redis.redeliver_unacknowledged()  # the killed worker's message, an hour later
    workers.wait("the redelivered rollup", lambda: worker.succeeded("dashboards.tasks.rollup_dirty_days") == 2)

    # Nothing recomputed (the day's rows keep their computed_at); only today's snapshots are taken again.
    activities = {row for row in rolled_up if row[0] == "activities"}
    assert set(MetricValue.objects.filter(metric="activities").values_list(*FIGURE)) == activities
    assert {row[:-1] for row in MetricValue.objects.values_list(*FIGURE)} == {row[:-1] for row in rolled_up}
    assert MetricValue.objects.get(metric="activities", grain="day", period_start=today, dimension="").numerator == 2
    assert RollupState.objects.get().last_rollup_days == 0  # the second run found no marked day
    figures = {row[:-1] for row in rolled_up}
    MetricValue.objects.all().delete()
    metrics_rebuild(first_day=today, last_day=today, today=today)
    assert {row[:-1] for row in MetricValue.objects.values_list(*FIGURE)} == figures


def test_a_webhook_delivery_whose_worker_dies_mid_request_is_sent_again_and_succeeds_once(
    workers, private_redis, httpserver
):
    """Webhooks are at least once: the killed worker's request reached the receiver, whose answer reached
    nobody, so the delivery is sent again with the same X-Kakehashi-Delivery id, which is what receivers
    deduplicate on. Asserted: exactly two requests, one delivery id, one succeeded delivery; and the killed
    worker's redelivered message sends nothing more."""
    received: list[str] = []
    answer = threading.Event()

    def receiver(request):
        received.append(request.headers["X-Kakehashi-Delivery"])
        if len(received) == 1:
            answer.wait(timeout=30)  # the first request hangs until its worker is dead
        return Response(status=200)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    WebhookEndpoint.objects.create(
        name="FS system", url=httpserver.url_for("/hook"), secret="s" * 24, events=["handoff.created"]
    )
    doomed = workers.start()
    with transaction.atomic():
        emit("handoff.created", {"id": 7})
    delivery = WebhookDelivery.objects.get()

    workers.wait("the receiver to get the first request", lambda: received)
    assert doomed.kill() == -signal.SIGKILL
    answer.set()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    worker = workers.start()
    workers.wait("the delivery's lease to run out", lambda: delivery.pk in due_delivery_ids())
    assert dispatch_due_webhooks() == 1  # beat's sweeper
    workers.wait("the delivery to succeed", lambda: WebhookDelivery.objects.filter(status="succeeded").exists())
    private_redis.redeliver_unacknowledged()  # the killed worker's message, an hour later
    workers.wait("the redelivered message", lambda: worker.succeeded("org.tasks.deliver_webhook") == 2)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 200)
    assert received == [str(delivery.event_id)] * 2


def leads_csv(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["会社名", "氏名", "メールアドレス"])
    for n in range(count):
        writer.writerow([f"株式会社フォルト{n}", f"山田 太郎{n}", f"taro{n}@fault{n}.example.jp"])
    return out.getvalue().encode()


def test_an_import_killed_mid_write_leaves_nothing_and_the_relay_has_it_imported_exactly_once(workers, private_redis):
    marketer = UserFactory(marketing=True)
    job = import_job_create(
        actor=marketer, file_name="leads.csv", data=leads_csv(30), source=LeadSource.objects.get(code="trade_show")
    )
    import_job_set_columns(job=job, actor=marketer, columns=job.columns, queue=False)
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.valid_rows) == ("validated", 30)
    # Holding this lock, the test stops the import after it wrote the companies and the leads, at their events.
    locker = other_session()
    with locker.cursor() as cursor:
        cursor.execute("LOCK TABLE leads_leadevent IN SHARE MODE")
    doomed = workers.start()
    import_job_start(job=job, actor=marketer, mode="all")
    message = OutboxMessage.objects.get(task="leads.tasks.run_import")

    kill_while_blocked(workers, doomed, locker, 'COPY "leads_leadevent"')

    job.refresh_from_db()
    message.refresh_from_db()
    assert (Lead.objects.count(), job.status, job.imported_rows) == (0, "importing", 0)
    assert (message.attempts, message.done_at) == (1, None)
    worker = workers.start()
    workers.wait("the message's lease to run out", lambda: message.pk in due_message_ids())
    call_command("outbox_relay")  # what beat's relay-outbox does every 30 seconds
    workers.wait("the import to finish", lambda: ImportJob.objects.filter(pk=job.pk, status="done").exists())
    private_redis.redeliver_unacknowledged()  # the killed worker's message, an hour later
    workers.wait("the redelivered message", lambda: worker.succeeded("org.tasks.run_outbox_message") == 2)
    call_command("outbox_relay")

    job.refresh_from_db()
    message.refresh_from_db()
    assert (job.imported_rows, Lead.objects.count(), LeadEvent.objects.filter(kind="created").count()) == (30, 30, 30)
    assert (message.attempts, message.done_at is not None, due_message_ids()) == (2, True, [])
    assert sorted(Lead.objects.values_list("email", flat=True))[:2] == [
        "taro0@fault0.example.jp",
        "taro10@fault10.example.jp",
    ]
