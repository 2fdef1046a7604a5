"""Arithmetic checks over the final EES frames (pure functions, no Dagster).

Every check returns a :class:`CrossResult` ``(passed, message, details)``; ``details`` lists
every mismatch with table, year, geography, column, expected and found values, and ``message``
names the first ones.

Rounding rule of the published files: national and regional counts are
``round_half_up_10(sum of the unrounded LA values)`` - carried-forward figures for LAs without a
usable return included (Hampshire 2023 in 2024, Hackney 2020 in 2021-22) - while LA counts are
exact and percentages come from unrounded counts.

Two modes, decided per call:

* **unrounded** (``unrounded=`` given): the query output of the table (``year, la, <filters>,
  <counts>`` unrounded integers at LA level, carried-forward and suppressed values included, as in
  the ``TableSpec`` query contract). National/regional values must equal exactly
  ``round_half_up_10`` of the sums, and LA text values must equal the unrounded ones where not
  suppressed. This is the mode used on our own tables.
* **text only** (published files, or when no unrounded values are stored): the national figure
  must lie within ``[S + n_c - 5, S + 5 * n_c + 5]`` where ``S`` is the sum of the numeric LA
  cells, ``n_c`` the number of ``c`` cells (each hides 1-5, ``c_max``) and 5 the rounding to 10.
  Secondary suppression can hide any value behind ``c``: for tables that use it (D5 bands, C3,
  C4 durations, B1 2023 ``Ended_child``) pass ``c_max=None`` and the upper bound is dropped when
  the year has ``c`` cells. ``x``/``u`` LAs contribute the figure of ``carry_forward_from`` in
  ``reference.la_year_status()`` (Hampshire 2024 <- 2023, Hackney 2021-22 <- 2020); an ``x``/``u``
  LA without one (Norfolk 2013, Cornwall 2014, Herefordshire C1 2024...) makes that year and
  column not checkable from text (the totals include a figure that was never published).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from cin_pipeline.ees.numbers import round_half_up, round_to_10
from cin_pipeline.reference import la_year_status

NATIONAL, REGIONAL, LA = "National", "Regional", "Local authority"
NINE_REGIONS = tuple(f"E1200000{i}" for i in range(1, 10))
LONDON, INNER, OUTER = "E12000007", "E13000001", "E13000002"


@dataclass
class CrossResult:
    passed: bool
    message: str
    details: list[dict] = field(default_factory=list)

    def __iter__(self):  # allows ``passed, message, details = check(...)``
        return iter((self.passed, self.message, self.details))


def round_half_up_10(x) -> int:
    """The published rounding of a national or regional count (exact: :mod:`cin_pipeline.ees.numbers`)."""
    return round_to_10(int(x))


def percent_half_up(num, den, dp: int) -> float:
    """``100 * num / den`` rounded half up to ``dp`` places, exactly (as the formatter does)."""
    return float(round_half_up(Fraction(int(num) * 100, int(den)), dp))


def num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(str).str.strip(), errors="coerce")


def _unique_index(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with an index that names one row each (the checks look cells up by it)."""
    return df if df.index.is_unique else df.reset_index(drop=True)


def geo_code(df: pd.DataFrame) -> pd.Series:
    """The code of each row's geography: country, region or 3-digit LA code."""
    lv = df["geographic_level"]
    code = df["country_code"].astype(str)
    if "region_code" in df.columns:
        code = code.where(lv != REGIONAL, df["region_code"].astype(str))
    if "old_la_code" in df.columns:
        code = code.where(lv != LA, df["old_la_code"].astype(str))
    return code


def geo_name(row) -> str:
    lv = row.get("geographic_level", "")
    if lv == LA:
        return f"{row.get('la_name', '')} ({row.get('old_la_code', '')})"
    if lv == REGIONAL:
        return f"{row.get('region_name', '')} ({row.get('region_code', '')})"
    return row.get("country_name", "England") or "England"


def _result(table: str, what: str, details: list[dict], checked: int) -> CrossResult:
    if not details:
        return CrossResult(True, f"{table}: {what}: {checked} comparisons, all consistent.", [])
    head = "; ".join(
        f"{d['table']} {d['year']} {d['geography']} {d['column']}: expected {d['expected']}, found {d['found']}"
        for d in details[:5])
    more = f" (and {len(details) - 5} more)" if len(details) > 5 else ""
    return CrossResult(False, f"{table}: {what}: {len(details)} of {checked} comparisons fail: {head}{more}.", details)


