"""Bring tickets into a given status through the real services, and snapshot them."""

from __future__ import annotations

from django.forms.models import model_to_dict

from tests.clock import at
from tickets import services
from tickets.models import Deadline, Notification, Ticket, TicketEvent

T0 = at("2026-03-02 10:00")  # a Monday in an ordinary week


def new_ticket(actor, *, now=T0, **overrides) -> Ticket:
    fields = {
        "kind": Ticket.Kind.INQUIRY,
        "channel": Ticket.Channel.PHONE,
        "subject": "签证材料咨询",
        "contact_name": "陈先生",
        "contact_phone": "13800000001",
    }
    fields.update(overrides)
    return services.ticket_create(actor=actor, now=now, **fields)


def ticket_in(status: str, *, clerk, engineer) -> Ticket:
    """A ticket created by `clerk` and moved, through services, into `status`."""
    S = Ticket.Status
    ticket = new_ticket(clerk)
    if status == S.OPEN:
        return ticket
    if status in (S.HANDED_OFF, S.REPLIED, S.WAITING_CUSTOMER):
        ticket = services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:30"))
        if status == S.REPLIED:
            ticket = services.ticket_reply(
                ticket=ticket, actor=engineer, result="已远程修复", now=at("2026-03-02 14:00")
            )
        if status == S.WAITING_CUSTOMER:
            ticket = services.ticket_pause(
                ticket=ticket, actor=engineer, reason="等客户提供日志", now=at("2026-03-02 14:00")
            )
        return ticket
    if status == S.AWAITING_TEST:
        return services.ticket_request_test(ticket=ticket, actor=clerk, now=at("2026-03-02 10:30"))
    ticket = services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=at("2026-03-02 10:05"))
    if status == S.CLOSED:
        ticket = services.ticket_close(ticket=ticket, actor=clerk, now=at("2026-03-02 10:10"))
    return ticket


def snapshot(ticket: Ticket) -> dict:
    """Everything a refused action must leave untouched."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    return {
        "ticket": model_to_dict(fresh, exclude=[]) | {"updated_at": fresh.updated_at, "version": fresh.version},
        "events": list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", "type")),
        "deadlines": list(Deadline.objects.filter(ticket=ticket).order_by("pk").values()),
        "notifications": Notification.objects.count(),
    }
