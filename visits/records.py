"""ID copies (V5) and incidents (V6, S7): every write.

Same rules as tickets.services: keyword-only arguments, a required actor, one transaction, the
ticket row locked before anything is checked, one TicketEvent per write, notifications queued
for after commit.

ID copies: the upload is read from memory (the view forces an in-memory upload handler), the
image is decoded, stamped with "仅供×××使用" and the date across it, re-encoded, and only
that result is written. A refused upload writes nothing.

Incidents: recording one notifies the contacts configured for its type (IncidentContact; the
supervisors and office managers when none are), and starts the INCIDENT_REPORT deadline (two
working days on the business calendar, S7). Filing the report meets it; if it passes first,
the sweep reminds the recorder and the contacts (`register_sla_handlers`).
"""

from __future__ import annotations

import functools
import io
import logging
import math
import subprocess
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from tickets import deadlines as dl
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted, check_choice
from tickets.models import Deadline, DeadlineKind, StaffProfile, Ticket, TicketEvent
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
from visits import permissions_records as perms
from visits.models_records import IdCopy, Incident, IncidentContact, IncidentType

logger = logging.getLogger("visits.records")

Event = TicketEvent.Type
Role = StaffProfile.Role

# --- ID copies (V5) -----------------------------------------------------------------------------

ID_COPY_MAX_BYTES = 8 * 1024 * 1024
ID_COPY_MAX_PIXELS = 40_000_000
ID_COPY_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# Stored copies are scaled down to this longest side: enough to read a document, not a poster.
ID_COPY_MAX_SIDE = 2400
WATERMARK_RGB = (200, 16, 16)
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


def id_copy_max_bytes() -> int:
    return int(settings.SERVICEDESK.get("ID_COPY_MAX_BYTES", ID_COPY_MAX_BYTES))


def watermark_text(purpose: str, day) -> str:
    return f"仅供{purpose}使用 {day:%Y-%m-%d}"


@functools.cache
def watermark_font_path() -> str | None:
    """A CJK font: Noto Sans CJK SC as fontconfig finds it, else a common path; None if absent."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:style=Regular"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if found and "cjk" in found.lower() and Path(found).is_file():
        return found
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    logger.warning(
        "No CJK font found (looked for Noto Sans CJK SC): ID copy watermarks are drawn with Pillow's "
        "default font, whose Chinese characters may show as boxes. Install fonts-noto-cjk."
    )
    return None


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = watermark_font_path()
    if path is not None:
        try:
            return ImageFont.truetype(path, size=size)
        except OSError:
            logger.warning("Cannot load the font %s: the watermark uses Pillow's default font.", path)
    return ImageFont.load_default(size=size)


def _fit_font(draw: ImageDraw.ImageDraw, text: str, width: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest font (within limits) whose rendering of `text` spans about 80 % of `width`."""
    size = 100
    font = _font(size)
    left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
    measured = max(right - left, 1)
    size = max(12, min(int(size * width * 0.8 / measured), 400))
    return _font(size)


