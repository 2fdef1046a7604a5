"""B2, B3, B4, B6, C5 and C6 on a tiny hand-made census (one LA, the 2024 return), counted by hand;
and each of their agreements with B1/C1 fails when one published figure is wrong.

LA 330, census year 2024 (1 April 2023 - 31 March 2024). Each child's episode(s), with what the
tables should make of it ("open" = an episode of need open at 31 March 2024):

====  ==========  ==========  ======  ====  =====================================  =================
kid   referral    closure     source  need  what happens                           disability
====  ==========  ==========  ======  ====  =====================================  =================
A     2023-12-31  -           2A      N1    open, exactly 3 months: <= 3 months    AUT, LD
B     2023-12-30  -           3A      N1    open, 3 months + 1 day: 3-6 months     NONE
C     2023-03-31  -           6       N5    open, exactly 1 year: 1-2 years;       BEH
                                            a 2023 referral only in the 2024
                                            return: no C5/C6 referral
D     2023-09-30  -           6       N2    open, exactly 6 months: 3-6 months     AUT
E     2023-06-01  2023-10-01  5D      N4    ended RC5                              MOB (not open)
F1    2023-05-10  2024-01-15  1A      N1    ended RC7
F2    2024-02-01  -           1C      N1    open, <= 3 months
G     2023-07-05  2023-07-05  9       -     NFA: a referral, not an episode
H     2023-08-20  2023-09-10  2A      N1    assessed, closed RC8: not in need      AUT (not open)
I     2023-11-03  2024-01-10  3B      N3    assessed, CIN plan, closed RC8: an
                                            episode of need ending RC8
J     2021-03-31  -           -       -     open 3 years: 2 years or more; no
                                            primary need (ReferralNFA missing): N0
K     2023-04-01  -           8       N1    open, 1 year - 1 day: 6 months-1 year
L-N   2022-10-01  2023-06-30  2A      N1    ended RC7; 2023 referrals: no C5/C6
                                            referral (they keep B1 Ended_episodes
                                            above 5: see the last test)
====  ==========  ==========  ======  ====  =====================================  =================

So: 7 children in need at 31 March (A, B, C, D, F2, J, K), 6 episodes of need ending (E RC5,
F1 and L-N RC7, I RC8), 10 referrals in the year (all but C, J and L-N).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cin_pipeline.checks.cross import measures_agree
from cin_pipeline.ees.rows import build_rows, run_query
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import get

YEAR, LA = 2024, "330"
BASE = {"year": YEAR, "la": LA}


def _insert(con, table: str, rows: list[dict]) -> None:
    cols = [c for c, _ in TABLE_COLUMNS[table]]
    for r in rows:
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})",
                    [r.get(c) for c in cols])


def _ep(kid, seq, referral, source, need, closure=None, reason=None, nfa=False):
    return {**BASE, "child_id": kid, "episode_seq": seq, "referral_date": referral,
            "referral_source": source, "primary_need": need, "closure_date": closure,
            "reason_for_closure": reason, "referral_nfa": nfa}


@pytest.fixture(scope="module")
def counts():
    """Every table's unrounded LA counts (``run_query``) on the hand-made census, by table id."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        con.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    _insert(con, "header", [{**BASE, "reference_date": date(YEAR, 3, 31)}])
    _insert(con, "child", [{**BASE, "child_id": k, "birth_date": date(2015, 1, 1), "sex": "F"}
                           for k in "ABCDEFGHIJKLMN"])
    _insert(con, "disability", [{**BASE, "child_id": k, "disability": d} for k, d in (
        ("A", "AUT"), ("A", "LD"), ("B", "NONE"), ("C", "BEH"), ("D", "AUT"), ("E", "MOB"), ("H", "AUT"))])
    _insert(con, "episode", [
        _ep("A", 1, date(2023, 12, 31), "2A", "N1"),
        _ep("B", 1, date(2023, 12, 30), "3A", "N1"),
        _ep("C", 1, date(2023, 3, 31), "6", "N5"),
        _ep("D", 1, date(2023, 9, 30), "6", "N2"),
        _ep("E", 1, date(2023, 6, 1), "5D", "N4", date(2023, 10, 1), "RC5"),
        _ep("F", 1, date(2023, 5, 10), "1A", "N1", date(2024, 1, 15), "RC7"),
        _ep("F", 2, date(2024, 2, 1), "1C", "N1"),
        _ep("G", 1, date(2023, 7, 5), "9", None, date(2023, 7, 5), "RC8", nfa=True),
        _ep("H", 1, date(2023, 8, 20), "2A", "N1", date(2023, 9, 10), "RC8"),
        _ep("I", 1, date(2023, 11, 3), "3B", "N3", date(2024, 1, 10), "RC8"),
        _ep("J", 1, date(2021, 3, 31), None, None, nfa=None),
        _ep("K", 1, date(2023, 4, 1), "8", "N1"),
        *(_ep(k, 1, date(2022, 10, 1), "2A", "N1", date(2023, 6, 30), "RC7") for k in "LMN"),
    ])
    _insert(con, "assessment", [
        {**BASE, "child_id": "H", "episode_seq": 1, "assessment_seq": 1, "start_date": date(2023, 8, 21),
         "authorisation_date": date(2023, 9, 10)},
        {**BASE, "child_id": "I", "episode_seq": 1, "assessment_seq": 1, "start_date": date(2023, 11, 6),
         "authorisation_date": date(2023, 11, 17)},
    ])
    _insert(con, "cin_plan", [{**BASE, "child_id": "I", "episode_seq": 1, "plan_seq": 1,
                               "start_date": date(2023, 11, 20), "end_date": date(2024, 1, 10)}])
    build_lcd(con)
    out = {}
    for tid in ("b1", "b2", "b3", "b4", "b6", "c1", "c5", "c6"):
        c, _ = run_query(con, get(f"children_in_need.{tid}"))
        rows = c[(c["year"] == YEAR) & (c["la"] == LA)]
        assert len(rows) == 1, tid
        out[tid] = c
    con.close()
    return out


