"""A3, A4, A5 and A7 (national characteristics of children in need and of children on a plan) on
a tiny hand-made census: every count worked out by hand, the nested characteristic filters, and
each declared agreement (with B1, B3 and D4) holding on the unrounded counts and failing when one
published figure is wrong.

One LA (330), census year 2024 (1 April 2023 - 31 March 2024). Every child has one episode
referred on 1 October 2023; all are open at 31 March but G's (closed 1 February 2024):

=====  ===============  ==========  ====  =====  ====  ==================  =======================
child  born             age band    sex   ethn.  need  plan (initial)      what it tests
=====  ===============  ==========  ====  =====  ====  ==================  =======================
A      2023-06-01       Under 1     F     WBRI   N1    open, NEG
B      2020-03-31       1 to 4      M     BAFR   N2    -                   4 on 31 March 2024
C      2019-04-01       1 to 4      M     REFU   N5    open, EMO           5 only on 1 April
D      expected 06-01   Unborn      U     CHNE   N1    open, MUL           unborn: not a gender
E      2006-03-01       16 and over F     MWAS   N0    open, PHY           aged 18
F      2014-01-01       10 to 15    U     AIND   N4    ended 2024-01-01    indeterminate gender
G      2016-05-01       5 to 9      F     WBRI   N1    -                   episode closed: not CIN
H      -                Age unknown M     NOBT   N1    open, SAB           no date of birth at all
=====  ===============  ==========  ====  =====  ====  ==================  =======================

So 7 children in need at 31 March (A-F, H) and 5 plans at 31 March (A, C, D, E, H).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd
import pytest

from cin_pipeline.checks import cross
from cin_pipeline.checks.plan import plan
from cin_pipeline.ees.rows import build_rows, normalise_counts, run_query
from cin_pipeline.ees.store import store_publication
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import get

YEAR, LA = 2024, "330"
BASE = {"year": YEAR, "la": LA}
MINE = ("children_in_need.a3", "children_in_need.a4", "children_in_need.a5", "children_in_need.a7")
OTHERS = ("children_in_need.b1", "children_in_need.b3", "children_in_need.d4", "children_in_need.d5",
          "children_in_need.a6")

CHILDREN = [  # child, birth date, expected birth date, sex, ethnicity, need, closure, plan
    ("A", date(2023, 6, 1), None, "F", "WBRI", "N1", None, ("NEG", None)),
    ("B", date(2020, 3, 31), None, "M", "BAFR", "N2", None, None),
    ("C", date(2019, 4, 1), None, "M", "REFU", "N5", None, ("EMO", None)),
    ("D", None, date(2024, 6, 1), "U", "CHNE", "N1", None, ("MUL", None)),
    ("E", date(2006, 3, 1), None, "F", "MWAS", "N0", None, ("PHY", None)),
    ("F", date(2014, 1, 1), None, "U", "AIND", "N4", None, ("SAB", date(2024, 1, 1))),
    ("G", date(2016, 5, 1), None, "F", "WBRI", "N1", date(2024, 2, 1), None),
    ("H", None, None, "M", "NOBT", "N1", None, ("SAB", None)),
]


def _insert(con, table: str, rows: list[dict]) -> None:
    cols = [c for c, _ in TABLE_COLUMNS[table]]
    for r in rows:
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})",
                    [r.get(c) for c in cols])


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        c.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    _insert(c, "header", [{**BASE, "reference_date": date(YEAR, 3, 31)}])
    _insert(c, "child", [{**BASE, "child_id": k, "birth_date": born, "expected_birth_date": exp, "sex": sex,
                          "ethnicity": eth} for k, born, exp, sex, eth, *_ in CHILDREN])
    _insert(c, "episode", [{**BASE, "child_id": k, "episode_seq": 1, "referral_date": date(2023, 10, 1),
                            "referral_nfa": False, "primary_need": need, "closure_date": closed,
                            "reason_for_closure": "RC1" if closed else None}
                           for k, _, _, _, _, need, closed, _ in CHILDREN])
    _insert(c, "cpp", [{**BASE, "child_id": k, "episode_seq": 1, "cpp_seq": 1, "start_date": date(2023, 11, 1),
                        "end_date": p[1], "initial_category": p[0], "latest_category": p[0]}
                       for k, *_, p in CHILDREN if p])
    build_lcd(c)   # as the pipeline does before any table (see test_tables_cpp_breakdowns)
    yield c
    c.close()


@pytest.fixture(scope="module")
def counts(con):
    """Each table's unrounded counts for the LA-year, keyed by its filter values."""
    out = {}
    for tid in MINE + OTHERS:
        spec = get(tid)
        df, _ = run_query(con, spec)
        df = df[(df["year"] == YEAR) & (df["la"] == LA)]
        keys = [f.name for f in spec.query_filters]
        out[tid] = {tuple(r[k] for k in keys): {c: int(r[c]) for c in spec.count_columns}
                    for _, r in df.iterrows()}
    return out


@pytest.fixture(scope="module")
def published(con):
    out = {}
    for tid in MINE + OTHERS:
        spec = get(tid)
        df, _ = run_query(con, spec)
        out[tid] = build_rows(spec, df, YEAR)
        store_publication(con, out[tid])
    return out


