"""The SLA figures on the real PostgreSQL: percentile_disc gives the same nearest-rank median and
90th percentile as the window functions used elsewhere, and rolled-up days the same counts as
counting live (Asia/Shanghai days computed by the database)."""

import random
from datetime import date, timedelta
from decimal import Decimal
from itertools import product

import pytest

from tests.clock import at
from tests.tickets.helpers import new_ticket
from tickets.models import Deadline, DeadlineKind
from tickets.selectors_sla import (
    _TRUNC,
    deadlines_settled,
    percentiles_ranked,
    percentiles_windowed,
    sla_compliance,
)
from tickets.services_sla_rollup import sla_rollup_due
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope

pytestmark = pytest.mark.integration

ALL = StatsScope(departments=None)
KINDS = (DeadlineKind.HANDOFF, DeadlineKind.REPLY, DeadlineKind.TEST_CALLBACK)
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 6)


@pytest.fixture
def settled(clerk, front_desk_dept, tech_dept):
    """600 deadlines settled over five days (some right at midnight), three kinds, two
    departments and none, with many equal times used; some met late, some breached and never met."""
    rng = random.Random(9)
    tickets = [new_ticket(clerk, now=at("2026-03-02 09:00"), contact_phone=f"1380000100{i}") for i in range(3)]
    departments = (front_desk_dept, tech_dept, None)
    rows = []
    for i in range(600):
        settled_at = at("2026-03-02 00:00") + timedelta(minutes=rng.randrange(5 * 24 * 60))
        if i % 50 == 0:
            settled_at = at(f"2026-03-0{2 + i % 5} 00:00")
        window = timedelta(hours=2)
        used = None if i % 13 == 0 else timedelta(minutes=rng.choice([5, 30, 30, 60, 90, 120, 121, 240, 600]))
        breached = used is None or (used > window and i % 2 == 0)
        rows.append(
            Deadline(
                ticket=tickets[i % 3],
                kind=KINDS[i % 3],
                state=Deadline.State.MET if used is not None else Deadline.State.CANCELLED,
                amount=Decimal(2),
                unit="clock_hours",
                warn_ratio=Decimal("0.8"),
                started_at=settled_at - timedelta(hours=3),
                anchor_at=settled_at - timedelta(hours=3),
                window=window,
                due_at=settled_at,
                breached_at=settled_at if breached else None,
                met_at=None if used is None else settled_at,
                settled_at=settled_at,
                used=used,
                is_provisional=i % 5 == 0,
                department=departments[i % 7 % 3],
            )
        )
    Deadline.objects.bulk_create(rows)
    return rows


def _by_group(pairs) -> dict:
    return {
        (tuple(sorted((k, v) for k, v in row.items() if k in KEYS)), attribute): value
        for row, attribute, value in pairs
    }


KEYS = ("kind", "department", "period")


@pytest.mark.parametrize("by_department, bucket", list(product((False, True), (None, "day", "week", "month"))))
def test_percentile_disc_is_the_nearest_rank_of_the_window_functions(settled, by_department, bucket):
    keys = ["kind", *(["department"] if by_department else []), *(["period"] if bucket else [])]
    deadlines = deadlines_settled(scope=ALL, date_from=FIRST, date_to=LAST).filter(used__isnull=False)
    if bucket:
        deadlines = deadlines.annotate(period=_TRUNC[bucket]("settled_at", tzinfo=SHANGHAI))

    ranked = _by_group(percentiles_ranked(deadlines, keys))
    windowed = _by_group(percentiles_windowed(deadlines, keys))

    assert ranked == windowed
    assert len(ranked) >= 2 * 3 * (3 if by_department else 1)


def test_rolled_up_days_count_the_same_on_postgresql(settled, tech_dept):
    options = [
        {"scope": scope, "by_department": by_department, "bucket": bucket, "department_id": department_id}
        for scope, by_department, bucket, department_id in product(
            (ALL, StatsScope(departments=frozenset({tech_dept.pk}))),
            (False, True),
            (None, "day", "week"),
            (None, tech_dept.pk),
        )
    ]
    live = [sla_compliance(date_from=FIRST, date_to=LAST, **o) for o in options]

    assert sla_rollup_due(now=at("2026-03-05 08:00")) == [FIRST, FIRST + timedelta(days=1), FIRST + timedelta(days=2)]

    assert [sla_compliance(date_from=FIRST, date_to=LAST, **o) for o in options] == live
    assert sum(f.total for f in live[0]) == 600
