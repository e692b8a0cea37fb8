"""Reception, the queue and the 3-minute rules, through the services and the real SLA sweep."""

from datetime import timedelta

import pytest

from tests.clock import at
from tests.factories import StaffFactory
from tickets.deadlines import sla_sweep
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import Deadline, DeadlineKind, Notification, StaffProfile, Ticket, TicketEvent
from visits import services
from visits.models import HostFallback, Purpose, Visit

T0 = at("2026-03-02 10:00")  # a Monday
Event = TicketEvent.Type


@pytest.fixture
def colleague(front_desk_dept):
    return StaffFactory(
        user__username="colleague", user__first_name="小李", staff_no="1002", department=front_desk_dept
    ).user


@pytest.fixture
def office_manager(front_desk_dept):
    return StaffFactory(
        user__username="manager",
        user__first_name="何主任",
        staff_no="7001",
        department=front_desk_dept,
        role=StaffProfile.Role.OFFICE_MANAGER,
    ).user


def check_in(clerk, name="张先生", purpose=Purpose.PAYMENT, now=T0, **extra) -> Visit:
    return services.visit_check_in(actor=clerk, visitor_name=name, purpose=purpose, now=now, **extra)


def events(visit: Visit, type_: str) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=visit.ticket, type=type_).order_by("id"))


# --- Reception and numbering -------------------------------------------------------------------


def test_check_in_opens_a_visit_ticket_with_a_number_per_line(clerk):
    first = check_in(clerk, "张先生", Purpose.PAYMENT)
    second = check_in(clerk, "李女士", Purpose.REPAIR, now=T0 + timedelta(minutes=1))
    other = check_in(clerk, "王先生", Purpose.OTHER, now=T0 + timedelta(minutes=2))

    assert [first.queue_number, second.queue_number, other.queue_number] == ["A001", "A002", "C001"]
    ticket = first.ticket
    assert (ticket.kind, ticket.channel, ticket.contact_name) == (Ticket.Kind.VISIT, Ticket.Channel.WALK_IN, "张先生")
    assert "A001" in ticket.description
    wait = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.VISIT_WAIT)
    assert wait.due_at == T0 + timedelta(minutes=3)


def test_numbering_restarts_every_day(clerk):
    check_in(clerk, now=T0)
    check_in(clerk, now=T0 + timedelta(minutes=5))

    next_day = check_in(clerk, now=T0 + timedelta(days=1))

    assert next_day.queue_number == "A001"


def test_bad_check_in_is_refused_and_writes_nothing(clerk):
    for kwargs, field in (
        ({"visitor_name": "  "}, "visitor_name"),
        ({"party_size": 0}, "party_size"),
        ({"party_size": "many"}, "party_size"),
        ({"purpose": "shopping"}, "purpose"),
        ({"purpose": Purpose.MEET}, "host"),
        ({"visitor_phone": "call me"}, "visitor_phone"),
    ):
        arguments = {"actor": clerk, "visitor_name": "张先生", "purpose": Purpose.PAYMENT, "now": T0, **kwargs}
        with pytest.raises(InvalidInput) as refused:
            services.visit_check_in(**arguments)
        assert refused.value.field == field
    assert not Ticket.objects.exists() and not Visit.objects.exists()


def test_an_inactive_host_is_refused(clerk, colleague):
    colleague.is_active = False
    colleague.save()

    with pytest.raises(InvalidInput, match="not active staff"):
        check_in(clerk, purpose=Purpose.MEET, host=colleague)
    assert not Visit.objects.exists()


# --- Calling order -------------------------------------------------------------------------------


def test_call_next_takes_urgent_first_then_first_come_first_served_per_line(clerk, colleague):
    early = check_in(clerk, "甲", now=T0)
    check_in(clerk, "乙", Purpose.MEET, host=colleague, now=T0 + timedelta(minutes=1))
    late = check_in(clerk, "丙", now=T0 + timedelta(minutes=2))
    urgent = check_in(clerk, "丁", is_urgent=True, now=T0 + timedelta(minutes=3))
    now = T0 + timedelta(minutes=4)

    called = [services.visit_call_next(actor=clerk, lines=["A"], now=now) for _ in range(3)]

    assert [visit.pk for visit in called] == [urgent.pk, early.pk, late.pk]
    assert services.visit_call_next(actor=clerk, lines=["A"], now=now) is None  # B001 waits on its own line
    assert services.visit_call_next(actor=clerk, now=now).queue_number == "B001"


