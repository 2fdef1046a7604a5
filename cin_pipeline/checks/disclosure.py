"""Disclosure control checks over the final EES text frames (pure functions).

* :func:`small_counts`: no LA count from 1 to 5 is published unsuppressed (CIN rule: "any number
  between 1 and 5 inclusive has been suppressed and replaced by 'c'"). National and regional
  counts are rounded to the nearest 10 and are out of scope.
* :func:`secondary_suppression`: a suppressed LA cell must not be recoverable by subtraction from
  the same row: for every additive identity ``total = sum(parts)`` (``TableSpec.sums``)
  exactly one ``c`` with every other term numeric
  discloses it; so does a ``c`` count whose percentage and denominator are both published.
* :func:`child_identifiers`: no child-level data: no column named like a child id, UPN or date
  of birth, no cell holding a UPN (``[A-Z]\\d{11}[0-9A-Z]``), a date, or an id-like token.

Each returns ``(passed, message, details)`` as a :class:`cin_pipeline.checks.cross.CrossResult`.
"""

from __future__ import annotations

import re
from typing import Sequence

import pandas as pd

from cin_pipeline.checks.cross import LA, CrossResult, _detail, _result, geo_name, num

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
    """``sums``: ``(total, parts)`` identities; ``percents``: ``(percent, numerator, denominator)``."""
    la = df[df["geographic_level"] == LA]
    details, checked = [], 0
    for total, parts in sums:
        cols = [total, *parts]
        if not set(cols) <= set(la.columns):
            continue
        sym = la[cols].astype(str).apply(lambda s: s.str.strip())
        vals = la[cols].apply(num)
        n_c = (sym == "c").sum(axis=1)
        n_num = vals.notna().sum(axis=1)
        exposed = (n_c == 1) & (n_num == len(cols) - 1)
        checked += int((n_c > 0).sum())
        for i in la.index[exposed]:
            r = la.loc[i]
            col = next(c for c in cols if sym.loc[i, c] == "c")
            parts_v = vals.loc[i, list(parts)].fillna(0).sum()
            hidden = parts_v if col == total else vals.loc[i, total] - parts_v
            details.append(_detail(table, r["time_period"], geo_name(r), col,
                                   f"secondary suppression ({total} = {' + '.join(parts)})",
                                   f"c recoverable as {int(abs(hidden))}"))
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
    return _result(table, "suppressed cells not recoverable from the same row", details, checked)


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
