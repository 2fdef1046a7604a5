"""Where the pipeline keeps its files. Every path can be moved with an environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = Path(__file__).resolve().parent
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
"""Committed reference tables (LA lookup, calibration targets, populations). Read-only at run time."""


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    landing_dir: Path
    warehouse: Path
    staging_dir: Path
    quarantine_dir: Path
    audit_dir: Path
    publication_dir: Path

    @property
    def reports_dir(self) -> Path:
        """Reports about a build, beside the publication: ``<data_dir>/reports`` (GX Data Docs in
        ``gx/``, the data-quality reports in ``<year>/<LA>/`` and their ``index.html``)."""
        return self.data_dir / "reports"

    @property
    def served_folders(self) -> dict[str, Path]:
        """What ``cin-pipeline ui``'s file server shows a person, by URL prefix: the release folders
        and the reports (data-quality reports, GX Data Docs). Nothing else of the data folder
        (returns, staging, warehouse, audit) is served."""
        return {"publication": self.publication_dir, "reports": self.reports_dir}

    @classmethod
    def from_env(cls) -> "Paths":
        data = Path(os.environ.get("CIN_DATA_DIR", PROJECT_ROOT / "data")).resolve()
        return cls(
            data_dir=data,
            landing_dir=Path(os.environ.get("CIN_LANDING_DIR", data / "landing")).resolve(),
            warehouse=Path(os.environ.get("CIN_WAREHOUSE", data / "warehouse.duckdb")).resolve(),
            staging_dir=Path(os.environ.get("CIN_STAGING_DIR", data / "staging")).resolve(),
            quarantine_dir=Path(os.environ.get("CIN_QUARANTINE_DIR", data / "quarantine")).resolve(),
            audit_dir=Path(os.environ.get("CIN_AUDIT_DIR", data / "audit")).resolve(),
            publication_dir=Path(os.environ.get("CIN_PUBLICATION_DIR", data / "publication")).resolve(),
        )


FILES_URL_ENV = "CIN_FILES_URL"
DEFAULT_FILES_URL = "http://127.0.0.1:3001"
"""Where ``cin-pipeline ui`` serves :attr:`Paths.served_folders` (the UI's port + 1; ``$CIN_FILES_URL``
when set, which ``cin-pipeline ui`` sets for the runs it starts)."""


def file_url(paths: Paths, path: str | os.PathLike) -> str | None:
    """The link that opens ``path`` (a file or folder inside one of :attr:`Paths.served_folders`)
    from the web UI, or ``None`` when it is not served."""
    from urllib.parse import quote

    target = Path(path).resolve()
    base = (os.environ.get(FILES_URL_ENV) or DEFAULT_FILES_URL).rstrip("/")
    for prefix, folder in paths.served_folders.items():
        folder = folder.resolve()
        if target == folder or folder in target.parents:
            rel = target.relative_to(folder).as_posix()
            tail = "/" if target.is_dir() else ""
            return f"{base}/{prefix}/" + (quote(rel) + tail if rel != "." else "")
    return None


WAREHOUSE_MEMORY_LIMIT = "1024MB"
"""The warehouse connection's DuckDB memory cap unless ``CIN_WAREHOUSE_MEMORY_LIMIT`` says
otherwise: it keeps a national 2012-2024 build (LCD, stored facts, 48 tables) under 2 GB resident
in the Dagster run process (docs/ARCHITECTURE.md; DuckDB's own allocations go past the cap by
some hundreds of MB). Larger joins spill to disk."""


def warehouse_config(paths: Paths) -> dict[str, str]:
    """DuckDB settings of every connection to the warehouse: the memory cap, and the folder the
    joins that exceed it spill to (``<data>/tmp/warehouse_spill``, created)."""
    spill = paths.warehouse.parent / "tmp" / "warehouse_spill"
    spill.mkdir(parents=True, exist_ok=True)  # DuckDB creates the last folder only
    return {"memory_limit": os.environ.get("CIN_WAREHOUSE_MEMORY_LIMIT", WAREHOUSE_MEMORY_LIMIT),
            "temp_directory": str(spill)}
