"""Dead runs never block the pipeline (cin_pipeline.defs.run_health, cin_pipeline.processes).

On a real SQLite instance configured by the project's dagster.yaml (pool ``duckdb``: one slot):
a run in a child process claims the slot and is killed -9; the reaper marks it failed and frees
the slot, and the next run that needs the slot completes, also when the holder dies while that run
waits. A dead sensor-started ``census_extract_job`` run is retried with the same partition and run
config, at most twice; a run whose process is alive, and a run that failed in a step, are not
touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import EngineEventData  # what the code server logs for a run worker
from test_sensor_landing import xml_return

from cin_pipeline.defs import run_health
from cin_pipeline.defs.inprocess import run_selection
from cin_pipeline.processes import Liveness, liveness

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("dead_run_worker.py")
PARTITION = "330|2024"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A DAGSTER_HOME with the project's dagster.yaml, and a data folder."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    return home


@pytest.fixture
def instance(home):
    with dg.DagsterInstance.from_config(str(home)) as inst:
        yield inst


def start_worker(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    ready = tmp_path / f"ready-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, str(WORKER), args[0], str(ready), *args[1:]], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None:
            pytest.fail(f"worker exited early: {proc.stderr.read().decode()[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("worker did not start its run within 120 s")
        time.sleep(0.2)
    return proc, ready


def kill9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def only_run(instance, job_name: str) -> dg.DagsterRun:
    runs = instance.get_runs(dg.RunsFilter(job_name=job_name))
    assert len(runs) == 1, runs
    return runs[0]


def duckdb_holders(instance) -> set[str]:
    return {s.run_id for s in instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots}


@dg.asset(pool="duckdb")
def slot_taker() -> int:
    return 1


def take_slot(instance, timeout: float, reports: list | None = None):
    """Run ``slot_taker`` (pool duckdb) as the demo would, failing the test rather than hanging."""
    out = {}

    def go():
        out["result"] = run_selection(dg.Definitions(assets=[slot_taker]), instance, "slot_taker",
                                      dg.AssetSelection.assets(slot_taker),
                                      on_reaped=(reports.append if reports is not None else None))

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"a run needing the duckdb slot still waits after {timeout:.0f} s"
    return out["result"]


# --- the process check ---------------------------------------------------------------------------


def test_liveness_gone_zombie_reused():
    assert liveness(os.getpid(), time.time()) is Liveness.ALIVE
    # the same pid, but "known alive" a year ago, long before this process started: another process
    assert liveness(os.getpid(), time.time() - 365 * 86400) is Liveness.REUSED

    child = subprocess.Popen(["sleep", "30"])
    child.send_signal(signal.SIGKILL)
    time.sleep(0.3)
    assert liveness(child.pid) is Liveness.GONE  # a zombie until reaped: it runs nothing
    child.wait()
    assert liveness(child.pid) is Liveness.GONE


# --- slots -----------------------------------------------------------------------------------------


def test_killed_slot_holder_is_reaped_and_the_slot_freed(instance, tmp_path):
    proc, _ = start_worker(tmp_path, "slot")
    holder = only_run(instance, "demo_slot_holder")
    assert holder.tags[run_health.TAG_PID] == str(proc.pid)
    assert duckdb_holders(instance) == {holder.run_id}

    # alive: left alone
    assert not run_health.reap_dead_runs(instance)
    assert instance.get_run_by_id(holder.run_id).status == dg.DagsterRunStatus.STARTED
    assert duckdb_holders(instance) == {holder.run_id}

    kill9(proc)
    report = run_health.reap_dead_runs(instance)
    assert [d.run_id for d in report.dead] == [holder.run_id]
    assert report.dead[0].freed == {"duckdb": 1}
    assert report.lines() == [(f"freed the duckdb slot held by dead run {holder.run_id[:8]} of "
                               f"demo_slot_holder (pid {proc.pid} gone); marked it failed")]
    after = instance.get_run_by_id(holder.run_id)
    assert after.status == dg.DagsterRunStatus.FAILURE
    assert after.tags[run_health.TAG_DEAD] == "true"
    failure = instance.get_records_for_run(holder.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    assert f"pid {proc.pid} gone" in failure[0].event_log_entry.dagster_event.message
    assert duckdb_holders(instance) == set()
    assert not run_health.reap_dead_runs(instance)  # nothing left to do

    result = take_slot(instance, timeout=180)  # generous: a loaded machine starts runs slowly
    assert result.success


def test_a_run_waiting_for_the_slot_is_freed_when_the_holder_dies(instance, tmp_path):
    """The holder is alive when the waiting run starts, and killed while it waits: the reaping
    thread of run_selection (every 15 s) frees the slot and the run completes."""
    proc, _ = start_worker(tmp_path, "slot")
    holder = only_run(instance, "demo_slot_holder")
    threading.Timer(3, kill9, args=(proc,)).start()
    reports: list = []
    result = take_slot(instance, timeout=90, reports=reports)
    assert result.success
    assert [line for r in reports for line in r.lines()] == [
        (f"freed the duckdb slot held by dead run {holder.run_id[:8]} of demo_slot_holder "
         f"(pid {proc.pid} gone); marked it failed")]


def fake_run(instance, defs, job_name: str, status, pid: int | None, tags=None, run_config=None):
    """A run record as the code server leaves it: ``pid`` logged in "Started process for run"."""
    run = instance.create_run_for_job(defs.resolve_job_def(job_name), run_config=run_config,
                                      status=status, tags=tags or {})
    if pid is not None:
        instance.report_engine_event(f"Started process for run (pid: {pid}).", run,
                                     EngineEventData.in_process(pid))
    return run


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture
def defs(home):
    from cin_pipeline.definitions import defs as load_defs

    return load_defs()


def test_slots_of_finished_runs_are_freed_unless_their_step_process_runs(instance, defs):
    storage = instance.event_log_storage
    for pool in ("duckdb", "other"):
        storage.initialize_concurrency_limit_to_default(pool)
    finished = fake_run(instance, defs, "lcd_job", dg.DagsterRunStatus.FAILURE, None)
    storage.claim_concurrency_slot("duckdb", finished.run_id, "longitudinal_cin_dataset")
    assert duckdb_holders(instance) == {finished.run_id}

    # a run whose run worker is dead, but whose step process (multiprocess executor) still runs
    dead = fake_run(instance, defs, "staging_job", dg.DagsterRunStatus.STARTED, dead_pid())
    step_process = subprocess.Popen(["sleep", "60"])
    instance.report_dagster_event(dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.STEP_WORKER_STARTED.value, job_name="staging_job",
        step_key="census_year", event_specific_data=EngineEventData.multiprocess(step_process.pid)),
        run_id=dead.run_id)
    storage.claim_concurrency_slot("other", dead.run_id, "census_year")

    report = run_health.reap_dead_runs(instance)
    assert [(d.run_id, d.freed) for d in report.dead] == [(dead.run_id, {})]
    assert [(f.run_id, f.freed) for f in report.finished] == [(finished.run_id, {"duckdb": 1})]
    assert f"freed the duckdb slot still held by failure run {finished.run_id[:8]}" in report.lines()
    assert duckdb_holders(instance) == set()
    kept = f"kept its other slot: step census_year still runs in pid {step_process.pid}"
    assert report.lines()[0].endswith(kept)
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE

    # kept while the step process runs; freed once it exits
    assert run_health.reap_dead_runs(instance).lines() == [f"failure run {dead.run_id[:8]}; {kept}"]
    kill9(step_process)
    assert run_health.reap_dead_runs(instance).lines() == [
        f"freed the other slot still held by failure run {dead.run_id[:8]}"]
    assert storage.get_concurrency_info("other").claimed_slots == []


# --- retries -----------------------------------------------------------------------------------


def tick(defs, instance):
    ctx = dg.build_sensor_context(instance=instance, definitions=defs)
    return defs.resolve_sensor_def("run_health_sensor")(ctx)


def requests_of(result) -> list[dg.RunRequest]:
    return list(result.run_requests or [])


def skipped(result) -> str:
    return result.skip_reason.skip_message if result.skip_reason else ""


def landing_return(defs, year: int, la: str) -> str:
    landing = defs.resources["cin_paths"].paths().landing_dir / str(year)
    landing.mkdir(parents=True, exist_ok=True)
    f = landing / f"{la}.xml"
    f.write_text(xml_return(year, la))
    return str(f)


def test_a_killed_sensor_started_ingest_is_retried_once(instance, defs, tmp_path):
    from cin_pipeline.defs.partitions import la_partitions

    instance.add_dynamic_partitions(la_partitions.name, ["330"])
    path = landing_return(defs, 2024, "330")
    proc, _ = start_worker(tmp_path, "ingest", PARTITION, path)
    dead = only_run(instance, "census_extract_job")
    assert run_health.TAG_PID not in dead.tags  # its pid is in its engine events
    assert skipped(tick(defs, instance)).startswith("No dead runs")  # alive: nothing to do

    kill9(proc)
    result = tick(defs, instance)
    (req,) = requests_of(result)
    assert req.job_name == "census_extract_job" and req.partition_key == PARTITION
    assert req.run_config == dead.run_config
    assert req.tags[run_health.TAG_RETRY_OF] == dead.run_id
    assert req.tags[run_health.TAG_RETRY_AFTER] == dead.run_id
    assert req.tags[run_health.TAG_RETRY_ATTEMPT] == "1"
    assert req.tags["cin/file"] == path
    decision = instance.get_run_by_id(dead.run_id).tags[run_health.TAG_RETRY_DECISION]
    assert decision == "retry 1 of 2 requested"
    assert requests_of(tick(defs, instance)) == []  # decided once

    # the retry, as the sensor daemon would launch it, ingests the file
    retry = defs.resolve_job_def("census_extract_job").execute_in_process(
        instance=instance, partition_key=req.partition_key, run_config=req.run_config,
        tags={**req.tags, "dagster/sensor_name": "run_health_sensor"})
    assert retry.success
    assert [m.partition for m in retry.get_asset_materialization_events()] == [PARTITION]


def test_retries_stop_after_two_and_step_failures_are_not_retried(instance, defs):
    tags = {"dagster/sensor_name": "landing_sensor", "dagster/partition": PARTITION,
            "cin/file": "/landing/2024/330.xml"}
    config = {"ops": {"census_return": {"config": {"source_paths": {PARTITION: tags["cin/file"]}}}}}
    run = fake_run(instance, defs, "census_extract_job", dg.DagsterRunStatus.STARTED, dead_pid(),
                   tags, config)
    original = run.run_id
    for attempt in (1, 2):
        (req,) = requests_of(tick(defs, instance))
        assert req.tags[run_health.TAG_RETRY_ATTEMPT] == str(attempt)
        assert req.tags[run_health.TAG_RETRY_OF] == original
        # the retry is launched, and its worker dies too
        run = fake_run(instance, defs, "census_extract_job", dg.DagsterRunStatus.STARTED, dead_pid(),
                       {**req.tags, "dagster/sensor_name": "run_health_sensor",
                        "dagster/partition": req.partition_key}, req.run_config)
    result = tick(defs, instance)
    assert requests_of(result) == []
    assert (f"dead run {run.run_id[:8]} of census_extract_job ({PARTITION}): not retried: it was "
            f"retry 2 of run {original[:8]}, the most allowed") in skipped(result)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE

    # quarantine_report fails on purpose (a step failure): failed, but not dead, and not retried
    failed = defs.resolve_job_def("quarantine_report").execute_in_process(
        instance=instance, raise_on_error=False, tags={"dagster/sensor_name": "landing_sensor"},
        run_config={"ops": {"report_quarantined_file": {"config": {"file": "x.xml", "message": "bad"}}}})
    assert not failed.success
    assert requests_of(tick(defs, instance)) == []
    assert run_health.TAG_DEAD not in instance.get_run_by_id(failed.run_id).tags


def test_a_dead_run_superseded_by_a_newer_version_is_not_retried(instance, defs):
    tags = {"dagster/sensor_name": "landing_sensor", "dagster/partition": PARTITION}
    dead = fake_run(instance, defs, "census_extract_job", dg.DagsterRunStatus.STARTED, dead_pid(), tags)
    newer = fake_run(instance, defs, "census_extract_job", dg.DagsterRunStatus.SUCCESS, None, tags)
    result = tick(defs, instance)
    assert requests_of(result) == []
    assert f"not retried: superseded by run {newer.run_id[:8]}" in skipped(result)
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_dead_run_being_canceled_is_marked_canceled_and_not_retried(instance, defs):
    tags = {"dagster/sensor_name": "landing_sensor", "dagster/partition": PARTITION}
    pid = dead_pid()
    run = fake_run(instance, defs, "census_extract_job", dg.DagsterRunStatus.CANCELING, pid, tags)
    result = tick(defs, instance)
    assert requests_of(result) == []
    assert skipped(result) == (f"marked dead run {run.run_id[:8]} of census_extract_job canceled "
                               f"(pid {pid} gone)")
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.CANCELED


def test_a_run_the_code_server_marked_failed_is_retried_but_not_a_step_failure(instance, defs):
    """A run worker killed while the code server lives: the server marks the run failed (no step
    failed). A census_extract_job run that failed in its step (a bad file) is not retried."""
    from cin_pipeline.defs.partitions import la_partitions

    tags = {"dagster/sensor_name": "landing_sensor", "dagster/partition": PARTITION}
    killed = fake_run(instance, defs, "census_extract_job", dg.DagsterRunStatus.STARTED, None, tags)
    instance.report_run_failed(killed, "[DagsterApiServer] Run execution process was terminated by signal 9")

    instance.add_dynamic_partitions(la_partitions.name, ["202"])
    bad = defs.resources["cin_paths"].paths().landing_dir / "2024" / "202.xml"
    bad.parent.mkdir(parents=True)
    bad.write_text("<Message><Header>not a return")
    failed = defs.resolve_job_def("census_extract_job").execute_in_process(
        instance=instance, partition_key="202|2024", raise_on_error=False,
        run_config={"ops": {"census_return": {"config": {"source_paths": {"202|2024": str(bad)}}}}},
        tags={"dagster/sensor_name": "landing_sensor"})
    assert not failed.success

    result = tick(defs, instance)
    assert [r.tags[run_health.TAG_RETRY_AFTER] for r in requests_of(result)] == [killed.run_id]
    assert run_health.TAG_RETRY_DECISION not in instance.get_run_by_id(failed.run_id).tags
