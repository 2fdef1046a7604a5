"""Landing-folder helpers shared by the ``census_return`` asset and the ``landing_sensor``.

No Dagster here (so the process pool that ingests many LA-years imports only the ingest library):
locating the return of an LA-year, the unit of work :func:`ingest_one` (ingest, or quarantine a
file that cannot be ingested, and record the submission in the audit trail), running it over a
process pool (:func:`ingest_many`), and the sensor's scan of the landing folder (the returns, and
the source extracts' sub-folders: :func:`scan_extract_files`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from cin_pipeline.ingest.audit import file_sha256, read_submissions, record_submission
from cin_pipeline.ingest.extracts import EXTRACTS, Extract, landed_files
from cin_pipeline.ingest.parse import CensusFileError, read_header
from cin_pipeline.ingest.quarantine import quarantine
from cin_pipeline.ingest.staging import ingest_file

INGESTED = ("ingested", "ingested_with_errors")
"""Audit statuses of a version that made it to staging (``is_known_version(..., INGESTED)``)."""


def latest_ingested_sha(audit_dir: str | os.PathLike, year: int, la: str) -> str | None:
    """SHA-256 of the version of (year, la) now in staging (the last one ingested), if any."""
    latest = None
    for r in read_submissions(audit_dir):  # oldest first
        if r.get("status") in INGESTED and str(r.get("la")) == str(la) and str(r.get("year")) == str(year):
            latest = r.get("sha256")
    return latest


# ------------------------------------------------------------------ locating a return
def landing_path(landing_dir: str | os.PathLike, year: int, la: str) -> Path:
    """The landing convention: ``<landing>/<year>/<la>.xml``."""
    return Path(landing_dir) / str(year) / f"{la}.xml"


def header_index(landing_dir) -> dict[tuple[int, str], Path]:
    """(year, la) -> newest ``*.xml`` under the landing folder whose *header* says so (one scan)."""
    found: dict[tuple[int, str], Path] = {}
    root = Path(landing_dir)
    if not root.exists():
        return found
    for p in sorted(root.rglob("*.xml")):
        try:
            h = read_header(p)
        except Exception:  # unreadable files are the sensor's business
            continue
        k = (int(h.year), str(h.la))
        if k not in found or p.stat().st_mtime_ns > found[k].stat().st_mtime_ns:
            found[k] = p
    return found


def locate_returns(landing_dir, wanted: list[tuple[int, str, str | None]]) -> list[Path | None]:
    """The file to ingest for each (year, la, configured path): the path from run config (the
    sensor), else the landing convention ``<landing>/<year>/<la>.xml``, else the newest file whose
    header says (year, la). The header scan runs at most once, and only if something is missing."""
    out: list[Path | None] = []
    index = None
    for year, la, configured in wanted:
        if configured and Path(configured).is_file():
            out.append(Path(configured))
            continue
        conventional = landing_path(landing_dir, year, la)
        if conventional.is_file():
            out.append(conventional)
            continue
        if index is None:
            index = header_index(landing_dir)
        out.append(index.get((int(year), str(la))))
    return out


def locate_return(landing_dir, year: int, la: str, configured: str | None = None) -> Path | None:
    return locate_returns(landing_dir, [(year, la, configured)])[0]


# ------------------------------------------------------------------ the unit of work
@dataclass
class Outcome:
    """What happened to one LA-year (picklable, returned by the worker processes)."""

    key: str
    year: int
    la: str
    path: str | None
    ok: bool
    sha256: str | None = None
    rows: dict | None = None
    findings: dict | None = None
    children_with_errors: int = 0
    seconds: float = 0.0
    reason_code: str | None = None
    message: str | None = None
    line: int | None = None
    quarantined_to: str | None = None


def ingest_one(key: str, year: int, la: str, path: str | None, staging_dir: str,
               quarantine_dir: str, audit_dir: str, threads: int | None = None) -> Outcome:
    """Ingest one LA-year file; quarantine it on a file-level error. Never raises for bad data."""
    if path is None:
        return Outcome(key, year, la, None, False, reason_code="file_not_found",
                       message=f"No landing file for LA {la}, year {year}: expected "
                               f"<landing>/{year}/{la}.xml or a file whose header says "
                               f"LEA {la}, Year {year}. Put the return in the landing folder.")
    sha = None
    try:
        sha = file_sha256(path)
        res = ingest_file(path, staging_dir, expected_year=year, expected_la=la,
                          source_name=Path(path).name, sha256=sha, threads=threads)
    except CensusFileError as exc:
        record_submission(audit_dir, path, sha or "", year, la, "quarantined",
                          f"[{exc.reason_code}] line {exc.line}: {exc.message}")
        dest = quarantine(path, exc.reason_code, exc.message, quarantine_dir, exc.line)
        return Outcome(key, year, la, str(path), False, sha256=sha, reason_code=exc.reason_code,
                       message=exc.message, line=exc.line, quarantined_to=str(dest))
    except Exception as exc:  # noqa: BLE001 - any other failure is recorded, not raised
        record_submission(audit_dir, path, sha or "", year, la, "failed", repr(exc))
        return Outcome(key, year, la, str(path), False, sha256=sha, reason_code="internal_error",
                       message=f"{exc!r}\n{traceback.format_exc()}")
    status = "ingested_with_errors" if res.findings.get("error", 0) else "ingested"
    record_submission(audit_dir, path, res.sha256, res.year, res.la, status,
                      {"rows": dict(res.rows), "findings": dict(res.findings),
                       "children_with_errors": res.children_with_errors})
    return Outcome(key, year, la, str(path), True, sha256=res.sha256, rows=dict(res.rows),
                   findings=dict(res.findings), children_with_errors=res.children_with_errors,
                   seconds=res.seconds)


def _ingest_star(args) -> Outcome:
    return ingest_one(*args)


def ingest_many(tasks: list[tuple], workers: int = 2, on_done=None) -> list[Outcome]:
    """Run :func:`ingest_one` over ``tasks`` (tuples of its arguments) with a process pool.

    Workers are *spawned* (not forked: the caller may be a threaded Dagster process) and import
    only the ingest library. ``on_done(outcome)`` is called in the parent as each one finishes.
    """
    if workers <= 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            o = ingest_one(*t)
            if on_done:
                on_done(o)
            out.append(o)
        return out
    out = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        # one DuckDB thread per worker: the pool itself is the parallelism
        futures = [pool.submit(_ingest_star, tuple(t[:7]) + (1,)) for t in tasks]
        for f in as_completed(futures):
            o = f.result()
            if on_done:
                on_done(o)
            out.append(o)
    return sorted(out, key=lambda o: o.key)


# ------------------------------------------------------------------ the sensor's file scan
@dataclass
class SeenFile:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    changed: bool  # content differs from what the cursor knew (or the file is new)


def scan_landing(landing_dir, cursor: dict[str, list]) -> tuple[list[SeenFile], dict[str, list]]:
    """Every ``*.xml`` under ``landing_dir`` with its hash.

    ``cursor`` maps path -> [size, mtime_ns, sha256]. A file whose size and mtime are unchanged is
    not re-hashed; a file whose size/mtime changed is hashed and counts as ``changed`` only if its
    hash differs (a touched-but-unchanged file is not). Files that disappeared leave the cursor.
    """
    root = Path(landing_dir)
    return _scan(sorted(root.rglob("*.xml")) if root.exists() else [], cursor)


def scan_extract_files(landing_dir, cursor: dict[str, list]) -> tuple[list[tuple[Extract, SeenFile]], dict[str, list]]:
    """Every source-extract file in its landing sub-folder (``<landing>/school_census/*.csv``,
    ``<landing>/ofsted/*.csv``), with its extract, hashed as :func:`scan_landing` does."""
    seen: list[tuple[Extract, SeenFile]] = []
    new_cursor: dict[str, list] = {}
    for extract in EXTRACTS:
        files, cur = _scan(landed_files(landing_dir, extract), cursor)
        seen += [(extract, f) for f in files]
        new_cursor.update(cur)
    return seen, new_cursor


def _scan(paths, cursor: dict[str, list]) -> tuple[list[SeenFile], dict[str, list]]:
    new_cursor: dict[str, list] = {}
    seen: list[SeenFile] = []
    for p in paths:
        if not p.is_file():
            continue
        st = p.stat()
        key = str(p)
        prev = cursor.get(key)
        if prev and prev[0] == st.st_size and prev[1] == st.st_mtime_ns:
            sha, changed = prev[2], False
        else:
            try:
                sha = file_sha256(p)
            except OSError:
                continue  # vanished or unreadable mid-scan: next tick
            changed = not prev or prev[2] != sha
        new_cursor[key] = [st.st_size, st.st_mtime_ns, sha]
        seen.append(SeenFile(key, st.st_size, st.st_mtime_ns, sha, changed))
    return seen, new_cursor
