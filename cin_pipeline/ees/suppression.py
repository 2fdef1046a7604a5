"""Small-number suppression of LA cells (the published "c" convention).

* **Primary**: an LA count of 1 to 5 inclusive is shown ``c`` (0 is a true zero and is shown).
* **Helpers**: an unpublished count that a percentage divides (e.g. B2's children with each
  disability type) is hidden like a published one: its percentage is ``c``.
* **Secondary**: for every additive identity declared on the table (``TableSpec.sums``:
  ``total = sum(parts)``, e.g. D5 ``CPP_At31`` = the five duration bands, C4 ``ICPC`` = the four
  duration bands, B1 ``Anypoint_episodes = Ended_episodes + At31_episodes``), a suppressed cell that
  is the only hidden cell of its identity could be worked out by subtraction, so one more cell is
  hidden: the smallest visible non-zero part (ties: the first in declared order), else the
  total. Repeated until no identity has exactly one hidden cell (a cell hidden for one identity can
  expose another).
* **Across rows** (:func:`block_suppressed`): an LA's rows by the values of a filter with a
  ``Total`` are suppressed together, with ``Total = sum of the values`` as one more identity per
  count.
* **Derived cells**: a percentage or rate of a suppressed count is ``c``; a percentage whose
  denominator is suppressed is ``c`` unless its numerator is 0 (then ``0``, as published: D3 Isles
  of Scilly 2022); a percentage with denominator 0 is ``z``.

National and regional figures are never suppressed (they are rounded to the nearest 10 instead).
"""

from __future__ import annotations

from fractions import Fraction

from functools import lru_cache

from cin_pipeline.ees.numbers import fmt_fraction
from cin_pipeline.tables import all_tables
from cin_pipeline.tables.declare import TableSpec

LOW, HIGH = 1, 5


def is_small(v: int) -> bool:
    return LOW <= int(v) <= HIGH


@lru_cache(maxsize=None)
def _agreed_by_others(table_id: str) -> frozenset[str]:
    # a national-only table (A1, A2, A6) has no LA cells to show alike, so its agreements leave
    # the other table's choice of what to hide as it is
    return frozenset(a.other_column for t in all_tables() if not t.national_only
                     for a in t.agreements if a.other == table_id)


def shared_columns(spec: TableSpec) -> frozenset[str]:
    """The counts of a table that another table with LA rows publishes too (the two sides of the
    declared agreements): secondary suppression hides them last, so both tables show the same
    cell."""
    return frozenset(a.column for a in spec.agreements) | _agreed_by_others(spec.table_id)


def suppressed_counts(spec: TableSpec, counts: dict[str, int]) -> set[str]:
    """Names of the counts of one LA row to show as ``c`` (hidden helper counts included: a
    percentage of a hidden helper is ``c``)."""
    sup = {i.name for i in spec.indicators
           if i.kind == "count" and i.suppress and is_small(counts.get(i.name, 0))}
    sup |= {h for h in spec.helpers if is_small(counts.get(h, 0))}
    return secondary(spec.sums, counts, sup, shared_columns(spec))


def block_suppressed(spec: TableSpec, filters, rows: dict[tuple, dict[str, int]]) -> dict[tuple, set[str]]:
    """The hidden counts of one LA's rows by filter value (``rows``: filter values -> counts).

    Cells are (row, column). The identities are the declared ``sums`` on every row and, for
    every filter with a ``Total`` value, ``Total row = sum of the value rows`` for every count,
    so a hidden cell cannot be worked out across rows either."""
    names = [i.name for i in spec.indicators if i.kind == "count"]
    cells = {(k, c): int(vals.get(c, 0)) for k, vals in rows.items() for c in names}
    primary = {cell for cell, v in cells.items()
               if is_small(v) and spec.indicator(cell[1]).suppress}
    primary |= {(k, h) for k, vals in rows.items() for h in spec.helpers if is_small(vals.get(h, 0))}
    identities = [((k, t), tuple((k, p) for p in parts)) for k in rows for t, parts in spec.sums]
    for i, f in enumerate(filters):
        if not f.total:
            continue
        for k in rows:
            if k[i] != f.total:
                continue
            members = [k[:i] + (v,) + k[i + 1:] for v in f.values if v != f.total]
            identities += [((k, c), tuple((m, c) for m in members)) for c in names]
    shared = shared_columns(spec)
    hidden = secondary(identities, cells, primary, {cell for cell in cells if cell[1] in shared})
    out: dict[tuple, set[str]] = {k: set() for k in rows}
    for k, c in hidden:
        out[k].add(c)
    return out


def secondary(sums, counts: dict, primary: set, shared=frozenset()) -> set:
    """``primary`` plus the cells hidden so that no identity ``total = sum(parts)`` has exactly
    one hidden cell. The cell hidden is the smallest visible non-zero part, else the total; a
    cell another table publishes (``shared``) is chosen last, so that tables sharing a measure
    show it alike (B1 hides ``Anypoint_episodes`` rather than ``At31_episodes``, which B2-B4
    publish, or ``Ended_episodes``, which B5 and B6 publish)."""
    sup = set(primary)
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            cells = (total, *parts)
            hidden = [c for c in cells if c in sup]
            if len(hidden) != 1:
                continue
            visible_parts = [p for p in parts if p not in sup and counts.get(p, 0) != 0]
            if hidden[0] == total and not visible_parts:
                continue  # every part is 0 or hidden: nothing to work out
            candidates = [(p in shared, 0, counts.get(p, 0), parts.index(p), p) for p in visible_parts]
            if total not in sup:
                candidates.append((total in shared, 1, 0, 0, total))
            if not candidates:  # pragma: no cover
                continue
            pick = min(candidates)[-1]
            sup.add(pick)
            changed = True
    return sup


def percent_cell(num: int, den: int | None, *, num_suppressed: bool, den_suppressed: bool,
                 dp: int, aggregated: bool) -> str:
    """One percentage cell, following the published conventions (see module docstring)."""
    if num_suppressed:
        return "c"
    if den is None or den == 0:
        return "z"
    if den_suppressed and num != 0:
        return "c"
    return fmt_fraction(Fraction(int(num) * 100, int(den)), dp, aggregated)