def _filters_of(df: pd.DataFrame, filters: Sequence[str]) -> list[str]:
    """Filter columns that vary (constant ones, e.g. category, need no grouping)."""
    return [f for f in filters if f in df.columns and df[f].nunique() > 1]


def _detail(table, year, geography, column, expected, found, **extra) -> dict:
    return dict(table=table, year=str(year), geography=geography, column=column,
                expected=expected, found=found, **extra)


def _carried(la: pd.DataFrame, col: str) -> pd.Series:
    """Per LA row whose cell is ``x``/``u``: the value the national and regional totals include
    for it - the figure of ``carry_forward_from`` (``reference.la_year_status()``) in the same
    file - or NaN when the published totals include an unknown figure for it."""
    st = la_year_status()
    cf = {(str(y), str(l)): str(int(f)) for y, l, f in zip(st["year"], st["la"], st["carry_forward_from"])
          if str(f).strip() not in ("", "<NA>", "nan")}
    vals = {(y, l): v for y, l, v in zip(la["time_period"], la["old_la_code"], num(la[col]))}
    out = [vals.get((cf.get((y, l)), l), np.nan) if (y, l) in cf else np.nan
           for y, l in zip(la["time_period"], la["old_la_code"])]
    return pd.Series(out, index=la.index, dtype=float)


# --- national = sum of LAs ------------------------------------------------------------------

def national_equals_la_sum(df: pd.DataFrame, table: str, counts: Sequence[str], *,
                           unrounded: pd.DataFrame | None = None, filters: Sequence[str] = (),
                           years: Iterable[int] | None = None, c_max: int | None = 5) -> CrossResult:
    """National count = round_half_up_10(sum of the LA values) (see module docstring)."""
    return _parent_equals_children(df, table, counts, parent_level=NATIONAL, unrounded=unrounded,
                                   filters=filters, years=years, c_max=c_max)


