"""The ticket lifecycle: every allowed move, every illegal one, and the rules around them."""

from datetime import timedelta

import pytest

from tests.clock import at
from tests.factories import CategoryFactory, CustomerFactory, DepartmentFactory, StaffFactory
from tests.tickets.helpers import T0, new_ticket, snapshot, ticket_in
from tickets import services
from tickets.exceptions import Conflict, IllegalTransition, InvalidInput
from tickets.models import (
    Deadline,
    DeadlineKind,
    Notification,
    ProblemRoute,
    ProblemType,
    SlaPolicy,
    Ticket,
    TicketEvent,
)

S = Ticket.Status
NOW = at("2026-03-03 11:00")


def call(verb: str, ticket: Ticket, *, clerk, engineer, expected_version=None):
    """Invoke `verb` with valid arguments, as the person who would do it."""
    common = {"ticket": ticket, "now": NOW, "expected_version": expected_version}
    calls = {
        "resolve_first_contact": lambda: services.ticket_resolve_first_contact(actor=clerk, **common),
        "hand_off": lambda: services.ticket_hand_off(actor=clerk, to_user=engineer, **common),
        "reply": lambda: services.ticket_reply(actor=engineer, result="已处理", **common),
        "request_test": lambda: services.ticket_request_test(actor=clerk, instructions="请重启后测试", **common),
        "test_result": lambda: services.ticket_record_test_result(actor=clerk, is_solved=True, **common),
        "pause": lambda: services.ticket_pause(actor=clerk, reason="等客户补充材料", **common),
        "resume": lambda: services.ticket_resume(actor=clerk, **common),
        "resolve": lambda: services.ticket_resolve(actor=clerk, resolution="已答复客户", **common),
        "close": lambda: services.ticket_close(actor=clerk, **common),
        "reopen": lambda: services.ticket_reopen(actor=clerk, reason="客户反馈问题复现", **common),
        "escalate": lambda: services.ticket_escalate(actor=clerk, reason="客户要求主管处理", **common),
    }
    return calls[verb]()


EXPECTED_TARGET = {
    "resolve_first_contact": S.RESOLVED,
    "hand_off": S.HANDED_OFF,
    "reply": S.REPLIED,
    "request_test": S.AWAITING_TEST,
    "test_result": S.RESOLVED,
    "pause": S.WAITING_CUSTOMER,
    "resolve": S.RESOLVED,
    "close": S.CLOSED,
    "reopen": S.OPEN,
}
VERBS = [verb for verb in services.TRANSITIONS if verb != "test_timeout"]
ALLOWED = [(verb, status) for verb in VERBS for status in S.values if status in services.TRANSITIONS[verb][0]]
ILLEGAL = [(verb, status) for verb in VERBS for status in S.values if status not in services.TRANSITIONS[verb][0]]


@pytest.mark.parametrize(("verb", "status"), ALLOWED)
def test_every_allowed_transition_moves_the_ticket_and_records_one_event(verb, status, clerk, engineer):
    ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    result = call(verb, ticket, clerk=clerk, engineer=engineer, expected_version=ticket.version)

    result.refresh_from_db()
    expected = EXPECTED_TARGET.get(verb)
    if verb == "resume":
        expected = S.HANDED_OFF  # ticket_in paused a handed-off ticket
    if verb == "escalate":
        expected = status
    assert result.status == expected
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))
    assert len(events) == events_before + 1
    assert events[-1].status_before == status
    assert events[-1].status_after == expected
    assert result.first_responder == clerk  # T1: never changes


