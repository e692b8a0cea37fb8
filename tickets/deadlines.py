"""SLA deadlines: starting, meeting, pausing and recomputing timers, and the sweep.

Deadlines are rows (never long Celery countdowns). Each running row carries
`next_action_at`, the moment the sweep must next act on it (the warning, then the
breach); the sweep finds due rows through a partial index on that one column, locks them
with SKIP LOCKED and acts exactly once per (deadline, action, level).

Ticket services call the helpers here inside their own transaction with the ticket row
already locked. `sla_sweep` and `deadlines_recompute` are services of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tickets import notifications, sla, webhooks
from tickets.models import (
    Deadline,
    DeadlineKind,
    DurationUnit,
    SlaAction,
    SlaPolicy,
    Ticket,
    TicketEvent,
)

logger = logging.getLogger("tickets.sla")

# Built-in durations, used when no active policy row matches (S1, S2, S3).
DEFAULT_DURATIONS: dict[str, tuple[Decimal, str]] = {
    DeadlineKind.HANDOFF: (Decimal(2), DurationUnit.WORKING_HOURS),
    DeadlineKind.REPLY: (Decimal(2), DurationUnit.WORKING_DAYS),
    DeadlineKind.TEST_CALLBACK: (Decimal(24), DurationUnit.CLOCK_HOURS),
    # Counted from the courier's expected arrival, not from when the return is recorded (A5).
    DeadlineKind.RECEIPT_CALLBACK: (Decimal(1), DurationUnit.WORKING_DAYS),
    # Walk-in visits (S4, S5, V3, V4, S7): an SlaPolicy row changes any of them.
    DeadlineKind.VISIT_WAIT: (Decimal(3), DurationUnit.CLOCK_MINUTES),
    DeadlineKind.VISIT_CLARIFY: (Decimal(3), DurationUnit.CLOCK_MINUTES),
    DeadlineKind.HOST_ACK: (Decimal(5), DurationUnit.CLOCK_MINUTES),
    DeadlineKind.REPAIR_ARRIVAL: (Decimal(30), DurationUnit.CLOCK_MINUTES),
    DeadlineKind.INCIDENT_REPORT: (Decimal(2), DurationUnit.WORKING_DAYS),
    DeadlineKind.INVOICE_DELIVERY: (Decimal(3), DurationUnit.WORKING_DAYS),
    # "We will reply within XX hours" (S6): the hours are chosen at acceptance; this is the default.
    DeadlineKind.COMPLAINT_PROMISE: (Decimal(24), DurationUnit.CLOCK_HOURS),
}
WORKING_UNITS = frozenset({DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS})


# --- What the sweep does for a kind that another app owns ----------------------------------


@dataclass(frozen=True)
class KindHandler:
    """What happens when a deadline of one kind is due (`breach`) or near (`warn`; None: the
    kind has no warning, its timer goes straight to the breach). Each is called inside the
    sweep's transaction, with the deadline and its ticket locked, as
    `handler(ticket=, deadline=, now=)`; `breach` returns a line saying what it did."""

    breach: Callable[..., str]
    warn: Callable[..., None] | None = None


_KIND_HANDLERS: dict[str, KindHandler] = {}


def deadline_kind_register(kind: str, *, breach: Callable[..., str], warn: Callable[..., None] | None = None) -> None:
    """Let an app own what the sweep does for `kind` (called from its AppConfig.ready)."""
    _KIND_HANDLERS[kind] = KindHandler(breach=breach, warn=warn)


def kind_handler(kind: str) -> KindHandler | None:
    return _KIND_HANDLERS.get(kind)


def _default_warn_ratio() -> Decimal:
    return Decimal(str(settings.SERVICEDESK["SLA_WARN_RATIO"]))


def policy_for(*, ticket: Ticket, kind: str) -> SlaPolicy | None:
    """The most specific active policy for this ticket and deadline kind, if any.

    Specificity: a category match outranks a priority match, which outranks a ticket-kind
    match; a blank field matches anything.
    """
    # The few active policies of the kind, matched here: the same rule as the SQL conditions it
    # replaces, without compiling them on every ticket created.
    candidates = [
        policy
        for policy in SlaPolicy.objects.filter(deadline_kind=kind, is_active=True)
        if policy.ticket_kind in ("", ticket.kind)
        and (policy.category_id is None or policy.category_id == ticket.category_id)
        and policy.priority in ("", ticket.priority)
    ]

    def rank(policy: SlaPolicy) -> tuple[int, int]:
        score = (4 if policy.category_id else 0) + (2 if policy.priority else 0) + (1 if policy.ticket_kind else 0)
        return score, -policy.pk

    return max(candidates, key=rank, default=None)


# --- Arithmetic on one row ----------------------------------------------------------------


def _is_working(unit: str) -> bool:
    return unit in WORKING_UNITS


def _fresh_due(start: datetime, amount: Decimal, unit: str, calendar: sla.BusinessCalendar) -> datetime:
    if unit == DurationUnit.WORKING_HOURS:
        return sla.add_working_hours(start, amount, calendar)
    if unit == DurationUnit.WORKING_DAYS:
        return sla.add_working_days(start, int(amount), calendar)
    if unit == DurationUnit.CLOCK_HOURS:
        return start + timedelta(hours=float(amount))
    return start + timedelta(minutes=float(amount))


def _elapsed(start: datetime, end: datetime, unit: str, calendar: sla.BusinessCalendar) -> timedelta:
    if _is_working(unit):
        return sla.working_time_between(start, end, calendar)
    return max(end - start, timedelta(0))


def _advance(start: datetime, amount: timedelta, unit: str, calendar: sla.BusinessCalendar) -> datetime:
    if _is_working(unit):
        return sla.add_working_time(start, max(amount, timedelta(0)), calendar)
    return start + max(amount, timedelta(0))


def _schedule(deadline: Deadline, calendar: sla.BusinessCalendar) -> None:
    """Set due_at, warn_at, is_provisional and next_action_at of a running deadline."""
    if deadline.remaining is None:
        deadline.due_at = _fresh_due(deadline.anchor_at, deadline.amount, deadline.unit, calendar)
        deadline.window = _elapsed(deadline.anchor_at, deadline.due_at, deadline.unit, calendar)
        remaining = deadline.window
    else:
        remaining = deadline.remaining
        deadline.due_at = _advance(deadline.anchor_at, remaining, deadline.unit, calendar)
    consumed = deadline.window - remaining
    warn_after = deadline.window * float(deadline.warn_ratio) - consumed
    deadline.warn_at = _advance(deadline.anchor_at, warn_after, deadline.unit, calendar)
    deadline.is_provisional = _is_working(deadline.unit) and calendar.is_provisional_between(
        deadline.anchor_at, deadline.due_at
    )
    deadline.next_action_at = _next_action_at(deadline)


def _next_action_at(deadline: Deadline) -> datetime | None:
    if deadline.state != Deadline.State.RUNNING:
        return None
    if deadline.warned_at is None and deadline.breached_at is None:
        return deadline.warn_at
    if deadline.breached_at is None:
        return deadline.due_at
    return None


# --- Helpers for ticket services (caller holds the ticket lock) ----------------------------


def deadline_start(
    *,
    ticket: Ticket,
    kind: str,
    now: datetime,
    calendar: sla.BusinessCalendar | None = None,
    anchor_at: datetime | None = None,
    duration: tuple[Decimal, str] | None = None,
    escalation_level: int = 0,
) -> Deadline:
    """Start a timer of `kind` for the ticket now, with the matching policy's duration.

    `anchor_at` (default: now) counts the window from another moment, e.g. the end of a
    courier's expected arrival day (A5). An anchored working-time window is kept as working
    time from the anchor, so it ends at the close of business of its last working day, not at
    the next day's opening (the same working instant), also after a recompute.
    `duration` (amount, DurationUnit) is a window agreed with the customer (a promised repair
    visit), used instead of any policy. `escalation_level` starts a later rung of a ladder: its
    breach is that level plus one. A kind registered without a warning has none.
    """
    calendar = calendar or sla_calendar()
    policy = None if duration is not None else policy_for(ticket=ticket, kind=kind)
    if policy is not None:
        amount, unit = policy.amount, policy.unit
        warn_ratio = policy.warn_ratio or _default_warn_ratio()
    else:
        amount, unit = duration or DEFAULT_DURATIONS[kind]
        warn_ratio = _default_warn_ratio()
    handler = kind_handler(kind)
    if handler is not None and handler.warn is None:
        warn_ratio = Decimal(1)  # the warning falls on the due time: the sweep acts once, at the breach
    deadline = Deadline(
        ticket=ticket,
        kind=kind,
        policy=policy,
        amount=amount,
        unit=unit,
        warn_ratio=warn_ratio,
        started_at=now,
        anchor_at=now if anchor_at is None else anchor_at,
        window=timedelta(0),
        escalation_level=escalation_level,
    )
    _schedule(deadline, calendar)
    if anchor_at is not None and _is_working(unit):
        deadline.remaining = deadline.window
        _schedule(deadline, calendar)
    deadline.save()
    return deadline


def _live(ticket: Ticket, kinds: tuple[str, ...] | None = None):
    rows = Deadline.objects.filter(ticket=ticket).live()
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    return list(rows.select_for_update())


def deadline_has_live(*, ticket: Ticket, kind: str) -> bool:
    return Deadline.objects.filter(ticket=ticket, kind=kind).live().exists()


def _used(deadline: Deadline, now: datetime) -> timedelta | None:
    """The (working) time a deadline used until `now`, paused time excluded: what the
    compliance statistics rank (median, 90th percentile)."""
    if deadline.state == Deadline.State.PAUSED and deadline.remaining is not None:
        return max(deadline.window - deadline.remaining, timedelta(0))
    if deadline.due_at is None:
        return None
    calendar = sla_calendar() if _is_working(deadline.unit) else None
    if now <= deadline.due_at:
        return max(deadline.window - _elapsed(now, deadline.due_at, deadline.unit, calendar), timedelta(0))
    return deadline.window + _elapsed(deadline.due_at, now, deadline.unit, calendar)


def _stop(ticket: Ticket, kinds: tuple[str, ...] | None, *, state: str, stamp: str, now: datetime) -> list[Deadline]:
    stopped = _live(ticket, kinds)
    for deadline in stopped:
        fields = ["state", stamp, "next_action_at"]
        if state == Deadline.State.MET:
            deadline.used = _used(deadline, now)
            fields.append("used")
            if deadline.settled_at is None:
                _settle(deadline, ticket, now)
                fields += ["settled_at", "department"]
        deadline.state = state
        setattr(deadline, stamp, now)
        deadline.next_action_at = None
        deadline.save(update_fields=fields)
    return stopped


def _settle(deadline: Deadline, ticket: Ticket, now: datetime) -> None:
    """The outcome is known: the deadline counts from now on, on this day, against the ticket's
    department at this moment (tickets.selectors_sla), both recorded once and never changed."""
    deadline.settled_at = now
    deadline.department_id = ticket.department_id


def _reschedule(deadline: Deadline, calendar: sla.BusinessCalendar, changed_days: set) -> None:
    """_schedule, noting the settling day of a deadline already settled (breached, still
    running) whose provisional flag changes: that day's rolled-up counts no longer hold."""
    was_provisional = deadline.is_provisional
    _schedule(deadline, calendar)
    if deadline.settled_at is not None and deadline.is_provisional != was_provisional:
        from tickets.services_sla_rollup import settled_day

        changed_days.add(settled_day(deadline))


