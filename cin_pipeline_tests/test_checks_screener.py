"""The Python EES screener: exact outcome on the real published 2024 files, and planted faults."""

from __future__ import annotations

import pandas as pd
import pytest

from cin_pipeline.checks import screener as s
from cin_pipeline.checks.deviations import deviations_for

D3 = "d3_cpps_subsequent_plan_2013_to_2024.csv"

# eesyscreener 0.3.1: screen_filenames, then screen_dfs's stages, in order (R/screen_*.R; the
# file-name checks of spaces and special characters run once for the data file, once for the meta)
OFFICIAL = (
    ("filename", ("filename_spaces", "filename_spaces", "filename_special", "filename_special",
                  "filenames_match")),
    ("Precheck columns", ("col_req_meta", "col_invalid_meta", "col_req_data", "col_to_rows")),
    ("Precheck cross-file", ("cross_meta_to_data", "cross_data_to_meta")),
    ("Check columns", ("col_names_spaces", "col_snake_case", "col_var_start", "col_ind_smushed",
                       "col_var_characteristic")),
    ("Precheck meta", ("meta_col_type", "meta_ob_unit", "meta_col_name")),
    ("Check meta", ("meta_dupe_label", "meta_fil_grp", "meta_fil_grp_dupe", "meta_fil_grp_is_fil",
                    "meta_fil_grp_match", "meta_fil_grp_stripped", "meta_label", "meta_filter_hint",
                    "meta_geog_catch", "meta_indicator_dp", "meta_col_name_spaces",
                    "meta_col_name_dupe", "meta_ind_dp_set", "meta_ind_dp_values", "meta_ind_unit",
                    "meta_ind_unit_validation", "meta_indicator_grouping")),
    ("Precheck time", ("time_period_num", "time_id_valid", "time_id_mix")),
    ("Precheck filters", ("filter_not_singular",)),
    ("Precheck geography", ("geog_level", "geog_level_present")),
    ("Check time", ("time_period", "time_period_six")),
    ("Check filters", ("filter_defaults", "filter_group_level", "filter_item_limit",
                       "filter_whitespace", "filter_ob_total", "filter_blanks")),
    ("Check geography", ("geog_country_combos", "geog_region_combos", "geog_ward_combos",
                         "geog_pcon_combos", "geog_lad_combos", "geog_lep_combos",
                         "geog_lsip_combos", "geog_eda_combos", "geog_la_combos",
                         "geog_level_completed", "geog_ignored_rows", "geog_other_dupes",
                         "geog_la_col_present", "geog_region_col_present", "geog_region_for_la",
                         "geog_region_for_lad", "geog_na", "geog_na_code", "geog_other_code_dupes",
                         "geog_overcompleted_cols")),
    ("Check general", ("general_dupes", "general_null")),
    ("Check indicators", ("ind_invalid_entry",)),
    ("Check harmonised", ("harmonised_variables", "harmonised_eth_vals", "harmonised_eth_char_grp",
                          "harmonised_eth_char_vals")),
    ("Check API", ("api_char_col_name", "api_char_col_label", "api_char_loc_code",
                   "api_char_filter_items", "data_dict_col_name", "data_dict_fil_item")),
)


NOT_RUN_CHECKS = {"harmonised_variables", "harmonised_eth_vals", "harmonised_eth_char_grp",
                  "harmonised_eth_char_vals", "data_dict_col_name", "data_dict_fil_item"}

# A tiny dictionary in the official format, written by the tests (the project holds no copy of the
# EES API data dictionary): a few standard names and the filter ``sex`` with its items.
TEST_DICTIONARY = """col_name,col_type,filter_item,col_name_parent,filter_item_parent
time_period,Time,,,
geographic_level,Geography,,,
country_code,Geography,,,
sex,Filter,Total,,
sex,Filter,Female,,
sex,Filter,Male,,
referral_count,Indicator,,,
"""


@pytest.fixture
def dictionary(tmp_path, monkeypatch):
    """TEST_DICTIONARY configured as the EES data dictionary (conftest.py unsets the variable for
    every other test)."""
    path = tmp_path / "data-dictionary.csv"
    path.write_text(TEST_DICTIONARY, encoding="utf-8")
    monkeypatch.setenv(s.DICTIONARY_ENV, str(path))
    return path


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
    """The findings: FAIL and WARNING results (NOT RUN is neither)."""
    return {(r.check, r.result) for r in results if r.result in (s.FAIL, s.WARNING)}


