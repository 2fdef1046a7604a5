"""EES writer: from a :class:`~cin_pipeline.tables.registry.TableSpec` and its unrounded LA-level
counts to the exact rows of the published ``.csv`` and its ``.meta.csv``.

Conventions (published_tables.md section 0 and 1a; checked against the real 2024 files):

* Columns: ``time_period, time_identifier, geographic_level, country_code, country_name,
  region_code, region_name, old_la_code, new_la_code, la_name`` (national-only tables stop after
  ``country_name``), then the filters, then the indicators, in declaration order.
* Rows: years newest first; per year the National row, the 11 Regional rows (E12000001-E12000009,
  then Inner London E13000001 and Outer London E13000002) and the LA rows valid in that year, in
  the published order (:func:`cin_pipeline.reference.las_for_year`); London boroughs carry their
  Inner/Outer London code and name on LA rows.
* National and regional **counts** = sum of unrounded LA values, rounded half-up to the nearest 10
  (399505 -> 399510); LA counts unrounded. **Percentages and rates** (1 dp, half-up) are computed
  from unrounded counts at every level; rates per 10,000 children aged 0-17
  (:func:`cin_pipeline.reference.population_for`). Numbers are written without trailing zeros
  (``21`` not ``21.0``), as in the published files.
* Symbols (:mod:`cin_pipeline.publish.suppression`): ``c`` LA counts 1-5 and secondary
  suppression, ``x`` not available (LA without a usable return, item not collected that year),
  ``u`` low reliability, ``z`` not applicable (zero denominator, no observations), ``k`` a
  non-zero national/regional value that rounds to 0.
* LAs configured in :func:`cin_pipeline.reference.la_year_status` (for this table's file) show
  ``x``/``u`` on their own row; the national and regional totals include the ``carry_forward_from``
  year's values for them when one is configured (Hackney 2021-22 <- 2020, Hampshire 2024 <- 2023),
  else the LA's own values for the year (if any).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from itertools import product

import numpy as np
import pandas as pd

from cin_pipeline import reference
from cin_pipeline.publish import suppression
from cin_pipeline.tables.registry import SQL_DIR, TableSpec


TIME_IDENTIFIER = "Reporting year"
COUNTRY = ("E92000001", "England")
GEO_COLUMNS = ["region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
BASE_COLUMNS = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name"]
META_COLUMNS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
                "indicator_dp", "filter_hint", "filter_grouping_column"]


def standard_columns(spec: TableSpec) -> list[str]:
    return BASE_COLUMNS + ([] if spec.national_only else GEO_COLUMNS)


# ----------------------------------------------------------------------------- numbers
def round_half_up(value: int | Fraction | float, dp: int = 0) -> Decimal:
    """Round half-up exactly (floats go through their shortest repr)."""
    if isinstance(value, Fraction):
        scaled = value * (10 ** dp)
        q, r = divmod(scaled.numerator, scaled.denominator)
        if 2 * r >= scaled.denominator:
            q += 1
        return Decimal(q).scaleb(-dp)
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(
        Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def round_to_10(n: int) -> int:
    """Nearest 10, halves up: 399505 -> 399510, 4 -> 0, 5 -> 10."""
    return int(round_half_up(Fraction(int(n), 10), 0)) * 10


def fmt(value: Decimal | int) -> str:
    """Published number format: no trailing zeros after the point, no exponent."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(int(d))
    s = format(d.normalize(), "f")
    return s


def fmt_fraction(value: Fraction, dp: int, aggregated: bool) -> str:
    r = round_half_up(value, dp)
    if r == 0 and value != 0 and aggregated:
        return "k"
    return fmt(r)


def percentile(values: list[float] | np.ndarray, q: float) -> Fraction | None:
    """Linear-interpolation percentile (numpy default / Excel PERCENTILE.INC), exact."""
    if len(values) == 0:
        return None
    v = sorted(int(x) for x in values)
    pos = Fraction(q).limit_denominator(1000) * (len(v) - 1)
    lo = int(pos)
    frac = pos - lo
    if lo + 1 >= len(v):
        return Fraction(v[-1])
    return Fraction(v[lo]) + (Fraction(v[lo + 1]) - Fraction(v[lo])) * frac


