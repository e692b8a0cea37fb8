"""The call-reasons dashboard page (T4): the tickets accepted by channel over time, and by call
reason and channel. Registered in TicketsConfig.ready; the reads are in selectors_workload, the
definitions in each table's note and in docs/dashboards-workload.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.dashboards import selectors_workload
from tickets.dashboards.filters import DashboardQuery
from tickets.dashboards.pages import Page, dashboard_page_register, dashboard_panel_register
from tickets.dashboards.tables import Cell, Chart, Table, ticket_list_url
from tickets.dashboards.workload import department_filter
from tickets.models import Ticket

REASONS = Page(
    slug="reasons",
    title=gettext_lazy("Call reasons"),
    summary=gettext_lazy("Why customers contact the service centre, and through which channels, over time."),
    order=50,
)


def _bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: date, bucket: str) -> date:
    if bucket == "week":
        return start + timedelta(days=7)
    if bucket == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def periods(query: DashboardQuery) -> Iterator[tuple[date, date, date]]:
    """Each day, week (from Monday) or month touching the range: (its first day, and its first
    and last day within the range)."""
    start = _bucket_start(query.date_from, query.bucket)
    while start <= query.date_to:
        following = _next_bucket(start, query.bucket)
        yield start, max(start, query.date_from), min(following - timedelta(days=1), query.date_to)
        start = following


def _channels(keys) -> list[str]:
    """The channels with tickets, in their usual order."""
    present = {channel for _key, channel in keys}
    return [channel for channel in Ticket.Channel.values if channel in present]


def _created(first: date, last: date) -> dict:
    return {"created_after": first.isoformat(), "created_before": last.isoformat()}


# --- By channel over time -------------------------------------------------------------------------


def reasons_channel_trend(*, query: DashboardQuery, now: datetime) -> list[Table]:
    counts = selectors_workload.created_by_period_and_channel(
        scope=query.scope,
        department_id=query.department_id,
        date_from=query.date_from,
        date_to=query.date_to,
        bucket=query.bucket,
    )
    channels = _channels(counts)
    labels = dict(Ticket.Channel.choices)
    step = {"day": _("day"), "week": _("week (from Monday)"), "month": _("month")}[query.bucket]
    table = Table(
        slug="reasons-channel-trend",
        title=_("Tickets accepted per channel, by %(step)s") % {"step": step},
        columns=[_("Period from"), *[str(labels[c]) for c in channels], _("Total")],
        note=_(
            "Tickets accepted (created) in each period, Asia/Shanghai days; the first and last period are cut "
            "to the chosen range. The department is the ticket's department now."
        ),
        empty_text=_("No tickets were accepted in this period."),
    )
    if not counts:
        return [table]
    where = department_filter(query)
    rows, chart_labels = [], []
    for start, first, last in periods(query):
        numbers = [counts.get((start, channel), 0) for channel in channels]
        rows.append(
            [
                Cell(first),
                *[
                    Cell(n, url=ticket_list_url(channel=channel, **_created(first, last), **where))
                    for channel, n in zip(channels, numbers, strict=True)
                ],
                Cell(sum(numbers), url=ticket_list_url(**_created(first, last), **where)),
            ]
        )
        chart_labels.append(first.isoformat())
    table.rows = rows
    table.chart = Chart(
        kind="bar",
        labels=chart_labels,
        datasets=[
            {"label": str(labels[channel]), "data": [row[1 + i].value for row in rows]}
            for i, channel in enumerate(channels)
        ],
        stacked=True,
    )
    return [table]


# --- By call reason and channel -------------------------------------------------------------------


def reasons_category_channel(*, query: DashboardQuery, now: datetime) -> list[Table]:
    counts = selectors_workload.created_by_category_and_channel(
        scope=query.scope, department_id=query.department_id, date_from=query.date_from, date_to=query.date_to
    )
    channels = _channels(counts)
    labels = dict(Ticket.Channel.choices)
    table = Table(
        slug="reasons-category-channel",
        title=_("Tickets per call reason and channel"),
        columns=[_("Call reason"), *[str(labels[c]) for c in channels], _("Total")],
        note=_(
            "Tickets accepted in the period by the call reason recorded on them (T4) and their channel. A ticket "
            "recorded under a parent reason counts on the parent's row only. Reasons no longer in use are marked; "
            "the ticket list cannot filter by them. The department is the ticket's department now."
        ),
        empty_text=_("No tickets were accepted in this period."),
    )
    if not counts:
        return [table]
    paths = selectors_workload.category_paths()
    where = {**department_filter(query), **_created(query.date_from, query.date_to)}
    categories = sorted(
        {category for category, _channel in counts},
        key=lambda pk: (pk is None, paths[pk].sort_key if pk in paths else ()),
    )
    rows = []
    for pk in categories:
        path = paths.get(pk)
        if pk is None:
            name, reason = _("No call reason recorded"), {"no_category": "true"}
        elif path is not None and path.is_active:
            name, reason = path.label, {"category": pk}
        else:
            label = path.label if path is not None else str(pk)
            name, reason = _("%(reason)s (no longer in use)") % {"reason": label}, None
        numbers = [counts.get((pk, channel), 0) for channel in channels]

        def url(reason=reason, **filters) -> str | None:
            return ticket_list_url(**reason, **filters, **where) if reason is not None else None

        rows.append(
            [
                Cell(name),
                *[Cell(n, url=url(channel=channel)) for channel, n in zip(channels, numbers, strict=True)],
                Cell(sum(numbers), url=url()),
            ]
        )
    chart = Chart(
        kind="bar",
        labels=[row[0].text for row in rows],
        datasets=[
            {"label": str(labels[channel]), "data": [row[1 + i].value for row in rows]}
            for i, channel in enumerate(channels)
        ],
        stacked=True,
    )
    per_channel = [sum(counts.get((pk, channel), 0) for pk in categories) for channel in channels]
    rows.append(
        [
            Cell(_("All call reasons")),
            *[
                Cell(n, url=ticket_list_url(channel=channel, **where))
                for channel, n in zip(channels, per_channel, strict=True)
            ],
            Cell(sum(per_channel), url=ticket_list_url(**where)),
        ]
    )
    table.rows, table.chart = rows, chart
    return [table]


def register() -> None:
    dashboard_page_register(REASONS)
    dashboard_panel_register("reasons", reasons_channel_trend, order=10)
    dashboard_panel_register("reasons", reasons_category_channel, order=20)
