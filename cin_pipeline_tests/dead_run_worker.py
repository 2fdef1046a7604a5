"""A run that stays running until it is killed, in its own process (test_dead_runs.py kills it -9).

    python dead_run_worker.py slot <ready-file>
        runs an asset in pool ``duckdb`` through ``inprocess.run_selection`` (as the demo does:
        tagged with cin/pid and cin/host); the asset holds the pool's one slot and sleeps.
    python dead_run_worker.py ingest <ready-file> <partition> <landing-file>
        runs the real ``census_extract_job`` for one LA-year as the landing sensor would ask for it
        (its tags and run config), untagged with a pid (the reaper finds it in the run's engine
        events); the ingest itself is replaced by a sleep.

The instance is ``$DAGSTER_HOME``; the ready file is written once the run is under way.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import dagster as dg

warnings.filterwarnings("ignore")


def hold_slot(ready: Path) -> None:
    from cin_pipeline.defs.inprocess import run_selection

    @dg.asset(pool="duckdb")
    def slot_holder() -> None:
        ready.touch()
        time.sleep(600)

    run_selection(dg.Definitions(assets=[slot_holder]), dg.DagsterInstance.get(), "slot_holder",
                  dg.AssetSelection.assets(slot_holder))


def hang_in_ingest(ready: Path, partition: str, landing_file: str) -> None:
    from cin_pipeline.definitions import defs
    from cin_pipeline.ingest import landing

    def ingest_many(*_args, **_kwargs):
        ready.touch()
        time.sleep(600)

    landing.ingest_many = ingest_many
    defs().resolve_job_def("census_extract_job").execute_in_process(
        instance=dg.DagsterInstance.get(), partition_key=partition,
        run_config={"ops": {"census_return": {"config": {"source_paths": {partition: landing_file}}}}},
        tags={"dagster/sensor_name": "landing_sensor", "cin/file": landing_file}, raise_on_error=False)


if __name__ == "__main__":
    mode, ready_file, *rest = sys.argv[1:]
    {"slot": hold_slot, "ingest": hang_in_ingest}[mode](Path(ready_file), *rest)
