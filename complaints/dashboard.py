"""The "Complaints and evaluations" dashboard page (issue 8): complaint rates per department by
month (frozen snapshots for closed months, live counts otherwise), the share of complaints upheld,
customer evaluation averages per staff member and per department, and the worst evaluations of
the period. Registered in ComplaintsConfig.ready; the selectors count, these builders only lay
the figures out as tables, charts and drill-down links (docs/dashboards-complaints.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.selectors_evaluations import (
    ScoreAverages,
    evaluation_averages_by_department,
    evaluation_averages_by_staff,
    evaluation_list_worst,
)
from complaints.selectors_stats import MonthlyRate, complaint_rates_monthly, rate, rate_text
from tickets.dashboards.filters import DashboardQuery
from tickets.dashboards.pages import Page, dashboard_page_register, dashboard_panel_register
from tickets.dashboards.tables import Cell, Chart, Table, ticket_list_url
from tickets.filters import NULL
from tickets.models import Department, Ticket
from tickets.sla import SHANGHAI

PAGE = Page(
    slug="complaints",
    title=gettext_lazy("Complaints and evaluations"),
    summary=gettext_lazy(
        "Complaint rates per department by month and the share upheld; customer evaluation averages per "
        "staff member and department, and the worst evaluations of the period."
    ),
    order=40,
    default_bucket="month",
    uses_bucket=False,
)
WORST_LIMIT = 10
COMMENT_CHARS = 120

_RATES_NOTE = gettext_lazy(
    "Every month the chosen days touch, whole (Asia/Shanghai months); months not begun yet are left out. "
    "A closed month shows the figures frozen when it closed (“Frozen”), the others are counted now "
    "(“Live”). Complaint rate: complaints received ÷ tickets handled (tickets of every kind except "
    "complaints, resolved in the month by the department); upheld share: complaints upheld ÷ complaints "
    "received, a complaint whose handling report is not written yet counting as not upheld; “—” when "
    "there is nothing to divide by. The links list the tickets as they are now, which for a frozen month "
    "may differ from the figure."
)
_EVALUATION_NOTE = gettext_lazy(
    "Customer evaluations given in the chosen days, for the staff member and the department the evaluation "
    "names (the ticket's handler and department when the customer evaluated). Each score is a percentage on "
    "the manual's scale (−50 to 200 in steps of 10; 100 is the standard); an average is the mean of the "
    "scores given, with one decimal."
)
_WORST_NOTE = gettext_lazy(
    "The %(limit)s lowest evaluations of the chosen days: the lower of the two scores first (either score at "
    "or below the threshold opens a complaint), then the lower sum of both, then the newest first. The "
    "comment is the customer's, as recorded."
)


# --- Helpers ------------------------------------------------------------------------------------


def _month_days(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _scope_label(query: DashboardQuery) -> str:
    if query.department is not None:
        return query.department.name
    return _("All departments") if query.scope.sees_all else _("All my departments")


def _one_department_id(query: DashboardQuery) -> int | None:
    """The department a whole-scope figure belongs to when there is one: the chosen one, or a
    department head's only department."""
    if query.department is not None:
        return query.department.pk
    if query.scope.departments is not None and len(query.scope.departments) == 1:
        return next(iter(query.scope.departments))
    return None


def _complaint_filters(department: Department | None, *, whole: bool, first: date, last: date) -> dict:
    """The ticket list of the complaints accepted from `first` to `last` (a complaint's ticket is
    created when the complaint is accepted: Complaint.accepted_at = Ticket.created_at) for which
    `department` is responsible (None with `whole` False: not routed yet; `whole`: any)."""
    filters = {"kind": Ticket.Kind.COMPLAINT, "created_after": first.isoformat(), "created_before": last.isoformat()}
    if not whole:
        filters["complaint_department"] = department.pk if department is not None else NULL
    return filters


def _handled_filters(department: Department | None, *, whole: bool, first: date, last: date) -> dict | None:
    """The ticket list of the tickets handled (every kind but complaints, resolved in the days)
    by `department` (None: without a department); None when the list cannot name the department
    (an inactive one)."""
    filters = {
        "exclude_kind": Ticket.Kind.COMPLAINT,
        "resolved_after": first.isoformat(),
        "resolved_before": last.isoformat(),
    }
    if whole:
        return filters
    if department is None:
        return {**filters, "no_department": "true"}
    if not department.is_active:
        return None
    return {**filters, "department": department.pk}


