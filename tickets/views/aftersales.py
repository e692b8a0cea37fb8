"""The after-sales panel of the ticket page (A4, A5) and the finance page.

Thin: reads from tickets.selectors, writes through tickets.aftersales, who-may-do-what from
tickets.permissions. The panel shows the steps in order (bill → payment confirmed by finance →
invoice or receipt → completion notice → documents returned → receipt confirmed), each with its
facts, and the forms of the steps legal now that the user's role may do. Each form works as a
plain POST (success: back to the ticket page with a message; refusal: the page again with the
errors, 400, or 403 for a role refusal, nothing written) and through htmx (the panel is swapped
in place). A ticket the user may not see is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST, require_safe

from scripts_lib.guard import PhraseRefused, may_override_phrases
from tickets import aftersales, permissions, selectors
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted
from tickets.forms import DeskForm
from tickets.forms_aftersales import (
    BillDocumentForm,
    BillForm,
    CustomerNoticeForm,
    DocumentReturnForm,
    PaymentForm,
    ReceiptCallForm,
)
from tickets.models import Bill, Deadline, DeadlineKind, DocumentReturn, Ticket, TicketEvent
from tickets.sla import SHANGHAI
from tickets.views import panels

Event = TicketEvent.Type
Receipt = DocumentReturn.Receipt

DONE, NEXT, TODO, SKIPPED = "done", "next", "todo", "skipped"


def _state_labels() -> dict[str, str]:
    return {DONE: _("Done"), NEXT: pgettext("after-sales step", "Next"), TODO: _("To do"), SKIPPED: _("Not needed")}


# --- What the panel shows -------------------------------------------------------------------------


@dataclass
class PanelState:
    """What a refused (or just accepted) form hands back to the panel: the bound form with its
    errors (by step key), a refusal that belongs to no field, a success line for htmx swaps."""

    forms: dict[str, DeskForm] = field(default_factory=dict)
    error: str = ""
    flash: str = ""


@dataclass
class Step:
    key: str
    title: str
    state: str = TODO
    form: DeskForm | None = None
    form_title: str = ""
    submit: str = ""
    action_url: str = ""
    # Why there is no form: waiting for someone else, or not this role's to do.
    waiting: str = ""

    def offer(self, form: DeskForm, *, title: str, submit: str, url_name: str, ticket: Ticket) -> None:
        self.form, self.form_title, self.submit = form, title, submit
        self.action_url = reverse(url_name, kwargs={"reference": ticket.reference})

    @property
    def state_label(self) -> str:
        return _state_labels()[self.state]

    @property
    def is_open(self) -> bool:
        """The form is shown unfolded: it is the next step, or it came back with errors."""
        return self.form is not None and (self.state == NEXT or self.form.is_bound)


@dataclass
class NoticeRow:
    event: TicketEvent
    delivered_at: datetime | None = None


@dataclass
class ReturnRow:
    row: DocumentReturn
    form: ReceiptCallForm | None = None

    @property
    def needs_call(self) -> bool:
        return self.row.method == DocumentReturn.Method.COURIER and self.row.receipt_result != Receipt.RECEIVED


@dataclass
class AftersalesPanel:
    ticket: Ticket
    bill: Bill | None
    steps: dict[str, Step]
    notices: list[NoticeRow] = field(default_factory=list)
    returns: list[ReturnRow] = field(default_factory=list)
    receipt_deadline: Deadline | None = None
    is_bill_overdue: bool = False
    is_call_overdue: bool = False
    error: str = ""
    flash: str = ""
    may_override_phrases: bool = False

    @property
    def ordered_steps(self) -> list[Step]:
        return list(self.steps.values())

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.steps.values() if step.state in (DONE, SKIPPED))

    @property
    def courier_returns(self) -> list[ReturnRow]:
        return [row for row in self.returns if row.row.method == DocumentReturn.Method.COURIER]

    @property
    def calls_owed(self) -> list[ReturnRow]:
        return [row for row in self.returns if row.needs_call]


def _notices(ticket: Ticket) -> list[NoticeRow]:
    """Completion notices sent, each with when the notifier delivered it (from the prefetched
    timeline: no query)."""
    events = [event for event in ticket.events.all() if event.type == Event.CUSTOMER_NOTIFIED]
    delivered = {event.data.get("delivery_of"): event.created_at for event in events if "delivery_of" in event.data}
    sent = [event for event in events if "delivery_of" not in event.data]
    return [NoticeRow(event=event, delivered_at=delivered.get(event.pk)) for event in sent]


def _receipt_deadline(ticket: Ticket) -> Deadline | None:
    live_states = (Deadline.State.RUNNING, Deadline.State.PAUSED)
    live = [
        deadline
        for deadline in ticket.deadlines.all()
        if deadline.kind == DeadlineKind.RECEIPT_CALLBACK and deadline.state in live_states
    ]
    return live[-1] if live else None


def _has_aftersales_events(ticket: Ticket) -> bool:
    """A bill or a document return is always written with its event: the prefetched timeline
    tells whether a ticket has either, without a query."""
    return any(event.type in (Event.BILLED, Event.DOCUMENTS_RETURNED) for event in ticket.events.all())


def _bill_initial(record: Ticket) -> dict:
    confirmation = getattr(record, "service_confirmation", None)
    return {"amount": confirmation.fee_amount} if confirmation is not None and confirmation.fee_amount else {}


def _document_initial(record: Ticket) -> dict:
    confirmation = getattr(record, "service_confirmation", None)
    if confirmation is not None and confirmation.invoice_needed:
        return {"kind": Bill.Document.INVOICE, "title": confirmation.invoice_title}
    return {"kind": Bill.Document.RECEIPT}


def aftersales_panel(
    *, request: HttpRequest, ticket: Ticket, state: PanelState | None = None
) -> AftersalesPanel | None:
    """The panel for the ticket page, or None unless the ticket is an after-sales case or has a
    bill or document returns.

    A refused plain POST leaves its PanelState on the request, so the page it re-renders shows
    the errors where they belong."""
    if ticket.kind != Ticket.Kind.AFTER_SALES and not _has_aftersales_events(ticket):
        return None  # no query for the everyday ticket
    state = state or getattr(request, "aftersales_state", None) or PanelState()
    user = request.user
    record = selectors.ticket_get_aftersales(ticket=ticket)
    bill = getattr(record, "bill", None)
    rows = list(record.document_returns.all())
    failed = state.forms
    is_closed = ticket.status == Ticket.Status.CLOSED
    now = timezone.now()
    today = now.astimezone(SHANGHAI).date()
    labels = {
        "bill": _("Bill"),
        "payment": _("Payment confirmed by finance"),
        "document": _("Invoice or receipt"),
        "notice": _("Completion notice to the customer"),
        "return": _("Documents returned"),
        "receipt": _("Receipt confirmed by phone"),
    }
    steps = {key: Step(key=key, title=title) for key, title in labels.items()}
    panel = AftersalesPanel(
        ticket=ticket,
        bill=bill,
        steps=steps,
        notices=_notices(ticket),
        is_bill_overdue=bill is not None and not bill.is_paid and bill.payment_due < today,
        error=state.error,
        flash=state.flash,
        may_override_phrases=may_override_phrases(user),
    )
    panel.receipt_deadline = deadline = _receipt_deadline(ticket)
    panel.is_call_overdue = deadline is not None and deadline.due_at is not None and deadline.due_at <= now

    # 1. The bill: made when the work starts (not on a resolved or closed ticket).
    if bill is not None:
        steps["bill"].state = DONE
    elif not ticket.is_open:
        steps["bill"].state = SKIPPED
    elif permissions.user_may_bill(user):
        steps["bill"].offer(
            failed.get("bill") or BillForm(initial=_bill_initial(record)),
            title=_("Issue the bill"),
            submit=_("Issue the bill"),
            url_name="desk:aftersales_bill",
            ticket=ticket,
        )
    else:
        steps["bill"].waiting = _("The desk issues the bill when the work starts.")

    # 2. Payment: finance only.
    if bill is None:
        steps["payment"].state = TODO if ticket.is_open else SKIPPED
    elif bill.is_paid:
        steps["payment"].state = DONE
    elif not is_closed and permissions.user_may_confirm_payment(user):
        steps["payment"].offer(
            failed.get("payment") or PaymentForm(),
            title=_("Confirm the payment"),
            submit=_("Confirm payment received"),
            url_name="desk:aftersales_payment",
            ticket=ticket,
        )
    else:
        steps["payment"].waiting = _("Waiting for finance to confirm the payment.")

    # 3. Invoice or receipt: only after the payment is confirmed.
    if bill is None:
        steps["document"].state = TODO if ticket.is_open else SKIPPED
    elif bill.is_issued:
        steps["document"].state = DONE
    elif not bill.is_paid:
        steps["document"].waiting = _("Issued once finance has confirmed the payment.")
    elif not is_closed and permissions.user_may_issue_document(user):
        steps["document"].offer(
            failed.get("document") or BillDocumentForm(initial=_document_initial(record)),
            title=_("Issue the invoice or receipt"),
            submit=_("Record the invoice or receipt"),
            url_name="desk:aftersales_document",
            ticket=ticket,
        )
    else:
        steps["document"].waiting = _("Waiting for finance to issue the invoice or receipt.")

    # 4. The completion notice: may be sent again (a correction, a reminder).
    phone = aftersales.customer_phone(ticket)
    if panel.notices:
        steps["notice"].state = DONE
    if not is_closed and permissions.user_may_notify_customer(user):
        if phone:
            steps["notice"].offer(
                failed.get("notice")
                or CustomerNoticeForm(initial={"text": aftersales.completion_notice_default_text(ticket, bill)}),
                title=_("Send another notice") if panel.notices else _("Send the completion notice"),
                submit=_("Send to %(phone)s") % {"phone": phone},
                url_name="desk:aftersales_notice",
                ticket=ticket,
            )
        else:
            steps["notice"].waiting = _("No customer or contact phone on this ticket: the notice cannot be sent.")

    # 5. Documents returned: several returns are possible (a passport now, an invoice later).
    if rows:
        steps["return"].state = DONE
    if not is_closed and permissions.user_may_return_documents(user):
        steps["return"].offer(
            failed.get("return") or DocumentReturnForm(initial={"method": DocumentReturn.Method.IN_PERSON}),
            title=_("Record another return") if rows else _("Record a document return"),
            submit=_("Record the return"),
            url_name="desk:aftersales_return",
            ticket=ticket,
        )

    # 6. The receipt call, for each parcel sent by courier.
    may_call = not is_closed and permissions.user_may_record_receipt_call(user)
    for row in rows:
        return_row = ReturnRow(row=row)
        if return_row.needs_call and may_call:
            key = f"receipt{row.pk}"
            return_row.form = failed.get(key) or ReceiptCallForm(document_return=row)
        panel.returns.append(return_row)
    if rows and not panel.calls_owed:
        has_courier = any(row.method == DocumentReturn.Method.COURIER for row in rows)
        steps["receipt"].state = DONE if has_courier else SKIPPED

    # The first step still to do is the next one.
    for step in steps.values():
        if step.state == TODO:
            step.state = NEXT
            break
    for form in failed.values():
        form.focus_first_error()
    return panel


# --- The panel's forms ----------------------------------------------------------------------------

PANEL = panels.Panel(
    name="aftersales",
    template="tickets/_detail_aftersales.html",
    build=aftersales_panel,
    state_class=PanelState,
    nothing_saved=gettext_lazy("Nothing was saved: see the after-sales panel."),
)


def _act(
    request: HttpRequest,
    ticket: Ticket,
    *,
    key: str,
    form: DeskForm,
    may: Callable[[object], bool],
    refusal: Callable[[object], str],
    perform: Callable[[dict], str],
) -> HttpResponse:
    """Check the role (403), the form, then call the service: every panel POST goes through here."""
    if not may(request.user):
        return PANEL.refused(request, ticket, PanelState(error=refusal(request.user)), status=403)
    if form.is_valid():
        try:
            message = perform(form.cleaned_data)
        except NotPermitted as error:
            return PANEL.refused(request, ticket, PanelState(error=error.message), status=403)
        except IllegalTransition as error:
            return PANEL.refused(request, ticket, PanelState(forms={key: form}, error=error.message))
        except PhraseRefused as error:  # forbidden phrases in customer-facing text (P3)
            form.phrase_refusal = panels.PhraseRefusal.of(error)
            panels.add_service_error(form, error)
        except InvalidInput as error:
            panels.add_service_error(form, error)
        else:
            return PANEL.done(request, ticket, message)
    return PANEL.refused(request, ticket, PanelState(forms={key: form}))


def _panel_form(
    key: str,
    form_class: type[DeskForm],
    *,
    may: Callable[[object], bool],
    refusal: Callable[[object], str],
) -> Callable[[Callable[[HttpRequest, Ticket, dict], str]], Callable[..., HttpResponse]]:
    """Make the POST view of the panel form `key` from a function that calls the service with
    the form's cleaned data and returns the success line: the ticket (404), the role (403,
    `refusal(user)` says why), the form and the service's refusals all go through `_act`."""

    def decorate(perform: Callable[[HttpRequest, Ticket, dict], str]) -> Callable[..., HttpResponse]:
        @require_POST
        @wraps(perform)
        def view(request: HttpRequest, reference: str) -> HttpResponse:
            ticket = panels.ticket_or_404(request, reference)
            return _act(
                request,
                ticket,
                key=key,
                form=form_class(request.POST),
                may=may,
                refusal=refusal,
                perform=lambda data: perform(request, ticket, data),
            )

        return view

    return decorate


