"""The Django admin: every changelist within a query budget, the ID number masked, the record read-only."""

from __future__ import annotations

import sys
import types
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tickets.models import (
    Category,
    Customer,
    Deadline,
    DeadlineKind,
    Department,
    DurationUnit,
    Notification,
    ProblemRoute,
    ProblemType,
    SlaAction,
    SlaPolicy,
    StaffProfile,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)
ROWS = 6  # per model: more rows than any budget's headroom (2 queries), so an N+1 query cannot hide
RAW_ID_NUMBERS = [f"11010519491231{n:03d}X" for n in range(ROWS)]

User = get_user_model()


@pytest.fixture
def world():
    """A few rows of every model the admin shows, linked the way the app links them."""
    staff = []
    departments = []
    for n in range(ROWS):
        head = User.objects.create_user(username=f"head{n}", first_name="部门", last_name=f"主管{n}")
        department = Department.objects.create(name=f"部门{n}", code=f"dept-{n}", head=head)
        user = User.objects.create_user(username=f"staff{n}", first_name="员工", last_name=f"{n}号")
        StaffProfile.objects.create(
            user=user, staff_no=f"S{n:03d}", extension=f"80{n:02d}", department=department, role="handler"
        )
        departments.append(department)
        staff.append(user)

    root = Category.objects.create(name="咨询")
    categories = [root]
    parent = root
    for n in range(ROWS - 1):
        # A path three levels deep, then siblings under it.
        parent = Category.objects.create(name=f"类别{n}", parent=parent if n < 2 else categories[2])
        categories.append(parent)

    customers = [
        Customer.objects.create(
            name=f"客户{n}", phone=f"1380000{n:04d}", id_number=RAW_ID_NUMBERS[n], primary_contact=staff[n]
        )
        for n in range(ROWS)
    ]
    for n, problem_type in enumerate(ProblemType.values):
        ProblemRoute.objects.create(problem_type=problem_type, department=departments[n])

    policies = [
        SlaPolicy.objects.create(
            deadline_kind=DeadlineKind.REPLY,
            ticket_kind=Ticket.Kind.INQUIRY,
            category=categories[n],
            priority=Ticket.Priority.NORMAL,
            amount=Decimal(2 + n),
            unit=DurationUnit.WORKING_DAYS,
            warn_ratio=Decimal("0.80"),
        )
        for n in range(ROWS)
    ]

    tickets = []
    for n in range(ROWS):
        created_at = T0 + timedelta(hours=n)
        ticket = Ticket.objects.create(
            reference=f"20250303-S{n:03d}-001",
            kind=Ticket.Kind.INQUIRY,
            channel=Ticket.Channel.PHONE,
            status=Ticket.Status.HANDED_OFF,
            subject=f"问题{n}",
            contact_phone=f"1390000{n:04d}",
            customer=customers[n],
            category=categories[-1],
            first_responder=staff[n],
            assignee=staff[(n + 1) % ROWS],
            department=departments[n],
            created_at=created_at,
            updated_at=created_at,
        )
        TicketEvent.objects.create(
            ticket=ticket, actor=staff[n], created_at=created_at, type=TicketEvent.Type.CREATED, note="受理"
        )
        TicketEvent.objects.create(
            ticket=ticket,
            actor=staff[n],
            created_at=created_at + timedelta(minutes=30),
            type=TicketEvent.Type.HANDED_OFF,
            status_before=Ticket.Status.OPEN,
            status_after=Ticket.Status.HANDED_OFF,
        )
        deadline = Deadline.objects.create(
            ticket=ticket,
            kind=DeadlineKind.REPLY,
            policy=policies[n],
            amount=Decimal(2),
            unit=DurationUnit.WORKING_DAYS,
            warn_ratio=Decimal("0.80"),
            started_at=created_at,
            anchor_at=created_at,
            window=timedelta(hours=16),
            paused_total=timedelta(0),
            due_at=created_at + timedelta(days=2),
            warn_at=created_at + timedelta(days=1),
            warned_at=created_at + timedelta(days=1),
        )
        SlaAction.objects.create(
            deadline=deadline, action=SlaAction.Action.WARN, due_at=deadline.due_at, acted_at=deadline.warned_at
        )
        Notification.objects.create(
            recipient=staff[n], ticket=ticket, text=f"工单{ticket.reference}即将到期", created_at=created_at
        )
        tickets.append(ticket)
    return {"tickets": tickets, "customers": customers, "policies": policies, "staff": staff}


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_delete", args=[obj.pk])


# --- Changelists: every one answers, with its rows, within a fixed number of queries ---------


