"""The walk-in queue under contention on the real PostgreSQL."""

from datetime import timedelta

import pytest

from tests.clock import at
from tests.factories import StaffFactory
from tests.integration.test_postgres import run_concurrently
from tickets.deadlines import sla_sweep
from tickets.models import TicketEvent
from visits import services
from visits.models import Purpose, Visit

pytestmark = pytest.mark.integration
T0 = at("2026-03-02 10:00")


def test_twenty_concurrent_check_ins_get_unique_gapless_numbers(clerk):
    results = run_concurrently(
        20,
        lambda i: (
            services.visit_check_in(
                actor=clerk, visitor_name=f"访客{i}", purpose=Purpose.PAYMENT, now=T0 + timedelta(seconds=i)
            ).queue_number
        ),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [f"A{n:03d}" for n in range(1, 21)]


def test_staff_calling_at_once_never_get_the_same_visitor(clerk, front_desk_dept):
    for i in range(12):
        services.visit_check_in(actor=clerk, visitor_name=f"访客{i}", purpose=Purpose.PAYMENT, now=T0)
    staff = [StaffFactory(department=front_desk_dept).user for _ in range(6)]

    results = run_concurrently(
        12, lambda i: services.visit_call_next(actor=staff[i % 6], now=T0 + timedelta(minutes=1))
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    called = [visit.pk for visit in results if visit is not None]
    assert len(called) == len(set(called))
    assert Visit.objects.filter(state=Visit.State.CALLED).count() == len(called)


def test_a_sweep_and_a_call_racing_alert_at_most_once(clerk):
    visits = [
        services.visit_check_in(actor=clerk, visitor_name=f"访客{i}", purpose="payment", now=T0) for i in range(10)
    ]

    def work(i: int):
        if i == 0:
            return sla_sweep(now=T0 + timedelta(minutes=3))
        return services.visit_call_next(actor=clerk, now=T0 + timedelta(minutes=3))

    results = run_concurrently(4, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    alerts = TicketEvent.objects.filter(type=TicketEvent.Type.WAIT_ALERT).values_list("ticket_id", flat=True)
    assert len(alerts) == len(set(alerts)) <= len(visits)
    called = Visit.objects.filter(state=Visit.State.CALLED)
    assert called.count() == 3


def test_document_numbers_stay_unique_under_concurrent_desks(db):
    from django.db import transaction

    from visits.numbering import document_number_next

    def issue(i: int) -> str:
        with transaction.atomic():
            return document_number_next("FX" if i % 2 else "ZX", T0)

    results = run_concurrently(16, issue)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r for r in results if r.startswith("FX")) == [f"FX20260302-{n:03d}" for n in range(1, 9)]
    assert sorted(r for r in results if r.startswith("ZX")) == [f"ZX20260302-{n:03d}" for n in range(1, 9)]
