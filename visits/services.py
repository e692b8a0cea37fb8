"""Walk-in visits: reception, the queue, the staff console and the 3-minute rules (V1–V3, S4, S5).

A visit is a ticket of kind `visit` with a Visit row beside it. Every step records one event on
the ticket. The timers are Foundation deadline rows acted on by the SLA sweep (every few
seconds), each kind with its handler here:
- VISIT_WAIT: a visitor not called 3 minutes after check-in raises the wait alert (an urgent
  visitor raises it at check-in), naming an available colleague, or handing the visitor to them
  when SERVICEDESK["VISIT_WAIT_ALERT"] is "assign".
- VISIT_CLARIFY: the escalation ladder while serving: 3 minutes not clear → the CS supervisors
  are called in; 3 more → the office managers. Acknowledging a call-in stops the ladder; a
  customer's request (服务上移) calls in the next level at once.
- HOST_ACK: the person visited is told at check-in; without their acknowledgement in time, their
  department's fallback contact is told.
The sweep's SlaAction rows make each of these fire exactly once.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from tickets import deadlines as dl
from tickets import services as ticket_services
from tickets.exceptions import IllegalTransition, InvalidInput, check_choice
from tickets.models import Deadline, DeadlineKind, StaffProfile, Ticket, TicketEvent
from tickets.notifications import notification_create
from tickets.services import _clean_text, _now, _record, _staff_profile
from tickets.sla import SHANGHAI
from visits.models import PURPOSE_LINES, CounterPresence, HostFallback, Line, Purpose, QueueCounter, Visit

Event = TicketEvent.Type
Role = StaffProfile.Role
State = Visit.State

VISIT_CLOCKS = (DeadlineKind.VISIT_WAIT, DeadlineKind.VISIT_CLARIFY, DeadlineKind.HOST_ACK)
MAX_PARTY = 50
LADDER_ROLES = {1: Role.SUPERVISOR, 2: Role.OFFICE_MANAGER}
TOP_LADDER_LEVEL = max(LADDER_ROLES)


def wait_alert_mode() -> str:
    """ "suggest" (name a colleague) or "assign" (hand the visitor to them)."""
    mode = settings.SERVICEDESK.get("VISIT_WAIT_ALERT", "suggest")
    return mode if mode in ("suggest", "assign") else "suggest"


def queue_date_of(moment: datetime):
    return moment.astimezone(SHANGHAI).date()


# --- Reception -----------------------------------------------------------------------------


def _active_staff(user, *, field: str, label: str):
    if user is None:
        return None
    profile = getattr(user, "staff", None)
    if not user.is_active or profile is None:
        raise InvalidInput(
            _("%(label)s %(name)s is not active staff.") % {"label": label, "name": user.get_username()}, field=field
        )
    return user


def _next_number(queue_date, line: str) -> int:
    counter, _created = QueueCounter.objects.get_or_create(queue_date=queue_date, line=line)
    counter = QueueCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def visit_check_in(
    *,
    actor,
    visitor_name: str,
    purpose: str,
    visitor_phone: str = "",
    party_size: int = 1,
    is_urgent: bool = False,
    host=None,
    note: str = "",
    category=None,
    now: datetime | None = None,
) -> Visit:
    """Check a visitor in: a visit ticket, a queue number on the purpose's line (numbered from 1
    each day), the 3-minute wait clock (an urgent visitor: the alert at once), and the person
    visited told at once (V1, V2, V3, S4). `category` is the reason for the visit (T4)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    visitor_name = _clean_text("visitor_name", visitor_name, _("The visitor's name"), max_length=100, required=True)
    visitor_phone = _clean_text("visitor_phone", visitor_phone, _("The phone number"), max_length=30)
    if visitor_phone and not all(char.isdigit() or char in " -+()" for char in visitor_phone):
        raise InvalidInput(_("Enter the phone number in digits, for example 13800138000."), field="visitor_phone")
    purpose = check_choice("purpose", purpose, Purpose)
    try:
        party_size = int(party_size)
    except (TypeError, ValueError):
        party_size = 0
    if not 1 <= party_size <= MAX_PARTY:
        raise InvalidInput(_("The party size must be between 1 and %(max)s.") % {"max": MAX_PARTY}, field="party_size")
    host = _active_staff(host, field="host", label=_("Person visited"))
    if purpose == Purpose.MEET and host is None:
        raise InvalidInput(_("Choose the person the visitor has come to meet."), field="host")
    note = _clean_text("note", note, _("The note"), max_length=500)

    line = PURPOSE_LINES[purpose]
    queue_date = queue_date_of(now)
    number = _next_number(queue_date, line)
    queue_number = f"{line}{number:03d}"
    purpose_label = str(Purpose(purpose).label)
    subject = _("%(purpose)s: %(name)s") % {"purpose": purpose_label, "name": visitor_name}
    if host is not None:
        subject = _("%(purpose)s: %(name)s to see %(host)s") % {
            "purpose": purpose_label,
            "name": visitor_name,
            "host": host.get_full_name() or host.get_username(),
        }
    description = _("Queue number %(number)s, party of %(size)s.") % {"number": queue_number, "size": party_size}
    if note:
        description = f"{description}\n{note}"
    ticket = ticket_services.ticket_create(
        actor=actor,
        kind=Ticket.Kind.VISIT,
        channel=Ticket.Channel.WALK_IN,
        subject=subject,
        description=description,
        contact_name=visitor_name,
        contact_phone=visitor_phone,
        priority=Ticket.Priority.URGENT if is_urgent else Ticket.Priority.NORMAL,
        category=category,
        now=now,
    )
    visit = Visit.objects.create(
        ticket=ticket,
        line=line,
        queue_date=queue_date,
        number=number,
        visitor_name=visitor_name,
        visitor_phone=visitor_phone,
        purpose=purpose,
        party_size=party_size,
        is_urgent=is_urgent,
        host=host,
        checked_in_at=now,
    )
    if host is not None:
        _notify_host(visit, now)
    if is_urgent:
        _wait_alert(visit, now)
    else:
        dl.deadline_start(ticket=ticket, kind=DeadlineKind.VISIT_WAIT, now=now)
    return visit


