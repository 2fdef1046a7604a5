"""Landing-folder helpers shared by the ``census_return`` asset and the ``landing_sensor``.

No Dagster here (so the process pool that ingests many LA-years imports only the ingest library):
what a landed file's place claims about it (:func:`path_claims`), locating the return of an
LA-year, choosing among several returns for one LA-year (:func:`by_year_la`), the unit of work
:func:`ingest_chunk` (ingest several returns in one session, quarantine each file that cannot be
ingested, and record each submission in the audit trail), running chunks over a process pool
(:func:`ingest_many`, :func:`chunk_tasks`), and the
sensor's scan of the landing folder (the returns: :func:`scan_landing`, and the source extracts'
sub-folders: :func:`scan_extract_files`).

Returns are the files named ``*.xml`` in any letter case (``212.XML`` too). A symbolic link is
never followed: it is refused (:data:`SYMBOLIC_LINK`) without reading what it points to.
"""

from __future__ import annotations

import datetime as _dt
import multiprocessing as mp
import os
import re
import stat
import traceback
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from cin_pipeline.ingest.audit import file_sha256, read_submissions, record_submission
from cin_pipeline.ingest.extracts import EXTRACTS, Extract, landed_files
from cin_pipeline.ingest.parse import CensusFileError, Header, PathClaims, read_header
from cin_pipeline.ingest.quarantine import quarantine
from cin_pipeline.ingest.staging import IngestJob, IngestResult, ingest_batch

SYMBOLIC_LINK = "symbolic_link"
"""Reason code of a symbolic link in the landing folder (refused, never followed)."""
SUPERSEDED = "superseded"
"""Reason code of a return set aside because a newer one for its LA-year arrived with it."""

INGESTED = ("ingested", "ingested_with_errors")
"""Audit statuses of a version that made it to staging (``is_known_version(..., INGESTED)``)."""


def latest_ingested_sha(audit_dir: str | os.PathLike, year: int, la: str) -> str | None:
    """SHA-256 of the version of (year, la) now in staging (the last one ingested), if any."""
    latest = None
    for r in read_submissions(audit_dir):  # oldest first
        if r.get("status") in INGESTED and str(r.get("la")) == str(la) and str(r.get("year")) == str(year):
            latest = r.get("sha256")
    return latest


# ------------------------------------------------------------------ what a path claims
_YEAR_FOLDER = re.compile(r"\d{4}")
_LA_STEM = re.compile(r"\d{3}")


def is_return_name(name: str) -> bool:
    """A landed census return is named ``*.xml``, in any letter case."""
    return name.lower().endswith(".xml")


def path_claims(path: str | os.PathLike) -> PathClaims:
    """What a return's place says about it: the census year of its folder when the folder is named
    as a year (``<landing>/2024/``), and the LA of its file name when the name is a 3-digit code
    (``330.xml``). The header must agree (:func:`cin_pipeline.ingest.parse.check_header`)."""
    p = Path(path)
    folder = p.parent.name
    return PathClaims(year=int(folder) if _YEAR_FOLDER.fullmatch(folder) else None,
                      la=p.stem if _LA_STEM.fullmatch(p.stem) else None)


# ------------------------------------------------------------------ locating a return
def landed_returns(landing_dir: str | os.PathLike) -> list[Path]:
    """Every return (``*.xml``, any case) under ``landing_dir``, symbolic links included but not
    followed (a linked folder is not entered), sorted."""
    found = []
    for folder, _dirs, files in os.walk(landing_dir):
        found += [Path(folder) / name for name in files if is_return_name(name)]
    return sorted(found)


def conventional_return(landing_dir: str | os.PathLike, year: int, la: str) -> Path | None:
    """The file at the landing convention ``<landing>/<year>/<la>.xml`` (``.XML`` too), if any;
    the first by name if the folder holds it under several spellings."""
    folder = Path(landing_dir) / str(year)
    if not folder.is_dir():
        return None
    wanted = f"{la}.xml"
    return next((p for p in sorted(folder.iterdir()) if p.name.lower() == wanted), None)


def version_order(header: Header, path: str | os.PathLike) -> tuple[_dt.datetime, str]:
    """Sort key of returns competing for one LA-year: when the header says the return was
    generated (``<DateTime>``; none sorts first), then the file name. The greatest is the newest."""
    return header.generated_at_parsed or _dt.datetime.min, Path(path).name


