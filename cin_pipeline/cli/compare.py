"""``cin-pipeline compare``: the pipeline's figures against the real published ones.

Three sections (the second and third: :mod:`cin_pipeline.cli.fidelity`):

1. **Headline figures, England, per year** (this module): the headline figures the tables declare
   with a published measure (:data:`FIGURES`) against :func:`cin_pipeline.reference.national_published`.
   Pipeline values come from the stored unrounded table output ``publication.<table_id>__unrounded``
   (latest ``release_year`` of each table), summed over the LAs that make up the published national
   total of each year: :func:`cin_pipeline.ees.rows.la_contributions` picks them, so carried-forward
   LA-years (Hampshire 2024 <- 2023) and LAs outside the year's geography are treated exactly as
   the EES writer treats them. Re-referral figures of a year whose previous census is not staged
   are left out: the publication shows them as ``x`` (incomplete 12-month look-back).
   Differences: for counts, ``100 * (pipeline - published) / published`` (per cent); for
   percentages, ``pipeline - published`` (percentage points). A count is *within* when the absolute
   difference is at most ``tolerance`` per cent (default 2), a percentage when it is at most
   ``percent_tolerance`` points (default: ``tolerance``; the command passes 1). Published counts
   are rounded to the nearest 10; pipeline values are unrounded.
2. **Every published cell** of every declared table with a real published file, at national,
   regional and LA level (:func:`cin_pipeline.cli.fidelity.fidelity`); ``--csv`` writes it all.
3. **LAIT LA measures** mapped to the tables' columns (:func:`cin_pipeline.cli.fidelity.lait_compare`).
4. **LAIT England values** against the national rows (:func:`cin_pipeline.cli.fidelity.lait_national`).
5. **Catalogue values**: the national figures quoted on EES data-catalogue pages and release pages
   for tables with no published data file here (the re-referrals release; the CIN release's A4, A5
   and A6 national time series: :mod:`cin_pipeline.cli.catalogue`); ``--catalogue-csv``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cin_pipeline.cli import catalogue as cat
from cin_pipeline.cli import fidelity as fid
from cin_pipeline.sqlutil import has_relation
from cin_pipeline.tables import all_tables, get

if TYPE_CHECKING:  # pandas is imported where it is used: registering the sub-command stays cheap
    import pandas as pd

DEFAULT_TOLERANCE = 2.0         # per cent (counts, rates)
DEFAULT_PERCENT_TOLERANCE = 1.0  # percentage points (the command's default)


@dataclass(frozen=True)
class Figure:
    label: str
    table_id: str
    numerator: str               # count column of the table query
    published: str               # column of reference.national_published()
    denominator: str | None = None  # percentages: numerator / denominator * 100
    rows: tuple[tuple[str, str], ...] = ()  # the query rows that make the figure (Headline.rows)

    @property
    def is_percent(self) -> bool:
        return self.denominator is not None


@lru_cache(maxsize=None)
def declared_figures() -> tuple[Figure, ...]:
    """The headline figures declared with a published national measure, table by table."""
    out = []
    for t in all_tables():
        for h in t.headline:
            if not h.published:
                continue
            ind = t.indicator(h.column)
            if ind.kind == "percent":
                out.append(Figure(h.label, t.table_id, ind.numerator, h.published, ind.denominator,
                                  h.rows))
            else:
                out.append(Figure(h.label, t.table_id, h.column, h.published, rows=h.rows))
    return tuple(out)


def __getattr__(name: str):
    """``FIGURES``: the declared figures, worked out on first use (finding the declared tables
    imports the reference data; registering the sub-command must stay cheap)."""
    if name == "FIGURES":
        return declared_figures()
    raise AttributeError(name)

COLUMNS = ["year", "figure", "unit", "published", "pipeline", "difference", "difference_unit",
           "within", "table", "release_year"]


def _needs_lookback(f: Figure) -> bool:
    return any(i.lookback for i in get(f.table_id).indicators if i.name == f.numerator)


@dataclass
class NationalSums:
    """A table's unrounded counts summed over the LAs that make up the national totals."""

    release: int | None = None          # latest stored release year (None: table not built)
    sums: pd.DataFrame | None = None  # one row per year, one column per count
    staged_years: set[int] = field(default_factory=set)  # years the query output has rows for

    def has(self, year: int) -> bool:
        return self.sums is not None and year in self.sums.index