def _rate_cells(
    received: int, upheld: int, handled: int, *, complaints: dict | None, handled_filters: dict | None
) -> list[Cell]:
    """received, upheld, handled (each, unless 0, linked to its tickets when there are filters
    for them), the complaint rate and the upheld share."""
    complaint_rate, upheld_share = rate(received, handled), rate(upheld, received)

    def linked(number: int, filters: dict | None) -> Cell:
        return Cell(number, url=ticket_list_url(**filters) if number and filters is not None else None)

    return [
        linked(received, complaints),
        linked(upheld, {**complaints, "complaint_upheld": "yes"} if complaints is not None else None),
        linked(handled, handled_filters),
        Cell(complaint_rate, rate_text(complaint_rate)),
        Cell(upheld_share, rate_text(upheld_share)),
    ]


def _department_cells(
    received: int, upheld: int, handled: int, *, department: Department | None, first: date, last: date
) -> list[Cell]:
    return _rate_cells(
        received,
        upheld,
        handled,
        complaints=_complaint_filters(department, whole=False, first=first, last=last),
        handled_filters=_handled_filters(department, whole=False, first=first, last=last),
    )


def _department_name(department: Department | None) -> str:
    return department.name if department is not None else _("Unrouted")


def _score_text(value) -> str:
    """A score or an average as a percentage, with a true minus sign as the evaluation forms
    show it; "—" for none."""
    return "—" if value is None else f"{value}%".replace("-", "−")


# --- Complaint rates ------------------------------------------------------------------------------


def complaint_rates(*, query: DashboardQuery, now: datetime) -> list[Table]:
    """Two tables from one read (complaint_rates_monthly, at most five queries): the rates per
    department and month with a line chart of the complaint rate, and the period per department
    with the upheld share."""
    rates = complaint_rates_monthly(
        scope=query.scope,
        first=(query.date_from.year, query.date_from.month),
        last=(query.date_to.year, query.date_to.month),
        department_id=query.department_id,
        now=now,
    )
    return [_monthly_table(rates), _period_table(query, rates)]


def _monthly_table(rates: list[MonthlyRate]) -> Table:
    rows = []
    for figure in rates:
        first, last = _month_days(figure.year, figure.month)
        rows.append(
            [
                Cell(figure.label),
                Cell(_department_name(figure.department)),
                *_department_cells(
                    figure.received, figure.upheld, figure.handled, department=figure.department, first=first, last=last
                ),
                Cell(_("Frozen") if figure.is_frozen else _("Live")),
            ]
        )
    labels = list(dict.fromkeys(figure.label for figure in rates))
    departments = list(dict.fromkeys(figure.department for figure in rates if figure.department is not None))
    by_key = {(figure.label, figure.department): figure for figure in rates}
    chart = Chart(
        kind="line",
        labels=labels,
        datasets=[
            {"label": department.name, "data": [by_key[(label, department)].received_rate for label in labels]}
            for department in departments
        ],
    )
    return Table(
        slug="complaint-rates",
        wide=True,
        title=_("Complaint rate per department by month (%)"),
        columns=[
            _("Month"),
            _("Department"),
            _("Complaints received"),
            _("Complaints upheld"),
            _("Tickets handled"),
            _("Complaint rate (%)"),
            _("Upheld share (%)"),
            _("Figures"),
        ],
        rows=rows,
        note=str(_RATES_NOTE),
        chart=chart if departments else None,
        empty_text=_("No month of these days has begun yet."),
    )


