"""Cell-by-cell fidelity: every published figure of the pipeline against the real published files.

Used by ``cin-pipeline compare`` (:mod:`cin_pipeline.cli.compare`). Two comparisons:

**EES data files.** Every declared table that has a real published file in the published folder
(default ``../shared/reference/published``; ``CIN_PUBLISHED_DIR`` or ``--published``) is compared
column by column at national, regional and LA level, for every year the run has data, with the
pipeline's published text in the warehouse (``publication."<spec.warehouse_name>"``, latest
``release_year`` stored, or the one asked for). A published file belongs to a table when its name
is the declaration's ``file_stem`` followed by ``_<first>_to_<last>`` (any suffix such as
``__2025release``); the C4 file of the 2025 release covers 2013-2025, and only the years the run
has are compared. Rows are matched by ``time_period``, ``geographic_level``, the geography code
(``country_code`` / ``region_code`` / ``old_la_code``) and, for long tables, the filter columns.

Tolerances (the issue's): counts within 2% (``100 * (pipeline - published) / published``),
percentages within 1 percentage point (``pipeline - published``), rates within 2%. Percentiles
(C4 ``Duration_25th_Percentile``, ``Duration_median``, ``Duration_75th_Percentile``) are compared
as rates: within 2%. A published 0 is matched only by a pipeline 0 for counts, rates and
percentiles (the relative difference is undefined; the absolute difference is reported, unit
``absolute``); percentages are differences in points, so a published 0.0 follows the points rule.
Cells where either side is a symbol (``c``, ``x``, ``u``, ``z``, ``k``, blank or any other
non-number) are not compared and are counted as *not comparable*, by reason.

The LA headline metric: of the LA-level count cells whose published value is 100 or more, the
share whose pipeline value is within 10%.

**LAIT.** The DfE Local Authority Interactive Tool's CIN measures
(``lait_cin_measures_2016_2024__derived_extract.csv``, dictionary ``lait_cin_data_dictionary.txt``)
that correspond to a column of a declared table, or to a percentage or rate computable from its
columns, are compared LA-year by LA-year (2016-2024) within 10% (relative, every kind).
:data:`LAIT_MEASURES` is the mapping, declared once; :data:`LAIT_NOT_MAPPED` lists the rest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cin_pipeline.settings import PROJECT_ROOT
from cin_pipeline.sqlutil import has_relation
from cin_pipeline.tables import all_tables, get
from cin_pipeline.tables.declare import LEVELS, TableSpec

if TYPE_CHECKING:  # pandas is imported where it is used: registering the sub-command stays cheap
    import pandas as pd

DEFAULT_PUBLISHED = PROJECT_ROOT.parent / "shared" / "reference" / "published"
LAIT_FILE = "lait_cin_measures_2016_2024__derived_extract.csv"
LAIT_YEARS = range(2016, 2025)

CELL_COLUMNS = ["table", "year", "level", "geography_code", "geography_name", "filters", "column",
                "kind", "published", "pipeline", "difference", "difference_unit", "within"]
"""The full cell-by-cell comparison (``--csv``): one row per compared cell."""

LAIT_COLUMNS = ["measure", "table", "derivation", "year", "la", "la_name", "lait", "pipeline",
                "difference", "difference_unit", "within"]

SUMMARY_COLUMNS = ["table", "national_within", "national_compared", "regional_within",
                   "regional_compared", "la_within", "la_compared", "la_100_within",
                   "la_100_compared", "not_comparable"]

_LEVEL_CODE = {"National": ("country_code", "country_name"),
               "Regional": ("region_code", "region_name"),
               "Local authority": ("old_la_code", "la_name")}


def default_published_dir() -> Path:
    return Path(os.environ.get("CIN_PUBLISHED_DIR", DEFAULT_PUBLISHED))


@dataclass(frozen=True)
class Tolerances:
    count: float = 2.0      # per cent of the published value
    percent: float = 1.0    # percentage points
    rate: float = 2.0       # per cent; percentiles use it too
    la_count: float = 10.0  # per cent: the LA headline metric
    la_min: float = 100.0   # ... over LA counts published at this value or more
    lait: float = 10.0      # per cent: LAIT measures

    def for_kind(self, kind: str) -> float:
        return {"count": self.count, "percent": self.percent}.get(kind, self.rate)


# ----------------------------------------------------------------------------- reading
def published_file(spec: TableSpec, folder: Path) -> Path | None:
    """The real published file of ``spec`` in ``folder`` (top level only): ``<file_stem>_<first>_to_
    <last>[__suffix].csv``; of several, the one reaching the latest year."""
    pat = re.compile(rf"^{re.escape(spec.file_stem)}_(\d{{4}})_to_(\d{{4}})(__[\w.-]*)?\.csv$")
    found = []
    for p in Path(folder).glob(f"{spec.file_stem}_*.csv"):
        m = pat.match(p.name)
        if m and not p.name.endswith(".meta.csv"):
            found.append((int(m.group(2)), p.name, p))
    return max(found)[2] if found else None


def read_published(path: Path) -> pd.DataFrame:
    from cin_pipeline.checks.screener import read_ees_csv

    return read_ees_csv(path)


@dataclass
class PipelineTable:
    release_year: int
    data: pd.DataFrame        # the published text, columns = spec.columns()
    years: set[int]           # years the run has data for (the query's output years)


class Pipeline:
    """The pipeline's published text per table, read once from the warehouse."""

    def __init__(self, con, release_year: int | None = None):
        self.con = con
        self.release_year = release_year
        self._cache: dict[str, PipelineTable | None] = {}

    def table(self, spec: TableSpec) -> PipelineTable | None:
        if spec.table_id not in self._cache:
            self._cache[spec.table_id] = self._read(spec)
        return self._cache[spec.table_id]

    def _read(self, spec: TableSpec) -> PipelineTable | None:
        from cin_pipeline.ees.store import UNROUNDED_SUFFIX

        name = spec.warehouse_name
        if not has_relation(self.con, "publication", name):
            return None
        release = self.release_year
        if release is None:
            release = self.con.execute(f'SELECT max(release_year) FROM publication."{name}"').fetchone()[0]
        if release is None:
            return None
        df = self.con.execute(f'SELECT * FROM publication."{name}" WHERE release_year = ? '
                              "ORDER BY row_number", [int(release)]).df()
        if df.empty:
            return None
        df = df.drop(columns=["release_year", "row_number"]).astype(object)
        df = df.where(df.notna(), "").astype(str)
        years: set[int] = set()
        if has_relation(self.con, "publication", name + UNROUNDED_SUFFIX):
            years = {int(y) for (y,) in self.con.execute(
                f'SELECT DISTINCT year FROM publication."{name}{UNROUNDED_SUFFIX}" WHERE release_year = ?',
                [int(release)]).fetchall()}
        if not years:  # unrounded rows not stored: the years whose national row has a number
            nat = df[df["geographic_level"] == "National"]
            inds = [i.name for i in spec.indicators]
            for y, block in nat.groupby("time_period"):
                if any(_is_number(v) for v in block[inds].to_numpy().ravel()):
                    years.add(int(y))
        return PipelineTable(int(release), df, years)


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------- cells
def _long(df: pd.DataFrame, spec: TableSpec, columns: list[str], years: set[int]) -> pd.DataFrame:
    """One row per (year, level, geography, filters, column) of a published-layout frame."""
    import pandas as pd

    d = df[df["geographic_level"].isin(LEVELS)].copy()
    d["year"] = pd.to_numeric(d["time_period"], errors="coerce")
    d = d[d["year"].isin(list(years))]
    d["year"] = d["year"].astype(int)
    level = d["geographic_level"]
    d["geography_code"] = ""
    d["geography_name"] = ""
    for lvl, (code, name) in _LEVEL_CODE.items():
        sel = level == lvl
        if code in d.columns:
            d.loc[sel, "geography_code"] = d.loc[sel, code].astype(str)
            d.loc[sel, "geography_name"] = d.loc[sel, name].astype(str)
    fcols = [f.name for f in spec.filters if not f.constant and f.name in d.columns]
    if fcols:
        d["filters"] = d[fcols].astype(str).apply(
            lambda r: "; ".join(f"{c}={v}" for c, v in zip(fcols, r)), axis=1)
    else:
        d["filters"] = ""
    keys = ["year", "geographic_level", "geography_code", "geography_name", "filters"]
    out = d[keys + columns].melt(id_vars=keys, value_vars=columns, var_name="column", value_name="value")
    out["value"] = out["value"].astype(str).str.strip()
    return out.rename(columns={"geographic_level": "level"})


