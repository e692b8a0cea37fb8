"""Release slip rules, desk payments with their invoice deadline, numbering and CSV import."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.clock import at
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import T0
from tickets import deadlines as dl
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import Deadline, DeadlineKind, Notification, StaffProfile, Ticket, TicketEvent
from tickets.services import ticket_create
from visits import release
from visits.models_release import CounterPayment, OwnerConfirmation, PropertyAccount, ReleaseSlip

Event = TicketEvent.Type
ITEMS = [{"item": "冰箱", "quantity": "1"}, {"item": "纸箱", "quantity": "6"}]


@pytest.fixture(autouse=True)
def sla_handlers():
    release.register_sla_handlers()


@pytest.fixture
def visit(clerk):
    return ticket_create(
        actor=clerk,
        kind=Ticket.Kind.VISIT,
        channel=Ticket.Channel.WALK_IN,
        subject="物品放行",
        contact_name="李租户",
        contact_phone="13900000002",
        now=T0,
    )


def account(unit="3栋1502", months=0, amount="0.00", tenant="李租户"):
    return PropertyAccount.objects.create(
        unit=unit,
        owner_name="王业主",
        owner_phone="13800000001",
        tenant_name=tenant,
        tenant_phone="13900000002" if tenant else "",
        months_unpaid=months,
        amount_owed=Decimal(amount),
        updated_at=T0,
    )


@pytest.fixture
def cs_manager(db):
    dept = DepartmentFactory(name="客服中心", code="customer_service")
    head = StaffFactory(
        user__username="csmanager", staff_no="3000", department=dept, role=StaffProfile.Role.DEPT_HEAD
    ).user
    dept.head = head
    dept.save(update_fields=["head"])
    return head


def invoice_actions(actions):
    return [action for action in actions if action.kind == DeadlineKind.INVOICE_DELIVERY]


def events(ticket, type):
    return list(TicketEvent.objects.filter(ticket=ticket, type=type))


# --- Release rules ------------------------------------------------------------------------------


def test_tenant_with_arrears_is_refused_showing_months_and_amount(visit, clerk):
    account(months=2, amount="860.00")
    with pytest.raises(release.ReleaseRefused) as refused:
        release.release_issue(ticket=visit, actor=clerk, unit="3栋1502", mover="tenant", items=ITEMS, now=T0)
    assert "2 months" in refused.value.message and "¥860.00" in refused.value.message
    assert refused.value.months == 2 and refused.value.amount == Decimal("860.00")
    [event] = events(visit, Event.RELEASE_REFUSED)
    assert event.data["months_unpaid"] == 2 and event.data["amount_owed"] == "860.00"
    assert not ReleaseSlip.objects.exists()
    assert not events(visit, Event.RELEASE_ISSUED)


def test_tenant_without_owner_confirmation_is_refused_and_nothing_written(visit, clerk):
    account()
    before = TicketEvent.objects.count()
    with pytest.raises(IllegalTransition, match="owner's agreement"):
        release.release_issue(ticket=visit, actor=clerk, unit="3栋1502", mover="tenant", items=ITEMS, now=T0)
    assert TicketEvent.objects.count() == before
    assert not ReleaseSlip.objects.exists()


def test_tenant_with_confirmation_gets_a_numbered_slip(visit, clerk):
    account()
    confirmation = release.release_owner_confirm(
        ticket=visit, actor=clerk, unit="3栋 1502", method="phone", confirmed_at=at("2026-03-02 09:55"), now=T0
    )
    assert confirmation.confirmed_by == "王业主"
    slip = release.release_issue(ticket=visit, actor=clerk, unit="3栋1502", mover="tenant", items=ITEMS, now=T0)
    assert slip.number == "FX20260302-001"
    assert slip.person_name == "李租户" and slip.confirmation == confirmation
    assert slip.items == [{"item": "冰箱", "quantity": 1}, {"item": "纸箱", "quantity": 6}]
    assert len(events(visit, Event.OWNER_CONFIRMED)) == 1
    [issued] = events(visit, Event.RELEASE_ISSUED)
    assert issued.data["slip"] == "FX20260302-001"
    assert not Notification.objects.exists()


def test_owner_three_months_in_arrears_proceeds_without_notifying(visit, clerk, cs_manager):
    account(months=3, amount="1290.00")
    slip = release.release_issue(ticket=visit, actor=clerk, unit="3栋1502", mover="owner", items=ITEMS, now=T0)
    assert slip.person_name == "王业主" and not slip.is_manager_notified
    assert not Notification.objects.filter(recipient=cs_manager).exists()


def test_owner_more_than_three_months_in_arrears_proceeds_and_the_cs_manager_is_notified(visit, clerk, cs_manager):
    account(months=4, amount="1720.00")
    slip = release.release_issue(ticket=visit, actor=clerk, unit="3栋1502", mover="owner", items=ITEMS, now=T0)
    assert slip.is_manager_notified
    [note] = Notification.objects.filter(recipient=cs_manager)
    assert "3栋1502" in note.text and slip.number in note.text
    assert events(visit, Event.RELEASE_ISSUED)[0].data["notified"] == [cs_manager.pk]


def test_without_a_cs_department_every_supervisor_is_notified(visit, clerk, supervisor, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "CS_MANAGER_DEPARTMENT": "nobody"}
    account(months=5, amount="2000.00")
    release.release_issue(ticket=visit, actor=clerk, unit="3栋1502", mover="owner", items=ITEMS, now=T0)
    assert Notification.objects.filter(recipient=supervisor).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"unit": "9栋0101"}, "unit"),
        ({"unit": ""}, "unit"),
        ({"mover": "neighbour"}, "mover"),
        ({"items": []}, "items"),
        ({"items": [{"item": "", "quantity": "2"}]}, "items"),
        ({"items": [{"item": "沙发", "quantity": "0"}]}, "items"),
        ({"items": [{"item": "沙发", "quantity": "two"}]}, "items"),
    ],
)
def test_bad_release_input_writes_nothing(visit, clerk, kwargs, field):
    account()
    args = {"unit": "3栋1502", "mover": "owner", "items": ITEMS, **kwargs}
    before = TicketEvent.objects.count()
    with pytest.raises(InvalidInput) as error:
        release.release_issue(ticket=visit, actor=clerk, now=T0, **args)
    assert error.value.field == field
    assert TicketEvent.objects.count() == before and not ReleaseSlip.objects.exists()


def test_confirmation_in_the_future_is_refused(visit, clerk):
    account()
    with pytest.raises(InvalidInput):
        release.release_owner_confirm(
            ticket=visit, actor=clerk, unit="3栋1502", method="phone", confirmed_at=at("2026-03-02 11:00"), now=T0
        )
    assert not OwnerConfirmation.objects.exists()


def test_slip_numbers_run_per_day_without_duplicates(visit, clerk):
    account(tenant="")
    numbers = [
        release.release_issue(ticket=visit, actor=clerk, unit="3栋1502", mover="owner", items=ITEMS, now=T0).number
        for _ in range(3)
    ]
    numbers.append(
        release.release_issue(
            ticket=visit, actor=clerk, unit="3栋1502", mover="owner", items=ITEMS, now=at("2026-03-03 09:00")
        ).number
    )
    assert numbers == ["FX20260302-001", "FX20260302-002", "FX20260302-003", "FX20260303-001"]
    # Receipts count on their own.
    payment = release.payment_take(
        ticket=visit, actor=clerk, amount="10", purpose="管理费", method="cash", payer_name="王", now=T0
    )
    assert payment.receipt_number == "SJ20260302-001"


# --- Payment and invoice ------------------------------------------------------------------------


def take(visit, actor, now=T0, amount="1260.50"):
    return release.payment_take(
        ticket=visit,
        actor=actor,
        amount=amount,
        purpose="2026年3月管理费",
        method="wechat",
        payer_name="王业主",
        unit="3栋1502",
        now=now,
    )


def test_payment_gives_a_receipt_and_an_invoice_deadline_of_three_working_days(visit, clerk):
    payment = take(visit, clerk)
    assert payment.receipt_number == "SJ20260302-001" and payment.amount == Decimal("1260.50")
    [deadline] = Deadline.objects.filter(ticket=visit, kind=DeadlineKind.INVOICE_DELIVERY)
    assert deadline.state == Deadline.State.RUNNING
    assert deadline.due_at.date().isoformat() >= "2026-03-05"
    assert len(events(visit, Event.PAYMENT_TAKEN)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "0"), ("amount", "abc"), ("amount", "1.234"), ("purpose", " "), ("method", "gold"), ("payer_name", "")],
)
def test_bad_payment_writes_nothing(visit, clerk, field, value):
    args = {"amount": "100", "purpose": "管理费", "method": "cash", "payer_name": "王", field: value}
    before = TicketEvent.objects.count()
    with pytest.raises(InvalidInput) as error:
        release.payment_take(ticket=visit, actor=clerk, now=T0, **args)
    assert error.value.field == field
    assert (
        not CounterPayment.objects.exists()
        and not Deadline.objects.filter(ticket=visit, kind=DeadlineKind.INVOICE_DELIVERY).exists()
    )
    assert TicketEvent.objects.count() == before


def test_invoice_delivered_meets_the_deadline(visit, clerk):
    payment = take(visit, clerk)
    release.payment_invoice_deliver(
        payment=payment, actor=clerk, invoice_number="No.0012345", delivery="to_home", now=at("2026-03-03 15:00")
    )
    [deadline] = Deadline.objects.filter(ticket=visit, kind=DeadlineKind.INVOICE_DELIVERY)
    assert deadline.state == Deadline.State.MET
    assert len(events(visit, Event.INVOICE_DELIVERED)) == 1
    with pytest.raises(IllegalTransition):
        release.payment_invoice_deliver(payment=payment, actor=clerk, invoice_number="X", delivery="post", now=T0)
    assert invoice_actions(dl.sla_sweep(now=at("2026-03-20 10:00"))) == []


def test_undelivered_invoice_breaches_through_the_sweep_notifying_taker_and_manager(visit, clerk, cs_manager):
    take(visit, clerk)
    assert invoice_actions(dl.sla_sweep(now=at("2026-03-04 10:00"))) == []
    actions = invoice_actions(dl.sla_sweep(now=at("2026-03-06 10:00")))
    assert [action.action for action in actions] == ["breach"]
    assert "SJ20260302-001" in actions[0].description
    assert Notification.objects.filter(recipient=clerk).count() == 1
    assert Notification.objects.filter(recipient=cs_manager).count() == 1
    assert invoice_actions(dl.sla_sweep(now=at("2026-03-06 10:05"))) == []  # never twice


def test_second_invoice_keeps_a_deadline_running_after_the_first_is_delivered(visit, clerk):
    first = take(visit, clerk)
    take(visit, clerk, now=at("2026-03-02 11:00"))
    assert Deadline.objects.filter(ticket=visit, kind=DeadlineKind.INVOICE_DELIVERY).count() == 1
    release.payment_invoice_deliver(payment=first, actor=clerk, invoice_number="A1", delivery="collected", now=T0)
    states = sorted(
        Deadline.objects.filter(ticket=visit, kind=DeadlineKind.INVOICE_DELIVERY).values_list("state", flat=True)
    )
    assert states == [Deadline.State.MET, Deadline.State.RUNNING]


# --- CSV import ---------------------------------------------------------------------------------

GOOD = (
    "unit,owner_name,owner_phone,tenant_name,tenant_phone,months_unpaid,amount_owed\n"
    "3栋1502,王业主,13800000001,李租户,13900000002,2,860.00\n"
    "5栋0301,赵业主,13800000003,,,0,0\n"
)


def test_import_creates_then_updates(db, tmp_path, capsys):
    path = tmp_path / "accounts.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("import_property_accounts", str(path))
    assert "2 created, 0 updated" in capsys.readouterr().out
    path.write_text(GOOD.replace(",2,860.00", ",3,1290.00"), encoding="utf-8")
    call_command("import_property_accounts", str(path))
    assert "0 created, 1 updated, 1 unchanged" in capsys.readouterr().out
    assert PropertyAccount.objects.get(unit="3栋1502").amount_owed == Decimal("1290.00")


def test_import_reads_chinese_headers_in_gbk(db):
    data = "单元,业主,欠费月数,欠费金额\n7栋0808,孙业主,1,430.5\n".encode("gb18030")
    result = release.property_accounts_import(file=data, now=T0)
    assert result.created == 1
    assert PropertyAccount.objects.get(unit="7栋0808").amount_owed == Decimal("430.50")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD + "6栋0101,,,,,1,10\n", "Line 4: the owner's name is empty"),
        (GOOD + "6栋0101,钱,,,,x,10\n", "Line 4: months unpaid “x”"),
        (GOOD + "6栋0101,钱,,,,1,-5\n", "Line 4: amount owed “-5”"),
        (GOOD + "3栋1502,王,,,,1,10\n", "Line 4: unit 3栋1502 is already on line 2"),
        ("unit,owner,months_unpaid,amount_owed\n", "unknown column “owner”"),
        ("unit,owner_name\n1,2\n", "required columns missing: months_unpaid, amount_owed"),
        ("", "empty"),
    ],
)
def test_bad_csv_names_the_line_and_writes_nothing(db, tmp_path, text, expected):
    path = tmp_path / "accounts.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_property_accounts", str(path))
    assert expected in str(error.value)
    assert not PropertyAccount.objects.exists()
