"""A real Celery worker and beat on Redis firing the SLA sweep against the test database."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.tickets.helpers import new_ticket
from tickets import services
from tickets.models import Deadline, DeadlineKind, Ticket, TicketEvent

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_processes(tmp_path):
    """A worker and a beat (sweep every second) pointed at this test's database and Redis."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SLA_SWEEP_SECONDS": "1",
        "DB_CONN_MAX_AGE": "0",
        "SERVICEDESK_VAR_DIR": str(tmp_path),
    }
    celery = [sys.executable, "-m", "celery", "-A", "servicedesk"]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [
                *celery,
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
        subprocess.Popen(
            [*celery, "beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"],
            cwd=ROOT,
            env=env,
            stdout=logs["beat"],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
    ]
    yield tmp_path
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for log in logs.values():
        log.close()


def wait_for(condition, *, seconds: float, logs: Path):
    """Poll the database until `condition()` is truthy (the worker acts on its own clock)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(logs.glob("*.log")))
    pytest.fail(f"condition not met within {seconds}s\n{tails}")


def test_beat_and_worker_auto_resolve_a_test_callback_moved_into_the_past(clerk, celery_processes):
    now = timezone.now()
    ticket = services.ticket_request_test(ticket=new_ticket(clerk, now=now), actor=clerk, now=now)
    # Move the 24-hour deadline into the past instead of waiting a day.
    past = now - timedelta(minutes=1)
    Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.TEST_CALLBACK).update(due_at=past, next_action_at=past)

    def resolved():
        ticket.refresh_from_db()
        return ticket.status == Ticket.Status.RESOLVED

    wait_for(resolved, seconds=60, logs=celery_processes)

    assert ticket.outcome == Ticket.Outcome.TEST_TIMEOUT
    event = ticket.events.get(type=TicketEvent.Type.TEST_TIMEOUT)
    assert event.actor_label == "sla"
    assert event.created_at >= past
