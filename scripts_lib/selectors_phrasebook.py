"""Reads of the phrase book and the checklists: which script to say now, filled in; which
reminders and documents a service type needs. See docs/scripts.md for the API.

Choosing a script (`script_for`, `scripts_for`): the context gives a channel, a ticket kind,
a time of day and a day type. A script matches when each of its four fields is blank or
equal to the context's. Among the active matches, the most specific wins, compared in this
order of importance:

    1. channel     (a counter line never gets a phone line's wording)
    2. ticket kind
    3. day type    (holiday / weekend / workday, from the business calendar)
    4. time of day (morning < 12:00 ≤ afternoon < 18:00 ≤ evening, Asia/Shanghai)

then the higher `priority`, then the older script. So a walk-in greeting beats a phone
holiday greeting at the counter, and a holiday greeting beats a morning greeting on the phone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from string import Formatter

from django.conf import settings
from django.db.models import F
from django.utils.translation import get_language

from scripts_lib.models import RequiredDocument, ServiceReminder, ServiceType
from scripts_lib.models_phrasebook import PLACEHOLDERS, Script, placeholder_errors
from tickets.calendars import business_calendar_get
from tickets.sla import SHANGHAI, BusinessCalendar

logger = logging.getLogger("scripts_lib")

Moment = Script.Moment
TimeOfDay = Script.TimeOfDay
DayType = Script.DayType

NOON_HOUR = 12
EVENING_HOUR = 18
SATURDAY = 5

# The neutral words said when a context value is missing: never "{customer}" at the desk.
FALLBACKS_ZH = {
    "customer": "您",
    "staff_name": "客服代表",
    "staff_extension": "总机",
    "colleague_name": "相关同事",
    "colleague_extension": "稍后告知",
    "hours": "承诺时限",
    "reference": "稍后告知",
    "centre": "客户服务中心",
}
FALLBACKS_EN = {
    "customer": "sir or madam",
    "staff_name": "the service desk",
    "staff_extension": "the main line",
    "colleague_name": "a colleague",
    "colleague_extension": "to be confirmed",
    "hours": "the promised time",
    "reference": "to follow",
    "centre": "the Customer Service Centre",
}
TITLES = {"mr": ("先生", "Mr"), "ms": ("女士", "Ms")}
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "慕容",
    "司徒",
    "夏侯",
    "公孙",
    "长孙",
    "令狐",
    "宇文",
)

_parse = Formatter().parse


@dataclass(frozen=True)
class RenderedScript:
    """A script's text filled in for one context, in one language, and the script it came from."""

    text: str
    script: Script
    language: str  # "zh" or "en"

    @property
    def source(self) -> str:
        """The script's text in this language, placeholders unfilled."""
        return (self.script.text_zh if self.language == "zh" else self.script.text_en) or self.script.text_zh

    def __str__(self) -> str:
        return self.text


# --- The context ---------------------------------------------------------------------------------


def time_of_day_at(now: datetime) -> str:
    """Morning before 12:00, afternoon before 18:00, evening after, in Asia/Shanghai."""
    hour = now.astimezone(SHANGHAI).hour
    if hour < NOON_HOUR:
        return TimeOfDay.MORNING
    if hour < EVENING_HOUR:
        return TimeOfDay.AFTERNOON
    return TimeOfDay.EVENING


def day_type_on(day: date, calendar: BusinessCalendar | None = None) -> str:
    """A public holiday (a dated day off in the calendar), a weekend (Saturday or Sunday by the
    weekly pattern) or a workday (including a make-up workday, 调休)."""
    calendar = calendar or business_calendar_get()
    override = calendar.days.get(day)
    if override is not None:
        return DayType.WORKDAY if override else DayType.HOLIDAY
    return DayType.WEEKEND if day.weekday() >= SATURDAY else DayType.WORKDAY


def script_language(language: str | None = None) -> str:
    """ "zh" for any Chinese language code (the active language by default), else "en"."""
    code = (language or get_language() or settings.LANGUAGE_CODE).lower()
    return "zh" if code.startswith("zh") else "en"


def customer_address(*, name: str = "", title: str = "", language: str = "zh") -> str:
    """How to address the customer: surname and title (王先生, Mr Wang) when the title is known
    ("mr"/"ms" or 先生/女士), the name as given otherwise, "" when there is no name."""
    name = (name or "").strip()
    if not name:
        return ""
    key = {"先生": "mr", "女士": "ms", "小姐": "ms"}.get(title, (title or "").lower())
    if key not in TITLES:
        return name
    surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s)), name[:1] if _is_cjk(name) else name)
    zh, en = TITLES[key]
    return f"{surname}{zh}" if language == "zh" else f"{en} {surname}"


def _is_cjk(text: str) -> bool:
    return bool(text) and "\u4e00" <= text[0] <= "\u9fff"


def centre_name(language: str = "zh") -> str:
    configured = (getattr(settings, "SERVICEDESK", {}) or {}).get("CENTRE_NAME", "")
    if configured:
        return configured
    return FALLBACKS_ZH["centre"] if language == "zh" else FALLBACKS_EN["centre"]


# --- Choosing and rendering -------------------------------------------------------------------


def script_list_active(*, moments: Iterable[str]) -> list[Script]:
    """The active scripts of these moments: one query, for a page that shows several."""
    return list(Script.objects.filter(is_active=True, moment__in=list(moments)).order_by("moment", "-priority", "id"))


