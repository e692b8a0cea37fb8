"""The SLA sweep: warnings, breaches, escalation, the test-callback timeout, exactly once."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.clock import at
from tests.tickets.helpers import new_ticket, snapshot
from tickets import services
from tickets.deadlines import deadlines_recompute, sla_sweep
from tickets.models import CalendarDay, Deadline, DeadlineKind, Notification, SlaAction, SlaPolicy, Ticket, TicketEvent

S = Ticket.Status


@pytest.fixture
def handed(clerk, engineer, tech_head):
    """A ticket handed to the engineer on Monday 10:00: reply due Wednesday 10:00, warned at 80 %."""
    ticket = new_ticket(clerk, now=at("2026-03-02 10:00"))
    return services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:00"))


def test_nothing_fires_before_the_warning_time(handed):
    assert sla_sweep(now=at("2026-03-03 09:00")) == []
    assert not SlaAction.objects.exists()


def test_warning_at_80_percent_notifies_the_handler_once(handed, engineer):
    reply = handed.deadlines.get(kind=DeadlineKind.REPLY)
    # Window: 15 working hours (Mon 6.5, Tue 7.5, Wed 1); 80 % = 12 h -> Tuesday 16:00.
    assert reply.warn_at == at("2026-03-03 16:00")

    actions = sla_sweep(now=at("2026-03-03 16:01"))
    again = sla_sweep(now=at("2026-03-03 16:10"))

    assert [(a.action, a.kind) for a in actions] == [("warn", DeadlineKind.REPLY)]
    assert again == []
    assert handed.events.filter(type=TicketEvent.Type.SLA_WARNING).count() == 1
    # One for the handoff, one for the warning.
    assert Notification.objects.filter(recipient=engineer, text__contains=handed.reference).count() == 2
    reply.refresh_from_db()
    assert reply.display_state == "warned"
    assert reply.next_action_at == reply.due_at


def test_breach_escalates_exactly_once(handed, tech_head):
    first = sla_sweep(now=at("2026-03-04 10:00"))  # half-open: due at 10:00 means breached at 10:00
    second = sla_sweep(now=at("2026-03-04 11:00"))

    assert [a.action for a in first] == ["breach"]  # the unseen warning is folded into the breach
    assert second == []
    handed.refresh_from_db()
    assert (handed.priority, handed.escalation_level) == (Ticket.Priority.HIGH, 1)
    escalation = handed.events.get(type=TicketEvent.Type.ESCALATED)
    assert escalation.actor_label == "sla"
    assert escalation.data["deadline"] == DeadlineKind.REPLY
    assert Notification.objects.filter(recipient=tech_head, ticket=handed).count() == 1
    reply = handed.deadlines.get(kind=DeadlineKind.REPLY)
    assert reply.display_state == "breached"
    assert SlaAction.objects.filter(deadline=reply, action="breach").count() == 1


def test_a_late_reply_stays_counted_as_breached(handed, engineer):
    sla_sweep(now=at("2026-03-04 10:30"))
    services.ticket_reply(ticket=handed, actor=engineer, result="已修复", now=at("2026-03-04 11:00"))
    reply = handed.deadlines.get(kind=DeadlineKind.REPLY)
    assert (reply.state, reply.display_state) == (Deadline.State.MET, "breached")


def test_paused_deadlines_never_fire(handed, engineer):
    services.ticket_pause(ticket=handed, actor=engineer, reason="等客户日志", now=at("2026-03-02 11:00"))
    assert sla_sweep(now=at("2026-03-20 10:00")) == []


def test_handoff_breach_escalates_to_supervisors_when_the_desk_has_no_head(clerk, supervisor):
    ticket = new_ticket(clerk, now=at("2026-03-02 16:30"))  # due Tuesday 09:30
    actions = sla_sweep(now=at("2026-03-03 09:30"))
    assert [(a.action, a.kind) for a in actions] == [("breach", DeadlineKind.HANDOFF)]
    assert Notification.objects.filter(recipient=supervisor, ticket=ticket).exists()


def test_test_callback_timeout_resolves_as_counted_solved(clerk):
    ticket = services.ticket_request_test(ticket=new_ticket(clerk), actor=clerk, now=at("2026-03-02 10:30"))

    actions = sla_sweep(now=at("2026-03-03 10:30"))

    ticket.refresh_from_db()
    assert [a.action for a in actions] == ["breach"]
    assert ticket.status == S.RESOLVED
    assert ticket.outcome == Ticket.Outcome.TEST_TIMEOUT
    assert ticket.outcome != Ticket.Outcome.CUSTOMER_CONFIRMED
    event = ticket.events.get(type=TicketEvent.Type.TEST_TIMEOUT)
    assert (event.status_before, event.status_after, event.actor) == (S.AWAITING_TEST, S.RESOLVED, None)
    assert sla_sweep(now=at("2026-03-04 10:30")) == []


def test_a_batch_larger_than_one_transaction_is_all_handled(clerk, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "SLA_SWEEP_BATCH": 3}
    tickets = [
        services.ticket_request_test(ticket=new_ticket(clerk), actor=clerk, now=at("2026-03-02 10:30"))
        for _ in range(7)
    ]
    actions = sla_sweep(now=at("2026-03-03 11:00"))
    assert len(actions) == 7
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], outcome=Ticket.Outcome.TEST_TIMEOUT).count() == 7


def test_dry_run_reports_and_changes_nothing(handed):
    before = snapshot(handed)
    actions = sla_sweep(now=at("2026-03-04 10:30"), dry_run=True)
    assert [a.action for a in actions] == ["breach"]
    assert snapshot(handed) == before
    assert not SlaAction.objects.exists()


def test_sweep_refuses_a_naive_now():
    with pytest.raises(ValueError, match="aware"):
        sla_sweep(now=at("2026-03-04 10:30").replace(tzinfo=None))


def test_command_prints_one_line_per_action(handed):
    out = StringIO()
    call_command("sla_sweep", "--now", "2026-03-04T10:30:00+08:00", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"would breach {handed.reference} reply")
    assert "1" in lines[-1]
    assert not SlaAction.objects.exists()

    out = StringIO()
    call_command("sla_sweep", "--now", "2026-03-04T10:30:00+08:00", stdout=out)
    assert out.getvalue().splitlines()[0].startswith(f"breach {handed.reference} reply level=1")
    assert SlaAction.objects.count() == 1


@pytest.mark.parametrize(("value", "message"), [("tomorrow", "not an ISO-8601"), ("2026-03-04T10:30", "no UTC offset")])
def test_command_explains_a_bad_now(value, message, db):
    with pytest.raises(CommandError, match=message):
        call_command("sla_sweep", "--now", value, stdout=StringIO())


# --- Recompute after a calendar or policy edit ------------------------------------------------


def test_a_new_holiday_moves_open_deadlines_and_is_recorded(handed):
    CalendarDay.objects.create(date=at("2026-03-03 00:00").date(), is_workday=False, name="临时停业")

    moved = deadlines_recompute(reason="calendar edited", now=at("2026-03-02 12:00"))

    reply = handed.deadlines.get(kind=DeadlineKind.REPLY)
    assert moved == 1
    assert reply.due_at == at("2026-03-05 10:00")  # Tuesday is now off
    event = handed.events.get(type=TicketEvent.Type.DEADLINES_RECOMPUTED)
    assert event.note == "calendar edited"
    assert datetime.fromisoformat(event.data["deadlines"][0]["new_due_at"]) == reply.due_at


def test_a_policy_edit_recomputes_running_deadlines(handed):
    SlaPolicy.objects.filter(deadline_kind=DeadlineKind.REPLY).update(amount=3)

    deadlines_recompute(reason="policy edited", now=at("2026-03-02 12:00"))

    assert handed.deadlines.get(kind=DeadlineKind.REPLY).due_at == at("2026-03-05 10:00")


def test_recompute_leaves_met_deadlines_alone(handed):
    met = handed.deadlines.get(kind=DeadlineKind.HANDOFF)
    CalendarDay.objects.create(date=at("2026-03-02 00:00").date(), is_workday=False, name="停业")
    deadlines_recompute(reason="calendar edited", now=at("2026-03-02 12:00"))
    assert handed.deadlines.get(kind=DeadlineKind.HANDOFF).due_at == met.due_at


def test_deadline_warn_window_is_in_working_time(clerk):
    ticket = new_ticket(clerk, now=at("2026-03-06 17:00"))  # Friday 17:00: 1 h Friday, 1 h Monday
    handoff = ticket.deadlines.get()
    assert handoff.due_at == at("2026-03-09 10:00")
    assert handoff.window == timedelta(hours=2)
    assert handoff.warn_at == at("2026-03-09 09:36")


def test_an_action_already_recorded_is_not_done_again_but_the_deadline_moves_on(handed, engineer):
    reply = handed.deadlines.get(kind=DeadlineKind.REPLY)
    SlaAction.objects.create(
        deadline=reply, action="warn", level=0, due_at=reply.warn_at, acted_at=at("2026-03-03 16:00")
    )

    assert sla_sweep(now=at("2026-03-03 16:01")) == []

    reply.refresh_from_db()
    assert reply.display_state == "warned" and reply.next_action_at == reply.due_at
    assert not handed.events.filter(type=TicketEvent.Type.SLA_WARNING).exists()
    assert SlaAction.objects.filter(deadline=reply).count() == 1


def test_the_sweep_costs_a_constant_number_of_queries_per_deadline(clerk, engineer, tech_head):
    """Per breach: the deadline, the ticket, the escalation event and its notification (4); the
    claims, the webhook subscriptions and the department heads are read per batch, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(count):
        for _ in range(count):
            ticket = new_ticket(clerk, now=at("2026-03-02 10:00"))
            services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:00"))
        with CaptureQueriesContext(connection) as queries:
            assert len(sla_sweep(now=at("2026-03-04 11:00"))) == count
        return len(queries)

    five, ten = cost(5), cost(10)

    assert ten - five == 5 * 4, (five, ten)


def test_a_sweep_batch_queues_its_notifications_as_one_delivery(
    clerk, engineer, tech_head, monkeypatch, django_capture_on_commit_callbacks
):
    from tickets import notifications, tasks

    for _ in range(3):
        ticket = new_ticket(clerk, now=at("2026-03-02 10:00"))
        services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:00"))
    single, batches = [], []
    monkeypatch.setattr(tasks.notification_send, "delay", single.append)
    monkeypatch.setattr(tasks.notifications_send, "delay", batches.append)

    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=at("2026-03-04 11:00"))

    escalations = list(Notification.objects.filter(recipient=tech_head).values_list("pk", flat=True))
    assert len(escalations) == 3 and single == [] and [sorted(b) for b in batches] == [sorted(escalations)]
    assert notifications.notifications_send(notification_ids=batches[0]) == 3
    assert notifications.notifications_send(notification_ids=batches[0]) == 0  # each at most once
    assert not Notification.objects.filter(pk__in=escalations, sent_at__isnull=True).exists()
