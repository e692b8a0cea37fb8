"""Business-calendar arithmetic: working hours, working days, working time between moments.

Pure functions over a `BusinessCalendar` value: no ORM and no clock. The caller reads the
clock once and passes moments in. Passing `calendar=None` means "the default calendar",
which is loaded (and cached) by `tickets.calendars.business_calendar_get`; that lazy import
is the only place this module reaches the database.

Rules (see docs/calendar.md for worked examples):

* Aware datetimes in, aware datetimes out, in the calendar's time zone (Asia/Shanghai).
  A naive datetime or a negative amount raises ValueError.
* Working periods are half-open: [09:00, 12:00) and [13:30, 18:00). 12:00 and 18:00 are not
  working moments, but a deadline that uses up its time exactly at a period's end is due at
  that end (18:00, not 09:00 the next working day).
* Zero is zero: adding 0 hours or 0 days returns the start itself (in the calendar's zone),
  even outside working time.
* Every loop steps a day at a time, so spans of months cost a few hundred iterations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A calendar with no working time for this many days in a row is a configuration error.
_MAX_DAYS_WITHOUT_WORK = 5 * 366


@dataclass(frozen=True)
class Period:
    """A daily working period, half-open [start, end) in local clock time."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"a working period must start before it ends ({self.start}–{self.end})")


_MORNING = Period(time(9, 0), time(12, 0))
_AFTERNOON = Period(time(13, 30), time(18, 0))

DEFAULT_WEEK: Mapping[int, tuple[Period, ...]] = MappingProxyType(
    {0: (_MORNING, _AFTERNOON), 1: (_MORNING, _AFTERNOON), 2: (_MORNING, _AFTERNOON),
     3: (_MORNING, _AFTERNOON), 4: (_MORNING, _AFTERNOON), 5: (), 6: ()}
)  # fmt: skip

_NO_DAYS: Mapping[date, bool] = MappingProxyType({})


def _normalise_periods(periods: tuple[Period, ...] | list[Period]) -> tuple[Period, ...]:
    """Sort a day's periods and merge the ones that overlap or touch."""
    merged: list[Period] = []
    for period in sorted(periods, key=lambda p: (p.start, p.end)):
        if merged and period.start <= merged[-1].end:
            if period.end > merged[-1].end:
                merged[-1] = Period(merged[-1].start, period.end)
            continue
        merged.append(period)
    return tuple(merged)


