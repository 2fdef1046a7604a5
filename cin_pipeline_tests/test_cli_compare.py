"""``cin-pipeline compare`` on a tiny warehouse written by the real EES writer."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from cin_pipeline.cli import main
from cin_pipeline.cli import compare as cmp
from cin_pipeline.ees.rows import build_rows
from cin_pipeline.ees.store import store_publication
from cin_pipeline.tables import get

# figure labels: the declared headline labels (cin_pipeline/tables/children_in_need/{c1,d3}.py)
REFERRALS = "referrals in the year"
RE_REFERRAL_PCT = "% re-referrals within 12 months"
CHILDREN_REFERRED = "children referred in the year"
NFA_PCT = "% referrals with no further action"
NOT_IN_NEED_PCT = "% referrals assessed not in need"
CPP_STARTED = "child protection plans starting in the year"
SUBSEQUENT_PCT = "% plans that were a second or subsequent plan"

C1_COLS = ["Referrals", "Re_referrals", "No_Further_Action", "Not_in_Need", "Referrals_child",
           "Re_referrals_child"]


def _store(con, table_id: str, rows: list[dict], release_year: int = 2024) -> None:
    spec = get(table_id)
    counts = pd.DataFrame(rows)
    for c in spec.count_columns:
        if c not in counts:
            counts[c] = 0
    store_publication(con, build_rows(spec, counts, release_year))


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    c1 = lambda year, la, *v: {"year": year, "la": la, **dict(zip(C1_COLS, v))}  # noqa: E731
    _store(con, "children_in_need.c1", [
        c1(2024, "330", 1000, 200, 50, 300, 900, 150),
        c1(2023, "330", 800, 160, 40, 240, 700, 120),
        # Hampshire 2024 is 'u' with its 2023 figures carried into the national total
        c1(2024, "850", 99999, 0, 0, 0, 99999, 0),
        c1(2023, "850", 500, 100, 25, 150, 450, 80),
        # an LA code not in the geography of the year: left out, as by the writer
        c1(2024, "999", 77777, 0, 0, 0, 77777, 0),
    ])
    # an older release of the same table: ignored (latest release year only)
    _store(con, "children_in_need.c1", [c1(2023, "330", 5, 1, 1, 1, 5, 1)], release_year=2023)
    _store(con, "children_in_need.d3", [{"year": 2024, "la": "330", "CPP_start": 100, "CPP_subsequent": 25}])
    con.close()
    return path


PUBLISHED = pd.DataFrame({
    "year": [2023, 2024],
    "referrals": [1300, 1490],            # 2024: pipeline 1000 + 500 (carried forward) = 1500
    "re_referrals_percent": [20.0, 19.0],  # 2024: 300 / 1500 = 20.0 %
    "referrals_child": [1150, 1400],       # 2024: 900 + 450 = 1350 (-3.6 %)
    "nfa_percent": [5.0, 5.0],             # 2024: 75 / 1500 = 5.0 %
    "not_in_need_percent": [30.0, 30.0],   # 2024: 450 / 1500 = 30.0 %
    "cpp_start": [None, 98],               # 2024: 100 (+2.04 %)
    "cpp_subsequent_percent": [None, 22.5],  # 2024: 25.0 % (+2.5 points)
    "at31_episodes": [10, 10],             # no b1 output: not compared
})


def test_compare_sums_contributing_las(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    df = cmp.compare(con, years=[2024], published=PUBLISHED)
    con.close()
    got = {r.figure: r for r in df.itertuples(index=False)}
    assert list(got) == [REFERRALS, RE_REFERRAL_PCT, CHILDREN_REFERRED, NFA_PCT, NOT_IN_NEED_PCT,
                         CPP_STARTED, SUBSEQUENT_PCT]
    assert {f.label for f in cmp.FIGURES} >= set(got)
    assert got[REFERRALS].pipeline == 1500 and got[REFERRALS].difference == pytest.approx(100 * 10 / 1490)
    assert got[REFERRALS].within and got[REFERRALS].release_year == 2024
    assert got[RE_REFERRAL_PCT].pipeline == pytest.approx(20.0)
    assert got[RE_REFERRAL_PCT].difference == pytest.approx(1.0) and got[RE_REFERRAL_PCT].unit == "%"
    assert got[RE_REFERRAL_PCT].difference_unit == "points"
    assert got[CHILDREN_REFERRED].pipeline == 1350 and not got[CHILDREN_REFERRED].within
    assert got[CPP_STARTED].difference == pytest.approx(100 * 2 / 98) and not got[CPP_STARTED].within
    assert got[SUBSEQUENT_PCT].difference == pytest.approx(2.5)
    assert not got[SUBSEQUENT_PCT].within
    assert cmp.summary_line(df) == "4 of 7 figures within 2% (percentages: within 2 points)"


def test_compare_default_years_are_those_with_both(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    df = cmp.compare(con, published=PUBLISHED)
    con.close()
    assert sorted(set(df["year"])) == [2023, 2024]
    r2023 = df[(df["year"] == 2023) & (df["figure"] == REFERRALS)].iloc[0]
    assert r2023.pipeline == 1300 and r2023.within  # 800 + 500, the 2024 release's rows


def test_cli_prints_table_and_writes_csv(warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CIN_WAREHOUSE", str(warehouse))
    monkeypatch.setattr(cmp, "compare", lambda con, years=None, tolerance=2.0, published=None,
                        percent_tolerance=None: _real_compare(con, years, PUBLISHED, tolerance,
                                                              percent_tolerance))
    out_csv = tmp_path / "out" / "compare.csv"
    assert main(["compare", "--years", "2024", "--headline-csv", str(out_csv),
                 "--published", str(tmp_path / "no-published")]) == 0
    text = capsys.readouterr().out
    assert REFERRALS in text and "1,490" in text and "1,500" in text and "+0.7%" in text
    assert "+2.5 pts" in text
    # the command's percentage tolerance is 1 point: 1.0 point (re-referrals) is still within
    assert "4 of 7 figures within 2% (percentages: within 1 point)" in text
    assert "no published files" in text  # the cell-by-cell section needs the published folder
    written = pd.read_csv(out_csv)
    assert list(written.columns) == cmp.COLUMNS and len(written) == 7


def test_percent_tolerance_of_headline_figures(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    df = cmp.compare(con, years=[2024], published=PUBLISHED, percent_tolerance=0.5)
    con.close()
    got = {r.figure: r for r in df.itertuples(index=False)}
    assert not got[RE_REFERRAL_PCT].within and got[NFA_PCT].within  # 1.0 and 0.0 points
    assert got[REFERRALS].within  # counts keep the 2% tolerance
    assert cmp.summary_line(df, 2.0, 0.5) == "3 of 7 figures within 2% (percentages: within 0.5 points)"


_real_compare = cmp.compare


def test_cli_without_warehouse(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CIN_WAREHOUSE", str(tmp_path / "none.duckdb"))
    assert main(["compare"]) == 2
    assert "no warehouse" in capsys.readouterr().out


def test_referrals_counted_in_the_return_of_their_year(tmp_path):
    """End to end on a successor LA: Dorset (838) exists from 2020, and its first return holds
    referrals made in 2018-19 (reporting year 2019) as open episodes. They are not counted for
    2019 (no 2019 return holds them, and 838 is not in the 2019 geography), yet still serve as the
    previous referral of the 12-month look-back."""
    from datetime import date as d

    from cin_pipeline.ingest.schema import TABLE_COLUMNS
    from cin_pipeline.lcd import build_lcd
    from cin_pipeline.ees.rows import build_ees

    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        con.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{c} {t}" for c, t in cols) + ")")

    def insert(table, **values):
        cols = [c for c, _ in TABLE_COLUMNS[table]]
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})",
                    [values.get(c) for c in cols])

    insert("header", year=2020, la="838", reference_date=d(2020, 3, 31))
    episodes = [("X", 1, d(2019, 1, 10), None, None),             # 2019 referral, still open
                ("Y", 1, d(2019, 6, 1), d(2019, 7, 1), "RC1"),    # 2020 referral
                ("Z", 1, d(2019, 3, 1), d(2019, 5, 1), "RC1"),    # 2019 referral, closed in 2020
                ("Z", 2, d(2019, 9, 1), None, None)]              # 2020 re-referral (of 2019-03-01)
    for child, seq, ref, closed, reason in episodes:
        insert("child", year=2020, la="838", child_id=child, sex="F")
        insert("episode", year=2020, la="838", child_id=child, episode_seq=seq, referral_date=ref,
               closure_date=closed, reason_for_closure=reason, referral_nfa=False)
    build_lcd(con)
    assert con.execute("SELECT count(*) FROM lcd.referral WHERE year = 2019").fetchone()[0] == 2
    out = build_ees(con, get("children_in_need.c1"), 2020)
    counts = out.counts.set_index(["year", "la"])
    assert list(counts.index) == [(2020, "838")]
    assert (counts.loc[(2020, "838"), "Referrals"], counts.loc[(2020, "838"), "Re_referrals"]) == (2, 1)
    assert not [n for n in out.notes if "not in the" in n]
    store_publication(con, out)
    df = cmp.compare(con, published=pd.DataFrame({"year": [2019, 2020], "referrals": [100, 2]}))
    con.close()
    assert df[["year", "figure", "pipeline"]].values.tolist() == [[2020, REFERRALS, 2.0]]


def test_no_re_referral_figure_without_the_previous_census(warehouse):
    """2023 is the first staged year of the fixture: its re-referral figures are published as x
    (incomplete 12-month look-back), so compare does not report them; 2024 has 2023 behind it."""
    con = duckdb.connect(str(warehouse), read_only=True)
    df = cmp.compare(con, published=PUBLISHED)
    con.close()
    figures = {(r.year, r.figure) for r in df.itertuples(index=False)}
    assert (2024, RE_REFERRAL_PCT) in figures and (2023, RE_REFERRAL_PCT) not in figures
    assert (2023, REFERRALS) in figures and (2023, NFA_PCT) in figures


@pytest.mark.parametrize("argv", [[], ["synth"], ["demo"], ["ui"], ["bench"], ["compare"]])
def test_every_help_prints(argv, capsys):
    """``cin-pipeline [command] --help`` prints its help (a '%' in a help text broke them all)."""
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    assert "usage: " in capsys.readouterr().out


def test_long_table_figure_is_its_total_row_only(tmp_path):
    """A7 publishes every child once per characteristic group (gender, age, ethnicity...): its
    national figure is the declared Headline rows (characteristic_type Total), not every row."""

    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    spec = get("children_in_need.a7")
    rows = [{"year": 2024, "la": "330", "characteristic": c, "characteristic_type": t, "CIN_At31": n}
            for c, t, n in (("Gender", "Total", 10), ("Gender", "Female", 4), ("Gender", "Male", 6))]
    counts = pd.DataFrame(rows)
    _store(con, "children_in_need.a7", rows)
    (fig,) = [f for f in cmp.declared_figures() if f.table_id == spec.table_id]
    assert fig.rows == (("characteristic_type", "Total"),)
    assert int(cmp.national_sums(con, spec.table_id, fig.rows).sums.at[2024, "CIN_At31"]) == 10
    assert int(cmp.national_sums(con, spec.table_id).sums.at[2024, "CIN_At31"]) == int(counts["CIN_At31"].sum())
    con.close()


def test_catalogue_values_compared_with_the_published_national_cell():
    """Section 5: each re-referrals catalogue value is read from the pipeline's published national
    row of its table (row picked by its filter values), counts within 2%, percentages within 1
    point; a symbol is never within; years the run lacks are left out."""
    from cin_pipeline.cli import catalogue as cat
    from cin_pipeline.cli.fidelity import PipelineTable, Tolerances

    e1 = get("re_referrals.e1")
    row = lambda year, level, rtype, n, pct: {  # noqa: E731
        "time_period": str(year), "geographic_level": "National", "level_description": level,
        "referral_type": rtype, "referrals": n, "referrals_percent": pct}
    data = pd.DataFrame([row(2017, "1. No futher action", "Total", "141000", "21.9"),
                         row(2017, "5. ICPC", "Total", "12000", "x"),
                         row(2017, "1. No futher action", "Re-referral", "5", "1.0")])

    class OnlyE1:
        def table(self, spec):
            return PipelineTable(2024, data, {2017}) if spec is e1 else None

    values = (cat.CatalogueValue("re_referrals.e1", 2017, (("level_description", "1. No futher action"),
                                                            ("referral_type", "Total")),
                                 "referrals", 141760, "E1catRR"),
              cat.CatalogueValue("re_referrals.e1", 2017, (("level_description", "1. No futher action"),
                                                            ("referral_type", "Total")),
                                 "referrals_percent", 21.6, "E1catRR"),
              cat.CatalogueValue("re_referrals.e1", 2017, (("level_description", "5. ICPC"),
                                                            ("referral_type", "Total")),
                                 "referrals_percent", 1.7, "E1catRR"),
              cat.CatalogueValue("re_referrals.e1", 2018, (("level_description", "5. ICPC"),
                                                            ("referral_type", "Total")),
                                 "referrals", 1, "E1catRR"),
              cat.CatalogueValue("re_referrals.a1", 2024, (("referral_type", "Total"),),
                                 "referrals", 621880, "RR24"))
    out = cat.compare_catalogue(OnlyE1(), Tolerances(), values)
    assert list(out["column"]) == ["referrals", "referrals_percent", "referrals_percent"]
    assert out["within"].tolist() == [True, True, False]       # -0.54%; +0.3 points; 'x'
    assert out["difference"].iloc[0] == pytest.approx(100 * (141000 - 141760) / 141760)
    assert out["pipeline"].iloc[2] == "x"
    # every shipped value names a declared table, filter values and an indicator of it
    for v in cat.VALUES:
        spec = get(v.table_id)
        assert v.column in {i.name for i in spec.indicators}
        for col, value in v.row:
            assert value in next(f for f in spec.filters if f.name == col).values


def test_generator_vs_catalogue_sums_the_measures_of_each_value():
    """``attribute`` section 3: the generator's national sums (divided by the scale) against the
    A4/A5/A6 catalogue values, the known-ethnicity count as the sum of the five groups."""
    from cin_pipeline.cli.attribute import generator_vs_catalogue

    groups = ("white", "mixed", "asian", "black", "other")
    gen = pd.DataFrame([
        {"year": 2020, "la": la, "at31_episodes": 389260 // 2, "cpp_at31_neg": 26010 // 2,
         "cpp_at31_mul": 1000 // 2, **{f"at31_eth_{g}": n // 2 for g, n in zip(
             groups, (268070, 32940, 27650, 32260, 12870))},
         **{f"at31_female_eth_{g}": n // 2 for g, n in zip(groups, (123210, 15010, 11570, 12680, 3830))},
         "cpp_at31_unborn_neg": 850 // 2, "cpp_at31_sex_unknown_sab": 5}
        for la in ("201", "202")])
    res = generator_vs_catalogue(gen, 1.0).set_index(["table", "row", "column"])
    assert res.loc[("A4", "Total", "CIN_At31"), "within"]
    assert res.loc[("A4", "Total", "Ethnicity_Known"), "generator"] == 373790
    for table, row, col in (("A6", "", "Neglect_Initial"), ("A5", "Total", "Neglect_Initial")):
        assert res.loc[(table, row, col), "generator"] == 26010 and res.loc[(table, row, col), "within"]
    assert not res.loc[("A6", "", "Multiple_Initial"), "within"]  # 1,000 against 1,330
    assert ("A6", "", "Physical_abuse_Initial") not in res.index  # not counted: left out
    # the cross-tabulations: a sex row by ethnic group, unborn by category
    assert res.loc[("A4", "Female", "Ethnicity_Known"), "generator"] == 166300  # the five groups
    assert res.loc[("A4", "Female", "Ethnicity_Other_ethnic_groups"), "within"]
    assert res.loc[("A5", "Unborn", "Neglect_Initial"), "generator"] == 850
    assert ("A5", "Unknown/Indeterminate gender", "Sexual_Abuse_Initial") not in res.index  # suppressed
    half = generator_vs_catalogue(gen, 0.5).set_index(["table", "row", "column"])
    assert half.loc[("A4", "Total", "CIN_At31"), "generator"] == 2 * 389260


def test_generator_vs_points_compares_shares_in_points_and_counts_in_percent():
    """``attribute`` section 4: shares of the national stock (18 or over, unborn) in points, the
    re-referrals' episodes as counts divided by the scale; a value whose measures are missing is
    left out."""
    from cin_pipeline.cli.attribute import generator_vs_points

    gen = pd.DataFrame([
        {"year": 2024, "la": la, "at31_episodes": 200_000, "at31_aged_18_plus": 28_200, "at31_unborn": 1_000}
        for la in ("201", "202")] + [
        {"year": 2017, "la": la, "at31_episodes": 1, "rr_episodes": 17_885, "rr_episodes_le3m": 6_000}
        for la in ("201", "202")])
    res = generator_vs_points(gen, 0.5).set_index(["year", "value"])
    adults = res.loc[(2024, "children in need at 31 March aged 18 or over, %")]
    assert adults["generator"] == 14.1 and adults["difference_unit"] == "points" and adults["within"]
    unborn = res.loc[(2024, "children in need at 31 March unborn, %")]
    assert unborn["generator"] == 0.5 and not unborn["within"]  # 1.2 points under 1.7%
    episodes = res.loc[(2017, "re-referrals' episodes of need (re-referrals A4)")]
    assert episodes["generator"] == 71540 and episodes["difference_unit"] == "%" and episodes["within"]
    assert not res.loc[(2017, "of them 3 months or less (re-referrals A4)"), "within"]  # 24,000
    assert (2013, "children in need at 31 March aged 18 or over, %") not in res.index  # no 2013 rows
