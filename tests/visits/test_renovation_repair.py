"""Repair requests (报修): dispatch with a promised time, reschedule, arrival, the breach through
the sweep, and the referral outside engineering's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.clock import at
from tests.visits import renovation_helpers
from tests.visits.renovation_helpers import (
    T0,
    new_visit,
    state,
)
from tickets import deadlines as dl
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import Deadline, DeadlineKind, Notification, TicketEvent
from visits import renovation
from visits.models_renovation import RepairRequest

engineering_head = renovation_helpers.engineering_head  # a fixture
sla_handlers = renovation_helpers.sla_handlers  # a fixture
E = TicketEvent.Type
PROMISED = at("2026-03-02 10:30")
LATER = at("2026-03-02 14:00")


def dispatched(ticket, clerk, *, promised=PROMISED, now=T0):
    return renovation.repair_dispatch(
        ticket=ticket, actor=clerk, unit="5栋1单元302", problem="厨房水管漏水", promised_at=promised, now=now
    )


def repair_actions(actions):
    """The sweep's actions on promised repair visits (a visit ticket also has its handoff timer)."""
    return [action for action in actions if action.kind == DeadlineKind.REPAIR_ARRIVAL]


def arrival_deadlines(ticket):
    return list(Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.REPAIR_ARRIVAL).order_by("id"))


def test_dispatch_starts_a_deadline_due_at_the_promised_time_and_tells_engineering(
    clerk, engineering_head, sla_handlers
):
    ticket = new_visit(clerk)

    repair = dispatched(ticket, clerk)

    assert repair.state == RepairRequest.State.DISPATCHED and repair.contact_phone == "13800000001"
    [deadline] = arrival_deadlines(ticket)
    assert deadline.state == Deadline.State.RUNNING and deadline.due_at == PROMISED
    assert deadline.unit == "clock_minutes" and deadline.amount == 30
    note = Notification.objects.get(recipient=engineering_head)
    assert "5栋1单元302" in note.text and "2026-03-02 10:30" in note.text
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.REPAIR_DISPATCHED and event.data["promised_at"] == PROMISED.isoformat()


def test_a_promise_at_odd_seconds_is_still_due_exactly_at_the_promised_minute(clerk, engineering_head):
    ticket = new_visit(clerk)

    dispatched(ticket, clerk, now=T0 + timedelta(seconds=17))

    assert arrival_deadlines(ticket)[0].due_at == PROMISED


def test_reschedule_moves_the_deadline_records_why_and_notifies_the_customer(
    clerk, engineering_head, sla_handlers, django_capture_on_commit_callbacks
):
    ticket = new_visit(clerk)
    dispatched(ticket, clerk)

    with django_capture_on_commit_callbacks(execute=True):
        renovation.repair_reschedule(
            ticket=ticket, actor=clerk, new_time=LATER, reason="维修师傅在处理紧急漏水", now=at("2026-03-02 10:20")
        )

    old, new = arrival_deadlines(ticket)
    assert old.state == Deadline.State.CANCELLED
    assert new.state == Deadline.State.RUNNING and new.due_at == LATER
    repair = RepairRequest.objects.get(ticket=ticket)
    assert repair.promised_at == LATER and repair.reschedule_count == 1
    moved = TicketEvent.objects.get(ticket=ticket, type=E.REPAIR_RESCHEDULED)
    assert moved.data["reason"] == "维修师傅在处理紧急漏水"
    assert moved.data["new_promised_at"] == LATER.isoformat()
    notices = list(TicketEvent.objects.filter(ticket=ticket, type=E.CUSTOMER_NOTIFIED).order_by("id"))
    assert notices[0].data["phone"] == "13800000001" and "2026-03-02 14:00" in notices[0].data["text"]
    assert notices[1].data["delivery_of"] == notices[0].pk  # handed to the customer notifier, once


def test_the_sweep_tells_engineering_and_the_first_responder_once_when_the_visit_is_late(
    clerk, engineering_head, sla_handlers
):
    ticket = new_visit(clerk)
    dispatched(ticket, clerk)
    renovation.repair_reschedule(ticket=ticket, actor=clerk, new_time=LATER, reason="师傅堵车", now=T0)

    assert repair_actions(dl.sla_sweep(now=PROMISED + timedelta(minutes=1))) == []  # the old promise is void
    actions = repair_actions(dl.sla_sweep(now=LATER))

    assert [(a.kind, a.action) for a in actions] == [(DeadlineKind.REPAIR_ARRIVAL, "breach")]
    assert "notified enghead, clerk" in actions[0].description
    for user in (engineering_head, clerk):
        late = Notification.objects.filter(recipient=user, text__contains="has not arrived").get()
        assert "Call the customer (13800000001) ahead" in late.text
    breach = TicketEvent.objects.get(ticket=ticket, type=E.SLA_BREACHED)
    assert breach.data["deadline"] == DeadlineKind.REPAIR_ARRIVAL
    count = Notification.objects.count()

    assert dl.sla_sweep(now=LATER + timedelta(minutes=5)) == []
    assert Notification.objects.count() == count
    assert TicketEvent.objects.filter(ticket=ticket, type=E.SLA_BREACHED).count() == 1