def _settled_days_changed(days: set) -> None:
    if days:
        from tickets.services_sla_rollup import sla_days_invalidate

        sla_days_invalidate(days)


def deadlines_meet(*, ticket: Ticket, kinds: tuple[str, ...], now: datetime) -> list[Deadline]:
    """Mark live timers of these kinds met (late ones keep their breached_at)."""
    return _stop(ticket, kinds, state=Deadline.State.MET, stamp="met_at", now=now)


def deadlines_cancel(*, ticket: Ticket, now: datetime, kinds: tuple[str, ...] | None = None) -> list[Deadline]:
    """Stop live timers that no longer apply (e.g. no handoff needed after first-contact resolution)."""
    return _stop(ticket, kinds, state=Deadline.State.CANCELLED, stamp="cancelled_at", now=now)


def deadlines_pause(*, ticket: Ticket, now: datetime, calendar: sla.BusinessCalendar | None = None) -> list[Deadline]:
    """Stop the clocks while waiting on the customer, keeping the (working) time left."""
    calendar = calendar or sla_calendar()
    paused = [d for d in _live(ticket) if d.state == Deadline.State.RUNNING]
    for deadline in paused:
        deadline.remaining = _elapsed(now, deadline.due_at, deadline.unit, calendar)
        deadline.state = Deadline.State.PAUSED
        deadline.paused_at = now
        deadline.next_action_at = None
        deadline.save(update_fields=["remaining", "state", "paused_at", "next_action_at"])
    return paused


