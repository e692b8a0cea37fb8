"""Reads of the live page's walk-in panels (issue 8): today's queue per line, the day by hour,
who is at the counter, and the call-ins and people visited still to acknowledge. Every figure is
counted in the database; each read is a fixed number of queries however long the queue.

"Today" is today's queue: the visitors checked in on this Asia/Shanghai day (Visit.queue_date,
the day the queue numbers restart), whose tickets were accepted the same day. A visit's
department is its ticket's department: the department of the member of staff who checked the
visitor in (and the handler's, once a transferred visit's ticket is handed off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncHour

from tickets.models import TicketEvent
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope
from visits.models import Line, Visit
from visits.services import queue_date_of

State = Visit.State
Event = TicketEvent.Type

# A visitor is called by the call buttons (and a wait alert in "assign" mode), or by being
# transferred to a colleague while still waiting. Visit.called_at is the *last* call (a transfer
# sets it again), so the wait ends at the first of these events.
CALL_EVENTS = (Event.VISIT_CALLED, Event.VISIT_TRANSFERRED)
WITH_STAFF = (State.CALLED, State.SERVING)
SERVED = Q(state=State.FINISHED) & ~Q(outcome=Visit.Outcome.LEFT)
LEFT = Q(state=State.FINISHED, outcome=Visit.Outcome.LEFT)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def todays_visits(*, scope: StatsScope, department_id: int | None, now: datetime) -> QuerySet[Visit]:
    """Today's queue within the scope (and the department): the visit_queue_idx index
    (queue_date, state, line) finds them."""
    visits = scope.narrow(Visit.objects.filter(queue_date=queue_date_of(now)), field="ticket__department")
    if department_id is not None:
        visits = visits.filter(ticket__department=department_id)
    return visits


def _first_called() -> Subquery:
    """When the visitor was first called (ticketevent_ticket_time finds the ticket's events)."""
    events = TicketEvent.objects.filter(ticket=OuterRef("ticket_id"), type__in=CALL_EVENTS)
    return Subquery(events.order_by("created_at", "id").values("created_at")[:1])


# Check-in to first call; NULL (left out of the sum) for a visitor not called yet. Visit.called_at
# is set exactly when one of CALL_EVENTS is recorded, so CALLED counts the visitors summed.
_WAITED = ExpressionWrapper(F("first_called") - F("checked_in_at"), output_field=DurationField())
CALLED = Q(called_at__isnull=False)


# --- The queue, per line ---------------------------------------------------------------------


@dataclass
class LineFigures:
    """Today's figures of one queue line (or of all lines: line "")."""

    line: str = ""
    checked_in: int = 0
    first_check_in: datetime | None = None
    waiting: int = 0
    oldest_waiting: datetime | None = None
    with_staff: int = 0
    called: int = 0
    wait_total: timedelta | None = None
    served: int = 0
    left: int = 0

    def longest_wait(self, now: datetime) -> timedelta | None:
        """How long the visitor waiting longest has waited so far (None: nobody waits)."""
        return None if self.oldest_waiting is None else max(now - self.oldest_waiting, timedelta(0))

    @property
    def average_wait(self) -> timedelta | None:
        """Check-in to first call, on average over the visitors called (None: nobody called)."""
        if not self.called or self.wait_total is None:
            return None
        return self.wait_total / self.called

    def add(self, other: LineFigures) -> None:
        for name in ("checked_in", "waiting", "with_staff", "called", "served", "left"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("first_check_in", "oldest_waiting"):
            values = [v for v in (getattr(self, name), getattr(other, name)) if v is not None]
            setattr(self, name, min(values) if values else None)
        if other.wait_total is not None:
            self.wait_total = (self.wait_total or timedelta(0)) + other.wait_total


def queue_by_line(*, scope: StatsScope, department_id: int | None, now: datetime) -> dict[str, LineFigures]:
    """Line → today's figures, every line present (zeros when nobody came). One query."""
    rows = (
        todays_visits(scope=scope, department_id=department_id, now=now)
        .alias(first_called=_first_called())
        .values("line")
        .annotate(
            checked_in=Count("pk"),
            first_check_in=Min("checked_in_at"),
            waiting=Count("pk", filter=Q(state=State.WAITING)),
            oldest_waiting=Min("checked_in_at", filter=Q(state=State.WAITING)),
            with_staff=Count("pk", filter=Q(state__in=WITH_STAFF)),
            called=Count("pk", filter=CALLED),
            wait_total=Sum(_WAITED),
            served=Count("pk", filter=SERVED),
            left=Count("pk", filter=LEFT),
        )
        .order_by()
    )
    figures = {line: LineFigures(line=line) for line in Line.values}
    for row in rows:
        figures[row["line"]] = LineFigures(**row)
    return figures


# --- The day, by hour -------------------------------------------------------------------------


@dataclass
class HourFigures:
    hour: datetime  # the start of the clock hour, Asia/Shanghai
    checked_in: int = 0
    called: int = 0
    wait_total: timedelta | None = None
    served: int = 0

    @property
    def average_wait(self) -> timedelta | None:
        if not self.called or self.wait_total is None:
            return None
        return self.wait_total / self.called


def queue_by_hour(*, scope: StatsScope, department_id: int | None, now: datetime) -> list[HourFigures]:
    """Every clock hour of today from the first check-in to now: visitors checked in (and the
    average wait of those of them called), and visitors served (finished in that hour, any
    outcome but "left"). Empty when nobody came. Two queries."""
    visits = todays_visits(scope=scope, department_id=department_id, now=now)
    arrivals = (
        visits.alias(first_called=_first_called())
        .annotate(hour=TruncHour("checked_in_at", tzinfo=SHANGHAI))
        .values("hour")
        .annotate(
            n=Count("pk"),
            called=Count("pk", filter=CALLED),
            wait_total=Sum(_WAITED),
        )
        .order_by()
    )
    hours: dict[datetime, HourFigures] = {}
    for row in arrivals:
        hours[row["hour"]] = HourFigures(
            hour=row["hour"], checked_in=row["n"], called=row["called"], wait_total=row["wait_total"]
        )
    if not hours:
        return []
    served = (
        visits.filter(SERVED)
        .annotate(hour=TruncHour("finished_at", tzinfo=SHANGHAI))
        .values("hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in served:
        hours.setdefault(row["hour"], HourFigures(hour=row["hour"])).served = row["n"]
    first = min(hours).astimezone(SHANGHAI)
    last = max(max(hours).astimezone(SHANGHAI), now.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0))
    by_local = {hour.astimezone(SHANGHAI): figures for hour, figures in hours.items()}
    result, hour = [], first
    while hour <= last:
        result.append(by_local.get(hour, HourFigures(hour=hour)))
        hour += timedelta(hours=1)
    return result


# --- Counter staff -----------------------------------------------------------------------------


@dataclass
class StaffNow:
    available: list[tuple[str, str]] = field(default_factory=list)  # (name, counter)
    with_visitor: list[tuple[str, str]] = field(default_factory=list)
    marked_busy: list[tuple[str, str]] = field(default_factory=list)


def counter_staff(*, scope: StatsScope, department_id: int | None, now: datetime) -> StaffNow:
    """Who serves walk-ins now, by the staff member's own department. One query.

    - with a visitor: has called a visitor or is serving one, not yet finished (whatever their
      presence says: calling a visitor marks them busy);
    - available: marked available at the counter and not with a visitor, the rule the wait
      alert uses to name a colleague (services.available_colleague);
    - marked busy: marked not available today and not with a visitor. Someone who last said
      "busy" before today is not at the counter today and is not listed."""
    User = get_user_model()
    busy = Visit.objects.filter(staff=OuterRef("pk"), state__in=WITH_STAFF)
    users = scope.narrow(User.objects.filter(is_active=True, staff__isnull=False), field="staff__department")
    if department_id is not None:
        users = users.filter(staff__department=department_id)
    rows = (
        users.annotate(with_visitor=Exists(busy))
        .filter(
            Q(with_visitor=True)
            | Q(presence__is_available=True)
            | Q(presence__updated_at__gte=day_start(queue_date_of(now)))
        )
        .values("username", "first_name", "last_name", "with_visitor", "presence__is_available", "presence__counter")
        .order_by("presence__counter", "first_name", "username")
    )
    staff = StaffNow()
    for row in rows:
        name = f"{row['first_name']}{row['last_name']}".strip() or row["username"]
        entry = (name, row["presence__counter"] or "")
        if row["with_visitor"]:
            staff.with_visitor.append(entry)
        elif row["presence__is_available"]:
            staff.available.append(entry)
        else:
            staff.marked_busy.append(entry)
    return staff


# --- Unacknowledged escalations ----------------------------------------------------------------


@dataclass
class Escalation:
    """One call waiting for its acknowledgement.

    kind "ladder": the escalation ladder (S5) called in level 1 (the CS supervisors) or 2 (the
    office managers), by the sweep ("sla": not yet clear in time) or at the customer's request
    ("customer", 服务上移), and nobody of that level has acknowledged. `called` are the people
    told; `since` the call-in.
    kind "host": the person visited (V3) was told at check-in and has not acknowledged;
    `called` is them, `since` the check-in; `fallback` the contacts told when their time ran
    out (HOST_ACK breached), `fallback_at` when."""

    kind: str
    visit_id: int
    queue_number: str
    visitor_name: str
    reference: str
    level: int
    source: str
    called: list[str]
    since: datetime
    fallback: list[str] = field(default_factory=list)
    fallback_at: datetime | None = None


LADDER_WAITING = Q(ladder_level__gt=0, ladder_acknowledged_at__isnull=True)
HOST_WAITING = Q(host__isnull=False, host_acknowledged_at__isnull=True)


def _last_event(type_: str, value: str) -> Subquery:
    events = TicketEvent.objects.filter(ticket=OuterRef("ticket_id"), type=type_)
    return Subquery(events.order_by("-created_at", "-id").values(value)[:1])


def unacknowledged_escalations(*, scope: StatsScope, department_id: int | None, now: datetime) -> list[Escalation]:
    """Today's unfinished visits with a call-in not acknowledged (ladder_level > 0 and no
    ladder_acknowledged_at) or a person visited who has not acknowledged (host set and no
    host_acknowledged_at): the same rule as the staff console's lists. Oldest first. Two
    queries (one when there are none)."""
    visits = list(
        todays_visits(scope=scope, department_id=department_id, now=now)
        .exclude(state=State.FINISHED)
        .filter(LADDER_WAITING | HOST_WAITING)
        .annotate(
            ladder_called_at=_last_event(Event.LADDER_CALLED, "created_at"),
            ladder_data=_last_event(Event.LADDER_CALLED, "data"),
            fallback_at=_last_event(Event.HOST_FALLBACK, "created_at"),
            fallback_data=_last_event(Event.HOST_FALLBACK, "data"),
        )
        .select_related("ticket", "host")
        .only(
            "line",
            "number",
            "visitor_name",
            "checked_in_at",
            "ladder_level",
            "ladder_acknowledged_at",
            "host_acknowledged_at",
            "ticket__reference",
            "host__username",
            "host__first_name",
            "host__last_name",
        )
        .order_by("checked_in_at", "id")
    )
    if not visits:
        return []

    def ids(data, key) -> list[int]:
        return [pk for pk in ((data or {}).get(key) or []) if isinstance(pk, int)]

    wanted = set()
    for visit in visits:
        wanted.update(ids(visit.ladder_data, "called"), ids(visit.fallback_data, "notified"))
    User = get_user_model()
    names = {
        user.pk: user.get_full_name() or user.get_username()
        for user in User.objects.filter(pk__in=wanted).only("username", "first_name", "last_name")
    }
    rows = []
    for visit in visits:
        common = {
            "visit_id": visit.pk,
            "queue_number": visit.queue_number,
            "visitor_name": visit.visitor_name,
            "reference": visit.ticket.reference,
        }
        if visit.ladder_level and visit.ladder_acknowledged_at is None:
            data = visit.ladder_data or {}
            rows.append(
                Escalation(
                    kind="ladder",
                    level=visit.ladder_level,
                    source=data.get("source", ""),
                    called=[names[pk] for pk in ids(data, "called") if pk in names],
                    since=visit.ladder_called_at or visit.checked_in_at,
                    **common,
                )
            )
        if visit.host_id and visit.host_acknowledged_at is None:
            fallback_at = visit.fallback_at
            rows.append(
                Escalation(
                    kind="host",
                    level=0,
                    source="",
                    called=[visit.host.get_full_name() or visit.host.get_username()],
                    since=visit.checked_in_at,
                    fallback=[names[pk] for pk in ids(visit.fallback_data, "notified") if pk in names],
                    fallback_at=fallback_at,
                    **common,
                )
            )
    rows.sort(key=lambda row: (row.since, row.visit_id, row.kind))
    return rows
