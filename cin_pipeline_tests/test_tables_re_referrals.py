"""Re-referrals A1, A2, A3, A5, A6, B1-B5 and F1 on a tiny hand-made census, every figure worked
out by hand, including the 12-month, 3-year and 5-year window boundaries, and every declared
agreement of these tables failing when one published figure is wrong.

One LA (330, Birmingham) with returns for 2019 to 2024. Each referral is an episode of the return
of its own year, closed two weeks later (so it appears in that return only). Census year Y runs
from 1 April Y-1 to 31 March Y.

=====  ===========================================  ============================================
child  referrals (census year)                      the 2024 referral(s)
=====  ===========================================  ============================================
K1     2020-05-01 (2021), 2023-05-01 (2024)         exactly 3 years after: 3y and 5y, not 12m
K2     2020-04-30 (2021), 2023-05-01 (2024)         3 years and a day: 5y only
K3     2018-05-01 (2019), 2023-05-01 (2024)         exactly 5 years: 5y only
K4     2018-04-30 (2019), 2023-05-01 (2024)         5 years and a day: not a re-referral
K5     2022-06-01 (2023), 2023-06-01, 2024-01-10,   exactly 12 months, then a chain: all three
       2024-02-01 (2024)                            12m (and 3y, 5y) re-referrals
K6     2022-05-31 (2023), 2023-06-01 (2024)         12 months and a day: 3y and 5y, not 12m
K7     2023-09-01 (2024)                            first referral; no further action
=====  ===========================================  ============================================

2024: 9 referrals of 7 children; re-referrals 3 (12m), 5 (3y: K1, K5 x3, K6), 7 (5y: + K2, K3);
children re-referred 1 (12m), 3 (3y), 5 (5y).

Characteristics in the 2024 return: K7 male, born 2010-06-01 (13 at 31 March: 10 to 15), Black
African, disabled (HAND); the others female, born 2015-01-01 (9: 5 to 9), White British, no
disability. Source: K5 schools (2A), K7 police (6), K4 none recorded (Unknown), the others
individual (1A). Primary need: K5 N1, K7 none (NFA: N0), the others N4.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from cin_pipeline import facts
from cin_pipeline.checks.plan import plan
from cin_pipeline.ees.rows import build_ees, build_rows, run_query
from cin_pipeline.ees.store import PUBLICATION_SCHEMA, store_publication
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import all_tables, get

YEAR, LA = 2024, "330"
D = date
REFERRALS = {
    "K1": [D(2020, 5, 1), D(2023, 5, 1)],
    "K2": [D(2020, 4, 30), D(2023, 5, 1)],
    "K3": [D(2018, 5, 1), D(2023, 5, 1)],
    "K4": [D(2018, 4, 30), D(2023, 5, 1)],
    "K5": [D(2022, 6, 1), D(2023, 6, 1), D(2024, 1, 10), D(2024, 2, 1)],
    "K6": [D(2022, 5, 31), D(2023, 6, 1)],
    "K7": [D(2023, 9, 1)],
}
SOURCE = {"K5": "2A", "K7": "6", "K4": None}
NEED = {"K5": "N1", "K7": None}
NEW = ("a1", "a2", "a3", "a5", "a6", "b1", "b2", "b3", "b4", "b5", "f1")
BUILT = [f"re_referrals.{c}" for c in NEW] + ["children_in_need.c1", "children_in_need.c5"]


def _census_year(d: date) -> int:
    return d.year + (1 if d.month >= 4 else 0)


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
    for year in range(2019, 2025):
        base = {"year": year, "la": LA}
        _insert(c, "header", [{**base, "reference_date": D(year, 3, 31)}])
        for k, dates in REFERRALS.items():
            mine = [d for d in dates if _census_year(d) == year]
            if not mine:
                continue
            k7 = k == "K7"
            _insert(c, "child", [{**base, "child_id": k, "sex": "M" if k7 else "F",
                                  "birth_date": D(2010, 6, 1) if k7 else D(2015, 1, 1),
                                  "ethnicity": "BAFR" if k7 else "WBRI"}])
            if k7:
                _insert(c, "disability", [{**base, "child_id": k, "disability": "HAND"}])
            _insert(c, "episode", [
                {**base, "child_id": k, "episode_seq": i, "referral_date": d,
                 "referral_source": SOURCE.get(k, "1A"), "primary_need": NEED.get(k, "N4"),
                 "closure_date": d + timedelta(days=14), "reason_for_closure": "RC8" if k7 else "RC7",
                 "referral_nfa": k7}
                for i, d in enumerate(mine, 1)])
    build_lcd(c)
    facts.build(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def counts(con):
    """Each new table's unrounded 2024 counts: {filter values: {count: n}}."""
    out = {}
    for code in NEW:
        spec = get(f"re_referrals.{code}")
        df, _ = run_query(con, spec)
        df = df[(df["year"] == YEAR) & (df["la"] == LA)]
        keys = [f.name for f in spec.query_filters]
        out[code] = {tuple(r[k] for k in keys): {c: int(r[c]) for c in spec.count_columns}
                     for _, r in df.iterrows()}
    return out


