"""Blocking asset checks on every published table (one ``@dg.asset_check`` per check, so the UI
shows each): ``gx_suite``, ``screener``, ``disclosure``, and the cross-checks
``national_equals_la_sum``, ``regions_add_up``, ``identities_hold``, ``percentages_consistent``
and ``<other column>_agrees_with_<other table>``.

Each check reads the table's rows for the run's release year from the warehouse:

* ``publication.<table_id>``: the text rows as they will be published (written by
  ``cin_pipeline.publish.ees.store_publication``: ``release_year``, ``row_number`` then the
  published columns, every cell text);
* ``publication.<table_id>__unrounded`` (optional): the table query's unrounded LA-level counts
  (``year, la, <filters>, <counts>``, optional ``release_year``), written with the text rows by
  ``store_publication``. When present the cross-checks are exact; otherwise they use the text
  bounds documented in :mod:`cin_pipeline.checks.cross`. The loader turns the query output into
  what the totals are made of with the writer's own
  :func:`cin_pipeline.publish.ees.la_contributions` (carried-forward LA-years from
  ``reference.la_year_status()`` under the year they count in, LAs outside a year's geography
  dropped), so the checks and the writer cannot disagree on carry-forward.

A failed check of severity ERROR fails its step and, being ``blocking``, stops every downstream
asset in the same run (the ``publication`` asset depends on every table asset). WARN results
never block.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from cin_pipeline.checks import cross, disclosure, screener, suites
from cin_pipeline.checks.deviations import deviations_for
from cin_pipeline.sqlutil import has_relation
from cin_pipeline.tables.registry import TableSpec, all_tables

try:  # the tables engineer's helper, when it exists
    from cin_pipeline.defs.tables import table_asset_key  # type: ignore
except ImportError:  # pragma: no cover - depends on the order files land in
    def table_asset_key(spec: TableSpec) -> dg.AssetKey:
        return dg.AssetKey(["tables", spec.table_id])


# ----------------------------------------------------------------------------- loading
def _columns(con, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table]).fetchall()]


def load_table(con, spec: TableSpec, release_year: int | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(published text rows, unrounded LA counts or None) of ``spec`` for ``release_year``."""
    name = spec.table_id
    if not has_relation(con, "publication", name):
        raise LookupError(f"warehouse table publication.{name} does not exist (materialize the table first)")
    cols = _columns(con, "publication", name)
    where, params = ("", [])
    if "release_year" in cols and release_year is not None:
        where, params = " where release_year = ?", [int(release_year)]
    order = " order by row_number" if "row_number" in cols else ""
    text = con.execute(f'select * from publication."{name}"{where}{order}', params).df()
    text = text.drop(columns=[c for c in ("release_year", "row_number") if c in text.columns])
    text = text.astype(object).where(text.notna(), "").astype(str)
    unrounded = None
    uname = f"{name}__unrounded"
    if has_relation(con, "publication", uname):
        ucols = _columns(con, "publication", uname)
        uwhere, uparams = ("", [])
        if "release_year" in ucols and release_year is not None:
            uwhere, uparams = " where release_year = ?", [int(release_year)]
        unrounded = con.execute(f'select * from publication."{uname}"{uwhere}', uparams).df()
        unrounded = unrounded.drop(columns=[c for c in ("release_year",) if c in unrounded.columns])
        if unrounded.empty:
            unrounded = None  # e.g. text rows stored without their counts: text bounds
        elif "year" in unrounded.columns and "la" in unrounded.columns:
            from cin_pipeline.publish.ees import la_contributions

            ry = int(release_year) if release_year is not None else int(unrounded["year"].max())
            unrounded = la_contributions(spec, unrounded, ry)
    return text, unrounded


def _release_year(context) -> int | None:
    """The release year of the run: the check's partition key when Dagster passes one, else the
    run's partition tag (a single partition, or a range of one year as the demo and backfills
    launch); ``None`` for an unpartitioned run (then the latest stored release is checked)."""
    try:
        if context.has_partition_key:
            return int(context.partition_key)
    except Exception:  # noqa: BLE001  (unpartitioned run, or a non-year key)
        pass
    try:
        tags = context.run.tags
    except Exception:  # noqa: BLE001
        return None
    key = tags.get("dagster/partition")
    start = tags.get("dagster/asset_partition_range_start")
    if key is None and start is not None and start == tags.get("dagster/asset_partition_range_end"):
        key = start
    try:
        return int(key) if key is not None else None
    except ValueError:
        return None


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


