"""A transactional outbox for the work a change sets off (hot-lead and alert notifications, lead imports).

``outbox_enqueue`` writes an OutboxMessage in the caller's transaction, so the message exists exactly when
the change does, and publishes it to the broker once that transaction commits. A broker that is down or
slow is logged, never shown to the user: the publish gives up within seconds (``CELERY_BROKER_*`` and
``CELERY_TASK_PUBLISH_RETRY_POLICY`` in the settings) and the message waits in PostgreSQL.

``outbox_relay`` (beat, every 30 seconds; the ``outbox_relay`` command does the same by hand) publishes
again every message that is not done by its ``available_at``: its publish failed, Redis lost it, or the
worker running it died. Delivery is therefore at least once. A worker runs a message through
``outbox_message_run``, which claims the row (a lease), runs the task and marks the row done; another copy
of the message finds the row done or leased and does nothing. The tasks are idempotent as well, for the
one gap left: a worker killed after the task's work committed but before the row was marked done.
"""

import logging
from datetime import datetime, timedelta
from importlib import import_module

from celery import Task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# After this many runs that raised or died, a message is left for a person (the admin shows its last error).
MAX_ATTEMPTS = 10
LONGEST_RETRY_AFTER = timedelta(hours=1)
RELAY_BATCH = 500
KEEP_DONE = timedelta(days=7)
ERROR_CHARS = 2000


def retry_after() -> timedelta:
    """How long a published message may wait for a worker before the relay publishes it again."""
    return timedelta(seconds=settings.OUTBOX_RETRY_SECONDS)


def lease() -> timedelta:
    """How long a worker may run a message before it counts as dead and another worker may run it again."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def outbox_enqueue(task: str, *args) -> OutboxMessage:
    """Records that ``task(*args)`` must run because of the change being written, and publishes it after
    commit. Call it inside the change's transaction: a rolled-back change takes its message with it."""
    _task(task)  # a typo fails here, in the change's transaction, not in a worker later
    now = timezone.now()
    message = OutboxMessage.objects.create(task=task, args=list(args), created_at=now, available_at=now)
    transaction.on_commit(lambda: outbox_publish(message_id=message.pk), robust=True)
    return message


def outbox_enqueue_once(task: str, *args) -> OutboxMessage:
    """``outbox_enqueue``, unless the same task with the same arguments already waits to run: for work that
    is asked for again and again until it is done (an alert's Slack message, at each evaluation)."""
    waiting = (
        OutboxMessage.objects.filter(task=task, done_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(args=list(args))
        .first()
    )
    return waiting or outbox_enqueue(task, *args)


def outbox_publish(*, message_id: int) -> bool:
    """Hands the message to the broker; False (logged, recorded) when the broker does not take it."""
    from .tasks import run_outbox_message  # the tasks module imports this one

    now = timezone.now()
    # Pushed back before publishing: a worker that runs it at once must find it leased, not due again.
    OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(available_at=now + retry_after())
    try:
        run_outbox_message.delay(message_id)
    except Exception as error:  # any broker failure: the relay publishes it again
        logger.warning("Outbox message %s not published, the relay will retry: %s", message_id, error)
        OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(
            available_at=now, last_error=f"publish: {type(error).__name__}: {error}"[:ERROR_CHARS]
        )
        return False
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=now)
    return True


def due_message_ids(*, now: datetime | None = None) -> list[int]:
    """Messages not done whose ``available_at`` has passed, oldest first, bounded per sweep."""
    return list(
        OutboxMessage.objects.filter(
            done_at__isnull=True, available_at__lte=now or timezone.now(), attempts__lt=MAX_ATTEMPTS
        )
        .order_by("available_at", "pk")
        .values_list("pk", flat=True)[:RELAY_BATCH]
    )


def outbox_relay(*, now: datetime | None = None) -> int:
    """Publishes the due messages again and forgets done ones older than a week; the number published.
    Stops at the first refusal: with the broker down the rest would only wait for their timeouts."""
    now = now or timezone.now()
    published = 0
    for message_id in due_message_ids(now=now):
        if not outbox_publish(message_id=message_id):
            break
        published += 1
    OutboxMessage.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    return published


def outbox_message_run(*, message_id: int) -> bool:
    """Runs the message's task once if it is neither done nor leased by a live worker; True when it ran to
    the end. An error is recorded and the message is retried later, with backoff, by the relay."""
    message = _claim(message_id)
    if message is None:
        return False
    try:
        _task(message.task).run(*message.args)
    except Exception as error:
        logger.exception("Outbox message %s (%s) failed", message.pk, message.task)
        _release(message, error=error)
        return False
    OutboxMessage.objects.filter(pk=message.pk, attempts=message.attempts).update(
        done_at=timezone.now(), lease_until=None, last_error=""
    )
    return True


def _task(name: str) -> Task:
    """The task by its dotted name: the tasks module is imported if this process has not yet."""
    module, _, attribute = name.rpartition(".")
    task = getattr(import_module(module), attribute, None) if module else None
    if not isinstance(task, Task) or task.name != name:
        raise ValueError(f"{name!r} is not a task")
    return task


def _claim(message_id: int) -> OutboxMessage | None:
    now = timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None or message.done_at is not None or (message.lease_until and message.lease_until > now):
            return None
        message.attempts += 1
        message.lease_until = now + lease()
        message.available_at = message.lease_until
        message.save(update_fields=["attempts", "lease_until", "available_at"])
    return message


def _release(message: OutboxMessage, *, error: Exception) -> None:
    wait = min(retry_after() * 2 ** (message.attempts - 1), LONGEST_RETRY_AFTER)
    OutboxMessage.objects.filter(pk=message.pk, attempts=message.attempts, done_at__isnull=True).update(
        lease_until=None,
        available_at=timezone.now() + wait,
        last_error=f"{type(error).__name__}: {error}"[:ERROR_CHARS],
    )