def _symbol(v: str) -> str:
    return v if v else "blank"


def compare_cells(spec: TableSpec, published: pd.DataFrame, pipeline: pd.DataFrame, years: Iterable[int],
                  tol: Tolerances = Tolerances()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare two frames of ``spec``'s published layout. Returns ``(cells, not_comparable)``:
    ``cells`` has :data:`CELL_COLUMNS` (one row per compared cell), ``not_comparable`` has
    ``table, level, column, reason, cells``."""
    import numpy as np
    import pandas as pd

    years = set(int(y) for y in years)
    kinds = {i.name: i.kind for i in spec.indicators}
    columns = [c for c in kinds if c in published.columns and c in pipeline.columns]
    pub = _long(published, spec, columns, years)
    pip = _long(pipeline, spec, columns, years).drop(columns=["geography_name"])
    keys = ["year", "level", "geography_code", "filters", "column"]
    pub = pub.drop_duplicates(keys)
    pip = pip.drop_duplicates(keys)
    m = pub.merge(pip, on=keys, how="outer", suffixes=("_pub", "_pip"), indicator=True)
    m["geography_name"] = m["geography_name"].fillna("")
    pv = pd.to_numeric(m["value_pub"], errors="coerce")
    qv = pd.to_numeric(m["value_pip"], errors="coerce")
    reason = pd.Series("", index=m.index, dtype=object)
    reason[m["_merge"] == "left_only"] = "no pipeline row"
    reason[m["_merge"] == "right_only"] = "no published row"
    both = (m["_merge"] == "both").to_numpy()
    ps, qs = pv.isna().to_numpy(), qv.isna().to_numpy()
    vp, vq = m["value_pub"].fillna("").to_numpy(), m["value_pip"].fillna("").to_numpy()
    r = reason.to_numpy(dtype=object, copy=True)
    for i in np.flatnonzero(both & (ps | qs)):
        if ps[i] and qs[i]:
            a, b = _symbol(vp[i]), _symbol(vq[i])
            r[i] = f"both {a}" if a == b else f"published {a}, pipeline {b}"
        elif ps[i]:
            r[i] = f"published {_symbol(vp[i])}"
        else:
            r[i] = f"pipeline {_symbol(vq[i])}"
    reason = pd.Series(r, index=m.index)
    nc = m[reason != ""].assign(reason=reason[reason != ""])
    not_comparable = (nc.groupby(["level", "column", "reason"]).size().rename("cells").reset_index()
                      .assign(table=spec.table_id)[["table", "level", "column", "reason", "cells"]])

    c = m[reason == ""].copy()
    c["published"] = pv[reason == ""].astype(float)
    c["pipeline"] = qv[reason == ""].astype(float)
    c["kind"] = c["column"].map(kinds)
    c["table"] = spec.table_id
    p, q = c["published"].to_numpy(), c["pipeline"].to_numpy()
    is_pct = (c["kind"] == "percent").to_numpy()
    zero = (p == 0) & ~is_pct
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(p != 0, 100.0 * (q - p) / np.where(p != 0, p, 1), 0.0)
    diff = np.where(is_pct, q - p, np.where(zero, q - p, rel))
    unit = np.where(is_pct, "points", np.where(zero, "absolute", "%"))
    tolv = c["kind"].map(tol.for_kind).to_numpy(dtype=float)
    within = np.where(zero, q == 0, np.abs(diff) <= tolv + 1e-9)
    c["difference"] = diff
    c["difference_unit"] = unit
    c["within"] = within.astype(bool)
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    col_order = {name: i for i, name in enumerate(kinds)}
    c = c.assign(_l=c["level"].map(order), _c=c["column"].map(col_order))
    c = c.sort_values(["year", "_l", "geography_code", "filters", "_c"],
                      ascending=[False, True, True, True, True], kind="stable")
    return c[CELL_COLUMNS].reset_index(drop=True), not_comparable


@dataclass
class Fidelity:
    cells: pd.DataFrame                      # CELL_COLUMNS
    not_comparable: pd.DataFrame             # table, level, column, reason, cells
    compared: dict[str, dict] = field(default_factory=dict)   # table id -> file, release, years
    skipped: dict[str, str] = field(default_factory=dict)     # table id -> why not compared


def fidelity(con, published_dir: Path | None = None, years: Iterable[int] | None = None,
             release_year: int | None = None, tol: Tolerances = Tolerances(),
             tables: Iterable[TableSpec] | None = None, pipeline: Pipeline | None = None) -> Fidelity:
    """Compare every declared table that has a published file with the pipeline's published text."""
    import pandas as pd

    folder = Path(published_dir) if published_dir else default_published_dir()
    pipeline = pipeline or Pipeline(con, release_year)
    cells, ncs = [], []
    out = Fidelity(pd.DataFrame(columns=CELL_COLUMNS), pd.DataFrame())
    for spec in (tables if tables is not None else all_tables()):
        path = published_file(spec, folder)
        if path is None:
            continue  # no real published file: nothing to compare with (not reported)
        pt = pipeline.table(spec)
        if pt is None:
            out.skipped[spec.table_id] = f"no pipeline output in the warehouse (publication.{spec.warehouse_name})"
            continue
        pub = read_published(path)
        pub_years = set(pd.to_numeric(pub["time_period"], errors="coerce").dropna().astype(int))
        want = pt.years & pub_years
        if years is not None:
            want &= set(int(y) for y in years)
        if not want:
            out.skipped[spec.table_id] = f"no year with both pipeline data and published figures ({path.name})"
            continue
        missing = [i.name for i in spec.indicators if i.name not in pub.columns]
        c, nc = compare_cells(spec, pub, pt.data, want, tol)
        cells.append(c)
        ncs.append(nc)
        out.compared[spec.table_id] = {"file": path.name, "release_year": pt.release_year,
                                       "years": sorted(want), "columns_not_published": missing}
    if cells:
        out.cells = pd.concat(cells, ignore_index=True)
    out.not_comparable = (pd.concat(ncs, ignore_index=True) if ncs
                          else pd.DataFrame(columns=["table", "level", "column", "reason", "cells"]))
    return out


def la_headline(cells: pd.DataFrame, tol: Tolerances = Tolerances()) -> pd.DataFrame:
    """The LA count cells published at ``tol.la_min`` or more, with ``within_la`` (pipeline within
    ``tol.la_count`` per cent)."""
    sel = cells[(cells["level"] == "Local authority") & (cells["kind"] == "count")
                & (cells["published"] >= tol.la_min)].copy()
    sel["within_la"] = (100.0 * (sel["pipeline"] - sel["published"]) / sel["published"]).abs() \
        <= tol.la_count + 1e-9
    return sel


def summary(result: Fidelity, tol: Tolerances = Tolerances()) -> pd.DataFrame:
    """Per table (:data:`SUMMARY_COLUMNS`): cells within tolerance / compared at each level, the LA
    counts >= 100 within 10%, and the cells not comparable; a last row ``all`` sums them."""
    import pandas as pd

    cells = result.cells
    la100 = la_headline(cells, tol)
    rows = []
    for tid in result.compared:
        c = cells[cells["table"] == tid]
        row = [tid]
        for lvl in LEVELS:
            cl = c[c["level"] == lvl]
            row += [int(cl["within"].sum()), len(cl)]
        la = la100[la100["table"] == tid]
        nc = result.not_comparable
        row += [int(la["within_la"].sum()), len(la), int(nc.loc[nc["table"] == tid, "cells"].sum())]
        rows.append(row)
    df = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    if len(df):
        total = ["all"] + [int(df[c].sum()) for c in SUMMARY_COLUMNS[1:]]
        df = pd.concat([df, pd.DataFrame([total], columns=SUMMARY_COLUMNS)], ignore_index=True)
    return df


def worst(cells: pd.DataFrame, tol: Tolerances = Tolerances(), per_level: int = 10) -> pd.DataFrame:
    """The cells outside tolerance, level by level (national first), largest misses first: misses
    are ranked by ``|difference| / tolerance`` (per cent or points); cells published as 0 (absolute
    differences) come after the relative misses of their level."""
    import pandas as pd

    out = cells[~cells["within"]].copy()
    if out.empty:
        return out
    out["_sev"] = out["difference"].abs() / out["kind"].map(tol.for_kind)
    out["_abs"] = out["difference_unit"] == "absolute"
    parts = []
    for lvl in LEVELS:
        part = out[out["level"] == lvl].sort_values(["_abs", "_sev"], ascending=[True, False], kind="stable")
        parts.append(part.head(per_level))
    return pd.concat(parts).drop(columns=["_sev", "_abs"])


# ----------------------------------------------------------------------------- text
def points(x: float) -> str:
    """``1 point``, ``0.5 points``, ``2 points``."""
    return f"{x:g} point" + ("" if x == 1 else "s")


def _share(within: int, n: int) -> str:
    return f"{within}/{n} ({100.0 * within / n:.1f}%)" if n else "-"


def _aligned(head: list[str], body: list[list[str]], left: set[int]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(head, *body)]

    def fmt_row(cells):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [fmt_row(head), "  ".join("-" * w for w in widths)] + [fmt_row(b) for b in body]


def format_summary(df: pd.DataFrame, tol: Tolerances = Tolerances()) -> str:
    head = ["table", "national within", "regional within", "LA within",
            f"LA counts>={tol.la_min:g} within {tol.la_count:g}%", "not comparable"]
    body = [[r.table, _share(r.national_within, r.national_compared),
             _share(r.regional_within, r.regional_compared), _share(r.la_within, r.la_compared),
             _share(r.la_100_within, r.la_100_compared), f"{r.not_comparable:,}"]
            for r in df.itertuples(index=False)]
    return "\n".join(_aligned(head, body, {0}))


def _value(v: float, kind: str) -> str:
    return f"{v:,.0f}" if kind == "count" else f"{v:g}"


def _difference(r) -> str:
    if r.difference_unit == "points":
        return f"{r.difference:+.1f} pts"
    if r.difference_unit == "absolute":
        return f"{r.difference:+g} (published 0)"
    return f"{r.difference:+.1f}%"


def format_worst(df: pd.DataFrame) -> str:
    head = ["table", "year", "level", "geography", "column", "published", "pipeline", "difference"]
    body = [[r.table.split(".")[-1].upper(), str(r.year), r.level,
             f"{r.geography_code} {r.geography_name}".strip() + (f" [{r.filters}]" if r.filters else ""),
             r.column, _value(r.published, r.kind), _value(r.pipeline, r.kind), _difference(r)]
            for r in df.itertuples(index=False)]
    return "\n".join(_aligned(head, body, {0, 2, 3, 4}))


def format_not_comparable(nc: pd.DataFrame) -> str:
    if nc.empty:
        return "not comparable: none"
    by = nc.groupby("reason")["cells"].sum().sort_values(ascending=False)
    return "not comparable (cells, by reason): " + ", ".join(f"{reason} {n:,}" for reason, n in by.items())


# ----------------------------------------------------------------------------- LAIT
@dataclass(frozen=True)
class LaitMeasure:
    """A LAIT measure and how the pipeline's published LA values give it.

    ``how``: ``column`` (the value of ``columns[0]``), ``percent`` (``100 * sum(columns) /
    denominator``) or ``rate`` (``10000 * columns[0] / population aged 0-17`` of the LA and year,
    :func:`cin_pipeline.reference.population_for`, as the tables' own rates)."""

    code: str
    table_id: str
    how: str
    columns: tuple[str, ...]
    denominator: str | None = None
    why: str = ""

    @property
    def derivation(self) -> str:
        t = self.table_id.split(".")[-1].upper()
        if self.how == "column":
            return f"{t} {self.columns[0]}"
        if self.how == "percent":
            return f"{t} 100*({' + '.join(self.columns)})/{self.denominator}"
        return f"{t} {self.columns[0]} per 10,000 aged 0-17"


_B1, _B5, _C1 = "children_in_need.b1", "children_in_need.b5", "children_in_need.c1"
_C4, _D3, _D5 = "children_in_need.c4", "children_in_need.d3", "children_in_need.d5"
_B4, _D7 = "children_in_need.b4", "children_in_need.d7"
_C2, _C5, _D6 = "children_in_need.c2", "children_in_need.c5", "children_in_need.d6"
_EXACT = ("Checked against the real published LA values 2016-2024: equal in every LA-year where "
          "both have a number.")
_RATE = ("The published C4/D3/D5 files have no rate column; the rate from the count and the "
         "reference 0-17 population equals LAIT in 99%+ of LA-years (rest: 0.1 rounding).")

LAIT_MEASURES: tuple[LaitMeasure, ...] = (
    # dictionary: "Number of referrals to Children's Social Services", file c1 -> C1 Referrals
    LaitMeasure("CPP_Total_NumRef", _C1, "column", ("Referrals",), why=_EXACT),
    # "Rates per 10,000 of referrals", file c1 -> C1 Referrals_rate
    LaitMeasure("CPP_Total_Rateper10,000", _C1, "column", ("Referrals_rate",), why=_EXACT),
    # "Referrals ... closed with no further action (%)", file c1 -> C1 No_Further_Action_percent
    LaitMeasure("CIN_Refferals_NFA", _C1, "column", ("No_Further_Action_percent",), why=_EXACT),
    # "Referrals ... assessed not to be in need (%)" (RC8/RC9), file c1 -> C1 Not_in_Need_percent
    LaitMeasure("Referrals_AssessedNotNeed", _C1, "column", ("Not_in_Need_percent",), why=_EXACT),
    # "Re-referrals ... within 12 months of the previous referral (%)", file c1 -> Re_referrals_percent
    LaitMeasure("ReReferral", _C1, "column", ("Re_referrals_percent",), why=_EXACT),
    # "Section 47 enquiries which started during the year - rate", file c4 -> Section47 per 10,000
    LaitMeasure("Section_47", _C4, "rate", ("Section47",), why=_RATE),
    # "Initial Stage Child Protection conferences - rate", file c4 -> ICPC (conferences, not
    # children: ICPC_child per 10,000 matches only 14% of LA-years exactly) per 10,000
    LaitMeasure("ISCP_Conf", _C4, "rate", ("ICPC",), why=_RATE),
    # "0-10 / 11-15 / 16-20 / 21+ working days ... to ICPC (Num)", file c4 -> the C4 duration bands
    LaitMeasure("10_ICPC", _C4, "column", ("Duration_0-10_days",), why=_EXACT),
    LaitMeasure("15_ICPC", _C4, "column", ("Duration_11-15_days",), why=_EXACT),
    LaitMeasure("20_ICPC", _C4, "column", ("Duration_16-20_days",), why=_EXACT),
    LaitMeasure("21_ICPC", _C4, "column", ("Duration_21+_days",), why=_EXACT),
    # "ICPCs held within 15 days of the start of the section 47 (%)" (special request) ->
    # (0-10 + 11-15 working days) / all ICPCs: equal to LAIT (1 dp) in 99% of LA-years
    LaitMeasure("CP_conf_15days", _C4, "percent", ("Duration_0-10_days", "Duration_11-15_days"), "ICPC",
                why="C4 bands: equal to LAIT in 99% of published LA-years (rest: 0.1 rounding)."),
    # "Children who are the subject of a CPP - rate" (at 31 March) -> D5 CPP_At31 per 10,000
    LaitMeasure("CPP_rate", _D5, "rate", ("CPP_At31",), why=_RATE),
    # "Children who are the subject of a CPP - number" (at 31 March) -> D5 CPP_At31
    LaitMeasure("CPP_Num", _D5, "column", ("CPP_At31",), why=_EXACT),
    # "Child Protection plans starting during the year - number" -> D3 CPP_start
    LaitMeasure("CPP_Abuse", _D3, "column", ("CPP_start",), why=_EXACT),
    # "Child protection plans starting during the year - rate" -> D3 CPP_start per 10,000
    LaitMeasure("CPP_Abuse_Rate", _D3, "rate", ("CPP_start",), why=_RATE),
    # "became the subject of a plan for a second or subsequent time - number", file d3
    LaitMeasure("ReRegCPR", _D3, "column", ("CPP_subsequent",), why=_EXACT),
    # "... second or subsequent time (%)", file d3
    LaitMeasure("PrevRegCPR", _D3, "column", ("CPP_subsequent_percent",), why=_EXACT),
    # "Children subject to CPPs lasting 2 years or more (%)", file d5 (the METH text describes a
    # during-the-year denominator, but the values are D5's at 31 March)
    LaitMeasure("CPPlans2yrsActive", _D5, "column", ("2_years_or_more_percent",), why=_EXACT),
    # "Children in Need (rate)", file b1 -> children in need at 31 March per 10,000
    # (Anypoint_child_rate never matches)
    LaitMeasure("CIN", _B1, "column", ("At31_episodes_rate",), why=_EXACT),
    # "Children who cease to be in need by duration (%)", file b5 (episodes ending in the year,
    # referral to closure date) -> B5 percentages. No published B5 file here to check against.
    LaitMeasure("CINCease3months", _B5, "column", ("3_months_or_less_percent",),
                why="dictionary: file b5, duration of ended episodes; B5 band 3 months or less."),
    LaitMeasure("CINCease3-6", _B5, "column", ("more_than_3_months_6_months_percent",),
                why="dictionary: file b5; B5 band more than 3 and up to 6 months."),
    LaitMeasure("CINCease6-1", _B5, "column", ("more_than_6_months_less_than_1_year_percent",),
                why="dictionary: file b5; B5 band more than 6 months and less than 1 year."),
    LaitMeasure("CINCease1-2", _B5, "column", ("1_year_less_than_2_years_percent",),
                why="dictionary: file b5; B5 band 1 year and less than 2 years."),
    LaitMeasure("CINCease2more", _B5, "column", ("2years+_percent",),
                why="dictionary: file b5; B5 band 2 years or more."),
    # "Children in need by duration (%)", file b4 (episodes open at 31 March, referral date to
    # 31 March) -> B4 percentages. No published B4 file here to check against.
    LaitMeasure("CINTime3months", _B4, "column", ("3_months_or_less_percent",),
                why="dictionary: file b4, duration of open episodes; B4 band 3 months or less."),
    LaitMeasure("CINTime3-6", _B4, "column", ("more_than_3_months_6_months_percent",),
                why="dictionary: file b4; B4 band more than 3 and up to 6 months."),
    LaitMeasure("CINTime6-1", _B4, "column", ("more_than_6_months_less_than_1_year_percent",),
                why="dictionary: file b4; B4 band more than 6 months and less than 1 year."),
    LaitMeasure("CINTime1-2", _B4, "column", ("1_year_less_than_2_years_percent",),
                why="dictionary: file b4; B4 band 1 year and less than 2 years."),
    LaitMeasure("CINTime2more", _B4, "column", ("2years+_percent",),
                why="dictionary: file b4; B4 band 2 years or more."),
    # "Child Protection Plans lasting 2 years or more which cease during the year (%)", file d7
    # (more than 729 days including the day of cessation) -> D7 2_years_or_more_percent
    LaitMeasure("CPPlans2yrs", _D7, "column", ("2_years_or_more_percent",),
                why="dictionary: file d7, plans ending by duration; D7 band 2 years or more."),
    # "Children subject to child protection plan continuously for 2 years or more (number)",
    # file d7 -> D7 2_years_or_more
    LaitMeasure("CPRDuration", _D7, "column", ("2_years_or_more",),
                why="dictionary: file d7, plans ending by duration; D7 band 2 years or more."),
    # "% of continuous assessments completed within 45 working days", file c2 -> the first six
    # C2 bands (0 to 45 working days) over all assessments completed
    LaitMeasure("Continue_Assess_Comp", _C2, "percent",
                ("Same_day", "1-10_days", "11-20_days", "21-30_days", "31-40_days", "41-45_days"),
                "Assessments_completed",
                why="dictionary: C2, assessments completed within 45 working days, %."),
    # the three D6 measures: base, reviewed in time, % (dictionary: file d6)
    LaitMeasure("CPP_31March_3MnthorMore", _D6, "column", ("CPP_At31_3_months_or_more",),
                why="dictionary: file d6, plans at 31 March for 3 months or more."),
    LaitMeasure("CPP_Reviewed_InReqTimeScl", _D6, "column", ("Reviewed_within_timescales",),
                why="dictionary: file d6, reviewed within the required timescales."),
    LaitMeasure("RevCP", _D6, "column", ("Reviewed_within_timescales_percent",),
                why="dictionary: file d6, % reviewed within timescales."),
    # referrals by source, % of referrals (special request; C5 shares)
    LaitMeasure("RefBySource_Schl_%", _C5, "column", ("Schools_percent",),
                why="LAIT special request: referrals from schools, % (C5 Schools_percent)."),
    LaitMeasure("RefBySource_HealthServ_%", _C5, "column", ("Health_Services_percent",),
                why="LAIT special request: referrals from health services, % (C5)."),
    LaitMeasure("RefBySource_Police_%", _C5, "column", ("Police_percent",),
                why="LAIT special request: referrals from the police, % (C5)."),
)


LAIT_NOT_MAPPED: dict[str, str] = {
    "DeRegCPR": "plans ceasing during the year (rate): its dictionary entry names the C5 file and "
                "its values are not checked against D1 CPP_end_rate, so not mapped",
}


def read_lait(path: Path) -> pd.DataFrame:
    """The LAIT extract's LA rows: ``measure, year, la, la_name, value`` (text; '-' kept)."""
    from cin_pipeline.reference.build import read_lait as read_extract

    out = read_extract(path)
    return out[out["la"] != "england"].reset_index(drop=True)


def read_lait_england(path: Path) -> pd.DataFrame:
    """The LAIT extract's England rows: ``measure, year, value`` (text)."""
    from cin_pipeline.reference.build import read_lait as read_extract

    out = read_extract(path)
    return out[out["la"] == "england"][["measure", "year", "value"]].reset_index(drop=True)


def _la_values(pt: PipelineTable, m: LaitMeasure, level: str = "Local authority") -> pd.DataFrame:
    """``year, la, pipeline, reason`` of a measure from a table's published rows of ``level``
    (national rows: ``la`` = ``E92000001``)."""
    import numpy as np
    import pandas as pd

    from cin_pipeline import reference

    d = pt.data[pt.data["geographic_level"] == level]
    code = d["old_la_code"] if level == "Local authority" else d["country_code"]
    out = pd.DataFrame({"year": pd.to_numeric(d["time_period"], errors="coerce").astype(int).to_numpy(),
                        "la": code.astype(str).to_numpy()})
    cols = list(m.columns) + ([m.denominator] if m.denominator else [])
    raw = {c: d[c].astype(str).str.strip().to_numpy() for c in cols}
    num = {c: pd.to_numeric(pd.Series(v), errors="coerce").to_numpy(dtype=float) for c, v in raw.items()}
    reason = np.full(len(out), "", dtype=object)
    for c in cols:
        bad = np.isnan(num[c]) & (reason == "")
        reason[bad] = [f"pipeline {_symbol(v)}" for v in raw[c][bad]]
    if m.how == "column":
        val = num[m.columns[0]]
    elif m.how == "percent":
        den = num[m.denominator]
        with np.errstate(divide="ignore", invalid="ignore"):
            val = 100.0 * sum(num[c] for c in m.columns) / den
        reason[(den == 0) & (reason == "")] = "pipeline denominator 0"
    else:
        pops = {y: reference.population_for(int(y)) for y in set(out["year"])}
        pop = np.array([pops[y].get(la, np.nan) for y, la in zip(out["year"], out["la"])], dtype=float)
        val = 10000.0 * num[m.columns[0]] / pop
        reason[np.isnan(pop) & (reason == "")] = "no population"
    out["pipeline"] = val
    out["reason"] = reason
    return out


@dataclass
class Lait:
    cells: pd.DataFrame                 # LAIT_COLUMNS
    not_comparable: pd.DataFrame        # measure, reason, la_years
    skipped: dict[str, str] = field(default_factory=dict)  # mapped measure -> why not compared
    measures: tuple[LaitMeasure, ...] = LAIT_MEASURES


def lait_compare(pipeline: Pipeline, lait: pd.DataFrame, years: Iterable[int] | None = None,
                 tol: Tolerances = Tolerances(),
                 measures: tuple[LaitMeasure, ...] = LAIT_MEASURES) -> Lait:
    """Each mapped LAIT measure against the pipeline's LA values, LA-year by LA-year, for the
    years 2016-2024 that the mapped table's run has (and ``years``)."""
    import numpy as np
    import pandas as pd

    from cin_pipeline import reference

    cells, ncs, skipped = [], [], {}
    for m in measures:
        try:
            spec = get(m.table_id)
        except KeyError:
            skipped[m.code] = f"table {m.table_id} is not declared"
            continue
        pt = pipeline.table(spec)
        if pt is None:
            skipped[m.code] = f"no pipeline output for {m.table_id}"
            continue
        want = set(LAIT_YEARS) & pt.years
        if years is not None:
            want &= set(int(y) for y in years)
        li = lait[(lait["measure"] == m.code) & lait["year"].isin(list(want))]
        if li.empty:
            skipped[m.code] = "no LAIT values in the years the run has"
            continue
        valid = {(y, la) for y in set(li["year"]) for la in reference.la_codes(int(y))}
        li = li[[(y, la) in valid for y, la in zip(li["year"], li["la"])]]
        pv = _la_values(pt, m)
        j = li.merge(pv, on=["year", "la"], how="left")
        lv = pd.to_numeric(j["value"], errors="coerce")
        reason = j["reason"].fillna("no pipeline row").to_numpy(dtype=object, copy=True)
        lsym = lv.isna().to_numpy()
        reason[lsym] = [f"LAIT {_symbol(v)}" for v in j["value"].to_numpy()[lsym]]
        ok = reason == ""
        nc = pd.Series(reason[~ok]).value_counts()
        ncs += [(m.code, r, int(n)) for r, n in nc.items()]
        c = j[ok].copy()
        p, q = lv[ok].to_numpy(dtype=float), c["pipeline"].to_numpy(dtype=float)
        zero = p == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = np.where(zero, q - p, 100.0 * (q - p) / np.where(zero, 1, p))
        c["lait"] = p
        c["difference"] = diff
        c["difference_unit"] = np.where(zero, "absolute", "%")
        c["within"] = np.where(zero, q == 0, np.abs(diff) <= tol.lait + 1e-9).astype(bool)
        c["table"] = m.table_id
        c["derivation"] = m.derivation
        cells.append(c[LAIT_COLUMNS])
    df = pd.concat(cells, ignore_index=True) if cells else pd.DataFrame(columns=LAIT_COLUMNS)
    return Lait(df, pd.DataFrame(ncs, columns=["measure", "reason", "la_years"]), skipped, tuple(measures))


NATIONAL_LAIT_COLUMNS = ["measure", "table", "derivation", "kind", "year", "lait", "pipeline",
                         "difference", "difference_unit", "within"]


def lait_national(pipeline: Pipeline, england: pd.DataFrame, years: Iterable[int] | None = None,
                  tol: Tolerances = Tolerances(),
                  measures: tuple[LaitMeasure, ...] = LAIT_MEASURES) -> pd.DataFrame:
    """Each mapped LAIT measure's England value against the pipeline's national value, year by
    year, with the issue's national tolerances: counts and rates within ``tol.count``/``tol.rate``
    per cent, percentages within ``tol.percent`` points (:data:`NATIONAL_LAIT_COLUMNS`)."""
    import numpy as np
    import pandas as pd

    rows = []
    for m in measures:
        try:
            spec = get(m.table_id)
        except KeyError:
            continue
        pt = pipeline.table(spec)
        if pt is None:
            continue
        kind = ("percent" if m.how == "percent" else "rate" if m.how == "rate"
                else spec.indicator(m.columns[0]).kind)
        pv = _la_values(pt, m, "National")
        ev = england[england["measure"] == m.code]
        for y, v in zip(ev["year"], pd.to_numeric(ev["value"], errors="coerce")):
            if (years is not None and int(y) not in set(int(x) for x in years)) or int(y) not in pt.years:
                continue
            got = pv[(pv["year"] == int(y)) & (pv["reason"] == "")]["pipeline"]
            if got.empty or np.isnan(v):
                continue
            q = float(got.iloc[0])
            if kind == "percent":
                diff, unit, ok = q - v, "points", abs(q - v) <= tol.percent + 1e-9
            else:
                diff = 100.0 * (q - v) / v if v else q - v
                unit = "%" if v else "absolute"
                ok = abs(diff) <= tol.for_kind(kind) + 1e-9 if v else q == 0
            rows.append((m.code, m.table_id, m.derivation, kind, int(y), float(v), q, diff, unit, bool(ok)))
    return pd.DataFrame(rows, columns=NATIONAL_LAIT_COLUMNS).sort_values(
        ["table", "measure", "year"], kind="stable").reset_index(drop=True)


def format_lait(result: Lait, tol: Tolerances = Tolerances()) -> str:
    head = ["measure", "from", f"LA-years within {tol.lait:g}%", "not comparable"]
    body = []
    cells, nc = result.cells, result.not_comparable
    for m in result.measures:
        c = cells[cells["measure"] == m.code]
        if m.code in result.skipped or (c.empty and not (nc["measure"] == m.code).any()):
            continue
        body.append([m.code, m.derivation, _share(int(c["within"].sum()), len(c)),
                     str(int(nc.loc[nc["measure"] == m.code, "la_years"].sum()))])
    body.append(["all", "", _share(int(cells["within"].sum()), len(cells)), str(int(nc["la_years"].sum()))])
    lines = _aligned(head, body, {0, 1})
    n = len(cells)
    share = 100.0 * cells["within"].sum() / n if n else 0.0
    lines.append("")
    lines.append(f"LAIT measures within {tol.lait:g}% for {share:.1f}% of LA-years "
                 f"({int(cells['within'].sum())} of {n}, {cells['measure'].nunique()} measures)")
    if len(nc):
        by = nc.groupby("reason")["la_years"].sum().sort_values(ascending=False)
        lines.append("not comparable (LA-years, by reason): "
                     + ", ".join(f"{reason} {n:,}" for reason, n in by.items()))
    by_reason: dict[str, list[str]] = {}
    for code, why in result.skipped.items():
        by_reason.setdefault(why, []).append(code)
    for why, codes in by_reason.items():
        lines.append(f"not compared ({why}): {', '.join(codes)}")
    lines.append(f"not mapped ({len(LAIT_NOT_MAPPED)} measures; reasons in "
                 f"cin_pipeline.cli.fidelity.LAIT_NOT_MAPPED): {', '.join(LAIT_NOT_MAPPED)}")
    return "\n".join(lines)