@dataclass(frozen=True)
class BusinessCalendar:
    """The weekly pattern, the dated exceptions to it, and which years are official.

    `days` maps a date to whether it is a working day, overriding the weekly pattern: a
    holiday on a weekday (False) or a make-up workday on a weekend (True, 调休). A year not in
    `official_years` still works (Monday–Friday by the weekly pattern) but is provisional.
    """

    week: Mapping[int, tuple[Period, ...]] = field(default_factory=lambda: DEFAULT_WEEK)
    days: Mapping[date, bool] = field(default_factory=lambda: _NO_DAYS)
    official_years: frozenset[int] = frozenset()
    tz: ZoneInfo = SHANGHAI
    # Periods of a make-up workday whose own weekday has none: Monday's, or the first
    # weekday's that has periods.
    _fallback: tuple[Period, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        week = MappingProxyType({wd: _normalise_periods(self.week.get(wd, ())) for wd in range(7)})
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "official_years", frozenset(self.official_years))
        object.__setattr__(self, "_fallback", next((week[wd] for wd in range(7) if week[wd]), ()))

    def is_workday(self, d: date) -> bool:
        override = self.days.get(d)
        if override is not None:
            return bool(override)
        return bool(self.week[d.weekday()])

    def periods_on(self, d: date) -> tuple[Period, ...]:
        if not self.is_workday(d):
            return ()
        return self.week[d.weekday()] or self._fallback

    def is_provisional(self, d: date) -> bool:
        """True when `d` falls in a year whose official schedule has not been entered."""
        return d.year not in self.official_years

    def is_provisional_between(self, start: datetime, end: datetime) -> bool:
        """True when any day from `start` to `end` (either order) is provisional."""
        first = _local(start, self, "start").date()
        last = _local(end, self, "end").date()
        if last < first:
            first, last = last, first
        return any(year not in self.official_years for year in range(first.year, last.year + 1))

    def _intervals(self, d: date) -> Iterator[tuple[datetime, datetime]]:
        """The working periods of day `d` as (start, end) UTC datetimes."""
        for period in self.periods_on(d):
            yield (
                datetime.combine(d, period.start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(d, period.end, tzinfo=self.tz).astimezone(UTC),
            )


# --- public functions ---------------------------------------------------------------------


def add_working_hours(
    start: datetime, hours: int | float | Decimal, calendar: BusinessCalendar | None = None
) -> datetime:
    """The moment `hours` of working time after `start`.

    Only time inside working periods counts. A start outside working time begins counting
    at the next period start. Time running out exactly at a period's end gives that end.
    """
    if isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        raise ValueError(f"working hours must be a number, not {hours!r}")
    if hours < 0:
        raise ValueError(f"working hours must not be negative (got {hours})")
    if isinstance(hours, Decimal):
        amount = timedelta(microseconds=int((hours * 3_600_000_000).to_integral_value()))
    else:
        amount = timedelta(hours=hours)
    return add_working_time(start, amount, calendar)


def add_working_time(start: datetime, amount: timedelta, calendar: BusinessCalendar | None = None) -> datetime:
    """Like `add_working_hours`, with the amount as a timedelta."""
    calendar = _calendar(calendar)
    local = _local(start, calendar, "start")
    if not isinstance(amount, timedelta):
        raise ValueError(f"working time must be a timedelta, not {amount!r}")
    if amount < timedelta(0):
        raise ValueError(f"working time must not be negative (got {amount})")
    if amount == timedelta(0):
        return local

    cursor = local.astimezone(UTC)
    remaining = amount
    day = local.date()
    days_without_work = 0
    while True:
        worked_today = False
        for period_start, period_end in calendar._intervals(day):
            if period_end <= cursor:
                continue
            worked_today = True
            begin = max(cursor, period_start)
            available = period_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(calendar.tz)
            remaining -= available
        days_without_work = 0 if worked_today else days_without_work + 1
        _check_progress(days_without_work, start)
        day += timedelta(days=1)


def add_working_days(start: datetime, days: int, calendar: BusinessCalendar | None = None) -> datetime:
    """The same local clock time `days` working days after `start`.

    A start outside working time first rolls forward to the next period start. If that clock
    time is not working time on the target day (its periods differ), the result rolls forward
    to the next working moment.
    """
    calendar = _calendar(calendar)
    local = _local(start, calendar, "start")
    if isinstance(days, bool) or not isinstance(days, int | Decimal | float) or days != int(days):
        raise ValueError(f"working days must be a whole number, not {days!r}")
    days = int(days)
    if days < 0:
        raise ValueError(f"working days must not be negative (got {days})")
    if days == 0:
        return local

    begin = next_working_moment(local, calendar)
    day = begin.date()
    days_without_work = 0
    while days:
        day += timedelta(days=1)
        if calendar.periods_on(day):
            days -= 1
            days_without_work = 0
        else:
            days_without_work += 1
            _check_progress(days_without_work, start)
    target = datetime.combine(day, begin.time(), tzinfo=calendar.tz)
    return next_working_moment(target, calendar)


def working_time_between(start: datetime, end: datetime, calendar: BusinessCalendar | None = None) -> timedelta:
    """Working time inside [start, end); zero when `end` is not after `start`."""
    calendar = _calendar(calendar)
    start_utc = _local(start, calendar, "start").astimezone(UTC)
    end_utc = _local(end, calendar, "end").astimezone(UTC)
    total = timedelta(0)
    if end_utc <= start_utc:
        return total
    day = start_utc.astimezone(calendar.tz).date()
    last_day = end_utc.astimezone(calendar.tz).date()
    while day <= last_day:
        for period_start, period_end in calendar._intervals(day):
            overlap = min(period_end, end_utc) - max(period_start, start_utc)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def next_working_moment(at: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    """`at` itself when it is working time, else the start of the next working period."""
    calendar = _calendar(calendar)
    local = _local(at, calendar, "at")
    cursor = local.astimezone(UTC)
    day = local.date()
    days_without_work = 0
    while True:
        for period_start, period_end in calendar._intervals(day):
            if period_start <= cursor < period_end:
                return local
            if cursor < period_start:
                return period_start.astimezone(calendar.tz)
        days_without_work += 1
        _check_progress(days_without_work, at)
        day += timedelta(days=1)


def is_working_time(at: datetime, calendar: BusinessCalendar | None = None) -> bool:
    calendar = _calendar(calendar)
    local = _local(at, calendar, "at")
    cursor = local.astimezone(UTC)
    return any(start <= cursor < end for start, end in calendar._intervals(local.date()))


# --- helpers ------------------------------------------------------------------------------


def _calendar(calendar: BusinessCalendar | None) -> BusinessCalendar:
    if calendar is not None:
        return calendar
    from tickets.calendars import business_calendar_get  # the one DB touch, for the default only

    return business_calendar_get()


def _local(value: datetime, calendar: BusinessCalendar, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (got naive {value.isoformat()})")
    return value.astimezone(calendar.tz)


def _check_progress(days_without_work: int, start: datetime) -> None:
    if days_without_work > _MAX_DAYS_WITHOUT_WORK:
        raise ValueError(f"the business calendar has no working time within five years after {start.isoformat()}")