def national_sums(con, table_id: str, rows: tuple[tuple[str, str], ...] = ()) -> NationalSums:
    """:class:`NationalSums` of a table for its latest stored release year, over the LAs that
    make up the national totals (:func:`la_contributions`) and the query rows picked by ``rows``
    (``(filter, value)``; every row when empty); empty when it has not been built."""
    from cin_pipeline.ees.rows import la_contributions
    from cin_pipeline.ees.store import UNROUNDED_SUFFIX

    spec = get(table_id)
    name = spec.warehouse_name + UNROUNDED_SUFFIX
    if not has_relation(con, "publication", name):
        return NationalSums()
    release = con.execute(f'SELECT max(release_year) FROM publication."{name}"').fetchone()[0]
    if release is None:
        return NationalSums()
    counts = con.execute(f'SELECT * FROM publication."{name}" WHERE release_year = ?', [release]).df()
    for column, value in rows:
        counts = counts[counts[column] == value]
    contrib = la_contributions(spec, counts, int(release))
    return NationalSums(int(release), contrib.groupby("year")[list(spec.count_columns)].sum(),
                        {int(y) for y in counts["year"].unique()})


def compare(con, years: list[int] | None = None, published: pd.DataFrame | None = None,
            tolerance: float = DEFAULT_TOLERANCE, percent_tolerance: float | None = None) -> pd.DataFrame:
    """One row per (year, figure) with both a published and a pipeline value (:data:`COLUMNS`).

    ``years`` defaults to every year that has published figures and pipeline output;
    ``percent_tolerance`` (points) defaults to ``tolerance``."""
    ptol = tolerance if percent_tolerance is None else percent_tolerance
    import pandas as pd

    from cin_pipeline import reference

    pub = (reference.national_published() if published is None else published).copy()
    pub["year"] = pub["year"].astype(int)
    pub = pub.set_index("year")
    tables = {(f.table_id, f.rows): national_sums(con, f.table_id, f.rows)
              for f in dict.fromkeys(declared_figures())}
    if years is None:
        have = set().union(*(set(int(y) for y in t.sums.index) for t in tables.values() if t.sums is not None))
        years = sorted(have & set(pub.index))
    rows = []
    for year in years:
        for f in declared_figures():
            t = tables[(f.table_id, f.rows)]
            if year not in pub.index or f.published not in pub.columns:
                continue
            p = pub.at[year, f.published]
            if p is None or pd.isna(p) or not t.has(year):
                continue
            if _needs_lookback(f) and (year - 1) not in t.staged_years:
                continue  # published as x: the previous census is not staged (incomplete look-back)
            sums, release = t.sums, t.release
            num = int(sums.at[year, f.numerator])
            if f.is_percent:
                den = int(sums.at[year, f.denominator])
                if den == 0:
                    continue
                value = 100.0 * num / den
                diff = value - float(p)
                unit, dunit, tol = "%", "points", ptol
            else:
                if float(p) == 0:
                    continue
                value = float(num)
                diff = 100.0 * (value - float(p)) / float(p)
                unit, dunit, tol = "count", "%", tolerance
            rows.append([year, f.label, unit, float(p), value, diff, dunit,
                         abs(diff) <= tol + 1e-9, f.table_id, release])
    return pd.DataFrame(rows, columns=COLUMNS)


def summary_line(df: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE,
                 percent_tolerance: float | None = None) -> str:
    ptol = tolerance if percent_tolerance is None else percent_tolerance
    return (f"{int(df['within'].sum()) if len(df) else 0} of {len(df)} figures within {tolerance:g}% "
            f"(percentages: within {fid.points(ptol)})")


def _num(value: float, unit: str) -> str:
    return f"{value:,.1f}" if unit == "%" else f"{value:,.0f}"


def format_table(df: pd.DataFrame) -> str:
    """Aligned text table: year, figure, published, pipeline, difference."""
    head = ["year", "figure", "published", "pipeline", "difference", ""]
    body = [[str(r.year), r.figure, _num(r.published, r.unit), _num(r.pipeline, r.unit),
             f"{r.difference:+.1f}{' pts' if r.difference_unit == 'points' else '%'}",
             "" if r.within else "*"]
            for r in df.itertuples(index=False)]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    left = {1}
    fmt_row = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    lines = [fmt_row(head), "  ".join("-" * w for w in widths).rstrip()]
    prev = None
    for r, cells in zip(df.itertuples(index=False), body):
        if prev is not None and r.year != prev:
            lines.append("")
        prev = r.year
        lines.append(fmt_row(cells))
    return "\n".join(lines)


