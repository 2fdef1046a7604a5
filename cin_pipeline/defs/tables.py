"""One asset per published table, generated from the registry (groups ``children_in_need`` and
``re_referrals``).

Each asset is partitioned by release year (``year_partitions``): the partition ``2024`` holds the
whole time series up to 2024, exactly as published in the 2024 release. It runs the table's query
over ``clean.*``/``lcd.*``, applies the EES conventions (:mod:`cin_pipeline.publish.ees`) and
replaces that release year's rows of ``publication.<table_id>`` (the published text) and
``publication.<table_id>__unrounded`` (the query's unrounded output, for the exact cross-checks)
in the warehouse, in one transaction (pool ``duckdb``). The checks (``cin_pipeline/defs/checks.py``)
attach to :func:`table_asset_key`.
"""


import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.defs.partitions import year_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.ingest import attach_staging
from cin_pipeline.publish.ees import build_ees, store_publication
from cin_pipeline.publish.preview import markdown_preview
from cin_pipeline.tables.registry import TableSpec, all_tables

LCD_KEY = dg.AssetKey("longitudinal_cin_dataset")
STAGING_KEY = dg.AssetKey("census_year")


def table_asset_key(spec: TableSpec) -> dg.AssetKey:
    """``["tables", table_id]``: the asset (and check target) of a declared table."""
    return dg.AssetKey(["tables", spec.table_id])


def build_table_asset(spec: TableSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=table_asset_key(spec),
        group_name=spec.group,
        partitions_def=year_partitions,
        deps=[LCD_KEY, STAGING_KEY],
        pool="duckdb",
        kinds={"duckdb"},
        description=f"{spec.code}: {spec.title} (EES file {spec.file_stem}_*.csv)",
        metadata={"table_id": spec.table_id, "release": spec.release,
                  "geographic_levels": ", ".join(spec.geographic_levels)},
    )
    def _table(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
               cin_paths: CinPaths) -> dg.MaterializeResult:
        release_year = int(context.partition_key)
        t0 = time.perf_counter()
        if not spec.in_release(release_year):
            note = (f"{spec.code} is not part of the {release_year} release: its series starts in "
                    f"{spec.first_year}")
            context.log.info(note)
            return dg.MaterializeResult(metadata={"in_release": False, "notes": note,
                                                  "dagster/row_count": dg.MetadataValue.int(0)})
        with duckdb.get_connection() as con:
            attach_staging(con, cin_paths.paths().staging_dir, cin_paths.paths().audit_dir)
            out = build_ees(con, spec, release_year)
            n = store_publication(con, out)
        for note in out.notes:
            context.log.warning(note)
        headline = out.headline()
        return dg.MaterializeResult(metadata={
            "dagster/row_count": dg.MetadataValue.int(n),
            "file": out.file_name,
            "years": f"{spec.years(release_year)[0]}-{spec.years(release_year)[-1]}",
            "headline": dg.MetadataValue.json(headline),
            **{f"headline_{k}": v for k, v in headline.items()},
            "notes": dg.MetadataValue.md("\n".join(f"* {n}" for n in out.notes) or "none"),
            "preview": dg.MetadataValue.md(markdown_preview(out)),
            "seconds": round(time.perf_counter() - t0, 2),
        })

    return _table


TABLE_ASSETS: list[dg.AssetsDefinition] = [build_table_asset(s) for s in all_tables()]