def test_d3_full_report_matches_official_screener(d3):
    data, meta = d3
    full = s.screen(data, meta, D3, stop_on_fail=False)
    assert _non_pass(full) == {("filter_not_singular", "FAIL"), ("col_snake_case", "WARNING"),
                               ("col_var_start", "WARNING")}
    # every check of eesyscreener 0.3.1, each once, in its stages and order
    assert [(r.stage, r.check) for r in full] == [(st, c) for st, checks in OFFICIAL for c in checks]
    # the checks whose reference list is not held are NOT RUN, never PASS
    assert {r.check for r in s.not_run(full)} == NOT_RUN_CHECKS
    assert all(r.result != s.PASS for r in full if r.check in NOT_RUN_CHECKS)
    assert s.api_suitable(full) is False   # a FAIL that ran: known without the dictionary


def test_d3_with_a_dictionary_warns_on_its_columns(d3, dictionary):
    data, meta = d3
    full = s.screen(data, meta, D3, stop_on_fail=False)
    dd = next(r for r in full if r.check == "data_dict_col_name")
    assert dd.result == s.WARNING and "CPP_start" in dd.items
    assert {r.check for r in s.not_run(full)} == NOT_RUN_CHECKS - {"data_dict_col_name", "data_dict_fil_item"}


def test_stages_run_in_the_official_order(d3):
    data, meta = d3
    full = s.screen(data, meta, D3, stop_on_fail=False)
    assert list(dict.fromkeys(r.stage for r in full)) == [st for st, _ in OFFICIAL]
    assert len(full) == 83 and len({r.check for r in full}) == 81
    assert [st for st, _ in OFFICIAL][1:] == [st for st, _ in s.STAGES]


def test_a_fail_in_an_early_stage_stops_the_later_stages(d3):
    data, meta = d3
    devs = deviations_for("children_in_need.d3")
    order = [st for st, _ in OFFICIAL]
    # Precheck time runs before Precheck filters: a bad time identifier stops there
    bad = data.copy()
    bad.loc[3, "time_identifier"] = "Reporting yr"
    res = s.screen(bad, meta, D3, deviations=devs)
    assert res[-1].stage == "Precheck time" and not s.passed(res)
    assert {r.stage for r in res} == set(order[:order.index("Precheck time") + 1])
    # a null symbol is found in "Check general", after the geography checks (which all ran)
    bad = data.copy()
    bad.loc[7, "CPP_subsequent_percent"] = "NA"
    res = s.screen(bad, meta, D3, deviations=devs)
    assert res[-1].stage == "Check general"
    assert "geog_overcompleted_cols" in {r.check for r in res}
    assert not {"Check indicators", "Check harmonised", "Check API"} & {r.stage for r in res}
    # a blank indicator FAILs "Check indicators": the harmonised and API stages do not run
    bad = data.copy()
    bad.loc[5, "CPP_start"] = ""
    res = s.screen(bad, meta, D3, deviations=devs)
    assert res[-1].stage == "Check indicators" and not s.passed(res)
    # NOT RUN does not stop: the clean file goes through "Check harmonised" (NOT RUN) to "Check API"
    res = s.screen(data, meta, D3, deviations=devs)
    assert [r.result for r in res if r.stage == "Check harmonised"] == [s.NOT_RUN] * 4
    assert res[-1].stage == "Check API" and s.passed(res)


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
    # accepted, but not API suitable: the official screener FAILs filter_not_singular
    assert s.api_suitable(res) is False and "API suitable: no" in s.to_markdown(res)
    assert s.api_warnings(res) == []


def test_d3_with_a_dictionary_accepts_data_dict_col_name_but_not_api_suitable(d3, dictionary):
    data, meta = d3
    res = s.screen(data, meta, D3, deviations=deviations_for("children_in_need.d3"))
    assert s.passed(res) and "data_dict_col_name" in {r.check for r in res if r.deviation}
    assert s.api_suitable(res) is False
    assert [r.check for r in s.api_warnings(res)] == ["data_dict_col_name"]


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
    return {r.check: r for r in res if r.result in (s.FAIL, s.WARNING)}


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
    # a file-name FAIL stops the screening before the data is looked at (screen_csv)
    res = s.screen(data, meta, "d3 cpps.csv", deviations=deviations_for("children_in_need.d3"))
    assert {r.stage for r in res} == {"filename"} and len(res) == 5
    assert [r.result for r in res if r.check == "filename_spaces"] == [s.FAIL, s.FAIL]


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


