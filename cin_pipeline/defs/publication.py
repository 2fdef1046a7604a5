"""``publication`` (group ``publication``): the release folders of one release year.

Depends on every table asset. It is gated twice (dagster_gx_ees_notes.md section 2.2):

* declaratively: ``eager() & all_deps_blocking_checks_passed()`` (the automation sensor does
  not request it while an upstream blocking check is failing), and
* explicitly: before writing anything it reads the latest evaluation of every blocking check on
  its upstream tables from the instance and refuses to publish (``dg.Failure``) if any failed —
  this covers a run that selects ``publication`` alone from the UI, where in-run blocking does
  not apply.

It reads ``publication.<table_id>`` (the exact EES rows, written by the table assets) and writes
the folders ``<publication_dir>/<release>/<year>/`` of the year, which switch in together
(:mod:`cin_pipeline.publish.writer`): a failed, blocked or killed run leaves the previous
publication untouched (or, killed during the switch, completed by the next run or reader). After
the switch it verifies that every release folder of the year carries the publication_id it wrote.

The manifests record the census returns the publication was built from (the SHA-256 of the return
of every staged LA-year up to the release year, :func:`cin_pipeline.ingest.warehouse.staged_returns`).
A release folder that replaces another publication gets a revisions report
(``revisions.csv``/``revisions.md``, :mod:`cin_pipeline.publish.revisions`); the metadata shows,
per release, ``first publication``, ``unchanged`` or the changed cells per table and the report's path.
"""

import time
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.checks.suites import stored_validations
from cin_pipeline.defs.links import links
from cin_pipeline.defs.partitions import year_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.defs.tables import table_asset_key
from cin_pipeline.ees.store import load_publication
from cin_pipeline.ingest.warehouse import staged_returns
from cin_pipeline.publish.release import FIRST, REVISED, agreed_publication, publish_year
from cin_pipeline.publish.revisions import REVISIONS_CSV, REVISIONS_MD
from cin_pipeline.tables import all_tables, releases


def _asset_graph(context: dg.AssetExecutionContext):
    """The code location's asset graph (every check), else None (e.g. under dg.materialize)."""
    try:
        return context.repository_def.asset_graph
    except Exception:  # noqa: BLE001
        return None


def failed_blocking_checks(context: dg.AssetExecutionContext, asset_keys, limit: int = 5000) -> list[str]:
    """Blocking checks on ``asset_keys`` whose latest evaluation for this run's release year
    failed with ERROR severity (the checks are partitioned by release year like the tables).

    Reads the instance's event log (latest first), so it sees every check that has ever been
    evaluated even when the run's job does not contain it; checks declared in the code location
    are also looked up by key (``get_latest_asset_check_evaluation_record``)."""
    keys = set(asset_keys)
    partition = context.partition_key if context.has_partition_key else None
    latest: dict[dg.AssetCheckKey, object] = {}
    records = context.instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        limit=limit, ascending=False)
    for rec in records:
        ev = rec.event_log_entry.dagster_event
        evaluation = getattr(ev, "event_specific_data", None)
        if evaluation is None or evaluation.asset_key not in keys:
            continue
        ck = dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)
        if ck in latest:
            continue
        if getattr(evaluation, "partition", None) != partition:
            continue  # only the evaluations of the release year being published
        latest[ck] = evaluation
    graph = _asset_graph(context)
    if graph is not None:
        for ck in graph.asset_check_keys:
            if ck.asset_key in keys and ck not in latest and graph.get_check_spec(ck).blocking:
                rec = context.instance.get_latest_asset_check_evaluation_record(ck)
                ev = rec.event.dagster_event if rec and rec.event else None
                evaluation = getattr(ev, "event_specific_data", None) if ev else None
                if evaluation is not None and rec.partition == partition:
                    latest[ck] = evaluation
    failed = []
    for ck, evaluation in latest.items():
        blocking = getattr(evaluation, "blocking", None)
        if blocking is None and graph is not None and ck in graph.asset_check_keys:
            blocking = graph.get_check_spec(ck).blocking
        severity = getattr(evaluation, "severity", dg.AssetCheckSeverity.ERROR)
        if blocking and not evaluation.passed and severity == dg.AssetCheckSeverity.ERROR:
            failed.append(ck.to_user_string())
    return sorted(failed)


TABLE_KEYS = [table_asset_key(s) for s in all_tables()]
LCD_KEY = dg.AssetKey("longitudinal_cin_dataset")


def stale_or_missing_tables(context: dg.AssetExecutionContext, table_keys) -> list[str]:
    """Tables whose latest materialisation for this release year is missing, or older than the
    latest build of the Longitudinal CIN Dataset they are computed from. Publishing then would mix
    files from different states of the data (e.g. one table failed in the latest run and an older
    build of it is still in the warehouse)."""
    partition = context.partition_key
    lcd = context.instance.fetch_materializations(LCD_KEY, limit=1).records
    lcd_ts = lcd[0].timestamp if lcd else None
    problems = []
    for key in table_keys:
        recs = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
        if not recs:
            problems.append(f"{key.to_user_string()}: not built for {partition}")
        elif lcd_ts is not None and recs[0].timestamp < lcd_ts:
            problems.append(f"{key.to_user_string()}: built before the latest longitudinal_cin_dataset")
    return problems


