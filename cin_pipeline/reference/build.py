"""Re-derive the committed reference CSVs from the published DfE files.

Run::

    cin-pipeline reference ../shared/reference/published [--out data/reference]

It reads the real published files (2024 release in the folder itself, 2025 release in
``other_releases/``, C4 and the ONS population file from the 2025 release) and writes, into
``data/reference/`` (``cin_pipeline.settings.REFERENCE_DIR``):

* ``la_lookup.csv``           one row per LA code-period (see ``cin_pipeline.reference``),
* ``population_0_17.csv``     rate denominators per reporting year and geography,
* ``la_year_status.csv``      LA-years published as ``x`` (not available) or ``u`` (low reliability),
* ``national_published.csv``  the published England figures per year,
* ``calibration_la_year.csv`` published LA values per year with suppressed cells imputed, and
  the LAIT percentages the generator follows (see *LAIT targets*).

The run is deterministic: the committed CSVs are exactly its output. The product never reads
the published folder at run time; only this script (and tests) do.

Imputation rule (calibration_la_year.csv)
-----------------------------------------
For every measure and year in which England has a published figure:

1. LA-years in ``la_year_status.csv`` with a ``carry_forward_from`` year take that year's value,
   as the publication itself does (Hackney 2021 and 2022 carry 2020, Hampshire 2024 carries 2023).
2. The residual = England figure - sum of the known LA values (including carried values).
3. Every LA whose cell is still missing (``c``, ``x``, ``u``, ``z`` or blank) gets an estimate:
   its own value in the nearest year with a published value (earlier year on ties) times the
   national trend (England figure this year / England figure that year); an LA with no
   published value in any year gets its share of the 0-17 population times the England figure.
4. ``max(residual, 0)`` is shared among the missing LAs in proportion to those estimates and
   rounded to integers by largest remainder, so the LA values are non-negative integers and their
   sum equals the England figure (published to the nearest 10) unless the residual is negative,
   which only happens when all missing cells are small suppressed counts (then they get 0).
5. Breakdowns with a row total (D5 CPP durations -> ``cpp_at31``, C4 ICPC timings -> ``icpc``)
   are then re-shared (``_rebalance``) so each LA's parts add up to its total within a unit or two
   while every part keeps its England sum.

Where England itself is not published (``x``: the item was not collected, e.g. factor 24A before
2022, 18B/18C/19B/19C before 2021, C3 before 2018) the LA values stay blank and are not imputed.
The column ``imputed`` lists (``;``-separated) the measures imputed for that LA-year.

LAIT targets
------------
Some breakdowns have no published LA file here but DfE's LA interactive tool (LAIT,
``lait_cin_measures_2016_2024__derived_extract.csv``) holds their LA percentages for 2016-2024.
:data:`LAIT_TARGETS` names the ones the generator follows; each becomes a ``lait_*`` column of
``calibration_la_year.csv``. An LA-year without a value (a year outside 2016-2024, or ``-``/``x``
in LAIT) takes the LA's own value in the nearest year that has one (earlier year on ties), else
England's value that year, else England's in the nearest year; except D7's share of plans ending
after 2 years (:data:`LAIT_RESIDUAL_TARGETS`), whose unpublished LA-years of 2016-2024 take the
share England leaves for the LAs LAIT does not publish (:func:`residual_shares`). The product never
reads LAIT at run time; the fidelity comparison (``cin-pipeline compare``) reads it to judge the output.

The B5 and B4 duration shares (:data:`LAIT_BAND_TARGETS`: ``lait_b5_<band>_pct``, on which the
generator draws and settles the lengths of the episodes of need ending in the year, and
``lait_b4_<band>_pct``, on which it settles the episodes open at 31 March) follow the same rule for
the five bands together: an LA-year has a value when all five bands have one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from cin_pipeline.reference.measures import MEASURES, NATIONAL_PERCENTS, RATE_PAIRS

FIRST_YEAR, LAST_YEAR = 2013, 2025
ENGLAND = "E92000001"
MARKERS = frozenset({"c", "x", "u", "z", ""})
LONDON = ("E12000007", "London")
LONDON_GROUPS = {"E13000001": "Inner London", "E13000002": "Outer London"}

# LA-years whose published national totals include an earlier year's figures for that LA.
# Sources: published_tables.md (EES CIN 2024 page: Hampshire; methodology 2022: Hackney); checked
# numerically by the tests (LA sum + carried value = England figure).
CARRY_FORWARD: dict[tuple[int, str], tuple[int, str]] = {
    (2021, "204"): (2020, "Hackney: no return (cyber attack); 2020 figures included in England and London totals"),
    (2022, "204"): (2020, "Hackney: no return (cyber attack); 2020 figures included in England and London totals"),
    (2024, "850"): (2023, "Hampshire: data of low reliability; 2023 figures included in England and South East totals"),
}


# Shares of the combined 0-17 population of Dorset CC (835), Poole (836) and Bournemouth (837),
# whose populations are not published for 2013-2019 (ONS file: x). Approximation from ONS mid-2018
# total populations (Dorset CC ~424k, Bournemouth ~195k, Poole ~151k) and their share aged 0-17.
PRE_2020_DORSET_SHARES = {"835": 0.52, "836": 0.22, "837": 0.26}


LAIT_FILE = "lait_cin_measures_2016_2024__derived_extract.csv"
LAIT_TARGETS: dict[str, str] = {
    # calibration column -> LAIT measure (dictionary: lait_cin_data_dictionary.txt)
    "lait_assess_within_45_pct": "Continue_Assess_Comp",  # C2: assessments within 45 working days, %
    "lait_cpp_reviewed_pct": "RevCP",                     # D6: plans reviewed within timescales, %
    "lait_source_schools_pct": "RefBySource_Schl_%",      # C5: referrals from schools (2A), %
    "lait_source_health_pct": "RefBySource_HealthServ_%",  # C5: referrals from health services (3A-3F), %
    "lait_source_police_pct": "RefBySource_Police_%",     # C5: referrals from the police (6), %
    "lait_d7_2yplus_pct": "CPPlans2yrs",                  # D7: plans ending that lasted 2 years or more, %
}
DURATION_BANDS = ("le3m", "3to6m", "6to12m", "1to2y", "2yplus")
"""The B4/B5 duration bands (calendar months): 3 months or less, more than 3 and up to 6 months,
more than 6 months and less than 1 year, 1 year and less than 2 years, 2 years or more."""
LAIT_BAND_TARGETS: dict[str, tuple[str, ...]] = {
    # calibration column prefix -> LAIT measures of the five bands, in DURATION_BANDS order
    # B5: episodes of need ending in the year by duration, % (the generator follows them)
    "lait_b5": ("CINCease3months", "CINCease3-6", "CINCease6-1", "CINCease1-2", "CINCease2more"),
    # B4: children in need at 31 March by duration of the open episode, % (the generator settles them)
    "lait_b4": ("CINTime3months", "CINTime3-6", "CINTime6-1", "CINTime1-2", "CINTime2more"),
}
"""Band shares taken from LAIT as a set: an LA-year has a value only when all five bands have one
(a band may be ``-`` where it is small), so the five columns of an LA-year come from one year."""


# ----------------------------------------------------------------------------- reading
def read_lait(path: Path) -> pd.DataFrame:
    """The LAIT extract's LA rows: ``measure, year, la, la_name, value`` (text; '-' kept), plus
    England's rows with ``la = "england"``."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    la = df["LA Number"].str.strip().str.replace(r"\.0$", "", regex=True)
    out = pd.DataFrame({"measure": df["Short Desc"].str.strip(),
                        "year": pd.to_numeric(df["Years"], errors="coerce"),
                        "la": la.str.zfill(3), "la_name": df["LA and Regions"],
                        "value": df["Values"].str.strip()})
    england = out["la_name"].str.strip().eq("England")
    out.loc[england, "la"] = "england"
    out = out[out["year"].notna() & (la.str.fullmatch(r"\d+") | england)]
    out["year"] = out["year"].astype(int)
    return out.reset_index(drop=True)