# ----------------------------------------------------------------------------- reference
@lru_cache(maxsize=None)
def _las_for_year(year: int) -> pd.DataFrame:
    """:func:`cin_pipeline.reference.las_for_year`, once per process (read-only: do not modify)."""
    return reference.las_for_year(year)


@dataclass
class Geography:
    """Reference data the writer needs for one release year (cached per process)."""

    status: dict[tuple[int, str], tuple[str, int | None]] = field(default_factory=dict)
    _las: dict[int, pd.DataFrame] = field(default_factory=dict)
    _pop: dict[int, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, status_file: str | None) -> "Geography":
        st = reference.la_year_status()
        out: dict[tuple[int, str], tuple[str, int | None]] = {}
        for r in st.itertuples(index=False):
            files = str(getattr(r, "files", "") or "")
            scope = str(getattr(r, "scope", "") or "")
            if status_file and scope != "whole_return" and status_file not in files.split(";"):
                continue
            cf = r.carry_forward_from
            carry = None if cf is None or pd.isna(cf) or cf == "" else int(cf)
            out[(int(r.year), str(r.la))] = (str(r.status), carry)
        return cls(status=out)

    def las(self, year: int) -> pd.DataFrame:
        if year not in self._las:
            self._las[year] = _las_for_year(year)
        return self._las[year]

    def population(self, year: int) -> dict[str, int]:
        if year not in self._pop:
            try:
                self._pop[year] = reference.population_for(year)
            except ValueError:
                self._pop[year] = {}
        return self._pop[year]


# ----------------------------------------------------------------------------- queries
def prepare(con) -> None:
    """Create the macros the table queries use (temporary, per connection)."""
    con.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))


def run_query(con, spec: TableSpec) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Run the table's query (and distributions): unrounded LA-level counts."""
    prepare(con)
    counts = con.sql(spec.query).df()
    dists = {name: con.sql(q).df() for name, q in spec.distributions.items()}
    return normalise_counts(spec, counts), dists


def normalise_counts(spec: TableSpec, counts: pd.DataFrame) -> pd.DataFrame:
    cols = {c.lower(): c for c in counts.columns}
    need = ["year", "la", *[f.name for f in spec.query_filters], *spec.count_columns]
    missing = [c for c in need if c.lower() not in cols]
    if missing:
        raise ValueError(f"{spec.table_id}: query lacks columns {missing}")
    df = counts.rename(columns={cols[c.lower()]: c for c in need})[need].copy()
    df["year"] = df["year"].astype(int)
    df["la"] = df["la"].astype(str)
    for c in spec.count_columns:
        df[c] = pd.to_numeric(df[c]).fillna(0).astype("int64")
    for f in spec.query_filters:
        df[f.name] = df[f.name].astype(str)
        if f.values:
            bad = set(df[f.name]) - set(f.values)
            if bad:
                raise ValueError(f"{spec.table_id}: unexpected {f.name} values {sorted(bad)}")
    return df


# ----------------------------------------------------------------------------- rows
@dataclass
class EesOutput:
    spec: TableSpec
    release_year: int
    data: pd.DataFrame          # every cell a string, columns = spec.columns()
    meta: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    counts: pd.DataFrame | None = None  # the query's unrounded output (normalised), if known

    @property
    def file_name(self) -> str:
        return self.spec.file_name(self.release_year)

    @property
    def meta_file_name(self) -> str:
        return self.spec.meta_file_name(self.release_year)

    def csv_text(self) -> str:
        return to_csv_text(self.data)

    def meta_text(self) -> str:
        return to_csv_text(self.meta)

    def headline(self) -> dict[str, str]:
        """Headline indicators from the latest National row."""
        d = self.data
        nat = d[d["geographic_level"] == "National"]
        if nat.empty:
            return {}
        for f in self.spec.filters:
            if f.total and f.name in nat.columns:
                nat = nat[nat[f.name] == f.total] if (nat[f.name] == f.total).any() else nat
        row = nat.iloc[0]
        return {k: str(row[k]) for k in self.spec.headline if k in row}


