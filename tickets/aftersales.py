"""After-sales (A4, A5): the bill, finance's payment confirmation, the invoice or receipt, the
completion notice to the customer, and returning the customer's documents with the call that
confirms a courier parcel arrived.

Same rules as tickets.services: keyword-only arguments, a required actor, one transaction, the
ticket row locked before anything is checked, one TicketEvent per write, side effects after
commit. None of these verbs moves the ticket's status. They are legal while the ticket is open
or resolved (documents often go back after the work is resolved), never once it is closed; the
bill alone is refused on a resolved ticket too, since it is made when the work starts.

The receipt call (A5) runs on the SLA machinery: a courier return starts a RECEIPT_CALLBACK
deadline anchored at the end of the expected arrival day, so it is due at the close of business
of the first working day after it on the official calendar. A ticket has at most one live
timer of a kind, so the timer always stands for the earliest call still owed
(`_receipt_deadline_sync`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from scripts_lib.guard import phrases_guard, phrases_override_data
from tickets import deadlines as dl
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted, check_choice
from tickets.models import (
    Bill,
    Deadline,
    DeadlineKind,
    DocumentReturn,
    StaffProfile,
    Ticket,
    TicketEvent,
)
from tickets.notifications import get_customer_notifier, notification_create
from tickets.services import (
    _check_record_may_change,
    _clean_text,
    _local,
    _lock_any,
    _now,
    _record,
    _save,
    _staff_profile,
    _yuan,
)
from tickets.sla import SHANGHAI

logger = logging.getLogger("tickets.aftersales")

Event = TicketEvent.Type
Method = DocumentReturn.Method
Receipt = DocumentReturn.Receipt

# Who acts when the notifier delivers a queued completion notice.
NOTIFIER_LABEL = "system"


# --- Checks -------------------------------------------------------------------------------------


def _today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _check_not_closed(ticket: Ticket) -> None:
    # Documents often go back after the work is resolved: only a closed ticket is settled.
    _check_record_may_change(ticket, record=_("its after-sales record"), while_resolved=True)


def _bill_locked(ticket: Ticket) -> Bill:
    bill = Bill.objects.select_for_update().filter(ticket=ticket).first()
    if bill is None:
        raise IllegalTransition(_("Ticket %(ref)s has no bill yet: issue the bill first.") % {"ref": ticket.reference})
    return bill


# --- The bill, the payment, the invoice or receipt (A4) ----------------------------------------


@transaction.atomic
def bill_issue(
    *,
    ticket: Ticket,
    actor,
    amount: Decimal | str | int,
    payment_due: date | None,
    payment_method: str = "",
    now: datetime | None = None,
) -> Bill:
    """Bill the customer when the work starts (A4): one bill per ticket, paid by `payment_due`."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    amount = _yuan("amount", amount, _("the amount"))
    if payment_due is None:
        raise InvalidInput(_("The payment due date is required."), field="payment_due")
    if payment_due < _today(now):
        raise InvalidInput(
            _("The payment due date %(due)s is in the past; give today or a later date.")
            % {"due": payment_due.isoformat()},
            field="payment_due",
        )
    payment_method = _clean_text("payment_method", payment_method, _("Payment method"), 50)
    ticket = _lock_any(ticket)
    if not ticket.is_open:
        raise IllegalTransition(
            _("Ticket %(ref)s is already “%(status)s”: a bill is made when the work starts.")
            % {"ref": ticket.reference, "status": ticket.get_status_display()}
        )
    existing = Bill.objects.filter(ticket=ticket).first()
    if existing is not None:
        raise IllegalTransition(
            _("Ticket %(ref)s already has a bill (¥%(amount)s, issued %(when)s); a ticket has one bill.")
            % {"ref": ticket.reference, "amount": existing.amount, "when": _local(existing.billed_at)}
        )
    bill = Bill.objects.create(
        ticket=ticket,
        amount=amount,
        payment_due=payment_due,
        payment_method=payment_method,
        billed_by=actor,
        billed_at=now,
    )
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.BILLED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("¥%(amount)s, to be paid by %(due)s") % {"amount": amount, "due": payment_due.isoformat()},
        data={
            "bill": bill.pk,
            "amount": str(amount),
            "payment_due": payment_due.isoformat(),
            "payment_method": payment_method,
        },
    )
    return bill


