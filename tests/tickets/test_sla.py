"""Calendar arithmetic (tickets.sla): table-driven, no database.

The calendar used here is built from the chinesecalendar package's data, the same data
`manage.py seed_calendar` stores. 2026 facts the tables rely on:

* Spring Festival: off Sun Feb 15 – Mon Feb 23; make-up workdays Sat Feb 14 and Sat Feb 28.
* Mid-autumn: off Fri Sep 25 – Sun Sep 27.
* National Day: off Thu Oct 1 – Wed Oct 7; make-up workdays Sun Sep 20 and Sat Oct 10.
"""

from __future__ import annotations

import time as wall_clock
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import chinese_calendar
import pytest
from chinese_calendar import constants

from tickets import sla
from tickets.sla import (
    DEFAULT_WEEK,
    SHANGHAI,
    BusinessCalendar,
    Period,
    add_working_days,
    add_working_hours,
    add_working_time,
    is_working_time,
    next_working_moment,
    working_time_between,
)

OFFICIAL = frozenset(range(2004, 2027))
CN_DAYS = {**{d: False for d in constants.holidays}, **{d: True for d in constants.workdays}}
CN = BusinessCalendar(days=CN_DAYS, official_years=OFFICIAL)


def at(year, month, day, hour=0, minute=0, second=0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def test_the_2026_facts_the_tables_rely_on():
    assert not any(CN.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert CN.is_workday(date(2026, 2, 14)) and CN.is_workday(date(2026, 2, 28))
    assert not any(CN.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert CN.is_workday(date(2026, 9, 20)) and CN.is_workday(date(2026, 10, 10))
    assert not CN.is_workday(date(2026, 9, 25))


def test_default_week_is_monday_to_friday_with_a_lunch_break():
    day = (Period(time(9), time(12)), Period(time(13, 30), time(18)))
    assert [DEFAULT_WEEK[wd] for wd in range(7)] == [day, day, day, day, day, (), ()]


# --- add_working_hours --------------------------------------------------------------------

HOURS_CASES = [
    # (label, start, hours, expected)
    ("handoff inside the morning", at(2026, 3, 2, 9), 2, at(2026, 3, 2, 11)),
    ("ends exactly at 12:00, not 13:30", at(2026, 3, 2, 10), 2, at(2026, 3, 2, 12)),
    ("ends exactly at 18:00, not 09:00 next day", at(2026, 3, 2, 16), 2, at(2026, 3, 2, 18)),
    ("a whole day from 09:00 ends at 18:00", at(2026, 3, 2, 9), Decimal("7.5"), at(2026, 3, 2, 18)),
    ("lunch break is skipped", at(2026, 3, 2, 11), 2, at(2026, 3, 2, 14, 30)),
    ("start during lunch begins at 13:30", at(2026, 3, 2, 12, 30), 2, at(2026, 3, 2, 15, 30)),
    ("start exactly at 12:00 begins at 13:30", at(2026, 3, 2, 12), 1, at(2026, 3, 2, 14, 30)),
    ("start exactly at 18:00 begins next morning", at(2026, 3, 2, 18), 0.5, at(2026, 3, 3, 9, 30)),
    ("start before opening", at(2026, 3, 2, 7, 45), 1, at(2026, 3, 2, 10)),
    ("Friday evening start goes to Monday", at(2026, 3, 6, 19), 2, at(2026, 3, 9, 11)),
    ("Friday 17:00 carries over the weekend", at(2026, 3, 6, 17), 2, at(2026, 3, 9, 10)),
    ("Saturday start begins Monday 09:00", at(2026, 3, 7, 10), 2, at(2026, 3, 9, 11)),
    ("Sunday night start", at(2026, 3, 8, 23, 59), Decimal("0.25"), at(2026, 3, 9, 9, 15)),
    ("Friday before Spring Festival runs into make-up Saturday", at(2026, 2, 13, 17), 2, at(2026, 2, 14, 10)),
    ("make-up Saturday has the lunch break too", at(2026, 2, 14, 11, 30), 1, at(2026, 2, 14, 14)),
    ("make-up Saturday evening jumps the whole festival", at(2026, 2, 14, 17), 2, at(2026, 2, 24, 10)),
    ("start inside the festival begins after it", at(2026, 2, 18, 10), 2, at(2026, 2, 24, 11)),
    ("Mid-autumn Friday off", at(2026, 9, 24, 17), 2, at(2026, 9, 28, 10)),
    ("make-up Sunday before National Day", at(2026, 9, 18, 17), 2, at(2026, 9, 20, 10)),
    ("National Day eve jumps the golden week", at(2026, 9, 30, 17), 2, at(2026, 10, 8, 10)),
    ("Friday after National Day runs into make-up Saturday", at(2026, 10, 9, 17), 2, at(2026, 10, 10, 10)),
    ("several days", at(2026, 3, 2, 9), 20, at(2026, 3, 4, 15, 30)),
    ("fractional Decimal hours", at(2026, 3, 2, 9), Decimal("1.25"), at(2026, 3, 2, 10, 15)),
    ("zero hours returns the start unchanged, even off hours", at(2026, 3, 7, 10), 0, at(2026, 3, 7, 10)),
]


@pytest.mark.parametrize(("label", "start", "hours", "expected"), HOURS_CASES, ids=[c[0] for c in HOURS_CASES])
def test_add_working_hours(label, start, hours, expected):
    result = add_working_hours(start, hours, CN)

    assert result == expected
    assert result.tzinfo == SHANGHAI
    assert result.isoformat() == expected.isoformat()


def test_add_working_hours_takes_any_aware_datetime_and_answers_in_shanghai():
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

    result = add_working_hours(start, 2, CN)

    assert result.isoformat() == "2026-03-02T12:00:00+08:00"


def test_a_long_span_steps_by_days_not_minutes():
    # 20 years of working time: a minute-by-minute loop would take minutes, a day loop milliseconds.
    start = at(2005, 1, 4, 9)
    hours = 7.5 * 250 * 20

    began = wall_clock.perf_counter()
    result = add_working_hours(start, hours, CN)
    elapsed = wall_clock.perf_counter() - began

    assert working_time_between(start, result, CN) == timedelta(hours=hours)
    assert elapsed < 2


def test_500_working_hours_matches_a_count_of_chinese_workdays():
    start = at(2026, 1, 5, 9)  # Monday

    due = add_working_hours(start, 500, CN)

    # 500 h = 66 full days (495 h) + 5 h: the 67th working day at 09:00 + 3 h + 2 h after lunch.
    workdays = [d for d in (date(2026, 1, 5) + timedelta(n) for n in range(200)) if chinese_calendar.is_workday(d)]
    assert due == datetime.combine(workdays[66], time(15, 30), tzinfo=SHANGHAI)


# --- admin overrides and the weekly pattern -----------------------------------------------


def test_a_weekday_made_off_is_skipped():
    calendar = BusinessCalendar(days={date(2026, 3, 4): False}, official_years=OFFICIAL)

    assert add_working_hours(at(2026, 3, 3, 17), 2, calendar) == at(2026, 3, 5, 10)
    assert add_working_days(at(2026, 3, 3, 10), 1, calendar) == at(2026, 3, 5, 10)
    assert calendar.periods_on(date(2026, 3, 4)) == ()


def test_a_saturday_made_work_uses_mondays_periods():
    calendar = BusinessCalendar(days={date(2026, 3, 7): True}, official_years=OFFICIAL)

    assert calendar.periods_on(date(2026, 3, 7)) == DEFAULT_WEEK[0]
    assert add_working_hours(at(2026, 3, 6, 17), 2, calendar) == at(2026, 3, 7, 10)
    assert add_working_days(at(2026, 3, 6, 15), 1, calendar) == at(2026, 3, 7, 15)


def test_a_make_up_day_uses_the_first_weekday_with_periods_when_monday_has_none():
    tuesday = (Period(time(10), time(16)),)
    calendar = BusinessCalendar(week={1: tuesday, 2: tuesday}, days={date(2026, 3, 7): True})

    assert calendar.periods_on(date(2026, 3, 7)) == tuesday
    assert calendar.periods_on(date(2026, 3, 2)) == ()  # a Monday: no periods in this week


def test_overlapping_periods_are_merged_not_counted_twice():
    week = {0: (Period(time(9), time(12)), Period(time(11), time(13)))}
    calendar = BusinessCalendar(week=week)

    assert working_time_between(at(2026, 3, 2), at(2026, 3, 3), calendar) == timedelta(hours=4)


def test_a_calendar_without_any_working_time_raises_instead_of_looping():
    calendar = BusinessCalendar(week={})

    with pytest.raises(ValueError, match="no working time"):
        add_working_hours(at(2026, 3, 2, 9), 1, calendar)


# --- a year with no official schedule -----------------------------------------------------


def test_a_year_without_official_rows_falls_back_to_monday_to_friday():
    # chinesecalendar stops at 2026; 2027's Spring Festival (Feb 6–) is unknown to it.
    assert CN.is_workday(date(2027, 1, 1))  # a Friday; New Year is unknown, so it counts
    assert not CN.is_workday(date(2027, 1, 2))
    assert add_working_hours(at(2027, 2, 5, 17), 2, CN) == at(2027, 2, 8, 10)
    assert add_working_days(at(2027, 2, 5, 10), 2, CN) == at(2027, 2, 9, 10)


@pytest.mark.parametrize(
    ("start", "end", "provisional"),
    [
        (at(2026, 12, 30, 10), at(2026, 12, 31, 17), False),
        (at(2026, 12, 31, 17), at(2027, 1, 4, 10), True),
        (at(2027, 3, 1, 10), at(2027, 3, 2, 10), True),
        (at(2027, 1, 4, 10), at(2026, 12, 31, 17), True),  # either order
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), at(2026, 12, 31, 23), True),  # 2027-01-01 in Shanghai
    ],
)
def test_is_provisional_between(start, end, provisional):
    assert CN.is_provisional_between(start, end) is provisional


def test_is_provisional_per_date():
    assert CN.is_provisional(date(2027, 6, 1))
    assert not CN.is_provisional(date(2026, 6, 1))
    assert BusinessCalendar().is_provisional(date(2026, 6, 1))  # nothing official at all


# --- add_working_days ---------------------------------------------------------------------

DAYS_CASES = [
    ("reply: 2 working days, same clock time", at(2026, 3, 2, 10), 2, at(2026, 3, 4, 10)),
    ("Thursday afternoon over the weekend", at(2026, 3, 5, 15), 2, at(2026, 3, 9, 15)),
    ("Friday before Spring Festival: Sat 14th is day 1", at(2026, 2, 13, 10), 2, at(2026, 2, 24, 10)),
    ("Friday evening rolls to make-up Saturday 09:00 first", at(2026, 2, 13, 19), 2, at(2026, 2, 25, 9)),
    ("start inside the festival rolls to Feb 24 09:00", at(2026, 2, 20, 10), 1, at(2026, 2, 25, 9)),
    ("lunch start rolls to 13:30", at(2026, 3, 2, 12, 30), 2, at(2026, 3, 4, 13, 30)),
    ("start at 18:00 rolls to next morning", at(2026, 3, 2, 18), 1, at(2026, 3, 4, 9)),
    ("Saturday start rolls to Monday", at(2026, 3, 7, 10), 2, at(2026, 3, 11, 9)),
    ("make-up Sunday before National Day counts", at(2026, 9, 18, 11), 1, at(2026, 9, 20, 11)),
    ("National Day eve: Oct 8 and 9", at(2026, 9, 30, 10), 2, at(2026, 10, 9, 10)),
    ("National Day: make-up Saturday Oct 10 is day 3", at(2026, 9, 30, 10), 3, at(2026, 10, 10, 10)),
    ("zero days returns the start unchanged", at(2026, 3, 7, 10), 0, at(2026, 3, 7, 10)),
]


@pytest.mark.parametrize(("label", "start", "days", "expected"), DAYS_CASES, ids=[c[0] for c in DAYS_CASES])
def test_add_working_days(label, start, days, expected):
    result = add_working_days(start, days, CN)

    assert result == expected
    assert result.tzinfo == SHANGHAI


def test_add_working_days_rolls_on_when_the_clock_time_is_not_working_on_the_target_day():
    short_friday = (Period(time(9), time(16)),)
    calendar = BusinessCalendar(week={**DEFAULT_WEEK, 4: short_friday})

    # Thursday 17:00 + 1 working day = Friday 17:00, after Friday's close: Monday 09:00.
    assert add_working_days(at(2026, 3, 5, 17), 1, calendar) == at(2026, 3, 9, 9)


def test_add_working_days_accepts_a_whole_decimal_but_not_a_fraction():
    assert add_working_days(at(2026, 3, 2, 10), Decimal("2.00"), CN) == at(2026, 3, 4, 10)
    with pytest.raises(ValueError, match="whole number"):
        add_working_days(at(2026, 3, 2, 10), Decimal("1.5"), CN)


# --- working time between, and round trips ------------------------------------------------

BETWEEN_CASES = [
    ("a full day", at(2026, 3, 2, 9), at(2026, 3, 2, 18), timedelta(hours=7.5)),
    ("a whole calendar day", at(2026, 3, 2), at(2026, 3, 3), timedelta(hours=7.5)),
    ("across lunch", at(2026, 3, 2, 11), at(2026, 3, 2, 14), timedelta(hours=1.5)),
    ("inside lunch", at(2026, 3, 2, 12), at(2026, 3, 2, 13, 30), timedelta(0)),
    ("a weekend", at(2026, 3, 6, 18), at(2026, 3, 9, 9), timedelta(0)),
    ("Spring Festival week with make-up Saturday", at(2026, 2, 13, 9), at(2026, 2, 24, 9), timedelta(hours=15)),
    ("end before start", at(2026, 3, 3, 10), at(2026, 3, 2, 10), timedelta(0)),
    ("end equals start", at(2026, 3, 2, 10), at(2026, 3, 2, 10), timedelta(0)),
]


@pytest.mark.parametrize(("label", "start", "end", "expected"), BETWEEN_CASES, ids=[c[0] for c in BETWEEN_CASES])
def test_working_time_between(label, start, end, expected):
    assert working_time_between(start, end, CN) == expected


def test_working_time_over_2026_is_its_chinese_workdays_times_seven_and_a_half_hours():
    workdays = sum(1 for n in range(365) if chinese_calendar.is_workday(date(2026, 1, 1) + timedelta(n)))

    assert working_time_between(at(2026, 1, 1), at(2027, 1, 1), CN) == timedelta(hours=7.5) * workdays


ROUND_TRIP_STARTS = [
    at(2026, 2, 13, 16, 45),
    at(2026, 2, 14, 12, 10),
    at(2026, 3, 6, 23),
    at(2026, 9, 30, 9, 1),
    at(2026, 12, 31, 17, 30),  # into provisional 2027
]
ROUND_TRIP_AMOUNTS = [timedelta(minutes=1), timedelta(hours=2), timedelta(hours=7, minutes=30), timedelta(hours=83)]


@pytest.mark.parametrize("start", ROUND_TRIP_STARTS)
@pytest.mark.parametrize("amount", ROUND_TRIP_AMOUNTS)
def test_working_time_between_undoes_add_working_time(start, amount):
    due = add_working_time(start, amount, CN)

    assert working_time_between(start, due, CN) == amount
    assert is_working_time(due - timedelta(microseconds=1), CN)


@pytest.mark.parametrize("start", ROUND_TRIP_STARTS)
def test_add_working_time_undoes_working_time_between(start):
    end = at(2026, 10, 10, 11, 20)  # a working moment (make-up Saturday)
    if end <= start:
        end = at(2027, 1, 6, 15)

    assert add_working_time(start, working_time_between(start, end, CN), CN) == end


# --- working moments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "working", "next_moment"),
    [
        (at(2026, 3, 2, 9), True, at(2026, 3, 2, 9)),
        (at(2026, 3, 2, 8, 59, 59), False, at(2026, 3, 2, 9)),
        (at(2026, 3, 2, 11, 59, 59), True, at(2026, 3, 2, 11, 59, 59)),
        (at(2026, 3, 2, 12), False, at(2026, 3, 2, 13, 30)),
        (at(2026, 3, 2, 17, 59, 59), True, at(2026, 3, 2, 17, 59, 59)),
        (at(2026, 3, 2, 18), False, at(2026, 3, 3, 9)),
        (at(2026, 2, 13, 18), False, at(2026, 2, 14, 9)),
        (at(2026, 2, 14, 18), False, at(2026, 2, 24, 9)),
        (at(2026, 10, 1, 10), False, at(2026, 10, 8, 9)),
    ],
)
def test_working_moments_are_half_open(moment, working, next_moment):
    assert is_working_time(moment, CN) is working
    assert next_working_moment(moment, CN) == next_moment


