"""Loading the Definitions and running asset selections in process (the demo and the bench).

:func:`load_definitions` is what ``dagster dev -m cin_pipeline.definitions`` loads (every
definition under this folder); :func:`run_selection` runs an asset selection of it, with the
asset checks, in the current process.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg


def load_definitions() -> dg.Definitions:
    """Every definition under ``cin_pipeline/defs/`` (:func:`dagster.load_from_defs_folder`)."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


def run_selection(defs: dg.Definitions, instance, name: str, selection, tags=None, run_config=None):
    """Run an asset selection (assets + their checks) of ``defs`` in process."""
    job = dg.define_asset_job(f"demo_{name}", selection=selection)
    merged = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    config = dict(run_config or {})
    # The demo prints its own summary; keep Dagster's console logger to warnings and errors
    # (every event is still in the instance's event log and visible in the web UI).
    config.setdefault("loggers", {"console": {"config": {"log_level": "WARNING"}}})
    return merged.resolve_job_def(f"demo_{name}").execute_in_process(
        instance=instance, tags=tags or {}, run_config=config, raise_on_error=False)


def range_tags(start: str, end: str) -> dict[str, str]:
    """Run tags selecting the partition range ``start``..``end`` (a single-run backfill)."""
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
