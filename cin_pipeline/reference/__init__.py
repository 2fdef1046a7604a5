"""Reference data every stage needs: LA codes, populations, LA-year status and calibration targets.

All tables are committed CSVs in ``data/reference/`` (``cin_pipeline.settings.REFERENCE_DIR``),
derived from the real published DfE files by ``cin-pipeline reference
/work/shared/reference/published`` (see ``build.py`` and ``data/reference/SOURCES.md``). Nothing
here reads ``/work/shared`` at run time. Every loader is cached and returns a fresh copy.

LA lookup (``la_lookup.csv``)
    One row per LA code-period: ``old_la_code`` (3-digit DfE code, text), ``new_la_code`` (GSS),
    ``la_name``, ``region_code``/``region_name`` (the real region, E12000007 London for every
    London borough), ``london_group_code``/``london_group_name`` (Inner London E13000001 / Outer
    London E13000002 for London boroughs, blank otherwise), ``first_year``/``last_year`` (the
    reporting years in which that row appears in the published B1 files: 2024 release for
    2013-2024, 2025 release for 2025). LA rows per year: 152 (2013-2019), 151 (2020-2021),
    152 (2022-2023), 153 (2024-2025).

    What the published files do with London (checked in B1 2024 and 2025 releases, and C1, C3,
    C4, D3, D5): the regional rows are the nine regions E12000001-E12000009 (London
    E12000007 included) followed by Inner London E13000001 and Outer London E13000002, all with
    ``geographic_level = Regional`` (11 regional rows a year). The **LA rows of London boroughs
    never carry E12000007**: their ``region_code``/``region_name`` is the Inner or Outer London
    code and name. LA rows are ordered by that published region (E12000001..E12000009 without
    London, then E13000001, then E13000002) and by ``la_name`` within it; ``las_for_year``
    returns that order and a ``published_region_code``/``published_region_name`` pair to write.
    One quirk: County Durham (840) is sorted as "Durham", i.e. after Darlington (841), in every
    file up to 2020 and, in 2021, in B1, C1 and D3 (but not C3, C4, D5); ``las_for_year`` uses
    the "Durham" position up to 2020 and the alphabetical one from 2021.
    The C4 file (2025 release) alone writes the pre-2014 GSS codes of Gateshead (E08000020)
    and Northumberland (E06000048) on its 2013-2019 rows; B1, C1, C3, D3, D5 and this lookup use
    E08000037 and E06000057 for every year.
    Greenwich (203) is in Outer London, Haringey (309) and Newham (316) in Inner London, as
    in the files.

    Code changes in the files: 2020 Bournemouth 837, Poole 836 and Dorset CC 835 (E10000009)
    replaced by Bournemouth, Christchurch and Poole 839 (E06000058) and Dorset 838 (E06000059);
    2021 Buckinghamshire 825 recoded E10000002 -> E06000060; 2022 Northamptonshire 928 replaced
    by North 940 / West 941 Northamptonshire; 2024 Cumbria 909 replaced by Cumberland 942 and
    Westmorland and Furness 943, North Yorkshire 815 recoded E10000023 -> E06000065 and
    Somerset 933 recoded E10000027 -> E06000066 (3-digit codes kept).

Population (``population_0_17.csv``)
    ``year, geographic_level, code, population, source``: the 0-17 denominator of rates per
    10,000 for reporting year ``year`` (LA 3-digit code, region code or E92000001). For
    2013-2024 the value is backed out of the B1/C1 2024-release rates: every published
    (count, rate) pair bounds the population; the ONS mid-year ``year-1`` estimate is used when it
    is inside the bounds (``ons``), else for regions/England the sum of the LA values
    (``sum_of_la``), else the middle of the bounds (``implied``; 2023 and 2024 used an older ONS
    vintage). LAs whose rates are all suppressed get ONS ``year-1`` scaled by their region's
    ratio (``ons_scaled``). 2025 uses ONS mid-2024 (2025-release file).

LA-year status (``la_year_status.csv``)
    ``year, la, status, carry_forward_from, note, scope, files``: every LA-year where all values
    of a published file are ``x`` (not available) or ``u`` (low reliability). ``scope`` is
    ``whole_return`` when every file of that year shows it, else ``per_file`` (``files`` lists
    them). Isles of Scilly (420) and City of London (201) are never whole-file ``x``/``u``: they
    only have small-number suppression ``c`` (and ``z``) in individual cells.

Calibration (``calibration_la_year.csv``) and ``national_published.csv``
    See ``build.py`` for the imputation rule and ``measures.py`` for column mappings.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from cin_pipeline.census.spec import LOOKBACK_YEAR, layout_year
from cin_pipeline.settings import REFERENCE_DIR

__all__ = [
    "la_lookup", "las_for_year", "la_codes", "all_la_codes", "regions", "successor_codes",
    "population", "population_for", "la_year_status", "calibration", "national_published",
    "ENGLAND_CODE", "FIRST_YEAR", "LAST_YEAR",
]

ENGLAND_CODE = "E92000001"
FIRST_YEAR, LAST_YEAR = 2013, 2025
"""Reporting years covered by the published files (the product may also run 2026 with 2025 LAs)."""

_STR = {"old_la_code": str, "new_la_code": str, "la": str, "code": str, "region_code": str,
        "london_group_code": str, "london_group_name": str, "note": str, "imputed": str,
        "files": str, "scope": str}


@lru_cache(maxsize=None)
def _load(name: str) -> pd.DataFrame:
    # blanks in text columns stay "", blanks in numeric columns become <NA>; whole numbers are Int64
    df = pd.read_csv(REFERENCE_DIR / f"{name}.csv", dtype=_STR, keep_default_na=False)
    for c in df.columns:
        if c in _STR:
            continue
        if df[c].dtype == object or str(df[c].dtype) in ("str", "string"):
            num = pd.to_numeric(df[c].replace("", None), errors="coerce")
            if num.notna().sum() or (df[c] == "").all():
                df[c] = num
        if pd.api.types.is_float_dtype(df[c]) and (df[c].dropna() % 1 == 0).all():
            df[c] = df[c].astype("Int64")
    return df


def la_lookup() -> pd.DataFrame:
    """Every LA code-period (see module docstring), in published order."""
    return _load("la_lookup").copy()


def la_names() -> dict[str, str]:
    """3-digit LA code -> LA name, for every code in the lookup (a code keeps one name in every
    period it was valid)."""
    lk = la_lookup()
    return dict(zip(lk["old_la_code"].astype(str), lk["la_name"].astype(str)))


def _clamp(year: int) -> int:
    return min(max(int(year), FIRST_YEAR), LAST_YEAR) if year > LAST_YEAR else int(year)


def las_for_year(year: int) -> pd.DataFrame:
    """LAs valid in reporting ``year`` (years after 2025 use the 2025 LAs), in published order,
    with ``published_region_code``/``published_region_name`` as the EES files write them on LA rows
    (Inner/Outer London for London boroughs)."""
    if int(year) < LOOKBACK_YEAR:
        raise ValueError(f"no LA geography before {LOOKBACK_YEAR}: {year}")
    y = _clamp(layout_year(year))  # the 2011-12 look-back census has the 2012-13 LAs
    lk = la_lookup()
    from cin_pipeline.reference.build import order_las

    return order_las(lk, y, regions()["region_code"].tolist())


def la_codes(year: int) -> list[str]:
    """3-digit codes of the LAs valid in ``year``, in published order."""
    return las_for_year(year)["old_la_code"].tolist()


def all_la_codes() -> list[str]:
    """Every 3-digit LA code valid in any year 2013-2025, sorted."""
    return sorted(set(la_lookup()["old_la_code"]))


def regions() -> pd.DataFrame:
    """``region_code, region_name``: the 9 regions then Inner and Outer London, in published order."""
    rows = [
        ("E12000001", "North East"), ("E12000002", "North West"),
        ("E12000003", "Yorkshire and The Humber"), ("E12000004", "East Midlands"),
        ("E12000005", "West Midlands"), ("E12000006", "East of England"),
        ("E12000007", "London"), ("E12000008", "South East"), ("E12000009", "South West"),
        ("E13000001", "Inner London"), ("E13000002", "Outer London"),
    ]
    return pd.DataFrame(rows, columns=["region_code", "region_name"])


# Retired 3-digit code -> (first year without it, codes covering its area). Christchurch was part
# of Dorset CC (835), so 835 feeds both 838 Dorset and 839 Bournemouth, Christchurch and Poole.
_SUCCESSORS: dict[str, tuple[int, tuple[str, ...]]] = {
    "835": (2020, ("838", "839")),
    "836": (2020, ("839",)),
    "837": (2020, ("839",)),
    "928": (2022, ("940", "941")),
    "909": (2024, ("942", "943")),
}


def successor_codes() -> dict[str, tuple[int, list[str]]]:
    """Retired 3-digit code -> (year of the change, codes that replaced it).

    Only codes that disappear are listed; recodings that keep the 3-digit code (825 in 2021,
    815 and 933 in 2024) change ``new_la_code`` only. The tests check this table against the
    lookup (each retired code's last year is the change year - 1, each successor's first year is
    the change year)."""
    return {k: (y, list(v)) for k, (y, v) in _SUCCESSORS.items()}


def population() -> pd.DataFrame:
    """``year, geographic_level, code, population, source`` (0-17 rate denominators)."""
    return _load("population_0_17").copy()


def population_for(year: int) -> dict[str, int]:
    """Denominators for reporting ``year``: {LA 3-digit code / region code / E92000001: population}.
    Years after 2025 reuse 2025."""
    p = _load("population_0_17")
    y = _clamp(year)
    sel = p[p["year"] == y]
    if sel.empty:
        raise ValueError(f"no population for {year}")
    return {c: int(v) for c, v in zip(sel["code"], sel["population"])}


def la_year_status() -> pd.DataFrame:
    """``year, la, status (x/u), carry_forward_from, note, scope, files``."""
    return _load("la_year_status").copy()


def calibration() -> pd.DataFrame:
    """Published LA values per (year, la), 2013-2025, suppressed cells imputed (``imputed`` lists them)."""
    return _load("calibration_la_year").copy()


def national_published() -> pd.DataFrame:
    """Published England figures per year 2013-2025 (counts, four percentages, population)."""
    return _load("national_published").copy()