def nearest_year(years, year: int) -> int:
    """The year of ``years`` nearest ``year`` (the earlier on ties): the imputation rule's and the
    LAIT targets' nearest year."""
    return min(years, key=lambda y: (abs(y - year), y))


def _own_else_england(la_years: pd.DataFrame, own: dict[str, dict[int, object]]) -> list:
    """The value of each (year, la) of ``la_years`` from ``own`` (LA -> year -> value, with an
    ``england`` entry): the LA's own value of that year, else of its nearest year; England's for
    an LA without any."""
    eng = own.pop("england")
    out = []
    for y, la in zip(la_years["year"], la_years["la"]):
        hist = own.get(la)
        out.append(hist.get(int(y), _nearest(hist, int(y))) if hist
                   else eng.get(int(y), _nearest(eng, int(y))))
    return out


def _nearest(values: dict[int, float], year: int) -> float:
    return values[nearest_year(values, year)]


LAIT_RESIDUAL_TARGETS: dict[str, tuple[str, str]] = {
    # calibration column -> (LAIT count measure, LAIT share measure) of the same figure
    "lait_d7_2yplus_pct": ("CPRDuration", "CPPlans2yrs"),
}
"""Shares whose unpublished LA-years take England's residual share of the year instead of the LA's
nearest year (:func:`residual_shares`): the LAs LAIT leaves out are the small ones, and their own
nearest years over-stated them (D7 2024: the generator gave them 238 plans ending after 2 years;
England's count less the published LAs' leaves them 124)."""


