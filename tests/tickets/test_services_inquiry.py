"""A whole call in one transaction (`inquiry_take`), and the special reminders (A2) that
`ticket_create` keeps with the ticket."""

from __future__ import annotations

import pytest

from scripts_lib.models import ServiceType
from tests.clock import at
from tests.factories import CategoryFactory, CustomerFactory, DepartmentFactory, StaffFactory
from tests.tickets.helpers import new_ticket, written
from tickets import services
from tickets.exceptions import InvalidInput
from tickets.models import (
    Customer,
    Deadline,
    DeadlineKind,
    Notification,
    ProblemRoute,
    ProblemType,
    Ticket,
    TicketEvent,
)
from tickets.services import InquiryOutcome

S = Ticket.Status
E = TicketEvent.Type
NOW = at("2026-03-02 10:00")  # a Monday in an ordinary week


@pytest.fixture
def category(db):
    return CategoryFactory(name="签证咨询")


def take(actor, category=None, **overrides) -> Ticket:
    fields = {
        "actor": actor,
        "outcome": InquiryOutcome.KEEP_OPEN,
        "channel": Ticket.Channel.PHONE,
        "subject": "申根签证需要哪些材料",
        "category": category,
        "contact_name": "陈先生",
        "contact_phone": "13800000001",
        "now": NOW,
    }
    fields.update(overrides)
    return services.inquiry_take(**fields)


REMINDERS = [{"text": "付款方式及付款时限", "given": True}, {"text": "照片要求（尺寸、背景色、数量）", "given": False}]


# --- ticket_create keeps the service type and the reminders as given (A2) ---------------------


def test_create_keeps_the_service_type_and_a_copy_of_the_reminders_given(clerk, visa):
    ticket = new_ticket(clerk, service_type=visa, reminders=[{"text": "  付款方式及付款时限 ", "given": True}])

    ticket.refresh_from_db()
    assert ticket.service_type == visa
    assert ticket.reminders == [{"text": "付款方式及付款时限", "given": True}]
    event = ticket.events.get(type=E.CREATED)
    assert event.data["service_type"] == visa.pk
    assert event.data["reminders"] == [{"text": "付款方式及付款时限", "given": True}]


def test_create_without_the_new_arguments_keeps_working(clerk):
    ticket = new_ticket(clerk)

    ticket.refresh_from_db()
    assert (ticket.service_type, ticket.reminders) == (None, [])
    assert ticket.events.get().data["reminders"] == []


def test_later_edits_of_a_reminder_do_not_change_a_past_ticket(clerk, visa):
    reminder = visa.reminders.first()
    ticket = new_ticket(clerk, service_type=visa, reminders=[{"text": reminder.text, "given": True}])

    reminder.text = "改过的提醒"
    reminder.save()

    ticket.refresh_from_db()
    assert ticket.reminders == [{"text": "护照有效期、剩余空白签证页及尾页签名", "given": True}]


def test_create_refuses_an_inactive_service_type_and_writes_nothing(clerk, visa):
    visa.is_active = False
    visa.save()
    before = written()

    with pytest.raises(InvalidInput) as refusal:
        new_ticket(clerk, service_type=visa)

    assert refusal.value.field == "service_type"
    assert "签证办理" in refusal.value.message and "no longer in use" in refusal.value.message
    assert written() == before


@pytest.mark.parametrize(
    "reminder",
    [
        {"text": "", "given": True},
        {"text": "   ", "given": False},
        {"text": "付款方式", "given": "yes"},
        {"text": "付款方式"},
        {"given": True},
        {"text": 5, "given": True},
        "付款方式",
    ],
)
def test_create_refuses_a_malformed_reminder_and_writes_nothing(reminder, clerk):
    before = written()

    with pytest.raises(InvalidInput) as refusal:
        new_ticket(clerk, reminders=[{"text": "付款方式", "given": True}, reminder])

    assert refusal.value.field == "reminders"
    assert written() == before


# --- inquiry_take: the three outcomes ------------------------------------------------------------