def _col(table: dict, column: str) -> dict:
    """{filter values: count} of one column, leaving out zeros."""
    return {k: v[column] for k, v in table.items() if v[column]}


# ----------------------------------------------------------------------------- hand counts
def test_a7_children_in_need_by_characteristic(counts):
    a7 = counts["children_in_need.a7"]
    assert _col(a7, "CIN_At31") == {
        ("Gender", "Total"): 7,
        ("Gender", "Female"): 2, ("Gender", "Male"): 3,                  # A E | B C H
        ("Gender", "Unknown/Indeterminate gender"): 1, ("Unborn", "Unborn"): 1,   # F | D
        ("Age", "Under 1"): 1, ("Age", "1 to 4"): 2, ("Age", "10 to 15"): 1,      # A | B C | F
        ("Age", "16 and over"): 1, ("Age", "Age unknown"): 1,                    # E | H
        ("Ethnicity major", "White"): 1, ("Ethnicity major", "Mixed"): 1,
        ("Ethnicity major", "Asian or Asian British"): 1, ("Ethnicity major", "Black or Black British"): 1,
        ("Ethnicity major", "Other ethnic groups"): 1, ("Ethnicity major", "Unknown"): 2,   # C H
        ("Ethnicity minor", "White British"): 1, ("Ethnicity minor", "White and Asian"): 1,
        ("Ethnicity minor", "Indian"): 1, ("Ethnicity minor", "African"): 1,
        ("Ethnicity minor", "Chinese"): 1, ("Ethnicity minor", "Refused"): 1,
        ("Ethnicity minor", "Information not yet obtained"): 1,
    }
    # every declared pair has a row carrying the LA's total (the percentages' denominator)
    assert set(a7) == set(get("children_in_need.a7").filter_keys())
    assert {v["CIN_At31_all"] for v in a7.values()} == {7}


def test_groups_add_up_to_the_total(counts):
    a7 = counts["children_in_need.a7"]
    total = a7[("Gender", "Total")]["CIN_At31"]
    by_group: dict[str, int] = {}
    for (group, value), v in a7.items():
        if value != "Total":
            by_group[group] = by_group.get(group, 0) + v["CIN_At31"]
    unborn = by_group.pop("Unborn")
    assert by_group == {"Gender": total - unborn, "Age": total - unborn,
                        "Ethnicity major": total, "Ethnicity minor": total}


def test_a3_children_in_need_by_primary_need(counts):
    a3 = counts["children_in_need.a3"]
    assert a3[("Gender", "Total")] == {
        "CIN_At31": 7, "N0_Not_stated": 1, "N1_Abuse_or_neglect": 3,    # E | A D H
        "N2_Childs_disability_or_illness": 1, "N3_Parents_disability_or_illness": 0,   # B
        "N4_Family_in_acute_stress": 1, "N5_Family_dysfunction": 1,               # F | C
        "N6_Socially_unacceptable_behaviour": 0, "N7_Low_income": 0, "N8_Absent_parenting": 0,
        "N9_Cases_other_than_children_in_need": 0}
    assert _col(a3, "N1_Abuse_or_neglect") == {("Gender", "Total"): 3, ("Gender", "Female"): 1,
                                               ("Gender", "Male"): 1, ("Unborn", "Unborn"): 1,
                                               ("Age", "Under 1"): 1, ("Age", "Age unknown"): 1}
    assert {k[0] for k in a3} == {"Gender", "Unborn", "Age"}


def test_a4_children_in_need_by_ethnicity(counts):
    a4 = counts["children_in_need.a4"]
    assert a4[("Total",)] == {"CIN_At31": 7, "Ethnicity_Known": 5, "Ethnicity_White": 1,
                              "Ethnicity_Mixed": 1, "Ethnicity_Asian_or_Asian_British": 1,
                              "Ethnicity_Black_or_Black_British": 1, "Ethnicity_Other_ethnic_groups": 1}
    assert a4[("Male",)]["CIN_At31"] == 3 and a4[("Male",)]["Ethnicity_Known"] == 1     # B only
    assert a4[("Unknown or Indeterminate gender",)]["Ethnicity_Asian_or_Asian_British"] == 1   # F
    assert a4[("Unborn",)]["Ethnicity_Other_ethnic_groups"] == 1                               # D
    assert a4[("1 to 4",)]["CIN_At31"] == 2 and a4[("1 to 4",)]["Ethnicity_Known"] == 1        # B C


