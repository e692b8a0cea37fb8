"""Messages for absent colleagues (V3, 004 示例4): taking one on a visit, notifying the colleague
(an urgent one at once), and marking it handled: by whom, and only once."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from tests.clock import at
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import snapshot
from tickets import services, tasks
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted
from tickets.models import Notification, StaffProfile, Ticket, TicketEvent
from visits.messages import message_mark_handled, message_take
from visits.models import VisitorMessage

T0 = at("2026-03-02 10:00")
LATER = at("2026-03-02 15:30")


class RecordingSender:
    """The pluggable sender, keeping what it delivered."""

    sent: list[str] = []

    def send(self, notification) -> None:
        RecordingSender.sent.append(notification.text)


@pytest.fixture
def queue(monkeypatch, settings):
    """Deliveries go through RecordingSender; the Celery queue only records what was put on it
    (in production a worker picks it up later), so a test sees what is delivered *now*."""
    RecordingSender.sent = []
    settings.SERVICEDESK = {**settings.SERVICEDESK, "NOTIFICATION_SENDER": f"{__name__}.RecordingSender"}
    queued: list[int] = []
    monkeypatch.setattr(tasks.notification_send, "delay", lambda pk: queued.append(pk))
    return queued


@pytest.fixture
def manager(db):
    """管理处主任 of another department: the person visitors come to see."""
    return StaffFactory(
        user__username="manager",
        user__first_name="周主任",
        staff_no="7001",
        extension="8700",
        department=DepartmentFactory(name="管理处", code="office"),
        role=StaffProfile.Role.OFFICE_MANAGER,
    ).user


@pytest.fixture
def dept_head(db):
    return StaffFactory(
        user__username="salesboss",
        user__first_name="孙经理",
        staff_no="7100",
        extension="8710",
        department=DepartmentFactory(name="销售部", code="sales"),
        role=StaffProfile.Role.DEPT_HEAD,
    ).user


@pytest.fixture
def visit(clerk):
    return services.ticket_create(
        actor=clerk,
        kind=Ticket.Kind.VISIT,
        channel=Ticket.Channel.WALK_IN,
        subject="找孙经理洽谈",
        contact_name="陈先生",
        contact_phone="13800000001",
        now=T0,
    )


def take(visit, clerk, recipient, **overrides):
    fields = {
        "visitor_name": "陈先生",
        "contact": "138 0000 0001",
        "text": "想谈车位租赁合同续签,下午三点后方便回电。",
        "is_urgent": False,
        "now": T0,
    }
    fields.update(overrides)
    return message_take(ticket=visit, actor=clerk, recipient=recipient, **fields)


def message_rows() -> int:
    return VisitorMessage.objects.count()


# --- Taking a message ---------------------------------------------------------------------------


def test_taking_a_message_records_it_on_the_visit_and_notifies_the_colleague(clerk, dept_head, visit, queue):
    message = take(visit, clerk, dept_head)

    assert (message.recipient, message.taken_by, message.taken_at) == (dept_head, clerk, T0)
    assert (message.visitor_name, message.contact, message.is_urgent) == ("陈先生", "138 0000 0001", False)
    assert not message.is_handled
    event = TicketEvent.objects.filter(ticket=visit).latest("id")
    assert (event.type, event.actor, event.created_at) == (TicketEvent.Type.MESSAGE_TAKEN, clerk, T0)
    assert event.note.startswith("Message for 孙经理: 想谈车位租赁合同续签")
    assert event.data["message"] == message.pk and event.data["is_urgent"] is False
    notification = Notification.objects.get(recipient=dept_head)
    assert notification.ticket == visit
    assert notification.text == (
        f"陈先生 (138 0000 0001) came to see you while you were away. Visit {visit.reference}: "
        "想谈车位租赁合同续签,下午三点后方便回电。"
    )
    assert not notification.text.startswith("[Urgent]")


def test_a_normal_message_waits_in_the_delivery_queue(
    clerk, dept_head, visit, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        take(visit, clerk, dept_head)

    notification = Notification.objects.get(recipient=dept_head)
    assert queue == [notification.pk]  # the worker delivers it
    assert RecordingSender.sent == []
    assert notification.sent_at is None


def test_an_urgent_message_says_so_and_is_delivered_at_once(
    clerk, dept_head, visit, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = take(visit, clerk, dept_head, is_urgent=True, text="业主家漏水,急需主任签字")

    assert message.is_urgent
    notification = Notification.objects.get(recipient=dept_head)
    assert notification.text.startswith("[Urgent] 陈先生 (138 0000 0001) came to see you; it cannot wait.")
    assert "业主家漏水,急需主任签字" in notification.text
    # Delivered in this request, not left waiting for the worker …
    assert RecordingSender.sent == [notification.text]
    notification.refresh_from_db()
    assert notification.sent_at is not None
    # … and the queued delivery, when the worker gets to it, does not send it twice.
    assert queue == [notification.pk]
    assert tasks.notifications.notification_send(notification_id=notification.pk) is False
    assert RecordingSender.sent == [notification.text]
    event = TicketEvent.objects.filter(ticket=visit, type=TicketEvent.Type.MESSAGE_TAKEN).get()
    assert event.note.startswith("Urgent message for 孙经理")


def test_nothing_is_sent_when_the_transaction_rolls_back(
    clerk, dept_head, visit, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        take(visit, clerk, dept_head, is_urgent=True)

    assert len(callbacks) == 2  # the queued delivery and the immediate one, both only after commit
    assert RecordingSender.sent == []


def test_an_urgent_message_is_still_queued_when_the_sender_fails(
    clerk, dept_head, visit, queue, settings, django_capture_on_commit_callbacks
):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "NOTIFICATION_SENDER": f"{__name__}.BrokenSender"}

    with django_capture_on_commit_callbacks(execute=True):
        take(visit, clerk, dept_head, is_urgent=True)

    notification = Notification.objects.get(recipient=dept_head)
    assert notification.sent_at is None
    assert queue == [notification.pk]  # the worker tries again
    assert VisitorMessage.objects.filter(is_urgent=True).count() == 1


class BrokenSender:
    def send(self, notification) -> None:
        raise ConnectionError("SMS gateway down")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"recipient": None}, "recipient"),
        ({"visitor_name": "  "}, "visitor_name"),
        ({"visitor_name": "陈" * 101}, "visitor_name"),
        ({"contact": ""}, "contact"),
        ({"contact": "不知道"}, "contact"),
        ({"contact": "123"}, "contact"),
        ({"text": " \n "}, "text"),
        ({"text": "话" * 1001}, "text"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(clerk, dept_head, visit, overrides, field):
    before = snapshot(visit)
    recipient = overrides.pop("recipient", dept_head)

    with pytest.raises(InvalidInput) as refusal:
        take(visit, clerk, recipient, **overrides)

    assert refusal.value.field == field
    assert snapshot(visit) == before
    assert message_rows() == 0


def test_an_inactive_colleague_cannot_be_sent_a_message(clerk, dept_head, visit):
    dept_head.is_active = False
    dept_head.save(update_fields=["is_active"])
    before = snapshot(visit)

    with pytest.raises(InvalidInput, match="孙经理 is not an active staff member") as refusal:
        take(visit, clerk, dept_head)

    assert refusal.value.field == "recipient"
    assert snapshot(visit) == before and message_rows() == 0


def test_a_message_for_yourself_is_refused(clerk, visit):
    with pytest.raises(InvalidInput) as refusal:
        take(visit, clerk, clerk)

    assert refusal.value.field == "recipient"
    assert message_rows() == 0


def test_no_message_on_a_closed_visit(clerk, dept_head, visit):
    services.ticket_resolve_first_contact(ticket=visit, actor=clerk, note="已接待", now=T0)
    services.ticket_close(ticket=visit, actor=clerk, now=T0)
    before = snapshot(visit)

    with pytest.raises(IllegalTransition, match="Closed"):
        take(visit, clerk, dept_head)

    assert snapshot(visit) == before and message_rows() == 0


# --- Marking it handled -------------------------------------------------------------------------


def test_the_recipient_marks_it_handled(clerk, dept_head, visit):
    message = take(visit, clerk, dept_head)

    message = message_mark_handled(message=message, actor=dept_head, note="已回电,约周三面谈", now=LATER)

    assert (message.handled_at, message.handled_by, message.handled_note) == (LATER, dept_head, "已回电,约周三面谈")
    event = TicketEvent.objects.filter(ticket=visit).latest("id")
    assert (event.type, event.actor, event.created_at) == (TicketEvent.Type.MESSAGE_HANDLED, dept_head, LATER)
    assert event.note == "Message from 陈先生 handled: 已回电,约周三面谈"


@pytest.mark.parametrize("overseer", ["supervisor", "manager"])
def test_a_supervisor_or_the_office_manager_may_mark_it_handled(request, clerk, dept_head, visit, overseer):
    actor = request.getfixturevalue(overseer)
    message = take(visit, clerk, dept_head)

    message = message_mark_handled(message=message, actor=actor, now=LATER)

    assert message.handled_by == actor


@pytest.mark.parametrize("who", ["clerk", "engineer", "tech_head"])
def test_nobody_else_may_mark_it_handled(request, clerk, dept_head, visit, who):
    """Not even whoever took it: the message is the colleague's to close."""
    actor = request.getfixturevalue(who)
    message = take(visit, clerk, dept_head)
    before = snapshot(visit), model_to_dict(message)

    with pytest.raises(NotPermitted, match="Only 孙经理, a supervisor or the office manager"):
        message_mark_handled(message=message, actor=actor, now=LATER)

    message.refresh_from_db()
    assert (snapshot(visit), model_to_dict(message)) == before


def test_a_message_handled_twice_is_refused(clerk, dept_head, supervisor, visit):
    message = take(visit, clerk, dept_head)
    message_mark_handled(message=message, actor=dept_head, note="已回电", now=LATER)
    before = snapshot(visit)

    with pytest.raises(IllegalTransition, match="already marked handled by 孙经理 on 2026-03-02 15:30"):
        message_mark_handled(message=message, actor=supervisor, now=at("2026-03-02 16:00"))

    message.refresh_from_db()
    assert (message.handled_by, message.handled_note) == (dept_head, "已回电")
    assert snapshot(visit) == before


def test_an_over_long_note_is_refused(clerk, dept_head, visit):
    message = take(visit, clerk, dept_head)

    with pytest.raises(InvalidInput) as refusal:
        message_mark_handled(message=message, actor=dept_head, note="记" * 501, now=LATER)

    assert refusal.value.field == "note"
    message.refresh_from_db()
    assert not message.is_handled
