"""The new inquiry screen: a clerk on the phone takes a whole call on one page (T1, T4, T5,
A2), and its two htmx partials: customers by phone, and the special reminders of a service
type.

Thin: choice lists and look-ups come from tickets.selectors, the one write is
`services.inquiry_take` (one transaction: a refusal anywhere writes nothing). A refused POST
re-renders the page with each error next to its field (400; 403 for an outcome the role may
not use, as on the ticket page). Without JavaScript, the "Look up" and "Show reminders"
buttons post the form back to redraw it with what was typed: nothing is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from scripts_lib.models_phrasebook import Script
from scripts_lib.selectors_phrasebook import script_for
from scripts_lib.views_phrasebook import staff_context
from tickets import permissions, selectors, services
from tickets.exceptions import TicketError
from tickets.forms import HANDOFF_FIELDS
from tickets.forms_inquiry import CONTACT_ONLY, NEW_CUSTOMER, OUTCOME_HINTS, InquiryForm, parse_pk
from tickets.models import StaffProfile, Ticket
from tickets.services import InquiryOutcome
from tickets.views.ticket_detail import _success_message as action_success_message

# The ticket verb behind each outcome: a role that may not use the verb may not choose it.
OUTCOME_VERBS = {InquiryOutcome.RESOLVE: "resolve_first_contact", InquiryOutcome.HAND_OFF: "hand_off"}

# Where a service's refusal goes on the page, when the names differ.
SERVICE_FIELDS = {"contact_phone": "phone", "reminders": "given", "note": "answer"}

# The name of the submit buttons that only redraw the page (no JavaScript).
REFRESH = "refresh"


def _staff_or_403(request: HttpRequest) -> StaffProfile:
    profile = getattr(request.user, "staff", None)
    if profile is None:
        raise PermissionDenied(_("Only staff members with a staff number and extension take inquiries."))
    return profile


def _allowed_outcomes(user) -> list[str]:
    verbs = permissions.verbs_for_user(user)
    return [
        outcome for outcome in InquiryOutcome.values if outcome not in OUTCOME_VERBS or OUTCOME_VERBS[outcome] in verbs
    ]


# --- The page ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def inquiry_new(request: HttpRequest) -> HttpResponse:
    _staff_or_403(request)
    allowed = _allowed_outcomes(request.user)
    if request.method == "GET":
        return _render(request, InquiryForm(initial={"phone": request.GET.get("phone", "")[:30]}), allowed)
    if REFRESH in request.POST:
        form = InquiryForm(initial=_typed(request.POST))
        focus = "service_type" if request.POST[REFRESH] == "reminders" else "customer"
        return _render(request, form, allowed, focus=focus)

    form = InquiryForm(request.POST)
    outcome = request.POST.get("outcome", "")
    if outcome in InquiryOutcome.values and outcome not in allowed:
        profile = request.user.staff
        message = _("Your role (%(role)s) may not choose “%(outcome)s”; keep the inquiry open or ask a colleague.") % {
            "role": profile.get_role_display(),
            "outcome": InquiryOutcome(outcome).label,
        }
        return _render(request, form, allowed, page_error=message, status=403)
    if not form.is_valid():
        return _render(request, form, allowed, status=400)
    try:
        ticket = _take(request.user, form)
    except TicketError as error:
        field = SERVICE_FIELDS.get(error.field, error.field)
        form.add_error(field if field in form.fields else None, error.message)
        return _render(request, form, allowed, status=400)
    messages.success(request, _success_message(ticket, form.cleaned_data["outcome"]))
    return redirect(reverse("desk:ticket_detail", kwargs={"reference": ticket.reference}))


def _typed(data) -> dict:
    """What was typed, as the initial values of a fresh (unchecked) form."""
    typed = {name: data.get(name, "") for name in InquiryForm.base_fields}
    typed["given"] = data.getlist("given")
    return typed


def _take(actor, form: InquiryForm) -> Ticket:
    data = form.cleaned_data
    choice = data["customer"]
    return services.inquiry_take(
        actor=actor,
        outcome=data["outcome"],
        channel=data["channel"],
        subject=data["subject"],
        description=data["description"],
        category=data["category"],
        customer=form.customer_record if choice not in (NEW_CUSTOMER, CONTACT_ONLY) else None,
        new_customer=form.new_customer(),
        contact_name=data["contact_name"],
        contact_phone=data["phone"],
        service_type=data["service_type"],
        reminders=form.reminders_given(),
        answer=data["answer"],
        **{name: data[name] for name in HANDOFF_FIELDS},
        handoff_note=data["handoff_note"],
    )


def _success_message(ticket: Ticket, outcome: str) -> str:
    saved = _("Inquiry %(ref)s saved.") % {"ref": ticket.reference}
    if outcome == InquiryOutcome.HAND_OFF:
        # T1: exactly what to tell the customer, as the ticket page says it.
        return f"{saved} {action_success_message('hand_off', ticket)}"
    if outcome == InquiryOutcome.RESOLVE:
        return f"{saved} {action_success_message('resolve_first_contact', ticket)}"
    kept = _("It stays on your desk: answer it or hand it off before the handoff deadline.")
    return f"{saved} {kept}"


def _render(
    request: HttpRequest,
    form: InquiryForm,
    allowed: list[str],
    *,
    focus: str = "phone",
    page_error: str = "",
    status: int = 200,
) -> HttpResponse:
    focus = form.apply_focus(default=focus)
    outcomes = [
        (radio, OUTCOME_HINTS[radio.data["value"]]) for radio in form["outcome"] if radio.data["value"] in allowed
    ]
    context = {
        "form": form,
        "focus": focus,
        "matches": selectors.customer_search_by_phone(user=request.user, phone=form["phone"].value() or ""),
        "selected_customer": form.selected_customer,
        "new_customer_value": NEW_CUSTOMER,
        "contact_only_value": CONTACT_ONLY,
        "service_type": form.shown_service_type,
        "reminders": form.reminders,
        "given_ids": form.given_ids,
        "reminder_errors": form.errors.get("given", []),
        "outcomes": outcomes,
        "page_error": page_error,
        # The phrase book's greeting for the channel, the time of day and the day (P1).
        "greeting": script_for(
            moment=Script.Moment.GREETING,
            now=timezone.now(),
            channel=form["channel"].value() or Ticket.Channel.PHONE,
            kind=Ticket.Kind.INQUIRY,
            context=staff_context(request.user),
        ),
    }
    return render(request, "tickets/inquiry_new.html", context, status=status)


# --- The htmx partials --------------------------------------------------------------------------


@require_GET
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """Customers whose phone contains the digits typed, with their open tickets the user may see."""
    _staff_or_403(request)
    context = {
        "matches": selectors.customer_search_by_phone(user=request.user, phone=request.GET.get("phone", "")),
        "selected_customer": request.GET.get("customer", ""),
    }
    return HttpResponse(render_to_string("tickets/_inquiry_customer_matches.html", context))


@require_GET
def inquiry_reminders(request: HttpRequest) -> HttpResponse:
    """The special reminders (A2) for a service type: the general ones plus the type's own.
    Ticks of reminders still on the list are kept."""
    _staff_or_403(request)
    raw = request.GET.get("service_type", "").strip()
    pk = parse_pk(raw)
    service_type = selectors.service_type_get_active(pk=pk) if pk is not None else None
    status, errors = 200, []
    if raw and service_type is None:
        status, errors = 400, [_("That service type is no longer in use; choose another.")]
    reminders = selectors.reminders_for_service_type(service_type=service_type)
    shown = {str(reminder.pk) for reminder in reminders}
    context = {
        "service_type": service_type,
        "reminders": reminders,
        "given_ids": set(request.GET.getlist("given")) & shown,
        "reminder_errors": errors,
    }
    return HttpResponse(render_to_string("tickets/_inquiry_reminders.html", context), status=status)
