"""SLA compliance figures: per deadline kind, and optionally per department and per day, week
or month. Computed in the database, never by loading deadlines into Python: at most four queries
whatever the period (which days are rolled up, their daily counts, the other days' deadlines
counted live, the percentiles).

What is counted (stated on the dashboard and in the API):
- A deadline counts in the period in which it *settled*: when it was met, or when the sweep
  found it breached, whichever came first (Deadline.settled_at, Asia/Shanghai dates). Running
  deadlines not yet due and deadlines cancelled before their due time do not count.
- Met in time: met, never breached, and within its window. Breached: everything else that
  counts (breached by the sweep, or met after its due time before the sweep noticed).
- Time used: the (working) time from start to met, paused time excluded, in the deadline's own
  unit (working time for working-hour and working-day deadlines, clock time otherwise); the
  median and the 90th percentile are nearest-rank over the deadlines met in the period or
  breached in it and met since. Deadlines breached and still open have no time used yet.
- Provisional: deadlines computed on a year without an official calendar yet.
- The department is the one responsible when the deadline settled: the ticket's department at
  that moment (Deadline.department, recorded with settled_at and never changed), not the one it
  may have moved to since. A handoff met by handing the ticket to a department counts against
  that department; one breached before anybody routed the ticket counts under "no department".

How (docs/performance.md): the counts of a closed day are read from SlaDailyCount, written by
tickets.services_sla_rollup for the days listed in SlaRolledDay; the other days (today, days not
rolled yet, days invalidated since) are counted from the deadlines themselves, with the same
definitions, so the figures are the same either way. The percentiles are not additive: they are
always ranked from the deadlines, on PostgreSQL with percentile_disc (nearest rank) from an index
that covers (kind, settled_at, department, used), elsewhere with window functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Q, QuerySet, Sum, Window
from django.db.models.functions import Ceil, RowNumber, TruncDay, TruncMonth, TruncWeek

from tickets.models import Deadline, DeadlineKind, SlaDailyCount, SlaRolledDay
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope

BUCKETS = ("day", "week", "month")
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
PERCENTILES = ((0.5, "median_used"), (0.9, "p90_used"))
_KIND_ORDER = {kind: index for index, kind in enumerate(DeadlineKind.values)}
_KIND_LABELS = dict(DeadlineKind.choices)

MET_IN_TIME = Q(breached_at__isnull=True, state=Deadline.State.MET, used__lte=F("window"))


@dataclass
class SlaFigure:
    kind: str
    department_id: int | None = None
    period_start: date | None = None
    total: int = 0
    met_in_time: int = 0
    provisional: int = 0
    median_used: timedelta | None = None
    p90_used: timedelta | None = None

    @property
    def breached(self) -> int:
        return self.total - self.met_in_time

    @property
    def compliance(self) -> float | None:
        """The share met in time, 0–1; None when nothing settled."""
        return self.met_in_time / self.total if self.total else None

    @property
    def kind_label(self) -> str:
        return str(_KIND_LABELS[self.kind]) if self.kind in _KIND_LABELS else self.kind


class PercentileDisc(Aggregate):
    """PostgreSQL's percentile_disc of several shares at once (one sort per group), as a list:
    for each share, the first value whose rank reaches that share of the group's rows, i.e. the
    nearest-rank percentile (the row ceil(share × count) in ascending order)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(ARRAY[%(shares)s]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, shares: tuple[float, ...], **extra):
        from django.contrib.postgres.fields import ArrayField

        text = ", ".join(repr(float(share)) for share in shares)
        super().__init__(expression, shares=text, output_field=ArrayField(DurationField()), **extra)