def run_compare(years: str | None = None, csv: str | None = None,
                tolerance: float = DEFAULT_TOLERANCE, warehouse: Path | None = None, *,
                percent_tolerance: float = DEFAULT_PERCENT_TOLERANCE,
                la_tolerance: float = 10.0, lait_tolerance: float = 10.0,
                release_year: int | None = None, published: Path | None = None,
                headline_csv: str | None = None, lait_csv: str | None = None,
                lait: bool = True, worst: int = 10, catalogue_csv: str | None = None) -> int:
    import duckdb

    from cin_pipeline.settings import Paths
    from cin_pipeline.synth import parse_years

    path = Path(warehouse) if warehouse else Paths.from_env().warehouse
    if not path.exists():
        print(f"no warehouse at {path} (set CIN_DATA_DIR or CIN_WAREHOUSE, or run the pipeline)")
        return 2
    year_list = parse_years(years) if years else None
    tol = fid.Tolerances(count=tolerance, percent=percent_tolerance, rate=tolerance,
                         la_count=la_tolerance, lait=lait_tolerance)
    folder = Path(published) if published else fid.default_published_dir()
    con = duckdb.connect(str(path), read_only=True)
    try:
        df = compare(con, year_list, tolerance=tolerance, percent_tolerance=percent_tolerance)
        missing = sorted({f.table_id for f in declared_figures()} - set(df["table"]))
        pipeline = fid.Pipeline(con, release_year)
        result = fid.fidelity(con, folder, year_list, tol=tol, pipeline=pipeline) if folder.is_dir() else None
        lait_path = folder / fid.LAIT_FILE
        lres = (fid.lait_compare(pipeline, fid.read_lait(lait_path), year_list, tol)
                if lait and lait_path.is_file() else None)
        lnat = (fid.lait_national(pipeline, fid.read_lait_england(lait_path), year_list, tol)
                if lait and lait_path.is_file() else None)
        rr = cat.compare_catalogue(pipeline, tol)
        if year_list:
            rr = rr[rr["year"].isin(year_list)]
    finally:
        con.close()

    print(f"1. Headline figures, England: published (reference.national_published) vs pipeline ({path})")
    print(f"difference: % of published for counts, percentage points for percentages; "
          f"* = outside {tolerance:g}% / {fid.points(percent_tolerance)}")
    print()
    if len(df):
        print(format_table(df))
        print()
    if missing:
        print(f"no pipeline output for tables {', '.join(missing)} in the compared years")
    print(summary_line(df, tolerance, percent_tolerance))
    if headline_csv:
        _write(df, headline_csv)

    print()
    print(f"2. Every published cell: real published files ({folder}) vs the pipeline's published text")
    if result is None:
        print(f"no published files: {folder} is not a folder (--published DIR or CIN_PUBLISHED_DIR)")
    else:
        print(f"within: counts {tol.count:g}%, percentages {fid.points(tol.percent)}, rates and percentiles "
              f"(C4 Duration_*) {tol.rate:g}%; a published 0 only matches 0; LA headline: counts "
              f"published >= {tol.la_min:g} within {tol.la_count:g}%")
        for tid, info in result.compared.items():
            ys = info["years"]
            extra = (f"; not in the published file: {', '.join(info['columns_not_published'])}"
                     if info["columns_not_published"] else "")
            print(f"  {tid}: {info['file']} vs release {info['release_year']}, "
                  f"years {ys[0]}-{ys[-1]} ({len(ys)}){extra}")
        for tid, why in result.skipped.items():
            print(f"  {tid}: not compared ({why})")
        print()
        summ = fid.summary(result, tol)
        if len(summ):
            print(fid.format_summary(summ, tol))
            print()
            print(fid.format_not_comparable(result.not_comparable))
            print()
            bad = fid.worst(result.cells, tol, worst)
            if len(bad):
                print(f"worst cells (outside tolerance; up to {worst} per level, national first):")
                print(fid.format_worst(bad))
            else:
                print("no cell outside tolerance")
        else:
            print("no table compared")
        if csv:
            _write(result.cells, csv)

    if lres is not None:
        print()
        print(f"3. LAIT LA measures ({fid.LAIT_FILE}) vs the pipeline's LA values, 2016-2024")
        print(fid.format_lait(lres, tol))
        if lait_csv:
            _write(lres.cells, lait_csv)
    if lnat is not None:
        print()
        print(f"4. LAIT England values vs the pipeline's national values (counts and rates within "
              f"{tol.count:g}%, percentages within {fid.points(tol.percent)}; * = outside)")
        if len(lnat):
            show = lnat.assign(lait=lnat["lait"].map(lambda v: f"{v:,.1f}"),
                               pipeline=lnat["pipeline"].map(lambda v: f"{v:,.1f}"),
                               difference=[f"{d:+.1f}{'' if u == 'points' else '%'}{'' if w else ' *'}"
                                           for d, u, w in zip(lnat["difference"], lnat["difference_unit"],
                                                              lnat["within"])])
            print(show[["measure", "derivation", "year", "lait", "pipeline", "difference"]]
                  .to_string(index=False))
            print(f"within: {int(lnat['within'].sum())}/{len(lnat)}")
        else:
            print("no LAIT England value in the years the run has")

    print()
    print(f"5. Catalogue values (re-referrals release; CIN A4, A5, A6): the national values quoted on "
          f"EES catalogue pages and release pages vs the pipeline's published cells (counts within {tol.count:g}%, percentages within "
          f"{fid.points(tol.percent)}; * = outside)")
    if len(rr):
        print(cat.format_catalogue(rr))
        print(f"within: {int(rr['within'].sum())}/{len(rr)}")
    else:
        print(f"none of the years quoted ({', '.join(sorted({str(v.year) for v in cat.VALUES}))}) "
              "is in the run's re-referral tables")
    if catalogue_csv:
        _write(rr, catalogue_csv)
    return 0


