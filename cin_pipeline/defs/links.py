"""Links in asset metadata that open the publication and the reports from the web UI.

Dagster shows a local path as text; ``cin-pipeline ui`` serves the release folders and the
reports on its port + 1 (:mod:`cin_pipeline.cli.files`), and these URL entries point there.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from cin_pipeline.settings import Paths, file_url


def links(paths: Paths, named: dict[str, str | Path]) -> dict[str, dg.MetadataValue]:
    """``{label: URL metadata}`` for each of ``named`` (label -> file or folder) that is served."""
    out = {}
    for label, path in named.items():
        url = file_url(paths, path)
        if url is not None:
            out[label] = dg.MetadataValue.url(url)
    return out
