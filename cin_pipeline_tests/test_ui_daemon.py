"""The web UI's path under the real daemon (``dagster dev``: web server, daemon, sensors,
declarative automation, the queued run coordinator), on the project's real Definitions.

One LA's returns for every census year are run through the demo first (so every table and the
2024 publication exist, as after ``make demo``). Then, with ``dagster dev`` running:

* a table check launched through GraphQL with no release year (the UI's "Execute" with no
  partition picked) is refused with a plain message, records no result for any year, and holds
  nothing back;
* a resubmitted 2024 return dropped into the landing folder flows, with no manual step, through
  the landing sensor, staging, the LCD, the 2024 tables and their blocking checks to a new 2024
  publication that records the new return, with every run green.

Slow (several minutes: the daemon's sensors tick every 30 s and each run is its own process).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ui_helpers import PROJECT_ROOT, DagsterWebUI, _tail

pytestmark = [pytest.mark.ui, pytest.mark.slow]

LA, YEAR = "330", 2024
FLOW_TIMEOUT = 25 * 60  # seconds for a drop to reach the publication

LAUNCH_RUN = """
mutation ($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } }
  ... on PythonError { message }
  ... on InvalidSubsetError { message }
} }"""


class DagsterDev(DagsterWebUI):
    """``dagster dev -w workspace.yaml``: the web server and the daemon, as ``make ui`` runs them."""

    def command(self) -> list[str]:
        exe = Path(sys.executable).with_name("dagster")
        return [str(exe), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1",
                "-p", str(self.port)]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The demo on LA 330 (2012-2024), then ``dagster dev`` on its instance and data."""
    root = tmp_path_factory.mktemp("daemon")
    home, data = root / "dagster_home", root / "data"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {"DAGSTER_HOME": str(home), "CIN_DATA_DIR": str(data)}
    demo = subprocess.run(
        [sys.executable, "-m", "cin_pipeline.cli", "demo", "--las", LA, "--years", f"2012-{YEAR}",
         "--scale", "0.02", "--seed", "5", "--workers", "1"],
        cwd=PROJECT_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=30 * 60)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        with DagsterDev(env, root / "dagster_dev.log", start_timeout=180) as server:
            yield server, data


def _instance():
    import dagster as dg

    return dg.DagsterInstance.get()


def _wait_run(instance, run_id: str, timeout: float = 600):
    import dagster as dg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
                                              dg.DagsterRunStatus.CANCELED):
            return run
        time.sleep(2)
    raise AssertionError(f"run {run_id} did not end within {timeout:.0f} s")


