"""A tiny hand-made census, staged as ``clean.*`` tables, run through the LCD and every table query
and the EES writer: the numbers are computed by hand below.

Pattern per replicate (LA 330 Birmingham, West Midlands; reporting year 2024 = 1 Apr 2023-31 Mar 2024):

* child A: referral 2023-05-01, open; assessment authorised 2023-05-20 with factors 3B, 4B;
  S47 started Thu 2023-06-01, ICPC Thu 2023-06-15 (10 working days); CPP from 2023-06-15,
  NumberOfPreviousCPP 1 (second plan), open at 31 March (9.5 months: band 6-12 months).
* child B: referral 2023-04-10 with ReferralNFA, closed same day (RC8); second referral
  2023-10-01 (a re-referral within 12 months), assessment authorised 2023-10-20 factor 16A,
  closed 2024-01-15 (RC7).
* child C: referral 2023-02-01 (reporting year 2023), assessed (authorised 2023-02-20),
  closed 2023-07-01 with RC8 and nothing else: assessed not in need, not an episode of need.
* child D: referral 2024-03-01, open, no assessment yet: awaiting assessment at 31 March.

LA 330 has 7 replicates, LA 202 (Camden, Inner London) 1 replicate (small numbers: ``c``).
"""

from __future__ import annotations

import duckdb
import pytest

from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.ees.rows import build_ees, build_rows, run_query
from cin_pipeline.ees.store import load_publication, store_publication
from cin_pipeline.tables import get

D = "DATE "


def _insert(con, table: str, rows: list[dict]) -> None:
    cols = [c for c, _ in TABLE_COLUMNS[table]]
    for r in rows:
        vals = [r.get(c) for c in cols]
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})", vals)


