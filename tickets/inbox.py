"""Writes to a person's in-app inbox (the Notification rows addressed to them)."""

from __future__ import annotations

from django.db import transaction

from tickets.models import Notification


@transaction.atomic
def notification_mark_read(*, notification_id: int, user) -> Notification:
    """Mark one of the user's own notifications read (again is harmless).

    Someone else's notification, or a missing one, raises Notification.DoesNotExist: the two
    are indistinguishable to the caller, so nobody learns which ids exist.
    """
    notification = Notification.objects.select_for_update().filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise Notification.DoesNotExist(f"notification {notification_id} is not in this user's inbox")
    if not notification.is_read:
        notification.is_read = True
        notification.save(update_fields=["is_read"])
    return notification
