"""Customer evaluation pages (C5). Thin: reads from selectors_evaluations, writes through
complaints.evaluations.

- /complaints/evaluate/<token>/ : the customer's page, no login (CSRF stays on). A forged token
  is a 404, an expired or used one a 410, each with a page that says so; before the ticket is
  resolved, a "not yet" page. Nothing is written by any of them.
- /complaints/tickets/<reference>/evaluation/ : an evaluation taken by phone, recorded by staff.
- /complaints/tickets/<reference>/evaluation/link/ : issue a link (POST) and show it once, with
  its QR code, to read out or send to the customer.
- /complaints/evaluations/ : the monthly summary, for department heads and above.
"""

from __future__ import annotations

from datetime import timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from complaints import evaluations
from complaints.evaluations import IssuedLink, LinkRefused
from complaints.forms_evaluations import EvaluationForm, MonthForm
from complaints.permissions_evaluations import user_may_record_evaluation, user_may_view_evaluation_summary
from complaints.selectors_evaluations import BANDS, evaluation_panel_get, evaluation_summary
from tickets import selectors as ticket_selectors
from tickets.exceptions import IllegalTransition, InvalidInput, TicketError
from tickets.models import Ticket
from tickets.sla import SHANGHAI
from tickets.views.panels import add_service_error, detail_url, ticket_or_404

REFUSAL_STATUS = {
    LinkRefused.FORGED: 404,
    LinkRefused.EXPIRED: 410,
    LinkRefused.USED: 410,
    LinkRefused.NOT_YET: 200,
}


# --- The link and its QR code -------------------------------------------------------------------


def evaluation_url(request: HttpRequest, issued: IssuedLink) -> str:
    return request.build_absolute_uri(reverse("complaints:evaluate", kwargs={"token": issued.token}))


