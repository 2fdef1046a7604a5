"""Reference data: LA lookup, populations, status, calibration targets against the published files.

The committed CSVs in data/reference/ are checked against the real DfE files in ../shared (tests
may read ../shared; the product never does).
"""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

from cin_pipeline import reference as ref
from cin_pipeline.cli import reference as cli_reference
from cin_pipeline.cli.reference import published_datasets
from cin_pipeline.reference import build
from cin_pipeline.reference.measures import FACTOR_MEASURE_CODES, MEASURES

EXPECTED_LA_COUNTS = {**{y: 152 for y in range(2013, 2020)}, 2020: 151, 2021: 151, 2022: 152,
                      2023: 152, 2024: 153, 2025: 153}


@pytest.fixture(scope="module")
def published(shared_dir):
    return build.Published(shared_dir / "reference" / "published", published_datasets())


def _la_rows(pub: build.Published, ds: str) -> pd.DataFrame:
    df = pd.concat([d for d, _ in pub.rows(ds)], ignore_index=True)
    return df[df["geographic_level"] == "Local authority"]


# ----------------------------------------------------------------------------- LA lookup
def test_la_counts_per_year():
    for year, n in EXPECTED_LA_COUNTS.items():
        assert len(ref.la_codes(year)) == n, year
        assert len(set(ref.la_codes(year))) == n
    assert ref.la_codes(2026) == ref.la_codes(2025)


def test_lookup_columns_and_codes():
    lk = ref.la_lookup()
    assert list(lk.columns) == ["old_la_code", "new_la_code", "la_name", "region_code", "region_name",
                                "london_group_code", "london_group_name", "first_year", "last_year"]
    assert lk["old_la_code"].str.fullmatch(r"\d{3}").all()
    assert lk["new_la_code"].str.fullmatch(r"E\d{8}").all()
    assert "E12000007" in set(lk["region_code"]) and not lk["region_code"].str.startswith("E13").any()
    london = lk[lk["region_code"] == "E12000007"]
    assert len(london) == 33 and set(london["london_group_code"]) == {"E13000001", "E13000002"}
    assert (lk.loc[lk["region_code"] != "E12000007", "london_group_code"] == "").all()
    codes = ref.all_la_codes()
    assert len(codes) == 158 and codes == sorted(codes)
    # recodings keep the 3-digit code with a new GSS code
    for code, year, old, new in [("825", 2021, "E10000002", "E06000060"), ("815", 2024, "E10000023", "E06000065"),
                                 ("933", 2024, "E10000027", "E06000066")]:
        rows = lk[lk["old_la_code"] == code].set_index("new_la_code")
        assert rows.loc[old, "last_year"] == year - 1 and rows.loc[new, "first_year"] == year


@pytest.mark.parametrize("ds", ["b1", "c1", "c3", "c4", "d3", "d5"])
def test_every_published_la_row_is_in_the_lookup_in_published_order(published, ds):
    la = _la_rows(published, ds)
    for year, rows in la.groupby("year"):
        mine = ref.las_for_year(year)
        if year == 2021 and ds in ("b1", "c1", "d3"):  # County Durham still sorted as "Durham"
            first_two = mine.index[:2]
            mine = mine.loc[[first_two[1], first_two[0], *mine.index[2:]]]
        assert rows["old_la_code"].tolist() == mine["old_la_code"].tolist(), (ds, year)
        gss = rows["new_la_code"].tolist()
        if ds == "c4" and year <= 2019:  # C4 alone keeps the pre-2014 codes of Gateshead, Northumberland
            gss = [{"E08000020": "E08000037", "E06000048": "E06000057"}.get(g, g) for g in gss]
        assert gss == mine["new_la_code"].tolist(), (ds, year)
        assert rows["la_name"].tolist() == mine["la_name"].tolist(), (ds, year)
        # the files write Inner/Outer London as the region of London boroughs' LA rows
        assert rows["region_code"].tolist() == mine["published_region_code"].tolist(), (ds, year)


def test_regions_in_published_order(published):
    geo = published.b1_geography()
    reg = geo[(geo["geographic_level"] == "Regional") & (geo["year"] == 2024)]
    assert reg["region_code"].tolist() == ref.regions()["region_code"].tolist()
    assert reg["region_name"].tolist() == ref.regions()["region_name"].tolist()


def test_successor_codes_match_the_lookup():
    lk = ref.la_lookup()
    first = lk.groupby("old_la_code")["first_year"].min()
    last = lk.groupby("old_la_code")["last_year"].max()
    succ = ref.successor_codes()
    assert set(succ) == set(last[last < 2025].index) == {"835", "836", "837", "909", "928"}
    assert succ["909"] == (2024, ["942", "943"]) and succ["928"] == (2022, ["940", "941"])
    for old, (year, new) in succ.items():
        assert last[old] == year - 1
        assert all(first[c] == year for c in new)


