"""Working-time arithmetic on whole seconds, fast enough for millions of deadlines.

The same rules as tickets.sla (half-open working periods, time running out at a period's end
gives that end, working days keep the clock time), over the project's own BusinessCalendar,
but precomputed per day: the working seconds before each day (`cum`) turn "add working time"
into a bisection and "working time between" into a subtraction. Times are Unix seconds (UTC);
Asia/Shanghai has had no daylight saving since 1991, so a local day is a fixed 86,400 s.
`WorkClock.self_check` compares it with tickets.sla on random moments.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta

DAY = 86_400
OFFSET = 8 * 3600  # Asia/Shanghai is UTC+8 all year


def local_day(t: int) -> int:
    """Days since 1970-01-01 of the local (Asia/Shanghai) date of `t`."""
    return (t + OFFSET) // DAY


def day_start(day: int) -> int:
    """Unix time of local midnight of day number `day`."""
    return day * DAY - OFFSET


def day_number(d: date) -> int:
    return d.toordinal() - date(1970, 1, 1).toordinal()


def _seconds(clock) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second


def to_datetime(t: int) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


class WorkClock:
    def __init__(self, calendar, first: date, last: date):
        """`calendar`: a tickets.sla.BusinessCalendar; days outside [first, last] are an error."""
        self.calendar = calendar
        self.first = day_number(first)
        count = (last - first).days + 1
        self.periods: list[tuple[tuple[int, int], ...]] = []
        self.cum: list[int] = [0]
        self.workday: list[bool] = []
        self.years: list[int] = []
        for i in range(count):
            d = first + timedelta(days=i)
            self.years.append(d.year)
            periods = tuple((_seconds(p.start), _seconds(p.end)) for p in calendar.periods_on(d))
            self.periods.append(periods)
            self.workday.append(bool(periods))
            self.cum.append(self.cum[-1] + sum(end - start for start, end in periods))
        self.official_years = frozenset(calendar.official_years)

    # --- the primitives ------------------------------------------------------------------

    def _index(self, t: int) -> tuple[int, int]:
        day = local_day(t)
        i = day - self.first
        if not 0 <= i < len(self.periods):
            raise ValueError(f"{to_datetime(t).isoformat()} is outside the clock's days")
        return i, t + OFFSET - day * DAY

    def worked(self, t: int) -> int:
        """Working seconds from the clock's first day up to `t`."""
        local = t + OFFSET
        day = local // DAY
        i = day - self.first
        if i < 0:
            raise ValueError(f"{to_datetime(t).isoformat()} is outside the clock's days")
        s = local - day * DAY
        w = self.cum[i]
        for start, end in self.periods[i]:
            if s >= end:
                w += end - start
            else:
                if s > start:
                    w += s - start
                break
        return w

    def at_worked(self, w: int) -> int:
        """The earliest moment at which `w` working seconds have passed (a period's end when the
        time runs out exactly there)."""
        i = bisect_left(self.cum, w)
        if i >= len(self.cum):
            raise ValueError("beyond the clock's last day")
        if self.cum[i] == w:
            if i == 0:
                return day_start(self.first)
            j = i - 1  # the day that ends with exactly w worked: its last period's end
            return day_start(self.first + j) + self.periods[j][-1][1]
        j = i - 1
        rest = w - self.cum[j]
        for start, end in self.periods[j]:
            if rest <= end - start:
                return day_start(self.first + j) + start + rest
            rest -= end - start
        raise AssertionError("unreachable")

    # --- tickets.sla's functions, in seconds --------------------------------------------

    def add(self, t: int, seconds: int) -> int:
        """add_working_time: `seconds` of working time after `t` (0: `t` itself)."""
        if seconds <= 0:
            return t
        return self.at_worked(self.worked(t) + seconds)

    def between(self, a: int, b: int) -> int:
        """working_time_between: working seconds in [a, b)."""
        return self.worked(b) - self.worked(a) if b > a else 0

    def next_working_moment(self, t: int) -> int:
        i, s = self._index(t)
        while True:
            for start, end in self.periods[i]:
                if start <= s < end:
                    return day_start(self.first + i) + s
                if s < start:
                    return day_start(self.first + i) + start
            i += 1
            s = -1
            if i >= len(self.periods):
                raise ValueError("beyond the clock's last day")

    def add_days(self, t: int, days: int) -> int:
        """add_working_days: the same clock time `days` working days later."""
        if days <= 0:
            return t
        begin = self.next_working_moment(t)
        i, s = self._index(begin)
        while days:
            i += 1
            if self.workday[i]:
                days -= 1
        return self.next_working_moment(day_start(self.first + i) + s)

    def is_working(self, t: int) -> bool:
        i, s = self._index(t)
        return any(start <= s < end for start, end in self.periods[i])

    def is_provisional_between(self, a: int, b: int) -> bool:
        """Whether any local (Asia/Shanghai) year from `a` to `b` lacks its official schedule."""
        first = self.years[local_day(a) - self.first]
        last = self.years[local_day(b) - self.first]
        if last < first:
            first, last = last, first
        return any(year not in self.official_years for year in range(first, last + 1))

    # --- proof --------------------------------------------------------------------------

    def self_check(self, start: int, end: int, samples: int = 2000, seed: int = 7) -> None:
        """Compare with tickets.sla on random moments between `start` and `end`; raise on a
        difference."""
        from tickets import sla

        rng = random.Random(seed)
        cal = self.calendar
        for _ in range(samples):
            t = rng.randrange(start, end)
            when = to_datetime(t)
            seconds = rng.choice([7200, 5760, 60, 27000, rng.randrange(1, 200_000)])
            expected = int(sla.add_working_time(when, timedelta(seconds=seconds), cal).timestamp())
            got = self.add(t, seconds)
            if got != expected:
                raise AssertionError(f"add({when.isoformat()}, {seconds}) = {got}, tickets.sla says {expected}")
            days = rng.choice([1, 2, 3])
            expected = int(sla.add_working_days(when, days, cal).timestamp())
            got = self.add_days(t, days)
            if got != expected:
                raise AssertionError(f"add_days({when.isoformat()}, {days}) = {got}, tickets.sla says {expected}")
            other = t + rng.randrange(0, 10 * DAY)
            expected = int(sla.working_time_between(when, to_datetime(other), cal).total_seconds())
            got = self.between(t, other)
            if got != expected:
                raise AssertionError(f"between({when.isoformat()}, +{other - t}s) = {got}, tickets.sla says {expected}")
