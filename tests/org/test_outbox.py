"""The transactional outbox: a message exists exactly when the change that wrote it commits, its task runs
once however often the message is delivered, a failure is retried with backoff until the attempts run out,
and a broker that refuses the publish leaves the message for the relay without an error to the caller.

Here tasks run in-process (eager), as without Redis; tests/faults/ runs the same code with a real worker."""

import socket
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from dashboards.models import Alert
from leads.scoring import lead_make_hot
from org.models import OutboxMessage
from org.outbox import (
    MAX_ATTEMPTS,
    due_message_ids,
    outbox_enqueue,
    outbox_enqueue_once,
    outbox_message_run,
    outbox_publish,
    outbox_relay,
)
from tests.faults.harness import use_broker
from tests.leads.factories import LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
NOTIFY = "dashboards.tasks.notify_hot_lead"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lead(is_rep):
    return LeadFactory(owner=is_rep)


def relay_command() -> str:
    out = StringIO()
    call_command("outbox_relay", stdout=out)
    return out.getvalue().strip()


def test_a_committed_change_runs_its_task_once_and_marks_the_message_done(lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lead_make_hot(lead=lead, reason="trial")

    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.attempts, message.done_at) == (NOTIFY, [lead.pk], 1, timezone.now())
    assert Alert.objects.filter(kind="hot_lead", lead=lead).count() == 1
    # Delivered again (a relay and a redelivery crossing): the done message runs nothing.
    assert outbox_message_run(message_id=message.pk) is False
    assert (OutboxMessage.objects.get().attempts, due_message_ids(), relay_command()) == (
        1,
        [],
        "Published 0 outbox messages.",
    )


def test_a_rolled_back_change_takes_its_message_with_it(lead, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lead_make_hot(lead=lead, reason="trial")
        raise RuntimeError("the change fails after the message was written")

    assert (OutboxMessage.objects.count(), len(callbacks), Alert.objects.count()) == (0, 0, 0)


def test_an_unknown_task_is_refused_in_the_changes_transaction():
    with pytest.raises(ValueError, match=r"'dashboards\.tasks\.no_such_task' is not a task"):
        outbox_enqueue("dashboards.tasks.no_such_task", 1)
    assert not OutboxMessage.objects.exists()


def test_a_message_leased_by_a_running_worker_is_not_run_again_until_the_lease_runs_out(lead, frozen, settings):
    message = OutboxMessage.objects.create(task=NOTIFY, args=[lead.pk])
    # A worker claimed it and died (or is still running it): the lease keeps other copies off it.
    leased_until = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, lease_until=leased_until, available_at=leased_until)

    assert (outbox_message_run(message_id=message.pk), due_message_ids()) == (False, [])
    frozen.shift(timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    assert due_message_ids() == [message.pk]
    assert outbox_message_run(message_id=message.pk) is True
    message.refresh_from_db()
    assert (message.attempts, message.lease_until, message.done_at) == (2, None, timezone.now())


def test_a_failing_task_is_retried_with_backoff_until_its_attempts_run_out(lead, frozen, settings):
    settings.SLACK_WEBHOOK_URL = f"http://127.0.0.1:{closed_port()}/slack"  # Slack does not take it
    message = OutboxMessage.objects.create(task=NOTIFY, args=[lead.pk])
    type(lead).objects.filter(pk=lead.pk).update(is_hot=True, hot_since=timezone.now())

    waits = []
    for _attempt in range(MAX_ATTEMPTS):
        assert outbox_message_run(message_id=message.pk) is False
        message.refresh_from_db()
        waits.append(message.available_at - timezone.now())
        frozen.shift(message.available_at - timezone.now())

    retry = timedelta(seconds=settings.OUTBOX_RETRY_SECONDS)
    assert waits[:3] == [retry, retry * 2, retry * 4]
    assert waits[-1] == timedelta(hours=1)
    assert (message.attempts, message.done_at, message.lease_until) == (MAX_ATTEMPTS, None, None)
    assert message.last_error.startswith("SlackError: Slack unreachable")
    assert due_message_ids() == []  # left for a person, with its error in the admin
    assert Alert.objects.get(kind="hot_lead").notified_at is None


def test_a_broker_that_refuses_leaves_the_message_for_the_relay_and_raises_nothing(lead):
    message = OutboxMessage.objects.create(task=NOTIFY, args=[lead.pk])
    use_broker(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        assert outbox_publish(message_id=message.pk) is False
        assert outbox_relay() == 0
    finally:
        use_broker(None)

    message.refresh_from_db()
    assert (message.sent_at, message.available_at, message.attempts) == (None, timezone.now(), 0)
    assert message.last_error.startswith("publish: OperationalError")
    # Back in-process (as when the broker returns): the relay publishes it and it runs.
    assert relay_command() == "Published 1 outbox messages."
    message.refresh_from_db()
    assert (message.sent_at, message.done_at, message.last_error) == (timezone.now(), timezone.now(), "")


def test_work_asked_for_again_while_it_waits_is_queued_once(lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = outbox_enqueue_once(NOTIFY, lead.pk)
        again = outbox_enqueue_once(NOTIFY, lead.pk)
        other = outbox_enqueue_once(NOTIFY, lead.pk + 1)

    assert (again.pk, other.pk != first.pk, OutboxMessage.objects.count(), len(callbacks)) == (first.pk, True, 2, 2)
    OutboxMessage.objects.filter(pk=first.pk).update(done_at=timezone.now())
    assert outbox_enqueue_once(NOTIFY, lead.pk).pk not in {first.pk, other.pk}  # done: asked for anew
