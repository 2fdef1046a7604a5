"""Which blocking checks a declared table gets, and how each one runs (no Dagster here).

Every table gets ``gx_suite`` (Great Expectations suite from the declaration), ``screener`` (the
EES screener's checks) and ``disclosure``; an LA-level table also ``national_equals_la_sum`` and
``regions_add_up``; a table with declared ``sums`` ``identities_hold``; one with percentages
``percentages_consistent``; and one check per declared :class:`~cin_pipeline.tables.declare.Agreement`.

A check reads the table's rows for one release year from the warehouse (:func:`load_table`):
the published text (``publication.<table>``) and the query's unrounded counts
(``publication.<table>__unrounded``), turned into what the totals are made of by the formatter's
own :func:`cin_pipeline.ees.rows.la_contributions`, so the checks and the formatter cannot
disagree on carry-forward. :mod:`cin_pipeline.defs.checks` wraps each :class:`PlannedCheck` as a
Dagster asset check partitioned by release year.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from cin_pipeline.checks import cross, disclosure, screener, suites
from cin_pipeline.checks.deviations import deviations_for
from cin_pipeline.ees.meta import build_meta
from cin_pipeline.ees.rows import la_contributions
from cin_pipeline.ees.store import PUBLICATION_SCHEMA, UNROUNDED_SUFFIX
from cin_pipeline.sqlutil import has_relation
from cin_pipeline.tables import get
from cin_pipeline.tables.declare import TableSpec

ERROR, WARN = "ERROR", "WARN"


@dataclass
class Outcome:
    """The result of one check: ``severity`` is what a failure means (ERROR blocks)."""

    passed: bool
    description: str
    severity: str = ERROR
    report: str = ""                     # Markdown shown in the UI
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedCheck:
    name: str
    description: str
    run: Callable[[object, int], Outcome]   # (duckdb connection, release year) -> Outcome
    other_table: str | None = None           # agreements: the table it is compared with


# ----------------------------------------------------------------------------- loading
class TableReader:
    """A warehouse connection for one check step: each table's rows are read and prepared once
    (a table's checks, and the agreements that read another table, load the same rows), and each
    check gets its own copy."""

    def __init__(self, con) -> None:
        self.con = con
        self._loaded: dict[tuple[str, int], tuple[pd.DataFrame, pd.DataFrame | None]] = {}

    def load(self, spec: TableSpec, release_year: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        key = (spec.table_id, int(release_year))
        if key not in self._loaded:
            self._loaded[key] = _load_table(self.con, spec, release_year)
        text, unrounded = self._loaded[key]
        return text.copy(), None if unrounded is None else unrounded.copy()


def load_table(con, spec: TableSpec, release_year: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(published text rows, unrounded LA contributions or None) of ``spec`` for ``release_year``;
    ``con`` a DuckDB connection or a :class:`TableReader`."""
    if isinstance(con, TableReader):
        return con.load(spec, release_year)
    return _load_table(con, spec, release_year)


def _load_table(con, spec: TableSpec, release_year: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    name = spec.warehouse_name
    if not has_relation(con, PUBLICATION_SCHEMA, name):
        raise LookupError(f"warehouse table {PUBLICATION_SCHEMA}.{name} does not exist "
                          "(materialise the table first)")
    text = con.execute(f'SELECT * FROM {PUBLICATION_SCHEMA}."{name}" WHERE release_year = ? '
                       "ORDER BY row_number", [int(release_year)]).df()
    if text.empty:
        raise LookupError(f"{spec.table_id} has no rows for release year {release_year} "
                          "(materialise that partition first)")
    text = text.drop(columns=["release_year", "row_number"])
    text = text.astype(object).where(text.notna(), "").astype(str)
    unrounded = None
    uname = name + UNROUNDED_SUFFIX
    if has_relation(con, PUBLICATION_SCHEMA, uname):
        u = con.execute(f'SELECT * FROM {PUBLICATION_SCHEMA}."{uname}" WHERE release_year = ?',
                        [int(release_year)]).df().drop(columns=["release_year"])
        if not u.empty:
            unrounded = la_contributions(spec, u, int(release_year))
    return text, unrounded


# ----------------------------------------------------------------------------- outcomes
def _md_details(details: list[dict], n: int = 30) -> str:
    if not details:
        return ""
    cols = ["table", "year", "geography", "column", "expected", "found"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for d in details[:n]:
        lines.append("| " + " | ".join(str(d.get(c, "")).replace("|", "/") for c in cols) + " |")
    if len(details) > n:
        lines.append(f"\n... and {len(details) - n} more")
    return "\n".join(lines)


def from_cross(res: cross.CrossResult, title: str) -> Outcome:
    return Outcome(res.passed, res.message[:1000], ERROR,
                   f"### {title}\n\n{res.message}\n\n{_md_details(res.details)}",
                   {"failures": len(res.details)})


def counts_of(spec: TableSpec, suppressible: bool = False) -> list[str]:
    return [i.name for i in spec.indicators if i.kind == "count" and (i.suppress or not suppressible)]


def percents_of(spec: TableSpec) -> list[tuple[str, str, str, int]]:
    return [(i.name, i.numerator, i.denominator, i.dp) for i in spec.indicators if i.kind == "percent"]


def _c_max(spec: TableSpec) -> int | None:
    # secondary suppression can hide any value behind "c" in tables with additive identities
    return None if spec.sums else 5


def run_screener(spec: TableSpec, text: pd.DataFrame, release_year: int) -> Outcome:
    fname = spec.file_name(release_year)
    wide = any(f.constant for f in spec.filters)
    res = screener.screen(text, build_meta(spec), fname,
                          deviations=deviations_for(spec.table_id, wide=wide))
    fails = [r for r in res if r.result == screener.FAIL]
    warns = [r for r in res if r.result == screener.WARNING]
    # a check whose reference list is not available is NOT RUN: recorded, never a PASS, and it
    # does not fail this check (see checks/screener.py)
    skipped = screener.not_run(res)
    reasons = dict.fromkeys(r.message.removeprefix("NOT RUN: ") for r in skipped)
    not_run_text = "; ".join(
        f"NOT RUN: {', '.join(r.check for r in skipped if r.message == f'NOT RUN: {why}')} ({why})"
        for why in reasons)
    api_text = screener.api_suitability(res)
    if fails or warns:
        desc = "; ".join(f"{r.check}: {r.message}" for r in (fails or warns))
    else:
        desc = ("all screener checks that ran pass (recorded deviations accepted); "
                + (not_run_text + "; " if skipped else "") + f"API suitability: {api_text}")
    return Outcome(not fails and not warns, desc[:1000], ERROR if fails else WARN,
                   screener.to_markdown(res, f"EES screener: {fname}"),
                   {"failed": [r.check for r in fails], "warnings": [r.check for r in warns],
                    "not_run": [r.check for r in skipped],
                    "accepted_deviations": [r.check for r in res if r.deviation],
                    "api_suitable": api_text,
                    "api_warnings": [r.check for r in screener.api_warnings(res)]})


def run_gx(spec: TableSpec, text: pd.DataFrame, release_year: int, con=None) -> Outcome:
    """The table's GX suite on its published rows; with ``con`` (a connection or
    :class:`TableReader`), the result is kept in the warehouse for the Data Docs
    (:func:`cin_pipeline.checks.suites.store_validation`), so the suite runs once."""
    runner = suites.GxRunner()
    ok, res, md = suites.validate_table(spec, text, release_year, runner)
    if con is not None:
        suites.store_validation(con.con if isinstance(con, TableReader) else con, spec, release_year,
                                text, runner.record(res))
    bad = suites.failed(res)
    return Outcome(not bad, f"{len(bad)} expectations failed" if bad else "all expectations met",
                   ERROR if not ok else WARN, md, {"statistics": res.statistics})


def run_disclosure(spec: TableSpec, text: pd.DataFrame) -> cross.CrossResult:
    pcts = [(p, n, d) for p, n, d, _ in percents_of(spec)]
    return cross.combine(spec.table_id, [
        disclosure.small_counts(text, spec.table_id, counts_of(spec, suppressible=True)),
        disclosure.secondary_suppression(text, spec.table_id, spec.identities, pcts),
        disclosure.child_identifiers(text, spec.table_id),
    ])


def _agreement(spec: TableSpec, a) -> Callable[[object, int], Outcome]:
    def run(con, year: int) -> Outcome:
        other = get(a.other)
        if not other.in_release(year):
            return Outcome(True, f"{other.table_id} is not part of the {year} release")
        text, unrounded = load_table(con, spec, year)
        try:
            ot, other_unrounded = load_table(con, other, year)
        except LookupError as e:
            return Outcome(False, str(e), WARN)
        common = sorted(set(text["time_period"]) & set(ot["time_period"]))
        results = [cross.measures_agree(text, spec.table_id, a.column, ot, other.table_id,
                                        a.other_column, years=common, rows_a=a.rows,
                                        rows_b=a.other_rows)]
        # two counts: also their unrounded LA values, which the rounded national figures hide
        if (a.column in spec.count_columns and a.other_column in other.count_columns
                and unrounded is not None and other_unrounded is not None):
            results.append(cross.counts_agree(
                unrounded, spec.table_id, a.column, other_unrounded, other.table_id, a.other_column,
                years=[int(y) for y in common], rows_a=a.rows,
                totals={f.name: f.total for f in spec.filters if f.total}, rows_b=a.other_rows,
                totals_b={f.name: f.total for f in other.filters if f.total}))
        return from_cross(cross.combine(spec.table_id, results),
                          f"{spec.table_id}.{a.column} agrees with {other.table_id}.{a.other_column}")
    return run


def _window_check(spec: TableSpec) -> PlannedCheck:
    """A window table's (F2) LA cells equal the LA rates they repeat, its national cells the
    medians of its LA cells."""
    other_id, column = spec.window.agrees_with
    filt = spec.query_filters[0].name
    inds = [(i.name, k, i.dp) for i, k in zip(spec.indicators, spec.window.offsets)]

    def run(con, year: int) -> Outcome:
        text, _ = load_table(con, spec, year)
        try:
            other_text, _ = load_table(con, get(other_id), year)
        except LookupError as e:
            return Outcome(False, str(e), WARN)
        return from_cross(cross.window_agrees(text, spec.table_id, inds, filt, year, other_text,
                                              other_id, column),
                          f"{spec.table_id} agrees with {other_id}.{column}")

    name = re.sub(r"[^a-z0-9]+", "_", f"window_agrees_with_{other_id}_{column}".lower()).strip("_")
    return PlannedCheck(name, f"{spec.code}: LA cells = {other_id}.{column} of the LA in each year "
                              "of the window (z after the release year); national cells = median "
                              "of the LA cells per " + filt, run, other_table=other_id)


def plan(spec: TableSpec) -> list[PlannedCheck]:
    """Every blocking check of one table, in the order the UI lists them."""
    tid = spec.table_id

    def on_text(fn: Callable[[pd.DataFrame, pd.DataFrame | None, int], Outcome]):
        def run(con, year: int) -> Outcome:
            text, unrounded = load_table(con, spec, year)
            return fn(text, unrounded, year)
        return run

    checks = [
        PlannedCheck("gx_suite", f"{spec.code}: Great Expectations suite generated from the declaration",
                     lambda con, year: run_gx(spec, load_table(con, spec, year)[0], year, con)),
        PlannedCheck("screener", f"{spec.code}: EES screener checks (accepted deviations in checks/deviations.py)",
                     on_text(lambda t, u, y: run_screener(spec, t, y))),
        PlannedCheck("disclosure", f"{spec.code}: no unsuppressed 1-5, no c narrowable below 1-5, no child-level data",
                     on_text(lambda t, u, y: from_cross(run_disclosure(spec, t), f"Disclosure: {tid}"))),
    ]
    counts = counts_of(spec)
    filters = [f.name for f in spec.filters]
    if "Local authority" in spec.geographic_levels and counts:
        checks.append(PlannedCheck(
            "national_equals_la_sum", f"{spec.code}: national = round10(sum of unrounded LA values)",
            on_text(lambda t, u, y: from_cross(cross.national_equals_la_sum(
                t, tid, counts, unrounded=u, filters=filters, c_max=_c_max(spec)),
                f"National = sum of LAs: {tid}"))))
        if "Regional" in spec.geographic_levels:
            checks.append(PlannedCheck(
                "regions_add_up", f"{spec.code}: regions = sum of their LAs; 9 regions = national; "
                                  "Inner + Outer = London",
                on_text(lambda t, u, y: from_cross(cross.regions_add_up(
                    t, tid, counts, unrounded=u, filters=filters, c_max=_c_max(spec)),
                    f"Regions add up: {tid}"))))
    if spec.identities:
        checks.append(PlannedCheck(
            "identities_hold", f"{spec.code}: " + "; ".join(f"{t} = {' + '.join(p)}" for t, p in spec.identities),
            on_text(lambda t, u, y: from_cross(cross.combine(tid, [
                cross.identity(t, tid, tot, parts, unrounded=u) for tot, parts in spec.identities]),
                f"Identities: {tid}"))))
    pcts = percents_of(spec)
    if spec.window is not None:
        # its percentages are rates of other years (LA rows) and medians (national rows)
        checks.append(_window_check(spec))
    elif pcts:
        checks.append(PlannedCheck(
            "percentages_consistent", f"{spec.code}: percentages consistent with their counts",
            on_text(lambda t, u, y: from_cross(cross.percentages_consistent(
                t, tid, pcts, unrounded=u, filters=filters), f"Percentages: {tid}"))))
    for a in spec.agreements:
        where = "".join(f" ({c} = {v})" for c, v in a.rows)
        there = "".join(f" ({c} = {v})" for c, v in a.other_rows)
        checks.append(PlannedCheck(a.check_name, f"{spec.code}.{a.column}{where} = {a.other}.{a.other_column}{there} "
                                                 "wherever both are published",
                                   _agreement(spec, a), other_table=a.other))
    return checks
