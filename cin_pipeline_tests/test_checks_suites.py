"""GX suites generated from a TableSpec, ephemeral validation and Data Docs."""

from __future__ import annotations

import pandas as pd
import pytest

from cin_pipeline.checks import data_docs, suites
from cin_pipeline.tables import release
from cin_pipeline.tables.declare import Filter, Indicator, TableSpec, exact

SPEC = TableSpec(
    release=release("children-in-need"), code="Z9", title="Test table", file_stem="z9_test",
    geographic_levels=("National", "Regional", "Local authority"), first_year=2023,
    filters=(Filter("category", "Category", values=("Things",), constant=True),),
    indicators=(Indicator("Things", "Things"), Indicator("Sub", "Sub"),
                Indicator("Sub_percent", "Sub %", kind="percent", unit="%", dp=1,
                          numerator="Sub", denominator="Things")),
    layout=exact("test"), query="select 1")
SPEC.validate()


def good() -> pd.DataFrame:
    rows = [
        ["2024", "Reporting year", "National", "E92000001", "England", "", "", "", "", "", "Things", "620", "150", "24.2"],
        ["2024", "Reporting year", "Regional", "E92000001", "England", "E12000001", "North East", "", "", "", "Things", "60", "10", "16.7"],
        ["2024", "Reporting year", "Local authority", "E92000001", "England", "E12000001", "North East", "841", "E06000005", "Darlington", "Things", "196", "c", "c"],
        ["2023", "Reporting year", "Local authority", "E92000001", "England", "E12000001", "North East", "841", "E06000005", "Darlington", "Things", "x", "x", "x"],
    ]
    return pd.DataFrame(rows, columns=suites.published_columns(SPEC))


@pytest.fixture(scope="module")
def runner():
    return suites.GxRunner()


def test_suite_is_generated_from_declaration():
    suite = suites.build_suite(SPEC, 2024)
    types = [e.expectation_type for e in suite.expectations]
    assert "expect_table_columns_to_match_ordered_list" in types
    assert suite.expectations[0].column_list[-3:] == ["Things", "Sub", "Sub_percent"]
    assert suites.indicator_regex(SPEC.indicators[2]) == r"^((100(\.0+)?|\d{1,2}(\.\d{1,1})?)|c|x|u|z|k)$"


def test_good_frame_passes(runner):
    ok, res, md = suites.validate_table(SPEC, good(), 2024, runner=runner)
    assert ok and res.success, md


@pytest.mark.parametrize("col,row,value,column", [
    ("Things", 0, "-5", "Things"),             # negative count
    ("Sub_percent", 1, "100.5", "Sub_percent"),  # percentage > 100
    ("Sub", 2, "", "Sub"),                      # blank indicator
    ("Sub", 2, ":", "Sub"),                     # legacy symbol
    ("time_identifier", 0, "Academic year", "time_identifier"),
    ("geographic_level", 0, "Ward", "geographic_level"),
    ("category", 0, "Other", "category"),
    ("time_period", 3, "2019", "time_period"),  # before first_year
])
def test_bad_frames_fail(runner, col, row, value, column):
    df = good()
    df.loc[row, col] = value
    ok, res, md = suites.validate_table(SPEC, df, 2024, runner=runner)
    assert not ok
    assert f"| {column} |" in md


def test_wrong_column_order_fails(runner):
    df = good()
    cols = list(df.columns)
    cols[-1], cols[-2] = cols[-2], cols[-1]
    ok, _, md = suites.validate_table(SPEC, df[cols], 2024, runner=runner)
    assert not ok and "expect_table_columns_to_match_ordered_list" in md


def test_warning_severity_does_not_block(runner):
    df = good()
    df.loc[0, "Things"] = "low"   # regex fails too (critical), so use a frame-level check:
    ok, res, _ = suites.validate_table(SPEC, df, 2024, runner=runner)
    sev = {suites._severity(r) for r in suites.failed(res)}
    assert "warning" in sev and not ok


def test_data_docs(tmp_path, runner):
    suites.validate_table(SPEC, good(), 2024, runner=runner)
    index = data_docs.build(tmp_path / "gx", runner)
    assert index.name == "index.html" and index.exists()
    assert any((tmp_path / "gx" / "validations").rglob("*.html"))


def _page_text(folder) -> str:
    """The text of the Data Docs validation pages, without markup or the rendering time."""
    import re

    pages = sorted(folder.glob("validations/**/*.html"))
    assert pages
    return "\n".join(re.sub(r"<[^>]*>|\?d=\d{8}T\d+\.\d+Z", " ", p.read_text()) for p in pages)


def test_the_suite_runs_once_and_its_kept_result_feeds_the_data_docs(tmp_path):
    import duckdb

    con = duckdb.connect()
    checker = suites.GxRunner()
    bad = good()
    bad.loc[2, "Sub"] = ":"                      # one failure, so the page shows what failed
    _, res, _ = suites.validate_table(SPEC, bad, 2024, runner=checker)
    suites.store_validation(con, SPEC, 2024, bad, checker.record(res))
    kept = suites.stored_validations(con, 2024)
    assert set(kept) == {SPEC.table_id}
    assert suites.stored_validations(con, 2023) == {}

    # the same rows: the kept result is rendered, nothing validated again
    runner, reused, validated = data_docs.runner_for([(SPEC, bad, 2024)], kept)
    assert (reused, validated) == ([SPEC.table_id], [])
    assert runner.results[0].statistics == res.statistics
    data_docs.build(tmp_path / "kept", runner)
    data_docs.build(tmp_path / "direct", checker)
    assert _page_text(tmp_path / "kept") == _page_text(tmp_path / "direct")
    assert "unexpected" in _page_text(tmp_path / "kept").lower()

    # other rows than those validated: validated again, never the stale result
    _, reused, validated = data_docs.runner_for([(SPEC, good(), 2024)], kept)
    assert (reused, validated) == ([], [SPEC.table_id])

    # a new validation of the year replaces the kept one
    _, res2, _ = suites.validate_table(SPEC, good(), 2024, runner=checker)
    suites.store_validation(con, SPEC, 2024, good(), checker.record(res2))
    assert con.execute(f"SELECT count(*) FROM {suites.VALIDATIONS}").fetchone()[0] == 1
    _, reused, _ = data_docs.runner_for([(SPEC, good(), 2024)], suites.stored_validations(con, 2024))
    assert reused == [SPEC.table_id]
