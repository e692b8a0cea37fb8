"""The phrase book on the desk pages: what each page shows where the moment happens. Thin
helpers for the views of tickets and visits (one query for all the scripts of a page)."""

from __future__ import annotations

from datetime import datetime

from scripts_lib.models_phrasebook import Script
from scripts_lib.selectors_phrasebook import FALLBACKS_EN, FALLBACKS_ZH, script_render, scripts_for
from tickets.widgets import QuickSelect

Moment = Script.Moment
COLLEAGUE = ("colleague_name", "colleague_extension")
TICKET_MOMENTS = (Moment.CLOSING, Moment.HANDOFF, Moment.TEST_CALLBACK_REQUEST)


def staff_context(user) -> dict[str, str]:
    profile = getattr(user, "staff", None) if user is not None else None
    if profile is None:
        return {}
    return {"staff_name": profile.display_name, "staff_extension": profile.extension or ""}


def colleague_context(user) -> dict[str, str]:
    profile = getattr(user, "staff", None) if user is not None else None
    if profile is None:
        return {"colleague_name": user.get_full_name() or user.get_username()} if user is not None else {}
    return {"colleague_name": profile.display_name, "colleague_extension": profile.extension or ""}


def ticket_context(ticket) -> dict[str, str]:
    name = ticket.customer.name if ticket.customer_id else getattr(ticket, "contact_name", "")
    return {"customer_name": name or "", "reference": ticket.reference}


def ticket_scripts(*, ticket, user, now: datetime, moments=TICKET_MOMENTS) -> dict[str, object]:
    """The scripts of the ticket page, filled in for this ticket and user."""
    context = {**ticket_context(ticket), **staff_context(user)}
    return scripts_for(moments=moments, now=now, channel=ticket.channel, kind=ticket.kind, context=context)


class ColleagueSelect(QuickSelect):
    """The colleague select, each option carrying the name and extension the customer is told
    (drawn without a template per option: a desk has hundreds of colleagues)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        # A user with a staff profile, or a tickets.forms.Colleague row (display_name, extension).
        profile = getattr(instance, "staff", instance)
        if hasattr(profile, "display_name"):
            option["attrs"]["data-name"] = profile.display_name
            option["attrs"]["data-extension"] = profile.extension or ""
        return option


def handoff_script(form, *, rendered, context: dict) -> None:
    """Put the handoff line on a hand-off form: filled in for the colleague already chosen (a
    refused POST) or with neutral words, plus the template the page fills in as the colleague
    select changes (options carry data-name / data-extension)."""
    if rendered is None:
        return
    field = form.fields["to_user"]
    widget = ColleagueSelect(attrs=field.widget.attrs, choices=field.widget.choices)
    widget.is_required = field.widget.is_required
    field.widget = widget
    chosen = dict(context)
    cleaned = getattr(form, "cleaned_data", None) or {}
    if cleaned.get("to_user") is not None:
        chosen.update(colleague_context(cleaned["to_user"]))
    for key, told in (("colleague_name", "told_name"), ("colleague_extension", "told_extension")):
        if cleaned.get(told):
            chosen[key] = cleaned[told]
    form.script = script_render(rendered.source, context=chosen, language=rendered.language) or rendered.text
    form.script_template = script_render(rendered.source, context=context, language=rendered.language, keep=COLLEAGUE)
    fallbacks = FALLBACKS_ZH if rendered.language == "zh" else FALLBACKS_EN
    form.script_fallbacks = {name: fallbacks[name] for name in COLLEAGUE}
