"""Build schema ``lcd`` from the ``clean`` views with set-based SQL.

The SQL files in ``sql/`` run in name order. ``{src}`` in them is the input schema (``clean`` in
production, any schema holding tables of the same shape in tests). Intermediate results are
TEMP tables; the four ``lcd`` tables are replaced together in one transaction, so readers never
see a half-built dataset.
"""

from __future__ import annotations

import time
from importlib import resources

import duckdb

LCD_TABLES = ("child", "referral", "referral_factor", "episode")
_SQL_PACKAGE = "cin_pipeline.lcd"


def _sql_files() -> list[tuple[str, str]]:
    folder = resources.files(_SQL_PACKAGE) / "sql"
    files = sorted((f.name, f.read_text()) for f in folder.iterdir() if f.name.endswith(".sql"))
    return files


def _statements(sql: str) -> list[str]:
    """Split on ``;`` after dropping ``--`` comment lines (no literal in our SQL holds ``;``)."""
    code = "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def build_lcd(con: duckdb.DuckDBPyConnection, src: str = "clean", out: str = "lcd") -> dict:
    """(Re)build the LCD. Returns ``{"rows": {table: n}, "seconds": {file: s}}``."""
    timings: dict[str, float] = {}
    for name, text in _sql_files():
        t0 = time.perf_counter()
        for stmt in _statements(text.replace("{src}", src)):
            con.execute(stmt)
        timings[name] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {out}")
        for table in LCD_TABLES:
            con.execute(f"CREATE OR REPLACE TABLE {out}.{table} AS SELECT * FROM _lcd_out_{table}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    for table in LCD_TABLES:
        con.execute(f"DROP TABLE IF EXISTS _lcd_out_{table}")
    con.execute("DROP TABLE IF EXISTS _lcd_ep")
    con.execute("DROP TABLE IF EXISTS _lcd_ref")
    timings["publish"] = round(time.perf_counter() - t0, 3)
    return {"rows": lcd_row_counts(con, out), "seconds": timings}


def lcd_row_counts(con: duckdb.DuckDBPyConnection, out: str = "lcd") -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {out}.{t}").fetchone()[0] for t in LCD_TABLES}
