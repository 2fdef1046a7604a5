"""A staged LA-year switches version atomically: all 11 tables or none, even when the ingesting
process is killed (SIGKILL) just before or just after the link swap; what a crashed ingest leaves
is deleted by the next one (or by ``cleanup``); the warehouse views and the incremental LCD follow
the current version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pytest

from cin_pipeline.ingest import STAGING_TABLES, attach_staging, file_sha256, ingest_file
from cin_pipeline.ingest.versions import REPLACES, cleanup, current_link, versions_dir
from cin_pipeline.lcd import LCD_TABLES, build_lcd, changed_las, staged_signatures, stored_state
from cin_pipeline.synth import generate

YEAR, LA = 2024, "873"
REPO = Path(__file__).resolve().parents[1]

# Runs ingest_file in a fresh interpreter whose os.replace SIGKILLs the process when it is about
# to replace (argv "before") or has just replaced (argv "after") the LA-year's current link.
KILLED_INGEST = """
import os, signal, sys
from cin_pipeline.ingest import ingest_file
from cin_pipeline.ingest.versions import current_link

path, staging, year, la, moment = sys.argv[1:]
link = str(current_link(staging, int(year), la))
real_replace = os.replace

def replace(src, dst):
    if str(dst) == link and moment == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)
    if str(dst) == link:
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
ingest_file(path, staging)
"""


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    """Two different versions of LA 873's 2024 return (v1, v2) and LA 202's (other)."""
    root = tmp_path_factory.mktemp("atomic")
    for seed in (7, 8):
        generate(root / f"seed{seed}", years=[YEAR], las=[LA, "202"], scale=0.02, seed=seed,
                 dirty_rate=0.05, workers=1, supporting=False)
    return {"v1": root / "seed7" / str(YEAR) / f"{LA}.xml", "v2": root / "seed8" / str(YEAR) / f"{LA}.xml",
            "other": root / "seed7" / str(YEAR) / "202.xml"}


def _tables(staging: Path) -> dict[str, list[tuple]]:
    """Every staging table of LA 873 2024 as read through the current link (sorted rows; the
    header without its ingest time)."""
    con = duckdb.connect()
    link = current_link(staging, YEAR, LA)
    out = {}
    for table in STAGING_TABLES:
        exclude = " EXCLUDE (ingested_at)" if table == "header" else ""
        out[table] = con.execute(f"SELECT *{exclude} FROM read_parquet('{link}/{table}.parquet') "
                                 "ORDER BY ALL").fetchall()
    con.close()
    return out


@pytest.fixture(scope="module")
def expected(returns, tmp_path_factory) -> dict[str, dict[str, list[tuple]]]:
    """The staged tables of each version, each ingested alone into its own staging folder."""
    out = {}
    for version in ("v1", "v2"):
        staging = tmp_path_factory.mktemp(f"reference_{version}")
        ingest_file(returns[version], staging)
        out[version] = _tables(staging)
    assert all(out["v1"][t] != out["v2"][t] for t in STAGING_TABLES)  # every table tells them apart
    return out


def _killed_ingest(path: Path, staging: Path, moment: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", KILLED_INGEST, str(path), str(staging), str(YEAR), LA, moment],
                          check=False, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _versions(staging: Path) -> set[str]:
    return {p.name for p in versions_dir(staging, YEAR, LA).iterdir()}


def _current(staging: Path) -> str:
    return current_link(staging, YEAR, LA).resolve().name


@pytest.mark.parametrize(("moment", "visible"), [("before", "v1"), ("after", "v2")])
def test_killed_ingest_leaves_one_whole_version(returns, expected, tmp_path, moment, visible):
    staging = tmp_path / "staging"
    ingest_file(returns["v1"], staging)
    assert _tables(staging) == expected["v1"]
    _killed_ingest(returns["v2"], staging, moment)
    assert _tables(staging) == expected[visible]  # all 11 tables of one version, never a mix
    link = current_link(staging, YEAR, LA)
    assert duckdb.sql(f"SELECT file_sha256 FROM read_parquet('{link}/header.parquet')").fetchall() == [
        (file_sha256(returns[visible]),)]


def test_next_ingest_deletes_what_a_crashed_one_left(returns, expected, tmp_path):
    staging = tmp_path / "staging"
    ingest_file(returns["v1"], staging)
    first = _current(staging)
    _killed_ingest(returns["v2"], staging, "before")
    left = _versions(staging) - {first}
    assert len(left) == 2 and any(n.startswith(".link-") for n in left)  # a version and a temp link
    assert _current(staging) == first

    ingest_file(returns["v2"], staging)
    second = _current(staging)
    assert _versions(staging) == {first, second}  # the replaced version is kept
    assert os.readlink(versions_dir(staging, YEAR, LA) / second / REPLACES) == f"../{first}"
    assert _tables(staging) == expected["v2"]

    ingest_file(returns["v1"], staging)
    third = _current(staging)
    assert _versions(staging) == {second, third}  # one replaced version at most
    assert _tables(staging) == expected["v1"]


def test_cleanup_deletes_versions_never_made_current(returns, expected, tmp_path):
    staging = tmp_path / "staging"
    _killed_ingest(returns["v1"], staging, "before")  # the LA-year's first ingest dies
    assert not current_link(staging, YEAR, LA).exists() and len(_versions(staging)) == 2
    assert len(cleanup(staging)) == 2 and _versions(staging) == set()

    ingest_file(returns["v1"], staging)
    ingest_file(returns["v2"], staging)
    kept = _versions(staging)
    _killed_ingest(returns["v1"], staging, "before")
    removed = cleanup(staging)
    assert len(removed) == 2 and _versions(staging) == kept
    assert cleanup(staging) == [] and _tables(staging) == expected["v2"]


def _ingest_job(args) -> str:
    path, staging = args
    return ingest_file(path, staging, threads=1).la


def test_two_writers_of_one_la_year_take_turns(returns, expected, tmp_path):
    staging = tmp_path / "staging"
    with ProcessPoolExecutor(2) as pool:
        jobs = [(str(returns[v]), str(staging)) for v in ("v1", "v2", "v1", "v2")]
        assert list(pool.map(_ingest_job, jobs)) == [LA] * 4
    assert _tables(staging) in (expected["v1"], expected["v2"])
    assert len(_versions(staging)) == 2


def _dump(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM lcd.{table}").fetchall(), key=repr)


def test_views_and_incremental_lcd_follow_the_new_version(returns, tmp_path):
    staging, audit = tmp_path / "staging", tmp_path / "audit"
    ingest_file(returns["v1"], staging)
    ingest_file(returns["other"], staging)
    con = duckdb.connect()
    attach_staging(con, staging, audit)
    build_lcd(con, state=staged_signatures(staging))
    sha_873 = "SELECT file_sha256 FROM staging.header WHERE la = '873'"
    assert con.execute(sha_873).fetchall() == [(file_sha256(returns["v1"]),)]

    ingest_file(returns["v2"], staging)
    # the views read through the links: no new attach_staging call needed
    assert con.execute(sha_873).fetchall() == [(file_sha256(returns["v2"]),)]
    signatures = staged_signatures(staging)
    las = changed_las(stored_state(con), signatures)
    assert las == [LA]
    assert build_lcd(con, las=las, state=signatures)["las"] == [LA]
    assert changed_las(stored_state(con), staged_signatures(staging)) == []

    full = duckdb.connect()
    attach_staging(full, staging, audit)
    build_lcd(full)
    for table in LCD_TABLES:
        assert _dump(con, table) == _dump(full, table), table
    assert con.execute("SELECT count(*) FROM lcd.child WHERE la = '873'").fetchone()[0] > 0
