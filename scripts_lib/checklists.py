"""Checklist versions: the special reminders (A2) and required documents (A3) of a service type as
they stood when a ticket used them.

`checklist_version_for` returns the service type's current version, making a new one when the
admin has changed the lists since the last: versions are numbered from 1 per service type and
never change, so a ticket that records its version always shows what it was served from.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from scripts_lib.models import ChecklistVersion, RequiredDocument, ServiceReminder, ServiceType


def checklist_items(service_type: ServiceType) -> dict[str, list]:
    """The active lists of a service type now: reminder texts (those given on every consultation,
    then its own) and documents (name, requirements, required), in their display order."""
    reminders = ServiceReminder.objects.filter(is_active=True, service_type=service_type).order_by("sort_order", "id")
    general = ServiceReminder.objects.filter(is_active=True, service_type__isnull=True).order_by("sort_order", "id")
    documents = RequiredDocument.objects.filter(service_type=service_type, is_active=True).order_by("sort_order", "id")
    return {
        "reminders": [reminder.text for reminder in [*general, *reminders]],
        "documents": [
            {"name": document.name, "note": document.note, "is_required": document.is_required}
            for document in documents
        ],
    }


@transaction.atomic
def checklist_version_for(*, service_type: ServiceType, now: datetime) -> ChecklistVersion:
    """The version of the service type's lists in force now (created if they changed)."""
    ServiceType.objects.select_for_update().filter(pk=service_type.pk).first()  # one new version at a time
    items = checklist_items(service_type)
    latest = ChecklistVersion.objects.filter(service_type=service_type).order_by("-number").first()
    if latest is not None and latest.reminders == items["reminders"] and latest.documents == items["documents"]:
        return latest
    return ChecklistVersion.objects.create(
        service_type=service_type,
        number=(latest.number + 1) if latest else 1,
        reminders=items["reminders"],
        documents=items["documents"],
        created_at=now,
    )
