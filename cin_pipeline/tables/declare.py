"""What a published data set is: the declaration types and the shape helpers.

A table is one file pair in its release folder, ``cin_pipeline/tables/<release>/<code>.py`` (the
declaration: ``TABLE = ...``) and ``<code>.sql`` (its query). :mod:`cin_pipeline.tables` finds
them by walking the folders and binds each query to its declaration. Everything about a table is
in its declaration: its columns, labels and units, its years, its additive identities (``sums``),
its agreements with other tables, its headline figures, where its LAs' ``x``/``u`` status comes
from, and the provenance of its layout. The Dagster asset, the EES ``.csv`` and ``.meta.csv``, the
data-guidance entry, the checks, the preview and ``cin-pipeline compare`` are generated from it.

Contract of a query (checked by the EES formatter, :mod:`cin_pipeline.ees`):

* it reads the shared definitions in ``facts.*`` (and, where a table needs something no other
  table shares, ``clean.*`` or ``lcd.*``);
* it returns the **whole time series**, one row per ``year``, ``la`` (3-digit code, never NULL:
  national figures are sums of LA rows so the carry-forward rules apply to them too) and every
  non-constant filter column, with every ``count`` indicator and ``helpers`` column as unrounded
  integers. LAs with a return but no rows are zero-filled by the formatter;
* or, for a table declared with ``parts``, long rows ``year, la, part, n`` that the formatter
  pivots into the published columns (``{{parts}}`` in the SQL expands to a
  ``(VALUES (code, part), ...)`` table of the declaration's code list).

Percentages, rates, rounding, suppression and symbols are the formatter's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product
from typing import Literal

GeoLevel = Literal["National", "Regional", "Local authority"]
LEVELS: tuple[GeoLevel, ...] = ("National", "Regional", "Local authority")
NATIONAL: tuple[GeoLevel, ...] = ("National",)
POPULATION = "population_0_17"
PER10K = "per 10,000 children"

BASE_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name")
GEO_COLUMNS = ("region_code", "region_name", "old_la_code", "new_la_code", "la_name")


@dataclass(frozen=True)
class Release:
    """One EES release (a folder of :mod:`cin_pipeline.tables`)."""

    slug: str        # folder name of the publication, e.g. "children-in-need"
    title: str
    group: str       # Dagster group and first part of every table id, e.g. "children_in_need"
    summary: str
    national_note: str = ""  # guidance paragraph for the release's national-only data sets
    population_file: bool = False  # the release also publishes the 0-17 population its rates
    #                                divide by (cin_pipeline.ees.population), N/R/LA
    lcd_note: str = ""       # guidance caveat for its data sets counted on the Longitudinal CIN
    #                          Dataset (TableSpec.reads_lcd)


@dataclass(frozen=True)
class Layout:
    """Where a table's published layout (file name, columns, labels) comes from."""

    exact: bool      # True: the exact published header; False: the project's reconstruction
    source: str      # the file or page it was taken from

    def describe(self) -> str:
        return (f"exact published layout ({self.source})" if self.exact
                else f"reconstructed by the project ({self.source})")


def exact(source: str) -> Layout:
    return Layout(True, source)


def reconstructed(source: str) -> Layout:
    return Layout(False, source)


@dataclass(frozen=True)
class Filter:
    """A filter column (EES ``col_type`` Filter)."""

    name: str                 # column name as published, e.g. "category"
    label: str                # meta label
    values: tuple[str, ...] = ()  # allowed values (in published order)
    hint: str = ""
    default: str = ""         # filter_default when there is no "Total" item
    constant: bool = False    # single-valued filter written by the formatter (values[0])
    total: str = ""           # the value that is the total over the other values ("Total"), if
    #                           any; the formatter adds those rows (sum of the other values)
    value_first_year: tuple[tuple[str, int], ...] = ()  # (value, first year): "x" before
    lookback: bool = False    # its values (but the total) split referrals by re-referral: those
    #                           rows need the previous census year (see Indicator.lookback)
    within: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #   nested in the query filter before it (the A-series ``characteristic`` and
    #   ``characteristic_type``): (that filter's value, this filter's values under it); the table
    #   has rows for these pairs only, in this order (see TableSpec.filter_keys)
    group_column: str = ""    # EES filter group: the data column (written before this one) that
    #                           groups its values, e.g. A1's "category" over "category_type"
    groups: tuple[tuple[str, str], ...] = ()  # (value, its group), for every value
    lookback_years: tuple[tuple[str, int], ...] = ()  # (value, n): its rows look back n census
    #                           years (A1's re-referral rows: 1; A3's 3- and 5-year windows): "x"
    #                           in a year any of whose n previous census years is not staged

    def looks_back(self, value: str) -> bool:
        """Whether the rows of ``value`` need the previous census year."""
        return value in dict(self.lookback_years) or (self.lookback and value != self.total)

    def lookback_depth(self, value: str) -> int:
        """How many previous census years the rows of ``value`` need (0: none)."""
        return dict(self.lookback_years).get(value, 1 if self.looks_back(value) else 0)

    def group_of(self, value: str) -> str:
        return dict(self.groups)[value]

    @property
    def columns(self) -> tuple[str, ...]:
        """Its data columns: the group column (if any), then the filter itself."""
        return ((self.group_column,) if self.group_column else ()) + (self.name,)