def _notify_host(visit: Visit, now: datetime) -> None:
    ticket, host = visit.ticket, visit.host
    text = _("%(number)s: %(name)s is at reception to see you (%(purpose)s). Please acknowledge.") % {
        "number": visit.queue_number,
        "name": visit.visitor_name,
        "purpose": visit.get_purpose_display(),
    }
    if visit.is_urgent:
        text = _("URGENT ") + text
    notification_create(recipient=host, ticket=ticket, text=text, now=now)
    _record(
        ticket,
        type=Event.HOST_NOTIFIED,
        actor=None,
        actor_label="system",
        now=now,
        status_before=ticket.status,
        data={"host": host.pk, "queue_number": visit.queue_number},
    )
    dl.deadline_start(ticket=ticket, kind=DeadlineKind.HOST_ACK, now=now)


def host_fallback_for(host):
    """Whom to tell when `host` does not acknowledge: their department's fallback contact, else
    its head, else the CS supervisors."""
    profile = getattr(host, "staff", None)
    department = profile.department if profile is not None else None
    if department is not None:
        fallback = HostFallback.objects.select_related("contact").filter(department=department).first()
        if fallback is not None and fallback.contact.is_active and fallback.contact != host:
            return [fallback.contact]
        if department.head_id and department.head_id != host.pk and department.head.is_active:
            return [department.head]
    return [user for user in _users_with_role(Role.SUPERVISOR) if user != host]


def _users_with_role(role: str) -> list:
    User = get_user_model()
    return list(User.objects.filter(is_active=True, staff__role=role).order_by("id"))


def _lock_visit(visit: Visit) -> Visit:
    """The visit and its ticket, locked, read afresh (ticket first: the order every writer uses)."""
    Ticket.objects.select_for_update().filter(pk=visit.ticket_id).first()
    return Visit.objects.select_for_update(of=("self",)).select_related("ticket", "host", "staff").get(pk=visit.pk)


