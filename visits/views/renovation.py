"""The renovation permit page (装修许可) and the repair request page (报修) of a visit ticket.

Thin: reads from visits.selectors_renovation, writes through visits.renovation, who-may-do-what
from visits.permissions_renovation. Every form is a plain POST: success redirects back to the
page with a message; a refusal draws the page again with the errors on their fields (400), or
403 for a role refusal; nothing is written. A ticket the user may not see is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tickets.exceptions import InvalidInput, TicketError
from tickets.forms import DeskForm
from tickets.models import Ticket
from tickets.sla import SHANGHAI
from tickets.views import panels
from visits import renovation, selectors_renovation
from visits.forms_renovation import RenovationForm, RepairForm, RescheduleForm, WorkerForm, WorkerPhotoForm
from visits.models_renovation import RenovationApplication, RepairRequest
from visits.permissions_renovation import user_may_do_counter_business, user_may_record_repair_arrival

DEFAULT_CENTRE_NAME = gettext_lazy("Customer Service Centre")


def _ticket(request: HttpRequest, reference: str) -> Ticket:
    return panels.ticket_or_404(request, reference, fetch=selectors_renovation.ticket_get_for_counter)


def _put_error(form: DeskForm | None, error: TicketError) -> str:
    """Put a refusal on its field; return it as a page error when no field of the form takes it."""
    if form is not None and isinstance(error, InvalidInput) and error.field in form.fields:
        form.add_error(error.field, error.message)
        return ""
    return error.message


def _role_refusal() -> str:
    return _("Your role may not do counter business; ask a front-desk colleague.")


def _contact(ticket: Ticket) -> tuple[str, str]:
    customer = ticket.customer
    name = ticket.contact_name or (customer.name if customer else "")
    phone = ticket.contact_phone or (customer.phone if customer else "")
    return name, phone


# --- Renovation permit ----------------------------------------------------------------------------


def _renovation_initial(ticket: Ticket, application: RenovationApplication | None) -> dict:
    if application is None:
        name, phone = _contact(ticket)
        return {"owner_name": name, "owner_phone": phone}
    fields = [
        "unit",
        "owner_name",
        "owner_phone",
        "contractor_name",
        "contractor_licence_no",
        "contractor_contact",
        "contractor_phone",
        "works",
        "period_start",
        "period_end",
        "has_business_licence",
        "has_qualification",
        "has_drawings",
    ]
    return {name: getattr(application, name) for name in fields}


def _renovation_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    form: RenovationForm | None = None,
    worker_form: WorkerForm | None = None,
    photo_form: tuple[int, WorkerPhotoForm] | None = None,
    page_error: str = "",
    status: int = 200,
) -> HttpResponse:
    application = selectors_renovation.renovation_get(ticket=ticket)
    workers = list(application.workers.all()) if application else []
    may_act = user_may_do_counter_business(request.user)
    is_draft = may_act and ticket.is_open and (application is None or not application.is_issued)
    if is_draft:
        form = form or RenovationForm(initial=_renovation_initial(ticket, application))
        if application is not None:
            worker_form = worker_form or WorkerForm()
    else:
        form = worker_form = None
    failed_pk, failed_photo_form = photo_form or (None, None)
    rows = [
        {
            "worker": worker,
            "photo_form": (
                failed_photo_form if worker.pk == failed_pk else WorkerPhotoForm(auto_id=f"id_photo_{worker.pk}_%s")
            )
            if is_draft
            else None,
        }
        for worker in workers
    ]
    today = timezone.now().astimezone(SHANGHAI).date()
    if application is not None and application.is_issued:
        schedule = application.fee_schedule
        fees = renovation.RenovationFees(
            renovation_deposit=application.renovation_deposit,
            permit_fee=application.permit_fee,
            pass_deposit_per_worker=application.pass_deposit_per_worker,
            workers=application.worker_count,
        )
    else:
        schedule = renovation.fee_schedule_in_force(on=today)
        fees = renovation.renovation_fees_compute(schedule=schedule, workers=len(workers)) if schedule else None
    names = renovation.document_names()
    documents = [
        {
            "name": names[flag],
            "received": bool(application and getattr(application, flag)),
            "file": getattr(application, file_field) if application else None,
        }
        for flag, file_field in renovation.DOCUMENTS
    ]
    for target in (form, worker_form, failed_photo_form):
        if target is not None and target.is_bound:
            target.focus_first_error()
    context = {
        "ticket": ticket,
        "application": application,
        "rows": rows,
        "documents": documents,
        "form": form,
        "worker_form": worker_form,
        "fees": fees,
        "schedule": schedule,
        "missing": renovation.renovation_missing(application, workers)
        if application is None or not application.is_issued
        else [],
        "may_act": may_act,
        "is_draft": is_draft,
        "page_error": page_error,
    }
    return render(request, "visits/renovation/renovation.html", context, status=status)


def _forbidden(request: HttpRequest, ticket: Ticket, render_page) -> HttpResponse | None:
    if user_may_do_counter_business(request.user):
        return None
    return render_page(request, ticket, page_error=_role_refusal(), status=403)


@require_http_methods(["GET", "HEAD", "POST"])
def renovation_page(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if request.method != "POST":
        return _renovation_page(request, ticket)
    if forbidden := _forbidden(request, ticket, _renovation_page):
        return forbidden
    form = RenovationForm(request.POST, request.FILES)
    page_error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            renovation.renovation_save(ticket=ticket, actor=request.user, now=timezone.now(), **data)
        except TicketError as error:
            page_error = _put_error(form, error)
        else:
            messages.success(request, _("Renovation application saved."))
            return redirect("visits:renovation", reference=ticket.reference)
    return _renovation_page(request, ticket, form=form, page_error=page_error, status=400)


@require_POST
def renovation_worker_add(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if forbidden := _forbidden(request, ticket, _renovation_page):
        return forbidden
    form = WorkerForm(request.POST, request.FILES)
    page_error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            worker = renovation.renovation_worker_add(
                ticket=ticket,
                actor=request.user,
                name=data["name"],
                id_number=data["id_number"],
                photo=data["photo"],
                now=timezone.now(),
            )
        except TicketError as error:
            page_error = _put_error(form, error)
        else:
            messages.success(request, _("%(name)s added to the workers.") % {"name": worker.name})
            return redirect("visits:renovation", reference=ticket.reference)
    return _renovation_page(request, ticket, worker_form=form, page_error=page_error, status=400)


@require_POST
def renovation_worker_photo(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    ticket = _ticket(request, reference)
    if forbidden := _forbidden(request, ticket, _renovation_page):
        return forbidden
    form = WorkerPhotoForm(request.POST, request.FILES, auto_id=f"id_photo_{pk}_%s")
    page_error = ""
    if form.is_valid():
        try:
            worker = renovation.renovation_worker_photo(
                ticket=ticket, actor=request.user, worker=pk, photo=form.cleaned_data["photo"], now=timezone.now()
            )
        except TicketError as error:
            page_error = _put_error(form, error)
        else:
            messages.success(request, _("Photo saved for %(name)s.") % {"name": worker.name})
            return redirect("visits:renovation", reference=ticket.reference)
    return _renovation_page(request, ticket, photo_form=(pk, form), page_error=page_error, status=400)


@require_POST
def renovation_worker_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    ticket = _ticket(request, reference)
    if forbidden := _forbidden(request, ticket, _renovation_page):
        return forbidden
    try:
        renovation.renovation_worker_remove(ticket=ticket, actor=request.user, worker=pk, now=timezone.now())
    except TicketError as error:
        return _renovation_page(request, ticket, page_error=error.message, status=400)
    messages.success(request, _("Worker removed from the application."))
    return redirect("visits:renovation", reference=ticket.reference)


@require_POST
def renovation_issue(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if forbidden := _forbidden(request, ticket, _renovation_page):
        return forbidden
    try:
        application = renovation.renovation_issue(ticket=ticket, actor=request.user, now=timezone.now())
    except TicketError as error:
        return _renovation_page(request, ticket, page_error=error.message, status=400)
    messages.success(
        request,
        _("Permit %(number)s issued: ¥%(total)s to pay. Print it for the owner to post on the door.")
        % {"number": application.permit_number, "total": application.total_fee},
    )
    return redirect("visits:renovation", reference=ticket.reference)


@require_safe
def renovation_permit(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    application = selectors_renovation.renovation_get(ticket=ticket)
    if application is None or not application.is_issued:
        messages.info(request, _("Issue the permit first; then print it."))
        return redirect("visits:renovation", reference=ticket.reference)
    issuer = application.issued_by
    context = {
        "ticket": ticket,
        "application": application,
        "workers": list(application.workers.all()),
        "fees": renovation.RenovationFees(
            renovation_deposit=application.renovation_deposit,
            permit_fee=application.permit_fee,
            pass_deposit_per_worker=application.pass_deposit_per_worker,
            workers=application.worker_count,
        ),
        "centre_name": settings.SERVICEDESK.get("CENTRE_NAME") or DEFAULT_CENTRE_NAME,
        "issuer_name": issuer.get_full_name() or issuer.get_username(),
        "issuer_profile": getattr(issuer, "staff", None),
    }
    return render(request, "visits/renovation/permit_print.html", context)


@require_safe
def renovation_worker_photo_file(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    """A worker's photo, only to someone who may see the ticket (media is never served publicly)."""
    ticket = _ticket(request, reference)
    worker = selectors_renovation.renovation_worker_get(ticket=ticket, pk=pk)
    if worker is None or not worker.photo:
        raise Http404(_("No such photo."))
    try:
        handle = worker.photo.open("rb")
    except FileNotFoundError as missing:
        raise Http404(_("The photo file is missing.")) from missing
    return FileResponse(handle)