def by_year_la(versions: Iterable[tuple[Header, str]]) -> dict[tuple[int, str], list[tuple[Header, str]]]:
    """``(header, path)`` pairs grouped by the header's (year, LA), each group oldest first by
    :func:`version_order`: the last of a group is the return to load."""
    groups: dict[tuple[int, str], list[tuple[Header, str]]] = {}
    for header, path in versions:
        groups.setdefault((int(header.year), str(header.la)), []).append((header, path))
    return {k: sorted(g, key=lambda v: version_order(*v)) for k, g in groups.items()}


def header_index(landing_dir) -> dict[tuple[int, str], Path]:
    """(year, la) -> the newest (:func:`version_order`) return under the landing folder whose
    *header* says so (one scan; only regular files are read, never a symbolic link or a pipe)."""
    versions = []
    for p in landed_returns(landing_dir):
        if p.is_symlink() or not p.is_file():
            continue
        try:
            versions.append((read_header(p), str(p)))
        except Exception:  # unreadable files are the sensor's business
            continue
    return {k: Path(group[-1][1]) for k, group in by_year_la(versions).items()}


def locate_returns(landing_dir, wanted: list[tuple[int, str, str | None]]) -> list[Path | None]:
    """The file to ingest for each (year, la, configured path): the path from run config (the
    sensor), else the landing convention ``<landing>/<year>/<la>.xml`` (:func:`conventional_return`),
    else the newest file whose header says (year, la). The header scan runs at most once, and only
    if something is missing. Whichever way it was found, :func:`ingest_one` checks the file's
    header against its folder and name (:func:`path_claims`)."""
    out: list[Path | None] = []
    index = None
    for year, la, configured in wanted:
        if configured and os.path.lexists(configured):
            out.append(Path(configured))
            continue
        conventional = conventional_return(landing_dir, year, la)
        if conventional is not None:
            out.append(conventional)
            continue
        if index is None:
            index = header_index(landing_dir)
        out.append(index.get((int(year), str(la))))
    return out


def locate_return(landing_dir, year: int, la: str, configured: str | None = None) -> Path | None:
    return locate_returns(landing_dir, [(year, la, configured)])[0]


def symlink_message(path: str | os.PathLike, target: str) -> str:
    """Why a symbolic link in the landing folder is refused, for the LA analyst."""
    return (f"'{Path(path).name}' is a symbolic link to '{target}', not a file; the pipeline does "
            "not follow links (nothing was read from it). Copy the file itself into the landing "
            "folder.")


def superseded_message(loser: tuple[Header, str], winner: tuple[Header, str]) -> str:
    """Why a return lost to a newer one for its LA-year that arrived with it, for the LA analyst."""
    (lh, lpath), (wh, wpath) = loser, winner
    return (f"Two returns for LA {wh.la}, census year {wh.year} arrived together. "
            f"'{Path(wpath).name}' (generated {wh.generated_at or 'at an unstated time'}) is the newer "
            f"and is the version used; this file '{Path(lpath).name}' (generated "
            f"{lh.generated_at or 'at an unstated time'}) was set aside.")


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
    """Ingest one LA-year file: :func:`ingest_chunk` of one task."""
    return ingest_chunk([(key, year, la, path, staging_dir, quarantine_dir, audit_dir)], threads)[0]


def ingest_chunk(tasks: list[tuple], threads: int | None = None) -> list[Outcome]:
    """Ingest several LA-year files in one DuckDB session (:func:`ingest_batch`); one
    :class:`Outcome` per task, in order. A task is ``(key, year, la, path, staging_dir,
    quarantine_dir, audit_dir)``; the tasks of one chunk share the three folders.

    Each file is quarantined on a file-level error (including a header that disagrees with the
    LA-year, or with its folder and name: :func:`path_claims`) without stopping the others. A
    symbolic link is refused without being read. Never raises for bad data."""
    outcomes: list[Outcome | None] = [None] * len(tasks)
    jobs, where, shas = [], [], {}
    for n, (key, year, la, path, staging_dir, quarantine_dir, audit_dir) in enumerate(tasks):
        if path is None:
            outcomes[n] = Outcome(key, year, la, None, False, reason_code="file_not_found",
                                  message=f"No landing file for LA {la}, year {year}: expected "
                                          f"<landing>/{year}/{la}.xml or a file whose header says "
                                          f"LEA {la}, Year {year}. Put the return in the landing folder.")
            continue
        if os.path.islink(path):
            message = symlink_message(path, os.readlink(path))
            record_submission(audit_dir, path, "", year, la, "rejected", f"[{SYMBOLIC_LINK}] {message}")
            outcomes[n] = Outcome(key, year, la, str(path), False, reason_code=SYMBOLIC_LINK, message=message)
            continue
        try:
            shas[n] = file_sha256(path)
        except Exception as exc:  # noqa: BLE001 - vanished or unreadable: recorded, not raised
            outcomes[n] = _outcome(tasks[n], None, exc)
            continue
        jobs.append(IngestJob(path, expected_year=year, expected_la=la, source_name=Path(path).name,
                              sha256=shas[n], claims=path_claims(path)))
        where.append(n)
    if jobs:
        staging_dir = tasks[where[0]][4]
        try:
            results = ingest_batch(jobs, staging_dir, threads=threads)
        except Exception as exc:  # noqa: BLE001 - recorded against every file of the chunk
            results = [exc] * len(jobs)
        for n, res in zip(where, results):
            outcomes[n] = _outcome(tasks[n], shas[n], res)
    return outcomes  # type: ignore[return-value]