# --- a small tidy file that passes every check (API suitable), and faults planted in it -----------

def _good():
    """National rows, two years, the dictionary's filter ``sex`` and indicator ``referral_count``."""
    rows = [dict(time_period=y, time_identifier="Reporting year", geographic_level="National",
                 country_code="E92000001", country_name="England", sex=sx, referral_count=n)
            for y in ("2023", "2024") for sx, n in (("Total", "30"), ("Female", "14"), ("Male", "16"))]
    data = pd.DataFrame(rows)
    meta = pd.DataFrame([
        dict(col_name="sex", col_type="Filter", label="Sex", indicator_grouping="", indicator_unit="",
             indicator_dp="", filter_hint="", filter_grouping_column="", filter_default="Total"),
        dict(col_name="referral_count", col_type="Indicator", label="Referrals", indicator_grouping="",
             indicator_unit="", indicator_dp="0", filter_hint="", filter_grouping_column="",
             filter_default=""),
    ])
    return data, meta


def _result(data, meta, check, name="referrals.csv"):
    res = s.screen(data, meta, name, stop_on_fail=False)
    return next(r for r in res if r.check == check)


def test_good_file_passes_every_check_that_runs(dictionary):
    data, meta = _good()
    res = s.screen(data, meta, "referrals.csv")
    assert [(r.check, r.result) for r in res if r.result != s.PASS] == [
        (c, s.NOT_RUN) for c in ("harmonised_variables", "harmonised_eth_vals",
                                 "harmonised_eth_char_grp", "harmonised_eth_char_vals")]
    assert [(r.stage, r.check) for r in res] == [(st, c) for st, checks in OFFICIAL for c in checks]
    # every API check passes, but the harmonised checks did not run: suitability is unknown
    assert s.passed(res) and s.api_suitable(res) is None
    assert s.api_suitability(res) == "unknown (harmonised checks not run)"


def test_without_a_dictionary_its_checks_are_not_run_and_api_suitability_unknown():
    data, meta = _good()
    res = s.screen(data, meta, "referrals.csv")
    dd = [r for r in res if r.check in ("data_dict_col_name", "data_dict_fil_item")]
    assert [(r.stage, r.result) for r in dd] == [("Check API", s.NOT_RUN)] * 2
    assert all(r.message == "NOT RUN: the EES data dictionary is not configured "
               "(CIN_EES_DATA_DICTIONARY)" for r in dd)
    # neither a FAIL nor a WARNING; never "API suitable"
    assert s.passed(res) and _non_pass(res) == set()
    assert s.api_suitable(res) is None
    assert s.api_suitability(res) == "unknown (dictionary checks not run; harmonised checks not run)"
    md = s.to_markdown(res)
    assert "6 not run; API suitable: unknown (dictionary checks not run" in md
    assert "| Check API | `data_dict_col_name` | NOT RUN | NOT RUN: the EES data dictionary" in md
    # a warning that ran is enough to know: not API suitable
    long = "x" * 130
    bad = data.replace({"sex": {"Female": long}})
    res = s.screen(bad, meta, "referrals.csv")
    assert s.api_suitable(res) is False
    assert s.api_suitability(res) == "not API suitable: api_char_filter_items WARNING"


def test_an_unusable_dictionary_is_not_run_with_the_reason(tmp_path, monkeypatch):
    data, meta = _good()
    monkeypatch.setenv(s.DICTIONARY_ENV, str(tmp_path / "missing.csv"))
    r = _result(data, meta, "data_dict_col_name")
    assert r.result == s.NOT_RUN and "cannot be used" in r.message and "missing.csv" in r.message
    bad = tmp_path / "bad.csv"
    bad.write_text("name,type\nsex,Filter\n", encoding="utf-8")
    monkeypatch.setenv(s.DICTIONARY_ENV, str(bad))
    r = _result(data, meta, "data_dict_fil_item")
    assert r.result == s.NOT_RUN and "no column col_name, col_type, filter_item" in r.message


