"""The facts layer on hand-made ``clean.*`` rows: each view's definition, computed by hand."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cin_pipeline import facts
from cin_pipeline.ingest.schema import TABLE_COLUMNS


def _insert(con, table: str, rows: list[dict]) -> None:
    cols = [c for c, _ in TABLE_COLUMNS[table]]
    for r in rows:
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})",
                    [r.get(c) for c in cols])


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        c.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    base = {"year": 2024, "la": "330"}
    _insert(c, "header", [base])
    _insert(c, "child", [
        {**base, "child_id": "A", "birth_date": date(2023, 4, 1), "sex": "F", "ethnicity": "WBRI"},
        {**base, "child_id": "B", "birth_date": date(2020, 3, 31), "sex": "M", "ethnicity": "BAFR"},
        {**base, "child_id": "C", "birth_date": date(2019, 4, 1), "sex": "M", "ethnicity": "REFU"},
        {**base, "child_id": "D", "expected_birth_date": date(2024, 6, 1), "ethnicity": "CHNE"},
        {**base, "child_id": "E", "birth_date": date(2006, 3, 1), "sex": "F", "ethnicity": "MWAS"},
    ])
    _insert(c, "disability", [{**base, "child_id": "A", "disability": "NONE"},
                              {**base, "child_id": "B", "disability": "AUT"},
                              {**base, "child_id": "B", "disability": "LD"}])
    _insert(c, "episode", [
        {**base, "child_id": "A", "episode_seq": 1, "referral_date": date(2023, 6, 1), "referral_nfa": False},
        {**base, "child_id": "B", "episode_seq": 1, "referral_date": date(2023, 5, 1),
         "closure_date": date(2023, 8, 1), "reason_for_closure": "RC8", "referral_nfa": False},
        {**base, "child_id": "C", "episode_seq": 1, "referral_date": date(2022, 1, 10),
         "closure_date": date(2023, 4, 1), "reason_for_closure": "RC1", "referral_nfa": False},
        {**base, "child_id": "E", "episode_seq": 1, "referral_date": date(2024, 2, 1), "referral_nfa": True,
         "closure_date": date(2024, 2, 1), "reason_for_closure": "RC8"},
    ])
    _insert(c, "assessment", [
        {**base, "child_id": "A", "episode_seq": 1, "assessment_seq": 1, "start_date": date(2023, 6, 2),
         "authorisation_date": date(2023, 6, 16)},
        {**base, "child_id": "B", "episode_seq": 1, "assessment_seq": 1, "start_date": date(2023, 5, 2),
         "authorisation_date": date(2023, 5, 30)},
    ])
    _insert(c, "cpp", [{**base, "child_id": "A", "episode_seq": 1, "cpp_seq": 1,
                        "start_date": date(2023, 7, 1), "initial_category": "NEG"}])
    _insert(c, "cpp_review", [
        {**base, "child_id": "A", "episode_seq": 1, "cpp_seq": 1, "review_seq": 1, "review_date": date(2023, 9, 20)},
        {**base, "child_id": "A", "episode_seq": 1, "cpp_seq": 1, "review_seq": 2, "review_date": date(2024, 3, 1)},
    ])
    facts.build(c)
    yield c
    c.close()


def test_child_characteristics_at_31_march(con):
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT child_id, sex, age, age_band, ethnic_group, disabled FROM facts.child ORDER BY 1").fetchall()}
    assert rows["A"] == ("F", 0, "Under 1", "White", False)       # NONE is no disability
    assert rows["B"] == ("M", 4, "1 to 4", "Black or Black British", True)
    assert rows["C"] == ("M", 4, "1 to 4", "Unknown", False)      # 5 on 1 April: still 4
    assert rows["D"] == ("U", None, "Unborn", "Other ethnic groups", False)
    assert rows["E"] == ("F", 18, "16 and over", "Mixed", False)
    assert con.execute("SELECT count(*) FROM facts.child_disability").fetchone()[0] == 2


def test_episodes_of_need(con):
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT child_id, of_need, not_in_need, anypoint, started, ended, open_at31 FROM facts.episode").fetchall()}
    assert rows["A"] == (True, False, True, True, False, True)
    assert rows["B"] == (False, True, True, True, True, False)   # assessed, closed RC8, nothing else
    assert rows["C"] == (True, False, True, False, True, False)  # open across 1 April, closed 1 April 2023
    assert rows["E"][0] is False                                  # NFA
    assert con.execute("SELECT count(*) FROM facts.episode_of_need").fetchone()[0] == 2


def test_assessments_and_plans(con):
    wd = dict(con.execute("SELECT child_id, working_days FROM facts.assessment").fetchall())
    # Fri 2 June -> Fri 16 June: 10; Tue 2 May -> Tue 30 May: 20 weekdays less the coronation
    # bank holiday (Monday 8 May) and the spring bank holiday (Monday 29 May)
    assert wd == {"A": 10, "B": 18}
    plan = con.execute("SELECT started_in_year, open_at31, days_open, reviews FROM facts.cpp").fetchone()
    assert plan == (True, True, (date(2024, 3, 31) - date(2023, 7, 1)).days, 2)
    reviews = con.execute("SELECT review_seq, follows_date, first_review FROM facts.cpp_review "
                          "ORDER BY review_seq").fetchall()
    assert reviews == [(1, date(2023, 7, 1), True), (2, date(2023, 9, 20), False)]


def test_lcd_facts_wait_for_the_lcd(con):
    """Without ``lcd.*`` the census facts exist and the LCD ones do not (yet)."""
    names = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'facts'").fetchall()}
    assert {"episode", "child", "cpp", "icpc", "la_year"} <= names
    assert "referral" not in names


def test_awaiting_assessment_looks_back_through_earlier_returns():
    """B1 Awaiting_assessment reads an episode's assessments from every return (the LCD): X was
    assessed in the 2023 return and is still open in 2024, whose return has no assessment for
    it; Y was referred in late March 2024 and not yet assessed; Z's episode began before the
    LA's first staged census, so it is taken to have been assessed then."""
    from cin_pipeline.ees.rows import run_query
    from cin_pipeline.lcd import build_lcd
    from cin_pipeline.tables import get

    c = duckdb.connect()
    c.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        c.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    for year in (2023, 2024):
        base = {"year": year, "la": "330"}
        _insert(c, "header", [{**base, "reference_date": date(year, 3, 31)}])
        kids = ["X", "Z"] + (["Y"] if year == 2024 else [])
        _insert(c, "child", [{**base, "child_id": k, "birth_date": date(2015, 1, 1), "sex": "F"} for k in kids])
        _insert(c, "episode", [
            {**base, "child_id": "X", "episode_seq": 1, "referral_date": date(2023, 1, 10), "referral_nfa": False},
            {**base, "child_id": "Z", "episode_seq": 1, "referral_date": date(2021, 6, 1), "referral_nfa": False},
        ] + ([{**base, "child_id": "Y", "episode_seq": 1, "referral_date": date(2024, 3, 25),
               "referral_nfa": False}] if year == 2024 else []))
    _insert(c, "assessment", [{"year": 2023, "la": "330", "child_id": "X", "episode_seq": 1, "assessment_seq": 1,
                               "start_date": date(2023, 1, 12), "authorisation_date": date(2023, 2, 20)}])
    build_lcd(c)
    counts, _ = run_query(c, get("children_in_need.b1"))
    got = dict(zip(counts["year"], counts["Awaiting_assessment"]))
    assert got == {2023: 0, 2024: 1}
    at31 = dict(zip(counts["year"], counts["At31_episodes"]))
    assert at31 == {2023: 2, 2024: 3}
    c.close()


