"""Firing latency: from a deadline's due time to its recorded action, with the real Celery worker
and beat running.

    DATABASE_URL=postgres://…/servicedesk_bench python -m bench.firing [--deadlines 200] [--spread 60]

Starts `celery -A servicedesk worker --beat` (bench.settings, broker BENCH_REDIS_URL, default
Redis db 7; beat sends tickets.tasks.sla_sweep every SLA_SWEEP_SECONDS, default 5 s, as in
production), then bulk-inserts --deadlines open tickets with a running handoff deadline each,
due one after another over the next --spread seconds (no warning before: the sweep's one action
is the breach at the due time). Waits until every one has acted, and reports the delay between
the due time and the action, p50, p99 and max (target p99 < 10 s), twice:

- recorded: SlaAction.acted_at (the sweep's time, also the escalation event's) minus due_at;
- observed: when this process first saw the SlaAction committed (polling every 0.2 s) minus
  due_at, an upper bound that includes the sweep's own work.

The worker and beat are stopped afterwards, also on failure, and the queue purged. Summary:
var/bench-firing.json (`python -m bench.report`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.common import VAR, bench_env, django_on_postgres, percentile, running, wait_until, write_summary

TARGET_P99_SECONDS = 10
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def delays(due: dict[int, float], acted: dict[int, float]) -> dict:
    """p50, p99 and max (seconds) of acted − due over the deadlines in `due`; the ones missing
    from `acted` are counted, not timed."""
    samples = [acted[pk] - due[pk] for pk in due if pk in acted]
    return {
        "count": len(samples),
        "missing": sum(1 for pk in due if pk not in acted),
        "p50": percentile(samples, 50),
        "p99": percentile(samples, 99),
        "max": max(samples, default=0.0),
        "min": min(samples, default=0.0),
    }


def due_times(count: int, *, start: float, spread: float) -> list[float]:
    """`count` due times (epoch seconds) spread evenly over [start, start + spread)."""
    return [start + spread * i / count for i in range(count)]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.firing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadlines", type=int, default=200)
    parser.add_argument("--spread", type=float, default=60, help="seconds over which they fall due")
    parser.add_argument("--lead", type=float, default=5, help="seconds from insertion to the first due time")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's processes")
    parser.add_argument("--timeout", type=float, default=180, help="give up this long after the last due time")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not django_on_postgres("The firing benchmark", broker=REDIS_URL):
        return 2
    from datetime import UTC, datetime

    from django.db import connection
    from django.utils import timezone

    from bench.sweep import insert_deadlines
    from servicedesk.celery import app
    from tickets.deadlines import sla_sweep
    from tickets.models import SlaAction

    interval = float(os.environ.get("SLA_SWEEP_SECONDS", "5"))
    drained = len(sla_sweep(now=timezone.now()))
    connection.close()
    run = uuid.uuid4().hex[:6]
    log = VAR / "bench-firing-celery.log"
    log.unlink(missing_ok=True)
    schedule = VAR / f"bench-firing-beat-{run}"
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "servicedesk",
        "worker",
        "--beat",
        f"--schedule={schedule}",
        f"--concurrency={args.concurrency}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname=bench-firing-{run}@%h",
    ]
    env = bench_env(REDIS_URL=os.environ["REDIS_URL"], SLA_SWEEP_SECONDS=str(interval))
    summary: dict = {
        "deadlines": args.deadlines,
        "spread_seconds": args.spread,
        "sweep_interval_seconds": interval,
        "concurrency": args.concurrency,
        "drained_first": drained,
        "target_p99_seconds": TARGET_P99_SECONDS,
        "cpus": os.cpu_count(),
    }
    app.control.purge()
    seen: dict[int, float] = {}
    try:
        with running(command, env=env, log=log):
            wait_until(lambda: " ready." in log.read_text(errors="replace"), timeout=120, what="the Celery worker")
            start = time.time() + args.lead
            due_epochs = due_times(args.deadlines, start=start, spread=args.spread)
            specs = []
            for epoch in due_epochs:
                due_at = datetime.fromtimestamp(epoch, tz=UTC)
                specs.append((due_at, due_at, timedelta(hours=2)))  # warn_at = due_at: one action, the breach
            ids = insert_deadlines(specs, reference=f"{timezone.localdate():%Y%m%d}-FI{run}")
            due = {deadline: epoch for (deadline, _ticket), epoch in zip(ids, due_epochs, strict=True)}
            low, high = min(due), max(due)
            give_up = due_epochs[-1] + args.timeout
            while len(seen) < len(due):
                now = time.time()
                for pk in SlaAction.objects.filter(deadline_id__gte=low, deadline_id__lte=high).values_list(
                    "deadline_id", flat=True
                ):
                    seen.setdefault(pk, now)
                connection.close()
                if now > give_up:
                    break
                time.sleep(0.2)
            summary["worker_log_sweeps"] = log.read_text(errors="replace").count("tickets.tasks.sla_sweep[")
    finally:
        app.control.purge()
        schedule.unlink(missing_ok=True)
        for suffix in (".db", ".dat", ".dir", ".bak"):
            Path(f"{schedule}{suffix}").unlink(missing_ok=True)
    recorded = {
        pk: acted_at.timestamp()
        for pk, acted_at in SlaAction.objects.filter(deadline_id__in=list(due)).values_list("deadline_id", "acted_at")
    }
    actions_per_deadline = SlaAction.objects.filter(deadline_id__in=list(due)).count()
    summary["recorded"] = delays(due, recorded)
    summary["observed"] = delays(due, seen)
    summary["exactly_once"] = actions_per_deadline == len(recorded) == len(due)
    summary["passed"] = summary["recorded"]["missing"] == 0 and summary["recorded"]["p99"] < TARGET_P99_SECONDS
    path = write_summary("firing", summary)
    rec, obs = summary["recorded"], summary["observed"]
    print(
        f"{len(due)} deadlines due over {args.spread:.0f} s, beat every {interval:g} s: "
        f"recorded delay p50 {rec['p50']:.1f} s, p99 {rec['p99']:.1f} s, max {rec['max']:.1f} s "
        f"(missing {rec['missing']}); observed p50 {obs['p50']:.1f} s, p99 {obs['p99']:.1f} s; "
        f"one action each: {summary['exactly_once']}\nWritten to {path}",
        flush=True,
    )
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
