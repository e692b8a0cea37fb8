"""The phrase book (P1, P2, P4, S6, S8, T1, V3): what the desk says at each moment, as data.

A `Script` is one wording for one moment (greeting, hold, closing line …), optionally narrowed
to a channel, a ticket kind, a time of day and a day type; blank means "any". Texts carry
placeholders in braces (`{customer}`, `{staff_extension}` …) filled from the context when
the script is shown. Only the placeholders in PLACEHOLDERS are allowed, and braces must be
balanced: a script that breaks either rule is refused when it is saved (admin form and
`scripts_lib.phrasebook.script_save`), so the desk never reads out a broken sentence.

Which script is shown for a moment is decided by `scripts_lib.selectors_phrasebook`.
"""

from __future__ import annotations

from string import Formatter

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

__all__ = ["PLACEHOLDERS", "Script", "placeholder_errors"]

# Every placeholder a script may use, with what it stands for (shown as help in the admin).
PLACEHOLDERS: dict[str, str] = {
    "customer": _("the customer's surname and title (王先生), or a polite “you”"),
    "staff_name": _("your name"),
    "staff_extension": _("your extension"),
    "colleague_name": _("the colleague's name (handoff, person visited)"),
    "colleague_extension": _("the colleague's extension"),
    "hours": _("the promised time, with its unit (24小时)"),
    "reference": _("the ticket's reference number"),
    "centre": _("the service centre's name"),
}


def placeholder_errors(text: str) -> list[str]:
    """What is wrong with the placeholders of `text` (empty when it can be shown as is).

    Allowed: `{name}` with a name from PLACEHOLDERS, and `{{` / `}}` for a literal brace.
    Refused: unknown names, empty `{}`, positional `{0}`, `{name!r}` or `{name:…}`, and a
    lone `{` or `}`.
    """
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        return [gettext("Unbalanced braces: write a placeholder as {customer}, a literal brace as {{ or }}.")]
    errors: list[str] = []
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            errors.append(
                gettext("Unknown placeholder %(placeholder)s; use one of: %(allowed)s.")
                % {"placeholder": shown, "allowed": allowed}
            )
    return errors


class Script(models.Model):
    """One wording of what to say at one moment, for the context it is narrowed to."""

    class Moment(models.TextChoices):
        GREETING = "greeting", _("Greeting")
        HOLD = "hold", _("Putting on hold")
        RESUME_AFTER_HOLD = "resume_after_hold", _("Back from hold")
        PLEASE_REPEAT = "please_repeat", _("Asking to repeat")
        CALLBACK_PROMISE = "callback_promise", _("Callback promise (half an hour)")
        COMPLAINT_ACCEPTANCE = "complaint_acceptance", _("Accepting a complaint")
        OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
        CROSS_REGION_REDIRECT = "cross_region_redirect", _("Cross-region redirect")
        HANDOFF = "handoff", _("Handoff to a colleague")
        TEST_CALLBACK_REQUEST = "test_callback_request", _("Asking the customer to test")
        VISITOR_BUSY = "visitor_busy", _("Person visited is busy or out")
        CLOSING = "closing", _("Closing line")

    class TimeOfDay(models.TextChoices):
        MORNING = "morning", _("Morning (before 12:00)")
        AFTERNOON = "afternoon", _("Afternoon (12:00–18:00)")
        EVENING = "evening", _("Evening (from 18:00)")

    class DayType(models.TextChoices):
        WORKDAY = "workday", _("Working day")
        WEEKEND = "weekend", _("Weekend")
        HOLIDAY = "holiday", _("Public holiday")

    moment = models.CharField(_("moment"), max_length=30, choices=Moment.choices)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Ticket.Channel.choices, blank=True, help_text=_("Blank: any channel.")
    )
    kind = models.CharField(
        _("ticket kind"), max_length=20, choices=Ticket.Kind.choices, blank=True, help_text=_("Blank: any kind.")
    )
    time_of_day = models.CharField(
        _("time of day"), max_length=10, choices=TimeOfDay.choices, blank=True, help_text=_("Blank: any time.")
    )
    day_type = models.CharField(
        _("day type"),
        max_length=10,
        choices=DayType.choices,
        blank=True,
        help_text=_("From the business calendar. Blank: any day."),
    )
    text_zh = models.TextField(_("text (Chinese)"), max_length=500)
    text_en = models.TextField(_("text (English)"), max_length=500)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=0, help_text=_("Among equally specific scripts, the higher priority is shown.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("script")
        verbose_name_plural = _("scripts")
        ordering = ["moment", "-priority", "id"]
        indexes = [models.Index(fields=["moment", "is_active"], name="script_moment_active")]

    def __str__(self) -> str:
        return f"{self.get_moment_display()}: {self.text_zh[:40]}"

    def clean(self) -> None:
        errors = {}
        for name in ("text_zh", "text_en"):
            problems = placeholder_errors(getattr(self, name) or "")
            if problems:
                errors[name] = problems
        if errors:
            raise ValidationError(errors)