@pytest.mark.parametrize(
    "model, budget",
    [
        (Department, 7),
        (StaffProfile, 8),
        (User, 8),
        (Customer, 7),
        (Category, 7),
        (ProblemRoute, 7),
        (SlaPolicy, 7),
        (Ticket, 10),
        (TicketEvent, 9),
        (SlaAction, 8),
        (Notification, 7),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else str(value),
)
def test_changelist_lists_rows_within_query_budget(admin_client, django_assert_max_num_queries, world, model, budget):
    with django_assert_max_num_queries(budget):
        response = admin_client.get(changelist(model))

    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count() >= len(ProblemType.values)


def test_ticket_changelist_shows_joined_columns(admin_client, world):
    ticket = world["tickets"][0]

    response = admin_client.get(changelist(Ticket), {"q": ticket.reference})

    content = response.content.decode()
    assert response.context["cl"].result_count == 1
    assert ticket.subject in content
    assert ticket.department.name in content
    assert ticket.first_responder.get_username() in content


def test_category_changelist_shows_the_path(admin_client, world):
    response = admin_client.get(changelist(Category))

    assert "咨询 / 类别0 / 类别1" in response.content.decode()


def test_ticket_search_by_contact_phone(admin_client, world):
    response = admin_client.get(changelist(Ticket), {"q": "13900000003"})

    assert [t.reference for t in response.context["cl"].result_list] == ["20250303-S003-001"]


# --- Customers: the ID number is never shown unmasked in a list ------------------------------


def test_customer_changelist_masks_the_id_number(admin_client, world):
    response = admin_client.get(changelist(Customer))

    content = response.content.decode()
    for customer, raw in zip(world["customers"], RAW_ID_NUMBERS, strict=True):
        assert customer.masked_id_number in content
        assert raw not in content
    assert "110***********000X" in content


def test_customer_search_does_not_match_or_echo_id_numbers(admin_client, world):
    response = admin_client.get(changelist(Customer), {"q": "491231"})

    assert response.context["cl"].result_count == 0
    assert RAW_ID_NUMBERS[0] not in response.content.decode()


def test_customer_search_by_name_and_phone(admin_client, world):
    by_name = admin_client.get(changelist(Customer), {"q": "客户2"})
    by_phone = admin_client.get(changelist(Customer), {"q": "13800000004"})

    assert [c.name for c in by_name.context["cl"].result_list] == ["客户2"]
    assert [c.name for c in by_phone.context["cl"].result_list] == ["客户4"]
    assert RAW_ID_NUMBERS[2] not in by_name.content.decode()


def test_customer_change_form_edits_the_raw_id_number(admin_client, world):
    customer = world["customers"][0]

    response = admin_client.post(
        change_url(customer),
        {"name": customer.name, "phone": customer.phone, "id_number": "440301199001011234"},
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.id_number == "440301199001011234"


# --- Tickets and their record: read-only -----------------------------------------------------


def test_ticket_change_view_is_read_only_with_event_and_deadline_inlines(admin_client, world):
    ticket = world["tickets"][0]

    response = admin_client.get(change_url(ticket))

    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert not response.context["adminform"].form.fields  # every field is displayed read-only
    assert ticket.reference in content
    assert 'name="_save"' not in content
    inlines = {formset.opts.model: formset for formset in response.context["inline_admin_formsets"]}
    assert len(inlines[TicketEvent].formset.forms) == 2
    assert len(inlines[Deadline].formset.forms) == 1
    for inline in inlines.values():
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission


def test_ticket_cannot_be_added_changed_or_deleted(admin_client, world):
    ticket = world["tickets"][0]
    before = Ticket.objects.count()

    add = admin_client.post(reverse("admin:tickets_ticket_add"), {"subject": "x"})
    change = admin_client.post(change_url(ticket), {"subject": "改过", "status": "closed"})
    delete = admin_client.post(delete_url(ticket), {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.status) == ("问题0", Ticket.Status.HANDED_OFF)
    assert Ticket.objects.count() == before


def test_ticket_event_cannot_be_changed_or_deleted(admin_client, world):
    event = world["tickets"][0].events.get(type=TicketEvent.Type.CREATED)
    snapshot = TicketEvent.objects.filter(pk=event.pk).values().get()
    count = TicketEvent.objects.count()

    change = admin_client.post(change_url(event), {"note": "改写", "type": TicketEvent.Type.NOTE})
    delete = admin_client.post(delete_url(event), {"post": "yes"})
    bulk = admin_client.post(
        changelist(TicketEvent), {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    add = admin_client.post(reverse("admin:tickets_ticketevent_add"), {"ticket": event.ticket_id, "note": "新"})

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    assert bulk.status_code in (200, 302)  # no such action: the changelist answers and does nothing
    assert TicketEvent.objects.filter(pk=event.pk).values().get() == snapshot
    assert TicketEvent.objects.count() == count


def test_ticket_event_change_view_is_view_only(admin_client, world):
    event = world["tickets"][0].events.first()

    response = admin_client.get(change_url(event))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "delete_selected" not in admin_client.get(changelist(TicketEvent)).content.decode()


def test_sla_action_is_read_only(admin_client, world):
    action = SlaAction.objects.first()

    change = admin_client.post(change_url(action), {"level": 3})
    delete = admin_client.post(delete_url(action), {"post": "yes"})

    assert (change.status_code, delete.status_code) == (403, 403)
    action.refresh_from_db()
    assert action.level == 0


def test_ticket_admin_shows_only_tickets_the_staff_member_may_see(client, world):
    # K1: a staff user with view permission sees their own department's tickets, not all.
    from django.contrib.auth.models import Permission

    user = world["staff"][0]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(user)

    response = client.get(changelist(Ticket))
    hidden = client.get(change_url(world["tickets"][3]))

    references = {t.reference for t in response.context["cl"].result_list}
    assert references == {"20250303-S000-001", "20250303-S005-001"}  # first responder / assignee
    assert hidden.status_code == 302  # "does not exist" redirect, as for a missing ticket


# --- User admin: the staff profile inline ----------------------------------------------------


def test_user_change_view_has_the_staff_profile_inline(admin_client, world):
    user = world["staff"][1]

    response = admin_client.get(change_url(user))

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.opts.model is StaffProfile
    assert 'value="S001"' in response.content.decode()


def test_user_admin_saves_staff_profile_inline(admin_client, world):
    user = User.objects.create_user(username="newbie", password="x-Secret-123")
    department = Department.objects.first()
    data = {
        "username": "newbie",
        "first_name": "新",
        "last_name": "人",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2025-03-03",
        "date_joined_1": "09:00:00",
        "staff-TOTAL_FORMS": "1",
        "staff-INITIAL_FORMS": "0",
        "staff-MIN_NUM_FORMS": "0",
        "staff-MAX_NUM_FORMS": "1",
        "staff-0-staff_no": "N007",
        "staff-0-extension": "8123",
        "staff-0-department": str(department.pk),
        "staff-0-role": StaffProfile.Role.FRONT_DESK,
        "staff-0-user": str(user.pk),
    }

    response = admin_client.post(change_url(user), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert StaffProfile.objects.get(user=user).staff_no == "N007"


# --- SLA policy form ------------------------------------------------------------------------


def policy_form_data(**overrides) -> dict[str, str]:
    data = {
        "deadline_kind": DeadlineKind.HANDOFF,
        "ticket_kind": "",
        "category": "",
        "priority": "",
        "amount": "2",
        "unit": DurationUnit.WORKING_HOURS,
        "warn_ratio": "0.8",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def recompute_calls(monkeypatch) -> list[str]:
    """Record what the admin asks tickets.deadlines to recompute, without queueing a task."""
    calls: list[str] = []
    stand_in = types.ModuleType("tickets.deadlines")
    stand_in.deadlines_recompute_later = lambda *, reason: calls.append(reason)
    monkeypatch.setitem(sys.modules, "tickets.deadlines", stand_in)
    return calls


@pytest.mark.parametrize(
    "field, value",
    [("amount", "0"), ("amount", "-1"), ("warn_ratio", "1.5"), ("warn_ratio", "1"), ("warn_ratio", "0")],
)
def test_sla_policy_form_refuses_out_of_range_values(admin_client, recompute_calls, field, value):
    before = set(SlaPolicy.objects.values_list("pk", "amount", "warn_ratio"))

    response = admin_client.post(reverse("admin:tickets_slapolicy_add"), policy_form_data(**{field: value}))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == [field]  # a field error, not a constraint's non-field error
    assert set(SlaPolicy.objects.values_list("pk", "amount", "warn_ratio")) == before
    assert recompute_calls == []


def test_sla_policy_form_refuses_out_of_range_values_on_change(admin_client, recompute_calls, world):
    policy = world["policies"][0]

    response = admin_client.post(change_url(policy), policy_form_data(amount="0", warn_ratio="1.5"))

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"amount", "warn_ratio"}
    policy.refresh_from_db()
    assert (policy.amount, policy.warn_ratio) == (Decimal(2), Decimal("0.80"))
    assert recompute_calls == []


def test_sla_policy_save_and_delete_recompute_deadlines(admin_client, recompute_calls):
    existing = set(SlaPolicy.objects.values_list("pk", flat=True))
    added = admin_client.post(reverse("admin:tickets_slapolicy_add"), policy_form_data(priority="urgent"))
    policy = SlaPolicy.objects.exclude(pk__in=existing).get()
    changed = admin_client.post(change_url(policy), policy_form_data(priority="urgent", amount="3", warn_ratio=""))
    policy.refresh_from_db()
    deleted = admin_client.post(delete_url(policy), {"post": "yes"})

    assert (added.status_code, changed.status_code, deleted.status_code) == (302, 302, 302)
    assert (policy.amount, policy.warn_ratio) == (Decimal(3), None)
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert len(recompute_calls) == 3
    assert all(isinstance(reason, str) and reason for reason in recompute_calls)


def test_sla_policy_bulk_delete_recomputes_once(admin_client, recompute_calls, world):
    ids = [p.pk for p in world["policies"][:2]]

    response = admin_client.post(
        changelist(SlaPolicy), {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )

    assert response.status_code == 302
    assert not SlaPolicy.objects.filter(pk__in=ids).exists()
    assert len(recompute_calls) == 1


# --- Notifications --------------------------------------------------------------------------


def test_notification_mark_as_read_action(admin_client, world):
    ids = list(Notification.objects.values_list("pk", flat=True)[:3])

    response = admin_client.post(changelist(Notification), {"action": "mark_as_read", "_selected_action": ids})

    assert response.status_code == 302
    assert set(Notification.objects.filter(is_read=True).values_list("pk", flat=True)) == set(ids)
