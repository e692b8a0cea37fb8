"""Reads for reception, the staff console and the lobby board: each a fixed number of queries
however long the queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from tickets.models import StaffProfile, Ticket
from visits.models import CounterPresence, Line, Visit
from visits.services import LADDER_ROLES, may_acknowledge_ladder, queue_date_of

State = Visit.State
BOARD_SERVING_LIMIT = 8
BOARD_WAITING_LIMIT = 24
RELATED = ("ticket", "host", "staff", "suggested_staff")


def mask_name(name: str) -> str:
    """What the lobby may see of a name: the surname, then 先生/女士 kept, else a star (张*)."""
    name = (name or "").strip()
    if not name:
        return "*"
    for title in ("先生", "女士", "小姐"):
        if name.endswith(title) and len(name) > len(title):
            return name[0] + "*" + title
    return name[0] + "*"


def waited_minutes(visit: Visit, now: datetime) -> int:
    return max(int((now - visit.checked_in_at).total_seconds() // 60), 0)


@dataclass(frozen=True)
class BoardRow:
    number: str
    name: str
    counter: str
    minutes: int
    is_urgent: bool


@dataclass(frozen=True)
class Board:
    serving: list[BoardRow]
    waiting: list[BoardRow]
    waiting_total: int


def lobby_board(*, now: datetime) -> Board:
    """Now serving (number and counter) and the waiting numbers with their wait: one query."""
    rows = list(
        Visit.objects.filter(queue_date=queue_date_of(now))
        .exclude(state=State.FINISHED)
        .only("line", "number", "visitor_name", "counter", "state", "is_urgent", "checked_in_at", "called_at")
        .order_by("-is_urgent", "checked_in_at", "id")
    )
    serving = sorted((v for v in rows if v.state != State.WAITING), key=lambda v: v.called_at or now, reverse=True)
    waiting = [v for v in rows if v.state == State.WAITING]

    def row(visit: Visit) -> BoardRow:
        return BoardRow(
            number=visit.queue_number,
            name=mask_name(visit.visitor_name),
            counter=visit.counter,
            minutes=waited_minutes(visit, now),
            is_urgent=visit.is_urgent,
        )

    return Board(
        serving=[row(v) for v in serving[:BOARD_SERVING_LIMIT]],
        waiting=[row(v) for v in waiting[:BOARD_WAITING_LIMIT]],
        waiting_total=len(waiting),
    )


@dataclass
class QueueView:
    """Today's open visits as the consoles show them."""

    waiting: list[Visit] = field(default_factory=list)
    with_staff: list[Visit] = field(default_factory=list)
    alerts: list[Visit] = field(default_factory=list)
    unacknowledged_hosts: list[Visit] = field(default_factory=list)
    ladder_calls: list[Visit] = field(default_factory=list)
    mine: list[Visit] = field(default_factory=list)
    waiting_by_line: dict[str, int] = field(default_factory=dict)
    finished_today: int = 0


def queue_view(*, user, now: datetime) -> QueueView:
    """Waiting visitors in calling order (with their wait), visitors with staff, the open wait
    alerts, people visited who have not answered, call-ins for this user, and this user's own
    visitors: two queries."""
    today = queue_date_of(now)
    rows = list(
        Visit.objects.filter(queue_date=today)
        .exclude(state=State.FINISHED)
        .select_related(*RELATED)
        .order_by("-is_urgent", "checked_in_at", "id")
    )
    view = QueueView()
    for visit in rows:
        visit.waited = waited_minutes(visit, now)
        if visit.state == State.WAITING:
            view.waiting.append(visit)
            view.waiting_by_line[visit.line] = view.waiting_by_line.get(visit.line, 0) + 1
            if visit.wait_alert_at is not None:
                view.alerts.append(visit)
        else:
            view.with_staff.append(visit)
        if visit.staff_id == user.pk:
            view.mine.append(visit)
        if visit.host_id and visit.host_acknowledged_at is None:
            view.unacknowledged_hosts.append(visit)
        if visit.ladder_level and visit.ladder_acknowledged_at is None and may_acknowledge_ladder(user, visit):
            view.ladder_calls.append(visit)
    view.finished_today = Visit.objects.filter(queue_date=today, state=State.FINISHED).count()
    return view


def line_choices() -> list[tuple[str, str]]:
    return [(line.value, f"{line.value} · {line.label}") for line in Line]


def staff_on_duty() -> QuerySet[CounterPresence]:
    return (
        CounterPresence.objects.filter(user__is_active=True).select_related("user").order_by("-is_available", "counter")
    )


def presence_of(user) -> CounterPresence | None:
    return CounterPresence.objects.filter(user=user).first()


def visit_get_for_user(*, user, pk: int) -> Visit | None:
    """A visit this user may act on: its ticket is visible to them, or they are the person
    visited, the one serving, the colleague an alert named, or of a role a call-in reaches."""
    profile = getattr(user, "staff", None)
    if profile is None:
        return None
    visit = Visit.objects.select_related(*RELATED).filter(pk=pk).first()
    if visit is None:
        return None
    if user.pk in (visit.host_id, visit.staff_id, visit.suggested_staff_id):
        return visit
    if visit.ladder_level and profile.role in LADDER_ROLES.values():
        return visit
    if Ticket.objects.visible_to(user).filter(pk=visit.ticket_id).exists():
        return visit
    return None


def may_use_reception(user) -> bool:
    profile = getattr(user, "staff", None)
    return user.is_superuser or (profile is not None and profile.role != StaffProfile.Role.FINANCE)
