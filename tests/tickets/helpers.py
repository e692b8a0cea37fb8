"""Test data made through the real services (tickets in a given status, bills, returns, uploads),
and snapshots of what a refused action must leave untouched."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from scripts_lib.models import ServiceType
from tests.clock import at
from tickets import aftersales, services
from tickets.models import (
    Bill,
    Customer,
    Deadline,
    DocumentReturn,
    Notification,
    ServiceConfirmation,
    Ticket,
    TicketEvent,
    TicketSequence,
)

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


def written() -> dict[str, int]:
    """Every row taking a call could write (a refused one writes none of them)."""
    return {
        "customers": Customer.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "deadlines": Deadline.objects.count(),
        "notifications": Notification.objects.count(),
        "sequences": sum(TicketSequence.objects.values_list("last_value", flat=True)),
    }


def upload(name: str = "scan.pdf", content: bytes = b"%PDF-1.4 test", content_type: str = "application/pdf"):
    """A file as the browser uploads it."""
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- After-sales (A4, A5) -----------------------------------------------------------------------

BILL = {"amount": Decimal("1200.00"), "payment_due": date(2026, 3, 10), "payment_method": "银行转账"}
COURIER_DETAILS = {
    "method": DocumentReturn.Method.COURIER,
    "documents": "护照原件",
    "courier_company": "顺丰速运",
    "tracking_number": "SF1234567890",
    "courier_phone": "95338",
}


def aftersales_state(ticket: Ticket) -> dict:
    """Everything a refused after-sales action must leave untouched."""
    return snapshot(ticket) | {
        "bills": list(Bill.objects.filter(ticket=ticket).values()),
        "returns": list(DocumentReturn.objects.filter(ticket=ticket).values()),
    }


def bill_issued(ticket: Ticket, actor, *, now: datetime, **overrides) -> Bill:
    """The ticket's bill: ¥1200.00 by bank transfer, to be paid by 2026-03-10 (unless overridden)."""
    return aftersales.bill_issue(ticket=ticket, actor=actor, now=now, **(BILL | overrides))


def bill_paid(ticket: Ticket, clerk, finance_user, *, billed_at: datetime, paid_at: datetime) -> Bill:
    """The bill issued by the clerk, and its payment confirmed by finance."""
    bill_issued(ticket, clerk, now=billed_at)
    return aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=paid_at)


def courier_return(
    ticket: Ticket, actor, *, now: datetime, arrival: date = date(2026, 3, 4), **overrides
) -> DocumentReturn:
    """The passport sent back by SF Express, expected on `arrival`."""
    fields = COURIER_DETAILS | {"expected_arrival": arrival} | overrides
    return aftersales.documents_return(ticket=ticket, actor=actor, now=now, **fields)


def invoice_agreed(ticket: Ticket, clerk, *, now: datetime) -> ServiceConfirmation:
    """The service confirmation form (A1): ¥1200, an invoice made out to 杭州某某贸易有限公司."""
    return ServiceConfirmation.objects.create(
        ticket=ticket,
        service_type=ServiceType.objects.first(),
        estimated_time="10 个工作日",
        fee_amount=Decimal("1200"),
        invoice_needed=True,
        invoice_title="杭州某某贸易有限公司",
        prepared_by=clerk,
        prepared_at=now,
        updated_at=now,
    )


def four_handoffs(clerk, engineer) -> list[Ticket]:
    """Four inquiries taken on Monday 2 March 2026 10:00 (handoff due 12:00, two working hours):
    handed off after 30 minutes and after 1 hour (in time), at 14:00 (2.5 working hours, the lunch
    break 12:00–13:30 not counted: late, before the sweep saw it), and never (the 12:00 sweep
    breaches it). The three handed off belong to the engineer's department afterwards. The test
    database has no official 2026 calendar, so every deadline is provisional."""
    from tickets.deadlines import sla_sweep

    tickets = [new_ticket(clerk, now=at("2026-03-02 10:00"), contact_phone=f"1380000000{i}") for i in range(4)]
    for ticket, when in zip(tickets[:3], ("10:30", "11:00", "14:00"), strict=True):
        services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at(f"2026-03-02 {when}"))
    sla_sweep(now=at("2026-03-02 12:00"))
    return tickets
