"""The complaint-rate statistics page with its CSV and XLSX exports (C3), and the suggestion
pages: counts by category and month, and one suggestion with its decision (C4). Thin: the
selectors count, the services write."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import permissions_stats as permissions
from complaints import selectors_stats as selectors
from complaints import stats as services
from complaints.forms_stats import RecomputeForm, StatsPeriodForm, SuggestionDecisionForm, SuggestionYearForm
from tickets.exceptions import NotPermitted, TicketError
from tickets.models import Ticket
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope, stats_scope_for
from tickets.views.panels import add_service_error, role_name, ticket_or_404

STATS_TEMPLATE = "complaints/stats/complaint_rates.html"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _forbidden(request: HttpRequest, template: str, message: str) -> HttpResponse:
    return render(request, template, {"forbidden": message}, status=403)


def _stats_forbidden(request: HttpRequest) -> HttpResponse:
    return _forbidden(
        request,
        STATS_TEMPLATE,
        _(
            "The complaint-rate statistics are for department heads, supervisors, office managers and "
            "administrators; your role is %(role)s."
        )
        % {"role": role_name(request.user)},
    )


def _period_kwargs(form: StatsPeriodForm) -> dict:
    data = form.cleaned_data
    if data["period"] == "month":
        return {"year": data["year"], "month": data["month"]}
    return {"year": data["year"], "quarter": data["quarter"]}


def _stats_context(request: HttpRequest, form: StatsPeriodForm, *, recompute_form: RecomputeForm | None = None):
    """The page's context; the table holds only the departments the viewer's scope allows (a
    department head: the departments they head or belong to, without the unrouted row)."""
    now = timezone.now()
    context = {
        "form": form,
        "definition": selectors.DENOMINATOR_DEFINITION,
        "may_recompute": permissions.user_may_recompute_complaint_month(request.user),
    }
    if form.is_valid():
        scope = stats_scope_for(request.user) or StatsScope(departments=frozenset())
        table = selectors.complaint_rate_table(**_period_kwargs(form), now=now, scope=scope)
        query = {"period": form.cleaned_data["period"], "year": table.year}
        query.update({"month": table.month} if table.month else {"quarter": table.quarter})
        context.update(
            table=table,
            csv_url=f"?{urlencode({**query, 'format': 'csv'})}",
            xlsx_url=f"?{urlencode({**query, 'format': 'xlsx'})}",
        )
        if context["may_recompute"] and table.closed_months:
            if recompute_form is None:
                first = table.closed_months[0]
                recompute_form = RecomputeForm(initial={"year": first.year, "month": first.month})
            recompute_form.fields["month"].choices = [(state.month, state.label) for state in table.closed_months]
            context["recompute_form"] = recompute_form
    return context


def _export_rows(table: selectors.RateTable, *, numeric: bool) -> list[list]:
    header = [
        _("Department"),
        _("Complaints received"),
        _("Complaints upheld"),
        _("Tickets handled"),
        _("Complaint rate (%)"),
        _("Upheld rate (%)"),
    ]

    def cell(value):
        if value is None:
            return "—"
        return value if numeric else str(value)

    rows = [header]
    for row in [*table.rows, table.total]:
        rows.append([row.name, row.received, row.upheld, row.handled, cell(row.received_rate), cell(row.upheld_rate)])
    return rows


def _figures_note(table: selectors.RateTable) -> str:
    if table.is_frozen:
        return _("Frozen when each month closed (%(months)s).") % {
            "months": ", ".join(
                f"{s.label} {s.closed.closed_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" for s in table.months
            )
        }
    return _("Includes live figures: months not closed yet are counted as of %(now)s.") % {
        "now": timezone.now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    }


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_response(table: selectors.RateTable) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_export_rows(table, numeric=False))
    # With a byte-order mark, so that Excel reads the Chinese names as UTF-8.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, f"complaint-rates-{table.period_slug}.csv")


def _xlsx_response(table: selectors.RateTable) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Complaint rates")[:31]
    sheet.append([_("Monthly / quarterly complaint-rate statistics")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Period"), table.period_label])
    sheet.append([_("Figures"), _figures_note(table)])
    sheet.append([_("Tickets handled (denominator)"), str(selectors.DENOMINATOR_DEFINITION)])
    sheet["B4"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells("B4:F4")
    sheet.row_dimensions[4].height = 90
    sheet.append([])
    header_row = sheet.max_row + 1
    for row in _export_rows(table, numeric=True):
        sheet.append(row)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=header_row + 1, min_col=5, max_col=6):
        for cell in row:
            if not isinstance(cell.value, str):
                cell.number_format = "0.0"
            cell.alignment = Alignment(horizontal="right")
    for letter, width in zip("ABCDEF", (28, 16, 16, 16, 18, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _attachment(
        HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE), f"complaint-rates-{table.period_slug}.xlsx"
    )


@require_GET
def complaint_stats(request: HttpRequest) -> HttpResponse:
    """月度/季度客户投诉率统计表: a month or a quarter, one row per department; ?format=csv|xlsx
    exports the same table."""
    if not permissions.user_may_view_complaint_stats(request.user):
        return _stats_forbidden(request)
    form = StatsPeriodForm.for_request(request.GET, now=timezone.now())
    context = _stats_context(request, form)
    if "table" not in context:
        return render(request, STATS_TEMPLATE, context, status=400)
    export = request.GET.get("format", "")
    if export == "csv":
        return _csv_response(context["table"])
    if export == "xlsx":
        return _xlsx_response(context["table"])
    if export:
        context["export_error"] = _("Unknown export format “%(format)s”: choose CSV or XLSX.") % {"format": export}
        return render(request, STATS_TEMPLATE, context, status=400)
    return render(request, STATS_TEMPLATE, context)


@require_POST
def complaint_stats_recompute(request: HttpRequest) -> HttpResponse:
    """An administrator recomputes a closed month, with a reason (recorded)."""
    if not permissions.user_may_recompute_complaint_month(request.user):
        return _forbidden(
            request,
            STATS_TEMPLATE,
            _("Only an administrator may recompute a closed month; your role is %(role)s.")
            % {"role": role_name(request.user)},
        )
    form = RecomputeForm(request.POST)
    # The choices are the closed months of the period shown; any month is accepted here and the
    # service says whether it is closed.
    form.fields["month"].choices = [(m, f"{m:02d}") for m in range(1, 13)]
    if form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        try:
            services.complaint_month_recompute(
                year=year, month=month, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except NotPermitted as error:
            return _forbidden(request, STATS_TEMPLATE, error.message)
        except TicketError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(year)s-%(month)02d recomputed; the old and new figures are in the log below.")
                % {"year": year, "month": month},
            )
            url = reverse("complaints:complaint_stats")
            return redirect(f"{url}?{urlencode({'period': 'month', 'year': year, 'month': month})}")
    period = StatsPeriodForm.for_request(
        {"period": "month", "year": request.POST.get("year"), "month": request.POST.get("month")}, now=timezone.now()
    )
    if not period.is_valid():
        period = StatsPeriodForm.for_request({}, now=timezone.now())
    form.focus_first_error()
    context = _stats_context(request, period, recompute_form=form)
    context["recompute_form"] = form
    return render(request, STATS_TEMPLATE, context, status=400)


# --- Suggestions (C4) --------------------------------------------------------------------------

COUNTS_TEMPLATE = "complaints/stats/suggestion_counts.html"
DETAIL_TEMPLATE = "complaints/stats/suggestion_detail.html"


@require_GET
def suggestion_counts(request: HttpRequest) -> HttpResponse:
    """Suggestions by category and month of a year: received, adopted, not adopted, undecided."""
    if not permissions.user_may_view_suggestion_counts(request.user):
        return _forbidden(
            request,
            COUNTS_TEMPLATE,
            _(
                "The suggestion counts are for department heads, supervisors, office managers and "
                "administrators; your role is %(role)s."
            )
            % {"role": role_name(request.user)},
        )
    year = timezone.now().astimezone(SHANGHAI).year
    form = SuggestionYearForm({"year": request.GET.get("year") or year})
    if not form.is_valid():
        return render(request, COUNTS_TEMPLATE, {"form": form}, status=400)
    context = {
        "form": form,
        "counts": selectors.suggestion_counts(year=form.cleaned_data["year"]),
        "undecided": selectors.suggestion_list_undecided(user=request.user),
    }
    return render(request, COUNTS_TEMPLATE, context)


@require_http_methods(["GET", "POST"])
def suggestion_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One suggestion: the customer's words as recorded, and the decision on it."""
    ticket = ticket_or_404(request, reference, fetch=selectors.suggestion_get)
    if ticket.kind != Ticket.Kind.SUGGESTION:
        raise Http404(_("Ticket %(ref)s is not a suggestion.") % {"ref": reference})
    may_decide = permissions.user_may_decide_suggestion(request.user)
    decision = getattr(ticket, "suggestion_decision", None)
    status = 200
    form = SuggestionDecisionForm()
    if request.method == "POST":
        if not may_decide:
            context = {
                "ticket": ticket,
                "decision": decision,
                "forbidden": _("Only a department head, a supervisor or a manager decides on a suggestion."),
            }
            return render(request, DETAIL_TEMPLATE, context, status=403)
        form = SuggestionDecisionForm(request.POST)
        if form.is_valid():
            try:
                services.suggestion_decide(
                    ticket=ticket,
                    actor=request.user,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    change=form.cleaned_data["change"],
                )
            except TicketError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Decision recorded on %(ref)s.") % {"ref": ticket.reference})
                return redirect("complaints:suggestion_detail", reference=ticket.reference)
        status = 400
        form.focus_first_error()
    context = {"ticket": ticket, "decision": decision, "form": form if may_decide else None}
    return render(request, DETAIL_TEMPLATE, context, status=status)
