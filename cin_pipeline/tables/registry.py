"""The table registry: every published data set is declared once, here.

A :class:`TableSpec` holds everything that is published about a data set (release, code, title,
EES file name, geographic levels, years, filter and indicator columns with labels, units and
decimal places) and the DuckDB query that produces its **unrounded** figures. The Dagster asset,
the EES ``.csv`` and ``.meta.csv``, the data-guidance entry and the standard checks are all
generated from the declaration; adding a table means adding one declaration and its query.

Declarations live in :mod:`cin_pipeline.tables.children_in_need` and
:mod:`cin_pipeline.tables.re_referrals`; they call :func:`register`. Queries live in
``cin_pipeline/tables/sql/<name>.sql`` (loaded with :func:`sql`).

Contract of a query (checked by :func:`cin_pipeline.publish.ees.build_ees`):

* it reads ``clean.*`` (year-level census tables) and/or ``lcd.*`` (Longitudinal CIN Dataset),
* it returns the **whole time series** (every year it can compute), one row per ``year``, ``la``
  (3-digit code; never NULL, national tables are aggregated from LA rows too, so the
  carry-forward rules for LAs without a usable return apply to them as well) and, for long
  tables, every non-constant filter column,
* it returns every ``count`` indicator and every ``helpers`` column as unrounded integers.
  Percentages, rates, rounding, suppression and symbols are the EES writer's job.

Distributions (``TableSpec.distributions``) are further queries returning ``year, la, value``
(one row per observation, e.g. working days from S47 start to ICPC); ``percentile`` indicators
are computed from the pooled observations at every geographic level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

GeoLevel = Literal["National", "Regional", "Local authority"]
Release = Literal["children-in-need", "children-in-need-re-referrals"]

SQL_DIR = Path(__file__).resolve().parent / "sql"

RELEASES: dict[str, dict[str, str]] = {
    "children-in-need": {
        "title": "Children in need",
        "group": "children_in_need",
        "summary": "Referrals, assessments, children in need, section 47 enquiries, initial child "
                   "protection conferences and child protection plans, England, reporting years "
                   "ending 31 March, national, regional and local authority level.",
    },
    "children-in-need-re-referrals": {
        "title": "Children in need: a focus on re-referrals",
        "group": "re_referrals",
        "summary": "Re-referrals to children's social care, national, from the Longitudinal CIN "
                   "Dataset (LCD): each child's referrals linked across annual censuses within a "
                   "local authority.",
    },
}


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """Text of ``cin_pipeline/tables/sql/<name>.sql``; ``{{other}}`` includes ``other.sql``."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: sql(m.group(1)).strip().rstrip(";"), text)


@dataclass(frozen=True)
class Filter:
    """A filter column (EES ``col_type`` Filter)."""

    name: str                 # column name as published, e.g. "category"
    label: str                # meta label
    values: tuple[str, ...] = ()  # allowed values (in published order); empty = taken from the query
    hint: str = ""
    default: str = ""         # filter_default when there is no "Total" item
    constant: bool = False    # single-valued filter written by the writer (values[0]), not the query
    total: str = ""           # the value that is the total over the other values ("Total"), if any;
    #                           the writer adds those rows (sum of the other values)
    value_first_year: tuple[tuple[str, int], ...] = ()  # (value, first year): indicators "x" before
    lookback: bool = False    # its values (but the total) split referrals by re-referral: those rows
    #                           need the previous census year (see Indicator.lookback)


