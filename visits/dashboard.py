"""The walk-in panels of the live operations page (issue 8), registered in VisitsConfig.ready:
the queue (per line, by hour, counter staff) and the escalations waiting for an
acknowledgement. The figures come from visits.selectors_dashboard; these builders only lay them
out and link each to the tickets behind it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.dashboards.filters import DashboardQuery
from tickets.dashboards.pages import dashboard_panel_register
from tickets.dashboards.tables import Cell, Chart, Table, duration_text, ticket_list_url
from tickets.models import StaffProfile
from tickets.sla import SHANGHAI
from visits import selectors_dashboard as selectors
from visits.models import Line
from visits.services import LADDER_ROLES, queue_date_of

MIN_RATE_HOURS = Decimal(1)


def _visits_url(query: DashboardQuery, now: datetime, visit: str, line: str = "") -> str:
    """Today's visit tickets in this state (and line, department): the drill-down of a figure."""
    today = queue_date_of(now).isoformat()
    return ticket_list_url(
        kind="visit",
        created_after=today,
        created_before=today,
        visit=visit,
        visit_line=line,
        department=query.department_id,
    )


def _count(number: int, url: str) -> Cell:
    return Cell(number, url=url if number else None)


def _duration(value: timedelta | None, url: str | None = None) -> Cell:
    seconds = None if value is None else int(value.total_seconds())
    return Cell(seconds, duration_text(seconds), url if seconds is not None else None)


def served_per_hour(served: int, first_check_in: datetime | None, now: datetime) -> Decimal | None:
    """Visitors served ÷ hours since the day's first check-in (at least one hour, so the first
    minutes of the day do not show a runaway rate); None before anyone came."""
    if first_check_in is None:
        return None
    hours = Decimal(max((now - first_check_in).total_seconds(), 0)) / Decimal(3600)
    return (Decimal(served) / max(hours, MIN_RATE_HOURS)).quantize(Decimal("0.1"))


def _line_label(line: str) -> str:
    return f"{line} · {Line(line).label}" if line else _("All lines")


def _queue_row(query: DashboardQuery, now: datetime, figures: selectors.LineFigures, first: datetime | None):
    line = figures.line

    def url(state: str) -> str:
        return _visits_url(query, now, state, line)

    rate = served_per_hour(figures.served, first, now)
    return [
        Cell(_line_label(line)),
        _count(figures.waiting, url("waiting")),
        _duration(figures.longest_wait(now), url("waiting")),
        _count(figures.with_staff, url("with_staff")),
        _count(figures.called, url("called")),
        _duration(figures.average_wait, url("called")),
        _count(figures.served, url("served")),
        _count(figures.left, url("left")),
        Cell(rate, "—" if rate is None else f"{rate}", url("served") if figures.served else None),
    ]


def _queue_table(query: DashboardQuery, now: datetime) -> Table:
    by_line = selectors.queue_by_line(scope=query.scope, department_id=query.department_id, now=now)
    total = selectors.LineFigures()
    for figures in by_line.values():
        total.add(figures)
    first = total.first_check_in
    rows = [_queue_row(query, now, by_line[line], first) for line in Line.values]
    rows.append(_queue_row(query, now, total, first))
    return Table(
        slug="walkin-queue",
        wide=True,
        title=_("Walk-in queue today"),
        columns=[
            _("Line"),
            _("Waiting now"),
            _("Longest current wait"),
            _("With staff now"),
            _("Called today"),
            _("Average wait (check-in to call)"),
            _("Served today"),
            _("Left before being served"),
            _("Served per hour"),
        ],
        rows=rows,
        note=str(_QUEUE_NOTE),
    )


def _hours_table(query: DashboardQuery, now: datetime) -> Table:
    hours = selectors.queue_by_hour(scope=query.scope, department_id=query.department_id, now=now)
    rows, labels = [], []
    for figures in hours:
        start = figures.hour.astimezone(SHANGHAI)
        label = f"{start:%H:%M}–{start + timedelta(hours=1):%H:%M}"
        labels.append(f"{start:%H}:00")
        rows.append([Cell(label), Cell(figures.checked_in), Cell(figures.served), _duration(figures.average_wait)])
    chart = Chart(
        kind="bar",
        labels=labels,
        datasets=[
            {"label": _("Checked in"), "data": [f.checked_in for f in hours]},
            {"label": _("Served"), "data": [f.served for f in hours]},
        ],
    )
    return Table(
        slug="walkin-hours",
        title=_("Walk-ins by hour today"),
        columns=[_("Hour"), _("Checked in"), _("Served"), _("Average wait of those checked in")],
        rows=rows,
        chart=chart,
        note=str(_HOURS_NOTE),
        empty_text=_("Nobody has checked in today."),
    )


