"""The SLA figures' daily counts (issue 9): each closed Asia/Shanghai day's settled deadlines
counted once, per kind and department, so that a year of figures reads a few hundred rows
instead of hundreds of thousands of deadlines (tickets.selectors_sla, docs/dashboards.md).

Why a closed day's counts stay true: a deadline counts on the day it settled, against the
department recorded then, and its kind, settled_at, department and whether it was met in time
never change afterwards (met after a breach stays breached; a met deadline is final). The one
count that can change is `provisional`: a breached deadline still running is rescheduled when the
calendar or a policy changes (deadlines_recompute) or when its ticket resumes, and the new due
time may fall in a year with or without an official calendar. tickets.deadlines then calls
`sla_days_invalidate` for its settling day, in the same transaction: the day is read live again
until the next roll-up writes it anew.

Beat runs `sla_rollup_due` every hour (tickets.tasks.sla_rollup): it rolls every closed day not
rolled yet, from the first settled deadline on, so a missed run, a new installation or an
invalidated day catches up by itself. Safe to run twice and concurrently with everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from tickets.models import Deadline, SlaDailyCount, SlaRolledDay
from tickets.selectors_sla import MET_IN_TIME, day_bounds
from tickets.sla import SHANGHAI

logger = logging.getLogger("tickets.sla")

# The roll-up and the invalidation of a day exclude each other (PostgreSQL advisory lock key):
# otherwise a roll-up reading the deadlines just before a change commits could mark the day
# rolled just after the change invalidated it.
_LOCK_KEY = 0x5DA_2011
# Days rolled in one transaction when catching up (a new installation rolls years at once).
CHUNK_DAYS = 92


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _today(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("the SLA roll-up needs an aware datetime for now")
    return now.astimezone(SHANGHAI).date()


def sla_days_roll(*, day_from: date, day_to: date, now: datetime) -> int:
    """Count the deadlines settled on each day from `day_from` to `day_to` (closed days only)
    into SlaDailyCount and mark the days rolled, replacing what was there: idempotent. Two reads
    and four writes in one transaction, whatever the number of days. Returns the rows written."""
    if day_to < day_from:
        return 0
    if day_to >= _today(now):
        raise ValueError("only closed days are rolled up: today and later are counted live")
    start, end = day_bounds(day_from, day_to)
    with transaction.atomic():
        _lock()
        rows = (
            Deadline.objects.filter(settled_at__gte=start, settled_at__lt=end)
            .order_by()
            .annotate(day=TruncDate("settled_at", tzinfo=SHANGHAI))
            .values("day", "kind", "department")
            .annotate(
                total=Count("pk"),
                met_in_time=Count("pk", filter=MET_IN_TIME),
                provisional=Count("pk", filter=Q(is_provisional=True)),
            )
        )
        counts = [
            SlaDailyCount(
                day=row["day"],
                kind=row["kind"],
                department_id=row["department"],
                total=row["total"],
                met_in_time=row["met_in_time"],
                provisional=row["provisional"],
            )
            for row in rows
        ]
        SlaDailyCount.objects.filter(day__gte=day_from, day__lte=day_to).delete()
        SlaDailyCount.objects.bulk_create(counts, batch_size=2000)
        SlaRolledDay.objects.filter(day__gte=day_from, day__lte=day_to).delete()
        days = (day_from + timedelta(days=n) for n in range((day_to - day_from).days + 1))
        SlaRolledDay.objects.bulk_create([SlaRolledDay(day=day, rolled_at=now) for day in days], batch_size=2000)
    return len(counts)


def sla_daily_rollup(*, day: date, now: datetime) -> int:
    """Roll up one closed day (again): see sla_days_roll."""
    return sla_days_roll(day_from=day, day_to=day, now=now)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days, each at most CHUNK_DAYS long."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1) and (day - runs[-1][0]).days < CHUNK_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def sla_rollup_due(*, now: datetime) -> list[date]:
    """Roll up every closed day not rolled yet, from the day the first deadline settled to
    yesterday (what beat runs). Returns the days rolled; none when all are."""
    yesterday = _today(now) - timedelta(days=1)
    first = (
        Deadline.objects.filter(settled_at__isnull=False)
        .order_by("settled_at")
        .values_list("settled_at", flat=True)
        .first()
    )
    if first is None:
        return []
    first_day = first.astimezone(SHANGHAI).date()
    if first_day > yesterday:
        return []
    rolled = set(SlaRolledDay.objects.filter(day__gte=first_day, day__lte=yesterday).values_list("day", flat=True))
    missing = [
        day
        for day in (first_day + timedelta(days=n) for n in range((yesterday - first_day).days + 1))
        if day not in rolled
    ]
    for day_from, day_to in _runs(missing):
        sla_days_roll(day_from=day_from, day_to=day_to, now=now)
    if missing:
        logger.info("SLA roll-up: %d days rolled (%s to %s)", len(missing), missing[0], missing[-1])
    return missing


def sla_days_invalidate(days: Iterable[date]) -> int:
    """Figures of these days changed after they were rolled up: count them live again until the
    next roll-up (their old counts stay until then, ignored). Call it inside the transaction
    that changes the deadlines. Returns the number of rolled days invalidated."""
    days = set(days)
    if not days:
        return 0
    with transaction.atomic():
        _lock()
        deleted, _detail = SlaRolledDay.objects.filter(day__in=days).delete()
    return deleted


def settled_day(deadline: Deadline) -> date | None:
    """The Asia/Shanghai day a deadline counts on, if it settled."""
    return deadline.settled_at.astimezone(SHANGHAI).date() if deadline.settled_at else None