@dataclass(frozen=True)
class Indicator:
    """An indicator column (EES ``col_type`` Indicator)."""

    name: str                 # column name as published, e.g. "Re_referrals_percent"
    label: str
    kind: Literal["count", "percent", "rate", "percentile"] = "count"
    unit: str = ""            # EES indicator_unit: "", "%", ...
    dp: int = 0               # decimal places
    numerator: str | None = None    # for percent/rate: the count column it divides
    denominator: str | None = None  # for percent: the count (or helper) column it is a share of,
    #                                 or "@<filter>": the numerator on the row where that filter
    #                                 takes its total value (share within the other filters);
    #                                 for rate: "population_0_17" (per 10,000 children aged 0-17)
    first_year: int | None = None   # before this year the value is "x" (not collected)
    lookback: bool = False    # needs the previous census year (12-month look-back): "x" in a year
    #                           whose previous census year is not staged
    suppress: bool = True     # counts: apply small-number suppression at LA level
    zero_base: str | None = None    # value is "z" where this count column is 0 (e.g. C3 factors)
    source: str | None = None       # percentile: name of the distribution in TableSpec.distributions
    q: float | None = None          # percentile: 0.25, 0.5, 0.75
    grouping: str = ""        # EES indicator_grouping

    def __post_init__(self) -> None:
        if self.kind in ("percent", "rate") and not (self.numerator and self.denominator):
            raise ValueError(f"{self.name}: {self.kind} needs numerator and denominator")
        if self.kind == "percentile" and not (self.source and self.q is not None):
            raise ValueError(f"{self.name}: percentile needs source and q")


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
    query: str                # DuckDB SQL returning unrounded LA-level rows (see module docstring)
    description: str = ""     # data-guidance text
    footnotes: tuple[str, ...] = ()
    last_year: int | None = None  # e.g. A4 stops at the last year with complete follow-up
    extra: dict = field(default_factory=dict)
    helpers: tuple[str, ...] = ()  # unpublished count columns of the query (percent denominators)
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #   additive identities total = sum(parts) between published counts, used for secondary
    #   suppression, e.g. ("CPP_At31", ("3_months_or_less", ...)).
    distributions: dict[str, str] = field(default_factory=dict)  # name -> SQL (year, la, value)
    status_file: str | None = None  # key of the file in reference.la_year_status().files (e.g. "b1")
    headline: tuple[str, ...] = ()  # indicators reported as headline metadata / preview

    @property
    def table_id(self) -> str:
        return self.code.lower() if self.release == "children-in-need" else f"rr_{self.code.lower()}"

    @property
    def group(self) -> str:
        return RELEASES[self.release]["group"]

    @property
    def national_only(self) -> bool:
        return tuple(self.geographic_levels) == ("National",)

    @property
    def query_filters(self) -> tuple[Filter, ...]:
        return tuple(f for f in self.filters if not f.constant)

    @property
    def count_columns(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.indicators if i.kind == "count") + tuple(self.helpers)

    def in_release(self, release_year: int) -> bool:
        """Whether the release of ``release_year`` carries this table (its series has started)."""
        return self.first_year <= int(release_year)

    def years(self, release_year: int) -> list[int]:
        last = self.last_year if self.last_year and self.last_year < release_year else release_year
        return list(range(self.first_year, last + 1))

    def file_name(self, release_year: int) -> str:
        last = self.last_year if self.last_year and self.last_year < release_year else release_year
        return f"{self.file_stem}_{self.first_year}_to_{last}.csv"

    def meta_file_name(self, release_year: int) -> str:
        return self.file_name(release_year)[: -len(".csv")] + ".meta.csv"

    def columns(self) -> list[str]:
        """Every column of the published data file, in order."""
        from cin_pipeline.publish.ees import standard_columns

        return standard_columns(self) + [f.name for f in self.filters] + [i.name for i in self.indicators]


REGISTRY: dict[str, TableSpec] = {}


def register(spec: TableSpec) -> TableSpec:
    if spec.table_id in REGISTRY:
        raise ValueError(f"table {spec.table_id} is declared twice")
    names = [f.name for f in spec.filters] + [i.name for i in spec.indicators]
    if len(names) != len(set(names)):
        raise ValueError(f"table {spec.table_id}: duplicate column names")
    known = set(spec.count_columns)
    for i in spec.indicators:
        den = i.denominator or ""
        if i.kind == "percent" and den.startswith("@"):
            if not any(f.name == den[1:] and f.total for f in spec.filters):
                raise ValueError(f"{spec.table_id}.{i.name}: {den} must name a filter with a total")
        elif i.kind == "percent" and not {i.numerator, i.denominator} <= known:
            raise ValueError(f"{spec.table_id}.{i.name}: numerator/denominator must be counts or helpers")
        if i.kind == "rate" and i.numerator not in known:
            raise ValueError(f"{spec.table_id}.{i.name}: numerator must be a count")
        if i.kind == "percentile" and i.source not in spec.distributions:
            raise ValueError(f"{spec.table_id}.{i.name}: unknown distribution {i.source}")
    for total, parts in spec.sums:
        if not {total, *parts} <= known:
            raise ValueError(f"{spec.table_id}: sums must name count columns")
    REGISTRY[spec.table_id] = spec
    return spec


def all_tables() -> list[TableSpec]:
    """Every declared table (importing the declaration modules on first use)."""
    from cin_pipeline.tables import children_in_need, re_referrals  # noqa: F401  (they register)

    return list(REGISTRY.values())


def get(table_id: str) -> TableSpec:
    all_tables()
    return REGISTRY[table_id]


def tables_for_release(release: str) -> list[TableSpec]:
    return [t for t in all_tables() if t.release == release]
