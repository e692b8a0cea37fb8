"""What the load, sweep and firing tools share: percentiles, starting and stopping the server
processes they run (always stopped, also on failure or Ctrl-C), and their JSON summaries in var/
that `python -m bench.report` renders into the results file."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

VAR = Path(os.environ.get("SERVICEDESK_VAR_DIR", "var"))


def percentile(samples, q: float) -> float:
    """The q-th percentile (0–100) by nearest rank, as bench.measure's p95; 0.0 for no samples."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def summary_path(tool: str) -> Path:
    return VAR / f"bench-{tool}.json"


def write_summary(tool: str, data: dict) -> Path:
    path = summary_path(tool)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    temporary.replace(path)
    return path


def read_summary(tool: str) -> dict | None:
    path = summary_path(tool)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: ours, on bench.settings, plus `extra`."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env.update(extra)
    return env


def stop(process: subprocess.Popen, *, grace: float = 15.0) -> None:
    """Stop a process started with start_new_session=True and everything it started (its whole
    process group: gunicorn's or Celery's workers): SIGTERM, then SIGKILL after `grace` s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    # Children left behind by a master that died first.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def running(args: list[str], *, env: dict[str, str], log: Path):
    """Run `args` in a process group of its own for the duration of the block; stopped on
    leaving it, however it is left (SIGTERM to this process is turned into an exception)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    with log.open("ab") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            stop(process)
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def wait_until(check, *, timeout: float, interval: float = 0.2, what: str = "the condition"):
    """Call check() until it returns something true; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(interval)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used (Linux /proc); 0.0 if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_pids(pgid: int) -> list[int]:
    """The live processes of a process group (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def backend_cpu(seen: dict[int, float]) -> dict[int, float]:
    """Record in `seen` the CPU seconds of each PostgreSQL backend now serving this database
    (not ours): called while work runs, it keeps the figures of backends that exit before the end."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for (pid,) in cursor.fetchall():
            seen[pid] = max(seen.get(pid, 0.0), process_cpu_seconds(pid))
    return seen


def cpu_use(pgid: int) -> dict[str, float]:
    """CPU seconds used so far by a process group we started (gunicorn's or Celery's master and
    workers), by PostgreSQL's backends serving this database, and by this process's finished
    children (wrk): what the work costs on this machine whatever else runs on it."""
    import resource

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    connection.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "server": sum(process_cpu_seconds(pid) for pid in group_pids(pgid)),
        "postgres": sum(process_cpu_seconds(pid) for pid in backends),
        "wrk": children.ru_utime + children.ru_stime,
    }


def django_on_postgres(what: str, *, broker: str | None = None) -> bool:
    """Set Django up for a benchmark tool (bench.settings unless DJANGO_SETTINGS_MODULE says
    otherwise; `broker`, when given, is the only Celery broker the tool may use, since it purges
    its queue) and say whether the database is PostgreSQL, printing why not."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if broker is not None:
        os.environ["REDIS_URL"] = broker
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"{what} needs PostgreSQL (DATABASE_URL=postgres://…).", file=sys.stderr)
        return False
    return True
