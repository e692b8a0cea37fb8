"""The after-sales panel on the ticket page and the finance page: what each role sees and may do,
refusals (400 with the field's error, 403 for a role, 404 for another department), htmx swaps,
and the query budgets.

The clock is frozen at NOW (Tuesday 2026-03-03 10:00, Asia/Shanghai).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.clock import at
from tests.factories import CustomerFactory, StaffFactory
from tests.tickets.helpers import (
    COURIER_DETAILS,
    aftersales_state,
    bill_issued,
    bill_paid,
    courier_return,
    invoice_agreed,
    new_ticket,
)
from tickets import aftersales
from tickets.models import Bill, Deadline, DeadlineKind, DocumentReturn, StaffProfile, Ticket, TicketEvent

NOW = at("2026-03-03 10:00")
E = TicketEvent.Type
FINANCE = reverse("desk:finance_bills")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """The views and the services they call read the clock through django.utils.timezone.now."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def ticket(clerk):
    """An after-sales ticket accepted by the clerk on Monday 2026-03-02 10:00."""
    return new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES, subject="签证办理：护照返还")


def detail_url(ticket) -> str:
    return reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})


def url(name: str, ticket, **kwargs) -> str:
    return reverse(f"desk:aftersales_{name}", kwargs={"reference": ticket.reference, **kwargs})


def panel(response):
    assert response.status_code == 200
    return response.context["aftersales"]


def forms_offered(response) -> dict[str, bool]:
    steps = panel(response).steps
    return {key: step.form is not None for key, step in steps.items()}


# When this module's bills are issued and paid, and its parcels sent (the day before NOW).
billed = partial(bill_issued, now=at("2026-03-02 11:00"))
paid = partial(bill_paid, billed_at=at("2026-03-02 11:00"), paid_at=at("2026-03-02 15:00"))
courier = partial(courier_return, now=at("2026-03-02 16:00"))
COURIER_POST = COURIER_DETAILS | {"expected_arrival": "2026-03-04"}


# --- When the panel shows -----------------------------------------------------------------------


def test_an_ordinary_inquiry_has_no_after_sales_panel(login, clerk):
    inquiry = new_ticket(clerk)

    response = login(clerk).get(detail_url(inquiry))

    assert response.context["aftersales"] is None
    assert 'id="aftersales"' not in response.content.decode()


def test_an_after_sales_ticket_shows_the_steps_in_order(login, clerk, ticket):
    response = login(clerk).get(detail_url(ticket))

    page = response.content.decode()
    titles = [
        "Bill",
        "Payment confirmed by finance",
        "Invoice or receipt",
        "Completion notice to the customer",
        "Documents returned",
        "Receipt confirmed by phone",
    ]
    positions = [page.index(f"<h3>{title}</h3>") for title in titles]
    assert positions == sorted(positions)
    assert [step.state for step in panel(response).ordered_steps] == ["next", "todo", "todo", "todo", "todo", "todo"]
    assert '<span class="pill pill-as-next">Next</span>' in page


def test_an_inquiry_with_a_bill_shows_the_panel(login, clerk):
    inquiry = new_ticket(clerk)
    billed(inquiry, clerk)

    assert panel(login(clerk).get(detail_url(inquiry))).bill is not None


# --- What each role is offered ------------------------------------------------------------------


def test_the_desk_is_offered_the_bill_but_never_the_payment(login, clerk, ticket):
    before = forms_offered(login(clerk).get(detail_url(ticket)))
    billed(ticket, clerk)
    response = login(clerk).get(detail_url(ticket))

    assert before == {
        "bill": True,
        "payment": False,
        "document": False,
        "notice": True,
        "return": True,
        "receipt": False,
    }
    assert forms_offered(response)["bill"] is False
    assert forms_offered(response)["payment"] is False
    assert "Waiting for finance to confirm the payment." in response.content.decode()