@pytest.mark.parametrize(("verb", "status"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(verb, status, clerk, engineer):
    ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    before = snapshot(ticket)

    with pytest.raises(IllegalTransition) as refused:
        call(verb, ticket, clerk=clerk, engineer=engineer)

    assert ticket.reference in refused.value.message
    assert str(Ticket.Status(status).label) in refused.value.message
    assert snapshot(ticket) == before


def test_a_handed_off_ticket_cannot_later_count_as_resolved_at_first_contact(clerk, engineer):
    ticket = ticket_in(S.REPLIED, clerk=clerk, engineer=engineer)
    ticket = services.ticket_request_test(ticket=ticket, actor=clerk, now=NOW)
    ticket = services.ticket_record_test_result(ticket=ticket, actor=clerk, is_solved=False, now=NOW)
    assert ticket.status == S.OPEN
    before = snapshot(ticket)

    with pytest.raises(IllegalTransition, match="already handed off"):
        services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=NOW)
    assert snapshot(ticket) == before


# --- Reference numbers (T2) ----------------------------------------------------------------


def test_reference_is_date_staff_number_and_daily_sequence(clerk, engineer):
    first = new_ticket(clerk, now=at("2026-03-02 09:05"))
    second = new_ticket(clerk, now=at("2026-03-02 23:59"))
    other_staff = new_ticket(engineer, now=at("2026-03-02 10:00"))
    next_day = new_ticket(clerk, now=at("2026-03-03 00:01"))

    assert first.reference == "20260302-1001-001"
    assert second.reference == "20260302-1001-002"
    assert other_staff.reference == "20260302-2001-001"
    assert next_day.reference == "20260303-1001-001"


def test_reference_date_is_the_shanghai_date_not_utc(clerk):
    # 2026-03-02 16:30 UTC is already 3 March 00:30 in Shanghai.
    ticket = new_ticket(clerk, now=at("2026-03-03 00:30"))
    assert ticket.created_at.astimezone(tz=None).utcoffset() is not None
    assert ticket.reference.startswith("20260303-")


def test_a_refused_creation_does_not_use_up_a_sequence_number(clerk):
    new_ticket(clerk)
    with pytest.raises(InvalidInput):
        new_ticket(clerk, subject="   ")
    assert new_ticket(clerk).reference == "20260302-1001-002"


# --- Creation, hand-off and the first responder (T1, T5) ------------------------------------


def test_create_records_acceptance_and_starts_the_handoff_clock(clerk):
    customer = CustomerFactory(name="陈明", phone="13900000000")
    ticket = new_ticket(clerk, customer=customer, contact_name="", contact_phone="")

    assert ticket.status == S.OPEN
    assert ticket.first_responder == clerk and ticket.assignee == clerk
    assert (ticket.contact_name, ticket.contact_phone) == ("陈明", "13900000000")
    event = ticket.events.get()
    assert (event.type, event.actor, event.status_after) == (TicketEvent.Type.CREATED, clerk, S.OPEN)
    handoff = ticket.deadlines.get()
    assert handoff.kind == DeadlineKind.HANDOFF
    assert handoff.due_at == at("2026-03-02 12:00")  # 2 working hours from Monday 10:00
    assert handoff.warn_at == at("2026-03-02 11:36")  # 80 % of the window


def test_hand_off_tells_the_customer_a_name_and_extension_and_keeps_the_first_responder(clerk, engineer):
    ticket = new_ticket(clerk)

    ticket = services.ticket_hand_off(
        ticket=ticket,
        actor=clerk,
        to_user=engineer,
        callback_phone="13811112222",
        callback_note="工作日下午",
        now=at("2026-03-02 10:30"),
    )

    assert ticket.status == S.HANDED_OFF
    assert ticket.assignee == engineer
    assert ticket.department == engineer.staff.department
    assert ticket.first_responder == clerk
    event = ticket.events.get(type=TicketEvent.Type.HANDED_OFF)
    assert event.data["told_name"] == "李工"
    assert event.data["told_extension"] == "8201"
    assert event.data["callback_phone"] == "13811112222"
    assert ticket.deadlines.get(kind=DeadlineKind.HANDOFF).state == Deadline.State.MET
    reply = ticket.deadlines.get(kind=DeadlineKind.REPLY)
    assert reply.due_at == at("2026-03-04 10:30")  # 2 working days, same clock time
    assert Notification.objects.filter(recipient=engineer, ticket=ticket).exists()


def test_hand_off_by_problem_type_goes_to_the_routed_department_head(clerk, tech_dept, tech_head):
    ProblemRoute.objects.create(problem_type=ProblemType.TECHNICAL_QUALITY, department=tech_dept)
    ticket = new_ticket(clerk)

    ticket = services.ticket_hand_off(
        ticket=ticket, actor=clerk, problem_type=ProblemType.TECHNICAL_QUALITY, now=at("2026-03-02 10:30")
    )

    assert (ticket.department, ticket.assignee, ticket.problem_type) == (tech_dept, tech_head, "technical_quality")
    assert ticket.events.get(type=TicketEvent.Type.HANDED_OFF).data["told_extension"] == "8200"


def test_re_hand_off_keeps_the_running_reply_clock(clerk, engineer, tech_head):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)
    reply_due = ticket.deadlines.get(kind=DeadlineKind.REPLY).due_at

    services.ticket_hand_off(ticket=ticket, actor=engineer, to_user=tech_head, now=at("2026-03-03 09:00"))

    assert ticket.deadlines.filter(kind=DeadlineKind.REPLY).count() == 1
    assert ticket.deadlines.get(kind=DeadlineKind.REPLY).due_at == reply_due