def test_data_dict_col_name_warns_on_a_non_dictionary_column(dictionary):
    data, meta = _good()
    assert _result(data, meta, "data_dict_col_name").result == s.PASS
    bad = data.rename(columns={"referral_count": "Referrals"})
    meta2 = meta.replace({"col_name": {"referral_count": "Referrals"}})
    r = _result(bad, meta2, "data_dict_col_name")
    assert r.result == s.WARNING and r.items == ("Referrals",) and "Indicators: 'Referrals'" in r.message
    res = s.screen(bad, meta2, "referrals.csv")
    # a warning does not stop the screening, but the file is no longer API suitable
    assert s.passed(res) and s.api_suitable(res) is False and "API suitable: no" in s.to_markdown(res)
    # nor when the project accepts it as a deviation: it is still reported
    from cin_pipeline.checks.deviations import Deviation
    dev = Deviation("data_dict_col_name", "WARNING", "test", layout="any")
    res = s.screen(bad, meta2, "referrals.csv", deviations=[dev])
    assert s.passed(res) and s.api_suitable(res) is False
    assert [r.check for r in s.api_warnings(res)] == ["data_dict_col_name"]
    # a column known to the dictionary under the other col_type is not standard either
    meta3 = meta.copy()
    meta3.loc[meta3["col_name"] == "sex", "col_type"] = "Indicator"
    assert _result(data, meta3, "data_dict_col_name").items == ("sex",)


def test_data_dict_fil_item(dictionary):
    data, meta = _good()
    assert _result(data, meta, "data_dict_fil_item").result == s.PASS
    bad = data.replace({"sex": {"Female": "Women"}})
    r = _result(bad, meta, "data_dict_fil_item")
    assert r.result == s.WARNING and r.items == ("sex / Women",)


def test_dictionary_parent_columns_count(tmp_path, monkeypatch):
    path = tmp_path / "dd.csv"
    path.write_text("col_name,col_type,filter_item,col_name_parent,filter_item_parent\n"
                    "sex_detail,Filter,Female adult,sex,Female\n", encoding="utf-8")
    monkeypatch.setenv(s.DICTIONARY_ENV, str(path))
    dd, why = s.data_dictionary()
    assert why == "" and ("Filter", "sex") in dd.columns and dd.items["sex"] == {"Female"}
    assert dd.items["sex_detail"] == {"Female adult"}


def test_harmonised_checks_are_not_run():
    data, meta = _good()
    bad = data.rename(columns={"sex": "ethnic_group"})
    meta2 = meta.replace({"col_name": {"sex": "ethnic_group"}})
    res = s.screen(bad, meta2, "referrals.csv")
    harm = [r for r in res if r.stage == "Check harmonised"]
    assert [r.check for r in harm] == ["harmonised_variables", "harmonised_eth_vals",
                                       "harmonised_eth_char_grp", "harmonised_eth_char_vals"]
    assert all(r.result == s.NOT_RUN and r.message.startswith("NOT RUN: ") for r in harm)
    assert res[-1].stage == "Check API"


def test_screener_asset_check_records_not_run_without_failing():
    """The table's blocking ``screener`` check: NOT RUN is recorded, never a failure or a PASS."""
    from cin_pipeline.checks.plan import run_screener
    from cin_pipeline.ees.rows import Geography, build_rows
    from cin_pipeline.tables import get

    def outcome(table_id):
        spec = get(table_id)
        cols = ["year", "la", *[f.name for f in spec.query_filters], *spec.count_columns]
        out = build_rows(spec, pd.DataFrame({c: [] for c in cols}), 2024, geo=Geography(status={}))
        return run_screener(spec, out.data, 2024)

    o = outcome("re_referrals.a1")   # no FAIL, not even an accepted one
    assert o.passed and set(o.metadata["not_run"]) == NOT_RUN_CHECKS
    assert o.metadata["api_suitable"] == "unknown (dictionary checks not run; harmonised checks not run)"
    assert ("NOT RUN: data_dict_col_name, data_dict_fil_item (the EES data dictionary is not "
            "configured (CIN_EES_DATA_DICTIONARY))") in o.description
    assert "API suitability: unknown (dictionary checks not run" in o.description
    assert "| `data_dict_col_name` | NOT RUN |" in o.report
    o = outcome("children_in_need.d3")   # filter_not_singular FAIL, accepted: known without them
    assert o.passed and set(o.metadata["not_run"]) == NOT_RUN_CHECKS
    assert o.metadata["api_suitable"] == "not API suitable: filter_not_singular FAIL (accepted deviation)"
