"""``census_return``: one LA's census return for one year -> staging Parquet (group census_extract).

Per LA-year work writes Parquet files only (never the DuckDB warehouse), so it has no pool: the
153 LA runs the landing sensor can ask for in a minute do not contend (the instance caps
concurrent runs at 4 in ``dagster.yaml``).

* From the sensor: run config ``source_paths`` maps the partition key to the file that arrived.
* From a UI backfill: the file is found by convention (``<landing>/<year>/<la>.xml``, ``.XML`` too)
  or, failing that, by scanning the landing headers. With ``BackfillPolicy.single_run()`` one run
  ingests every selected LA-year with a process pool of ``workers`` (default 2). An LA-year outside
  that year's LA geography (the LA reference: Cumberland before 2024) is recorded as such, a
  materialisation with ``in_geography`` false, so a backfill over every LA of a year ends green;
  an LA-year of the geography with no return fails its partition (``file_not_found``), so the
  backfill ends, red, naming it.

However it was found, the file's header must agree with the partition and with what its folder and
name claim (:func:`cin_pipeline.ingest.landing.path_claims`). A bad file is quarantined (copied
byte for byte beside a reason file, the original removed once copied whole) and fails *its*
partition with a :class:`dagster.Failure` naming file, line and fix; the other partitions of the
same run are materialised normally. A symbolic link fails its partition without being read.
"""


import dagster as dg

from cin_pipeline import reference
from cin_pipeline.defs.partitions import split_key, year_la_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.ingest import landing


class CensusReturnConfig(dg.Config):
    source_paths: dict[str, str] = {}
    """Partition key (``"<la>|<year>"``) -> path of the file to ingest (set by the landing sensor)."""
    workers: int = 2
    """Processes used when one run ingests several LA-years (single-run backfill)."""
    only_given: bool = False
    """Ingest only the partitions named in ``source_paths`` and leave the rest of the run's range
    alone (the demo: its range of LA x year keys can include LAs it did not generate)."""


def _metadata(o: landing.Outcome) -> dict:
    rows = o.rows or {}
    findings = o.findings or {}
    return {
        "source_path": dg.MetadataValue.path(o.path or ""),
        "sha256": o.sha256 or "",
        "children": dg.MetadataValue.int(int(rows.get("child", 0))),
        "episodes": dg.MetadataValue.int(int(rows.get("episode", 0))),
        "errors": dg.MetadataValue.int(int(findings.get("error", 0))),
        "queries": dg.MetadataValue.int(int(findings.get("query", 0))),
        "children_with_errors": dg.MetadataValue.int(int(o.children_with_errors)),
        "rows_by_table": dg.MetadataValue.json({k: int(v) for k, v in rows.items()}),
        "findings_by_severity": dg.MetadataValue.json({k: int(v) for k, v in findings.items()}),
        "ingest_seconds": dg.MetadataValue.float(float(o.seconds)),
    }


def describe_failure(o: landing.Outcome) -> str:
    where = f", line {o.line}" if o.line else ""
    text = f"LA {o.la} year {o.year}: {o.path or '(no file)'}{where}: [{o.reason_code}] {o.message}"
    if o.quarantined_to:
        text += f" The file was quarantined to {o.quarantined_to}; correct it and put the new version in the landing folder."
    return text


@dg.asset(
    partitions_def=year_la_partitions,
    group_name="census_extract",
    backfill_policy=dg.BackfillPolicy.single_run(),
    output_required=False,
    kinds={"xml", "parquet"},
    tags={"cin/writes": "parquet"},
    description="One LA's CIN census return for one year, parsed, validated and staged as Parquet: "
                "a new version folder of 11 files (data/staging/.versions/year=Y/la=LA/<version>/"
                "<table>.parquet) made current at once by swapping the link "
                "data/staging/returns/year=Y/la=LA.",
)
def census_return(context: dg.AssetExecutionContext, config: CensusReturnConfig, cin_paths: CinPaths):
    paths = cin_paths.paths()
    keys = list(context.partition_keys)
    single = len(keys) == 1  # a run of one partition (a MaterializeResult materialises the run's)
    if config.only_given:
        left = [k for k in keys if str(k) not in config.source_paths]
        if left:
            context.log.info(f"{len(left)} LA-year(s) of the range not asked for, left alone")
        keys = [k for k in keys if str(k) in config.source_paths]
    wanted = [(*split_key(key), config.source_paths.get(str(key))) for key in keys]
    found = landing.locate_returns(paths.landing_dir, wanted)
    tasks = [(str(key), year, la, str(path) if path else None, str(paths.staging_dir),
              str(paths.quarantine_dir), str(paths.audit_dir))
             for key, (year, la, _), path in zip(keys, wanted, found)]
    context.log.info(f"Ingesting {len(tasks)} LA-year return(s) with {min(config.workers, len(tasks))} worker(s)")

    # LA-years outside the year's geography (an LA created or abolished by a boundary change:
    # Cumberland before 2024, Cumbria after 2023) have no return to ingest. Without a file they
    # are recorded as such, so a backfill over every LA of a year ends green; an LA-year of the
    # geography without a file fails its partition ("no return"), so a backfill never waits for it.
    outside = {t[0] for t in tasks if t[3] is None and t[2] not in reference.la_codes(t[1])}
    for key in outside:
        year, la = split_key(key)
        note = f"LA {la} is not part of the {year} LA geography: there is no return to ingest"
        context.log.info(note)
        if single:
            yield dg.MaterializeResult(metadata={"in_geography": False, "note": note})
            return
        context.log_event(dg.AssetMaterialization(asset_key=context.asset_key, partition=key,
                                                  metadata={"in_geography": False, "note": note}))
    tasks = [t for t in tasks if t[0] not in outside]

    def progress(o: landing.Outcome) -> None:
        if not o.ok:
            context.log.error(describe_failure(o))
        elif not single:
            # Per-partition materialisation as each file finishes: a bad file fails only its own
            # partition, and an interrupted backfill keeps what it has done.
            context.log_event(dg.AssetMaterialization(
                asset_key=context.asset_key, partition=o.key, metadata=_metadata(o)))

    outcomes = landing.ingest_many(tasks, workers=config.workers, on_done=progress)
    failed = [o for o in outcomes if not o.ok]
    if single and outcomes and not failed:
        yield dg.MaterializeResult(metadata=_metadata(outcomes[0]))
        return
    if failed:
        first = failed[0]
        raise dg.Failure(
            description=(f"{len(failed)} of {len(keys)} return(s) could not be ingested. "
                         + " | ".join(describe_failure(o) for o in failed[:20])),
            metadata={
                "file": dg.MetadataValue.path(first.path or ""),
                "line": dg.MetadataValue.int(int(first.line or 0)),
                "reason_code": first.reason_code or "",
                "message": first.message or "",
                "quarantined_to": first.quarantined_to or "",
                "failed_partitions": dg.MetadataValue.json([o.key for o in failed]),
            },
            allow_retries=False,
        )
