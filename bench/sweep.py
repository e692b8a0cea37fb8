"""The SLA sweep with 10,000 deadlines due at once, run as production runs it, exactly once.

    DATABASE_URL=postgres://…/servicedesk_bench python -m bench.sweep [--deadlines 10000] [--workers 2]

1. Drains what is already due (one sweep, untimed), so only the bench's own deadlines are due.
2. Adds --deadlines open tickets (bulk inserts) of front-desk staff across the departments, each
   with a running handoff deadline consistent with tickets.deadlines' model: half are in their
   warning window (warn_at passed, due_at hours ahead: the sweep warns), half are past due
   (warn_at and due_at passed, no warning sent: the sweep breaches, folding the unseen warning in,
   and escalates).
3. Starts a real Celery worker (bench.settings, broker BENCH_REDIS_URL, default Redis db 7) with
   --workers prefork processes and sends that many `tickets.tasks.sla_sweep` tasks at once: the
   concurrent sweeps of production's beat ticks (rows claimed with SELECT … FOR UPDATE SKIP
   LOCKED, in batches of SLA_SWEEP_BATCH).
4. Times from sending until every one of the deadlines has its SlaAction (target < 30 s), then
   checks exactly once: each deadline one SlaAction of the expected kind, its ticket one
   sla_warning or escalated event by "sla", the deadline's state updated; none twice, none missed.
5. Times the sweep tick with nothing due again (in process, target < 10 ms).

The worker is stopped and the queue purged afterwards, also on failure. The tickets stay (make
bench recreates the database). Summary: var/bench-sweep.json (`python -m bench.report`).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench.common import (
    VAR,
    backend_cpu,
    bench_env,
    cpu_use,
    django_on_postgres,
    percentile,
    running,
    wait_until,
    write_summary,
)

TARGET_SECONDS = 30
TICK_TARGET_MS = 10
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def exactly_once(expected: dict[int, tuple[int, str]], actions, events) -> dict:
    """The exactly-once check.

    expected: {deadline id: (ticket id, "warn" or "breach")}; actions: (deadline id, action) of
    the SlaAction rows found; events: (ticket id, event type) of the sweep's events found
    ("sla_warning" for a warning, "escalated" for a breach). Returns the counts of deadlines
    acted on once, twice or more, missed, acted on with the wrong action, and the same for events.
    """
    event_for = {"warn": "sla_warning", "breach": "escalated"}
    per_deadline = Counter(deadline for deadline, _action in actions if deadline in expected)
    wrong_action = sum(1 for deadline, action in actions if deadline in expected and action != expected[deadline][1])
    tickets = {ticket: event_for[action] for ticket, action in expected.values()}
    per_ticket = Counter(ticket for ticket, kind in events if tickets.get(ticket) == kind)
    result = {
        "deadlines": len(expected),
        "acted_once": sum(1 for deadline in expected if per_deadline[deadline] == 1),
        "acted_twice_or_more": sum(1 for deadline in expected if per_deadline[deadline] > 1),
        "missed": sum(1 for deadline in expected if per_deadline[deadline] == 0),
        "wrong_action": wrong_action,
        "events_once": sum(1 for ticket in tickets if per_ticket[ticket] == 1),
        "events_twice_or_more": sum(1 for ticket in tickets if per_ticket[ticket] > 1),
        "events_missed": sum(1 for ticket in tickets if per_ticket[ticket] == 0),
    }
    result["ok"] = (
        result["acted_once"] == result["events_once"] == len(expected)
        and not result["wrong_action"]
        and len(tickets) == len(expected)
    )
    return result


TASK_LINE = re.compile(r"Task tickets\.tasks\.sla_sweep\[[^\]]+\] succeeded in ([\d.]+)s: (\d+)")


def sweep_tasks_in_log(text: str) -> list[tuple[float, int]]:
    """(seconds, deadlines acted on) of each sla_sweep task the worker's log says succeeded."""
    return [(float(seconds), int(count)) for seconds, count in TASK_LINE.findall(text)]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadlines", type=int, default=int(os.environ.get("BENCH_SWEEP_DEADLINES", 10_000)))
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes = concurrent sweeps")
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds")
    return parser.parse_args(argv)


def setup_deadlines(count: int, now, run: str) -> dict[int, tuple[int, str]]:
    """Bulk-insert `count` open tickets with one running handoff deadline each, due at `now`
    (half warnings, half breaches); {deadline id: (ticket id, expected action)}."""
    specs = []
    for i in range(count):
        if i % 2:
            # A breach: due 30 s ago, its warning time passed unseen.
            window, due_at = timedelta(hours=2), now - timedelta(seconds=30)
        else:
            # A warning: 80 % of a 36-hour window passed 72 minutes ago, due in 6 hours.
            window, due_at = timedelta(hours=36), now + timedelta(hours=6)
        specs.append((due_at, due_at - window * 0.2, window))
    ids = insert_deadlines(specs, reference=f"{now:%Y%m%d}-SW{run}")
    return {deadline: (ticket, "breach" if i % 2 else "warn") for i, (deadline, ticket) in enumerate(ids)}