@dataclass(frozen=True)
class Indicator:
    """An indicator column (EES ``col_type`` Indicator)."""

    name: str                 # column name as published, e.g. "Re_referrals_percent"
    label: str
    kind: Literal["count", "percent", "rate", "percentile"] = "count"
    unit: str = ""            # EES indicator_unit: "", "%", ...
    dp: int = 0               # decimal places
    numerator: str | None = None    # percent/rate: the count column it divides
    denominator: str | None = None  # percent: the count (or helper) column it is a share of, or
    #                                 "@<filter>": the numerator on the row where that filter takes
    #                                 its total value; rate: POPULATION (per 10,000 aged 0-17)
    first_year: int | None = None   # before this year the value is "x" (not collected)
    lookback: bool = False    # needs the previous census year (12-month look-back): "x" in a
    #                           year whose previous census year is not staged
    suppress: bool = True     # counts: small-number suppression at LA level
    zero_base: str | None = None    # "z" where this count column is 0 (e.g. C3 factors)
    source: str | None = None       # percentile: name of the distribution in TableSpec.distributions
    q: float | None = None          # percentile: 0.25, 0.5, 0.75
    grouping: str = ""        # EES indicator_grouping
    applies_to: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #   (filter, values): the rows this indicator applies to in a long table whose rows are
    #   different measures (A1: a rate for counts of children, a percentage for re-referrals);
    #   "z" (not applicable) on the other rows. Empty: every row.

    def applies(self, row: dict[str, str]) -> bool:
        """Whether it applies on the row with these filter values."""
        return all(row.get(f) in values for f, values in self.applies_to)

    def __post_init__(self) -> None:
        if self.kind in ("percent", "rate") and not (self.numerator and self.denominator):
            raise ValueError(f"{self.name}: {self.kind} needs numerator and denominator")
        if self.kind == "percentile" and not (self.source and self.q is not None):
            raise ValueError(f"{self.name}: percentile needs source and q")


@dataclass(frozen=True)
class Agreement:
    """This table's ``column`` (on the rows picked by ``rows``) equals ``other``'s
    ``other_column`` cell by cell, wherever both are published (checked after both are built)."""

    column: str
    other: str                # table id, e.g. "children_in_need.c1"
    other_column: str
    rows: tuple[tuple[str, str], ...] = ()  # (filter, value) picking this table's rows
    other_rows: tuple[tuple[str, str], ...] = ()  # (filter, value) picking the other table's rows
    #                           (a long table, e.g. the Total rows of re-referrals A1)

    @property
    def check_name(self) -> str:
        name = f"{self.other_column.lower()}_agrees_with_{self.other.replace('.', '_')}"
        if self.other_rows:
            name += "_" + "_".join(v for _, v in self.other_rows)
        return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True)
class Headline:
    """A headline figure: shown in the asset metadata, the demo, the preview (``tile``/``chart``)
    and compared with the published national figure ``published`` (a measure of
    ``reference.national_published()``) by ``cin-pipeline compare``."""

    column: str
    label: str
    tile: bool = False
    chart: bool = False
    published: str = ""
    rows: tuple[tuple[str, str], ...] = ()
    #   (filter, value) picking the query rows that make the national figure in a long table
    #   whose filter has no Total (e.g. A7's characteristic_type "Total"); else every row