def deadlines_resume(*, ticket: Ticket, now: datetime, calendar: sla.BusinessCalendar | None = None) -> list[Deadline]:
    """Restart paused clocks from now with the time they had left."""
    calendar = calendar or sla_calendar()
    resumed = [d for d in _live(ticket) if d.state == Deadline.State.PAUSED]
    changed_days: set = set()
    for deadline in resumed:
        deadline.paused_total += now - deadline.paused_at
        deadline.paused_at = None
        deadline.anchor_at = now
        deadline.state = Deadline.State.RUNNING
        _reschedule(deadline, calendar, changed_days)
        deadline.save()
    _settled_days_changed(changed_days)
    return resumed


def sla_calendar() -> sla.BusinessCalendar:
    from tickets.calendars import business_calendar_get

    return business_calendar_get()


# --- Recompute after a calendar or policy edit ---------------------------------------------


def deadlines_recompute(*, reason: str, now: datetime) -> int:
    """Recompute every running timer after the calendar or an SLA policy changed.

    Durations are taken again from the policies (a timer keeps its own duration when no
    policy applies any more); each ticket whose deadlines moved gets one event listing the
    old and new due times. Returns the number of deadlines whose due time changed.
    """
    from tickets.calendars import business_calendar_get

    calendar = business_calendar_get(fresh=True)
    changed = 0
    ids = list(Deadline.objects.filter(state=Deadline.State.RUNNING).values_list("ticket_id", flat=True).distinct())
    for ticket_id in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
            moves = []
            changed_days: set = set()
            for deadline in Deadline.objects.select_for_update().filter(ticket=ticket, state=Deadline.State.RUNNING):
                old_due = deadline.due_at
                if deadline.remaining is None:
                    policy = policy_for(ticket=ticket, kind=deadline.kind)
                    if policy is not None:
                        deadline.policy = policy
                        deadline.amount, deadline.unit = policy.amount, policy.unit
                        deadline.warn_ratio = policy.warn_ratio or _default_warn_ratio()
                was_provisional = deadline.is_provisional
                _reschedule(deadline, calendar, changed_days)
                if deadline.due_at != old_due or deadline.is_provisional != was_provisional:
                    deadline.save()
                if deadline.due_at != old_due:
                    moves.append(
                        {
                            "kind": deadline.kind,
                            "old_due_at": old_due.isoformat(),
                            "new_due_at": deadline.due_at.isoformat(),
                        }
                    )
            _settled_days_changed(changed_days)
            if moves:
                changed += len(moves)
                TicketEvent.objects.create(
                    ticket=ticket,
                    actor_label="system",
                    created_at=now,
                    type=TicketEvent.Type.DEADLINES_RECOMPUTED,
                    status_before=ticket.status,
                    status_after=ticket.status,
                    note=reason,
                    data={"deadlines": moves},
                )
    logger.info("recomputed deadlines (%s): %d moved", reason, changed)
    return changed


