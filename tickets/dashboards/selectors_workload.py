"""Reads of the workload and call-reason dashboards (tickets.dashboards.workload, .reasons).

Every figure is counted in the database (grouped, conditional counts), never by loading tickets
into Python, and each function costs a fixed number of queries whatever the number of tickets.
Every read is narrowed to the viewer's scope and the chosen department through the *ticket's*
department (its department now; the SLA figures count a deadline against the department it
settled under instead). Days are Asia/Shanghai days, inclusive.
The definitions are stated on the pages and in docs/dashboards-workload.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from tickets.models import Category, Deadline, Department, Ticket
from tickets.selectors_sla import MET_IN_TIME, day_bounds
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope

OPEN = ~Q(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def _tickets(*, scope: StatsScope, department_id: int | None) -> QuerySet[Ticket]:
    tickets = scope.narrow(Ticket.objects.order_by())
    if department_id is not None:
        tickets = tickets.filter(department=department_id)
    return tickets


# --- Workload -----------------------------------------------------------------------------------


@dataclass
class StaffLoad:
    """One staff member's figures (as the tickets' current assignee)."""

    user_id: int
    open: int = 0
    breached_in_period: int = 0
    breached_now: int = 0


def staff_load(
    *, scope: StatsScope, department_id: int | None, date_from: date, date_to: date, now: datetime
) -> dict[int, StaffLoad]:
    """assignee id → their open tickets now, the deadlines of their tickets settled in the period
    and not met in time, and the running deadlines of their tickets past due now. Staff with none
    of the three are left out, and so are tickets with no assignee. Two queries."""
    loads: dict[int, StaffLoad] = {}

    def load(user_id: int) -> StaffLoad:
        return loads.setdefault(user_id, StaffLoad(user_id=user_id))

    open_tickets = _tickets(scope=scope, department_id=department_id).filter(OPEN, assignee__isnull=False)
    for row in open_tickets.values("assignee").annotate(n=Count("pk")):
        load(row["assignee"]).open = row["n"]

    start, end = day_bounds(date_from, date_to)
    settled = Q(settled_at__gte=start, settled_at__lt=end)
    breached_now = Q(state=Deadline.State.RUNNING) & (Q(breached_at__isnull=False) | Q(due_at__lt=now))
    # The ticket's assignee, looked up per deadline (None when the ticket is outside the scope or
    # the department): a few thousand index probes instead of joining a million tickets. Only the
    # deadlines missed in the period (the partial index deadline_settled_missed, PostgreSQL) and
    # those past due now are read.
    assignee = _tickets(scope=scope, department_id=department_id).filter(pk=OuterRef("ticket_id"))
    rows = (
        Deadline.objects.order_by()
        .filter((settled & ~MET_IN_TIME) | breached_now)
        .annotate(assignee=Subquery(assignee.values("assignee")[:1]))
        .values("assignee")
        .annotate(in_period=Count("pk", filter=settled & ~MET_IN_TIME), now=Count("pk", filter=breached_now))
    )
    for row in rows:
        if row["assignee"] is not None and (row["in_period"] or row["now"]):
            current = load(row["assignee"])
            current.breached_in_period, current.breached_now = row["in_period"], row["now"]
    return loads


def staff_named(ids) -> dict[int, object]:
    """The users among `ids` with their staff profile and its department. One query (none for
    no ids)."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).select_related("staff", "staff__department")
    return {user.pk: user for user in users}


@dataclass
class FirstContact:
    department_id: int | None
    resolved: int = 0
    first_contact: int = 0

    @property
    def handed_off(self) -> int:
        return self.resolved - self.first_contact


def first_contact_by_department(
    *, scope: StatsScope, department_id: int | None, date_from: date, date_to: date
) -> dict[int | None, FirstContact]:
    """ticket's department (None: none) → tickets resolved in the period (their latest
    resolution: Ticket.resolved_at) and, of them, those never handed off
    (Ticket.handed_off_at empty). One query."""
    start, end = day_bounds(date_from, date_to)
    rows = (
        _tickets(scope=scope, department_id=department_id)
        .filter(resolved_at__gte=start, resolved_at__lt=end)
        .values("department")
        .annotate(resolved=Count("pk"), first_contact=Count("pk", filter=Q(handed_off_at__isnull=True)))
    )
    return {
        row["department"]: FirstContact(
            department_id=row["department"], resolved=row["resolved"], first_contact=row["first_contact"]
        )
        for row in rows
    }


