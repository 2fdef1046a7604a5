"""``cin-pipeline attribute``: is a miss the definition's or the synthetic data's?

The generator counts every published measure on its own simulated life histories, exactly as the
tables define them (``generation_measures.csv``, written beside the returns by ``cin-pipeline
synth`` and the demo). Two comparisons then split any difference from the published figures:

1. **pipeline vs generator**, LA-year by LA-year: the tables' unrounded counts in the warehouse
   (``publication.<table>__unrounded``, latest release year) against the generator's counts of the
   same returns. Equal everywhere means the queries count what the returns hold, as defined.
2. **generator vs published**, nationally per year: the generator's counts summed over LAs
   (divided by the run's scale) against ``reference.national_published()``, with the
   tolerances of ``compare`` (counts 2%, percentages 1 point). A miss here is the synthetic
   population's, not the pipeline's.

The measures are those of ``cin_pipeline.reference.measures.MEASURES`` (published column of each
measure) and ``GENERATOR_MEASURES`` (B4 and B5 bands, D4 categories, D7 plans ending: tables with
no published file here, compared in 1 only), restricted to the tables the warehouse holds.

3. **generator vs the catalogue's national values** of the characteristics (A4, A5 2020; A6
   2016-2020: ``cin_pipeline.cli.catalogue``): children in need and on a plan at 31 March by sex,
   unborn, major ethnic group and initial category of abuse, with the same tolerances.
4. **generator vs other published national values** (``PUBLISHED_POINTS``): the shares of children
   in need at 31 March aged 18 or over and unborn (2013, 2023, 2024) and the episodes of need
   opened by re-referrals in 2017 (re-referrals A4), with the same tolerances.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

# the stages (pandas, the reference data) are imported where they are used: registering the
# sub-command keeps `cin-pipeline --help` and `synth` fast
from cin_pipeline.cli.catalogue import VALUES as CATALOGUE_VALUES
from cin_pipeline.sqlutil import has_relation
from cin_pipeline.tables import all_tables

if TYPE_CHECKING:
    import pandas as pd

UNROUNDED = "__unrounded"
def _tables() -> dict[str, object]:
    """Published data set code (``b1``) -> declared table of the Children in need release."""
    return {t.code.lower(): t for t in all_tables() if t.release.slug == "children-in-need"}


def percent_measures() -> dict[str, tuple[str, str]]:
    """Published national percentage -> (numerator measure, denominator measure), read from the
    declared indicator (e.g. C1 ``Re_referrals_percent`` = ``Re_referrals`` / ``Referrals``)."""
    from cin_pipeline.reference.measures import MEASURES, NATIONAL_PERCENTS
    specs = _tables()
    measure_of = {(ds, col): m for m, (ds, col, _) in MEASURES.items()}
    out = {}
    for name, (ds, column, _) in NATIONAL_PERCENTS.items():
        ind = specs[ds].indicator(column)
        out[name] = (measure_of[(ds, ind.numerator)], measure_of[(ds, ind.denominator)])
    return out


def read_measures(path) -> pd.DataFrame:
    import pandas as pd

    g = pd.read_csv(path)
    g["la"] = g["la"].astype(str).str.zfill(3)
    return g


def pipeline_vs_generator(con, generated: pd.DataFrame) -> pd.DataFrame:
    """One row per measure: generator and pipeline totals over the LA-years both have, and the
    number of LA-years whose counts differ."""
    import pandas as pd

    from cin_pipeline.reference.measures import GENERATOR_MEASURES, MEASURES

    specs = _tables()
    frames: dict[str, pd.DataFrame] = {}
    rows = []
    columns = {m: (ds, col) for m, (ds, col, _) in MEASURES.items()} | GENERATOR_MEASURES
    for measure, (ds, column) in columns.items():
        spec = specs.get(ds)
        if spec is None or measure not in generated.columns:
            continue
        if ds not in frames:
            name = spec.warehouse_name + UNROUNDED
            if not has_relation(con, "publication", name):
                continue
            release = con.execute(f'SELECT max(release_year) FROM publication."{name}"').fetchone()[0]
            frames[ds] = con.execute(f'SELECT * FROM publication."{name}" WHERE release_year = ?',
                                     [release]).df().set_index(["year", "la"])
        p = frames[ds][column]
        if spec.indicator(column).lookback:
            # re-referrals look back 12 months: only LA-years whose previous census is staged
            staged = set(frames[ds].index)
            p = p[[(y - 1, la) in staged for y, la in p.index]]
        g = generated.set_index(["year", "la"])[measure]
        both = pd.concat([g.rename("generator"), p.rename("pipeline")], axis=1, join="inner").dropna()
        if both.empty:
            continue
        rows.append((measure, f"{spec.code}.{column}", int(both["generator"].sum()),
                     int(both["pipeline"].sum()), int((both["generator"] != both["pipeline"]).sum()),
                     len(both)))
    return pd.DataFrame(rows, columns=["measure", "table column", "generator", "pipeline",
                                       "LA-years differing", "LA-years"])


def generator_vs_published(generated: pd.DataFrame, scale: float, count_tolerance: float = 2.0,
                           percent_tolerance: float = 1.0) -> pd.DataFrame:
    """One row per year and published national measure: published, generator (national sum over
    LAs divided by ``scale``), difference (% for counts, points for percentages), within."""
    import pandas as pd

    from cin_pipeline import reference
    from cin_pipeline.reference.measures import MEASURES

    pub = reference.national_published().set_index("year")
    nat = generated.drop(columns=["la"]).groupby("year").sum(numeric_only=True) / scale
    rows = []
    for year in sorted(set(nat.index) & set(pub.index)):
        for measure in nat.columns:
            if measure not in MEASURES or measure not in pub.columns or pd.isna(pub.at[year, measure]):
                continue
            p = float(pub.at[year, measure])
            if p == 0:
                continue
            v = float(nat.at[year, measure])
            d = 100 * (v - p) / p
            rows.append((year, measure, p, v, d, "%", abs(d) <= count_tolerance))
        for measure, (n, den) in percent_measures().items():
            if {n, den} <= set(nat.columns) and not pd.isna(pub.at[year, measure]) and nat.at[year, den]:
                v = 100 * nat.at[year, n] / nat.at[year, den]
                d = v - float(pub.at[year, measure])
                rows.append((year, measure, float(pub.at[year, measure]), v, d, "points",
                             abs(d) <= percent_tolerance))
    return pd.DataFrame(rows, columns=["year", "measure", "published", "generator", "difference",
                                       "difference_unit", "within"])


def _catalogue_measures() -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Catalogue value (table, last value of its row, column) -> the generator measures that sum to it."""
    from cin_pipeline.reference.measures import GENERATOR_MEASURES
    from cin_pipeline.synth.simulate import CATEGORIES

    groups = ("white", "mixed", "asian", "black", "other")
    eth_columns = ("White", "Mixed", "Asian_or_Asian_British", "Black_or_Black_British", "Other_ethnic_groups")
    a4_rows = (("Female", "female"), ("Male", "male"), ("Unknown or Indeterminate gender", "sex_unknown"),
               ("Unborn", "unborn"))
    a5_rows = (("Female", "female"), ("Male", "male"), ("Unknown/Indeterminate gender", "sex_unknown"),
               ("Unborn", "unborn"))
    a5_columns = ("Neglect_Initial", "Physical_Abuse_Initial", "Sexual_Abuse_Initial",
                  "Emotional_Abuse_Initial", "Multiple_Initial")
    return {
        # the cross-tabulations: each sex row (and unborn) by ethnic group (A4) and category (A5)
        **{("a4", row, "Ethnicity_Known"): tuple(f"at31_{s}_eth_{g}" for g in groups) for row, s in a4_rows},
        **{("a4", row, f"Ethnicity_{col}"): (f"at31_{s}_eth_{g}",)
           for row, s in a4_rows for g, col in zip(groups, eth_columns)},
        **{("a5", row, col): (f"cpp_at31_{s}_{c.lower()}",)
           for row, s in a5_rows for c, col in zip(CATEGORIES, a5_columns)},
        ("a4", "Total", "CIN_At31"): ("at31_episodes",),
        ("a4", "Female", "CIN_At31"): ("at31_female",),
        ("a4", "Male", "CIN_At31"): ("at31_male",),
        ("a4", "Unknown or Indeterminate gender", "CIN_At31"): ("at31_sex_unknown",),
        ("a4", "Unborn", "CIN_At31"): ("at31_unborn",),
        ("a4", "Total", "Ethnicity_Known"): tuple(f"at31_eth_{g}" for g in groups),
        **{("a4", "Total", f"Ethnicity_{col}"): (f"at31_eth_{g}",) for g, col in zip(groups, eth_columns)},
        ("a5", "Total", "CPP_At31"): ("cpp_at31",),
        ("a5", "Female", "CPP_At31"): ("cpp_at31_female",),
        ("a5", "Male", "CPP_At31"): ("cpp_at31_male",),
        ("a5", "Unknown/Indeterminate gender", "CPP_At31"): ("cpp_at31_sex_unknown",),
        ("a5", "Unborn", "CPP_At31"): ("cpp_at31_unborn",),
        ("a6", "", "CPP_At31"): ("cpp_at31",),
        # A6 has D4's initial-category columns; A5 spells them with a capital "Abuse"
        **{(t, row, col if t == "a6" else col.replace("_abuse", "_Abuse")): (m,)
           for m, (ds, col) in GENERATOR_MEASURES.items() if ds == "d4"
           for t, row in (("a5", "Total"), ("a6", ""))},
    }