def watermark_band(height: int) -> tuple[int, int]:
    """The rows of the solid band stamped across the middle of an image `height` pixels tall."""
    band = max(height // 6, 24)
    top = max((height - band) // 2, 0)
    return top, min(top + band, height)


def watermark_apply(image: Image.Image, text: str) -> Image.Image:
    """Stamp `text` across an RGB image: a band through the middle with the text in red, and
    the text repeated diagonally over the whole image so no part can be cut out unmarked."""
    base = image.convert("RGBA")
    width, height = base.size
    # The diagonal repeats, faint.
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    small = _font(max(12, min(width, height) // 18))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=small)
    step_x, step_y = (right - left) + max(width // 10, 20), (bottom - top) * 4 + 10
    tile = Image.new("RGBA", (int(math.hypot(width, height)) * 2,) * 2, (0, 0, 0, 0))
    tile_draw = ImageDraw.Draw(tile)
    for y in range(0, tile.height, step_y):
        offset = (y // step_y % 2) * step_x // 2
        for x in range(-step_x, tile.width, step_x):
            tile_draw.text((x + offset, y), text, font=small, fill=(*WATERMARK_RGB, 70))
    tile = tile.rotate(30, resample=Image.Resampling.BICUBIC)
    cx, cy = tile.width // 2, tile.height // 2
    layer.alpha_composite(
        tile.crop((cx - width // 2, cy - height // 2, cx - width // 2 + width, cy - height // 2 + height))
    )
    # The band, plain and readable.
    band_top, band_bottom = watermark_band(height)
    draw = ImageDraw.Draw(layer)
    draw.rectangle((0, band_top, width, band_bottom), fill=(255, 255, 255, 190))
    font = _fit_font(draw, text, width)
    band_height = band_bottom - band_top
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    if bottom - top > band_height * 0.8:
        font = _font(max(10, int(font.size * band_height * 0.8 / max(bottom - top, 1))))
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (width - (right - left)) // 2 - left
    y = band_top + (band_height - (bottom - top)) // 2 - top
    draw.text((x, y), text, font=font, fill=(*WATERMARK_RGB, 255))
    return Image.alpha_composite(base, layer).convert("RGB")


def _decode(data: bytes, name: str) -> Image.Image:
    refused = InvalidInput(
        _("“%(name)s” is not a picture we can read; upload a JPEG, PNG or WebP photo or scan.") % {"name": name},
        field="file",
    )
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ID_COPY_FORMATS:
            raise refused
        if image.width * image.height > ID_COPY_MAX_PIXELS:
            raise InvalidInput(
                _("“%(name)s” is %(width)s × %(height)s pixels; scan it at a lower resolution.")
                % {"name": name, "width": image.width, "height": image.height},
                field="file",
            )
        image.load()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise refused from error
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGB")
    image.thumbnail((ID_COPY_MAX_SIDE, ID_COPY_MAX_SIDE), Image.Resampling.LANCZOS)
    return image


@transaction.atomic
def id_copy_store(*, ticket: Ticket, actor, upload, purpose: str, now: datetime | None = None) -> IdCopy:
    """Keep a copy of an ID document, watermarked "仅供×××使用" and the date (V5).

    `upload` must be held in memory (an InMemoryUploadedFile or similar): an upload already
    spooled to a temporary file would mean the unmarked original reached the disk."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    purpose = _clean_text("purpose", purpose, _("The purpose"), 30, required=True)
    if upload is None:
        raise InvalidInput(_("Choose the photo or scan of the ID document."), field="file")
    if hasattr(upload, "temporary_file_path"):
        raise RuntimeError("ID copies must be uploaded into memory, never to a temporary file")
    name = upload.name or _("the file")
    limit = id_copy_max_bytes()
    if upload.size > limit:
        raise InvalidInput(
            _("“%(name)s” is %(size)s; the largest ID copy accepted is %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            field="file",
        )
    if upload.size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": name}, field="file")
    ticket = _lock_any(ticket)
    if not perms.user_may_store_id_copy(actor, ticket):
        raise NotPermitted(_("Only the people working on this ticket may keep copies of ID documents on it."))
    _check_record_may_change(ticket, record=_("its ID copies"), while_resolved=True)
    upload.seek(0)
    image = _decode(upload.read(), name)
    text = watermark_text(purpose, now.astimezone(SHANGHAI).date())
    marked = watermark_apply(image, text)
    del image
    out = io.BytesIO()
    marked.save(out, format="JPEG", quality=85, optimize=True)
    copy = IdCopy(
        ticket=ticket,
        purpose=purpose,
        watermark_text=text,
        width=marked.width,
        height=marked.height,
        size=out.tell(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    copy.image.save("copy.jpg", ContentFile(out.getvalue()), save=False)
    stored = copy.image.name
    try:  # if the rows cannot be written, the file goes too
        copy.save()
        _save(ticket, now, [])
        _record(
            ticket,
            type=Event.ID_COPY_STORED,
            actor=actor,
            now=now,
            status_before=ticket.status,
            note=text,
            data={"id_copy": copy.pk, "purpose": purpose, "watermark": text},
        )
    except Exception:
        copy.image.storage.delete(stored)
        raise
    return copy


def id_copy_thumbnail(copy: IdCopy, *, side: int = 320) -> bytes:
    """A small JPEG of the stored (watermarked) copy, made in memory for the list."""
    with copy.image.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


# --- Incidents (V6, S7) --------------------------------------------------------------------------


def incident_contacts(incident_type: str) -> list:
    """The people notified at once of an incident of this type: the configured contacts, else
    the active supervisors and office managers (the CS manager and the office head)."""
    User = get_user_model()
    configured = list(
        User.objects.filter(
            is_active=True, pk__in=IncidentContact.objects.filter(incident_type=incident_type).values("user_id")
        ).order_by("pk")
    )
    if configured:
        return configured
    return list(
        User.objects.filter(is_active=True, staff__role__in=[Role.SUPERVISOR, Role.OFFICE_MANAGER]).order_by("pk")
    )


def _incident_locked(ticket: Ticket) -> Incident:
    incident = Incident.objects.select_for_update().filter(ticket=ticket).first()
    if incident is None:
        raise IllegalTransition(
            _("Ticket %(ref)s has no incident record yet: record the incident first.") % {"ref": ticket.reference}
        )
    return incident


def _type_label(incident_type: str) -> str:
    return str(IncidentType(incident_type).label)


@transaction.atomic
def incident_record(
    *,
    ticket: Ticket,
    actor,
    type: str,
    occurred_at: datetime | None,
    place: str,
    people_involved: str,
    description: str,
    handling: str,
    people_called: str = "",
    now: datetime | None = None,
) -> Incident:
    """Record an incident on the ticket (V6), notify its contacts at once, and start the
    two-working-day report deadline (S7)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if not perms.user_may_record_incident(actor):
        raise NotPermitted(_("Only staff serving customers record incidents."))
    check_choice("type", type, IncidentType)
    if occurred_at is None:
        raise InvalidInput(_("The time of the incident is required."), field="occurred_at")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be an aware datetime")
    if occurred_at > now:
        raise InvalidInput(
            _("The time of the incident (%(when)s) is in the future.") % {"when": _local(occurred_at)},
            field="occurred_at",
        )
    place = _clean_text("place", place, _("The place"), 100, required=True)
    people_involved = _clean_text("people_involved", people_involved, _("People involved"), 1000, required=True)
    description = _clean_text("description", description, _("What happened"), 4000, required=True)
    handling = _clean_text("handling", handling, _("How it was handled"), 4000, required=True)
    people_called = _clean_text("people_called", people_called, _("Who was called"), 1000)
    ticket = _lock_any(ticket)
    existing = Incident.objects.filter(ticket=ticket).first()
    if existing is not None:
        raise IllegalTransition(
            _("Ticket %(ref)s already has an incident record (type %(type)s, recorded %(when)s).")
            % {"ref": ticket.reference, "type": existing.type, "when": _local(existing.recorded_at)}
        )
    incident = Incident.objects.create(
        ticket=ticket,
        type=type,
        occurred_at=occurred_at,
        place=place,
        people_involved=people_involved,
        description=description,
        handling=handling,
        people_called=people_called,
        recorded_by=actor,
        recorded_at=now,
    )
    deadline = dl.deadline_start(ticket=ticket, kind=DeadlineKind.INCIDENT_REPORT, now=now)
    contacts = [user for user in incident_contacts(type) if user.pk != actor.pk]
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.INCIDENT_RECORDED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_type_label(type),
        data={
            "incident": incident.pk,
            "incident_type": type,
            "occurred_at": occurred_at.isoformat(),
            "notified": [user.pk for user in contacts],
            "report_due_at": deadline.due_at.isoformat(),
        },
    )
    for user in contacts:
        notification_create(
            recipient=user,
            ticket=ticket,
            now=now,
            text=_("Incident %(type)s at %(place)s (%(ref)s): %(what)s")
            % {"type": type, "place": place, "ref": ticket.reference, "what": description[:200]},
        )
    return incident


@transaction.atomic
def incident_file_report(
    *, ticket: Ticket, actor, result: str, improvement: str = "", now: datetime | None = None
) -> Incident:
    """File the incident report (《突发事件处理记录表》, S7): meets the report deadline, late or not."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if not perms.user_may_record_incident(actor):
        raise NotPermitted(_("Only staff serving customers file incident reports."))
    result = _clean_text("result", result, _("The result"), 4000, required=True)
    improvement = _clean_text("improvement", improvement, _("Lessons and improvements"), 4000)
    ticket = _lock_any(ticket)
    incident = _incident_locked(ticket)
    if incident.has_report:
        raise IllegalTransition(
            _("The incident report of %(ref)s was already filed on %(when)s.")
            % {"ref": ticket.reference, "when": _local(incident.report_filed_at)}
        )
    met = dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.INCIDENT_REPORT,), now=now)
    late = any(deadline.breached_at is not None for deadline in met)
    incident.result, incident.improvement = result, improvement
    incident.report_filed_by, incident.report_filed_at = actor, now
    incident.save(update_fields=["result", "improvement", "report_filed_by", "report_filed_at"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.INCIDENT_REPORT_FILED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Filed late") if late else "",
        data={"incident": incident.pk, "late": late},
    )
    return incident


@transaction.atomic
def incident_mark_typical(
    *, ticket: Ticket, actor, is_typical: bool = True, note: str = "", now: datetime | None = None
) -> Incident:
    """Keep (or stop keeping) a reported incident as a typical case for training."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if not perms.user_may_mark_typical(actor):
        raise NotPermitted(_("Only supervisors, office managers and administrators choose typical cases."))
    note = _clean_text("note", note, _("Why it is typical"), 2000, required=is_typical)
    ticket = _lock_any(ticket)
    incident = _incident_locked(ticket)
    if is_typical and not incident.has_report:
        raise IllegalTransition(_("File the incident report first: a typical case is kept with its report."))
    if incident.is_typical == is_typical:
        message = (
            _("This incident is already a typical case.") if is_typical else _("This incident is not a typical case.")
        )
        raise IllegalTransition(message)
    incident.is_typical = is_typical
    incident.typical_note = note if is_typical else ""
    incident.typical_marked_by, incident.typical_marked_at = (actor, now) if is_typical else (None, None)
    incident.save(update_fields=["is_typical", "typical_note", "typical_marked_by", "typical_marked_at"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.TYPICAL_CASE,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=note if is_typical else _("No longer a typical case"),
        data={"incident": incident.pk, "is_typical": is_typical},
    )
    return incident


# --- The sweep -------------------------------------------------------------------------------------


def incident_report_overdue(*, ticket: Ticket, deadline: Deadline, now: datetime) -> str:
    """Breach of INCIDENT_REPORT: remind the recorder and the type's contacts, and record it."""
    incident = Incident.objects.select_related("recorded_by").filter(ticket=ticket).first()
    if incident is None or incident.has_report:
        return _("nothing to do: no report is owed")
    recipients = {incident.recorded_by.pk: incident.recorded_by}
    for user in incident_contacts(incident.type):
        recipients.setdefault(user.pk, user)
    _record(
        ticket,
        type=Event.SLA_BREACHED,
        actor=None,
        actor_label="sla",
        now=now,
        status_before=ticket.status,
        data={"deadline": deadline.kind, "due_at": deadline.due_at.isoformat(), "notified": list(recipients)},
    )
    for user in recipients.values():
        notification_create(
            recipient=user,
            ticket=ticket,
            now=now,
            text=_("%(ref)s: the incident report was due at %(due)s and is not filed yet.")
            % {"ref": ticket.reference, "due": _local(deadline.due_at)},
        )
    return _("incident report overdue: %(count)s people reminded") % {"count": len(recipients)}


def register_sla_handlers() -> None:
    """What the sweep does with an overdue incident report (call from VisitsConfig.ready)."""
    dl.deadline_kind_register(DeadlineKind.INCIDENT_REPORT, breach=incident_report_overdue)