def residual_shares(lait: pd.DataFrame, count: str, share: str, las: set[str]) -> dict[int, float]:
    """Per year, the share (%) of the LAs without a published ``share`` in LAIT: England's count
    less the published LAs' counts, over England's base (count / share) less theirs (from the LAs
    of ``las`` publishing both; LAIT's regions are left out), to 1 decimal place; years where that
    is not positive are left out."""
    v = lait.assign(v=pd.to_numeric(lait["value"], errors="coerce"))
    out = {}
    for y, g in v.groupby("year"):
        c = g[g["measure"] == count].set_index("la")["v"].dropna()
        p = g[g["measure"] == share].set_index("la")["v"].dropna()
        if "england" not in c.index or "england" not in p.index or not p["england"] > 0:
            continue
        both = [la for la in c.index.intersection(p.index) if la in las and p[la] > 0]
        num = c["england"] - c[both].sum()
        den = 100.0 * c["england"] / p["england"] - (100.0 * c[both] / p[both]).sum()
        if num > 0 and den > 0:
            out[int(y)] = round(float(100.0 * num / den), 1)
    return out


def lait_targets(lait: pd.DataFrame, la_years: pd.DataFrame) -> pd.DataFrame:
    """``la_years`` (``year, la``) with one ``lait_*`` column per :data:`LAIT_TARGETS`."""
    out = la_years[["year", "la"]].copy()
    for column, measure in LAIT_TARGETS.items():
        m = lait[lait["measure"] == measure].copy()
        m["v"] = pd.to_numeric(m["value"], errors="coerce")
        m = m[m["v"].notna()]
        own: dict[str, dict[int, float]] = {}
        for y, la, v in zip(m["year"], m["la"], m["v"]):
            own.setdefault(la, {})[int(y)] = round(float(v), 1)
        published = {(y, la) for la, by in own.items() for y in by}  # before England is taken out
        out[column] = _own_else_england(out, own)
        if column in LAIT_RESIDUAL_TARGETS:
            rest = residual_shares(lait, *LAIT_RESIDUAL_TARGETS[column], set(out["la"]))
            out[column] = [rest[int(y)] if int(y) in rest and (int(y), la) not in published else v
                           for y, la, v in zip(out["year"], out["la"], out[column])]
    for prefix, measures in LAIT_BAND_TARGETS.items():
        m = lait[lait["measure"].isin(measures)].copy()
        m["v"] = pd.to_numeric(m["value"], errors="coerce")
        wide = m.pivot_table(index=["la", "year"], columns="measure", values="v", aggfunc="first")
        wide = wide.reindex(columns=list(measures)).dropna()
        wide = wide[wide.sum(axis=1) > 0]
        own = {}
        for (la, y), row in zip(wide.index, wide.to_numpy()):
            own.setdefault(la, {})[int(y)] = tuple(round(float(v), 1) for v in row)
        vals = _own_else_england(out, own)
        for i, band in enumerate(DURATION_BANDS):
            out[f"{prefix}_{band}_pct"] = [v[i] for v in vals]
    return out
