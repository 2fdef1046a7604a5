"""Data-quality reports (group ``data_quality``): written files only, never the warehouse.

* ``dq_report`` (year x LA, like ``census_return``): ``data/reports/<year>/<LA>/report.html`` and
  ``findings.csv`` for the LA analyst (:func:`cin_pipeline.ingest.dq_report.build_reports`).
* ``dq_report_index`` (unpartitioned): ``data/reports/index.html`` and ``index.csv``, every LA-year
  with its counts and a link to its report. One national page rather than one per year: an
  analyst looks for their LA across years, the England rate and the previous year are columns of
  it, and rebuilding it is one grouped query over the staged findings (seconds at national scale),
  so partitioning it would buy nothing.

Both read the staging Parquet through ``staging.*`` views in a private in-memory DuckDB
connection (:func:`cin_pipeline.ingest.attach_staging`), so they take no ``duckdb`` pool slot and
run beside the warehouse writers. A report depends on its LA-year's return and on its census
year (England's rates read every LA of the year).
"""

import dagster as dg
import duckdb

from cin_pipeline.defs.census_extract import census_return
from cin_pipeline.defs.links import links
from cin_pipeline.defs.partitions import split_key, year_la_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.defs.staging import census_year
from cin_pipeline.ingest import attach_staging
from cin_pipeline.ingest.dq_report import build_index, build_reports


def _connection(paths) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    attach_staging(con, paths.staging_dir, paths.audit_dir)
    return con


@dg.asset(
    partitions_def=year_la_partitions,
    group_name="data_quality",
    deps=[census_return,
          dg.AssetDep(census_year, partition_mapping=dg.MultiToSingleDimensionPartitionMapping(
              partition_dimension_name="year"))],
    backfill_policy=dg.BackfillPolicy.single_run(),
    output_required=False,
    kinds={"html", "csv"},
    description="Data-quality report of one LA-year for the LA analyst: every validation finding "
                "(file, line, child, rule and its text, error or query, what to fix), counts by rule "
                "against the year before and England, what was excluded and why, quarantined files. "
                "data/reports/<year>/<LA>/report.html and findings.csv.",
)
def dq_report(context: dg.AssetExecutionContext, cin_paths: CinPaths):
    paths = cin_paths.paths()
    keys = {split_key(k): str(k) for k in context.partition_keys}
    con = _connection(paths)
    try:
        results = build_reports(con, keys, paths.reports_dir, paths.staging_dir, paths.quarantine_dir)
    finally:
        con.close()
    empty = [keys[k] for k, r in results.items() if r is None]
    if empty:
        context.log.warning(f"No staged or quarantined return, no report for {len(empty)} LA-year(s): "
                            + ", ".join(empty[:50]) + (" ..." if len(empty) > 50 else ""))
    done = {k: r for k, r in results.items() if r is not None}
    context.log.info(f"Wrote {len(done)} data-quality report(s) under {paths.reports_dir}")
    for (year, la), r in done.items():
        meta = {
            "report": dg.MetadataValue.path(str(r.html)),
            "findings_csv": dg.MetadataValue.path(str(r.csv)),
            "children": dg.MetadataValue.int(int(r.totals.children)),
            "children_excluded": dg.MetadataValue.int(int(r.totals.excluded)),
            "errors": dg.MetadataValue.int(int(r.totals.errors)),
            "queries": dg.MetadataValue.int(int(r.totals.queries)),
            "quarantined_files": dg.MetadataValue.int(int(r.quarantined)),
            **links(paths, {"report_link": r.html, "findings_csv_link": r.csv}),
        }
        if len(keys) == 1:
            yield dg.MaterializeResult(metadata=meta)
        else:
            context.log_event(dg.AssetMaterialization(
                asset_key=context.asset_key, partition=keys[(year, la)], metadata=meta))


@dg.asset(
    group_name="data_quality",
    deps=[dq_report],
    kinds={"html", "csv"},
    description="National index of the data-quality reports: every LA-year with a staged or "
                "quarantined return, its counts against England and a link to its report "
                "(data/reports/index.html and index.csv).",
)
def dq_report_index(context: dg.AssetExecutionContext, cin_paths: CinPaths) -> dg.MaterializeResult:
    paths = cin_paths.paths()
    con = _connection(paths)
    try:
        res = build_index(con, paths.reports_dir, paths.quarantine_dir)
    finally:
        con.close()
    if res.linked < res.la_years:
        context.log.warning(f"{res.la_years - res.linked} LA-year(s) have no report yet: "
                            "materialise dq_report for them")
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(res.html)),
        "index_csv": dg.MetadataValue.path(str(res.csv)),
        **links(paths, {"index_link": res.html}),
        "la_years": dg.MetadataValue.int(res.la_years),
        "reports_linked": dg.MetadataValue.int(res.linked),
        "quarantined_without_la_year": dg.MetadataValue.int(res.unplaced_quarantined),
    })
