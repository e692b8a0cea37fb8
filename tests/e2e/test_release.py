"""Browser check of the release slip page: a tenant's slip, then the printable slip. Labels are
matched in English until the lead merges this part's translations (notes/i18n-release.json)."""

from decimal import Decimal

from django.utils import timezone

from tests.e2e.conftest import sign_in
from tickets.models import Ticket
from tickets.services import ticket_create
from visits.models_release import PropertyAccount


def test_tenant_release_slip(page, clerk, live_server, screenshot):
    ticket = ticket_create(
        actor=clerk,
        kind=Ticket.Kind.VISIT,
        channel=Ticket.Channel.WALK_IN,
        subject="租户搬出物品放行",
        contact_name="李租户",
        contact_phone="13900000002",
    )
    PropertyAccount.objects.create(
        unit="3栋1502",
        owner_name="王业主",
        owner_phone="13800000001",
        tenant_name="李租户",
        tenant_phone="13900000002",
        months_unpaid=0,
        amount_owed=Decimal("0"),
        updated_at=timezone.now(),
    )
    sign_in(page, "clerk")
    page.goto(f"{live_server.url}/visits/{ticket.reference}/release/?unit=3栋1502")
    page.get_by_label("电话确认").check()
    page.get_by_role("button", name="记录业主确认").click()
    page.get_by_label("物品 1", exact=True).fill("双人床")
    page.get_by_label("物品 1 的数量").fill("1")
    page.get_by_label("物品 2", exact=True).fill("纸箱")
    page.get_by_label("物品 2 的数量").fill("8")
    screenshot(page, "50-release-page")
    page.get_by_role("button", name="开具放行条").click()
    page.get_by_text("FX", exact=False).first.wait_for()
    screenshot(page, "50-release-slip-print")