def test_resolved_now_records_the_answer_and_cancels_the_handoff_clock(clerk, category, visa):
    ticket = take(
        clerk,
        category,
        outcome=InquiryOutcome.RESOLVE,
        answer="已告知所需材料清单",
        service_type=visa,
        reminders=REMINDERS,
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome, ticket.kind) == (S.RESOLVED, Ticket.Outcome.FIRST_CONTACT, "inquiry")
    assert (ticket.category, ticket.service_type, ticket.reminders) == (category, visa, REMINDERS)
    assert [(e.type, e.note) for e in ticket.events.all()] == [
        (E.CREATED, ""),
        (E.RESOLVED_FIRST_CONTACT, "已告知所需材料清单"),
    ]
    assert ticket.deadlines.get().state == Deadline.State.CANCELLED


def test_hand_off_to_a_colleague_meets_the_handoff_clock_and_starts_the_reply_clock(clerk, engineer, category):
    ticket = take(
        clerk,
        category,
        outcome=InquiryOutcome.HAND_OFF,
        to_user=engineer,
        callback_note="下午两点后",
        handoff_note="客户的护照明年到期",
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.first_responder) == (S.HANDED_OFF, engineer, clerk)
    assert (ticket.callback_phone, ticket.callback_note) == ("13800000001", "下午两点后")  # the caller's phone
    event = ticket.events.get(type=E.HANDED_OFF)
    assert (event.data["told_name"], event.data["told_extension"], event.note) == ("李工", "8201", "客户的护照明年到期")
    deadlines = {d.kind: d for d in ticket.deadlines.all()}
    assert deadlines[DeadlineKind.HANDOFF].state == Deadline.State.MET
    assert deadlines[DeadlineKind.HANDOFF].met_at == NOW
    assert deadlines[DeadlineKind.REPLY].state == Deadline.State.RUNNING
    assert deadlines[DeadlineKind.REPLY].due_at == at("2026-03-04 10:00")  # 2 working days (S2)
    assert Notification.objects.filter(recipient=engineer, ticket=ticket).exists()


def test_hand_off_by_problem_type_goes_to_the_routed_department(clerk, category, tech_dept, tech_head):
    ProblemRoute.objects.create(problem_type=ProblemType.TECHNICAL_QUALITY, department=tech_dept)

    ticket = take(
        clerk,
        category,
        outcome=InquiryOutcome.HAND_OFF,
        problem_type=ProblemType.TECHNICAL_QUALITY,
        callback_phone="13911112222",
    )

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee, ticket.problem_type) == (tech_dept, tech_head, "technical_quality")
    assert ticket.callback_phone == "13911112222"
    assert ticket.events.get(type=E.HANDED_OFF).data["told_extension"] == "8200"


def test_keep_open_leaves_it_on_the_clerks_desk_with_the_handoff_clock_running(clerk, category):
    ticket = take(clerk, category)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.department) == (S.OPEN, clerk, clerk.staff.department)
    assert [e.type for e in ticket.events.all()] == [E.CREATED]
    handoff = ticket.deadlines.get()
    assert (handoff.kind, handoff.state, handoff.due_at) == (DeadlineKind.HANDOFF, "running", at("2026-03-02 12:00"))


# --- inquiry_take: the caller -------------------------------------------------------------------


def test_an_existing_customer_is_linked_and_their_details_fill_the_contact(clerk, category):
    customer = CustomerFactory(name="陈明", phone="13900000000")

    ticket = take(clerk, category, customer=customer, contact_name="", contact_phone="")

    assert ticket.customer == customer
    assert (ticket.contact_name, ticket.contact_phone) == ("陈明", "13900000000")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("1390000", "13900000000"),  # part of the number, typed to find them: their number
        ("8001 3800", "0571-8001-3800"),  # part of their other number: that one
        ("13911112222", "13911112222"),  # a number not on record: the caller's, as typed
    ],
)
def test_the_contact_phone_of_a_known_customer_is_the_number_the_digits_belong_to(typed, kept, clerk, category):
    customer = CustomerFactory(name="陈明", phone="13900000000", phone_alt="0571-8001-3800")

    ticket = take(clerk, category, customer=customer, contact_name="", contact_phone=typed)

    assert ticket.contact_phone == kept