def _period_table(query: DashboardQuery, rates: list[MonthlyRate]) -> Table:
    """The months added up per department, and their total."""
    rows = []
    totals: dict[Department | None, list[int]] = {}
    for figure in rates:
        values = totals.setdefault(figure.department, [0, 0, 0])
        values[0] += figure.received
        values[1] += figure.upheld
        values[2] += figure.handled
    if rates:
        first = _month_days(rates[0].year, rates[0].month)[0]
        last = _month_days(rates[-1].year, rates[-1].month)[1]
        for department, (received, upheld, handled) in totals.items():
            rows.append(
                [
                    Cell(_department_name(department)),
                    *_department_cells(received, upheld, handled, department=department, first=first, last=last),
                ]
            )
        received, upheld, handled = (sum(values[i] for values in totals.values()) for i in range(3))
        only = _one_department_id(query)
        department = next((d for d in totals if d is not None and d.pk == only), None)
        if department is not None:
            linked = _department_cells(received, upheld, handled, department=department, first=first, last=last)
        elif query.scope.sees_all and only is None:
            linked = _rate_cells(
                received,
                upheld,
                handled,
                complaints=_complaint_filters(None, whole=True, first=first, last=last),
                handled_filters=_handled_filters(None, whole=True, first=first, last=last),
            )
        else:
            # Several departments of a department head: the ticket list has no "any of these
            # departments" filter, so this total is not linked (each row above is).
            linked = _rate_cells(received, upheld, handled, complaints=None, handled_filters=None)
        rows.append([Cell(_("Total: %(scope)s") % {"scope": _scope_label(query)}), *linked])
    departments = [department for department in totals if department is not None]
    chart = Chart(
        kind="bar",
        labels=[department.name for department in departments],
        datasets=[{"label": _("Upheld share (%)"), "data": [rate(totals[d][1], totals[d][0]) for d in departments]}],
        percent=True,
    )
    months = ""
    if rates:
        months = rates[0].label if rates[0].label == rates[-1].label else f"{rates[0].label} – {rates[-1].label}"
    return Table(
        slug="complaint-upheld",
        title=_("Complaints upheld per department, %(months)s") % {"months": months}
        if months
        else _("Complaints upheld per department"),
        columns=[
            _("Department"),
            _("Complaints received"),
            _("Complaints upheld"),
            _("Tickets handled"),
            _("Complaint rate (%)"),
            _("Upheld share (%)"),
        ],
        rows=rows,
        chart=chart if departments else None,
        empty_text=_("No month of these days has begun yet."),
    )


# --- Evaluations ----------------------------------------------------------------------------------


def _evaluation_filters(query: DashboardQuery, **extra) -> dict:
    return {"evaluated_after": query.date_from.isoformat(), "evaluated_before": query.date_to.isoformat(), **extra}


def _id_or_null(pk: int | None) -> int | str:
    return pk if pk is not None else NULL


def _average_cells(figure: ScoreAverages, url: str | None) -> list[Cell]:
    return [
        Cell(figure.count, url=url if figure.count else None),
        Cell(figure.technical_avg, _score_text(figure.technical_avg)),
        Cell(figure.attitude_avg, _score_text(figure.attitude_avg)),
    ]


def _averages_chart(labels: list[str], figures: list[ScoreAverages]) -> Chart:
    return Chart(
        kind="bar",
        labels=labels,
        datasets=[
            {"label": _("Technical level, average (%)"), "data": [f.technical_avg for f in figures]},
            {"label": _("Service attitude, average (%)"), "data": [f.attitude_avg for f in figures]},
        ],
    )