def insert_deadlines(specs, *, reference: str) -> list[tuple[int, int]]:
    """For each (due_at, warn_at, window) an open inquiry of a front-desk member of staff (across
    the departments) with a running handoff deadline (clock hours) due then, its next action at
    warn_at; bulk inserts. Returns (deadline id, ticket id) in the order of `specs`."""
    from decimal import Decimal

    from django.db import transaction

    from tickets.models import Deadline, DeadlineKind, DurationUnit, StaffProfile, Ticket

    staff = list(
        StaffProfile.objects.filter(role="front_desk", user__is_active=True, department__isnull=False)
        .order_by("pk")
        .values_list("user_id", "department_id")[:60]
    )
    if not staff:
        raise SystemExit("No active front-desk staff with a department in this database.")
    tickets = []
    for i, (due_at, _warn_at, window) in enumerate(specs):
        user_id, department_id = staff[i % len(staff)]
        tickets.append(
            Ticket(
                reference=f"{reference}-{i:05d}",
                kind=Ticket.Kind.INQUIRY,
                channel=Ticket.Channel.PHONE,
                status=Ticket.Status.OPEN,
                subject="压测：SLA 扫描",
                first_responder_id=user_id,
                assignee_id=user_id,
                department_id=department_id,
                created_at=due_at - window,
                updated_at=due_at - window,
            )
        )
    with transaction.atomic():
        Ticket.objects.bulk_create(tickets, batch_size=2000)
        deadlines = [
            Deadline(
                ticket_id=ticket.pk,
                kind=DeadlineKind.HANDOFF,
                state=Deadline.State.RUNNING,
                amount=Decimal(window.total_seconds() / 3600).quantize(Decimal("0.01")),
                unit=DurationUnit.CLOCK_HOURS,
                warn_ratio=Decimal((warn_at - (due_at - window)) / window).quantize(Decimal("0.01")),
                started_at=due_at - window,
                anchor_at=due_at - window,
                window=window,
                due_at=due_at,
                warn_at=warn_at,
                next_action_at=warn_at,
            )
            for ticket, (due_at, warn_at, window) in zip(tickets, specs, strict=True)
        ]
        Deadline.objects.bulk_create(deadlines, batch_size=2000)
    return [(deadline.pk, deadline.ticket_id) for deadline in deadlines]