def _cross_result(res: cross.CrossResult, title: str) -> dg.AssetCheckResult:
    md = f"### {title}\n\n{res.message}\n\n{_md_details(res.details)}"
    return dg.AssetCheckResult(
        passed=res.passed, severity=dg.AssetCheckSeverity.ERROR,
        description=res.message[:1000],
        metadata={"report": dg.MetadataValue.md(md), "failures": len(res.details)})


# ----------------------------------------------------------------------------- per-table logic
def counts_of(spec: TableSpec, suppressible: bool = False) -> list[str]:
    return [i.name for i in spec.indicators if i.kind == "count" and (i.suppress or not suppressible)]


def percents_of(spec: TableSpec) -> list[tuple[str, str, str, int]]:
    return [(i.name, i.numerator, i.denominator, i.dp) for i in spec.indicators if i.kind == "percent"]


def identities_of(spec: TableSpec) -> list[tuple[str, tuple[str, ...]]]:
    out = [(t, tuple(p)) for t, p in spec.sums]
    out += [i for i in cross.IDENTITIES.get(spec.table_id, ()) if i not in out]
    return out


def _c_max(spec: TableSpec) -> int | None:
    # secondary suppression can hide any value behind "c" in tables with additive identities
    return None if spec.sums else 5


def run_screener(spec: TableSpec, text: pd.DataFrame, release_year: int | None) -> dg.AssetCheckResult:
    try:
        from cin_pipeline.publish.ees import build_meta

        meta = build_meta(spec)
    except ImportError:  # pragma: no cover
        meta = screener.meta_from_spec(spec, text)
    fname = spec.file_name(release_year) if release_year else f"{spec.file_stem}.csv"
    wide = any(f.constant for f in spec.filters)
    res = screener.screen(text, meta, fname, deviations=deviations_for(spec.table_id, wide=wide))
    md = screener.to_markdown(res, f"EES screener: {fname}")
    fails = [r for r in res if r.result == screener.FAIL]
    warns = [r for r in res if r.result == screener.WARNING]
    desc = ("; ".join(f"{r.check}: {r.message}" for r in fails) if fails else
            "; ".join(f"{r.check}: {r.message}" for r in warns) if warns else "all screener checks pass")
    return dg.AssetCheckResult(
        passed=not fails and not warns,
        severity=dg.AssetCheckSeverity.ERROR if fails else dg.AssetCheckSeverity.WARN,
        description=desc[:1000],
        metadata={"report": dg.MetadataValue.md(md),
                  "failed": dg.MetadataValue.json([r.check for r in fails]),
                  "warnings": dg.MetadataValue.json([r.check for r in warns]),
                  "accepted_deviations": dg.MetadataValue.json([r.check for r in res if r.deviation]),
                  "api_suitable": screener.api_suitable(res)})


def run_gx(spec: TableSpec, text: pd.DataFrame, release_year: int | None) -> dg.AssetCheckResult:
    ok, res, md = suites.validate_table(spec, text, release_year)
    bad = suites.failed(res)
    return dg.AssetCheckResult(
        passed=not bad,
        severity=dg.AssetCheckSeverity.ERROR if not ok else dg.AssetCheckSeverity.WARN,
        description=(f"{len(bad)} expectations failed" if bad else "all expectations met"),
        metadata={"report": dg.MetadataValue.md(md), "statistics": dg.MetadataValue.json(res.statistics)})


def run_disclosure(spec: TableSpec, text: pd.DataFrame) -> cross.CrossResult:
    pcts = [(p, n, d) for p, n, d, _ in percents_of(spec)]
    return cross.combine(spec.table_id, [
        disclosure.small_counts(text, spec.table_id, counts_of(spec, suppressible=True)),
        disclosure.secondary_suppression(text, spec.table_id, identities_of(spec), pcts),
        disclosure.child_identifiers(text, spec.table_id),
    ])


# ----------------------------------------------------------------------------- factories
def _check(spec: TableSpec, name: str, description: str, fn, asset_key: dg.AssetKey | None = None,
           additional_deps: list[dg.AssetKey] | None = None):
    key = asset_key or table_asset_key(spec)

    @dg.asset_check(asset=key, name=name, description=description, blocking=True, pool="duckdb",
                    additional_deps=additional_deps or None)
    def _the_check(context, duckdb: DuckDBResource):
        year = _release_year(context)
        if year is not None and not spec.in_release(year):
            return dg.AssetCheckResult(
                passed=True, metadata={"in_release": False},
                description=f"{spec.code} is not part of the {year} release (series starts {spec.first_year})")
        with duckdb.get_connection() as con:
            text, unrounded = load_table(con, spec, year)
            return fn(con, text, unrounded, year)

    return _the_check