def to_csv_text(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(list(df.columns))
    w.writerows(df.astype(str).itertuples(index=False, name=None))
    return buf.getvalue()


def _index(spec: TableSpec, counts: pd.DataFrame) -> dict[tuple, dict[str, int]]:
    keys = ["year", "la", *[f.name for f in spec.query_filters]]
    cc = list(spec.count_columns)
    out: dict[tuple, dict[str, int]] = {}
    for rec in counts[keys + cc].itertuples(index=False, name=None):
        k = tuple(rec[: len(keys)])
        vals = dict(zip(cc, rec[len(keys):]))
        if k in out:  # several rows for one key: sum them
            for c in cc:
                out[k][c] += int(vals[c])
        else:
            out[k] = {c: int(v) for c, v in vals.items()}
    return out


def _dist_index(dists: dict[str, pd.DataFrame]) -> dict[str, dict[tuple[int, str], list[int]]]:
    out: dict[str, dict[tuple[int, str], list[int]]] = {}
    for name, df in dists.items():
        m: dict[tuple[int, str], list[int]] = {}
        if len(df):
            for y, la, v in zip(df["year"].astype(int), df["la"].astype(str), df["value"]):
                if v is not None and not pd.isna(v):
                    m.setdefault((int(y), la), []).append(int(v))
        out[name] = m
    return out


class _Formatter:
    """Turns one row's unrounded counts into published strings."""

    def __init__(self, spec: TableSpec, year: int, lookback_ok: bool = True):
        self.spec = spec
        self.year = year
        self.lookback_ok = lookback_ok

    def row(self, counts: dict[str, int] | None, *, aggregated: bool, population: int | None,
            obs: dict[str, list[int]], not_collected_row: bool = False,
            denominators: dict[str, int] | None = None, lookback_row: bool = False) -> list[str]:
        spec = self.spec
        if counts is None:
            counts = {c: 0 for c in spec.count_columns}
        sup = set() if aggregated else suppression.suppressed_counts(spec, counts)
        out: list[str] = []
        for ind in spec.indicators:
            if not_collected_row or (ind.first_year and self.year < ind.first_year) \
                    or ((ind.lookback or lookback_row) and not self.lookback_ok):
                out.append("x")
                continue
            if ind.zero_base and counts.get(ind.zero_base, 0) == 0:
                out.append("z")
                continue
            if ind.kind == "count":
                v = counts[ind.name]
                if aggregated:
                    r = round_to_10(v)
                    out.append("k" if r == 0 and v != 0 else str(r))
                else:
                    out.append("c" if ind.name in sup else str(v))
            elif ind.kind == "percent":
                num = counts[ind.numerator]
                den = (denominators or {}).get(ind.name) if ind.denominator.startswith("@") \
                    else counts[ind.denominator]
                out.append(suppression.percent_cell(
                    num, den, num_suppressed=ind.numerator in sup,
                    den_suppressed=(not ind.denominator.startswith("@")) and ind.denominator in sup,
                    dp=ind.dp, aggregated=aggregated))
            elif ind.kind == "rate":
                num = counts[ind.numerator]
                if ind.numerator in sup:
                    out.append("c")
                elif not population:
                    out.append("x")
                else:
                    out.append(fmt_fraction(Fraction(num * 10000, population), ind.dp, aggregated))
            elif ind.kind == "percentile":
                p = percentile(obs.get(ind.source, []), ind.q)
                out.append("z" if p is None else fmt(round_half_up(p, ind.dp)))
            else:  # pragma: no cover
                raise ValueError(ind.kind)
        return out


def _add(acc: dict[str, int], vals: dict[str, int]) -> None:
    for k, v in vals.items():
        acc[k] = acc.get(k, 0) + int(v)


def build_rows(spec: TableSpec, counts: pd.DataFrame, release_year: int,
               dists: dict[str, pd.DataFrame] | None = None,
               geo: Geography | None = None, staged_years: set[int] | None = None) -> EesOutput:
    """The published rows of ``spec`` for ``release_year`` from unrounded LA-level counts.

    ``staged_years``: the census years with staged returns; indicators that look back 12 months
    are ``x`` in a year whose previous year is not among them (``None``: every look-back complete)."""
    geo = geo or Geography.load(spec.status_file)
    counts = normalise_counts(spec, counts)
    idx = _index(spec, counts)
    didx = _dist_index(dists or {})
    if spec.national_only:
        rows, notes = _national_rows(spec, idx, didx, release_year, geo, staged_years)
    else:
        rows, notes = _la_rows(spec, idx, didx, release_year, geo, staged_years)
    data = pd.DataFrame(rows, columns=spec.columns(), dtype=object)
    return EesOutput(spec, release_year, data, build_meta(spec), notes, counts)


def source_year(geo: Geography, year: int, la: str) -> int:
    """The year whose counts LA ``la`` contributes to the national and regional totals of ``year``:
    its ``carry_forward_from`` year when one is configured, else ``year`` itself."""
    st = geo.status.get((year, la))
    return st[1] if st and st[1] else year


def la_sources(geo: Geography, year: int, available) -> list[tuple[str, int]]:
    """``(la, source year)`` of every LA whose unrounded counts go into the totals of ``year``.

    These are the LAs of the year's geography (every LA with counts, before
    :data:`cin_pipeline.reference.FIRST_YEAR`) that have counts in their :func:`source_year`;
    ``available`` holds the ``(year, la)`` pairs that have counts. The writer sums exactly these
    (national, regional and national-only tables), and the cross-checks re-add them
    (:func:`la_contributions`), so carry-forward is applied in one place."""
    avail = set(available)
    if year >= reference.FIRST_YEAR:
        las = list(geo.las(year)["old_la_code"])
    else:
        las = sorted({la for y, la in avail if y == year})
    out = []
    for la in las:
        src = source_year(geo, year, la)
        if (src, la) in avail:
            out.append((la, src))
    return out


def la_contributions(spec: TableSpec, counts: pd.DataFrame, release_year: int,
                     geo: Geography | None = None) -> pd.DataFrame:
    """The unrounded LA rows that make up the published totals of every year of ``release_year``.

    ``counts`` is the table query's output (``year, la, <filters>, <counts>``); the result has
    the same columns, one block per published year and contributing LA (:func:`la_sources`):
    the LA's rows of its source year, labelled with the published year. Carried-forward LA-years
    (Hampshire 2024 <- 2023) therefore appear under the year they are counted in, and LAs
    outside the year's geography are left out, exactly as :func:`build_rows` sums them."""
    geo = geo or Geography.load(spec.status_file)
    counts = normalise_counts(spec, counts)
    avail = set(zip(counts["year"].astype(int), counts["la"].astype(str)))
    keys = [(year, la, src) for year in spec.years(release_year)
            for la, src in la_sources(geo, year, avail)]
    key = pd.DataFrame(keys, columns=["out_year", "la", "year"])
    key["year"] = key["year"].astype("int64")
    key["out_year"] = key["out_year"].astype("int64")
    out = counts.merge(key, on=["year", "la"], how="inner")
    out["year"] = out.pop("out_year")
    return out[list(counts.columns)].sort_values(["year", "la"], kind="stable").reset_index(drop=True)


def _source(spec, idx, didx, geo, year: int, la: str, fkey: tuple = ()):
    """(counts, observations) that a LA contributes to totals in ``year``."""
    src_year = source_year(geo, year, la)
    vals = idx.get((src_year, la, *fkey))
    obs = {name: m.get((src_year, la), []) for name, m in didx.items()}
    return vals, obs


def _formatter(spec: TableSpec, year: int, staged: set[int] | None, notes: list[str]) -> _Formatter:
    """The year's formatter; indicators that look back 12 months (re-referrals) are ``x`` when the
    previous census year has no staged returns (its referrals are unknown), with a note."""
    ok = staged is None or (year - 1) in staged
    looks = [i.name for i in spec.indicators if i.lookback] + [
        f"rows by {f.name}" for f in spec.filters if f.lookback]
    if looks and not ok and year in staged:
        notes.append(f"{year}: {', '.join(looks)} shown x: the {year - 1} census is not staged, so the "
                     "12-month look-back for re-referrals is incomplete")
    return _Formatter(spec, year, ok)


def _la_rows(spec, idx, didx, release_year, geo, staged_years=None) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    notes: list[str] = []
    regions = reference.regions()
    nfilters = [f.values[0] for f in spec.filters]  # all constant for LA tables
    avail = {k[:2] for k in idx}
    years_with_data = {k[0] for k in idx}
    if spec.query_filters:
        raise NotImplementedError("LA-level tables with non-constant filters")
    empty_years: list[int] = []
    for year in sorted(spec.years(release_year), reverse=True):
        las = geo.las(year)
        fmtr = _formatter(spec, year, staged_years, notes)
        pop = geo.population(year)
        totals: dict[str, dict[str, int]] = {}
        tobs: dict[str, dict[str, list[int]]] = {}
        missing: list[str] = []
        known = set(las["old_la_code"])
        extra = sorted({k[1] for k in idx if k[0] == year} - known)
        if extra:
            notes.append(f"{year}: counts for LAs not in the {year} geography ignored: {extra}")
        contributing = {la for la, _ in la_sources(geo, year, avail)}
        for r in las.itertuples(index=False):
            if r.old_la_code not in contributing:
                continue
            vals, obs = _source(spec, idx, didx, geo, year, r.old_la_code)
            for area in ("E92000001", r.region_code, r.london_group_code):
                if area:
                    _add(totals.setdefault(area, {}), vals)
                    for name, o in obs.items():
                        tobs.setdefault(area, {}).setdefault(name, []).extend(o)
        base = [str(year), TIME_IDENTIFIER]

        def aggregate(area: str) -> list[str]:
            # an area none of whose LAs has data for the year (e.g. a year not staged) is not
            # available, not zero
            if area not in totals:
                return ["x"] * len(spec.indicators)
            return fmtr.row(totals[area], aggregated=True, population=pop.get(area),
                            obs=tobs.get(area, {}))

        rows.append(base + ["National", *COUNTRY, "", "", "", "", ""] + nfilters
                    + aggregate("E92000001"))
        for reg in regions.itertuples(index=False):
            rows.append(base + ["Regional", *COUNTRY, reg.region_code, reg.region_name, "", "", ""]
                        + nfilters + aggregate(reg.region_code))
        for r in las.itertuples(index=False):
            la = r.old_la_code
            geo_cells = [r.published_region_code, r.published_region_name, la, r.new_la_code, r.la_name]
            st = geo.status.get((year, la))
            own = idx.get((year, la))
            if st:
                cells = [st[0]] * len(spec.indicators)
            elif own is None:
                missing.append(la)
                cells = ["x"] * len(spec.indicators)
            else:
                obs = {name: m.get((year, la), []) for name, m in didx.items()}
                cells = fmtr.row(own, aggregated=False, population=pop.get(la), obs=obs)
            rows.append(base + ["Local authority", *COUNTRY, *geo_cells] + nfilters + cells)
        if missing and year not in years_with_data:
            empty_years.append(year)
        elif missing:
            notes.append(f"{year}: {len(missing)} LAs with no data and no status configured, shown x: "
                         + ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else ""))
    if empty_years:
        notes.append(f"no data for {_year_ranges(empty_years)} (no census returns staged): every "
                     "figure of those years shown x")
    return rows, notes