@dataclass(frozen=True)
class EventWindow:
    """A table of each LA's percentages around the year of an event (re-referrals F2: the LA's
    latest Ofsted inspection up to the release year). The query returns one row per LA and event
    year (``year``: the event's reporting year) with the filter (the event's value, e.g. the
    judgement) and, for the ``k``-th indicator (a percentage), its numerator and denominator
    helpers counted in the year ``year + offsets[k]``. The formatter writes:

    * one LA row per LA, ``time_period`` its latest event year up to the release year, each
      indicator the percentage of ``year + offset`` to ``la_dp`` places, ``z`` for a year after
      the release year (not yet observed), ``x`` for a year whose census (or the one before, the
      12-month look-back) is not staged, the LA's ``x``/``u`` status of that year
      (``TableSpec.status_from``);
    * one National row per filter value, ``time_period`` the release year: the median of the
      published values of the LA rows with that value, to the indicators' ``dp`` places (``z``
      where no LA has a value).

    ``agrees_with``: (table id, column) of the LA-year percentages the LA cells repeat (checked)."""

    offsets: tuple[int, ...]
    la_dp: int = 1
    agrees_with: tuple[str, str] | None = None


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
    layout: Layout
    description: str = ""     # data-guidance text
    footnotes: tuple[str, ...] = ()
    last_year: int | None = None  # e.g. A4 stops at the last year with complete follow-up
    helpers: tuple[str, ...] = ()  # unpublished count columns of the query (percent denominators)
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #   additive identities total = sum(parts) between counts: checked on every row and used for
    #   secondary suppression, e.g. ("CPP_At31", ("3_months_or_less", ...)).
    distributions: dict[str, str] = field(default_factory=dict)  # name -> SQL (year, la, value)
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #   long query output: (published column, census codes) pivoted by the formatter
    status_from: str | None = None
    #   the published data set whose LA x/u status applies (reference.la_year_status() "files"),
    #   e.g. "b1"; None: only statuses of whole returns
    headline: tuple[Headline, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    latest_only: bool = False  # the release's latest year only (headline figures): the file
    #                            name has no year range, ``<file_stem>.csv``
    time_offset: int = 0      # published time_period = reporting year + this (the population
    #                           file: -1, the ONS mid-year the rates of reporting year Y use)
    window: EventWindow | None = None  # LA figures around an event year (F2), see EventWindow
    query: str = ""           # bound from <code>.sql by cin_pipeline.tables

    @property
    def table_id(self) -> str:
        """``<release group>.<code>``, e.g. ``children_in_need.b1``."""
        return f"{self.release.group}.{self.code.lower()}"

    @property
    def heading(self) -> str:
        """``<code>: <title>``, or the title alone when it already begins with the code (a
        published title such as "A4. Duration of episodes 2017-23")."""
        t = self.title.strip()
        if re.match(rf"{re.escape(self.code)}\b[.:]?\s", t + " ", re.IGNORECASE):
            return t
        return f"{self.code}: {t}"

    @property
    def reads_lcd(self) -> bool:
        """Whether its query counts records linked across returns (``lcd.*`` or the facts over
        the LCD, ``facts.referral*``: ``cin_pipeline/facts/lcd.sql``)."""
        return bool(re.search(r"\b(lcd\.|facts\.referral)", self.query))

    @property
    def key(self) -> tuple[str, str]:
        """Asset key path, e.g. ``("children_in_need", "b1")``."""
        return (self.release.group, self.code.lower())

    @property
    def warehouse_name(self) -> str:
        """Name of its tables in the warehouse's ``publication`` schema."""
        return f"{self.release.group}__{self.code.lower()}"

    @property
    def group(self) -> str:
        return self.release.group

    @property
    def national_only(self) -> bool:
        return tuple(self.geographic_levels) == NATIONAL

    @property
    def query_filters(self) -> tuple[Filter, ...]:
        return tuple(f for f in self.filters if not f.constant)

    @property
    def count_columns(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.indicators if i.kind == "count") + tuple(self.helpers)

    @property
    def identities(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The additive identities between published counts (the declared ``sums``)."""
        return self.sums

    def filter_keys(self) -> list[tuple[str, ...]]:
        """The combinations of the query filters' values that the table has rows for, in published
        order: every combination, except that a filter declared ``within`` the one before it takes
        only its values under that filter's value."""
        keys: list[tuple[str, ...]] = [()]
        for f in self.query_filters:
            if f.within:
                under = dict(f.within)
                keys = [k + (v,) for k in keys for v in under.get(k[-1], ())]
            else:
                keys = [k + (v,) for k, v in product(keys, f.values)]
        return keys

    def in_release(self, release_year: int) -> bool:
        """Whether the release of ``release_year`` carries this table (its series has started)."""
        return self.first_year <= int(release_year)

    def last_year_in(self, release_year: int) -> int:
        return self.last_year if self.last_year and self.last_year < release_year else int(release_year)

    def years(self, release_year: int) -> list[int]:
        """The reporting years the release of ``release_year`` publishes."""
        last = self.last_year_in(release_year)
        return [last] if self.latest_only else list(range(self.first_year, last + 1))

    def file_name(self, release_year: int) -> str:
        if self.latest_only:
            return f"{self.file_stem}.csv"
        first, last = self.first_year + self.time_offset, self.last_year_in(release_year) + self.time_offset
        return f"{self.file_stem}_{first}_to_{last}.csv"

    def meta_file_name(self, release_year: int) -> str:
        return self.file_name(release_year)[: -len(".csv")] + ".meta.csv"

    def standard_columns(self) -> list[str]:
        return list(BASE_COLUMNS) + ([] if self.national_only else list(GEO_COLUMNS))

    def filter_columns(self) -> list[str]:
        """The data columns of the filters, in order (a filter's group column before it)."""
        return [c for f in self.filters for c in f.columns]

    def columns(self) -> list[str]:
        """Every column of the published data file, in order."""
        return self.standard_columns() + self.filter_columns() + [i.name for i in self.indicators]

    def indicator(self, name: str) -> Indicator:
        return next(i for i in self.indicators if i.name == name)

    def validate(self) -> None:
        """Refuse a declaration whose parts do not fit together."""
        tid = self.table_id
        names = [f.name for f in self.filters] + [i.name for i in self.indicators]
        columns = self.filter_columns() + [i.name for i in self.indicators]
        if len(columns) != len(set(columns)):
            raise ValueError(f"table {tid}: duplicate column names")
        filters = {f.name: f for f in self.filters}
        for f in self.filters:
            if f.group_column and {v for v, _ in f.groups} != set(f.values):
                raise ValueError(f"{tid}.{f.name}: every value needs a group (and only its values)")
            if not {v for v, _ in f.lookback_years} <= set(f.values) - {f.total} \
                    or any(n < 1 for _, n in f.lookback_years):
                raise ValueError(f"{tid}.{f.name}: lookback_years must be (value, years >= 1) of "
                                 "values of the filter")
        for i in self.indicators:
            for fname, values in i.applies_to:
                if fname not in filters or filters[fname].constant or not set(values) <= set(filters[fname].values):
                    raise ValueError(f"{tid}.{i.name}: applies_to must name values of a query filter")
        known = set(self.count_columns)
        for i in self.indicators:
            den = i.denominator or ""
            if i.kind == "percent" and den.startswith("@"):
                if not any(f.name == den[1:] and f.total for f in self.filters):
                    raise ValueError(f"{tid}.{i.name}: {den} must name a filter with a total")
            elif i.kind == "percent" and not {i.numerator, i.denominator} <= known:
                raise ValueError(f"{tid}.{i.name}: numerator/denominator must be counts or helpers")
            if i.kind == "rate" and i.numerator not in known:
                raise ValueError(f"{tid}.{i.name}: numerator must be a count")
            if i.kind == "percentile" and i.source not in self.distributions:
                raise ValueError(f"{tid}.{i.name}: unknown distribution {i.source}")
        for total, parts in self.sums:
            if not {total, *parts} <= known:
                raise ValueError(f"{tid}: sums must name count columns")
        for a in self.agreements:
            if a.column not in names:
                raise ValueError(f"{tid}: agreement on unknown column {a.column}")
        for h in self.headline:
            if h.column not in names:
                raise ValueError(f"{tid}: headline on unknown column {h.column}")
            if not {f for f, _ in h.rows} <= {f.name for f in self.query_filters}:
                raise ValueError(f"{tid}: headline rows must name query filters")
        qf = self.query_filters
        for i, f in enumerate(qf):
            if f.within and (i == 0 or f.total or qf[i - 1].total
                             or not {p for p, _ in f.within} <= set(qf[i - 1].values)
                             or not {v for _, vs in f.within for v in vs} <= set(f.values)):
                raise ValueError(f"{tid}.{f.name}: 'within' needs a query filter before it without a "
                                 "Total, and only values of the two filters")
        if self.parts and self.query_filters:
            raise ValueError(f"{tid}: parts (long output pivoted to columns) need a table without filters")
        if self.parts and not {p for p, _ in self.parts} <= known:
            raise ValueError(f"{tid}: every part must be a count column")
        if self.window and (len(self.window.offsets) != len(self.indicators)
                            or any(i.kind != "percent" for i in self.indicators)
                            or self.geographic_levels != ("National", "Local authority")
                            or len(self.query_filters) != 1 or self.query_filters[0].total):
            raise ValueError(f"{tid}: a window table has one percentage per offset, National and "
                             "LA rows and one filter without a Total")


# ----------------------------------------------------------------------------- shape helpers
def count(name: str, label: str, grouping: str = "", **kw) -> Indicator:
    return Indicator(name, label, "count", grouping=grouping, **kw)


def rate(count_column: str, label: str, grouping: str = "") -> Indicator:
    """``<count>_rate``: per 10,000 children aged 0-17, 1 dp."""
    return Indicator(f"{count_column}_rate", label, "rate", dp=1, numerator=count_column,
                     denominator=POPULATION, grouping=grouping)


def percent(name: str, label: str, numerator: str, denominator: str, grouping: str = "",
            **kw) -> Indicator:
    return Indicator(name, label, "percent", unit="%", dp=1, numerator=numerator,
                     denominator=denominator, grouping=grouping, **kw)


def category(value: str) -> Filter:
    """The single-valued ``category`` filter of the wide LA tables (published layout)."""
    return Filter("category", "Category", values=(value,), constant=True,
                  hint="Single-valued: the data set's subject")


def grouped(name: str, label: str, group_column: str,
            groups: tuple[tuple[str, tuple[str, ...]], ...], **kw) -> Filter:
    """A filter whose values are grouped by another data column (EES ``filter_grouping_column``),
    as the long national time series publish ``category`` over ``category_type``; ``groups`` is
    ``(group, its values)`` in published order."""
    return Filter(name, label, values=tuple(v for _, vs in groups for v in vs),
                  group_column=group_column, groups=tuple((v, g) for g, vs in groups for v in vs),
                  **kw)


def breakdown(total: tuple[str, str], parts: tuple[tuple[str, str], ...], *, grouping: str = "",
              count_label: str = "{part}", percent_label: str | None = "{part} - percentage",
              percent_suffix: str = "_percent") -> tuple[tuple[Indicator, ...], tuple[str, tuple[str, ...]]]:
    """A total and its parts (``total = sum(parts)``): the total's count, then each part's count
    and (unless ``percent_label`` is None) its percentage of the total, as the B and D tables
    publish them. ``total`` and each part are ``(column, words)``; the labels are
    ``count_label``/``percent_label`` with ``{part}`` (the part's words) and ``{total}`` (the
    total's label). Returns ``(indicators, sums entry)``."""
    tname, tlabel = total
    inds: list[Indicator] = [count(tname, tlabel, grouping)]
    for pname, words in parts:
        inds.append(count(pname, count_label.format(part=words, total=tlabel), grouping))
        if percent_label is not None:
            inds.append(percent(f"{pname}{percent_suffix}", percent_label.format(part=words, total=tlabel),
                                pname, tname, grouping))
    return tuple(inds), (tname, tuple(p for p, _ in parts))


def la_table(release: Release, code: str, title: str, file_stem: str, subject: str,
             indicators: tuple[Indicator, ...], *, first_year: int = 2013, **kw) -> TableSpec:
    """An LA-level wide table (national, regional and LA rows) with the constant ``category``
    filter, as the release's B, C and D tables are published."""
    return TableSpec(release=release, code=code, title=title, file_stem=file_stem,
                     geographic_levels=LEVELS, first_year=first_year,
                     filters=(category(subject),), indicators=indicators, **kw)


def national_table(release: Release, code: str, title: str, file_stem: str,
                   filters: tuple[Filter, ...], indicators: tuple[Indicator, ...], *,
                   first_year: int, **kw) -> TableSpec:
    """A national long table: filter columns then indicators, one row per year and filter
    combination (``Total`` rows added by the formatter)."""
    return TableSpec(release=release, code=code, title=title, file_stem=file_stem,
                     geographic_levels=NATIONAL, first_year=first_year, filters=filters,
                     indicators=indicators, **kw)
