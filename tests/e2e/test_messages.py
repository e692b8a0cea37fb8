"""A visitor for an absent manager (V3, 004 示例4): the desk takes an urgent message on the
visit, the manager finds it on their desk and marks it handled (htmx), and it leaves the desk."""

from django.utils import translation
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import DepartmentFactory, StaffFactory
from tickets import services
from tickets.models import StaffProfile, Ticket
from visits.messages import message_take
from visits.models import VisitorMessage


def test_urgent_message_for_an_absent_manager(page, page_of, clerk, engineer, screenshot):
    manager = StaffFactory(
        user__username="manager",
        user__first_name="周主任",
        staff_no="7001",
        extension="8700",
        department=DepartmentFactory(name="管理处", code="office"),
        role=StaffProfile.Role.OFFICE_MANAGER,
    ).user
    visit = services.ticket_create(
        actor=clerk,
        kind=Ticket.Kind.VISIT,
        channel=Ticket.Channel.WALK_IN,
        subject="业主来访找周主任",
        contact_name="陈志远",
        contact_phone="13900000009",
    )
    # An earlier, ordinary message for the manager, taken by a colleague (on a Chinese page).
    with translation.override("zh-hans"):
        message_take(
            ticket=visit,
            actor=engineer,
            recipient=manager,
            visitor_name="刘女士",
            contact="13600000006",
            text="询问下月停车费标准，有空回电即可。",
        )

    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/visits/{visit.reference}/message/")
    expect(page.locator("#id_message_visitor_name")).to_have_value("陈志远")
    page.locator("#id_message_recipient").select_option(value=str(manager.pk))
    page.locator("#id_message_text").fill("家中水管爆裂，楼下被淹，需要主任马上协调维修和物业保险。")
    page.locator("#id_message_is_urgent").check()
    screenshot(page, "53-message-take")
    page.get_by_role("button", name="保存留言").click()
    page.wait_for_url(f"**/tickets/{visit.reference}/**")
    assert "8700" in page.locator(".flash").inner_text()
    urgent = VisitorMessage.objects.get(is_urgent=True)
    assert urgent.recipient == manager

    boss = page_of("manager")
    panel = boss.locator("#messages-for-me")
    expect(panel.locator("li.msg")).to_have_count(2)
    assert "陈志远" in panel.locator("li.msg").first.inner_text()  # urgent first
    screenshot(boss, "53-desk-messages")

    panel.locator("li.msg").first.locator("input[name=note]").fill("已电话联系,维修已派单")
    panel.locator("li.msg").first.locator("button[type=submit]").click()
    expect(boss.locator("#messages-for-me li.msg")).to_have_count(1)
    expect(boss.locator("#messages-for-me .msg-flash")).to_contain_text("陈志远")
    urgent.refresh_from_db()
    assert urgent.handled_by == manager and urgent.handled_note == "已电话联系,维修已派单"

    boss.goto("/visits/messages/?box=for_me&state=all")
    expect(boss.locator("li.msg")).to_have_count(2)
    screenshot(boss, "53-message-list")