def _parent_equals_children(df, table, counts, *, parent_level, unrounded, filters, years,
                            region_of_la: dict[str, str] | None = None, c_max: int | None = 5) -> CrossResult:
    df = _unique_index(df)
    fcols = _filters_of(df, filters)
    yrs = {str(y) for y in years} if years is not None else None
    la = df[df["geographic_level"] == LA]
    parents = df[df["geographic_level"] == parent_level]
    if yrs is not None:
        la, parents = la[la["time_period"].isin(yrs)], parents[parents["time_period"].isin(yrs)]
    if la.empty or parents.empty:
        return CrossResult(True, f"{table}: no {parent_level.lower()} and LA rows to compare.", [])
    if parent_level == REGIONAL:
        region_of_la = region_of_la or dict(zip(la["old_la_code"], la["region_code"]))
    details, checked = [], 0
    if unrounded is not None:
        u = unrounded.copy()
        u["time_period"] = u["year"].astype(int).astype(str)
        u["la"] = u["la"].astype(str)
        if parent_level == REGIONAL:
            u["parent"] = u["la"].map(region_of_la)
            london = u[u["parent"].isin([INNER, OUTER])].assign(parent=LONDON)
            u = pd.concat([u, london])
        else:
            u["parent"] = parents["country_code"].iloc[0]
        sums = u.groupby(["time_period", "parent", *fcols], dropna=False)[list(counts)].sum()
        parsed = {c: num(parents[c]) for c in counts}  # every cell parsed at once, not row by row
        for i, row in parents.iterrows():
            code = row["region_code"] if parent_level == REGIONAL else row["country_code"]
            k = (row["time_period"], code, *[row[f] for f in fcols])
            if k not in sums.index:
                continue
            for c in counts:
                found = parsed[c][i]
                if np.isnan(found):
                    continue
                checked += 1
                exp = round_half_up_10(sums.loc[k, c])
                if int(found) != exp:
                    details.append(_detail(table, row["time_period"], geo_name(row), c, exp, row[c],
                                           unrounded_sum=int(sums.loc[k, c])))
        # LA text values must be the unrounded values where published as numbers
        ul = unrounded.assign(time_period=unrounded["year"].astype(int).astype(str),
                              old_la_code=unrounded["la"].astype(str))
        merged = la.merge(ul, on=["time_period", "old_la_code", *fcols], suffixes=("", "__u"))
        for c in counts:
            if f"{c}__u" not in merged:
                continue
            t, v = num(merged[c]), merged[f"{c}__u"]
            bad = t.notna() & (t != v)
            checked += int(t.notna().sum())
            for i in merged.index[bad]:
                r = merged.loc[i]
                details.append(_detail(table, r["time_period"], geo_name(r), c, int(v[i]), r[c]))
        return _result(table, f"{parent_level.lower()} = round10(sum of unrounded LA values)", details, checked)

    # text-only mode: bounds
    key_cols = ["time_period", *fcols]
    for c in counts:
        v = num(la[c])
        sym = la[c].astype(str).str.strip()
        carried = _carried(la, c) if ("x" in set(sym) or "u" in set(sym)) else pd.Series(np.nan, index=la.index)
        parts = pd.DataFrame({
            **{k: la[k] for k in key_cols},
            "parent": la["old_la_code"].map(region_of_la) if parent_level == REGIONAL else "all",
            "s": v.fillna(0),
            "n_c": (sym == "c").astype(int),
            "cf": carried.where(sym.isin(["x", "u"]), 0).fillna(0),
            "missing": (sym.isin(["x", "u"]) & carried.isna()).astype(int),
        }, index=la.index)
        if parent_level == REGIONAL:
            london = parts[parts["parent"].isin([INNER, OUTER])].assign(parent=LONDON)
            parts = pd.concat([parts, london])
        agg = parts.groupby([*key_cols, "parent"])[["s", "n_c", "cf", "missing"]].sum()
        parsed = num(parents[c])
        for i, row in parents.iterrows():
            found = parsed[i]
            if np.isnan(found):
                continue
            parent = row["region_code"] if parent_level == REGIONAL else "all"
            k = (*[row[kc] for kc in key_cols], parent)
            if k not in agg.index:
                continue
            a = agg.loc[k]
            if a["missing"]:
                continue  # an x/u LA with no earlier figure: not checkable from text
            checked += 1
            base = a["s"] + a["cf"]
            lo = base + a["n_c"] - 5
            hi = base + 5 * a["n_c"] + 5 if (c_max is not None or not a["n_c"]) else math.inf
            if c_max is not None:
                hi = base + c_max * a["n_c"] + 5
            if not (lo <= found <= hi):
                rng = f"{int(lo)}..{int(hi)}" if hi != math.inf else f">= {int(lo)}"
                details.append(_detail(table, row["time_period"], geo_name(row), c,
                                       rng, row[c], la_sum=int(a["s"]),
                                       suppressed=int(a["n_c"]), carried_forward=int(a["cf"])))
    return _result(table, f"{parent_level.lower()} consistent with the sum of its LAs (text bounds)",
                   details, checked)


def regions_add_up(df: pd.DataFrame, table: str, counts: Sequence[str], *,
                   unrounded: pd.DataFrame | None = None, filters: Sequence[str] = (),
                   years: Iterable[int] | None = None, c_max: int | None = 5) -> CrossResult:
    """Each region = round10(sum of its LAs); the 9 regions add up to national and Inner + Outer
    London to London, within the rounding of the published figures (±5 per rounded term)."""
    df = _unique_index(df)
    fcols = _filters_of(df, filters)
    d = df if years is None else df[df["time_period"].isin({str(y) for y in years})]
    parts = [_parent_equals_children(d, table, counts, parent_level=REGIONAL, unrounded=unrounded,
                                     filters=filters, years=None, c_max=c_max)]
    details, checked = [], 0
    code = geo_code(d)
    parsed = {c: num(d[c]) for c in counts}  # every cell parsed at once, not group by group
    for keys, g in d.groupby(["time_period", *fcols]):
        keys = keys if isinstance(keys, tuple) else (keys,)
        gcode = code[g.index]
        for total, members, label in ((NATIONAL, NINE_REGIONS, "9 regions"), (LONDON, (INNER, OUTER), "Inner + Outer London")):
            trow = g[(g["geographic_level"] == NATIONAL) if total == NATIONAL
                     else ((g["geographic_level"] == REGIONAL) & (gcode == LONDON))]
            mrows = g[(g["geographic_level"] == REGIONAL) & gcode.isin(members)]
            if trow.empty or len(mrows) != len(members):
                continue
            tr = trow.iloc[0]
            for c in counts:
                t, m = parsed[c][trow.index[0]], parsed[c][mrows.index]
                if np.isnan(t) or m.isna().any():
                    continue
                checked += 1
                tol = 5 * (len(members) + 1)
                if abs(m.sum() - t) > tol:
                    details.append(_detail(table, keys[0], geo_name(tr), c,
                                           f"{label} = {int(m.sum())} (±{tol})", tr[c]))
    parts.append(_result(table, "regions add up to national and Inner + Outer London to London", details, checked))
    return combine(table, parts)