@pytest.mark.parametrize(
    ("make_target", "field", "message"),
    [
        ("inactive", "to_user", "not an active staff member"),
        ("no_profile", "to_user", "has no staff profile"),
        ("inactive_department", "to_department", "is not active"),
        ("headless_department", "told_name", "name and extension"),
        ("nothing", "to_user", "Choose a colleague"),
        ("unrouted_type", "problem_type", "No active department"),
    ],
)
def test_bad_hand_off_targets_are_refused_clearly_and_write_nothing(
    make_target, field, message, clerk, django_user_model
):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)
    kwargs = {}
    if make_target == "inactive":
        colleague = StaffFactory(user__first_name="离职员工").user
        colleague.is_active = False
        colleague.save()
        kwargs["to_user"] = colleague
    elif make_target == "no_profile":
        kwargs["to_user"] = django_user_model.objects.create_user("visitor")
    elif make_target == "inactive_department":
        kwargs["to_department"] = DepartmentFactory(is_active=False)
    elif make_target == "headless_department":
        kwargs["to_department"] = DepartmentFactory()
    elif make_target == "unrouted_type":
        kwargs["problem_type"] = ProblemType.SALES_BUSINESS

    with pytest.raises(InvalidInput, match=message) as refused:
        services.ticket_hand_off(ticket=ticket, actor=clerk, now=NOW, **kwargs)

    assert refused.value.field == field
    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "letter"), ("channel", "fax"), ("priority", "asap"), ("problem_type", "weather")],
)
def test_unknown_choice_values_are_named_in_the_error_and_nothing_is_written(field, value, clerk):
    with pytest.raises(InvalidInput) as refused:
        new_ticket(clerk, **{field: value})
    assert refused.value.field == field
    assert value in refused.value.message
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_unknown_status_filter_is_named_in_the_error(clerk):
    from tickets.selectors import ticket_list_visible

    with pytest.raises(InvalidInput, match="archived"):
        ticket_list_visible(user=clerk, status="archived")


def test_naive_datetime_is_refused(clerk):
    with pytest.raises(ValueError, match="aware"):
        new_ticket(clerk, now=T0.replace(tzinfo=None))
    assert not Ticket.objects.exists()


def test_actor_without_staff_profile_cannot_create(django_user_model):
    stranger = django_user_model.objects.create_user("stranger")
    with pytest.raises(InvalidInput, match="no staff profile"):
        new_ticket(stranger)
    assert not Ticket.objects.exists()


# --- Conflicts ------------------------------------------------------------------------------


def test_a_stale_edit_gets_a_conflict_not_a_silent_overwrite(clerk, engineer):
    ticket = new_ticket(clerk)
    seen_version = ticket.version
    services.ticket_escalate(ticket=ticket, actor=engineer, reason="客户很急", now=NOW, expected_version=seen_version)
    before = snapshot(ticket)

    with pytest.raises(Conflict, match="changed by someone else"):
        services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=NOW, expected_version=seen_version)
    assert snapshot(ticket) == before


# --- Pausing, test callback, resolve, reopen, escalate ---------------------------------------


def test_waiting_on_customer_pauses_the_reply_clock_and_resume_restores_the_remaining_working_time(clerk, engineer):
    ticket = new_ticket(clerk)
    ticket = services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:00"))
    assert ticket.deadlines.get(kind=DeadlineKind.REPLY).due_at == at("2026-03-04 10:00")

    services.ticket_pause(ticket=ticket, actor=engineer, reason="等客户日志", now=at("2026-03-02 11:00"))
    reply = ticket.deadlines.get(kind=DeadlineKind.REPLY)
    # Mon 11:00-12:00 and 13:30-18:00, Tue 7.5 h, Wed 09:00-10:00: 14 working hours left.
    assert (reply.state, reply.remaining, reply.next_action_at) == (Deadline.State.PAUSED, timedelta(hours=14), None)

    ticket = services.ticket_resume(ticket=ticket, actor=engineer, now=at("2026-03-05 09:00"))
    reply.refresh_from_db()
    assert ticket.status == S.HANDED_OFF
    assert reply.state == Deadline.State.RUNNING
    assert reply.due_at == at("2026-03-06 17:00")  # Thu 7.5 h + Fri 6.5 h
    assert reply.paused_total == at("2026-03-05 09:00") - at("2026-03-02 11:00")


def test_test_request_gives_the_customer_24_clock_hours(clerk, engineer):
    ticket = services.ticket_request_test(ticket=new_ticket(clerk), actor=clerk, now=at("2026-03-06 17:00"))
    deadline = ticket.deadlines.get(kind=DeadlineKind.TEST_CALLBACK)
    assert deadline.due_at == at("2026-03-07 17:00")  # clock hours: a Saturday is fine

    ticket = services.ticket_record_test_result(ticket=ticket, actor=clerk, is_solved=True, now=at("2026-03-07 10:00"))
    deadline.refresh_from_db()
    assert (ticket.status, ticket.outcome) == (S.RESOLVED, Ticket.Outcome.CUSTOMER_CONFIRMED)
    assert deadline.state == Deadline.State.MET


