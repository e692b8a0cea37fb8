"""A visa case at the counter through materials, the confirmation form, billing, finance's
payment confirmation, the invoice, the completion notice and a courier return (A1–A5)."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from scripts_lib.models import ServiceType
from tests.e2e.conftest import sign_in
from tests.factories import CustomerFactory, StaffFactory
from tickets import services
from tickets.models import Bill, Deadline, DeadlineKind, DocumentReturn, StaffProfile, Ticket
from tickets.sla import SHANGHAI


def test_visa_case_from_materials_to_courier_return(page, page_of, clerk, engineer, screenshot):
    customer = CustomerFactory(name="林晓", phone="13900001111", company="温州瓯海贸易有限公司")
    StaffFactory(user__username="cashier", user__first_name="钱会计", extension="8500", role=StaffProfile.Role.FINANCE)
    ticket = services.ticket_create(
        actor=clerk,
        kind=Ticket.Kind.AFTER_SALES,
        channel=Ticket.Channel.WALK_IN,
        subject="申根签证代办",
        customer=customer,
        service_type=ServiceType.objects.get(code="visa"),
    )
    today = timezone.now().astimezone(SHANGHAI).date()

    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/tickets/{ticket.reference}/")

    # Materials (A3): the visa list from the manual; one required document is missing.
    page.locator("#materials .materials-start button[type=submit]").click()
    rows = page.locator("#materials tr.material-row")
    rows.first.wait_for()
    assert rows.count() == 7
    for index in range(rows.count()):
        row = rows.nth(index)
        name = row.locator(".material-name").inner_text()
        state = "missing" if name == "财产证明" else "received"
        # One answer at a time: each carries the ticket's new version for the action forms.
        with page.expect_response(lambda response: "/mark/" in response.url):
            row.locator(f"button[name=state][value={state}]").click()
        page.wait_for_load_state("networkidle")
    banner = page.locator("#materials-blocking")
    assert "财产证明" in banner.inner_text()

    # Moving on is refused until the customer confirms in writing.
    page.locator("#action-hand_off summary").click()
    page.locator("#action-hand_off select[name=to_user]").select_option(value=str(engineer.pk))
    page.locator("#action-hand_off button[type=submit]").click()
    assert "财产证明" in page.get_by_role("alert").first.inner_text()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN
    page.locator("#materials-blocking input[name=signed_name]").fill("林晓")
    page.locator("#materials-blocking input[name=is_confirmed]").check()
    page.locator("#materials-blocking button[type=submit]").click()
    page.locator("#materials .materials-ok").wait_for()
    screenshot(page, "20-materials-checked")

    # The service confirmation form (A1), printable.
    page.goto(f"/tickets/{ticket.reference}/confirmation-form/")
    page.locator("input[name=estimated_time]").fill("材料齐全后 10 个工作日")
    page.locator("input[name=fee_amount]").fill("980")
    page.locator("input[name=invoice_needed]").check()
    page.locator("input[name=invoice_title]").fill("温州瓯海贸易有限公司")
    page.locator("textarea[name=after_service]").fill("出签后电话通知，护照快递寄回。")
    page.locator("form[action$='/confirmation-form/'] button[type=submit]").click()
    page.locator(".flash").wait_for()  # back on the ticket, which now shows the form's values
    assert "¥980.00" in page.locator("#materials").inner_text()
    page.goto(f"/tickets/{ticket.reference}/confirmation-form/print/")
    printed = page.locator("body").inner_text()
    assert "咨询服务确认表" in printed and "温州瓯海贸易有限公司" in printed and "980" in printed
    page.emulate_media(media="print")
    screenshot(page, "21-confirmation-form-print")
    page.emulate_media(media="screen")

    # The bill when work starts (A4).
    page.goto(f"/tickets/{ticket.reference}/")
    page.locator("#aftersales-bill-form input[name=amount]").fill("980")
    page.locator("#aftersales-bill-form input[name=payment_due]").fill((today + timedelta(days=3)).isoformat())
    page.locator("#aftersales-bill-form button[type=submit]").click()
    page.locator("#aftersales-bill .as-amount").wait_for()
    assert page.locator("#aftersales-payment-form").count() == 0  # only finance confirms payments

    # Finance confirms the payment and issues the invoice.
    finance = page_of("cashier")
    finance.goto("/finance/")
    assert ticket.reference in finance.locator("main").inner_text()
    screenshot(finance, "22-finance-bills")
    finance.get_by_role("link", name=ticket.reference).first.click()
    finance.locator("#aftersales-payment-form button[type=submit]").click()
    finance.locator("#aftersales-document-form").wait_for()
    finance.locator("#aftersales-document-form input[name=kind][value=invoice]").check()
    finance.locator("#aftersales-document-form input[name=number]").fill("04417392")
    finance.locator("#aftersales-document-form button[type=submit]").click()
    finance.locator("#aftersales-document .mono").wait_for()
    bill = Bill.objects.get(ticket=ticket)
    assert bill.is_paid and bill.document_title == "温州瓯海贸易有限公司"

    # Completion notice and the courier return; the receipt call is then owed.
    page.reload()
    open_step(page, "notice")
    page.locator("#aftersales-notice-form button[type=submit]").click()
    page.locator("#aftersales-notice blockquote").wait_for()
    open_step(page, "return")
    page.locator("#aftersales-return-form input[name=method][value=courier]").check()
    page.locator("#aftersales-return-form [name=documents]").fill("护照原件")
    page.locator("#aftersales-return-form input[name=courier_company]").fill("顺丰速运")
    page.locator("#aftersales-return-form input[name=tracking_number]").fill("SF1428830219657")
    page.locator("#aftersales-return-form input[name=courier_phone]").fill("95338")
    page.locator("#aftersales-return-form input[name=expected_arrival]").fill((today + timedelta(days=1)).isoformat())
    page.locator("#aftersales-return-form button[type=submit]").click()
    page.locator("#aftersales-receipt .as-due").wait_for()
    receipt_call = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.RECEIPT_CALLBACK)
    assert receipt_call.state == Deadline.State.RUNNING
    assert receipt_call.due_at.astimezone(SHANGHAI).date() > today + timedelta(days=1)
    screenshot(page, "23-after-sales-courier-return")

    # The customer confirms the parcel arrived.
    page.locator("#aftersales-receipt input[name=result][value=received]").check()
    page.locator("#aftersales-receipt button[type=submit]").click()
    page.locator("#aftersales-receipt .pill-receipt-received").wait_for()
    assert DocumentReturn.objects.get(ticket=ticket).receipt_result == DocumentReturn.Receipt.RECEIVED
    receipt_call.refresh_from_db()
    assert receipt_call.state == Deadline.State.MET
    # The timeline has followed every step without a reload.
    expect(page.locator("#timeline .ev").last).to_contain_text("签收确认回访")
    screenshot(page, "24-after-sales-complete")


def open_step(page, step: str) -> None:
    """Open the form of an after-sales step (the next step's form is already open)."""
    form = page.locator(f"#aftersales-{step}-form")
    if not form.evaluate("details => details.open"):
        form.locator("summary").click()
