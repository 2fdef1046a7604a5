"""Secondary suppression that survives arithmetic (issue 14 item 7).

A reader of an LA row knows its shown cells, its additive identities and that a ``c`` is at least
1. No ``c`` may be narrowed by that knowledge to fewer values than 1-5; the suppression hides
cells until none is, and the blocking disclosure check audits the published text the same way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cin_pipeline.checks import disclosure
from cin_pipeline.ees import suppression
from cin_pipeline.ees.rows import Geography, build_rows
from cin_pipeline.tables import all_tables, get

D5 = "children_in_need.d5"
BANDS = ("3_months_or_less", "more_than_3_months_6_months", "more_than_6_months_less_than_1_year",
         "1_year_less_than_2_years", "2_years_or_more")


def test_exposed_means_fewer_values_than_one_to_five():
    assert not suppression.exposed(1, 5)          # as uncertain as a primary c
    assert not suppression.exposed(1, math.inf)   # a hidden total with a hidden part
    assert suppression.exposed(1, 4)
    assert suppression.exposed(3, 3)              # worked out exactly
    assert suppression.exposed(20, 23)            # a large secondary cell pinned to 4 values
    assert suppression.exposed(4, 2)              # shown cells contradicting the identity


@pytest.mark.parametrize("k", [2, 3, 4])
def test_one_identity_closed_form(k):
    """Total shown, ``k`` hidden parts with hidden sum ``S``: each ranges over [1, S - (k - 1)], so
    the rule is S >= k + 4; one hidden cell alone is its value."""
    ident = [("T", tuple(f"p{i}" for i in range(k + 1)))]
    for s in range(k, k + 8):
        shown = {"T": s + 6, f"p{k}": 6}
        hidden = {f"p{i}" for i in range(k)}
        ranges = suppression.hidden_ranges(ident, shown, hidden)
        assert set(ranges.values()) == {(1, s - (k - 1))}
        assert bool(suppression.exposed_cells(ident, shown, hidden)) == (s < k + 4)
    assert suppression.hidden_ranges([("T", ("a", "b"))], {"T": 9, "a": 6}, {"b"}) == {"b": (3, 3)}


def test_identities_sharing_a_total_are_combined():
    """D2/D4 shape: one total, two sums. Alone, ``T = a + b`` with T and b hidden bounds nothing;
    ``T = c + d`` shown in full fixes T, and with it b."""
    ident = [("T", ("a", "b")), ("T", ("c", "d"))]
    ranges = suppression.hidden_ranges(ident, {"a": 10, "c": 12, "d": 0}, {"T", "b"})
    assert ranges == {"T": (12, 12), "b": (2, 2)}
    # the suppression mends it: a (10) is hidden too, leaving T = 12 shown in the second sum
    counts = {"T": 12, "a": 10, "b": 2, "c": 12, "d": 0}
    sup = suppression.secondary(ident, counts, {"b", "T"})
    assert not suppression.exposed_cells(ident, {c: v for c, v in counts.items() if c not in sup}, sup)


def _la_856_counts() -> dict[str, int]:
    # the failure found in D5 2024 for LA 856: total 9; two bands shown (6 and 0); three bands c
    return {"CPP_At31": 9, "3_months_or_less": 1, "more_than_3_months_6_months": 1,
            "more_than_6_months_less_than_1_year": 6, "1_year_less_than_2_years": 1,
            "2_years_or_more": 0}


def _d5_row(cells: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"time_period": "2024", "geographic_level": "Local authority",
                          "old_la_code": "856", "la_name": "Leicester", **cells}])


def test_la_856_d5_row_is_audited_and_mended():
    spec = get(D5)
    counts = _la_856_counts()
    # as it was published under the old rule (no identity with exactly one c): every c is 1
    old = _d5_row({"CPP_At31": "9", **{b: "c" for b in BANDS}, BANDS[2]: "6", BANDS[4]: "0"})
    r = disclosure.secondary_suppression(old, D5, spec.identities)
    assert not r.passed
    assert {(d["column"], d["found"]) for d in r.details} == {
        (b, "c recoverable as 1") for b in (BANDS[0], BANDS[1], BANDS[3])}
    # now: the 6 is hidden too, so each c ranges over 1-6
    sup = suppression.suppressed_counts(spec, counts)
    assert sup == {BANDS[0], BANDS[1], BANDS[2], BANDS[3]}
    frame = pd.DataFrame([{"year": 2024, "la": "856", **counts}])
    out = build_rows(spec, frame, 2024, geo=Geography(status={})).data
    row = out[(out.time_period == "2024") & (out.old_la_code == "856")]
    assert row[["CPP_At31", *BANDS]].values.tolist() == [["9", "c", "c", "c", "c", "0"]]
    pcts = [(i.name, i.numerator, i.denominator) for i in spec.indicators if i.kind == "percent"]
    res = disclosure.secondary_suppression(out, D5, spec.identities, pcts)
    assert res.passed, res.message


def test_audit_names_a_narrowed_range():
    """Two c bands that the shown cells leave 5 for (D5 Westminster 2021 as published): each is
    1-4, one value short of 1-5."""
    spec = get(D5)
    row = _d5_row({"CPP_At31": "50", BANDS[0]: "13", BANDS[1]: "17", BANDS[2]: "15",
                   BANDS[3]: "c", BANDS[4]: "c"})
    r = disclosure.secondary_suppression(row, D5, spec.identities)
    assert not r.passed
    assert {(d["column"], d["found"]) for d in r.details} == {(BANDS[3], "c narrowed to 1-4"),
                                                              (BANDS[4], "c narrowed to 1-4")}
    row.loc[0, "CPP_At31"] = "51"    # 6 left for two c: each 1-5, as uncertain as a primary c
    assert disclosure.secondary_suppression(row, D5, spec.identities).passed


def test_a_cell_not_published_bounds_nothing_below_zero():
    """A cell that is neither shown nor c (x, z, u) is an unknown count of at least 0."""
    row = _d5_row({"CPP_At31": "20", BANDS[0]: "c", BANDS[1]: "x", BANDS[2]: "c",
                   BANDS[3]: "6", BANDS[4]: "0"})
    assert disclosure.secondary_suppression(row, D5, get(D5).identities).passed


def test_shared_totals_come_from_the_declared_agreements():
    """A count several LA tables publish and some identity totals is hidden from 1 to ``P + 3``
    in each of them (``P``: the most parts of an identity with that total in any of them)."""
    assert suppression.shared_totals(get(D5)) == {"CPP_At31": 8}                 # 5 bands
    assert suppression.shared_totals(get("children_in_need.d1")) == {
        "CPP_At31": 8, "CPP_end": 8, "CPP_start": 8}
    assert suppression.shared_totals(get("children_in_need.b1")) == {
        "At31_episodes": 13, "Ended_episodes": 12}                                # B3's 10, B6's 9
    assert suppression.shared_totals(get("children_in_need.c1")) == {"Referrals": 15}   # 12 months
    assert suppression.shared_totals(get("re_referrals.f1")) == {"referrals": 15}
    assert suppression.shared_totals(get("children_in_need.c4")) == {}
    la = {t.table_id: t for t in all_tables() if not t.national_only}
    for t in la.values():
        for a in t.agreements:
            if a.other in la:   # both sides hide the same values
                assert suppression.shared_totals(t).get(a.column) == \
                    suppression.shared_totals(la[a.other]).get(a.other_column), (t.table_id, a)


def test_a_shared_total_is_hidden_in_every_table_of_its_component():
    """D5 Camden 2022 in the contract data: total 7 over four non-zero bands, all c, so each band
    would be 1-4 with the total shown. 7 is at most 5 + 3, so D5, D4 and D1 all hide CPP_At31;
    D1 then hides CPP_anypoint too (CPP_end shown would give CPP_At31 away)."""
    counts = {"CPP_At31": 7, BANDS[0]: 1, BANDS[1]: 1, BANDS[2]: 1, BANDS[3]: 4, BANDS[4]: 0}
    assert suppression.suppressed_counts(get(D5), counts) == {"CPP_At31", *BANDS[:4]}
    d4 = get("children_in_need.d4")
    d4_counts = {c: 0 for c in d4.count_columns} | {
        "CPP_At31": 7, "Neglect_Initial": 7, "Neglect_Latest": 6, "Multiple_Latest": 1}
    # the hidden total would be 7 by its one non-zero initial category: that is hidden too
    assert suppression.suppressed_counts(d4, d4_counts) == {"CPP_At31", "Neglect_Initial", "Multiple_Latest"}
    d1 = get("children_in_need.d1")
    d1_counts = {c: 30 for c in d1.count_columns} | {"CPP_At31": 7, "CPP_end": 23, "CPP_anypoint": 30}
    sup = suppression.suppressed_counts(d1, d1_counts)
    assert {"CPP_At31", "CPP_anypoint"} <= sup and "CPP_end" not in sup
    # one more and the total is shown everywhere: 8 for four bands leaves each 1-5
    assert "CPP_At31" not in suppression.suppressed_counts(get(D5), counts | {"CPP_At31": 13, BANDS[3]: 10})


def test_camden_2022_d5_row_passes_the_audit():
    spec = get(D5)
    counts = {"CPP_At31": 7, BANDS[0]: 1, BANDS[1]: 1, BANDS[2]: 1, BANDS[3]: 4, BANDS[4]: 0}
    frame = pd.DataFrame([{"year": 2022, "la": "202", **counts}])
    out = build_rows(spec, frame, 2022, geo=Geography(status={})).data
    row = out[(out.time_period == "2022") & (out.old_la_code == "202")]
    assert row[["CPP_At31", *BANDS]].values.tolist() == [["c", "c", "c", "c", "c", "0"]]
    pcts = [(i.name, i.numerator, i.denominator) for i in spec.indicators if i.kind == "percent"]
    res = disclosure.secondary_suppression(out, D5, spec.identities, pcts)
    assert res.passed, res.message
    # the row as published before: the audit has no exemption for a total shown elsewhere
    old = _d5_row({"CPP_At31": "7", **{b: "c" for b in BANDS[:4]}, BANDS[4]: "0"})
    r = disclosure.secondary_suppression(old, D5, spec.identities)
    assert not r.passed and {d["found"] for d in r.details} == {"c narrowed to 1-4"}


def _random_counts(spec, rng) -> dict[str, int]:
    """Counts of one LA row for which every declared identity holds: each total drawn (mostly
    small), then split over a random subset of each of its identities' parts."""
    counts = {c: int(rng.integers(0, 40)) for c in (*spec.count_columns, *spec.helpers)}
    for total in dict.fromkeys(t for t, _ in spec.sums):
        counts[total] = int(rng.choice([rng.integers(0, 20), rng.integers(0, 60)]))
    for total, parts in spec.sums:
        live = [p for p in parts if rng.random() < 0.7] or [parts[0]]
        cuts = sorted(rng.integers(0, counts[total] + 1, size=len(live) - 1))
        counts.update({p: 0 for p in parts})
        counts.update({p: int(b - a) for p, a, b in zip(live, [0, *cuts], [*cuts, counts[total]])})
    return counts


@pytest.mark.parametrize("tid", [t.table_id for t in all_tables() if not t.national_only and t.sums])
def test_no_identity_is_left_with_only_shared_cells_to_hide(tid):
    """On random rows that keep the identities, nothing hidden is narrower than 1-5, and a shared
    count is hidden exactly when it is 1 to its threshold (so every table publishing it agrees)."""
    spec = get(tid)
    rng = np.random.default_rng(14)
    cells = {c for t, p in spec.sums for c in (t, *p)}
    tops = suppression.shared_totals(spec)
    for _ in range(1500):
        counts = _random_counts(spec, rng)
        sup = suppression.suppressed_counts(spec, counts)
        shown = {c: counts[c] for c in cells if c not in sup}
        assert not suppression.exposed_cells(spec.identities, shown, sup & cells), counts
        for c in suppression.shared_columns(spec):
            assert (c in sup) == (1 <= counts[c] <= tops.get(c, suppression.HIGH)), (c, counts)