def _require_state(visit: Visit, states: set[str], action: str) -> None:
    if visit.state not in states:
        raise IllegalTransition(
            _("Visitor %(number)s is “%(state)s”: you cannot %(action)s.")
            % {"number": visit.queue_number, "state": visit.get_state_display(), "action": action}
        )


@transaction.atomic
def visit_host_acknowledge(*, visit: Visit, actor, now: datetime | None = None) -> Visit:
    """The person visited (or whoever was told in their place) has seen the visitor's arrival."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    visit = _lock_visit(visit)
    if visit.host_id is None:
        raise IllegalTransition(_("Visitor %(number)s is not here to see anyone.") % {"number": visit.queue_number})
    if visit.host_acknowledged_at is not None:
        raise IllegalTransition(_("The visit of %(number)s was already acknowledged.") % {"number": visit.queue_number})
    visit.host_acknowledged_at = now
    visit.save(update_fields=["host_acknowledged_at"])
    dl.deadlines_meet(ticket=visit.ticket, kinds=(DeadlineKind.HOST_ACK,), now=now)
    _record(visit.ticket, type=Event.HOST_ACKNOWLEDGED, actor=actor, now=now, status_before=visit.ticket.status)
    return visit


# --- Presence and the queue ----------------------------------------------------------------


@transaction.atomic
def presence_set(*, user, is_available: bool, counter: str = "", now: datetime | None = None) -> CounterPresence:
    """A member of staff says they are free to serve (at a counter) or busy."""
    now = _now(now)
    _staff_profile(user, field="user")
    counter = _clean_text("counter", counter, _("The counter"), max_length=30)
    presence, _created = CounterPresence.objects.select_for_update().get_or_create(
        user=user, defaults={"updated_at": now}
    )
    presence.is_available = bool(is_available)
    if counter:
        presence.counter = counter
    presence.updated_at = now
    presence.save()
    return presence


def _counter_of(user) -> str:
    presence = CounterPresence.objects.filter(user=user).first()
    return presence.counter if presence is not None else ""


def _set_busy(user, now: datetime, *, busy: bool) -> None:
    CounterPresence.objects.filter(user=user).update(is_available=not busy, updated_at=now)


def _call(visit: Visit, actor, now: datetime) -> Visit:
    visit.state = State.CALLED
    visit.staff = actor
    visit.counter = _counter_of(actor)
    visit.called_at = now
    visit.save(update_fields=["state", "staff", "counter", "called_at"])
    ticket = visit.ticket
    dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.VISIT_WAIT,), now=now)
    _record(
        ticket,
        type=Event.VISIT_CALLED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        data={"queue_number": visit.queue_number, "counter": visit.counter},
    )
    if visit.wait_alert_at is not None:
        _record(
            ticket,
            type=Event.TAKEN_OVER,
            actor=actor,
            now=now,
            status_before=ticket.status,
            data={"staff": actor.pk, "suggested": visit.suggested_staff_id},
        )
    _set_busy(actor, now, busy=True)
    return visit


def waiting_queue(queue_date, lines: list[str] | None = None):
    """Today's waiting visitors in calling order: urgent first, then first come first served."""
    rows = Visit.objects.filter(queue_date=queue_date, state=State.WAITING)
    if lines:
        rows = rows.filter(line__in=lines)
    return rows.order_by("-is_urgent", "checked_in_at", "id")


@transaction.atomic
def visit_call_next(*, actor, lines: list[str] | None = None, now: datetime | None = None) -> Visit | None:
    """Call the next visitor on these lines (all lines by default); None when nobody waits.

    Callers take turns (they lock today's queue counters, a moment each), so two staff calling
    at once never get the same visitor; the visitor's ticket and visit are then locked in the
    order every writer uses (ticket, then visit), waiting for a sweep that holds them rather
    than skipping a visitor who is there."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    for line in lines or ():
        check_choice("line", line, Line)
    today = queue_date_of(now)
    list(QueueCounter.objects.select_for_update().filter(queue_date=today).order_by("line"))
    while True:
        candidate = waiting_queue(today, lines).first()
        if candidate is None:
            return None
        visit = _lock_visit(candidate)
        if visit.state == State.WAITING:  # not taken over by a colleague in the meantime
            return _call(visit, actor, now)


@transaction.atomic
def visit_call(*, visit: Visit, actor, now: datetime | None = None) -> Visit:
    """Call one waiting visitor: the colleague named by a wait alert takes them over."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    visit = _lock_visit(visit)
    _require_state(visit, {State.WAITING}, _("call them"))
    return _call(visit, actor, now)


