"""Test data for the renovation permit and repair request tests."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.clock import at
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import snapshot
from tickets import services
from tickets.models import StaffProfile, Ticket
from visits import renovation
from visits.models import DocumentSequence
from visits.models_renovation import (
    RenovationApplication,
    RenovationFeeSchedule,
    RenovationWorker,
    RepairRequest,
)

T0 = at("2026-03-02 10:00")  # a Monday
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
LICENCE = "91330100MA27XYZ12K"


def id_number(seed: int) -> str:
    """A valid 18-character resident ID number (check digit computed)."""
    body = f"11010119900101{seed:03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def photo(name: str = "worker.jpg", fmt: str = "JPEG", size=(90, 120)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(buffer, format=fmt)
    content_type = "image/png" if fmt == "PNG" else "image/jpeg"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def new_visit(actor, *, now=T0, **overrides) -> Ticket:
    fields = {
        "kind": Ticket.Kind.VISIT,
        "channel": Ticket.Channel.WALK_IN,
        "subject": "装修办理",
        "contact_name": "陈先生",
        "contact_phone": "13800000001",
    }
    fields.update(overrides)
    return services.ticket_create(actor=actor, now=now, **fields)


APPLICATION = {
    "unit": "3栋2单元501",
    "owner_name": "陈先生",
    "owner_phone": "13800000001",
    "contractor_name": "杭州美家装饰工程有限公司",
    "contractor_licence_no": LICENCE,
    "contractor_contact": "王经理",
    "contractor_phone": "13900000002",
    "works": "厨房、卫生间翻新",
}


def application_saved(ticket, actor, *, now=T0, documents=True, **overrides) -> RenovationApplication:
    from datetime import date

    fields = APPLICATION | {
        "period_start": date(2026, 3, 5),
        "period_end": date(2026, 4, 30),
        "has_business_licence": documents,
        "has_qualification": documents,
        "has_drawings": documents,
    }
    fields.update(overrides)
    return renovation.renovation_save(ticket=ticket, actor=actor, now=now, **fields)


def worker_added(ticket, actor, seed: int, *, with_photo=True, now=T0) -> RenovationWorker:
    return renovation.renovation_worker_add(
        ticket=ticket,
        actor=actor,
        name=f"工人{seed}",
        id_number=id_number(seed),
        photo=photo() if with_photo else None,
        now=now,
    )


def schedule(effective_from, deposit="2000", fee="50", per_worker="20") -> RenovationFeeSchedule:
    return RenovationFeeSchedule.objects.create(
        effective_from=effective_from,
        renovation_deposit=Decimal(deposit),
        permit_fee=Decimal(fee),
        pass_deposit_per_worker=Decimal(per_worker),
    )


def state(ticket) -> dict:
    """Everything a refused renovation or repair action must leave untouched."""
    return snapshot(ticket) | {
        "applications": list(RenovationApplication.objects.values()),
        "workers": list(RenovationWorker.objects.values()),
        "counters": list(DocumentSequence.objects.values()),
        "repairs": list(RepairRequest.objects.values()),
    }


@pytest.fixture
def sla_handlers():
    """The REPAIR_ARRIVAL breach handler, as VisitsConfig.ready registers it."""
    from tickets.deadlines import _KIND_HANDLERS
    from tickets.models import DeadlineKind

    before = _KIND_HANDLERS.get(DeadlineKind.REPAIR_ARRIVAL)
    renovation.register_sla_handlers()
    yield
    if before is None:
        _KIND_HANDLERS.pop(DeadlineKind.REPAIR_ARRIVAL, None)
    else:
        _KIND_HANDLERS[DeadlineKind.REPAIR_ARRIVAL] = before


@pytest.fixture
def engineering_head(db):
    department = DepartmentFactory(name="工程部", code="engineering")
    head = StaffFactory(
        user__username="enghead",
        user__first_name="刘主管",
        staff_no="3000",
        extension="8300",
        department=department,
        role=StaffProfile.Role.DEPT_HEAD,
    ).user
    department.head = head
    department.save(update_fields=["head"])
    return head
