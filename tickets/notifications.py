"""In-app notifications and the pluggable sender that delivers them elsewhere.

The Notification row is the in-app inbox; the sender (console by default, e-mail or SMS
later) is called after commit through a Celery task. A sender is any class with
`send(notification) -> None`, named by settings.SERVICEDESK["NOTIFICATION_SENDER"].
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tickets.models import Notification, Ticket

logger = logging.getLogger("tickets.notifications")


class ConsoleSender:
    """Writes each notification to the log: the default for a laptop and for tests."""

    def send(self, notification: Notification) -> None:
        logger.info("notify %s: %s", notification.recipient.get_username(), notification.text)


@cache
def _sender_class(path: str):
    return import_string(path)


def get_sender():
    return _sender_class(settings.SERVICEDESK["NOTIFICATION_SENDER"])()


_batched: ContextVar[list[int] | None] = ContextVar("notification_deliveries_batched", default=None)


@contextmanager
def deliveries_batched():
    """Within the block (inside a transaction), the deliveries of the notifications created are
    queued as one task after commit instead of one task each: for a service creating many in one
    transaction (the SLA sweep's batch)."""
    ids: list[int] = []
    token = _batched.set(ids)
    try:
        yield
    finally:
        _batched.reset(token)
    if ids:

        def deliver() -> None:
            from tickets.tasks import notifications_send

            notifications_send.delay(ids)

        transaction.on_commit(deliver)


def notification_create(*, recipient, text: str, ticket: Ticket | None = None, now: datetime) -> Notification:
    """Store an in-app notification and queue its delivery once the transaction commits."""
    notification = Notification.objects.create(recipient=recipient, ticket=ticket, text=text[:500], created_at=now)
    batch = _batched.get()
    if batch is not None:
        batch.append(notification.pk)
        return notification

    def deliver() -> None:
        from tickets.tasks import notification_send

        notification_send.delay(notification.pk)

    transaction.on_commit(deliver)
    return notification


def notifications_send(*, notification_ids: list[int]) -> int:
    """Deliver several notifications, each at most once; one that fails is logged and the others
    are still sent. Returns how many were sent now."""
    sent = 0
    for notification_id in notification_ids:
        try:
            sent += notification_send(notification_id=notification_id)
        except Exception:
            logger.exception("notification %s: delivery failed", notification_id)
    return sent


def notification_send(*, notification_id: int) -> bool:
    """Deliver one notification through the configured sender, at most once."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
        )
        if notification is None or notification.sent_at is not None:
            return False
        get_sender().send(notification)
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True


# --- Messages to customers (A4: the completion notice) -----------------------------------


class ConsoleCustomerNotifier:
    """Writes each message to a customer to the log: the default for a laptop and for tests.

    A real notifier (SMS gateway, WeChat template message) has the same
    `send(*, ticket, phone, text)` and raises when the message could not be handed over, so
    the delivery is tried again."""

    def send(self, *, ticket: Ticket, phone: str, text: str) -> None:
        logger.info("notify customer %s (%s): %s", phone, ticket.reference, text)


def get_customer_notifier():
    """The notifier named by settings.SERVICEDESK["CUSTOMER_NOTIFIER"]."""
    return _sender_class(settings.SERVICEDESK["CUSTOMER_NOTIFIER"])()