def qr_svg(url: str) -> SafeString:
    """The URL as an inline SVG QR code (segno; its own output, safe to inline)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, border=2, svgclass="evaluation-qr-code", title=_("Evaluation link"))
    return mark_safe(svg)  # noqa: S308


def evaluation_print_context(request: HttpRequest, ticket: Ticket) -> dict:
    """For a printed form (service confirmation form, receipt): a new evaluation link for the
    ticket, as `evaluation_url` and `evaluation_qr`; empty when the ticket takes no link (already
    evaluated, or a complaint). Each print issues a link (the raw token is never stored, so it
    cannot be shown again); the earlier ones stay valid."""
    try:
        issued = evaluations.evaluation_link_issue(ticket=ticket, actor=request.user, now=timezone.now())
    except TicketError:
        return {}
    url = evaluation_url(request, issued)
    return {"evaluation_url": url, "evaluation_qr": qr_svg(url), "evaluation_expires_at": issued.expires_at}


# --- The customer's page ------------------------------------------------------------------------


def _refused(request: HttpRequest, refusal: LinkRefused, *, status: int | None = None) -> HttpResponse:
    titles = {
        LinkRefused.FORGED: _("This link is not valid"),
        LinkRefused.EXPIRED: _("This link has expired"),
        LinkRefused.USED: _("This service has already been evaluated"),
        LinkRefused.NOT_YET: _("Not yet: the service is not finished"),
    }
    context = {"title": titles[refusal.reason], "message": refusal.message, "reason": refusal.reason}
    if refusal.reason == LinkRefused.NOT_YET:
        context["ticket"] = refusal.ticket
    return render(
        request,
        "complaints/evaluations/public_refused.html",
        context,
        status=status or REFUSAL_STATUS[refusal.reason],
    )


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def evaluate(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        link = evaluations.link_check(token=token, now=now)
    except LinkRefused as refusal:
        not_yet_post = request.method == "POST" and refusal.reason == LinkRefused.NOT_YET
        return _refused(request, refusal, status=409 if not_yet_post else None)
    form = EvaluationForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                evaluations.evaluation_submit(
                    token=token,
                    technical_score=form.cleaned_data["technical_score"],
                    attitude_score=form.cleaned_data["attitude_score"],
                    comment=form.cleaned_data["comment"],
                    now=now,
                )
            except LinkRefused as refusal:
                return _refused(request, refusal, status=409 if refusal.reason == LinkRefused.NOT_YET else None)
            except InvalidInput as error:
                add_service_error(form, error)
            except IllegalTransition as error:
                form.add_error(None, error.message)
            else:
                return redirect("complaints:evaluation_thanks")
        status = 400
        form.focus_first_error()
    ticket = link.ticket
    context = {
        "ticket": ticket,
        "form": form,
        "link": link,
        "handler_name": _handler_name(ticket),
        "action": reverse("complaints:evaluate", kwargs={"token": token}),
    }
    return render(request, "complaints/evaluations/public_form.html", context, status=status)


def _handler_name(ticket: Ticket) -> str:
    """The name of who served the customer (a name only: no staff number, no extension)."""
    user = ticket.assignee or ticket.first_responder
    return user.get_full_name() or user.get_username()


@login_not_required
@require_safe
def evaluation_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "complaints/evaluations/public_thanks.html")


# --- Staff: a link, a phone evaluation ----------------------------------------------------------


def _staff_ticket(request: HttpRequest, reference: str) -> Ticket:
    ticket = ticket_or_404(request, reference, fetch=ticket_selectors.ticket_find_visible)
    if not user_may_record_evaluation(request.user):
        raise PermissionDenied(_("Only staff members record customer evaluations."))
    return ticket


@require_POST
def evaluation_link_new(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _staff_ticket(request, reference)
    context = {"ticket": ticket}
    try:
        issued = evaluations.evaluation_link_issue(ticket=ticket, actor=request.user, now=timezone.now())
    except TicketError as error:
        context["page_error"] = error.message
        return render(request, "complaints/evaluations/link.html", context, status=409)
    url = evaluation_url(request, issued)
    context |= {"evaluation_url": url, "evaluation_qr": qr_svg(url), "evaluation_expires_at": issued.expires_at}
    # Shown once: the raw token is not stored, so this page cannot be reloaded into the same link.
    response = render(request, "complaints/evaluations/link.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def evaluation_phone(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _staff_ticket(request, reference)
    panel = evaluation_panel_get(ticket=ticket, user=request.user)
    form = EvaluationForm(request.POST if request.method == "POST" else None)
    status = 200
    page_error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                evaluation = evaluations.evaluation_record_by_phone(
                    ticket=ticket,
                    actor=request.user,
                    technical_score=form.cleaned_data["technical_score"],
                    attitude_score=form.cleaned_data["attitude_score"],
                    comment=form.cleaned_data["comment"],
                    now=timezone.now(),
                )
            except InvalidInput as error:
                add_service_error(form, error)
                status = 400
            except IllegalTransition as error:
                page_error = error.message
                status = 409
            else:
                text = _("Evaluation by phone recorded for %(ref)s.") % {"ref": ticket.reference}
                if evaluation.complaint_id is not None:
                    text += " " + _("The customer is extremely dissatisfied: complaint %(ref)s was opened.") % {
                        "ref": evaluation.complaint.ticket.reference
                    }
                messages.success(request, text)
                return redirect(detail_url(ticket, "evaluation"))
        else:
            status = 400
        form.focus_first_error()
        panel = evaluation_panel_get(ticket=ticket, user=request.user)
    context = {"ticket": ticket, "panel": panel, "form": form, "page_error": page_error}
    return render(request, "complaints/evaluations/phone.html", context, status=status)


# --- The monthly summary ------------------------------------------------------------------------


@require_safe
def evaluation_summary_page(request: HttpRequest) -> HttpResponse:
    if not user_may_view_evaluation_summary(request.user):
        raise PermissionDenied(_("The evaluation summary is for department heads, supervisors and administrators."))
    form = MonthForm(request.GET or None)
    this_month = timezone.now().astimezone(SHANGHAI).date().replace(day=1)
    status = 200
    month = this_month
    if form.is_bound:
        if form.is_valid():
            month = form.cleaned_data["month"] or this_month
        else:
            status = 400
    summary = evaluation_summary(user=request.user, month=month)
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    context = {
        "form": form,
        "summary": summary,
        "bands": BANDS,
        "month_value": f"{month:%Y-%m}",
        "previous_month": f"{previous:%Y-%m}",
        "next_month": f"{following:%Y-%m}" if following <= this_month else "",
    }
    return render(request, "complaints/evaluations/summary.html", context, status=status)