def _year_ranges(years) -> str:
    """[2013, 2014, 2015, 2019] -> "2013-2015, 2019"."""
    ys = sorted(set(int(y) for y in years))
    parts, start = [], ys[0]
    for a, b in zip(ys, ys[1:] + [None]):
        if b != a + 1:
            parts.append(str(start) if start == a else f"{start}-{a}")
            start = b
    return ", ".join(parts)


def _national_rows(spec, idx, didx, release_year, geo, staged_years=None) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    notes: list[str] = []
    qf = list(spec.query_filters)
    avail = {k[:2] for k in idx}
    for year in sorted(spec.years(release_year), reverse=True):
        fmtr = _formatter(spec, year, staged_years, notes)
        # LAs configured with a carry-forward contribute their earlier year's rows
        agg: dict[tuple, dict[str, int]] = {}
        for la, src_year in la_sources(geo, year, avail):
            for k, vals in idx.items():
                if k[0] == src_year and k[1] == la:
                    _add(agg.setdefault(tuple(k[2:]), {}), vals)
        # Total rows, one filter at a time (Total x Total comes out of the second pass)
        for i, f in enumerate(qf):
            if not f.total:
                continue
            for key, vals in list(agg.items()):
                if key[i] == f.total:
                    continue
                tkey = key[:i] + (f.total,) + key[i + 1:]
                _add(agg.setdefault(tkey, {}), vals)
        # (counts built from query rows that already contain a Total value would double: refuse)
        base = [str(year), TIME_IDENTIFIER, "National", *COUNTRY]
        fy = {f.name: dict(f.value_first_year) for f in qf}
        for key in product(*[f.values for f in qf]):
            vals = agg.get(key)
            dens: dict[str, int] = {}
            for ind in spec.indicators:
                if ind.kind == "percent" and ind.denominator.startswith("@"):
                    fname = ind.denominator[1:]
                    j = [f.name for f in qf].index(fname)
                    tkey = key[:j] + (qf[j].total,) + key[j + 1:]
                    dens[ind.name] = agg.get(tkey, {}).get(ind.numerator, 0)
            # no LA has data for the year at all: not available (as the LA tables' aggregates)
            not_collected = not agg or any(year < fy[f.name].get(v, 0) for f, v in zip(qf, key))
            lookback = any(f.lookback and v != f.total for f, v in zip(qf, key))
            rows.append(base + [f.values[0] for f in spec.filters if f.constant] + list(key)
                        + fmtr.row(vals, aggregated=True, population=None, obs={},
                                   not_collected_row=not_collected, denominators=dens,
                                   lookback_row=lookback))
    return rows, notes


