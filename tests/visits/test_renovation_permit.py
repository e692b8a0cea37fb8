"""The renovation permit (装修许可): application, workers, fees, refusals, numbering."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.clock import at
from tests.tickets.helpers import upload
from tests.visits.renovation_helpers import (
    T0,
    application_saved,
    id_number,
    new_visit,
    photo,
    schedule,
    state,
    worker_added,
)
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import TicketEvent
from visits import renovation
from visits.models_renovation import RenovationApplication, RenovationFeeSchedule, RenovationWorker

E = TicketEvent.Type
T1 = at("2026-03-02 10:20")


@pytest.fixture(autouse=True)
def _media(media):
    return media


def ready_to_issue(clerk, workers=2):
    ticket = new_visit(clerk)
    application_saved(ticket, clerk)
    for seed in range(1, workers + 1):
        worker_added(ticket, clerk, seed)
    return ticket


# --- Fees ----------------------------------------------------------------------------------------


def test_fees_are_deposit_plus_permit_fee_plus_pass_deposit_per_worker(db):
    row = schedule(date(2026, 1, 1), deposit="2000", fee="50", per_worker="20")

    fees = renovation.renovation_fees_compute(schedule=row, workers=3)

    assert fees.pass_deposit_total == Decimal("60")
    assert fees.total == Decimal("2110")


def test_the_latest_schedule_in_force_applies_not_a_future_one(db):
    schedule(date(2025, 1, 1), deposit="1000")
    current = schedule(date(2026, 2, 1), deposit="3000")
    schedule(date(2026, 6, 1), deposit="5000")

    assert renovation.fee_schedule_in_force(on=date(2026, 3, 2)) == current
    assert renovation.fee_schedule_in_force(on=date(2024, 12, 31)) is None


def test_issuing_charges_the_schedule_in_force_on_the_day(clerk):
    schedule(date(2025, 1, 1), deposit="1000", fee="30", per_worker="10")
    schedule(date(2026, 3, 1), deposit="2000", fee="50", per_worker="20")
    schedule(date(2026, 4, 1), deposit="9000", fee="90", per_worker="90")
    ticket = ready_to_issue(clerk, workers=3)

    application = renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)

    assert application.total_fee == Decimal("2110.00")
    assert (application.renovation_deposit, application.permit_fee, application.pass_deposit_per_worker) == (
        Decimal("2000.00"),
        Decimal("50.00"),
        Decimal("20.00"),
    )
    assert application.worker_count == 3
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.PERMIT_ISSUED and event.actor == clerk and event.created_at == T1
    assert event.data["permit_number"] == "ZX20260302-001"
    assert event.data["total"] == "2110.00" and event.data["pass_deposit_total"] == "60.00"


@pytest.mark.parametrize("field", ["renovation_deposit", "permit_fee", "pass_deposit_per_worker"])
def test_the_admin_refuses_a_negative_amount(db, field):
    row = RenovationFeeSchedule(
        effective_from=date(2026, 1, 1),
        renovation_deposit=Decimal("1"),
        permit_fee=Decimal("1"),
        pass_deposit_per_worker=Decimal("1"),
    )
    setattr(row, field, Decimal("-5"))

    with pytest.raises(ValidationError) as refused:
        row.full_clean()

    assert field in refused.value.message_dict
    assert not RenovationFeeSchedule.objects.exists()


# --- Refusals: nothing written -------------------------------------------------------------------


def test_a_missing_document_stops_the_permit_and_writes_nothing(clerk):
    schedule(date(2026, 1, 1))
    ticket = new_visit(clerk)
    application_saved(ticket, clerk, documents=False, has_business_licence=True)
    worker_added(ticket, clerk, 1)
    before = state(ticket)

    with pytest.raises(IllegalTransition) as refused:
        renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)

    assert "Qualification certificate not received" in refused.value.message
    assert "Construction drawings not received" in refused.value.message
    assert state(ticket) == before


def test_a_worker_without_photo_stops_the_permit_and_writes_nothing(clerk):
    schedule(date(2026, 1, 1))
    ticket = new_visit(clerk)
    application_saved(ticket, clerk)
    worker_added(ticket, clerk, 1)
    worker_added(ticket, clerk, 2, with_photo=False)
    before = state(ticket)

    with pytest.raises(IllegalTransition) as refused:
        renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)

    assert "No photo yet for: 工人2" in refused.value.message
    assert state(ticket) == before


def test_no_workers_or_no_schedule_stop_the_permit(clerk):
    ticket = new_visit(clerk)
    application_saved(ticket, clerk)
    with pytest.raises(IllegalTransition, match="No workers listed"):
        renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)
    worker_added(ticket, clerk, 1)
    before = state(ticket)

    with pytest.raises(IllegalTransition, match="No renovation fee schedule is in force on 2026-03-02"):
        renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)
    assert state(ticket) == before


def test_an_uploaded_scan_counts_as_the_document_received(clerk):
    schedule(date(2026, 1, 1))
    ticket = new_visit(clerk)
    application_saved(
        ticket,
        clerk,
        documents=False,
        business_licence_file=upload("licence.pdf"),
        qualification_file=upload("cert.pdf"),
        drawings_file=upload("drawings.pdf"),
    )
    worker_added(ticket, clerk, 1)

    application = renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)

    assert application.has_business_licence and application.business_licence_file.name.endswith(".pdf")
    assert application.permit_number == "ZX20260302-001"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"unit": "  "}, "unit", "The unit is required."),
        ({"contractor_licence_no": "abc"}, "contractor_licence_no", "unified social credit code"),
        ({"period_start": date(2026, 3, 1)}, "period_start", "in the past"),
        ({"period_end": date(2026, 3, 4)}, "period_end", "before the start date"),
        ({"business_licence_file": upload("virus.exe")}, "business_licence_file", "not a file type we keep"),
    ],
)
def test_bad_application_input_is_refused_on_its_field(clerk, overrides, field, message):
    ticket = new_visit(clerk)
    before = state(ticket)

    with pytest.raises(InvalidInput) as refused:
        application_saved(ticket, clerk, **overrides)

    assert refused.value.field == field and message in refused.value.message
    assert state(ticket) == before


@pytest.mark.parametrize(
    ("id_value", "upload_file", "field", "message"),
    [
        ("11010119900101001", None, "id_number", "18-character"),
        (id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1"), None, "id_number", "check digit"),
        (id_number(5), SimpleUploadedFile("p.jpg", b"not an image", "image/jpeg"), "photo", "not a readable"),
        (id_number(5), upload("p.gif", b"GIF89a", "image/gif"), "photo", "JPEG or PNG"),
        (id_number(5), SimpleUploadedFile("big.jpg", b"x" * (2 * 1024 * 1024 + 1), "image/jpeg"), "photo", "largest"),
    ],
)
def test_bad_worker_input_is_refused_and_nothing_written(clerk, id_value, upload_file, field, message):
    ticket = new_visit(clerk)
    application_saved(ticket, clerk)
    before = state(ticket)

    with pytest.raises(InvalidInput) as refused:
        renovation.renovation_worker_add(
            ticket=ticket, actor=clerk, name="张三", id_number=id_value, photo=upload_file, now=T1
        )

    assert refused.value.field == field and message in refused.value.message
    assert state(ticket) == before


def test_a_worker_is_listed_once_and_shown_masked(clerk):
    ticket = new_visit(clerk)
    application_saved(ticket, clerk)
    worker = worker_added(ticket, clerk, 7)

    assert worker.id_number_masked == id_number(7)[:6] + "********" + id_number(7)[-4:]
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert id_number(7) not in event.note and id_number(7) not in str(event.data)
    with pytest.raises(InvalidInput, match="already on the list"):
        worker_added(ticket, clerk, 7)


def test_a_photo_can_follow_and_a_png_is_accepted(clerk):
    schedule(date(2026, 1, 1))
    ticket = new_visit(clerk)
    application_saved(ticket, clerk)
    worker = worker_added(ticket, clerk, 1, with_photo=False)

    renovation.renovation_worker_photo(ticket=ticket, actor=clerk, worker=worker, photo=photo("a.png", "PNG"), now=T1)

    assert RenovationWorker.objects.get(pk=worker.pk).photo
    assert renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1).is_issued


# --- Numbering and after issue ---------------------------------------------------------------------


def test_permit_numbers_run_per_day_without_duplicates(clerk):
    schedule(date(2026, 1, 1))
    numbers = []
    for day in ("2026-03-02 10:20", "2026-03-02 11:00", "2026-03-03 09:00"):
        ticket = ready_to_issue(clerk, workers=1)
        numbers.append(renovation.renovation_issue(ticket=ticket, actor=clerk, now=at(day)).permit_number)

    assert numbers == ["ZX20260302-001", "ZX20260302-002", "ZX20260303-001"]
    assert RenovationApplication.objects.filter(permit_number="ZX20260302-001").count() == 1


def test_an_issued_permit_is_issued_once_and_no_longer_changes(clerk):
    schedule(date(2026, 1, 1))
    ticket = ready_to_issue(clerk, workers=1)
    renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)
    before = state(ticket)

    with pytest.raises(IllegalTransition, match="already issued"):
        renovation.renovation_issue(ticket=ticket, actor=clerk, now=T1)
    with pytest.raises(IllegalTransition, match="already issued"):
        worker_added(ticket, clerk, 9, now=T1)
    with pytest.raises(IllegalTransition, match="already issued"):
        application_saved(ticket, clerk, now=T1)
    assert state(ticket) == before


def test_saving_records_the_business_on_the_ticket(clerk):
    ticket = new_visit(clerk)

    application = application_saved(ticket, clerk)

    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.type == E.COUNTER_BUSINESS and event.created_at == T0
    assert event.data["business"] == "renovation" and event.data["application"] == application.pk
    assert len(event.data["documents_received"]) == 3