def test_finance_is_offered_the_payment_then_the_invoice(login, clerk, finance_user, ticket):
    billed(ticket, clerk)
    to_confirm = login(finance_user).get(detail_url(ticket))
    aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=at("2026-03-02 15:00"))
    to_issue = login(finance_user).get(detail_url(ticket))

    assert forms_offered(to_confirm) == {
        "bill": False,
        "payment": True,
        "document": False,
        "notice": False,
        "return": False,
        "receipt": False,
    }
    assert panel(to_confirm).steps["payment"].state == "next"
    assert forms_offered(to_issue)["document"] is True
    assert panel(to_issue).steps["document"].state == "next"


def test_a_supervisor_may_issue_the_invoice_but_not_confirm_the_payment(login, clerk, supervisor, finance_user, ticket):
    billed(ticket, clerk)
    unpaid = forms_offered(login(supervisor).get(detail_url(ticket)))
    aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=at("2026-03-02 15:00"))
    after_payment = forms_offered(login(supervisor).get(detail_url(ticket)))

    assert (unpaid["payment"], unpaid["document"]) == (False, False)
    assert after_payment["document"] is True


def test_the_invoice_form_is_filled_from_the_service_confirmation_form(login, clerk, finance_user, ticket):
    invoice_agreed(ticket, clerk, now=NOW)
    before_bill = login(clerk).get(detail_url(ticket))
    paid(ticket, clerk, finance_user)
    response = login(finance_user).get(detail_url(ticket))

    assert panel(before_bill).steps["bill"].form.initial == {"amount": Decimal("1200.00")}
    assert panel(response).steps["document"].form.initial == {"kind": "invoice", "title": "杭州某某贸易有限公司"}


def test_a_closed_ticket_offers_no_forms(login, clerk, ticket):
    billed(ticket, clerk)
    from tickets import services

    services.ticket_resolve(ticket=ticket, actor=clerk, resolution="已办结", now=at("2026-03-02 12:00"))
    services.ticket_close(ticket=ticket, actor=clerk, now=at("2026-03-02 12:05"))

    assert not any(forms_offered(login(clerk).get(detail_url(ticket))).values())


# --- Billing, payment and invoice through the page ---------------------------------------------


def test_the_desk_issues_the_bill(login, clerk, ticket):
    client = login(clerk)

    response = client.post(
        url("bill", ticket), {"amount": "1200.00", "payment_due": "2026-03-10", "payment_method": "银行转账"}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket) + "#aftersales"
    bill = Bill.objects.get(ticket=ticket)
    assert (bill.amount, bill.payment_due, bill.billed_by, bill.billed_at) == (
        Decimal("1200.00"),
        date(2026, 3, 10),
        clerk,
        NOW,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Bill issued: ¥1,200.00, to be paid by 2026-03-10." in page
    assert "¥1200.00" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0", "payment_due": "2026-03-10"}, "amount", "more than zero"),
        ({"amount": "", "payment_due": "2026-03-10"}, "amount", "This field is required."),
        ({"amount": "100", "payment_due": "2026-03-02"}, "payment_due", "in the past"),
        ({"amount": "100", "payment_due": "next week"}, "payment_due", "Enter a valid date."),
    ],
)
def test_a_bad_bill_is_a_field_error_and_nothing_is_written(data, field, message, login, clerk, ticket):
    before = aftersales_state(ticket)

    response = login(clerk).post(url("bill", ticket), data)

    assert response.status_code == 400
    form = panel_form = response.context["aftersales"].steps["bill"].form
    assert message in " ".join(form.errors[field])
    assert panel_form.is_bound and response.context["aftersales"].steps["bill"].is_open
    assert "Nothing was saved: see the after-sales panel." in response.content.decode()
    assert aftersales_state(ticket) == before


def test_a_second_bill_is_refused_with_a_message(login, clerk, supervisor, ticket):
    billed(ticket, clerk)
    before = aftersales_state(ticket)

    response = login(supervisor).post(url("bill", ticket), {"amount": "99", "payment_due": "2026-03-10"})

    assert response.status_code == 400
    assert "already has a bill" in response.content.decode()
    assert aftersales_state(ticket) == before


