"""Source extracts and reference data as assets (groups ``source_extracts`` and ``reference``).

One asset per declared extract (:data:`cin_pipeline.ingest.extracts.EXTRACTS`), generated from
its declaration: ``school_census`` (partitioned by census year: ``landing/school_census/<year>.csv``)
and ``ofsted`` (unpartitioned: every ``landing/ofsted/*.csv``). Each run validates the landed
file(s) row by row, stages the good rows as Parquet and quarantines the rest with their reasons
(:func:`cin_pipeline.ingest.extracts.stage_extract`); a file that cannot be read at all is
quarantined whole and fails the run; a symbolic link fails the run without being read. The landing sensor requests a run per new file version,
as for census returns. ``population_0_17`` is the committed 0-17 population
(``data/reference/population_0_17.csv``), the denominator of every rate: an asset so that the
tables with rates show it in their lineage.
"""


import os
from pathlib import Path

import dagster as dg

from cin_pipeline import reference
from cin_pipeline.defs.partitions import census_year_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.ingest import extracts
from cin_pipeline.ingest.audit import file_sha256
from cin_pipeline.ingest.landing import symlink_message
from cin_pipeline.settings import REFERENCE_DIR

POPULATION_FILE = REFERENCE_DIR / "population_0_17.csv"


class ExtractConfig(dg.Config):
    source_paths: dict[str, str] = {}
    """Partition key (a year; ``"all"`` for an unpartitioned extract) or file name -> path of a
    file to stage (set by the landing sensor); empty: the landing convention."""


def extract_asset_key(extract: extracts.Extract) -> dg.AssetKey:
    return dg.AssetKey(["source_extracts", extract.name])


def _metadata(outcomes: list[extracts.ExtractOutcome]) -> dict:
    by_reason: dict[str, int] = {}
    for o in outcomes:
        for k, v in (o.rejects_by_reason or {}).items():
            by_reason[k] = by_reason.get(k, 0) + int(v)
    return {
        "files": dg.MetadataValue.json([o.path for o in outcomes]),
        "sha256": dg.MetadataValue.json([o.sha256 for o in outcomes]),
        "rows_read": dg.MetadataValue.int(sum(o.rows_read for o in outcomes)),
        "rows_staged": dg.MetadataValue.int(sum(o.rows_staged for o in outcomes)),
        "rows_quarantined": dg.MetadataValue.int(sum(o.rows_rejected for o in outcomes)),
        "quarantined_by_reason": dg.MetadataValue.json(by_reason),
        "quarantined_rows_files": dg.MetadataValue.json([o.rejects_file for o in outcomes if o.rejects_file]),
        "dagster/row_count": dg.MetadataValue.int(sum(o.rows_staged for o in outcomes)),
    }


def build_extract_asset(extract: extracts.Extract) -> dg.AssetsDefinition:
    columns = ", ".join(c.name for c in extract.columns)

    @dg.asset(
        key=extract_asset_key(extract),
        group_name="source_extracts",
        partitions_def=census_year_partitions if extract.year_from_name else None,
        kinds={"csv", "parquet"},
        tags={"cin/writes": "parquet"},
        description=(f"{extract.title}: {extract.description} Accepted columns: {columns} "
                     "(docs/EXTRACTS.md). Bad rows are quarantined with their reasons "
                     "(staging.extract_reject); good rows are staged as "
                     f"staging.{extract.table}."),
    )
    def _extract(context: dg.AssetExecutionContext, config: ExtractConfig, cin_paths: CinPaths):
        paths = cin_paths.paths()
        if extract.year_from_name:
            key = context.partition_key
            given = config.source_paths.get(key)
            files = [Path(given) if given else paths.landing_dir / extract.landing / f"{key}.csv"]
        else:
            files = ([Path(p) for p in config.source_paths.values()] if config.source_paths
                     else extracts.landed_files(paths.landing_dir, extract))
        links = [f for f in files if f.is_symlink()]
        if links:  # refused as the landing sensor refuses them: nothing is read through a link
            raise dg.Failure(" | ".join(symlink_message(f, os.readlink(f)) for f in links),
                             allow_retries=False)
        missing = [str(f) for f in files if not f.is_file()]
        if missing or not files:
            raise dg.Failure(f"{extract.title}: no landing file ({', '.join(missing) or 'none'}); put "
                             f"it in {paths.landing_dir / extract.landing}", allow_retries=False)
        outcomes = [extracts.stage_extract(extract, f, paths.staging_dir, paths.quarantine_dir,
                                           paths.audit_dir) for f in files]
        for o in outcomes:
            if o.rows_rejected:
                context.log.warning(f"{o.path}: {o.rows_rejected} of {o.rows_read} rows quarantined "
                                    f"({o.rejects_by_reason}); see {o.rejects_file}")
        whole = [o for o in outcomes if not o.ok]
        if whole:
            raise dg.Failure(
                description=" | ".join(f"{o.path}: [{o.reason_code}] {o.message} (quarantined to "
                                       f"{o.quarantined_to})" for o in whole),
                metadata={"quarantined_to": dg.MetadataValue.json([o.quarantined_to for o in whole])},
                allow_retries=False)
        return dg.MaterializeResult(metadata=_metadata(outcomes))

    return _extract


EXTRACT_ASSETS: dict[str, dg.AssetsDefinition] = {e.name: build_extract_asset(e) for e in extracts.EXTRACTS}
"""Extract name -> its asset."""

EXTRACT_JOBS = {
    e.name: dg.define_asset_job(f"{e.name}_extract_job", selection=dg.AssetSelection.assets(EXTRACT_ASSETS[e.name]),
                                tags={"cin/stage": "source_extracts"},
                                description=f"Stage {e.title.lower()} files (the landing sensor asks "
                                            "for one run per file version).")
    for e in extracts.EXTRACTS}
"""Extract name -> the job the landing sensor launches for a new file of it."""


def extract_deps(staging_relations) -> list[tuple[extracts.Extract, dg.AssetsDefinition]]:
    """The extracts (and their assets) whose staging views are among ``staging_relations``."""
    names = {r.split(".", 1)[1] for r in staging_relations}
    return [(e, EXTRACT_ASSETS[e.name]) for e in extracts.EXTRACTS if e.table in names]


@dg.asset(
    key=dg.AssetKey(["reference", "population_0_17"]),
    group_name="reference",
    kinds={"csv"},
    description="ONS mid-year estimates of the population aged 0-17 by LA, region and England "
                "(data/reference/population_0_17.csv, committed reference data): the denominator "
                "of every rate per 10,000 children and the release's population file.",
)
def population_0_17() -> dg.MaterializeResult:
    pop = reference.population()
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(POPULATION_FILE)),
        "sha256": file_sha256(POPULATION_FILE),
        "years": f"{int(pop['year'].min())}-{int(pop['year'].max())}",
        "dagster/row_count": dg.MetadataValue.int(len(pop)),
    })

EXTRACT_ASSET_DEFS: list[dg.AssetsDefinition] = list(EXTRACT_ASSETS.values())
"""The extract assets as a list (the form :func:`dagster.load_from_defs_folder` collects)."""
EXTRACT_JOB_DEFS = list(EXTRACT_JOBS.values())