def generator_vs_catalogue(generated: pd.DataFrame, scale: float, count_tolerance: float = 2.0) -> pd.DataFrame:
    """One row per catalogue value of A4, A5 and A6 that the generator counts (national sums
    divided by ``scale``): published, generator, difference (%), within."""
    import pandas as pd

    from cin_pipeline.cli.catalogue import VALUES

    nat = generated.drop(columns=["la"]).groupby("year").sum(numeric_only=True) / scale
    catalogue_measures = _catalogue_measures()
    rows = []
    for v in VALUES:
        key = (v.table_id.split(".")[-1], v.row[-1][1] if v.row else "", v.column)
        measures = catalogue_measures.get(key)
        if measures is None or v.year not in nat.index or not set(measures) <= set(nat.columns):
            continue
        g = float(nat.loc[v.year, list(measures)].sum())
        d = 100 * (g - v.published) / v.published
        rows.append((key[0].upper(), v.year, key[1], v.column, v.published, g, d, abs(d) <= count_tolerance))
    return pd.DataFrame(rows, columns=["table", "year", "row", "column", "published", "generator",
                                       "difference", "within"])


def _a4_2017_points() -> tuple:
    """The catalogue's A4 values of 2017 (re-referrals' episodes of 3 months or less: count and
    share), and the total they give (the count over the share, to 10)."""
    v = {c.column: c.published for c in CATALOGUE_VALUES if c.table_id == "re_referrals.a4" and c.year == 2017}
    total = round(v["referrals"] / v["referrals_percent"] * 100, -1)
    return ((2017, "re-referrals' episodes of need (re-referrals A4)", total, "rr_episodes", None),
            (2017, "of them 3 months or less (re-referrals A4)", v["referrals"], "rr_episodes_le3m", None),
            (2017, "of them 3 months or less, % (re-referrals A4)", v["referrals_percent"],
             "rr_episodes_le3m", "rr_episodes"))


