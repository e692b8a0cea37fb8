"""Reads for the complaint pages."""

from __future__ import annotations

from django.db.models import Prefetch

from complaints.models import Complaint, ReturnVisit
from tickets.selectors import ticket_list_visible


def complaint_get_for_user(*, user, reference: str) -> Complaint | None:
    """The complaint of a ticket the user may see, with its report, routing and return visits
    (a fixed number of queries), or None."""
    ticket = ticket_list_visible(user=user, kind="complaint").filter(reference=reference).first()
    if ticket is None:
        return None
    return (
        Complaint.objects.select_related(
            "ticket",
            "ticket__customer",
            "source_ticket",
            "department",
            "routed_to",
            "accepted_by",
            "report__written_by",
            "report__approved_by",
        )
        .prefetch_related(
            "report__staff_involved",
            Prefetch("return_visits", queryset=ReturnVisit.objects.select_related("called_by")),
        )
        .filter(ticket=ticket)
        .first()
    )


def complaint_list_from(*, user, ticket) -> list[Complaint]:
    """Complaints that arose from `ticket` and that the user may see."""
    visible = ticket_list_visible(user=user, kind="complaint").values("pk")
    return list(
        Complaint.objects.filter(source_ticket=ticket, ticket__in=visible)
        .select_related("ticket")
        .order_by("accepted_at")
    )
