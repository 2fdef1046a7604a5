"""Staging files, warehouse views (staging / clean / audit / dq_summary), quarantine and audit."""

from __future__ import annotations

import glob
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pytest

from cin_pipeline.ingest import (
    STAGING_TABLES, TABLE_COLUMNS, attach_staging, file_sha256, ingest_file, is_known_version,
    quarantine, read_submissions, record_submission,
)
from cin_pipeline.ingest.versions import current_link, table_glob

from cin_pipeline_tests.test_ingest_rules import _child, _episode, _return


def _write(tmp_path: Path, text: str, name: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_all_eleven_tables_written_with_typed_columns(tmp_path):
    path = _write(tmp_path, _return(_child()), "201.xml")
    result = ingest_file(path, tmp_path / "staging")
    assert set(result.files) == set(STAGING_TABLES) and len(STAGING_TABLES) == 11
    con = duckdb.connect()
    link = current_link(tmp_path / "staging", 2025, "201")
    assert os.readlink(link).startswith("../../.versions/year=2025/la=201/")  # relative: movable
    version = link.resolve()
    for table, file in result.files.items():
        assert file == version / f"{table}.parquet"
        schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{file}', hive_partitioning = false)").fetchall()
        assert [(c[0], c[1]) for c in schema] == list(TABLE_COLUMNS[table]), table
    # tables without rows still have a file with the right schema
    assert con.execute(f"SELECT count(*) FROM read_parquet('{result.files['cpp']}')").fetchall() == [(0,)]
    header = con.execute(f"SELECT year, la, reference_date, file_sha256, source_file FROM "
                         f"read_parquet('{result.files['header']}', hive_partitioning = false)").fetchall()[0]
    assert header[:2] == (2025, "201") and str(header[2]) == "2025-03-31"
    assert header[3] == file_sha256(path) == result.sha256 and header[4] == "201.xml"
    assert [p.name for p in version.parent.iterdir()] == [version.name]  # no temporary link left


def test_reingest_replaces_the_partition(tmp_path):
    staging = tmp_path / "staging"
    v1 = _write(tmp_path, _return(_child("A") + _child("B")), "v1.xml")
    ingest_file(v1, staging)
    other = _write(tmp_path, _return(_child("Z"), la="202"), "other.xml")
    ingest_file(other, staging)
    v2 = _write(tmp_path, _return(_child("C")), "v2.xml")
    ingest_file(v2, staging, expected_year=2025, expected_la="201")
    con = duckdb.connect()
    attach_staging(con, staging, tmp_path / "audit")
    assert con.execute("SELECT la, child_id FROM staging.child ORDER BY la, child_id").fetchall() == [
        ("201", "C"), ("202", "Z")]
    assert con.execute("SELECT source_file FROM staging.header WHERE la = '201'").fetchall() == [("v2.xml",)]
    assert len(glob.glob(table_glob(staging, "*"))) == 22


def test_clean_views_exclude_children_with_errors(tmp_path):
    bad = _child("BAD", episodes=[_episode(closure="2025-06-01", reason="RC7")])
    path = _write(tmp_path, _return(_child("GOOD") + bad), "r.xml")
    result = ingest_file(path, tmp_path / "staging")
    assert result.children_with_errors == 1 and result.findings == {"error": 1, "query": 0}
    con = duckdb.connect()
    attach_staging(con, tmp_path / "staging", tmp_path / "audit")
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    assert q("SELECT child_id FROM staging.child ORDER BY 1") == [("BAD",), ("GOOD",)]
    assert q("SELECT child_id FROM clean.child") == [("GOOD",)]
    assert q("SELECT child_id FROM clean.episode") == [("GOOD",)]
    assert q("SELECT count(*) FROM clean.disability") == [(1,)]
    assert q("SELECT count(*) FROM clean.header") == [(1,)]
    assert q("SELECT year, la, rule_code, severity, findings FROM staging.dq_summary") == [
        (2025, "201", "8620", "error", 1)]
    assert q("SELECT child_id, rule_codes FROM staging.excluded_child") == [("BAD", "8620")]


def test_views_read_files_staged_by_an_older_version(tmp_path):
    """The staging views bind on one file's schema when every file has the same one, and read the
    files by column name when they differ (a file staged by an older version without a column
    gets NULL there), so a warehouse staged by two versions still reads every row."""
    from cin_pipeline.sqlutil import same_parquet_schema

    staging = tmp_path / "staging"
    ingest_file(_write(tmp_path, _return(_child("A")), "a.xml"), staging, expected_year=2025, expected_la="201")
    ingest_file(_write(tmp_path, _return(_child("Z"), la="202"), "z.xml"), staging, expected_year=2025,
                expected_la="202")
    con = duckdb.connect()
    assert same_parquet_schema(con, table_glob(staging, "child"))
    attach_staging(con, staging, tmp_path / "audit")
    assert "union_by_name = false" in con.execute(
        "SELECT sql FROM duckdb_views() WHERE schema_name = 'staging' AND view_name = 'child'").fetchone()[0]
    old = next(f for f in glob.glob(table_glob(staging, "child")) if "la=202" in f)
    real = Path(old).resolve()
    real.chmod(0o644)
    con.execute(f"COPY (SELECT * EXCLUDE (ethnicity) FROM '{real}') TO '{real}.old' (FORMAT parquet)")
    os.replace(f"{real}.old", real)
    assert not same_parquet_schema(con, table_glob(staging, "child"))
    attach_staging(con, staging, tmp_path / "audit")
    assert con.execute("SELECT la, child_id, ethnicity IS NULL FROM clean.child ORDER BY la").fetchall() == [
        ("201", "A", False), ("202", "Z", True)]


def test_views_exist_before_any_file(tmp_path):
    con = duckdb.connect()
    found = attach_staging(con, tmp_path / "nothing", tmp_path / "audit")
    assert set(found.values()) == {0}
    for table in STAGING_TABLES:
        assert con.execute(f"SELECT count(*) FROM clean.{table}").fetchall() == [(0,)]
    cols = [c[0] for c in con.execute("DESCRIBE staging.episode").fetchall()]
    assert cols == [c for c, _ in TABLE_COLUMNS["episode"]]
    assert con.execute("SELECT count(*) FROM staging.submission_audit").fetchall() == [(0,)]


def _ingest_job(args):
    path, staging = args
    return ingest_file(path, staging, threads=1).la


def test_parallel_processes_ingest_different_las(tmp_path):
    staging = tmp_path / "staging"
    paths = [str(_write(tmp_path, _return(_child(f"K{la}"), la=la), f"{la}.xml"))
             for la in ("201", "202", "203", "204")]
    with ProcessPoolExecutor(2) as pool:
        assert sorted(pool.map(_ingest_job, [(p, str(staging)) for p in paths])) == ["201", "202", "203", "204"]
    con = duckdb.connect()
    attach_staging(con, staging, tmp_path / "audit")
    assert con.execute("SELECT count(*), count(DISTINCT la) FROM staging.child").fetchall() == [(4, 4)]


def test_quarantine_keeps_bytes_and_explains(tmp_path):
    src = tmp_path / "landing" / "330.xml"
    src.parent.mkdir()
    payload = b"\xef\xbb\xbf<Message><Header>\x00 broken \xff"
    src.write_bytes(payload)
    qdir = tmp_path / "quarantine"
    target = quarantine(src, "malformed_xml", "The XML is not well formed: tag mismatch.", qdir, line=7)
    assert target.read_bytes() == payload and not src.exists()
    assert target.name.endswith(f"_{file_sha256(target)[:8]}_330.xml")
    reason = Path(str(target) + ".reason.txt").read_text()
    assert "line 7" in reason and "tag mismatch" in reason and "What to do" in reason
    meta = json.loads(Path(str(target) + ".reason.json").read_text())
    assert meta["reason_code"] == "malformed_xml" and meta["line"] == 7 and meta["original_name"] == "330.xml"
    # same name and content again: a second file, nothing overwritten
    src.write_bytes(payload)
    second = quarantine(src, "malformed_xml", "again", qdir)
    assert second != target and target.read_bytes() == payload == second.read_bytes()
    assert len(list(qdir.glob("*_330.xml*.reason.txt"))) == 2


def test_quarantine_failure_keeps_the_original(tmp_path):
    src = tmp_path / "r.xml"
    src.write_bytes(b"data")
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")  # quarantine_dir cannot be created under a file
    with pytest.raises(OSError):
        quarantine(src, "not_xml", "not xml", blocker / "q")
    assert src.read_bytes() == b"data"


def test_audit_trail_is_append_only_and_queryable(tmp_path):
    path = _write(tmp_path, _return(_child()), "201.xml")
    sha = file_sha256(path)
    audit = tmp_path / "audit"
    assert not is_known_version(audit, sha)
    first = record_submission(audit, path, sha, 2025, "201", "ingested", {"children": 1})
    second = record_submission(audit, path, sha, 2025, "201", "duplicate", "same bytes as before")
    assert first != second and first.name.endswith(f"_{sha[:12]}.json")
    assert is_known_version(audit, sha) and is_known_version(audit, sha, ("ingested",))
    assert not is_known_version(audit, "0" * 64)
    assert [r["status"] for r in read_submissions(audit)] == ["ingested", "duplicate"]
    con = duckdb.connect()
    attach_staging(con, tmp_path / "staging", audit)
    rows = con.execute("SELECT la, year, status, sha256, size_bytes FROM staging.submission_audit "
                       "ORDER BY arrival_time").fetchall()
    assert rows == [("201", 2025, "ingested", sha, path.stat().st_size),
                    ("201", 2025, "duplicate", sha, path.stat().st_size)]
