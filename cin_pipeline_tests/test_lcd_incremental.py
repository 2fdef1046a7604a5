"""Incremental LCD: rebuilding only changed LAs gives exactly the tables of a full rebuild, and the
staged-version signatures tell which LAs changed."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb

from cin_pipeline.ingest.versions import write_version
from cin_pipeline.lcd import (LCD_TABLES, build_lcd, changed_las, staged_signatures,
                              stored_state)

_spec = importlib.util.spec_from_file_location("_lcd_small", Path(__file__).with_name("test_lcd_build.py"))
_small = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_small)
SCHEMAS, BASE = _small.SCHEMAS, _small.ROWS
D = dt.date.fromisoformat
LAS = ("330", "331", "332")


def _rows() -> dict[str, list[tuple]]:
    """The hand-built returns of test_lcd_build copied to three LAs."""
    return {t: [r[:1] + (la,) + r[2:] for la in LAS for r in rows] for t, rows in BASE.items()}


def _load(con, rows, schema: str = "clean") -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table, cols in SCHEMAS.items():
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} ({cols})")
        if rows.get(table):
            n = len(cols.split(","))
            con.executemany(f"INSERT INTO {schema}.{table} VALUES ({', '.join('?' * n)})", rows[table])


def _resubmit(rows) -> dict[str, list[tuple]]:
    """LA 331 resubmits 2024 (B's NFA referral dropped, C's S47 gone, a new child E) and LA 332
    withdraws everything."""
    out = {t: [r for r in rs if r[1] != "332"] for t, rs in rows.items()}
    out["episode"] = [r for r in out["episode"] if not (r[1] == "331" and r[2] == "B" and r[3] == 1)]
    out["section47"] = [r for r in out["section47"] if not (r[1] == "331" and r[0] == 2024)]
    out["child"].append((2024, "331", "E", D("2012-02-02"), "F", "WBRI", None))
    out["episode"].append((2024, "331", "E", 1, D("2023-04-01"), "1A", "N1", None, None, None, False))
    out["episode"] = [r if not (r[1] == "331" and r[2] == "A" and r[3] == 2)
                      else r[:4] + (D("2023-12-01"),) + r[5:] for r in out["episode"]]
    return out


def _dump(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM lcd.{table}").fetchall(), key=repr)


def test_incremental_equals_full():
    full, incr = duckdb.connect(), duckdb.connect()
    _load(incr, _rows())
    build_lcd(incr)
    before = {t: _dump(incr, t) for t in LCD_TABLES}
    changed = _resubmit(_rows())
    _load(incr, changed)
    info = build_lcd(incr, las=["331", "332"])
    assert info["las"] == ["331", "332"]
    _load(full, changed)
    build_lcd(full)
    for t in LCD_TABLES:
        assert [d[:2] for d in incr.execute(f"DESCRIBE lcd.{t}").fetchall()] == \
               [d[:2] for d in full.execute(f"DESCRIBE lcd.{t}").fetchall()]
        assert _dump(incr, t) == _dump(full, t), t
        assert _dump(incr, t) != before[t], t  # the change did reach every table
    assert incr.execute("SELECT count(*) FROM lcd.child WHERE la = '332'").fetchone()[0] == 0
    # an LA that did not change keeps its rows; nothing to do is a no-op
    assert build_lcd(incr, las=[])["rows"] == {t: len(_dump(full, t)) for t in LCD_TABLES}
    assert all(_dump(incr, t) == _dump(full, t) for t in LCD_TABLES)


def test_incremental_without_lcd_is_full():
    con = duckdb.connect()
    _load(con, _rows())
    info = build_lcd(con, las=["331"])
    assert info["las"] is None
    assert con.execute("SELECT count(DISTINCT la) FROM lcd.child").fetchone()[0] == 3


def _stage(staging: Path, year: int, la: str) -> None:
    """A new staged version of an LA-year (one dummy file: signatures read only the links)."""
    write_version(staging, year, la, lambda folder: (folder / "child.parquet").write_bytes(b"x"))


def test_signatures_and_state(tmp_path):
    staging = tmp_path / "staging"
    for la in ("330", "331"):
        for year in (2023, 2024):
            _stage(staging, year, la)
    sig = staged_signatures(staging)
    assert set(sig) == {"330", "331"}
    assert staged_signatures(staging) == sig
    assert staged_signatures(tmp_path / "missing") == {}

    con = duckdb.connect()
    _load(con, _rows())
    assert stored_state(con) is None
    assert changed_las(stored_state(con), sig) is None  # no LCD yet: full build
    build_lcd(con, state=sig)
    assert stored_state(con) == sig
    assert changed_las(stored_state(con), sig) == []

    _stage(staging, 2024, "331")  # a resubmission
    _stage(staging, 2024, "332")  # a new LA
    new = staged_signatures(staging)
    assert new["330"] == sig["330"] and new["331"] != sig["331"]
    old = stored_state(con)
    old["999"] = "gone"  # an LA that is no longer staged
    assert changed_las(old, new) == ["331", "332", "999"]

    build_lcd(con, las=["331", "332"], state=new)
    assert stored_state(con) == new
    # state written by other SQL (an older LCD version) forces a full rebuild
    con.execute("UPDATE lcd.build_state SET lcd_version = 'old'")
    assert stored_state(con) is None
