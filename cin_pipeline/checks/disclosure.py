"""Disclosure control checks over the final EES text frames (pure functions).

* :func:`small_counts`: no LA count from 1 to 5 is published unsuppressed (CIN rule: "any number
  between 1 and 5 inclusive has been suppressed and replaced by 'c'"). National and regional
  counts are rounded to the nearest 10 and are out of scope.
* :func:`secondary_suppression`: a suppressed LA cell must not be narrowed down by arithmetic on
  the same row. A reader knows the shown cells, the additive identities ``total = sum(parts)``
  (``TableSpec.sums``) and that a ``c`` is at least 1; from these each ``c`` of an identity has a
  feasible range (:func:`cin_pipeline.ees.suppression.hidden_ranges`, propagated to a fixed point
  over identities sharing cells). The check fails for every ``c`` whose range holds fewer values
  than 1-5 (``hi - lo < 4``): an exact value (one ``c`` among shown terms) or a range such as
  1-2 (three ``c`` bands that the shown total leaves 3 for), with no exemption: a total other
  tables publish too is hidden with them when needed (:func:`cin_pipeline.ees.suppression.shared_totals`).
  A ``c`` count whose percentage and denominator are both published is flagged too, and so is a
  shown percentage of an unpublished count that gives away a count from 1 to 5.
* :func:`child_identifiers`: no child-level data: no column named like a child id, UPN or date
  of birth, no cell holding a UPN (``[A-Z]\\d{11}[0-9A-Z]``), a date, or an id-like token.

Each returns ``(passed, message, details)`` as a :class:`cin_pipeline.checks.cross.CrossResult`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from cin_pipeline.checks.cross import LA, CrossResult, _detail, _result, geo_name, num
from cin_pipeline.ees.suppression import exposed_cells

UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}([ T].*)?|\d{1,2}/\d{1,2}/\d{2,4})$")
ID_LIKE = re.compile(r"^(?=(?:\D*\d){4})[A-Za-z0-9_\-]{5,}$")
ID_COLUMN = re.compile(r"(child_?id|la_?child|upn|unique_pupil|birth|dob|date_of_birth|person_?id|pupil_?id)",
                       re.IGNORECASE)
GEOGRAPHY_COLS = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                  "region_code", "region_name", "old_la_code", "new_la_code", "la_name"}


def small_counts(df: pd.DataFrame, table: str, counts: Sequence[str]) -> CrossResult:
    la = df[df["geographic_level"] == LA]
    details, checked = [], 0
    for c in counts:
        if c not in la.columns:
            continue
        v = num(la[c])
        checked += int(v.notna().sum())
        for i in la.index[(v >= 1) & (v <= 5)]:
            r = la.loc[i]
            details.append(_detail(table, r["time_period"], geo_name(r), c, "c (1-5 must be suppressed)", r[c]))
    return _result(table, "no unsuppressed LA count from 1 to 5", details, checked)


def secondary_suppression(df: pd.DataFrame, table: str, sums: Sequence[tuple[str, Sequence[str]]] = (),
                          percents: Sequence[tuple[str, str, str]] = ()) -> CrossResult:
    """``sums``: ``(total, parts)`` identities; ``percents``: ``(percent, numerator, denominator)``.
    ``checked`` counts the LA rows with a ``c`` in an identity and the percentages looked at."""
    la = df[df["geographic_level"] == LA]
    details, checked = [], 0
    sums = [(t, tuple(p)) for t, p in sums if {t, *p} <= set(la.columns)]
    cols = list(dict.fromkeys(c for t, p in sums for c in (t, *p)))
    if cols:
        sym = la[cols].astype(str).apply(lambda s: s.str.strip())
        vals = la[cols].apply(num)
        for i in la.index[(sym == "c").any(axis=1)]:
            checked += 1
            hidden = {c for c in cols if sym.at[i, c] == "c"}
            shown = {c: int(v) for c, v in vals.loc[i].items() if c not in hidden and pd.notna(v)}
            for col, (lo, hi) in exposed_cells(sums, shown, hidden).items():
                r = la.loc[i]
                mine = [(t, p) for t, p in sums if col in (t, *p)]
                named = "; ".join(f"{t} = {' + '.join(p)}" for t, p in mine)
                found = (f"c recoverable as {lo}" if lo == hi else
                         f"c narrowed to {lo}-{int(hi)}" if lo < hi else
                         "c in a row whose shown cells contradict the identity")
                details.append(_detail(
                    table, r["time_period"], geo_name(r), col,
                    f"secondary suppression (a c ranges over 5 values or more; {named})", found))
    for pct, n, d in percents:
        if {pct, d} <= set(la.columns) and n not in la.columns:
            # the numerator is not published: a shown percentage and denominator give it away
            p_v, d_v = num(la[pct]), num(la[d])
            implied = (p_v * d_v / 100).round()
            exposed = p_v.notna() & d_v.notna() & (implied >= 1) & (implied <= 5)
            checked += int((p_v.notna() & d_v.notna()).sum())
            for i in la.index[exposed]:
                r = la.loc[i]
                details.append(_detail(table, r["time_period"], geo_name(r), pct,
                                       f"c (its unpublished count {n} is 1-5)",
                                       f"{r[pct]} of {d} = {r[d]} (recovers {int(implied[i])})"))
            continue
        if not {pct, n, d} <= set(la.columns):
            continue
        cn = la[n].astype(str).str.strip() == "c"
        exposed = cn & num(la[pct]).notna() & num(la[d]).notna()
        checked += int(cn.sum())
        for i in la.index[exposed]:
            r = la.loc[i]
            details.append(_detail(table, r["time_period"], geo_name(r), pct,
                                   f"c (its count {n} is suppressed)",
                                   f"{r[pct]} with {d} = {r[d]} (recovers {n})"))
    res = _result(table, "suppressed cells not narrowed down from the same row", details, checked)
    return res


def child_identifiers(df: pd.DataFrame, table: str) -> CrossResult:
    details = []
    for c in df.columns:
        if ID_COLUMN.search(str(c)):
            details.append(_detail(table, "", "", c, "no child-level column", f"column '{c}'"))
    for c in df.columns:
        if c in GEOGRAPHY_COLS:
            continue
        s = df[c].astype(str).str.strip()
        hits = s[s.str.match(UPN) | s.str.match(DATE)]
        if num(s).isna().all() or s.str.contains(r"[A-Za-z]").any():  # text (filter) columns
            hits = pd.concat([hits, s[s.str.match(ID_LIKE) & ~s.str.fullmatch(r"\d+(\.\d+)?")]])
        for i in hits.index.unique()[:50]:
            r = df.loc[i]
            details.append(_detail(table, r.get("time_period", ""), geo_name(r), c,
                                   "no UPN, date or child id", s[i]))
    return _result(table, "no child-level identifiers", details, df.shape[0] * df.shape[1])
