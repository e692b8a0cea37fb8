"""Complaint-rate statistics (C3) and suggestion decisions (C4): every write.

- `complaint_month_close` freezes a finished month's figures (月度客户投诉率统计表) as one
  snapshot per department (and one for unrouted complaints). It is idempotent: a closed month
  is never rewritten by it. Celery beat runs `complaint_months_close_due` daily; the command
  `manage.py close_complaint_month` runs either.
- `complaint_month_recompute` is the administrator's explicit recompute of a closed month,
  with a reason; it keeps the old and new figures of every row in a SnapshotRecompute.
- `suggestion_decide` records whether a customer's suggestion is adopted, with a reason. A
  second decision is refused unless the caller asks to change it (`change=True`) and gives a
  new reason; the change is an event of its own, so the timeline keeps every decision.
  Nothing is promised to the customer and no deadline is started.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from complaints.models import ComplaintMonthClose, ComplaintRateSnapshot, SnapshotRecompute, SuggestionDecision
from complaints.permissions_stats import user_may_decide_suggestion, user_may_recompute_complaint_month
from complaints.selectors_stats import departments_for, live_figures, month_start
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted, check_choice
from tickets.models import Ticket, TicketEvent
from tickets.services import _clean_text, _local, _lock_any, _now, _record, _save, _staff_profile
from tickets.sla import SHANGHAI

REASON_MAX = 2000


def _check_month(year, month) -> tuple[int, int]:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(_("Give a year between 2000 and 2100."), field="year")
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise InvalidInput(_("Give a month from 1 to 12."), field="month")
    return year, month


def _month_rows(*, year: int, month: int) -> dict[int | None, list[int]]:
    """department id (None: unrouted) → [received, upheld, handled] for the month, counted now;
    every active department and the unrouted row are present, with zeros if need be."""
    figures = {dept: value for (_m, dept), value in live_figures(year=year, months=[month]).items()}
    rows: dict[int | None, list[int]] = {d.pk: [0, 0, 0] for d in departments_for(figures)}
    rows[None] = [0, 0, 0]
    rows.update(figures)
    return rows


@transaction.atomic
def complaint_month_close(*, year: int, month: int, now: datetime | None = None) -> tuple[ComplaintMonthClose, bool]:
    """Freeze the figures of a finished month. Returns (the closed month, whether this call
    closed it); a month already closed is returned as it is, its snapshots untouched."""
    now = _now(now)
    year, month = _check_month(year, month)
    if month_start(year, month + 1) > now:
        raise InvalidInput(
            _("%(year)s-%(month)02d has not ended yet: its figures stay live until it does.")
            % {"year": year, "month": month},
            field="month",
        )
    existing = ComplaintMonthClose.objects.filter(year=year, month=month).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            closed = ComplaintMonthClose.objects.create(year=year, month=month, closed_at=now)
    except IntegrityError:  # closed by someone else at the same moment
        return ComplaintMonthClose.objects.get(year=year, month=month), False
    ComplaintRateSnapshot.objects.bulk_create(
        ComplaintRateSnapshot(
            closed_month=closed,
            year=year,
            month=month,
            department_id=dept,
            received=received,
            upheld=upheld,
            handled=handled,
            frozen_at=now,
        )
        for dept, (received, upheld, handled) in _month_rows(year=year, month=month).items()
    )
    return closed, True


def complaint_months_close_due(*, now: datetime | None = None) -> list[ComplaintMonthClose]:
    """Close every finished month not yet closed, from the month of the first ticket on (what
    beat runs daily). Safe to run twice: the second run closes nothing."""
    now = _now(now)
    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return []
    first = first.astimezone(SHANGHAI)
    local_now = now.astimezone(SHANGHAI)
    closed_already = set(ComplaintMonthClose.objects.values_list("year", "month"))
    year, month = first.year, first.month
    closed = []
    while (year, month) < (local_now.year, local_now.month):
        if (year, month) not in closed_already:
            row, created = complaint_month_close(year=year, month=month, now=now)
            if created:
                closed.append(row)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return closed


@transaction.atomic
def complaint_month_recompute(
    *, year: int, month: int, actor, reason: str, now: datetime | None = None
) -> SnapshotRecompute:
    """Rewrite a closed month's snapshots from today's data (an administrator, with a reason).
    The old and new figures of every row are kept in the returned SnapshotRecompute."""
    now = _now(now)
    if not user_may_recompute_complaint_month(actor):
        raise NotPermitted(_("Only an administrator may recompute a closed month."))
    year, month = _check_month(year, month)
    reason = _clean_text("reason", reason, _("The reason"), REASON_MAX, required=True)
    closed = ComplaintMonthClose.objects.select_for_update().filter(year=year, month=month).first()
    if closed is None:
        raise IllegalTransition(
            _("%(year)s-%(month)02d is not closed: its figures are live, there is nothing to recompute.")
            % {"year": year, "month": month}
        )
    snapshots = {
        s.department_id: s
        for s in ComplaintRateSnapshot.objects.select_for_update()
        .filter(closed_month=closed)
        .select_related("department")
    }
    new_rows = _month_rows(year=year, month=month)
    for dept in snapshots:
        new_rows.setdefault(dept, [0, 0, 0])
    names = {d.pk: d.name for d in departments_for(new_rows)}
    changes = []
    for dept, (received, upheld, handled) in new_rows.items():
        snapshot = snapshots.get(dept)
        old = [snapshot.received, snapshot.upheld, snapshot.handled] if snapshot is not None else None
        if snapshot is None:
            snapshot = ComplaintRateSnapshot(closed_month=closed, year=year, month=month, department_id=dept)
            snapshot.frozen_at = closed.closed_at
        snapshot.received, snapshot.upheld, snapshot.handled = received, upheld, handled
        snapshot.recomputed_at = now
        snapshot.recomputed_by = actor
        snapshot.save()
        changes.append(
            {
                "department": dept,
                "name": names.get(dept, "") if dept else "",
                "old": old,
                "new": [received, upheld, handled],
            }
        )
    changes.sort(key=lambda c: (c["department"] is None, c["name"]))
    return SnapshotRecompute.objects.create(
        closed_month=closed,
        year=year,
        month=month,
        reason=reason,
        recomputed_by=actor,
        recomputed_at=now,
        changes=changes,
    )


# --- Suggestions (C4) --------------------------------------------------------------------------


@transaction.atomic
def suggestion_decide(
    *, ticket: Ticket, actor, decision: str, reason: str, change: bool = False, now: datetime | None = None
) -> SuggestionDecision:
    """Mark a suggestion adopted or not adopted, with the reason. A decided suggestion is only
    changed on purpose: `change=True` and a reason different from the last one."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if not user_may_decide_suggestion(actor):
        raise NotPermitted(_("Only a department head, a supervisor or a manager decides on a suggestion."))
    check_choice("decision", decision, SuggestionDecision.Decision)
    reason = _clean_text("reason", reason, _("The reason"), REASON_MAX, required=True)
    ticket = _lock_any(ticket)
    if ticket.kind != Ticket.Kind.SUGGESTION:
        raise IllegalTransition(
            _("Ticket %(ref)s is a “%(kind)s”, not a suggestion: only suggestions are adopted or not.")
            % {"ref": ticket.reference, "kind": ticket.get_kind_display()}
        )
    record = SuggestionDecision.objects.select_for_update().filter(ticket=ticket).first()
    previous = None
    if record is not None:
        if not change:
            raise IllegalTransition(
                _(
                    "Suggestion %(ref)s was already marked “%(decision)s” on %(when)s. "
                    "To change it, say so and give the new reason."
                )
                % {
                    "ref": ticket.reference,
                    "decision": record.get_decision_display(),
                    "when": _local(record.decided_at),
                }
            )
        if reason == record.reason:
            raise InvalidInput(_("Give a new reason for changing the decision."), field="reason")
        previous = {"decision": record.decision, "reason": record.reason}
    else:
        record = SuggestionDecision(ticket=ticket)
    record.decision = decision
    record.reason = reason
    record.decided_by = actor
    record.decided_at = now
    record.save()
    _save(ticket, now, [])
    _record(
        ticket,
        type=TicketEvent.Type.SUGGESTION_DECIDED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=reason,
        data={"decision": decision, "previous": previous},
    )
    return record