# ----------------------------------------------------------------------------- meta
def filter_default(f) -> str:
    """The default item of a filter without a Total: declared ``default``, else the first value."""
    return f.default or (f.values[0] if f.values else "")


def build_meta(spec: TableSpec) -> pd.DataFrame:
    """The ``.meta.csv``: the 8 required columns (+ ``filter_default`` when a filter has no Total).

    A filter without a ``Total`` item gets ``filter_default`` = its declared ``default``, else its
    first declared value (for the single-valued ``category`` filter of the wide tables: that value),
    so the EES screener's ``filter_defaults`` check finds a default in the data for every filter."""
    rows = []
    need_default = any(not f.total and filter_default(f) for f in spec.filters)
    for f in spec.filters:
        r = {"col_name": f.name, "col_type": "Filter", "label": f.label, "indicator_grouping": "",
             "indicator_unit": "", "indicator_dp": "", "filter_hint": f.hint,
             "filter_grouping_column": ""}
        if need_default:
            r["filter_default"] = "" if f.total else filter_default(f)
        rows.append(r)
    for i in spec.indicators:
        r = {"col_name": i.name, "col_type": "Indicator", "label": i.label,
             "indicator_grouping": i.grouping, "indicator_unit": i.unit,
             "indicator_dp": str(i.dp), "filter_hint": "", "filter_grouping_column": ""}
        if need_default:
            r["filter_default"] = ""
        rows.append(r)
    cols = META_COLUMNS + (["filter_default"] if need_default else [])
    return pd.DataFrame(rows, columns=cols, dtype=object)


