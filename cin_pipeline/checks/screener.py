"""EES data screener checks, re-implemented in Python.

The official screener is the R package ``dfe-analytical-services/eesyscreener`` (0.3.1, GPL); it
cannot be installed here, so this module re-implements every check it runs, under the same names,
in the same stages and the same order as its ``screen_csv`` / ``screen_dfs`` (the stage list is
:data:`STAGES`, preceded by the file-name stage; the check list is
``/work/shared/spec/dagster_gx_ees_notes.md`` §4.6). Only what applies to files with National /
Regional / Local authority rows is implemented in full; checks for other geographies (ward,
pcon, lad, lep, lsip, eda, OA/MAT/sponsor) pass when their columns are absent and warn when
present (no lookup is held for them).

Checks whose reference list the project does not hold are reported **NOT RUN** (result
:data:`NOT_RUN`, never PASS), with the reason in the message:

* ``data_dict_col_name`` and ``data_dict_fil_item`` (stage "Check API") need the EES API data
  dictionary. It is not part of the project: give its path in the environment variable
  ``CIN_EES_DATA_DICTIONARY`` (:data:`DICTIONARY_ENV`), a CSV in the official dictionary's format
  (DfE's ``data-dictionary.csv``). The columns read are ``col_name``, ``col_type`` (Filter /
  Indicator) and ``filter_item``, and, when present, ``col_name_parent`` and
  ``filter_item_parent``; any other column is ignored. Unset, or not readable as such a CSV: both
  checks are NOT RUN.
* the four harmonised checks (stage "Check harmonised": ``harmonised_variables``,
  ``harmonised_eth_vals``, ``harmonised_eth_char_grp``, ``harmonised_eth_char_vals``) need DfE's
  list of harmonised column names and the GSS ethnicity values; neither is in ``/work/shared``,
  so they are always NOT RUN.

A NOT RUN result does not stop the later stages (only a FAIL does) and is neither a FAIL nor a
WARNING; it is listed in the report and in the ``screener`` asset check's metadata. Because a
not-run check could have changed it, API suitability is then *unknown*
(:func:`api_suitable` returns None; :func:`api_suitability` says which checks did not run),
never "API suitable".

Inputs are the frames **as read from the CSV files**: every cell text, blanks as ``""``
(``pd.read_csv(..., dtype=str, keep_default_na=False)``).

``screen(data, meta, file_name)`` returns a list of :class:`ScreenResult`. With
``stop_on_fail=True`` (the default, like the official screener) a stage containing a FAIL ends
the screening; ``stop_on_fail=False`` runs every stage (the full report). Accepted deviations
(:mod:`cin_pipeline.checks.deviations`) passed as ``deviations=`` are applied stage by stage
*before* deciding whether to stop, so a stage whose only failures are accepted does not stop.
An accepted deviation does not make a file API suitable: :func:`api_suitable` reads the results
as the official screener gave them (``original_result``), so a ``data_dict_col_name`` WARNING
keeps a file "not API suitable" even where the project accepts it.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

import pandas as pd

PASS, FAIL, WARNING = "PASS", "FAIL", "WARNING"
NOT_RUN = "NOT RUN"
"""The result of a check whose reference list is not available (never a PASS; does not stop the
later stages)."""


@dataclass(frozen=True)
class ScreenResult:
    check: str
    result: str        # PASS / FAIL / WARNING / NOT RUN
    message: str
    stage: str
    items: tuple[str, ...] = ()   # what was flagged (column names, values, combos)
    deviation: str = ""           # set when an accepted deviation turned this result into PASS
    original_result: str = ""     # the result before the deviation was applied


# --- reference values -----------------------------------------------------------------------

REQ_DATA_COLS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name")
REQ_META_COLS = ("col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
                 "indicator_dp", "filter_hint", "filter_grouping_column")
OPT_META_COLS = ("filter_default", "parent_filter")
INDICATOR_UNITS = ("", "%", "pp", "£", "£m", "numberstring")
NULL_SYMBOLS = ("NULL", "Null", "null", "NA", "na")
LEGACY_NO_DATA = ("N/A", "n/a", ".", "..", "-")
LEGACY_GSS_SYMBOLS = (":", "~")
SMUSHED_WORDS = ("male", "female", "asian", "chinese", "indian", "pakistani", "bangladeshi",
                 "black", "african", "caribbean", "white", "roma", "irish", "english", "british",
                 "scottish", "welsh", "northern irish", "arab")
FILTER_ITEM_LIMIT = 25_000
API_LIMITS = {"col_name": 50, "col_label": 100, "loc_code": 30, "filter_items": 120}

TIME_IDS_4 = (["Calendar year", "Reporting year", "Financial year Q1", "Financial year Q2",
               "Financial year Q3", "Financial year Q4", "January", "February", "March", "April",
               "May", "June", "July", "August", "September", "October", "November", "December"]
              + [f"Week {i}" for i in range(1, 53)])
TIME_IDS_6 = ["Academic year", "Financial year", "Tax year", "Autumn term", "Spring term",
              "Summer term", "Autumn and spring term", "Part 1 (April to September)",
              "Part 2 (October to March)"]
# Groups of identifiers that may appear together in one file (time_id_mix).
TIME_ID_GROUPS = (
    {"Calendar year"}, {"Reporting year"}, {"Academic year"}, {"Financial year"}, {"Tax year"},
    {"Autumn term", "Spring term", "Summer term", "Autumn and spring term"},
    {"Financial year Q1", "Financial year Q2", "Financial year Q3", "Financial year Q4"},
    {"Part 1 (April to September)", "Part 2 (October to March)"},
    {"January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"},
    {f"Week {i}" for i in range(1, 53)},
)

# geographic_level -> (code field, name field, secondary code field)
GEOGRAPHY: dict[str, tuple[str | None, str, str | None]] = {
    "National": ("country_code", "country_name", None),
    "Regional": ("region_code", "region_name", None),
    "Local authority": ("new_la_code", "la_name", "old_la_code"),
    "Local authority district": ("lad_code", "lad_name", None),
    "Parliamentary constituency": ("pcon_code", "pcon_name", None),
    "Local skills improvement plan area": ("lsip_code", "lsip_name", None),
    "Local enterprise partnership": ("local_enterprise_partnership_code",
                                     "local_enterprise_partnership_name", None),
    "English devolved area": ("english_devolved_area_code", "english_devolved_area_name", None),
    "Opportunity area": ("opportunity_area_code", "opportunity_area_name", None),
    "Ward": ("ward_code", "ward_name", None),
    "RSC region": (None, "rsc_region_lead_name", None),
    "MAT": ("trust_id", "trust_name", None),
    "Sponsor": ("sponsor_id", "sponsor_name", None),
    "School": ("school_urn", "school_name", "school_laestab"),
    "Provider": ("provider_ukprn", "provider_name", None),
    "Institution": ("institution_id", "institution_name", None),
    "Planning area": ("planning_area_code", "planning_area_name", None),
    "Police force area": ("pfa_code", "pfa_name", None),
}
LOW_LEVELS = ("School", "Provider", "Institution")
# Which levels may carry a geography's columns (the level itself and levels nested inside it).
_COMPATIBLE: dict[str, tuple[str, ...]] = {
    "Regional": ("Regional", "Local skills improvement plan area", "Local authority",
                 "Local enterprise partnership", "Opportunity area", "Local authority district",
                 "Parliamentary constituency", "English devolved area", "Ward", *LOW_LEVELS,
                 "Planning area", "Police force area"),
    "Local authority": ("Local authority", "Parliamentary constituency",
                        "Local authority district", "Ward", *LOW_LEVELS, "Planning area",
                        "Police force area"),
    "Local authority district": ("Local authority district", "Ward", *LOW_LEVELS,
                                 "Police force area"),
    "Local skills improvement plan area": ("Local skills improvement plan area",
                                           "Local authority district", *LOW_LEVELS,
                                           "Planning area"),
    "School": ("School",), "Provider": ("Provider",), "Institution": ("Institution",),
}
LA_COLS = ("old_la_code", "new_la_code", "la_name")
REGION_COLS = ("region_code", "region_name")
COUNTRIES = (("E92000001", "England"), ("K02000001", "United Kingdom"),
             ("K03000001", "Great Britain"), ("K04000001", "England and Wales"),
             ("W92000004", "Wales"), ("S92000003", "Scotland"), ("N92000002", "Northern Ireland"))
EXTRA_GEOG = (("x", "Not available"), ("z", "Not applicable"))


def geography_columns() -> list[str]:
    cols: list[str] = []
    for code, name, sec in GEOGRAPHY.values():
        cols += [c for c in (code, name, sec) if c]
    return cols


OB_UNITS = ("time_period", "time_identifier", "geographic_level", *geography_columns())
_GEO_CODE_COLS = tuple(c for code, _, sec in GEOGRAPHY.values() for c in (code, sec) if c)
_GEO_NAME_COLS = tuple(name for _, name, _ in GEOGRAPHY.values())
_OB_UNIT_REGEX = re.compile(
    r"(^(sch|prov|inst|estab|reg|la|local|rsc|pfa|pcon|lep|mca|oa|ward|mat).*"
    r"(name|code|urn|ukprn|number|upin|id)$)|(^(laestab|estab|sch|school|schools|prov|provider|"
    r"providers|inst|institution|institutions|name|code|urn|ukprn|number|upin|id|region|la|lad|"
    r"rsc|pcon|lep|mca|oa|ward|mat)$)", re.IGNORECASE)


# --- lookups ----------------------------------------------------------------------------------

GEOGRAPHY_LOOKUP = Path(__file__).resolve().parent / "geography_lookup.csv"
"""Historic LA code combinations seen in published files but not in ``reference.la_lookup()``."""


@lru_cache(maxsize=1)
def la_combos() -> frozenset[tuple[str, str, str]]:
    """Valid (old_la_code, new_la_code, la_name): ``cin_pipeline.reference.la_lookup()`` (derived
    from the published B1 files, every code-period 2013-2025) plus ``geography_lookup.csv``."""
    from cin_pipeline.reference import la_lookup

    lk = la_lookup()
    out = {(o, n, m) for o, n, m in zip(lk["old_la_code"], lk["new_la_code"], lk["la_name"])}
    extra = pd.read_csv(GEOGRAPHY_LOOKUP, dtype=str, keep_default_na=False)
    out |= {(o, n, m) for o, n, m in zip(extra["old_la_code"], extra["new_la_code"], extra["la_name"])}
    out |= {("z", c, n) for c, n in EXTRA_GEOG}
    return frozenset(out)


def region_combos() -> set[tuple[str, str]]:
    from cin_pipeline.reference import regions

    r = regions()
    return set(zip(r["region_code"], r["region_name"])) | set(EXTRA_GEOG)


# --- helpers ----------------------------------------------------------------------------------

def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype(str).str.strip() == "")


def _res(check: str, ok: bool, pass_msg: str, fail_msg: str, items: Iterable[str] = (),
         severity: str = FAIL) -> tuple:
    return (check, PASS if ok else severity, pass_msg if ok else fail_msg,
            () if ok else tuple(dict.fromkeys(str(i) for i in items)))


def _q(items: Iterable[str], limit: int = 20) -> str:
    items = list(dict.fromkeys(str(i) for i in items))
    more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
    return "'" + "', '".join(items[:limit]) + "'" + more


def _meta_col(meta: pd.DataFrame, col: str) -> pd.Series:
    return meta[col].fillna("").astype(str) if col in meta.columns else pd.Series([""] * len(meta), index=meta.index)


def _filters(meta: pd.DataFrame, groups: bool = False) -> list[str]:
    f = meta.loc[_meta_col(meta, "col_type") == "Filter", "col_name"].tolist()
    if groups:
        g = [x for x in _meta_col(meta, "filter_grouping_column") if x]
        f += [x for x in g if x not in f]
    return f


def _indicators(meta: pd.DataFrame) -> list[str]:
    return meta.loc[_meta_col(meta, "col_type") == "Indicator", "col_name"].tolist()


# --- stage: filenames -------------------------------------------------------------------------

def _filename_checks(file_name: str, meta_file_name: str) -> list[tuple]:
    """As ``screen_filenames``: spaces in the data then the metadata file name, special characters
    in each, then whether the two names match (five results)."""
    files = (("data", file_name), ("metadata", meta_file_name))
    out = [_res("filename_spaces", " " not in n, f"The {kind} file name contains no spaces.",
                f"The {kind} file name '{n}' contains spaces.", [n]) for kind, n in files]
    out += [_res("filename_special", not re.search(r"[^A-Za-z0-9_.\-]", n),
                 f"The {kind} file name contains no special characters.",
                 f"The {kind} file name '{n}' contains special characters.", [n]) for kind, n in files]
    stem = file_name[:-4] if file_name.endswith(".csv") else None
    ok_match = stem is not None and meta_file_name == f"{stem}.meta.csv" and not stem.endswith(".meta")
    out.append(_res("filenames_match", ok_match, "The data and metadata file names match.",
                    f"The metadata file should be named '{stem}.meta.csv' for data file "
                    f"'{file_name}', found '{meta_file_name}'.", [file_name, meta_file_name]))
    return out


# --- stage: precheck columns / cross-file / columns --------------------------------------------

def _precheck_columns(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    miss_meta = [c for c in REQ_META_COLS if c not in meta.columns]
    invalid_meta = [c for c in meta.columns if c not in REQ_META_COLS + OPT_META_COLS]
    miss_data = [c for c in REQ_DATA_COLS if c not in data.columns]
    few = data.shape[1] < len(meta) + 5
    return [
        _res("col_req_meta", not miss_meta, "All required meta columns are present.",
             f"Required meta columns are missing: {_q(miss_meta)}.", miss_meta),
        _res("col_invalid_meta", not invalid_meta, "No unexpected columns in the metadata file.",
             f"Unexpected columns in the metadata file: {_q(invalid_meta)}.", invalid_meta),
        _res("col_req_data", not miss_data, "All required data columns are present.",
             f"Required data columns are missing: {_q(miss_data)}.", miss_data),
        _res("col_to_rows", not few,
             "The data file has at least 5 more columns than the metadata file has rows.",
             f"The data file has {data.shape[1]} columns but the metadata file has {len(meta)} "
             "rows; expected at least 5 more columns (time and geography) than meta rows."),
    ]


def _precheck_cross(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    not_in_data = [c for c in meta["col_name"] if c not in data.columns]
    known = set(OB_UNITS) | set(meta["col_name"]) | set(_filters(meta, groups=True))
    not_in_meta = [c for c in data.columns if c not in known]
    return [
        _res("cross_meta_to_data", not not_in_data, "Every meta col_name is in the data file.",
             f"Meta col_name values missing from the data file: {_q(not_in_data)}.", not_in_data),
        _res("cross_data_to_meta", not not_in_meta,
             "Every data variable (other than time and geography) is in the metadata file.",
             f"Data variables not in the metadata file: {_q(not_in_meta)}.", not_in_meta, WARNING),
    ]


def _check_columns(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    cols = [str(c) for c in data.columns]
    spaced = [c for c in cols if " " in c]
    not_snake = [c for c in cols if re.search(r"[^a-z0-9_]", c)]
    bad_chars = sorted({ch for c in not_snake for ch in re.sub(r"[a-z0-9_]", "", c)})
    bad_start = [c for c in cols if not re.match(r"[a-z]", c)]
    smushed = [c for c in _indicators(meta)
               if re.search("|".join(SMUSHED_WORDS), c, re.IGNORECASE)]
    charac = [c for c in meta["col_name"] if str(c).lower() in ("characteristic", "characteristic_group")]
    return [
        _res("col_names_spaces", not spaced, "No spaces in variable names.",
             f"Variable names contain spaces: {_q(spaced)}.", spaced),
        _res("col_snake_case", not not_snake, "The variable names follow the snake_case convention.",
             f"Invalid characters {_q(bad_chars)} found in the variable names {_q(not_snake)}.",
             not_snake, WARNING),
        _res("col_var_start", not bad_start, "All variable names start with a lowercase letter.",
             f"Variable names that don't start with a lowercase letter: {_q(bad_start)}.",
             bad_start, WARNING),
        _res("col_ind_smushed", not smushed, "No indicators found containing typical filter entries.",
             f"Indicators appear not to conform to tidy data principles: {_q(smushed)}; pivot "
             "them longer and add a filter.", smushed),
        _res("col_var_characteristic", not charac, "No 'characteristic' columns.",
             f"Avoid 'characteristic'/'characteristic_group' columns: {_q(charac)}.", charac, WARNING),
    ]


# --- stage: meta --------------------------------------------------------------------------------

def _precheck_meta(meta: pd.DataFrame) -> list[tuple]:
    ct = _meta_col(meta, "col_type")
    bad_type = sorted(set(ct[~ct.isin(["Filter", "Indicator"])]))
    ob = [c for c in list(_meta_col(meta, "col_name")) + list(_meta_col(meta, "filter_grouping_column"))
          if c in OB_UNITS]
    blank_names = int((_meta_col(meta, "col_name").str.strip() == "").sum())
    return [
        _res("meta_col_type", not bad_type, "col_type is Filter or Indicator on every row.",
             f"Invalid col_type values: {_q(bad_type)}.", bad_type),
        _res("meta_ob_unit", not ob, "No time or geography columns in the metadata file.",
             f"Observational units must not be in col_name/filter_grouping_column: {_q(ob)}.", ob),
        _res("meta_col_name", blank_names == 0, "col_name is completed on every row.",
             f"{blank_names} metadata rows have a blank col_name."),
    ]


def _check_meta(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    name, ctype = _meta_col(meta, "col_name"), _meta_col(meta, "col_type")
    label, fgc = _meta_col(meta, "label"), _meta_col(meta, "filter_grouping_column")
    unit, dp = _meta_col(meta, "indicator_unit"), _meta_col(meta, "indicator_dp")
    hint, grouping = _meta_col(meta, "filter_hint"), _meta_col(meta, "indicator_grouping")
    is_ind, is_fil = ctype == "Indicator", ctype == "Filter"
    dupe_label = sorted(set(label[label.duplicated() & (label != "")]))
    grp_on_ind = name[is_ind & (fgc != "")].tolist()
    groups = fgc[fgc != ""]
    grp_dupe = sorted(set(groups[groups.duplicated()]))
    grp_not_fil = [g for g in groups if g in set(name) and g not in set(name[is_fil])]
    grp_missing = [g for g in groups if g not in data.columns]
    stripped = groups.str.replace(r"[^A-Za-z0-9]", "", regex=True).str.lower()
    grp_stripped = sorted(set(groups[stripped.duplicated(keep=False)])) if len(set(groups)) == len(groups) else []
    no_label = name[label.str.strip() == ""].tolist()
    hint_on_ind = name[is_ind & (hint != "")].tolist()
    geog_caught = [f for f in _filters(meta, groups=True) if _OB_UNIT_REGEX.search(f)]
    dp_on_fil = name[is_fil & (dp != "")].tolist()
    spaced = name[name.str.contains(" ")].tolist()
    dupe_names = sorted(set(name[name.duplicated()]))
    dp_unset = name[is_ind & (dp == "")].tolist()
    dp_bad = name[(dp != "") & ~dp.str.fullmatch(r"\d+")].tolist()
    unit_on_fil = name[is_fil & (unit != "")].tolist()
    unit_bad = name[~unit.isin(INDICATOR_UNITS)].tolist()
    igroup_on_fil = name[is_fil & (grouping != "")].tolist()
    return [
        _res("meta_dupe_label", not dupe_label, "Labels are unique.",
             f"Duplicated labels: {_q(dupe_label)}.", dupe_label),
        _res("meta_fil_grp", not grp_on_ind, "filter_grouping_column is blank for indicators.",
             f"Indicators with a filter_grouping_column: {_q(grp_on_ind)}.", grp_on_ind),
        _res("meta_fil_grp_dupe", not grp_dupe, "Filter group values are unique.",
             f"Duplicated filter groups: {_q(grp_dupe)}.", grp_dupe),
        _res("meta_fil_grp_is_fil", not grp_not_fil, "Filter groups are filters.",
             f"Filter groups that are not filters: {_q(grp_not_fil)}.", grp_not_fil, WARNING),
        _res("meta_fil_grp_match", not grp_missing, "Filter groups are in the data file.",
             f"Filter groups missing from the data file: {_q(grp_missing)}.", grp_missing),
        _res("meta_fil_grp_stripped", not grp_stripped,
             "Filter groups are unique after removing non-alphanumerics.",
             f"Filter groups clash once stripped: {_q(grp_stripped)}.", grp_stripped),
        _res("meta_label", not no_label, "Every row has a label.",
             f"Rows without a label: {_q(no_label)}.", no_label),
        _res("meta_filter_hint", not hint_on_ind, "filter_hint is blank for indicators.",
             f"Indicators with a filter_hint: {_q(hint_on_ind)}.", hint_on_ind),
        _res("meta_geog_catch", not geog_caught, "No filters appear to be geography columns.",
             f"Filters that look like geography columns: {_q(geog_caught)}.", geog_caught),
        _res("meta_indicator_dp", not dp_on_fil, "indicator_dp is blank for filters.",
             f"Filters with an indicator_dp: {_q(dp_on_fil)}.", dp_on_fil),
        _res("meta_col_name_spaces", not spaced, "No spaces in col_name.",
             f"col_name values with spaces: {_q(spaced)}.", spaced),
        _res("meta_col_name_dupe", not dupe_names, "No duplicated col_name.",
             f"Duplicated col_name values: {_q(dupe_names)}.", dupe_names),
        _res("meta_ind_dp_set", not dp_unset, "indicator_dp is set for every indicator.",
             f"Indicators without indicator_dp: {_q(dp_unset)}.", dp_unset, WARNING),
        _res("meta_ind_dp_values", not dp_bad, "indicator_dp values are blank or non-negative integers.",
             f"Invalid indicator_dp for: {_q(dp_bad)}.", dp_bad),
        _res("meta_ind_unit", not unit_on_fil, "indicator_unit is blank for filters.",
             f"Filters with an indicator_unit: {_q(unit_on_fil)}.", unit_on_fil),
        _res("meta_ind_unit_validation", not unit_bad, "indicator_unit values are valid.",
             f"Invalid indicator_unit for: {_q(unit_bad)} (allowed: {_q(INDICATOR_UNITS)}).", unit_bad),
        _res("meta_indicator_grouping", not igroup_on_fil, "indicator_grouping is blank for filters.",
             f"Filters with an indicator_grouping: {_q(igroup_on_fil)}.", igroup_on_fil),
    ]


# --- stage: general null ------------------------------------------------------------------------

def _general_null(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    null_cols = [c for c in data.columns if data[c].isin(NULL_SYMBOLS).any()]
    null_meta = sorted({v for c in meta.columns for v in meta[c].astype(str) if v in NULL_SYMBOLS})
    legacy_cols = [c for c in data.columns if data[c].isin(LEGACY_NO_DATA).any()]
    if null_cols or null_meta:
        msg = []
        if null_cols:
            msg.append(f"Null/NA symbols found in the data file in columns {_q(null_cols)}.")
        if null_meta:
            msg.append(f"Null/NA symbols found in the metadata file: {_q(null_meta)}.")
        return [("general_null", FAIL, " ".join(msg), tuple(null_cols + null_meta))]
    if legacy_cols:
        return [("general_null", WARNING, "Legacy no-data symbols (N/A, ., .., -) found in columns "
                 f"{_q(legacy_cols)}; use the GSS symbols.", tuple(legacy_cols))]
    return [("general_null", PASS, "No null or legacy no-data symbols found.", ())]


# --- stage: filters (precheck) --------------------------------------------------------------

def _precheck_filters(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    singular = [f for f in _filters(meta) if f in data.columns and data[f].nunique() < 2]
    return [_res("filter_not_singular", not singular, "Every filter has at least two levels.",
                 f"Filters with a single level (remove them or add levels): {_q(singular)}.",
                 singular)]


# --- stage: time ----------------------------------------------------------------------------

def _precheck_time(data: pd.DataFrame) -> list[tuple]:
    tp = data["time_period"].astype(str)
    bad_num = sorted(set(tp[~tp.str.fullmatch(r"\d+")]))
    tid = sorted(set(data["time_identifier"].astype(str)))
    bad_id = [t for t in tid if t not in TIME_IDS_4 + TIME_IDS_6]
    groups = {i for t in tid for i, g in enumerate(TIME_ID_GROUPS) if t in g}
    return [
        _res("time_period_num", not bad_num, "time_period is numeric.",
             f"Non-numeric time_period values: {_q(bad_num)}.", bad_num),
        _res("time_id_valid", not bad_id, "time_identifier values are valid.",
             f"Invalid time_identifier values: {_q(bad_id)}.", bad_id),
        _res("time_id_mix", len(groups) <= 1, "time_identifier values are compatible.",
             f"Incompatible time identifiers in one file: {_q(tid)}.", tid),
    ]


def _check_time(data: pd.DataFrame) -> list[tuple]:
    tp, tid = data["time_period"].astype(str), data["time_identifier"].astype(str)
    want = tid.map(lambda t: 6 if t in TIME_IDS_6 else 4)
    bad = sorted(set(tp[tp.str.len() != want] + " (" + tid[tp.str.len() != want] + ")"))
    six = tp[tp.str.len() == 6]
    not_consec = sorted({p for p in six if int(p[2:4]) + 1 != int(p[4:6]) and not (p[2:4] == "99" and p[4:6] == "00")})
    return [
        _res("time_period", not bad, "time_period digits match the time_identifier.",
             f"time_period length does not match time_identifier: {_q(bad)}.", bad),
        _res("time_period_six", not not_consec, "6-digit time periods are consecutive years.",
             f"6-digit time periods that are not consecutive years: {_q(not_consec)}.", not_consec),
    ]


# --- stage: geography (precheck) ------------------------------------------------------------

def _precheck_geog(data: pd.DataFrame) -> list[tuple]:
    levels = sorted(set(data["geographic_level"].astype(str)))
    bad = [lv for lv in levels if lv not in GEOGRAPHY]
    missing = []
    for lv in levels:
        if lv in GEOGRAPHY:
            missing += [f"{lv}: {c}" for c in GEOGRAPHY[lv] if c and c not in data.columns]
    return [
        _res("geog_level", not bad, "geographic_level values are valid.",
             f"Invalid geographic_level values: {_q(bad)}.", bad),
        _res("geog_level_present", not missing, "The columns required by each geographic level are present.",
             f"Columns required by a geographic level are missing: {_q(missing)}.", missing),
    ]


# --- stage: filters (check) -----------------------------------------------------------------

def _check_filters(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    fil = [f for f in _filters(meta) if f in data.columns]
    fdef = dict(zip(meta["col_name"], _meta_col(meta, "filter_default")))
    no_default = []
    for f in _filters(meta, groups=True):
        if f in data.columns:
            d = fdef.get(f, "") or "Total"
            if d not in set(data[f]):
                no_default.append(f)
    grp_level = []
    for f, g in zip(meta["col_name"], _meta_col(meta, "filter_grouping_column")):
        if g and f in data.columns and g in data.columns and data[g].nunique() > data[f].nunique():
            grp_level.append(g)
    over = [f for f in _filters(meta, groups=True) if f in data.columns and data[f].nunique() > FILTER_ITEM_LIMIT]
    ws = [f for f in _filters(meta, groups=True) if f in data.columns
          and (data[f].astype(str) != data[f].astype(str).str.strip()).any()]
    ob_cols = [c for c in OB_UNITS if c in data.columns]
    ob_total = [c for c in ob_cols if data[c].astype(str).str.strip().str.lower().isin(["total", "all"]).any()]
    blanks = [f for f in _filters(meta, groups=True) if f in data.columns and _blank(data[f]).any()]
    return [
        _res("filter_defaults", not no_default, "Every filter has a default item present in the data.",
             f"A 'Total' entry or filter_default should be present for: {_q(no_default)}.",
             no_default, WARNING),
        _res("filter_group_level", not grp_level, "Filter groups have no more levels than their filters.",
             f"Filter groups with more levels than their filter: {_q(grp_level)}.", grp_level),
        _res("filter_item_limit", not over, f"No filter has more than {FILTER_ITEM_LIMIT} items.",
             f"Filters with more than {FILTER_ITEM_LIMIT} items: {_q(over)}.", over),
        _res("filter_whitespace", not ws, "No leading or trailing whitespace in filter values.",
             f"Filters with leading/trailing whitespace: {_q(ws)}.", ws),
        _res("filter_ob_total", not ob_total, "No Total/All in observational-unit columns.",
             f"Observational-unit columns containing Total/All: {_q(ob_total)}.", ob_total),
        _res("filter_blanks", not blanks, "No blank filter values.",
             f"Filters with blank values: {_q(blanks)}.", blanks),
    ]


def _general_dupes(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    cols = [c for c in list(OB_UNITS) + _filters(meta, groups=True) if c in data.columns]
    cols = list(dict.fromkeys(cols))
    sub = data[~data["geographic_level"].isin(LOW_LEVELS + ("Planning area",))][cols]
    dup = sub[sub.duplicated(keep="first")]
    keys = [" / ".join(str(v) for v in r) for r in dup.head(20).itertuples(index=False)]
    return [_res("general_dupes", dup.empty, "There are no duplicate rows in the data file.",
                 f"There are {len(dup)} duplicate rows (same time, geography and filters), e.g. "
                 f"{_q(keys, 5)}.", keys)]


# --- stage: geography (check) ---------------------------------------------------------------

def _combo_check(data: pd.DataFrame, name: str, cols: Sequence[str], valid: set | None,
                 restricted_level: str | None = None) -> tuple:
    if not all(c in data.columns for c in cols):
        return (name, PASS, f"At least one of {' / '.join(cols)} is not in this data file.", ())
    if valid is None:
        return (name, WARNING, f"{' / '.join(cols)} present but cin_pipeline holds no lookup for them.", ())
    code = cols[-2]
    sub = data[list(cols) + ["geographic_level"]].astype(str)
    if restricted_level:
        at = sub[sub["geographic_level"] == restricted_level]
        other = sub[(sub["geographic_level"] != restricted_level) & (sub[code].str.strip() != "")
                    & (sub[code] != "x")]
        cand = pd.concat([at, other])
    else:
        cand = sub[(sub[code] != "x") & (sub[code].str.strip() != "")]
        if len(cols) == 3:  # LA: rows without an old_la_code are not LA-coded
            cand = cand[cand[cols[0]].str.strip() != ""]
    combos = {tuple(r) for r in cand[list(cols)].drop_duplicates().itertuples(index=False)}
    bad = sorted(" / ".join(c) for c in combos if c not in valid)
    return _res(name, not bad, f"All {' / '.join(cols)} combinations are valid.",
                f"Invalid {' / '.join(cols)} combinations (not in the geography lookup): {_q(bad)}.", bad)


def _check_geog(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    lv = data["geographic_level"].astype(str)
    out = [
        _combo_check(data, "geog_country_combos", ("country_code", "country_name"), set(COUNTRIES) | set(EXTRA_GEOG)),
        _combo_check(data, "geog_region_combos", REGION_COLS, region_combos(), "Regional"),
        _combo_check(data, "geog_ward_combos", ("ward_code", "ward_name"), None),
        _combo_check(data, "geog_pcon_combos", ("pcon_code", "pcon_name"), None),
        _combo_check(data, "geog_lad_combos", ("lad_code", "lad_name"), None),
        _combo_check(data, "geog_lep_combos", ("local_enterprise_partnership_code",
                                               "local_enterprise_partnership_name"), None),
        _combo_check(data, "geog_lsip_combos", ("lsip_code", "lsip_name"), None),
        _combo_check(data, "geog_eda_combos", ("english_devolved_area_code", "english_devolved_area_name"), None),
        _combo_check(data, "geog_la_combos", LA_COLS, la_combos()),
    ]
    # geog_level_completed (new_la_code exempt: legacy LAs may have none)
    incomplete = []
    for level in sorted(set(lv)):
        if level not in GEOGRAPHY or level == "Planning area":
            continue
        rows = data[lv == level]
        for c in GEOGRAPHY[level]:
            if c and c != "new_la_code" and c in data.columns and _blank(rows[c]).any():
                incomplete.append(f"{c} ({level}, {int(_blank(rows[c]).sum())} rows)")
    out.append(_res("geog_level_completed", not incomplete,
                    "All geographic level columns are completed.",
                    f"Columns incomplete for their geographic level: {_q(incomplete)}.", incomplete))
    ignored = sorted(set(lv) & {"School", "Provider", "Institution", "Planning area"})
    mixed = bool(ignored) and len(set(lv) - set(ignored)) > 0
    out.append(_res("geog_ignored_rows", not ignored, "No rows at levels the table tool ignores.",
                    f"Rows at {_q(ignored)} level are ignored by the table tool.",
                    ignored, FAIL if mixed else WARNING))
    for chk in ("geog_other_dupes",):
        out.append((chk, PASS, "No Opportunity area / MAT / Sponsor rows.", ()))
    for name, group in (("geog_la_col_present", LA_COLS), ("geog_region_col_present", REGION_COLS)):
        present = [c for c in group if c in data.columns]
        missing = [c for c in group if c not in data.columns]
        ok = not present or not missing
        out.append(_res(name, ok, f"{' / '.join(group)}: all or none present.",
                        f"Some of {' / '.join(group)} are present but missing: {_q(missing)}.", missing))
    la_rows = data[lv == "Local authority"]
    no_region = []
    if len(la_rows):
        for c in REGION_COLS:
            if c not in data.columns or _blank(la_rows[c]).any():
                no_region.append(c)
    out.append(_res("geog_region_for_la", not no_region, "Local authority rows have region code and name.",
                    f"Local authority rows without {_q(no_region)}.", no_region, WARNING))
    lad_rows = data[lv == "Local authority district"]
    lad_bad = [c for c in REGION_COLS if len(lad_rows) and (c not in data.columns or _blank(lad_rows[c]).any())]
    out.append(_res("geog_region_for_lad", not lad_bad, "LAD rows have region code and name.",
                    f"LAD rows without {_q(lad_bad)}.", lad_bad, WARNING))
    na_bad, na_code_bad = [], []
    for code, name, _ in GEOGRAPHY.values():
        if code and code in data.columns and name in data.columns:
            x = data[code] == "x"
            na_bad += [f"{code}=x / {n}" for n in sorted(set(data.loc[x, name])) if n != "Not available"]
            na = data[name] == "Not available"
            na_code_bad += [f"{name}=Not available / {c}" for c in sorted(set(data.loc[na, code])) if c != "x"]
    out.append(_res("geog_na", not na_bad, "Code 'x' always has name 'Not available'.",
                    f"Code 'x' with another name: {_q(na_bad)}.", na_bad))
    out.append(_res("geog_na_code", not na_code_bad, "Name 'Not available' always has code 'x'.",
                    f"Name 'Not available' with another code: {_q(na_code_bad)}.", na_code_bad))
    out.append(("geog_other_code_dupes", PASS, "No Opportunity area / MAT / Sponsor rows.", ()))
    # geog_overcompleted_cols
    present_levels = set(lv)
    over = []
    for level, cols in GEOGRAPHY.items():
        if level == "National":
            continue
        compatible = _COMPATIBLE.get(level, (level, *LOW_LEVELS))
        wrong = present_levels - set(compatible)
        if not wrong:
            continue
        rows = data[lv.isin(wrong)]
        for c in cols:
            if c and c in data.columns and (~_blank(rows[c])).any():
                levels_hit = sorted(set(rows.loc[~_blank(rows[c]), "geographic_level"]))
                over.append(f"{c} (on {', '.join(levels_hit)} rows)")
    out.append(_res("geog_overcompleted_cols", not over, "All geographic columns are empty where expected.",
                    f"Geographic columns completed for unexpected geographic_level rows: {_q(over)}.", over))
    return out


# --- stage: indicators / API ----------------------------------------------------------------

def _check_indicators(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    bad = []
    for c in _indicators(meta):
        if c in data.columns:
            s = data[c].astype(str)
            n_blank, n_legacy = int(_blank(data[c]).sum()), int(s.isin(LEGACY_GSS_SYMBOLS).sum())
            if n_blank or n_legacy:
                bad.append(f"{c} ({n_blank} blank, {n_legacy} ':'/'~')")
    return [_res("ind_invalid_entry", not bad, "No blank values or legacy symbols in any indicator.",
                 f"Indicators with blank values or legacy symbols ':'/'~': {_q(bad)}.", bad)]


def _check_api(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    def over(values: Iterable[str], limit: int) -> list[str]:
        return sorted({str(v) for v in values if len(str(v)) > limit})

    names = over(data.columns, API_LIMITS["col_name"])
    labels = over(_meta_col(meta, "label"), API_LIMITS["col_label"])
    codes = over((v for c in _GEO_CODE_COLS if c in data.columns for v in data[c].unique()),
                 API_LIMITS["loc_code"])
    cols = [c for c in dict.fromkeys(_filters(meta, groups=True) + list(_GEO_NAME_COLS)) if c in data.columns]
    items = over((v for c in cols for v in data[c].unique()), API_LIMITS["filter_items"])
    return [
        _res("api_char_col_name", not names, f"Column names are at most {API_LIMITS['col_name']} characters.",
             f"Column names over {API_LIMITS['col_name']} characters: {_q(names)}.", names, WARNING),
        _res("api_char_col_label", not labels, f"Labels are at most {API_LIMITS['col_label']} characters.",
             f"Labels over {API_LIMITS['col_label']} characters: {_q(labels)}.", labels, WARNING),
        _res("api_char_loc_code", not codes, f"Location codes are at most {API_LIMITS['loc_code']} characters.",
             f"Location codes over {API_LIMITS['loc_code']} characters: {_q(codes)}.", codes, WARNING),
        _res("api_char_filter_items", not items,
             f"Filter items and location names are at most {API_LIMITS['filter_items']} characters.",
             f"Filter items/location names over {API_LIMITS['filter_items']} characters: {_q(items)}.",
             items, WARNING),
    ]


# --- checks whose reference list the project may not hold: NOT RUN ----------------------------

def _not_run(checks: Sequence[str], reason: str) -> list[tuple]:
    return [(c, NOT_RUN, f"NOT RUN: {reason}", ()) for c in checks]


# --- stage: harmonised -------------------------------------------------------------------------

HARMONISED_CHECKS = ("harmonised_variables", "harmonised_eth_vals", "harmonised_eth_char_grp",
                     "harmonised_eth_char_vals")
HARMONISED_NOT_HELD = ("DfE's harmonised column names and the GSS ethnicity values are not held "
                       "by the project")


def _check_harmonised(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    """NOT RUN: their reference lists (DfE's harmonised column names, the GSS ethnicity values)
    are not in ``/work/shared``, and the project commits no list it did not get from there."""
    return _not_run(HARMONISED_CHECKS, HARMONISED_NOT_HELD)


# --- EES API data dictionary -------------------------------------------------------------------

DICTIONARY_ENV = "CIN_EES_DATA_DICTIONARY"
"""Environment variable with the path of the EES API data dictionary (a CSV in the official
dictionary's format). The project holds no copy of it."""
DICTIONARY_CHECKS = ("data_dict_col_name", "data_dict_fil_item")
DICTIONARY_COLUMNS = ("col_name", "col_type", "filter_item")
DICTIONARY_OPTIONAL_COLUMNS = ("col_name_parent", "filter_item_parent")
DICTIONARY_NOT_CONFIGURED = f"the EES data dictionary is not configured ({DICTIONARY_ENV})"


@dataclass(frozen=True)
class DataDictionary:
    columns: frozenset[tuple[str, str]]    # (col_type, col_name); a parent column counts too
    items: dict[str, frozenset[str]]       # col_name -> the filter items allowed, a parent's included


@lru_cache(maxsize=4)
def _read_dictionary(path: str, stamp: tuple[int, int]) -> DataDictionary:
    dd = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in DICTIONARY_COLUMNS if c not in dd.columns]
    if missing:
        raise ValueError(f"it has no column {', '.join(missing)}")
    for c in DICTIONARY_OPTIONAL_COLUMNS:
        if c not in dd.columns:
            dd[c] = ""
    cols = {(t, n) for t, *names in zip(dd["col_type"], dd["col_name"], dd["col_name_parent"])
            for n in names if n}
    items: dict[str, set[str]] = {}
    for child, item, parent, parent_item in zip(dd["col_name"], dd["filter_item"],
                                                dd["col_name_parent"], dd["filter_item_parent"]):
        for col, value in ((child, item), (parent, parent_item)):
            if col and value:
                items.setdefault(col, set()).add(value)
    return DataDictionary(frozenset(cols), {c: frozenset(v) for c, v in items.items()})


def data_dictionary() -> tuple[DataDictionary | None, str]:
    """(the dictionary at ``$CIN_EES_DATA_DICTIONARY``, "") or (None, why it cannot be used)."""
    path = os.environ.get(DICTIONARY_ENV, "").strip()
    if not path:
        return None, DICTIONARY_NOT_CONFIGURED
    try:
        st = os.stat(path)
        return _read_dictionary(str(Path(path).resolve()), (st.st_mtime_ns, st.st_size)), ""
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        return None, f"the EES data dictionary {DICTIONARY_ENV}={path} cannot be used: {e}"


def _dictionary_matches(meta: pd.DataFrame, dd: DataDictionary) -> list[tuple[str, str, bool]]:
    """(col_type, column, in the dictionary) for every col_name and filter_grouping_column of the
    metadata (a grouping column takes the col_type of its row)."""
    ctype = _meta_col(meta, "col_type")
    seen, out = set(), []
    for field in ("col_name", "filter_grouping_column"):
        for t, c in zip(ctype, _meta_col(meta, field)):
            if c and (t, c) not in seen:
                seen.add((t, c))
                out.append((t, c, (t, c) in dd.columns))
    return out


def _check_data_dict(data: pd.DataFrame, meta: pd.DataFrame) -> list[tuple]:
    dd, why = data_dictionary()
    if dd is None:
        return _not_run(DICTIONARY_CHECKS, why)
    matches = _dictionary_matches(meta, dd)
    odd = [(t, c) for t, c, ok in matches if not ok]
    parts = [f"{label}: {_q([c for t, c in odd if t == kind], 1000)}."
             for kind, label in (("Indicator", "Indicators"), ("Filter", "Filters"))
             if any(t == kind for t, _ in odd)]
    out = [_res("data_dict_col_name", not odd, "All col_names are consistent with the data dictionary.",
                "Columns not in the EES data dictionary (not to be used in an API data set until "
                "resolved). " + " ".join(parts), [c for _, c in odd], WARNING)]
    dd_filters = [c for t, c, ok in matches if ok and t == "Filter"]
    bad = sorted(f"{c} / {v}" for c in dd_filters if c in data.columns
                 for v in data[c].drop_duplicates() if v not in dd.items.get(c, frozenset()))
    out.append(_res("data_dict_fil_item", not bad,
                    "All filter items are consistent with the data dictionary." if dd_filters
                    else "No data dictionary filter columns found in the metadata.",
                    "col_name / filter_item combinations not in the EES data dictionary (not to be "
                    f"used in an API data set until resolved): {_q(bad)}.", bad, WARNING))
    return out


# --- orchestration --------------------------------------------------------------------------

Stage = tuple[str, Callable[[pd.DataFrame, pd.DataFrame], list[tuple]]]

STAGES: tuple[Stage, ...] = (
    # the stages of eesyscreener 0.3.1 ``screen_dfs``, in its order (the file-name stage runs first,
    # in :func:`screen`, as in ``screen_csv``)
    ("Precheck columns", _precheck_columns),
    ("Precheck cross-file", _precheck_cross),
    ("Check columns", _check_columns),
    ("Precheck meta", lambda d, m: _precheck_meta(m)),
    ("Check meta", _check_meta),
    ("Precheck time", lambda d, m: _precheck_time(d)),
    ("Precheck filters", _precheck_filters),
    ("Precheck geography", lambda d, m: _precheck_geog(d)),
    ("Check time", lambda d, m: _check_time(d)),
    ("Check filters", _check_filters),
    ("Check geography", _check_geog),
    ("Check general", lambda d, m: _general_dupes(d, m) + _general_null(d, m)),
    ("Check indicators", _check_indicators),
    ("Check harmonised", _check_harmonised),
    ("Check API", lambda d, m: _check_api(d, m) + _check_data_dict(d, m)),
)


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    return out


def screen(data: pd.DataFrame, meta: pd.DataFrame, file_name: str, *,
           meta_file_name: str | None = None, stop_on_fail: bool = True,
           deviations: Sequence = ()) -> list[ScreenResult]:
    """Screen one data/meta pair; see the module docstring. ``deviations`` are
    :class:`cin_pipeline.checks.deviations.Deviation` objects that apply to this file."""
    from cin_pipeline.checks.deviations import apply_deviations

    data, meta = _normalise(data), _normalise(meta)
    meta_file_name = meta_file_name or (file_name[:-4] + ".meta.csv" if file_name.endswith(".csv")
                                        else file_name + ".meta.csv")
    results: list[ScreenResult] = []

    def run(stage: str, rows: list[tuple]) -> bool:
        new = [ScreenResult(check=c, result=r, message=msg, stage=stage, items=items)
               for c, r, msg, items in rows]
        new = apply_deviations(new, deviations)
        results.extend(new)
        return any(r.result == FAIL for r in new)

    if run("filename", _filename_checks(file_name, meta_file_name)) and stop_on_fail:
        return results
    for stage, fn in STAGES:
        try:
            rows = fn(data, meta)
        except KeyError as e:  # a column a stage needs is absent (caught by an earlier FAIL)
            rows = [(f"{stage.lower().replace(' ', '_')}_error", FAIL,
                     f"Stage '{stage}' could not run: missing column {e}.", ())]
        if run(stage, rows) and stop_on_fail:
            break
    return results


def passed(results: Sequence[ScreenResult]) -> bool:
    """The screener's ``passed``: no FAIL."""
    return not any(r.result == FAIL for r in results)


def official_result(result: ScreenResult) -> str:
    """The result the official screener gives (before any accepted deviation)."""
    return result.original_result or result.result


def not_run(results: Sequence[ScreenResult]) -> list[ScreenResult]:
    """The checks reported NOT RUN (their reference list is not available)."""
    return [r for r in results if r.result == NOT_RUN]


def api_suitable(results: Sequence[ScreenResult]) -> bool | None:
    """The screener's ``api_suitable``, as the official screener gives it: the screening reached
    "Check API", no check FAILed and every "Check API" result (the data-dictionary checks
    included) is PASS. An accepted deviation changes nothing here: a file with an accepted FAIL
    or an accepted ``data_dict_col_name`` WARNING is not API suitable.

    None (unknown) when it is not known to be False and a check that decides it was NOT RUN: a
    "Check API" check, or a harmonised check (a harmonised FAIL would stop the screening before
    "Check API")."""
    api = [r for r in results if r.stage == "Check API"]
    if any(official_result(r) == FAIL for r in results) or not api:
        return False
    if any(official_result(r) not in (PASS, NOT_RUN) for r in api):
        return False
    return None if not_run(results) else True


def api_suitability(results: Sequence[ScreenResult]) -> str:
    """:func:`api_suitable` in words: "API suitable", "not API suitable: <why>" or
    "unknown (dictionary checks not run)" (and/or "harmonised checks not run")."""
    ok = api_suitable(results)
    if ok:
        return "API suitable"
    if ok is None:
        groups = [label for label, checks in (("dictionary", DICTIONARY_CHECKS),
                                              ("harmonised", HARMONISED_CHECKS))
                  if any(r.check in checks for r in not_run(results))]
        return f"unknown ({'; '.join(f'{g} checks not run' for g in groups)})"
    fails = [f"{r.check} FAIL" + (" (accepted deviation)" if r.deviation else "")
             for r in results if official_result(r) == FAIL and r.stage != "Check API"]
    notes = fails + [f"{r.check} {official_result(r)}" for r in api_warnings(results)]
    return "not API suitable: " + (", ".join(notes) or "the screening stopped before Check API")


def api_warnings(results: Sequence[ScreenResult]) -> list[ScreenResult]:
    """The "Check API" results that are WARNING or FAIL as the official screener gives them."""
    return [r for r in results if r.stage == "Check API" and official_result(r) in (WARNING, FAIL)]


def summary(results: Sequence[ScreenResult]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {PASS: [], FAIL: [], WARNING: [], NOT_RUN: []}
    for r in results:
        out[r.result].append(r.check)
    return out


def to_markdown(results: Sequence[ScreenResult], title: str = "EES screener") -> str:
    s = summary(results)
    api = api_suitable(results)
    api_text = "yes" if api else "no" if api is False else api_suitability(results)
    lines = [f"### {title}", "",
             f"{len(s[PASS])} passed, {len(s[FAIL])} failed, {len(s[WARNING])} warnings, "
             f"{len(s[NOT_RUN])} not run; API suitable: {api_text}", "",
             "| stage | check | result | message |", "|---|---|---|---|"]
    order = {FAIL: 0, WARNING: 1, NOT_RUN: 2, PASS: 3}
    for r in sorted(results, key=lambda r: order[r.result]):
        msg = r.message.replace("|", "\\|").replace("\n", " ")
        if r.deviation:
            msg = f"(accepted deviation: {r.deviation}; was {r.original_result}) {msg}"
        lines.append(f"| {r.stage} | `{r.check}` | {r.result} | {msg} |")
    return "\n".join(lines)


# --- meta files ---------------------------------------------------------------------------------

def _label(col: str) -> str:
    return col.replace("_", " ").strip().capitalize()


def published_meta(data: pd.DataFrame, filters: Sequence[str] = ("category",)) -> pd.DataFrame:
    """The ``.meta.csv`` a published wide CIN file would have: ``category`` (and any other named
    filter) as Filter with its single value as ``filter_default``; every other non-ob-unit column
    an Indicator, unit ``%`` and 1 dp for ``*_percent``, blank unit and 1 dp for ``*_rate``, else
    blank unit and 0 dp."""
    rows = []
    for c in data.columns:
        if c in OB_UNITS:
            continue
        if c in filters:
            vals = sorted(set(data[c].astype(str)))
            rows.append(dict(col_name=c, col_type="Filter", label=_label(c), indicator_grouping="",
                             indicator_unit="", indicator_dp="", filter_hint="",
                             filter_grouping_column="", filter_default=vals[0] if len(vals) == 1 else ""))
        else:
            pct, rate = c.lower().endswith("percent"), c.lower().endswith("rate")
            rows.append(dict(col_name=c, col_type="Indicator", label=_label(c), indicator_grouping="",
                             indicator_unit="%" if pct else "", indicator_dp="1" if pct or rate else "0",
                             filter_hint="", filter_grouping_column="", filter_default=""))
    return pd.DataFrame(rows, columns=list(REQ_META_COLS) + ["filter_default"])


def meta_from_spec(spec, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``.meta.csv`` rows implied by a ``TableSpec`` (the tables engineer's EES writer is the
    source of truth when it exists; this is used when no meta is stored)."""
    rows = []
    for f in spec.filters:
        default = f.default
        if not default and data is not None and f.name in data.columns:
            vals = sorted(set(data[f.name].astype(str)))
            default = "" if "Total" in vals else (vals[0] if len(vals) == 1 else "")
        rows.append(dict(col_name=f.name, col_type="Filter", label=f.label, indicator_grouping="",
                         indicator_unit="", indicator_dp="", filter_hint=f.hint,
                         filter_grouping_column=f.group_column, filter_default=default))
    for i in spec.indicators:
        rows.append(dict(col_name=i.name, col_type="Indicator", label=i.label, indicator_grouping="",
                         indicator_unit=i.unit, indicator_dp=str(i.dp), filter_hint="",
                         filter_grouping_column="", filter_default=""))
    return pd.DataFrame(rows, columns=list(REQ_META_COLS) + ["filter_default"])


def read_ees_csv(path) -> pd.DataFrame:
    """Read an EES data or meta CSV as text (the screener's view of the file)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def with_deviation(result: ScreenResult, reason: str) -> ScreenResult:
    return replace(result, result=PASS, deviation=reason, original_result=result.result)