def _outcome(task: tuple, sha: str | None, res: IngestResult | Exception) -> Outcome:
    """Record one file's ingest (or failure) in the audit trail, quarantine it on a file-level
    error, and say what happened."""
    key, year, la, path, _staging_dir, quarantine_dir, audit_dir = task
    if isinstance(res, CensusFileError):
        record_submission(audit_dir, path, sha or "", year, la, "quarantined",
                          f"[{res.reason_code}] line {res.line}: {res.message}")
        dest = quarantine(path, res.reason_code, res.message, quarantine_dir, res.line, year=year, la=la)
        return Outcome(key, year, la, str(path), False, sha256=sha, reason_code=res.reason_code,
                       message=res.message, line=res.line, quarantined_to=str(dest))
    if isinstance(res, BaseException):  # any other failure is recorded, not raised
        record_submission(audit_dir, path, sha or "", year, la, "failed", repr(res))
        trace = "".join(traceback.format_exception(res))
        return Outcome(key, year, la, str(path), False, sha256=sha, reason_code="internal_error",
                       message=f"{res!r}\n{trace}")
    status = "ingested_with_errors" if res.findings.get("error", 0) else "ingested"
    record_submission(audit_dir, path, res.sha256, res.year, res.la, status,
                      {"rows": dict(res.rows), "findings": dict(res.findings),
                       "children_with_errors": res.children_with_errors})
    return Outcome(key, year, la, str(path), True, sha256=res.sha256, rows=dict(res.rows),
                   findings=dict(res.findings), children_with_errors=res.children_with_errors,
                   seconds=res.seconds)


CHUNK_BYTES = 64 * 1024**2
"""Most bytes of returns in one chunk (:func:`chunk_tasks`); a larger return is a chunk of its own."""
CHUNK_FILES = 40
"""Most returns in one chunk."""
MIN_CHUNK_BYTES = 2 * 1024**2
"""Chunks are not made smaller than this to keep the workers busy: below it, the fixed cost of a
chunk outweighs the balance."""