def combine(table: str, results: Sequence[CrossResult]) -> CrossResult:
    details = [d for r in results for d in r.details]
    ok = all(r.passed for r in results)
    return CrossResult(ok, " ".join(r.message for r in results), details)


# --- identities and percentages ---------------------------------------------------------

def identity(df: pd.DataFrame, table: str, total: str, parts: Sequence[str], *,
             unrounded: pd.DataFrame | None = None) -> CrossResult:
    """``total = sum(parts)`` on every row: exact on LA rows (and on unrounded values), within
    ±5 per rounded term on national/regional rows. Rows with any symbol are skipped."""
    details, checked = [], 0
    t = num(df[total])
    p = pd.concat([num(df[c]) for c in parts], axis=1)
    ok_rows = t.notna() & p.notna().all(axis=1)
    rounded = df["geographic_level"] != LA
    tol = np.where(rounded, 5 * (len(parts) + 1), 0)
    diff = (p.sum(axis=1) - t).abs()
    for i in df.index[ok_rows & (diff > tol)]:
        r = df.loc[i]
        details.append(_detail(table, r["time_period"], geo_name(r), total,
                               f"{' + '.join(parts)} = {int(p.loc[i].sum())}", r[total]))
    checked += int(ok_rows.sum())
    if unrounded is not None and {total, *parts} <= set(unrounded.columns):
        bad = unrounded[unrounded[list(parts)].sum(axis=1) != unrounded[total]]
        checked += len(unrounded)
        for _, r in bad.iterrows():
            details.append(_detail(table, r["year"], f"LA {r['la']} (unrounded)", total,
                                   int(r[list(parts)].sum()), int(r[total])))
    return _result(table, f"{total} = {' + '.join(parts)}", details, checked)


def percentages_consistent(df: pd.DataFrame, table: str,
                           percents: Sequence[tuple[str, str, str, int]], *,
                           unrounded: pd.DataFrame | None = None, filters: Sequence[str] = ()) -> CrossResult:
    """For each ``(percent, numerator, denominator, dp)``: on LA rows the percentage equals
    ``round_half_up(100 * num / den, dp)`` of the published counts; on national/regional rows it
    must be reachable from counts within ±5 of the rounded ones (percentages come from
    unrounded counts). With ``unrounded`` (LA level) the national and regional percentages are
    recomputed exactly from the sums."""
    df = _unique_index(df)
    details, checked = [], 0
    fcols = _filters_of(df, filters)
    for pct, n, d, dp in percents:
        if not {pct, n, d} <= set(df.columns):
            continue  # denominator is an unpublished helper: only checkable with unrounded values
        p, nv, dv = num(df[pct]), num(df[n]), num(df[d])
        ok = p.notna() & nv.notna() & dv.notna() & (dv > 0)
        la = df["geographic_level"] == LA
        half = 0.5 / 10 ** dp + 1e-9
        exact = (100 * nv / dv)
        lo = 100 * (nv - 5).clip(lower=0) / (dv + 5)
        hi = 100 * (nv + 5) / (dv - 5).clip(lower=1)
        bad_la = ok & la & ((exact - p).abs() > half)
        bad_ag = ok & ~la & ((p < lo - half) | (p > hi + half))
        checked += int(ok.sum())
        for i in df.index[bad_la | bad_ag]:
            r = df.loc[i]
            exp = round_half_up(exact[i], dp) if la[i] else f"{round_half_up(lo[i], dp)}..{round_half_up(hi[i], dp)}"
            details.append(_detail(table, r["time_period"], geo_name(r), pct, exp, r[pct]))
    if unrounded is not None:
        ag = df[df["geographic_level"] != LA]
        region_of_la = dict(zip(df.loc[df["geographic_level"] == LA, "old_la_code"],
                                df.loc[df["geographic_level"] == LA, "region_code"])) if "region_code" in df else {}
        u = unrounded.assign(time_period=unrounded["year"].astype(int).astype(str), la=unrounded["la"].astype(str))
        keys = ["time_period", *fcols]
        # the unrounded rows of each year and filter values, found by key, not by a scan per row
        by_key = {(k if isinstance(k, tuple) else (k,)): g for k, g in u.groupby(keys, sort=False)}
        empty = u.iloc[0:0]
        parsed = {pct: num(ag[pct]) for pct, _n, _d, _dp in percents if pct in ag.columns}
        for i, r in ag.iterrows():
            sel = by_key.get(tuple(r[k] for k in keys), empty)
            if r["geographic_level"] == REGIONAL:
                code = r["region_code"]
                members = {la for la, rg in region_of_la.items()
                           if rg == code or (code == LONDON and rg in (INNER, OUTER))}
                sel = sel[sel["la"].isin(members)]
            for pct, n, d, dp in percents:
                if pct not in df.columns or n not in sel or d not in sel:
                    continue
                found = parsed[pct][i]
                den = sel[d].sum()
                if np.isnan(found) or den == 0:
                    continue
                checked += 1
                exp = percent_half_up(sel[n].sum(), den, dp)
                if abs(exp - found) > 1e-6:
                    details.append(_detail(table, r["time_period"], geo_name(r), pct, exp, r[pct]))
    return _result(table, "percentages consistent with their counts", details, checked)