@transaction.atomic
def bill_confirm_payment(*, ticket: Ticket, actor, payment_method: str = "", now: datetime | None = None) -> Bill:
    """Finance confirms the money arrived (A4). Nobody else may: the desk cannot mark its own
    bill paid."""
    now = _now(now)
    profile = _staff_profile(actor, field="actor")
    if not (profile.user.is_superuser or profile.role == StaffProfile.Role.FINANCE):
        raise NotPermitted(
            _("Only finance confirms payments; %(name)s is “%(role)s”. Ask finance to confirm it.")
            % {"name": profile.display_name, "role": profile.get_role_display()}
        )
    payment_method = _clean_text("payment_method", payment_method, _("Payment method"), 50)
    ticket = _lock_any(ticket)
    _check_not_closed(ticket)
    bill = _bill_locked(ticket)
    if bill.is_paid:
        raise IllegalTransition(
            _("The payment of ticket %(ref)s was already confirmed on %(when)s.")
            % {"ref": ticket.reference, "when": _local(bill.paid_at)}
        )
    bill.paid_at = now
    bill.payment_confirmed_by = actor
    if payment_method:
        bill.payment_method = payment_method
    bill.save(update_fields=["paid_at", "payment_confirmed_by", "payment_method"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.PAYMENT_CONFIRMED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("¥%(amount)s received") % {"amount": bill.amount}
        + (f" · {bill.payment_method}" if bill.payment_method else ""),
        data={"bill": bill.pk, "amount": str(bill.amount), "payment_method": bill.payment_method},
    )
    return bill


@transaction.atomic
def bill_issue_document(
    *, ticket: Ticket, actor, kind: str, number: str, title: str = "", now: datetime | None = None
) -> Bill:
    """The invoice or receipt, only once finance has confirmed the payment (A4).

    An invoice needs a title (the buyer's name on it); blank takes the title agreed on the
    service confirmation form (A1), if there is one."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("kind", kind, Bill.Document)
    number = _clean_text("number", number, _("The invoice or receipt number"), 50, required=True)
    title = _clean_text("title", title, _("The title"), 200)
    ticket = _lock_any(ticket)
    _check_not_closed(ticket)
    bill = _bill_locked(ticket)
    if not bill.is_paid:
        raise IllegalTransition(
            _("Finance has not confirmed the payment of ticket %(ref)s yet: an invoice or receipt comes after that.")
            % {"ref": ticket.reference}
        )
    if bill.is_issued:
        raise IllegalTransition(
            _("%(document)s %(number)s was already issued for ticket %(ref)s on %(when)s.")
            % {
                "document": bill.get_document_kind_display(),
                "number": bill.document_number,
                "ref": ticket.reference,
                "when": _local(bill.issued_at),
            }
        )
    if kind == Bill.Document.INVOICE and not title:
        confirmation = getattr(ticket, "service_confirmation", None)
        title = confirmation.invoice_title.strip() if confirmation is not None else ""
        if not title:
            raise InvalidInput(_("An invoice needs a title (the name the invoice is made out to)."), field="title")
    bill.document_kind = kind
    bill.document_number = number
    bill.document_title = title
    bill.issued_at = now
    bill.issued_by = actor
    bill.save(update_fields=["document_kind", "document_number", "document_title", "issued_at", "issued_by"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.RECEIPT_ISSUED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=" · ".join(part for part in (f"{bill.get_document_kind_display()} {number}", title) if part),
        data={"bill": bill.pk, "kind": kind, "number": number, "title": title},
    )
    return bill


# --- The completion notice (A4) ------------------------------------------------------------------


def customer_phone(ticket: Ticket) -> str:
    """Where the completion notice goes: the ticket's contact phone (given for this case, and
    the customer's own phone by default), else the customer's phone or other phone."""
    if ticket.contact_phone.strip():
        return ticket.contact_phone.strip()
    customer = ticket.customer
    if customer is not None:
        return (customer.phone or customer.phone_alt).strip()
    return ""


def payment_status_text(bill: Bill | None) -> str:
    """The payment sentence of the completion notice ("confirm payment information", A4)."""
    if bill is None:
        return _("No payment is outstanding.")
    if bill.is_paid:
        return _("We have received your payment of ¥%(amount)s, thank you.") % {"amount": bill.amount}
    return _("Amount due: ¥%(amount)s, to be paid by %(due)s.") % {
        "amount": bill.amount,
        "due": bill.payment_due.isoformat(),
    }


def completion_notice_default_text(ticket: Ticket, bill: Bill | None) -> str:
    """The standard completion notice: the reference, that the service is complete, the payment."""
    return _("Your service (reference %(ref)s) is complete. %(payment)s For any question, quote the reference.") % {
        "ref": ticket.reference,
        "payment": payment_status_text(bill),
    }


@transaction.atomic
def customer_notify_completion(
    *, ticket: Ticket, actor, text: str = "", now: datetime | None = None, override_reason: str = ""
) -> TicketEvent:
    """Tell the customer the service is complete (A4), through the customer notifier after commit.

    Blank `text` sends the standard notice. The ticket records the text and the phone it went
    to; the delivery itself is `customer_notice_deliver`, run once by a Celery task. A typed text
    passes the forbidden-phrase guard (P3; a supervisor may override it with a reason)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    text = _clean_text("text", text, _("The message"), 500)
    override = phrases_guard(text, field="text", actor=actor, override_reason=override_reason)
    ticket = _lock_any(ticket)
    _check_not_closed(ticket)
    phone = customer_phone(ticket)
    if not phone:
        raise InvalidInput(
            _("Ticket %(ref)s has no customer or contact phone: add one before notifying the customer.")
            % {"ref": ticket.reference},
            field="text",
        )
    if not text:
        text = completion_notice_default_text(ticket, Bill.objects.filter(ticket=ticket).first())
    _save(ticket, now, [])
    event = _record(
        ticket,
        type=Event.CUSTOMER_NOTIFIED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=text,
        data={
            "phone": phone,
            "text": text,
            **(
                {"phrase_override": phrases_override_data(override, actor=actor, reason=override_reason.strip())}
                if override
                else {}
            ),
        },
    )

    def deliver() -> None:
        from tickets.tasks import customer_notice_send

        customer_notice_send.delay(event.pk)

    transaction.on_commit(deliver)
    return event


def customer_notice_deliver(*, event_id: int, now: datetime | None = None) -> bool:
    """Send one recorded completion notice through the customer notifier, at most once.

    Safe to run twice: the delivery is recorded on the ticket (an event naming the notice it
    delivered) in the same transaction as the send, with the ticket row locked, and a notice
    already delivered is skipped. A notifier that raises leaves nothing recorded, so the task
    can try again."""
    now = _now(now)
    with transaction.atomic():
        notice = TicketEvent.objects.filter(pk=event_id, type=Event.CUSTOMER_NOTIFIED).first()
        if notice is None or "delivery_of" in notice.data or not notice.data.get("phone"):
            return False
        ticket = _lock_any(notice.ticket_id)
        delivered = TicketEvent.objects.filter(
            ticket=ticket, type=Event.CUSTOMER_NOTIFIED, data__delivery_of=notice.pk
        ).exists()
        if delivered:
            return False
        phone = notice.data["phone"]
        get_customer_notifier().send(ticket=ticket, phone=phone, text=notice.data.get("text") or notice.note)
        _record(
            ticket,
            type=Event.CUSTOMER_NOTIFIED,
            actor=None,
            actor_label=NOTIFIER_LABEL,
            now=now,
            status_before=ticket.status,
            note=_("Delivered to %(phone)s.") % {"phone": phone},
            data={"delivery_of": notice.pk, "phone": phone},
        )
    return True


# --- Returning documents and the receipt call (A5) ----------------------------------------------


def receipt_callback_anchor(expected_arrival: date) -> datetime:
    """The end of the expected arrival day (midnight after it, Asia/Shanghai): the receipt call
    is due one working day after it, at the close of business of the first working day."""
    return datetime.combine(expected_arrival + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def _owed_since(document_return: DocumentReturn) -> datetime:
    """When the call owed for a courier return starts counting: the end of its arrival day, or
    the last call if the customer had not received it then."""
    if document_return.receipt_result == Receipt.NOT_RECEIVED and document_return.receipt_checked_at:
        return document_return.receipt_checked_at
    return receipt_callback_anchor(document_return.expected_arrival)


def _calls_owed(ticket: Ticket) -> list[DocumentReturn]:
    return list(
        DocumentReturn.objects.filter(ticket=ticket, method=Method.COURIER)
        .exclude(receipt_result=Receipt.RECEIVED)
        .order_by("recorded_at", "id")
    )


def _receipt_deadline_sync(ticket: Ticket, now: datetime) -> Deadline | None:
    """Keep one RECEIPT_CALLBACK timer running for the earliest receipt call still owed.

    A ticket has at most one live timer of a kind; when several parcels are out, the timer
    stands for the one whose call is due first, and the next one takes over once that call is
    recorded."""
    owed = _calls_owed(ticket)
    live = list(Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.RECEIPT_CALLBACK).live().select_for_update())
    anchor = min((_owed_since(row) for row in owed), default=None)
    if live and live[0].anchor_at == anchor:
        return live[0]
    if live:
        dl.deadlines_cancel(ticket=ticket, now=now, kinds=(DeadlineKind.RECEIPT_CALLBACK,))
    if anchor is None:
        return None
    return dl.deadline_start(
        ticket=ticket,
        kind=DeadlineKind.RECEIPT_CALLBACK,
        now=now,
        # A follow-up call counts plainly from the call just made: one working day from now.
        anchor_at=None if anchor == now else anchor,
    )


@transaction.atomic
def documents_return(
    *,
    ticket: Ticket,
    actor,
    method: str,
    documents: str,
    collected_by: str = "",
    collected_at: datetime | None = None,
    courier_company: str = "",
    tracking_number: str = "",
    courier_phone: str = "",
    expected_arrival: date | None = None,
    now: datetime | None = None,
) -> DocumentReturn:
    """The customer's documents go back (A5): collected in person, or sent by courier.

    In person: who collected them and when (default now). By courier: the courier company,
    tracking number, the courier's phone and the expected arrival, all of which the customer
    is told; the receipt call is then due at the close of business of the first working day
    after the expected arrival."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("method", method, Method)
    documents = _clean_text("documents", documents, _("The documents returned"), 300, required=True)
    fields: dict[str, Any] = {}
    if method == Method.IN_PERSON:
        fields["collected_by"] = _clean_text("collected_by", collected_by, _("Who collected them"), 100, required=True)
        collected_at = collected_at or now
        if collected_at.tzinfo is None:
            raise ValueError("collected_at must be an aware datetime, not a naive one")
        if collected_at > now:
            raise InvalidInput(
                _("The collection time %(when)s is in the future.") % {"when": _local(collected_at)},
                field="collected_at",
            )
        fields["collected_at"] = collected_at
    else:
        fields["courier_company"] = _clean_text(
            "courier_company", courier_company, _("The courier company"), 100, required=True
        )
        fields["tracking_number"] = _clean_text(
            "tracking_number", tracking_number, _("The tracking number"), 50, required=True
        )
        fields["courier_phone"] = _clean_text(
            "courier_phone", courier_phone, _("The courier's phone for tracking"), 30, required=True
        )
        if expected_arrival is None:
            raise InvalidInput(_("The expected arrival date is required."), field="expected_arrival")
        if expected_arrival < _today(now):
            raise InvalidInput(
                _("The expected arrival %(day)s is in the past; give today or a later date.")
                % {"day": expected_arrival.isoformat()},
                field="expected_arrival",
            )
        fields["expected_arrival"] = expected_arrival
    ticket = _lock_any(ticket)
    _check_not_closed(ticket)
    document_return = DocumentReturn.objects.create(
        ticket=ticket, method=method, documents=documents, recorded_by=actor, recorded_at=now, **fields
    )
    data: dict[str, Any] = {"document_return": document_return.pk, "method": method, "documents": documents}
    if method == Method.IN_PERSON:
        data |= {"collected_by": fields["collected_by"], "collected_at": fields["collected_at"].isoformat()}
        note = _("%(documents)s collected in person by %(name)s") % {
            "documents": documents,
            "name": fields["collected_by"],
        }
    else:
        deadline = _receipt_deadline_sync(ticket, now)
        data |= {
            "courier_company": fields["courier_company"],
            "tracking_number": fields["tracking_number"],
            "courier_phone": fields["courier_phone"],
            "expected_arrival": expected_arrival.isoformat(),
            "receipt_call_due_at": deadline.due_at.isoformat() if deadline is not None else None,
        }
        note = _("%(documents)s sent by %(company)s, tracking number %(number)s, expected %(day)s") % {
            "documents": documents,
            "company": fields["courier_company"],
            "number": fields["tracking_number"],
            "day": expected_arrival.isoformat(),
        }
    _save(ticket, now, [])
    _record(
        ticket, type=Event.DOCUMENTS_RETURNED, actor=actor, now=now, status_before=ticket.status, note=note, data=data
    )
    return document_return


@transaction.atomic
def receipt_callback_record(
    *, document_return: DocumentReturn, actor, result: str, note: str = "", now: datetime | None = None
) -> DocumentReturn:
    """The call that confirms a courier parcel arrived (A5); it meets the receipt-call deadline.

    Not received: the note (what the customer said, what happens next) is required, the first
    responder is told, and the follow-up call is due one working day from now."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("result", result, Receipt)
    note = _clean_text("note", note, _("The note"), 300, required=result == Receipt.NOT_RECEIVED)
    ticket = _lock_any(document_return.ticket_id)
    _check_not_closed(ticket)
    row = DocumentReturn.objects.select_for_update().filter(pk=document_return.pk).first()
    if row is None:
        raise InvalidInput(_("That document return does not exist."), field="document_return")
    if row.method != Method.COURIER:
        raise IllegalTransition(
            _("%(documents)s were collected in person: there is no receipt to confirm.") % {"documents": row.documents}
        )
    if row.receipt_result == Receipt.RECEIVED:
        raise IllegalTransition(
            _("The customer already confirmed receiving %(documents)s on %(when)s.")
            % {"documents": row.documents, "when": _local(row.receipt_checked_at)}
        )
    row.receipt_result = result
    row.receipt_note = note
    row.receipt_checked_at = now
    row.receipt_checked_by = actor
    row.save(update_fields=["receipt_result", "receipt_note", "receipt_checked_at", "receipt_checked_by"])
    dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.RECEIPT_CALLBACK,), now=now)
    deadline = _receipt_deadline_sync(ticket, now)
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.RECEIPT_CALLBACK,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=" · ".join(part for part in (f"{row.get_receipt_result_display()}: {row.documents}", note) if part),
        data={
            "document_return": row.pk,
            "result": result,
            "tracking_number": row.tracking_number,
            "next_call_due_at": deadline.due_at.isoformat() if deadline is not None else None,
        },
    )
    if result == Receipt.NOT_RECEIVED:
        notification_create(
            recipient=ticket.first_responder,
            ticket=ticket,
            now=now,
            text=_(
                "%(ref)s: the customer has not received %(documents)s (%(company)s %(number)s). "
                "Follow up with the courier and call the customer again: %(note)s"
            )
            % {
                "ref": ticket.reference,
                "documents": row.documents,
                "company": row.courier_company,
                "number": row.tracking_number,
                "note": note,
            },
        )
    return row