# ----------------------------------------------------------------------------- entry point
def staged_census_years(con) -> set[int] | None:
    """Census years with at least one staged return (``clean.header``); ``None`` without staging."""
    import duckdb

    try:
        return {int(r[0]) for r in con.execute("SELECT DISTINCT year FROM clean.header").fetchall()}
    except duckdb.Error:  # no staging attached: every look-back treated as complete
        return None


def build_ees(con, spec: TableSpec, release_year: int, geo: Geography | None = None) -> EesOutput:
    """Query the warehouse (``clean.*``/``lcd.*``) and return the published rows and meta
    (the caller reports ``notes``: the table asset logs them to its run)."""
    counts, dists = run_query(con, spec)
    return build_rows(spec, counts, release_year, dists, geo, staged_census_years(con))


# ----------------------------------------------------------------------------- warehouse
PUBLICATION_SCHEMA = "publication"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


UNROUNDED_SUFFIX = "__unrounded"


def _ensure_table(con, name: str, columns: list[tuple[str, str]]) -> str:
    """``publication.<name>`` with exactly ``columns`` (rebuilt when the declaration changed)."""
    table = f"{PUBLICATION_SCHEMA}.{_q(name)}"
    existing = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [PUBLICATION_SCHEMA, name]).fetchall()
    if existing and [c for (c,) in existing] != [c for c, _ in columns]:
        con.execute(f"DROP TABLE {table}")
        existing = []
    if not existing:
        con.execute(f"CREATE TABLE {table} (" + ", ".join(f"{_q(c)} {t}" for c, t in columns) + ")")
    return table