# --- the same measure in two tables ---------------------------------------------------------

def _pick_rows(df: pd.DataFrame, rows: Sequence[tuple[str, str]],
               totals: dict[str, str] | None = None) -> tuple[pd.DataFrame, str | None]:
    """The rows of ``df`` where each ``(filter, value)`` of ``rows`` holds; a filter's total value
    (``totals``: filter -> its Total) keeps every row (the sum over its values). Returns the rows
    and the first filter ``df`` lacks (None when it has them all)."""
    for col, value in rows:
        if (totals or {}).get(col) == value:
            continue
        if col not in df.columns:
            return df, col
        df = df[df[col].astype(str) == value]
    return df, None


def measures_agree(a: pd.DataFrame, table_a: str, col_a: str, b: pd.DataFrame, table_b: str, col_b: str, *,
                   years: Iterable[int] | None = None, levels: Sequence[str] = (NATIONAL, REGIONAL, LA),
                   rows_a: Sequence[tuple[str, str]] = (),
                   rows_b: Sequence[tuple[str, str]] = ()) -> CrossResult:
    """The same measure published in two tables must be identical cell by cell (same text,
    symbols included) for every year and geography both tables have. ``rows_a``/``rows_b``:
    filter values that pick the rows of ``a``/``b`` holding the measure (e.g. the Total rows of
    a long table)."""
    a, missing = _pick_rows(_unique_index(a), rows_a)
    if missing:
        return CrossResult(False, f"{table_a} has no filter {missing}", [])
    b, missing = _pick_rows(b, rows_b)
    if missing:
        return CrossResult(False, f"{table_b} has no filter {missing}", [])

    def keyed(df, col):
        d = df[df["geographic_level"].isin(levels)]
        if years is not None:
            d = d[d["time_period"].isin({str(y) for y in years})]
        # the geography's name is written only for the rows that differ (below)
        return pd.DataFrame({"time_period": d["time_period"], "level": d["geographic_level"],
                             "code": geo_code(d), "value": d[col].astype(str), "row": d.index})
    if col_a not in a.columns or col_b not in b.columns:
        return CrossResult(True, f"{table_a}.{col_a} / {table_b}.{col_b}: column absent, nothing to compare.", [])
    ka, kb = keyed(a, col_a), keyed(b, col_b)
    m = ka.merge(kb, on=["time_period", "level", "code"], suffixes=("_a", "_b"))
    bad = m[m["value_a"] != m["value_b"]]
    details = [_detail(table_b, r["time_period"], geo_name(a.loc[r["row_a"]]), col_b,
                       f"{r['value_a']} (= {table_a}.{col_a})", r["value_b"]) for _, r in bad.iterrows()]
    return _result(f"{table_a}/{table_b}", f"{table_a}.{col_a} agrees with {table_b}.{col_b}", details, len(m))