def build_table_checks(spec: TableSpec, asset_key: dg.AssetKey | None = None,
                       known: set[str] | None = None) -> list[dg.AssetChecksDefinition]:
    """Every blocking check of one table (``known``: table ids that exist, for agreements)."""
    tid = spec.table_id
    checks = [
        _check(spec, "gx_suite", f"{spec.code}: Great Expectations suite generated from the declaration",
               lambda con, t, u, y: run_gx(spec, t, y), asset_key),
        _check(spec, "screener", f"{spec.code}: EES screener checks (accepted deviations in checks/deviations.py)",
               lambda con, t, u, y: run_screener(spec, t, y), asset_key),
        _check(spec, "disclosure", f"{spec.code}: no unsuppressed 1-5, no recoverable c, no child-level data",
               lambda con, t, u, y: _cross_result(run_disclosure(spec, t), f"Disclosure: {tid}"), asset_key),
    ]
    counts = counts_of(spec)
    if "Local authority" in spec.geographic_levels and counts:
        filters = [f.name for f in spec.filters]
        checks.append(_check(
            spec, "national_equals_la_sum", f"{spec.code}: national = round10(sum of unrounded LA values)",
            lambda con, t, u, y: _cross_result(cross.national_equals_la_sum(
                t, tid, counts, unrounded=u, filters=filters, c_max=_c_max(spec)),
                f"National = sum of LAs: {tid}"), asset_key))
        if "Regional" in spec.geographic_levels:
            checks.append(_check(
                spec, "regions_add_up", f"{spec.code}: regions = sum of their LAs; 9 regions = national; Inner + Outer = London",
                lambda con, t, u, y: _cross_result(cross.regions_add_up(
                    t, tid, counts, unrounded=u, filters=filters, c_max=_c_max(spec)),
                    f"Regions add up: {tid}"), asset_key))
    idents = identities_of(spec)
    if idents:
        checks.append(_check(
            spec, "identities_hold", f"{spec.code}: " + "; ".join(f"{t} = {' + '.join(p)}" for t, p in idents),
            lambda con, t, u, y: _cross_result(cross.combine(tid, [
                cross.identity(t, tid, tot, parts, unrounded=u) for tot, parts in idents]),
                f"Identities: {tid}"), asset_key))
    pcts = percents_of(spec)
    if pcts:
        filters = [f.name for f in spec.filters]
        checks.append(_check(
            spec, "percentages_consistent", f"{spec.code}: percentages consistent with their counts",
            lambda con, t, u, y: _cross_result(cross.percentages_consistent(
                t, tid, pcts, unrounded=u, filters=filters), f"Percentages: {tid}"), asset_key))
    for a, col_a, rows_a, b, col_b in cross.AGREEMENTS:
        if tid != a or (known is not None and b not in known):
            continue
        other_key = dg.AssetKey(["tables", b])

        def agree(con, t, u, y, b=b, col_a=col_a, col_b=col_b, rows_a=rows_a):
            other = all_specs().get(b)
            if other is None:
                return dg.AssetCheckResult(passed=True, description=f"table {b} is not declared")
            if y is not None and not other.in_release(y):
                return dg.AssetCheckResult(passed=True, description=f"table {b} is not part of the {y} release")
            try:
                ot, _ = load_table(con, other, y)
            except LookupError as e:
                return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description=str(e))
            common = sorted(set(t["time_period"]) & set(ot["time_period"]))
            return _cross_result(cross.measures_agree(t, tid, col_a, ot, b, col_b, years=common,
                                                      rows_a=rows_a),
                                 f"{tid}.{col_a} agrees with {b}.{col_b}")

        where = "".join(f" ({c} = {v})" for c, v in rows_a)
        checks.append(_check(spec, cross.agreement_check_name(col_b, b),
                             f"{spec.code}.{col_a}{where} = {b}.{col_b} wherever both are published",
                             agree, asset_key, additional_deps=[other_key]))
    return checks


def all_specs() -> dict[str, TableSpec]:
    return {s.table_id: s for s in all_tables()}


def build_all_checks() -> list[dg.AssetChecksDefinition]:
    specs = all_specs()
    out: list[dg.AssetChecksDefinition] = []
    for spec in specs.values():
        out += build_table_checks(spec, known=set(specs))
    return out


table_checks = build_all_checks()
