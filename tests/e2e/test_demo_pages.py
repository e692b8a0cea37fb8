"""The main pages as a service centre sees them after `make run`: full of the demo data."""

from django.utils import timezone, translation

from tests.e2e.conftest import sign_in
from tickets.demo import DEMO_PASSWORD, demo_seed
from tickets.models import Ticket


def test_main_pages_with_the_demo_data(page, new_page, screenshot):
    with translation.override("zh-hans"):  # as `make run` seeds it: the record's notes in Chinese
        demo_seed(now=timezone.now())

    sign_in(page, "wangfang", DEMO_PASSWORD)
    page.wait_for_url("**/")
    assert "王芳" in page.locator(".whoami").inner_text()
    assert page.locator("main table tbody tr").count() > 0  # the desk panels list tickets
    screenshot(page, "30-demo-my-desk")

    page.goto("/tickets/")
    assert page.locator("main table tbody tr").count() > 10
    screenshot(page, "31-demo-ticket-list")

    visa_case = Ticket.objects.filter(subject="申根签证代办").get()
    page.goto(f"/tickets/{visa_case.reference}/")
    assert "财产证明" in page.locator("#materials").inner_text()
    assert "¥980" in page.locator("#aftersales").inner_text()
    assert "材料已核对" in page.locator("#timeline").inner_text()
    assert "Not checked yet" not in page.locator("#timeline").inner_text()
    screenshot(page, "32-demo-visa-case")

    page.goto("/visits/reception/")
    assert "陈阿姨" in page.locator("#reception-queue").inner_text()  # waiting since this morning's demo
    screenshot(page, "34-demo-reception")
    page.goto("/visits/board/")
    assert "冯*" in page.locator(".board-serving").inner_text()
    screenshot(page, "35-demo-lobby-board")

    finance = new_page()
    sign_in(finance, "zhengshuang", DEMO_PASSWORD)
    finance.wait_for_url("**/")
    finance.goto("/finance/")
    assert visa_case.reference in finance.locator("main").inner_text()
    screenshot(finance, "33-demo-finance")

    supervisor = new_page()
    sign_in(supervisor, "zhaomin", DEMO_PASSWORD)
    supervisor.wait_for_url("**/")
    supervisor.goto("/dashboard/live/")
    assert supervisor.locator("#panel-open-tickets tbody tr").count() > 0
    assert supervisor.locator("#panel-walkin-queue tbody tr").count() > 0
    screenshot(supervisor, "36-demo-dashboard-live")
    supervisor.goto("/dashboard/sla/")
    assert supervisor.locator("#panel-sla-kinds tbody tr").count() > 0
    screenshot(supervisor, "37-demo-dashboard-sla")
