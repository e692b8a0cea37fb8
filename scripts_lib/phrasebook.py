"""Writes of the phrase book. The admin saves through the model form (whose clean() runs the
same checks); everything else saves a script through `script_save`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from scripts_lib.models_phrasebook import Script
from tickets.exceptions import InvalidInput

EDITABLE_FIELDS = (
    "moment",
    "channel",
    "kind",
    "time_of_day",
    "day_type",
    "text_zh",
    "text_en",
    "priority",
    "is_active",
)


@transaction.atomic
def script_save(*, actor, script: Script | None = None, **fields) -> Script:
    """Create a script, or change `script`, with `fields` (names from EDITABLE_FIELDS).

    Refused with InvalidInput naming the first bad field (an unknown placeholder, unbalanced
    braces, an unknown moment or channel, a blank text …); nothing is written then.
    `actor` is the staff member making the change (kept for the signature every service has).
    """
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(_("Unknown script field: %(fields)s.") % {"fields": ", ".join(unknown)}, field=unknown[0])
    script = Script.objects.select_for_update().get(pk=script.pk) if script is not None else Script()
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(script, name, value)
    try:
        script.full_clean(exclude=["updated_at"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=None if field == "__all__" else field) from error
    script.save()
    return script
