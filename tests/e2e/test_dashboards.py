"""The supervisor dashboards in a real browser (issue 8): every page opens from the tabs, its
charts are drawn (a canvas with pixels on it), a figure leads to its tickets, and a department
head is limited to their department. Screenshots: test-artifacts/screenshots/80-dashboard-*.png."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.complaints.stats_fixture import build_march
from tests.e2e.conftest import sign_in
from tests.tickets.helpers import four_handoffs, new_ticket
from tickets import services
from tickets.deadlines import sla_sweep

RANGE = "date_from=2026-03-01&date_to=2026-04-30"

CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(canvas => {
    const context = canvas.getContext('2d');
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
    return {id: canvas.id, width: canvas.width, height: canvas.height, painted: painted};
})"""


def _data(clerk, engineer, tech_head, supervisor, tech_dept, front_desk_dept):
    four_handoffs(clerk, engineer)
    build_march(
        clerk=clerk,
        engineer=engineer,
        tech_head=tech_head,
        supervisor=supervisor,
        tech_dept=tech_dept,
        front_desk_dept=front_desk_dept,
    )
    now = timezone.now()
    for i in range(3):
        ticket = new_ticket(clerk, now=now - timedelta(minutes=40), contact_phone=f"1350000000{i}")
        if i == 0:
            services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=now - timedelta(minutes=30))
    new_ticket(clerk, now=now - timedelta(days=3), contact_phone="13500000009")
    sla_sweep(now=now)


def test_every_dashboard_draws_its_charts(
    page, clerk, engineer, tech_head, supervisor, tech_dept, front_desk_dept, screenshot
):
    _data(clerk, engineer, tech_head, supervisor, tech_dept, front_desk_dept)
    sign_in(page, "supervisor")
    page.wait_for_url("**/")

    page.get_by_role("link", name="管理看板").click()
    page.wait_for_url("**/dashboard/live/")
    tabs = page.locator("nav.dash-tabs a")
    slugs = [
        href.rstrip("/").split("/")[-1].split("?")[0] for href in tabs.evaluate_all("as => as.map(a => a.pathname)")
    ]
    assert slugs[:2] == ["live", "sla"]

    for slug in slugs:
        query = "" if slug == "live" else f"?{RANGE}"
        page.goto(f"/dashboard/{slug}/{query}")
        expect(page.locator("h1")).to_be_visible()
        canvases = page.locator("canvas[data-chart]")
        if canvases.count():
            page.wait_for_function("() => window.Chart !== undefined")
            page.wait_for_timeout(200)  # one frame for Chart.js to paint after its layout
            charts = page.evaluate(CHARTS_DRAWN)
            assert charts and all(c["width"] > 0 and c["painted"] > 500 for c in charts), (slug, charts)
        screenshot(page, f"80-dashboard-{slug}")

    # A figure leads to the tickets behind it.
    page.goto(f"/dashboard/sla/?{RANGE}")
    page.locator("#panel-sla-kinds tbody tr").first.locator("td a").nth(2).click()
    expect(page.locator(".drill-line")).to_contain_text("时限状态")
    screenshot(page, "80-dashboard-drill-down")


def test_a_department_head_sees_only_their_department(
    page, clerk, engineer, tech_head, supervisor, tech_dept, front_desk_dept, screenshot
):
    four_handoffs(clerk, engineer)
    sign_in(page, "techhead")
    page.wait_for_url("**/")

    page.goto(f"/dashboard/sla/?{RANGE}")

    options = page.locator("#id_dash_department option").all_inner_texts()
    assert options == ["我的全部部门", "技术支持部"]
    expect(page.locator("#panel-sla-kinds tbody tr").first).to_contain_text("66.7%")
    screenshot(page, "80-dashboard-sla-department-head")