@transaction.atomic
def visit_start_serving(*, visit: Visit, actor, now: datetime | None = None) -> Visit:
    """Service starts: the "not yet clear" clock of the escalation ladder starts with it (S5)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    visit = _lock_visit(visit)
    _require_state(visit, {State.CALLED}, _("start serving them"))
    if visit.staff_id != actor.pk:
        raise IllegalTransition(
            _("Visitor %(number)s was called by %(name)s; transfer them first.")
            % {"number": visit.queue_number, "name": visit.staff.get_full_name() or visit.staff.get_username()}
        )
    visit.state = State.SERVING
    visit.serving_started_at = now
    visit.save(update_fields=["state", "serving_started_at"])
    dl.deadlines_meet(ticket=visit.ticket, kinds=(DeadlineKind.VISIT_WAIT,), now=now)
    if visit.ladder_acknowledged_at is None and visit.ladder_level < TOP_LADDER_LEVEL:
        dl.deadlines_cancel(ticket=visit.ticket, now=now, kinds=(DeadlineKind.VISIT_CLARIFY,))
        dl.deadline_start(
            ticket=visit.ticket, kind=DeadlineKind.VISIT_CLARIFY, now=now, escalation_level=visit.ladder_level
        )
    _record(
        visit.ticket,
        type=Event.VISIT_SERVING,
        actor=actor,
        now=now,
        status_before=visit.ticket.status,
        data={"queue_number": visit.queue_number},
    )
    return visit


@transaction.atomic
def visit_transfer(*, visit: Visit, actor, to_user, note: str = "", now: datetime | None = None) -> Visit:
    """Hand the visitor to a colleague, who is told at once and calls them."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    to_user = _active_staff(to_user, field="to_user", label=_("Colleague"))
    if to_user is None:
        raise InvalidInput(_("Choose the colleague who takes the visitor over."), field="to_user")
    note = _clean_text("note", note, _("The note"), max_length=500)
    visit = _lock_visit(visit)
    _require_state(visit, {State.WAITING, State.CALLED, State.SERVING}, _("transfer them"))
    if visit.staff_id == to_user.pk:
        raise InvalidInput(_("%(name)s is already serving this visitor.") % {"name": _name(to_user)}, field="to_user")
    previous = visit.staff
    visit.state = State.CALLED
    visit.staff = to_user
    visit.counter = _counter_of(to_user)
    visit.called_at = now
    visit.save(update_fields=["state", "staff", "counter", "called_at"])
    dl.deadlines_meet(ticket=visit.ticket, kinds=(DeadlineKind.VISIT_WAIT,), now=now)
    dl.deadlines_cancel(ticket=visit.ticket, now=now, kinds=(DeadlineKind.VISIT_CLARIFY,))
    if previous is not None:
        _set_busy(previous, now, busy=False)
    _set_busy(to_user, now, busy=True)
    _record(
        visit.ticket,
        type=Event.VISIT_TRANSFERRED,
        actor=actor,
        now=now,
        status_before=visit.ticket.status,
        note=note,
        data={"to": to_user.pk, "from": previous.pk if previous else None, "queue_number": visit.queue_number},
    )
    notification_create(
        recipient=to_user,
        ticket=visit.ticket,
        now=now,
        text=_("%(number)s (%(name)s) was transferred to you by %(by)s: please take the visitor over.")
        % {"number": visit.queue_number, "name": visit.visitor_name, "by": _name(actor)},
    )
    return visit


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def visit_finish(*, visit: Visit, actor, outcome: str, note: str = "", now: datetime | None = None) -> Visit:
    """The visit ends with an outcome. Served, message taken, or left: the visit ticket is
    resolved at first contact (unless it was handed on); transferred: the ticket stays open."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    outcome = check_choice("outcome", outcome, Visit.Outcome)
    note = _clean_text("note", note, _("The note"), max_length=500)
    visit = _lock_visit(visit)
    _require_state(visit, {State.WAITING, State.CALLED, State.SERVING}, _("finish the visit"))
    if outcome != Visit.Outcome.LEFT and visit.state == State.WAITING:
        raise IllegalTransition(
            _("Visitor %(number)s has not been called yet: call them, or record that they left.")
            % {"number": visit.queue_number}
        )
    visit.state = State.FINISHED
    visit.outcome = outcome
    visit.finished_at = now
    visit.save(update_fields=["state", "outcome", "finished_at"])
    ticket = visit.ticket
    dl.deadlines_cancel(ticket=ticket, now=now, kinds=VISIT_CLOCKS)
    if visit.staff_id is not None:
        _set_busy(visit.staff, now, busy=False)
    _record(
        ticket,
        type=Event.VISIT_FINISHED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=note,
        data={"outcome": outcome, "queue_number": visit.queue_number},
    )
    ticket.refresh_from_db()
    if outcome != Visit.Outcome.TRANSFERRED and ticket.status == Ticket.Status.OPEN and ticket.handed_off_at is None:
        ticket_services.ticket_resolve_first_contact(
            ticket=ticket, actor=actor, note=note or str(Visit.Outcome(outcome).label), now=now
        )
    return visit


# --- The 3-minute rules ----------------------------------------------------------------------


def available_colleague(*, exclude: set[int] = frozenset()):
    """Someone free to take a visitor over: marked available, not with a visitor now; the one
    free for longest first."""
    busy = Visit.objects.filter(state__in=(State.CALLED, State.SERVING)).values("staff_id")
    presence = (
        CounterPresence.objects.filter(is_available=True, user__is_active=True)
        .exclude(user_id__in=busy)
        .exclude(user_id__in=list(exclude))
        .select_related("user")
        .order_by("updated_at", "id")
        .first()
    )
    return presence.user if presence is not None else None


def _wait_alert(visit: Visit, now: datetime) -> str:
    """Raise the wait alert (S4): name an available colleague (or, in "assign" mode, give them
    the visitor); with nobody free, tell the supervisors."""
    ticket = visit.ticket
    colleague = available_colleague(exclude={visit.host_id} if visit.host_id else set())
    visit.wait_alert_at = now
    visit.suggested_staff = colleague
    visit.save(update_fields=["wait_alert_at", "suggested_staff"])
    waited = max(int((now - visit.checked_in_at).total_seconds() // 60), 0)
    data = {
        "queue_number": visit.queue_number,
        "reason": "urgent" if visit.is_urgent else "waited",
        "waited_minutes": waited,
        "colleague": colleague.pk if colleague else None,
        "mode": wait_alert_mode(),
    }
    _record(
        ticket, type=Event.WAIT_ALERT, actor=None, actor_label="sla", now=now, status_before=ticket.status, data=data
    )
    names = {"number": visit.queue_number, "name": visit.visitor_name, "minutes": waited}
    if colleague is None:
        if visit.is_urgent:
            text = _("%(number)s (%(name)s) is urgent and nobody is free: please help.") % names
        else:
            text = _("%(number)s (%(name)s) has waited %(minutes)s min and nobody is free: please help.") % names
        for supervisor in _users_with_role(Role.SUPERVISOR):
            notification_create(recipient=supervisor, ticket=ticket, text=text, now=now)
        return _("wait alert %(number)s: nobody free, supervisors told") % {"number": visit.queue_number}
    if visit.is_urgent:
        text = _("%(number)s (%(name)s) is urgent: please take the visitor over.") % names
    else:
        text = _("%(number)s (%(name)s) has waited %(minutes)s min: please take the visitor over.") % names
    notification_create(recipient=colleague, ticket=ticket, text=text, now=now)
    if wait_alert_mode() == "assign":
        _call(visit, colleague, now)
        return _("wait alert %(number)s: given to %(name)s") % {"number": visit.queue_number, "name": _name(colleague)}
    return _("wait alert %(number)s: %(name)s suggested") % {"number": visit.queue_number, "name": _name(colleague)}


def _visit_of(ticket: Ticket) -> Visit | None:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("ticket", "host", "staff")
        .filter(ticket=ticket)
        .first()
    )


def sla_wait_breached(*, ticket: Ticket, deadline: Deadline, now: datetime) -> str:
    """The 3-minute wait ran out (S4)."""
    visit = _visit_of(ticket)
    if visit is None or visit.state != State.WAITING:
        return _("nothing to do: the visitor was called")
    return _wait_alert(visit, now)


def _call_in(visit: Visit, level: int, now: datetime, *, source: str, reason: str = "") -> list:
    """Call in the ladder's `level`: the CS supervisors, then the office managers."""
    ticket = visit.ticket
    called = [user for user in _users_with_role(LADDER_ROLES[level]) if user.pk != visit.staff_id]
    visit.ladder_level = level
    visit.ladder_acknowledged_at = None
    visit.save(update_fields=["ladder_level", "ladder_acknowledged_at"])
    _record(
        ticket,
        type=Event.LADDER_CALLED,
        actor=None if source == "sla" else visit.staff,
        actor_label="sla" if source == "sla" else "",
        now=now,
        status_before=ticket.status,
        note=reason,
        data={"level": level, "source": source, "called": [user.pk for user in called]},
    )
    if source == "customer":
        text = _("%(number)s (%(name)s) asks for someone else (服务上移): please come to %(counter)s.")
    else:
        text = _("%(number)s (%(name)s): not yet clear after 3 minutes, please come to %(counter)s.")
    text = text % {
        "number": visit.queue_number,
        "name": visit.visitor_name,
        "counter": visit.counter or _("reception"),
    }
    for user in called:
        notification_create(recipient=user, ticket=ticket, text=text, now=now)
    dl.deadlines_cancel(ticket=ticket, now=now, kinds=(DeadlineKind.VISIT_CLARIFY,))
    if level < TOP_LADDER_LEVEL:
        dl.deadline_start(ticket=ticket, kind=DeadlineKind.VISIT_CLARIFY, now=now, escalation_level=level)
    return called