def test_a5_plans_at_31_march_by_initial_category(counts):
    a5 = counts["children_in_need.a5"]
    assert a5[("Gender", "Total")] == {"CPP_At31": 5, "Neglect_Initial": 1, "Physical_Abuse_Initial": 1,
                                       "Sexual_Abuse_Initial": 1, "Emotional_Abuse_Initial": 1,
                                       "Multiple_Initial": 1}   # A E H C D; F's plan ended
    assert _col(a5, "CPP_At31") == {
        ("Gender", "Total"): 5, ("Gender", "Female"): 2, ("Gender", "Male"): 2, ("Unborn", "Unborn"): 1,
        ("Age", "Under 1"): 1, ("Age", "1 to 4"): 1, ("Age", "16 and over"): 1, ("Age", "Age unknown"): 1,
        ("Ethnicity major", "White"): 1, ("Ethnicity major", "Mixed"): 1,
        ("Ethnicity major", "Other ethnic groups"): 1, ("Ethnicity major", "Unknown"): 2}
    assert _col(a5, "Multiple_Initial") == {("Gender", "Total"): 1, ("Unborn", "Unborn"): 1,
                                            ("Ethnicity major", "Other ethnic groups"): 1}


def test_identities_hold(counts):
    for tid in MINE:
        for row in counts[tid].values():
            for total, parts in get(tid).sums:
                assert row[total] == sum(row[p] for p in parts), (tid, total)


def test_published_rows_are_the_declared_pairs_in_order(published):
    a5 = published["children_in_need.a5"].data
    rows = a5[a5["time_period"] == str(YEAR)]
    assert list(zip(rows["characteristic"], rows["characteristic_type"])) == get("children_in_need.a5").filter_keys()
    first = rows.iloc[0]
    assert (first["category"], first["characteristic"], first["characteristic_type"], first["CPP_At31"],
            first["Neglect_Initial"]) == ("Initial category of abuse", "Gender", "Total", "10", "k")
    a7 = published["children_in_need.a7"].data
    a7 = a7[a7["time_period"] == str(YEAR)]
    pct = dict(zip(a7["characteristic_type"], a7["CIN_At31_percent"]))
    assert (pct["Total"], pct["Female"], pct["Unborn"], pct["Unknown/Indeterminate gender"], pct["5 to 9"]) == \
        ("100", "28.6", "14.3", "14.3", "0")


def test_a_query_row_outside_the_declared_pairs_is_refused():
    spec = get("children_in_need.a5")
    row = {"year": YEAR, "la": LA, "characteristic": "Age", "characteristic_type": "Female",
           **{c: 1 for c in spec.count_columns}}
    with pytest.raises(ValueError, match="combinations"):
        normalise_counts(spec, pd.DataFrame([row]))


# ----------------------------------------------------------------------------- agreements
AGREEMENTS = [(tid, a) for tid in MINE for a in get(tid).agreements]


def test_every_requested_agreement_is_declared():
    got = {(tid, a.column, a.other, a.other_column) for tid, a in AGREEMENTS}
    assert {("children_in_need.a3", "CIN_At31", "children_in_need.b1", "At31_episodes"),
            ("children_in_need.a4", "CIN_At31", "children_in_need.b1", "At31_episodes"),
            ("children_in_need.a7", "CIN_At31", "children_in_need.b1", "At31_episodes"),
            ("children_in_need.a5", "CPP_At31", "children_in_need.d4", "CPP_At31"),
            ("children_in_need.a5", "Physical_Abuse_Initial", "children_in_need.d4", "Physical_abuse_Initial"),
            ("children_in_need.a5", "CPP_At31", "children_in_need.a6", "CPP_At31"),
            ("children_in_need.a5", "Physical_Abuse_Initial", "children_in_need.a6", "Physical_abuse_Initial"),
            } <= got
    # A3 B1 + B3's ten needs, A4, A5 total + five against D4 and again against A6, A7
    assert len(got) == 1 + 10 + 1 + 6 + 6 + 1


@pytest.mark.parametrize("tid,a", AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
def test_agreement_holds_on_unrounded_counts(counts, tid, a):
    names = [f.name for f in get(tid).query_filters]
    (mine,) = [v[a.column] for k, v in counts[tid].items()
               if all(k[names.index(col)] == value for col, value in a.rows)]
    (other,) = counts[a.other].values()
    assert mine == other[a.other_column]


def _one_cell_wrong(data, tid, a):
    bad = data.copy()
    pick = bad["time_period"] == str(YEAR)
    for col, value in a.rows:
        pick &= bad[col] == value
    row = bad.index[pick][0]
    old = bad.at[row, a.column]
    bad.at[row, a.column] = str(int(old) + 10) if old.isdigit() else "10"
    return bad, old


@pytest.mark.parametrize("tid,a", AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
def test_agreement_fails_when_one_figure_is_wrong(con, published, tid, a):
    mine, other = published[tid].data, published[a.other].data
    assert cross.measures_agree(mine, tid, a.column, other, a.other, a.other_column, rows_a=a.rows).passed
    bad, old = _one_cell_wrong(mine, tid, a)
    res = cross.measures_agree(bad, tid, a.column, other, a.other, a.other_column, rows_a=a.rows)
    assert not res.passed and len(res.details) == 1
    assert (res.details[0]["year"], res.details[0]["found"]) == (str(YEAR), old)
    # and the planned asset check on the stored tables
    check = next(c for c in plan(get(tid)) if c.name == a.check_name)
    try:
        assert check.run(con, YEAR).passed
        store_publication(con, replace(published[tid], data=bad))
        assert not check.run(con, YEAR).passed
    finally:
        store_publication(con, published[tid])
