"""Small-number suppression of LA cells (the published "c" convention).

* **Primary**: an LA count of 1 to 5 inclusive is shown ``c`` (0 is a true zero and is shown).
* **Helpers**: an unpublished count that a percentage divides (e.g. B2's children with each
  disability type) is hidden like a published one: its percentage is ``c``.
* **Secondary**: the additive identities declared on the table (``TableSpec.sums``:
  ``total = sum(parts)``, e.g. D5 ``CPP_At31`` = the five duration bands, C4 ``ICPC`` = the four
  duration bands, B1 ``Anypoint_episodes = Ended_episodes + At31_episodes``) let a reader bound a
  hidden cell by arithmetic. What a reader knows: every shown cell, that each identity holds, and
  that a ``c`` cell is at least 1 (a primary cell is 1-5, a secondary one any non-zero count, and
  the file does not say which is which). Secondary suppression only ever hides a non-zero cell,
  so "a ``c`` is at least 1" is all a reader can assume, and no more.

  From that knowledge each hidden cell has a feasible range ``[lo, hi]``
  (:func:`hidden_ranges`). A hidden cell is *exposed* when its range holds fewer values than
  1-5 does (``hi - lo < 4``, :func:`exposed`): pinned to one value, or narrowed to e.g. 1-2.
  For one identity with its total shown and ``k`` hidden parts whose hidden sum (the total less
  the shown parts) is ``S``, each hidden part ranges over ``[1, S - (k - 1)]``: the rule is
  ``S >= k + 4`` (``k = 1`` is always exposed: the cell is ``S``). A hidden total with at least
  one hidden part has no upper bound from its identity. Identities that share cells (D2 and D4
  have two sums with one total; rows suppressed as a block, below) are combined by propagating
  the ranges to a fixed point.

  While a cell is exposed, one more cell of an identity holding an exposed cell is hidden: the
  smallest visible non-zero part (ties: the first in declared order), else the total. Hiding a
  cell only widens the other ranges, so this ends. One more cell mends a single identity: a
  visible part of a suppressible count is at least 6, so ``S`` grows by at least 6 and ``k`` by
  1; a hidden total leaves the parts unbounded above.

  A count another table publishes too (a declared agreement, :func:`shared_columns`: D5's
  ``CPP_At31`` is D1's and D4's) is never picked by secondary suppression: hidden in one table
  alone it would still be shown by the other. Every table instead applies one rule alone, after
  primary suppression (:func:`shared_totals`): where the shared count totals an identity in any
  table sharing it (a component of the agreements), with ``P`` the most parts of such an identity
  (5 for ``CPP_At31``, 12 for ``Referrals``), an LA's count from 1 to ``P + 3`` is ``c`` in all of
  them. Why: a shown total leaves parts narrowed only when all its non-zero parts are hidden, so
  ``S`` is the total and ``k <= P``; ``P + 4`` or more gives ``S >= k + 4``. The secondary loop
  then always has a non-shared cell left (the parts of a shared total, B1's ``Anypoint_episodes``,
  D1's ``CPP_anypoint``); D5 Camden 2022 (7 over four hidden bands) now hides its total.
* **Across rows** (:func:`block_suppressed`): an LA's rows by the values of a filter with a
  ``Total`` are suppressed together, with ``Total = sum of the values`` as one more identity per
  count. (The fixed point of interval propagation is exact for one identity and for identities
  that share only their total, as D2's and D4's; over a block's row-and-column identities it can
  be wider than what linear programming would give. Every table with such a filter is
  national-only today, so no LA block is published.)
* **Derived cells**: a percentage or rate of a suppressed count is ``c``; a percentage whose
  denominator is suppressed is ``c`` unless its numerator is 0 (then ``0``, as published: D3 Isles
  of Scilly 2022); a percentage with denominator 0 is ``z``.

The blocking disclosure check (:func:`cin_pipeline.checks.disclosure.secondary_suppression`)
audits the published text with the same ranges. National and regional figures are never
suppressed (they are rounded to the nearest 10 instead). DfE's published files leave some hidden
cells exposed by this rule and show shared totals from 6 to ``P + 3`` (``checks/deviations.py``:
``PUBLISHED_DEVIATIONS``), so we hide more than they do there.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping, Sequence
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
    declared agreements): secondary suppression never hides them, so both tables show the same
    cell (those that are an identity's total are hidden by :func:`shared_totals` instead)."""
    return frozenset(a.column for a in spec.agreements) | _agreed_by_others(spec.table_id)


@lru_cache(maxsize=None)
def _shared_total_thresholds() -> dict[tuple[str, str], int]:
    """``(table id, column) -> P + 3`` for every count in a component of the agreements between
    tables with LA rows that is the total of an identity somewhere in that component (``P``: the
    most parts of such an identity). A component whose count is no identity's total is left out:
    no identity can need it hidden."""
    la = {t.table_id: t for t in all_tables() if not t.national_only}
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for t in la.values():
        for a in t.agreements:
            if a.other in la:
                parent[root((t.table_id, a.column))] = root((a.other, a.other_column))
    components: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for node in list(parent):
        components[root(node)].append(node)
    out = {}
    for members in components.values():
        p = max((len(parts) for tid, col in members for total, parts in la[tid].sums if total == col),
                default=0)
        if p:
            out.update({m: p + (HIGH - LOW) - 1 for m in members})
    return out


