"""A walk-in visitor from reception to the end (V1, V2, S4, S5): check-in → the lobby board shows
the number → time moved past 3 minutes → the wait alert appears → call next → the customer asks
for someone else → the supervisor acknowledges → finish."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import StaffFactory
from tickets.deadlines import sla_sweep
from tickets.models import Deadline, DeadlineKind, TicketEvent
from visits import services
from visits.models import Visit


def test_walk_in_visitor_alert_call_escalate_acknowledge_finish(
    page, new_page, page_of, clerk, supervisor, screenshot, settings
):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "LOBBY_BOARD_KEY": "lobby-tv"}
    colleague = StaffFactory(
        user__username="xiaoli", user__first_name="小李", department=clerk.staff.department, extension="8002"
    ).user
    services.presence_set(user=colleague, is_available=True, counter="2号窗口")

    # Reception checks the visitor in and gives a number.
    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.get_by_role("link", name="接待").click()
    page.get_by_label("访客姓名").fill("张建国")
    page.get_by_label("电话（选填）").fill("13800138000")
    page.get_by_label("来访事由").select_option("payment")
    page.get_by_role("button", name="登记并取号").click()
    expect(page.locator(".slip-number")).to_have_text("A001")
    visit = Visit.objects.get()

    # The lobby board (a TV, no sign-in, its key) shows the number and a masked surname only.
    board = new_page()
    board.goto("/visits/board/?key=lobby-tv")
    expect(board.locator(".board-waiting")).to_contain_text("A001")
    expect(board.locator(".board-waiting")).to_contain_text("张*")
    assert "张建国" not in board.content()

    # Three minutes pass with nobody calling: the sweep raises the alert, naming 小李.
    Visit.objects.filter(pk=visit.pk).update(checked_in_at=timezone.now() - timedelta(minutes=3, seconds=5))
    due = timezone.now() - timedelta(seconds=1)
    Deadline.objects.filter(ticket=visit.ticket, kind=DeadlineKind.VISIT_WAIT).update(
        due_at=due, warn_at=due, next_action_at=due
    )
    assert len(sla_sweep(now=timezone.now())) == 1
    alert = page.locator(".alert-card")
    expect(alert).to_contain_text("A001", timeout=10_000)  # the queue part refreshes itself
    expect(alert).to_contain_text("小李")
    screenshot(page, "40-reception")

    # 小李 calls the next visitor and starts serving.
    counter = page_of("xiaoli")
    counter.goto("/visits/console/")
    counter.get_by_role("button", name="叫号").click()
    expect(counter.locator(".visit-card")).to_contain_text("A001")
    counter.get_by_role("button", name="开始接待").click()
    expect(counter.locator(".visit-card .pill-visit-serving")).to_be_visible()
    expect(board.locator(".board-serving")).to_contain_text("2号窗口", timeout=10_000)
    screenshot(board, "42-lobby-board")

    # The customer asks for someone else (服务上移): the supervisor is called in at once.
    counter.locator(".visit-card summary", has_text="服务上移").click()
    counter.locator(".visit-card form[action$='/escalate/'] input[name=reason]").fill("客户要求主管接待")
    counter.get_by_role("button", name="立即上移").click()
    expect(counter.locator(".visit-card .pill-escalated")).to_be_visible()
    screenshot(counter, "41-staff-console")

    boss = page_of("supervisor")
    boss.goto("/visits/console/")
    boss.get_by_role("button", name="马上到（确认）").click()
    visit.refresh_from_db()
    assert visit.ladder_level == 1 and visit.ladder_acknowledged_at is not None

    # 小李 finishes the visit: served.
    counter.reload()
    counter.locator(".visit-card select[name=outcome]").select_option("served")
    counter.get_by_role("button", name="结束接待").click()
    expect(counter.locator(".flash")).to_contain_text("A001")
    visit.refresh_from_db()
    assert (visit.state, visit.outcome, visit.staff) == (Visit.State.FINISHED, "served", colleague)
    types = list(TicketEvent.objects.filter(ticket=visit.ticket).values_list("type", flat=True))
    for expected in (
        "wait_alert",
        "visit_called",
        "visit_serving",
        "ladder_called",
        "ladder_acknowledged",
        "visit_finished",
    ):
        assert expected in types
