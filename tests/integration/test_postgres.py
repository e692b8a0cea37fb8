"""Concurrency on the real PostgreSQL: reference numbers and the sweep under contention."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from tests.clock import at
from tests.tickets.helpers import new_ticket
from tickets import services
from tickets.deadlines import sla_sweep
from tickets.models import Deadline, DeadlineKind, Notification, SlaAction, Ticket, TicketEvent

pytestmark = pytest.mark.integration


def run_concurrently(count: int, work) -> list:
    """Run work(i) in `count` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


def test_twenty_concurrent_creations_get_unique_gapless_references(clerk):
    results = run_concurrently(20, lambda i: new_ticket(clerk, subject=f"并发来电 {i}").reference)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [f"20260302-1001-{n:03d}" for n in range(1, 21)]
    assert Ticket.objects.count() == 20


def test_two_concurrent_sweeps_escalate_each_breach_exactly_once(clerk, engineer, tech_head):
    tickets = []
    for i in range(30):
        ticket = new_ticket(clerk, subject=f"网络故障 {i}", now=at("2026-03-02 10:00"))
        tickets.append(
            services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:00"))
        )

    results = run_concurrently(2, lambda i: sla_sweep(now=at("2026-03-04 11:00"), batch_size=5))

    assert not [r for r in results if isinstance(r, Exception)], results
    fired = [action.deadline_id for result in results for action in result]
    assert len(fired) == len(set(fired)) == 30  # every breach once, split between the two sweeps
    assert TicketEvent.objects.filter(type=TicketEvent.Type.ESCALATED).count() == 30
    assert set(Ticket.objects.values_list("escalation_level", flat=True)) == {1}
    assert Notification.objects.filter(recipient=tech_head).count() == 30
    assert SlaAction.objects.filter(action="breach").count() == 30


def test_a_sweep_killed_mid_transaction_leaves_the_work_for_the_next_one(clerk, engineer, tech_head):
    ticket = new_ticket(clerk, now=at("2026-03-02 10:00"))
    ticket = services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:00"))

    class WorkerKilled(Exception):
        pass

    with pytest.raises(WorkerKilled), transaction.atomic():
        assert len(sla_sweep(now=at("2026-03-04 11:00"))) == 1
        raise WorkerKilled  # the process died before its transaction committed

    assert not SlaAction.objects.exists()
    assert len(sla_sweep(now=at("2026-03-04 11:00"))) == 1
    assert sla_sweep(now=at("2026-03-04 11:00")) == []
    assert ticket.events.filter(type=TicketEvent.Type.ESCALATED).count() == 1
    assert Deadline.objects.get(ticket=ticket, kind=DeadlineKind.REPLY).escalation_level == 1


def test_the_database_itself_refuses_to_rewrite_or_delete_events(clerk):
    from django.db import InternalError

    event = new_ticket(clerk).events.get()
    for statement in (
        "UPDATE tickets_ticketevent SET note = 'rewritten' WHERE id = %s",
        "DELETE FROM tickets_ticketevent WHERE id = %s",
    ):
        with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert event.note == ""
