"""C2 (assessments by working days), D6 (plans reviewed within timescales) and D8 (plans ending
in the first six months by how long the child then remained in need) on a tiny hand-made census,
every figure worked out by hand.

One LA (330, Birmingham) with returns for 2023 (1 April 2022 to 31 March 2023) and 2024
(1 April 2023 to 31 March 2024); the tables are read for 2024. Its staged history therefore
starts on 1 April 2022 (facts.la_history).

C2 assessments (start -> authorisation; working days = Monday to Friday less England and Wales
bank holidays, after the start up to and including the authorisation):

====  ==========  ==========  ====  =====================================================
id    start       authorised  WD    why
====  ==========  ==========  ====  =====================================================
a1    2023-06-01  2023-06-01     0  same day
a2    2023-06-02  2023-06-05     1  Friday to Monday
a3    2023-12-22  2024-01-02     4  7 weekdays less 25, 26 December and 1 January
a4    2023-05-01  2023-07-05    45  47 weekdays less the coronation (8 May) and the spring
                                    bank holiday (29 May): 41-45, not 46-50
a5    2023-05-01  2023-07-06    46  the next day: 46-50
a6    2023-09-01  2023-12-01    65  61+
a7    2023-01-10  2023-03-01     -  authorised in 2023: not in 2024's table
a8    2024-03-01  (open)         -  not authorised: not counted
====  ==========  ==========  ====  =====================================================

D6 plans open at 31 March 2024 (reviews in the 2023 return | in the 2024 return):

====  ==========  ======================  ===================================  =========
plan  start       reviews                 judgement                            in time
====  ==========  ======================  ===================================  =========
P1    2023-06-01  | 08-20, 2024-02-10     first within 3 months, then 6        yes
P2    2023-06-01  | 09-15                 first review after 1 September       no
P3    2023-06-01  | 08-01                 next due by 1 February: overdue      no
P4    2024-01-15  |                       under 3 months at 31 March: not in the base
P5    2023-12-31  |                       exactly 3 months: review due 31 March yes
P6    2023-06-01  | 08-01 (ended 2024-02-01)  not open at 31 March: not in the base
P7    2022-11-01  2023-01-20 | 07-10,    the first review is in the 2023 return;  yes
                  2024-01-05              without it 07-10 would look late
P8    2021-05-01  2022-09-15, 2023-03-01  begun before the history: first known yes
                  | 08-25, 2024-02-20      review by 1 October 2022 (1 April + 6 months)
P9    2021-05-01  2022-12-01 | 05-25,    first known review after 1 October 2022 no
                  11-20
====  ==========  ======================  ===================================  =========

D8 plans ending in 2023-24 and the closure of their episode of need:

====  ==========  ==========  ==========================================
plan  end         closure     band
====  ==========  ==========  ==========================================
Q1    2023-05-10  2023-05-10  same day
Q2    2023-06-15  2023-09-15  within 3 months (exactly 3 months)
Q3    2023-06-15  2023-09-16  more than 3 and up to 6 months
Q4    2023-09-30  2024-03-30  more than 3 and up to 6 months (exactly 6)
Q5    2023-09-30  open        more than 6 months (still in need)
Q6    2023-10-01  2023-10-01  ended in the second half: not counted
Q7    2023-04-01  2023-10-02  more than 6 months
====  ==========  ==========  ==========================================
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pytest

from cin_pipeline.ees.rows import build_rows, run_query
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import get

YEAR, LA = 2024, "330"
D = date

ASSESSMENTS = {  # child: (start, authorisation)
    "a1": (D(2023, 6, 1), D(2023, 6, 1)), "a2": (D(2023, 6, 2), D(2023, 6, 5)),
    "a3": (D(2023, 12, 22), D(2024, 1, 2)), "a4": (D(2023, 5, 1), D(2023, 7, 5)),
    "a5": (D(2023, 5, 1), D(2023, 7, 6)), "a6": (D(2023, 9, 1), D(2023, 12, 1)),
    "a7": (D(2023, 1, 10), D(2023, 3, 1)), "a8": (D(2024, 3, 1), None),
}
WORKING_DAYS = {"a1": 0, "a2": 1, "a3": 4, "a4": 45, "a5": 46, "a6": 65}

PLANS = {  # child: (start, end, reviews in the 2023 return, reviews in the 2024 return)
    "P1": (D(2023, 6, 1), None, [], [D(2023, 8, 20), D(2024, 2, 10)]),
    "P2": (D(2023, 6, 1), None, [], [D(2023, 9, 15)]),
    "P3": (D(2023, 6, 1), None, [], [D(2023, 8, 1)]),
    "P4": (D(2024, 1, 15), None, [], []),
    "P5": (D(2023, 12, 31), None, [], []),
    "P6": (D(2023, 6, 1), D(2024, 2, 1), [], [D(2023, 8, 1)]),
    "P7": (D(2022, 11, 1), None, [D(2023, 1, 20)], [D(2023, 7, 10), D(2024, 1, 5)]),
    "P8": (D(2021, 5, 1), None, [D(2022, 9, 15), D(2023, 3, 1)], [D(2023, 8, 25), D(2024, 2, 20)]),
    "P9": (D(2021, 5, 1), None, [D(2022, 12, 1)], [D(2023, 5, 25), D(2023, 11, 20)]),
}
ENDINGS = {  # child: (plan start, plan end, closure of the episode)
    "Q1": (D(2023, 1, 5), D(2023, 5, 10), D(2023, 5, 10)),
    "Q2": (D(2023, 1, 5), D(2023, 6, 15), D(2023, 9, 15)),
    "Q3": (D(2023, 1, 5), D(2023, 6, 15), D(2023, 9, 16)),
    "Q4": (D(2023, 1, 5), D(2023, 9, 30), D(2024, 3, 30)),
    "Q5": (D(2023, 1, 5), D(2023, 9, 30), None),
    "Q6": (D(2023, 1, 5), D(2023, 10, 1), D(2023, 10, 1)),
    "Q7": (D(2023, 1, 5), D(2023, 4, 1), D(2023, 10, 2)),
}
TABLES = ("children_in_need.c2", "children_in_need.d6", "children_in_need.d8")


def _insert(con, table: str, rows: list[dict]) -> None:
    cols = [c for c, _ in TABLE_COLUMNS[table]]
    for r in rows:
        con.execute(f"INSERT INTO clean.{table} VALUES ({', '.join('?' for _ in cols)})",
                    [r.get(c) for c in cols])


def _in_year(d: date | None, year: int) -> bool:
    return d is not None and date(year - 1, 4, 1) <= d <= date(year, 3, 31)


def _visible(start: date, end: date | None, year: int) -> bool:
    """Whether something running from ``start`` to ``end`` shows in ``year``'s return."""
    return start <= date(year, 3, 31) and (end is None or end >= date(year - 1, 4, 1))


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA clean")
    for table, cols in TABLE_COLUMNS.items():
        c.execute(f"CREATE TABLE clean.{table} (" + ", ".join(f"{n} {t}" for n, t in cols) + ")")
    referral = D(2020, 6, 1)
    for year in (2023, 2024):
        base = {"year": year, "la": LA}
        _insert(c, "header", [{**base, "reference_date": date(year, 3, 31)}])
        children = [*ASSESSMENTS, *PLANS, *ENDINGS]
        _insert(c, "child", [{**base, "child_id": k, "birth_date": D(2015, 1, 1), "sex": "F"}
                             for k in children])
        closures = {k: v[2] for k, v in ENDINGS.items()}
        episodes = [k for k in children if _visible(referral, closures.get(k), year)]
        _insert(c, "episode", [{**base, "child_id": k, "episode_seq": 1, "referral_date": referral,
                                "closure_date": closures[k] if _in_year(closures.get(k), year) else None,
                                "reason_for_closure": "RC7" if _in_year(closures.get(k), year) else None,
                                "referral_nfa": False} for k in episodes])
        _insert(c, "assessment", [
            {**base, "child_id": k, "episode_seq": 1, "assessment_seq": 1, "start_date": s,
             "authorisation_date": a if a is None or a <= date(year, 3, 31) else None}
            for k, (s, a) in ASSESSMENTS.items() if _visible(s, a, year)])
        plans = {**{k: (s, e) for k, (s, e, _, _) in PLANS.items()},
                 **{k: (s, e) for k, (s, e, _) in ENDINGS.items()}}
        _insert(c, "cpp", [
            {**base, "child_id": k, "episode_seq": 1, "cpp_seq": 1, "start_date": s,
             "end_date": e if _in_year(e, year) else None, "initial_category": "NEG",
             "latest_category": "NEG"}
            for k, (s, e) in plans.items() if _visible(s, e, year)])
        _insert(c, "cpp_review", [
            {**base, "child_id": k, "episode_seq": 1, "cpp_seq": 1, "review_seq": i + 1, "review_date": r}
            for k, (s, e, r23, r24) in PLANS.items() if _visible(s, e, year)
            for i, r in enumerate(r23 if year == 2023 else r24)])
    build_lcd(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def queried(con):
    """Each table's query output: unrounded LA counts and distributions."""
    return {tid: run_query(con, get(tid)) for tid in TABLES}


@pytest.fixture(scope="module")
def counts(queried):
    """Each table's unrounded counts for the LA in 2024, as a dict."""
    out = {}
    for tid, (df, _) in queried.items():
        row = df[(df["year"] == YEAR) & (df["la"] == LA)]
        assert len(row) == 1, tid
        out[tid] = {c: int(v) for c, v in row.iloc[0].items() if c not in ("year", "la")}
    return out


def test_working_days_skip_weekends_and_bank_holidays(con, queried):
    got = dict(con.execute("SELECT child_id, working_days FROM facts.assessment "
                           "WHERE year = 2024 AND completed_in_year").fetchall())
    assert got == WORKING_DAYS


def test_c2_assessments_by_working_days(counts):
    assert counts["children_in_need.c2"] == {
        "Assessments_completed": 6,  # a1-a6; a7 was authorised in 2022-23, a8 is open
        "Same_day": 1, "1-10_days": 2, "11-20_days": 0, "21-30_days": 0, "31-40_days": 0,
        "41-45_days": 1, "46-50_days": 1, "51-60_days": 0, "61+_days": 1,
    }


def test_c2_percentiles_interpolate_the_working_days(queried):
    spec = get("children_in_need.c2")
    df, dists = queried["children_in_need.c2"]
    rows = build_rows(spec, df, YEAR, dists).data
    nat = rows[(rows["time_period"] == str(YEAR)) & (rows["geographic_level"] == "National")].iloc[0]
    days = np.array(sorted(WORKING_DAYS.values()), dtype=float)  # 0 1 4 45 46 65
    want = [np.percentile(days, q) for q in (25, 50, 75)]       # 1.75, 24.5, 45.75
    assert want == [1.75, 24.5, 45.75]
    assert (nat["25th_Percentile_days"], nat["Median_days"], nat["75th_Percentile_days"]) == ("2", "25", "46")


def test_d6_reviewed_within_timescales(con, queried, counts):
    judged = dict(con.execute("SELECT child_id, reviewed_in_time FROM facts.cpp_review_timeliness "
                              "WHERE year = 2024").fetchall())
    # P4 (under 3 months) and P6 (ended) are not in the base; the Q plans all ended by October
    assert judged == {"P1": True, "P2": False, "P3": False, "P5": True, "P7": True, "P8": True,
                      "P9": False}
    assert counts["children_in_need.d6"] == {"CPP_At31_3_months_or_more": 7, "Reviewed_within_timescales": 4}


def test_d8_plans_ending_in_the_first_six_months(counts):
    assert counts["children_in_need.d8"] == {
        "CPP_end_first_6_months": 6,      # Q1-Q5, Q7 (Q6 ended 1 October)
        "CIN_closed_same_day": 1,         # Q1
        "CIN_closed_within_3_months": 1,  # Q2 (exactly 3 months)
        "CIN_closed_3_to_6_months": 2,    # Q3, Q4 (exactly 6 months)
        "CIN_more_than_6_months": 2,      # Q5 (still open), Q7
    }


def test_identities_hold(counts):
    for tid in TABLES:
        c = counts[tid]
        for total, parts in get(tid).sums:
            assert c[total] == sum(c[p] for p in parts), (tid, total)