def _may_not(what: str) -> Callable[[object], str]:
    def refusal(user) -> str:
        return _("Your role (%(role)s) may not %(what)s; ask a colleague.") % {
            "role": panels.role_name(user),
            "what": what,
        }

    return refusal


def _finance_only(user) -> str:
    return _("Only finance confirms payments; your role is %(role)s.") % {"role": panels.role_name(user)}


def _money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


@_panel_form("bill", BillForm, may=permissions.user_may_bill, refusal=_may_not(gettext_lazy("issue bills")))
def aftersales_bill(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    bill = aftersales.bill_issue(
        ticket=ticket,
        actor=request.user,
        amount=data["amount"],
        payment_due=data["payment_due"],
        payment_method=data["payment_method"],
    )
    return _("Bill issued: %(amount)s, to be paid by %(due)s.") % {
        "amount": _money(bill.amount),
        "due": bill.payment_due.isoformat(),
    }


@_panel_form("payment", PaymentForm, may=permissions.user_may_confirm_payment, refusal=_finance_only)
def aftersales_payment(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    bill = aftersales.bill_confirm_payment(ticket=ticket, actor=request.user, payment_method=data["payment_method"])
    return _("Payment of %(amount)s confirmed.") % {"amount": _money(bill.amount)}


@_panel_form(
    "document",
    BillDocumentForm,
    may=permissions.user_may_issue_document,
    refusal=_may_not(gettext_lazy("issue invoices or receipts")),
)
def aftersales_document(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    bill = aftersales.bill_issue_document(
        ticket=ticket, actor=request.user, kind=data["kind"], number=data["number"], title=data["title"]
    )
    return _("%(document)s %(number)s issued.") % {
        "document": bill.get_document_kind_display(),
        "number": bill.document_number,
    }


@_panel_form(
    "notice",
    CustomerNoticeForm,
    may=permissions.user_may_notify_customer,
    refusal=_may_not(gettext_lazy("notify customers")),
)
def aftersales_notice(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    event = aftersales.customer_notify_completion(
        ticket=ticket, actor=request.user, text=data["text"], override_reason=data.get("override_reason", "")
    )
    return _("Completion notice sent to %(phone)s.") % {"phone": event.data["phone"]}


@_panel_form(
    "return",
    DocumentReturnForm,
    may=permissions.user_may_return_documents,
    refusal=_may_not(gettext_lazy("record document returns")),
)
def aftersales_return(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    row = aftersales.documents_return(ticket=ticket, actor=request.user, **data)
    if row.method == DocumentReturn.Method.COURIER:
        return _(
            "Recorded: %(documents)s sent by %(company)s, tracking number %(number)s. Tell the customer the "
            "courier's phone (%(phone)s) and the expected arrival (%(day)s)."
        ) % {
            "documents": row.documents,
            "company": row.courier_company,
            "number": row.tracking_number,
            "phone": row.courier_phone,
            "day": row.expected_arrival.isoformat(),
        }
    return _("Recorded: %(documents)s collected by %(name)s.") % {
        "documents": row.documents,
        "name": row.collected_by,
    }


@require_POST
def aftersales_receipt(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The receipt call of one courier parcel: each parcel has its own form on the panel."""
    ticket = panels.ticket_or_404(request, reference)
    row = selectors.document_return_get(ticket=ticket, pk=pk)
    if row is None:
        raise Http404(_("No such document return on this ticket."))

    def perform(data: dict) -> str:
        done = aftersales.receipt_callback_record(
            document_return=row, actor=request.user, result=data["result"], note=data["note"]
        )
        if done.receipt_result == Receipt.RECEIVED:
            return _("Receipt of %(documents)s confirmed.") % {"documents": done.documents}
        return _("Recorded: not received yet. The follow-up call is due in one working day.")

    return _act(
        request,
        ticket,
        key=f"receipt{row.pk}",
        form=ReceiptCallForm(request.POST, document_return=row),
        may=permissions.user_may_record_receipt_call,
        refusal=_may_not(gettext_lazy("record receipt calls")),
        perform=perform,
    )


# --- The finance page -----------------------------------------------------------------------------


@dataclass
class BillRow:
    bill: Bill
    is_overdue: bool

    @property
    def customer_name(self) -> str:
        ticket = self.bill.ticket
        return ticket.customer.name if ticket.customer_id else ticket.contact_name

    @property
    def customer_phone(self) -> str:
        ticket = self.bill.ticket
        return ticket.contact_phone or (ticket.customer.phone if ticket.customer_id else "")


def _rows(bills, today: date) -> list[BillRow]:
    return [BillRow(bill=bill, is_overdue=not bill.is_paid and bill.payment_due < today) for bill in bills]


@require_safe
def finance_bills(request: HttpRequest) -> HttpResponse:
    """Bills waiting for finance: payments to confirm, then invoices or receipts to issue."""
    if not permissions.user_may_view_finance_bills(request.user):
        context = {
            "forbidden": _("The finance page is for finance, supervisors and administrators; your role is %(role)s.")
            % {"role": panels.role_name(request.user)}
        }
        return render(request, "tickets/finance_bills.html", context, status=403)
    today = timezone.now().astimezone(SHANGHAI).date()
    to_confirm = _rows(selectors.bill_list_awaiting_payment(user=request.user), today)
    to_issue = _rows(selectors.bill_list_awaiting_document(user=request.user), today)
    context = {
        "to_confirm": to_confirm,
        "to_issue": to_issue,
        "overdue_count": sum(1 for row in to_confirm if row.is_overdue),
        "to_confirm_total": _money(sum((row.bill.amount for row in to_confirm), Decimal(0))),
        "today": today,
        "may_confirm": permissions.user_may_confirm_payment(request.user),
        "may_issue": permissions.user_may_issue_document(request.user),
    }
    return render(request, "tickets/finance_bills.html", context)