def _read(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    return df


def _col(df: pd.DataFrame, name: str) -> str:
    """The column of ``df`` called ``name``, ignoring case."""
    by_lower = {c.lower(): c for c in df.columns}
    return by_lower[name.lower()]


def _one(folder: Path, pattern: str) -> Path:
    hits = sorted(folder.glob(pattern))
    if len(hits) != 1:
        raise FileNotFoundError(f"expected one file {pattern!r} in {folder}, found {hits}")
    return hits[0]


class Published:
    """The published files, split by the release that provides each reporting year."""

    def __init__(self, folder: Path, datasets: tuple[str, ...]):
        """``datasets``: the published data sets whose files are read (the declared tables'
        ``status_from``, e.g. ``("b1", "c1", ...)``). A data set with a 2024-release file takes
        2013-2024 from it and 2025 from the 2025 release; one published only in the 2025 release
        (C4) takes every year from that."""
        folder = Path(folder)
        other = folder / "other_releases"
        self.folder = folder
        self.files: dict[str, list[tuple[Path, range]]] = {}
        for ds in datasets:
            if list(folder.glob(f"{ds}_*_to_2024.csv")):
                self.files[ds] = [
                    (_one(folder, f"{ds}_*_to_2024.csv"), range(FIRST_YEAR, 2025)),
                    (_one(other, f"{ds}_*_to_2025__2025release.csv"), range(2025, 2026)),
                ]
            else:
                self.files[ds] = [(_one(folder, f"{ds}_*_2025release.csv"), range(FIRST_YEAR, 2026))]
        self.ons_path = _one(folder, "ons_mid-year_population_estimates_*.csv")
        self._cache: dict[Path, pd.DataFrame] = {}

    def frame(self, path: Path) -> pd.DataFrame:
        if path not in self._cache:
            df = _read(path)
            df["year"] = df["time_period"].astype(int)
            df["code"] = np.where(
                df["geographic_level"] == "National", df["country_code"],
                np.where(df["geographic_level"] == "Regional", df["region_code"], df["old_la_code"]),
            )
            self._cache[path] = df
        return self._cache[path]

    def rows(self, ds: str) -> list[tuple[pd.DataFrame, int]]:
        """(rows of one release restricted to the years it provides, release year) for data set ``ds``."""
        out = []
        for path, years in self.files[ds]:
            df = self.frame(path)
            release = 2025 if "2025release" in path.name else 2024
            out.append((df[df["year"].isin(list(years))], release))
        return out

    def b1_geography(self) -> pd.DataFrame:
        """Geography rows (all levels) of B1: 2024 release for 2013-2024, 2025 release for 2025."""
        return pd.concat([df for df, _ in self.rows("b1")], ignore_index=True)

    def ons(self) -> pd.DataFrame:
        df = _read(self.ons_path)
        df["mid_year"] = df["time_period"].astype(int)
        df["code"] = np.where(
            df["geographic_level"] == "National", df["country_code"],
            np.where(df["geographic_level"] == "Regional", df["region_code"], df["old_la_code"]),
        )
        df["population"] = pd.to_numeric(df["population_estimate"], errors="coerce")
        return df[["mid_year", "geographic_level", "code", "population"]]


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.where(~s.isin(MARKERS)), errors="coerce")


# ----------------------------------------------------------------------------- LA lookup
def region_order(geo: pd.DataFrame) -> list[str]:
    """Regional codes in the order of the published regional rows."""
    reg = geo[geo["geographic_level"] == "Regional"]
    return list(dict.fromkeys(reg["region_code"]))


def build_la_lookup(pub: Published) -> pd.DataFrame:
    geo = pub.b1_geography()
    la = geo[geo["geographic_level"] == "Local authority"].copy()
    # The published LA rows carry Inner/Outer London (E13000001/2) in region_code for London
    # boroughs; the lookup keeps the real region (E12000007 London) and the group separately.
    is_london = la["region_code"].isin(list(LONDON_GROUPS))
    la["london_group_code"] = la["region_code"].where(is_london, "")
    la["london_group_name"] = la["region_name"].where(is_london, "")
    la.loc[is_london, "region_code"] = LONDON[0]
    la.loc[is_london, "region_name"] = LONDON[1]
    keys = ["old_la_code", "new_la_code", "la_name", "region_code", "region_name",
            "london_group_code", "london_group_name"]
    out = la.groupby(keys, sort=False)["year"].agg(first_year="min", last_year="max", n="count").reset_index()
    gaps = out[out["n"] != out["last_year"] - out["first_year"] + 1]
    if len(gaps):
        raise ValueError(f"LA code-periods with gaps in years: {gaps}")
    order = {c: i for i, c in enumerate(region_order(geo))}
    out["_r"] = [order[g or r] for g, r in zip(out["london_group_code"], out["region_code"])]
    out = out.sort_values(["_r", "la_name", "first_year"], kind="stable")
    return out.drop(columns=["n", "_r"]).reset_index(drop=True)