def test_a_check_launched_without_a_year_is_refused_and_holds_nothing(live):
    import dagster as dg

    from cin_pipeline.defs.checks import no_year_message
    from cin_pipeline.tables import get

    server, _ = live
    spec = get("children_in_need.c1")
    params = {"selector": {"repositoryLocationName": "cin_pipeline", "repositoryName": "__repository__",
                           "jobName": "__ASSET_JOB", "assetSelection": [],
                           "assetCheckSelection": [{"assetKey": {"path": ["children_in_need", "c1"]},
                                                    "name": "national_equals_la_sum"}]},
              "mode": "default", "executionMetadata": {"tags": []}}
    launched = server.graphql(LAUNCH_RUN, {"p": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    with _instance() as instance:
        run = _wait_run(instance, launched["run"]["runId"])
        events = instance.all_logs(run.run_id)
        failures = [e.dagster_event.step_failure_data.error for e in events
                    if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_FAILURE]
        evaluations = [e for e in events
                       if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
        key = dg.AssetCheckKey(dg.AssetKey(["children_in_need", "c1"]), "national_equals_la_sum")
        latest = next(r.event_log_entry.dagster_event.event_specific_data for r in instance.get_event_records(
            dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), ascending=False)
            if r.event_log_entry.dagster_event.event_specific_data.asset_check_key == key)
    assert run.status == dg.DagsterRunStatus.FAILURE  # refused, in plain words
    assert failures and no_year_message(spec) in failures[0].message
    assert evaluations == []  # no result for any year, so no year's publication is held by it
    assert latest.partition == str(YEAR) and latest.passed  # the demo's 2024 result stands


def test_a_dropped_return_flows_to_the_tables_and_a_new_publication(live, tmp_path):
    import dagster as dg

    from cin_pipeline.defs.tables import table_asset_key
    from cin_pipeline.ingest.audit import file_sha256
    from cin_pipeline.publish.writer import read_manifest
    from cin_pipeline.synth import generate
    from cin_pipeline.tables import all_tables, releases

    server, data = live
    generate(tmp_path / "resubmission", years=[YEAR], las=[LA], scale=0.02, seed=6, workers=1)
    new_return = tmp_path / "resubmission" / str(YEAR) / f"{LA}.xml"
    new_sha = file_sha256(new_return)
    landing = data / "landing" / str(YEAR) / f"{LA}.xml"
    assert file_sha256(landing) != new_sha
    with _instance() as instance:
        dropped = time.time()
        shutil.copyfile(new_return, landing.with_suffix(".part"))
        os.replace(landing.with_suffix(".part"), landing)  # the LA's resubmission lands

        publication = dg.AssetKey("publication")
        deadline = time.monotonic() + FLOW_TIMEOUT
        published = None
        while time.monotonic() < deadline and published is None:
            failed = [r.run_id for r in instance.get_runs(dg.RunsFilter(
                statuses=[dg.DagsterRunStatus.FAILURE], created_after=_utc(dropped)))]
            assert not failed, f"runs failed after the drop: {failed}\n{_tail(server.log_path, 60)}"
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=publication, asset_partitions=[str(YEAR)]), limit=1).records
            if records and records[0].timestamp > dropped:
                published = records[0]
            else:
                time.sleep(5)
        assert published is not None, (f"no 2024 publication within {FLOW_TIMEOUT} s of the drop\n"
                                       f"{_tail(server.log_path, 60)}")
        runs = instance.get_runs(dg.RunsFilter(created_after=_utc(dropped)))
        assert runs and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs
                            if r.status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE))
        for spec in all_tables():
            if not spec.in_release(YEAR):
                continue
            (rec,) = instance.fetch_materializations(dg.AssetRecordsFilter(
                asset_key=table_asset_key(spec), asset_partitions=[str(YEAR)]), limit=1).records
            assert dropped < rec.timestamp < published.timestamp, spec.table_id  # rebuilt, then published
    for release in releases():
        manifest = read_manifest(data / "publication" / release.slug / str(YEAR))
        assert manifest["returns"][f"{YEAR}/{LA}"] == new_sha, release.slug


def _utc(timestamp: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc)


LAUNCH_BACKFILL = """
mutation ($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) { __typename
  ... on LaunchBackfillSuccess { backfillId }
  ... on PythonError { message }
} }"""
BACKFILL_STATUS = """
query ($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { status }
} }"""


def test_a_census_backfill_with_an_la_that_did_not_exist_ends_green(live):
    """A census backfill launched as the UI does (GraphQL, run by the daemon) over LA 330 and
    Cumberland (942) in 2023, before Cumberland existed: it ends successful, Cumberland's
    partition recorded as outside that year's geography rather than failed or missing."""
    import dagster as dg

    from cin_pipeline.defs.partitions import la_partitions

    server, _ = live
    with _instance() as instance:
        instance.add_dynamic_partitions(la_partitions.name, ["942"])
        launched = server.graphql(LAUNCH_BACKFILL, {"p": {
            "assetSelection": [{"path": ["census_return"]}],
            "partitionNames": [f"{LA}|2023", "942|2023"], "fromFailure": False}})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        deadline, status = time.monotonic() + 600, None
        while time.monotonic() < deadline:
            status = server.graphql(BACKFILL_STATUS, {"id": launched["backfillId"]})[
                "partitionBackfillOrError"]["status"]
            if status not in ("REQUESTED", "CANCELING", "FAILING"):
                break
            time.sleep(3)
        assert status == "COMPLETED_SUCCESS", f"backfill {status}\n{_tail(server.log_path, 40)}"
        (cumberland,) = instance.fetch_materializations(dg.AssetRecordsFilter(
            asset_key=dg.AssetKey("census_return"), asset_partitions=["942|2023"]), limit=1).records
        meta = cumberland.asset_materialization.metadata
    assert meta["in_geography"].value is False
