"""Test data for the customer evaluation tests (C5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from complaints.models import Complaint, Evaluation, EvaluationLink
from tests.clock import at
from tests.tickets.helpers import new_ticket
from tickets import services
from tickets.models import Ticket, TicketEvent

RESOLVED_AT = at("2026-03-03 15:00")
LATER = at("2026-03-04 09:00")


def handled_ticket(clerk, engineer, *, created: datetime | None = None, **fields) -> Ticket:
    """Taken by the clerk, handed to the engineer, who resolves it (a day later)."""
    created = created or at("2026-03-02 10:00")
    fields.setdefault("subject", "打印机无法联网")
    ticket = new_ticket(clerk, now=created, **fields)
    ticket = services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=created + timedelta(minutes=30))
    return services.ticket_resolve(
        ticket=ticket, actor=engineer, resolution="已更换网卡", now=created + timedelta(days=1)
    )


def evaluation_rows() -> dict:
    return {
        "evaluations": Evaluation.objects.count(),
        "complaints": Complaint.objects.count(),
        "used_links": EvaluationLink.objects.filter(used_at__isnull=False).count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
    }
