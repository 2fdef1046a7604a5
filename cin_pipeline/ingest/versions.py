"""Versioned staging of the census returns: one LA-year switches version in one atomic step.

Layout under the staging folder (``Paths.staging_dir``)::

    returns/year=<Y>/la=<LA>              symlink -> ../../.versions/year=<Y>/la=<LA>/<version>
    .versions/year=<Y>/la=<LA>/<version>/ <table>.parquet for each of the 11 staging tables, and
                                          replaces -> ../<version it replaced> (if any)
    .locks/<Y>_<LA>.lock                  serialises writers (and cleaners) of one LA-year

Readers go through the ``returns`` links only (:func:`table_glob`). An ingest writes all 11 files
into a fresh version folder, flushes them to disk, then replaces the LA-year's link with one
``rename`` (atomic on POSIX): whatever the moment a writer dies, the link names a complete version,
either the old one or the new one. A version name is unique (its UTC creation time and a random
suffix), so the link target also tells readers that an LA-year changed (:func:`current_versions`).

After the swap the writer deletes every version of that LA-year except the current one and the
one it replaced (its ``replaces`` link), which stays until the next ingest so that a reader
holding its resolved path (e.g. :attr:`~cin_pipeline.ingest.staging.IngestResult.files` of the
earlier ingest) can finish. The deletion also removes the version folders of crashed ingests,
which were never made current; :func:`cleanup` does the same for every LA-year without ingesting.

Readers that open files through the link are not affected by the deletion (an open file stays
readable), but a query that opens the link again after a swap sees the new version: a single
DuckDB query over several staging tables can straddle a swap, exactly as it could with files.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cin_pipeline.processes import exclusive_lock

RETURNS = "returns"
"""Folder of the links to the current version of each LA-year."""
VERSIONS = ".versions"
"""Folder of the version folders (hidden: DuckDB's ``*`` matches names starting with a dot, so it
must not sit under :data:`RETURNS`)."""
REPLACES = "replaces"
"""Name of the link, in a version folder, to the version that was current when it was written."""


def current_link(staging_dir: str | os.PathLike, year: int, la: str) -> Path:
    """``<staging_dir>/returns/year=<Y>/la=<LA>``: the link to the LA-year's current version."""
    return Path(staging_dir) / RETURNS / f"year={int(year)}" / f"la={la}"


def versions_dir(staging_dir: str | os.PathLike, year: int, la: str) -> Path:
    """``<staging_dir>/.versions/year=<Y>/la=<LA>``: the folder holding the LA-year's versions."""
    return Path(staging_dir) / VERSIONS / f"year={int(year)}" / f"la={la}"


def table_glob(staging_dir: str | os.PathLike, table: str) -> str:
    """The glob of one staging table's current files, every year and LA (through the links)."""
    return str(Path(staging_dir) / RETURNS / "*" / "*" / f"{table}.parquet")


def current_versions(staging_dir: str | os.PathLike) -> dict[tuple[int, str], str]:
    """``{(year, la): version name}`` of every staged LA-year; reads only the links."""
    out: dict[tuple[int, str], str] = {}
    try:
        years = [e for e in os.scandir(Path(staging_dir) / RETURNS) if e.name.startswith("year=")]
    except FileNotFoundError:
        return out
    for ydir in years:
        for link in os.scandir(ydir.path):
            if link.name.startswith("la=") and link.is_symlink():
                out[(int(ydir.name[5:]), link.name[3:])] = Path(os.readlink(link.path)).name
    return out


@contextmanager
def locked(staging_dir: str | os.PathLike, year: int, la: str) -> Iterator[None]:
    """Hold the LA-year's exclusive lock (released by the kernel if the process dies)."""
    with exclusive_lock(Path(staging_dir) / ".locks" / f"{int(year)}_{la}.lock"):
        yield


def write_version(staging_dir: str | os.PathLike, year: int, la: str,
                  write: Callable[[Path], None]) -> Path:
    """Stage a new version of an LA-year: ``write(folder)`` fills a fresh, empty version folder,
    which then becomes current in one atomic swap; returns that folder.

    The whole call holds the LA-year lock, so another writer never deletes a folder still being
    written. If writing fails with an exception, the folder is removed and the current version
    stays; if the process dies, the folder is left for the next ingest or :func:`cleanup`.
    """
    link = current_link(staging_dir, year, la)
    folder = versions_dir(staging_dir, year, la) / _new_name()
    with locked(staging_dir, year, la):
        folder.mkdir(parents=True)
        try:
            replaced = _target_name(link)
            if replaced is not None:
                os.symlink(Path("..") / replaced, folder / REPLACES)
            write(folder)
            _flush(folder)
        except BaseException:
            shutil.rmtree(folder)
            raise
        _swap(link, folder)
        _prune(folder.parent, keep={folder.name, replaced})
    return folder


def cleanup(staging_dir: str | os.PathLike) -> list[Path]:
    """Delete, in every LA-year, the versions that are neither current nor the one the current one
    replaced (left by ingests that died before or just after their swap); returns what was
    deleted. Safe while ingests run: each LA-year is cleaned under its lock."""
    removed: list[Path] = []
    for ydir in sorted((Path(staging_dir) / VERSIONS).glob("year=*")):
        for ladir in sorted(ydir.glob("la=*")):
            year, la = int(ydir.name[5:]), ladir.name[3:]
            with locked(staging_dir, year, la):
                current = _target_name(current_link(staging_dir, year, la))
                replaced = None if current is None else _target_name(ladir / current / REPLACES)
                removed += _prune(ladir, keep={current, replaced})
    return removed


def _new_name() -> str:
    """A unique version name: ``<UTC yyyymmddThhmmss.ffffff>-<8 random hex digits>``."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
    return f"{now}-{uuid.uuid4().hex[:8]}"


def _target_name(link: Path) -> str | None:
    """The version name a link points to, or None when there is no link."""
    try:
        return Path(os.readlink(link)).name
    except FileNotFoundError:
        return None


def _swap(link: Path, folder: Path) -> None:
    """Atomically point ``link`` at ``folder`` (a relative target): create the new link under a
    temporary name beside ``folder`` (not under ``returns``, whose every entry readers glob), then
    rename it over ``link``."""
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".link-{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(folder, link.parent), tmp)
    os.replace(tmp, link)
    _fsync(link.parent)


def _prune(ladir: Path, keep: set[str | None]) -> list[Path]:
    """Delete every entry of an LA-year's versions folder but the versions in ``keep`` (so also
    the temporary link of a crashed swap); returns what was deleted."""
    removed = []
    for entry in sorted(ladir.iterdir()):
        if entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed.append(entry)
    return removed


def _flush(folder: Path) -> None:
    """Flush every file of ``folder``, the folder and its entry in its parent to disk."""
    for path in folder.iterdir():
        if not path.is_symlink():
            _fsync(path)
    _fsync(folder)
    _fsync(folder.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
