"""D1, D2, D4 and D7 (child protection plans by local authority) on a tiny hand-made census:
every count worked out by hand, the 2-year boundary of D7, and each declared agreement failing
when one published figure is wrong.

The census is one LA (330, Birmingham), year 2024 (1 April 2023 to 31 March 2024). Its plans
(start -> end, initial/latest category of abuse):

=====  ==========  ==========  ========  =====================================================
plan   start       end         cat       what it tests
=====  ==========  ==========  ========  =====================================================
A1     2023-05-01  2023-07-15  NEG/NEG   child A: two plans started in the year, one ended
A2     2023-09-01  open        PHY/EMO   child A's second plan, open at 31 March
B      2022-01-10  2024-01-10  EMO/MUL   730 days: 2 years or more (exactly 2 calendar years)
C      2022-01-11  2024-01-10  SAB/SAB   729 days: 1 year and less than 2 years
D      2022-03-02  2024-03-01  NEG/NEG   730 days over 29 Feb 2024: 2 years or more (1 day
                                         short of 2 calendar years)
E      2024-03-31  open        MUL/MUL   starts on 31 March: started and open at 31 March
F      2023-06-01  2023-12-01  NEG/PHY   exactly 6 months: more than 3 and up to 6 months
G      2022-12-01  2023-11-30  EMO/EMO   364 days: more than 6 months and less than 1 year
H      2021-02-01  open        NEG/EMO   open at 31 March, started years ago
I      2023-04-01  2023-07-01  PHY/PHY   exactly 3 months: 3 months or less
J      2023-02-01  open        SAB/SAB   open at 31 March (J, K, L make 6 plans at 31 March, so
K      2022-10-01  open        EMO/EMO   no D1 count is 1-5 but CPP_start: see the small-part test
L      2023-01-15  open        MUL/NEG   at the end)
=====  ==========  ==========  ========  =====================================================
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pytest

from cin_pipeline.checks import cross
from cin_pipeline.checks.plan import plan
from cin_pipeline.ees.rows import build_rows, run_query
from cin_pipeline.ees.store import store_publication
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import get

YEAR, LA = 2024, "330"
MINE = ("children_in_need.d1", "children_in_need.d2", "children_in_need.d4", "children_in_need.d7")
OTHERS = ("children_in_need.d3", "children_in_need.d5")

PLANS = [  # child, cpp_seq, start, end, initial, latest
    ("A", 1, date(2023, 5, 1), date(2023, 7, 15), "NEG", "NEG"),
    ("A", 2, date(2023, 9, 1), None, "PHY", "EMO"),
    ("B", 1, date(2022, 1, 10), date(2024, 1, 10), "EMO", "MUL"),
    ("C", 1, date(2022, 1, 11), date(2024, 1, 10), "SAB", "SAB"),
    ("D", 1, date(2022, 3, 2), date(2024, 3, 1), "NEG", "NEG"),
    ("E", 1, date(2024, 3, 31), None, "MUL", "MUL"),
    ("F", 1, date(2023, 6, 1), date(2023, 12, 1), "NEG", "PHY"),
    ("G", 1, date(2022, 12, 1), date(2023, 11, 30), "EMO", "EMO"),
    ("H", 1, date(2021, 2, 1), None, "NEG", "EMO"),
    ("I", 1, date(2023, 4, 1), date(2023, 7, 1), "PHY", "PHY"),
    ("J", 1, date(2023, 2, 1), None, "SAB", "SAB"),
    ("K", 1, date(2022, 10, 1), None, "EMO", "EMO"),
    ("L", 1, date(2023, 1, 15), None, "MUL", "NEG"),
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
    base = {"year": YEAR, "la": LA}
    _insert(c, "header", [{**base, "reference_date": date(YEAR, 3, 31)}])
    children = sorted({p[0] for p in PLANS})
    _insert(c, "child", [{**base, "child_id": k, "birth_date": date(2015, 1, 1), "sex": "F"} for k in children])
    _insert(c, "episode", [{**base, "child_id": k, "episode_seq": 1, "referral_date": date(2020, 6, 1),
                            "referral_nfa": False} for k in children])
    _insert(c, "cpp", [{**base, "child_id": k, "episode_seq": 1, "cpp_seq": s, "start_date": start,
                        "end_date": end, "initial_category": ini, "latest_category": lat}
                       for k, s, start, end, ini, lat in PLANS])
    # The LCD is built as the pipeline does before any table: facts.build then ends with the LCD
    # views (without lcd.* its last statement is a has_relation() lookup whose result is left
    # unfinished, and this duckdb build refuses the next con.sql() in run_query).
    build_lcd(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def counts(con):
    """Each table's unrounded LA counts for the one LA-year, as a dict."""
    out = {}
    for tid in MINE + OTHERS:
        df, _ = run_query(con, get(tid))
        row = df[(df["year"] == YEAR) & (df["la"] == LA)]
        assert len(row) == 1, tid
        out[tid] = {c: int(v) for c, v in row.iloc[0].items() if c not in ("year", "la")}
    return out


