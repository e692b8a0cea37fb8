"""Materials checklist (A3) and the service confirmation form (A1): the services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scripts_lib.models import RequiredDocument, ServiceType
from tests.clock import at
from tests.tickets.helpers import new_ticket, snapshot, upload
from tickets import materials, selectors, services
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import (
    Attachment,
    MaterialCheck,
    MissingMaterialsConfirmation,
    ServiceConfirmation,
    Ticket,
    TicketEvent,
)

S = Ticket.Status
E = TicketEvent.Type
M = MaterialCheck.State

T1 = at("2026-03-02 10:10")
T2 = at("2026-03-02 10:20")
T3 = at("2026-03-02 10:30")
T4 = at("2026-03-02 10:40")

VISA_DOCUMENTS = [
    "护照原件",
    "证件照片",
    "身份证复印件",
    "在职证明（学生提供在读证明）",
    "财产证明",
    "派遣函",
    "准假信",
]


@pytest.fixture
def small_type(db) -> ServiceType:
    """A service type with two required documents and one optional one."""
    service_type = ServiceType.objects.create(name="港澳通行证", code="hk-macau", sort_order=9)
    RequiredDocument.objects.create(service_type=service_type, name="身份证原件", sort_order=0)
    RequiredDocument.objects.create(service_type=service_type, name="户口簿", note="首页及本人页", sort_order=1)
    RequiredDocument.objects.create(service_type=service_type, name="单位证明", is_required=False, sort_order=2)
    return service_type


def started(ticket, actor, service_type) -> list[MaterialCheck]:
    return materials.materials_start(ticket=ticket, actor=actor, service_type=service_type, now=T1)


def row(ticket, name: str) -> MaterialCheck:
    return MaterialCheck.objects.get(ticket=ticket, name=name)


def mark(ticket, actor, name: str, state: str, reason: str = "", now=T2) -> MaterialCheck:
    return materials.material_mark(material=row(ticket, name), actor=actor, state=state, reason=reason, now=now)


def all_received(ticket, actor) -> None:
    for material in MaterialCheck.objects.filter(ticket=ticket, is_required=True):
        materials.material_mark(material=material, actor=actor, state=M.RECEIVED, now=T2)


def state(ticket) -> dict:
    """A snapshot of the ticket plus everything this module writes."""
    return snapshot(ticket) | {
        "materials": list(MaterialCheck.objects.filter(ticket=ticket).order_by("pk").values()),
        "confirmations": list(MissingMaterialsConfirmation.objects.filter(ticket=ticket).values()),
        "forms": list(ServiceConfirmation.objects.filter(ticket=ticket).values()),
        "attachments": Attachment.objects.count(),
    }


# --- The seeded lists --------------------------------------------------------------------------


def test_the_visa_and_hukou_lists_are_seeded_by_migrate(db):
    visa = ServiceType.objects.get(code="visa")
    hukou = ServiceType.objects.get(code="hukou")

    assert list(visa.documents.order_by("sort_order").values_list("name", flat=True)) == VISA_DOCUMENTS
    hukou_names = set(hukou.documents.values_list("name", flat=True))
    assert {"户口迁移证原件", "报到证（登记证）原件", "毕业证书原件及三份复印件", "一寸照片五张"} <= hukou_names
    assert hukou.documents.get(name="计划生育诚信承诺书").is_required is False


# --- Starting the checklist --------------------------------------------------------------------


def test_start_copies_the_service_types_documents_onto_the_ticket(clerk, visa):
    ticket = new_ticket(clerk)
    version = ticket.version

    rows = started(ticket, clerk, visa)

    assert [r.name for r in rows] == VISA_DOCUMENTS
    passport = row(ticket, "护照原件")
    assert passport.note == "有效期、剩余空白签证页、尾页本人签名"
    assert passport.is_required and passport.state == M.PENDING
    assert passport.document == RequiredDocument.objects.get(service_type=visa, name="护照原件")
    assert row(ticket, "派遣函").is_required is False
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.service_type == visa and fresh.version == version + 1
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.MATERIALS_CHECKED and event.actor == clerk and event.created_at == T1
    assert event.data["action"] == "started"
    assert event.data["service_type"] == visa.pk
    assert [d["name"] for d in event.data["documents"]] == VISA_DOCUMENTS


def test_start_uses_the_tickets_own_service_type_and_skips_retired_documents(clerk, small_type):
    ticket = new_ticket(clerk)
    Ticket.objects.filter(pk=ticket.pk).update(service_type=small_type)  # as the inquiry screen leaves it
    RequiredDocument.objects.filter(name="单位证明").update(is_active=False)

    rows = materials.materials_start(ticket=ticket, actor=clerk, now=T1)

    assert [r.name for r in rows] == ["身份证原件", "户口簿"]


@pytest.fixture
def empty_type(db):
    return ServiceType.objects.create(name="咨询（无材料）", code="no-documents")


@pytest.fixture
def retired_type(db):
    service_type = ServiceType.objects.create(name="旧业务", code="retired", is_active=False)
    RequiredDocument.objects.create(service_type=service_type, name="申请表")
    return service_type


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (None, "Choose the service type first"),
        ("retired_type", "is no longer offered"),
        ("empty_type", "has no documents on its list yet"),
    ],
)
def test_start_refuses_without_a_usable_list_and_writes_nothing(given, message, request, clerk):
    ticket = new_ticket(clerk)
    service_type = request.getfixturevalue(given) if given else None
    before = state(ticket)

    with pytest.raises(InvalidInput, match=message) as refusal:
        materials.materials_start(ticket=ticket, actor=clerk, service_type=service_type, now=T1)

    assert refusal.value.field == "service_type"
    assert state(ticket) == before


def test_start_refuses_a_second_checklist(clerk, visa, small_type):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    before = state(ticket)

    with pytest.raises(InvalidInput, match="already has its materials checklist"):
        materials.materials_start(ticket=ticket, actor=clerk, service_type=small_type, now=T2)

    assert state(ticket) == before


def test_later_edits_of_the_list_do_not_change_an_existing_checklist(clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    mark(ticket, clerk, "护照原件", M.RECEIVED)
    before = list(MaterialCheck.objects.filter(ticket=ticket).order_by("pk").values())

    passport = RequiredDocument.objects.get(service_type=visa, name="护照原件")
    passport.note = "有效期六个月以上"
    passport.is_required = False
    passport.save()
    RequiredDocument.objects.filter(service_type=visa, name="财产证明").update(is_active=False)
    RequiredDocument.objects.filter(service_type=visa, name="准假信").delete()
    RequiredDocument.objects.create(service_type=visa, name="行程单", sort_order=20)

    after = list(MaterialCheck.objects.filter(ticket=ticket).order_by("pk").values())
    assert [{k: v for k, v in r.items() if k != "document_id"} for r in after] == [
        {k: v for k, v in r.items() if k != "document_id"} for r in before
    ]
    assert row(ticket, "护照原件").note == "有效期、剩余空白签证页、尾页本人签名"


def test_documents_added_to_the_list_later_can_be_brought_in_without_touching_checked_rows(clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    mark(ticket, clerk, "护照原件", M.RECEIVED)
    RequiredDocument.objects.filter(service_type=visa, name="准假信").delete()
    RequiredDocument.objects.create(service_type=visa, name="行程单", note="往返机票预订", sort_order=20)
    assert [d.name for d in selectors.required_document_list_new(ticket=ticket, service_type=visa)] == ["行程单"]

    added = materials.materials_add_new_documents(ticket=ticket, actor=clerk, now=T3)

    assert [r.name for r in added] == ["行程单"]
    names = list(MaterialCheck.objects.filter(ticket=ticket).values_list("name", flat=True))
    assert names == [*VISA_DOCUMENTS, "行程单"]  # 准假信 stays: nothing is ever removed
    assert row(ticket, "护照原件").state == M.RECEIVED
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.type, event.data["action"], event.data["documents"][0]["name"]) == (
        E.MATERIALS_CHECKED,
        "added",
        "行程单",
    )


def test_bringing_in_new_documents_is_refused_when_there_are_none(clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    before = state(ticket)

    with pytest.raises(InvalidInput, match="already has every document"):
        materials.materials_add_new_documents(ticket=ticket, actor=clerk, now=T2)

    assert state(ticket) == before


# --- Marking documents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_state", "reason", "stored_reason"),
    [
        (M.RECEIVED, "", ""),
        (M.MISSING, "客户忘带", "客户忘带"),
        (M.RETURNED, "在职证明未盖公章，请补盖后再交", "在职证明未盖公章，请补盖后再交"),
    ],
    ids=["received", "missing", "returned"],
)
def test_marking_a_document_records_it_and_one_event(new_state, reason, stored_reason, clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    events = TicketEvent.objects.filter(ticket=ticket).count()

    marked = mark(ticket, clerk, "在职证明（学生提供在读证明）", new_state, reason)

    assert (marked.state, marked.reason, marked.checked_by, marked.checked_at) == (
        new_state,
        stored_reason,
        clerk,
        T2,
    )
    assert TicketEvent.objects.filter(ticket=ticket).count() == events + 1
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.MATERIALS_CHECKED
    assert event.data == {
        "action": "marked",
        "material": marked.pk,
        "name": "在职证明（学生提供在读证明）",
        "is_required": True,
        "state_before": M.PENDING,
        "state_after": new_state,
        "reason": stored_reason,
    }
    assert event.note.startswith("在职证明（学生提供在读证明）: Not checked yet → ")


def test_receiving_a_returned_document_clears_its_reason(clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    mark(ticket, clerk, "财产证明", M.RETURNED, "存款证明已过期")

    marked = mark(ticket, clerk, "财产证明", M.RECEIVED, now=T3)

    assert (marked.state, marked.reason) == (M.RECEIVED, "")
    assert TicketEvent.objects.filter(ticket=ticket).last().data["state_before"] == M.RETURNED


@pytest.mark.parametrize(
    ("new_state", "reason", "field", "message"),
    [
        (M.RETURNED, "", "reason", "Say why the document is returned"),
        (M.RETURNED, "   ", "reason", "Say why the document is returned"),
        (M.PENDING, "", "state", "received, missing or returned"),
        ("lost", "", "state", "Unknown state"),
        (M.RETURNED, "太" * 301, "reason", "too long"),
    ],
)
def test_a_bad_mark_is_refused_and_writes_nothing(new_state, reason, field, message, clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    before = state(ticket)

    with pytest.raises(InvalidInput, match=message) as refusal:
        mark(ticket, clerk, "护照原件", new_state, reason)

    assert refusal.value.field == field
    assert state(ticket) == before


def test_marking_the_same_state_twice_is_refused(clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    mark(ticket, clerk, "护照原件", M.MISSING)
    before = state(ticket)

    with pytest.raises(InvalidInput, match="already marked “Missing”"):
        mark(ticket, clerk, "护照原件", M.MISSING, now=T3)

    assert state(ticket) == before


def test_materials_of_a_resolved_ticket_cannot_change(clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    all_received(ticket, clerk)
    services.ticket_resolve(ticket=ticket, actor=clerk, resolution="材料齐全，已递交", now=T3)
    before = state(ticket)

    with pytest.raises(IllegalTransition, match="Reopen it first"):
        mark(ticket, clerk, "派遣函", M.MISSING, now=T4)
    with pytest.raises(IllegalTransition, match="Reopen it first"):
        materials.service_confirmation_save(
            ticket=ticket, actor=clerk, service_type=visa, estimated_time="10 个工作日", fee_amount=300, now=T4
        )

    assert state(ticket) == before


# --- The gate: no moving on with required documents unaccounted for -----------------------------


def _hand_off(ticket, clerk, engineer):
    return services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=T4)


def _resolve(ticket, clerk, engineer):
    return services.ticket_resolve(ticket=ticket, actor=clerk, resolution="已答复", now=T4)


def _resolve_first_contact(ticket, clerk, engineer):
    return services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=T4)


def _request_test(ticket, clerk, engineer):
    return services.ticket_request_test(ticket=ticket, actor=clerk, now=T4)


MOVES = {
    "hand_off": _hand_off,
    "resolve": _resolve,
    "resolve_first_contact": _resolve_first_contact,
    "request_test": _request_test,
}


@pytest.mark.parametrize("verb", list(MOVES))
def test_a_ticket_with_a_missing_required_document_cannot_move_on(verb, clerk, engineer, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    all_received(ticket, clerk)
    mark(ticket, clerk, "护照原件", M.MISSING, now=T3)
    before = state(ticket)

    with pytest.raises(IllegalTransition) as refusal:
        MOVES[verb](ticket, clerk, engineer)

    assert refusal.value.message == (
        "Materials incomplete: 护照原件 (Missing). Record the customer's written confirmation first."
    )
    assert state(ticket) == before


def test_documents_not_checked_yet_block_too_and_are_named(clerk, engineer, small_type):
    ticket = new_ticket(clerk)
    started(ticket, clerk, small_type)
    mark(ticket, clerk, "身份证原件", M.RECEIVED)
    before = state(ticket)

    with pytest.raises(IllegalTransition, match=r"Materials incomplete: 户口簿 \(Not checked yet\)\. Check every"):
        _hand_off(ticket, clerk, engineer)

    assert state(ticket) == before
    assert selectors.material_list_blocking(ticket) == ["户口簿"]


def test_closing_is_refused_while_documents_block(clerk, small_type):
    # The customer-test path resolves without the gate; closing still needs the materials.
    ticket = new_ticket(clerk)
    services.ticket_request_test(ticket=ticket, actor=clerk, now=T1)
    started(ticket, clerk, small_type)
    services.ticket_record_test_result(ticket=ticket, actor=clerk, is_solved=True, now=T3)
    before = state(ticket)

    with pytest.raises(IllegalTransition, match="Materials incomplete"):
        services.ticket_close(ticket=ticket, actor=clerk, now=T4)

    assert state(ticket) == before


def test_optional_documents_never_block(clerk, engineer, small_type):
    ticket = new_ticket(clerk)
    started(ticket, clerk, small_type)
    all_received(ticket, clerk)
    mark(ticket, clerk, "单位证明", M.MISSING, now=T3)

    moved = _hand_off(ticket, clerk, engineer)

    assert moved.status == S.HANDED_OFF
    assert selectors.material_list_blocking(ticket) == []


def test_a_ticket_without_a_checklist_is_not_held_up(clerk, engineer):
    ticket = new_ticket(clerk)

    assert selectors.material_list_blocking(ticket) == []
    assert _hand_off(ticket, clerk, engineer).status == S.HANDED_OFF


# --- The customer's written confirmation -------------------------------------------------------


def test_a_typed_name_with_the_tick_confirms_the_missing_documents_and_unblocks(clerk, engineer, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    all_received(ticket, clerk)
    mark(ticket, clerk, "护照原件", M.MISSING)
    mark(ticket, clerk, "财产证明", M.RETURNED, "存款证明金额不足")
    assert selectors.material_list_blocking(ticket) == ["护照原件", "财产证明"]

    confirmation = materials.materials_confirm_missing(
        ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True, now=T3
    )

    assert confirmation.documents == ["护照原件", "财产证明"]
    assert (confirmation.signed_name, confirmation.is_confirmed, confirmation.scan) == ("陈大文", True, None)
    assert (confirmation.recorded_by, confirmation.recorded_at) == (clerk, T3)
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.MISSING_CONFIRMED
    assert event.data["documents"] == ["护照原件", "财产证明"] and event.data["signed_name"] == "陈大文"
    assert selectors.material_list_blocking(ticket) == []
    assert _hand_off(ticket, clerk, engineer).status == S.HANDED_OFF


def test_a_signed_scan_is_kept_as_an_attachment_and_unblocks(clerk, engineer, visa, media):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    all_received(ticket, clerk)
    mark(ticket, clerk, "证件照片", M.MISSING)
    version = Ticket.objects.get(pk=ticket.pk).version

    confirmation = materials.materials_confirm_missing(ticket=ticket, actor=clerk, scan=upload("签字确认.pdf"), now=T3)

    attachment = Attachment.objects.get(ticket=ticket)
    assert confirmation.scan == attachment and attachment.original_name == "签字确认.pdf"
    assert (confirmation.signed_name, confirmation.is_confirmed) == ("", False)
    types = list(TicketEvent.objects.filter(ticket=ticket).values_list("type", flat=True))[-2:]
    assert types == [E.ATTACHMENT, E.MISSING_CONFIRMED]
    assert Ticket.objects.get(pk=ticket.pk).version == version + 2  # the attachment, then the confirmation
    assert _resolve(ticket, clerk, engineer).status == S.RESOLVED


def test_a_scan_of_a_type_we_do_not_keep_is_refused_with_the_attachment_message(clerk, visa, media):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    mark(ticket, clerk, "护照原件", M.MISSING)
    before = state(ticket)

    with pytest.raises(InvalidInput, match="“confirm.exe” is not a file type we keep; allowed: pdf") as refusal:
        materials.materials_confirm_missing(
            ticket=ticket, actor=clerk, scan=upload("confirm.exe", b"MZ", "application/octet-stream"), now=T3
        )

    assert refusal.value.field == "file"
    assert state(ticket) == before


@pytest.mark.parametrize(
    ("signed_name", "is_confirmed", "field", "message"),
    [
        ("", False, "signed_name", "type the customer's name as signed and tick the box, or upload"),
        ("陈大文", False, "is_confirmed", "Tick the box"),
        ("", True, "signed_name", "Type the customer's name as signed"),
        ("陈" * 101, True, "signed_name", "too long"),
    ],
)
def test_a_confirmation_needs_name_and_tick_together(signed_name, is_confirmed, field, message, clerk, visa):
    ticket = new_ticket(clerk)
    started(ticket, clerk, visa)
    mark(ticket, clerk, "护照原件", M.MISSING)
    before = state(ticket)

    with pytest.raises(InvalidInput, match=message) as refusal:
        materials.materials_confirm_missing(
            ticket=ticket, actor=clerk, signed_name=signed_name, is_confirmed=is_confirmed, now=T3
        )

    assert refusal.value.field == field
    assert state(ticket) == before


def test_a_confirmation_is_refused_when_nothing_required_is_missing(clerk, small_type):
    ticket = new_ticket(clerk)
    started(ticket, clerk, small_type)
    mark(ticket, clerk, "单位证明", M.MISSING)  # optional: needs no confirmation
    before = state(ticket)

    with pytest.raises(InvalidInput, match="nothing for the customer to confirm"):
        materials.materials_confirm_missing(ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True)

    assert state(ticket) == before


def test_a_confirmation_covers_documents_only_as_they_were_when_signed(clerk, small_type):
    ticket = new_ticket(clerk)
    started(ticket, clerk, small_type)
    mark(ticket, clerk, "身份证原件", M.MISSING)
    mark(ticket, clerk, "户口簿", M.RECEIVED)
    materials.materials_confirm_missing(ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True, now=T2)

    # The customer brings a household register that turns out unsuitable: it goes back.
    mark(ticket, clerk, "户口簿", M.RETURNED, "户口簿缺本人页", now=T3)

    assert selectors.material_list_blocking(ticket) == ["户口簿"]
    second = materials.materials_confirm_missing(
        ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True, now=T4
    )
    assert second.documents == ["户口簿"]
    assert selectors.material_list_blocking(ticket) == []


def test_a_second_confirmation_of_the_same_documents_is_refused(clerk, small_type):
    ticket = new_ticket(clerk)
    started(ticket, clerk, small_type)
    mark(ticket, clerk, "身份证原件", M.MISSING)
    materials.materials_confirm_missing(ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True, now=T2)
    before = state(ticket)

    with pytest.raises(InvalidInput, match="already confirmed every missing document"):
        materials.materials_confirm_missing(ticket=ticket, actor=clerk, signed_name="陈大文", is_confirmed=True, now=T3)

    assert state(ticket) == before


# --- The service confirmation form --------------------------------------------------------------


def save_form(ticket, actor, service_type, now=T2, **overrides):
    values = {
        "estimated_time": "10 个工作日",
        "fee_amount": Decimal("350.00"),
        "fee_covers": "签证费及服务费",
        "invoice_needed": True,
        "invoice_title": "杭州某某贸易有限公司",
        "after_service": "出签后电话通知，护照快递寄回",
    } | overrides
    return materials.service_confirmation_save(ticket=ticket, actor=actor, service_type=service_type, now=now, **values)


def test_saving_the_form_creates_it_with_one_event(clerk, visa):
    ticket = new_ticket(clerk)

    form = save_form(ticket, clerk, visa)

    assert (form.service_type, form.estimated_time, form.fee_amount) == (visa, "10 个工作日", Decimal("350.00"))
    assert (form.invoice_needed, form.invoice_title) == (True, "杭州某某贸易有限公司")
    assert (form.prepared_by, form.prepared_at, form.updated_at) == (clerk, T2, T2)
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.CONFIRMATION_FORM and event.data["action"] == "created"
    assert event.data["values"]["fee_amount"] == "350.00"
    assert event.data["values"]["invoice_title"] == "杭州某某贸易有限公司"
    assert Ticket.objects.get(pk=ticket.pk).service_type == visa  # the ticket had none: it takes the form's


def test_updating_the_form_records_old_and_new_values(clerk, supervisor, visa):
    ticket = new_ticket(clerk)
    save_form(ticket, clerk, visa)

    form = save_form(ticket, supervisor, visa, now=T3, fee_amount="420", invoice_needed=False)

    assert (form.fee_amount, form.invoice_needed, form.invoice_title) == (Decimal("420.00"), False, "")
    assert (form.prepared_by, form.prepared_at, form.updated_at) == (clerk, T2, T3)
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.actor == supervisor
    assert event.data == {
        "action": "updated",
        "changes": {
            "fee_amount": {"old": "350.00", "new": "420.00"},
            "invoice_needed": {"old": True, "new": False},
            "invoice_title": {"old": "杭州某某贸易有限公司", "new": ""},
        },
    }


def test_saving_the_same_values_again_writes_nothing(clerk, visa):
    ticket = new_ticket(clerk)
    save_form(ticket, clerk, visa)
    before = state(ticket)

    form = save_form(ticket, clerk, visa, now=T3)

    assert form.updated_at == T2
    assert state(ticket) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"invoice_title": "  "}, "invoice_title", "ask for the invoice title"),
        ({"fee_amount": Decimal("-1")}, "fee_amount", "cannot be negative"),
        ({"fee_amount": None}, "fee_amount", "The fee is required"),
        ({"fee_amount": "三百"}, "fee_amount", "Enter the fee in yuan"),
        ({"fee_amount": "1.005"}, "fee_amount", "two decimal places"),
        ({"fee_amount": Decimal("100000000")}, "fee_amount", "too large"),
        ({"estimated_time": ""}, "estimated_time", "The estimated service time is required"),
        ({"invoice_title": "抬" * 201}, "invoice_title", "too long"),
    ],
)
def test_a_bad_form_is_refused_and_writes_nothing(overrides, field, message, clerk, visa):
    ticket = new_ticket(clerk)
    before = state(ticket)

    with pytest.raises(InvalidInput, match=message) as refusal:
        save_form(ticket, clerk, visa, **overrides)

    assert refusal.value.field == field
    assert state(ticket) == before


def test_a_free_service_without_invoice_is_accepted(clerk, visa):
    ticket = new_ticket(clerk)

    form = save_form(ticket, clerk, visa, fee_amount=0, invoice_needed=False, invoice_title="")

    assert (form.fee_amount, form.invoice_needed) == (Decimal("0.00"), False)


def test_the_form_refuses_a_retired_service_type(clerk, retired_type):
    ticket = new_ticket(clerk)
    before = state(ticket)

    with pytest.raises(InvalidInput, match="no longer offered") as refusal:
        save_form(ticket, clerk, retired_type)

    assert refusal.value.field == "service_type"
    assert state(ticket) == before