# --- Called by the SLA sweep (services.ticket_sla_warn / ticket_sla_breach) -----------------


def receipt_callback_remind(*, ticket: Ticket, deadline: Deadline, now: datetime, breached: bool) -> str:
    """A receipt call near or past its due time: remind the first responder to make it (T1).

    It never escalates: the call is the desk's own to-do, not another department's problem.
    The ticket row is already locked by the sweep. Returns what was done."""
    owed = _calls_owed(ticket) or list(DocumentReturn.objects.filter(ticket=ticket, method=Method.COURIER))
    documents = "; ".join(row.documents for row in owed) or _("the returned documents")
    recipient = ticket.first_responder
    due = _local(deadline.due_at)
    if breached:
        text = _("%(ref)s: the receipt call was due %(due)s. Call the customer to confirm receipt of %(documents)s.")
    else:
        text = _("%(ref)s: call the customer to confirm receipt of %(documents)s (due %(due)s).")
    text = text % {"ref": ticket.reference, "due": due, "documents": documents}
    _record(
        ticket,
        type=Event.SLA_BREACHED if breached else Event.SLA_WARNING,
        actor=None,
        actor_label="sla",
        now=now,
        status_before=ticket.status,
        note=text,
        data={
            "deadline": deadline.kind,
            "due_at": deadline.due_at.isoformat(),
            "notified": [recipient.pk],
            "documents": documents,
        },
    )
    notification_create(recipient=recipient, ticket=ticket, now=now, text=text)
    return _("reminded %(name)s to call the customer") % {"name": recipient.get_username()}
