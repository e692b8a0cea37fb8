"""The business calendar in the database: loading the default calendar, seeding, import, edits.

`sla.py` does the arithmetic on a `BusinessCalendar` value; this module builds that value
from WorkingPeriod, CalendarDay and CalendarYear rows and owns every write to them. Each
write invalidates the in-process calendar cache and asks `tickets.deadlines` to recompute
the deadlines of open tickets once the transaction commits.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import threading
import time as monotonic_clock
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import CalendarDay, CalendarYear, WorkingPeriod
from tickets.sla import DEFAULT_WEEK, SHANGHAI, BusinessCalendar, Period

logger = logging.getLogger("tickets.calendar")

CACHE_SECONDS = 30
# The missing-years warning is logged at most this often per process (unless the calendar changes).
WARN_EVERY_SECONDS = 3600

_lock = threading.Lock()
_cached: tuple[float, BusinessCalendar] | None = None
_warned: dict[tuple[int, ...], float] = {}

Source = CalendarDay.Source


# --- reads --------------------------------------------------------------------------------


def business_calendar_get(*, fresh: bool = False, today: date | None = None) -> BusinessCalendar:
    """The default calendar: DB rows over the defaults, cached in-process for 30 seconds.

    `fresh=True` bypasses the cache (and refills it). `today` is only for the warning about
    unofficial years; it defaults to the current date in Asia/Shanghai.
    """
    global _cached
    with _lock:
        if not fresh and _cached is not None and monotonic_clock.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    calendar = _calendar_load()
    with _lock:
        _cached = (monotonic_clock.monotonic(), calendar)
    _warn_if_missing(calendar, today or calendar_today())
    return calendar


def business_calendar_invalidate() -> None:
    """Forget the cached calendar (and the last missing-years warning) in this process."""
    global _cached
    with _lock:
        _cached = None
        _warned.clear()


def calendar_missing_years(today: date) -> list[int]:
    """The current and next year, where no official schedule has been entered for them."""
    official = set(
        CalendarYear.objects.filter(year__in=[today.year, today.year + 1], is_official=True).values_list(
            "year", flat=True
        )
    )
    return [year for year in (today.year, today.year + 1) if year not in official]


def _calendar_load() -> BusinessCalendar:
    periods: dict[int, list[Period]] = {}
    for weekday, start, end in WorkingPeriod.objects.values_list("weekday", "start", "end"):
        periods.setdefault(weekday, []).append(Period(start, end))
    week = {wd: tuple(periods.get(wd, ())) for wd in range(7)} if periods else DEFAULT_WEEK
    days = dict(CalendarDay.objects.values_list("date", "is_workday"))
    official = frozenset(CalendarYear.objects.filter(is_official=True).values_list("year", flat=True))
    return BusinessCalendar(week=week, days=days, official_years=official, tz=SHANGHAI)


def _warn_if_missing(calendar: BusinessCalendar, today: date) -> None:
    missing = tuple(year for year in (today.year, today.year + 1) if year not in calendar.official_years)
    if not missing:
        return
    now = monotonic_clock.monotonic()
    with _lock:
        last = _warned.get(missing)
        if last is not None and now - last < WARN_EVERY_SECONDS:
            return
        _warned[missing] = now
    logger.warning(
        "No official holiday schedule for %s: deadlines there are computed on Monday-Friday and "
        "marked provisional. Enter or import it (manage.py import_calendar).",
        ", ".join(str(year) for year in missing),
    )


def calendar_today() -> date:
    """The current date in Asia/Shanghai, for callers at the edge (admin pages, commands)."""
    return timezone.now().astimezone(SHANGHAI).date()


# --- seeding from chinesecalendar ---------------------------------------------------------


@dataclass(frozen=True)
class CalendarSeedSummary:
    first_year: int
    last_year: int
    created: int
    updated: int
    unchanged: int
    removed: int
    kept: int  # admin or imported rows left alone
    years_official: int

    @property
    def days(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        text = _(
            "%(first)s–%(last)s: %(days)s days (%(created)s new, %(updated)s changed, %(removed)s removed, "
            "%(kept)s kept from admin or import), %(years)s years official"
        ) % {
            "first": self.first_year,
            "last": self.last_year,
            "days": self.days,
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "kept": self.kept,
            "years": self.years_official,
        }
        return text


class CalendarSeedError(Exception):
    pass


def chinese_calendar_days() -> dict[date, tuple[bool, str]]:
    """Every exception chinesecalendar knows: date -> (is_workday, holiday name)."""
    from chinese_calendar import constants

    days: dict[date, tuple[bool, str]] = {d: (False, str(name)) for d, name in constants.holidays.items()}
    days.update({d: (True, str(name)) for d, name in constants.workdays.items()})
    return days


def calendar_seed(*, years: Iterable[int] | None = None) -> CalendarSeedSummary:
    """Fill CalendarDay from chinesecalendar and mark its years official. Idempotent.

    Rows entered by an administrator or imported are never overwritten; seeded rows that
    chinesecalendar no longer lists are removed.
    """
    data = chinese_calendar_days()
    covered = sorted({d.year for d in data})
    if years is not None:
        wanted = sorted(set(years))
        unknown = [year for year in wanted if year not in covered]
        if unknown:
            raise CalendarSeedError(
                _("chinesecalendar has no schedule for %(years)s (it covers %(first)s–%(last)s).")
                % {"years": ", ".join(map(str, unknown)), "first": covered[0], "last": covered[-1]}
            )
        covered = wanted
        data = {d: value for d, value in data.items() if d.year in set(wanted)}

    created = updated = unchanged = kept = 0
    with transaction.atomic():
        existing = {row.date: row for row in CalendarDay.objects.select_for_update().filter(date__year__in=covered)}
        to_create = []
        for day, (is_workday, name) in sorted(data.items()):
            row = existing.get(day)
            if row is None:
                to_create.append(CalendarDay(date=day, is_workday=is_workday, name=name, source=Source.SEED))
                created += 1
            elif row.source != Source.SEED:
                kept += 1
            elif (row.is_workday, row.name) != (is_workday, name):
                row.is_workday, row.name = is_workday, name
                row.save(update_fields=["is_workday", "name", "updated_at"])
                updated += 1
            else:
                unchanged += 1
        CalendarDay.objects.bulk_create(to_create)
        stale = [row.pk for day, row in existing.items() if row.source == Source.SEED and day not in data]
        CalendarDay.objects.filter(pk__in=stale).delete()

        years_changed = 0
        have = {row.year: row for row in CalendarYear.objects.select_for_update().filter(year__in=covered)}
        for year in covered:
            row = have.get(year)
            if row is None:
                CalendarYear.objects.create(year=year, is_official=True, source=Source.SEED)
                years_changed += 1
            elif row.source == Source.SEED and not row.is_official:
                row.is_official = True
                row.save(update_fields=["is_official", "updated_at"])
                years_changed += 1
        years_official = CalendarYear.objects.filter(year__in=covered, is_official=True).count()

        if created or updated or stale or years_changed:
            _calendar_changed(reason="calendar seeded from chinesecalendar")

    return CalendarSeedSummary(
        first_year=covered[0],
        last_year=covered[-1],
        created=created,
        updated=updated,
        unchanged=unchanged,
        removed=len(stale),
        kept=kept,
        years_official=years_official,
    )


# --- import -------------------------------------------------------------------------------

OFF_VALUES = {"off", "休"}
WORK_VALUES = {"work", "班"}
_NAME_MAX = CalendarDay._meta.get_field("name").max_length


class CalendarImportError(Exception):
    """The import was refused; nothing was written. `messages` names each bad line or row."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class CalendarImportSummary:
    years: tuple[int, ...]
    created: int
    updated: int
    unchanged: int
    off_days: int
    workdays: int

    def __str__(self) -> str:
        return _(
            "Imported %(count)s days for %(years)s (%(off)s off, %(work)s make-up workdays; "
            "%(created)s new, %(updated)s changed, %(unchanged)s unchanged); %(years)s marked official."
        ) % {
            "count": self.off_days + self.workdays,
            "years": ", ".join(map(str, self.years)),
            "off": self.off_days,
            "work": self.workdays,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass
class _ImportRow:
    where: str  # "Line 3" or "Row 3": how the error messages name it
    raw_date: object
    raw_type: object
    raw_name: object = ""
    problems: list[str] = field(default_factory=list)


def calendar_import(
    *,
    content: str | bytes | None = None,
    rows: Iterable[Mapping[str, object]] | None = None,
    fmt: str = "csv",
    year: int | None = None,
    source: str = Source.IMPORT,
) -> CalendarImportSummary:
    """Import an official schedule: (date, off/work, name) from CSV or JSON text, or `rows`.

    Everything is validated first; on any problem a CalendarImportError lists them all and
    nothing is written. Listed dates are created or replaced (whatever their source); other
    days are left alone. The years covered (`year`, or else the years of the dates) are
    marked official.
    """
    if (content is None) == (rows is None):
        raise ValueError("pass exactly one of content or rows")
    if rows is not None:
        parsed = _rows_from_mappings(rows)
    elif fmt == "csv":
        parsed = _rows_from_csv(_decode(content))
    elif fmt == "json":
        parsed = _rows_from_json(_decode(content))
    else:
        raise CalendarImportError([_("Unknown format %(fmt)s: use csv or json.") % {"fmt": fmt}])

    days = _validate(parsed, year)
    years = (year,) if year is not None else tuple(sorted({d.year for d in days}))

    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {row.date: row for row in CalendarDay.objects.select_for_update().filter(date__in=list(days))}
        to_create = []
        for day, (is_workday, name) in days.items():
            row = existing.get(day)
            if row is None:
                to_create.append(CalendarDay(date=day, is_workday=is_workday, name=name, source=source))
                created += 1
            elif (row.is_workday, row.name, row.source) != (is_workday, name, source):
                row.is_workday, row.name, row.source = is_workday, name, source
                row.save(update_fields=["is_workday", "name", "source", "updated_at"])
                updated += 1
            else:
                unchanged += 1
        CalendarDay.objects.bulk_create(to_create)
        for covered in years:
            CalendarYear.objects.update_or_create(year=covered, defaults={"is_official": True, "source": source})
        _calendar_changed(reason=f"calendar imported for {', '.join(map(str, years))}")

    workdays = sum(1 for is_workday, _name in days.values() if is_workday)
    return CalendarImportSummary(
        years=years,
        created=created,
        updated=updated,
        unchanged=unchanged,
        off_days=len(days) - workdays,
        workdays=workdays,
    )


def _decode(content: str | bytes | None) -> str:
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves CSV as GBK; GB18030 is its superset.
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise CalendarImportError([_("The file is neither UTF-8 nor GBK text.")]) from exc


def _rows_from_csv(text: str) -> list[_ImportRow]:
    reader = csv.reader(io.StringIO(text))
    rows: list[_ImportRow] = []
    for cells in reader:
        where = _("Line %(n)s") % {"n": reader.line_num}
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not rows and cells[0].lower() in {"date", "日期"}:
            continue  # header
        if len(cells) < 2 or len(cells) > 3:
            rows.append(_ImportRow(where, None, None, problems=[_("expected date, off/work and an optional name")]))
            continue
        rows.append(_ImportRow(where, cells[0], cells[1], cells[2] if len(cells) == 3 else ""))
    return rows


def _rows_from_json(text: str) -> list[_ImportRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalendarImportError(
            [_("The file is not valid JSON: %(error)s (line %(line)s).") % {"error": exc.msg, "line": exc.lineno}]
        ) from exc
    if not isinstance(data, list):
        raise CalendarImportError(
            [_('Expected a JSON list of objects like {"date": "2027-01-01", "type": "off", "name": "..."}.')]
        )
    return _rows_from_mappings(data)


def _rows_from_mappings(items: Iterable[object]) -> list[_ImportRow]:
    rows = []
    for n, item in enumerate(items, start=1):
        where = _("Row %(n)s") % {"n": n}
        if not isinstance(item, Mapping) or "date" not in item or "type" not in item:
            rows.append(_ImportRow(where, None, None, problems=[_('expected an object with "date" and "type"')]))
            continue
        rows.append(_ImportRow(where, item["date"], item["type"], item.get("name") or ""))
    return rows


def _validate(rows: list[_ImportRow], year: int | None) -> dict[date, tuple[bool, str]]:
    errors: list[str] = []
    days: dict[date, tuple[bool, str]] = {}
    first_seen: dict[date, str] = {}
    for row in rows:
        problems = list(row.problems)
        day = None
        if not problems:
            day = _parse_date(row.raw_date)
            if day is None:
                problems.append(_("%(value)r is not a date (use YYYY-MM-DD)") % {"value": row.raw_date})
            elif year is not None and day.year != year:
                problems.append(_("%(date)s is outside %(year)s") % {"date": day.isoformat(), "year": year})
            elif day in first_seen:
                problems.append(
                    _("%(date)s appears twice (first on %(where)s)")
                    % {"date": day.isoformat(), "where": first_seen[day]}
                )
            value = str(row.raw_type).strip().lower() if row.raw_type is not None else ""
            if value not in OFF_VALUES | WORK_VALUES:
                problems.append(
                    _("unknown value %(value)r for off/work (use off, work, 休 or 班)") % {"value": row.raw_type}
                )
            name = str(row.raw_name).strip()
            if len(name) > _NAME_MAX:
                problems.append(_("the name is longer than %(max)s characters") % {"max": _NAME_MAX})
        if problems:
            errors.extend(f"{row.where}: {problem}." for problem in problems)
            continue
        first_seen[day] = row.where
        days[day] = (value in WORK_VALUES, name)
    if not errors and not days:
        errors.append(_("The file has no days to import."))
    if errors:
        raise CalendarImportError(errors)
    return days


_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def _parse_date(value: object) -> date | None:
    """YYYY-MM-DD, also YYYY/M/D as spreadsheets write it."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    match = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


# --- admin edits --------------------------------------------------------------------------


def calendar_day_set(*, day: date, is_workday: bool, name: str = "", source: str = Source.ADMIN) -> CalendarDay:
    """Create or replace the exception for one date (an administrator's edit)."""
    with transaction.atomic():
        row, _created = CalendarDay.objects.update_or_create(
            date=day, defaults={"is_workday": is_workday, "name": name, "source": source}
        )
        _calendar_changed(reason=f"calendar day {day.isoformat()} set")
    return row


def calendar_day_delete(*, days: Iterable[date]) -> int:
    """Remove exceptions: those dates follow the weekly pattern again."""
    days = list(days)
    with transaction.atomic():
        deleted, _detail = CalendarDay.objects.filter(date__in=days).delete()
        if deleted:
            _calendar_changed(reason="calendar days deleted: " + ", ".join(d.isoformat() for d in sorted(days)))
    return deleted


def calendar_year_set(*, year: int, is_official: bool, note: str = "", source: str = Source.ADMIN) -> CalendarYear:
    with transaction.atomic():
        row, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"is_official": is_official, "note": note, "source": source}
        )
        _calendar_changed(reason=f"calendar year {year} set")
    return row


def calendar_year_delete(*, years: Iterable[int]) -> int:
    years = list(years)
    with transaction.atomic():
        deleted, _detail = CalendarYear.objects.filter(year__in=years).delete()
        if deleted:
            _calendar_changed(reason="calendar years deleted: " + ", ".join(map(str, sorted(years))))
    return deleted


def working_period_overlaps(*, weekday: int, start: time, end: time, exclude_id: int | None = None) -> list[str]:
    """The existing periods of `weekday` that [start, end) would overlap, as text."""
    others = WorkingPeriod.objects.filter(weekday=weekday, start__lt=end, end__gt=start)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    return [str(period) for period in others]


def working_period_save(*, weekday: int, start: time, end: time, period_id: int | None = None) -> WorkingPeriod:
    """Add or change a working period; periods of one weekday must not overlap."""
    if not start < end:
        raise ValidationError(_("A working period must start before it ends."))
    with transaction.atomic():
        clashes = working_period_overlaps(weekday=weekday, start=start, end=end, exclude_id=period_id)
        if clashes:
            raise ValidationError(_("Overlaps %(periods)s.") % {"periods": ", ".join(clashes)})
        if period_id is None:
            period = WorkingPeriod.objects.create(weekday=weekday, start=start, end=end)
        else:
            period = WorkingPeriod.objects.select_for_update().get(pk=period_id)
            period.weekday, period.start, period.end = weekday, start, end
            period.save(update_fields=["weekday", "start", "end"])
        _calendar_changed(reason=f"working period {period} saved")
    return period


def working_period_delete(*, period_ids: Iterable[int]) -> int:
    with transaction.atomic():
        deleted, _detail = WorkingPeriod.objects.filter(pk__in=list(period_ids)).delete()
        if deleted:
            _calendar_changed(reason="working periods deleted")
    return deleted


def _calendar_changed(*, reason: str) -> None:
    """After a calendar write: drop the cache now and at commit, then queue the recompute."""
    business_calendar_invalidate()
    transaction.on_commit(business_calendar_invalidate)
    try:
        from tickets.deadlines import deadlines_recompute_later
    except ModuleNotFoundError as exc:
        if exc.name != "tickets.deadlines":
            raise
        logger.warning("Calendar changed (%s) but tickets.deadlines is not installed: no recompute.", reason)
        return
    deadlines_recompute_later(reason=reason)
