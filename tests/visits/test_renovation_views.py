"""The renovation permit and repair request pages: plain POSTs, errors on their fields,
permissions, the printable permit and query budgets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffFactory
from tests.visits import renovation_helpers
from tests.visits.renovation_helpers import (
    LICENCE,
    application_saved,
    id_number,
    new_visit,
    photo,
    schedule,
    state,
    worker_added,
)
from tickets.models import Deadline, DeadlineKind, StaffProfile, TicketEvent
from visits import renovation
from visits.models_renovation import RenovationApplication, RenovationWorker, RepairRequest

engineering_head = renovation_helpers.engineering_head  # a fixture
E = TicketEvent.Type


@pytest.fixture(autouse=True)
def _media(media):
    return media


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def visit(clerk, now):
    return new_visit(clerk, now=now)


def url(name: str, ticket, **kwargs) -> str:
    return reverse(f"visits:{name}", kwargs={"reference": ticket.reference, **kwargs})


def application_post(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "unit": "3栋2单元501",
        "owner_name": "陈先生",
        "owner_phone": "13800000001",
        "contractor_name": "杭州美家装饰工程有限公司",
        "contractor_licence_no": LICENCE,
        "contractor_contact": "王经理",
        "contractor_phone": "13900000002",
        "works": "厨房翻新",
        "period_start": (today + timedelta(days=1)).isoformat(),
        "period_end": (today + timedelta(days=40)).isoformat(),
        "has_business_licence": "on",
        "has_qualification": "on",
    }
    data.update(overrides)
    return data


def saved(ticket, clerk, now, workers=0):
    application_saved(ticket, clerk, now=now, period_start=timezone.localdate(), period_end=timezone.localdate())
    for seed in range(1, workers + 1):
        worker_added(ticket, clerk, seed, now=now)


# --- Renovation -----------------------------------------------------------------------------------


def test_the_page_offers_the_application_form(login, clerk, visit):
    response = login(clerk).get(url("renovation", visit))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="contractor_licence_no"' in body and 'name="drawings_file"' in body
    assert "No renovation fee schedule is in force" in body


def test_saving_by_plain_post_with_a_scan(login, clerk, visit):
    data = application_post() | {"drawings_file": SimpleUploadedFile("plan.pdf", b"%PDF-1.4 x", "application/pdf")}

    response = login(clerk).post(url("renovation", visit), data)

    assert response.status_code == 302 and response["Location"] == url("renovation", visit)
    application = RenovationApplication.objects.get(ticket=visit)
    assert application.has_business_licence and application.has_qualification and application.has_drawings


def test_bad_application_input_gives_field_errors_and_writes_nothing(login, clerk, visit):
    before = state(visit)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = login(clerk).post(url("renovation", visit), application_post(period_start=yesterday))

    assert response.status_code == 400
    assert "is in the past" in response.content.decode()
    assert state(visit) == before


def test_adding_a_worker_with_a_photo_shows_the_id_masked(login, clerk, visit, now):
    saved(visit, clerk, now)
    client = login(clerk)

    response = client.post(
        url("renovation_worker_add", visit), {"name": "张三", "id_number": id_number(3), "photo": photo()}
    )

    assert response.status_code == 302
    worker = RenovationWorker.objects.get()
    body = client.get(url("renovation", visit)).content.decode()
    assert worker.id_number_masked in body and id_number(3) not in body
    photo_response = client.get(url("renovation_worker_photo_file", visit, pk=worker.pk))
    assert photo_response.status_code == 200 and photo_response["Content-Type"] == "image/jpeg"


def test_a_bad_image_gives_a_field_error_and_writes_nothing(login, clerk, visit, now):
    saved(visit, clerk, now)
    before = state(visit)

    response = login(clerk).post(
        url("renovation_worker_add", visit),
        {"name": "张三", "id_number": id_number(3), "photo": SimpleUploadedFile("x.jpg", b"no image", "image/jpeg")},
    )

    assert response.status_code == 400
    assert "is not a readable JPEG or PNG image" in response.content.decode()
    assert state(visit) == before


def test_issue_refused_with_a_clear_message_then_issued_and_printed(login, clerk, visit, now):
    schedule(date(2020, 1, 1), deposit="2000", fee="50", per_worker="20")
    saved(visit, clerk, now, workers=2)
    RenovationWorker.objects.filter(name="工人2").update(photo="")
    client = login(clerk)
    before = state(visit)

    refused = client.post(url("renovation_issue", visit))

    assert refused.status_code == 400
    assert "The permit cannot be issued yet: No photo yet for: 工人2." in refused.content.decode()
    assert state(visit) == before

    worker = RenovationWorker.objects.get(name="工人2")
    client.post(url("renovation_worker_photo", visit, pk=worker.pk), {"photo": photo("p.png", "PNG")})
    issued = client.post(url("renovation_issue", visit))
    assert issued.status_code == 302
    application = RenovationApplication.objects.get(ticket=visit)
    number = application.permit_number
    assert number.startswith("ZX" + timezone.localdate().strftime("%Y%m%d") + "-")
    assert TicketEvent.objects.filter(ticket=visit, type=E.PERMIT_ISSUED).count() == 1

    page = client.get(url("renovation_permit", visit))
    body = page.content.decode()
    assert page.status_code == 200
    assert number in body and "杭州美家装饰工程有限公司" in body and "3栋2单元501" in body
    assert "¥2090.00" in body and "2 × ¥20.00" in body
    assert "css/print" in body and "Owner's signature" in body
    assert id_number(1) not in body


def test_the_print_page_before_issue_goes_back_to_the_form(login, clerk, visit):
    response = login(clerk).get(url("renovation_permit", visit))

    assert response.status_code == 302 and response["Location"] == url("renovation", visit)


@pytest.mark.parametrize("name", ["renovation", "renovation_permit", "repair"])
def test_another_departments_ticket_is_a_404(login, outsider, visit, name):
    assert login(outsider).get(url(name, visit)).status_code == 404


def test_another_department_cannot_post_either(login, outsider, visit, clerk, now):
    saved(visit, clerk, now)
    before = state(visit)

    assert login(outsider).post(url("renovation_issue", visit)).status_code == 404
    assert login(outsider).post(url("renovation", visit), application_post()).status_code == 404
    assert state(visit) == before


@pytest.fixture
def desk_engineer(front_desk_dept):
    return StaffFactory(
        user__username="deskeng", staff_no="1201", department=front_desk_dept, role=StaffProfile.Role.HANDLER
    ).user


def test_a_role_without_counter_business_is_refused_with_403(login, desk_engineer, visit):
    before = state(visit)

    response = login(desk_engineer).post(url("renovation", visit), application_post())

    assert response.status_code == 403
    assert state(visit) == before
    assert 'name="contractor_name"' not in login(desk_engineer).get(url("renovation", visit)).content.decode()


@pytest.mark.parametrize("workers", [1, 12])
def test_the_renovation_page_query_budget(login, clerk, visit, now, django_assert_max_num_queries, workers):
    schedule(date(2020, 1, 1))
    saved(visit, clerk, now, workers=workers)
    client = login(clerk)
    client.get(url("renovation", visit))

    with django_assert_max_num_queries(8):
        assert client.get(url("renovation", visit)).status_code == 200


@pytest.mark.parametrize("workers", [1, 12])
def test_the_permit_print_query_budget(login, clerk, visit, now, django_assert_max_num_queries, workers):
    schedule(date(2020, 1, 1))
    saved(visit, clerk, now, workers=workers)
    renovation.renovation_issue(ticket=visit, actor=clerk, now=now)
    client = login(clerk)

    with django_assert_max_num_queries(7):
        assert client.get(url("renovation_permit", visit)).status_code == 200


# --- Repair -----------------------------------------------------------------------------------------


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_dispatch_by_plain_post_starts_the_promised_deadline(login, clerk, visit, engineering_head):
    promised = (timezone.now() + timedelta(minutes=45)).replace(second=0, microsecond=0)

    response = login(clerk).post(
        url("repair", visit),
        {"unit": "5栋302", "problem": "水管漏水", "scope": "in_scope", "promised_at": local(promised)},
    )

    assert response.status_code == 302
    deadline = Deadline.objects.get(ticket=visit, kind=DeadlineKind.REPAIR_ARRIVAL)
    assert deadline.due_at == promised
    body = login(clerk).get(url("repair", visit)).content.decode()
    assert "Reschedule the visit" in body and "Engineer has arrived" in body


def test_a_past_promised_time_is_a_field_error_and_writes_nothing(login, clerk, visit, engineering_head):
    before = state(visit)
    past = timezone.now() - timedelta(hours=1)

    response = login(clerk).post(
        url("repair", visit), {"unit": "5栋302", "problem": "漏水", "scope": "in_scope", "promised_at": local(past)}
    )

    assert response.status_code == 400
    assert "is not in the future" in response.content.decode()
    assert state(visit) == before


def test_reschedule_and_arrival_by_plain_post(login, clerk, visit, engineering_head, now):
    renovation.repair_dispatch(
        ticket=visit, actor=clerk, unit="5栋302", problem="漏水", promised_at=now + timedelta(minutes=30), now=now
    )
    client = login(clerk)
    new_time = (timezone.now() + timedelta(hours=3)).replace(second=0, microsecond=0)

    moved = client.post(url("repair_reschedule", visit), {"new_time": local(new_time), "reason": "师傅在别处抢修"})
    arrived = client.post(url("repair_arrived", visit))

    assert moved.status_code == 302 and arrived.status_code == 302
    repair = RepairRequest.objects.get(ticket=visit)
    assert repair.promised_at == new_time and repair.state == RepairRequest.State.ARRIVED
    assert TicketEvent.objects.filter(ticket=visit, type=E.REPAIR_RESCHEDULED).count() == 1


def test_referral_by_plain_post(login, clerk, visit):
    response = login(clerk).post(
        url("repair", visit),
        {
            "unit": "5栋302",
            "problem": "燃气灶打不着火",
            "scope": "out_of_scope",
            "referred_to": "燃气公司",
            "referral_number": "96777",
        },
    )

    assert response.status_code == 302
    assert RepairRequest.objects.get(ticket=visit).referral_number == "96777"
    assert "96777" in login(clerk).get(url("repair", visit)).content.decode()


def test_a_referral_without_its_number_is_a_field_error(login, clerk, visit):
    before = state(visit)

    response = login(clerk).post(
        url("repair", visit),
        {"unit": "5栋302", "problem": "燃气灶", "scope": "out_of_scope", "referred_to": "燃气公司"},
    )

    assert response.status_code == 400 and "The referral number is required." in response.content.decode()
    assert state(visit) == before


def test_the_repair_page_query_budget(login, clerk, visit, engineering_head, now, django_assert_max_num_queries):
    renovation.repair_dispatch(
        ticket=visit, actor=clerk, unit="5栋302", problem="漏水", promised_at=now + timedelta(minutes=30), now=now
    )
    client = login(clerk)

    with django_assert_max_num_queries(7):
        assert client.get(url("repair", visit)).status_code == 200
