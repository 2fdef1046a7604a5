"""The formatter's shapes beyond the wide LA tables: an LA-level table with a varying filter
(``Total`` rows added at every level), long ``parts`` output pivoted into published columns, and
the LA skeleton zero-filled from the staged LA-years. Hand-computed."""

from __future__ import annotations

import pandas as pd
import pytest

from cin_pipeline.ees.rows import Geography, build_rows, pivot_parts, zero_fill
from cin_pipeline.tables.declare import (
    LEVELS, Filter, Indicator, Release, TableSpec, breakdown, count, la_table, reconstructed,
)

REL = Release("test-release", "Test release", "test", "A release for tests.")
YEAR = 2024


def _no_status() -> Geography:
    return Geography(status={})


@pytest.fixture
def by_sex() -> TableSpec:
    spec = TableSpec(
        release=REL, code="X1", title="Children by sex", file_stem="x1_by_sex",
        geographic_levels=LEVELS, first_year=2024, layout=reconstructed("test"),
        filters=(Filter("sex", "Sex", values=("Female", "Male", "Total"), total="Total"),),
        indicators=(Indicator("children", "Children"),
                    Indicator("children_percent", "Percentage", "percent", unit="%", dp=1,
                              numerator="children", denominator="@sex")))
    spec.validate()
    return spec


def _rows(out, level: str, code_col: str, code: str) -> pd.DataFrame:
    d = out.data
    return d[(d["geographic_level"] == level) & (d[code_col] == code)]


def test_la_table_with_a_filter_has_a_row_per_value_and_totals(by_sex):
    counts = pd.DataFrame({"year": [YEAR] * 4, "la": ["330", "330", "202", "202"],
                           "sex": ["Female", "Male", "Female", "Male"], "children": [30, 10, 3, 9]})
    out = build_rows(by_sex, counts, YEAR, geo=_no_status())
    birmingham = _rows(out, "Local authority", "old_la_code", "330")
    assert list(birmingham["sex"]) == ["Female", "Male", "Total"]
    assert list(birmingham["children"]) == ["30", "10", "40"]
    assert list(birmingham["children_percent"]) == ["75", "25", "100"]
    camden = _rows(out, "Local authority", "old_la_code", "202")
    # 3 is suppressed, and so is 9: with the Total shown, 12 - 9 would give the 3 away
    assert list(camden["children"]) == ["c", "c", "12"]
    assert list(camden["children_percent"]) == ["c", "c", "100"]
    national = out.data[out.data["geographic_level"] == "National"]
    assert list(national["children"]) == ["30", "20", "50"]  # 33, 19, 52 rounded to 10
    assert list(national["children_percent"]) == ["63.5", "36.5", "100"]  # 33/52, 19/52
    # an LA without data shows x on every row, with its filter values
    other = _rows(out, "Local authority", "old_la_code", "873")
    assert list(other["sex"]) == ["Female", "Male", "Total"]
    assert set(other["children"]) == {"x"}
    # one row per geography and filter value
    geographies = 1 + 11 + out.data["old_la_code"].replace("", pd.NA).dropna().nunique()
    assert len(out.data) == geographies * 3


def test_parts_are_pivoted_into_columns():
    spec = la_table(REL, "X2", "Factors", "x2_factors", "Factors",
                    (count("Episodes", "Episodes"), count("Alpha", "Alpha"), count("Beta", "Beta")),
                    first_year=2024, layout=reconstructed("test"),
                    parts=(("Alpha", ("1A",)), ("Beta", ("2A", "2B"))))
    spec.validate()
    long = pd.DataFrame({"year": [YEAR, YEAR, YEAR], "la": ["330", "330", "202"],
                         "part": ["Episodes", "Alpha", "Episodes"], "n": [7, 4, 2]})
    wide = pivot_parts(spec, long).set_index("la")
    assert wide.loc["330", ["Episodes", "Alpha", "Beta"]].tolist() == [7, 4, 0]
    assert wide.loc["202", ["Episodes", "Alpha", "Beta"]].tolist() == [2, 0, 0]
    with pytest.raises(ValueError, match="unknown parts"):
        pivot_parts(spec, long.assign(part=["Episodes", "Gamma", "Episodes"]))


def test_skeleton_is_zero_filled_for_staged_la_years():
    inds, total_parts = breakdown(("Plans", "Plans"), (("Short", "Short"), ("Long", "Long")))
    spec = la_table(REL, "X3", "Plans", "x3_plans", "Plans", inds, first_year=2024,
                    layout=reconstructed("test"), sums=(total_parts,))
    spec.validate()
    counts = pd.DataFrame({"year": [YEAR], "la": ["330"], "Plans": [8], "Short": [6], "Long": [2]})
    staged = pd.DataFrame({"year": [YEAR, YEAR], "la": ["330", "202"]})
    filled = zero_fill(spec, counts, staged)
    assert filled.set_index("la").loc["202", ["Plans", "Short", "Long"]].tolist() == [0, 0, 0]
    out = build_rows(spec, filled, YEAR, geo=_no_status())
    camden = _rows(out, "Local authority", "old_la_code", "202")
    assert camden[["Plans", "Short", "Long"]].values.tolist() == [["0", "0", "0"]]
    assert camden["Short_percent"].tolist() == ["z"]  # 0 of 0
    birmingham = _rows(out, "Local authority", "old_la_code", "330")
    # Long = 2 is suppressed, and so is the smallest other visible part (secondary suppression)
    assert birmingham[["Plans", "Short", "Long"]].values.tolist() == [["8", "c", "c"]]


def test_a_declaration_that_does_not_fit_together_is_refused():
    with pytest.raises(ValueError, match="numerator/denominator"):
        la_table(REL, "X4", "Bad", "x4_bad", "Bad",
                 (count("A", "A"), Indicator("A_percent", "A %", "percent", unit="%", dp=1,
                                             numerator="A", denominator="B")),
                 layout=reconstructed("test")).validate()
