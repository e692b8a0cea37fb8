"""Reads for the renovation permit and repair request pages: a fixed number of queries however
many workers an application lists."""

from __future__ import annotations

from django.db.models import Prefetch

from tickets import selectors
from tickets.models import Deadline, DeadlineKind, Ticket
from visits.models_renovation import RenovationApplication, RenovationWorker, RepairRequest


def ticket_get_for_counter(*, user, reference: str) -> Ticket | None:
    """The ticket with its first responder, or None if missing or not visible to the user."""
    return (
        selectors.ticket_list_visible(user=user)
        .select_related("first_responder__staff", "customer")
        .filter(reference=reference)
        .first()
    )


def renovation_get(*, ticket: Ticket) -> RenovationApplication | None:
    """The ticket's renovation application with its workers (two queries), or None."""
    return (
        RenovationApplication.objects.select_related("issued_by__staff", "created_by", "fee_schedule")
        .prefetch_related(Prefetch("workers", queryset=RenovationWorker.objects.order_by("added_at", "id")))
        .filter(ticket=ticket)
        .first()
    )


def renovation_worker_get(*, ticket: Ticket, pk: int) -> RenovationWorker | None:
    return RenovationWorker.objects.filter(pk=pk, application__ticket=ticket).first()


def repair_get(*, ticket: Ticket) -> RepairRequest | None:
    return RepairRequest.objects.select_related("created_by").filter(ticket=ticket).first()


def repair_arrival_deadline(*, ticket: Ticket) -> Deadline | None:
    """The running promised-arrival timer, if any."""
    return Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.REPAIR_ARRIVAL).live().order_by("-id").first()
