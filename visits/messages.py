"""Messages for absent people (V3, 004 示例4 “经理不在办公室 / 经理正在接待其他顾客”).

A visitor came for a member of staff who is out or busy. The desk writes down the visitor's
name, how to reach them and the message, for that person; the recipient is notified and the
message stays open on their desk until they mark it handled. An urgent message says so at the
start of the notification and is delivered at once, not left in the queue; the desk is also
told to phone the recipient now (the manual: 立即电话联系主任).

Same rules as tickets.services: keyword-only arguments, a required actor, one transaction, the
ticket locked before anything is checked, a TicketEvent for each write, side effects after
commit.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted
from tickets.models import TicketEvent
from tickets.notifications import notification_create, notification_send
from tickets.services import (
    _check_record_may_change,
    _clean_text,
    _local,
    _lock_any,
    _now,
    _record,
    _save,
    _staff_profile,
)
from visits.models_messages import VisitorMessage
from visits.permissions_messages import user_may_handle_message, user_may_take_message

logger = logging.getLogger("visits.messages")

Event = TicketEvent.Type

VISITOR_NAME_MAX = 100
CONTACT_MAX = 50
TEXT_MAX = 1000
NOTE_MAX = 500
# A phone number as people write it: digits, spaces, +, -, parentheses; at least 5 digits.
_PHONE = re.compile(r"^\+?[\d\s\-()]+$")


def _clean_contact(value: str) -> str:
    contact = _clean_text("contact", value, _("The visitor's phone"), CONTACT_MAX, required=True)
    if not _PHONE.match(contact) or sum(ch.isdigit() for ch in contact) < 5:
        raise InvalidInput(
            _("“%(value)s” is not a phone number: use digits, for example 13800000000 or 010-12345678.")
            % {"value": contact},
            field="contact",
        )
    return contact


def _deliver_now(notification_id: int) -> None:
    """An urgent message goes out in this request, not behind the queue. The queued delivery
    that notification_create also scheduled stays as the fallback: delivery is at most once
    (notification_send skips what was sent), so whichever runs second does nothing."""
    try:
        notification_send(notification_id=notification_id)
    except Exception:  # the sender failed: the queued task tries again
        logger.exception("urgent notification %s could not be delivered at once", notification_id)


def _notification_text(message: VisitorMessage, ticket_reference: str) -> str:
    values = {
        "visitor": message.visitor_name,
        "contact": message.contact,
        "ref": ticket_reference,
        "text": message.text,
    }
    if message.is_urgent:
        return _("[Urgent] %(visitor)s (%(contact)s) came to see you; it cannot wait. Visit %(ref)s: %(text)s") % values
    return _("%(visitor)s (%(contact)s) came to see you while you were away. Visit %(ref)s: %(text)s") % values


@transaction.atomic
def message_take(
    *,
    ticket,
    actor,
    recipient,
    visitor_name: str,
    contact: str,
    text: str,
    is_urgent: bool = False,
    now: datetime | None = None,
) -> VisitorMessage:
    """Write down a visitor's message for an absent or busy colleague and notify them (V3)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if not user_may_take_message(actor):
        raise NotPermitted(_("Only staff take messages for colleagues."))
    if recipient is None:
        raise InvalidInput(_("Choose whom the message is for."), field="recipient")
    recipient_profile = _staff_profile(recipient, field="recipient")
    if recipient.pk == actor.pk:
        raise InvalidInput(_("The message is for a colleague who is away, not for yourself."), field="recipient")
    visitor_name = _clean_text("visitor_name", visitor_name, _("The visitor's name"), VISITOR_NAME_MAX, required=True)
    contact = _clean_contact(contact)
    text = _clean_text("text", text, _("The message"), TEXT_MAX, required=True)
    ticket = _lock_any(ticket)
    _check_record_may_change(ticket, record=_("its messages"), while_resolved=True)

    message = VisitorMessage.objects.create(
        ticket=ticket,
        recipient=recipient,
        visitor_name=visitor_name,
        contact=contact,
        text=text,
        is_urgent=bool(is_urgent),
        taken_by=actor,
        taken_at=now,
    )
    _save(ticket, now, [])
    names = {"name": recipient_profile.display_name}
    _record(
        ticket,
        type=Event.MESSAGE_TAKEN,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=(_("Urgent message for %(name)s") if message.is_urgent else _("Message for %(name)s")) % names
        + f": {text}",
        data={
            "message": message.pk,
            "recipient": recipient.pk,
            "visitor_name": visitor_name,
            "contact": contact,
            "is_urgent": message.is_urgent,
        },
    )
    notification = notification_create(
        recipient=recipient, ticket=ticket, text=_notification_text(message, ticket.reference), now=now
    )
    if message.is_urgent:
        transaction.on_commit(lambda: _deliver_now(notification.pk))
    return message


@transaction.atomic
def message_mark_handled(
    *, message: VisitorMessage, actor, note: str = "", now: datetime | None = None
) -> VisitorMessage:
    """The recipient (or a supervisor / the office manager) has dealt with the message: it leaves
    their desk. Once only."""
    now = _now(now)
    profile = _staff_profile(actor, field="actor")
    note = _clean_text("note", note, _("The note"), NOTE_MAX)
    ticket = _lock_any(message.ticket_id)
    message = VisitorMessage.objects.select_for_update().select_related("recipient", "handled_by").get(pk=message.pk)
    if not user_may_handle_message(actor, message):
        recipient_name = message.recipient.get_full_name() or message.recipient.get_username()
        raise NotPermitted(
            _(
                "Only %(recipient)s, a supervisor or the office manager marks this message handled; "
                "%(name)s is “%(role)s”."
            )
            % {"recipient": recipient_name, "name": profile.display_name, "role": profile.get_role_display()}
        )
    if message.is_handled:
        by = message.handled_by.get_full_name() or message.handled_by.get_username()
        raise IllegalTransition(
            _("This message from %(visitor)s was already marked handled by %(name)s on %(when)s.")
            % {"visitor": message.visitor_name, "name": by, "when": _local(message.handled_at)}
        )
    message.handled_at = now
    message.handled_by = actor
    message.handled_note = note
    message.save(update_fields=["handled_at", "handled_by", "handled_note"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.MESSAGE_HANDLED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=(_("Message from %(visitor)s handled") % {"visitor": message.visitor_name})
        + (f": {note}" if note else ""),
        data={"message": message.pk, "recipient": message.recipient_id, "note": note},
    )
    return message
