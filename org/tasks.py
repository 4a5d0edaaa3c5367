from celery import shared_task

from . import outbox, webhooks
from .services import login_throttle_purge_expired


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    webhooks.deliver(delivery_id)


@shared_task
def dispatch_due_webhooks() -> int:
    """The outbox sweeper: sends what a lost message, a broker outage or a dead worker left pending."""
    delivery_ids = webhooks.due_delivery_ids()
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)
    return len(delivery_ids)


@shared_task
def purge_login_throttles() -> int:
    return login_throttle_purge_expired()


@shared_task(acks_late=True)
def run_outbox_message(message_id: int) -> bool:
    return outbox.outbox_message_run(message_id=message_id)


@shared_task
def relay_outbox() -> int:
    """Publishes again the outbox messages a broker outage, a lost message or a dead worker left undone."""
    return outbox.outbox_relay()
