"""EES formatter: from a :class:`~cin_pipeline.tables.declare.TableSpec` and its unrounded LA-level
counts to the exact rows of the published ``.csv`` (the ``.meta.csv``: :mod:`.meta`).

The formatter owns the LA skeleton: every LA-year with a staged return gets a row, zero-filled
when the query returned none, and a long query of a table declared with ``parts`` is pivoted into
the published columns. Tables with non-constant filters get one row per combination of filter
values for every geography, with the ``Total`` rows added here.

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
* Symbols (:mod:`cin_pipeline.ees.suppression`): ``c`` LA counts 1-5 and secondary
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
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import pandas as pd

from cin_pipeline import facts, reference
from cin_pipeline.ees import suppression
from cin_pipeline.ees.meta import build_meta
from cin_pipeline.ees.numbers import fmt, fmt_fraction, percentile_of_counts, round_half_up, round_to_10
from cin_pipeline.tables.declare import TableSpec

TIME_IDENTIFIER = "Reporting year"
COUNTRY = ("E92000001", "England")


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
    def load(cls, status_from: str | None) -> "Geography":
        st = reference.la_year_status()
        out: dict[tuple[int, str], tuple[str, int | None]] = {}
        for r in st.itertuples(index=False):
            files = str(getattr(r, "files", "") or "")
            scope = str(getattr(r, "scope", "") or "")
            if status_from and scope != "whole_return" and status_from not in files.split(";"):
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
def pivot_parts(spec: TableSpec, long: pd.DataFrame) -> pd.DataFrame:
    """Long query output ``year, la, part, n`` -> one row per year and LA with a column per count
    (the declaration's ``parts`` and other counts; a part with no rows is 0)."""
    need = {"year", "la", "part", "n"}
    if not need <= set(long.columns):
        raise ValueError(f"{spec.table_id}: a query with parts returns year, la, part, n")
    bad = set(long["part"]) - set(spec.count_columns)
    if bad:
        raise ValueError(f"{spec.table_id}: query returns unknown parts {sorted(bad)}")
    wide = long.pivot_table(index=["year", "la"], columns="part", values="n", aggfunc="sum",
                            fill_value=0)
    wide = wide.reindex(columns=list(spec.count_columns), fill_value=0)
    wide.columns.name = None
    return wide.reset_index()


def zero_fill(spec: TableSpec, counts: pd.DataFrame, la_years: pd.DataFrame) -> pd.DataFrame:
    """Add a row of zeros for every LA-year with a staged return (``la_years``: ``year, la``)
    that the query returned no row for, so that its figures are true zeros, not "no data". In a
    table with query filters the zero row takes each filter's first value (any other filter
    combination of the LA-year is 0 in the formatter anyway)."""
    if la_years.empty or any(not f.values for f in spec.query_filters):
        return counts
    have = set(zip(counts["year"].astype(int), counts["la"].astype(str)))
    add = [(int(y), str(la)) for y, la in zip(la_years["year"], la_years["la"])
           if (int(y), str(la)) not in have]
    if not add:
        return counts
    zeros = pd.DataFrame(add, columns=["year", "la"])
    for f in spec.query_filters:
        zeros[f.name] = next(v for v in f.values if v != f.total)
    for c in spec.count_columns:
        zeros[c] = 0
    return pd.concat([counts, zeros[list(counts.columns)]], ignore_index=True)


def run_query(con, spec: TableSpec) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Run the table's query (and distributions) over ``facts``: unrounded LA-level counts,
    pivoted (``parts``) and zero-filled for every LA-year with a staged return."""
    facts.build(con)
    counts = con.sql(spec.query).df()
    if spec.parts:
        counts = pivot_parts(spec, counts)
    counts = normalise_counts(spec, counts)
    if spec.window is None:  # a window table has rows for events only, not for every LA-year
        counts = zero_fill(spec, counts, con.sql("SELECT year, la FROM facts.la_year").df())
    # each distribution as counts of its values per LA-year (year, la, value, n), not one row
    # per observation
    dists = {name: con.sql(f"SELECT year, la, value, count(*) AS n FROM ({q}) WHERE value IS NOT NULL "
                           "GROUP BY ALL").df()
             for name, q in spec.distributions.items()}
    return counts.sort_values(["year", "la"], kind="stable").reset_index(drop=True), dists


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
    if any(f.within for f in spec.query_filters):  # nested filters: only the declared pairs
        names = [f.name for f in spec.query_filters]
        bad = set(df[names].itertuples(index=False, name=None)) - set(spec.filter_keys())
        if bad:
            raise ValueError(f"{spec.table_id}: unexpected {'/'.join(names)} combinations {sorted(bad)}")
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
        return {h.column: str(row[h.column]) for h in self.spec.headline}


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


def _dist_index(dists: dict[str, pd.DataFrame]) -> dict[str, dict[tuple[int, str], Counter]]:
    """Each distribution's values per LA-year as ``{value: how many}``, from a frame of
    ``year, la, value`` and, when already counted, ``n`` (:func:`run_query`'s)."""
    out: dict[str, dict[tuple[int, str], Counter]] = {}
    for name, df in dists.items():
        m: dict[tuple[int, str], Counter] = {}
        d = df[df["value"].notna()] if len(df) else df
        if len(d):  # grouped by pandas: one step per LA-year, not one per observation
            d = pd.DataFrame({"year": d["year"].astype(int), "la": d["la"].astype(str),
                              "value": d["value"].astype("int64"),
                              "n": d["n"].astype("int64") if "n" in d else 1})
            d = d.groupby(["year", "la", "value"], sort=False)["n"].sum()
            for (y, la), counts in d.groupby(level=["year", "la"], sort=False):
                m[(int(y), str(la))] = Counter(dict(zip(counts.index.get_level_values("value").tolist(),
                                                        counts.tolist())))
        out[name] = m
    return out


class _Formatter:
    """Turns one row's unrounded counts into published strings."""

    def __init__(self, spec: TableSpec, year: int, staged: set[int] | None = None):
        self.spec = spec
        self.year = year
        self.staged = staged

    def lookback_ok(self, years: int = 1) -> bool:
        """Whether the ``years`` census years before this one are all staged (``None``: assume so)."""
        return self.staged is None or all(self.year - k in self.staged for k in range(1, years + 1))

    def row(self, counts: dict[str, int] | None, *, aggregated: bool, population: int | None,
            obs: dict[str, Counter], not_collected_row: bool = False,
            denominators: dict[str, int] | None = None, lookback_row: int = 0,
            suppressed: set[str] | None = None, not_applicable: frozenset[str] = frozenset()) -> list[str]:
        """``suppressed``: the row's hidden counts when worked out for a block of rows
        (:func:`cin_pipeline.ees.suppression.block_suppressed`); else from the row alone.
        ``not_applicable``: indicators that do not apply on this row (``z``).
        ``lookback_row``: the census years before this one that the row's figures need (0: none)."""
        spec = self.spec
        if counts is None:
            counts = {c: 0 for c in spec.count_columns}
        if aggregated:
            sup: set[str] = set()
        elif suppressed is not None:
            sup = suppressed
        else:
            sup = suppression.suppressed_counts(spec, counts)
        out: list[str] = []
        for ind in spec.indicators:
            if not_collected_row:
                out.append("x")
                continue
            if ind.name in not_applicable:
                out.append("z")
                continue
            if (ind.first_year and self.year < ind.first_year) \
                    or (ind.lookback and not self.lookback_ok(1)) \
                    or (lookback_row and not self.lookback_ok(lookback_row)):
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
                p = percentile_of_counts(obs.get(ind.source, {}), ind.q)
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
    geo = geo or Geography.load(spec.status_from)
    counts = normalise_counts(spec, counts)
    idx = _index(spec, counts)
    didx = _dist_index(dists or {})
    if spec.window is not None:
        rows, notes = window_rows(spec, counts, release_year, geo, staged_years)
    elif spec.national_only:
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
    geo = geo or Geography.load(spec.status_from)
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


def _formatter(spec: TableSpec, year: int, staged: set[int] | None, notes: list[str]) -> _Formatter:
    """The year's formatter; indicators that look back 12 months (re-referrals) are ``x`` when the
    previous census year has no staged returns (its referrals are unknown), with a note."""
    fmtr = _Formatter(spec, year, staged)
    looks = [i.name for i in spec.indicators if i.lookback] + [
        f"rows by {f.name}" for f in spec.filters if f.lookback] + [
        f"{f.name} rows {', '.join(v for v, n in f.lookback_years if n == 1)}"
        for f in spec.filters if any(n == 1 for _, n in f.lookback_years)]
    if looks and not fmtr.lookback_ok(1) and year in staged:
        notes.append(f"{year}: {', '.join(looks)} shown x: the {year - 1} census is not staged, so the "
                     "12-month look-back for re-referrals is incomplete")
    for f in spec.filters:
        for value, n in f.lookback_years:
            if n > 1 and fmtr.lookback_ok(1) and not fmtr.lookback_ok(n) and year in staged:
                notes.append(f"{year}: {f.name} rows {value} shown x: the {n} census years before "
                             f"{year} are not all staged, so the {n}-year look-back is incomplete")
    return fmtr


def _with_totals(qf, agg: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """``agg`` (filter values -> counts) with the ``Total`` rows of every filter that has one
    added, one filter at a time (Total x Total comes out of the second pass)."""
    out = {k: dict(v) for k, v in agg.items()}
    for i, f in enumerate(qf):
        if not f.total:
            continue
        for key, vals in list(out.items()):
            if key[i] == f.total:
                continue
            tkey = key[:i] + (f.total,) + key[i + 1:]
            _add(out.setdefault(tkey, {}), vals)
    return out


def _keyed_rows(spec, fmtr: _Formatter, year: int, agg: dict[tuple, dict[str, int]] | None, *,
                aggregated: bool, population: int | None, obs: dict[str, Counter]) -> list[list[str]]:
    """The filter and indicator cells of one geography: one row per combination of the query
    filters' values, in declared order (a single row for a table without such filters).
    ``agg`` None: no data for the geography in the year (every row not available)."""
    qf = list(spec.query_filters)
    names = [f.name for f in qf]
    full = _with_totals(qf, agg) if agg else {}
    fy = {f.name: dict(f.value_first_year) for f in qf}
    keys = spec.filter_keys()
    # an LA's rows by filter value: what is hidden is decided for the block (a value row and
    # the Total row can give a hidden value away by subtraction)
    block = (suppression.block_suppressed(spec, qf, {k: full.get(k, {}) for k in keys})
             if qf and not aggregated and agg else {})
    out = []
    for key in keys:
        dens: dict[str, int] = {}
        for ind in spec.indicators:
            if ind.kind == "percent" and ind.denominator.startswith("@"):
                j = [f.name for f in qf].index(ind.denominator[1:])
                tkey = key[:j] + (qf[j].total,) + key[j + 1:]
                dens[ind.name] = full.get(tkey, {}).get(ind.numerator, 0)
        not_collected = not agg or any(year < fy[f.name].get(v, 0) for f, v in zip(qf, key))
        lookback = max((f.lookback_depth(v) for f, v in zip(qf, key)), default=0)
        values = dict(zip(names, key))
        na = frozenset(i.name for i in spec.indicators if not i.applies(values))
        out.append(_filter_cells(spec, values) + fmtr.row(
            full.get(key), aggregated=aggregated, population=population, obs=obs,
            not_collected_row=not_collected, denominators=dens, lookback_row=lookback,
            suppressed=block.get(key) if block else None, not_applicable=na))
    return out


def _filter_cells(spec: TableSpec, values: dict[str, str]) -> list[str]:
    """The filter columns of one row, in declared order (a constant filter's one value; a
    filter's group before the value)."""
    out: list[str] = []
    for f in spec.filters:
        v = f.values[0] if f.constant else values[f.name]
        out += [f.group_of(v), v] if f.group_column else [v]
    return out


def _la_rows(spec, idx, didx, release_year, geo, staged_years=None) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    notes: list[str] = []
    regions = reference.regions()
    avail = {k[:2] for k in idx}
    years_with_data = {k[0] for k in idx}
    by_la: dict[tuple[int, str], dict[tuple, dict[str, int]]] = {}
    for k, vals in idx.items():
        by_la.setdefault(k[:2], {})[tuple(k[2:])] = vals
    empty_years: list[int] = []
    for year in sorted(spec.years(release_year), reverse=True):
        las = geo.las(year)
        fmtr = _formatter(spec, year, staged_years, notes)
        pop = geo.population(year)
        totals: dict[str, dict[tuple, dict[str, int]]] = {}
        tobs: dict[str, dict[str, Counter]] = {}
        missing: list[str] = []
        known = set(las["old_la_code"])
        extra = sorted({k[1] for k in avail if k[0] == year} - known)
        if extra:
            notes.append(f"{year}: counts for LAs not in the {year} geography ignored: {extra}")
        sources = dict(la_sources(geo, year, avail))
        for r in las.itertuples(index=False):
            src = sources.get(r.old_la_code)
            if src is None:
                continue
            own = by_la.get((src, r.old_la_code), {})
            obs = {name: m.get((src, r.old_la_code), Counter()) for name, m in didx.items()}
            for area in ("E92000001", r.region_code, r.london_group_code):
                if area:
                    area_tot = totals.setdefault(area, {})
                    for fkey, vals in own.items():
                        _add(area_tot.setdefault(fkey, {}), vals)
                    for name, o in obs.items():
                        tobs.setdefault(area, {}).setdefault(name, Counter()).update(o)
        base = [str(year), TIME_IDENTIFIER]

        def aggregate(area: str) -> list[list[str]]:
            # an area none of whose LAs has data for the year (e.g. a year not staged) is not
            # available, not zero
            if area not in totals:
                return _keyed_rows(spec, fmtr, year, None, aggregated=True, population=None, obs={})
            return _keyed_rows(spec, fmtr, year, totals[area], aggregated=True,
                               population=pop.get(area), obs=tobs.get(area, {}))

        def cells_x(cells: list[str], symbol: str) -> list[str]:
            nf = len(spec.filter_columns())
            return cells[:nf] + [symbol] * len(spec.indicators)

        for cells in aggregate("E92000001"):
            rows.append(base + ["National", *COUNTRY, "", "", "", "", ""] + cells)
        for reg in regions.itertuples(index=False):
            for cells in aggregate(reg.region_code):
                rows.append(base + ["Regional", *COUNTRY, reg.region_code, reg.region_name, "", "", ""]
                            + cells)
        for r in las.itertuples(index=False):
            la = r.old_la_code
            geo_cells = [r.published_region_code, r.published_region_name, la, r.new_la_code, r.la_name]
            st = geo.status.get((year, la))
            own = by_la.get((year, la))
            obs = {name: m.get((year, la), Counter()) for name, m in didx.items()}
            keyed = _keyed_rows(spec, fmtr, year, own or None, aggregated=False,
                                population=pop.get(la), obs=obs)
            if st:
                keyed = [cells_x(c, st[0]) for c in keyed]
            elif own is None:
                missing.append(la)
                keyed = [cells_x(c, "x") for c in keyed]
            for cells in keyed:
                rows.append(base + ["Local authority", *COUNTRY, *geo_cells] + cells)
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
    by_la: dict[tuple, list[tuple[tuple, dict[str, int]]]] = {}
    for k, vals in idx.items():
        by_la.setdefault(k[:2], []).append((tuple(k[2:]), vals))
    avail = set(by_la)
    for year in sorted(spec.years(release_year), reverse=True):
        fmtr = _formatter(spec, year, staged_years, notes)
        # LAs configured with a carry-forward contribute their earlier year's rows
        agg: dict[tuple, dict[str, int]] = {}
        for la, src_year in la_sources(geo, year, avail):
            for fkey, vals in by_la[(src_year, la)]:
                _add(agg.setdefault(fkey, {}), vals)
        base = [str(year), TIME_IDENTIFIER, "National", *COUNTRY]
        # no LA has data for the year at all: not available (as the LA tables' aggregates)
        for cells in _keyed_rows(spec, fmtr, year, agg or None, aggregated=True,
                                 population=geo.population(year).get(COUNTRY[0]), obs={}):
            rows.append(base + cells)
    return rows, notes


def latest_events(spec: TableSpec, counts: pd.DataFrame, release_year: int) -> pd.DataFrame:
    """A window table's rows for ``release_year``: each LA's latest event year in the release's
    years (one row per LA)."""
    years = spec.years(release_year)
    c = counts[counts["year"].between(years[0], years[-1])]
    return c.sort_values(["la", "year"], kind="stable").groupby("la", as_index=False).tail(1)


def window_cell(spec: TableSpec, ind, offset: int, row: dict, release_year: int,
                geo: Geography, staged: set[int] | None) -> str:
    """One LA cell of a window table (:class:`~cin_pipeline.tables.declare.EventWindow`)."""
    year = int(row["year"]) + offset
    if year > release_year:
        return "z"  # not yet observed
    if staged is not None and not {year, year - 1} <= staged:
        return "x"  # the year (or its 12-month look-back) is not staged
    st = geo.status.get((year, str(row["la"])))
    if st:
        return st[0]
    num, den = int(row[ind.numerator]), int(row[ind.denominator])
    return suppression.percent_cell(num, den, num_suppressed=suppression.is_small(num),
                                    den_suppressed=suppression.is_small(den), dp=spec.window.la_dp,
                                    aggregated=False)


def window_median(values: list[str], dp: int) -> str:
    """The national cell of a window table: the median of the LA cells that hold a number, to
    ``dp`` places (``z`` when none does)."""
    nums = sorted(Fraction(v) for v in values if v not in ("c", "x", "u", "z", "k"))
    if not nums:
        return "z"
    mid = len(nums) // 2
    med = nums[mid] if len(nums) % 2 else (nums[mid - 1] + nums[mid]) / 2
    return fmt_fraction(med, dp, aggregated=False)


def window_rows(spec, counts, release_year, geo, staged_years=None) -> tuple[list[list[str]], list[str]]:
    """The rows of a window table (F2): National rows (median per filter value) for the release
    year, then each LA's row at its latest event year, newest first, in published LA order."""
    notes: list[str] = []
    filt = spec.query_filters[0]
    events = latest_events(spec, counts, release_year)
    by_year: dict[int, dict[str, dict]] = {}
    for rec in events.to_dict("records"):
        by_year.setdefault(int(rec["year"]), {})[str(rec["la"])] = rec
    la_rows: list[list[str]] = []
    by_value: dict[str, list[list[str]]] = {v: [] for v in filt.values}
    for year in sorted(by_year, reverse=True):
        las = geo.las(year)
        known = set(las["old_la_code"])
        extra = sorted(set(by_year[year]) - known)
        if extra:
            notes.append(f"{year}: events of LAs not in the {year} geography ignored: {extra}")
        for r in las.itertuples(index=False):
            rec = by_year[year].get(r.old_la_code)
            if rec is None:
                continue
            cells = [window_cell(spec, ind, k, rec, release_year, geo, staged_years)
                     for ind, k in zip(spec.indicators, spec.window.offsets)]
            by_value[rec[filt.name]].append(cells)
            la_rows.append([str(year), TIME_IDENTIFIER, "Local authority", *COUNTRY,
                            r.published_region_code, r.published_region_name, r.old_la_code,
                            r.new_la_code, r.la_name, rec[filt.name], *cells])
    rows = [[str(release_year), TIME_IDENTIFIER, "National", *COUNTRY, "", "", "", "", "", value,
             *[window_median([c[i] for c in by_value[value]], ind.dp)
               for i, ind in enumerate(spec.indicators)]]
            for value in filt.values]
    if not la_rows:
        notes.append(f"no {filt.name} events up to {release_year}: national rows shown z")
    return rows + la_rows, notes


# ----------------------------------------------------------------------------- entry point
def staged_census_years(con) -> set[int]:
    """Census years with at least one staged return (``facts.la_year``)."""
    return {int(r[0]) for r in con.execute("SELECT DISTINCT year FROM facts.la_year").fetchall()}


def build_ees(con, spec: TableSpec, release_year: int, geo: Geography | None = None) -> EesOutput:
    """Query the warehouse (``clean.*``/``lcd.*``) and return the published rows and meta
    (the caller reports ``notes``: the table asset logs them to its run)."""
    counts, dists = run_query(con, spec)
    return build_rows(spec, counts, release_year, dists, geo, staged_census_years(con))