PUBLISHED_POINTS: tuple[tuple[int, str, float, str, str | None], ...] = (
    # (year, what, published, generator measure, its denominator or None for a count)
    *((y, "children in need at 31 March aged 18 or over, %", v, "at31_aged_18_plus", "at31_episodes")
      for y, v in ((2013, 8.2), (2023, 13.3), (2024, 14.1))),
    *((y, "children in need at 31 March unborn, %", v, "at31_unborn", "at31_episodes")
      for y, v in ((2013, 1.6), (2023, 1.7), (2024, 1.7))),
    *_a4_2017_points(),
)
"""Other published national values the generator counts: the ages of children in need (A7's
2013, 2023 and 2024 shares quoted in published_tables_pass3.md) and the episodes of need opened by
re-referrals in 2017 (A4 of the re-referrals release: 27,400 of 3 months or less, 38.3%, so 71,540
in all)."""


def generator_vs_points(generated: pd.DataFrame, scale: float, count_tolerance: float = 2.0,
                        percent_tolerance: float = 1.0) -> pd.DataFrame:
    """``PUBLISHED_POINTS`` against the generator's national sums (counts divided by ``scale``):
    published, generator, difference (% for counts, points for shares), within."""
    import pandas as pd

    nat = generated.drop(columns=["la"]).groupby("year").sum(numeric_only=True)
    rows = []
    for year, what, pub, num, den in PUBLISHED_POINTS:
        if year not in nat.index or num not in nat.columns or (den and den not in nat.columns):
            continue
        if den:
            g = 100 * float(nat.loc[year, num]) / float(nat.loc[year, den])
            d, unit, ok = g - pub, "points", abs(g - pub) <= percent_tolerance
        else:
            g = float(nat.loc[year, num]) / scale
            d, unit = 100 * (g - pub) / pub, "%"
            ok = abs(d) <= count_tolerance
        rows.append((year, what, pub, g, d, unit, ok))
    return pd.DataFrame(rows, columns=["year", "value", "published", "generator", "difference",
                                       "difference_unit", "within"])


