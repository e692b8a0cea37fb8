"""The complaint-rate statistics page and a suggestion decision in a real browser (C3, C4)."""

from playwright.sync_api import expect

from complaints import stats
from complaints.models import SuggestionDecision
from tests.clock import at
from tests.complaints.stats_fixture import build_march
from tests.e2e.conftest import sign_in
from tests.tickets.helpers import new_ticket
from tickets.models import Ticket


def test_rates_page_and_a_suggestion_decision(
    page, clerk, engineer, tech_head, supervisor, tech_dept, front_desk_dept, screenshot
):
    build_march(
        clerk=clerk,
        engineer=engineer,
        tech_head=tech_head,
        supervisor=supervisor,
        tech_dept=tech_dept,
        front_desk_dept=front_desk_dept,
    )
    stats.complaint_month_close(year=2026, month=3, now=at("2026-04-01 00:00"))

    sign_in(page, "supervisor")
    page.wait_for_url("**/")
    page.goto("/complaints/stats/?period=month&year=2026&month=3")
    tech = page.locator('tr[data-department="tech_support"]')
    expect(tech).to_contain_text("37.5%")
    expect(page.locator('tr[data-department="legal"]')).to_contain_text("—")
    expect(page.locator("#definition")).to_be_visible()
    screenshot(page, "61-complaint-rates-march")

    # The quarter, chosen through the form.
    page.locator("select[name=period]").select_option("quarter")
    page.locator("select[name=quarter]").select_option("1")
    page.get_by_role("button", name="显示").click()
    expect(page.locator('tr[data-department="tech_support"]')).to_contain_text("33.3%")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 XLSX").click()
    assert download.value.suggested_filename == "complaint-rates-2026-Q1.xlsx"

    # A suggestion: the customer's words as said, and the decision with no promise made.
    suggestion = new_ticket(
        clerk,
        kind=Ticket.Kind.SUGGESTION,
        subject="停车位建议",
        description="希望大厅能增加两个停车位。\n周末人多，排队要等很久。",
    )
    page.goto(f"/complaints/suggestions/{suggestion.reference}/")
    expect(page.locator("blockquote.verbatim")).to_have_text("希望大厅能增加两个停车位。\n周末人多，排队要等很久。")
    page.get_by_label("采纳", exact=True).check()
    page.get_by_label("原因").fill("下季度改造停车场时一并考虑")
    page.get_by_role("button", name="记录结论").click()
    expect(page.locator("#decision .pill")).to_have_text("采纳")
    screenshot(page, "61-suggestion-decided")
    assert SuggestionDecision.objects.get(ticket=suggestion).decision == "adopted"

    page.goto("/complaints/suggestions/?year=2026")
    expect(page.locator("#by-category")).to_contain_text("1")
    screenshot(page, "61-suggestion-counts")
