"""Materials checklist (A3) and the service confirmation form (A1): every write.

The desk copies the service type's list of documents onto the ticket (so later edits of the
list never change a ticket's checklist), marks each document received, missing or returned
(false or unsuitable material goes back with an explanation), and records the customer's
written confirmation for required documents that are missing. Until every required document
is received or confirmed, the ticket cannot move on: `materials_check_gate`, called from
`services._lock` for the verbs that move a ticket forward.

Same rules as tickets.services: keyword-only arguments, a required actor, one transaction,
the ticket row locked before anything is checked, one TicketEvent per write.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from scripts_lib.checklists import checklist_version_for
from scripts_lib.models import RequiredDocument, ServiceType
from tickets import selectors, services
from tickets.exceptions import IllegalTransition, InvalidInput, check_choice
from tickets.models import MaterialCheck, MissingMaterialsConfirmation, ServiceConfirmation, Ticket, TicketEvent
from tickets.services import (
    _check_record_may_change,
    _clean_text,
    _lock_any,
    _now,
    _record,
    _save,
    _staff_profile,
    _yuan,
)

Event = TicketEvent.Type
Material = MaterialCheck.State


# --- Checks -------------------------------------------------------------------------------------


def _check_open(ticket: Ticket) -> None:
    _check_record_may_change(ticket, record=_("its materials and service form"))


def _document_list(rows: list[MaterialCheck]) -> list[dict[str, Any]]:
    return [{"name": row.name, "is_required": row.is_required} for row in rows]


def _copies(ticket: Ticket, documents: list[RequiredDocument]) -> list[MaterialCheck]:
    return MaterialCheck.objects.bulk_create(
        [
            MaterialCheck(
                ticket=ticket,
                document=document,
                name=document.name,
                note=document.note,
                is_required=document.is_required,
                sort_order=document.sort_order,
                state=Material.PENDING,
            )
            for document in documents
        ]
    )


# --- The gate -----------------------------------------------------------------------------------


def materials_check_gate(ticket: Ticket, *, verb: str) -> None:
    """Refuse to move a ticket on while required documents are unaccounted for (A3).

    Called by `services._lock` with the ticket row locked, before anything is written. A ticket
    without a checklist is never held up (one query)."""
    blocking = selectors.material_blocking_rows(ticket)
    if not blocking:
        return
    documents = ", ".join(
        _("%(document)s (%(state)s)") % {"document": row.name, "state": row.get_state_display()} for row in blocking
    )
    if any(row.state == Material.PENDING for row in blocking):
        message = _(
            "Materials incomplete: %(documents)s. Check every required document, and record the customer's "
            "written confirmation for any that are missing, first."
        )
    else:
        message = _("Materials incomplete: %(documents)s. Record the customer's written confirmation first.")
    raise IllegalTransition(message % {"documents": documents})


# --- The checklist ------------------------------------------------------------------------------


@transaction.atomic
def materials_start(
    *, ticket: Ticket, actor, service_type: ServiceType | None = None, now: datetime | None = None
) -> list[MaterialCheck]:
    """Copy the active documents of the ticket's service type (or of `service_type`, which then
    becomes the ticket's) onto the ticket as its checklist, every document not checked yet."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_open(ticket)
    if MaterialCheck.objects.filter(ticket=ticket).exists():
        raise InvalidInput(
            _(
                "Ticket %(ref)s already has its materials checklist. To bring in documents added to the list "
                "since, use “Add new documents from the list”."
            )
            % {"ref": ticket.reference},
            field="service_type",
        )
    service_type = service_type or ticket.service_type
    if service_type is None:
        raise InvalidInput(
            _("Choose the service type first: the checklist is copied from its list of documents."),
            field="service_type",
        )
    if not service_type.is_active:
        raise InvalidInput(
            _("Service type “%(name)s” is no longer offered; choose another.") % {"name": service_type.name},
            field="service_type",
        )
    documents = list(
        RequiredDocument.objects.filter(service_type=service_type, is_active=True).order_by("sort_order", "id")
    )
    if not documents:
        raise InvalidInput(
            _(
                "Service type “%(name)s” has no documents on its list yet; an administrator adds them under "
                "Service types."
            )
            % {"name": service_type.name},
            field="service_type",
        )
    type_before = ticket.service_type_id
    fields = []
    if type_before != service_type.pk:
        ticket.service_type = service_type
        fields.append("service_type")
    version = checklist_version_for(service_type=service_type, now=now)
    if ticket.checklist_version_id != version.pk:
        ticket.checklist_version = version
        fields.append("checklist_version")
    rows = _copies(ticket, documents)
    _save(ticket, now, fields)
    _record(
        ticket,
        type=Event.MATERIALS_CHECKED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Checklist started from “%(type)s”: %(count)s documents.")
        % {"type": service_type.name, "count": len(rows)},
        data={
            "action": "started",
            "service_type": service_type.pk,
            "service_type_name": service_type.name,
            "service_type_before": type_before,
            "checklist_version": version.number,
            "documents": _document_list(rows),
        },
    )
    return rows


