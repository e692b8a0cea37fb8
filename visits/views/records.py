"""Pages for ID copies (V5) and incidents (V6, S7).

Thin: reads from visits.selectors_records, writes through visits.records, who-may-do-what from
visits.permissions_records. Every form is a plain POST: success redirects back with a message;
a refusal draws the page again with the errors (400), or 403 for a role refusal; nothing is
written. A ticket the user may not see is a 404, and so are ID copies for anyone not working
the ticket.

The ID copy upload is held in memory only (`MemoryOnlyUploadHandler`): Django would otherwise
spool a large upload to a temporary file, and the unmarked original must never touch the disk.
The handler is set before the body is read, hence csrf_exempt around csrf_protect (Django's
"Modifying upload handlers on the fly").
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets import selectors
from tickets.exceptions import NotPermitted, TicketError
from tickets.models import Ticket
from tickets.views import panels
from visits import permissions_records as perms
from visits import records
from visits import selectors_records as reads
from visits.forms_records import IdCopyForm, IncidentForm, IncidentReportForm, TypicalCaseForm, TypicalFilterForm
from visits.models_records import IncidentType


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory, whatever its size, and skips (and remembers) a file
    larger than `max_bytes` instead of spooling it anywhere."""

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_large: str | None = None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.too_large = self.file_name
            self.buffer = io.BytesIO()
            raise SkipFile()
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def _ticket(request: HttpRequest, reference: str) -> Ticket:
    return panels.ticket_or_404(request, reference, fetch=selectors.ticket_find_visible)


def _working_ticket(request: HttpRequest, reference: str) -> Ticket:
    ticket = _ticket(request, reference)
    if not perms.user_may_view_id_copies(request.user, ticket):
        raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": reference})
    return ticket


# --- ID copies (V5) ----------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def id_copies(request: HttpRequest, reference: str) -> HttpResponse:
    """The ticket's ID copies and the upload form."""
    handler = MemoryOnlyUploadHandler(request, max_bytes=records.id_copy_max_bytes())
    request.upload_handlers = [handler]
    return _id_copies(request, reference, handler)


@csrf_protect
def _id_copies(request: HttpRequest, reference: str, handler: MemoryOnlyUploadHandler) -> HttpResponse:
    ticket = _working_ticket(request, reference)
    if request.method != "POST":
        return _render_id_copies(request, ticket, IdCopyForm())
    form = IdCopyForm(request.POST, request.FILES)
    if handler.too_large is not None:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error(
            "file",
            _("“%(name)s” is larger than %(limit)s, the largest ID copy accepted.")
            % {"name": handler.too_large, "limit": filesizeformat(handler.max_bytes)},
        )
    elif form.is_valid():
        try:
            copy = records.id_copy_store(
                ticket=ticket,
                actor=request.user,
                upload=form.cleaned_data["file"],
                purpose=form.cleaned_data["purpose"],
            )
        except NotPermitted as error:
            return _render_id_copies(request, ticket, form, error=error.message, status=403)
        except TicketError as error:
            panels.add_service_error(form, error)
        else:
            messages.success(request, _("ID copy kept, stamped “%(text)s”.") % {"text": copy.watermark_text})
            return redirect("visits:id_copies", reference=ticket.reference)
    return _render_id_copies(request, ticket, form, status=400)


def _render_id_copies(request, ticket: Ticket, form: IdCopyForm, *, error: str = "", status: int = 200):
    if form.is_bound:
        form.focus_first_error()
    context = {"ticket": ticket, "copies": reads.id_copy_list(ticket=ticket), "form": form, "page_error": error}
    return render(request, "visits/records/id_copies.html", context, status=status)