def test_resolve_at_first_contact_cancels_the_handoff_clock(clerk):
    ticket = services.ticket_resolve_first_contact(ticket=new_ticket(clerk), actor=clerk, now=at("2026-03-02 10:03"))
    assert ticket.outcome == Ticket.Outcome.FIRST_CONTACT
    assert ticket.deadlines.get().state == Deadline.State.CANCELLED


def test_reopen_starts_a_new_handoff_clock(clerk, engineer):
    ticket = ticket_in(S.CLOSED, clerk=clerk, engineer=engineer)
    ticket = services.ticket_reopen(ticket=ticket, actor=clerk, reason="客户再次来电", now=at("2026-03-03 17:00"))
    live = ticket.deadlines.get(state=Deadline.State.RUNNING)
    assert live.kind == DeadlineKind.HANDOFF
    assert live.due_at == at("2026-03-04 10:00")  # 1 h on Tuesday, 1 h on Wednesday
    assert (ticket.outcome, ticket.resolved_at, ticket.closed_at) == ("", None, None)


def test_manual_escalation_raises_priority_and_notifies_the_department_head(clerk, engineer, tech_head):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)
    ticket = services.ticket_escalate(ticket=ticket, actor=clerk, reason="客户要求主管回电", now=NOW)
    assert (ticket.priority, ticket.escalation_level) == (Ticket.Priority.HIGH, 1)
    event = ticket.events.get(type=TicketEvent.Type.ESCALATED)
    assert event.data["notified"] == [tech_head.pk]
    assert Notification.objects.filter(recipient=tech_head, ticket=ticket).exists()


def test_escalation_without_a_department_head_goes_to_supervisors(clerk, supervisor):
    ticket = services.ticket_escalate(ticket=new_ticket(clerk), actor=clerk, reason="投诉升级", now=NOW)
    assert Notification.objects.filter(recipient=supervisor, ticket=ticket).exists()


@pytest.mark.parametrize(
    ("verb", "kwargs", "field"),
    [
        ("ticket_reply", {"result": "  "}, "result"),
        ("ticket_pause", {"reason": ""}, "reason"),
        ("ticket_resolve", {"resolution": ""}, "resolution"),
        ("ticket_reopen", {"reason": ""}, "reason"),
        ("ticket_escalate", {"reason": ""}, "reason"),
    ],
)
def test_required_texts_are_required(verb, kwargs, field, clerk, engineer):
    status = {"ticket_reply": S.HANDED_OFF, "ticket_reopen": S.RESOLVED}.get(verb, S.OPEN)
    ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    before = snapshot(ticket)
    with pytest.raises(InvalidInput) as refused:
        getattr(services, verb)(ticket=ticket, actor=clerk, now=NOW, **kwargs)
    assert refused.value.field == field
    assert snapshot(ticket) == before


# --- Policies ---------------------------------------------------------------------------------


def test_the_most_specific_policy_sets_the_duration(clerk):
    urgent_line = CategoryFactory(name="停机")
    SlaPolicy.objects.create(
        deadline_kind=DeadlineKind.HANDOFF, priority=Ticket.Priority.URGENT, amount=1, unit="working_hours"
    )
    SlaPolicy.objects.create(deadline_kind=DeadlineKind.HANDOFF, category=urgent_line, amount=30, unit="clock_minutes")

    by_category = new_ticket(clerk, category=urgent_line, priority=Ticket.Priority.URGENT)
    by_priority = new_ticket(clerk, priority=Ticket.Priority.URGENT)
    default = new_ticket(clerk)

    assert by_category.deadlines.get().due_at == at("2026-03-02 10:30")
    assert by_priority.deadlines.get().due_at == at("2026-03-02 11:00")
    assert default.deadlines.get().due_at == at("2026-03-02 12:00")


# --- Access (K1) ---------------------------------------------------------------------------


def test_visibility_own_department_assigned_first_responded_or_everything_for_supervisors(
    clerk, engineer, supervisor, tech_dept
):
    from tickets.selectors import ticket_list_visible

    outsider = StaffFactory(user__username="outsider").user
    colleague_in_tech = StaffFactory(user__username="tech2", department=tech_dept).user
    mine = new_ticket(clerk)
    handed = services.ticket_hand_off(ticket=new_ticket(clerk), actor=clerk, to_user=engineer, now=NOW)
    by_outsider = new_ticket(outsider)

    def visible(user):
        return set(ticket_list_visible(user=user).values_list("pk", flat=True))

    assert visible(clerk) == {mine.pk, handed.pk}  # front desk department + first responder
    assert visible(engineer) == {handed.pk}
    assert visible(colleague_in_tech) == {handed.pk}  # same department
    assert visible(outsider) == {by_outsider.pk}
    assert visible(supervisor) == {mine.pk, handed.pk, by_outsider.pk}
