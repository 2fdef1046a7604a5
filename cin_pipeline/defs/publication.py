"""``publication`` (group ``publication``): the release folders of one release year.

Depends on every table asset. It is gated twice (dagster_gx_ees_notes.md section 2.2):

* declaratively: ``eager() & all_deps_blocking_checks_passed()`` (the automation sensor does
  not request it while an upstream blocking check is failing), and
* explicitly: before writing anything it reads the latest evaluation of every blocking check on
  its upstream tables from the instance and refuses to publish (``dg.Failure``) if any failed —
  this covers a run that selects ``publication`` alone from the UI, where in-run blocking does
  not apply.

It reads ``publication.<table_id>`` (the exact EES rows, written by the table assets) and writes
``<publication_dir>/<release>/<year>/`` atomically (:mod:`cin_pipeline.publish.writer`): a failed
or blocked run leaves the previous publication untouched.
"""

import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.defs.partitions import year_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.defs.tables import table_asset_key
from cin_pipeline.publish.ees import load_publication
from cin_pipeline.publish.release import publish_release
from cin_pipeline.tables.registry import RELEASES, all_tables


def failed_blocking_checks(context: dg.AssetExecutionContext, asset_keys) -> list[str]:
    """Blocking checks on ``asset_keys`` whose latest evaluation failed (for this partition when
    the evaluation is partitioned)."""
    graph = context.repository_def.asset_graph
    keys = set(asset_keys)
    partition = context.partition_key if context.has_partition_key else None
    failed = []
    for ck in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string()):
        if ck.asset_key not in keys:
            continue
        spec = graph.get_check_spec(ck)
        if not spec.blocking:
            continue
        rec = context.instance.get_latest_asset_check_evaluation_record(ck)
        if rec is None or rec.event is None:
            continue
        ev = rec.event.dagster_event
        evaluation = getattr(ev, "event_specific_data", None) if ev else None
        passed = getattr(evaluation, "passed", None)
        if rec.partition is not None and partition is not None and rec.partition != partition:
            continue
        if passed is False:
            failed.append(ck.to_user_string())
    return failed


TABLE_KEYS = [table_asset_key(s) for s in all_tables()]


@dg.asset(
    group_name="publication",
    partitions_def=year_partitions,
    deps=TABLE_KEYS,
    pool="duckdb",
    kinds={"duckdb", "html"},
    automation_condition=dg.AutomationCondition.eager()
    & dg.AutomationCondition.all_deps_blocking_checks_passed(),
    description="Release folders data/publication/<release>/<year>/ (EES csv + meta, data guidance, "
                "all-data.zip, static preview, GX Data Docs), written atomically.",
)
def publication(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
                cin_paths: CinPaths) -> dg.MaterializeResult:
    release_year = int(context.partition_key)
    failed = failed_blocking_checks(context, TABLE_KEYS)
    if failed:
        raise dg.Failure(
            description=f"refusing to publish {release_year}: blocking checks failed: {failed}",
            metadata={"failed_checks": dg.MetadataValue.json(failed)})
    t0 = time.perf_counter()
    specs = all_tables()
    with duckdb.get_connection() as con:
        outputs = {s.table_id: load_publication(con, s, release_year) for s in specs}
    meta: dict = {}
    for release in RELEASES:
        outs = {tid: o for tid, o in outputs.items() if o.spec.release == release}
        if not outs:
            continue
        folder, info = publish_release(cin_paths.paths().publication_dir, release, release_year, outs)
        meta[f"{release}_folder"] = dg.MetadataValue.path(str(folder))
        meta[f"{release}_files"] = len(info["files"])
        meta[f"{release}_gx"] = info["gx"]
        meta[f"{release}_preview"] = dg.MetadataValue.path(str(folder / "index.html"))
    meta["seconds"] = round(time.perf_counter() - t0, 2)
    return dg.MaterializeResult(metadata=meta)