@pytest.fixture
def desk_handler(front_desk_dept):
    """A handler of the clerk's own department: sees the ticket, may not confirm payments."""
    return StaffFactory(user__username="deskhandler", department=front_desk_dept, role=StaffProfile.Role.HANDLER).user


@pytest.mark.parametrize("who", ["clerk", "desk_handler", "supervisor"])
def test_only_finance_may_confirm_the_payment(who, request, login, clerk, ticket):
    billed(ticket, clerk)
    before = aftersales_state(ticket)

    response = login(request.getfixturevalue(who)).post(url("payment", ticket), {"payment_method": "现金"})

    assert response.status_code == 403
    assert "Only finance confirms payments" in response.content.decode()
    assert aftersales_state(ticket) == before


def test_finance_confirms_the_payment(login, clerk, finance_user, ticket):
    billed(ticket, clerk)

    response = login(finance_user).post(url("payment", ticket), {"payment_method": "微信支付"}, follow=True)

    bill = Bill.objects.get(ticket=ticket)
    assert (bill.paid_at, bill.payment_confirmed_by, bill.payment_method) == (NOW, finance_user, "微信支付")
    assert "Payment of ¥1,200.00 confirmed." in response.content.decode()
    assert panel(response).steps["payment"].state == "done"


def test_an_invoice_before_the_payment_is_refused(login, clerk, supervisor, ticket):
    billed(ticket, clerk)
    before = aftersales_state(ticket)

    response = login(supervisor).post(
        url("document", ticket), {"kind": "invoice", "number": "FP-1", "title": "杭州某某贸易有限公司"}
    )

    assert response.status_code == 400
    assert "has not confirmed the payment" in response.content.decode()
    assert aftersales_state(ticket) == before


def test_the_desk_may_not_issue_an_invoice(login, clerk, finance_user, ticket):
    paid(ticket, clerk, finance_user)
    before = aftersales_state(ticket)

    response = login(clerk).post(url("document", ticket), {"kind": "receipt", "number": "SJ-1"})

    assert response.status_code == 403
    assert aftersales_state(ticket) == before


def test_finance_issues_the_invoice_and_an_invoice_needs_a_title(login, clerk, finance_user, ticket):
    paid(ticket, clerk, finance_user)
    client = login(finance_user)

    untitled = client.post(url("document", ticket), {"kind": "invoice", "number": "FP-0001"})
    issued = client.post(url("document", ticket), {"kind": "invoice", "number": "FP-0001", "title": "杭州某某公司"})

    assert untitled.status_code == 400
    assert "An invoice needs a title" in " ".join(untitled.context["aftersales"].steps["document"].form.errors["title"])
    assert issued.status_code == 302
    bill = Bill.objects.get(ticket=ticket)
    assert (bill.document_kind, bill.document_number, bill.document_title) == ("invoice", "FP-0001", "杭州某某公司")
    page = client.get(detail_url(ticket)).content.decode()
    assert "FP-0001" in page and "杭州某某公司" in page


# --- Completion notice, returns, receipt call through the page ---------------------------------


def test_the_completion_notice_is_sent_and_shown(login, clerk, ticket, django_capture_on_commit_callbacks):
    client = login(clerk)
    default_text = panel(client.get(detail_url(ticket))).steps["notice"].form.initial["text"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("notice", ticket), {"text": default_text})

    assert response.status_code == 302
    notice = ticket.events.get(type=E.CUSTOMER_NOTIFIED, actor=clerk)
    assert (notice.data["phone"], notice.note) == ("13800000001", default_text)
    assert ticket.reference in default_text and "No payment is outstanding." in default_text
    page = client.get(detail_url(ticket))
    [row] = panel(page).notices
    assert row.delivered_at == NOW
    assert "Completion notice sent to 13800000001." in page.content.decode()


def test_a_ticket_without_a_phone_explains_why_no_notice_can_be_sent(login, clerk):
    ticket = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES, contact_phone="")

    response = login(clerk).get(detail_url(ticket))

    assert panel(response).steps["notice"].form is None
    assert "No customer or contact phone on this ticket" in response.content.decode()


