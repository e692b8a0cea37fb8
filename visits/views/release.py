"""The move-out release slip page (放行条), the desk payment page (缴费) and their printable slip
and receipt. Thin: reads from visits.selectors_release, writes through visits.release.

Every form is a plain POST: success redirects back to the page with a message; a refusal draws
the page again with the errors (400; a rule refusal of the release is 409, and stays on the
ticket's record). A ticket the user may not see is a 404; a role that may not do this is a 403.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tickets import selectors as ticket_selectors
from tickets.exceptions import IllegalTransition, InvalidInput, TicketError
from tickets.models import Ticket
from tickets.views.panels import ticket_or_404
from visits import release, selectors_release
from visits.forms_release import InvoiceDeliverForm, OwnerConfirmForm, PaymentForm, ReleaseIssueForm, UnitLookupForm
from visits.models_release import Mover
from visits.permissions_release import user_may_issue_release, user_may_take_payment

DEFAULT_CENTRE_NAME = gettext_lazy("Customer Service Centre")


def _ticket(request: HttpRequest, reference: str) -> Ticket:
    return ticket_or_404(request, reference, fetch=ticket_selectors.ticket_find_visible)


def _centre_name() -> str:
    return settings.SERVICEDESK.get("CENTRE_NAME") or str(DEFAULT_CENTRE_NAME)


def _put_error(form, error: TicketError, *, aliases: dict[str, str] | None = None) -> None:
    name = (aliases or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, error.message)


# --- Release slip -------------------------------------------------------------------------------


def _release_url(ticket: Ticket, unit: str = "") -> str:
    url = reverse("visits:release_page", kwargs={"reference": ticket.reference})
    return f"{url}?{_query(unit)}" if unit else url


def _query(unit: str) -> str:
    return urlencode({"unit": unit})


def _release_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    unit: str,
    lookup: UnitLookupForm | None = None,
    confirm_form: OwnerConfirmForm | None = None,
    issue_form: ReleaseIssueForm | None = None,
    page_error: str = "",
    refusal: release.ReleaseRefused | None = None,
    status: int = 200,
) -> HttpResponse:
    account = selectors_release.property_account_get(unit=unit) if unit else None
    if lookup is None:
        lookup = UnitLookupForm(initial={"unit": account.unit if account else unit})
    confirmations = [
        row
        for row in selectors_release.owner_confirmation_list(ticket=ticket)
        if account and row.account_id == account.pk
    ]
    if account is not None:
        confirm_form = confirm_form or OwnerConfirmForm(initial={"unit": account.unit}, owner_name=account.owner_name)
        issue_form = issue_form or ReleaseIssueForm(
            initial={"unit": account.unit, "mover": Mover.TENANT if account.tenant_name else Mover.OWNER}
        )
    context: dict[str, Any] = {
        "ticket": ticket,
        "unit": unit,
        "account": account,
        "lookup": lookup,
        "confirm_form": confirm_form,
        "issue_form": issue_form,
        "confirmations": confirmations,
        "slips": selectors_release.release_slip_list(ticket=ticket),
        "page_error": page_error,
        "refusal": refusal,
        "may_edit": user_may_issue_release(request.user) and ticket.is_open,
        "notify_months": release.OWNER_ARREARS_NOTIFY_MONTHS,
        "arrears": release.arrears_text(months=account.months_unpaid, amount=account.amount_owed)
        if account is not None and account.has_arrears
        else "",
    }
    return render(request, "visits/release/release_page.html", context, status=status)


@require_safe
def release_page(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if not user_may_issue_release(request.user):
        raise PermissionDenied(_("Your role may not issue release slips."))
    if "unit" not in request.GET:
        return _release_page(request, ticket, unit="")
    lookup = UnitLookupForm(request.GET)
    if not lookup.is_valid():
        return _release_page(request, ticket, unit="", lookup=lookup, status=400)
    unit = lookup.cleaned_data["unit"]
    if selectors_release.property_account_get(unit=unit) is None:
        lookup.add_error(
            "unit",
            _("No property account for unit %(unit)s. Check the unit, or add the account in the admin first.")
            % {"unit": release.normalise_unit(unit)},
        )
        return _release_page(request, ticket, unit="", lookup=lookup, status=404)
    return _release_page(request, ticket, unit=unit)


@require_POST
def release_confirm(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if not user_may_issue_release(request.user):
        raise PermissionDenied(_("Your role may not issue release slips."))
    unit = request.POST.get("unit", "")
    account = selectors_release.property_account_get(unit=unit)
    form = OwnerConfirmForm(request.POST, owner_name=account.owner_name if account else "")
    if form.is_valid():
        data = form.cleaned_data
        try:
            release.release_owner_confirm(
                ticket=ticket,
                actor=request.user,
                unit=data["unit"],
                method=data["method"],
                confirmed_by=data["confirmed_by"],
                confirmed_at=data["confirmed_at"],
                note=data["note"],
                now=timezone.now(),
            )
        except IllegalTransition as error:
            return _release_page(request, ticket, unit=unit, confirm_form=form, page_error=error.message, status=400)
        except InvalidInput as error:
            _put_error(form, error)
        else:
            messages.success(request, _("The owner's confirmation is recorded. You can issue the slip now."))
            return redirect(_release_url(ticket, data["unit"]) + "#issue")
    form.focus_first_error()
    return _release_page(request, ticket, unit=unit, confirm_form=form, status=400)


@require_POST
def release_issue(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if not user_may_issue_release(request.user):
        raise PermissionDenied(_("Your role may not issue release slips."))
    unit = request.POST.get("unit", "")
    form = ReleaseIssueForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            slip = release.release_issue(
                ticket=ticket,
                actor=request.user,
                unit=data["unit"],
                mover=data["mover"],
                items=form.items(),
                person_name=data["person_name"],
                person_phone=data["person_phone"],
                note=data["note"],
                now=timezone.now(),
            )
        except release.ReleaseRefused as error:
            return _release_page(request, ticket, unit=unit, issue_form=form, refusal=error, status=409)
        except IllegalTransition as error:
            return _release_page(request, ticket, unit=unit, issue_form=form, page_error=error.message, status=400)
        except InvalidInput as error:
            _put_error(form, error)
        else:
            if slip.is_manager_notified:
                messages.warning(
                    request,
                    _(
                        "Release slip %(number)s issued. The owner is more than %(months)s months in arrears: the CS "
                        "manager has been notified. Remind the owner to pay."
                    )
                    % {"number": slip.number, "months": release.OWNER_ARREARS_NOTIFY_MONTHS},
                )
            else:
                messages.success(
                    request, _("Release slip %(number)s issued. Print it for signature.") % {"number": slip.number}
                )
            return redirect("visits:release_slip", reference=ticket.reference, number=slip.number)
    form.focus_first_error()
    return _release_page(request, ticket, unit=unit, issue_form=form, status=400)


@require_safe
def release_slip(request: HttpRequest, reference: str, number: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    slip = selectors_release.release_slip_get(ticket=ticket, number=number)
    if slip is None:
        raise Http404(_("No release slip %(number)s on this ticket.") % {"number": number})
    issuer = getattr(slip.issued_by, "staff", None)
    context = {
        "ticket": ticket,
        "slip": slip,
        "centre_name": _centre_name(),
        "issuer_name": slip.issued_by.get_full_name() or slip.issued_by.get_username(),
        "issuer_profile": issuer,
        "total_quantity": sum(int(row.get("quantity") or 0) for row in slip.items),
        "arrears": release.arrears_text(months=slip.months_unpaid, amount=slip.amount_owed)
        if slip.months_unpaid or slip.amount_owed
        else "",
    }
    return render(request, "visits/release/slip_print.html", context)


# --- Payment at the counter ---------------------------------------------------------------------


def _payment_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    form: PaymentForm | None = None,
    invoice_forms: dict[int, InvoiceDeliverForm] | None = None,
    page_error: str = "",
    status: int = 200,
) -> HttpResponse:
    payments = selectors_release.counter_payment_list(ticket=ticket)
    invoice_forms = invoice_forms or {}
    rows = [
        (
            payment,
            None
            if payment.is_invoice_delivered
            else invoice_forms.get(payment.pk) or InvoiceDeliverForm(receipt_number=payment.receipt_number),
        )
        for payment in payments
    ]
    if form is None:
        customer = ticket.contact_name
        form = PaymentForm(initial={"payer_name": customer, "payer_phone": ticket.contact_phone})
    context = {
        "ticket": ticket,
        "form": form,
        "rows": rows,
        "page_error": page_error,
        "may_edit": user_may_take_payment(request.user),
        "may_take": user_may_take_payment(request.user) and ticket.is_open,
    }
    return render(request, "visits/release/payment_page.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def payment_page(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if not user_may_take_payment(request.user):
        raise PermissionDenied(_("Your role may not take payments."))
    if request.method != "POST":
        return _payment_page(request, ticket)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = release.payment_take(ticket=ticket, actor=request.user, now=timezone.now(), **data)
        except IllegalTransition as error:
            return _payment_page(request, ticket, form=form, page_error=error.message, status=400)
        except InvalidInput as error:
            _put_error(form, error)
        else:
            messages.success(
                request,
                _("Receipt %(number)s issued for ¥%(amount)s. Print it for the payer; the invoice is to be delivered.")
                % {"number": payment.receipt_number, "amount": payment.amount},
            )
            return redirect("visits:payment_receipt", reference=ticket.reference, receipt=payment.receipt_number)
    form.focus_first_error()
    return _payment_page(request, ticket, form=form, status=400)


@require_POST
def payment_invoice(request: HttpRequest, reference: str, receipt: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if not user_may_take_payment(request.user):
        raise PermissionDenied(_("Your role may not take payments."))
    payment = selectors_release.counter_payment_get(ticket=ticket, receipt_number=receipt)
    if payment is None:
        raise Http404(_("No receipt %(number)s on this ticket.") % {"number": receipt})
    form = InvoiceDeliverForm(request.POST, receipt_number=receipt)
    if form.is_valid():
        try:
            release.payment_invoice_deliver(
                payment=payment,
                actor=request.user,
                invoice_number=form.cleaned_data["invoice_number"],
                delivery=form.cleaned_data["delivery"],
                now=timezone.now(),
            )
        except IllegalTransition as error:
            return _payment_page(request, ticket, page_error=error.message, status=400)
        except InvalidInput as error:
            _put_error(form, error)
        else:
            messages.success(request, _("Invoice delivery recorded for receipt %(number)s.") % {"number": receipt})
            return redirect("visits:payment_page", reference=ticket.reference)
    form.focus_first_error()
    return _payment_page(request, ticket, invoice_forms={payment.pk: form}, status=400)


@require_safe
def payment_receipt(request: HttpRequest, reference: str, receipt: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    payment = selectors_release.counter_payment_get(ticket=ticket, receipt_number=receipt)
    if payment is None:
        raise Http404(_("No receipt %(number)s on this ticket.") % {"number": receipt})
    context = {
        "ticket": ticket,
        "payment": payment,
        "centre_name": _centre_name(),
        "taker_name": payment.taken_by.get_full_name() or payment.taken_by.get_username(),
        "taker_profile": getattr(payment.taken_by, "staff", None),
    }
    from complaints.views_evaluations import evaluation_print_context  # C5: the evaluation link as a QR code

    context |= evaluation_print_context(request, ticket)
    return render(request, "visits/release/receipt_print.html", context)


@require_safe
def invoices_owed(request: HttpRequest) -> HttpResponse:
    """Every desk payment whose invoice is still to be delivered, on the tickets the user sees."""
    if not user_may_take_payment(request.user):
        raise PermissionDenied(_("Your role may not take payments."))
    tickets = ticket_selectors.ticket_list_visible(user=request.user)
    payments = selectors_release.counter_payment_list_invoice_owed(tickets=tickets)
    return render(request, "visits/release/invoices_owed.html", {"payments": payments, "now": timezone.now()})
