"""Build schema ``lcd`` from the ``clean`` views with set-based SQL.

The SQL files in ``sql/`` run in name order. ``{src}`` in them is the input schema (``clean`` in
production, any schema holding tables of the same shape in tests). Intermediate results are
TEMP tables; the four ``lcd`` tables are replaced together in one transaction, so readers never
see a half-built dataset.

Records are linked only within an LA, so the LCD rows of an LA depend only on that LA's staged
records. ``build_lcd(con, las=[...])`` recomputes just those LAs: every ``{src}.<table>`` read is
filtered by ``la IN (...)`` (pushed down to the Parquet scans behind the ``clean`` views), and
their rows are replaced (DELETE + INSERT) in one transaction. The result equals a full rebuild.
"""

from __future__ import annotations

import hashlib
import re
import time
from importlib import resources

import duckdb

from cin_pipeline.ingest.versions import current_versions
from cin_pipeline.sqlutil import has_relation, in_list

LCD_TABLES = ("child", "referral", "referral_factor", "episode")
_SQL_PACKAGE = "cin_pipeline.lcd"
_SRC_TABLE = re.compile(r"\{src\}\.(\w+)")


def _sql_files() -> list[tuple[str, str]]:
    folder = resources.files(_SQL_PACKAGE) / "sql"
    files = sorted((f.name, f.read_text()) for f in folder.iterdir() if f.name.endswith(".sql"))
    return files


def lcd_version() -> str:
    """Hash of the LCD SQL: a stored LCD built by other SQL must be rebuilt in full."""
    h = hashlib.sha256()
    for name, text in _sql_files():
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()[:16]


def _statements(sql: str) -> list[str]:
    """Split on ``;`` after dropping ``--`` comment lines (no literal in our SQL holds ``;``)."""
    code = "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def build_lcd(con: duckdb.DuckDBPyConnection, src: str = "clean", out: str = "lcd",
              las=None, state: dict[str, str] | None = None) -> dict:
    """(Re)build the LCD. Returns ``{"rows": {table: n}, "seconds": {file: s}, "las": ...}``.

    ``las=None`` rebuilds everything. With ``las`` (an iterable of LA codes) only those LAs are
    recomputed and their rows replaced; an LA with no staged records left loses its rows. If the
    ``out`` tables do not exist yet, a full build is done instead.
    ``state`` (``{la: staged_signature}``) is written to ``out.build_state`` in the same
    transaction: replacing the whole table on a full build, only the rows of ``las`` otherwise.
    """
    if las is not None:
        las = sorted({str(la) for la in las})
        if not all(has_relation(con, out, t) for t in LCD_TABLES):
            las = None
    timings: dict[str, float] = {}
    if las is None or las:
        for name, text in _sql_files():
            t0 = time.perf_counter()
            text = text.replace("{src}", src) if las is None else _SRC_TABLE.sub(
                lambda m: f"(SELECT * FROM {src}.{m.group(1)} WHERE la IN ({in_list(las)}))", text)
            for stmt in _statements(text):
                con.execute(stmt)
            timings[name] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {out}")
        if las is None:
            for table in LCD_TABLES:
                con.execute(f"CREATE OR REPLACE TABLE {out}.{table} AS SELECT * FROM _lcd_out_{table}")
        elif las:
            in_las = in_list(las)
            for table in LCD_TABLES:
                con.execute(f"DELETE FROM {out}.{table} WHERE la IN ({in_las})")
                con.execute(f"INSERT INTO {out}.{table} BY NAME SELECT * FROM _lcd_out_{table}")
        if state is not None:
            _write_state(con, out, state, las)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    for table in LCD_TABLES:
        con.execute(f"DROP TABLE IF EXISTS _lcd_out_{table}")
    con.execute("DROP TABLE IF EXISTS _lcd_ep")
    con.execute("DROP TABLE IF EXISTS _lcd_ref")
    timings["publish"] = round(time.perf_counter() - t0, 3)
    return {"rows": lcd_row_counts(con, out), "seconds": timings, "las": las}


def _write_state(con: duckdb.DuckDBPyConnection, out: str, state: dict[str, str], las) -> None:
    version = lcd_version()
    if las is None:
        con.execute(f"DROP TABLE IF EXISTS {out}.build_state")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {out}.build_state (
        la VARCHAR PRIMARY KEY, staged_signature VARCHAR, built_at TIMESTAMP, lcd_version VARCHAR)""")
    if las is not None:
        if not las:
            return
        con.execute(f"DELETE FROM {out}.build_state WHERE la IN ({in_list(las)})")
    rows = [(la, sig, version) for la, sig in sorted(state.items()) if las is None or la in las]
    if rows:
        con.executemany(f"INSERT INTO {out}.build_state VALUES (?, ?, current_localtimestamp(), ?)", rows)


def stored_state(con: duckdb.DuckDBPyConnection, out: str = "lcd") -> dict[str, str] | None:
    """``{la: staged_signature}`` of the stored LCD, or None when it must be rebuilt in full
    (no LCD or state table, or an LCD built by different SQL)."""
    if not all(has_relation(con, out, t) for t in (*LCD_TABLES, "build_state")):
        return None
    rows = con.execute(f"SELECT la, staged_signature, lcd_version FROM {out}.build_state").fetchall()
    version = lcd_version()
    if any(v != version for _, _, v in rows):
        return None
    return {la: sig for la, sig, _ in rows}


def changed_las(old: dict[str, str] | None, new: dict[str, str]) -> list[str] | None:
    """LAs whose signature changed, appeared or disappeared; None means rebuild everything."""
    if old is None:
        return None
    return sorted(la for la in old.keys() | new.keys() if old.get(la) != new.get(la))


def lcd_row_counts(con: duckdb.DuckDBPyConnection, out: str = "lcd") -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {out}.{t}").fetchone()[0] for t in LCD_TABLES}


def staged_signatures(staging_dir) -> dict[str, str]:
    """``{la: signature}``: a hash of the sorted (year, current version) of each staged LA-year of
    the LA. Every ingest of an LA-year switches it to a new, uniquely named version, so the
    signature changes; only the ``returns`` links are read, not the files."""
    entries: dict[str, list[str]] = {}
    for (year, la), version in current_versions(staging_dir).items():
        entries.setdefault(la, []).append(f"{year}/{version}")
    return {la: hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest()[:32]
            for la, v in sorted(entries.items())}
