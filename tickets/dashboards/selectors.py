"""Reads of the tickets' dashboard panels: every figure counted in the database, a fixed number
of queries per panel whatever the number of tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q

from tickets.models import Deadline, Department, Ticket
from tickets.stats_scope import StatsScope

OPEN_STATUSES = [status for status in Ticket.Status.values if status not in ("resolved", "closed")]


def open_tickets_by_department_and_status(
    *, scope: StatsScope, department_id: int | None
) -> dict[int | None, dict[str, int]]:
    """department id (None: none) → status → number of open tickets. One query (the open
    statuses listed, so the (status, department) index serves it)."""
    tickets = scope.narrow(Ticket.objects.filter(status__in=OPEN_STATUSES))
    if department_id is not None:
        tickets = tickets.filter(department=department_id)
    counts: dict[int | None, dict[str, int]] = {}
    for row in tickets.values("department", "status").annotate(n=Count("pk")).order_by():
        counts.setdefault(row["department"], {})[row["status"]] = row["n"]
    return counts


def deadlines_now(*, scope: StatsScope, department_id: int | None, now: datetime) -> dict[str, dict[str, int]]:
    """deadline kind → {"due_hour": running, not breached, due within the next hour;
    "breached": running and breached or past due}. One query."""
    deadlines = scope.narrow(Deadline.objects.filter(state=Deadline.State.RUNNING), field="ticket__department")
    if department_id is not None:
        deadlines = deadlines.filter(ticket__department=department_id)
    breached = Q(breached_at__isnull=False) | Q(due_at__lt=now)
    due_hour = Q(breached_at__isnull=True, due_at__gte=now, due_at__lt=now + timedelta(hours=1))
    # Every breached deadline is past its due time, so one range on the running deadlines' due
    # times (the deadline_running_due index) holds both.
    rows = (
        deadlines.filter(due_at__lt=now + timedelta(hours=1))
        .values("kind")
        .annotate(due_hour=Count("pk", filter=due_hour), breached=Count("pk", filter=breached))
        .order_by()
    )
    return {row["kind"]: {"due_hour": row["due_hour"], "breached": row["breached"]} for row in rows}


def departments_named(ids) -> dict[int, Department]:
    """The departments among `ids`, by id. One query (none for no ids)."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    return {d.pk: d for d in Department.objects.filter(pk__in=ids)}