# ----------------------------------------------------------------------------- population
def test_population_reproduces_published_rates(published):
    pop = ref.population().set_index(["year", "code"])["population"]
    total = ok = 0
    for ds, count_col, rate_col in build.RATE_PAIRS:
        df, _ = published.rows(ds)[0]
        la = df[df["geographic_level"] == "Local authority"]
        n, r = build._num(la[build._col(la, count_col)]), build._num(la[build._col(la, rate_col)])
        m = n.notna() & r.notna()
        p = np.array([pop[(y, c)] for y, c in zip(la["year"][m], la["code"][m])])
        calc = np.round(n[m].to_numpy() / p * 10000, 1)
        total += int(m.sum())
        ok += int((np.abs(calc - r[m].to_numpy()) < 1e-6).sum())
    assert total > 15000 and ok / total >= 0.99


def test_population_reproduces_regional_and_national_rates(published):
    pop = ref.population().set_index(["year", "code"])["population"]
    b1, _ = published.rows("b1")[0]
    areas = b1[b1["geographic_level"] != "Local authority"]
    # published area counts are rounded to 10 while the rates use exact counts (count +- 5)
    n, r = build._num(areas["Anypoint_episodes"]), build._num(areas["Anypoint_episodes_rate"])
    p = np.array([pop[(y, c)] for y, c in zip(areas["year"], areas["code"])])
    assert len(p) == 12 * 12
    tolerance = 0.05 + 5 / p * 10000 + 1e-9
    assert (np.abs(n.to_numpy() / p * 10000 - r.to_numpy()) <= tolerance).all()


def test_population_covers_every_geography_and_year():
    p = ref.population()
    for year, n in EXPECTED_LA_COUNTS.items():
        sel = p[p["year"] == year]
        assert set(sel.loc[sel["geographic_level"] == "Local authority", "code"]) == set(ref.la_codes(year))
        assert len(sel[sel["geographic_level"] == "Regional"]) == 11
        d = ref.population_for(year)
        assert (sel["population"] > 0).all() and "E92000001" in d
    # 2025 = ONS mid-2024 (2025-release file); earlier England values near 11.4-12.1 million
    assert ref.population_for(2025)["E92000001"] == 12183016
    assert 11_000_000 < ref.population_for(2013)["E92000001"] < 11_500_000
    # LA denominators add up to England (within 0.1%)
    for year in (2013, 2020, 2024):
        d = ref.population_for(year)
        assert abs(sum(d[c] for c in ref.la_codes(year)) / d["E92000001"] - 1) < 1e-3


# ----------------------------------------------------------------------------- status
def test_status_rows():
    st = ref.la_year_status().set_index(["year", "la"])
    assert st.loc[(2021, "204"), "status"] == "x" and st.loc[(2021, "204"), "carry_forward_from"] == 2020
    assert st.loc[(2022, "204"), "status"] == "x" and st.loc[(2022, "204"), "carry_forward_from"] == 2020
    assert st.loc[(2024, "850"), "status"] == "u" and st.loc[(2024, "850"), "carry_forward_from"] == 2023
    assert st.loc[(2024, "850"), "scope"] == "whole_return"
    here = st.loc[(2024, "884")]
    assert here["status"] == "u" and here["scope"] == "per_file" and here["files"] == "c1;c3"
    assert st.loc[(2013, "926"), "scope"] == "whole_return"
    # Isles of Scilly and City of London only have cell suppression, never a whole-file status
    assert not {"420", "201"} & set(st.index.get_level_values("la"))


# ----------------------------------------------------------------------------- calibration
def test_calibration_shape_and_types():
    cal = ref.calibration()
    keys = set(zip(cal["year"], cal["la"]))
    assert len(keys) == len(cal) == sum(EXPECTED_LA_COUNTS.values())
    for year in EXPECTED_LA_COUNTS:
        assert cal.loc[cal["year"] == year, "la"].tolist() == ref.la_codes(year)
    for m in MEASURES:
        v = cal[m].dropna()
        assert (v >= 0).all() and pd.api.types.is_integer_dtype(cal[m]), m
    assert cal["population_0_17"].notna().all()
    assert FACTOR_MEASURE_CODES["factor_privately_fostered"] == ("8B", "8C", "8D", "8E", "8F")
    # items not collected stay blank: C3 before 2018, factor 24A before 2022
    assert cal.loc[cal["year"] < 2018, "episodes_with_factor"].isna().all()
    assert cal.loc[cal["year"] < 2022, "factor_24A"].isna().all()
    assert cal.loc[cal["year"] >= 2022, "factor_24A"].notna().all()