@pytest.fixture(scope="module")
def published(con, counts):
    """Each table's published rows for the 2024 release, built from the tiny census and stored in
    the warehouse as the pipeline stores them."""
    out = {}
    for tid in MINE + OTHERS:
        spec = get(tid)
        df, _ = run_query(con, spec)
        out[tid] = build_rows(spec, df, YEAR)
        store_publication(con, out[tid])
    return out


# ----------------------------------------------------------------------------- hand counts
def test_d1_plans_and_children(counts):
    assert counts["children_in_need.d1"] == {
        "CPP_start": 5,           # A1, A2, E, F, I
        "CPP_child_start": 4,     # A (twice), E, F, I
        "CPP_end": 7,             # A1, B, C, D, F, G, I
        "CPP_child_end": 7,
        "CPP_anypoint": 13,       # every plan: 7 ended + 6 open at 31 March
        "CPP_child_anypoint": 12, # A counts once (one plan ended, one open)
        "CPP_At31": 6,            # A2, E, H, J, K, L
    }


def test_d1_anypoint_identity_holds_for_plans_not_children(counts):
    d1 = counts["children_in_need.d1"]
    assert d1["CPP_anypoint"] == d1["CPP_end"] + d1["CPP_At31"]
    assert d1["CPP_child_anypoint"] < d1["CPP_child_end"] + d1["CPP_At31"]


def test_d2_plans_starting_by_category(counts):
    d2 = counts["children_in_need.d2"]
    assert d2["CPP_start"] == counts["children_in_need.d1"]["CPP_start"] == 5
    initial = {k: v for k, v in d2.items() if k.endswith("_Initial")}
    latest = {k: v for k, v in d2.items() if k.endswith("_Latest")}
    assert initial == {"Neglect_Initial": 2, "Physical_abuse_Initial": 2, "Sexual_abuse_Initial": 0,
                       "Emotional_abuse_Initial": 0, "Multiple_Initial": 1}   # A1 F | A2 I | - | - | E
    assert latest == {"Neglect_Latest": 1, "Physical_abuse_Latest": 2, "Sexual_abuse_Latest": 0,
                      "Emotional_abuse_Latest": 1, "Multiple_Latest": 1}      # A1 | F I | - | A2 | E


def test_d4_plans_at_31_march_by_category(counts):
    d4 = counts["children_in_need.d4"]
    assert d4["CPP_At31"] == counts["children_in_need.d5"]["CPP_At31"] == 6
    assert {k: v for k, v in d4.items() if k != "CPP_At31"} == {
        "Neglect_Initial": 1, "Physical_abuse_Initial": 1, "Sexual_abuse_Initial": 1,   # H, A2, J
        "Emotional_abuse_Initial": 1, "Multiple_Initial": 2,                           # K, E L
        "Neglect_Latest": 1, "Physical_abuse_Latest": 0, "Sexual_abuse_Latest": 1,      # L, -, J
        "Emotional_abuse_Latest": 3, "Multiple_Latest": 1,                             # A2 H K, E
    }


def test_d7_plans_ending_by_duration(counts):
    assert counts["children_in_need.d7"] == {
        "CPP_End": 7,
        "3_months_or_less": 2,                       # A1 (2.5 months), I (exactly 3 months)
        "more_than_3_months_6_months": 1,            # F (exactly 6 months)
        "more_than_6_months_less_than_1_year": 1,    # G (364 days)
        "1_year_less_than_2_years": 1,               # C (729 days)
        "2_years_or_more": 2,                        # B, D (730 days)
    }


def test_d7_two_year_boundary_is_more_than_729_days(con, counts):
    """LAIT: 2 years or more = "more than 729 calendar days including days of cessation", i.e.
    end date minus start date > 729. B (730 days, 2 calendar years exactly) and D (730 days, one
    day short of 2 calendar years because of 29 February 2024) are 2 years or more; C (729 days)
    is not."""
    days = dict(con.execute("SELECT child_id, days_open FROM facts.cpp WHERE child_id IN ('B', 'C', 'D')").fetchall())
    assert days == {"B": 730, "C": 729, "D": 730}
    assert counts["children_in_need.d7"]["2_years_or_more"] == 2


def test_identities_hold(counts):
    for tid in MINE:
        spec, c = get(tid), counts[tid]
        for total, parts in spec.sums:
            assert c[total] == sum(c[p] for p in parts), (tid, total, parts)


def _row(published, tid: str, level: str):
    d = published[tid].data
    d = d[(d["time_period"] == str(YEAR)) & (d["geographic_level"] == level)]
    return (d[d["old_la_code"] == LA] if level == "Local authority" else d).iloc[0]


