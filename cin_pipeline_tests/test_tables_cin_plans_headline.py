"""The last three data sets of "Children in need" (issue 10): B7 (child in need plans) on a tiny
hand-made census, the headline figures' agreements with the tables that publish each figure (each
failing when one figure is wrong), and the population file (the denominators the rates divide
by, in the 2025 release file's layout).

B7's census is one LA (330, Birmingham), year 2024 (1 April 2023 to 31 March 2024). Its CIN plans:

=====  ==========  ==========  ==========================================================
plan   start       end         what it tests
=====  ==========  ==========  ==========================================================
A1     2023-05-01  2023-08-01  child A: two plans started in the year, one ended
A2     2023-09-01  open        child A's second plan, open at 31 March (A counts once)
B      2022-12-01  open        open at 31 March, started the year before
C      2024-03-31  open        starts on 31 March: started and open at 31 March
D      2023-04-01  2024-03-31  starts on 1 April, ends on 31 March: started, not open
E      2021-06-01  2023-04-01  ended in the year: neither started nor open at 31 March
=====  ==========  ==========  ==========================================================
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cin_pipeline import reference
from cin_pipeline.checks import cross
from cin_pipeline.checks.plan import plan
from cin_pipeline.ees.numbers import fmt_fraction
from cin_pipeline.ees.population import population_output
from cin_pipeline.ees.rows import Geography, build_ees, build_rows, run_query
from cin_pipeline.ees.store import store_publication
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import get, release
from cin_pipeline_tests.test_tables_end_to_end import tiny_census

YEAR, LA = 2024, "330"

PLANS = [  # child, plan_seq, start, end
    ("A", 1, date(2023, 5, 1), date(2023, 8, 1)),
    ("A", 2, date(2023, 9, 1), None),
    ("B", 1, date(2022, 12, 1), None),
    ("C", 1, date(2024, 3, 31), None),
    ("D", 1, date(2023, 4, 1), date(2024, 3, 31)),
    ("E", 1, date(2021, 6, 1), date(2023, 4, 1)),
]


def _insert(con, table: str, rows: list[dict]) -> None:
    cols = [c for c, _ in TABLE_COLUMNS[table]]
    for r in rows:
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})",
                    [r.get(c) for c in cols])


@pytest.fixture(scope="module")
def plans_con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        c.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    base = {"year": YEAR, "la": LA}
    _insert(c, "header", [{**base, "reference_date": date(YEAR, 3, 31)}])
    children = sorted({p[0] for p in PLANS})
    _insert(c, "child", [{**base, "child_id": k, "birth_date": date(2015, 1, 1), "sex": "F"} for k in children])
    _insert(c, "episode", [{**base, "child_id": k, "episode_seq": 1, "referral_date": date(2021, 5, 1),
                            "referral_nfa": False} for k in children])
    _insert(c, "cin_plan", [{**base, "child_id": k, "episode_seq": 1, "plan_seq": s, "start_date": start,
                             "end_date": end} for k, s, start, end in PLANS])
    build_lcd(c)
    yield c
    c.close()


# ----------------------------------------------------------------------------- B7
def test_b7_hand_counts(plans_con):
    df, _ = run_query(plans_con, get("children_in_need.b7"))
    row = df[(df["year"] == YEAR) & (df["la"] == LA)]
    assert len(row) == 1
    got = {c: int(v) for c, v in row.iloc[0].items() if c not in ("year", "la")}
    assert got == {
        "CIN_plan_start": 4,        # A1, A2, C, D
        "CIN_plan_child_start": 3,  # A (twice), C, D
        "CIN_plan_At31": 3,         # A (A2), B, C; not D (ended on 31 March) nor E
    }


def test_b7_flags_in_facts(plans_con):
    flags = plans_con.execute(
        "SELECT child_id || plan_seq, started_in_year, ended_in_year, open_at31 FROM facts.cin_plan "
        "ORDER BY 1").fetchall()
    assert flags == [("A1", True, True, False), ("A2", True, False, True), ("B1", False, False, True),
                     ("C1", True, False, True), ("D1", True, True, False), ("E1", False, True, False)]


def test_b7_published_rows(plans_con):
    spec = get("children_in_need.b7")
    df, _ = run_query(plans_con, spec)
    out = build_rows(spec, df, YEAR)
    d = out.data
    assert set(d["time_period"]) == {"2022", "2023", "2024"}        # collected from 2021-22
    assert list(d.columns[-7:]) == ["category", "CIN_plan_start", "CIN_plan_start_rate",
                                    "CIN_plan_child_start", "CIN_plan_child_start_rate",
                                    "CIN_plan_At31", "CIN_plan_At31_rate"]
    assert set(d["category"]) == {"Child in need plans"}
    la = d[(d["time_period"] == "2024") & (d["old_la_code"] == LA)].iloc[0]
    assert (la["CIN_plan_start"], la["CIN_plan_start_rate"], la["CIN_plan_At31"]) == ("c", "c", "c")
    nat = d[(d["time_period"] == "2024") & (d["geographic_level"] == "National")].iloc[0]
    pop = reference.population_for(YEAR)["E92000001"]
    assert nat["CIN_plan_start"] == "k"                               # 4: not 0, rounds to 0
    assert nat["CIN_plan_start_rate"] == fmt_fraction(Fraction(4 * 10000, pop), 1, True)
    # the years before any census is staged are not available
    assert set(d[d["time_period"] == "2022"]["CIN_plan_start"]) == {"x"}


def test_b7_layout_is_the_projects_own():
    spec = get("children_in_need.b7")
    assert not spec.layout.exact and "project's own" in spec.layout.source
    assert spec.first_year == 2022 and spec.file_name(2024) == "b7_children_in_need_plans_2022_to_2024.csv"


# ----------------------------------------------------------------------------- headline figures
OTHERS = ("children_in_need.b1", "children_in_need.c1", "children_in_need.c2", "children_in_need.c4",
          "children_in_need.d1", "children_in_need.d3")
HEADLINE = "children_in_need.headline"


@pytest.fixture(scope="module")
def headline_built():
    con = duckdb.connect()
    tiny_census(con, {"330": 7, "202": 1})
    build_lcd(con)
    outs = {}
    for tid in (HEADLINE, *OTHERS):
        outs[tid] = build_ees(con, get(tid), YEAR)
        store_publication(con, outs[tid])
    yield con, outs
    con.close()


def test_headline_file_is_national_and_latest_year_only(headline_built):
    _, outs = headline_built
    out = outs[HEADLINE]
    assert out.file_name == "headline_figures.csv" and out.meta_file_name == "headline_figures.meta.csv"
    assert list(out.data.columns) == ["time_period", "time_identifier", "geographic_level", "country_code",
                                      "country_name", "headline_measure", "number", "rate", "percent"]
    assert set(out.data["time_period"]) == {"2024"} and set(out.data["geographic_level"]) == {"National"}
    assert list(out.data["headline_measure"]) == list(get(HEADLINE).filters[0].values)
    assert not get(HEADLINE).layout.exact


def test_every_headline_figure_agrees_with_its_table(headline_built):
    """Every declared agreement holds, and covers every figure but the assessments' rate."""
    con, _ = headline_built
    spec = get(HEADLINE)
    agreed = {(dict(a.rows)["headline_measure"], a.column) for a in spec.agreements}
    assert len(agreed) == 19
    assert {m for m, _ in agreed} == set(spec.filters[0].values)
    for check in plan(spec):
        outcome = check.run(con, YEAR)
        assert outcome.passed, (check.name, outcome.description)