# --- Repair request -----------------------------------------------------------------------------------


def _repair_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    form: RepairForm | None = None,
    reschedule_form: RescheduleForm | None = None,
    page_error: str = "",
    status: int = 200,
) -> HttpResponse:
    repair = selectors_renovation.repair_get(ticket=ticket)
    may_act = user_may_do_counter_business(request.user)
    if repair is None and may_act and ticket.is_open:
        _name, phone = _contact(ticket)
        form = form or RepairForm(initial={"scope": RepairRequest.Scope.IN_SCOPE, "contact_phone": phone})
    else:
        form = None
    is_closed = ticket.status == Ticket.Status.CLOSED
    awaiting = repair is not None and repair.state == RepairRequest.State.DISPATCHED and not is_closed
    reschedule_form = (reschedule_form or RescheduleForm()) if awaiting and may_act else None
    for target in (form, reschedule_form):
        if target is not None and target.is_bound:
            target.focus_first_error()
    context = {
        "ticket": ticket,
        "repair": repair,
        "deadline": selectors_renovation.repair_arrival_deadline(ticket=ticket) if repair is not None else None,
        "form": form,
        "reschedule_form": reschedule_form,
        "may_record_arrival": awaiting and user_may_record_repair_arrival(request.user),
        "engineering_head": renovation.engineering_head() if repair is None else None,
        "page_error": page_error,
        "now": timezone.now(),
    }
    return render(request, "visits/renovation/repair.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def repair_page(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if request.method != "POST":
        return _repair_page(request, ticket)
    if forbidden := _forbidden(request, ticket, _repair_page):
        return forbidden
    form = RepairForm(request.POST)
    page_error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["scope"] == RepairRequest.Scope.IN_SCOPE:
                repair = renovation.repair_dispatch(
                    ticket=ticket,
                    actor=request.user,
                    unit=data["unit"],
                    problem=data["problem"],
                    promised_at=data["promised_at"],
                    contact_phone=data["contact_phone"],
                    now=timezone.now(),
                )
                message = _("Dispatched to engineering; the engineer is promised by %(when)s.") % {
                    "when": timezone.localtime(repair.promised_at).strftime("%Y-%m-%d %H:%M")
                }
            else:
                renovation.repair_refer(
                    ticket=ticket,
                    actor=request.user,
                    unit=data["unit"],
                    problem=data["problem"],
                    referred_to=data["referred_to"],
                    referral_number=data["referral_number"],
                    now=timezone.now(),
                )
                message = _("Referral recorded.")
        except TicketError as error:
            page_error = _put_error(form, error)
        else:
            messages.success(request, message)
            return redirect("visits:repair", reference=ticket.reference)
    return _repair_page(request, ticket, form=form, page_error=page_error, status=400)


@require_POST
def repair_reschedule(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if forbidden := _forbidden(request, ticket, _repair_page):
        return forbidden
    form = RescheduleForm(request.POST)
    page_error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            repair = renovation.repair_reschedule(
                ticket=ticket, actor=request.user, new_time=data["new_time"], reason=data["reason"], now=timezone.now()
            )
        except TicketError as error:
            page_error = _put_error(form, error)
        else:
            messages.success(
                request,
                _("Visit moved to %(when)s; the customer is sent the new time.")
                % {"when": timezone.localtime(repair.promised_at).strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("visits:repair", reference=ticket.reference)
    return _repair_page(request, ticket, reschedule_form=form, page_error=page_error, status=400)


@require_POST
def repair_arrived(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if not user_may_record_repair_arrival(request.user):
        return _repair_page(request, ticket, page_error=_role_refusal(), status=403)
    try:
        renovation.repair_record_arrival(ticket=ticket, actor=request.user, now=timezone.now())
    except TicketError as error:
        return _repair_page(request, ticket, page_error=error.message, status=400)
    messages.success(request, _("Arrival recorded."))
    return redirect("visits:repair", reference=ticket.reference)
