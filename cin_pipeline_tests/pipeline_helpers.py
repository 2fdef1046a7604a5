"""Test helper: stage generated returns and link them, as the pipeline does, without Dagster."""

from __future__ import annotations

from pathlib import Path


def stage_and_link(files, workdir: Path, workers: int = 2):
    """Ingest the returns ``files`` (``<year>/<la>.xml``) into ``workdir/staging`` (every file must
    be accepted), attach the ``staging``/``clean`` views to a new in-memory DuckDB connection and
    build the LCD; returns ``(connection, build_lcd info)``."""
    import duckdb

    from cin_pipeline.lcd import build_lcd
    from cin_pipeline.ingest import attach_staging
    from cin_pipeline.ingest.landing import ingest_many

    staging = workdir / "staging"
    tasks = [(f"{f.stem}|{f.parent.name}", int(f.parent.name), f.stem, str(f), str(staging),
              str(workdir / "quarantine"), str(workdir / "audit")) for f in files]
    outcomes = ingest_many(tasks, workers=workers)
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
    con = duckdb.connect()
    attach_staging(con, staging)
    return con, build_lcd(con)