def _specificity(script: Script) -> tuple[bool, bool, bool, bool, int, int]:
    return (
        bool(script.channel),
        bool(script.kind),
        bool(script.day_type),
        bool(script.time_of_day),
        script.priority,
        -script.pk,
    )


def script_candidates(
    scripts: Iterable[Script], *, moment: str, channel: str, kind: str, time_of_day: str, day_type: str
) -> list[Script]:
    """The scripts that match the context, best first (see the module's docstring)."""
    wanted = {"channel": channel, "kind": kind, "time_of_day": time_of_day, "day_type": day_type}
    matches = [
        script
        for script in scripts
        if script.moment == moment
        and script.is_active
        and all(getattr(script, name) in ("", value) for name, value in wanted.items())
    ]
    return sorted(matches, key=_specificity, reverse=True)


def script_render(
    text: str, *, context: Mapping[str, object] | None = None, language: str = "zh", keep: Iterable[str] = ()
) -> str | None:
    """`text` with its placeholders filled from `context`, a neutral word for a missing value.
    Placeholders named in `keep` stay as they are (for a page that fills them in as the user
    picks, e.g. the colleague of a handoff). None when the text is broken (saved around the
    validation): the caller picks another."""
    if placeholder_errors(text):
        return None
    values = _values(context or {}, language)
    values.update({name: "{" + name + "}" for name in keep if name in PLACEHOLDERS})
    # Formatter.parse gives the literal text with {{ and }} already turned into single braces.
    return "".join(literal + (values[name] if name is not None else "") for literal, name, _s, _c in _parse(text))


def _values(context: Mapping[str, object], language: str) -> dict[str, str]:
    fallbacks = FALLBACKS_ZH if language == "zh" else FALLBACKS_EN
    values = {name: str(context.get(name) or "").strip() for name in PLACEHOLDERS}
    if not values["customer"]:
        values["customer"] = customer_address(
            name=str(context.get("customer_name") or ""),
            title=str(context.get("customer_title") or ""),
            language=language,
        )
    if not values["centre"]:
        values["centre"] = centre_name(language)
    hours = context.get("hours")
    if isinstance(hours, int | float) and not isinstance(hours, bool):
        values["hours"] = f"{hours} hours" if language == "en" else f"{hours}小时"
    return {name: value or fallbacks[name] for name, value in values.items()}


def scripts_for(
    *,
    moments: Iterable[str],
    now: datetime,
    channel: str = "",
    kind: str = "",
    language: str | None = None,
    context: Mapping[str, object] | None = None,
    calendar: BusinessCalendar | None = None,
) -> dict[str, RenderedScript]:
    """The script to say for each moment in this context, filled in (one query for them all).
    A moment with no usable script is left out of the result."""
    moments = list(moments)
    lang = script_language(language)
    local_now = now.astimezone(SHANGHAI)
    time_of_day = time_of_day_at(now)
    day_type = day_type_on(local_now.date(), calendar)
    scripts = script_list_active(moments=moments)
    chosen: dict[str, RenderedScript] = {}
    for moment in moments:
        for script in script_candidates(
            scripts, moment=moment, channel=channel, kind=kind, time_of_day=time_of_day, day_type=day_type
        ):
            text = (script.text_zh if lang == "zh" else script.text_en) or script.text_zh
            rendered = script_render(text, context=context, language=lang)
            if rendered is None:
                logger.warning("Script %s has broken placeholders; it is skipped.", script.pk)
                continue
            chosen[moment] = RenderedScript(text=rendered, script=script, language=lang)
            break
    return chosen


def script_for(
    *,
    moment: str,
    now: datetime,
    channel: str = "",
    kind: str = "",
    language: str | None = None,
    context: Mapping[str, object] | None = None,
) -> RenderedScript | None:
    """The script to say at `moment` in this context, filled in; None when there is none."""
    found = scripts_for(moments=[moment], now=now, channel=channel, kind=kind, language=language, context=context or {})
    return found.get(moment)


# --- Checklists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checklist:
    """What to tell and ask a customer for one service type (A2, A3)."""

    service_type: ServiceType | None
    reminders: list[str]
    documents: list[RequiredDocument]


def checklist_for(service_type: ServiceType | str | None) -> Checklist:
    """The active special reminders (those for every consultation first, then the type's own)
    and the active required documents of a service type (an instance or its code), in their
    sort order. An unknown or inactive type gives the general reminders and no documents."""
    if isinstance(service_type, str):
        service_type = ServiceType.objects.filter(code=service_type, is_active=True).first()
    elif service_type is not None and not service_type.is_active:
        service_type = None
    reminders = ServiceReminder.objects.filter(is_active=True, service_type__isnull=True)
    if service_type is not None:
        reminders = ServiceReminder.objects.filter(is_active=True, service_type__in=[service_type]) | reminders
    texts = [
        text
        for _type, text in reminders.order_by(F("service_type").asc(nulls_first=True), "sort_order", "id").values_list(
            "service_type_id", "text"
        )
    ]
    documents = (
        list(RequiredDocument.objects.filter(service_type=service_type, is_active=True).order_by("sort_order", "id"))
        if service_type is not None
        else []
    )
    return Checklist(service_type=service_type, reminders=texts, documents=documents)
