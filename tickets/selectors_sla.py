"""SLA compliance figures: per deadline kind, and optionally per department and per day, week
or month. Computed in the database (conditional counts, and window functions for the
percentiles), never by loading deadlines into Python: three queries whatever the period.

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
- The department is the ticket's department.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Ceil, RowNumber, TruncDay, TruncMonth, TruncWeek

from tickets.models import Deadline, DeadlineKind
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope

BUCKETS = ("day", "week", "month")
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}

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
        return str(DeadlineKind(self.kind).label) if self.kind in DeadlineKind.values else self.kind


def day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in Asia/Shanghai."""
    start = datetime.combine(date_from, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    return start, end


def deadlines_settled(
    *,
    scope: StatsScope,
    date_from: date,
    date_to: date,
    department_id: int | None = None,
    kind: str | None = None,
) -> QuerySet[Deadline]:
    """The deadlines that settled in the period, within the scope (and department, kind)."""
    start, end = day_bounds(date_from, date_to)
    deadlines = Deadline.objects.filter(settled_at__gte=start, settled_at__lt=end)
    deadlines = scope.narrow(deadlines, field="ticket__department")
    if department_id is not None:
        deadlines = deadlines.filter(ticket__department=department_id)
    if kind is not None:
        deadlines = deadlines.filter(kind=kind)
    return deadlines


def sla_compliance(
    *,
    scope: StatsScope,
    date_from: date,
    date_to: date,
    department_id: int | None = None,
    kind: str | None = None,
    by_department: bool = False,
    bucket: str | None = None,
) -> list[SlaFigure]:
    """One figure per deadline kind (and department, and day/week/month when asked), ordered by
    kind, department and period. Three queries."""
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    deadlines = deadlines_settled(
        scope=scope, date_from=date_from, date_to=date_to, department_id=department_id, kind=kind
    ).order_by()
    keys = ["kind"]
    if by_department:
        deadlines = deadlines.annotate(dept=F("ticket__department"))
        keys.append("dept")
    if bucket is not None:
        deadlines = deadlines.annotate(period=_TRUNC[bucket]("settled_at", tzinfo=SHANGHAI))
        keys.append("period")

    figures: dict[tuple, SlaFigure] = {}

    def figure(row) -> SlaFigure:
        key = tuple(row[k] for k in keys)
        if key not in figures:
            period = row.get("period")
            if isinstance(period, datetime):
                period = period.astimezone(SHANGHAI).date()
            figures[key] = SlaFigure(kind=row["kind"], department_id=row.get("dept"), period_start=period)
        return figures[key]

    counts = deadlines.values(*keys).annotate(
        total=Count("pk"),
        met_in_time=Count("pk", filter=MET_IN_TIME),
        provisional=Count("pk", filter=Q(is_provisional=True)),
    )
    for row in counts:
        current = figure(row)
        current.total, current.met_in_time, current.provisional = row["total"], row["met_in_time"], row["provisional"]

    ranked = deadlines.filter(used__isnull=False).annotate(
        rank=Window(RowNumber(), partition_by=[F(k) for k in keys], order_by=[F("used").asc(), F("pk").asc()]),
        count=Window(Count("pk"), partition_by=[F(k) for k in keys]),
    )
    for share, attribute in ((0.5, "median_used"), (0.9, "p90_used")):
        for row in ranked.filter(rank=Ceil(F("count") * share)).values(*keys, "used"):
            setattr(figure(row), attribute, row["used"])

    return sorted(
        figures.values(),
        key=lambda f: (
            DeadlineKind.values.index(f.kind) if f.kind in DeadlineKind.values else 99,
            f.department_id or 0,
            f.period_start or date.min,
        ),
    )
