"""England and Wales bank holidays and working-day arithmetic for the working-day rules.

DfE's working-day rules (8569Q, 8670Q, 8675Q) count Monday to Friday excluding the England and
Wales bank holidays. The holidays are the committed table ``data/reference/bank_holidays_england.csv``
(``date,name``; 2011 to 2027). :func:`rule_bank_holidays` computes the same list from the
statutory rules and the announced one-off changes, so the table can be checked (see the tests) and
extended: ``python -m cin_pipeline.reference.calendar 2011 2027 > data/reference/bank_holidays_england.csv``.

Rules used by :func:`rule_bank_holidays`:

* New Year's Day, 1 January; on a Saturday or Sunday the substitute day is the following Monday.
* Good Friday and Easter Monday: two days before and one day after Easter Sunday, computed with
  the anonymous Gregorian algorithm (Meeus/Jones/Butcher; :func:`easter_sunday`).
* Early May bank holiday: first Monday of May (2020: moved to Friday 8 May, VE Day 75).
* Spring bank holiday: last Monday of May (2012: Monday 4 June, 2022: Thursday 2 June).
* Summer bank holiday: last Monday of August.
* Christmas Day and Boxing Day; a day falling on a weekend is substituted by the next weekday
  that is not already a holiday (Christmas on Saturday: Monday 27 and Tuesday 28; Christmas on
  Sunday: Monday 26 (Boxing Day) and Tuesday 27; Christmas on Friday: Boxing Day Monday 28).
* One-off extra days: 2011-04-29 (royal wedding), 2012-06-05 (Diamond Jubilee),
  2022-06-03 (Platinum Jubilee), 2022-09-19 (State Funeral of Queen Elizabeth II),
  2023-05-08 (Coronation of King Charles III).
"""

from __future__ import annotations

import csv
import datetime as _dt
import sys
from functools import lru_cache

from cin_pipeline.settings import REFERENCE_DIR

BANK_HOLIDAYS_CSV = REFERENCE_DIR / "bank_holidays_england.csv"
FIRST_YEAR, LAST_YEAR = 2011, 2027
"""Years covered by the committed table."""

_MOVED = {  # (year, holiday) -> date it was moved to
    (2020, "Early May bank holiday"): _dt.date(2020, 5, 8),
    (2012, "Spring bank holiday"): _dt.date(2012, 6, 4),
    (2022, "Spring bank holiday"): _dt.date(2022, 6, 2),
}
_EXTRA = (
    (_dt.date(2011, 4, 29), "Royal wedding"),
    (_dt.date(2012, 6, 5), "Queen's Diamond Jubilee"),
    (_dt.date(2022, 6, 3), "Platinum Jubilee bank holiday"),
    (_dt.date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
    (_dt.date(2023, 5, 8), "Bank holiday for the coronation of King Charles III"),
)


def easter_sunday(year: int) -> _dt.date:
    """Easter Sunday (Gregorian), by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


def _first_monday(year: int, month: int) -> _dt.date:
    d = _dt.date(year, month, 1)
    return d + _dt.timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> _dt.date:
    nxt = _dt.date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - _dt.timedelta(days=1)
    return d - _dt.timedelta(days=d.weekday())


def rule_bank_holidays(year: int) -> list[tuple[_dt.date, str]]:
    """The England and Wales bank holidays of ``year``, from the rules in the module docstring."""
    days: list[tuple[_dt.date, str]] = []
    new_year = _dt.date(year, 1, 1)
    while new_year.weekday() >= 5:
        new_year += _dt.timedelta(days=1)
    days.append((new_year, "New Year's Day" + (" (substitute day)" if new_year.day != 1 else "")))
    easter = easter_sunday(year)
    days.append((easter - _dt.timedelta(days=2), "Good Friday"))
    days.append((easter + _dt.timedelta(days=1), "Easter Monday"))
    for name, default in (("Early May bank holiday", _first_monday(year, 5)),
                          ("Spring bank holiday", _last_monday(year, 5)),
                          ("Summer bank holiday", _last_monday(year, 8))):
        days.append((_MOVED.get((year, name), default), name))
    christmas = (("Christmas Day", _dt.date(year, 12, 25)), ("Boxing Day", _dt.date(year, 12, 26)))
    taken = {d for _, d in christmas if d.weekday() < 5}  # weekdays keep their day
    for name, d in christmas:
        actual = d
        if d.weekday() >= 5:
            while actual.weekday() >= 5 or actual in taken:
                actual += _dt.timedelta(days=1)
            taken.add(actual)
        days.append((actual, name + (" (substitute day)" if actual != d else "")))
    days.extend((d, name) for d, name in _EXTRA if d.year == year)
    return sorted(days)


@lru_cache(maxsize=1)
def bank_holidays() -> frozenset[_dt.date]:
    """The bank holidays of the committed table (``data/reference/bank_holidays_england.csv``)."""
    with open(BANK_HOLIDAYS_CSV, newline="") as fh:
        return frozenset(_dt.date.fromisoformat(row["date"]) for row in csv.DictReader(fh))


@lru_cache(maxsize=None)
def _holidays_of(year: int) -> frozenset[_dt.date]:
    if FIRST_YEAR <= year <= LAST_YEAR:
        return frozenset(d for d in bank_holidays() if d.year == year)
    # outside the table: the regular rules (one-off days announced later are not known)
    return frozenset(d for d, _ in rule_bank_holidays(year))


def is_working_day(d: _dt.date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return d.weekday() < 5 and d not in _holidays_of(d.year)


def working_days_before(d: _dt.date, n: int) -> _dt.date:
    """The ``n``-th working day before ``d`` (``d`` itself never counts).

    Same as ``d - n * CustomBusinessDay(holidays=...)`` in pandas, which the DfE validator uses:
    1 April 2024 (Easter Monday) minus 1 working day is Thursday 28 March 2024 (Good Friday
    29 March is a holiday).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    while n:
        d -= _dt.timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def _write_csv(first: int, last: int, out=sys.stdout) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "name"])
    for year in range(first, last + 1):
        for d, name in rule_bank_holidays(year):
            writer.writerow([d.isoformat(), name])


if __name__ == "__main__":  # pragma: no cover
    _write_csv(int(sys.argv[1]), int(sys.argv[2]))
