"""The materials panel of the ticket page (A3) and the service confirmation form (A1).

Thin: reads from tickets.selectors, writes through tickets.materials. Each panel form works
as a plain POST (success: back to the ticket page; refusal: the page again with the errors,
400) and through htmx (the panel is swapped in place, errors included). A ticket the user
may not see is a 404; a role that may not check materials (finance) gets a 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from scripts_lib.models import RequiredDocument, ServiceType
from tickets import materials, permissions, selectors
from tickets.exceptions import IllegalTransition, InvalidInput, TicketError
from tickets.forms import ACTION_FORMS, DeskForm
from tickets.forms_materials import (
    MaterialMarkForm,
    MaterialsStartForm,
    MissingConfirmationForm,
    ServiceConfirmationForm,
)
from tickets.models import MaterialCheck, MissingMaterialsConfirmation, ServiceConfirmation, Ticket
from tickets.views import panels

Material = MaterialCheck.State

# Printed at the top of the service confirmation form; a deployment names its centre in
# settings.SERVICEDESK["CENTRE_NAME"].
DEFAULT_CENTRE_NAME = gettext_lazy("Customer Service Centre")


# --- What the panel shows -----------------------------------------------------------------------


@dataclass
class PanelState:
    """What a refused (or just accepted) panel form hands back to the panel: the bound forms with
    their errors, a refusal that belongs to no field, a success line for htmx swaps."""

    start_form: MaterialsStartForm | None = None
    mark_form: MaterialMarkForm | None = None
    confirm_form: MissingConfirmationForm | None = None
    error: str = ""
    flash: str = ""


@dataclass
class MaterialRow:
    material: MaterialCheck
    form: MaterialMarkForm
    is_blocking: bool = False
    is_confirmed: bool = False  # missing or returned, with the customer's written confirmation
    is_return_open: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return self.is_blocking and self.material.state in (Material.MISSING, Material.RETURNED)


@dataclass
class MaterialsPanel:
    ticket: Ticket
    service_type: ServiceType | None
    may_edit: bool  # the role may check materials
    is_open: bool
    rows: list[MaterialRow] = field(default_factory=list)
    blocking: list[MaterialCheck] = field(default_factory=list)
    confirmations: list[MissingMaterialsConfirmation] = field(default_factory=list)
    new_documents: list[RequiredDocument] = field(default_factory=list)
    service_confirmation: ServiceConfirmation | None = None
    start_form: MaterialsStartForm | None = None
    confirm_form: MissingConfirmationForm | None = None
    error: str = ""
    flash: str = ""

    @property
    def can_edit(self) -> bool:
        return self.may_edit and self.is_open

    @property
    def received_count(self) -> int:
        return sum(1 for row in self.rows if row.material.state == Material.RECEIVED)

    @property
    def blocking_pending(self) -> list[MaterialCheck]:
        return [material for material in self.blocking if material.state == Material.PENDING]

    @property
    def to_confirm(self) -> list[MaterialCheck]:
        return [material for material in self.blocking if material.state != Material.PENDING]


def materials_panel(*, request: HttpRequest, ticket: Ticket, state: PanelState | None = None) -> MaterialsPanel | None:
    """The panel for the ticket page, or None when the ticket has no service type (and so no checklist).

    A refused plain POST leaves its PanelState on the request, so the page it re-renders shows
    the errors where they belong."""
    state = state or getattr(request, "materials_state", None) or PanelState()
    if ticket.service_type_id is None and state.start_form is None and not state.error:
        # A checklist is only ever started from a service type, which then stays on the ticket:
        # no service type, no checklist (and no query for the many tickets without one).
        return None
    checklist = selectors.material_list_for_ticket(ticket=ticket)
    panel = MaterialsPanel(
        ticket=ticket,
        service_type=ticket.service_type,
        may_edit=permissions.user_may_check_materials(request.user),
        is_open=ticket.is_open,
        service_confirmation=selectors.service_confirmation_get(ticket=ticket),
        error=state.error,
        flash=state.flash,
    )
    if not checklist:
        panel.start_form = state.start_form or MaterialsStartForm(initial={"service_type": ticket.service_type_id})
        return panel
    panel.confirmations = selectors.missing_confirmation_list(ticket=ticket)
    panel.blocking = selectors.material_blocking_among(checklist, panel.confirmations)
    blocking_ids = {material.pk for material in panel.blocking}
    failed = state.mark_form
    for material in checklist:
        is_failed = failed is not None and failed.material.pk == material.pk
        form = failed if is_failed else MaterialMarkForm(material=material)
        panel.rows.append(
            MaterialRow(
                material=material,
                form=form,
                is_blocking=material.pk in blocking_ids,
                is_confirmed=material.is_required
                and material.state in (Material.MISSING, Material.RETURNED)
                and material.pk not in blocking_ids,
                is_return_open=is_failed and form.data.get(form.add_prefix("state")) == Material.RETURNED,
            )
        )
    if panel.to_confirm:
        panel.confirm_form = state.confirm_form or MissingConfirmationForm()
    if panel.can_edit and panel.service_type is not None:
        panel.new_documents = selectors.required_document_list_new(ticket=ticket, service_type=panel.service_type)
    return panel


# --- Helpers --------------------------------------------------------------------------------------

PANEL = panels.Panel(
    name="materials",
    template="tickets/_detail_materials.html",
    build=materials_panel,
    state_class=PanelState,
    nothing_saved=gettext_lazy("Nothing was saved: see the materials panel."),
    fetch=selectors.ticket_get_for_materials,
    # Every write bumps the ticket's version: the action forms elsewhere on the page get the
    # new one out of band, so their next submit is not taken for a stale page.
    extra_context={"version_inputs": [f"id_{verb}_expected_version" for verb in ACTION_FORMS]},
    repeats_error=True,
)


def _role_refusal() -> str:
    return _("Your role may not check materials or prepare the service confirmation form; ask a colleague.")


def _put_error(form: DeskForm, error: TicketError, *, aliases: dict[str, str] | None = None) -> None:
    panels.add_service_error(form, error, aliases=aliases)
    form.focus_first_error()


def _allowed(request: HttpRequest, reference: str) -> tuple[Ticket, HttpResponse | None]:
    """The ticket (404 if not visible) and, for a role that may not act, the 403 response."""
    ticket = panels.ticket_or_404(request, reference)
    if permissions.user_may_check_materials(request.user):
        return ticket, None
    return ticket, PANEL.refused(request, ticket, PanelState(error=_role_refusal()), status=403)


# --- The checklist ------------------------------------------------------------------------------


@require_POST
def materials_start(request: HttpRequest, reference: str) -> HttpResponse:
    ticket, refusal = _allowed(request, reference)
    if refusal:
        return refusal
    form = MaterialsStartForm(request.POST)
    if form.is_valid():
        try:
            rows = materials.materials_start(
                ticket=ticket, actor=request.user, service_type=form.cleaned_data["service_type"]
            )
        except TicketError as error:
            _put_error(form, error)
        else:
            return PANEL.done(
                request, ticket, _("Checklist started: %(count)s documents to check.") % {"count": len(rows)}
            )
    return PANEL.refused(request, ticket, PanelState(start_form=form))


@require_POST
def materials_add_new(request: HttpRequest, reference: str) -> HttpResponse:
    ticket, refusal = _allowed(request, reference)
    if refusal:
        return refusal
    try:
        rows = materials.materials_add_new_documents(ticket=ticket, actor=request.user)
    except TicketError as error:
        return PANEL.refused(request, ticket, PanelState(error=error.message))
    return PANEL.done(
        request,
        ticket,
        _("Added to the checklist: %(documents)s.") % {"documents": ", ".join(row.name for row in rows)},
    )


@require_POST
def material_mark(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    ticket, refusal = _allowed(request, reference)
    if refusal:
        return refusal
    material = selectors.material_get(ticket=ticket, pk=pk)
    if material is None:
        raise Http404(_("No such document on this ticket's checklist."))
    form = MaterialMarkForm(request.POST, material=material)
    if form.is_valid():
        try:
            marked = materials.material_mark(
                material=material,
                actor=request.user,
                state=form.cleaned_data["state"],
                reason=form.cleaned_data["reason"],
            )
        except IllegalTransition as error:
            return PANEL.refused(request, ticket, PanelState(error=error.message))
        except TicketError as error:
            _put_error(form, error)
        else:
            return PANEL.done(
                request,
                ticket,
                _("“%(document)s” marked “%(state)s”.")
                % {"document": marked.name, "state": marked.get_state_display()},
            )
    return PANEL.refused(request, ticket, PanelState(mark_form=form))


@require_POST
def materials_confirm_missing(request: HttpRequest, reference: str) -> HttpResponse:
    ticket, refusal = _allowed(request, reference)
    if refusal:
        return refusal
    form = MissingConfirmationForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            confirmation = materials.materials_confirm_missing(
                ticket=ticket,
                actor=request.user,
                signed_name=data["signed_name"],
                is_confirmed=data["is_confirmed"],
                scan=data["scan"],
            )
        except IllegalTransition as error:
            return PANEL.refused(request, ticket, PanelState(error=error.message))
        except TicketError as error:
            _put_error(form, error, aliases={"file": "scan"})
        else:
            return PANEL.done(
                request,
                ticket,
                _("The customer's written confirmation is recorded for: %(documents)s.")
                % {"documents": ", ".join(confirmation.documents)},
            )
    return PANEL.refused(request, ticket, PanelState(confirm_form=form))


# --- The service confirmation form (A1) -----------------------------------------------------------


def _form_ticket(request: HttpRequest, reference: str) -> Ticket:
    return panels.ticket_or_404(request, reference, fetch=selectors.ticket_get_for_materials)


def _forbidden(request: HttpRequest, ticket: Ticket) -> HttpResponse | None:
    if permissions.user_may_check_materials(request.user):
        return None
    return _form_page(request, ticket, form=None, confirmation=None, page_error=_role_refusal(), status=403)


def _form_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    form: ServiceConfirmationForm | None,
    confirmation: ServiceConfirmation | None,
    page_error: str,
    status: int,
) -> HttpResponse:
    customer_name, customer_phone = _customer(ticket)
    context = {
        "ticket": ticket,
        "form": form,
        "confirmation": confirmation,
        "customer_name": customer_name,
        "customer_phone": customer_phone,
        "page_error": page_error,
    }
    return render(request, "tickets/confirmation_form.html", context, status=status)


def _initial(ticket: Ticket, confirmation: ServiceConfirmation | None) -> dict:
    if confirmation is not None:
        return {
            "service_type": confirmation.service_type_id,
            "estimated_time": confirmation.estimated_time,
            "fee_amount": confirmation.fee_amount,
            "fee_covers": confirmation.fee_covers,
            "invoice_needed": confirmation.invoice_needed,
            "invoice_title": confirmation.invoice_title,
            "after_service": confirmation.after_service,
        }
    company = ticket.customer.company if ticket.customer_id else ""
    return {"service_type": ticket.service_type_id, "invoice_title": company}


@require_http_methods(["GET", "HEAD", "POST"])
def confirmation_form(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _form_ticket(request, reference)
    if forbidden := _forbidden(request, ticket):
        return forbidden
    confirmation = selectors.service_confirmation_get(ticket=ticket)
    current_type = confirmation.service_type if confirmation else ticket.service_type
    page_error = ""
    status = 200
    if request.method == "POST":
        form = ServiceConfirmationForm(request.POST, current_type=current_type)
        if form.is_valid():
            data = form.cleaned_data
            now = timezone.now()
            try:
                saved = materials.service_confirmation_save(
                    ticket=ticket,
                    actor=request.user,
                    service_type=data["service_type"],
                    estimated_time=data["estimated_time"],
                    fee_amount=data["fee_amount"],
                    fee_covers=data["fee_covers"],
                    invoice_needed=data["invoice_needed"],
                    invoice_title=data["invoice_title"],
                    after_service=data["after_service"],
                    now=now,
                )
            except IllegalTransition as error:
                page_error = error.message
            except InvalidInput as error:
                _put_error(form, error)
            else:
                if saved.updated_at == now:
                    messages.success(request, _("Service confirmation form saved. Print it for the customer to sign."))
                else:
                    messages.info(request, _("Nothing changed on the service confirmation form."))
                return redirect(panels.detail_url(ticket, PANEL.name))
        form.focus_first_error()
        status = 400
    else:
        form = ServiceConfirmationForm(initial=_initial(ticket, confirmation), current_type=current_type)
    return _form_page(request, ticket, form=form, confirmation=confirmation, page_error=page_error, status=status)


def _customer(ticket: Ticket) -> tuple[str, str]:
    customer = ticket.customer
    name = ticket.contact_name or (customer.name if customer else "")
    phone = ticket.contact_phone or (customer.phone if customer else "")
    return name, phone


def _given_reminders(ticket: Ticket) -> list[str]:
    return [
        str(item.get("text", ""))
        for item in ticket.reminders or []
        if isinstance(item, dict) and item.get("given") and item.get("text")
    ]


@require_safe
def confirmation_print(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _form_ticket(request, reference)
    if forbidden := _forbidden(request, ticket):
        return forbidden
    confirmation = selectors.service_confirmation_get(ticket=ticket)
    if confirmation is None:
        messages.info(request, _("Fill in and save the service confirmation form first; then print it."))
        return redirect("desk:confirmation_form", reference=ticket.reference)
    checklist = selectors.material_list_for_ticket(ticket=ticket)
    confirmations = selectors.missing_confirmation_list(ticket=ticket) if checklist else []
    blocking = {material.pk for material in selectors.material_blocking_among(checklist, confirmations)}
    customer_name, customer_phone = _customer(ticket)
    clerk = confirmation.prepared_by
    context = {
        "ticket": ticket,
        "confirmation": confirmation,
        "centre_name": settings.SERVICEDESK.get("CENTRE_NAME") or DEFAULT_CENTRE_NAME,
        "customer_name": customer_name,
        "customer_phone": customer_phone,
        "reminders": _given_reminders(ticket),
        "received": [material for material in checklist if material.state == Material.RECEIVED],
        "not_received": [
            {"material": material, "is_confirmed": material.is_required and material.pk not in blocking}
            for material in checklist
            if material.state in (Material.MISSING, Material.RETURNED)
        ],
        "pending": [material for material in checklist if material.state == Material.PENDING],
        "confirmations": confirmations,
        "clerk_name": clerk.get_full_name() or clerk.get_username(),
        "clerk_profile": getattr(clerk, "staff", None),
    }
    from complaints.views_evaluations import evaluation_print_context  # C5: the evaluation link as a QR code

    context |= evaluation_print_context(request, ticket)
    return render(request, "tickets/confirmation_form_print.html", context)
