"""Reads for the complaint-rate statistics (C3) and the suggestion counts (C4).

The figures of a month (Asia/Shanghai):
- received: complaints accepted in the month (Complaint.accepted_at), by the department
  responsible for them (Complaint.department; not yet routed: the "unrouted" row);
- upheld: those of them found upheld (Complaint.is_upheld);
- handled (the denominator): tickets of every kind except complaints whose department
  (Ticket.department) is the row's department and that were resolved in the month
  (Ticket.resolved_at; a reopened ticket counts again when resolved again). The unrouted row
  counts the tickets without a department.
A closed month reads its snapshots; the others are computed live. A quarter sums its months.
Each page is a fixed number of queries, whatever the number of departments or tickets.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Complaint, ComplaintMonthClose, ComplaintRateSnapshot, SnapshotRecompute
from complaints.models_stats import SuggestionDecision
from tickets.models import Category, Department, Ticket
from tickets.selectors import ticket_list_visible
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope

# The denominator, as the page and the exports state it.
DENOMINATOR_DEFINITION = gettext_lazy(
    "Tickets handled: tickets of every kind except complaints whose department is the row's department "
    "and that were resolved in the period (Asia/Shanghai time; a ticket reopened and resolved again counts "
    "when it was last resolved). Complaints received are counted by the date they were accepted and the "
    "department responsible for them; “Unrouted” holds the complaints not yet routed to a department and "
    "the tickets handled without a department. Rates: complaints ÷ tickets handled; “—” when a department "
    "handled no ticket."
)

Figures = list[int]  # [received, upheld, handled]


def month_start(year: int, month: int) -> datetime:
    """The first moment of a month in Asia/Shanghai (months past December roll over)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def quarter_months(quarter: int) -> list[int]:
    return [3 * quarter - 2, 3 * quarter - 1, 3 * quarter]