def shared_totals(spec: TableSpec) -> dict[str, int]:
    """This table's shared counts that some identity totals, each with the largest value hidden in
    every table publishing it (``P + 3``, module docstring): e.g. ``{"CPP_At31": 8}`` for D5."""
    return {col: top for (tid, col), top in _shared_total_thresholds().items() if tid == spec.table_id}


def suppressed_counts(spec: TableSpec, counts: dict[str, int]) -> set[str]:
    """Names of the counts of one LA row to show as ``c`` (hidden helper counts included: a
    percentage of a hidden helper is ``c``)."""
    sup = {i.name for i in spec.indicators
           if i.kind == "count" and i.suppress and is_small(counts.get(i.name, 0))}
    sup |= {h for h in spec.helpers if is_small(counts.get(h, 0))}
    sup |= {c for c, top in shared_totals(spec).items() if LOW <= int(counts.get(c, 0)) <= top}
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
    tops = shared_totals(spec)
    primary |= {cell for cell, v in cells.items() if cell[1] in tops and LOW <= v <= tops[cell[1]]}
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


Identity = tuple[Hashable, Sequence[Hashable]]   # (total, parts), cells named by any key


def hidden_ranges(identities: Sequence[Identity], shown: Mapping[Hashable, int],
                  hidden: Collection[Hashable], max_rounds: int = 50) -> dict[Hashable, tuple[int, float]]:
    """The feasible ``(lo, hi)`` of each hidden cell of ``identities`` (``hi`` may be ``inf``).

    A shown cell is its value, a hidden cell at least 1 (:data:`LOW`), a cell of an identity that
    is neither (``x``, ``z``, ``u`` in a published row) at least 0. Each identity
    ``total = sum(parts)`` narrows its cells' bounds (the total between the sums of the parts'
    bounds; a part between the total's bounds less the other parts' upper and lower bounds),
    repeated until no bound moves. ``lo > hi`` means the shown cells contradict the identities;
    ``max_rounds`` stops the propagation on such contradictory input."""
    lo: dict[Hashable, float] = {}
    hi: dict[Hashable, float] = {}
    for total, parts in identities:
        for c in (total, *parts):
            if c in hidden:
                lo[c], hi[c] = LOW, math.inf
            elif c in shown:
                lo[c] = hi[c] = int(shown[c])
            else:
                lo[c], hi[c] = 0, math.inf
    for _ in range(max_rounds):
        moved = False
        for total, parts in identities:
            bounds = [(total, sum(lo[p] for p in parts), sum(hi[p] for p in parts))]
            for p in parts:
                others_lo = sum(lo[q] for q in parts if q != p)
                others_hi = sum(hi[q] for q in parts if q != p)
                bounds.append((p, lo[total] - others_hi, hi[total] - others_lo))
            for c, new_lo, new_hi in bounds:
                if new_lo > lo[c]:
                    lo[c], moved = new_lo, True
                if new_hi < hi[c]:
                    hi[c], moved = new_hi, True
        if not moved:
            break
    return {c: (int(lo[c]), hi[c]) for c in lo if c in hidden}


def exposed(lo: float, hi: float) -> bool:
    """Whether a hidden cell's feasible range holds fewer values than 1-5 does (an exact value,
    a narrower range such as 1-2, or a contradiction ``lo > hi``)."""
    return hi - lo < HIGH - LOW


def exposed_cells(identities: Sequence[Identity], shown: Mapping[Hashable, int],
                  hidden: Collection[Hashable]) -> dict[Hashable, tuple[int, float]]:
    """The hidden cells a reader can pin down (see :func:`exposed`), with their ranges."""
    return {c: r for c, r in hidden_ranges(identities, shown, hidden).items() if exposed(*r)}


def secondary(sums: Sequence[Identity], counts: Mapping, primary: set, shared=frozenset()) -> set:
    """``primary`` plus the cells hidden so that no hidden cell of an identity
    ``total = sum(parts)`` is exposed (module docstring). The cell hidden next is one of the first
    identity holding an exposed cell that still has a cell to hide: its smallest visible non-zero
    part, else its total. A cell another table publishes (``shared``) is never picked, so that
    tables sharing a measure show it alike (B1 hides ``Anypoint_episodes`` rather than
    ``At31_episodes``, which B2-B4 publish, or ``Ended_episodes``, which B5 and B6 publish). A
    shared total that could be needed is hidden beforehand (:func:`shared_totals`), so with the
    declared tables an exposure is never left; if one were, the disclosure check would block it."""
    sup = set(primary)
    cells = {c for total, parts in sums for c in (total, *parts)}
    while True:
        shown = {c: counts.get(c, 0) for c in cells if c not in sup}
        bad = exposed_cells(sums, shown, sup & cells)
        if not bad:
            return sup
        for total, parts in sums:
            pick = _next_to_hide(total, parts, counts, sup, shared) if bad.keys() & {total, *parts} else None
            if pick is not None:
                sup.add(pick)
                break
        else:  # nothing this table may hide is left in the identities with an exposed cell
            return sup


def _next_to_hide(total, parts, counts: Mapping, sup: set, shared) -> Hashable | None:
    """The smallest visible non-zero part of ``total = sum(parts)`` that is not ``shared`` (ties:
    the first declared), else the total if it is visible, non-zero and not shared."""
    candidates = [(counts.get(p, 0), i, p) for i, p in enumerate(parts)
                  if p not in sup and p not in shared and counts.get(p, 0) != 0]
    if candidates:
        return min(candidates)[-1]
    if total not in sup and total not in shared and counts.get(total, 0) != 0:
        return total
    return None


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
