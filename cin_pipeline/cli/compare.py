"""``cin-pipeline compare``: published vs pipeline national figures, per year.

Pipeline values come from the stored unrounded table output ``publication.<table_id>__unrounded``
(latest ``release_year`` of each table), summed over the LAs that make up the published national
total of each year: :func:`cin_pipeline.ees.rows.la_contributions` picks them, so carried-forward
LA-years (Hampshire 2024 <- 2023) and LAs outside the year's geography are treated exactly as the
EES writer treats them. Published values are :func:`cin_pipeline.reference.national_published`.

Re-referral figures of a year whose previous census is not staged are left out: the publication
shows them as ``x`` (incomplete 12-month look-back).

Differences: for counts, ``100 * (pipeline - published) / published`` (per cent); for percentages,
``pipeline - published`` (percentage points). A figure is *within* the tolerance (default 2) when
the absolute difference is at most that many per cent (points for percentages). Published counts
are rounded to the nearest 10; pipeline values are unrounded.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cin_pipeline.sqlutil import has_relation
from cin_pipeline.tables import all_tables, get

if TYPE_CHECKING:  # pandas is imported where it is used: registering the sub-command stays cheap
    import pandas as pd

DEFAULT_TOLERANCE = 2.0


@dataclass(frozen=True)
class Figure:
    label: str
    table_id: str
    numerator: str               # count column of the table query
    published: str               # column of reference.national_published()
    denominator: str | None = None  # percentages: numerator / denominator * 100

    @property
    def is_percent(self) -> bool:
        return self.denominator is not None


def declared_figures() -> tuple[Figure, ...]:
    """The headline figures declared with a published national measure, table by table."""
    out = []
    for t in all_tables():
        for h in t.headline:
            if not h.published:
                continue
            ind = t.indicator(h.column)
            if ind.kind == "percent":
                out.append(Figure(h.label, t.table_id, ind.numerator, h.published, ind.denominator))
            else:
                out.append(Figure(h.label, t.table_id, h.column, h.published))
    return tuple(out)


FIGURES: tuple[Figure, ...] = declared_figures()

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


def national_sums(con, table_id: str) -> NationalSums:
    """:class:`NationalSums` of a table for its latest stored release year, over the LAs that
    make up the national totals (:func:`la_contributions`); empty when it has not been built."""
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
    contrib = la_contributions(spec, counts, int(release))
    return NationalSums(int(release), contrib.groupby("year")[list(spec.count_columns)].sum(),
                        {int(y) for y in counts["year"].unique()})


def compare(con, years: list[int] | None = None, published: pd.DataFrame | None = None,
            tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """One row per (year, figure) with both a published and a pipeline value (:data:`COLUMNS`).

    ``years`` defaults to every year that has published figures and pipeline output."""
    import pandas as pd

    from cin_pipeline import reference

    pub = (reference.national_published() if published is None else published).copy()
    pub["year"] = pub["year"].astype(int)
    pub = pub.set_index("year")
    tables = {tid: national_sums(con, tid) for tid in dict.fromkeys(f.table_id for f in FIGURES)}
    if years is None:
        have = set().union(*(set(int(y) for y in t.sums.index) for t in tables.values() if t.sums is not None))
        years = sorted(have & set(pub.index))
    rows = []
    for year in years:
        for f in FIGURES:
            t = tables[f.table_id]
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
                unit, dunit = "%", "points"
            else:
                if float(p) == 0:
                    continue
                value = float(num)
                diff = 100.0 * (value - float(p)) / float(p)
                unit, dunit = "count", "%"
            rows.append([year, f.label, unit, float(p), value, diff, dunit,
                         abs(diff) <= tolerance + 1e-9, f.table_id, release])
    return pd.DataFrame(rows, columns=COLUMNS)


def summary_line(df: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE) -> str:
    tol = f"{tolerance:g}"
    return (f"{int(df['within'].sum()) if len(df) else 0} of {len(df)} figures within {tol}% "
            f"(percentages: within {tol} points)")


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
                tolerance: float = DEFAULT_TOLERANCE, warehouse: Path | None = None) -> int:
    import duckdb

    from cin_pipeline.settings import Paths
    from cin_pipeline.synth import parse_years

    path = Path(warehouse) if warehouse else Paths.from_env().warehouse
    if not path.exists():
        print(f"no warehouse at {path} (set CIN_DATA_DIR or CIN_WAREHOUSE, or run the pipeline)")
        return 2
    con = duckdb.connect(str(path), read_only=True)
    try:
        df = compare(con, parse_years(years) if years else None, tolerance=tolerance)
        missing = sorted({f.table_id for f in FIGURES} - set(df["table"]))
    finally:
        con.close()
    print(f"Published vs pipeline national figures ({path})")
    print("difference: % of published for counts, percentage points for percentages; "
          f"* = outside {tolerance:g}")
    print()
    if len(df):
        print(format_table(df))
        print()
    if missing:
        print(f"no pipeline output for tables {', '.join(missing)} in the compared years")
    print(summary_line(df, tolerance))
    if csv:
        Path(csv).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(csv, index=False)
        print(f"written {csv}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="published vs pipeline national figures per year (within 2%%?)",
        description="Compare the national figures of the current warehouse (CIN_DATA_DIR / "
                    "CIN_WAREHOUSE; table outputs publication.<table>__unrounded, latest release "
                    "year) with the published ones (reference.national_published()).")
    p.add_argument("--years", default=None,
                   help="reporting years, e.g. 2013-2024 or 2022,2024 (default: every year with both)")
    p.add_argument("--csv", default=None, metavar="PATH", help="also write the table as CSV")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help="per cent (points for percentages) counted as 'within' (default 2)")
    p.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    return run_compare(years=args.years, csv=args.csv, tolerance=args.tolerance)
