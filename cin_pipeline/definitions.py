"""The one Dagster entry point: ``dagster dev -m cin_pipeline.definitions`` / ``dg dev``.

Everything under ``cin_pipeline/defs/`` is discovered by :func:`dagster.load_from_defs_folder`
(:func:`cin_pipeline.defs.inprocess.load_definitions`): module-level assets, checks, sensors and
jobs, and the ``@dg.definitions`` functions (resources).
"""

from __future__ import annotations

import dagster as dg

from cin_pipeline.defs.inprocess import load_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return load_definitions()
