"""Counter business (V4): the renovation permit (装修许可) and the repair request (报修). Every write.

Renovation: the desk records the contractor and the documents seen (ticked, or uploaded as a
scan), adds the workers (name, ID number, a one-inch photo each), and issues the permit once
nothing is missing. The fees come from the fee schedule in force on the day of issue
(`renovation_fees_compute`); the permit number comes from its own daily counter, locked, so
no number is handed out twice (ZX20260302-001).

Repair: within engineering's scope the request is dispatched with a promised arrival time,
which runs as a REPAIR_ARRIVAL deadline on the ticket due exactly at that time; the head of
engineering is told at once. If the engineer cannot make it, the desk reschedules with the
customer (the reason and the new agreed time are recorded, the customer is sent the new time,
the timer is started again). When the deadline passes with nobody there, the sweep tells the
head of engineering and the first responder to call the customer ahead and agree a new time
(`repair_arrival_breach`, registered by `register_sla_handlers`). Outside the scope, the
customer is referred elsewhere and the referral number given is recorded.

Same rules as tickets.services: keyword-only arguments, a required actor, one transaction, the
ticket row locked before anything is checked, one TicketEvent per write, side effects after
commit. A refusal raises a TicketError and writes nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from tickets import deadlines as dl
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import Deadline, DeadlineKind, Department, DurationUnit, Ticket, TicketEvent
from tickets.notifications import notification_create
from tickets.services import (
    _check_record_may_change,
    _clean_text,
    _local,
    _lock_any,
    _now,
    _record,
    _save,
    _staff_profile,
)
from tickets.sla import SHANGHAI
from visits.models_renovation import (
    RenovationApplication,
    RenovationFeeSchedule,
    RenovationWorker,
    RepairRequest,
)
from visits.numbering import document_number_next

Event = TicketEvent.Type
PERMIT_PREFIX = "ZX"  # 装修许可证

PHOTO_EXTENSIONS = ("jpg", "jpeg", "png")
PHOTO_FORMATS = {"JPEG", "PNG"}
DEFAULT_PHOTO_MAX_BYTES = 2 * 1024 * 1024
MAX_WORKERS = 50
# How far ahead a repair visit may be promised: a visit, not a plan.
REPAIR_HORIZON = timedelta(days=7)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
LICENCE_PATTERN = re.compile(r"^[0-9A-Z]{15,18}$")


# --- Settings read with their defaults --------------------------------------------------------


def engineering_department_code() -> str:
    return settings.SERVICEDESK.get("ENGINEERING_DEPARTMENT", "engineering")


def photo_max_bytes() -> int:
    return int(settings.SERVICEDESK.get("WORKER_PHOTO_MAX_BYTES", DEFAULT_PHOTO_MAX_BYTES))


# --- Checks -------------------------------------------------------------------------------------


def _today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _check_open(ticket: Ticket, record: str) -> None:
    _check_record_may_change(ticket, record=record)


def _check_not_closed(ticket: Ticket) -> None:
    # The visit often ends (the ticket resolved) before the engineer comes: the promise is kept
    # or moved afterwards; only a closed ticket is settled.
    _check_record_may_change(ticket, record=_("its repair request"), while_resolved=True)


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def id_number_check(field: str, value: str) -> str:
    """A mainland resident ID number (18 characters, the last one a check digit or X)."""
    value = (value or "").strip().upper()
    if not value:
        raise InvalidInput(_("The ID number is required."), field=field)
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise InvalidInput(
            _("Enter the 18-character ID number: 17 digits, then a digit or X."),
            field=field,
        )
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != value[-1]:
        raise InvalidInput(
            _("This ID number is not valid (its check digit does not match): check it again."), field=field
        )
    return value


def _document_check(field: str, upload) -> None:
    """A scan of a document: a file type the desk keeps, not empty, within the size limit."""
    limits = settings.SERVICEDESK
    if _extension(upload.name) not in limits["ATTACHMENT_EXTENSIONS"]:
        raise InvalidInput(
            _("“%(name)s” is not a file type we keep; allowed: %(allowed)s.")
            % {"name": upload.name, "allowed": ", ".join(limits["ATTACHMENT_EXTENSIONS"])},
            field=field,
        )
    if upload.size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": upload.name}, field=field)
    if upload.size > limits["ATTACHMENT_MAX_BYTES"]:
        raise InvalidInput(
            _("“%(name)s” is %(size)s; the largest file accepted is %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limits["ATTACHMENT_MAX_BYTES"]),
            },
            field=field,
        )


def photo_check(field: str, upload) -> None:
    """A worker's photo: a JPEG or PNG image that opens, within the size limit."""
    from PIL import Image, UnidentifiedImageError

    limit = photo_max_bytes()
    if _extension(upload.name) not in PHOTO_EXTENSIONS:
        raise InvalidInput(
            _("The photo must be a JPEG or PNG image; “%(name)s” is not.") % {"name": upload.name}, field=field
        )
    if upload.size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": upload.name}, field=field)
    if upload.size > limit:
        raise InvalidInput(
            _("The photo “%(name)s” is %(size)s; the largest photo accepted is %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            field=field,
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        image_format = None
    finally:
        upload.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise InvalidInput(
            _("“%(name)s” is not a readable JPEG or PNG image; take or scan the photo again.") % {"name": upload.name},
            field=field,
        )


# --- Fees ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenovationFees:
    renovation_deposit: Decimal
    permit_fee: Decimal
    pass_deposit_per_worker: Decimal
    workers: int

    @property
    def pass_deposit_total(self) -> Decimal:
        return self.pass_deposit_per_worker * self.workers

    @property
    def total(self) -> Decimal:
        return self.renovation_deposit + self.permit_fee + self.pass_deposit_total


def fee_schedule_in_force(*, on: date) -> RenovationFeeSchedule | None:
    """The schedule with the latest effective date not after `on`."""
    return RenovationFeeSchedule.objects.filter(effective_from__lte=on).order_by("-effective_from").first()


def renovation_fees_compute(*, schedule: RenovationFeeSchedule, workers: int) -> RenovationFees:
    """Deposit + permit fee + pass deposit × workers (装修保证金、办证工本费、出入证押金)."""
    if workers < 0:
        raise ValueError("workers cannot be negative")
    return RenovationFees(
        renovation_deposit=schedule.renovation_deposit,
        permit_fee=schedule.permit_fee,
        pass_deposit_per_worker=schedule.pass_deposit_per_worker,
        workers=workers,
    )


# --- Renovation: the application ----------------------------------------------------------------

DOCUMENTS = (
    ("has_business_licence", "business_licence_file"),
    ("has_qualification", "qualification_file"),
    ("has_drawings", "drawings_file"),
)


def document_names() -> dict[str, str]:
    return {
        "has_business_licence": _("Contractor's business licence"),
        "has_qualification": _("Qualification certificate"),
        "has_drawings": _("Construction drawings"),
    }


def renovation_missing(application: RenovationApplication | None, workers: list[RenovationWorker]) -> list[str]:
    """What still stops the permit being issued, one sentence each (empty: it may be issued)."""
    if application is None:
        return [_("Fill in and save the application first.")]
    missing = []
    names = document_names()
    for flag, file_field in DOCUMENTS:
        if not getattr(application, flag) and not getattr(application, file_field):
            missing.append(_("%(document)s not received.") % {"document": names[flag]})
    if not workers:
        missing.append(_("No workers listed: add each worker with a photo."))
    without_photo = [worker.name for worker in workers if not worker.photo]
    if without_photo:
        missing.append(_("No photo yet for: %(names)s.") % {"names": "、".join(without_photo)})
    return missing


def _application_locked(ticket: Ticket) -> RenovationApplication:
    application = RenovationApplication.objects.select_for_update().filter(ticket=ticket).first()
    if application is None:
        raise IllegalTransition(
            _("Ticket %(ref)s has no renovation application yet: fill in and save it first.")
            % {"ref": ticket.reference}
        )
    return application


def _check_draft(application: RenovationApplication) -> None:
    if application.is_issued:
        raise IllegalTransition(
            _("Permit %(number)s was already issued on %(when)s; the application can no longer change.")
            % {"number": application.permit_number, "when": _local(application.issued_at)}
        )


@transaction.atomic
def renovation_save(
    *,
    ticket: Ticket,
    actor,
    unit: str,
    owner_name: str,
    contractor_name: str,
    contractor_licence_no: str,
    period_start: date | None,
    period_end: date | None,
    owner_phone: str = "",
    contractor_contact: str = "",
    contractor_phone: str = "",
    works: str = "",
    has_business_licence: bool = False,
    has_qualification: bool = False,
    has_drawings: bool = False,
    business_licence_file=None,
    qualification_file=None,
    drawings_file=None,
    now: datetime | None = None,
) -> RenovationApplication:
    """Record (or correct) the renovation application: the unit, owner, contractor, works period
    and the documents received (ticked as seen, or uploaded as a scan, which also ticks them)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    unit = _clean_text("unit", unit, _("The unit"), 100, required=True)
    owner_name = _clean_text("owner_name", owner_name, _("The owner's name"), 100, required=True)
    owner_phone = _clean_text("owner_phone", owner_phone, _("The owner's phone"), 30)
    contractor_name = _clean_text("contractor_name", contractor_name, _("The contractor"), 200, required=True)
    licence = _clean_text(
        "contractor_licence_no", contractor_licence_no, _("The business licence number"), 18, required=True
    ).upper()
    if not LICENCE_PATTERN.fullmatch(licence):
        raise InvalidInput(
            _(
                "Enter the business licence number as printed: the 18-character unified social credit code "
                "(or an old 15-digit registration number), letters and digits only."
            ),
            field="contractor_licence_no",
        )
    contractor_contact = _clean_text("contractor_contact", contractor_contact, _("The site manager"), 100)
    contractor_phone = _clean_text("contractor_phone", contractor_phone, _("The site manager's phone"), 30)
    works = _clean_text("works", works, _("The works"), 300)
    if period_start is None:
        raise InvalidInput(_("The works start date is required."), field="period_start")
    if period_end is None:
        raise InvalidInput(_("The works end date is required."), field="period_end")
    if period_start < _today(now):
        raise InvalidInput(
            _("The works start date %(date)s is in the past; give today or a later date.")
            % {"date": period_start.isoformat()},
            field="period_start",
        )
    if period_end < period_start:
        raise InvalidInput(_("The works end date comes before the start date."), field="period_end")
    if period_end > period_start + timedelta(days=366):
        raise InvalidInput(_("A permit covers at most one year of works; check the end date."), field="period_end")
    uploads = {
        "business_licence_file": business_licence_file,
        "qualification_file": qualification_file,
        "drawings_file": drawings_file,
    }
    for field, upload in uploads.items():
        if upload is not None:
            _document_check(field, upload)

    ticket = _lock_any(ticket)
    _check_open(ticket, _("its renovation application"))
    application = RenovationApplication.objects.select_for_update().filter(ticket=ticket).first()
    is_new = application is None
    if is_new:
        application = RenovationApplication(ticket=ticket, created_by=actor, created_at=now)
    else:
        _check_draft(application)
    application.unit = unit
    application.owner_name = owner_name
    application.owner_phone = owner_phone
    application.contractor_name = contractor_name
    application.contractor_licence_no = licence
    application.contractor_contact = contractor_contact
    application.contractor_phone = contractor_phone
    application.works = works
    application.period_start = period_start
    application.period_end = period_end
    ticks = {
        "has_business_licence": has_business_licence,
        "has_qualification": has_qualification,
        "has_drawings": has_drawings,
    }
    for (flag, file_field), ticked in zip(DOCUMENTS, ticks.values(), strict=True):
        upload = uploads[file_field]
        if upload is not None:
            getattr(application, file_field).save(upload.name, upload, save=False)
        setattr(application, flag, bool(ticked) or bool(getattr(application, file_field)))
    application.updated_at = now
    application.save()
    _save(ticket, now, [])
    names = document_names()
    received = [names[flag] for flag, _file in DOCUMENTS if getattr(application, flag)]
    _record(
        ticket,
        type=Event.COUNTER_BUSINESS,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=(_("Renovation application recorded") if is_new else _("Renovation application updated"))
        + f": {unit} · {contractor_name}",
        data={
            "business": "renovation",
            "action": "saved",
            "application": application.pk,
            "unit": unit,
            "contractor": contractor_name,
            "licence_no": licence,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "documents_received": received,
            "uploaded": [field for field, upload in uploads.items() if upload is not None],
        },
    )
    return application


@transaction.atomic
def renovation_worker_add(
    *, ticket: Ticket, actor, name: str, id_number: str, photo=None, now: datetime | None = None
) -> RenovationWorker:
    """Add a worker to the application: name, ID number (shown masked), one photo (JPEG or
    PNG). A worker may be added before the photo is at hand; the permit waits for it."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    name = _clean_text("name", name, _("The worker's name"), 50, required=True)
    id_number = id_number_check("id_number", id_number)
    if photo is not None:
        photo_check("photo", photo)
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its renovation application"))
    application = _application_locked(ticket)
    _check_draft(application)
    existing = list(application.workers.all())
    if any(worker.id_number == id_number for worker in existing):
        raise InvalidInput(_("A worker with this ID number is already on the list."), field="id_number")
    if len(existing) >= MAX_WORKERS:
        raise InvalidInput(_("An application lists at most %(max)s workers.") % {"max": MAX_WORKERS}, field="name")
    worker = RenovationWorker(application=application, name=name, id_number=id_number, added_at=now)
    if photo is not None:
        worker.photo.save(photo.name, photo, save=False)
    worker.save()
    application.updated_at = now
    application.save(update_fields=["updated_at"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.COUNTER_BUSINESS,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Renovation worker added: %(name)s (%(id)s)") % {"name": name, "id": worker.id_number_masked},
        data={
            "business": "renovation",
            "action": "worker_added",
            "worker": worker.pk,
            "name": name,
            "id_number": worker.id_number_masked,
            "has_photo": bool(worker.photo),
        },
    )
    return worker


def _worker_locked(ticket: Ticket, worker: RenovationWorker | int) -> tuple[RenovationApplication, RenovationWorker]:
    application = _application_locked(ticket)
    _check_draft(application)
    pk = worker.pk if isinstance(worker, RenovationWorker) else worker
    locked = RenovationWorker.objects.select_for_update().filter(pk=pk, application=application).first()
    if locked is None:
        raise InvalidInput(_("This worker is not on the application."), field="worker")
    return application, locked


@transaction.atomic
def renovation_worker_photo(
    *, ticket: Ticket, actor, worker: RenovationWorker | int, photo, now: datetime | None = None
) -> RenovationWorker:
    """Give a listed worker their photo (or replace it)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if photo is None:
        raise InvalidInput(_("Choose the worker's photo."), field="photo")
    photo_check("photo", photo)
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its renovation application"))
    application, worker = _worker_locked(ticket, worker)
    worker.photo.save(photo.name, photo, save=False)
    worker.save(update_fields=["photo"])
    application.updated_at = now
    application.save(update_fields=["updated_at"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.COUNTER_BUSINESS,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Photo received for %(name)s") % {"name": worker.name},
        data={"business": "renovation", "action": "worker_photo", "worker": worker.pk},
    )
    return worker


@transaction.atomic
def renovation_worker_remove(
    *, ticket: Ticket, actor, worker: RenovationWorker | int, now: datetime | None = None
) -> None:
    """Take a worker off the application (before the permit is issued)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its renovation application"))
    application, worker = _worker_locked(ticket, worker)
    name, masked = worker.name, worker.id_number_masked
    worker.delete()
    application.updated_at = now
    application.save(update_fields=["updated_at"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.COUNTER_BUSINESS,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Renovation worker removed: %(name)s (%(id)s)") % {"name": name, "id": masked},
        data={"business": "renovation", "action": "worker_removed", "name": name, "id_number": masked},
    )


@transaction.atomic
def renovation_issue(*, ticket: Ticket, actor, now: datetime | None = None) -> RenovationApplication:
    """Issue the permit (装修许可证): every document received, every worker with a photo, the
    fees from the schedule in force today, and the next permit number."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its renovation application"))
    application = _application_locked(ticket)
    _check_draft(application)
    workers = list(application.workers.all())
    missing = renovation_missing(application, workers)
    if missing:
        raise IllegalTransition(_("The permit cannot be issued yet: %(missing)s") % {"missing": " ".join(missing)})
    today = _today(now)
    schedule = fee_schedule_in_force(on=today)
    if schedule is None:
        raise IllegalTransition(
            _(
                "No renovation fee schedule is in force on %(date)s: an administrator sets the amounts under "
                "Renovation fee schedules first."
            )
            % {"date": today.isoformat()}
        )
    fees = renovation_fees_compute(schedule=schedule, workers=len(workers))
    application.permit_number = document_number_next(PERMIT_PREFIX, now)
    application.state = RenovationApplication.State.ISSUED
    application.fee_schedule = schedule
    application.renovation_deposit = fees.renovation_deposit
    application.permit_fee = fees.permit_fee
    application.pass_deposit_per_worker = fees.pass_deposit_per_worker
    application.worker_count = fees.workers
    application.total_fee = fees.total
    application.issued_at = now
    application.issued_by = actor
    application.updated_at = now
    application.save()
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.PERMIT_ISSUED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_(
            "Permit %(number)s: ¥%(total)s (deposit ¥%(deposit)s, permit fee ¥%(fee)s, passes %(workers)s × ¥%(pass)s)"
        )
        % {
            "number": application.permit_number,
            "total": fees.total,
            "deposit": fees.renovation_deposit,
            "fee": fees.permit_fee,
            "workers": fees.workers,
            "pass": fees.pass_deposit_per_worker,
        },
        data={
            "business": "renovation",
            "application": application.pk,
            "permit_number": application.permit_number,
            "fee_schedule": schedule.pk,
            "renovation_deposit": str(fees.renovation_deposit),
            "permit_fee": str(fees.permit_fee),
            "pass_deposit_per_worker": str(fees.pass_deposit_per_worker),
            "workers": fees.workers,
            "pass_deposit_total": str(fees.pass_deposit_total),
            "total": str(fees.total),
        },
    )
    return application


# --- Repair requests ------------------------------------------------------------------------------


def engineering_head():
    """The active head of the engineering department (settings.SERVICEDESK["ENGINEERING_DEPARTMENT"]),
    or None."""
    department = (
        Department.objects.select_related("head").filter(code=engineering_department_code(), is_active=True).first()
    )
    if department is None or department.head is None or not department.head.is_active:
        return None
    return department.head


def _repair_phone(ticket: Ticket, given: str) -> str:
    phone = _clean_text("contact_phone", given, _("The customer's phone"), 30)
    if phone:
        return phone
    if ticket.contact_phone.strip():
        return ticket.contact_phone.strip()
    if ticket.customer is not None:
        return (ticket.customer.phone or ticket.customer.phone_alt).strip()
    return ""


def _check_promise(field: str, promised_at: datetime | None, now: datetime) -> datetime:
    if promised_at is None:
        raise InvalidInput(_("The promised arrival time is required."), field=field)
    if promised_at.tzinfo is None:
        raise InvalidInput(_("The promised arrival time needs a time zone."), field=field)
    if promised_at <= now:
        raise InvalidInput(
            _("The promised arrival time %(when)s is not in the future; agree a later time with the customer.")
            % {"when": _local(promised_at)},
            field=field,
        )
    if promised_at > now + REPAIR_HORIZON:
        raise InvalidInput(
            _("The promised arrival time %(when)s is more than 7 days ahead; agree an earlier visit.")
            % {"when": _local(promised_at)},
            field=field,
        )
    return promised_at


def _start_arrival_deadline(ticket: Ticket, promised_at: datetime, now: datetime) -> Deadline:
    """A REPAIR_ARRIVAL timer due exactly at the promised time: whole minutes, counted from
    the minute that ends on the promise (now, or a few seconds before it)."""
    minutes = max(1, math.ceil((promised_at - now).total_seconds() / 60))
    return dl.deadline_start(
        ticket=ticket,
        kind=DeadlineKind.REPAIR_ARRIVAL,
        now=now,
        anchor_at=promised_at - timedelta(minutes=minutes),
        duration=(Decimal(minutes), DurationUnit.CLOCK_MINUTES),
    )


def _repair_locked(ticket: Ticket) -> RepairRequest:
    repair = RepairRequest.objects.select_for_update().filter(ticket=ticket).first()
    if repair is None:
        raise IllegalTransition(_("Ticket %(ref)s has no repair request yet.") % {"ref": ticket.reference})
    return repair


def _check_no_repair(ticket: Ticket) -> None:
    existing = RepairRequest.objects.filter(ticket=ticket).first()
    if existing is not None:
        raise IllegalTransition(
            _("Ticket %(ref)s already has a repair request (%(state)s); open a new visit for another repair.")
            % {"ref": ticket.reference, "state": existing.get_state_display()}
        )


def _check_awaiting_engineer(repair: RepairRequest) -> None:
    if repair.state != RepairRequest.State.DISPATCHED:
        raise IllegalTransition(
            _("This repair request is “%(state)s”: there is no visit to wait for.")
            % {"state": repair.get_state_display()}
        )


@transaction.atomic
def repair_dispatch(
    *,
    ticket: Ticket,
    actor,
    unit: str,
    problem: str,
    promised_at: datetime | None,
    contact_phone: str = "",
    now: datetime | None = None,
) -> RepairRequest:
    """A repair within engineering's scope: engineering is told at once, and the promised
    arrival time runs as a REPAIR_ARRIVAL deadline due at that time."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    unit = _clean_text("unit", unit, _("The unit"), 100, required=True)
    problem = _clean_text("problem", problem, _("The problem"), 500, required=True)
    promised_at = _check_promise("promised_at", promised_at, now)
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its repair request"))
    phone = _repair_phone(ticket, contact_phone)
    if not phone:
        raise InvalidInput(
            _("The customer's phone is needed: the desk calls ahead if the engineer will be late."),
            field="contact_phone",
        )
    _check_no_repair(ticket)
    head = engineering_head()
    if head is None:
        raise IllegalTransition(
            _(
                "There is no engineering department (code “%(code)s”) with an active head to dispatch to; an "
                "administrator sets it up under Departments."
            )
            % {"code": engineering_department_code()}
        )
    repair = RepairRequest.objects.create(
        ticket=ticket,
        unit=unit,
        problem=problem,
        scope=RepairRequest.Scope.IN_SCOPE,
        state=RepairRequest.State.DISPATCHED,
        contact_phone=phone,
        promised_at=promised_at,
        created_by=actor,
        created_at=now,
    )
    deadline = _start_arrival_deadline(ticket, promised_at, now)
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.REPAIR_DISPATCHED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("%(unit)s: %(problem)s · engineer promised by %(when)s")
        % {"unit": unit, "problem": problem, "when": _local(promised_at)},
        data={
            "repair": repair.pk,
            "unit": unit,
            "problem": problem,
            "promised_at": promised_at.isoformat(),
            "deadline": deadline.pk,
            "notified": [head.pk],
        },
    )
    notification_create(
        recipient=head,
        ticket=ticket,
        now=now,
        text=_("Repair %(ref)s: %(unit)s, %(problem)s. Promised to the customer by %(when)s (phone %(phone)s).")
        % {"ref": ticket.reference, "unit": unit, "problem": problem, "when": _local(promised_at), "phone": phone},
    )
    return repair


def reschedule_notice_text(*, ticket: Ticket, repair: RepairRequest, old: datetime, new: datetime, reason: str) -> str:
    """What the customer is sent when the visit moves (the manual's phone script, in writing)."""
    return _(
        "Sorry: the repair visit to %(unit)s planned for %(old)s cannot be made on time (%(reason)s). "
        "As agreed, we will come at %(new)s. Reference %(ref)s."
    ) % {"unit": repair.unit, "old": _local(old), "new": _local(new), "reason": reason, "ref": ticket.reference}


@transaction.atomic
def repair_reschedule(
    *, ticket: Ticket, actor, new_time: datetime | None, reason: str, now: datetime | None = None
) -> RepairRequest:
    """The engineer cannot come as promised: record why and the new time agreed with the
    customer, move the timer, and send the customer the new time."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    reason = _clean_text("reason", reason, _("The reason"), 300, required=True)
    new_time = _check_promise("new_time", new_time, now)
    ticket = _lock_any(ticket)
    _check_not_closed(ticket)
    repair = _repair_locked(ticket)
    _check_awaiting_engineer(repair)
    old = repair.promised_at
    if new_time == old:
        raise InvalidInput(_("The new time is the one already promised; give the new time agreed."), field="new_time")
    dl.deadlines_cancel(ticket=ticket, now=now, kinds=(DeadlineKind.REPAIR_ARRIVAL,))
    deadline = _start_arrival_deadline(ticket, new_time, now)
    repair.promised_at = new_time
    repair.reschedule_count += 1
    repair.save(update_fields=["promised_at", "reschedule_count"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.REPAIR_RESCHEDULED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Moved from %(old)s to %(new)s: %(reason)s")
        % {"old": _local(old), "new": _local(new_time), "reason": reason},
        data={
            "repair": repair.pk,
            "old_promised_at": old.isoformat(),
            "new_promised_at": new_time.isoformat(),
            "reason": reason,
            "deadline": deadline.pk,
        },
    )
    text = reschedule_notice_text(ticket=ticket, repair=repair, old=old, new=new_time, reason=reason)
    notice = _record(
        ticket,
        type=Event.CUSTOMER_NOTIFIED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=text,
        data={"phone": repair.contact_phone, "text": text, "repair": repair.pk},
    )
    head = engineering_head()
    if head is not None:
        notification_create(
            recipient=head,
            ticket=ticket,
            now=now,
            text=_("Repair %(ref)s at %(unit)s moved to %(new)s (agreed with the customer): %(reason)s")
            % {"ref": ticket.reference, "unit": repair.unit, "new": _local(new_time), "reason": reason},
        )

    def deliver() -> None:
        from tickets.tasks import customer_notice_send

        customer_notice_send.delay(notice.pk)

    transaction.on_commit(deliver)
    return repair


@transaction.atomic
def repair_record_arrival(*, ticket: Ticket, actor, now: datetime | None = None) -> RepairRequest:
    """The engineer is at the customer's door: the promised-arrival deadline is met."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_not_closed(ticket)
    repair = _repair_locked(ticket)
    _check_awaiting_engineer(repair)
    dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.REPAIR_ARRIVAL,), now=now)
    repair.state = RepairRequest.State.ARRIVED
    repair.arrived_at = now
    repair.save(update_fields=["state", "arrived_at"])
    _save(ticket, now, [])
    late = now > repair.promised_at
    _record(
        ticket,
        type=Event.COUNTER_BUSINESS,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=(
            _("Engineer arrived at %(unit)s (promised %(when)s, late)")
            if late
            else _("Engineer arrived at %(unit)s (promised %(when)s)")
        )
        % {"unit": repair.unit, "when": _local(repair.promised_at)},
        data={
            "business": "repair",
            "action": "arrived",
            "repair": repair.pk,
            "promised_at": repair.promised_at.isoformat(),
            "is_late": late,
        },
    )
    return repair


@transaction.atomic
def repair_refer(
    *,
    ticket: Ticket,
    actor,
    unit: str,
    problem: str,
    referred_to: str,
    referral_number: str,
    now: datetime | None = None,
) -> RepairRequest:
    """A repair outside engineering's scope: the customer is given the number of a specialist
    (written on a note for them); the desk records where they were sent and the number given."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    unit = _clean_text("unit", unit, _("The unit"), 100, required=True)
    problem = _clean_text("problem", problem, _("The problem"), 500, required=True)
    referred_to = _clean_text("referred_to", referred_to, _("Where the customer was referred"), 200, required=True)
    referral_number = _clean_text("referral_number", referral_number, _("The referral number"), 50, required=True)
    ticket = _lock_any(ticket)
    _check_open(ticket, _("its repair request"))
    _check_no_repair(ticket)
    repair = RepairRequest.objects.create(
        ticket=ticket,
        unit=unit,
        problem=problem,
        scope=RepairRequest.Scope.OUT_OF_SCOPE,
        state=RepairRequest.State.REFERRED,
        referred_to=referred_to,
        referral_number=referral_number,
        created_by=actor,
        created_at=now,
    )
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.REPAIR_REFERRED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("%(unit)s: %(problem)s · referred to %(to)s, number %(number)s")
        % {"unit": unit, "problem": problem, "to": referred_to, "number": referral_number},
        data={
            "repair": repair.pk,
            "unit": unit,
            "problem": problem,
            "referred_to": referred_to,
            "referral_number": referral_number,
        },
    )
    return repair


# --- The sweep: a promised visit missed -------------------------------------------------------------


def repair_arrival_breach(*, ticket: Ticket, deadline: Deadline, now: datetime) -> str:
    """The promised time passed and nobody recorded the engineer's arrival: tell the head of
    engineering and the first responder to call the customer ahead and agree a new time.
    Called by the sweep inside its transaction, once per deadline."""
    repair = RepairRequest.objects.filter(ticket=ticket).first()
    unit = repair.unit if repair is not None else ""
    phone = repair.contact_phone if repair is not None else ticket.contact_phone
    recipients = []
    head = engineering_head()
    if head is not None:
        recipients.append(head)
    responder = ticket.first_responder
    if responder is not None and responder.is_active and all(user.pk != responder.pk for user in recipients):
        recipients.append(responder)
    text = _(
        "Repair %(ref)s at %(unit)s: the engineer has not arrived by the promised %(when)s. Call the customer "
        "(%(phone)s) ahead now, apologise and agree a new time, then record it as a reschedule."
    ) % {"ref": ticket.reference, "unit": unit or "—", "when": _local(deadline.due_at), "phone": phone or "—"}
    for user in recipients:
        notification_create(recipient=user, ticket=ticket, now=now, text=text)
    names = ", ".join(user.get_username() for user in recipients) or "-"
    _record(
        ticket,
        type=Event.SLA_BREACHED,
        actor=None,
        actor_label="sla",
        now=now,
        status_before=ticket.status,
        note=_("Promised repair visit missed (due %(when)s): call the customer to agree a new time.")
        % {"when": _local(deadline.due_at)},
        data={
            "deadline": deadline.kind,
            "due_at": deadline.due_at.isoformat(),
            "notified": [user.pk for user in recipients],
        },
    )
    return _("repair visit late; notified %(names)s to call the customer") % {"names": names}


def register_sla_handlers() -> None:
    """What the sweep does when a promised repair visit is missed (call from VisitsConfig.ready)."""
    dl.deadline_kind_register(DeadlineKind.REPAIR_ARRIVAL, breach=repair_arrival_breach)
