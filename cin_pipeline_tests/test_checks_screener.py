"""The Python EES screener: exact outcome on the real published 2024 files, and planted faults."""

from __future__ import annotations

import pandas as pd
import pytest

from cin_pipeline.checks import screener as s
from cin_pipeline.checks.deviations import deviations_for

D3 = "d3_cpps_subsequent_plan_2013_to_2024.csv"


@pytest.fixture(scope="module")
def published(shared_dir):
    def load(name: str):
        data = s.read_ees_csv(shared_dir / "reference" / "published" / name)
        return data, s.published_meta(data)
    return load


@pytest.fixture(scope="module")
def d3(published):
    return published(D3)


def _non_pass(results):
    return {(r.check, r.result) for r in results if r.result != "PASS"}


def test_d3_full_report_matches_official_screener(d3):
    data, meta = d3
    full = s.screen(data, meta, D3, stop_on_fail=False)
    assert _non_pass(full) == {("filter_not_singular", "FAIL"), ("col_snake_case", "WARNING"),
                               ("col_var_start", "WARNING")}
    stages = {r.stage for r in full}
    for stage in ("Filename", "Precheck columns", "Check meta", "Precheck time", "Check time",
                  "Precheck geography", "Check geography", "Check indicators", "Check API"):
        assert stage in stages
    names = {r.check for r in full}
    for check in ("geog_level_completed", "geog_overcompleted_cols", "geog_region_for_la",
                  "geog_la_col_present", "geog_region_col_present", "geog_la_combos",
                  "geog_region_combos", "geog_country_combos", "general_dupes", "general_null",
                  "ind_invalid_entry", "api_char_col_name", "filename_spaces", "time_period"):
        assert check in names


def test_d3_stop_on_fail_stops_after_filter_precheck(d3):
    data, meta = d3
    res = s.screen(data, meta, D3)
    assert res[-1].stage == "Precheck filters" and res[-1].check == "filter_not_singular"
    assert not s.passed(res)
    assert "Check geography" not in {r.stage for r in res}


def test_d3_passes_with_recorded_deviations(d3):
    data, meta = d3
    res = s.screen(data, meta, D3, deviations=deviations_for("children_in_need.d3"))
    assert s.passed(res) and res[-1].stage == "Check API"
    accepted = {r.check for r in res if r.deviation}
    assert accepted == {"filter_not_singular", "col_snake_case", "col_var_start"}
    assert "accepted deviation" in s.to_markdown(res)


@pytest.mark.parametrize("name,extra", [
    ("b1_children_in_need_2013_to_2024.csv", set()),
    ("c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv", set()),
    ("c3_factors_identified_at_end_of_assessment_2018_to_2024.csv", {("col_ind_smushed", "FAIL")}),
    ("d5_cpps_at31march_by_duration_2013_to_2024.csv", set()),
])
def test_other_published_files(published, name, extra):
    data, meta = published(name)
    base = {("filter_not_singular", "FAIL"), ("col_snake_case", "WARNING"), ("col_var_start", "WARNING")}
    assert _non_pass(s.screen(data, meta, name, stop_on_fail=False)) == base | extra
    table_id = f"children_in_need.{name[:2]}"
    assert s.passed(s.screen(data, meta, name, stop_on_fail=False, deviations=deviations_for(table_id)))


def _failing(data, meta, name=D3):
    res = s.screen(data, meta, name, stop_on_fail=False, deviations=deviations_for("children_in_need.d3"))
    return {r.check: r for r in res if r.result != "PASS"}


def test_planted_blank_indicator_and_colon(d3):
    data, meta = d3
    bad = data.copy()
    bad.loc[5, "CPP_start"] = ""
    bad.loc[6, "CPP_subsequent"] = ":"
    f = _failing(bad, meta)
    assert set(f) == {"ind_invalid_entry"}
    assert "CPP_start (1 blank" in f["ind_invalid_entry"].message
    assert "CPP_subsequent (0 blank, 1" in f["ind_invalid_entry"].message


def test_planted_null_symbol(d3):
    data, meta = d3
    bad = data.copy()
    bad.loc[7, "CPP_subsequent_percent"] = "NA"
    assert _failing(bad, meta)["general_null"].result == "FAIL"


