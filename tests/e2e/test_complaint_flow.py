"""A complaint from an existing ticket to its close (C1–C3, S6): accepted with the promised reply,
routed to the department head, reported and approved, answered, called back, closed."""

from django.utils import timezone
from playwright.sync_api import expect

from complaints.models import Complaint, ReturnVisit
from tests.e2e.conftest import sign_in
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import new_ticket
from tickets.models import ProblemRoute, ProblemType, StaffProfile, Ticket


def test_complaint_from_a_ticket_to_close(page, page_of, clerk, screenshot):
    service = DepartmentFactory(name="客户服务部", code="customer_service")
    head = StaffFactory(
        user__username="cshead",
        user__first_name="周经理",
        staff_no="4001",
        extension="8401",
        department=service,
        role=StaffProfile.Role.DEPT_HEAD,
    ).user
    service.head = head
    service.save(update_fields=["head"])
    ProblemRoute.objects.create(problem_type=ProblemType.SERVICE_QUALITY, department=service)
    source = new_ticket(clerk, now=timezone.now(), subject="空调维修预约")

    # The clerk takes the complaint from the ticket the customer calls about.
    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/tickets/{source.reference}/")
    page.locator("#complaints a", has_text="投诉").click()
    expect(page.get_by_label("客户姓名")).to_have_value("陈先生")
    page.get_by_label("投诉内容").fill("约好上午十点上门，工程师十二点才到，也没有提前打电话。")
    page.get_by_label("问题类型").select_option(ProblemType.SERVICE_QUALITY)
    page.get_by_label("严重程度").select_option("serious")
    page.get_by_label("承诺答复时限（小时）").fill("4")
    expect(page.locator(".script-box")).to_contain_text("4 小时内答复")  # the promise read out follows the hours
    screenshot(page, "60-complaint-accept")
    page.get_by_role("button", name="记录投诉").click()
    expect(page.locator(".flash")).to_contain_text("4")
    complaint = Complaint.objects.get()
    assert complaint.source_ticket == source and complaint.routed_to == head

    # The head of customer service reports, with the penalty opinion only they see, and approves.
    boss = page_of("cshead")
    boss.goto(f"/complaints/{complaint.ticket.reference}/")
    boss.get_by_label("调查经过").fill("调取派工记录，工程师上一单超时未报备。")
    boss.locator("#report textarea[name=cause]").fill("派工排班冲突，未提前联系客户。")
    boss.get_by_label("处罚意见").fill("对当事工程师通报批评。")
    boss.get_by_label("防止再次发生的纠正措施").fill("派工前确认排班；预计迟到须提前致电客户。")
    boss.get_by_label("是：客户反映属实").check()
    boss.get_by_role("button", name="保存报告").click()
    boss.get_by_role("button", name="批准报告").click()
    expect(boss.locator("#report .pill-met")).to_be_visible()

    # The head answers the customer: the ticket is resolved and the promise kept.
    boss.goto(f"/tickets/{complaint.ticket.reference}/")
    boss.locator("#action-resolve summary").click()
    boss.locator("#action-resolve textarea[name=resolution]").fill("已向客户致歉并改约今天下午上门。")
    boss.locator("#action-resolve button[type=submit]").click()
    expect(boss.locator(".detail-tags .pill").first).to_have_text("已解决")

    # The clerk calls the customer back: satisfied; then the complaint can close.
    page.goto(f"/complaints/{complaint.ticket.reference}/")
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("客户意见").fill("客户表示满意，感谢及时处理。")
    page.get_by_role("button", name="记录回访").click()
    expect(page.locator("#return-visits .verdict-satisfied")).to_be_visible()
    screenshot(page, "60-complaint-file")
    page.goto(f"/tickets/{complaint.ticket.reference}/")
    page.locator("#action-close summary").click()
    page.locator("#action-close button[type=submit]").click()
    expect(page.locator(".detail-tags .pill").first).to_have_text("已关闭")
    assert ReturnVisit.objects.get().verdict == "satisfied"
    assert Ticket.objects.get(pk=complaint.ticket_id).status == Ticket.Status.CLOSED