@transaction.atomic
def materials_add_new_documents(*, ticket: Ticket, actor, now: datetime | None = None) -> list[MaterialCheck]:
    """Bring documents added to the service type's list since the checklist was started onto it.

    Only adds: rows already on the checklist (checked or not) are never changed or removed."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    _check_open(ticket)
    if not MaterialCheck.objects.filter(ticket=ticket).exists():
        raise InvalidInput(_("Start the materials checklist first."), field="service_type")
    service_type = ticket.service_type
    documents = selectors.required_document_list_new(ticket=ticket, service_type=service_type) if service_type else []
    if not documents:
        raise InvalidInput(
            _("The checklist already has every document on the list of “%(type)s”.")
            % {"type": service_type.name if service_type else "—"},
            field="service_type",
        )
    rows = _copies(ticket, documents)
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.MATERIALS_CHECKED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("Added from the list of “%(type)s”: %(documents)s")
        % {"type": service_type.name, "documents": ", ".join(row.name for row in rows)},
        data={"action": "added", "service_type": service_type.pk, "documents": _document_list(rows)},
    )
    return rows


MARKABLE = (Material.RECEIVED, Material.MISSING, Material.RETURNED)


@transaction.atomic
def material_mark(
    *, material: MaterialCheck, actor, state: str, reason: str = "", now: datetime | None = None
) -> MaterialCheck:
    """Record a document as received, missing, or returned to the customer (with the reason:
    false or unsuitable material goes back with an explanation, A3)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("state", state, Material)
    if state not in MARKABLE:
        raise InvalidInput(_("Mark the document received, missing or returned."), field="state")
    reason = _clean_text("reason", reason, _("The reason"), 300)
    if state == Material.RETURNED and not reason:
        raise InvalidInput(
            _("Say why the document is returned (false or unsuitable), so the customer gets an explanation."),
            field="reason",
        )
    ticket = _lock_any(material.ticket_id)
    material = MaterialCheck.objects.select_for_update().filter(pk=material.pk, ticket=ticket).first()
    if material is None:
        raise InvalidInput(_("That document is not on the ticket's checklist."), field="material")
    _check_open(ticket)
    if material.state == state:
        raise InvalidInput(
            _("“%(document)s” is already marked “%(state)s”.")
            % {"document": material.name, "state": material.get_state_display()},
            field="state",
        )
    before = material.state
    material.state = state
    material.reason = "" if state == Material.RECEIVED else reason
    material.checked_by = actor
    material.checked_at = now
    material.save(update_fields=["state", "reason", "checked_by", "checked_at"])
    _save(ticket, now, [])
    summary = _("%(document)s: %(before)s → %(after)s") % {
        "document": material.name,
        "before": Material(before).label,
        "after": material.get_state_display(),
    }
    _record(
        ticket,
        type=Event.MATERIALS_CHECKED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=f"{summary}\n{material.reason}" if material.reason else summary,
        data={
            "action": "marked",
            "material": material.pk,
            "name": material.name,
            "is_required": material.is_required,
            "state_before": before,
            "state_after": state,
            "reason": material.reason,
        },
    )
    return material


