"""A question the desk cannot answer: hand it off, the handler returns a result, the desk asks
the customer to test, and with no report in 24 hours the sweep counts it solved (T1, T5, S3)."""

from datetime import timedelta

from django.utils import timezone

from tests.e2e.conftest import sign_in
from tests.tickets.helpers import new_ticket
from tickets.deadlines import sla_sweep
from tickets.models import Deadline, DeadlineKind, Ticket


def test_hand_off_handler_result_then_test_window_runs_out(page, page_of, clerk, engineer, screenshot):
    ticket = new_ticket(clerk, now=timezone.now(), subject="宽带间歇性断线")

    # The clerk hands the question to the engineer and is told what to say to the customer.
    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/tickets/{ticket.reference}/")
    page.locator("#action-hand_off summary").click()
    page.locator("#action-hand_off select[name=to_user]").select_option(value=str(engineer.pk))
    page.locator("#action-hand_off input[name=callback_phone]").fill("13800000001")
    page.locator("#action-hand_off button[type=submit]").click()
    flash = page.locator(".flash").inner_text()
    assert "李工" in flash and "8201" in flash
    assert page.locator(".detail-tags .pill").first.inner_text().strip() == "已转交"
    screenshot(page, "10-ticket-handed-off")

    # The engineer sees it on their desk and records the result.
    engineer_page = page_of("engineer")
    engineer_page.get_by_role("link", name=ticket.reference).first.click()
    engineer_page.locator("#action-reply summary").click()
    engineer_page.locator("#action-reply textarea[name=result]").fill("请客户重启光猫后观察一天。")
    engineer_page.locator("#action-reply button[type=submit]").click()
    assert (
        "已回复" in engineer_page.locator(".detail-tags .pill").first.inner_text()
        or "处理" in engineer_page.locator(".status").first.inner_text()
    )

    # Back at the desk: ask the customer to test; the script to read is on the page.
    page.reload()
    page.locator("#action-request_test summary").click()
    assert page.locator("#action-request_test .script").is_visible()
    page.locator("#action-request_test button[type=submit]").click()
    assert page.locator(".detail-tags .pill").first.inner_text().strip() == "等待客户测试"
    screenshot(page, "11-ticket-awaiting-test")

    # Nobody calls back: 24 hours later the sweep counts the problem solved, visibly.
    test_deadline = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.TEST_CALLBACK)
    sla_sweep(now=test_deadline.due_at + timedelta(minutes=1))
    page.reload()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.outcome == Ticket.Outcome.TEST_TIMEOUT
    timeline = page.locator("#timeline").inner_text()
    assert "24" in timeline
    assert page.locator(".detail-tags .pill").first.inner_text().strip() == "已解决"
    screenshot(page, "12-ticket-test-timeout-resolved")
