"""Loading the Definitions and running asset selections in process (the demo and the bench).

:func:`load_definitions` is what ``dagster dev -m cin_pipeline.definitions`` loads (every
definition under this folder); :func:`run_selection` runs an asset selection of it, with the
asset checks, in the current process, tagged with this process's pid and host and with dead runs
reaped before and while it runs (:mod:`cin_pipeline.defs.run_health`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from cin_pipeline.defs.run_health import ReapReport, reaping, worker_tags


def load_definitions() -> dg.Definitions:
    """Every definition under ``cin_pipeline/defs/`` (:func:`dagster.load_from_defs_folder`)."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


def run_selection(defs: dg.Definitions, instance, name: str, selection, tags=None, run_config=None,
                  on_reaped: Callable[[ReapReport], None] | None = None):
    """Run an asset selection (assets + their checks) of ``defs`` in process.

    The run is tagged with this process (``cin/pid``, ``cin/host``) so that, if the process is
    killed, the next reaper marks it failed and frees its pool slots. Before the run, and every
    15 s while it runs (it may wait for the ``duckdb`` slot), runs that died are reaped; what was
    found goes to ``on_reaped`` (default: a warning in the log).
    """
    job = dg.define_asset_job(f"demo_{name}", selection=selection)
    merged = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    config = dict(run_config or {})
    # The demo prints its own summary; keep Dagster's console logger to warnings and errors
    # (every event is still in the instance's event log and visible in the web UI).
    config.setdefault("loggers", {"console": {"config": {"log_level": "WARNING"}}})
    with reaping(instance, on_reaped or _log_reaped):
        return merged.resolve_job_def(f"demo_{name}").execute_in_process(
            instance=instance, tags={**worker_tags(), **(tags or {})}, run_config=config,
            raise_on_error=False)


def _log_reaped(report: ReapReport) -> None:
    for line in report.lines():
        logging.getLogger(__name__).warning(line)


def partition_tags(key: str) -> dict[str, str]:
    """Run tags selecting the one partition ``key``. Check results of such a run carry the
    partition (a range run's do not, even a range of one), so the UI shows each result's year."""
    return {"dagster/partition": key}


def range_tags(start: str, end: str) -> dict[str, str]:
    """Run tags selecting the partition range ``start``..``end`` (a single-run backfill)."""
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
