"""Celery tasks: thin callers of one service each, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from tickets import deadlines, notifications, webhooks


@shared_task(name="tickets.tasks.sla_sweep", ignore_result=True)
def sla_sweep() -> int:
    """Run one SLA sweep at the current time (beat schedules it every few seconds)."""
    return len(deadlines.sla_sweep(now=timezone.now()))


@shared_task(name="tickets.tasks.deadlines_recompute", ignore_result=True)
def deadlines_recompute(reason: str) -> int:
    return deadlines.deadlines_recompute(reason=reason, now=timezone.now())


@shared_task(name="tickets.tasks.notification_send", ignore_result=True)
def notification_send(notification_id: int) -> bool:
    return notifications.notification_send(notification_id=notification_id)


@shared_task(name="tickets.tasks.notifications_send", ignore_result=True)
def notifications_send(notification_ids: list[int]) -> int:
    """Deliver the notifications one sweep batch created (one message for all of them)."""
    return notifications.notifications_send(notification_ids=notification_ids)


@shared_task(name="tickets.tasks.customer_notice_send", ignore_result=True)
def customer_notice_send(event_id: int) -> bool:
    """Deliver one completion notice (A4) through the customer notifier, at most once."""
    from tickets import aftersales

    return aftersales.customer_notice_deliver(event_id=event_id)


@shared_task(name="tickets.tasks.webhook_deliver", ignore_result=True)
def webhook_deliver(delivery_id: int, attempt: int | None = None) -> str:
    """Send one webhook delivery's next attempt (once, however often the task is delivered)."""
    return webhooks.webhook_send(delivery_id, attempt=attempt, now=timezone.now())


@shared_task(name="tickets.tasks.webhook_retry_due", ignore_result=True)
def webhook_retry_due() -> int:
    """Queue the webhook deliveries due again (beat runs it every 30 s)."""
    return webhooks.webhook_retry_due(now=timezone.now())


@shared_task(name="tickets.tasks.sla_rollup", ignore_result=True)
def sla_rollup() -> int:
    """Roll up the SLA figures of every closed day not rolled yet (beat runs it hourly)."""
    from tickets.services_sla_rollup import sla_rollup_due

    return len(sla_rollup_due(now=timezone.now()))