def order_las(lookup: pd.DataFrame, year: int, regions_in_order: list[str]) -> pd.DataFrame:
    """The lookup rows valid in ``year`` in the order of the published LA rows, with the
    ``published_region_code``/``published_region_name`` the files write on LA rows (Inner/Outer
    London for London boroughs). Order: published region, then ``la_name``, except that County
    Durham (840) sorts as "Durham" up to 2020, as in every published file."""
    out = lookup[(lookup["first_year"] <= year) & (lookup["last_year"] >= year)].copy()
    london = out["london_group_code"] != ""
    out["published_region_code"] = out["london_group_code"].where(london, out["region_code"])
    out["published_region_name"] = out["london_group_name"].where(london, out["region_name"])
    rank = {c: i for i, c in enumerate(regions_in_order)}
    out["_r"] = out["published_region_code"].map(rank)
    out["_n"] = out["la_name"]
    if year <= 2020:
        out.loc[out["old_la_code"] == "840", "_n"] = "Durham"
    out = out.sort_values(["_r", "_n"], kind="stable").drop(columns=["_r", "_n"])
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- population
def _interval(pairs: list[tuple[float, float]], slack: float = 0.0) -> tuple[float, float]:
    """Populations p with round(n' / p * 10000, 1) == r for every (n, r), where the true count n'
    is within ``slack`` of the published n (0 for LAs, 5 for regions and England, whose counts
    are published rounded to 10 while the rates use the exact counts): (lo, hi), maybe empty."""
    lo, hi = 0.0, math.inf
    for n, r in pairs:
        lo = max(lo, max(n - slack, 0) * 10000 / (r + 0.05))
        if r > 0.05:
            hi = min(hi, (n + slack) * 10000 / (r - 0.05))
    return lo, hi


def _pairs_frame(pub: Published) -> pd.DataFrame:
    """Long frame year, level, code, n, r of every published (count, rate) pair, 2024 release."""
    parts = []
    for ds, count_col, rate_col in RATE_PAIRS:
        df, release = pub.rows(ds)[0]
        n = _num(df[_col(df, count_col)])
        r = _num(df[_col(df, rate_col)])
        part = pd.DataFrame({"year": df["year"], "level": df["geographic_level"], "code": df["code"],
                             "n": n, "r": r})
        parts.append(part[(part["n"] > 0) & (part["r"] > 0)])
    return pd.concat(parts, ignore_index=True)