def test_yesterdays_visitors_are_not_called_today(clerk):
    check_in(clerk, now=T0 - timedelta(days=1))

    assert services.visit_call_next(actor=clerk, now=T0) is None


def test_calling_stops_the_wait_clock_and_names_the_counter(clerk):
    services.presence_set(user=clerk, is_available=True, counter="3号窗口", now=T0)
    visit = check_in(clerk)

    called = services.visit_call_next(actor=clerk, now=T0 + timedelta(minutes=1))

    assert (called.state, called.counter, called.staff) == (Visit.State.CALLED, "3号窗口", clerk)
    assert Deadline.objects.get(ticket=visit.ticket, kind=DeadlineKind.VISIT_WAIT).state == Deadline.State.MET
    assert sla_sweep(now=T0 + timedelta(minutes=10)) == []  # no alert for a visitor already called


# --- S4: the wait alert --------------------------------------------------------------------------


def test_a_visitor_waiting_3_minutes_raises_one_alert_naming_a_free_colleague(clerk, colleague):
    services.presence_set(user=colleague, is_available=True, counter="2号窗口", now=T0)
    visit = check_in(clerk)

    assert sla_sweep(now=T0 + timedelta(minutes=2, seconds=59)) == []
    actions = sla_sweep(now=T0 + timedelta(minutes=3, seconds=2))
    again = sla_sweep(now=T0 + timedelta(minutes=4))

    assert len(actions) == 1 and again == []
    visit.refresh_from_db()
    assert visit.suggested_staff == colleague and visit.state == Visit.State.WAITING
    (alert,) = events(visit, Event.WAIT_ALERT)
    assert alert.data["colleague"] == colleague.pk and alert.data["waited_minutes"] == 3
    assert Notification.objects.filter(recipient=colleague, ticket=visit.ticket, text__contains="A001").count() == 1


def test_whoever_takes_over_after_an_alert_is_on_the_record(clerk, colleague):
    services.presence_set(user=colleague, is_available=True, now=T0)
    visit = check_in(clerk)
    sla_sweep(now=T0 + timedelta(minutes=3))

    services.visit_call(visit=visit, actor=colleague, now=T0 + timedelta(minutes=4))

    (taken,) = events(visit, Event.TAKEN_OVER)
    assert taken.actor == colleague


def test_an_urgent_visitor_raises_the_alert_at_once(clerk, colleague):
    services.presence_set(user=colleague, is_available=True, now=T0)

    visit = check_in(clerk, is_urgent=True)

    assert len(events(visit, Event.WAIT_ALERT)) == 1
    assert (
        Notification.objects.get(recipient=colleague).text == "A001 (张先生) is urgent: please take the visitor over."
    )
    assert visit.ticket.priority == Ticket.Priority.URGENT
    assert not Deadline.objects.filter(ticket=visit.ticket, kind=DeadlineKind.VISIT_WAIT).exists()


def test_in_assign_mode_the_colleague_gets_the_visitor(clerk, colleague, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "VISIT_WAIT_ALERT": "assign"}
    services.presence_set(user=colleague, is_available=True, counter="2号窗口", now=T0)
    visit = check_in(clerk)

    sla_sweep(now=T0 + timedelta(minutes=3))

    visit.refresh_from_db()
    assert (visit.state, visit.staff, visit.counter) == (Visit.State.CALLED, colleague, "2号窗口")
    assert len(events(visit, Event.TAKEN_OVER)) == 1


def test_with_nobody_free_the_supervisors_are_told(clerk, supervisor, colleague):
    services.presence_set(user=colleague, is_available=False, now=T0)
    visit = check_in(clerk)

    sla_sweep(now=T0 + timedelta(minutes=3))

    visit.refresh_from_db()
    assert visit.suggested_staff is None
    assert Notification.objects.filter(recipient=supervisor, text__contains="nobody is free").exists()


