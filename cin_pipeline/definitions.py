"""The one Dagster entry point: ``dagster dev -m cin_pipeline.definitions`` / ``dg dev``.

Everything under ``cin_pipeline/defs/`` is discovered by :func:`dagster.load_from_defs_folder`:
module-level assets, checks, sensors and jobs, and the ``@dg.definitions`` functions (resources).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