# --- refused input ------------------------------------------------------------------------

NAIVE = datetime(2026, 3, 2, 10)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_hours(NAIVE, 2, CN),
        lambda: add_working_time(NAIVE, timedelta(hours=2), CN),
        lambda: add_working_days(NAIVE, 2, CN),
        lambda: working_time_between(NAIVE, at(2026, 3, 3), CN),
        lambda: working_time_between(at(2026, 3, 1), NAIVE, CN),
        lambda: next_working_moment(NAIVE, CN),
        lambda: is_working_time(NAIVE, CN),
        lambda: CN.is_provisional_between(NAIVE, at(2026, 3, 3)),
    ],
    ids=["hours", "time", "days", "between-start", "between-end", "next", "is-working", "provisional"],
)
def test_a_naive_datetime_is_refused(call):
    with pytest.raises(ValueError, match="aware datetime"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_hours(at(2026, 3, 2, 10), -1, CN),
        lambda: add_working_hours(at(2026, 3, 2, 10), Decimal("-0.5"), CN),
        lambda: add_working_time(at(2026, 3, 2, 10), timedelta(minutes=-1), CN),
        lambda: add_working_days(at(2026, 3, 2, 10), -2, CN),
    ],
    ids=["hours", "decimal-hours", "time", "days"],
)
def test_a_negative_amount_is_refused(call):
    with pytest.raises(ValueError, match="must not be negative"):
        call()


def test_sla_is_pure():
    source = Path(sla.__file__).read_text(encoding="utf-8")

    assert "timezone.now" not in source
    assert "objects." not in source