def test_planted_bad_la_combo(d3):
    data, meta = d3
    bad = data.copy()
    i = bad.index[bad["la_name"] == "Darlington"][0]
    bad.loc[i, "new_la_code"] = "E06000001"   # Hartlepool's code with Darlington's name
    f = _failing(bad, meta)
    assert set(f) == {"geog_la_combos"}
    assert "841 / E06000001 / Darlington" in f["geog_la_combos"].message


def test_planted_duplicate_rows(d3):
    data, meta = d3
    bad = pd.concat([data, data.iloc[[20, 21]]], ignore_index=True)
    f = _failing(bad, meta)
    assert set(f) == {"general_dupes"}
    assert "2 duplicate rows" in f["general_dupes"].message


def test_planted_region_on_national_rows(d3):
    data, meta = d3
    bad = data.copy()
    nat = bad["geographic_level"] == "National"
    bad.loc[nat, "region_code"] = "E12000001"
    bad.loc[nat, "region_name"] = "North East"
    f = _failing(bad, meta)
    assert set(f) == {"geog_overcompleted_cols"}
    assert "region_code (on National rows)" in f["geog_overcompleted_cols"].message


def test_planted_la_name_missing_and_region_missing_on_la(d3):
    data, meta = d3
    bad = data.copy()
    la = bad.index[bad["geographic_level"] == "Local authority"]
    bad.loc[la[0], "la_name"] = ""
    bad.loc[la[1], "region_code"] = ""
    f = _failing(bad, meta)
    assert "geog_level_completed" in f and f["geog_level_completed"].result == "FAIL"
    assert f["geog_region_for_la"].result == "WARNING"


def test_planted_space_in_column_name(d3):
    data, meta = d3
    bad = data.rename(columns={"CPP_start": "CPP start"})
    meta2 = meta.copy()
    meta2.loc[meta2["col_name"] == "CPP_start", "col_name"] = "CPP start"
    f = _failing(bad, meta2)
    assert f["col_names_spaces"].result == "FAIL" and "'CPP start'" in f["col_names_spaces"].message
    assert f["meta_col_name_spaces"].result == "FAIL"
    # the official behaviour stops at the first stage with a FAIL
    res = s.screen(bad, meta2, D3, deviations=deviations_for("children_in_need.d3"))
    assert res[-1].stage == "Check columns"


def test_planted_meta_and_time_faults(d3):
    data, meta = d3
    bad = data.copy()
    bad.loc[3, "time_identifier"] = "Academic year"
    meta2 = meta.copy()
    meta2.loc[1, "indicator_unit"] = "percent"
    f = _failing(bad, meta2)
    assert f["meta_ind_unit_validation"].result == "FAIL"
    assert f["time_id_mix"].result == "FAIL" and f["time_period"].result == "FAIL"


def test_filename_checks(d3):
    data, meta = d3
    f = _failing(data, meta, name="d3 cpps (2024).csv")
    assert {"filename_spaces", "filename_special"} <= set(f)


def test_our_files_screen_clean_with_recorded_deviations():
    """Every declared table, as our writer lays it out (data + meta), gets no FAIL and no WARNING
    once the deviations of checks/deviations.py are applied (filter_defaults included)."""
    from cin_pipeline.ees.rows import Geography, build_rows
    from cin_pipeline.tables import all_tables, get

    for spec in all_tables():
        cols = ["year", "la", *[f.name for f in spec.query_filters], *spec.count_columns]
        out = build_rows(spec, pd.DataFrame({c: [] for c in cols}), 2024, geo=Geography(status={}))
        wide = any(f.constant for f in spec.filters)
        res = s.screen(out.data, out.meta, out.file_name, deviations=deviations_for(spec.table_id, wide=wide))
        bad = [(r.check, r.result) for r in res if r.result in (s.FAIL, s.WARNING)]
        assert bad == [], (spec.table_id, bad)
    d2 = get("re_referrals.d2")
    assert any(d.items == ("total_referrals_byAF",) for d in deviations_for(d2.table_id, wide=False))


def test_architecture_doc_lists_the_recorded_deviations():
    from pathlib import Path

    from cin_pipeline.checks.deviations import markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert "## Known deviations from the EES screener" in doc
    block = doc.split("<!-- deviations:start -->\n", 1)[1].split("\n<!-- deviations:end -->", 1)[0]
    assert block == markdown(), "regenerate the list in docs/ARCHITECTURE.md from checks/deviations.py"
