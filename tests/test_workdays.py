"""Working days on China's official calendar (chinese_calendar), with a Monday–Friday fallback."""
from datetime import date, timedelta

import pytest

from secondment import workdays


@pytest.mark.parametrize("day, expected", [
    (date(2026, 11, 27), True),    # a Friday
    (date(2026, 11, 28), False),   # a Saturday
    (date(2026, 11, 29), False),   # a Sunday
    (date(2026, 10, 1), False),    # National Day, a Thursday
    (date(2026, 10, 5), False),    # National Day holiday, a Monday
    (date(2026, 10, 7), False),    # last day of the holiday, a Wednesday
    (date(2026, 10, 8), True),     # back to work
    (date(2026, 10, 10), True),    # 调休: a Saturday worked to make up the holiday
    (date(2026, 9, 20), True),     # 调休: a Sunday worked
    (date(2026, 10, 11), False),   # the Sunday after is off
])
def test_is_workday_follows_the_official_2026_calendar(day, expected):
    assert workdays.LIBRARY.is_workday(day) is expected
    assert workdays.LIBRARY.is_workday(day.isoformat()) is expected


@pytest.mark.parametrize("start, n, due", [
    (date(2026, 11, 26), 1, date(2026, 11, 27)),    # Thursday + 1 = Friday
    (date(2026, 11, 27), 1, date(2026, 11, 30)),    # Friday + 1 skips the weekend
    (date(2026, 11, 27), 3, date(2026, 12, 2)),     # urgent limit across a weekend
    (date(2026, 11, 2), 15, date(2026, 11, 23)),    # normal limit: three weeks of Monday–Friday
    (date(2026, 11, 28), 0, date(2026, 11, 28)),    # zero days is the day itself
    # Across National Day: Sept 30 (Wed) + 1 is Oct 8 (Thu); Oct 10 (Sat) is a make-up workday.
    (date(2026, 9, 30), 1, date(2026, 10, 8)),
    (date(2026, 9, 30), 2, date(2026, 10, 9)),
    (date(2026, 9, 30), 3, date(2026, 10, 10)),
    (date(2026, 9, 30), 4, date(2026, 10, 12)),
    # Urgent item raised on Friday Sept 25: Mid-autumn (26–27) is off, Sept 28–30 are workdays.
    (date(2026, 9, 25), 3, date(2026, 9, 30)),
    (date(2026, 9, 25), 4, date(2026, 10, 8)),
    # The 调休 Sunday Sept 20 counts: from Friday Sept 18, one working day later is Sunday Sept 20.
    (date(2026, 9, 18), 1, date(2026, 9, 20)),
])
def test_add_working_days(start, n, due):
    assert workdays.LIBRARY.add_working_days(start, n) == due
    assert workdays.LIBRARY.working_days_between(start, due) == n


def test_fifteen_days_across_national_day():
    due = workdays.LIBRARY.add_working_days(date(2026, 9, 28), 15)
    # Sept 29, 30, Oct 8, 9, 10 (Sat, make-up) = 5; Oct 12–16 = 10; Oct 19–23 = 15 → due Oct 23.
    assert due == date(2026, 10, 23)
    assert (due - date(2026, 9, 28)).days == 25


def test_between_is_signed_and_zero_on_the_same_day():
    assert workdays.LIBRARY.working_days_between(date(2026, 11, 30), date(2026, 11, 27)) == -1
    assert workdays.LIBRARY.working_days_between("2026-11-27", "2026-11-27") == 0
    assert workdays.LIBRARY.working_days_between(date(2026, 11, 27), date(2026, 11, 29)) == 0  # weekend only


def test_negative_n_counts_backwards():
    assert workdays.LIBRARY.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)


@pytest.mark.parametrize("year, expected", [(2004, True), (2026, True), (2003, False), (2027, False), (2030, False)])
def test_covered_years(year, expected):
    assert workdays.LIBRARY.covered(year) is expected


def test_fallback_outside_covered_years_is_monday_to_friday():
    # 2027 is not in the installed calendar: New Year's Day (a Friday) counts as a working day.
    assert workdays.LIBRARY.is_workday(date(2027, 1, 1)) is True
    assert workdays.LIBRARY.is_workday(date(2027, 1, 2)) is False
    assert workdays.LIBRARY.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert workdays.LIBRARY.add_working_days(date(2027, 1, 1), 5) == date(2027, 1, 8)
    # A span crossing into the uncovered year mixes both calendars without failing.
    assert workdays.LIBRARY.working_days_between(date(2026, 12, 25), date(2027, 1, 8)) == 10
    assert workdays.LIBRARY.uncovered_years(date(2026, 12, 31), "2027-01-04") == [2027]


def test_every_day_of_a_covered_year_matches_the_library():
    import chinese_calendar

    day = date(2026, 1, 1)
    while day.year == 2026:
        assert workdays.LIBRARY.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_many_spans_at_once_count_as_each_one_does():
    """``spans`` (each day looked up once) gives what ``working_days_between`` gives pair by pair: across
    years, backwards, on the same day, before the running totals' first year, with an entered year, and it
    refuses a span too long as the single count does."""
    import itertools
    import random

    rng = random.Random(7)
    entered = workdays.Calendar({2026: {date(2026, 3, 2): False, date(2026, 3, 7): True}})
    days = [date(1985, 12, 30) + timedelta(days=rng.randrange(0, 16_000)) for _ in range(400)]
    pairs = [(a, b) for a, b in itertools.pairwise(days) if abs((b - a).days) < 14_000]
    pairs += [(date(2026, 3, 1), date(2026, 3, 9)), (date(2026, 3, 9), date(2026, 3, 1)), ("2026-03-02", "2026-03-02"),
              ("1989-12-29", "1990-01-03"), ("2026-02-27T09:00:00", "2026-03-09")]
    for cal in (workdays.LIBRARY, entered):
        assert cal.spans(pairs) == [cal.working_days_between(a, b) for a, b in pairs]
    assert entered.spans([(date(2026, 3, 1), date(2026, 3, 9))]) == [6]   # the 2nd a holiday, the 7th worked
    with pytest.raises(ValueError):
        workdays.LIBRARY.spans([(date(2000, 1, 1), date(2050, 1, 1))])
