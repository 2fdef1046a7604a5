"""Resources every asset uses: ``duckdb`` (the warehouse file) and ``cin_paths`` (the folders).

Defaults come from :meth:`cin_pipeline.settings.Paths.from_env` when the definitions are loaded,
so ``CIN_DATA_DIR`` (and the other ``CIN_*`` variables) move everything, in tests too.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.settings import Paths, warehouse_config


class CinPaths(dg.ConfigurableResource):
    """Where the pipeline keeps its files (strings so they show in the UI and in run config)."""

    data_dir: str
    landing_dir: str
    staging_dir: str
    quarantine_dir: str
    audit_dir: str
    publication_dir: str
    warehouse: str

    @classmethod
    def from_paths(cls, paths: Paths) -> "CinPaths":
        return cls(
            data_dir=str(paths.data_dir),
            landing_dir=str(paths.landing_dir),
            staging_dir=str(paths.staging_dir),
            quarantine_dir=str(paths.quarantine_dir),
            audit_dir=str(paths.audit_dir),
            publication_dir=str(paths.publication_dir),
            warehouse=str(paths.warehouse),
        )

    @classmethod
    def from_env(cls) -> "CinPaths":
        return cls.from_paths(Paths.from_env())

    def paths(self) -> Paths:
        return Paths(
            data_dir=Path(self.data_dir),
            landing_dir=Path(self.landing_dir),
            warehouse=Path(self.warehouse),
            staging_dir=Path(self.staging_dir),
            quarantine_dir=Path(self.quarantine_dir),
            audit_dir=Path(self.audit_dir),
            publication_dir=Path(self.publication_dir),
        )


def build_resources(paths: Paths | None = None) -> dict[str, object]:
    """The resource dict (also used by tests and the demo to point at another folder)."""
    paths = paths or Paths.from_env()
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    # DuckDB would otherwise take up to 80% of the machine's memory for the year-level builds
    # (LCD, facts, tables): capped, with large joins spilling beside the warehouse.
    config = warehouse_config(paths)
    return {
        "duckdb": DuckDBResource(database=str(paths.warehouse), connection_config=config),
        "cin_paths": CinPaths.from_paths(paths),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