def test_recording_the_arrival_meets_the_deadline(clerk, engineering_head, sla_handlers):
    ticket = new_visit(clerk)
    dispatched(ticket, clerk)

    repair = renovation.repair_record_arrival(ticket=ticket, actor=clerk, now=at("2026-03-02 10:25"))

    assert repair.state == RepairRequest.State.ARRIVED
    [deadline] = arrival_deadlines(ticket)
    assert deadline.state == Deadline.State.MET and deadline.met_at == at("2026-03-02 10:25")
    assert repair_actions(dl.sla_sweep(now=LATER)) == []
    with pytest.raises(IllegalTransition, match="no visit to wait for"):
        renovation.repair_reschedule(ticket=ticket, actor=clerk, new_time=LATER, reason="x", now=at("2026-03-02 11:00"))


def test_out_of_scope_records_where_the_customer_was_referred(clerk):
    ticket = new_visit(clerk)

    repair = renovation.repair_refer(
        ticket=ticket,
        actor=clerk,
        unit="5栋1单元302",
        problem="空调外机不制冷",
        referred_to="格力空调售后",
        referral_number="400-836-5315",
        now=T0,
    )

    assert repair.scope == RepairRequest.Scope.OUT_OF_SCOPE and repair.state == RepairRequest.State.REFERRED
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.REPAIR_REFERRED and event.data["referral_number"] == "400-836-5315"
    assert arrival_deadlines(ticket) == []


@pytest.mark.parametrize(
    ("promised", "message"),
    [
        (at("2026-03-02 09:59"), "not in the future"),
        (T0, "not in the future"),
        (None, "is required"),
        (T0 + timedelta(days=8), "more than 7 days"),
    ],
)
def test_a_promised_time_in_the_past_is_refused_and_nothing_written(clerk, engineering_head, promised, message):
    ticket = new_visit(clerk)
    before = state(ticket)

    with pytest.raises(InvalidInput) as refused:
        dispatched(ticket, clerk, promised=promised)

    assert refused.value.field == "promised_at" and message in refused.value.message
    assert state(ticket) == before


def test_dispatch_needs_a_phone_and_an_engineering_head(clerk):
    no_phone = new_visit(clerk, contact_phone="")
    before = state(no_phone)
    with pytest.raises(InvalidInput) as refused:
        dispatched(no_phone, clerk)
    assert refused.value.field == "contact_phone"
    assert state(no_phone) == before

    ticket = new_visit(clerk)
    before = state(ticket)
    with pytest.raises(IllegalTransition, match="no engineering department"):
        dispatched(ticket, clerk)
    assert state(ticket) == before


def test_the_engineering_department_code_is_a_setting(clerk, settings, engineering_head):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "ENGINEERING_DEPARTMENT": "maintenance"}
    ticket = new_visit(clerk)

    with pytest.raises(IllegalTransition, match="“maintenance”"):
        dispatched(ticket, clerk)


def test_reschedule_refuses_a_past_time_or_no_reason(clerk, engineering_head):
    ticket = new_visit(clerk)
    dispatched(ticket, clerk)
    before = state(ticket)

    with pytest.raises(InvalidInput) as past:
        renovation.repair_reschedule(ticket=ticket, actor=clerk, new_time=T0, reason="堵车", now=at("2026-03-02 10:10"))
    with pytest.raises(InvalidInput) as blank:
        renovation.repair_reschedule(ticket=ticket, actor=clerk, new_time=LATER, reason=" ", now=T0)

    assert past.value.field == "new_time" and blank.value.field == "reason"
    assert state(ticket) == before


def test_one_repair_request_per_ticket(clerk, engineering_head):
    ticket = new_visit(clerk)
    dispatched(ticket, clerk)
    before = state(ticket)

    with pytest.raises(IllegalTransition, match="already has a repair request"):
        renovation.repair_refer(
            ticket=ticket, actor=clerk, unit="x", problem="y", referred_to="z", referral_number="1", now=T0
        )
    assert state(ticket) == before


def test_the_promise_outlives_the_visit_resolve_then_reschedule_and_arrive(clerk, engineering_head):
    from tickets import services

    ticket = new_visit(clerk)
    dispatched(ticket, clerk)
    services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=at("2026-03-02 10:05"))

    renovation.repair_reschedule(
        ticket=ticket, actor=clerk, new_time=LATER, reason="师傅堵车", now=at("2026-03-02 10:20")
    )
    repair = renovation.repair_record_arrival(ticket=ticket, actor=clerk, now=at("2026-03-02 13:55"))

    assert repair.state == RepairRequest.State.ARRIVED
    assert arrival_deadlines(ticket)[-1].state == Deadline.State.MET