def _replace_rows(con, table: str, release_year: int, df: pd.DataFrame) -> None:
    con.execute(f"DELETE FROM {table} WHERE release_year = ?", [release_year])
    if len(df):
        con.register("_ees_rows", df)
        con.execute(f"INSERT INTO {table} SELECT * FROM _ees_rows")
        con.unregister("_ees_rows")


def store_publication(con, out: EesOutput) -> int:
    """Replace the rows of ``release_year`` in ``publication.<table_id>``: the published cells as
    text (exactly the CSV content, in file order: column ``row_number``) plus ``release_year``.

    In the same transaction, ``publication.<table_id>__unrounded`` gets the query's unrounded
    output for that release year (``release_year, year, la, <filters>, <counts>``; every row the
    query returned, carried-forward source years included), which the cross-checks
    (``cin_pipeline.defs.checks``) read to be exact. Without ``out.counts`` (e.g. rows re-stored
    from :func:`load_publication`) that release year's unrounded rows are removed, so the checks
    never compare text with stale counts."""
    spec = out.spec
    cols = spec.columns()
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLICATION_SCHEMA}")
    table = _ensure_table(con, spec.table_id, [("release_year", "INTEGER"), ("row_number", "INTEGER")]
                          + [(c, "VARCHAR") for c in cols])
    ucols = ["year", "la", *[f.name for f in spec.query_filters], *spec.count_columns]
    utable = _ensure_table(con, spec.table_id + UNROUNDED_SUFFIX,
                           [("release_year", "INTEGER"), ("year", "INTEGER"), ("la", "VARCHAR")]
                           + [(f.name, "VARCHAR") for f in spec.query_filters]
                           + [(c, "BIGINT") for c in spec.count_columns])
    df = out.data.copy()
    df.insert(0, "row_number", range(1, len(df) + 1))
    df.insert(0, "release_year", out.release_year)
    udf = (out.counts[ucols].copy() if out.counts is not None
           else pd.DataFrame({c: [] for c in ucols}))
    udf.insert(0, "release_year", out.release_year)
    con.execute("BEGIN TRANSACTION")
    try:
        _replace_rows(con, table, out.release_year, df)
        _replace_rows(con, utable, out.release_year, udf)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(df)


def load_publication(con, spec: TableSpec, release_year: int) -> EesOutput:
    """The stored rows of ``spec`` for ``release_year`` (as written by :func:`store_publication`)."""
    cols = spec.columns()
    df = con.execute(
        f"SELECT {', '.join(_q(c) for c in cols)} FROM {PUBLICATION_SCHEMA}.{_q(spec.table_id)} "
        "WHERE release_year = ? ORDER BY row_number", [release_year]).df()
    if df.empty:
        raise LookupError(f"publication.{spec.table_id} has no rows for release year {release_year}")
    df = df.astype(object).where(df.notna(), "")
    return EesOutput(spec, release_year, df.astype(str), build_meta(spec))
