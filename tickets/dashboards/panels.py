"""The tickets' dashboard pages and their panels: live operations (open tickets, deadlines due
and breached now) and SLA compliance (per kind, per department, the trend). Registered in
TicketsConfig.ready; the walk-in queue (visits) and complaints pages register their own."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import selectors_sla
from tickets.dashboards import selectors
from tickets.dashboards.filters import DashboardQuery
from tickets.dashboards.pages import Page, dashboard_page_register, dashboard_panel_register
from tickets.dashboards.tables import (
    Cell,
    Chart,
    Table,
    duration_text,
    percent_cell,
    ticket_list_linker,
    ticket_list_url,
)
from tickets.filters import NULL
from tickets.models import DeadlineKind, Ticket

LIVE = Page(
    slug="live",
    title=gettext_lazy("Live operations"),
    summary=gettext_lazy(
        "What needs attention now: open tickets, deadlines about to run out or breached, the walk-in queue."
    ),
    order=10,
    live=True,
)
SLA = Page(
    slug="sla",
    title=gettext_lazy("SLA compliance"),
    summary=gettext_lazy("For each deadline, the share met in time, the number breached and the time used."),
    order=20,
)


def _department_filter(query: DashboardQuery, department_id: int | None = None, *, unrouted: bool = False) -> dict:
    """The ticket-list filters naming a department row (or the view's department)."""
    if unrouted:
        return {"no_department": "true"}
    department_id = department_id if department_id is not None else query.department_id
    return {"department": department_id} if department_id is not None else {}


def _settled_department_filter(
    query: DashboardQuery, department_id: int | None = None, *, unrouted: bool = False
) -> dict:
    """The ticket-list filters naming the department the SLA figures count a deadline against
    (the one it settled under), for a department row or the view's department."""
    if unrouted:
        return {"settled_department": NULL}
    department_id = department_id if department_id is not None else query.department_id
    return {"settled_department": department_id} if department_id is not None else {}


# --- Live operations ----------------------------------------------------------------------------


def live_open_tickets(*, query: DashboardQuery, now: datetime) -> list[Table]:
    counts = selectors.open_tickets_by_department_and_status(scope=query.scope, department_id=query.department_id)
    named = selectors.departments_named(counts)
    statuses = selectors.OPEN_STATUSES
    labels = dict(Ticket.Status.choices)
    rows, chart_labels = [], []
    ordered = sorted(counts, key=lambda pk: (pk is None, named[pk].name if pk in named else ""))
    for pk in ordered:
        by_status = counts[pk]
        name = named[pk].name if pk in named else _("No department")
        where = _department_filter(query, pk, unrouted=pk is None)
        chart_labels.append(name)
        row = [Cell(name)]
        for status in statuses:
            number = by_status.get(status, 0)
            row.append(Cell(number, url=ticket_list_url(status=status, **where) if number else None))
        total = sum(by_status.values())
        row.append(Cell(total, url=ticket_list_url(status="unfinished", **where)))
        rows.append(row)
    chart = Chart(
        kind="bar",
        labels=chart_labels,
        datasets=[
            {"label": str(labels[status]), "data": [counts[pk].get(status, 0) for pk in ordered]} for status in statuses
        ],
        stacked=True,
    )
    return [
        Table(
            slug="open-tickets",
            title=_("Open tickets by status and department"),
            columns=[_("Department"), *[labels[s] for s in statuses], _("Total")],
            rows=rows,
            chart=chart,
            empty_text=_("No open tickets."),
        )
    ]


def live_deadlines(*, query: DashboardQuery, now: datetime) -> list[Table]:
    figures = selectors.deadlines_now(scope=query.scope, department_id=query.department_id, now=now)
    where = _department_filter(query)
    rows = []
    for kind, label in DeadlineKind.choices:
        if kind not in figures:
            continue
        due, breached = figures[kind]["due_hour"], figures[kind]["breached"]
        rows.append(
            [
                Cell(str(label)),
                Cell(due, url=ticket_list_url(deadline=kind, deadline_state="due_hour", **where) if due else None),
                Cell(
                    breached,
                    url=ticket_list_url(deadline=kind, deadline_state="breached", **where) if breached else None,
                ),
            ]
        )
    return [
        Table(
            slug="deadlines-now",
            title=_("Deadlines due within the hour and breached now"),
            columns=[_("Deadline"), _("Due within the next hour"), _("Breached now")],
            rows=rows,
            note=_("Running deadlines only; a breached deadline stays here until it is met or cancelled."),
            empty_text=_("Nothing due within the hour and nothing breached."),
        )
    ]


# --- SLA compliance -----------------------------------------------------------------------------


def _settled_filters(query: DashboardQuery, kind: str, **extra) -> dict:
    return {
        "deadline": kind,
        "settled_after": query.date_from.isoformat(),
        "settled_before": query.date_to.isoformat(),
        **extra,
    }


def _figure_cells(query: DashboardQuery, figure: selectors_sla.SlaFigure, where: dict, link=None) -> list[Cell]:
    kind, link = figure.kind, link or ticket_list_url
    return [
        Cell(figure.total, url=link(**_settled_filters(query, kind, deadline_state="settled"), **where)),
        Cell(figure.met_in_time, url=link(**_settled_filters(query, kind, deadline_state="met"), **where)),
        Cell(figure.breached, url=link(**_settled_filters(query, kind, deadline_state="missed"), **where)),
        percent_cell(figure.met_in_time, figure.total),
    ]


def sla_by_kind(*, query: DashboardQuery, now: datetime) -> list[Table]:
    figures = selectors_sla.sla_compliance(
        scope=query.scope, date_from=query.date_from, date_to=query.date_to, department_id=query.department_id
    )
    where = _settled_department_filter(query)
    rows = []
    for figure in figures:
        rows.append(
            [
                Cell(figure.kind_label),
                *_figure_cells(query, figure, where),
                Cell(_seconds(figure.median_used), duration_text(_seconds(figure.median_used))),
                Cell(_seconds(figure.p90_used), duration_text(_seconds(figure.p90_used))),
                Cell(figure.provisional, url=None),
            ]
        )
    chart = Chart(
        kind="bar",
        labels=[f.kind_label for f in figures],
        datasets=[
            {"label": _("Met in time (%)"), "data": [percent_cell(f.met_in_time, f.total).value for f in figures]}
        ],
        percent=True,
    )
    return [
        Table(
            slug="sla-kinds",
            title=_("Compliance per deadline"),
            columns=[
                _("Deadline"),
                _("Settled"),
                _("Met in time"),
                _("Breached"),
                _("Met in time (%)"),
                _("Median time used"),
                _("90th percentile"),
                _("Provisional"),
            ],
            rows=rows,
            chart=chart,
            note=str(_SLA_NOTE),
        )
    ]


def sla_by_department(*, query: DashboardQuery, now: datetime) -> list[Table]:
    figures = selectors_sla.sla_compliance(
        scope=query.scope,
        date_from=query.date_from,
        date_to=query.date_to,
        department_id=query.department_id,
        by_department=True,
        percentiles=False,  # the table shows counts only
    )
    named = selectors.departments_named(f.department_id for f in figures)
    rows = []
    for figure in sorted(
        figures,
        key=lambda f: (f.department_id is None, named[f.department_id].name if f.department_id in named else ""),
    ):
        name = named[figure.department_id].name if figure.department_id in named else _("No department")
        where = _settled_department_filter(query, figure.department_id, unrouted=figure.department_id is None)
        rows.append([Cell(name), Cell(figure.kind_label), *_figure_cells(query, figure, where)])
    return [
        Table(
            slug="sla-departments",
            title=_("Compliance per department"),
            columns=[
                _("Department"),
                _("Deadline"),
                _("Settled"),
                _("Met in time"),
                _("Breached"),
                _("Met in time (%)"),
            ],
            rows=rows,
        )
    ]


def sla_trend(*, query: DashboardQuery, now: datetime) -> list[Table]:
    figures = selectors_sla.sla_compliance(
        scope=query.scope,
        date_from=query.date_from,
        date_to=query.date_to,
        department_id=query.department_id,
        bucket=query.bucket,
        percentiles=False,  # the table and the chart show counts only
    )
    periods = sorted({f.period_start for f in figures})
    kinds = [kind for kind in DeadlineKind.values if any(f.kind == kind for f in figures)]
    by_key = {(f.kind, f.period_start): f for f in figures}
    where = _settled_department_filter(query)
    link = ticket_list_linker()
    rows = []
    for figure in figures:
        rows.append([Cell(figure.period_start), Cell(figure.kind_label), *_figure_cells(query, figure, where, link)])
    chart = Chart(
        kind="line",
        labels=[p.isoformat() for p in periods],
        datasets=[
            {
                "label": str(DeadlineKind(kind).label),
                "data": [
                    percent_cell(by_key[(kind, p)].met_in_time, by_key[(kind, p)].total).value
                    if (kind, p) in by_key
                    else None
                    for p in periods
                ],
            }
            for kind in kinds
        ],
        percent=True,
    )
    step = {"day": _("day"), "week": _("week (from Monday)"), "month": _("month")}[query.bucket]
    return [
        Table(
            slug="sla-trend",
            title=_("Met in time by %(step)s") % {"step": step},
            columns=[
                _("Period from"),
                _("Deadline"),
                _("Settled"),
                _("Met in time"),
                _("Breached"),
                _("Met in time (%)"),
            ],
            rows=sorted(rows, key=lambda row: (row[0].value, row[1].value)),
            chart=chart,
        )
    ]


def _seconds(value) -> int | None:
    return None if value is None else int(value.total_seconds())


_SLA_NOTE = gettext_lazy(
    "A deadline counts on the day it settled (met, or found breached). Time used excludes paused time and is "
    "working time for working-hour and working-day deadlines. Provisional: computed without an official holiday "
    "calendar for that year. A deadline counts against the department its ticket belonged to when it settled."
)


def register() -> None:
    dashboard_page_register(LIVE)
    dashboard_page_register(SLA)
    dashboard_panel_register("live", live_open_tickets, order=10)
    dashboard_panel_register("live", live_deadlines, order=20)
    dashboard_panel_register("sla", sla_by_kind, order=10)
    dashboard_panel_register("sla", sla_trend, order=20)
    dashboard_panel_register("sla", sla_by_department, order=30)
