"""Complaint pages: accepting one (from scratch or from a ticket or visit) and the complaint file
(classification, routing, the handling report and its approval, the return visits).

Thin: forms shape the input, complaints.services judge and write, complaints.selectors read. A
refused POST shows the page again with the errors (400), nothing written; a complaint the user
may not see is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from complaints import selectors, services
from complaints.forms import AcceptForm, ReportForm, ReturnVisitForm, RouteForm
from complaints.models import Complaint
from tickets import selectors as ticket_selectors
from tickets.exceptions import TicketError
from tickets.views.panels import add_service_error


def _staff_or_403(request: HttpRequest) -> None:
    if getattr(request.user, "staff", None) is None:
        raise PermissionDenied(_("Only staff members accept complaints."))


def _complaint_or_404(request: HttpRequest, reference: str) -> Complaint:
    complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
    if complaint is None:
        raise Http404(_("No complaint %(ref)s that you may see.") % {"ref": reference})
    return complaint


def file_url(complaint: Complaint, anchor: str = "") -> str:
    url = reverse("complaints:file", args=[complaint.ticket.reference])
    return f"{url}#{anchor}" if anchor else url


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest) -> HttpResponse:
    """C1: anyone accepts a complaint; ?from=<reference> takes it from an existing ticket or visit."""
    _staff_or_403(request)
    source = None
    source_reference = request.GET.get("from") or request.POST.get("from") or ""
    if source_reference:
        source = ticket_selectors.ticket_find_visible(user=request.user, reference=source_reference)
        if source is None:
            raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": source_reference})
    initial = {"promised_hours": services.promise_hours_default()}
    if source is not None:
        initial.update(
            subject=_("Complaint about %(subject)s") % {"subject": source.subject},
            contact_name=source.contact_name,
            contact_phone=source.contact_phone,
            channel=source.channel,
        )
    form = AcceptForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_accept(
                    actor=request.user,
                    subject=data["subject"],
                    description=data["description"],
                    problem_type=data["problem_type"],
                    severity=data["severity"],
                    promised_hours=data["promised_hours"],
                    channel=data["channel"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    source_ticket=source,
                )
            except TicketError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("Complaint %(ref)s recorded. Tell the customer: “%(script)s”")
                    % {
                        "ref": complaint.ticket.reference,
                        "script": services.acceptance_script(
                            hours=complaint.promised_hours,
                            name=complaint.ticket.contact_name,
                            reference=complaint.ticket.reference,
                            channel=complaint.ticket.channel,
                        ),
                    },
                )
                return redirect(file_url(complaint))
        status = 400
        form.focus_first_error()
    context = {"form": form, "source": source, "default_hours_text": f"{initial['promised_hours'].normalize():f}"}
    return render(request, "complaints/accept.html", context, status=status)


def _file_context(request: HttpRequest, complaint: Complaint, **forms) -> dict:
    report = getattr(complaint, "report", None)
    may_see_penalty = services.may_see_penalty(request.user)
    if "report_form" not in forms:
        initial = {}
        if report is not None:
            initial = {
                "investigation": report.investigation,
                "cause": report.cause,
                "staff_involved": list(report.staff_involved.all()),
                "staff_involved_note": report.staff_involved_note,
                "penalty_opinion": report.penalty_opinion,
                "corrective_action": report.corrective_action,
                "is_upheld": "yes" if report.is_upheld else "no",
            }
        forms["report_form"] = ReportForm(initial=initial, may_see_penalty=may_see_penalty)
    forms.setdefault("route_form", RouteForm())
    forms.setdefault("visit_form", ReturnVisitForm())
    ticket = complaint.ticket
    return {
        "complaint": complaint,
        "ticket": ticket,
        "report": report,
        "may_see_penalty": may_see_penalty,
        "may_approve": report is not None
        and report.approved_at is None
        and services.may_approve(request.user, complaint),
        "may_write_report": ticket.status != ticket.Status.CLOSED and (report is None or report.approved_at is None),
        "may_record_visit": ticket.status in (ticket.Status.RESOLVED, ticket.Status.CLOSED),
        "promise": ticket.deadlines.filter(kind="complaint_promise").order_by("-started_at").first(),
        "script": services.acceptance_script(
            hours=complaint.promised_hours, name=ticket.contact_name, reference=ticket.reference, channel=ticket.channel
        ),
        **forms,
    }


@require_safe
def complaint_file(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _complaint_or_404(request, reference)
    return render(request, "complaints/file.html", _file_context(request, complaint))


def _refused(request, complaint, status=400, **forms) -> HttpResponse:
    context = _file_context(request, complaint, **forms)
    context["page_error"] = _("Nothing was saved: see the form below.")
    return render(request, "complaints/file.html", context, status=status)


@require_POST
def route(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _complaint_or_404(request, reference)
    form = RouteForm(request.POST)
    if form.is_valid():
        try:
            complaint = services.complaint_route(
                complaint=complaint, actor=request.user, department=form.cleaned_data["department"]
            )
        except TicketError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Complaint routed to %(department)s (%(head)s).")
                % {"department": complaint.department.name, "head": complaint.routed_to.get_full_name()},
            )
            return redirect(file_url(complaint, "routing"))
    return _refused(request, complaint, route_form=form)


@require_POST
def report(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _complaint_or_404(request, reference)
    form = ReportForm(request.POST, may_see_penalty=services.may_see_penalty(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.complaint_report_save(
                complaint=complaint,
                actor=request.user,
                investigation=data["investigation"],
                cause=data["cause"],
                corrective_action=data["corrective_action"],
                is_upheld=data["is_upheld"],
                staff_involved=data["staff_involved"],
                staff_involved_note=data["staff_involved_note"],
                penalty_opinion=data.get("penalty_opinion", ""),
            )
        except TicketError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Complaint handling report saved."))
            return redirect(file_url(complaint, "report"))
    form.focus_first_error()
    return _refused(request, complaint, report_form=form)


@require_POST
def approve(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _complaint_or_404(request, reference)
    try:
        services.complaint_report_approve(complaint=complaint, actor=request.user)
    except TicketError as error:
        context = _file_context(request, complaint)
        context["page_error"] = error.message
        refused_for_role = not services.may_approve(request.user, complaint)
        return render(request, "complaints/file.html", context, status=403 if refused_for_role else 400)
    messages.success(request, _("Complaint handling report approved."))
    return redirect(file_url(complaint, "report"))


@require_POST
def return_visit(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _complaint_or_404(request, reference)
    form = ReturnVisitForm(request.POST)
    if form.is_valid():
        try:
            visit = services.complaint_return_visit(
                complaint=complaint,
                actor=request.user,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
            )
        except TicketError as error:
            add_service_error(form, error)
        else:
            if visit.verdict == visit.Verdict.NOT_SATISFIED:
                messages.warning(
                    request, _("Return visit recorded: not satisfied. The complaint is reopened and escalated.")
                )
            else:
                messages.success(
                    request, _("Return visit recorded: %(verdict)s.") % {"verdict": visit.get_verdict_display()}
                )
            return redirect(file_url(complaint, "return-visits"))
    form.focus_first_error()
    return _refused(request, complaint, visit_form=form)