def sla_clarify_breached(*, ticket: Ticket, deadline: Deadline, now: datetime) -> str:
    """Not yet clear: the next rung of the ladder (S5)."""
    visit = _visit_of(ticket)
    if visit is None or visit.state != State.SERVING or visit.ladder_acknowledged_at is not None:
        return _("nothing to do: the visitor is no longer being served")
    level = min(visit.ladder_level + 1, TOP_LADDER_LEVEL)
    called = _call_in(visit, level, now, source="sla")
    return _("ladder %(number)s level %(level)s: called in %(names)s") % {
        "number": visit.queue_number,
        "level": level,
        "names": ", ".join(user.get_username() for user in called) or "-",
    }


def sla_host_ack_breached(*, ticket: Ticket, deadline: Deadline, now: datetime) -> str:
    """The person visited did not acknowledge in time: their fallback contact is told (V3)."""
    visit = _visit_of(ticket)
    if visit is None or visit.host_id is None or visit.host_acknowledged_at is not None:
        return _("nothing to do: acknowledged")
    if visit.state == State.FINISHED:
        return _("nothing to do: the visit is over")
    contacts = host_fallback_for(visit.host)
    text = _("%(number)s: %(name)s is waiting at reception for %(host)s, who has not answered. Please help.") % {
        "number": visit.queue_number,
        "name": visit.visitor_name,
        "host": _name(visit.host),
    }
    for contact in contacts:
        notification_create(recipient=contact, ticket=ticket, text=text, now=now)
    _record(
        ticket,
        type=Event.HOST_FALLBACK,
        actor=None,
        actor_label="sla",
        now=now,
        status_before=ticket.status,
        data={"host": visit.host_id, "notified": [user.pk for user in contacts]},
    )
    return _("%(number)s: fallback told (%(names)s)") % {
        "number": visit.queue_number,
        "names": ", ".join(user.get_username() for user in contacts) or "-",
    }