def revisions_metadata(slug: str, folder: Path, revised: dict) -> dict:
    """The metadata of a release folder's revisions (``info["revisions"]`` of
    :func:`cin_pipeline.publish.release.publish_year`): its status and, when it replaced another
    publication, the changed cells per table, the rows added and removed, the census returns
    that changed and the report's path."""
    status = revised["status"]
    if status != REVISED:
        text = status if status == FIRST else "unchanged: the same publication as the folder it replaced"
        return {f"{slug}_revisions": text}
    cells = revised["changed_cells"]
    return {
        f"{slug}_revisions": f"revised: {sum(cells.values())} cells in {len(cells)} tables changed, "
                             f"{revised['rows_added']} rows added, {revised['rows_removed']} removed",
        f"{slug}_changed_cells": dg.MetadataValue.json(cells),
        f"{slug}_returns_changed": (dg.MetadataValue.json(revised["returns_changed"])
                                    if revised["returns_changed"] is not None
                                    else "not recorded by the publication it replaced"),
        f"{slug}_revisions_report": dg.MetadataValue.path(str(folder / REVISIONS_MD)),
        f"{slug}_revisions_list": dg.MetadataValue.path(str(folder / REVISIONS_CSV)),
    }


class PublicationConfig(dg.Config):
    data_docs: bool = True
    """Build the GX Data Docs into ``<reports>/gx/<release>/<year>/`` (about 20 s; tests switch it off)."""


@dg.asset(
    group_name="publication",
    partitions_def=year_partitions,
    deps=TABLE_KEYS,
    pool="duckdb",
    kinds={"duckdb", "html"},
    automation_condition=dg.AutomationCondition.eager()
    & dg.AutomationCondition.all_deps_blocking_checks_passed(),
    description="Release folders data/publication/<release>/<year>/ (EES csv + meta, data guidance, "
                "all-data.zip in EES's download layout, ees-bulk-upload.zip in EES's bulk upload layout, "
                "static preview; the same data give the same bytes), switched in together and "
                "sharing one publication_id (the manifests record the census returns they were built from; "
                "a folder replacing another publication gets revisions.csv and revisions.md), and the GX "
                "Data Docs beside them in "
                "data/reports/gx/<release>/<year>/, written atomically.",
)
def publication(context: dg.AssetExecutionContext, config: PublicationConfig, duckdb: DuckDBResource,
                cin_paths: CinPaths) -> dg.MaterializeResult:
    release_year = int(context.partition_key)
    failed = failed_blocking_checks(context, TABLE_KEYS)
    if failed:
        raise dg.Failure(
            description=f"refusing to publish {release_year}: blocking checks failed: {failed}",
            metadata={"failed_checks": dg.MetadataValue.json(failed)})
    specs = [s for s in all_tables() if s.in_release(release_year)]
    stale = stale_or_missing_tables(context, [table_asset_key(s) for s in specs])
    if stale:
        raise dg.Failure(
            description=f"refusing to publish {release_year}: tables not up to date: {stale}; "
                        "materialise them (with their checks) first",
            metadata={"tables": dg.MetadataValue.json(stale)})
    t0 = time.perf_counter()
    with duckdb.get_connection() as con:
        outputs = {s.table_id: load_publication(con, s, release_year) for s in specs}
        validations = stored_validations(con, release_year)  # kept by the gx_suite checks
    paths = cin_paths.paths()
    by_release = {r: outs for r in releases()
                  if (outs := {tid: o for tid, o in outputs.items() if o.spec.release is r})}
    returns = staged_returns(paths.staging_dir, up_to_year=release_year)
    pub_id, infos = publish_year(paths.publication_dir, release_year, by_release,
                                 data_docs=config.data_docs, reports_dir=paths.reports_dir,
                                 returns=returns, validations=validations)
    with agreed_publication(paths.publication_dir, release_year) as on_disk:
        if on_disk != pub_id:
            raise dg.Failure(description=f"{release_year}: the release folders carry publication "
                                         f"{on_disk}, this run wrote {pub_id}")
    meta: dict = {"publication_id": pub_id, "census_returns": len(returns)}
    for release, info in infos.items():
        folder = info["folder"]
        meta[f"{release.slug}_folder"] = dg.MetadataValue.path(str(folder))
        meta[f"{release.slug}_files"] = len(info["files"])
        meta[f"{release.slug}_gx"] = info["gx"]
        if "gx_reused" in info:  # the checks' results rendered; any table validated again named
            meta[f"{release.slug}_gx_results_reused"] = info["gx_reused"]
            meta[f"{release.slug}_gx_validated_again"] = dg.MetadataValue.json(info["gx_validated"])
        if "gx_folder" in info:
            meta[f"{release.slug}_data_docs"] = dg.MetadataValue.path(str(Path(info["gx_folder"]) / "index.html"))
        meta[f"{release.slug}_preview"] = dg.MetadataValue.path(str(folder / "index.html"))
        meta.update(links(paths, {  # opened from the UI through `cin-pipeline ui`'s file server
            f"{release.slug}_preview_link": folder / "index.html",
            f"{release.slug}_files_link": folder,
            **({f"{release.slug}_data_docs_link": Path(info["gx_folder"]) / "index.html"}
               if "gx_folder" in info else {})}))
        meta.update(revisions_metadata(release.slug, folder, info["revisions"]))
    meta["seconds"] = round(time.perf_counter() - t0, 2)
    return dg.MaterializeResult(metadata=meta)
