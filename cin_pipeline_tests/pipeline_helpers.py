"""Test helper: stage generated returns and link them, as the pipeline does, without Dagster."""

from __future__ import annotations

from pathlib import Path


def stage_and_link(files, workdir: Path, workers: int = 2, supporting: Path | None = None):
    """Ingest the returns ``files`` (``<year>/<la>.xml``) into ``workdir/staging`` (every file must
    be accepted), stage the source extracts of the generator's ``supporting`` folder (default:
    ``supporting/`` beside the year folders, if there; every row must be accepted), attach the
    ``staging``/``clean`` views to a new in-memory DuckDB connection and build the LCD; returns
    ``(connection, build_lcd info)``."""
    import duckdb

    from cin_pipeline.lcd import build_lcd
    from cin_pipeline.ingest import attach_staging
    from cin_pipeline.ingest.extracts import EXTRACTS, landed_files, stage_extract
    from cin_pipeline.ingest.landing import ingest_many

    files = list(files)
    staging = workdir / "staging"
    tasks = [(f"{f.stem}|{f.parent.name}", int(f.parent.name), f.stem, str(f), str(staging),
              str(workdir / "quarantine"), str(workdir / "audit")) for f in files]
    outcomes = ingest_many(tasks, workers=workers)
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
    if supporting is None and files:
        supporting = Path(files[0]).parent.parent / "supporting"
    if supporting is not None and Path(supporting).is_dir():
        for extract in EXTRACTS:
            for f in landed_files(supporting, extract):
                o = stage_extract(extract, f, staging, workdir / "quarantine", workdir / "audit")
                assert o.ok and not o.rows_rejected, o
    con = duckdb.connect()
    attach_staging(con, staging)
    return con, build_lcd(con)
