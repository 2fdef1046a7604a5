"""Warehouse helpers: attach the staging Parquet files as ``staging.*``/``clean.*`` views.

Uses :func:`cin_pipeline.ingest.attach_staging` when the ingest library provides it; otherwise a
local equivalent with the same contract (docs/ARCHITECTURE.md: ``clean`` = ``staging`` minus every
child with an error-severity finding in that LA-year).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from cin_pipeline.ops.landing import _ingest_attr

_CHILD_TABLES = ("child", "disability", "episode", "assessment", "assessment_factor", "cin_plan",
                 "section47", "cpp", "cpp_review")


def _table_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    cols = _ingest_attr("TABLE_COLUMNS")
    return dict(cols) if cols else {}


def _fallback_attach(con: duckdb.DuckDBPyConnection, staging_dir: str | os.PathLike) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute("CREATE SCHEMA IF NOT EXISTS clean")
    for table, cols in _table_columns().items():
        files = list(Path(staging_dir).glob(f"{table}/year=*/la=*/part.parquet"))
        if files:
            glob = str(Path(staging_dir) / table / "year=*" / "la=*" / "part.parquet")
            src = f"SELECT * FROM read_parquet('{glob}', hive_partitioning = false, union_by_name = true)"
        else:
            src = "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in cols) + " WHERE false"
        con.execute(f"CREATE OR REPLACE VIEW staging.{table} AS {src}")
    for table in _table_columns():
        if table in _CHILD_TABLES:
            con.execute(
                f"CREATE OR REPLACE VIEW clean.{table} AS SELECT t.* FROM staging.{table} AS t "
                "WHERE NOT EXISTS (SELECT 1 FROM staging.validation_finding AS f WHERE "
                "f.severity = 'error' AND f.year = t.year AND f.la = t.la AND f.child_id = t.child_id)")
        else:
            con.execute(f"CREATE OR REPLACE VIEW clean.{table} AS SELECT * FROM staging.{table}")


def attach_staging(con: duckdb.DuckDBPyConnection, staging_dir: str | os.PathLike, audit_dir=None) -> None:
    fn = _ingest_attr("attach_staging")
    if fn is None:
        _fallback_attach(con, staging_dir)
        return
    try:
        fn(con, staging_dir, audit_dir) if audit_dir is not None else fn(con, staging_dir)
    except TypeError:
        fn(con, staging_dir)


def markdown_table(columns: list[str], rows: list[tuple], limit: int = 200) -> str:
    """A small Markdown table for Dagster metadata."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows[:limit]:
        out.append("| " + " | ".join("" if v is None else str(v) for v in r) + " |")
    if len(rows) > limit:
        out.append(f"| … {len(rows) - limit} more rows | " + " | " * (len(columns) - 1))
    return "\n".join(out)