@transaction.atomic
def visit_escalate(*, visit: Visit, actor, reason: str = "", now: datetime | None = None) -> Visit:
    """The customer asks for someone else (服务上移): the next level is called in at once."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    reason = _clean_text("reason", reason, _("The reason"), max_length=500)
    visit = _lock_visit(visit)
    _require_state(visit, {State.WAITING, State.CALLED, State.SERVING}, _("escalate"))
    if visit.ladder_level >= TOP_LADDER_LEVEL and visit.ladder_acknowledged_at is None:
        raise IllegalTransition(
            _("The office manager has already been called in for %(number)s.") % {"number": visit.queue_number}
        )
    level = min(visit.ladder_level + 1, TOP_LADDER_LEVEL)
    _call_in(visit, level, now, source="customer", reason=reason)
    if visit.state != State.SERVING:
        # Nobody is serving yet: the ladder clock waits for the service to start.
        dl.deadlines_cancel(ticket=visit.ticket, now=now, kinds=(DeadlineKind.VISIT_CLARIFY,))
    return visit


def may_acknowledge_ladder(user, visit: Visit) -> bool:
    profile = getattr(user, "staff", None)
    if profile is None or visit.ladder_level == 0:
        return False
    allowed = {LADDER_ROLES[level] for level in LADDER_ROLES if level >= visit.ladder_level} | {Role.ADMIN}
    return profile.role in allowed


@transaction.atomic
def visit_ladder_acknowledge(*, visit: Visit, actor, now: datetime | None = None) -> Visit:
    """The person called in has come: the ladder stops."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    visit = _lock_visit(visit)
    if visit.ladder_level == 0 or visit.ladder_acknowledged_at is not None:
        raise IllegalTransition(_("Nobody is being called in for %(number)s.") % {"number": visit.queue_number})
    if not may_acknowledge_ladder(actor, visit):
        raise IllegalTransition(
            _("Only the %(role)s called in can acknowledge this.")
            % {"role": Role(LADDER_ROLES[visit.ladder_level]).label}
        )
    visit.ladder_acknowledged_at = now
    visit.save(update_fields=["ladder_acknowledged_at"])
    dl.deadlines_meet(ticket=visit.ticket, kinds=(DeadlineKind.VISIT_CLARIFY,), now=now)
    _record(
        visit.ticket,
        type=Event.LADDER_ACKNOWLEDGED,
        actor=actor,
        now=now,
        status_before=visit.ticket.status,
        data={"level": visit.ladder_level},
    )
    return visit


@transaction.atomic
def visit_mark_clear(*, visit: Visit, actor, now: datetime | None = None) -> Visit:
    """The question is clear: the "not yet clear" clock stops without calling anyone in."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    visit = _lock_visit(visit)
    _require_state(visit, {State.SERVING}, _("mark the question clear"))
    if not dl.deadline_has_live(ticket=visit.ticket, kind=DeadlineKind.VISIT_CLARIFY):
        raise IllegalTransition(_("No escalation clock runs for %(number)s.") % {"number": visit.queue_number})
    dl.deadlines_meet(ticket=visit.ticket, kinds=(DeadlineKind.VISIT_CLARIFY,), now=now)
    _record(
        visit.ticket,
        type=Event.NOTE,
        actor=actor,
        now=now,
        status_before=visit.ticket.status,
        note=_("Question made clear: escalation clock stopped."),
    )
    return visit


def register_sla_handlers() -> None:
    dl.deadline_kind_register(DeadlineKind.VISIT_WAIT, breach=sla_wait_breached)
    dl.deadline_kind_register(DeadlineKind.VISIT_CLARIFY, breach=sla_clarify_breached)
    dl.deadline_kind_register(DeadlineKind.HOST_ACK, breach=sla_host_ack_breached)