def _row(counts, tid) -> dict[str, int]:
    c = counts[tid]
    return {k: int(v) for k, v in c[(c["year"] == YEAR) & (c["la"] == LA)].iloc[0].items()
            if k not in ("year", "la")}


def test_b1_and_c1_totals_of_the_hand_made_census(counts):
    b1, c1 = _row(counts, "b1"), _row(counts, "c1")
    assert (b1["At31_episodes"], b1["Ended_episodes"], b1["Anypoint_episodes"]) == (7, 6, 13)
    assert c1["Referrals"] == 10


def test_b2_disability_of_children_in_need_at_31_march(counts):
    r = _row(counts, "b2")
    assert r["At31_episodes"] == 7
    assert r["At31_episodes_disability_recorded"] == 3          # A, C, D (B: NONE; E, H not open)
    types = {k: v for k, v in r.items() if k.startswith("n_") and v}
    assert types == {"n_Autism": 2, "n_Learning": 1, "n_Behaviour": 1}  # A has two: 4 > 3


def test_b2_type_percentages_are_of_children_with_a_disability(counts):
    spec = get("children_in_need.b2")
    text = build_rows(spec, counts["b2"], YEAR).data
    nat = text[(text["geographic_level"] == "National") & (text["time_period"] == str(YEAR))].iloc[0]
    assert (nat["At31_episodes"], nat["At31_episodes_disability_recorded"]) == ("10", "k")  # rounded to 10
    assert nat["At31_episodes_disability_recorded_percent"] == "42.9"   # 3 / 7
    assert (nat["Autism_percent"], nat["Learning_percent"], nat["Behaviour_percent"]) == ("66.7", "33.3", "33.3")
    assert nat["Vision_percent"] == "0"


def test_b3_primary_need(counts):
    r = _row(counts, "b3")
    assert r["At31_episodes"] == 7
    got = {k: v for k, v in r.items() if k.startswith("N") and v}
    assert got == {"N1_Abuse_or_neglect": 4,                    # A, B, F2, K
                   "N2_Childs_disability_or_illness": 1,        # D
                   "N5_Family_dysfunction": 1,                  # C
                   "N0_Not_stated": 1}                          # J: none recorded


def test_b4_duration_of_open_episode_in_calendar_months(counts):
    r = _row(counts, "b4")
    assert r["At31_episodes"] == 7
    assert {k: r[k] for k in ("3_months_or_less", "more_than_3_months_6_months",
                              "more_than_6_months_less_than_1_year", "1_year_less_than_2_years",
                              "2years+")} == {
        "3_months_or_less": 2,                      # A (exactly 3 months), F2
        "more_than_3_months_6_months": 2,           # B (3 months + 1 day), D (exactly 6 months)
        "more_than_6_months_less_than_1_year": 1,   # K (1 year - 1 day)
        "1_year_less_than_2_years": 1,              # C (exactly 1 year)
        "2years+": 1,                               # J
    }


def test_b6_reason_for_closure(counts):
    r = _row(counts, "b6")
    assert r["Ended_episodes"] == 6
    got = {k: v for k, v in r.items() if k.startswith("RC") and v}
    # H (RC8, assessed, nothing else) is not in need and G is NFA: neither is an episode of need;
    # I closed RC8 after a CIN plan is one
    assert got == {"RC5_Transferred_to_another_LA": 1, "RC7_Services_ceased_for_any_other_reason": 4,
                   "RC8_Closed_after_assessment_NFA": 1}


def test_b6_rc9_is_x_before_2023(counts):
    spec = get("children_in_need.b6")
    text = build_rows(spec, counts["b6"], YEAR).data
    la = text[(text["geographic_level"] == "Local authority") & (text["old_la_code"] == LA)]
    by_year = dict(zip(la["time_period"], la["RC9_Closed_after_assessment_early_help"]))
    assert by_year["2022"] == "x" and by_year["2024"] == "0"