def build_population(pub: Published, lookup: pd.DataFrame) -> pd.DataFrame:
    """0-17 rate denominators per reporting year: backed out of the B1/C1 2024 rates (2013-2024),
    ONS mid-2024 for 2025. See ``cin_pipeline.reference`` for the rule."""
    ons = pub.ons()
    ons_val = {(int(y), c): p for y, c, p in zip(ons["mid_year"], ons["code"], ons["population"]) if p == p}
    pairs = _pairs_frame(pub)
    groups = {k: list(zip(g["n"], g["r"])) for k, g in pairs.groupby(["year", "code"])}
    rows = []

    def choose(year: int, code: str, candidates: list[tuple[float | None, str]]):
        lo, hi = _interval(groups.get((year, code), []), slack=0 if code.isdigit() else 5)
        if (year, code) not in groups:
            return None, "none"
        for value, source in candidates:
            if value is not None and lo <= value <= hi:
                return int(round(value)), source
        if lo <= hi:
            mid = (lo + hi) / 2
            for v in (round(mid), math.floor(mid), math.ceil(mid)):
                if lo <= v <= hi:
                    return int(v), "implied"
        # inconsistent pairs (should not happen): the most precise single pair (largest rate)
        n, r = max(groups[(year, code)], key=lambda nr: nr[1])
        return int(round(n * 10000 / r)), "implied_best"

    geo = pub.b1_geography()
    for year in range(FIRST_YEAR, 2025):
        la_pop: dict[str, int] = {}
        year_la = lookup[(lookup["first_year"] <= year) & (lookup["last_year"] >= year)]
        pending = []
        for code in year_la["old_la_code"]:
            value, source = choose(year, code, [(ons_val.get((year - 1, code)), "ons")])
            if value is None:
                pending.append(code)
            else:
                la_pop[code] = value
                rows.append((year, "Local authority", code, value, source))
        # regions and England: prefer the sum of the LA denominators, then ONS, then the interval
        groups_of = {}
        for _, r in year_la.iterrows():
            groups_of.setdefault(r["region_code"], []).append(r["old_la_code"])
            if r["london_group_code"]:
                groups_of.setdefault(r["london_group_code"], []).append(r["old_la_code"])
        groups_of[ENGLAND] = list(year_la["old_la_code"])
        area_pop: dict[str, int] = {}
        for code in region_order(geo[geo["year"] == year]) + [ENGLAND]:
            members = groups_of[code]
            known = [la_pop[c] for c in members if c in la_pop]
            total = sum(known) if len(known) == len(members) else None
            value, source = choose(year, code, [(total, "sum_of_la"), (ons_val.get((year - 1, code)), "ons")])
            if value is None:
                value, source = int(ons_val[(year - 1, code)]), "ons"
            area_pop[code] = value
            rows.append((year, "National" if code == ENGLAND else "Regional", code, value, source))
        # LAs with every rate suppressed: ONS Y-1 scaled by the ratio of the region's denominator to
        # the region's ONS value (corrects for an older ONS vintage in 2023 and 2024)
        no_base = []
        for code in pending:
            r = year_la[year_la["old_la_code"] == code].iloc[0]
            area = r["london_group_code"] or r["region_code"]
            ratio = area_pop[area] / ons_val[(year - 1, area)]
            base = ons_val.get((year - 1, code))
            if base is None:
                no_base.append((code, area))
                continue
            la_pop[code] = int(round(base * ratio))
            rows.append((year, "Local authority", code, la_pop[code], "ons_scaled"))
        # no ONS value and no rate (Bournemouth, Poole, Dorset CC 2013-2019, whose rates and ONS
        # estimates are published as x): region denominator minus the other LAs, split by
        # PRE_2020_DORSET_SHARES
        for area in sorted({a for _, a in no_base}):
            codes = [c for c, a in no_base if a == area]
            rest = area_pop[area] - sum(la_pop[c] for c in groups_of[area] if c not in codes)
            w = np.array([PRE_2020_DORSET_SHARES[c] for c in codes])
            for c, v in zip(codes, _largest_remainder(rest, w)):
                la_pop[c] = int(v)
                rows.append((year, "Local authority", c, int(v), "region_residual"))
    # 2025: ONS mid-2024 (2025 release population file), every geography present that year
    year = 2025
    year_la = lookup[(lookup["first_year"] <= year) & (lookup["last_year"] >= year)]
    for code in year_la["old_la_code"]:
        rows.append((year, "Local authority", code, int(ons_val[(year - 1, code)]), "ons"))
    for code in region_order(geo[geo["year"] == year]):
        rows.append((year, "Regional", code, int(ons_val[(year - 1, code)]), "ons"))
    rows.append((year, "National", ENGLAND, int(ons_val[(year - 1, ENGLAND)]), "ons"))
    out = pd.DataFrame(rows, columns=["year", "geographic_level", "code", "population", "source"])
    level_order = {"National": 0, "Regional": 1, "Local authority": 2}
    out["_l"] = out["geographic_level"].map(level_order)
    out = out.sort_values(["year", "_l"], kind="stable").drop(columns="_l").reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------- status
def build_status(pub: Published) -> pd.DataFrame:
    """LA-years where every published value of a file is ``x`` or ``u``."""
    hits: dict[tuple[int, str, str], list[str]] = {}
    names: dict[str, str] = {}
    files_per_year: dict[int, list[str]] = {}
    for ds in sorted(pub.files):
        for df, _release in pub.rows(ds):
            value_cols = list(df.columns[list(df.columns).index(_col(df, "category")) + 1:])
            value_cols = [c for c in value_cols if c not in ("year", "code")]
            for y in df["year"].unique():
                files_per_year.setdefault(int(y), []).append(ds)
            la = df[df["geographic_level"] == "Local authority"]
            vals = la[value_cols]
            for i in la.index:
                cells = set(vals.loc[i])
                if len(cells) == 1 and cells <= {"x", "u"}:
                    key = (int(la.at[i, "year"]), la.at[i, "old_la_code"], cells.pop())
                    hits.setdefault(key, []).append(ds)
                    names[la.at[i, "old_la_code"]] = la.at[i, "la_name"]
    rows = []
    for (year, code, status), files in sorted(hits.items()):
        whole = sorted(files) == sorted(files_per_year[year])
        carry, note = CARRY_FORWARD.get((year, code), (None, ""))
        label = "not available" if status == "x" else "low reliability"
        if not note:
            note = f"{names[code]}: {label} in {', '.join(f.upper() for f in files)}"
            if whole:
                note += "; England totals include a value for this LA (source not stated)"
        rows.append((year, code, status, carry, note, "whole_return" if whole else "per_file",
                     ";".join(files)))
    out = pd.DataFrame(rows, columns=["year", "la", "status", "carry_forward_from", "note", "scope", "files"])
    out["carry_forward_from"] = out["carry_forward_from"].astype("Int64")
    return out


