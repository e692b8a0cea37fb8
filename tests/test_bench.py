"""The benchmark's generator (bench/): its working-time arithmetic agrees with tickets.sla, and the
tickets it plays through are consistent, before any of it reaches PostgreSQL (make bench does
that part)."""

import random
from collections import Counter
from datetime import UTC, date, datetime

from bench import generate
from bench.workclock import WorkClock, day_number, day_start
from tickets import sla
from tickets.deadlines import DEFAULT_DURATIONS

NOW = int(datetime(2026, 11, 30, 7, 30, tzinfo=UTC).timestamp())


def calendar() -> sla.BusinessCalendar:
    """Weekends off, a National Day week off, a make-up Saturday and Sunday (调休)."""
    holidays = {date(2026, 10, day): False for day in range(1, 8)}
    return sla.BusinessCalendar(
        days={**holidays, date(2026, 9, 27): True, date(2026, 10, 10): True},
        official_years=frozenset({2023, 2024, 2025, 2026}),
    )


def test_the_working_clock_agrees_with_tickets_sla():
    clock = WorkClock(calendar(), date(2026, 8, 1), date(2027, 2, 1))
    clock.self_check(day_start(day_number(date(2026, 9, 1))), day_start(day_number(date(2026, 12, 1))), samples=600)


def lives(count: int):
    clock = WorkClock(calendar(), date(2023, 10, 1), date(2027, 7, 1))
    durations = {kind: (None, float(amount), unit, 0.8) for kind, (amount, unit) in DEFAULT_DURATIONS.items()}
    fmt = generate.Fmt((NOW - 3 * 365 * generate.DAY) // generate.DAY - 40, NOW // generate.DAY + 220)
    world = generate.World(random.Random(1), count)
    gen = generate.Generator(
        tickets=count, seed=2, now=NOW, years=3, clock=clock, fmt=fmt, durations=durations, world=world
    )
    times = gen.created_times()
    special = len(times) // 2
    return gen, [gen.ticket(i + 1, t, special=i == special) for i, t in enumerate(times)]


def test_generated_tickets_are_consistent_and_their_rows_fit_the_columns():
    gen, played = lives(3000)
    references = Counter(life.reference for life in played)
    assert references.most_common(1)[0][1] == 1
    queue_numbers = Counter(
        (life.visit["day"], life.visit["line"], life.visit["number"]) for life in played if life.visit
    )
    assert queue_numbers and queue_numbers.most_common(1)[0][1] == 1
    for life in played:
        first = life.events[0]
        assert (first[0], first[5]) == (life.created, "created")
        assert life.events[-1][7] == life.status  # the last event leaves the ticket as it is
        assert all(a[0] <= b[0] for a, b in zip(life.events, life.events[1:], strict=False))
        # the sweep has acted on everything due by "now"
        assert all(d.next is None or d.next > NOW for d in life.deadlines)
        if life.status in ("resolved", "closed"):
            assert not {"handoff", "reply", "test_callback", "complaint_promise"} & set(life.live)
        if life.status in ("open", "handed_off", "awaiting_test", "waiting_customer"):
            assert life.live, life.reference
    assert len(next(life for life in played if life.reference == gen.detail_reference).events) == 50
    statuses = Counter(life.status for life in played)
    assert statuses["closed"] + statuses["resolved"] > 0.95 * len(played)

    chunk, events, deadlines = generate.Chunk(), [], []
    for life in played:
        generate.write_life(gen, life, chunk, events, deadlines)
    generate.flush_events(gen, chunk, events, deadlines)
    for table, lines in chunk.rows.items():
        columns = len(generate.COLUMNS[table].split(","))
        assert {len(line.split("\t")) for line in lines} == {columns}, table
    settled = gen.stats["deadlines settled"]
    assert 0.85 < gen.stats["deadlines met in time"] / settled < 0.95
    # The department a deadline counts against is recorded when it settles (and only then); a
    # handoff met by handing off counts against the department it was handed to.
    deadlines = [d for life in played for d in life.deadlines]
    assert all(d.department is None for d in deadlines if d.settled is None)
    assert sum(d.department is not None for d in deadlines if d.settled is not None) > 0.9 * settled
    handed = [(life, d) for life in played for d in life.deadlines if d.kind == "handoff" and d.met and not d.breached]
    assert handed and all(d.department == life.department for life, d in handed if life.handed_off_at == d.met)
    assert 4.5 < gen.stats["events"] / len(played) < 6