def _write(df: pd.DataFrame, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    print(f"written {path}")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="fidelity: every published cell and LAIT measure vs the real published figures",
        description="Compare the current warehouse (CIN_DATA_DIR / CIN_WAREHOUSE) with the real "
                    "published figures: (1) the declared headline figures, England, against "
                    "reference.national_published(); (2) every column of every declared table with "
                    "a published file in the published folder, cell by cell at national, regional "
                    "and LA level (publication.<table>, latest release year); (3) the LAIT LA "
                    "measures mapped to the tables' columns.")
    p.add_argument("--years", default=None,
                   help="reporting years, e.g. 2013-2024 or 2022,2024 (default: every year with both)")
    p.add_argument("--release-year", type=int, default=None,
                   help="release year of the stored publication (default: the latest stored per table)")
    p.add_argument("--published", type=Path, default=None,
                   help="folder of the real published files (default CIN_PUBLISHED_DIR or "
                        "../shared/reference/published)")
    p.add_argument("--csv", default=None, metavar="PATH",
                   help="write the full cell-by-cell comparison as CSV (one row per compared cell)")
    p.add_argument("--headline-csv", default=None, metavar="PATH", help="write the headline table as CSV")
    p.add_argument("--lait-csv", default=None, metavar="PATH",
                   help="write the LAIT comparison as CSV (one row per compared LA-year and measure)")
    p.add_argument("--catalogue-csv", default=None, metavar="PATH",
                   help="write the catalogue comparison (section 5) as CSV")
    p.add_argument("--no-lait", action="store_true", help="leave out the LAIT measures")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help="per cent counted as 'within' for counts, rates and percentiles (default 2)")
    p.add_argument("--percent-tolerance", type=float, default=DEFAULT_PERCENT_TOLERANCE,
                   help="percentage points counted as 'within' for percentages (default 1)")
    p.add_argument("--la-tolerance", type=float, default=10.0,
                   help="per cent for the LA headline metric, LA counts published >= 100 (default 10)")
    p.add_argument("--lait-tolerance", type=float, default=10.0,
                   help="per cent for the LAIT measures (default 10)")
    p.add_argument("--worst", type=int, default=10, help="worst cells listed per level (default 10)")
    p.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    return run_compare(years=args.years, csv=args.csv, tolerance=args.tolerance,
                       percent_tolerance=args.percent_tolerance, la_tolerance=args.la_tolerance,
                       lait_tolerance=args.lait_tolerance, release_year=args.release_year,
                       published=args.published, headline_csv=args.headline_csv,
                       lait_csv=args.lait_csv, lait=not args.no_lait, worst=args.worst,
                       catalogue_csv=args.catalogue_csv)