def test_a_courier_return_needs_the_tracking_number(login, clerk, ticket):
    before = aftersales_state(ticket)

    response = login(clerk).post(url("return", ticket), COURIER_POST | {"tracking_number": ""})

    assert response.status_code == 400
    errors = response.context["aftersales"].steps["return"].form.errors
    assert "The tracking number is required." in errors["tracking_number"]
    assert aftersales_state(ticket) == before


def test_a_courier_return_starts_the_receipt_call(login, clerk, ticket):
    client = login(clerk)

    response = client.post(url("return", ticket), COURIER_POST, follow=True)

    page = response.content.decode()
    assert "Tell the customer the courier&#x27;s phone (95338)" in page
    deadline = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.RECEIPT_CALLBACK)
    assert deadline.due_at == at("2026-03-05 18:00")
    assert panel(response).receipt_deadline == deadline
    assert "Call due by" in page and "2026-03-05 18:00" in page
    [row] = panel(response).returns
    assert row.form is not None  # the call can be recorded right here, unfolded
    assert '<details class="action as-action" open>' in page
    assert panel(response).steps["return"].state == "done"


def test_a_receipt_call_past_its_due_time_says_overdue(login, clerk, ticket):
    aftersales.documents_return(
        ticket=ticket,
        actor=clerk,
        now=at("2026-02-27 09:00"),
        **(COURIER_POST | {"expected_arrival": date(2026, 2, 27)}),
    )  # arrives Friday: the call was due Monday 18:00

    response = login(clerk).get(detail_url(ticket))

    assert panel(response).is_call_overdue
    page = response.content.decode()
    receipt_step = page[page.index('id="aftersales-receipt"') :]
    assert "2026-03-02 18:00" in receipt_step
    assert '<span class="pill pill-overdue">Overdue</span>' in receipt_step


def test_documents_collected_in_person(login, clerk, ticket):
    response = login(clerk).post(
        url("return", ticket),
        {"method": "in_person", "documents": "护照原件", "collected_by": "陈先生本人"},
        follow=True,
    )

    row = DocumentReturn.objects.get(ticket=ticket)
    assert (row.collected_by, row.collected_at) == ("陈先生本人", NOW)
    assert panel(response).steps["receipt"].state == "skipped"
    assert "Not needed: the documents were collected in person." in response.content.decode()


def test_the_receipt_call_through_the_page(login, clerk, ticket):
    row = courier(ticket, clerk)
    client = login(clerk)

    no_note = client.post(url("receipt", ticket, pk=row.pk), {"result": "not_received"})
    received = client.post(url("receipt", ticket, pk=row.pk), {"result": "received"}, follow=True)

    assert no_note.status_code == 400
    assert "The note is required." in no_note.context["aftersales"].returns[0].form.errors["note"]
    row.refresh_from_db()
    assert (row.receipt_result, row.receipt_checked_by) == ("received", clerk)
    assert "Receipt of 护照原件 confirmed." in received.content.decode()
    assert panel(received).steps["receipt"].state == "done"
    assert Deadline.objects.get(ticket=ticket, kind=DeadlineKind.RECEIPT_CALLBACK).state == Deadline.State.MET


