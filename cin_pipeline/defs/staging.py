"""Year-level staging assets (group ``staging``), the only writers of the warehouse besides the LCD
and the publication (pool ``duckdb``, limit 1).

* ``census_year``: refreshes the ``staging.*``/``clean.*`` views over the Parquet files and reports,
  per LA, what is staged for the year (children, episodes, children excluded for errors).
* ``data_quality_summary``: finding counts by LA and rule for the year, written to
  ``dq.findings_by_rule`` and shown as Markdown tables.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.defs.census_extract import census_return
from cin_pipeline.defs.markdown import markdown_table
from cin_pipeline.defs.partitions import census_year_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.ingest import attach_staging
from cin_pipeline.ingest import coverage as cov
from cin_pipeline.ingest.rules import rule_texts

# Eager, but not blocked by LA-years that never arrive (e.g. an LA that did not exist that year).
EAGER_IGNORING_MISSING = dg.AutomationCondition.eager().without(
    ~dg.AutomationCondition.any_deps_missing())


def emit_per_partition(context: dg.AssetExecutionContext, metadata_by_key: dict[str, dict]):
    """One materialisation per partition of the run (a single-run backfill covers several), each
    with its own metadata, and always the step's output.

    The metadata is attached per partition (``add_asset_metadata(partition_key=...)``) and one
    ``MaterializeResult`` is yielded, which Dagster turns into one materialisation per partition
    of the run. Logging ``AssetMaterialization`` events instead and yielding nothing left the
    step without an output, so downstream assets of the same run (``data_quality_summary`` after
    ``census_year``) were skipped ("skipped dependencies: ['census_year.result']")."""
    for key, meta in metadata_by_key.items():
        context.add_asset_metadata(meta, partition_key=key)
    yield dg.MaterializeResult()


@dg.asset(
    partitions_def=census_year_partitions,
    group_name="staging",
    deps=[dg.AssetDep(census_return, partition_mapping=dg.MultiToSingleDimensionPartitionMapping(
        partition_dimension_name="year"))],
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    output_required=False,
    kinds={"duckdb"},
    automation_condition=EAGER_IGNORING_MISSING,
    description="All staged LA returns of one reporting year, as warehouse views (staging.*, clean.*).",
)
def census_year(context: dg.AssetExecutionContext, duckdb: DuckDBResource, cin_paths: CinPaths):
    paths = cin_paths.paths()
    out: dict[str, dict] = {}
    coverage = cov.staged_coverage(map(int, context.partition_keys), paths.staging_dir, paths.quarantine_dir)
    with duckdb.get_connection() as con:
        attach_staging(con, paths.staging_dir, paths.audit_dir)
        for key in context.partition_keys:
            year = int(key)
            rows = con.execute(
                """
                WITH h AS (SELECT la FROM staging.header WHERE year = $y),
                c AS (SELECT la, count(*) n FROM staging.child WHERE year = $y GROUP BY la),
                cc AS (SELECT la, count(*) n FROM clean.child WHERE year = $y GROUP BY la),
                e AS (SELECT la, count(*) n FROM staging.episode WHERE year = $y GROUP BY la),
                f AS (SELECT la, count(*) FILTER (WHERE severity = 'error') err,
                             count(*) FILTER (WHERE severity = 'query') qry
                      FROM staging.validation_finding WHERE year = $y GROUP BY la)
                SELECT h.la, coalesce(c.n, 0), coalesce(e.n, 0), coalesce(c.n, 0) - coalesce(cc.n, 0),
                       coalesce(f.err, 0), coalesce(f.qry, 0)
                FROM h LEFT JOIN c USING (la) LEFT JOIN cc USING (la) LEFT JOIN e USING (la)
                LEFT JOIN f USING (la) ORDER BY h.la
                """, {"y": year}).fetchall()
            cols = ["la", "children", "episodes", "children_excluded", "errors", "queries"]
            out[key] = {
                "las_staged": dg.MetadataValue.int(len(rows)),
                "children": dg.MetadataValue.int(sum(r[1] for r in rows)),
                "episodes": dg.MetadataValue.int(sum(r[2] for r in rows)),
                "children_excluded": dg.MetadataValue.int(sum(r[3] for r in rows)),
                "errors": dg.MetadataValue.int(sum(r[4] for r in rows)),
                "queries": dg.MetadataValue.int(sum(r[5] for r in rows)),
                "by_la": dg.MetadataValue.md(markdown_table(cols, rows)),
                **_coverage_metadata(year, coverage[year]),
            }
            context.log.info(f"{year}: {len(rows)} LAs, {sum(r[1] for r in rows)} children staged")
    yield from emit_per_partition(context, out)


def _coverage_metadata(year: int, coverage: list[cov.LaStatus]) -> dict:
    """Expected vs received vs quarantined vs missing LAs of the year, by code and name."""
    return {
        **{f"las_{k}": dg.MetadataValue.int(v) for k, v in cov.counts(coverage).items()},
        "la_coverage": dg.MetadataValue.md(
            cov.summary(year, coverage) + "\n\n" + markdown_table(
                ["LA", "name", "region", "status"], [(c.la, c.name, c.region, c.status) for c in coverage])),
    }


@dg.asset_check(asset=census_year, name="every_expected_la_received", blocking=False,
                partitions_def=census_year_partitions,
                description="Warns, naming them, when LAs of the year's geography have no staged "
                            "return (missing, or only quarantined). Never blocks.")
def every_expected_la_received(context: dg.AssetCheckExecutionContext,
                               cin_paths: CinPaths) -> dg.AssetCheckResult:
    # from the staged versions on disk, not the warehouse: no pool, no view to rebuild. A
    # single-run backfill of several years gets one result that covers each of them.
    paths = cin_paths.paths()
    lines, meta, complete = [], {}, True
    for year, coverage in cov.staged_coverage(map(int, context.partition_keys), paths.staging_dir,
                                              paths.quarantine_dir).items():
        n = cov.counts(coverage)
        complete &= n["missing"] == 0 and n["quarantined"] == 0
        lines.append(cov.summary(year, coverage))
        meta |= {f"{year}_las_{k}" if len(context.partition_keys) > 1 else f"las_{k}": v
                 for k, v in n.items()}
    return dg.AssetCheckResult(passed=complete, severity=dg.AssetCheckSeverity.WARN,
                               description="\n".join(lines),
                               metadata={"census_years": ", ".join(context.partition_keys), **meta})


@dg.asset(
    partitions_def=census_year_partitions,
    group_name="staging",
    deps=[census_year],
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    output_required=False,
    kinds={"duckdb"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Validation findings of one reporting year by LA and rule (dq.findings_by_rule).",
)
def data_quality_summary(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    out: dict[str, dict] = {}
    with duckdb.get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS dq")
        con.execute("""CREATE TABLE IF NOT EXISTS dq.findings_by_rule (year INTEGER, la VARCHAR,
            rule_code VARCHAR, severity VARCHAR, findings BIGINT, children BIGINT)""")
        for key in context.partition_keys:
            year = int(key)
            texts = {code: message for code, _, message, _ in rule_texts(year)}
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM dq.findings_by_rule WHERE year = ?", [year])
            con.execute("""INSERT INTO dq.findings_by_rule
                SELECT year, la, rule_code, severity, count(*), count(DISTINCT child_id)
                FROM staging.validation_finding WHERE year = ? GROUP BY ALL""", [year])
            con.execute("COMMIT")
            by_rule = con.execute("""
                SELECT rule_code, severity, sum(findings)::BIGINT, count(DISTINCT la), sum(children)::BIGINT
                FROM dq.findings_by_rule WHERE year = ? GROUP BY ALL ORDER BY 3 DESC, 1""", [year]).fetchall()
            by_la = con.execute("""
                SELECT la, sum(findings) FILTER (WHERE severity = 'error')::BIGINT,
                       sum(findings) FILTER (WHERE severity = 'query')::BIGINT,
                       string_agg(rule_code || ' (' || findings || ')', ', ' ORDER BY findings DESC)
                FROM dq.findings_by_rule WHERE year = ? GROUP BY la ORDER BY la""", [year]).fetchall()
            out[key] = {
                "rules_triggered": dg.MetadataValue.int(len(by_rule)),
                "errors": dg.MetadataValue.int(int(sum(r[2] for r in by_rule if r[1] == "error"))),
                "queries": dg.MetadataValue.int(int(sum(r[2] for r in by_rule if r[1] == "query"))),
                "las_with_findings": dg.MetadataValue.int(len(by_la)),
                "by_rule": dg.MetadataValue.md(markdown_table(
                    ["rule", "severity", "findings", "LAs", "children", "rule text"],
                    [(*r, texts.get(r[0], "")) for r in by_rule])),
                "by_la": dg.MetadataValue.md(markdown_table(
                    ["la", "errors", "queries", "rules (findings)"], by_la)),
            }
    yield from emit_per_partition(context, out)