def test_calibration_sums_match_national_figures():
    cal = ref.calibration()
    nat = ref.national_published().set_index("year")
    for m in MEASURES:
        sums = cal.groupby("year")[m].sum(min_count=1)
        for year, target in nat[m].dropna().items():
            assert abs(sums[year] - target) <= max(10, 0.005 * target), (m, year, sums[year], target)
    for m in ("referrals", "at31_episodes", "cpp_start"):
        assert nat[m].notna().all()


def test_carry_forward_values_and_published_examples():
    cal = ref.calibration().set_index(["year", "la"])
    b1 = ["anypoint_episodes", "at31_episodes", "started_episodes", "referrals", "cpp_start"]
    assert (cal.loc[(2024, "850"), b1] == cal.loc[(2023, "850"), b1]).all()
    assert (cal.loc[(2021, "204"), b1] == cal.loc[(2020, "204"), b1]).all()
    assert cal.loc[(2023, "850"), "at31_episodes"] == 9368  # published Hampshire 2023 (unrounded)
    assert "at31_episodes" in cal.loc[(2024, "850"), "imputed"]
    assert cal.loc[(2023, "850"), "imputed"] == ""
    assert abs(cal.loc[(2024, "884"), "referrals"] - 806) <= 5  # Herefordshire 2024 (u in C1)


def test_imputed_breakdowns_add_up_to_their_totals():
    cal = ref.calibration()
    durations = cal[[f"cpp_at31_{d}" for d in ("le3m", "3to6m", "6to12m", "1to2y", "2yplus")]].sum(axis=1)
    gap = (durations - cal["cpp_at31"]).abs()
    assert gap.max() <= 5 and (gap == 0).mean() > 0.95


def test_national_published_matches_files(published):
    nat = ref.national_published().set_index("year")
    assert list(nat.index) == list(range(2013, 2026))
    assert nat.loc[2024, "at31_episodes"] == 399460 and nat.loc[2024, "referrals"] == 621880
    assert nat.loc[2025, "referrals"] == 632830 and nat.loc[2025, "at31_episodes"] == 402400
    assert nat.loc[2024, "re_referrals_percent"] == pytest.approx(22.4)
    assert nat.loc[2025, "cpp_subsequent_percent"] == pytest.approx(24.5)
    assert nat.loc[2024, "cpp_start"] == 62110 and nat.loc[2025, "s47"] == 230590


# ----------------------------------------------------------------------------- derivation
def test_committed_csvs_are_the_build_output(shared_dir, tmp_path):
    assert cli_reference.run(shared_dir / "reference" / "published", tmp_path) == 0
    for name in ("la_lookup", "population_0_17", "la_year_status", "national_published", "calibration_la_year"):
        assert filecmp.cmp(tmp_path / f"{name}.csv", ref.REFERENCE_DIR / f"{name}.csv", shallow=False), name


def test_residual_share_is_what_england_leaves_for_the_unpublished_las():
    """D7: an LA-year LAIT does not publish takes England's count less the published LAs', over
    England's base less theirs (regions and LAs outside the calibration left out); a published
    LA-year keeps its own share."""
    rows = [("CPRDuration", "england", "100"), ("CPPlans2yrs", "england", "4.0"),  # base 2,500
            ("CPRDuration", "301", "60"), ("CPPlans2yrs", "301", "5.0"),  # base 1,200
            ("CPRDuration", "302", "20"), ("CPPlans2yrs", "302", "2.5"),  # base 800
            ("CPRDuration", "303", "x"), ("CPPlans2yrs", "303", "x"),
            ("CPRDuration", "986", "70"), ("CPPlans2yrs", "986", "4.0")]  # a region
    lait = pd.DataFrame([{"measure": m, "year": 2024, "la": la, "la_name": la, "value": v} for m, la, v in rows])
    assert build.residual_shares(lait, "CPRDuration", "CPPlans2yrs", {"301", "302", "303"}) == {2024: 4.0}
    la_years = pd.DataFrame({"year": [2024, 2024, 2024], "la": ["301", "302", "303"]})
    others = [m for m in [*build.LAIT_TARGETS.values(), *sum(build.LAIT_BAND_TARGETS.values(), ())]
              if m != "CPPlans2yrs"]
    england = pd.DataFrame([{"measure": m, "year": 2024, "la": "england", "la_name": "England", "value": "10"}
                            for m in others])
    out = build.lait_targets(pd.concat([lait, england], ignore_index=True), la_years)
    assert out["lait_d7_2yplus_pct"].tolist() == [5.0, 2.5, 4.0]
    # England's count all published: no residual share, the LA's own nearest year (none: England's)
    lait.loc[lait["la"].eq("england") & lait["measure"].eq("CPRDuration"), "value"] = "80"
    assert build.residual_shares(lait, "CPRDuration", "CPPlans2yrs", {"301", "302", "303"}) == {}
