"""Conformance with the real published files (read-only, ../shared): headers, geography rows per
year, and the writer's cells when it is fed the published LA values.

The LA values come from ``reference.calibration()`` (the published LA figures, with suppressed
cells imputed so that they add up to the published England figures). Feeding them to the writer
must give back the published file: exactly for the header and the geography rows, exactly for
every count and percentage of LA rows without imputed inputs, exactly for the national counts.

Where our conventions knowingly differ from the published files' (``checks/deviations.py``,
``PUBLISHED_DEVIATIONS``), the difference is measured here on the real files: DfE's files leave
some ``c`` cells narrowable by arithmetic, which our suppression does not.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from cin_pipeline import reference
from cin_pipeline.checks.cross import geo_name
from cin_pipeline.checks.deviations import (
    SUPPRESS_NARROWABLE,
    SUPPRESS_SHARED_TOTALS,
    published_markdown,
)
from cin_pipeline.checks.disclosure import secondary_suppression
from cin_pipeline.ees import suppression
from cin_pipeline.ees.rows import build_rows
from cin_pipeline.reference.measures import MEASURES
from cin_pipeline.tables import get as get_table

FILES = {"b1": "b1_children_in_need_2013_to_2024.csv",
         "c1": "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv",
         "c3": "c3_factors_identified_at_end_of_assessment_2018_to_2024.csv",
         "d3": "d3_cpps_subsequent_plan_2013_to_2024.csv",
         "d5": "d5_cpps_at31march_by_duration_2013_to_2024.csv",
         "c4": "c4_children_in_need_section_47s_and_icpcs_2013_to_2025__2025release.csv"}
RELEASE = {"c4": 2025}
GEO = ["time_period", "geographic_level", "region_code", "region_name", "old_la_code",
       "new_la_code", "la_name"]
# Published row-order quirk: in B1, C1 and D3 of 2021, Darlington (841) precedes County Durham (840).
ORDER_QUIRKS = {("b1", "2021"), ("c1", "2021"), ("d3", "2021")}
# The 2025-release C4 writes the pre-2019 GSS codes of Gateshead and Northumberland for 2013-2019;
# the 2024 release (and our LA lookup) uses the current codes for every year.
C4_OLD_CODES = {"E08000020": "E08000037", "E06000048": "E06000057"}
# The 2023 release's C4 header (C4cat23), which the 2024 file follows, is the 2025 file's with a
# rate per 10,000 after each of these counts.
C4_RATES = ("Section47", "Section47_child", "ICPC", "ICPC_child")
# LA rows of the real files with a c that its row's shown cells and additive identity narrow to
# fewer values than 1-5 (the recorded deviation SUPPRESS_NARROWABLE; measured)
NARROWABLE = {"b1": 2, "c4": 36, "d5": 14}
# LA rows of the real files showing a count shared between tables that is an identity's total,
# from 6 to its threshold P + 3 (our files hide it: the recorded deviation SUPPRESS_SHARED_TOTALS)
SHARED_TOTAL_SHOWN = {"b1": 8, "c1": 6, "d3": 2, "d5": 2}
# of which rows whose shown cells leave less than 1 for each c (the identity does not hold: C4
# ICPC above its duration bands by less than the number of c bands, e.g. North Lincolnshire 2018)
CONTRADICTORY = {"c4": 5}


def expected_header(tid: str, published_columns: list[str]) -> list[str]:
    if tid != "c4":
        return published_columns
    return [c for col in published_columns for c in ((col, f"{col}_rate") if col in C4_RATES else (col,))]


def get(code: str):
    """The declared table of the Children in need release with this code (the file prefix and the
    data set name of ``reference.measures.MEASURES``)."""
    return get_table(f"children_in_need.{code}")


@lru_cache(maxsize=None)
def _published(shared: str, tid: str) -> pd.DataFrame:
    df = pd.read_csv(f"{shared}/reference/published/{FILES[tid]}", dtype=str, keep_default_na=False)
    if tid == "c4":
        df["new_la_code"] = df["new_la_code"].replace(C4_OLD_CODES)
    return df


@lru_cache(maxsize=None)
def _ours(tid: str) -> pd.DataFrame:
    spec = get(tid)
    cal = reference.calibration()
    m = {meas: col for meas, (ds, col, _c25) in MEASURES.items() if ds == tid}
    counts = cal[["year", "la", *m]].rename(columns=m)
    first = next(iter(m.values()))
    counts = counts[counts[first].notna()].copy()
    for c in m.values():
        counts[c] = pd.to_numeric(counts[c]).fillna(0).astype("int64")
    return build_rows(spec, counts, RELEASE.get(tid, 2024)).data


@pytest.mark.parametrize("tid", list(FILES))
def test_header_identical(shared_dir, tid):
    pub = _published(str(shared_dir), tid)
    assert get(tid).columns() == expected_header(tid, list(pub.columns))
    assert get(tid).file_name(2024) == FILES[tid].replace("_2013_to_2025__2025release", "_2013_to_2024") \
        if tid == "c4" else get(tid).file_name(2024) == FILES[tid]


@pytest.mark.parametrize("tid", list(FILES))
def test_geography_rows_per_year(shared_dir, tid):
    pub = _published(str(shared_dir), tid)
    ours = _ours(tid)
    assert len(ours) == len(pub)
    for year, p in pub.groupby("time_period", sort=False):
        o = ours[ours.time_period == year]
        assert sorted(map(tuple, o[GEO].values)) == sorted(map(tuple, p[GEO].values)), year
        if (tid, year) not in ORDER_QUIRKS:
            assert o[GEO].values.tolist() == p[GEO].values.tolist(), year
    # years newest first, National then 11 Regional then the LAs
    assert ours.time_period.tolist() == pub.time_period.tolist()
    assert ours.geographic_level.tolist() == pub.geographic_level.tolist()


@pytest.mark.parametrize("tid", list(FILES))
def test_cells_match_published(shared_dir, tid):
    spec = get(tid)
    pub = _published(str(shared_dir), tid)
    ours = _ours(tid)
    counts = [i.name for i in spec.indicators if i.kind == "count"]
    pcts = [i.name for i in spec.indicators if i.kind == "percent"]
    cal = reference.calibration()
    imputed = {(str(y), la): str(v) for y, la, v in zip(cal.year, cal.la, cal.imputed.fillna(""))}
    la = ours.geographic_level == "Local authority"
    exact = la & np.array([imputed.get((y, c), "?") == "" for y, c in zip(ours.time_period, ours.old_la_code)])
    assert exact.sum() > 150
    cols = counts + pcts
    # every LA count and percentage (incl. c, x, u, z) where no input was imputed
    assert (ours[exact][cols].values == pub[exact][cols].values).all()
    # every status row (x/u for the whole LA row) as published
    status = la & pub[cols[0]].isin(["x", "u"]) & (pub[cols].nunique(axis=1) == 1)
    assert (ours[status][cols].values == pub[status][cols].values).all()
    if tid != "c3":   # C3 totals include imputations for codes not collected by every LA
        nat = ours.geographic_level == "National"
        assert (ours[nat][counts].values == pub[nat][counts].values).all()
    rates = [i.name for i in spec.indicators if i.kind == "rate" and i.name in pub.columns]
    if rates:   # rates depend on the reference populations (backed out of the published rates)
        match = (ours[exact][rates].values == pub[exact][rates].values).mean()
        assert match > 0.98, match


def test_special_rows_2024(shared_dir):
    b1 = _ours("b1")
    pub = _published(str(shared_dir), "b1")
    for la in ("850", "201", "420", "204"):
        for year in ("2024", "2022", "2021"):
            o = b1[(b1.time_period == year) & (b1.old_la_code == la)]
            p = pub[(pub.time_period == year) & (pub.old_la_code == la)]
            assert o.iloc[:, :11].values.tolist() == p.iloc[:, :11].values.tolist()
    ham = b1[(b1.time_period == "2024") & (b1.old_la_code == "850")].iloc[0]
    assert set(ham.iloc[11:]) == {"u"}
    nat = b1[(b1.time_period == "2024") & (b1.geographic_level == "National")].iloc[0]
    assert nat.At31_episodes == "399460"    # LA sum without Hampshire 390,092 + Hampshire 2023 9,368


def _narrowable_rows(shared: str, tid: str) -> pd.DataFrame:
    """The published LA rows the disclosure audit flags for a narrowable c."""
    pub = _published(shared, tid)
    res = secondary_suppression(pub, tid, get(tid).identities)
    flagged = {(d["year"], d["geography"]) for d in res.details}
    la = pub[pub.geographic_level == "Local authority"]
    return la[[(y, geo_name(r)) in flagged for y, (_, r) in zip(la.time_period, la.iterrows())]]


@pytest.mark.parametrize("tid", list(FILES))
def test_published_narrowable_cells_are_a_recorded_deviation(shared_dir, tid):
    """Every published file with a narrowable c is covered by the recorded deviation, and the
    number of such rows is as measured (a new one in a new release is a finding to record)."""
    rows = _narrowable_rows(str(shared_dir), tid)
    assert len(rows) == NARROWABLE.get(tid, 0)
    assert sum(_contradictory(get(tid), r) for _, r in rows.iterrows()) == CONTRADICTORY.get(tid, 0)
    assert (get(tid).table_id in SUPPRESS_NARROWABLE.tables) == bool(len(rows))


@pytest.mark.parametrize("tid", list(FILES))
def test_published_small_shared_totals_are_a_recorded_deviation(shared_dir, tid):
    """Rows where DfE's file shows a shared total that our files hide are counted as measured,
    and the tables holding them are the recorded deviation's."""
    spec = get(tid)
    pub = _published(str(shared_dir), tid)
    la = pub[pub.geographic_level == "Local authority"]
    shown = pd.Series(False, index=la.index)
    for col, top in suppression.shared_totals(spec).items():
        v = pd.to_numeric(la[col], errors="coerce")
        shown |= (v > suppression.HIGH) & (v <= top)
    assert int(shown.sum()) == SHARED_TOTAL_SHOWN.get(tid, 0)
    assert (spec.table_id in SUPPRESS_SHARED_TOTALS.tables) == bool(shown.any())