def _people(entries: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({counter})" if counter else name for name, counter in entries)


def _staff_table(query: DashboardQuery, now: datetime) -> Table:
    staff = selectors.counter_staff(scope=query.scope, department_id=query.department_id, now=now)
    rows = [
        [Cell(str(label)), Cell(len(entries)), Cell(_people(entries) or "—")]
        for label, entries in (
            (_STAFF_AVAILABLE, staff.available),
            (_STAFF_WITH_VISITOR, staff.with_visitor),
            (_STAFF_MARKED_BUSY, staff.marked_busy),
        )
    ]
    return Table(
        slug="walkin-staff",
        title=_("Counter staff now"),
        columns=[_("State"), _("Staff"), _("Who (counter)")],
        rows=rows,
        note=str(_STAFF_NOTE),
    )


def walkin_queue(*, query: DashboardQuery, now: datetime) -> list[Table]:
    """The walk-in queue panel: today per line, today by hour, the counter staff. Four queries."""
    return [_queue_table(query, now), _hours_table(query, now), _staff_table(query, now)]


# --- Unacknowledged escalations ----------------------------------------------------------------


def _what(row: selectors.Escalation) -> str:
    if row.kind == "host":
        return _("Person visited to acknowledge the visitor")
    role = LADDER_ROLES.get(row.level)
    text = _("Call-in, level %(level)s (%(role)s)") % {
        "level": row.level,
        "role": StaffProfile.Role(role).label if role else "—",
    }
    if row.source == "customer":
        text = _("%(call_in)s, at the customer's request (服务上移)") % {"call_in": text}
    return text


def _local(moment: datetime) -> datetime:
    """A Shanghai wall-clock time without its zone (spreadsheets take no time zones)."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)


def _who(row: selectors.Escalation) -> str:
    who = ", ".join(row.called) or _("nobody (no one has that role)")
    if row.fallback_at is not None:
        fallback = ", ".join(row.fallback) or "—"
        who = _("%(who)s; not answered, so told at %(time)s: %(fallback)s") % {
            "who": who,
            "time": f"{_local(row.fallback_at):%H:%M}",
            "fallback": fallback,
        }
    return who


def walkin_escalations(*, query: DashboardQuery, now: datetime) -> list[Table]:
    """Call-ins and people visited still to acknowledge, oldest first. Two queries."""
    escalations = selectors.unacknowledged_escalations(scope=query.scope, department_id=query.department_id, now=now)
    rows = []
    for row in escalations:
        url = reverse("desk:ticket_detail", kwargs={"reference": row.reference})
        waited = max(now - row.since, timedelta(0))
        rows.append(
            [
                Cell(f"{row.queue_number} {row.visitor_name}", url=url),
                Cell(_what(row)),
                Cell(_who(row)),
                Cell(_local(row.since), f"{_local(row.since):%H:%M}"),
                _duration(waited),
            ]
        )
    return [
        Table(
            slug="walkin-escalations",
            title=_("Unacknowledged escalations"),
            columns=[_("Visitor"), _("Waiting for"), _("Who was told"), _("Since"), _("Waiting")],
            rows=rows,
            note=str(_ESCALATIONS_NOTE),
            empty_text=_("Every call-in and every person visited has acknowledged."),
        )
    ]


_STAFF_AVAILABLE = gettext_lazy("Available")
_STAFF_WITH_VISITOR = gettext_lazy("With a visitor")
_STAFF_MARKED_BUSY = gettext_lazy("Marked busy")
_QUEUE_NOTE = gettext_lazy(
    "Today's queue (visitors checked in today). Wait: from check-in to the first call. Served: finished with any "
    "outcome but “left”. Served per hour: served today ÷ hours since the day's first check-in (at least one hour). "
    "Exports give durations in seconds."
)
_HOURS_NOTE = gettext_lazy(
    "Clock hours from the first check-in to now: visitors checked in and served in each hour; more checked in than "
    "served means the queue is growing. The average wait is of the visitors of that hour who have been called."
)
_STAFF_NOTE = gettext_lazy(
    "By the staff member's own department. Available: marked available and not with a visitor (whom a wait alert "
    "can name). With a visitor: has called or is serving a visitor. Marked busy: said busy today, no visitor."
)
_ESCALATIONS_NOTE = gettext_lazy(
    "Visitors still here whose call-in (escalation ladder) or person visited has not acknowledged. A call-in is "
    "acknowledged by someone of the level called; “Question is clear” stops the clock but not a call-in already "
    "made."
)


def register() -> None:
    dashboard_panel_register("live", walkin_queue, order=30)
    dashboard_panel_register("live", walkin_escalations, order=40)