def test_child_year_counts_each_child_once_and_first_group_each_referral_once():
    """facts.child_year: P has two episodes of need in 2024 (one closed, then a re-referral
    still open and not yet assessed), so P is in need at any point, starting, ending, at 31 March
    and awaiting assessment, once; Q's only referral was no further action, so Q is referred but
    not in need. facts.referral_factor_group: P's first referral recorded two factors of one
    group (3B, 3C: domestic abuse) and one of another (16A: neglect), so two rows, of which one
    (the first group in name order) counts the referral."""
    from cin_pipeline.lcd import build_lcd

    c = duckdb.connect()
    c.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        c.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    base = {"year": 2024, "la": "330"}
    _insert(c, "header", [{**base, "reference_date": date(2024, 3, 31)}])
    _insert(c, "child", [{**base, "child_id": k, "birth_date": date(2015, 1, 1), "sex": "F"} for k in "PQ"])
    _insert(c, "episode", [
        {**base, "child_id": "P", "episode_seq": 1, "referral_date": date(2023, 5, 1),
         "closure_date": date(2023, 7, 1), "reason_for_closure": "RC1", "referral_nfa": False},
        {**base, "child_id": "P", "episode_seq": 2, "referral_date": date(2023, 9, 1), "referral_nfa": False},
        {**base, "child_id": "Q", "episode_seq": 1, "referral_date": date(2024, 1, 10),
         "closure_date": date(2024, 1, 10), "reason_for_closure": "RC8", "referral_nfa": True},
    ])
    _insert(c, "assessment", [{**base, "child_id": "P", "episode_seq": 1, "assessment_seq": 1,
                               "start_date": date(2023, 5, 2), "authorisation_date": date(2023, 5, 30)}])
    _insert(c, "assessment_factor", [{**base, "child_id": "P", "episode_seq": 1, "assessment_seq": 1, "factor": f}
                                     for f in ("3B", "3C", "16A")])
    build_lcd(c)
    facts.build(c)
    flags = ["of_need", "in_need_anypoint", "started_need", "ended_need", "in_need_at31",
             "awaiting_assessment", "referred", "rereferred_12m", "rereferred_3y", "rereferred_5y"]
    rows = {r[0]: dict(zip(flags, r[1:])) for r in c.execute(
        f"SELECT child_id, {', '.join(flags)} FROM facts.child_year ORDER BY child_id").fetchall()}
    assert set(rows) == {"P", "Q"}
    assert all(rows["P"].values())
    assert [f for f, v in rows["Q"].items() if v] == ["referred"]
    assert c.execute("SELECT count(*) FROM facts.child_year").fetchone()[0] == 2  # one row a child
    groups = c.execute("SELECT factor_group, first_group FROM facts.referral_factor_group "
                       "ORDER BY factor_group").fetchall()
    assert groups == [("Domestic abuse (any)", True), ("Neglect", False)]
    c.close()
