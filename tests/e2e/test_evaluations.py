"""The customer's evaluation through the public link (C5), in an anonymous browser: the page
shows the service, the customer scores it and sees the thank-you page; the supervisor's monthly
summary counts it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from complaints import evaluations
from complaints.models import Evaluation
from tests.tickets.helpers import new_ticket
from tickets import services


def test_an_anonymous_customer_evaluates_through_the_link(page, page_of, screenshot, clerk, engineer, supervisor):
    started = timezone.now() - timedelta(days=2)
    ticket = new_ticket(clerk, subject="打印机无法联网，需上门检修", now=started)
    ticket = services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=started + timedelta(hours=1))
    ticket = services.ticket_resolve(
        ticket=ticket, actor=engineer, resolution="已更换网卡", now=started + timedelta(days=1)
    )
    issued = evaluations.evaluation_link_issue(ticket=ticket, actor=clerk)

    page.goto(f"/complaints/evaluate/{issued.token}/")

    expect(page.get_by_role("heading", name="客户服务评估")).to_be_visible()
    expect(page.locator(".evaluation-ticket")).to_contain_text(ticket.reference)
    expect(page.locator(".evaluation-ticket")).to_contain_text("打印机无法联网")
    technical = page.get_by_role("group", name="技术水平")
    attitude = page.get_by_role("group", name="服务态度")
    technical.get_by_text("120%", exact=True).click()
    attitude.get_by_text("100%", exact=True).click()
    page.get_by_label("您对本次服务有何评论或建议").fill("李工上门很准时，问题当场解决。")
    screenshot(page, "62-evaluation-form")
    page.get_by_role("button", name="提交评价").click()

    expect(page.get_by_role("heading", name="感谢您的评价")).to_be_visible()
    screenshot(page, "62-evaluation-thanks")
    evaluation = Evaluation.objects.get()
    assert (evaluation.technical_score, evaluation.attitude_score) == (120, 100)
    assert evaluation.method == Evaluation.Method.LINK and evaluation.engineer == engineer

    # The link is spent: opening it again says so.
    page.goto(f"/complaints/evaluate/{issued.token}/")
    expect(page.get_by_role("heading", name="本次服务已评价")).to_be_visible()

    # The supervisor's monthly summary counts it for the engineer and the department.
    office = page_of("supervisor")
    office.goto("/complaints/evaluations/")
    expect(office.locator("#summary-staff")).to_contain_text("李工")
    expect(office.locator("#summary-departments")).to_contain_text("120.0%")
    screenshot(office, "62-evaluation-summary")