def tiny_census(con: duckdb.DuckDBPyConnection, replicates: dict[str, int]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS clean")
    for table, cols in TABLE_COLUMNS.items():
        con.execute(f"CREATE OR REPLACE TABLE clean.{table} ("
                    + ", ".join(f"{c} {t}" for c, t in cols) + ")")
    from datetime import date as d

    for la, n in replicates.items():
        _insert(con, "header", [{"year": 2024, "la": la, "reference_date": d(2024, 3, 31)}])
        eps, ass, fac, s47, cpp, kids = [], [], [], [], [], []
        for i in range(n):
            a, b, c, dd = (f"A{i}", f"B{i}", f"C{i}", f"D{i}")
            base = {"year": 2024, "la": la}
            kids += [{**base, "child_id": k, "sex": "F"} for k in (a, b, c, dd)]
            eps += [
                {**base, "child_id": a, "episode_seq": 1, "referral_date": d(2023, 5, 1),
                 "referral_nfa": False, "primary_need": "N1"},
                {**base, "child_id": b, "episode_seq": 1, "referral_date": d(2023, 4, 10),
                 "closure_date": d(2023, 4, 10), "reason_for_closure": "RC8", "referral_nfa": True},
                {**base, "child_id": b, "episode_seq": 2, "referral_date": d(2023, 10, 1),
                 "closure_date": d(2024, 1, 15), "reason_for_closure": "RC7", "referral_nfa": False},
                {**base, "child_id": c, "episode_seq": 1, "referral_date": d(2023, 2, 1),
                 "closure_date": d(2023, 7, 1), "reason_for_closure": "RC8", "referral_nfa": False},
                {**base, "child_id": dd, "episode_seq": 1, "referral_date": d(2024, 3, 1),
                 "referral_nfa": False},
            ]
            ass += [
                {**base, "child_id": a, "episode_seq": 1, "assessment_seq": 1,
                 "start_date": d(2023, 5, 2), "authorisation_date": d(2023, 5, 20)},
                {**base, "child_id": b, "episode_seq": 2, "assessment_seq": 1,
                 "start_date": d(2023, 10, 2), "authorisation_date": d(2023, 10, 20)},
                {**base, "child_id": c, "episode_seq": 1, "assessment_seq": 1,
                 "start_date": d(2023, 2, 2), "authorisation_date": d(2023, 2, 20)},
            ]
            fac += [
                {**base, "child_id": a, "episode_seq": 1, "assessment_seq": 1, "factor": "3B"},
                {**base, "child_id": a, "episode_seq": 1, "assessment_seq": 1, "factor": "4B"},
                {**base, "child_id": b, "episode_seq": 2, "assessment_seq": 1, "factor": "16A"},
                {**base, "child_id": c, "episode_seq": 1, "assessment_seq": 1, "factor": "21"},
            ]
            s47 += [{**base, "child_id": a, "episode_seq": 1, "s47_seq": 1,
                     "start_date": d(2023, 6, 1), "icpc_date": d(2023, 6, 15)}]
            cpp += [{**base, "child_id": a, "episode_seq": 1, "cpp_seq": 1,
                     "start_date": d(2023, 6, 15), "number_of_previous_cpp": 1,
                     "initial_category": "NEG", "latest_category": "NEG"}]
        _insert(con, "child", kids)
        _insert(con, "episode", eps)
        _insert(con, "assessment", ass)
        _insert(con, "assessment_factor", fac)
        _insert(con, "section47", s47)
        _insert(con, "cpp", cpp)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    tiny_census(c, {"330": 7, "202": 1})
    build_lcd(c)
    yield c
    c.close()


def _la(out, la: str, year: str = "2024"):
    d = out.data
    return d[(d.old_la_code == la) & (d.time_period == year)].iloc[0]


def _nat(out, year: str = "2024"):
    d = out.data
    return d[(d.geographic_level == "National") & (d.time_period == year)].iloc[0]


def _region(out, code: str, year: str = "2024"):
    d = out.data
    return d[(d.geographic_level == "Regional") & (d.region_code == code) & (d.time_period == year)].iloc[0]


def test_b1_hand_computed(con):
    counts, _ = run_query(con, get("children_in_need.b1"))
    r = counts.set_index(["year", "la"]).loc[(2024, "330")]
    assert dict(r) == {"Anypoint_episodes": 21, "Anypoint_child": 21, "Started_episodes": 21,
                       "Started_child": 21, "Ended_episodes": 7, "Ended_child": 7,
                       "At31_episodes": 14, "Awaiting_assessment": 7}
    out = build_ees(con, get("children_in_need.b1"), 2024)
    la = _la(out, "330")
    # Ended_episodes 7 is shared with B5 and B6 and at most their threshold 12 (B6's 9 reasons
    # + 3): c, and Anypoint_episodes with it (21 - 14 would give it away)
    assert (la.Anypoint_episodes, la.Ended_episodes, la.At31_episodes, la.Awaiting_assessment) == \
        ("c", "c", "14", "7")
    # Camden: 3 / 1 / 2 / 1, all small -> c (and their rates)
    cam = _la(out, "202")
    assert cam.Anypoint_episodes == cam.At31_episodes == cam.At31_episodes_rate == "c"
    # England = 21 + 3 = 24 -> 20 ; at 31 March 14 + 2 = 16 -> 20 ; ended 7 + 1 = 8 -> 10
    nat = _nat(out)
    assert (nat.Anypoint_episodes, nat.At31_episodes, nat.Ended_episodes) == ("20", "20", "10")
    # London and Inner London get Camden's 3 -> 0 but not zero: k; no Outer London borough has a
    # return in this fixture, so its total is not available (x), not zero
    assert _region(out, "E12000007").Anypoint_episodes == "k"
    assert _region(out, "E13000001").Anypoint_episodes == "k"
    assert _region(out, "E13000002").Anypoint_episodes == "x"
    assert _region(out, "E12000005").Anypoint_episodes == "20"


def test_c1_hand_computed_percentages_from_unrounded(con):
    counts, _ = run_query(con, get("children_in_need.c1"))
    r = counts.set_index(["year", "la"]).loc[(2024, "330")]
    assert dict(r) == {"Referrals": 28, "Re_referrals": 7, "No_Further_Action": 7, "Not_in_Need": 0,
                       "Referrals_child": 21, "Re_referrals_child": 7}
    # child C's referral (2023-02-01) belongs to reporting year 2023 (assessed not in need), but
    # only the 2024 return holds it: a year's referrals are those in that year's returns, and
    # there is no 2023 return (docs/DEFINITIONS.md, C1)
    assert (2023, "330") not in counts.set_index(["year", "la"]).index
    out = build_ees(con, get("children_in_need.c1"), 2024)
    assert _la(out, "330", "2023").Referrals == "x"
    # only the 2024 return is staged: the 12-month look-back into 2023 is incomplete, so every
    # re-referral figure of 2024 is x (with a note) while the other figures are published
    la = _la(out, "330")
    assert (la.Referrals, la.Re_referrals, la.Re_referrals_percent, la.Re_referrals_child_percent) == \
        ("28", "x", "x", "x")
    assert _nat(out).Re_referrals_percent == "x"
    assert any("2024: Re_referrals" in n and "2023 census is not staged" in n for n in out.notes)
    # years with no staged return at all get one note, not a list of LAs per year
    assert "no data for 2013-2023 (no census returns staged): every figure of those years shown x" in out.notes
    assert not any(n.startswith("2019:") for n in out.notes)
    # with the 2023 census staged the same counts publish their re-referrals
    counts, dists = run_query(con, get("children_in_need.c1"))
    out = build_rows(get("children_in_need.c1"), counts, 2024, dists, staged_years={2023, 2024})
    la = _la(out, "330")
    assert (la.Referrals, la.Re_referrals_percent, la.No_Further_Action_percent,
            la.Not_in_Need, la.Not_in_Need_percent, la.Re_referrals_child_percent) == \
        ("28", "25", "25", "0", "0", "33.3")
    nat = _nat(out)
    # England: referrals 28 + 4 = 32 -> 30, re-referrals 7 + 1 = 8 -> 10: the percentage is
    # 8/32 = 25.0 from unrounded counts (not 10/30 = 33.3 from the rounded ones)
    assert (nat.Referrals, nat.Re_referrals, nat.Re_referrals_percent) == ("30", "10", "25")


def test_c3_c4_d3_d5_hand_computed(con):
    c3 = build_ees(con, get("children_in_need.c3"), 2024)
    la = _la(c3, "330")
    assert (la.Episodes_with_assessment_factor, la.Domestic_Abuse_parent, la.Mental_Health_parent,
            la.Neglect, la.Other) == ("14", "7", "7", "7", "0")
    assert _la(c3, "330", "2020").Physical_Abuse_child_on_child == "x"   # not collected before 2021
    c4 = build_ees(con, get("children_in_need.c4"), 2024)
    la = _la(c4, "330")
    assert (la.Section47, la.ICPC, la["Duration_0-10_days"], la["Duration_11-15_days"],
            la.Duration_median) == ("7", "7", "7", "0", "10")
    # Camden: one S47 and ICPC (c); the 0-10 band is the only non-zero part and is c as well
    cam = _la(c4, "202")
    assert (cam.ICPC, cam["Duration_0-10_days"], cam.Duration_median) == ("c", "c", "10")
    d3 = build_ees(con, get("children_in_need.d3"), 2024)
    # CPP_start 7 and CPP_At31 7 are shared counts at most their threshold 8 (5 parts + 3): c,
    # with the percentages over them; D5's one non-zero band would equal its hidden total: c too
    assert tuple(_la(d3, "330")[["CPP_start", "CPP_subsequent", "CPP_subsequent_percent"]]) == \
        ("c", "7", "c")
    d5 = build_ees(con, get("children_in_need.d5"), 2024)
    la = _la(d5, "330")
    assert (la.CPP_At31, la.more_than_6_months_less_than_1_year,
            la.more_than_6_months_less_than_1_year_percent, la["3_months_or_less_percent"]) == \
        ("c", "c", "c", "0")


def test_re_referral_tables_from_lcd(con):
    e1 = build_ees(con, get("re_referrals.e1"), 2024)
    # 2024 is the only staged census: no 12-month look-back, so the 2024 rows split by referral
    # type are x; the Total rows (all referrals by level) are published
    d = e1.data[e1.data.time_period == "2024"]
    assert set(d[d.referral_type != "Total"].referrals) == {"x"}
    assert d.set_index(["level_description", "referral_type"]).loc[("Total", "Total"), "referrals"] == "30"
    counts, dists = run_query(con, get("re_referrals.e1"))
    e1 = build_rows(get("re_referrals.e1"), counts, 2024, dists, staged_years={2023, 2024})
    d = e1.data[e1.data.time_period == "2024"].set_index(["level_description", "referral_type"])
    # 2024 referrals: 4 per replicate x 8 = 32 -> "30"; NFA 8 -> 10 (25%); CPP (child A) 8
    assert d.loc[("Total", "Total"), "referrals"] == "30"
    assert d.loc[("1. No futher action", "Total"), "referrals_percent"] == "25"
    assert d.loc[("6. CPP", "Total"), "referrals_percent"] == "25"
    assert len(e1.data) == (2024 - 2017 + 1) * 7 * 4
    d2 = build_ees(con, get("re_referrals.d2"), 2024)
    assert d2.file_name.endswith("_2017_to_2023.csv")
    assert set(d2.data.time_period) == {str(y) for y in range(2017, 2024)}


def test_publication_table_roundtrip(con):
    out = build_ees(con, get("children_in_need.d3"), 2024)
    assert store_publication(con, out) == len(out.data)
    assert store_publication(con, out) == len(out.data)          # replace, not append
    back = load_publication(con, get("children_in_need.d3"), 2024)
    assert back.csv_text() == out.csv_text()
    n = con.execute('SELECT count(*) FROM publication."children_in_need__d3" WHERE release_year = 2024').fetchone()[0]
    assert n == len(out.data)
    # the unrounded query output goes beside it, for the exact cross-checks
    u = con.execute('SELECT * FROM publication."children_in_need__d3__unrounded" WHERE release_year = 2024 '
                    "ORDER BY year, la").df()
    assert list(u.columns) == ["release_year", "year", "la", "CPP_start", "CPP_subsequent"]
    assert u[["year", "la", "CPP_start"]].values.tolist() == [[2024, "202", 1], [2024, "330", 7]]
    store_publication(con, back)          # text without counts: no stale unrounded rows remain
    assert con.execute('SELECT count(*) FROM publication."children_in_need__d3__unrounded"').fetchone()[0] == 0
    store_publication(con, out)


def test_e1_totals_agree_with_c1(con):
    """The agreement checks: E1's Total rows are England's referrals and re-referrals in C1
    (both count each referral in the return of its own year), symbols included."""
    from cin_pipeline.checks import cross

    c1, e1 = build_ees(con, get("children_in_need.c1"), 2024), build_ees(con, get("re_referrals.e1"), 2024)
    agreements = get("re_referrals.e1").agreements
    pairs = [(a.rows, a.other_column) for a in agreements
             if a.other == "children_in_need.c1" and a.column == "referrals"]
    assert len(pairs) == 2 == len(agreements)
    assert {a.check_name for a in agreements} == {"referrals_agrees_with_children_in_need_c1",
                                                   "re_referrals_agrees_with_children_in_need_c1"}
    for rows, col_b in pairs:
        res = cross.measures_agree(e1.data, "re_referrals.e1", "referrals", c1.data, "children_in_need.c1",
                                   col_b, rows_a=rows)
        assert res.passed and " 0 comparisons" not in res.message, res.message
    bad = e1.data.copy()
    i = bad.index[(bad.time_period == "2024") & (bad.level_description == "Total")
                  & (bad.referral_type == "Total")][0]
    bad.loc[i, "referrals"] = "40"
    res = cross.measures_agree(bad, "re_referrals.e1", "referrals", c1.data, "children_in_need.c1", "Referrals",
                               rows_a=pairs[0][0])
    assert not res.passed and "2024" in res.message
