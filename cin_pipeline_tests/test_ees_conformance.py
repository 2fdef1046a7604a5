"""Conformance with the real published files (read-only, ../shared): headers, geography rows per
year, and the writer's cells when it is fed the published LA values.

The LA values come from ``reference.calibration()`` (the published LA figures, with suppressed
cells imputed so that they add up to the published England figures). Feeding them to the writer
must give back the published file: exactly for the header and the geography rows, exactly for
every count and percentage of LA rows without imputed inputs, exactly for the national counts.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from cin_pipeline import reference
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