def test_a_colleague_already_with_a_visitor_is_not_suggested(clerk, colleague):
    services.presence_set(user=colleague, is_available=True, now=T0)
    services.presence_set(user=clerk, is_available=True, now=T0 + timedelta(seconds=1))
    check_in(clerk, "甲", now=T0)
    services.visit_call_next(actor=colleague, now=T0)  # colleague is now with 甲
    services.presence_set(user=colleague, is_available=True, now=T0)  # … and forgot to say busy
    waiting = check_in(clerk, "乙", now=T0 + timedelta(seconds=30))

    sla_sweep(now=T0 + timedelta(minutes=4))

    waiting.refresh_from_db()
    assert waiting.suggested_staff == clerk


# --- S5: the escalation ladder -------------------------------------------------------------------


def serving(clerk, now=T0) -> Visit:
    visit = check_in(clerk, now=now)
    services.visit_call_next(actor=clerk, now=now)
    return services.visit_start_serving(visit=visit, actor=clerk, now=now + timedelta(seconds=30))


def test_not_clear_in_3_minutes_calls_the_supervisor_then_the_office_manager(clerk, supervisor, office_manager):
    visit = serving(clerk)
    start = visit.serving_started_at

    sla_sweep(now=start + timedelta(minutes=3))
    sla_sweep(now=start + timedelta(minutes=3, seconds=5))  # a repeated sweep does nothing more
    visit.refresh_from_db()
    assert visit.ladder_level == 1
    assert Notification.objects.filter(recipient=supervisor, ticket=visit.ticket).count() == 1
    assert not Notification.objects.filter(recipient=office_manager).exists()

    sla_sweep(now=start + timedelta(minutes=6))
    sla_sweep(now=start + timedelta(minutes=30))

    visit.refresh_from_db()
    assert visit.ladder_level == 2
    assert [e.data["level"] for e in events(visit, Event.LADDER_CALLED)] == [1, 2]
    assert Notification.objects.filter(recipient=office_manager, ticket=visit.ticket).count() == 1


def test_acknowledging_stops_the_ladder(clerk, supervisor, office_manager):
    visit = serving(clerk)
    start = visit.serving_started_at
    sla_sweep(now=start + timedelta(minutes=3))

    with pytest.raises(IllegalTransition, match="Only the"):
        services.visit_ladder_acknowledge(visit=visit, actor=clerk, now=start + timedelta(minutes=4))
    services.visit_ladder_acknowledge(visit=visit, actor=supervisor, now=start + timedelta(minutes=4))
    sla_sweep(now=start + timedelta(minutes=10))

    visit.refresh_from_db()
    assert visit.ladder_level == 1 and visit.ladder_acknowledged_at is not None
    assert not Notification.objects.filter(recipient=office_manager).exists()
    assert len(events(visit, Event.LADDER_ACKNOWLEDGED)) == 1


def test_a_clear_question_stops_the_clock_without_calling_anyone(clerk, supervisor):
    visit = serving(clerk)

    services.visit_mark_clear(visit=visit, actor=clerk, now=visit.serving_started_at + timedelta(minutes=2))
    sla_sweep(now=visit.serving_started_at + timedelta(minutes=10))

    assert not events(visit, Event.LADDER_CALLED)


def test_the_customer_may_ask_for_someone_else_at_any_time(clerk, supervisor, office_manager):
    visit = serving(clerk)

    services.visit_escalate(visit=visit, actor=clerk, reason="客户要求主管接待", now=visit.serving_started_at)

    visit.refresh_from_db()
    assert visit.ladder_level == 1
    (called,) = events(visit, Event.LADDER_CALLED)
    assert called.data["source"] == "customer" and called.note == "客户要求主管接待"
    assert Notification.objects.filter(recipient=supervisor, text__contains="服务上移").exists()
    # The ladder goes on from there: 3 minutes later the office manager.
    sla_sweep(now=visit.serving_started_at + timedelta(minutes=3))
    visit.refresh_from_db()
    assert visit.ladder_level == 2


