"""The renovation permit at the counter in a real browser: the application, two workers with
their photos, the fees, issuing, and the printable permit."""

from datetime import timedelta

from django.utils import timezone

from tests.e2e.conftest import sign_in
from tests.visits.renovation_helpers import LICENCE, id_number, new_visit, photo, schedule
from visits.models_renovation import RenovationApplication


def _photo_file(name: str) -> dict:
    upload = photo(name)
    return {"name": name, "mimeType": "image/jpeg", "buffer": upload.read()}


def test_renovation_permit_from_application_to_print(page, clerk, screenshot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    schedule(timezone.localdate() - timedelta(days=30), deposit="2000", fee="50", per_worker="20")
    ticket = new_visit(clerk, now=timezone.now(), subject="装修许可办理", contact_name="陈建国")
    today = timezone.localdate()

    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/visits/{ticket.reference}/renovation/")
    page.locator("input[name=unit]").fill("3栋2单元501")
    page.locator("input[name=contractor_name]").fill("杭州美家装饰工程有限公司")
    page.locator("input[name=contractor_licence_no]").fill(LICENCE)
    page.locator("input[name=contractor_contact]").fill("王经理")
    page.locator("input[name=contractor_phone]").fill("13900000002")
    page.locator("input[name=works]").fill("厨房、卫生间翻新，更换地板")
    page.locator("input[name=period_start]").fill((today + timedelta(days=3)).isoformat())
    page.locator("input[name=period_end]").fill((today + timedelta(days=60)).isoformat())
    page.locator("input[name=has_business_licence]").check()
    page.locator("input[name=has_qualification]").check()
    page.locator("input[name=has_drawings]").check()
    page.locator("form[action$='/renovation/'] button[type=submit]").click()
    page.locator("form[action$='/workers/']").wait_for()

    for seed, name in ((1, "张师傅"), (2, "李师傅")):
        form = page.locator("form[action$='/workers/']")
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=id_number]").fill(id_number(seed))
        form.locator("input[name=photo]").set_input_files(_photo_file(f"w{seed}.jpg"))
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    assert page.locator("table.reno-workers tbody tr").count() == 2
    assert "¥2090.00" in page.locator(".reno-fees").inner_text()
    screenshot(page, "51-renovation-application")

    page.locator("form[action$='/issue/'] button").click()
    page.locator(".reno-issued").wait_for()
    number = RenovationApplication.objects.get(ticket=ticket).permit_number
    assert number in page.locator(".reno-issued").inner_text()

    page.goto(f"/visits/{ticket.reference}/renovation/permit/")
    assert number in page.locator(".permit-sheet").inner_text()
    screenshot(page, "51-renovation-permit-print")


def test_repair_dispatch_and_reschedule(page, clerk, screenshot):
    from tests.factories import DepartmentFactory, StaffFactory
    from tickets.models import StaffProfile

    department = DepartmentFactory(name="工程部", code="engineering")
    head = StaffFactory(
        user__username="enghead",
        user__first_name="刘主管",
        staff_no="3000",
        department=department,
        role=StaffProfile.Role.DEPT_HEAD,
    ).user
    department.head = head
    department.save(update_fields=["head"])
    ticket = new_visit(clerk, now=timezone.now(), subject="报修", contact_name="陈建国")
    promised = timezone.localtime(timezone.now() + timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M")

    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/visits/{ticket.reference}/repair/")
    page.locator("input[name=unit]").fill("5栋1单元302")
    page.locator("textarea[name=problem]").fill("厨房水管接口漏水，需要更换配件")
    page.locator("input[name=promised_at]").fill(promised)
    page.locator("form[action$='/repair/'] button[type=submit]").click()
    page.locator("form[action$='/reschedule/']").wait_for()
    screenshot(page, "51-repair-dispatched")