def _print_rows(title: str, rows: pd.DataFrame, digits: int) -> None:
    """A section of value-by-value rows: its title, how many are within, then every row."""
    print()
    print(title)
    print(f"   within tolerance: {int(rows['within'].sum())} of {len(rows)}")
    if len(rows):
        print(rows.round(digits).to_string(index=False))


def run(measures_path: Path, scale: float, warehouse: Path | None, csv: str | None) -> int:
    import duckdb

    from cin_pipeline.settings import Paths

    generated = read_measures(measures_path)
    path = Path(warehouse) if warehouse else Paths.from_env().warehouse
    if path.exists():
        con = duckdb.connect(str(path), read_only=True)
        try:
            pv = pipeline_vs_generator(con, generated)
        finally:
            con.close()
        print(f"1. Pipeline (unrounded, {path}) vs the generator's own counts, LA-year by LA-year")
        print(pv.to_string(index=False) if len(pv) else "   (no table of the warehouse has a measure)")
        differing = int(pv["LA-years differing"].sum()) if len(pv) else 0
        print(f"   {len(pv)} measures; LA-years differing: {differing}")
    else:
        print(f"1. no warehouse at {path}: pipeline vs generator skipped")
    gp = generator_vs_published(generated, scale)
    print()
    print(f"2. Generator (national, / scale {scale:g}) vs published national figures")
    print(f"   within tolerance: {int(gp['within'].sum())} of {len(gp)}")
    misses = gp[~gp["within"]].assign(size=lambda d: d["difference"].abs())
    if len(misses):
        worst = (misses.groupby("measure").agg(years=("year", "size"), worst=("size", "max"),
                                               mean=("difference", "mean"))
                 .sort_values("worst", ascending=False))
        print(worst.round(1).to_string())
    _print_rows("3. Generator vs the catalogue's national A4, A5 and A6 values (children and plans at 31 March)",
                generator_vs_catalogue(generated, scale), 1)
    _print_rows("4. Generator vs other published national values (ages at 31 March, re-referrals' episodes)",
                generator_vs_points(generated, scale), 2)
    if csv:
        Path(csv).parent.mkdir(parents=True, exist_ok=True)
        gp.to_csv(csv, index=False)
        print(f"written {csv}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "attribute", help="split misses: pipeline vs the generator's own counts, generator vs published",
        description=__doc__.splitlines()[0])
    p.add_argument("measures", type=Path,
                   help="generation_measures.csv written with the returns (e.g. data/landing/)")
    p.add_argument("--scale", type=float, default=1.0, help="the scale the returns were generated at")
    p.add_argument("--warehouse", type=Path, default=None, help="default: CIN_DATA_DIR's warehouse")
    p.add_argument("--csv", default=None, metavar="PATH", help="write the generator-vs-published table")
    p.set_defaults(func=_attribute)


def _attribute(args: argparse.Namespace) -> int:
    return run(args.measures, args.scale, args.warehouse, args.csv)
