"""Reads for ID copies and incidents (V5, V6)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from tickets.models import Deadline, DeadlineKind, Ticket
from visits.models_records import IdCopy, Incident, IncidentType

TYPICAL_PAGE_SIZE = 20


def id_copy_list(*, ticket: Ticket) -> list[IdCopy]:
    return list(IdCopy.objects.filter(ticket=ticket).select_related("uploaded_by").order_by("-uploaded_at", "-id"))


def id_copy_get(*, ticket: Ticket, pk: int) -> IdCopy | None:
    return IdCopy.objects.filter(ticket=ticket, pk=pk).first()


def incident_get(*, ticket: Ticket) -> Incident | None:
    return (
        Incident.objects.select_related("recorded_by", "report_filed_by", "typical_marked_by")
        .filter(ticket=ticket)
        .first()
    )


def incident_report_deadline(*, ticket: Ticket) -> Deadline | None:
    """The report deadline (the latest one, met or not)."""
    return (
        Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.INCIDENT_REPORT).order_by("-started_at", "-id").first()
    )


def typical_case_list(*, incident_type: str = "") -> QuerySet[Incident]:
    rows = Incident.objects.filter(is_typical=True).select_related("ticket", "recorded_by", "typical_marked_by")
    if incident_type in IncidentType.values:
        rows = rows.filter(type=incident_type)
    return rows.order_by("-occurred_at", "-id")


def typical_case_page(*, incident_type: str = "", page: str | int | None = 1) -> Page:
    """One page of the training archive: a count and a page query, whatever the page size."""
    return Paginator(typical_case_list(incident_type=incident_type), TYPICAL_PAGE_SIZE).get_page(page)
