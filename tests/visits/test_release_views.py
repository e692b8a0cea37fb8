"""The release slip and desk payment pages: plain POST, refusals, permissions, query budgets."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import StaffFactory
from tests.tickets.helpers import T0
from tickets.models import StaffProfile, Ticket, TicketEvent
from tickets.services import ticket_create
from visits import release
from visits.models_release import CounterPayment, PropertyAccount, ReleaseSlip

Event = TicketEvent.Type


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


def account(months=0, amount="0"):
    return PropertyAccount.objects.create(
        unit="3栋1502",
        owner_name="王业主",
        owner_phone="13800000001",
        tenant_name="李租户",
        months_unpaid=months,
        amount_owed=Decimal(amount),
        updated_at=T0,
    )


def url(name, visit, **kwargs):
    return reverse(f"visits:{name}", kwargs={"reference": visit.reference, **kwargs})


ISSUE = {"unit": "3栋1502", "mover": "owner", "item_0": "冰箱", "quantity_0": "1", "item_1": "沙发", "quantity_1": "2"}


def test_release_page_shows_the_account_and_its_arrears(visit, clerk, login):
    account(months=2, amount="860.00")
    response = login(clerk).get(url("release_page", visit), {"unit": "3栋 1502"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "王业主" in body and "860.00" in body


def test_unknown_unit_is_a_field_error(visit, clerk, login):
    response = login(clerk).get(url("release_page", visit), {"unit": "9栋0909"})
    assert response.status_code == 404
    assert "No property account for unit 9栋0909" in response.content.decode()


def test_owner_slip_by_plain_post_then_printable(visit, clerk, login):
    account()
    client = login(clerk)
    response = client.post(url("release_issue", visit), ISSUE)
    slip = ReleaseSlip.objects.get()
    assert response.status_code == 302 and response.url == url("release_slip", visit, number=slip.number)
    page = client.get(response.url).content.decode()
    assert slip.number in page and "冰箱" in page and "print.css" in page


def test_tenant_with_arrears_refused_on_the_page(visit, clerk, login):
    account(months=3, amount="1290.00")
    response = login(clerk).post(url("release_issue", visit), {**ISSUE, "mover": "tenant"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "3 months" in body and "1290.00" in body
    assert not ReleaseSlip.objects.exists()
    assert TicketEvent.objects.filter(ticket=visit, type=Event.RELEASE_REFUSED).count() == 1


def test_confirmation_then_tenant_slip(visit, clerk, login):
    account()
    client = login(clerk)
    response = client.post(url("release_confirm", visit), {"unit": "3栋1502", "method": "phone"})
    assert response.status_code == 302
    response = client.post(url("release_issue", visit), {**ISSUE, "mover": "tenant"})
    assert response.status_code == 302
    assert ReleaseSlip.objects.get().confirmation is not None


def test_bad_items_are_a_400_and_nothing_written(visit, clerk, login):
    account()
    before = TicketEvent.objects.count()
    response = login(clerk).post(url("release_issue", visit), {**ISSUE, "quantity_0": "many"})
    assert response.status_code == 400
    assert "quantity must be a whole number" in response.content.decode()
    assert TicketEvent.objects.count() == before and not ReleaseSlip.objects.exists()


def test_another_departments_ticket_is_a_404(visit, outsider, login):
    account()
    client = login(outsider)
    assert client.get(url("release_page", visit)).status_code == 404
    assert client.post(url("release_issue", visit), ISSUE).status_code == 404
    assert client.get(url("payment_page", visit)).status_code == 404
    assert not ReleaseSlip.objects.exists()


def test_finance_may_not_issue_slips(visit, clerk, login):
    finance = StaffFactory(
        user__username="cashier2", department=clerk.staff.department, role=StaffProfile.Role.FINANCE
    ).user
    account()
    assert login(finance).post(url("release_issue", visit), ISSUE).status_code == 403
    assert not ReleaseSlip.objects.exists()


def test_front_desk_takes_a_payment_without_finance(visit, clerk, login):
    client = login(clerk)
    data = {"amount": "1260.50", "purpose": "3月管理费", "method": "cash", "payer_name": "王业主"}
    response = client.post(url("payment_page", visit), data)
    payment = CounterPayment.objects.get()
    assert response.status_code == 302
    assert response.url == url("payment_receipt", visit, receipt=payment.receipt_number)
    page = client.get(response.url).content.decode()
    assert payment.receipt_number in page and "1260.50" in page
    response = client.post(
        url("payment_invoice", visit, receipt=payment.receipt_number), {"invoice_number": "", "delivery": "post"}
    )
    assert response.status_code == 400
    response = client.post(
        url("payment_invoice", visit, receipt=payment.receipt_number), {"invoice_number": "F001", "delivery": "post"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.invoice_number == "F001"


def test_bad_payment_is_a_400_and_nothing_written(visit, clerk, login):
    response = login(clerk).post(
        url("payment_page", visit), {"amount": "-3", "purpose": "x", "method": "cash", "payer_name": "王"}
    )
    assert response.status_code == 400
    assert not CounterPayment.objects.exists()


def _payments(visit, clerk, count):
    for index in range(count):
        release.payment_take(
            ticket=visit, actor=clerk, amount="10", purpose=f"费{index}", method="cash", payer_name="王", now=T0
        )


@pytest.mark.parametrize("count", [1, 12])
def test_payment_page_query_budget(visit, clerk, login, django_assert_max_num_queries, count):
    _payments(visit, clerk, count)
    client = login(clerk)
    with django_assert_max_num_queries(12):
        assert client.get(url("payment_page", visit)).status_code == 200


@pytest.mark.parametrize("count", [1, 12])
def test_invoices_owed_query_budget(visit, clerk, login, django_assert_max_num_queries, count):
    _payments(visit, clerk, count)
    client = login(clerk)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("visits:payment_invoices_owed"))
    assert response.status_code == 200 and response.content.decode().count("SJ20260302-") == count


@pytest.mark.parametrize("count", [1, 12])
def test_release_page_query_budget(visit, clerk, login, django_assert_max_num_queries, count):
    account()
    for _ in range(count):
        release.release_issue(
            ticket=visit, actor=clerk, unit="3栋1502", mover="owner", items=[{"item": "床", "quantity": 1}], now=T0
        )
    client = login(clerk)
    with django_assert_max_num_queries(14):
        assert client.get(url("release_page", visit), {"unit": "3栋1502"}).status_code == 200


def test_admin_csv_upload(admin_client):
    csv = "unit,owner_name,months_unpaid,amount_owed\n1栋0101,周业主,0,0\n".encode()
    changelist = admin_client.get(reverse("admin:visits_propertyaccount_changelist"))
    assert reverse("admin:visits_propertyaccount_import") in changelist.content.decode()
    response = admin_client.post(
        reverse("admin:visits_propertyaccount_import"), {"file": SimpleUploadedFile("a.csv", csv)}
    )
    assert response.status_code == 302
    bad = admin_client.post(
        reverse("admin:visits_propertyaccount_import"),
        {"file": SimpleUploadedFile("b.csv", b"unit,owner_name,months_unpaid,amount_owed\n2,,0,0\n")},
    )
    assert bad.status_code == 400 and "第 2 行" in bad.content.decode()  # the admin speaks Chinese
    assert PropertyAccount.objects.count() == 1