def day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in Asia/Shanghai."""
    start = datetime.combine(date_from, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    return start, end


def _narrowed(queryset: QuerySet, *, scope: StatsScope, department_id: int | None, kind: str | None) -> QuerySet:
    """Deadlines or daily counts within the scope, of the department and kind asked for."""
    queryset = scope.narrow(queryset.order_by(), field="department")
    if department_id is not None:
        queryset = queryset.filter(department=department_id)
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    return queryset


def deadlines_settled(
    *,
    scope: StatsScope,
    date_from: date,
    date_to: date,
    department_id: int | None = None,
    kind: str | None = None,
) -> QuerySet[Deadline]:
    """The deadlines that settled in the period, within the scope (and department, kind), by
    the department recorded when they settled."""
    start, end = day_bounds(date_from, date_to)
    deadlines = Deadline.objects.filter(settled_at__gte=start, settled_at__lt=end)
    return _narrowed(deadlines, scope=scope, department_id=department_id, kind=kind)


def _unrolled_ranges(date_from: date, date_to: date, rolled: set[date]) -> list[tuple[date, date]]:
    """The days of the period not in `rolled`, as runs of consecutive days."""
    runs: list[tuple[date, date]] = []
    day = date_from
    while day <= date_to:
        if day not in rolled:
            if runs and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += timedelta(days=1)
    return runs


def _period(value) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date()
    return value


def sla_compliance(
    *,
    scope: StatsScope,
    date_from: date,
    date_to: date,
    department_id: int | None = None,
    kind: str | None = None,
    by_department: bool = False,
    bucket: str | None = None,
    percentiles: bool = True,
) -> list[SlaFigure]:
    """One figure per deadline kind (and department, and day/week/month when asked), ordered by
    kind, department and period. At most four queries; three without `percentiles` (the
    median and 90th percentile then stay None)."""
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    keys = ["kind"]
    if by_department:
        keys.append("department")
    if bucket is not None:
        keys.append("period")

    figures: dict[tuple, SlaFigure] = {}

    def figure(row) -> SlaFigure:
        key = tuple(_period(row[k]) if k == "period" else row[k] for k in keys)
        if key not in figures:
            figures[key] = SlaFigure(
                kind=row["kind"], department_id=row.get("department"), period_start=_period(row.get("period"))
            )
        return figures[key]

    def add(rows) -> None:
        for row in rows:
            current = figure(row)
            current.total += row["total"]
            current.met_in_time += row["met_in_time"]
            current.provisional += row["provisional"]

    narrow = {"scope": scope, "department_id": department_id, "kind": kind}
    rolled = set(SlaRolledDay.objects.filter(day__gte=date_from, day__lte=date_to).values_list("day", flat=True))
    if rolled:
        counts = _narrowed(SlaDailyCount.objects.filter(day__in=sorted(rolled)), **narrow)
        if bucket is not None:
            counts = counts.annotate(period=F("day") if bucket == "day" else _TRUNC[bucket]("day"))
        add(
            counts.values(*keys).annotate(
                total=Sum("total"), met_in_time=Sum("met_in_time"), provisional=Sum("provisional")
            )
        )
    live = _unrolled_ranges(date_from, date_to, rolled)
    if live:
        within = Q()
        for day_from, day_to in live:
            start, end = day_bounds(day_from, day_to)
            within |= Q(settled_at__gte=start, settled_at__lt=end)
        deadlines = _narrowed(Deadline.objects.filter(within), **narrow)
        if bucket is not None:
            deadlines = deadlines.annotate(period=_TRUNC[bucket]("settled_at", tzinfo=SHANGHAI))
        add(
            deadlines.values(*keys).annotate(
                total=Count("pk"),
                met_in_time=Count("pk", filter=MET_IN_TIME),
                provisional=Count("pk", filter=Q(is_provisional=True)),
            )
        )

    if percentiles and figures:
        used = deadlines_settled(
            scope=scope, date_from=date_from, date_to=date_to, department_id=department_id, kind=kind
        )
        # The kinds named (those counted: every deadline with a time used settled): the covering
        # index's leading column, read kind by kind in order.
        used = used.filter(used__isnull=False, kind__in=sorted({f.kind for f in figures.values()}))
        if bucket is not None:
            used = used.annotate(period=_TRUNC[bucket]("settled_at", tzinfo=SHANGHAI))
        rank = percentiles_ranked if connection.vendor == "postgresql" else percentiles_windowed
        for row, attribute, value in rank(used, keys):
            setattr(figure(row), attribute, value)

    return sorted(
        figures.values(),
        key=lambda f: (
            _KIND_ORDER.get(f.kind, 99),
            f.department_id or 0,
            f.period_start or date.min,
        ),
    )


def percentiles_ranked(deadlines: QuerySet[Deadline], keys: list[str]):
    """(row, attribute, value) of the median and 90th percentile of time used per group of
    `keys`, with percentile_disc (PostgreSQL; one query, an index-only scan of the covering
    index deadline_kind_settled_used, (kind, settled_at) INCLUDE (department_id, used))."""
    shares = tuple(share for share, _attribute in PERCENTILES)
    for row in deadlines.values(*keys).annotate(used_at=PercentileDisc("used", shares=shares)):
        for (_share, attribute), value in zip(PERCENTILES, row["used_at"], strict=True):
            yield row, attribute, value


def percentiles_windowed(deadlines: QuerySet[Deadline], keys: list[str]):
    """The same as percentiles_ranked with window functions (any database; one query): each
    group's rows numbered by time used, the rows numbered ceil(share × count) kept."""
    partition = [F(k) for k in keys]
    ranked = deadlines.annotate(
        rank=Window(RowNumber(), partition_by=partition, order_by=[F("used").asc(), F("pk").asc()]),
        count=Window(Count("pk"), partition_by=partition),
    )
    wanted = Q()
    for share, attribute in PERCENTILES:
        ranked = ranked.annotate(**{f"{attribute}_rank": Ceil(F("count") * share)})
        wanted |= Q(rank=F(f"{attribute}_rank"))
    for row in ranked.filter(wanted).values(*keys, "used", "rank", *(f"{a}_rank" for _s, a in PERCENTILES)):
        for _share, attribute in PERCENTILES:
            if row["rank"] == row[f"{attribute}_rank"]:
                yield row, attribute, row["used"]