def test_c5_source_of_referral(counts):
    r = _row(counts, "c5")
    assert r["Referrals"] == 10
    got = {k: v for k, v in r.items() if k != "Referrals" and v}
    assert got == {"Individual": 2,              # F1 1A, F2 1C
                   "Schools": 2,                 # A, H
                   "Health_Services": 2,         # B 3A, I 3B
                   "LA_Services_Early_Help": 1,  # E 5D
                   "Police": 1,                  # D (C's 2023 referral is not a 2024 referral)
                   "Other": 1,                   # K
                   "Anonymous": 1}               # G (NFA referrals are referrals)


def test_c6_month_of_referral(counts):
    r = _row(counts, "c6")
    assert r["Referrals"] == 10
    got = {k: v for k, v in r.items() if k != "Referrals" and v}
    assert got == {"April": 1, "May": 1, "June": 1, "July": 1, "August": 1, "September": 1,
                   "November": 1, "December": 2, "February": 1}


# ----------------------------------------------------------------------------- agreements
AGREEMENTS = [(t, a) for t in ("b2", "b3", "b4", "b6", "c5", "c6")
              for a in get(f"children_in_need.{t}").agreements]


@pytest.mark.parametrize("tid,agreement", AGREEMENTS, ids=lambda x: x if isinstance(x, str) else x.column)
def test_agreement_holds_and_fails_on_one_wrong_figure(counts, tid, agreement):
    spec, other = get(f"children_in_need.{tid}"), get(agreement.other)
    mine = build_rows(spec, counts[tid], YEAR).data
    theirs = build_rows(other, counts[other.code.lower()], YEAR).data
    years = sorted(set(mine["time_period"]) & set(theirs["time_period"]))
    ok = measures_agree(mine, spec.table_id, agreement.column, theirs, other.table_id,
                        agreement.other_column, years=years)
    assert ok.passed, ok.message

    for level in ("Local authority", "National"):
        wrong = mine.copy()
        at = wrong.index[(wrong["geographic_level"] == level) & (wrong["time_period"] == str(YEAR))
                         & ((wrong["old_la_code"] == LA) if level != "National" else True)][0]
        cell = wrong.at[at, agreement.column]
        # the LA's shared count (7, 6 or 10) is under its shared-total threshold: c in both
        # tables, so any figure shown there is wrong
        wrong.at[at, agreement.column] = "6" if cell == "c" else str(int(cell) + (1 if level != "National" else 10))
        bad = measures_agree(wrong, spec.table_id, agreement.column, theirs, other.table_id,
                             agreement.other_column, years=years)
        assert not bad.passed
        assert len(bad.details) == 1 and bad.details[0]["year"] == str(YEAR), bad.details


def test_every_table_declares_its_agreement():
    want = {"b2": ("At31_episodes", "children_in_need.b1", "At31_episodes"),
            "b3": ("At31_episodes", "children_in_need.b1", "At31_episodes"),
            "b4": ("At31_episodes", "children_in_need.b1", "At31_episodes"),
            "b6": ("Ended_episodes", "children_in_need.b1", "Ended_episodes"),
            "c5": ("Referrals", "children_in_need.c1", "Referrals"),
            "c6": ("Referrals", "children_in_need.c1", "Referrals")}
    got = {t: [(a.column, a.other, a.other_column) for a in get(f"children_in_need.{t}").agreements]
           for t in want}
    assert got == {t: [w] for t, w in want.items()}


def test_b2_small_type_percentages_are_suppressed(counts):
    b2 = counts["b2"].copy()
    at = (b2["year"] == YEAR) & (b2["la"] == LA)
    b2.loc[at, ["At31_episodes", "At31_episodes_disability_recorded", "n_Autism"]] = [40, 10, 2]
    text = build_rows(get("children_in_need.b2"), b2, YEAR).data
    la = text[(text["geographic_level"] == "Local authority") & (text["time_period"] == str(YEAR))
              & (text["old_la_code"] == LA)].iloc[0]
    assert la["At31_episodes_disability_recorded"] == "10"
    assert la["Autism_percent"] == "c"   # shown as 20: 20% of 10 = 2 children


def test_b1_secondary_suppression_and_the_at31_agreement(counts):
    b1 = counts["b1"].copy()
    at = (b1["year"] == YEAR) & (b1["la"] == LA)
    b1.loc[at, "Ended_episodes"] = 3                     # 1-5: c in B1, and At31 (7, under the
    b1.loc[at, "Anypoint_episodes"] = 3 + 7              # shared threshold 13) c in B1 and B3
    mine = build_rows(get("children_in_need.b3"), counts["b3"], YEAR).data
    theirs = build_rows(get("children_in_need.b1"), b1, YEAR).data
    res = measures_agree(mine, "children_in_need.b3", "At31_episodes", theirs, "children_in_need.b1",
                         "At31_episodes", years=[str(YEAR)])
    assert res.passed, res.message
