"""After-sales services (A4, A5): bill, payment, invoice/receipt, completion notice, document
returns and the receipt call, on the real 2026 calendar.

2026 facts the due-date table relies on (see tests/tickets/test_sla.py):
Spring Festival off Sun Feb 15 – Mon Feb 23, make-up Saturday Feb 14 (and Feb 28);
Mid-autumn off Fri Sep 25 – Sun Sep 27; National Day off Thu Oct 1 – Wed Oct 7, make-up
Sunday Sep 20 and Saturday Oct 10.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from functools import partial

import pytest
from django.contrib.auth import get_user_model

from tests.clock import at
from tests.factories import CustomerFactory, StaffFactory
from tests.tickets.helpers import (
    T0,
    aftersales_state,
    bill_issued,
    bill_paid,
    courier_return,
    invoice_agreed,
    new_ticket,
)
from tickets import aftersales, services, tasks
from tickets.calendars import business_calendar_invalidate, calendar_seed
from tickets.deadlines import sla_sweep
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted
from tickets.models import (
    Bill,
    Deadline,
    DeadlineKind,
    DocumentReturn,
    Notification,
    StaffProfile,
    Ticket,
    TicketEvent,
)

S = Ticket.Status
E = TicketEvent.Type
COURIER = DocumentReturn.Method.COURIER
IN_PERSON = DocumentReturn.Method.IN_PERSON


# --- Fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def official_2026(db):
    """The official 2026 schedule (holidays and make-up workdays), as `seed_calendar` stores it."""
    calendar_seed(years=[2026])
    business_calendar_invalidate()


@pytest.fixture
def ticket(clerk):
    """An after-sales ticket accepted by the clerk on Monday 2026-03-02 10:00."""
    return new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES, subject="签证办理：护照返还")


# When this module's bills are issued and paid, and its parcels sent.
billed = partial(bill_issued, now=T0)
paid = partial(bill_paid, billed_at=T0, paid_at=at("2026-03-03 11:00"))
courier = partial(courier_return, now=at("2026-03-03 10:00"))


def receipt_deadlines(ticket) -> list[Deadline]:
    return list(Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.RECEIPT_CALLBACK).order_by("pk"))


def resolved(ticket, clerk) -> Ticket:
    return services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=at("2026-03-02 10:05"))


def closed(ticket, clerk) -> Ticket:
    return services.ticket_close(ticket=resolved(ticket, clerk), actor=clerk, now=at("2026-03-02 10:10"))


# --- The bill (A4) ------------------------------------------------------------------------------


def test_bill_issue_records_the_bill_and_one_event(ticket, clerk):
    version = ticket.version

    bill = billed(ticket, clerk)

    assert (bill.amount, bill.payment_due, bill.payment_method) == (Decimal("1200.00"), date(2026, 3, 10), "银行转账")
    assert (bill.billed_by, bill.billed_at, bill.is_paid, bill.is_issued) == (clerk, T0, False, False)
    event = ticket.events.get(type=E.BILLED)
    assert event.actor == clerk
    assert event.data == {
        "bill": bill.pk,
        "amount": "1200.00",
        "payment_due": "2026-03-10",
        "payment_method": "银行转账",
    }
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.version) == (S.OPEN, version + 1)


def test_a_bill_due_today_is_accepted(ticket, clerk):
    assert billed(ticket, clerk, payment_due=date(2026, 3, 2)).payment_due == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "-50"}, "amount", "more than zero"),
        ({"amount": "abc"}, "amount", "in yuan"),
        ({"amount": ""}, "amount", "required"),
        ({"amount": "12.345"}, "amount", "two decimal places"),
        ({"amount": "100000000"}, "amount", "too large"),
        ({"payment_due": None}, "payment_due", "required"),
        ({"payment_due": date(2026, 3, 1)}, "payment_due", "in the past"),
        ({"payment_method": "现" * 51}, "payment_method", "too long"),
    ],
)
def test_bill_issue_refuses_bad_input_and_writes_nothing(overrides, field, message, ticket, clerk):
    before = aftersales_state(ticket)

    with pytest.raises(InvalidInput, match=message) as refused:
        billed(ticket, clerk, **overrides)

    assert refused.value.field == field
    assert aftersales_state(ticket) == before


def test_a_second_bill_is_refused(ticket, clerk):
    billed(ticket, clerk)
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="already has a bill"):
        billed(ticket, clerk, amount="99")

    assert aftersales_state(ticket) == before


@pytest.mark.parametrize("end", [resolved, closed])
def test_no_bill_on_a_resolved_or_closed_ticket(end, ticket, clerk):
    end(ticket, clerk)
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="when the work starts"):
        billed(ticket, clerk)

    assert aftersales_state(ticket) == before


# --- Payment: finance only (A4) -----------------------------------------------------------------


def test_finance_confirms_the_payment(ticket, clerk, finance_user):
    billed(ticket, clerk)

    bill = aftersales.bill_confirm_payment(
        ticket=ticket, actor=finance_user, payment_method="微信支付", now=at("2026-03-03 11:00")
    )

    assert (bill.paid_at, bill.payment_confirmed_by, bill.payment_method) == (
        at("2026-03-03 11:00"),
        finance_user,
        "微信支付",
    )
    event = ticket.events.get(type=E.PAYMENT_CONFIRMED)
    assert (event.actor, event.data["amount"], event.status_after) == (finance_user, "1200.00", S.OPEN)


def test_payment_confirmation_keeps_the_billed_method_when_none_is_given(ticket, clerk, finance_user):
    assert paid(ticket, clerk, finance_user).payment_method == "银行转账"


@pytest.mark.parametrize("who", ["clerk", "engineer", "supervisor", "tech_head"])
def test_nobody_but_finance_may_confirm_a_payment(who, request, ticket, clerk):
    billed(ticket, clerk)
    actor = request.getfixturevalue(who)
    before = aftersales_state(ticket)

    with pytest.raises(NotPermitted, match="Only finance confirms payments"):
        aftersales.bill_confirm_payment(ticket=ticket, actor=actor, now=at("2026-03-03 11:00"))

    assert aftersales_state(ticket) == before


def test_a_superuser_may_confirm_a_payment(ticket, clerk):
    root = StaffFactory(user__username="root", user__is_superuser=True, role=StaffProfile.Role.ADMIN).user
    billed(ticket, clerk)

    assert aftersales.bill_confirm_payment(ticket=ticket, actor=root, now=at("2026-03-03 11:00")).is_paid


def test_payment_is_confirmed_only_once(ticket, clerk, finance_user):
    paid(ticket, clerk, finance_user)
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="already confirmed"):
        aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=at("2026-03-04 11:00"))

    assert aftersales_state(ticket) == before


def test_no_payment_to_confirm_without_a_bill(ticket, finance_user):
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="no bill yet"):
        aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=T0)

    assert aftersales_state(ticket) == before


def test_payment_may_be_confirmed_after_the_work_is_resolved(ticket, clerk, finance_user):
    billed(ticket, clerk)
    resolved(ticket, clerk)

    bill = aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=at("2026-03-03 11:00"))

    assert bill.is_paid
    assert Ticket.objects.get(pk=ticket.pk).status == S.RESOLVED


# --- Invoice or receipt (A4) --------------------------------------------------------------------


def test_a_receipt_is_issued_after_payment(ticket, clerk, finance_user):
    paid(ticket, clerk, finance_user)

    bill = aftersales.bill_issue_document(
        ticket=ticket, actor=finance_user, kind=Bill.Document.RECEIPT, number="SJ-0001", now=at("2026-03-03 14:00")
    )

    assert (bill.document_kind, bill.document_number, bill.document_title) == ("receipt", "SJ-0001", "")
    assert (bill.issued_at, bill.issued_by) == (at("2026-03-03 14:00"), finance_user)
    event = ticket.events.get(type=E.RECEIPT_ISSUED)
    assert event.data == {"bill": bill.pk, "kind": "receipt", "number": "SJ-0001", "title": ""}


def test_an_invoice_before_payment_is_refused(ticket, clerk, finance_user):
    billed(ticket, clerk)
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="has not confirmed the payment"):
        aftersales.bill_issue_document(
            ticket=ticket, actor=finance_user, kind="invoice", number="FP-1", title="杭州某某公司", now=T0
        )

    assert aftersales_state(ticket) == before


def test_an_invoice_takes_its_title_from_the_service_confirmation_form(ticket, clerk, finance_user):
    invoice_agreed(ticket, clerk, now=T0)
    paid(ticket, clerk, finance_user)

    bill = aftersales.bill_issue_document(
        ticket=ticket, actor=finance_user, kind="invoice", number="FP-0001", now=at("2026-03-03 14:00")
    )

    assert (bill.document_kind, bill.document_title) == ("invoice", "杭州某某贸易有限公司")


@pytest.mark.parametrize(
    ("kind", "number", "title", "field", "message"),
    [
        ("invoice", "FP-1", "", "title", "needs a title"),
        ("receipt", "  ", "", "number", "required"),
        ("cheque", "X1", "", "kind", "Unknown kind"),
        ("receipt", "N" * 51, "", "number", "too long"),
    ],
)
def test_a_bad_invoice_or_receipt_is_refused(kind, number, title, field, message, ticket, clerk, finance_user):
    paid(ticket, clerk, finance_user)
    before = aftersales_state(ticket)

    with pytest.raises(InvalidInput, match=message) as refused:
        aftersales.bill_issue_document(
            ticket=ticket, actor=finance_user, kind=kind, number=number, title=title, now=at("2026-03-03 14:00")
        )

    assert refused.value.field == field
    assert aftersales_state(ticket) == before


def test_only_one_invoice_or_receipt_per_bill(ticket, clerk, finance_user):
    paid(ticket, clerk, finance_user)
    aftersales.bill_issue_document(ticket=ticket, actor=finance_user, kind="receipt", number="SJ-1", now=T0)
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="already issued"):
        aftersales.bill_issue_document(ticket=ticket, actor=finance_user, kind="receipt", number="SJ-2", now=T0)

    assert aftersales_state(ticket) == before


# --- The completion notice (A4) -----------------------------------------------------------------


def test_the_completion_notice_is_logged_and_delivered_once(
    ticket, clerk, finance_user, caplog, django_capture_on_commit_callbacks
):
    paid(ticket, clerk, finance_user)

    with django_capture_on_commit_callbacks() as queued:
        event = aftersales.customer_notify_completion(ticket=ticket, actor=clerk, now=at("2026-03-05 10:00"))

    assert event.type == E.CUSTOMER_NOTIFIED
    assert event.data["phone"] == "13800000001"
    assert ticket.reference in event.note and "complete" in event.note
    assert "received your payment of ¥1200.00" in event.note
    assert event.data["text"] == event.note
    assert len(queued) == 1  # delivery waits for the commit

    with caplog.at_level(logging.INFO, logger="tickets.notifications"):
        first = tasks.customer_notice_send(event.pk)
        again = tasks.customer_notice_send(event.pk)

    assert (first, again) == (True, False)
    sent = [r.getMessage() for r in caplog.records if r.name == "tickets.notifications"]
    assert len(sent) == 1
    assert "13800000001" in sent[0] and ticket.reference in sent[0]
    delivery = ticket.events.get(type=E.CUSTOMER_NOTIFIED, data__delivery_of=event.pk)
    assert (delivery.actor, delivery.actor_label) == (None, "system")


def test_the_queued_notice_is_sent_after_commit(ticket, clerk, caplog, django_capture_on_commit_callbacks):
    with (
        caplog.at_level(logging.INFO, logger="tickets.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = aftersales.customer_notify_completion(ticket=ticket, actor=clerk, text="您的护照已办好，请来取。")

    sent = [r.getMessage() for r in caplog.records if r.name == "tickets.notifications"]
    assert sent == [f"notify customer 13800000001 ({ticket.reference}): 您的护照已办好，请来取。"]
    assert event.note == "您的护照已办好，请来取。"


@pytest.mark.parametrize(
    ("bill", "expected"),
    [
        ("none", "No payment is outstanding."),
        ("unpaid", "Amount due: ¥1200.00, to be paid by 2026-03-10."),
    ],
)
def test_the_notice_names_the_payment_status(bill, expected, ticket, clerk):
    if bill == "unpaid":
        billed(ticket, clerk)

    event = aftersales.customer_notify_completion(ticket=ticket, actor=clerk, now=at("2026-03-05 10:00"))

    assert expected in event.note


def test_the_notice_goes_to_the_customers_phone_when_the_ticket_has_no_contact_phone(clerk):
    customer = CustomerFactory(phone="13911112222")
    ticket = new_ticket(clerk, customer=customer, contact_phone="")
    Ticket.objects.filter(pk=ticket.pk).update(contact_phone="")

    event = aftersales.customer_notify_completion(ticket=ticket, actor=clerk, now=at("2026-03-05 10:00"))

    assert event.data["phone"] == "13911112222"


def test_no_notice_without_a_phone(clerk):
    ticket = new_ticket(clerk, contact_phone="")
    before = aftersales_state(ticket)

    with pytest.raises(InvalidInput, match="no customer or contact phone"):
        aftersales.customer_notify_completion(ticket=ticket, actor=clerk, now=T0)

    assert aftersales_state(ticket) == before


def test_delivering_an_unknown_notice_does_nothing(ticket, clerk):
    assert aftersales.customer_notice_deliver(event_id=ticket.events.get().pk) is False
    assert aftersales.customer_notice_deliver(event_id=999999) is False


# --- Returning documents (A5) -------------------------------------------------------------------


def test_documents_collected_in_person(ticket, clerk):
    row = aftersales.documents_return(
        ticket=ticket, actor=clerk, method=IN_PERSON, documents="护照原件、照片", collected_by="陈先生本人", now=T0
    )

    assert (row.method, row.collected_by, row.collected_at, row.recorded_by) == (IN_PERSON, "陈先生本人", T0, clerk)
    event = ticket.events.get(type=E.DOCUMENTS_RETURNED)
    assert event.data["collected_by"] == "陈先生本人"
    assert receipt_deadlines(ticket) == []  # collected in person: no receipt call


def test_documents_sent_by_courier_start_the_receipt_call(ticket, clerk):
    row = courier(ticket, clerk)

    assert (row.courier_company, row.tracking_number, row.courier_phone) == ("顺丰速运", "SF1234567890", "95338")
    [deadline] = receipt_deadlines(ticket)
    assert deadline.state == Deadline.State.RUNNING
    # Arrives Wednesday 4 March: the call is due by Thursday's close of business.
    assert deadline.due_at == at("2026-03-05 18:00")
    assert deadline.started_at == at("2026-03-03 10:00")
    event = ticket.events.get(type=E.DOCUMENTS_RETURNED)
    assert event.data["tracking_number"] == "SF1234567890"
    assert datetime.fromisoformat(event.data["receipt_call_due_at"]) == deadline.due_at


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"documents": " "}, "documents", "required"),
        ({"courier_company": ""}, "courier_company", "required"),
        ({"tracking_number": ""}, "tracking_number", "required"),
        ({"courier_phone": ""}, "courier_phone", "required"),
        ({"expected_arrival": None}, "expected_arrival", "required"),
        ({"expected_arrival": date(2026, 3, 2)}, "expected_arrival", "in the past"),
        ({"method": "pigeon"}, "method", "Unknown method"),
        ({"tracking_number": "S" * 51}, "tracking_number", "too long"),
    ],
)
def test_a_courier_return_needs_every_detail_the_customer_is_told(overrides, field, message, ticket, clerk):
    before = aftersales_state(ticket)

    with pytest.raises(InvalidInput, match=message) as refused:
        courier(ticket, clerk, **overrides)

    assert refused.value.field == field
    assert aftersales_state(ticket) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"collected_by": ""}, "collected_by", "required"),
        ({"collected_at": at("2026-03-02 11:00")}, "collected_at", "in the future"),
    ],
)
def test_an_in_person_return_needs_who_collected_it(overrides, field, message, ticket, clerk):
    before = aftersales_state(ticket)
    fields = {"method": IN_PERSON, "documents": "护照原件", "collected_by": "陈先生"} | overrides

    with pytest.raises(InvalidInput, match=message) as refused:
        aftersales.documents_return(ticket=ticket, actor=clerk, now=T0, **fields)

    assert refused.value.field == field
    assert aftersales_state(ticket) == before


# Expected arrival -> receipt call due: the close of business of the first working day after it.
DUE_CASES = [
    ("ordinary Tuesday", date(2026, 3, 3), at("2026-03-04 18:00")),
    ("Friday arrival is due Monday", date(2026, 3, 6), at("2026-03-09 18:00")),
    ("Saturday arrival is due Monday", date(2026, 3, 7), at("2026-03-09 18:00")),
    ("Friday before Spring Festival: make-up Saturday", date(2026, 2, 13), at("2026-02-14 18:00")),
    ("make-up Saturday: the festival week rolls over", date(2026, 2, 14), at("2026-02-24 18:00")),
    ("arrival inside Spring Festival", date(2026, 2, 18), at("2026-02-24 18:00")),
    ("Thursday before the Mid-autumn Friday off", date(2026, 9, 24), at("2026-09-28 18:00")),
    ("Friday before the make-up Sunday", date(2026, 9, 18), at("2026-09-20 18:00")),
    ("National Day eve: after the whole holiday", date(2026, 9, 30), at("2026-10-08 18:00")),
    ("arrival inside National Day", date(2026, 10, 3), at("2026-10-08 18:00")),
    ("Friday before the make-up Saturday", date(2026, 10, 9), at("2026-10-10 18:00")),
]


@pytest.mark.parametrize(("label", "arrival", "due"), DUE_CASES, ids=[case[0] for case in DUE_CASES])
def test_receipt_call_due_on_the_official_calendar(label, arrival, due, official_2026, clerk):
    recorded = at(f"{arrival.isoformat()} 08:30")
    ticket = new_ticket(clerk, now=recorded, kind=Ticket.Kind.AFTER_SALES)

    courier(ticket, clerk, arrival=arrival, now=recorded)

    [deadline] = receipt_deadlines(ticket)
    assert deadline.due_at == due
    assert not deadline.is_provisional
    assert recorded < deadline.warn_at < deadline.due_at


def test_the_receipt_call_stays_at_close_of_business_after_a_recompute(official_2026, ticket, clerk):
    from tickets.deadlines import deadlines_recompute

    courier(ticket, clerk, arrival=date(2026, 9, 30), now=at("2026-09-29 10:00"))

    deadlines_recompute(reason="test", now=at("2026-09-29 11:00"))

    assert receipt_deadlines(ticket)[0].due_at == at("2026-10-08 18:00")


# --- The receipt call (A5) ----------------------------------------------------------------------


def test_the_customer_received_it_meets_the_deadline(ticket, clerk):
    row = courier(ticket, clerk)

    aftersales.receipt_callback_record(document_return=row, actor=clerk, result="received", now=at("2026-03-05 10:00"))

    row.refresh_from_db()
    assert (row.receipt_result, row.receipt_checked_by, row.receipt_checked_at) == (
        "received",
        clerk,
        at("2026-03-05 10:00"),
    )
    [deadline] = receipt_deadlines(ticket)
    assert (deadline.state, deadline.met_at, deadline.display_state) == ("met", at("2026-03-05 10:00"), "met")
    event = ticket.events.get(type=E.RECEIPT_CALLBACK)
    assert (event.data["result"], event.data["next_call_due_at"]) == ("received", None)


def test_not_received_starts_a_follow_up_call_and_tells_the_first_responder(ticket, clerk, engineer):
    row = courier(ticket, clerk)

    aftersales.receipt_callback_record(
        document_return=row,
        actor=engineer,
        result="not_received",
        note="客户说还没收到，已联系顺丰查件",
        now=at("2026-03-05 10:00"),
    )

    first, follow_up = receipt_deadlines(ticket)
    assert first.state == Deadline.State.MET
    assert follow_up.state == Deadline.State.RUNNING
    assert follow_up.due_at == at("2026-03-06 10:00")  # one working day from the call
    notice = Notification.objects.get(recipient=clerk, ticket=ticket)
    assert "has not received 护照原件" in notice.text and "SF1234567890" in notice.text
    row.refresh_from_db()
    assert (row.receipt_result, row.receipt_note) == ("not_received", "客户说还没收到，已联系顺丰查件")

    aftersales.receipt_callback_record(document_return=row, actor=clerk, result="received", now=at("2026-03-06 09:30"))

    assert [d.state for d in receipt_deadlines(ticket)] == ["met", "met"]


def test_not_received_needs_a_note(ticket, clerk):
    row = courier(ticket, clerk)
    before = aftersales_state(ticket)

    with pytest.raises(InvalidInput, match="note is required") as refused:
        aftersales.receipt_callback_record(document_return=row, actor=clerk, result="not_received", now=T0)

    assert refused.value.field == "note"
    assert aftersales_state(ticket) == before


def test_a_received_parcel_is_not_called_about_again(ticket, clerk):
    row = courier(ticket, clerk)
    aftersales.receipt_callback_record(document_return=row, actor=clerk, result="received", now=at("2026-03-05 10:00"))
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="already confirmed receiving"):
        aftersales.receipt_callback_record(
            document_return=row, actor=clerk, result="received", now=at("2026-03-05 11:00")
        )

    assert aftersales_state(ticket) == before


def test_no_receipt_call_for_documents_collected_in_person(ticket, clerk):
    row = aftersales.documents_return(
        ticket=ticket, actor=clerk, method=IN_PERSON, documents="护照", collected_by="陈先生", now=T0
    )
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition, match="collected in person"):
        aftersales.receipt_callback_record(document_return=row, actor=clerk, result="received", now=T0)

    assert aftersales_state(ticket) == before


def test_an_unknown_call_result_is_refused(ticket, clerk):
    row = courier(ticket, clerk)
    before = aftersales_state(ticket)

    with pytest.raises(InvalidInput, match="Unknown result"):
        aftersales.receipt_callback_record(document_return=row, actor=clerk, result="maybe", now=T0)

    assert aftersales_state(ticket) == before


def test_two_parcels_keep_one_timer_for_the_call_due_first(ticket, clerk):
    late = courier(ticket, clerk, arrival=date(2026, 3, 6), documents="发票")
    early = courier(ticket, clerk, arrival=date(2026, 3, 4), documents="护照原件", tracking_number="SF2")

    cancelled, running = receipt_deadlines(ticket)
    assert cancelled.state == Deadline.State.CANCELLED
    assert (running.state, running.due_at) == (Deadline.State.RUNNING, at("2026-03-05 18:00"))

    aftersales.receipt_callback_record(
        document_return=early, actor=clerk, result="received", now=at("2026-03-05 10:00")
    )

    # The other parcel's call takes over: due by Monday's close (arrives Friday).
    assert [(d.state, d.due_at) for d in receipt_deadlines(ticket)][-1] == ("running", at("2026-03-09 18:00"))
    aftersales.receipt_callback_record(document_return=late, actor=clerk, result="received", now=at("2026-03-09 9:30"))
    assert not Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.RECEIPT_CALLBACK).live().exists()


# --- The sweep: reminders, never escalation -----------------------------------------------------


def test_the_sweep_reminds_the_first_responder_and_does_not_escalate(ticket, clerk, engineer, tech_head, supervisor):
    services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:30"))
    courier(ticket, engineer)  # recorded by the handler; the clerk still owns the customer (T1)
    services.ticket_reply(ticket=ticket, actor=engineer, result="已寄回", now=at("2026-03-03 10:30"))
    Notification.objects.all().delete()
    before = Ticket.objects.get(pk=ticket.pk)

    warned = sla_sweep(now=at("2026-03-05 16:35"))  # 80 % of Thursday's working day
    breached = sla_sweep(now=at("2026-03-05 18:00"))
    again = sla_sweep(now=at("2026-03-06 18:00"))

    assert [(a.action, a.kind) for a in warned] == [("warn", DeadlineKind.RECEIPT_CALLBACK)]
    assert [(a.action, a.kind) for a in breached] == [("breach", DeadlineKind.RECEIPT_CALLBACK)]
    assert again == []
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.priority, after.escalation_level) == (before.priority, 0)
    assert not ticket.events.filter(type=E.ESCALATED).exists()
    assert ticket.events.filter(type=E.SLA_WARNING).count() == 1
    assert ticket.events.filter(type=E.SLA_BREACHED).count() == 1
    reminders = list(Notification.objects.order_by("pk"))
    assert [n.recipient for n in reminders] == [clerk, clerk]
    assert all("confirm receipt of 护照原件" in n.text for n in reminders)
    assert "was due 2026-03-05 18:00" in reminders[1].text


# --- Open, resolved, closed ---------------------------------------------------------------------


def test_returns_and_receipt_calls_are_allowed_after_the_work_is_resolved(ticket, clerk):
    resolved(ticket, clerk)

    row = courier(ticket, clerk)
    aftersales.customer_notify_completion(ticket=ticket, actor=clerk, now=at("2026-03-03 10:05"))
    aftersales.receipt_callback_record(document_return=row, actor=clerk, result="received", now=at("2026-03-05 10:00"))

    assert Ticket.objects.get(pk=ticket.pk).status == S.RESOLVED
    assert ticket.events.filter(type__in=[E.DOCUMENTS_RETURNED, E.CUSTOMER_NOTIFIED, E.RECEIPT_CALLBACK]).count() == 3


def test_resolving_keeps_the_receipt_call_owed_and_closing_ends_it(ticket, clerk):
    courier(ticket, clerk)

    services.ticket_resolve(ticket=ticket, actor=clerk, resolution="护照已寄回", now=at("2026-03-03 10:00"))
    receipt_call = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.RECEIPT_CALLBACK)
    handoff = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.HANDOFF)
    assert (receipt_call.state, handoff.state) == (Deadline.State.RUNNING, Deadline.State.CANCELLED)

    services.ticket_close(ticket=ticket, actor=clerk, now=at("2026-03-03 11:00"))
    receipt_call.refresh_from_db()
    assert receipt_call.state == Deadline.State.CANCELLED


def _on_closed(action: str, ticket, clerk, finance_user, row):
    calls = {
        "bill": lambda: billed(ticket, clerk),
        "confirm": lambda: aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=T0),
        "document": lambda: aftersales.bill_issue_document(
            ticket=ticket, actor=finance_user, kind="receipt", number="SJ-9", now=T0
        ),
        "notify": lambda: aftersales.customer_notify_completion(ticket=ticket, actor=clerk, now=T0),
        "return": lambda: courier(ticket, clerk),
        "receipt": lambda: aftersales.receipt_callback_record(
            document_return=row, actor=clerk, result="received", now=at("2026-03-05 10:00")
        ),
    }
    return calls[action]()


@pytest.mark.parametrize("action", ["bill", "confirm", "document", "notify", "return", "receipt"])
def test_nothing_changes_on_a_closed_ticket(action, ticket, clerk, finance_user):
    billed(ticket, clerk)
    row = courier(ticket, clerk)
    closed(ticket, clerk)
    before = aftersales_state(ticket)

    with pytest.raises(IllegalTransition):
        _on_closed(action, ticket, clerk, finance_user, row)

    assert aftersales_state(ticket) == before


def test_a_staff_member_without_a_profile_is_refused(ticket):
    stranger = get_user_model().objects.create_user(username="stranger")
    before = aftersales_state(ticket)

    with pytest.raises(InvalidInput, match="no staff profile"):
        billed(ticket, stranger)

    assert aftersales_state(ticket) == before


# --- Finance sees the tickets it must confirm ---------------------------------------------------


def test_finance_sees_tickets_with_a_bill_and_only_those(ticket, clerk, finance_user):
    unbilled = new_ticket(clerk, subject="普通咨询")
    billed(ticket, clerk)

    visible = list(Ticket.objects.visible_to(finance_user))

    assert ticket in visible and unbilled not in visible
    assert len(visible) == len(set(visible))
