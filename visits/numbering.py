"""Numbers of the documents the counter issues: PREFIX + day + sequence, e.g. FX20260302-001."""

from __future__ import annotations

from datetime import datetime

from tickets.sla import SHANGHAI
from visits.models import DocumentSequence


def document_number_next(prefix: str, now: datetime) -> str:
    """The next number of the (Asia/Shanghai) day under `prefix`, e.g. FX20260302-001.

    The day's row is created if missing (get_or_create survives a concurrent creation by reading
    the winner's row), then locked: concurrent desks queue on it until the caller's transaction
    ends, and a rolled-back issue gives its number back. Call inside a transaction."""
    day = now.astimezone(SHANGHAI).date()
    DocumentSequence.objects.get_or_create(prefix=prefix, day=day)
    row = DocumentSequence.objects.select_for_update().get(prefix=prefix, day=day)
    row.last_value += 1
    row.save(update_fields=["last_value"])
    return f"{prefix}{day:%Y%m%d}-{row.last_value:03d}"