def test_published_la_row_is_suppressed_and_national_rounded(published):
    """LA counts of 1-5 are 'c' (and their percentages), and so are counts shared between tables
    from 6 to their threshold (8 for the CPP counts: 5 parts + 3); national counts are rounded
    to 10."""
    la = _row(published, "children_in_need.d7", "Local authority")
    assert la["CPP_End"] == "c" and la["3_months_or_less"] == "c" and la["2_years_or_more_percent"] == "c"
    la = _row(published, "children_in_need.d1", "Local authority")
    # CPP_end 7 and CPP_At31 6 are shared (D7, D5): c; their total 13 leaves each 1-12
    assert (la["CPP_start"], la["CPP_end"], la["CPP_anypoint"], la["CPP_At31"]) == ("c", "c", "13", "c")
    nat = _row(published, "children_in_need.d1", "National")
    assert (nat["CPP_start"], nat["CPP_end"], nat["CPP_anypoint"], nat["CPP_At31"]) == ("10", "10", "10", "10")
    nat = _row(published, "children_in_need.d4", "National")
    assert (nat["CPP_At31"], nat["Multiple_Initial"], nat["Multiple_Initial_percent"]) == ("10", "k", "33.3")


# ----------------------------------------------------------------------------- agreements
AGREEMENTS = [(tid, a) for tid in MINE for a in get(tid).agreements]


def test_every_requested_agreement_is_declared():
    got = {(tid, a.column, a.other, a.other_column) for tid, a in AGREEMENTS}
    assert got == {
        ("children_in_need.d1", "CPP_start", "children_in_need.d3", "CPP_start"),
        ("children_in_need.d1", "CPP_At31", "children_in_need.d5", "CPP_At31"),
        ("children_in_need.d2", "CPP_start", "children_in_need.d1", "CPP_start"),
        ("children_in_need.d4", "CPP_At31", "children_in_need.d5", "CPP_At31"),
        ("children_in_need.d7", "CPP_End", "children_in_need.d1", "CPP_end"),
    }


def _one_cell_wrong(data, column: str, level: str):
    """A copy of ``data`` with the 2024 ``level`` row's ``column`` changed to another figure."""
    bad = data.copy()
    row = bad.index[(bad["time_period"] == str(YEAR)) & (bad["geographic_level"] == level)
                    & ((bad["old_la_code"] == LA) if level == "Local authority" else True)][0]
    old = bad.at[row, column]
    bad.at[row, column] = str(int(old) + 10) if old.isdigit() else "10"
    return bad, old


@pytest.mark.parametrize("tid,a", AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
@pytest.mark.parametrize("level", ["National", "Local authority"])
def test_agreement_fails_when_one_figure_is_wrong(published, tid, a, level):
    mine, other = published[tid].data, published[a.other].data
    ok = cross.measures_agree(mine, tid, a.column, other, a.other, a.other_column)
    assert ok.passed, ok.message
    bad, old = _one_cell_wrong(mine, a.column, level)
    res = cross.measures_agree(bad, tid, a.column, other, a.other, a.other_column)
    assert not res.passed
    assert len(res.details) == 1
    d = res.details[0]
    assert (d["year"], d["column"], d["found"]) == (str(YEAR), a.other_column, old)


@pytest.mark.parametrize("tid,a", AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
def test_planned_agreement_check_fails_when_one_total_is_wrong(con, published, tid, a):
    spec = get(tid)
    check = next(c for c in plan(spec) if c.name == a.check_name)
    assert check.other_table == a.other
    try:
        assert check.run(con, YEAR).passed
        bad, _ = _one_cell_wrong(published[tid].data, a.column, "National")
        store_publication(con, replace(published[tid], data=bad))
        outcome = check.run(con, YEAR)
        assert not outcome.passed, outcome.description
        assert a.column in outcome.description or a.other_column in outcome.description
    finally:
        store_publication(con, published[tid])  # the right rows back for the other tests


@pytest.mark.parametrize("ended,at31", [(3, 12), (12, 3)], ids=["few_ending", "few_at_31_march"])
def test_d1_totals_still_agree_with_d5_and_d7_when_one_part_is_small(ended, at31):
    import pandas as pd

    base = {"year": YEAR, "la": LA}
    d1 = pd.DataFrame([{**base, "CPP_start": 12, "CPP_child_start": 12, "CPP_end": ended,
                        "CPP_child_end": ended, "CPP_anypoint": ended + at31,
                        "CPP_child_anypoint": ended + at31, "CPP_At31": at31}])
    d5 = pd.DataFrame([{**base, "CPP_At31": at31, "3_months_or_less": at31, "more_than_3_months_6_months": 0,
                        "more_than_6_months_less_than_1_year": 0, "1_year_less_than_2_years": 0,
                        "2_years_or_more": 0}])
    d7 = pd.DataFrame([{**base, "CPP_End": ended, "3_months_or_less": ended, "more_than_3_months_6_months": 0,
                        "more_than_6_months_less_than_1_year": 0, "1_year_less_than_2_years": 0,
                        "2_years_or_more": 0}])
    t1 = build_rows(get("children_in_need.d1"), d1, YEAR).data
    t5 = build_rows(get("children_in_need.d5"), d5, YEAR).data
    t7 = build_rows(get("children_in_need.d7"), d7, YEAR).data
    res = [cross.measures_agree(t1, "children_in_need.d1", "CPP_At31", t5, "children_in_need.d5", "CPP_At31"),
           cross.measures_agree(t7, "children_in_need.d7", "CPP_End", t1, "children_in_need.d1", "CPP_end")]
    assert all(r.passed for r in res), [r.message for r in res if not r.passed]
