"""A1, A2 and A6 (national time series) on a tiny hand-made census, counted by hand; the ``z``
(not applicable), ``x`` (look-back) and rate cells of the long tables; and each declared agreement
with B1, C1, C4, D1, D3 and D4 failing when one figure is wrong, in the published text and in the
unrounded LA values.

One LA (330), the 2024 return (1 April 2023 - 31 March 2024), and an empty 2023 return (its
header only), so that the 2024 look-back for re-referrals is complete and the LA's returns hold
every referral made since 1 April 2022.

=====  =====================  ==============================================================
kid    episodes               what else
=====  =====================  ==============================================================
A      2023-05-01, open       assessment 3 May - 1 June; S47 5 June, ICPC 20 June; plan from
                              20 June, open, NEG (first plan)
B      2023-07-01, NFA        referral with no further action
C      2023-08-01 - 08-20     assessment 2-20 August, closed RC8: assessed not in need
D      2023-09-01 - 12-01     RC1 after an assessment (4-25 September)
D      2024-02-01, open       no assessment: a re-referral, awaiting assessment at 31 March
E      2021-01-01, open       referred before 1 April 2022 (history not staged): not awaiting;
                              assessment from 1 March 2024 still open (not completed); S47 15
                              October, ICPC 30 October; plan 2022-01-01 - 2023-10-01 PHY, plan
                              from 1 November open, EMO, second plan
F      2022-12-01 - 05-01     closed RC2 (an episode of need ending in the year); S47 10 April
                              with no ICPC
G      2023-10-01, open       assessment 2-20 October; S47 21 October, ICPC 5 November; S47 20
                              March, no ICPC; plan 5 November - 1 February, MUL
=====  =====================  ==============================================================
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pytest

from cin_pipeline.checks import cross
from cin_pipeline.checks.plan import plan
from cin_pipeline.ees.rows import Geography, build_rows, run_query, staged_census_years
from cin_pipeline.ees.store import store_publication
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import get

YEAR, LA = 2024, "330"
BASE = {"year": YEAR, "la": LA}
MINE = ("children_in_need.a1", "children_in_need.a2", "children_in_need.a6")
OTHERS = ("children_in_need.b1", "children_in_need.c1", "children_in_need.c2", "children_in_need.c4",
          "children_in_need.d1", "children_in_need.d3", "children_in_need.d4")


def _insert(con, table: str, rows: list[dict]) -> None:
    cols = [c for c, _ in TABLE_COLUMNS[table]]
    for r in rows:
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})",
                    [r.get(c) for c in cols])


def _ep(kid, seq, referral, closure=None, reason=None, nfa=False):
    return {**BASE, "child_id": kid, "episode_seq": seq, "referral_date": referral, "referral_source": "1A",
            "primary_need": "N1", "closure_date": closure, "reason_for_closure": reason, "referral_nfa": nfa}


def _assessment(kid, seq, start, end):
    return {**BASE, "child_id": kid, "episode_seq": seq, "assessment_seq": 1, "start_date": start,
            "authorisation_date": end}


def _s47(kid, seq, start, icpc):
    return {**BASE, "child_id": kid, "episode_seq": 1, "s47_seq": seq, "start_date": start, "icpc_date": icpc}


def _cpp(kid, seq, start, end, cat, previous):
    return {**BASE, "child_id": kid, "episode_seq": 1, "cpp_seq": seq, "start_date": start, "end_date": end,
            "initial_category": cat, "latest_category": cat, "number_of_previous_cpp": previous}


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        c.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    _insert(c, "header", [{"year": y, "la": LA, "reference_date": date(y, 3, 31)} for y in (2023, YEAR)])
    _insert(c, "child", [{**BASE, "child_id": k, "birth_date": date(2015, 1, 1), "sex": "F"} for k in "ABCDEFG"])
    _insert(c, "episode", [
        _ep("A", 1, date(2023, 5, 1)),
        _ep("B", 1, date(2023, 7, 1), date(2023, 7, 1), "RC8", nfa=True),
        _ep("C", 1, date(2023, 8, 1), date(2023, 8, 20), "RC8"),
        _ep("D", 1, date(2023, 9, 1), date(2023, 12, 1), "RC1"),
        _ep("D", 2, date(2024, 2, 1)),
        _ep("E", 1, date(2021, 1, 1)),
        _ep("F", 1, date(2022, 12, 1), date(2023, 5, 1), "RC2"),
        _ep("G", 1, date(2023, 10, 1)),
    ])
    _insert(c, "assessment", [
        _assessment("A", 1, date(2023, 5, 3), date(2023, 6, 1)),
        _assessment("C", 1, date(2023, 8, 2), date(2023, 8, 20)),
        _assessment("D", 1, date(2023, 9, 4), date(2023, 9, 25)),
        _assessment("E", 1, date(2024, 3, 1), None),
        _assessment("G", 1, date(2023, 10, 2), date(2023, 10, 20)),
    ])
    _insert(c, "section47", [
        _s47("A", 1, date(2023, 6, 5), date(2023, 6, 20)),
        _s47("E", 1, date(2023, 10, 15), date(2023, 10, 30)),
        _s47("F", 1, date(2023, 4, 10), None),
        _s47("G", 1, date(2023, 10, 21), date(2023, 11, 5)),
        _s47("G", 2, date(2024, 3, 20), None),
    ])
    _insert(c, "cpp", [
        _cpp("A", 1, date(2023, 6, 20), None, "NEG", 0),
        _cpp("E", 1, date(2022, 1, 1), date(2023, 10, 1), "PHY", 0),
        _cpp("E", 2, date(2023, 11, 1), None, "EMO", 1),
        _cpp("G", 1, date(2023, 11, 5), date(2024, 2, 1), "MUL", 0),
    ])
    build_lcd(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def counts(con):
    """Each table's unrounded 2024 counts: ``{category_type: (number, percent_base)}`` for A1 and
    A2, ``{column: value}`` for the others."""
    out = {}
    for tid in MINE + OTHERS:
        df, _ = run_query(con, get(tid))
        df = df[(df["year"] == YEAR) & (df["la"] == LA)]
        if "category_type" in df:
            out[tid] = {r.category_type: (int(r.number), int(r.percent_base)) for r in df.itertuples()}
        else:
            assert len(df) == 1, tid
            out[tid] = {k: int(v) for k, v in df.iloc[0].items() if k not in ("year", "la")}
    return out


@pytest.fixture(scope="module")
def published(con):
    """Each table's published rows for the 2024 release (real populations), stored in the
    warehouse as the pipeline stores them."""
    out = {}
    staged = staged_census_years(con)
    for tid in MINE + OTHERS:
        spec = get(tid)
        df, _ = run_query(con, spec)
        out[tid] = build_rows(spec, df, YEAR, staged_years=staged)
        store_publication(con, out[tid])
    return out


# ----------------------------------------------------------------------------- hand counts
def test_a1_counts(counts):
    assert counts["children_in_need.a1"] == {
        "Episodes of need at any point in the year": (6, 0),          # A D1 D2 E F G
        "Children in Need at any point during the year": (5, 0),      # A D E F G
        "Episodes of need starting in the year": (4, 0),              # A D1 D2 G
        "Children starting an episode of need in the year": (3, 0),   # A D G
        "Episodes of need ending in the year": (2, 0),                # D1 F
        "Children ending an episode of need in the year": (2, 0),
        "Children in Need at 31 March": (4, 0),                       # A D2 E G
        "Children awaiting assessment or assessment not required at 31 March": (1, 4),  # D (of 4)
        "Referrals in the year": (6, 0),                              # A B C D1 D2 G
        "Re-referrals within 12 months of a previous referral": (1, 6),  # D2
        "Referral - No Further Action": (1, 6),                       # B
        "Referral - Assessed as not in Need": (1, 6),                 # C
        "Children referred in the year": (5, 0),                      # A B C D G
        "Children re-referred within 12 months of a previous referral": (1, 5),  # D
        "Assessments completed in the year": (4, 0),                  # A C D G (E's still open)
    }


def test_a1_equals_b1_and_c1_unrounded(counts):
    a1 = counts["children_in_need.a1"]
    for a in get("children_in_need.a1").agreements:
        if a.column == "number":
            ctype = dict(a.rows)["category_type"]
            other = counts[a.other]
            assert a1[ctype][0] == other[a.other_column], (ctype, a.other_column)


def test_a2_counts(counts):
    assert counts["children_in_need.a2"] == {
        "Section 47s in the year": (5, 0),                            # A E F G1 G2
        "Children subject to a Section 47 in the year": (4, 0),       # A E F G
        "ICPCs in the year": (3, 0),                                  # A E G1
        "Children subject to an ICPC in the year": (3, 0),
        "CPP at 31 March": (2, 0),                                    # A, E's second plan
        "CPPs starting in the year": (3, 0),                          # A, E2, G
        "Children subject to a CPP starting in the year": (3, 0),
        "CPPs starting in the year which were a second or subsequent plan": (1, 3),  # E2 (of 3)
        "CPPs ending in the year": (2, 0),                            # E1, G
        "Children subject to a CPP ending in the year": (2, 0),
    }
    c4, d1, d3 = (counts[f"children_in_need.{t}"] for t in ("c4", "d1", "d3"))
    assert (c4["Section47"], c4["Section47_child"], c4["ICPC"], c4["ICPC_child"]) == (5, 4, 3, 3)
    assert (d1["CPP_At31"], d1["CPP_start"], d1["CPP_end"], d3["CPP_subsequent"]) == (2, 3, 2, 1)


def test_a6_counts(counts):
    assert counts["children_in_need.a6"] == {
        "CPP_At31": 2, "Neglect_Initial": 1, "Physical_abuse_Initial": 0, "Sexual_abuse_Initial": 0,
        "Emotional_abuse_Initial": 1, "Multiple_Initial": 0,                  # A NEG, E2 EMO
    }
    d4 = counts["children_in_need.d4"]
    assert {k: v for k, v in d4.items() if not k.endswith("_Latest")} == counts["children_in_need.a6"]


# ----------------------------------------------------------------------------- published cells
def _national(out, ctype=None):
    d = out.data[out.data["time_period"] == str(YEAR)]
    return d[d["category_type"] == ctype].iloc[0] if ctype else d.iloc[0]


def test_a1_cells_rates_percentages_and_z(con):
    """With a population of 20,000 a rate per 10,000 is half the unrounded count; national counts
    are rounded to 10 (4 -> k, 5 -> 10); a percentage is of the row's own base; z where A1 does
    not publish the rate or the percentage."""
    spec = get("children_in_need.a1")
    df, _ = run_query(con, spec)
    geo = Geography(status={}, _pop={YEAR: {"E92000001": 20000}})
    out = build_rows(spec, df, YEAR, geo=geo, staged_years=staged_census_years(con))
    cells = {r.category_type: (r.category, r.number, r.rate, r.percent)
             for r in out.data[out.data["time_period"] == str(YEAR)].itertuples()}
    assert cells == {
        "Episodes of need at any point in the year": ("Children in Need", "10", "3", "z"),
        "Children in Need at any point during the year": ("Children in Need", "10", "2.5", "z"),
        "Episodes of need starting in the year": ("Children in Need", "k", "2", "z"),
        "Children starting an episode of need in the year": ("Children in Need", "k", "1.5", "z"),
        "Episodes of need ending in the year": ("Children in Need", "k", "1", "z"),
        "Children ending an episode of need in the year": ("Children in Need", "k", "1", "z"),
        "Children in Need at 31 March": ("Children in Need", "k", "2", "z"),
        "Children awaiting assessment or assessment not required at 31 March":
            ("Children in Need", "k", "0.5", "25"),
        "Referrals in the year": ("Referrals", "10", "3", "z"),
        "Re-referrals within 12 months of a previous referral": ("Referrals", "k", "z", "16.7"),
        "Referral - No Further Action": ("Referrals", "k", "z", "16.7"),
        "Referral - Assessed as not in Need": ("Referrals", "k", "z", "16.7"),
        "Children referred in the year": ("Referrals", "10", "2.5", "z"),
        "Children re-referred within 12 months of a previous referral": ("Referrals", "k", "z", "20"),
        "Assessments completed in the year": ("Assessments", "k", "2", "z"),
    }
    assert list(out.data["category_type"][:15]) == list(spec.filters[0].values)


def test_a1_rereferrals_x_without_the_previous_census_and_assessments_x_in_2013(con):
    spec = get("children_in_need.a1")
    df, _ = run_query(con, spec)
    out = build_rows(spec, df, YEAR, staged_years={YEAR})  # 2023 not staged
    for ctype in ("Re-referrals within 12 months of a previous referral",
                  "Children re-referred within 12 months of a previous referral"):
        r = _national(out, ctype)
        assert (r["number"], r["rate"], r["percent"]) == ("x", "z", "x")
    assert _national(out, "Referrals in the year")["number"] == "10"
    assert any("category_type rows" in n for n in out.notes)
    # assessments are published from 2014: x in 2013 even with data for that year
    df13 = df.assign(year=2013)
    out13 = build_rows(spec, df13, YEAR, staged_years={2012, 2013})
    d = out13.data[out13.data["time_period"] == "2013"]
    a = d[d["category_type"] == "Assessments completed in the year"].iloc[0]
    assert (a["number"], a["rate"]) == ("x", "x")
    assert d[d["category_type"] == "Referrals in the year"].iloc[0]["number"] == "10"


def test_a2_cells(published):
    out = published["children_in_need.a2"]
    r = _national(out, "CPPs starting in the year which were a second or subsequent plan")
    assert (r["category"], r["number"], r["rate"], r["percent"]) == ("CPP", "k", "z", "33.3")
    r = _national(out, "Section 47s in the year")
    assert (r["category"], r["number"], r["percent"]) == ("Section 47", "10", "z")
    assert r["rate"] not in ("z", "x")


def test_meta_groups_category_type_by_category(published):
    meta = published["children_in_need.a1"].meta
    assert list(meta["col_name"]) == ["category_type", "number", "rate", "percent"]
    assert meta.set_index("col_name").at["category_type", "filter_grouping_column"] == "category"
    assert list(published["children_in_need.a1"].data.columns[5:7]) == ["category", "category_type"]


# ----------------------------------------------------------------------------- agreements
AGREEMENTS = [(tid, a) for tid in MINE for a in get(tid).agreements]


def test_every_figure_agrees_with_its_la_table():
    got = {(tid, a.column, dict(a.rows).get("category_type"), a.other, a.other_column) for tid, a in AGREEMENTS}
    a1 = {t for t in got if t[0].endswith("a1")}
    assert {(c, o, oc) for _, c, _, o, oc in a1 if c == "number"} == {
        ("number", "children_in_need.b1", c) for c in (
            "Anypoint_episodes", "Anypoint_child", "Started_episodes", "Started_child", "Ended_episodes",
            "Ended_child", "At31_episodes", "Awaiting_assessment")} | {
        ("number", "children_in_need.c1", c) for c in (
            "Referrals", "Re_referrals", "No_Further_Action", "Not_in_Need", "Referrals_child",
            "Re_referrals_child")} | {("number", "children_in_need.c2", "Assessments_completed")}
    assert len(a1) == 29  # + 10 rates (8 B1, 2 C1) and 4 C1 percentages
    a2 = {(ct, o, oc) for tid, c, ct, o, oc in got if tid.endswith("a2") and c == "number"}
    assert {(o, oc) for _, o, oc in a2} == {
        ("children_in_need.c4", "Section47"), ("children_in_need.c4", "Section47_child"),
        ("children_in_need.c4", "ICPC"), ("children_in_need.c4", "ICPC_child"),
        ("children_in_need.d1", "CPP_At31"), ("children_in_need.d1", "CPP_start"),
        ("children_in_need.d1", "CPP_child_start"), ("children_in_need.d1", "CPP_end"),
        ("children_in_need.d1", "CPP_child_end"), ("children_in_need.d3", "CPP_subsequent")}
    a6 = {(c, o, oc) for tid, c, _, o, oc in got if tid.endswith("a6")}
    assert a6 == {(c, "children_in_need.d4", c) for c in (
        "CPP_At31", "Neglect_Initial", "Physical_abuse_Initial", "Sexual_abuse_Initial",
        "Emotional_abuse_Initial", "Multiple_Initial")}
    # every A1/A2 measure but assessments completed agrees with another table
    for tid in ("children_in_need.a1", "children_in_need.a2"):
        values = set(get(tid).filters[0].values)
        covered = {ct for t, c, ct, _, _ in got if t == tid and c == "number"}
        assert values - covered <= {"Assessments completed in the year"}


def _one_cell_wrong(data, a):
    """A copy of ``data`` with the 2024 national cell of agreement ``a`` changed."""
    bad = data.copy()
    sel = bad["time_period"] == str(YEAR)
    for col, value in a.rows:
        sel &= bad[col] == value
    row = bad.index[sel][0]
    old = bad.at[row, a.column]
    bad.at[row, a.column] = str(int(old) + 10) if old.isdigit() else "10" if old != "10" else "20"
    return bad, old


@pytest.mark.parametrize("tid,a", AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
def test_agreement_fails_when_one_published_figure_is_wrong(published, tid, a):
    mine, other = published[tid].data, published[a.other].data
    ok = cross.measures_agree(mine, tid, a.column, other, a.other, a.other_column, rows_a=a.rows)
    assert ok.passed, ok.message
    bad, old = _one_cell_wrong(mine, a)
    res = cross.measures_agree(bad, tid, a.column, other, a.other, a.other_column, rows_a=a.rows)
    assert not res.passed
    assert len(res.details) == 1
    assert (res.details[0]["year"], res.details[0]["found"]) == (str(YEAR), old)


@pytest.mark.parametrize("tid,a", AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
def test_planned_agreement_check_fails_when_one_figure_is_wrong(con, published, tid, a):
    spec = get(tid)
    check = next(c for c in plan(spec) if c.name == a.check_name)
    assert check.other_table == a.other
    try:
        assert check.run(con, YEAR).passed
        bad, _ = _one_cell_wrong(published[tid].data, a)
        store_publication(con, replace(published[tid], data=bad))
        outcome = check.run(con, YEAR)
        assert not outcome.passed, outcome.description
    finally:
        store_publication(con, published[tid])  # the right rows back for the other tests


COUNT_AGREEMENTS = [(tid, a) for tid, a in AGREEMENTS if a.column in get(tid).count_columns]


@pytest.mark.parametrize("tid,a", COUNT_AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
def test_planned_agreement_check_compares_unrounded_counts(con, published, tid, a):
    """One LA count off by one: every published cell is the same (national counts are rounded
    to 10), but the agreement fails on the unrounded LA values."""
    out = published[tid]
    bad = out.counts.copy()
    sel = (bad["year"] == YEAR) & (bad["la"] == LA)
    for col, value in a.rows:
        sel &= bad[col] == value
    assert sel.sum() == 1
    bad.loc[sel, a.column] += 1
    bad_out = build_rows(out.spec, bad, YEAR, staged_years={2023, YEAR})
    check = next(c for c in plan(get(tid)) if c.name == a.check_name)
    try:
        store_publication(con, replace(bad_out, data=out.data))  # text as published, counts off by one
        outcome = check.run(con, YEAR)
        assert not outcome.passed, outcome.description
        assert "unrounded" in outcome.description
    finally:
        store_publication(con, out)
