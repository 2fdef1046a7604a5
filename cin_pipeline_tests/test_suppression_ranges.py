"""Secondary suppression that survives arithmetic (issue 14 item 7).

A reader of an LA row knows its shown cells, its additive identities and that a ``c`` is at least
1. No ``c`` may be narrowed by that knowledge to fewer values than 1-5; the suppression hides
cells until none is, and the blocking disclosure check audits the published text the same way.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cin_pipeline.checks import disclosure
from cin_pipeline.ees import suppression
from cin_pipeline.ees.rows import Geography, build_rows
from cin_pipeline.tables import get

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


def test_a_total_other_tables_publish_is_never_hidden():
    """D5 Camden 2022 in the contract data: total 7 over four non-zero bands, all c. Each band is
    1-4, and only hiding CPP_At31 would mend that, but D1 and D4 publish it too: it stays shown,
    and the audit reports the row as a known residual rather than failing."""
    spec = get(D5)
    counts = {"CPP_At31": 7, BANDS[0]: 1, BANDS[1]: 1, BANDS[2]: 1, BANDS[3]: 4, BANDS[4]: 0}
    assert "CPP_At31" in suppression.shared_columns(spec)
    assert suppression.suppressed_counts(spec, counts) == set(BANDS[:4])
    row = _d5_row({"CPP_At31": "7", **{b: "c" for b in BANDS[:4]}, BANDS[4]: "0"})
    alone = disclosure.secondary_suppression(row, D5, spec.identities)
    assert not alone.passed and {d["found"] for d in alone.details} == {"c narrowed to 1-4"}
    shared = disclosure.secondary_suppression(row, D5, spec.identities,
                                              published_elsewhere=suppression.shared_columns(spec))
    assert shared.passed and len(shared.details) == 4 and "Known residual, not failing: 4 c" in shared.message


def test_an_exact_value_fails_even_when_the_total_is_published_elsewhere():
    parts = tuple(f"p{i}" for i in range(6))
    row = pd.DataFrame([{"time_period": "2024", "geographic_level": "Local authority",
                         "old_la_code": "330", "la_name": "Birmingham", "T": "6",
                         **{p: "c" for p in parts}}])
    r = disclosure.secondary_suppression(row, "t", [("T", parts)], published_elsewhere={"T"})
    assert not r.passed and {d["found"] for d in r.details} == {"c recoverable as 1"}
