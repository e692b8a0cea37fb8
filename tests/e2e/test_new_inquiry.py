"""A phone inquiry from start to hand-off on one screen (T1, T4, T5, A2, S1, S2)."""

from tests.e2e.conftest import sign_in
from tests.factories import CategoryFactory, CustomerFactory
from tickets.models import Deadline, DeadlineKind, Ticket


def test_new_inquiry_with_reminders_handed_off_to_a_colleague(page, clerk, engineer, screenshot):
    customer = CustomerFactory(name="陈建国", phone="13812345678")
    CategoryFactory(name="签证咨询")
    visa_reminder_count = 8  # 7 given on every consultation + 1 for visas (seeded from the manual)

    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.keyboard.press("Alt+n")
    page.wait_for_url("**/inquiries/new/")

    # The phone field has the focus: type part of the number and the customer is suggested.
    page.keyboard.type("1381234")
    match = page.locator("#customer-matches").get_by_text("陈建国")
    match.wait_for()
    match.click()

    page.locator("select[name=category]").select_option(label="签证咨询")
    page.locator("select[name=service_type]").select_option(label="签证办理")
    reminders = page.locator("#inquiry-reminders input[name=given]")
    reminders.nth(visa_reminder_count - 1).wait_for()
    assert reminders.count() == visa_reminder_count
    assert page.locator("#inquiry-reminders").get_by_text("护照有效期").is_visible()
    page.locator("input[name=subject]").fill("申根签证需要哪些材料")
    for index in range(3):
        reminders.nth(index).check()

    page.locator("input[name=outcome][value=hand_off]").check()
    page.locator("select[name=to_user]").select_option(value=str(engineer.pk))
    screenshot(page, "03-new-inquiry")
    page.locator("#inquiry-save").click()

    # The clerk is told exactly what to say to the customer, and the clocks are visible.
    page.wait_for_url("**/tickets/*/")
    flash = page.locator(".flash").inner_text()
    assert "李工" in flash and "8201" in flash
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.status == Ticket.Status.HANDED_OFF
    assert ticket.assignee == engineer
    assert [item["given"] for item in ticket.reminders].count(True) == 3
    reply = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.REPLY)
    assert reply.state == Deadline.State.RUNNING
    deadlines = page.locator("#deadlines").inner_text()
    assert "后到期" in deadlines
    assert page.locator("#reminders").get_by_text("护照有效期").is_visible()
    screenshot(page, "04-inquiry-handed-off")

    # The ticket is in the list, and on the customer's page.
    page.goto("/tickets/?q=13812345678")
    assert ticket.reference in page.locator("main").inner_text()
    screenshot(page, "05-ticket-list")
    page.goto(f"/customers/{customer.pk}/")
    assert ticket.reference in page.locator("main").inner_text()
    screenshot(page, "06-customer")
