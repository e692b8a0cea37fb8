"""Reads of messages for absent colleagues (V3): the panel on My desk and the message list.

Each read is one query whatever the number of messages: the ticket, the people and whether the
reader may open the ticket ride along (select_related and an Exists over the access rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Window

from tickets.models import Ticket
from tickets.selectors import ticket_list_visible
from visits.models_messages import VisitorMessage
from visits.permissions_messages import user_oversees_messages

DESK_MESSAGE_LIMIT = 20


class Box:
    FOR_ME = "for_me"
    TAKEN = "taken"
    ALL = "all"


class State:
    OPEN = "open"
    HANDLED = "handled"
    ALL = "all"


def _with_ticket_access(messages: QuerySet[VisitorMessage], *, user) -> QuerySet[VisitorMessage]:
    """Each message says whether the reader may open its ticket (`ticket_visible`)."""
    visible = Ticket.objects.visible_to(user).filter(pk=OuterRef("ticket_id"))
    return messages.annotate(ticket_visible=Exists(visible))


def _related(messages: QuerySet[VisitorMessage]) -> QuerySet[VisitorMessage]:
    return messages.select_related("ticket", "recipient__staff__department", "taken_by__staff", "handled_by__staff")


@dataclass(frozen=True)
class MessagePanel:
    messages: list[VisitorMessage]
    total: int

    @property
    def has_more(self) -> bool:
        return self.total > len(self.messages)


def message_panel_for(*, user, limit: int = DESK_MESSAGE_LIMIT) -> MessagePanel:
    """My desk: the open messages for `user`, urgent first, then oldest first (one query)."""
    rows = (
        _with_ticket_access(_related(VisitorMessage.objects.filter(recipient=user, handled_at__isnull=True)), user=user)
        .annotate(panel_total=Window(Count("pk")))
        .order_by("-is_urgent", "taken_at", "id")
    )
    messages = list(rows[:limit])
    return MessagePanel(messages=messages, total=messages[0].panel_total if messages else 0)


def message_list(*, user, box: str = Box.FOR_ME, state: str = State.OPEN) -> QuerySet[VisitorMessage]:
    """Messages for `user` or taken by them (every message, for a supervisor or the office
    manager asking for all), open or handled. Open ones urgent first, then oldest first;
    handled ones latest handled first."""
    messages = VisitorMessage.objects.all()
    if box == Box.TAKEN:
        messages = messages.filter(taken_by=user)
    elif box == Box.ALL and user_oversees_messages(user):
        pass
    else:
        messages = messages.filter(recipient=user)
    if state == State.OPEN:
        messages = messages.filter(handled_at__isnull=True).order_by("-is_urgent", "taken_at", "id")
    elif state == State.HANDLED:
        messages = messages.filter(handled_at__isnull=False).order_by("-handled_at", "-id")
    else:
        messages = messages.order_by("-taken_at", "-id")
    return _with_ticket_access(_related(messages), user=user)


def message_get_for_user(*, user, pk: int) -> VisitorMessage | None:
    """A message the user may see: theirs, taken by them, or any for a supervisor / office manager."""
    messages = VisitorMessage.objects.filter(pk=pk).select_related("ticket", "recipient")
    if not user_oversees_messages(user):
        messages = messages.filter(Q(recipient=user) | Q(taken_by=user))
    return messages.first()


def message_count_open_for(*, user) -> int:
    return VisitorMessage.objects.filter(recipient=user, handled_at__isnull=True).count()


def message_ticket_get(*, user, reference: str) -> Ticket | None:
    """The visit's ticket for the message form, if the user may see it, with its Visit (if
    reception recorded one) for the prefill: one query."""
    return ticket_list_visible(user=user).select_related("visit").filter(reference=reference).first()


def message_list_for_ticket(*, ticket: Ticket) -> QuerySet[VisitorMessage]:
    return VisitorMessage.objects.filter(ticket=ticket).select_related("recipient__staff").order_by("taken_at", "id")