def chunk_tasks(tasks: list[tuple], workers: int = 2) -> list[list[tuple]]:
    """Group ingest tasks into chunks for :func:`ingest_chunk`: the tasks of one census year and
    one staging folder, at most :data:`CHUNK_BYTES` of returns (less when there are few, down to
    :data:`MIN_CHUNK_BYTES`: at least three chunks a worker, so the pool stays busy) and
    :data:`CHUNK_FILES` files. Largest chunks
    first, so the last to finish are small."""
    def size(t) -> int:
        try:
            return os.lstat(t[3]).st_size if t[3] else 0
        except OSError:
            return 0

    sized = [(size(t), t) for t in tasks]
    total = sum(s for s, _t in sized)
    limit = max(1, min(CHUNK_BYTES, max(MIN_CHUNK_BYTES, total // max(1, 3 * workers))))
    groups: dict[tuple, list[tuple[int, tuple]]] = {}
    for s, t in sized:
        groups.setdefault((t[1], t[4]), []).append((s, t))
    chunks: list[tuple[int, list[tuple]]] = []
    for _k, group in sorted(groups.items(), key=lambda kv: str(kv[0])):
        group.sort(key=lambda st: -st[0])
        current, current_bytes = [], 0
        for s, t in group:
            if current and (current_bytes + s > limit or len(current) >= CHUNK_FILES):
                chunks.append((current_bytes, current))
                current, current_bytes = [], 0
            current.append(t)
            current_bytes += s
        if current:
            chunks.append((current_bytes, current))
    chunks.sort(key=lambda c: -c[0])
    return [c for _b, c in chunks]


def _chunk_star(args) -> list[Outcome]:
    tasks, threads = args
    return ingest_chunk(tasks, threads)


def ingest_many(tasks: list[tuple], workers: int = 2, on_done=None) -> list[Outcome]:
    """Run :func:`ingest_chunk` over ``tasks`` (tuples of :func:`ingest_one`'s arguments),
    grouped by :func:`chunk_tasks`, with a process pool.

    Workers are *spawned* (not forked: the caller may be a threaded Dagster process) and import
    only the ingest library. ``on_done(outcome)`` is called in the parent for each task as its
    chunk finishes.
    """
    chunks = chunk_tasks([tuple(t[:7]) for t in tasks], workers)
    out = []
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            for o in ingest_chunk(chunk):
                if on_done:
                    on_done(o)
                out.append(o)
        return sorted(out, key=lambda o: o.key)
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        # one DuckDB thread per worker: the pool itself is the parallelism
        futures = [pool.submit(_chunk_star, (chunk, 1)) for chunk in chunks]
        for f in as_completed(futures):
            for o in f.result():
                if on_done:
                    on_done(o)
                out.append(o)
    return sorted(out, key=lambda o: o.key)


# ------------------------------------------------------------------ the sensor's file scan
@dataclass
class SeenFile:
    """One landed file as the sensor's scan saw it."""

    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    """Hash of the version last acted upon (``None``: none yet, or a symbolic link)."""
    changed: bool
    """A new version that has stopped changing (or a new or changed link): act on it now."""
    link: str | None = None
    """The target of a symbolic link (never followed), else ``None``."""


def scan_landing(landing_dir, cursor: dict[str, list]) -> tuple[list[SeenFile], dict[str, list]]:
    """Every return under ``landing_dir`` (:func:`landed_returns`), with the new versions that
    have stopped changing marked ``changed``.

    ``cursor`` maps path -> ``[size, mtime_ns, sha256, pending]`` (a missing ``pending`` is
    false). A file whose size or mtime differs from the cursor's (or that is new) is only
    recorded as pending, not hashed: it may still be being copied in. At the next scan, if its
    size and mtime are still the same, it is hashed and counts as ``changed`` if its hash differs
    from the version last acted upon (a touched-but-unchanged file does not). So a new version is
    acted upon one to two sensor intervals after it stops changing. Files that disappeared leave
    the cursor; a file that stays (e.g. kept by :func:`quarantine`) stays in it, and is looked at
    again only when it changes.
    """
    return _scan(landed_returns(landing_dir), cursor)


def scan_extract_files(landing_dir, cursor: dict[str, list]) -> tuple[list[tuple[Extract, SeenFile]], dict[str, list]]:
    """Every source-extract file in its landing sub-folder (``<landing>/school_census/*.csv``,
    ``<landing>/ofsted/*.csv``), with its extract, scanned as :func:`scan_landing` does."""
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
        try:
            st = p.lstat()
        except FileNotFoundError:
            continue
        link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
        if link is None and not stat.S_ISREG(st.st_mode):
            continue
        key = str(p)
        prev = cursor.get(key)
        last_sha = prev[2] if prev else None
        if not prev or (prev[0], prev[1]) != (st.st_size, st.st_mtime_ns):
            new_cursor[key] = [st.st_size, st.st_mtime_ns, last_sha, True]  # wait for it to settle
            changed, sha = False, last_sha
        elif not _pending(prev):
            new_cursor[key] = prev
            changed, sha = False, last_sha
        else:
            try:
                sha = None if link else file_sha256(p)
            except OSError:
                continue  # vanished or unreadable mid-scan: seen as new at the next scan
            new_cursor[key] = [st.st_size, st.st_mtime_ns, sha, False]
            changed = link is not None or sha != last_sha
        seen.append(SeenFile(key, st.st_size, st.st_mtime_ns, sha, changed, link))
    return seen, new_cursor


def _pending(entry: list) -> bool:
    """Whether a cursor entry is a version not yet acted upon (entries of three items are not)."""
    return len(entry) > 3 and bool(entry[3])
