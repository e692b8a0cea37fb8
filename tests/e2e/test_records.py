"""ID copies and incidents in the browser (V5, V6): a clerk keeps a watermarked ID copy, records a
type A incident and files its report; the supervisor keeps it as a typical case."""

from PIL import Image, ImageDraw, ImageFont

from tests.e2e.conftest import sign_in
from tickets import services
from tickets.models import Ticket
from visits import records
from visits.models_records import IdCopy, Incident


def id_card(path) -> None:
    """A made-up ID card (not a real person's)."""
    image = Image.new("RGB", (1000, 630), (232, 238, 244))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(records.watermark_font_path(), 40) if records.watermark_font_path() else None
    draw.rounded_rectangle((20, 20, 980, 610), radius=30, outline=(120, 140, 170), width=6)
    draw.rectangle((700, 90, 920, 360), fill=(200, 208, 220))
    for row, line in enumerate(["姓名  样本", "性别  男    民族  汉", "出生  1980年1月1日", "住址  某市某区某路1号"]):
        draw.text((70, 90 + row * 80), line, font=font, fill=(30, 30, 30))
    draw.text((70, 500), "公民身份号码  110000000000000000", font=font, fill=(30, 30, 30))
    image.save(path, format="JPEG", quality=90)


def test_id_copy_and_incident(page, page_of, clerk, supervisor, settings, screenshot, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    records.register_sla_handlers()
    visit = services.ticket_create(
        actor=clerk,
        kind=Ticket.Kind.VISIT,
        channel=Ticket.Channel.WALK_IN,
        subject="业主到访：办理入伙",
        contact_name="王先生",
        contact_phone="13800000001",
    )
    card = tmp_path / "id.jpg"
    id_card(card)

    sign_in(page, "clerk")
    page.wait_for_url("**/")
    page.goto(f"/visits/{visit.reference}/id-copies/")
    page.get_by_label("用途").fill("办理入伙")
    page.get_by_label("证件照片或扫描件").set_input_files(str(card))
    page.get_by_role("button", name="盖章并留存").click()
    page.locator(".idcopy img").wait_for()
    page.wait_for_function("document.querySelector('.idcopy img').naturalWidth > 0")
    assert "仅供办理入伙使用" in page.locator(".idcopy-meta").inner_text()
    assert IdCopy.objects.count() == 1
    screenshot(page, "52-id-copies")

    page.goto(f"/visits/{visit.reference}/incident/")
    page.locator("input[name=type][value=A]").check()
    page.get_by_label("事件发生时间").fill("2026-01-05T10:00")
    page.get_by_label("地点").fill("客服中心接待大厅")
    page.get_by_label("涉及人员").fill("3栋1201业主王先生")
    page.get_by_label("事件经过").fill("业主未预约到访，情绪激动，大声投诉楼上漏水长期未修。")
    page.get_by_label("处理过程").fill("客服专员请业主到接待室就座、倒茶，记录诉求；客服经理到场答复，约定次日上门。")
    page.get_by_label("通知人员").fill("客服经理赵经理")
    screenshot(page, "52-incident-form")
    page.get_by_role("button", name="记录并通知").click()
    page.locator("#report form").wait_for()
    page.get_by_label("处理结果").fill("工程部次日上门维修，业主表示满意。")
    page.get_by_role("button", name="填报记录表").click()
    page.locator("#report .pill-met").wait_for()
    assert Incident.objects.get().has_report

    boss = page_of("supervisor")
    boss.goto(f"/visits/{visit.reference}/incident/")
    boss.get_by_label("典型意义").fill("示范如何安抚情绪激动、未预约的业主。")
    boss.get_by_role("button", name="列为典型案例").click()
    boss.locator("#typical .case-note").wait_for()
    screenshot(boss, "52-incident")
    boss.goto("/visits/incidents/typical/")
    assert boss.locator("article.case").count() == 1
    screenshot(boss, "52-typical-cases")
