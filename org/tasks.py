from celery import shared_task

from . import webhooks
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