def _one_cell_wrong(data, measure: str, column: str):
    bad = data.copy()
    row = bad.index[bad["headline_measure"] == measure][0]
    old = bad.at[row, column]
    bad.at[row, column] = str(int(old) + 10) if old.isdigit() else "99.9"
    return bad, old


AGREEMENTS = get(HEADLINE).agreements


@pytest.mark.parametrize("a", AGREEMENTS, ids=lambda a: f"{dict(a.rows)['headline_measure'][:30]}-{a.column}")
def test_headline_agreement_fails_when_one_figure_is_wrong(headline_built, a):
    con, outs = headline_built
    measure = dict(a.rows)["headline_measure"]
    mine, other = outs[HEADLINE].data, outs[a.other].data
    assert cross.measures_agree(mine, HEADLINE, a.column, other, a.other, a.other_column,
                                rows_a=a.rows).passed
    bad, old = _one_cell_wrong(mine, measure, a.column)
    res = cross.measures_agree(bad, HEADLINE, a.column, other, a.other, a.other_column, rows_a=a.rows)
    assert not res.passed and len(res.details) == 1
    assert (res.details[0]["year"], res.details[0]["found"]) == (str(YEAR), old)
    # the planned (blocking) check on the stored rows fails too
    check = next(c for c in plan(get(HEADLINE)) if c.name == a.check_name)
    try:
        store_publication(con, replace(outs[HEADLINE], data=bad))
        outcome = check.run(con, YEAR)
        assert not outcome.passed, outcome.description
    finally:
        store_publication(con, outs[HEADLINE])