def test_a_new_customer_is_created_with_the_callers_name_and_phone_by_default(clerk, category):
    ticket = take(clerk, category, new_customer={"name": "", "phone": "", "company": "杭州某公司", "id_number": ""})

    customer = Customer.objects.get()
    assert ticket.customer == customer
    assert (customer.name, customer.phone, customer.company) == ("陈先生", "13800000001", "杭州某公司")


def test_a_new_customer_keeps_its_own_details_and_id_number(clerk, category):
    take(
        clerk,
        category,
        new_customer={"name": "陈明", "phone": "0571-88886666", "company": "", "id_number": "330102199001011234"},
    )

    customer = Customer.objects.get()
    assert (customer.name, customer.phone, customer.masked_id_number) == ("陈明", "0571-88886666", "330***********1234")


def test_caller_only_keeps_the_contact_details_without_a_customer_record(clerk, category):
    ticket = take(clerk, category)

    assert ticket.customer is None
    assert (ticket.contact_name, ticket.contact_phone) == ("陈先生", "13800000001")
    assert Customer.objects.count() == 0


# --- inquiry_take: every refusal writes nothing, the customer included ------------------------


def _inactive_colleague():
    profile = StaffFactory(user__username="gone", user__first_name="离职员工")
    profile.user.is_active = False
    profile.user.save()
    return profile.user


REFUSALS = {
    "no category": ({"category": None}, "category", "call reason"),
    "no customer and no phone": ({"contact_phone": "  "}, "contact_phone", "caller's phone is required"),
    "unknown outcome": ({"outcome": "maybe"}, "outcome", "Unknown outcome"),
    "resolved without an answer": ({"outcome": InquiryOutcome.RESOLVE}, "answer", "answer given"),
    "hand off without a target": ({"outcome": InquiryOutcome.HAND_OFF}, "to_user", "Choose a colleague"),
    "both a customer and a new one": ({"customer": "existing", "new_customer": {"name": "陈"}}, "customer", "not both"),
    "a new customer without a name": (
        {"contact_name": "", "new_customer": {"name": "", "phone": ""}},
        "new_name",
        "Customer name is required",
    ),
    "an inactive service type": ({"service_type": "inactive"}, "service_type", "no longer in use"),
    "a malformed reminder": ({"reminders": [{"text": "", "given": True}]}, "reminders", "special reminder"),
    "an empty subject": ({"subject": " "}, "subject", "Subject is required"),
}


@pytest.mark.parametrize("case", REFUSALS.keys())
def test_a_refused_call_writes_nothing(case, clerk, category, visa):
    overrides, field, message = REFUSALS[case]
    overrides = {"category": category, "new_customer": None, **overrides}
    if overrides.get("customer") == "existing":
        overrides = {**overrides, "customer": CustomerFactory()}
    if overrides.get("service_type") == "inactive":
        ServiceType.objects.filter(pk=visa.pk).update(is_active=False)
        visa.refresh_from_db()
        overrides = {**overrides, "service_type": visa}
    before = written()

    with pytest.raises(InvalidInput) as refusal:
        take(clerk, **overrides)

    assert refusal.value.field == field
    assert message in refusal.value.message
    assert written() == before


@pytest.mark.parametrize("target", ["inactive colleague", "department without a head"])
def test_a_hand_off_refused_after_the_customer_and_ticket_were_written_rolls_both_back(target, clerk, category):
    if target == "inactive colleague":
        overrides, field = {"to_user": _inactive_colleague()}, "to_user"
    else:
        overrides, field = {"to_department": DepartmentFactory(name="法务部", code="legal")}, "told_name"
    before = written()

    with pytest.raises(InvalidInput) as refusal:
        take(
            clerk,
            category,
            outcome=InquiryOutcome.HAND_OFF,
            new_customer={"name": "陈明", "phone": "13900000000", "company": "", "id_number": ""},
            **overrides,
        )

    assert refusal.value.field == field
    assert written() == before
    # The reference number was not used up either (T2: no gaps).
    assert take(clerk, category).reference == "20260302-1001-001"
