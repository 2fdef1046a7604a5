"""The release's population file: ``ons_mid-year_population_estimates_<first>_to_<last>.csv``,
the 0-17 denominators of every rate of the release, N/R/LA.

A publication-level file, not a declared table: it is not computed from the census, so it has
no query, no Dagster asset and no checks of sums (the national and regional estimates are ONS's
own or backed out of the published rates, not the rounded sum of the LA values). Its figures
come from :meth:`Geography.population` (:func:`cin_pipeline.reference.population_for`), the very
lookup the formatter divides every rate by, so the file and the rates cannot disagree. Its
declaration (a :class:`~cin_pipeline.tables.declare.TableSpec` that no query is bound to) gives
it a ``.meta.csv``, a data-guidance entry and a line in the preview like every table.

Layout: exactly the 2025 release's ``ons_mid-year_population_estimates_2012_to_2024.csv``
(published_tables_pass3.md, "ONS mid-year population estimates"): the standard columns, then
``age_group`` ("Children aged 0 to 17 years") and ``population_estimate``, unrounded and never
suppressed; ``time_period`` is the mid-year (``time_identifier`` "Reporting year", as in that
file). The rates of reporting year Y use the mid-(Y-1) estimate, so the 2024 release publishes
mid-years 2012 to 2023 with each mid-year's rows in the geography of reporting year Y (in the
2025 file too: mid-2023 has the 153 LAs of 2024). An LA with no denominator is ``x``.
"""

from __future__ import annotations

import pandas as pd

from cin_pipeline import reference
from cin_pipeline.ees.meta import build_meta
from cin_pipeline.ees.rows import COUNTRY, TIME_IDENTIFIER, EesOutput, Geography
from cin_pipeline.tables.declare import LEVELS, Filter, Indicator, Release, TableSpec, exact

AGE_GROUP = "Children aged 0 to 17 years"


def population_spec(release: Release) -> TableSpec:
    """The declaration of ``release``'s population file (time_period = reporting year - 1)."""
    return TableSpec(
        release=release, code="ONS", title="ONS mid-year population estimates (children aged 0 to 17)",
        file_stem="ons_mid-year_population_estimates", geographic_levels=LEVELS, first_year=2013,
        filters=(Filter("age_group", "Age group", values=(AGE_GROUP,), constant=True,
                        hint="Single-valued: children aged 0 to 17 years"),),
        indicators=(Indicator("population_estimate", "Population estimate", suppress=False),),
        time_offset=-1,
        layout=exact("ons_mid-year_population_estimates_2012_to_2024.csv, 2025 release (columns and "
                     "labels); the 2024 release's file is not seen"),
        description=(
            "ONS mid-year population estimates of children aged 0 to 17, the denominators of every "
            "rate per 10,000 children in this release: the rates of reporting year Y (year ending "
            "31 March Y) use the estimate for mid-year Y-1. National, regional (with Inner and "
            "Outer London) and local authority figures, unrounded and not suppressed. Where the "
            "published 2024-release rates show that an older ONS vintage was used (mid-2022 and "
            "mid-2023), the denominator is the one those rates imply; an LA with no usable "
            "estimate is x."),
    )


def population_output(release: Release, release_year: int, geo: Geography | None = None) -> EesOutput:
    """The rows of the population file of ``release_year`` (years newest first; per year the
    national row, the 11 regional rows and the LA rows of that reporting year's geography)."""
    spec = population_spec(release)
    geo = geo or Geography()
    regions = reference.regions()
    rows: list[list[str]] = []

    def value(pop: dict[str, int], code: str) -> str:
        return str(int(pop[code])) if code in pop else "x"

    for year in sorted(spec.years(release_year), reverse=True):
        pop = geo.population(year)
        base = [str(year + spec.time_offset), TIME_IDENTIFIER]
        rows.append(base + ["National", *COUNTRY, "", "", "", "", "", AGE_GROUP, value(pop, COUNTRY[0])])
        for reg in regions.itertuples(index=False):
            rows.append(base + ["Regional", *COUNTRY, reg.region_code, reg.region_name, "", "", "",
                                AGE_GROUP, value(pop, reg.region_code)])
        for r in geo.las(year).itertuples(index=False):
            rows.append(base + ["Local authority", *COUNTRY, r.published_region_code,
                                r.published_region_name, r.old_la_code, r.new_la_code, r.la_name,
                                AGE_GROUP, value(pop, r.old_la_code)])
    data = pd.DataFrame(rows, columns=spec.columns(), dtype=object)
    return EesOutput(spec, release_year, data, build_meta(spec))