# ----------------------------------------------------------------------------- measures
def _measure_long(pub: Published) -> pd.DataFrame:
    """year, level, code, measure, raw, value for every calibration measure and percentage."""
    parts = []
    specs = list(MEASURES.items()) + list(NATIONAL_PERCENTS.items())
    for measure, (ds, col24, col25) in specs:
        for df, release in pub.rows(ds):
            col = _col(df, col25 if release == 2025 else col24)
            raw = df[col]
            parts.append(pd.DataFrame({
                "year": df["year"], "level": df["geographic_level"], "code": df["code"],
                "measure": measure, "raw": raw, "value": _num(raw),
            }))
    return pd.concat(parts, ignore_index=True)


def build_national(long: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    nat = long[long["level"] == "National"]
    wide = nat.pivot(index="year", columns="measure", values="value")
    cols = list(MEASURES) + list(NATIONAL_PERCENTS)
    wide = wide.reindex(index=range(FIRST_YEAR, LAST_YEAR + 1), columns=cols)
    pop = population[population["geographic_level"] == "National"].set_index("year")["population"]
    wide["population_0_17"] = pop.reindex(wide.index)
    wide = wide.reset_index()
    for c in list(MEASURES) + ["population_0_17"]:
        wide[c] = wide[c].astype("Int64")
    return wide


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    if total <= 0 or len(weights) == 0:
        return np.zeros(len(weights), dtype=int)
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        w = np.ones(len(w))
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    rest = total - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


# breakdowns whose parts add up to a total on every LA row (up to DfE's own small differences)
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "cpp_at31": ("cpp_at31_le3m", "cpp_at31_3to6m", "cpp_at31_6to12m", "cpp_at31_1to2y", "cpp_at31_2yplus"),
    "icpc": ("icpc_0_10", "icpc_11_15", "icpc_16_20", "icpc_21_plus"),
}


def _rebalance(values: pd.DataFrame, residual_cells: set, year: int, total: str, parts: tuple[str, ...]):
    """Re-share the residual-imputed cells of a breakdown (e.g. CPP durations) so that each LA's
    parts add up to its total as far as possible, keeping every part's England sum unchanged:
    iterative proportional fitting of the imputed cells to row targets (total minus published
    parts) and column targets (the residual each part already received), then integer rounding
    per column and unit moves between rows within a column to reduce the row differences."""
    block = values.loc[year, [total, *parts]]
    mask = np.array([[(year, la, m) in residual_cells for m in parts] for la in block.index])
    rows = mask.any(axis=1)
    if not rows.any() or block[total].isna().any():
        return
    block, mask = block[rows], mask[rows]
    cells = block[list(parts)].to_numpy(dtype=float)
    known_sum = np.where(mask, 0, cells).sum(axis=1)
    row_target = np.clip(block[total].to_numpy(dtype=float) - known_sum, 0, None)
    col_target = np.where(mask, cells, 0).sum(axis=0)
    x = np.where(mask, cells + 0.1, 0.0)
    for _ in range(100):
        rs = x.sum(axis=1)
        x = np.where(rs[:, None] > 0, x * (row_target / np.where(rs > 0, rs, 1))[:, None], x)
        cs = x.sum(axis=0)
        x = np.where(cs[None, :] > 0, x * (col_target / np.where(cs > 0, cs, 1))[None, :], x)
    result = np.zeros_like(x, dtype=int)
    for j in range(x.shape[1]):
        idx = np.flatnonzero(mask[:, j])
        result[idx, j] = _largest_remainder(int(round(col_target[j])), x[idx, j])
    # move single units inside a column from rows above their target to rows below it
    for _ in range(int(row_target.sum()) + 1):
        diff = result.sum(axis=1) - row_target  # > 0: too many
        moved = False
        for j in range(x.shape[1]):
            over = [i for i in np.flatnonzero(mask[:, j]) if diff[i] >= 1 and result[i, j] > 0]
            under = [i for i in np.flatnonzero(mask[:, j]) if diff[i] <= -1]
            if over and under:
                i, k = max(over, key=lambda i: diff[i]), min(under, key=lambda k: diff[k])
                result[i, j] -= 1
                result[k, j] += 1
                moved = True
                break
        if not moved:
            break
    for r, la in enumerate(block.index):
        for j, m in enumerate(parts):
            if mask[r, j]:
                values.loc[(year, la), m] = result[r, j]