def _contradictory(spec, row: pd.Series) -> bool:
    shown = {c: int(row[c]) for c in spec.count_columns if row[c] != "c"}
    hidden = {c for c in spec.count_columns if row[c] == "c"}
    return any(lo > hi for lo, hi in suppression.hidden_ranges(spec.identities, shown, hidden).values())


def _completion(spec, row: pd.Series) -> dict[str, int]:
    """Counts that give the published row: each c of an identity set to the least value its range
    allows once the cells before it are set (so the sums hold), any other c to 1."""
    counts = {c: int(row[c]) for c in spec.count_columns if row[c] != "c"}
    for c in (c for c in spec.count_columns if row[c] == "c"):
        hidden = {h for h in spec.count_columns if row[h] == "c" and h not in counts}
        counts[c] = suppression.hidden_ranges(spec.identities, counts, hidden).get(c, (suppression.LOW,))[0]
    return counts


@pytest.mark.parametrize("tid", list(NARROWABLE))
def test_we_hide_more_where_the_published_row_is_narrowable(shared_dir, tid):
    """For each narrowable published row, counts that reproduce it: our suppression hides every
    cell DfE hid and more, and no c of ours can be narrowed."""
    spec = get(tid)
    rows = [r for _, r in _narrowable_rows(str(shared_dir), tid).iterrows() if not _contradictory(spec, r)]
    assert len(rows) == NARROWABLE[tid] - CONTRADICTORY.get(tid, 0)
    for row in rows:
        counts = _completion(spec, row)
        theirs = {c for c in spec.count_columns if row[c] == "c"}
        ours = suppression.suppressed_counts(spec, counts)
        assert theirs < ours, (row.time_period, row.la_name)
        shown = {c: v for c, v in counts.items() if c not in ours}
        assert not suppression.exposed_cells(spec.identities, shown, ours), (row.time_period, row.la_name)


@pytest.mark.parametrize("tid", list(FILES))
def test_our_files_pass_the_disclosure_audit(tid):
    spec = get(tid)
    pcts = [(i.name, i.numerator, i.denominator) for i in spec.indicators if i.kind == "percent"]
    res = secondary_suppression(_ours(tid), tid, spec.identities, pcts)
    assert res.passed, res.message


def test_architecture_doc_lists_the_published_deviations():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md").read_text()
    block = doc.split("<!-- published-deviations:start -->\n", 1)[1].split(
        "\n<!-- published-deviations:end -->", 1)[0]
    assert block == published_markdown(), "regenerate the list in docs/ARCHITECTURE.md from checks/deviations.py"