# ----------------------------------------------------------------------------- population file
HEADER_2025 = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
               "region_name,old_la_code,new_la_code,la_name,age_group,population_estimate")
REAL_2025 = (Path("/work/shared/reference/published")
             / "ons_mid-year_population_estimates_2012_to_2024__2025release.csv")


@pytest.fixture(scope="module")
def population_file():
    return population_output(release("children-in-need"), YEAR)


def test_population_file_name_and_header(population_file):
    out = population_file
    assert out.file_name == "ons_mid-year_population_estimates_2012_to_2023.csv"
    assert out.csv_text().splitlines()[0] == HEADER_2025
    if REAL_2025.is_file():
        assert REAL_2025.read_text(encoding="utf-8").splitlines()[0] == HEADER_2025
    assert list(out.meta["col_name"]) == ["age_group", "population_estimate"]
    assert set(out.data["age_group"]) == {"Children aged 0 to 17 years"}
    assert set(out.data["time_identifier"]) == {"Reporting year"}


def test_population_values_are_the_rate_denominators(population_file):
    """Mid-year Y is the denominator of reporting year Y+1's rates: the very values of the
    formatter's population lookup, unrounded, at every level and year."""
    d = population_file.data
    assert sorted(set(d["time_period"].astype(int))) == list(range(2012, 2024))
    geo = Geography()
    for r in d.itertuples(index=False):
        year = int(r.time_period) + 1
        code = {"National": "E92000001", "Regional": r.region_code}.get(r.geographic_level, r.old_la_code)
        assert r.population_estimate == str(geo.population(year)[code]), (year, code)
    # every LA row of a year is the geography of that reporting year (as the 2025 file's mid-2023
    # rows are the 153 LAs of 2024)
    for year in (2020, 2024):
        las = d[(d["time_period"] == str(year - 1)) & (d["geographic_level"] == "Local authority")]
        assert list(las["old_la_code"]) == list(reference.las_for_year(year)["old_la_code"])


def test_population_file_matches_b1_rates(population_file):
    """B1's rate of an LA (unrounded count) is its count per 10,000 of the file's estimate."""
    spec = get("children_in_need.b1")
    counts = pd.DataFrame([{"year": YEAR, "la": LA, **{c: 0 for c in spec.count_columns}}])
    counts.loc[0, "At31_episodes"] = 4321
    b1 = build_rows(spec, counts, YEAR).data
    la = b1[(b1["time_period"] == str(YEAR)) & (b1["old_la_code"] == LA)].iloc[0]
    p = population_file.data
    pop = int(p[(p["time_period"] == str(YEAR - 1)) & (p["old_la_code"] == LA)].iloc[0]["population_estimate"])
    assert la["At31_episodes_rate"] == fmt_fraction(Fraction(4321 * 10000, pop), 1, False)


def test_population_file_screens_clean(population_file):
    """The EES screener passes the file, with the one recorded deviation of the published 2025
    layout (the single-valued age_group filter)."""
    from cin_pipeline.checks import screener
    from cin_pipeline.checks.deviations import deviations_for

    out = population_file
    res = screener.screen(out.data, out.meta, out.file_name,
                          deviations=deviations_for(out.spec.table_id, wide=False))
    assert screener.passed(res), [(r.check, r.message) for r in res if r.result != "PASS"]
    assert [r.check for r in res if r.deviation] == ["filter_not_singular"]
