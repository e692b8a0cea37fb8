"""The benchmark's generator (bench/): its working-time arithmetic agrees with tickets.sla, and the
tickets it plays through are consistent, before any of it reaches PostgreSQL (make bench does
that part)."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

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


# --- The load, sweep and firing tools (bench.load, bench.sweep, bench.firing, bench.report): their
# pure parts and the exactly-once check on a tiny data set; the long runs are make bench's.

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:40000/api/v1/tickets/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   105.21ms   20.10ms 402.00ms   80.00%
  Latency Distribution
     50%  101.00ms
     99%  250.00ms
  6012 requests in 20.03s, 5.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:    300.15
Transfer/sec:    260.00KB
BENCH expected=6009
BENCH other=3
BENCH other_statuses=500,500,409,
BENCH p50_us=101000
BENCH p90_us=150500
BENCH p99_us=250000
BENCH max_us=402000
"""


def test_wrk_output_is_read_with_every_error_counted():
    from bench.load import errors_of, parse_wrk

    result = parse_wrk(WRK_OUTPUT)

    assert (result["requests"], result["seconds"], result["requests_per_second"]) == (6012, 20.03, 300.15)
    assert result["socket_errors"] == {"connect": 0, "read": 2, "write": 0, "timeout": 1}
    assert (result["expected"], result["other"], result["other_statuses"]) == (6009, 3, "500,500,409,")
    assert result["latency_ms"] == {"p50": 101.0, "p90": 150.5, "p99": 250.0, "max": 402.0}
    assert errors_of(result) == 3 + 3  # the other statuses and the socket errors


def test_a_clean_wrk_run_has_no_errors():
    from bench.load import errors_of, parse_wrk

    clean = WRK_OUTPUT.replace("read 2", "read 0").replace("timeout 1", "timeout 0")
    clean = clean.replace("BENCH other=3", "BENCH other=0").replace("  Non-2xx or 3xx responses: 3\n", "")
    assert errors_of(parse_wrk(clean)) == 0


def test_the_wrk_script_posts_with_a_fresh_idempotency_key_each_request():
    from bench.load import lua_script

    script = lua_script(
        method="POST",
        body='{"subject": "压测"}',
        headers={"Authorization": "Bearer sd_x_y"},
        expected=201,
        key_prefix="run-1",
    )
    assert "wrk.method = [==[POST]==]" in script and '[==[{"subject": "压测"}]==]' in script
    assert '"Idempotency-Key"] = string.format("run-1-%d-%d", id, sent)' in script
    assert "if status == 201 then" in script and "%%" not in script
    assert "Idempotency-Key" not in lua_script(method="GET", body="", headers={}, expected=200, key_prefix=None)


def test_percentiles_by_nearest_rank():
    from bench.common import percentile

    samples = list(range(1, 101))
    assert (percentile(samples, 50), percentile(samples, 99), percentile(samples, 100)) == (50, 99, 100)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_exactly_once_finds_twice_missed_and_wrong():
    from bench.sweep import exactly_once

    expected = {1: (10, "warn"), 2: (20, "breach"), 3: (30, "breach")}
    good = exactly_once(
        expected,
        [(1, "warn"), (2, "breach"), (3, "breach"), (99, "breach")],
        [(10, "sla_warning"), (20, "escalated"), (30, "escalated"), (10, "note")],
    )
    assert good["ok"] and good["acted_once"] == 3 and good["events_once"] == 3

    bad = exactly_once(expected, [(1, "breach"), (2, "breach"), (2, "breach")], [(10, "sla_warning")] * 2)
    assert not bad["ok"]
    assert (bad["acted_once"], bad["acted_twice_or_more"], bad["missed"], bad["wrong_action"]) == (1, 1, 1, 1)
    assert (bad["events_once"], bad["events_twice_or_more"], bad["events_missed"]) == (0, 1, 2)


def test_sweep_task_lines_are_read_from_the_worker_log():
    from bench.sweep import sweep_tasks_in_log

    log = (
        "[2026-11-30 17:00:20,064: INFO/ForkPoolWorker-2] Task tickets.tasks.sla_sweep[1469e159] succeeded in "
        "4.99s: 200\n[…] Task tickets.tasks.notification_send[2e74] succeeded in 0.02s: True\n"
        "[…] Task tickets.tasks.sla_sweep[46f2] succeeded in 7.74s: 300\n"
    )
    assert sweep_tasks_in_log(log) == [(4.99, 200), (7.74, 300)]


def test_firing_delays_and_due_times():
    from bench.firing import delays, due_times

    due = dict(enumerate(due_times(4, start=100.0, spread=60)))
    assert list(due.values()) == [100.0, 115.0, 130.0, 145.0]
    result = delays(due, {0: 101.0, 1: 118.0, 2: 131.5})
    assert (result["count"], result["missing"], result["p50"], result["p99"], result["max"]) == (3, 1, 1.5, 3.0, 3.0)


def test_the_sweep_acts_once_on_each_inserted_deadline(clerk, tech_head):
    """The sweep tool's bulk-inserted deadlines are ones the real sweep acts on, each exactly once."""
    from django.utils import timezone

    from bench.sweep import exactly_once, setup_deadlines
    from tickets.deadlines import sla_sweep
    from tickets.models import SlaAction, TicketEvent

    now = timezone.now()
    expected = setup_deadlines(6, now, "t")
    first = sla_sweep(now=now + timedelta(seconds=1), batch_size=4)
    again = sla_sweep(now=now + timedelta(seconds=2))

    assert sorted(a.action for a in first) == ["breach"] * 3 + ["warn"] * 3 and again == []
    check = exactly_once(
        expected,
        SlaAction.objects.values_list("deadline_id", "action"),
        TicketEvent.objects.filter(actor_label="sla").values_list("ticket_id", "type"),
    )
    assert check["ok"], check


def test_the_report_replaces_not_measured_entries_by_sections():
    from bench.measure import NOT_MEASURED_YET
    from bench.report import render

    results = (
        "# Benchmark results\n\n## Results\n\n| … |\n\n## Targets not met\n\nNone at this size.\n\n"
        "## Not measured yet\n\n" + "".join(f"- {line}\n" for line in NOT_MEASURED_YET.values()) + "\n## Row counts\n"
    )
    firing = {
        "concurrency": 2,
        "sweep_interval_seconds": 5.0,
        "deadlines": 200,
        "spread_seconds": 60,
        "target_p99_seconds": 10,
        "passed": False,
        "exactly_once": True,
        "recorded": {"count": 200, "missing": 0, "p50": 2.5, "p99": 12.0, "max": 12.5},
        "observed": {"count": 200, "missing": 0, "p50": 2.8, "p99": 12.2, "max": 12.9},
    }

    once = render(results, {"firing": firing}, NOT_MEASURED_YET)
    twice = render(once, {"firing": firing}, NOT_MEASURED_YET)

    assert once == twice  # rendering again replaces its own section
    assert "## Firing latency" in once and "| recorded | 200 | 2.5 | 12.0 | 12.5 | 0 | p99 < 10 s | **FAIL**" in once
    assert NOT_MEASURED_YET["firing"] not in once and NOT_MEASURED_YET["load"] in once
    assert once.index("## Firing latency") < once.index("## Not measured yet") < once.index("## Row counts")
    assert "None at this size." not in once and "- firing latency — p99 12.0 s against 10 s" in once