def rate(part: int, whole: int) -> Decimal | None:
    """part ÷ whole as a percentage with one decimal (half up); None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rate_text(value: Decimal | None, *, sign: bool = True) -> str:
    if value is None:
        return "—"
    return f"{value}%" if sign else f"{value}"


def live_figures(*, year: int, months: list[int]) -> dict[tuple[int, int | None], Figures]:
    """(month, department id or None) → [received, upheld, handled], counted now from the
    complaints and tickets of those months of `year`: two queries."""
    start, end = month_start(year, min(months)), month_start(year, max(months) + 1)
    figures: dict[tuple[int, int | None], Figures] = defaultdict(lambda: [0, 0, 0])
    complaints = (
        Complaint.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
        .annotate(m=ExtractMonth("accepted_at", tzinfo=SHANGHAI))
        .values("m", "department")
        .annotate(received=Count("pk"), upheld=Count("pk", filter=Q(is_upheld=True)))
        .order_by()
    )
    for row in complaints:
        if row["m"] in months:
            figures[(row["m"], row["department"])][0] += row["received"]
            figures[(row["m"], row["department"])][1] += row["upheld"]
    handled = (
        Ticket.objects.exclude(kind=Ticket.Kind.COMPLAINT)
        .filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(m=ExtractMonth("resolved_at", tzinfo=SHANGHAI))
        .values("m", "department")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in handled:
        if row["m"] in months:
            figures[(row["m"], row["department"])][2] += row["n"]
    return dict(figures)


def departments_for(ids) -> list[Department]:
    """The active departments and any other department named in `ids`, by name (one query)."""
    ids = {pk for pk in ids if pk is not None}
    return list(Department.objects.filter(Q(is_active=True) | Q(pk__in=ids)).order_by("name", "pk"))


# --- The statistics page -----------------------------------------------------------------------


@dataclass
class MonthState:
    year: int
    month: int
    closed: ComplaintMonthClose | None
    is_current: bool
    is_future: bool

    @property
    def is_live(self) -> bool:
        return self.closed is None and not self.is_future

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass
class RateRow:
    department: Department | None
    received: int = 0
    upheld: int = 0
    handled: int = 0
    is_total: bool = False
    is_partial_total: bool = False  # the total of a department head's departments only

    @property
    def name(self) -> str:
        if self.is_total:
            return _("Total, my departments") if self.is_partial_total else _("Total, all departments")
        return self.department.name if self.department is not None else _("Unrouted")

    @property
    def received_rate(self) -> Decimal | None:
        return rate(self.received, self.handled)

    @property
    def upheld_rate(self) -> Decimal | None:
        return rate(self.upheld, self.handled)

    @property
    def received_rate_text(self) -> str:
        return rate_text(self.received_rate)

    @property
    def upheld_rate_text(self) -> str:
        return rate_text(self.upheld_rate)

    def add(self, figures: Figures) -> None:
        self.received += figures[0]
        self.upheld += figures[1]
        self.handled += figures[2]


@dataclass
class RateTable:
    year: int
    month: int | None
    quarter: int | None
    months: list[MonthState]
    rows: list[RateRow]
    total: RateRow
    recomputes: list[SnapshotRecompute] = field(default_factory=list)
    is_all_departments: bool = True

    @property
    def period_label(self) -> str:
        if self.month is not None:
            return _("%(year)s-%(month)02d (month)") % {"year": self.year, "month": self.month}
        return _("%(year)s Q%(quarter)s (quarter)") % {"year": self.year, "quarter": self.quarter}

    @property
    def period_slug(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month is not None else f"{self.year}-Q{self.quarter}"

    @property
    def is_live(self) -> bool:
        return any(state.is_live for state in self.months)

    @property
    def is_frozen(self) -> bool:
        return all(state.closed is not None for state in self.months)

    @property
    def closed_months(self) -> list[MonthState]:
        return [state for state in self.months if state.closed is not None]


def complaint_rate_table(
    *,
    year: int,
    month: int | None = None,
    quarter: int | None = None,
    now: datetime,
    scope: StatsScope | None = None,
) -> RateTable:
    """The complaint rates of a month or a quarter, one row per department (the active ones and
    any other with figures), then "Unrouted", and the total. Five queries.

    `scope` (None: everything) limits the rows, the total and the recompute log to the
    departments it allows; "Unrouted" only when it sees every department."""
    scope = scope or StatsScope(departments=None)
    if (month is None) == (quarter is None):
        raise ValueError("give a month or a quarter")
    months = [month] if month is not None else quarter_months(quarter)
    local_now = now.astimezone(SHANGHAI)
    closes = {close.month: close for close in ComplaintMonthClose.objects.filter(year=year, month__in=months)}
    states = [
        MonthState(
            year=year,
            month=m,
            closed=closes.get(m),
            is_current=(year, m) == (local_now.year, local_now.month),
            is_future=month_start(year, m) > now,
        )
        for m in months
    ]
    figures: dict[tuple[int, int | None], Figures] = {}
    for snapshot in ComplaintRateSnapshot.objects.filter(year=year, month__in=months):
        if snapshot.month in closes:
            figures[(snapshot.month, snapshot.department_id)] = [snapshot.received, snapshot.upheld, snapshot.handled]
    live_months = [state.month for state in states if state.closed is None]
    if live_months:
        for key, value in live_figures(year=year, months=live_months).items():
            figures[key] = value
    by_department: dict[int | None, RateRow] = {}
    for department in departments_for(dept for _month, dept in figures):
        if scope.allows(department.pk):
            by_department[department.pk] = RateRow(department=department)
    if scope.sees_all:
        by_department[None] = RateRow(department=None)
    total = RateRow(department=None, is_total=True, is_partial_total=not scope.sees_all)
    for (_month, dept), value in figures.items():
        row = by_department.get(dept)
        if row is not None:  # another department's figures stay out of a head's table
            row.add(value)
            total.add(value)
    recomputes = list(
        SnapshotRecompute.objects.filter(year=year, month__in=months).select_related("recomputed_by")[:50]
    )
    for log in recomputes:
        log.visible_changes = [change for change in log.changes if scope.allows(change.get("department"))]
    return RateTable(
        year=year,
        month=month,
        quarter=quarter,
        months=states,
        rows=list(by_department.values()),
        total=total,
        recomputes=recomputes,
        is_all_departments=scope.sees_all,
    )


# --- Suggestions (C4) --------------------------------------------------------------------------


@dataclass
class SuggestionCount:
    category: Category | None
    received: int = 0
    adopted: int = 0
    not_adopted: int = 0

    @property
    def undecided(self) -> int:
        return self.received - self.adopted - self.not_adopted

    @property
    def name(self) -> str:
        if self.category is None:
            return _("No category")
        if self.category.parent_id is not None:
            return f"{self.category.parent.name} / {self.category.name}"
        return self.category.name

    def add(self, other: SuggestionCount) -> None:
        self.received += other.received
        self.adopted += other.adopted
        self.not_adopted += other.not_adopted


@dataclass
class SuggestionMonth:
    month: int
    rows: list[SuggestionCount]
    total: SuggestionCount


@dataclass
class SuggestionCounts:
    year: int
    months: list[SuggestionMonth]
    year_rows: list[SuggestionCount]
    year_total: SuggestionCount


def suggestion_counts(*, year: int) -> SuggestionCounts:
    """Suggestions received in each month of `year` (Asia/Shanghai, by when they were
    recorded) per category, with how many of them are adopted, not adopted or undecided now.
    Two queries."""
    Decision = SuggestionDecision.Decision
    start, end = month_start(year, 1), month_start(year + 1, 1)
    rows = (
        Ticket.objects.filter(kind=Ticket.Kind.SUGGESTION, created_at__gte=start, created_at__lt=end)
        .annotate(m=ExtractMonth("created_at", tzinfo=SHANGHAI))
        .values("m", "category")
        .annotate(
            received=Count("pk"),
            adopted=Count("pk", filter=Q(suggestion_decision__decision=Decision.ADOPTED)),
            not_adopted=Count("pk", filter=Q(suggestion_decision__decision=Decision.NOT_ADOPTED)),
        )
        .order_by()
    )
    rows = list(rows)
    categories = {
        category.pk: category
        for category in Category.objects.filter(
            pk__in={row["category"] for row in rows if row["category"]}
        ).select_related("parent")
    }
    months: dict[int, dict[int | None, SuggestionCount]] = {m: {} for m in range(1, 13)}
    for row in rows:
        count = SuggestionCount(
            category=categories.get(row["category"]),
            received=row["received"],
            adopted=row["adopted"],
            not_adopted=row["not_adopted"],
        )
        months[row["m"]][row["category"]] = count

    def ordered(counts: dict[int | None, SuggestionCount]) -> list[SuggestionCount]:
        return sorted(counts.values(), key=lambda c: (c.category is None, c.name))

    year_by_category: dict[int | None, SuggestionCount] = {}
    year_total = SuggestionCount(category=None)
    result = []
    for m, counts in months.items():
        total = SuggestionCount(category=None)
        for key, count in counts.items():
            total.add(count)
            year_by_category.setdefault(key, SuggestionCount(category=count.category)).add(count)
        year_total.add(total)
        result.append(SuggestionMonth(month=m, rows=ordered(counts), total=total))
    return SuggestionCounts(year=year, months=result, year_rows=ordered(year_by_category), year_total=year_total)


def suggestion_list_undecided(*, user, limit: int = 20) -> list[Ticket]:
    """The latest suggestions the user may see that have no decision yet (one query)."""
    return list(
        ticket_list_visible(user=user, kind=Ticket.Kind.SUGGESTION)
        .filter(suggestion_decision__isnull=True)
        .select_related("category__parent")
        .order_by("-created_at", "-id")[:limit]
    )


def suggestion_get(*, user, reference: str) -> Ticket | None:
    """A ticket the user may see, with its category and its suggestion decision."""
    return (
        ticket_list_visible(user=user)
        .select_related("category__parent", "suggestion_decision__decided_by", "first_responder")
        .filter(reference=reference)
        .first()
    )


# --- Month by month, for the API and the dashboards --------------------------------------------


@dataclass
class MonthlyRate:
    """One department's (or the unrouted row's) figures for one month."""

    year: int
    month: int
    department: Department | None
    received: int = 0
    upheld: int = 0
    handled: int = 0
    is_frozen: bool = False

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def received_rate(self) -> Decimal | None:
        return rate(self.received, self.handled)

    @property
    def upheld_rate(self) -> Decimal | None:
        return rate(self.upheld, self.handled)

    @property
    def upheld_share(self) -> Decimal | None:
        """Of the complaints received, the share found upheld."""
        return rate(self.upheld, self.received)


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def complaint_rates_monthly(
    *,
    scope,
    first: tuple[int, int],
    last: tuple[int, int],
    department_id: int | None = None,
    now: datetime,
) -> list[MonthlyRate]:
    """The complaint figures of every month from `first` to `last` (year, month; inclusive) for
    every department in the scope (and the unrouted row when the scope has every department),
    by month then department name. A closed month reads its snapshots, the others are counted
    live; months not begun yet are left out. Five queries whatever the range."""
    lo, hi = _month_index(*first), _month_index(*last)
    local_now = now.astimezone(SHANGHAI)
    hi = min(hi, _month_index(local_now.year, local_now.month))
    if hi < lo:
        return []
    months = [(i // 12, i % 12 + 1) for i in range(lo, hi + 1)]
    closes = {
        (close.year, close.month)
        for close in ComplaintMonthClose.objects.filter(year__gte=months[0][0], year__lte=months[-1][0])
        if (close.year, close.month) in set(months)
    }
    figures: dict[tuple[int, int, int | None], Figures] = {}
    snapshots = ComplaintRateSnapshot.objects.filter(year__gte=months[0][0], year__lte=months[-1][0])
    for snapshot in snapshots.values_list("year", "month", "department_id", "received", "upheld", "handled"):
        year, month, dept, *values = snapshot
        if (year, month) in closes:
            figures[(year, month, dept)] = list(values)
    live = [m for m in months if m not in closes]
    if live:
        start, end = month_start(*live[0]), month_start(live[-1][0], live[-1][1] + 1)
        complaints = (
            Complaint.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
            .annotate(m=TruncMonth("accepted_at", tzinfo=SHANGHAI))
            .values("m", "department")
            .annotate(received=Count("pk"), upheld=Count("pk", filter=Q(is_upheld=True)))
            .order_by()
        )
        handled = (
            Ticket.objects.exclude(kind=Ticket.Kind.COMPLAINT)
            .filter(resolved_at__gte=start, resolved_at__lt=end)
            .annotate(m=TruncMonth("resolved_at", tzinfo=SHANGHAI))
            .values("m", "department")
            .annotate(n=Count("pk"))
            .order_by()
        )
        live_set = set(live)
        for rows, slots in ((complaints, ("received", "upheld")), (handled, ("n",))):
            for row in rows:
                local = row["m"].astimezone(SHANGHAI)
                if (local.year, local.month) not in live_set:
                    continue
                values = figures.setdefault((local.year, local.month, row["department"]), [0, 0, 0])
                if slots == ("n",):
                    values[2] += row["n"]
                else:
                    values[0] += row["received"]
                    values[1] += row["upheld"]
    departments = [d for d in departments_for(dept for _y, _m, dept in figures) if scope.allows(d.pk)]
    if department_id is not None:
        departments = [d for d in departments if d.pk == department_id]
    show_unrouted = scope.sees_all and department_id is None
    result = []
    for year, month in months:
        frozen = (year, month) in closes
        rows = [(d, d.pk) for d in departments] + ([(None, None)] if show_unrouted else [])
        for department, key in rows:
            received, upheld, handled_count = figures.get((year, month, key), [0, 0, 0])
            result.append(
                MonthlyRate(
                    year=year,
                    month=month,
                    department=department,
                    received=received,
                    upheld=upheld,
                    handled=handled_count,
                    is_frozen=frozen,
                )
            )
    return result