def _nonzero(table: dict, column: str) -> dict:
    return {k: v[column] for k, v in table.items() if v[column]}


def test_the_lcd_flags_the_window_boundaries(con):
    got = {(k, str(d)): (r12, r3, r5) for k, d, r12, r3, r5 in con.execute(
        "SELECT child_id, referral_date, rereferral_12m, rereferral_3y, rereferral_5y "
        "FROM facts.referral WHERE year = 2024").fetchall()}
    assert got == {
        ("K1", "2023-05-01"): (False, True, True), ("K2", "2023-05-01"): (False, False, True),
        ("K3", "2023-05-01"): (False, False, True), ("K4", "2023-05-01"): (False, False, False),
        ("K5", "2023-06-01"): (True, True, True), ("K5", "2024-01-10"): (True, True, True),
        ("K5", "2024-02-01"): (True, True, True), ("K6", "2023-06-01"): (False, True, True),
        ("K7", "2023-09-01"): (False, False, False),
    }


def test_a1_referrals_by_referral_type(counts):
    assert _nonzero(counts["a1"], "referrals") == {
        ("Initial referral: child not re-referred",): 6, ("Re-referral",): 3}


def test_a1_2023_initial_referral_later_re_referred(con):
    df, _ = run_query(con, get("re_referrals.a1"))
    got = {r.referral_type: r.referrals for r in df[df["year"] == 2023].itertuples() if r.referrals}
    # K5's 2022-06-01 is followed exactly 12 months later; K6's 2022-05-31 by 12 months and a day
    assert got == {"Initial referral: child later re-referred": 1,
                   "Initial referral: child not re-referred": 1}


def test_a2_children_by_number_of_referrals(counts):
    assert _nonzero(counts["a2"], "children") == {("1", "Child not re-referred"): 6,
                                                   ("3", "Child re-referred"): 1}
    assert counts["a2"][("3", "Child re-referred")]["referrals"] == 3


def test_a3_windows(counts):
    a3 = counts["a3"]
    assert a3[("Within 12 months",)] == {"referrals": 9, "re_referrals": 3, "children_referred": 7,
                                         "children_re_referred": 1}
    assert a3[("Within 3 years",)] == {"referrals": 9, "re_referrals": 5, "children_referred": 7,
                                       "children_re_referred": 3}
    assert a3[("Within 5 years",)] == {"referrals": 9, "re_referrals": 7, "children_referred": 7,
                                       "children_re_referred": 5}


def test_a3_window_rows_are_x_without_that_many_previous_censuses(con):
    spec = get("re_referrals.a3")
    df, _ = run_query(con, spec)
    rows = build_rows(spec, df, YEAR, staged_years=set(range(2019, 2025))).data
    nat = rows[rows["geographic_level"] == "National"].set_index(["time_period", "re_referral_window"])
    # 2023: 2020-2022 staged (3 years), 2018 not (5 years); 2021: 2019-2020 only
    assert nat.loc[("2023", "Within 3 years"), "re_referrals"] != "x"
    assert nat.loc[("2023", "Within 5 years"), "re_referrals"] == "x"
    assert nat.loc[("2021", "Within 12 months"), "re_referrals"] != "x"
    assert nat.loc[("2021", "Within 3 years"), "referrals"] == "x"
    assert (nat.loc["2019", "referrals"] == "x").all()


def test_a5_sources(counts):
    assert _nonzero(counts["a5"], "referrals") == {
        ("Individual", "Not a re-referral"): 4, ("Unknown", "Not a re-referral"): 1,
        ("Schools", "Re-referral"): 3, ("Police", "Not a re-referral"): 1}


def test_a6_primary_need(counts):
    assert _nonzero(counts["a6"], "referrals") == {
        ("N4 - Family in acute stress", "Not a re-referral"): 5,
        ("N1 - Abuse or neglect", "Re-referral"): 3,
        ("N0 - Not stated", "Not a re-referral"): 1}


def test_b1_children_referred(counts):
    assert counts["b1"] == {("Child re-referred",): {"children": 1, "referrals": 3},
                            ("Child not re-referred",): {"children": 6, "referrals": 6}}


