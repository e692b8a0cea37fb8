"""Reads for the release slip and desk payment pages (select_related here, never in views)."""

from __future__ import annotations

from django.db.models import QuerySet

from tickets.models import Ticket
from visits.models_release import CounterPayment, OwnerConfirmation, PropertyAccount, ReleaseSlip
from visits.release import normalise_unit


def property_account_get(*, unit: str) -> PropertyAccount | None:
    unit = normalise_unit(unit)
    return PropertyAccount.objects.filter(unit=unit).first() if unit else None


def release_slip_list(*, ticket: Ticket) -> list[ReleaseSlip]:
    """The ticket's slips, newest first, with who issued them and the owner's confirmation."""
    rows = ReleaseSlip.objects.filter(ticket=ticket).select_related("issued_by", "confirmation")
    return list(rows.order_by("-issued_at", "-id"))


def release_slip_get(*, ticket: Ticket, number: str) -> ReleaseSlip | None:
    rows = ReleaseSlip.objects.filter(ticket=ticket, number=number)
    return rows.select_related("issued_by__staff", "confirmation__recorded_by").first()


def owner_confirmation_list(*, ticket: Ticket) -> list[OwnerConfirmation]:
    rows = OwnerConfirmation.objects.filter(ticket=ticket).select_related("account", "recorded_by")
    return list(rows.order_by("-recorded_at", "-id"))


def counter_payment_list(*, ticket: Ticket) -> list[CounterPayment]:
    rows = CounterPayment.objects.filter(ticket=ticket).select_related("taken_by", "invoice_delivered_by")
    return list(rows.order_by("-taken_at", "-id"))


def counter_payment_get(*, ticket: Ticket, receipt_number: str) -> CounterPayment | None:
    rows = CounterPayment.objects.filter(ticket=ticket, receipt_number=receipt_number)
    return rows.select_related("taken_by__staff", "invoice_delivered_by").first()


def counter_payment_list_invoice_owed(*, tickets: QuerySet[Ticket], limit: int = 200) -> list[CounterPayment]:
    """Payments whose invoice is still owed, oldest first, on the tickets given (the user's
    visible tickets)."""
    rows = CounterPayment.objects.filter(ticket__in=tickets, invoice_delivered_at__isnull=True)
    return list(rows.select_related("ticket", "taken_by").order_by("taken_at", "id")[:limit])
