"""LCD SQL on a tiny hand-built pair of returns (2023 and 2024, LA 330), staged as ``clean`` tables.

The tables have the staging shapes of docs/ARCHITECTURE.md (only the columns the LCD reads), so
this test pins the LCD rules independently of the XML parser.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from cin_pipeline.lcd import build_lcd

D = dt.date.fromisoformat

SCHEMAS = {
    "header": "year INTEGER, la VARCHAR, reference_date DATE",
    "child": "year INTEGER, la VARCHAR, child_id VARCHAR, birth_date DATE, sex VARCHAR, "
             "ethnicity VARCHAR, upn VARCHAR",
    "disability": "year INTEGER, la VARCHAR, child_id VARCHAR, disability VARCHAR",
    "episode": "year INTEGER, la VARCHAR, child_id VARCHAR, episode_seq INTEGER, referral_date DATE, "
               "referral_source VARCHAR, primary_need VARCHAR, closure_date DATE, "
               "reason_for_closure VARCHAR, icpc_date DATE, referral_nfa BOOLEAN",
    "assessment": "year INTEGER, la VARCHAR, child_id VARCHAR, episode_seq INTEGER, "
                  "assessment_seq INTEGER, start_date DATE, authorisation_date DATE",
    "assessment_factor": "year INTEGER, la VARCHAR, child_id VARCHAR, episode_seq INTEGER, "
                         "assessment_seq INTEGER, factor VARCHAR",
    "cin_plan": "year INTEGER, la VARCHAR, child_id VARCHAR, episode_seq INTEGER, plan_seq INTEGER, "
                "start_date DATE, end_date DATE",
    "section47": "year INTEGER, la VARCHAR, child_id VARCHAR, episode_seq INTEGER, s47_seq INTEGER, "
                 "start_date DATE, icpc_date DATE",
    "cpp": "year INTEGER, la VARCHAR, child_id VARCHAR, episode_seq INTEGER, cpp_seq INTEGER, "
           "start_date DATE, end_date DATE",
}

LA = "330"
ROWS = {
    "header": [(2023, LA, D("2023-03-31")), (2024, LA, D("2024-03-31"))],
    "child": [
        (2023, LA, "A", D("2010-07-15"), "M", "WBRI", None),
        (2024, LA, "A", D("2010-07-15"), "M", "WBRI", "A123"),
        (2024, LA, "B", D("2020-01-01"), "F", "AIND", None),
        (2024, LA, "C", D("2015-03-31"), "F", "BAFR", None),
        (2024, LA, "D", None, "U", "NOBT", None),  # unborn
    ],
    "disability": [(2023, LA, "A", "NONE"), (2024, LA, "A", "AUT"), (2024, LA, "B", "NONE")],
    "episode": [
        # A: one episode open at 31 March 2023, closed in 2023-24 -> in both returns, counted once
        (2023, LA, "A", 1, D("2022-06-01"), "2A", "N1", None, None, None, False),
        (2024, LA, "A", 1, D("2022-06-01"), "2A", "N4", D("2023-09-30"), "RC7", None, False),
        # A: re-referred 20 months later: within 3 years, not within 12 months
        (2024, LA, "A", 2, D("2024-02-01"), "6", "N1", None, None, None, False),
        # B: NFA, then re-referred within 12 months, assessed not in need (RC8)
        (2024, LA, "B", 1, D("2023-05-10"), "1A", None, D("2023-05-12"), "RC8", None, True),
        (2024, LA, "B", 2, D("2023-11-20"), "3A", "N5", D("2024-01-10"), "RC8", None, False),
        # C: referral 15 March 2023 (S47 only) and exactly 12 months later (S47, ICPC, CPP)
        (2023, LA, "C", 1, D("2023-03-15"), "6", "N1", None, None, None, False),
        (2024, LA, "C", 1, D("2023-03-15"), "6", "N1", D("2023-06-01"), "RC7", None, False),
        (2024, LA, "C", 2, D("2024-03-15"), "6", "N1", None, None, None, False),
        # D: unborn child, referral open
        (2024, LA, "D", 1, D("2024-01-05"), "3B", "N1", None, None, None, False),
    ],
    "assessment": [
        (2023, LA, "A", 1, 1, D("2022-06-02"), D("2022-07-01")),
        (2024, LA, "A", 1, 1, D("2022-06-02"), D("2022-07-01")),
        (2024, LA, "A", 1, 2, D("2023-05-01"), D("2023-06-01")),
        (2024, LA, "A", 2, 1, D("2024-02-02"), None),  # not authorised: its factors do not count
        (2024, LA, "B", 2, 1, D("2023-11-21"), D("2024-01-05")),
        (2024, LA, "C", 2, 1, D("2024-03-16"), D("2024-03-25")),
    ],
    "assessment_factor": [
        (2023, LA, "A", 1, 1, "3B"), (2023, LA, "A", 1, 1, "4B"),
        (2024, LA, "A", 1, 1, "3B"), (2024, LA, "A", 1, 2, "2B"),
        (2024, LA, "A", 2, 1, "1B"),
        (2024, LA, "B", 2, 1, "21"),
    ],
    "cin_plan": [(2023, LA, "A", 1, 1, D("2022-07-02"), None)],
    "section47": [
        (2023, LA, "C", 1, 1, D("2023-03-16"), None),
        (2024, LA, "C", 2, 1, D("2024-03-16"), D("2024-03-20")),
    ],
    "cpp": [(2024, LA, "C", 2, 1, D("2024-03-20"), None)],
}


@pytest.fixture(scope="module")
def lcd():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA clean")
    for table, cols in SCHEMAS.items():
        con.execute(f"CREATE TABLE clean.{table} ({cols})")
        n = len(cols.split(","))
        if ROWS.get(table):
            con.executemany(f"INSERT INTO clean.{table} VALUES ({', '.join('?' * n)})", ROWS[table])
    info = build_lcd(con)
    yield con, info
    con.close()


def _ref(con, child, date):
    cur = con.execute(
        "SELECT * FROM lcd.referral WHERE child_id = ? AND referral_date = ?", [child, D(date)])
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(cols, rows[0]))


def test_row_counts(lcd):
    con, info = lcd
    assert info["rows"] == {"child": 4, "referral": 7, "referral_factor": 4, "episode": 7}


def test_contract_columns(lcd):
    con, _ = lcd
    cols = [r[0] for r in con.execute("DESCRIBE lcd.referral").fetchall()]
    assert cols == [
        "la", "child_id", "referral_date", "year", "referral_source", "primary_need",
        "referral_nfa", "closure_date", "reason_for_closure", "assessed", "first_assessment_start", "assessed_not_in_need",
        "in_need", "had_s47", "had_icpc", "had_cpp", "highest_level", "highest_level_label",
        "previous_referral_date", "days_since_previous", "rereferral_12m", "rereferral_3y",
        "rereferral_5y", "next_referral_date", "later_rereferred_12m", "referral_type",
        "age_at_referral", "sex", "ethnicity", "disabled"]
    assert [r[0] for r in con.execute("DESCRIBE lcd.episode").fetchall()] == [
        "la", "child_id", "referral_date", "closure_date", "is_episode_of_need",
        "reason_for_closure", "primary_need", "duration_days", "first_year", "last_year"]
    assert [r[0] for r in con.execute("DESCRIBE lcd.child").fetchall()] == [
        "la", "child_id", "first_year", "last_year", "years_present", "birth_date", "sex",
        "ethnicity", "upn", "disabled"]


def test_referral_in_two_returns_counted_once_latest_values(lcd):
    con, _ = lcd
    r = _ref(con, "A", "2022-06-01")
    assert r["year"] == 2023
    assert r["closure_date"] == D("2023-09-30") and r["reason_for_closure"] == "RC7"
    assert r["primary_need"] == "N4"  # from the 2024 return
    assert r["highest_level"] == 3 and r["highest_level_label"] == "3. CINO"
    assert r["age_at_referral"] == 11
    e = con.execute("SELECT * FROM lcd.episode WHERE child_id='A' AND referral_date='2022-06-01'").fetchone()
    assert e[4] is True and e[7] == (D("2023-09-30") - D("2022-06-01")).days and e[8:] == (2023, 2024)


def test_rereferral_windows(lcd):
    con, _ = lcd
    a2 = _ref(con, "A", "2024-02-01")
    assert (a2["rereferral_12m"], a2["rereferral_3y"], a2["rereferral_5y"]) == (False, True, True)
    assert a2["referral_type"] == "Initial referral: child not re-referred"
    assert a2["days_since_previous"] == (D("2024-02-01") - D("2022-06-01")).days
    b1, b2 = _ref(con, "B", "2023-05-10"), _ref(con, "B", "2023-11-20")
    assert b2["rereferral_12m"] and b2["referral_type"] == "Re-referral"
    assert b1["later_rereferred_12m"] and b1["referral_type"] == "Initial referral: child later re-referred"
    assert b1["next_referral_date"] == D("2023-11-20")
    # exactly 12 calendar months after the previous referral still counts
    c2 = _ref(con, "C", "2024-03-15")
    assert c2["rereferral_12m"] and c2["previous_referral_date"] == D("2023-03-15")


def test_highest_level(lcd):
    con, _ = lcd
    got = dict(con.execute(
        "SELECT child_id || ' ' || strftime(referral_date, '%Y-%m-%d'), highest_level FROM lcd.referral"
    ).fetchall())
    assert got == {
        "A 2022-06-01": 3, "A 2024-02-01": 3, "B 2023-05-10": 1, "B 2023-11-20": 2,
        "C 2023-03-15": 4, "C 2024-03-15": 6, "D 2024-01-05": 3,
    }
    b2 = _ref(con, "B", "2023-11-20")
    assert b2["assessed_not_in_need"] and not b2["in_need"]
    b1 = _ref(con, "B", "2023-05-10")
    assert b1["referral_nfa"] and not b1["in_need"] and b1["highest_level_label"] == "1. No further action"


def test_factors_child_and_unborn(lcd):
    con, _ = lcd
    factors = con.execute(
        "SELECT child_id, list(factor ORDER BY factor) FROM lcd.referral_factor GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert factors == [("A", ["2B", "3B", "4B"]), ("B", ["21"])]
    assert _ref(con, "D", "2024-01-05")["age_at_referral"] is None
    child = {r[1]: r for r in con.execute("SELECT * FROM lcd.child").fetchall()}
    assert child["A"][2:5] == (2023, 2024, 2) and child["A"][8] == "A123" and child["A"][9] is True
    assert child["B"][9] is False
    # open episode runs to the reference date of its latest return
    dur = con.execute("SELECT duration_days FROM lcd.episode WHERE child_id='D'").fetchone()[0]
    assert dur == (D("2024-03-31") - D("2024-01-05")).days


def test_child_years_present_counts_each_year_once():
    """A child sent twice in one return (a duplicated LAchildID) is present in that year once."""
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA clean")
        for table, cols in SCHEMAS.items():
            con.execute(f"CREATE TABLE clean.{table} ({cols})")
        con.executemany("INSERT INTO clean.child VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (2013, LA, "A", D("2010-07-15"), "M", "WBRI", None),
            (2013, LA, "A", D("2010-07-15"), "M", "WBRI", None),
            (2020, LA, "A", None, None, None, None),
            (2024, LA, "A", D("2010-07-15"), "M", "WBRI", None),
            (2024, LA, "B", D("2020-01-01"), "F", "AIND", None),
        ])
        build_lcd(con)
        assert con.execute("SELECT child_id, first_year, last_year, years_present FROM lcd.child "
                           "ORDER BY child_id").fetchall() == [("A", 2013, 2024, 3), ("B", 2024, 2024, 1)]
    finally:
        con.close()