@transaction.atomic
def materials_confirm_missing(
    *,
    ticket: Ticket,
    actor,
    signed_name: str = "",
    is_confirmed: bool = False,
    scan=None,
    now: datetime | None = None,
) -> MissingMaterialsConfirmation:
    """The customer's written confirmation (A3) for the required documents now missing or returned
    and not yet confirmed: their name as signed with the tick, or an uploaded signed scan (kept as
    an attachment, within the attachment limits)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    signed_name = _clean_text("signed_name", signed_name, _("The customer's name as signed"), 100)
    is_confirmed = bool(is_confirmed)
    if scan is None and not signed_name and not is_confirmed:
        raise InvalidInput(
            _(
                "Record the confirmation: type the customer's name as signed and tick the box, or upload the "
                "signed scan."
            ),
            field="signed_name",
        )
    if signed_name and not is_confirmed:
        raise InvalidInput(
            _("Tick the box to record that the customer confirmed the missing documents."), field="is_confirmed"
        )
    if is_confirmed and not signed_name:
        raise InvalidInput(_("Type the customer's name as signed."), field="signed_name")
    ticket = _lock_any(ticket)
    _check_open(ticket)
    missing = list(
        MaterialCheck.objects.filter(
            ticket=ticket, is_required=True, state__in=[Material.MISSING, Material.RETURNED]
        ).order_by("sort_order", "id")
    )
    if not missing:
        raise InvalidInput(
            _("No required document is missing or returned: there is nothing for the customer to confirm."),
            field=None,
        )
    earlier = list(MissingMaterialsConfirmation.objects.filter(ticket=ticket))
    uncovered = selectors.material_blocking_among(missing, earlier)
    if not uncovered:
        raise InvalidInput(_("The customer has already confirmed every missing document in writing."), field=None)
    names = [row.name for row in uncovered]
    attachment = None
    if scan is not None:
        attachment = services.ticket_attach_file(
            ticket=ticket,
            actor=actor,
            upload=scan,
            note=_("Customer's signed confirmation of missing materials: %(documents)s")
            % {"documents": ", ".join(names)},
            now=now,
        )
        ticket = _lock_any(ticket)  # the attachment bumped the version: carry on from the stored row
    confirmation = MissingMaterialsConfirmation.objects.create(
        ticket=ticket,
        documents=names,
        signed_name=signed_name,
        is_confirmed=is_confirmed,
        scan=attachment,
        recorded_by=actor,
        recorded_at=now,
    )
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.MISSING_CONFIRMED,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=", ".join(names),
        data={
            "confirmation": confirmation.pk,
            "documents": names,
            "signed_name": signed_name,
            "is_confirmed": is_confirmed,
            "scan": attachment.pk if attachment else None,
            "scan_name": attachment.original_name if attachment else "",
        },
    )
    return confirmation


# --- The service confirmation form (A1) ---------------------------------------------------------

FORM_FIELDS = (
    "service_type",
    "estimated_time",
    "fee_amount",
    "fee_covers",
    "invoice_needed",
    "invoice_title",
    "after_service",
)


def _form_values(confirmation: ServiceConfirmation) -> dict[str, Any]:
    values = {name: getattr(confirmation, name) for name in FORM_FIELDS if name != "service_type"}
    values["service_type"] = confirmation.service_type_id
    values["fee_amount"] = str(values["fee_amount"])
    return values


@transaction.atomic
def service_confirmation_save(
    *,
    ticket: Ticket,
    actor,
    service_type: ServiceType | None,
    estimated_time: str,
    fee_amount: Decimal | str | int | None,
    fee_covers: str = "",
    invoice_needed: bool = False,
    invoice_title: str = "",
    after_service: str = "",
    now: datetime | None = None,
) -> ServiceConfirmation:
    """Create or update the ticket's service confirmation form (咨询服务确认表, A1).

    An invoice needs its title (A2: ask for it). Saving the same values again writes nothing.
    A ticket without a service type takes the form's."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if service_type is None:
        raise InvalidInput(_("Choose the service type."), field="service_type")
    estimated_time = _clean_text("estimated_time", estimated_time, _("The estimated service time"), 100, required=True)
    fee = _yuan("fee_amount", fee_amount, _("the fee"), allow_zero=True)
    fee_covers = _clean_text("fee_covers", fee_covers, _("What the fee covers"), 300)
    invoice_needed = bool(invoice_needed)
    invoice_title = _clean_text("invoice_title", invoice_title, _("The invoice title"), 200)
    if invoice_needed and not invoice_title:
        raise InvalidInput(
            _("The customer needs an invoice: ask for the invoice title and enter it."), field="invoice_title"
        )
    if not invoice_needed:
        invoice_title = ""
    after_service = _clean_text("after_service", after_service, _("What happens after the service"), 2000)
    ticket = _lock_any(ticket)
    _check_open(ticket)
    confirmation = ServiceConfirmation.objects.select_for_update().filter(ticket=ticket).first()
    if not service_type.is_active and (confirmation is None or confirmation.service_type_id != service_type.pk):
        raise InvalidInput(
            _("Service type “%(name)s” is no longer offered; choose another.") % {"name": service_type.name},
            field="service_type",
        )
    new = {
        "service_type": service_type,
        "estimated_time": estimated_time,
        "fee_amount": fee,
        "fee_covers": fee_covers,
        "invoice_needed": invoice_needed,
        "invoice_title": invoice_title,
        "after_service": after_service,
    }
    if confirmation is None:
        confirmation = ServiceConfirmation.objects.create(
            ticket=ticket, prepared_by=actor, prepared_at=now, updated_at=now, **new
        )
        data: dict[str, Any] = {"action": "created", "values": _form_values(confirmation)}
    else:
        old = _form_values(confirmation)
        for name, value in new.items():
            setattr(confirmation, name, value)
        current = _form_values(confirmation)
        changes = {name: {"old": old[name], "new": current[name]} for name in FORM_FIELDS if old[name] != current[name]}
        if not changes:
            return confirmation
        confirmation.updated_at = now
        confirmation.save(update_fields=[*FORM_FIELDS, "updated_at"])
        data = {"action": "updated", "changes": changes}
    fields = []
    if ticket.service_type_id is None:
        ticket.service_type = service_type
        fields.append("service_type")
        data["ticket_service_type_set"] = service_type.pk
    _save(ticket, now, fields)
    _record(
        ticket,
        type=Event.CONFIRMATION_FORM,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=_("%(type)s · %(time)s · ¥%(fee)s")
        % {"type": service_type.name, "time": estimated_time, "fee": confirmation.fee_amount},
        data=data,
    )
    return confirmation