def departments_listed(*, scope: StatsScope, department_id: int | None, with_ids) -> list[Department]:
    """The departments a per-department table lists: the chosen one, or every active department
    in the scope, plus any in the scope among `with_ids` (inactive ones with figures), by name.
    One query."""
    ids = {pk for pk in with_ids if pk is not None}
    departments = scope.narrow(Department.objects.all(), field="pk")
    if department_id is not None:
        departments = departments.filter(pk=department_id)
    else:
        departments = departments.filter(Q(is_active=True) | Q(pk__in=ids))
    return list(departments.order_by("name", "pk"))


@dataclass
class Handoffs:
    problem_type: str  # "" when none was given
    handed_off: int = 0
    unresolved: int = 0


def handoffs_by_problem_type(
    *, scope: StatsScope, department_id: int | None, date_from: date, date_to: date
) -> dict[str, Handoffs]:
    """problem type ("" for none given) → tickets first handed off in the period
    (Ticket.handed_off_at), and of them those not resolved or closed now. One query."""
    start, end = day_bounds(date_from, date_to)
    rows = (
        _tickets(scope=scope, department_id=department_id)
        .filter(handed_off_at__gte=start, handed_off_at__lt=end)
        .values("problem_type")
        .annotate(handed_off=Count("pk"), unresolved=Count("pk", filter=OPEN))
    )
    return {
        row["problem_type"]: Handoffs(row["problem_type"], handed_off=row["handed_off"], unresolved=row["unresolved"])
        for row in rows
    }


# --- Call reasons (T4) --------------------------------------------------------------------------


def _created(*, scope: StatsScope, department_id: int | None, date_from: date, date_to: date) -> QuerySet[Ticket]:
    start, end = day_bounds(date_from, date_to)
    return _tickets(scope=scope, department_id=department_id).filter(created_at__gte=start, created_at__lt=end)


def created_by_period_and_channel(
    *, scope: StatsScope, department_id: int | None, date_from: date, date_to: date, bucket: str
) -> dict[tuple[date, str], int]:
    """(first day of the day/week/month, channel) → tickets accepted then. One query."""
    rows = (
        _created(scope=scope, department_id=department_id, date_from=date_from, date_to=date_to)
        .annotate(period=_TRUNC[bucket]("created_at", tzinfo=SHANGHAI))
        .values("period", "channel")
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[date, str], int] = {}
    for row in rows:
        period = row["period"]
        if isinstance(period, datetime):
            period = period.astimezone(SHANGHAI).date()
        counts[(period, row["channel"])] = counts.get((period, row["channel"]), 0) + row["n"]
    return counts


def created_by_category_and_channel(
    *, scope: StatsScope, department_id: int | None, date_from: date, date_to: date
) -> dict[tuple[int | None, str], int]:
    """(call reason id (None: none recorded), channel) → tickets accepted in the period. One query."""
    rows = (
        _created(scope=scope, department_id=department_id, date_from=date_from, date_to=date_to)
        .values("category", "channel")
        .annotate(n=Count("pk"))
    )
    return {(row["category"], row["channel"]): row["n"] for row in rows}


@dataclass(frozen=True)
class CategoryPath:
    pk: int
    label: str  # "Parent / Child", from the root
    sort_key: tuple  # the tree's order (sort order, name along the path)
    is_active: bool  # still in use (the ticket list's call-reason filter offers active ones only)


def category_paths() -> dict[int, CategoryPath]:
    """Every call reason by id, named by its path from the root. One query (the categories are
    an admin-edited tree of a few dozen rows; tickets are never loaded)."""
    rows = {row["pk"]: row for row in Category.objects.values("pk", "name", "parent_id", "is_active", "sort_order")}
    paths: dict[int, CategoryPath] = {}

    def path(pk: int, seen: frozenset = frozenset()) -> CategoryPath:
        if pk in paths:
            return paths[pk]
        row = rows[pk]
        parent_id = row["parent_id"]
        key = ((row["sort_order"], row["name"], pk),)
        if parent_id is None or parent_id not in rows or pk in seen:
            result = CategoryPath(pk, row["name"], key, row["is_active"])
        else:
            parent = path(parent_id, seen | {pk})
            result = CategoryPath(pk, f"{parent.label} / {row['name']}", parent.sort_key + key, row["is_active"])
        paths[pk] = result
        return result

    for pk in rows:
        path(pk)
    return paths