def test_htmx_swaps_the_panel_in_place(login, clerk, ticket):
    response = login(clerk).post(
        url("bill", ticket), {"amount": "300", "payment_due": "2026-03-10"}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="card aftersales" id="aftersales"')
    assert "Bill issued: ¥300.00" in page
    # The timeline below is replaced too, with the new entry on it: no reload to see the record.
    timeline = page[page.index('id="timeline"') :]
    assert 'hx-swap-oob="true"' in timeline[:200]
    assert "¥300.00, to be paid by 2026-03-10" in timeline


def test_htmx_refusal_comes_back_in_the_panel_with_its_status(login, clerk, ticket):
    response = login(clerk).post(
        url("bill", ticket), {"amount": "0", "payment_due": "2026-03-10"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert "more than zero" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert 'id="timeline"' not in response.content.decode()  # nothing written, nothing to refresh


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bill", "payment", "document", "notice", "return", "receipt"])
def test_another_departments_ticket_is_not_found(name, login, clerk, outsider, ticket):
    row = courier(ticket, clerk)
    kwargs = {"pk": row.pk} if name == "receipt" else {}
    before = aftersales_state(ticket)

    response = login(outsider).post(url(name, ticket, **kwargs), {})

    assert response.status_code == 404
    assert aftersales_state(ticket) == before


def test_a_return_of_another_ticket_is_not_found(login, clerk, ticket):
    other = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES)
    row = courier(other, clerk)

    assert login(clerk).post(url("receipt", ticket, pk=row.pk), {"result": "received"}).status_code == 404


def test_the_panel_actions_only_accept_post(login, clerk, ticket):
    assert login(clerk).get(url("bill", ticket)).status_code == 405


# --- Query budget of the panel ------------------------------------------------------------------


def _busy(ticket, clerk, finance_user, parcels: int) -> None:
    paid(ticket, clerk, finance_user)
    for n in range(parcels):
        row = courier(ticket, clerk, documents=f"材料{n}", tracking_number=f"SF{n}")
        if n % 2:
            aftersales.receipt_callback_record(
                document_return=row, actor=clerk, result="received", now=at("2026-03-02 17:00")
            )
        aftersales.customer_notify_completion(ticket=ticket, actor=clerk, now=at("2026-03-02 17:00"))


def test_the_panel_costs_the_same_queries_for_1_or_6_returns(login, clerk, finance_user, django_assert_max_num_queries):
    small = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES)
    large = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES)
    inquiry = new_ticket(clerk)
    _busy(small, clerk, finance_user, 1)
    _busy(large, clerk, finance_user, 6)
    client = login(clerk)
    client.get(detail_url(small))  # warm the calendar and session caches

    counts = []
    for ticket in (small, large, inquiry):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(detail_url(ticket))
        assert response.status_code == 200
        counts.append(len(queries))
    with django_assert_max_num_queries(counts[0]):
        client.get(detail_url(large))

    assert counts[0] == counts[1], counts
    # The panel costs two queries (the bill with its people and the form; the returns), and
    # nothing at all on a ticket without after-sales records.
    assert counts[0] - counts[2] == 2, counts


# --- The finance page ---------------------------------------------------------------------------


def _bills(clerk, finance_user, count: int) -> list[Bill]:
    bills = []
    for n in range(count):
        customer = CustomerFactory(name=f"客户{n}")
        ticket = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES, customer=customer, subject=f"售后{n}")
        due = date(2026, 3, 2) if n == 0 else date(2026, 3, 10)  # the first is overdue on Tuesday
        bills.append(
            aftersales.bill_issue(
                ticket=ticket, actor=clerk, amount=100 + n, payment_due=due, now=at("2026-03-02 11:00")
            )
        )
        if n % 2:
            aftersales.bill_confirm_payment(ticket=ticket, actor=finance_user, now=at("2026-03-02 15:00"))
    return bills


def test_the_finance_page_lists_bills_to_confirm_and_to_invoice(login, clerk, finance_user):
    bills = _bills(clerk, finance_user, 4)

    response = login(finance_user).get(FINANCE)

    assert response.status_code == 200
    assert [row.bill for row in response.context["to_confirm"]] == [bills[0], bills[2]]
    assert [row.bill for row in response.context["to_issue"]] == [bills[1], bills[3]]
    page = response.content.decode()
    for bill in bills:
        assert f"{detail_url(bill.ticket)}#aftersales" in page
    assert "客户0" in page and "¥100.00" in page and "2026-03-02" in page
    overdue = [row.is_overdue for row in response.context["to_confirm"]]
    assert overdue == [True, False]
    assert page.count('<span class="pill pill-overdue">Overdue</span>') == 1
    assert response.context["to_confirm_total"] == "¥202.00"