def evaluation_averages(*, query: DashboardQuery, now: datetime) -> list[Table]:
    """The average scores per staff member (one query) and per department with the total (two)."""
    period = {"scope": query.scope, "date_from": query.date_from, "date_to": query.date_to}
    staff = evaluation_averages_by_staff(**period, department_id=query.department_id)
    departments = evaluation_averages_by_department(**period, department_id=query.department_id)
    columns = [_("Evaluations"), _("Technical level, average (%)"), _("Service attitude, average (%)")]

    staff_rows = []
    for figure in staff:
        url = ticket_list_url(
            **_evaluation_filters(
                query,
                evaluated_staff=_id_or_null(figure.engineer_id),
                evaluated_department=_id_or_null(figure.department_id),
            )
        )
        staff_rows.append(
            [
                Cell(figure.name or _("Nobody named")),
                Cell(figure.staff_no or None),
                Cell(figure.department_name or _("No department")),
                *_average_cells(figure, url),
            ]
        )
    staff_labels = [
        f"{figure.name or _('Nobody named')} ({figure.department_name or _('No department')})" for figure in staff
    ]

    department_rows = []
    for figure in departments:
        department_id = figure.department.pk if figure.department is not None else None
        url = ticket_list_url(**_evaluation_filters(query, evaluated_department=_id_or_null(department_id)))
        name = figure.department.name if figure.department is not None else _("No department")
        department_rows.append([Cell(name), *_average_cells(figure, url)])
    total = ScoreAverages(
        count=sum(f.count for f in departments),
        technical_sum=sum(f.technical_sum for f in departments),
        attitude_sum=sum(f.attitude_sum for f in departments),
    )
    only = _one_department_id(query)
    if only is not None:
        total_url = ticket_list_url(**_evaluation_filters(query, evaluated_department=only))
    elif query.scope.sees_all:
        total_url = ticket_list_url(**_evaluation_filters(query))
    else:
        total_url = None  # several departments: the ticket list cannot name them together
    department_rows.append(
        [Cell(_("Total: %(scope)s") % {"scope": _scope_label(query)}), *_average_cells(total, total_url)]
    )
    evaluated = [f for f in departments if f.count]

    return [
        Table(
            slug="evaluations-staff",
            title=_("Evaluation averages per staff member"),
            columns=[_("Staff member"), _("Staff no."), _("Department"), *columns],
            rows=staff_rows,
            note=str(_EVALUATION_NOTE),
            chart=_averages_chart(staff_labels, staff) if staff else None,
            empty_text=_("No customer evaluation in these days."),
        ),
        Table(
            slug="evaluations-departments",
            title=_("Evaluation averages per department"),
            columns=[_("Department"), *columns],
            rows=department_rows,
            chart=_averages_chart(
                [f.department.name if f.department is not None else _("No department") for f in evaluated], evaluated
            )
            if evaluated
            else None,
        ),
    ]


def evaluations_worst(*, query: DashboardQuery, now: datetime) -> list[Table]:
    """The worst evaluations of the period (one query)."""
    evaluations = evaluation_list_worst(
        scope=query.scope,
        date_from=query.date_from,
        date_to=query.date_to,
        department_id=query.department_id,
        limit=WORST_LIMIT,
    )
    rows = []
    for evaluation in evaluations:
        ticket = evaluation.ticket
        engineer = evaluation.engineer
        staff = (engineer.get_full_name() or engineer.get_username()) if engineer is not None else _("Nobody named")
        complaint = evaluation.complaint.ticket if evaluation.complaint_id else None
        comment = evaluation.comment
        rows.append(
            [
                Cell(ticket.reference, url=reverse("desk:ticket_detail", args=[ticket.reference])),
                Cell(evaluation.evaluated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")),
                Cell(staff),
                Cell(evaluation.department.name if evaluation.department is not None else _("No department")),
                Cell(evaluation.technical_score, _score_text(evaluation.technical_score)),
                Cell(evaluation.attitude_score, _score_text(evaluation.attitude_score)),
                Cell(
                    complaint.reference if complaint is not None else None,
                    url=reverse("desk:ticket_detail", args=[complaint.reference]) if complaint is not None else None,
                ),
                Cell(comment or None, Truncator(comment).chars(COMMENT_CHARS) if comment else "—"),
            ]
        )
    return [
        Table(
            slug="evaluations-worst",
            wide=True,
            title=_("Worst evaluations"),
            columns=[
                _("Ticket"),
                _("Evaluated at"),
                _("Staff member"),
                _("Department"),
                _("Technical level (%)"),
                _("Service attitude (%)"),
                _("Complaint opened"),
                _("Customer's comment"),
            ],
            rows=rows,
            note=_WORST_NOTE % {"limit": WORST_LIMIT},
            empty_text=_("No customer evaluation in these days."),
        )
    ]


def register() -> None:
    dashboard_page_register(PAGE)
    dashboard_panel_register(PAGE.slug, complaint_rates, order=10)
    dashboard_panel_register(PAGE.slug, evaluation_averages, order=20)
    dashboard_panel_register(PAGE.slug, evaluations_worst, order=30)