@require_GET
def id_copy_image(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The watermarked copy (or `?size=thumb` a small one), only to the people working the ticket."""
    ticket = _working_ticket(request, reference)
    copy = reads.id_copy_get(ticket=ticket, pk=pk)
    if copy is None:
        raise Http404(_("No such ID copy."))
    try:
        if request.GET.get("size") == "thumb":
            response = HttpResponse(records.id_copy_thumbnail(copy), content_type="image/jpeg")
        else:
            response = FileResponse(copy.image.open("rb"), content_type="image/jpeg")
    except FileNotFoundError as missing:
        raise Http404(_("The stored ID copy is missing.")) from missing
    response["Content-Disposition"] = f'inline; filename="id-copy-{copy.pk}.jpg"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Incidents (V6, S7) --------------------------------------------------------------------------


def _render_incident(request, ticket: Ticket, *, forms: dict | None = None, error: str = "", status: int = 200):
    incident = reads.incident_get(ticket=ticket)
    forms = forms or {}
    for bound in forms.values():
        bound.focus_first_error()
    context = {
        "ticket": ticket,
        "incident": incident,
        "deadline": reads.incident_report_deadline(ticket=ticket) if incident else None,
        "contacts": records.incident_contacts(incident.type) if incident else [],
        "may_record": perms.user_may_record_incident(request.user),
        "may_mark_typical": perms.user_may_mark_typical(request.user),
        "incident_form": forms.get("incident") or IncidentForm(),
        "report_form": forms.get("report") or IncidentReportForm(),
        "typical_form": forms.get("typical") or TypicalCaseForm(),
        "page_error": error,
        "types": IncidentType,
    }
    return render(request, "visits/records/incident.html", context, status=status)


def _incident_url(ticket: Ticket) -> str:
    return reverse("visits:incident", kwargs={"reference": ticket.reference})


def _perform(request, ticket: Ticket, key: str, form, call, success: str) -> HttpResponse:
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except NotPermitted as error:
            return _render_incident(request, ticket, forms={key: form}, error=error.message, status=403)
        except TicketError as error:
            if error.field and error.field in form.fields:
                panels.add_service_error(form, error)
            else:
                return _render_incident(request, ticket, forms={key: form}, error=error.message, status=400)
        else:
            messages.success(request, success)
            return redirect(_incident_url(ticket))
    return _render_incident(request, ticket, forms={key: form}, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
def incident(request: HttpRequest, reference: str) -> HttpResponse:
    """The incident record of the ticket: record it, then its report and typical-case flag."""
    ticket = _ticket(request, reference)
    if request.method != "POST":
        return _render_incident(request, ticket)

    def call(data):
        records.incident_record(ticket=ticket, actor=request.user, **data)

    return _perform(
        request,
        ticket,
        "incident",
        IncidentForm(request.POST),
        call,
        _("Incident recorded; its contacts were notified. The report is due within two working days."),
    )


@require_POST
def incident_report(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)

    def call(data):
        records.incident_file_report(ticket=ticket, actor=request.user, **data)

    return _perform(request, ticket, "report", IncidentReportForm(request.POST), call, _("Incident report filed."))


@require_POST
def incident_typical(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket(request, reference)
    if request.POST.get("unmark"):

        def unmark(data):
            records.incident_mark_typical(ticket=ticket, actor=request.user, is_typical=False)

        form = TypicalCaseForm({"note": "-"})
        return _perform(request, ticket, "typical", form, unmark, _("Removed from the typical cases."))

    def call(data):
        records.incident_mark_typical(ticket=ticket, actor=request.user, note=data["note"])

    return _perform(
        request, ticket, "typical", TypicalCaseForm(request.POST), call, _("Kept as a typical case for training.")
    )


@require_GET
def typical_cases(request: HttpRequest) -> HttpResponse:
    """The archive of typical cases, for training: filter by type, 20 a page."""
    if not perms.user_may_view_typical_cases(request.user):
        context = {"forbidden": _("Only staff serving customers see the typical cases.")}
        return render(request, "visits/records/typical_cases.html", context, status=403)
    form = TypicalFilterForm(request.GET)
    incident_type = form.cleaned_data["type"] if form.is_valid() else ""
    page = reads.typical_case_page(incident_type=incident_type, page=request.GET.get("page"))
    query = f"type={incident_type}&" if incident_type else ""
    context = {"form": form, "page": page, "incident_type": incident_type, "query": query}
    return render(request, "visits/records/typical_cases.html", context)