def test_b2_to_b5_characteristics(counts):
    assert _nonzero(counts["b2"], "referrals") == {("Female", "Not a re-referral"): 5,
                                                   ("Female", "Re-referral"): 3,
                                                   ("Male", "Not a re-referral"): 1}
    assert _nonzero(counts["b3"], "referrals") == {("5 to 9", "Not a re-referral"): 5,
                                                   ("5 to 9", "Re-referral"): 3,
                                                   ("10 to 15", "Not a re-referral"): 1}
    assert _nonzero(counts["b4"], "referrals") == {("White", "Not a re-referral"): 5,
                                                   ("White", "Re-referral"): 3,
                                                   ("Black or Black British", "Not a re-referral"): 1}
    assert _nonzero(counts["b5"], "referrals") == {("Not disabled", "Not a re-referral"): 5,
                                                   ("Not disabled", "Re-referral"): 3,
                                                   ("Disabled", "Not a re-referral"): 1}


def test_f1_referrals_by_la(counts):
    assert counts["f1"] == {(): {"referrals": 9, "re_referrals": 3}}


@pytest.fixture(scope="module")
def stored(con):
    """The new tables, C1 and C5 built and stored for the 2024 release."""
    for tid in BUILT:
        store_publication(con, build_ees(con, get(tid), YEAR))
    return con


AGREEMENTS = [(s.table_id, a) for s in all_tables() if s.group == "re_referrals"
              and s.code.lower() in NEW for a in s.agreements]


def _check(con, tid: str, a):
    return next(c for c in plan(get(tid)) if c.name == a.check_name).run(con, YEAR)


@pytest.mark.parametrize("tid,a", AGREEMENTS, ids=lambda x: getattr(x, "check_name", x))
def test_each_agreement_holds_and_fails_on_one_wrong_figure(stored, tid, a):
    con = stored
    assert _check(con, tid, a).passed
    spec = get(tid)
    table = f'{PUBLICATION_SCHEMA}."{spec.warehouse_name}"'
    year = str(spec.last_year_in(YEAR))
    where = " AND ".join([f"{c} = '{v}'" for c, v in a.rows]
                         + ["geographic_level = 'National'", f"time_period = '{year}'",
                            f"release_year = {YEAR}"])
    (old,) = con.execute(f'SELECT "{a.column}" FROM {table} WHERE {where}').fetchone()
    assert old not in ("x", "z", "c"), (tid, a.column, old)
    con.execute(f"UPDATE {table} SET \"{a.column}\" = '{old}1' WHERE {where}")
    try:
        assert not _check(con, tid, a).passed
    finally:
        con.execute(f"UPDATE {table} SET \"{a.column}\" = '{old}' WHERE {where}")
    assert _check(con, tid, a).passed


def test_guidance_per_data_set():
    """Issue 11 item 4: national-only data sets get the national rounding text (F1 the LA one),
    the LCD caveat is stated where the LCD is read, and no title is prefixed twice."""
    from dataclasses import replace

    from cin_pipeline.publish.guidance import NATIONAL_ROUNDING, ROUNDING, data_guidance, table_section
    from cin_pipeline.tables import release, tables_for_release

    rel = release("children-in-need-re-referrals")
    specs = tables_for_release(rel.slug)
    text = data_guidance(rel, YEAR, specs, ["2024: a note (x)"])
    assert "These data sets are national only" not in text
    assert "Data sets national only: A1, A2, A3, A4, A5, A6, B1, B2, B3, B4, B5, C1, C2, D1, D2, E1." in text
    assert "can differ slightly" in text and text.count("## Longitudinal CIN Dataset") == 1
    a4 = table_section(get("re_referrals.a4"), YEAR, mixed=True)
    assert f"* Rounding: {NATIONAL_ROUNDING}" in a4 and ROUNDING not in a4
    assert "Longitudinal CIN Dataset" in a4
    f1 = table_section(get("re_referrals.f1"), YEAR, mixed=True)
    assert f"* Rounding: {ROUNDING}" in f1
    published_title = replace(get("re_referrals.a4"), title="A4. Duration of episodes 2017-23")
    assert published_title.heading == "A4. Duration of episodes 2017-23"
    assert "A4: A4" not in table_section(published_title, YEAR)
    assert get("re_referrals.a4").heading == "A4: Duration of episodes 2017-23"
    # the Children in need release states no LCD caveat
    cin = data_guidance(release("children-in-need"), YEAR, tables_for_release("children-in-need"), [])
    assert "## Longitudinal CIN Dataset" not in cin
    assert f"* Rounding: {NATIONAL_ROUNDING}" in cin  # its national A tables