def build_calibration(long: pd.DataFrame, lookup: pd.DataFrame, population: pd.DataFrame,
                      status: pd.DataFrame) -> pd.DataFrame:
    measures = list(MEASURES)
    region_codes = list(dict.fromkeys([*sorted(lookup["region_code"]), *sorted(LONDON_GROUPS)]))
    la_years = [(y, c) for y in range(FIRST_YEAR, LAST_YEAR + 1)
                for c in order_las(lookup, y, region_codes)["old_la_code"]]
    index = pd.MultiIndex.from_tuples(la_years, names=["year", "la"])
    la_long = long[(long["level"] == "Local authority") & long["measure"].isin(measures)]
    published = la_long.pivot_table(index=["year", "code"], columns="measure", values="value",
                                    aggfunc="first", dropna=False)
    published.index.names = ["year", "la"]
    published = published.reindex(index=index, columns=measures)
    national = long[(long["level"] == "National")].pivot(index="year", columns="measure", values="value")
    pop = population[population["geographic_level"] == "Local authority"].set_index(["year", "code"])["population"]
    pop_nat = population[population["geographic_level"] == "National"].set_index("year")["population"]
    carry = {(int(r.year), r.la): int(r.carry_forward_from) for r in status.itertuples()
             if not pd.isna(r.carry_forward_from)}

    values = published.copy()
    imputed: dict[tuple[int, str], list[str]] = {k: [] for k in la_years}
    residual_cells: set[tuple[int, str, str]] = set()
    for m in measures:
        col = published[m]
        own_years = {}  # la -> {year: value} of published values
        for (y, la), v in col.dropna().items():
            own_years.setdefault(la, {})[y] = v
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            nat = national[m].get(year, np.nan) if m in national else np.nan
            if pd.isna(nat):
                continue
            cur = values.loc[year, m]
            for la in cur.index[cur.isna()]:
                if (year, la) in carry and carry[(year, la)] in own_years.get(la, {}):
                    values.loc[(year, la), m] = own_years[la][carry[(year, la)]]
                    imputed[(year, la)].append(m)
            cur = values.loc[year, m]
            missing = list(cur.index[cur.isna()])
            if not missing:
                continue
            residual = int(round(nat - cur.sum()))
            est = []
            for la in missing:
                hist = own_years.get(la, {})
                if hist:
                    near = nearest_year(hist, year)
                    trend = nat / national[m][near] if national[m].get(near, 0) else 1.0
                    est.append(hist[near] * trend)
                else:
                    est.append(nat * pop.get((year, la), 0) / pop_nat[year])
            alloc = _largest_remainder(residual, np.array(est))
            for la, v in zip(missing, alloc):
                values.loc[(year, la), m] = v
                imputed[(year, la)].append(m)
                residual_cells.add((year, la, m))
    for total, parts in BREAKDOWNS.items():
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            _rebalance(values, residual_cells, year, total, parts)
    out = values.reset_index()
    for m in measures:
        out[m] = out[m].round().astype("Int64")
    out["population_0_17"] = [pop.get((y, la)) for y, la in zip(out["year"], out["la"])]
    out["population_0_17"] = out["population_0_17"].astype("Int64")
    out["imputed"] = [";".join(imputed[(y, la)]) for y, la in zip(out["year"], out["la"])]
    return out


# ----------------------------------------------------------------------------- main
def build_all(folder: Path, datasets: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    pub = Published(folder, datasets)
    lookup = build_la_lookup(pub)
    population = build_population(pub, lookup)
    status = build_status(pub)
    long = _measure_long(pub)
    calibration = build_calibration(long, lookup, population, status)
    lait = lait_targets(read_lait(Path(folder) / LAIT_FILE), calibration)
    calibration = calibration.merge(lait, on=["year", "la"], how="left", validate="1:1")
    return {
        "la_lookup": lookup,
        "population_0_17": population,
        "la_year_status": status,
        "national_published": build_national(long, population),
        "calibration_la_year": calibration,
    }