# --- The person visited (V3) ---------------------------------------------------------------------


def test_the_person_visited_is_told_at_once_and_the_fallback_if_they_do_not_answer(clerk, colleague, supervisor):
    visit = check_in(clerk, purpose=Purpose.MEET, host=colleague)
    assert Notification.objects.filter(recipient=colleague, text__contains="A001").exists() is False
    assert Notification.objects.filter(recipient=colleague, text__contains="B001").count() == 1

    sla_sweep(now=T0 + timedelta(minutes=5))

    (fallback,) = events(visit, Event.HOST_FALLBACK)
    assert fallback.data["notified"] == [supervisor.pk]  # no fallback set, no head: the supervisors


def test_the_departments_fallback_contact_is_told(clerk, colleague, supervisor, front_desk_dept):
    HostFallback.objects.create(department=front_desk_dept, contact=supervisor)
    visit = check_in(clerk, purpose=Purpose.MEET, host=colleague)

    sla_sweep(now=T0 + timedelta(minutes=5))

    assert Notification.objects.filter(
        recipient=supervisor, ticket=visit.ticket, text__contains="not answered"
    ).exists()


def test_an_acknowledged_visit_tells_nobody_else(clerk, colleague, supervisor):
    visit = check_in(clerk, purpose=Purpose.MEET, host=colleague)

    services.visit_host_acknowledge(visit=visit, actor=colleague, now=T0 + timedelta(minutes=1))
    sla_sweep(now=T0 + timedelta(minutes=10))

    assert not events(visit, Event.HOST_FALLBACK)
    with pytest.raises(IllegalTransition, match="already acknowledged"):
        services.visit_host_acknowledge(visit=visit, actor=colleague, now=T0 + timedelta(minutes=2))


# --- Transfer and finish -------------------------------------------------------------------------


def test_transfer_hands_the_visitor_to_a_colleague_who_is_told(clerk, colleague):
    visit = serving(clerk)

    services.visit_transfer(visit=visit, actor=clerk, to_user=colleague, note="工程问题", now=T0 + timedelta(minutes=1))

    visit.refresh_from_db()
    assert (visit.state, visit.staff) == (Visit.State.CALLED, colleague)
    assert Notification.objects.filter(recipient=colleague, text__contains="transferred").exists()
    assert not Deadline.objects.filter(ticket=visit.ticket, kind=DeadlineKind.VISIT_CLARIFY).live().exists()


def test_finishing_served_resolves_the_visit_ticket(clerk):
    visit = serving(clerk)

    services.visit_finish(visit=visit, actor=clerk, outcome=Visit.Outcome.SERVED, now=T0 + timedelta(minutes=2))

    visit.refresh_from_db()
    visit.ticket.refresh_from_db()
    assert visit.state == Visit.State.FINISHED
    assert visit.ticket.status == Ticket.Status.RESOLVED
    assert not Deadline.objects.filter(ticket=visit.ticket).live().exists()


def test_a_visitor_who_left_before_being_called(clerk):
    visit = check_in(clerk)

    with pytest.raises(IllegalTransition, match="not been called"):
        services.visit_finish(visit=visit, actor=clerk, outcome=Visit.Outcome.SERVED, now=T0)
    services.visit_finish(visit=visit, actor=clerk, outcome=Visit.Outcome.LEFT, now=T0 + timedelta(minutes=2))

    visit.refresh_from_db()
    assert visit.outcome == Visit.Outcome.LEFT
    assert sla_sweep(now=T0 + timedelta(minutes=5)) == []
    with pytest.raises(IllegalTransition):
        services.visit_finish(visit=visit, actor=clerk, outcome=Visit.Outcome.LEFT, now=T0 + timedelta(minutes=3))


def test_only_who_called_the_visitor_starts_serving(clerk, colleague):
    visit = check_in(clerk)
    services.visit_call_next(actor=clerk, now=T0)

    with pytest.raises(IllegalTransition, match="transfer them first"):
        services.visit_start_serving(visit=visit, actor=colleague, now=T0)