def counts_agree(a: pd.DataFrame, table_a: str, col_a: str, b: pd.DataFrame, table_b: str, col_b: str, *,
                 years: Iterable[int] | None = None, rows_a: Sequence[tuple[str, str]] = (),
                 totals: dict[str, str] | None = None, rows_b: Sequence[tuple[str, str]] = (),
                 totals_b: dict[str, str] | None = None) -> CrossResult:
    """The same count in two tables must be identical on the **unrounded** LA values that make up
    their totals (``la_contributions``: ``year, la, <filters>, <counts>``), LA-year by LA-year, so
    that a published national figure rounded to 10 cannot hide a difference. ``rows_a`` picks the
    rows of ``a`` holding the count; a filter's ``Total`` value (``totals``: filter -> its total
    value) is the sum over its values, as the formatter adds it. ``b``'s rows of an LA-year are
    summed; ``rows_b``/``totals_b`` pick them as ``rows_a``/``totals`` do ``a``'s."""
    a, missing = _pick_rows(a, rows_a, totals)
    if missing:
        return CrossResult(False, f"{table_a} has no filter {missing}", [])
    b, missing = _pick_rows(b, rows_b, totals_b)
    if missing:
        return CrossResult(False, f"{table_b} has no filter {missing}", [])

    def per_la_year(df, col):
        d = df if years is None else df[df["year"].astype(int).isin({int(y) for y in years})]
        return d.groupby([d["year"].astype(int), d["la"].astype(str)])[col].sum()

    sa, sb = per_la_year(a, col_a), per_la_year(b, col_b)
    m = pd.concat([sa.rename("a"), sb.rename("b")], axis=1).fillna(0).astype("int64")
    bad = m[m["a"] != m["b"]]
    details = [_detail(table_b, y, f"LA {la} (unrounded)", col_b, f"{r['a']} (= {table_a}.{col_a})", r["b"])
               for (y, la), r in bad.iterrows()]
    return _result(f"{table_a}/{table_b}", f"unrounded {table_a}.{col_a} agrees with {table_b}.{col_b}",
                   details, len(m))


# --- window tables (re-referrals F2) ------------------------------------------------------

def window_agrees(df: pd.DataFrame, table: str, indicators: Sequence[tuple[str, int, int]],
                  filter_name: str, release_year: int, other: pd.DataFrame, other_table: str,
                  other_column: str) -> CrossResult:
    """A window table (:class:`~cin_pipeline.tables.declare.EventWindow`, F2) against the LA
    figures it repeats. ``indicators``: ``(column, offset, national dp)``. Every LA cell of year
    ``Y`` at offset ``k`` equals ``other``'s ``other_column`` of the LA in year ``Y + k`` (``z``
    after the release year); every National cell is the median of its filter value's LA cells
    (:func:`cin_pipeline.ees.rows.window_median`)."""
    from cin_pipeline.ees.rows import window_median

    details, checked = [], 0
    o = other[other["geographic_level"] == LA]
    look = {(str(t), str(la)): str(v) for t, la, v in zip(o["time_period"], o["old_la_code"], o[other_column])}
    las = df[df["geographic_level"] == LA]
    for _, r in las.iterrows():
        for col, k, _ in indicators:
            t = int(r["time_period"]) + k
            want = "z" if t > release_year else look.get((str(t), str(r["old_la_code"])))
            if want is None:
                continue  # a year the other table does not publish
            checked += 1
            if str(r[col]) != want:
                details.append(_detail(table, r["time_period"], geo_name(r), col,
                                       f"{want} ({other_table} {t})", r[col]))
    for _, r in df[df["geographic_level"] != LA].iterrows():
        sel = las[las[filter_name] == r[filter_name]]
        for col, _, dp in indicators:
            checked += 1
            want = window_median([str(v) for v in sel[col]], dp)
            if str(r[col]) != want:
                details.append(_detail(table, r["time_period"], f"England ({r[filter_name]})", col,
                                       f"median {want}", r[col]))
    ok = not details
    msg = (f"{table}: {checked} cells agree with {other_table}.{other_column} and their medians"
           if ok else f"{table}: {len(details)} of {checked} cells differ from "
                      f"{other_table}.{other_column} or their medians")
    return CrossResult(ok, msg, details)