def test_an_issued_bill_leaves_the_finance_page(login, clerk, finance_user):
    bills = _bills(clerk, finance_user, 2)
    aftersales.bill_issue_document(ticket=bills[1].ticket, actor=finance_user, kind="receipt", number="SJ-1", now=NOW)

    response = login(finance_user).get(FINANCE)

    assert response.context["to_issue"] == []
    assert "Every paid bill has its invoice or receipt." in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"), [("clerk", 403), ("engineer", 403), ("tech_head", 403), ("supervisor", 200)]
)
def test_the_finance_page_is_for_finance_supervisors_and_admins(who, status, request, login):
    response = login(request.getfixturevalue(who)).get(FINANCE)

    assert response.status_code == status
    if status == 403:
        assert "The finance page is for finance, supervisors and administrators" in response.content.decode()


def test_the_nav_links_the_finance_page_for_finance_only(login, clerk, finance_user):
    link = f'href="{FINANCE}"'

    assert link in login(finance_user).get(reverse("desk:home")).content.decode()
    assert link not in login(clerk).get(reverse("desk:home")).content.decode()


def test_the_finance_page_costs_the_same_queries_for_2_or_10_bills(
    login, clerk, finance_user, django_assert_max_num_queries
):
    client = login(finance_user)
    _bills(clerk, finance_user, 2)
    client.get(FINANCE)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(FINANCE)
    _bills(clerk, finance_user, 8)

    with django_assert_max_num_queries(len(few)):
        response = client.get(FINANCE)

    assert len(response.context["to_confirm"]) + len(response.context["to_issue"]) == 10
    assert len(few) <= 6  # session, user, staff profile, unread count, the two lists


# --- Finance sees the tickets it must confirm ---------------------------------------------------


def test_finance_lists_the_after_sales_tickets_with_bills_once_each(login, clerk, engineer, finance_user):
    with_bill = _bills(clerk, finance_user, 3)
    other_department = new_ticket(engineer, kind=Ticket.Kind.AFTER_SALES)
    aftersales.bill_issue(
        ticket=other_department, actor=engineer, amount=50, payment_due=date(2026, 3, 10), now=at("2026-03-02 11:00")
    )
    courier(other_department, engineer)
    without_bill = new_ticket(clerk, kind=Ticket.Kind.AFTER_SALES)

    response = login(finance_user).get(reverse("desk:ticket_list"), {"kind": "after_sales"})

    refs = re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', response.content.decode())
    assert sorted(refs) == sorted([bill.ticket.reference for bill in with_bill] + [other_department.reference])
    assert len(refs) == len(set(refs))
    assert without_bill.reference not in refs
    assert login(finance_user).get(detail_url(other_department)).status_code == 200
    assert login(finance_user).get(detail_url(without_bill)).status_code == 404


# --- The forbidden-phrase guard on the completion notice (P3) ----------------------------------

FORBIDDEN_NOTICE = "您的护照已寄出，运费多少我不知道，请自己去问快递。"


def test_a_notice_with_a_forbidden_phrase_is_refused_with_the_phrase_marked(login, clerk, ticket):
    response = login(clerk).post(url("notice", ticket), {"text": FORBIDDEN_NOTICE})

    page = response.content.decode()
    assert response.status_code == 400
    assert "<mark>我不知道</mark>" in page
    assert 'name="override_reason"' not in page  # a clerk may not send it anyway
    assert not TicketEvent.objects.filter(ticket=ticket, type=TicketEvent.Type.CUSTOMER_NOTIFIED).exists()


def test_a_supervisor_sends_it_anyway_with_a_recorded_reason(login, supervisor, ticket):
    client = login(supervisor)
    refused = client.post(url("notice", ticket), {"text": FORBIDDEN_NOTICE})
    assert 'name="override_reason"' in refused.content.decode()

    client.post(url("notice", ticket), {"text": FORBIDDEN_NOTICE, "override_reason": "客户原话转述，已电话解释"})

    event = TicketEvent.objects.get(ticket=ticket, type=TicketEvent.Type.CUSTOMER_NOTIFIED)
    assert event.data["phrase_override"]["reason"] == "客户原话转述，已电话解释"
