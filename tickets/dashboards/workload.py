"""The workload dashboard page: open tickets and breaches per staff member, the first-contact
resolution rate per department, and the tickets handed off per problem type (T5). Registered in
TicketsConfig.ready; the reads are in selectors_workload, the definitions in each table's note
and in docs/dashboards-workload.md."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.dashboards import selectors_workload
from tickets.dashboards.filters import DashboardQuery
from tickets.dashboards.pages import Page, dashboard_page_register, dashboard_panel_register
from tickets.dashboards.tables import Cell, Chart, Table, percent_cell, ticket_list_url
from tickets.filters import NULL
from tickets.models import ProblemType

WORKLOAD = Page(
    slug="workload",
    title=gettext_lazy("Workload"),
    summary=gettext_lazy(
        "Who carries the open tickets and the breached deadlines, how much is solved without a handoff, "
        "and what is handed off by problem type."
    ),
    order=30,
)


def department_filter(query: DashboardQuery, department_id: int | None = None, *, unrouted: bool = False) -> dict:
    """The ticket-list filters naming a department row, or else the view's department: the one
    chosen, or the only department of a department head's scope, so that the list behind a
    figure holds the tickets counted (the list shows only tickets its reader may see anyway)."""
    if unrouted:
        return {"no_department": "true"}
    if department_id is None:
        department_id = query.department_id
    if department_id is None and not query.scope.sees_all and len(query.scope.departments) == 1:
        (department_id,) = query.scope.departments
    return {"department": department_id} if department_id is not None else {}


def staff_label(user) -> str:
    """A staff member as the ticket list's assignee filter names them: 小王 (1001)."""
    if user is None:
        return _("Unknown staff member")
    name = user.get_full_name() or user.get_username()
    profile = getattr(user, "staff", None)
    return f"{name} ({profile.staff_no})" if profile is not None else name


# --- Open tickets and breaches per staff member ---------------------------------------------------


def workload_staff(*, query: DashboardQuery, now: datetime) -> list[Table]:
    loads = selectors_workload.staff_load(
        scope=query.scope,
        department_id=query.department_id,
        date_from=query.date_from,
        date_to=query.date_to,
        now=now,
    )
    users = selectors_workload.staff_named(loads)
    where = department_filter(query)
    settled = {"settled_after": query.date_from.isoformat(), "settled_before": query.date_to.isoformat()}
    ordered = sorted(
        loads.values(),
        key=lambda load: (
            -load.open,
            -(load.breached_in_period + load.breached_now),
            staff_label(users.get(load.user_id)),
        ),
    )
    rows, labels = [], []
    for load in ordered:
        user = users.get(load.user_id)
        profile = getattr(user, "staff", None)
        # The ticket list's assignee filter offers active staff only: no link it would refuse.
        mine = {"assignee": load.user_id, **where} if user is not None and user.is_active and profile else None
        name = staff_label(user)
        labels.append(name)
        rows.append(
            [
                Cell(name),
                Cell(profile.department.name if profile is not None and profile.department else None),
                Cell(load.open, url=ticket_list_url(**mine, status="unfinished") if mine else None),
                Cell(
                    load.breached_in_period,
                    url=ticket_list_url(**mine, deadline_state="missed", **settled) if mine else None,
                ),
                Cell(load.breached_now, url=ticket_list_url(**mine, deadline_state="breached") if mine else None),
            ]
        )
    chart = Chart(
        kind="bar",
        labels=labels,
        datasets=[
            {"label": _("Open tickets"), "data": [load.open for load in ordered]},
            {"label": _("Breached in the period"), "data": [load.breached_in_period for load in ordered]},
            {"label": _("Breached now"), "data": [load.breached_now for load in ordered]},
        ],
    )
    return [
        Table(
            slug="workload-staff",
            title=_("Open tickets and breached deadlines per staff member"),
            columns=[
                _("Staff member"),
                _("Their department"),
                _("Open tickets"),
                _("Breached in the period"),
                _("Breached now"),
            ],
            rows=rows,
            chart=chart,
            note=_(
                "Per assignee: the tickets they hold now. Open tickets: not yet resolved. Breached in the period: "
                "deadlines of their tickets that settled in the period and were not met in time (as on the SLA "
                "page). Breached now: running deadlines of their tickets past due. Both follow the ticket's "
                "current assignee, so a deadline missed before a handoff counts for the colleague who holds the "
                "ticket now, and one deadline can count in both columns; the ticket list behind a figure shows "
                "each ticket once. Tickets with no assignee are not counted."
            ),
            empty_text=_("Nobody holds an open ticket or a breached deadline."),
        )
    ]


# --- First-contact resolution ---------------------------------------------------------------------