def tick_with_nothing_due(runs: int = 30) -> dict:
    from django.utils import timezone

    from tickets.deadlines import sla_sweep
    from tickets.models import Deadline

    first_due = (
        Deadline.objects.due_for_sweep(timezone.now() + timedelta(days=3650))
        .order_by("next_action_at")
        .values_list("next_action_at", flat=True)
        .first()
    )
    now = timezone.now()
    quiet = min(now, first_due - timedelta(seconds=1)) if first_due else now
    sla_sweep(now=quiet)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        acted = sla_sweep(now=quiet)
        samples.append((time.perf_counter() - started) * 1000)
        if acted:
            raise AssertionError("the quiet tick acted on something")
    return {
        "runs": runs,
        "median_ms": statistics.median(samples),
        "p95_ms": percentile(samples, 95),
        "target_ms": TICK_TARGET_MS,
        "passed": percentile(samples, 95) < TICK_TARGET_MS,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    if not django_on_postgres("The sweep benchmark", broker=REDIS_URL):
        return 2
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from servicedesk.celery import app
    from tickets.deadlines import sla_sweep
    from tickets.models import Deadline, SlaAction, TicketEvent
    from tickets.tasks import sla_sweep as sweep_task

    drained = len(sla_sweep(now=timezone.now()))
    print(f"Drained {drained} deadlines already due.", flush=True)
    run = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    expected = setup_deadlines(args.deadlines, timezone.now(), run)
    ids = sorted(expected)
    print(f"Added {len(ids)} due deadlines in {time.perf_counter() - started:.1f} s.", flush=True)
    connection.close()

    log = VAR / "bench-sweep-celery.log"
    log.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "servicedesk",
        "worker",
        f"--concurrency={args.workers}",
        "--pool=prefork",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname=bench-sweep-{run}@%h",
    ]
    summary: dict = {
        "deadlines": len(ids),
        "warnings_expected": sum(1 for _t, action in expected.values() if action == "warn"),
        "breaches_expected": sum(1 for _t, action in expected.values() if action == "breach"),
        "workers": args.workers,
        "batch": settings.SERVICEDESK["SLA_SWEEP_BATCH"],
        "drained_first": drained,
        "target_seconds": TARGET_SECONDS,
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],
    }

    def acted() -> int:
        count = SlaAction.objects.filter(deadline_id__gte=ids[0], deadline_id__lte=ids[-1]).count()
        connection.close()
        return count

    app.control.purge()
    try:
        with running(command, env=bench_env(REDIS_URL=os.environ["REDIS_URL"]), log=log) as worker:
            wait_until(lambda: " ready." in log.read_text(errors="replace"), timeout=120, what="the Celery worker")
            cpu_before = cpu_use(worker.pid)
            backends_before = backend_cpu({})
            backends: dict[int, float] = {}
            sent = time.perf_counter()
            for _ in range(args.workers):
                sweep_task.delay()
            progress = []
            while True:
                backend_cpu(backends)
                done = acted()
                elapsed = time.perf_counter() - sent
                progress.append((round(elapsed, 2), done))
                if done >= len(ids):
                    break
                if elapsed > args.timeout:
                    raise TimeoutError(f"only {done} of {len(ids)} acted on after {elapsed:.0f} s")
                time.sleep(0.1)
            summary["seconds"] = elapsed
            summary["load_average_after"] = os.getloadavg()[0]
            cpu = {name: used - cpu_before[name] for name, used in cpu_use(worker.pid).items()}
            cpu.pop("wrk")
            # The workers' connections may close when their task ends: their last sampled figures.
            backend_cpu(backends)
            cpu["postgres"] = sum(used - backends_before.get(pid, 0.0) for pid, used in backends.items())
            summary["cpu_seconds"] = cpu
            summary["cpu_ms_per_deadline"] = 1000 * sum(cpu.values()) / len(ids)
            # With the machine to itself: the CPUs (or the sweeps, if fewer) kept busy.
            summary["seconds_estimate"] = sum(cpu.values()) / min(args.workers, os.cpu_count() or 1)
            # Let the tasks finish (their last transaction committed already) and log.
            wait_until(
                lambda: len(sweep_tasks_in_log(log.read_text(errors="replace"))) >= args.workers,
                timeout=60,
                what="the sweep tasks to finish",
            )
    finally:
        app.control.purge()  # the notification deliveries the sweeps queued
    summary["tasks"] = [
        {"seconds": seconds, "acted": count} for seconds, count in sweep_tasks_in_log(log.read_text(errors="replace"))
    ]
    summary["per_second"] = len(ids) / summary["seconds"]
    summary["passed_time"] = summary["seconds"] < TARGET_SECONDS
    actions = list(
        SlaAction.objects.filter(deadline_id__gte=ids[0], deadline_id__lte=ids[-1]).values_list("deadline_id", "action")
    )
    tickets = sorted({ticket for ticket, _a in expected.values()})
    events = list(
        TicketEvent.objects.filter(
            ticket_id__gte=tickets[0],
            ticket_id__lte=tickets[-1],
            actor_label="sla",
            type__in=[TicketEvent.Type.SLA_WARNING, TicketEvent.Type.ESCALATED],
        ).values_list("ticket_id", "type")
    )
    check = exactly_once(expected, actions, events)
    states = Counter(
        (row["breached_at"] is not None, row["warned_at"] is not None, row["next_action_at"] is None)
        for row in Deadline.objects.filter(pk__in=ids).values("breached_at", "warned_at", "next_action_at")
    )
    # A warned deadline waits for its due time; a breached one has nothing left to do.
    check["states_ok"] = states == Counter(
        {(False, True, False): summary["warnings_expected"], (True, True, True): summary["breaches_expected"]}
    )
    check["ok"] = check["ok"] and check["states_ok"]
    summary["exactly_once"] = check
    summary["progress"] = progress[:: max(1, len(progress) // 40)]
    summary["tick_nothing_due"] = tick_with_nothing_due()
    path = write_summary("sweep", summary)
    print(
        f"{len(ids)} due deadlines processed by {args.workers} concurrent sweeps in {summary['seconds']:.1f} s "
        f"({summary['per_second']:.0f}/s; target < {TARGET_SECONDS} s); tasks {summary['tasks']}\n"
        f"CPU {summary['cpu_ms_per_deadline']:.1f} ms a deadline {summary['cpu_seconds']} "
        f"(with the machine to itself: ~{summary['seconds_estimate']:.0f} s)\n"
        f"exactly once: {'yes' if check['ok'] else 'NO'} {check}\n"
        f"tick with nothing due: median {summary['tick_nothing_due']['median_ms']:.1f} ms, "
        f"p95 {summary['tick_nothing_due']['p95_ms']:.1f} ms\nWritten to {path}",
        flush=True,
    )
    return 0 if check["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