def deadlines_recompute_later(*, reason: str) -> None:
    """Queue `deadlines_recompute` for after the current transaction commits."""

    def queue() -> None:
        from tickets.tasks import deadlines_recompute as task

        task.delay(reason=reason)

    transaction.on_commit(queue)


# --- The sweep ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepAction:
    deadline_id: int
    ticket_reference: str
    kind: str
    action: str
    level: int
    due_at: datetime
    description: str

    def __str__(self) -> str:
        due = self.due_at.isoformat()
        return f"{self.action} {self.ticket_reference} {self.kind} level={self.level} due={due}: {self.description}"


def sla_sweep(*, now: datetime, dry_run: bool = False, batch_size: int | None = None) -> list[SweepAction]:
    """Act on every deadline whose next action is due at `now`: warn, then breach.

    Safe to run concurrently and again after a killed worker: rows are locked with
    SKIP LOCKED (a concurrent sweep takes the others), the action and the row update commit
    together, and SlaAction's unique (deadline, action, level) refuses a second act.
    With dry_run, everything is rolled back and nothing is sent: the result says what
    would fire.
    """
    if now.tzinfo is None:
        raise ValueError("sla_sweep needs an aware datetime for now")
    batch_size = batch_size or settings.SERVICEDESK["SLA_SWEEP_BATCH"]
    actions: list[SweepAction] = []
    if dry_run:
        with transaction.atomic(), webhooks.subscriptions_cached(), notifications.deliveries_batched():
            actions.extend(_act_on_batch(_lock_due(now, limit=None), now))
            transaction.set_rollback(True)
        return actions
    # The usual tick finds nothing due: one read on the partial index, no transaction.
    if not Deadline.objects.due_for_sweep(now).exists():
        return actions
    while True:
        with transaction.atomic(), webhooks.subscriptions_cached(), notifications.deliveries_batched():
            batch = _lock_due(now, limit=batch_size)
            actions.extend(_act_on_batch(batch, now))
        if len(batch) < batch_size:
            return actions


