"""Reads for customer evaluations (C5): the ticket page's evaluation panel, the monthly
summary per engineer and per department, and the complaints and evaluations dashboard's
averages and worst evaluations of a period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Least

from complaints.models import Evaluation, EvaluationLink
from complaints.permissions_evaluations import user_may_record_evaluation, user_sees_all_departments
from complaints.selectors_stats import departments_for
from tickets.models import Department, Ticket
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope

EVALUABLE_STATUSES = frozenset({Ticket.Status.RESOLVED, Ticket.Status.CLOSED})


# --- The ticket page's panel ----------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationPanel:
    ticket: Ticket
    evaluation: Evaluation | None
    latest_link: EvaluationLink | None
    may_act: bool  # the user may issue a link and record a phone evaluation

    @property
    def is_evaluable(self) -> bool:
        """Not a complaint (its verdict is the return visit)."""
        return self.ticket.kind != Ticket.Kind.COMPLAINT

    @property
    def is_resolved(self) -> bool:
        return self.ticket.status in EVALUABLE_STATUSES

    @property
    def can_issue_link(self) -> bool:
        return self.may_act and self.is_evaluable and self.evaluation is None

    @property
    def can_record_phone(self) -> bool:
        return self.can_issue_link and self.is_resolved


def evaluation_panel_get(*, ticket: Ticket, user) -> EvaluationPanel:
    """What `complaints/evaluations/_ticket_panel.html` shows for a ticket the user may see.

    At most 2 queries: the evaluation (with its engineer, department, recorder and the
    complaint it opened), and, only when there is none, the latest link issued. The user's staff
    profile is read from `user.staff` (already loaded by the page frame's context processor)."""
    evaluation = (
        Evaluation.objects.select_related("engineer", "department", "recorded_by", "complaint__ticket")
        .filter(ticket=ticket)
        .first()
    )
    latest_link = None
    if evaluation is None and ticket.kind != Ticket.Kind.COMPLAINT:
        latest_link = EvaluationLink.objects.filter(ticket=ticket).order_by("-issued_at", "-id").first()
    return EvaluationPanel(
        ticket=ticket, evaluation=evaluation, latest_link=latest_link, may_act=user_may_record_evaluation(user)
    )


# --- The monthly summary ------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    low: int
    high: int

    def q(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": self.low, f"{field_name}__lte": self.high})


# The score bands of the distribution. "≤ −30%" is the default complaint threshold (extremely
# dissatisfied); 100% is the standard the manual's percentages are measured against.
BANDS: tuple[Band, ...] = (
    Band("very_low", "≤ −30%", -50, -30),
    Band("low", "−20% … 0%", -20, 0),
    Band("below", "10% … 90%", 10, 90),
    Band("standard", "100%", 100, 100),
    Band("above", "110% … 200%", 110, 200),
)


@dataclass(frozen=True)
class BandCount:
    band: Band
    technical: int
    attitude: int


@dataclass(frozen=True)
class SummaryRow:
    label: str
    detail: str  # the staff number
    department: str
    count: int
    technical_avg: float | None
    attitude_avg: float | None
    bands: list[BandCount]


@dataclass(frozen=True)
class EvaluationSummary:
    month: date
    start: datetime
    end: datetime
    staff: list[SummaryRow] = field(default_factory=list)
    departments: list[SummaryRow] = field(default_factory=list)
    total: SummaryRow | None = None
    is_all_departments: bool = True
    scope: list[str] = field(default_factory=list)  # the departments a department head sees


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month in Asia/Shanghai, as [start, end)."""
    start = datetime(month.year, month.month, 1, tzinfo=SHANGHAI)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def _aggregates() -> dict:
    figures = {
        "n": Count("pk"),
        "technical_avg": Avg("technical_score"),
        "attitude_avg": Avg("attitude_score"),
    }
    for band in BANDS:
        figures[f"t_{band.key}"] = Count("pk", filter=band.q("technical_score"))
        figures[f"a_{band.key}"] = Count("pk", filter=band.q("attitude_score"))
    return figures


def _row(values: dict, *, label: str, detail: str, department: str = "") -> SummaryRow:
    return SummaryRow(
        label=label,
        detail=detail,
        department=department,
        count=values["n"],
        technical_avg=float(values["technical_avg"]) if values["technical_avg"] is not None else None,
        attitude_avg=float(values["attitude_avg"]) if values["attitude_avg"] is not None else None,
        bands=[BandCount(band, values[f"t_{band.key}"], values[f"a_{band.key}"]) for band in BANDS],
    )


def _person(first: str | None, last: str | None, username: str | None) -> str:
    return f"{first or ''} {last or ''}".strip() or (username or "")


def evaluation_summary(*, user, month: date) -> EvaluationSummary:
    """The month's evaluations per engineer, per department and in all: count, average scores and
    the distribution over BANDS. Supervisors, office managers and admins see every department; a
    department head the departments they head or belong to. 3 queries whatever the number of
    evaluations (4 for a department head)."""
    start, end = month_bounds(month)
    evaluations: QuerySet[Evaluation] = Evaluation.objects.filter(evaluated_at__gte=start, evaluated_at__lt=end)
    is_all = user_sees_all_departments(user)
    scope: list[str] = []
    if not is_all:
        profile = getattr(user, "staff", None)
        condition = Q(head=user)
        if profile is not None and profile.department_id is not None:
            condition |= Q(pk=profile.department_id)
        departments = list(Department.objects.filter(condition).order_by("name").values_list("pk", "name"))
        scope = [name for _pk, name in departments]
        evaluations = evaluations.filter(department_id__in=[pk for pk, _name in departments])
    figures = _aggregates()
    staff_rows = (
        evaluations.values(
            "engineer_id",
            "engineer__first_name",
            "engineer__last_name",
            "engineer__username",
            "engineer__staff__staff_no",
            "department__name",
        )
        .annotate(**figures)
        .order_by("department__name", "engineer__staff__staff_no", "engineer_id")
    )
    department_rows = (
        evaluations.values("department_id", "department__name").annotate(**figures).order_by("department__name")
    )
    total = evaluations.aggregate(**figures)
    no_department = "—"
    return EvaluationSummary(
        month=month,
        start=start,
        end=end,
        staff=[
            _row(
                values,
                label=_person(
                    values["engineer__first_name"], values["engineer__last_name"], values["engineer__username"]
                )
                or no_department,
                detail=values["engineer__staff__staff_no"] or "",
                department=values["department__name"] or no_department,
            )
            for values in staff_rows
        ],
        departments=[
            _row(values, label=values["department__name"] or no_department, detail="") for values in department_rows
        ],
        total=_row(total, label="", detail=""),
        is_all_departments=is_all,
        scope=scope,
    )


# --- The complaints and evaluations dashboard (issue 8) ---------------------------------------------
#
# A period is a range of Asia/Shanghai days, inclusive; an evaluation counts on the day the customer
# evaluated (Evaluation.evaluated_at), for the staff member and the department it names (whom it
# evaluated, as they were then). A department head's scope is Evaluation.department; evaluations
# without a department only for those who see every department.


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The days from `date_from` to `date_to` (inclusive, Asia/Shanghai) as [start, end)."""
    start = datetime.combine(date_from, time.min, tzinfo=SHANGHAI)
    return start, datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def average(total: int | None, count: int) -> Decimal | None:
    """total ÷ count with one decimal (half up); None when count is 0."""
    if not count:
        return None
    return (Decimal(total or 0) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScoreAverages:
    """Evaluations counted, and the sums of their scores (percentages on the manual's scale)."""

    count: int
    technical_sum: int
    attitude_sum: int

    @property
    def technical_avg(self) -> Decimal | None:
        return average(self.technical_sum, self.count)

    @property
    def attitude_avg(self) -> Decimal | None:
        return average(self.attitude_sum, self.count)


@dataclass(frozen=True)
class StaffAverages(ScoreAverages):
    engineer_id: int | None
    name: str
    staff_no: str
    department_id: int | None
    department_name: str


@dataclass(frozen=True)
class DepartmentAverages(ScoreAverages):
    department: Department | None  # None: evaluations of tickets without a department


def evaluations_in_period(
    *, scope: StatsScope, date_from: date, date_to: date, department_id: int | None = None
) -> QuerySet[Evaluation]:
    """The evaluations of the period within the scope (and of one department if given)."""
    start, end = period_bounds(date_from, date_to)
    evaluations = scope.narrow(Evaluation.objects.filter(evaluated_at__gte=start, evaluated_at__lt=end))
    if department_id is not None:
        evaluations = evaluations.filter(department_id=department_id)
    return evaluations


def _sums() -> dict:
    return {"n": Count("pk"), "technical": Sum("technical_score"), "attitude": Sum("attitude_score")}


def evaluation_averages_by_staff(
    *, scope: StatsScope, date_from: date, date_to: date, department_id: int | None = None
) -> list[StaffAverages]:
    """Per staff member and department (an engineer who moved has a row in each): the number of
    evaluations and the average of each score, by department name then staff name. One query."""
    rows = (
        evaluations_in_period(scope=scope, date_from=date_from, date_to=date_to, department_id=department_id)
        .values(
            "engineer_id",
            "engineer__first_name",
            "engineer__last_name",
            "engineer__username",
            "engineer__staff__staff_no",
            "department_id",
            "department__name",
        )
        .annotate(**_sums())
        .order_by()
    )
    result = [
        StaffAverages(
            count=row["n"],
            technical_sum=row["technical"] or 0,
            attitude_sum=row["attitude"] or 0,
            engineer_id=row["engineer_id"],
            name=_person(row["engineer__first_name"], row["engineer__last_name"], row["engineer__username"]),
            staff_no=row["engineer__staff__staff_no"] or "",
            department_id=row["department_id"],
            department_name=row["department__name"] or "",
        )
        for row in rows
    ]
    return sorted(
        result,
        key=lambda r: (r.department_id is None, r.department_name, r.engineer_id is None, r.name, r.staff_no),
    )


def evaluation_averages_by_department(
    *, scope: StatsScope, date_from: date, date_to: date, department_id: int | None = None
) -> list[DepartmentAverages]:
    """Per department: every active department in the scope (with no evaluation: a count of 0
    and no average) and any other with evaluations, by name; then, for those who see every
    department, the evaluations without one (when there are any). Two queries."""
    rows = {
        row["department_id"]: row
        for row in evaluations_in_period(scope=scope, date_from=date_from, date_to=date_to, department_id=department_id)
        .values("department_id")
        .annotate(**_sums())
        .order_by()
    }
    departments = [
        d for d in departments_for(rows) if scope.allows(d.pk) and (department_id is None or d.pk == department_id)
    ]
    keyed: list[tuple[int | None, Department | None]] = [(d.pk, d) for d in departments]
    if None in rows:
        keyed.append((None, None))
    result = []
    for key, department in keyed:
        row = rows.get(key, {"n": 0, "technical": 0, "attitude": 0})
        result.append(
            DepartmentAverages(
                count=row["n"],
                technical_sum=row["technical"] or 0,
                attitude_sum=row["attitude"] or 0,
                department=department,
            )
        )
    return result


def evaluation_list_worst(
    *, scope: StatsScope, date_from: date, date_to: date, department_id: int | None = None, limit: int = 10
) -> list[Evaluation]:
    """The `limit` worst evaluations of the period: the lowest of the two scores first (either
    score at or below the threshold is what opens a complaint), then the lower sum of both, then
    the newest first among equals. With the ticket, staff member, department and the complaint it
    opened. One query: the worst are picked in a subquery over the period's evaluations (the
    evaluated_at index), and only they are joined to their tickets."""
    worst = {"lowest": Least("technical_score", "attitude_score"), "both": F("technical_score") + F("attitude_score")}
    order = ("lowest", "both", "-evaluated_at", "-id")
    picked = (
        evaluations_in_period(scope=scope, date_from=date_from, date_to=date_to, department_id=department_id)
        .annotate(**worst)
        .order_by(*order)
        .values("pk")[:limit]
    )
    return list(
        Evaluation.objects.filter(pk__in=picked)
        .annotate(**worst)
        .select_related("ticket", "engineer__staff", "department", "complaint__ticket")
        .order_by(*order)
    )
