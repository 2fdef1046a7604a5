"""Partitions: reporting year (static), LA (dynamic, filled by the landing sensor) and both.

Census assets (``census_return``, ``census_year``, ``data_quality_summary``) are partitioned by
census year, which includes the 2011-12 look-back census (2012); tables and the publication by
release year, which starts with the published series (2013).
"""

from __future__ import annotations

import dagster as dg

from cin_pipeline.census.spec import CENSUS_YEARS, FIRST_YEAR, LAST_YEAR

YEARS = [str(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
"""Release years (tables, publication)."""
CENSUS_YEAR_KEYS = [str(y) for y in CENSUS_YEARS]
"""Census years (returns and staging), the look-back year included."""

year_partitions = dg.StaticPartitionsDefinition(YEARS)
census_year_partitions = dg.StaticPartitionsDefinition(CENSUS_YEAR_KEYS)
la_partitions = dg.DynamicPartitionsDefinition(name="la")
# Key string is "<la>|<year>" (dimensions are ordered alphabetically by name).
year_la_partitions = dg.MultiPartitionsDefinition({"year": census_year_partitions, "la": la_partitions})


def year_la_key(year: int | str, la: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"year": str(year), "la": str(la)})


def split_key(key: str | dg.MultiPartitionKey) -> tuple[int, str]:
    """``"330|2024"`` or a MultiPartitionKey -> ``(2024, "330")``."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return int(dims["year"]), dims["la"]
    la, year = str(key).split("|")
    return int(year), la


census_years_up_to_release = dg.StaticPartitionMapping({
    census: [release for release in YEARS if int(release) >= int(census)] for census in CENSUS_YEAR_KEYS})
"""A release year's tables read every census year up to it (the time series, and the 12-month
look-back into the year before): census year C feeds the releases of C and every later year."""