def workload_first_contact(*, query: DashboardQuery, now: datetime) -> list[Table]:
    figures = selectors_workload.first_contact_by_department(
        scope=query.scope, department_id=query.department_id, date_from=query.date_from, date_to=query.date_to
    )
    table = Table(
        slug="first-contact",
        title=_("First-contact resolution"),
        columns=[
            _("Department"),
            _("Resolved"),
            _("Without a handoff"),
            _("After a handoff"),
            _("First-contact rate (%)"),
        ],
        note=_(
            "Of the tickets resolved in the period (their latest resolution), the share never handed off: "
            "solved by the desk that took them, at once or after a customer test. The department is the "
            "ticket's department now, so a ticket handed off counts for the department it went to."
        ),
        empty_text=_("No tickets were resolved in this period."),
    )
    if not any(figure.resolved for figure in figures.values()):
        return [table]
    departments = selectors_workload.departments_listed(
        scope=query.scope, department_id=query.department_id, with_ids=figures
    )
    resolved = {
        "resolved_after": query.date_from.isoformat(),
        "resolved_before": query.date_to.isoformat(),
    }

    def cells(figure: selectors_workload.FirstContact, where: dict) -> list[Cell]:
        return [
            Cell(figure.resolved, url=ticket_list_url(**resolved, **where)),
            Cell(figure.first_contact, url=ticket_list_url(**resolved, first_contact="yes", **where)),
            Cell(figure.handed_off, url=ticket_list_url(**resolved, first_contact="no", **where)),
            percent_cell(figure.first_contact, figure.resolved),
        ]

    rows, labels, rates = [], [], []
    listed = [(d.name, d.pk, figures.get(d.pk, selectors_workload.FirstContact(d.pk))) for d in departments]
    if None in figures:
        listed.append((_("No department"), None, figures[None]))
    for name, pk, figure in listed:
        rows.append([Cell(name), *cells(figure, department_filter(query, pk, unrouted=pk is None))])
        labels.append(name)
        rates.append(percent_cell(figure.first_contact, figure.resolved).value)
    overall = selectors_workload.FirstContact(
        None,
        resolved=sum(f.resolved for f in figures.values()),
        first_contact=sum(f.first_contact for f in figures.values()),
    )
    rows.append([Cell(_("Overall")), *cells(overall, department_filter(query))])
    labels.append(_("Overall"))
    rates.append(percent_cell(overall.first_contact, overall.resolved).value)
    table.rows = rows
    table.chart = Chart(
        kind="bar", labels=labels, datasets=[{"label": _("First-contact rate (%)"), "data": rates}], percent=True
    )
    return [table]


# --- Handoffs per problem type (T5) ---------------------------------------------------------------


def workload_handoffs(*, query: DashboardQuery, now: datetime) -> list[Table]:
    figures = selectors_workload.handoffs_by_problem_type(
        scope=query.scope, department_id=query.department_id, date_from=query.date_from, date_to=query.date_to
    )
    table = Table(
        slug="handoffs-problem-type",
        title=_("Tickets handed off per problem type"),
        columns=[_("Problem type"), _("Handed off"), _("Still unresolved"), _("Share of handoffs (%)")],
        note=_(
            "Tickets handed off for the first time in the period, by the problem type recorded on the ticket "
            "(T5: sales and business, technical quality, service quality, other). Still unresolved: neither "
            "resolved nor closed now. The department is the ticket's department now, where it was routed."
        ),
        empty_text=_("No tickets were handed off in this period."),
    )
    total = sum(figure.handed_off for figure in figures.values())
    if not total:
        return [table]
    where = department_filter(query)
    handed = {"handed_off_after": query.date_from.isoformat(), "handed_off_before": query.date_to.isoformat()}
    listed = [(str(label), value) for value, label in ProblemType.choices]
    if "" in figures:
        listed.append((_("No problem type given"), NULL))
    rows = []
    for name, value in listed:
        figure = figures.get("" if value == NULL else value, selectors_workload.Handoffs(value))
        rows.append(
            [
                Cell(name),
                Cell(figure.handed_off, url=ticket_list_url(problem_type=value, **handed, **where)),
                Cell(
                    figure.unresolved,
                    url=ticket_list_url(problem_type=value, status="unfinished", **handed, **where),
                ),
                percent_cell(figure.handed_off, total),
            ]
        )
    chart = Chart(
        kind="bar",
        labels=[row[0].text for row in rows],
        datasets=[
            {"label": _("Handed off"), "data": [row[1].value for row in rows]},
            {"label": _("Still unresolved"), "data": [row[2].value for row in rows]},
        ],
    )
    unresolved = sum(figure.unresolved for figure in figures.values())
    rows.append(
        [
            Cell(_("All problem types")),
            Cell(total, url=ticket_list_url(**handed, **where)),
            Cell(unresolved, url=ticket_list_url(status="unfinished", **handed, **where)),
            percent_cell(total, total),
        ]
    )
    table.rows, table.chart = rows, chart
    return [table]


def register() -> None:
    dashboard_page_register(WORKLOAD)
    dashboard_panel_register("workload", workload_staff, order=10)
    dashboard_panel_register("workload", workload_first_contact, order=20)
    dashboard_panel_register("workload", workload_handoffs, order=30)
