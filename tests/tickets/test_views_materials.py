"""The materials panel on the ticket page, the service confirmation form and its print page."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scripts_lib.models import RequiredDocument, ServiceType
from tests.clock import at
from tests.factories import CustomerFactory, StaffFactory
from tests.tickets.helpers import new_ticket, snapshot, upload
from tickets import materials, services
from tickets.models import (
    Attachment,
    MaterialCheck,
    MissingMaterialsConfirmation,
    ServiceConfirmation,
    StaffProfile,
    Ticket,
    TicketEvent,
)

S = Ticket.Status
E = TicketEvent.Type
M = MaterialCheck.State
T1 = at("2026-03-02 10:10")
HTMX = {"HTTP_HX_REQUEST": "true"}


# --- Fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def finance_colleague(front_desk_dept):
    """Finance, in the clerk's department: sees the clerk's tickets, may not check materials."""
    return StaffFactory(
        user__username="cashier2", staff_no="5002", department=front_desk_dept, role=StaffProfile.Role.FINANCE
    ).user


def typed(ticket, service_type) -> Ticket:
    """The ticket with a service type, as the inquiry screen leaves it."""
    Ticket.objects.filter(pk=ticket.pk).update(service_type=service_type)
    return Ticket.objects.get(pk=ticket.pk)


def with_checklist(clerk, service_type, **ticket_fields) -> Ticket:
    ticket = new_ticket(clerk, **ticket_fields)
    materials.materials_start(ticket=ticket, actor=clerk, service_type=service_type, now=T1)
    return Ticket.objects.get(pk=ticket.pk)


def material(ticket, name) -> MaterialCheck:
    return MaterialCheck.objects.get(ticket=ticket, name=name)


def receive_all(ticket, clerk) -> None:
    for row in MaterialCheck.objects.filter(ticket=ticket, is_required=True):
        materials.material_mark(material=row, actor=clerk, state=M.RECEIVED, now=T1)


def state(ticket) -> dict:
    return snapshot(ticket) | {
        "materials": list(MaterialCheck.objects.filter(ticket=ticket).order_by("pk").values()),
        "confirmations": MissingMaterialsConfirmation.objects.count(),
        "forms": list(ServiceConfirmation.objects.values()),
        "attachments": Attachment.objects.count(),
    }


def url(name: str, ticket, **kwargs) -> str:
    return reverse(f"desk:{name}", kwargs={"reference": ticket.reference, **kwargs})


def detail(ticket) -> str:
    return url("ticket_detail", ticket)


FORM = {
    "estimated_time": "10 个工作日",
    "fee_amount": "350.00",
    "fee_covers": "签证费及服务费",
    "invoice_needed": "on",
    "invoice_title": "杭州某某贸易有限公司",
    "after_service": "出签后电话通知，护照快递寄回",
}


def saved_form(ticket, clerk, service_type) -> ServiceConfirmation:
    return materials.service_confirmation_save(
        ticket=ticket,
        actor=clerk,
        service_type=service_type,
        estimated_time="10 个工作日",
        fee_amount=Decimal("350"),
        fee_covers="签证费及服务费",
        invoice_needed=True,
        invoice_title="杭州某某贸易有限公司",
        after_service="出签后电话通知，护照快递寄回",
        now=T1,
    )


# --- The panel ----------------------------------------------------------------------------------


def test_a_ticket_without_service_type_or_checklist_has_no_materials_panel(login, clerk):
    ticket = new_ticket(clerk)

    response = login(clerk).get(detail(ticket))

    assert response.context["materials"] is None
    assert 'id="materials"' not in response.content.decode()


def test_a_ticket_with_a_service_type_offers_to_start_the_checklist(login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)

    page = login(clerk).get(detail(ticket)).content.decode()

    assert 'id="materials"' in page
    assert "Start the materials checklist" in page
    assert f'<option value="{visa.pk}" selected>签证办理</option>' in page
    assert "Fill in the service confirmation form" in page


def test_starting_the_checklist_by_plain_post_returns_to_the_ticket(login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)
    client = login(clerk)

    response = client.post(url("materials_start", ticket), {"service_type": visa.pk})

    assert response.status_code == 302
    assert response["Location"] == detail(ticket) + "#materials"
    assert MaterialCheck.objects.filter(ticket=ticket).count() == 7
    page = client.get(detail(ticket)).content.decode()
    assert "Checklist started: 7 documents to check." in page
    assert "护照原件" in page and "有效期、剩余空白签证页、尾页本人签名" in page
    assert ">Required<" in page and ">Optional<" in page  # said in words, not by colour
    assert "Not checked yet" in page
    assert "Materials incomplete: the ticket cannot be handed off, resolved or closed yet." in page


def test_starting_the_checklist_through_htmx_swaps_the_panel(login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)

    response = login(clerk).post(url("materials_start", ticket), {"service_type": visa.pk}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="card materials" id="materials"')
    assert "<html" not in page
    assert "Checklist started: 7 documents to check." in page
    assert page.count('class="material-row') == 7
    assert "Checklist started from “签证办理”: 7 documents." in page[page.index('id="timeline"') :]


def test_starting_without_a_service_type_shows_the_error_on_the_field(login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)
    Ticket.objects.filter(pk=ticket.pk).update(service_type=None)
    # The page was drawn while the ticket had a type; the type was cleared since.
    before = state(ticket)

    response = login(clerk).post(url("materials_start", ticket), {"service_type": ""}, **HTMX)

    assert response.status_code == 400
    assert "Choose the service type first" in response.content.decode()
    assert state(ticket) == before


@pytest.mark.parametrize("how", ["plain", "htmx"])
def test_marking_a_document_received(how, login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    passport = material(ticket, "护照原件")
    client = login(clerk)
    extra = HTMX if how == "htmx" else {}

    response = client.post(url("material_mark", ticket, pk=passport.pk), {"state": "received"}, **extra)

    passport.refresh_from_db()
    assert (passport.state, passport.checked_by) == (M.RECEIVED, clerk)
    assert TicketEvent.objects.filter(ticket=ticket).last().type == E.MATERIALS_CHECKED
    if how == "htmx":
        assert response.status_code == 200
        page = response.content.decode()
    else:
        assert response.status_code == 302
        page = client.get(detail(ticket)).content.decode()
    assert "“护照原件” marked “Received”." in page
    assert "1 of 7 received" in page


def test_a_panel_swap_hands_the_new_ticket_version_to_the_action_forms(login, clerk, engineer, visa):
    ticket = with_checklist(clerk, visa)
    client = login(clerk)
    for row in MaterialCheck.objects.filter(ticket=ticket, is_required=True):
        response = client.post(url("material_mark", ticket, pk=row.pk), {"state": "received"}, **HTMX)
    version = Ticket.objects.get(pk=ticket.pk).version

    page = response.content.decode()
    oob = (
        f'<input type="hidden" name="expected_version" value="{version}" id="id_hand_off_expected_version" hx-swap-oob'
    )
    assert oob in page
    handed = client.post(
        url("ticket_action", ticket, verb="hand_off"), {"expected_version": version, "to_user": engineer.pk}
    )
    assert handed.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == S.HANDED_OFF


@pytest.mark.parametrize("how", ["plain", "htmx"])
def test_returning_a_document_without_a_reason_is_refused_on_the_reason_field(how, login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    proof = material(ticket, "在职证明（学生提供在读证明）")
    before = state(ticket)
    extra = HTMX if how == "htmx" else {}

    response = login(clerk).post(
        url("material_mark", ticket, pk=proof.pk), {"state": "returned", "reason": ""}, **extra
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Say why the document is returned (false or unsuitable)" in page
    assert '<details class="mark-return" open>' in page  # the reason field stays open, with the error
    assert f'id="id_material{proof.pk}_reason"' in page
    assert state(ticket) == before


def test_returning_a_document_with_its_reason_shows_it(login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    proof = material(ticket, "财产证明")

    response = login(clerk).post(
        url("material_mark", ticket, pk=proof.pk), {"state": "returned", "reason": "存款证明已过期"}, **HTMX
    )

    page = response.content.decode()
    assert "Returned to the customer" in page and "存款证明已过期" in page
    assert "Needs the customer's written confirmation" in page


def test_a_document_of_another_ticket_is_not_found(login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    other = with_checklist(clerk, visa)
    before = state(other)

    response = login(clerk).post(url("material_mark", ticket, pk=material(other, "护照原件").pk), {"state": "received"})

    assert response.status_code == 404
    assert state(other) == before


def test_the_hand_off_form_is_refused_while_documents_are_missing(login, clerk, engineer, visa):
    ticket = with_checklist(clerk, visa)
    receive_all(ticket, clerk)
    materials.material_mark(material=material(ticket, "护照原件"), actor=clerk, state=M.MISSING, now=T1)
    before = state(ticket)
    fresh = Ticket.objects.get(pk=ticket.pk)

    response = login(clerk).post(
        url("ticket_action", ticket, verb="hand_off"),
        {"expected_version": fresh.version, "to_user": engineer.pk},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Materials incomplete: 护照原件 (Missing). Record the customer&#x27;s written confirmation first." in page
    assert state(ticket) == before


def test_a_typed_confirmation_clears_the_banner_and_is_listed(login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    receive_all(ticket, clerk)
    materials.material_mark(material=material(ticket, "护照原件"), actor=clerk, state=M.MISSING, now=T1)
    client = login(clerk)
    assert "Customer's written confirmation" in client.get(detail(ticket)).content.decode()

    response = client.post(url("materials_confirm_missing", ticket), {"signed_name": "陈大文", "is_confirmed": "on"})

    assert response.status_code == 302
    page = client.get(detail(ticket)).content.decode()
    assert "Materials incomplete" not in page
    assert "Every required document is received, or confirmed missing in writing by the customer." in page
    assert "Signed by 陈大文 (ticked)" in page
    assert "Confirmed in writing" in page
    assert MissingMaterialsConfirmation.objects.get(ticket=ticket).documents == ["护照原件"]


def test_a_name_without_the_tick_is_refused_on_the_tick(login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    materials.material_mark(material=material(ticket, "护照原件"), actor=clerk, state=M.MISSING, now=T1)
    before = state(ticket)

    response = login(clerk).post(url("materials_confirm_missing", ticket), {"signed_name": "陈大文"})

    assert response.status_code == 400
    form = response.context["materials"].confirm_form
    assert form.errors == {"is_confirmed": [form.errors["is_confirmed"][0]]}
    assert "Tick the box" in form.errors["is_confirmed"][0]
    assert state(ticket) == before


def test_a_signed_scan_confirms_and_links_to_the_file(login, clerk, visa, media):
    ticket = with_checklist(clerk, visa)
    materials.material_mark(material=material(ticket, "证件照片"), actor=clerk, state=M.MISSING, now=T1)
    client = login(clerk)

    response = client.post(url("materials_confirm_missing", ticket), {"scan": upload("签字确认.pdf")}, **HTMX)

    assert response.status_code == 200
    attachment = Attachment.objects.get(ticket=ticket)
    page = response.content.decode()
    assert url("attachment_download", ticket, pk=attachment.pk) in page
    assert "签字确认.pdf" in page


def test_a_scan_of_the_wrong_type_is_refused_with_the_attachment_message(login, clerk, visa, media):
    ticket = with_checklist(clerk, visa)
    materials.material_mark(material=material(ticket, "证件照片"), actor=clerk, state=M.MISSING, now=T1)
    before = state(ticket)

    response = login(clerk).post(
        url("materials_confirm_missing", ticket), {"scan": upload("confirm.exe", b"MZ", "application/octet-stream")}
    )

    assert response.status_code == 400
    form = response.context["materials"].confirm_form
    assert form.errors["scan"] == [
        "“confirm.exe” is not a file type we keep; allowed: pdf, jpg, jpeg, png, gif, doc, docx, xls, xlsx, txt."
    ]
    assert state(ticket) == before


def test_documents_added_to_the_list_since_can_be_brought_in(login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    RequiredDocument.objects.create(service_type=visa, name="行程单", sort_order=20)
    client = login(clerk)
    assert (
        "1 document was added to the list since this checklist was started"
        in client.get(detail(ticket)).content.decode()
    )

    response = client.post(url("materials_add_new", ticket), **HTMX)

    assert response.status_code == 200
    assert "Added to the checklist: 行程单." in response.content.decode()
    assert material(ticket, "行程单").state == M.PENDING


def test_a_resolved_tickets_checklist_is_read_only(login, clerk, visa):
    ticket = with_checklist(clerk, visa)
    receive_all(ticket, clerk)
    services.ticket_resolve(ticket=ticket, actor=clerk, resolution="已递交", now=at("2026-03-02 11:00"))

    page = login(clerk).get(detail(ticket)).content.decode()

    assert "护照原件" in page
    assert 'name="state"' not in page
    assert "Start the materials checklist" not in page


# --- The service confirmation form --------------------------------------------------------------


def test_the_form_is_prefilled_from_the_tickets_service_type_and_the_customers_company(login, clerk, visa):
    customer = CustomerFactory(company="杭州某某贸易有限公司")
    ticket = typed(new_ticket(clerk, customer=customer), visa)

    response = login(clerk).get(url("confirmation_form", ticket))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {"service_type": visa.pk, "invoice_title": "杭州某某贸易有限公司"}
    page = response.content.decode()
    assert "<h1>Service confirmation form</h1>" in page
    assert f'<option value="{visa.pk}" selected>签证办理</option>' in page


def test_saving_the_form_returns_to_the_ticket_which_shows_it(login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)
    client = login(clerk)

    response = client.post(url("confirmation_form", ticket), FORM | {"service_type": visa.pk})

    assert response.status_code == 302
    assert response["Location"] == detail(ticket) + "#materials"
    form = ServiceConfirmation.objects.get(ticket=ticket)
    assert (form.fee_amount, form.invoice_title, form.prepared_by) == (Decimal("350.00"), "杭州某某贸易有限公司", clerk)
    page = client.get(detail(ticket)).content.decode()
    assert "Service confirmation form saved. Print it for the customer to sign." in page
    assert "¥350.00" in page
    assert url("confirmation_print", ticket) in page


def test_updating_the_form_keeps_one_form_and_records_the_change(login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)
    saved_form(ticket, clerk, visa)
    client = login(clerk)
    assert client.get(url("confirmation_form", ticket)).context["form"].initial["fee_amount"] == Decimal("350.00")

    response = client.post(url("confirmation_form", ticket), FORM | {"service_type": visa.pk, "fee_amount": "400"})

    assert response.status_code == 302
    assert ServiceConfirmation.objects.get(ticket=ticket).fee_amount == Decimal("400.00")
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.data["changes"] == {"fee_amount": {"old": "350.00", "new": "400.00"}}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"invoice_title": ""}, "invoice_title", "ask for the invoice title"),
        ({"fee_amount": "-5"}, "fee_amount", "greater than or equal to 0"),
        ({"estimated_time": ""}, "estimated_time", "required"),
        ({"service_type": ""}, "service_type", "required"),
    ],
)
def test_a_bad_form_shows_the_error_on_its_field_and_saves_nothing(changes, field, message, login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)
    before = state(ticket)

    response = login(clerk).post(url("confirmation_form", ticket), FORM | {"service_type": visa.pk} | changes)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert state(ticket) == before


# --- The print page -----------------------------------------------------------------------------


def test_the_print_page_shows_the_form_as_agreed(login, clerk, visa):
    customer = CustomerFactory(name="陈大文", phone="13900000009")
    ticket = with_checklist(clerk, visa, customer=customer, contact_name="", contact_phone="")
    Ticket.objects.filter(pk=ticket.pk).update(
        reminders=[
            {"text": "照片要求（尺寸、背景色、数量）", "given": True},
            {"text": "付款方式及付款时限", "given": False},
        ]
    )
    receive_all(ticket, clerk)
    materials.material_mark(
        material=material(ticket, "财产证明"), actor=clerk, state=M.RETURNED, reason="存款证明已过期", now=T1
    )
    saved_form(ticket, clerk, visa)

    response = login(clerk).get(url("confirmation_print", ticket))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/print.css">' in page
    assert '<h1 id="print-title">Service confirmation form</h1>' in page
    assert 'onclick="window.print()"' in page
    assert "Customer Service Centre" in page
    for text in (
        ticket.reference,
        "陈大文",
        "13900000009",
        "签证办理",
        "10 个工作日",
        "¥350.00",
        "签证费及服务费",
        "杭州某某贸易有限公司",
        "出签后电话通知，护照快递寄回",
        "照片要求（尺寸、背景色、数量）",
        "护照原件",
        "财产证明 (Returned to the customer: 存款证明已过期)",
        "Customer's signature",
        "Clerk's signature",
        "小王",
    ):
        assert text in page, text
    assert "付款方式及付款时限" not in page  # not given: not on the form


def test_the_print_page_names_the_centre_from_settings(login, clerk, visa, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "CENTRE_NAME": "温州签证服务中心"}
    ticket = typed(new_ticket(clerk), visa)
    saved_form(ticket, clerk, visa)

    page = login(clerk).get(url("confirmation_print", ticket)).content.decode()

    assert '<p class="print-centre">温州签证服务中心</p>' in page


def test_printing_before_the_form_is_saved_leads_to_the_form(login, clerk, visa):
    ticket = typed(new_ticket(clerk), visa)

    response = login(clerk).get(url("confirmation_print", ticket))

    assert response.status_code == 302
    assert response["Location"] == url("confirmation_form", ticket)


def test_the_print_stylesheet_prints_one_black_on_white_a4_page_without_buttons():
    css = Path(finders.find("css/print.css")).read_text(encoding="utf-8")

    assert "@media print" in css
    assert "size: A4" in css
    assert ".topbar" in css and "button" in css and ".no-print" in css
    assert "color: #000" in css and "background: #fff" in css


# --- Who may do what ----------------------------------------------------------------------------


def _endpoints(ticket) -> dict[str, tuple[str, str, dict]]:
    passport = material(ticket, "护照原件")
    return {
        "start": ("post", url("materials_start", ticket), {}),
        "add_new": ("post", url("materials_add_new", ticket), {}),
        "mark": ("post", url("material_mark", ticket, pk=passport.pk), {"state": "received"}),
        "confirm": ("post", url("materials_confirm_missing", ticket), {"signed_name": "陈", "is_confirmed": "on"}),
        "form": ("get", url("confirmation_form", ticket), {}),
        "form_save": ("post", url("confirmation_form", ticket), FORM),
        "print": ("get", url("confirmation_print", ticket), {}),
    }


ENDPOINTS = ["start", "add_new", "mark", "confirm", "form", "form_save", "print"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_finance_may_not_check_materials_or_prepare_the_form(endpoint, login, clerk, finance_colleague, visa):
    ticket = with_checklist(clerk, visa)
    saved_form(ticket, clerk, visa)
    before = state(ticket)
    method, target, data = _endpoints(ticket)[endpoint]

    response = getattr(login(finance_colleague), method)(target, data | {"service_type": visa.pk})

    assert response.status_code == 403
    assert "Your role may not check materials" in response.content.decode()
    assert state(ticket) == before


def test_finance_sees_the_checklist_without_buttons(login, clerk, finance_colleague, visa):
    ticket = with_checklist(clerk, visa)

    page = login(finance_colleague).get(detail(ticket)).content.decode()

    assert "护照原件" in page
    assert 'name="state"' not in page
    assert "Fill in the service confirmation form" not in page


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_departments_ticket_is_not_found(endpoint, login, clerk, outsider, visa):
    ticket = with_checklist(clerk, visa)
    saved_form(ticket, clerk, visa)
    before = state(ticket)
    method, target, data = _endpoints(ticket)[endpoint]

    response = getattr(login(outsider), method)(target, data | {"service_type": visa.pk})

    assert response.status_code == 404
    assert state(ticket) == before


@pytest.mark.parametrize("role", ["handler", "dept_head", "supervisor", "admin"])
def test_every_serving_role_may_check_materials(role, login, clerk, front_desk_dept, visa):
    colleague = StaffFactory(user__username=f"u-{role}", staff_no="7001", department=front_desk_dept, role=role).user
    ticket = with_checklist(clerk, visa)
    passport = material(ticket, "护照原件")

    response = login(colleague).post(url("material_mark", ticket, pk=passport.pk), {"state": "received"})

    assert response.status_code == 302
    assert material(ticket, "护照原件").checked_by == colleague


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_is_sent_to_sign_in(endpoint, client, clerk, visa):
    ticket = with_checklist(clerk, visa)
    method, target, data = _endpoints(ticket)[endpoint]

    response = getattr(client, method)(target, data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Query budgets ------------------------------------------------------------------------------


def _type_with(count: int) -> ServiceType:
    service_type = ServiceType.objects.create(name=f"业务{count}", code=f"type-{count}")
    for n in range(count):
        RequiredDocument.objects.create(service_type=service_type, name=f"材料{n}", sort_order=n)
    return service_type


def _busy_ticket(clerk, count: int) -> Ticket:
    """A checklist of `count` documents, every state present, one confirmation, a saved form."""
    service_type = _type_with(count)
    ticket = with_checklist(clerk, service_type)
    rows = list(MaterialCheck.objects.filter(ticket=ticket))
    materials.material_mark(material=rows[0], actor=clerk, state=M.MISSING, now=T1)
    materials.material_mark(material=rows[1], actor=clerk, state=M.RETURNED, reason="复印件不清晰", now=T1)
    materials.materials_confirm_missing(ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True, now=T1)
    for row in rows[2:]:
        materials.material_mark(material=row, actor=clerk, state=M.RECEIVED, now=T1)
    saved_form(ticket, clerk, service_type)
    return ticket


def _queries(client, target: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target)
    assert response.status_code == 200
    return len(queries)


# The ticket page (11: session, user, profile, ticket, events, deadlines, attachments, department
# names, unread count, the hand-off form's colleagues and departments) + the panel (5: service type,
# checklist, confirmations, service confirmation form, documents added to the list since), the
# complaints that arose from the ticket (1), the customer evaluation panel (2) and the phrase
# book's scripts for the actions (1: closing, handoff and test-callback lines, scripts_lib).
DETAIL_BUDGET = 20
# Session, user, profile, unread count; the ticket (customer, service type), the form, checklist,
# confirmations; and issuing the evaluation link printed as a QR code (8: lock, link, event, version).
PRINT_BUDGET = 16


def test_the_ticket_page_costs_the_same_with_2_or_10_documents(login, clerk, django_assert_max_num_queries):
    small = _busy_ticket(clerk, 2)
    large = _busy_ticket(clerk, 10)
    client = login(clerk)
    client.get(detail(small))  # warm the calendar and session caches

    counts = [_queries(client, detail(small)), _queries(client, detail(large))]

    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(DETAIL_BUDGET):
        client.get(detail(large))


def test_the_panel_swap_costs_the_same_with_2_or_10_documents(login, clerk, django_assert_max_num_queries):
    small = _busy_ticket(clerk, 2)
    large = _busy_ticket(clerk, 10)
    client = login(clerk)

    counts = []
    for ticket in (small, large):
        row = MaterialCheck.objects.filter(ticket=ticket, state=M.RECEIVED).first() or material(ticket, "材料1")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url("material_mark", ticket, pk=row.pk), {"state": "missing"}, **HTMX)
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


def test_the_print_page_within_its_budget(login, clerk, django_assert_max_num_queries):
    small = _busy_ticket(clerk, 2)
    large = _busy_ticket(clerk, 10)
    client = login(clerk)
    client.get(url("confirmation_print", small))

    counts = [_queries(client, url("confirmation_print", small)), _queries(client, url("confirmation_print", large))]

    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(PRINT_BUDGET):
        client.get(url("confirmation_print", large))


# --- The admin: read-only ----------------------------------------------------------------------


@pytest.mark.parametrize("model", [MaterialCheck, MissingMaterialsConfirmation, ServiceConfirmation])
def test_the_admin_lists_the_records_read_only(model, admin_client, clerk, visa, django_assert_max_num_queries):
    ticket = with_checklist(clerk, visa)
    materials.material_mark(material=material(ticket, "护照原件"), actor=clerk, state=M.MISSING, now=T1)
    materials.materials_confirm_missing(ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True, now=T1)
    saved_form(ticket, clerk, visa)
    changelist = reverse(f"admin:tickets_{model._meta.model_name}_changelist")
    obj = model.objects.first()

    with django_assert_max_num_queries(8):
        listing = admin_client.get(changelist)
    change = admin_client.get(reverse(f"admin:tickets_{model._meta.model_name}_change", args=[obj.pk]))

    assert listing.status_code == 200 and ticket.reference in listing.content.decode()
    assert change.status_code == 200
    assert change.context["has_change_permission"] is False
    assert admin_client.get(reverse(f"admin:tickets_{model._meta.model_name}_add")).status_code == 403
