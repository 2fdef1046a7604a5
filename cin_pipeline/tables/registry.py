"""The table registry: every published data set is declared once, here.

A :class:`TableSpec` holds everything that is published about a data set (release, code, title,
EES file name, geographic levels, years, filter and indicator columns with labels, units and
decimal places) and the DuckDB query that produces its **unrounded** figures. The Dagster asset,
the EES ``.csv`` and ``.meta.csv``, the data-guidance entry and the standard checks are all
generated from the declaration; adding a table means adding one declaration and its query.

Declarations live in :mod:`cin_pipeline.tables.children_in_need` and
:mod:`cin_pipeline.tables.re_referrals`; they call :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

GeoLevel = Literal["National", "Regional", "Local authority"]
Release = Literal["children-in-need", "children-in-need-re-referrals"]


@dataclass(frozen=True)
class Filter:
    """A filter column (EES ``col_type`` Filter)."""

    name: str                 # column name as published, e.g. "category"
    label: str                # meta label
    values: tuple[str, ...] = ()  # allowed values (in published order); empty = taken from the query
    hint: str = ""
    default: str = ""         # filter_default when there is no "Total" item


@dataclass(frozen=True)
class Indicator:
    """An indicator column (EES ``col_type`` Indicator)."""

    name: str                 # column name as published, e.g. "Re_referrals_percent"
    label: str
    kind: Literal["count", "percent", "rate", "median", "days"] = "count"
    unit: str = ""            # EES indicator_unit: "", "%", ...
    dp: int = 0               # decimal places
    numerator: str | None = None    # for percent/rate: the count column it divides
    denominator: str | None = None  # for percent: the count column it is a share of;
    #                                 for rate: "population_0_17" (per 10,000 children aged 0-17)
    first_year: int | None = None   # before this year the value is "x" (not collected)
    suppress: bool = True     # counts: apply small-number suppression at LA level


@dataclass(frozen=True)
class TableSpec:
    release: Release
    code: str                 # e.g. "C1"
    title: str
    file_stem: str            # e.g. "c1_children_in_need_referrals_and_rereferrals" (years appended)
    geographic_levels: tuple[GeoLevel, ...]
    first_year: int
    filters: tuple[Filter, ...]
    indicators: tuple[Indicator, ...]
    query: str                # DuckDB SQL returning unrounded LA-level (or national-only) rows:
    #                           columns year, la (NULL for national-only tables), every filter,
    #                           and every count indicator (+ median/days ones); percentages and
    #                           rates are derived by the EES writer from numerator/denominator.
    description: str = ""     # data-guidance text
    footnotes: tuple[str, ...] = ()
    last_year: int | None = None  # e.g. A3 stops at the last complete follow-up year
    extra: dict = field(default_factory=dict)

    @property
    def table_id(self) -> str:
        return self.code.lower() if self.release == "children-in-need" else f"rr_{self.code.lower()}"

    def file_name(self, release_year: int) -> str:
        last = self.last_year if self.last_year and self.last_year < release_year else release_year
        return f"{self.file_stem}_{self.first_year}_to_{last}.csv"


REGISTRY: dict[str, TableSpec] = {}


def register(spec: TableSpec) -> TableSpec:
    if spec.table_id in REGISTRY:
        raise ValueError(f"table {spec.table_id} is declared twice")
    REGISTRY[spec.table_id] = spec
    return spec


def all_tables() -> list[TableSpec]:
    """Every declared table (importing the declaration modules on first use)."""
    from cin_pipeline.tables import children_in_need, re_referrals  # noqa: F401  (they register)

    return list(REGISTRY.values())