def _lock_due(now: datetime, *, limit: int | None) -> list[Deadline]:
    rows = (
        Deadline.objects.due_for_sweep(now)
        .select_related("ticket", "ticket__department__head", "ticket__first_responder", "ticket__assignee")
        .select_for_update(skip_locked=True, of=("self", "ticket"))
        .order_by("next_action_at", "id")
    )
    if limit is not None:
        rows = rows[:limit]
    return list(rows)


def _next_step(deadline: Deadline, now: datetime) -> tuple[str, int]:
    """The action the sweep owes a due deadline and its level: the warning while in its window,
    else the breach (a warning whose window passed unseen is folded into the breach)."""
    if deadline.warned_at is None and deadline.breached_at is None and deadline.warn_at <= now < deadline.due_at:
        return SlaAction.Action.WARN, deadline.escalation_level
    return SlaAction.Action.BREACH, deadline.escalation_level + 1


def _claim_batch(batch: list[Deadline], now: datetime) -> set[int]:
    """Record the SlaAction of every deadline of a locked batch in two queries; the ids of the
    deadlines claimed now. One whose (action, level) is already recorded is not claimed again
    (SlaAction's unique (deadline, action, level) guards the same rule); the sweep holds the
    rows' locks, so no concurrent sweep records one in between."""
    steps = {deadline.pk: _next_step(deadline, now) for deadline in batch}
    done = set(SlaAction.objects.filter(deadline_id__in=steps).values_list("deadline_id", "action", "level").order_by())
    fresh = []
    for deadline in batch:
        action, level = steps[deadline.pk]
        if (deadline.pk, action, level) in done:
            logger.warning("deadline %s: %s at level %s already done; skipped", deadline.pk, action, level)
            continue
        fresh.append(
            SlaAction(deadline=deadline, action=action, level=level, due_at=deadline.next_action_at, acted_at=now)
        )
    SlaAction.objects.bulk_create(fresh)
    return {claim.deadline_id for claim in fresh}


def _act_on_batch(batch: list[Deadline], now: datetime) -> list[SweepAction]:
    claimed = _claim_batch(batch, now)
    actions: list[SweepAction] = []
    for deadline in batch:
        actions.extend(_act(deadline, now, claimed=deadline.pk in claimed))
    return actions


def _act(deadline: Deadline, now: datetime, *, claimed: bool) -> list[SweepAction]:
    """Update a due deadline for its next step; when `claimed` (its SlaAction recorded by this
    sweep), also do what the step does (warn, escalate, …)."""
    from tickets import services

    ticket = deadline.ticket
    action, level = _next_step(deadline, now)
    if action == SlaAction.Action.WARN:
        deadline.warned_at = now
        deadline.next_action_at = _next_action_at(deadline)
        deadline.save(update_fields=["warned_at", "next_action_at"])
        if not claimed:
            return []
        services.ticket_sla_warn(ticket=ticket, deadline=deadline, now=now)
        return [
            SweepAction(
                deadline.pk,
                ticket.reference,
                deadline.kind,
                "warn",
                deadline.escalation_level,
                deadline.due_at,
                _("deadline near"),
            )
        ]
    # Due (a warning whose window passed unseen is folded into the breach).
    due_at = deadline.due_at
    deadline.breached_at = now
    if deadline.settled_at is None:
        _settle(deadline, ticket, now)
    deadline.warned_at = deadline.warned_at or now
    deadline.escalation_level = level
    deadline.next_action_at = None
    deadline.save(
        update_fields=["breached_at", "settled_at", "department", "warned_at", "escalation_level", "next_action_at"]
    )
    if not claimed:
        return []
    description = services.ticket_sla_breach(ticket=ticket, deadline=deadline, now=now)
    return [SweepAction(deadline.pk, ticket.reference, deadline.kind, "breach", level, due_at, description)]
