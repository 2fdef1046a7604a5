"""Audit trail of every file version received: ``audit_dir/submissions/*.json``.

One JSON document per version received, named ``<arrival time>_<sha256[:12]>.json``, never
rewritten (append-only). Each document is written to a temporary name and then hard-linked into
place, so concurrent writers can neither clobber one another nor leave a half-written record.
The warehouse reads the folder as ``staging.submission_audit``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import uuid
from pathlib import Path

_CHUNK = 4 * 1024 * 1024

SUBMISSION_FIELDS = ("arrival_time", "file_name", "path", "size_bytes", "sha256", "year", "la",
                     "status", "detail")
"""Keys of every submission record (the columns of ``staging.submission_audit``)."""

STATUSES = ("ingested", "ingested_with_errors", "duplicate", "quarantined", "rejected")
"""Usual values of ``status`` (free text is accepted, these are what the pipeline writes)."""


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, read in 4 MiB chunks (memory does not depend on the file size)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def utc_stamp(now: _dt.datetime | None = None) -> str:
    """Compact sortable UTC timestamp with microseconds, e.g. ``20250402T090000123456Z``."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return now.astimezone(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def submissions_dir(audit_dir: str | os.PathLike) -> Path:
    return Path(audit_dir) / "submissions"


def record_submission(
    audit_dir: str | os.PathLike,
    path: str | os.PathLike,
    sha256: str,
    year: int | None,
    la: str | None,
    status: str,
    detail: str | dict | None = None,
) -> Path:
    """Append one record of a received file version; returns the JSON file written.

    ``detail`` is free text or a dict (e.g. row and finding counts, or the rejection reason);
    dicts are stored as JSON text so every record has the same columns.
    """
    folder = submissions_dir(audit_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(path)
    now = _dt.datetime.now(_dt.timezone.utc)
    try:
        size = path.stat().st_size
    except OSError:
        size = None
    record = {
        "arrival_time": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "file_name": path.name,
        "path": str(path),
        "size_bytes": size,
        "sha256": sha256,
        "year": None if year is None else int(year),
        "la": la,
        "status": status,
        "detail": json.dumps(detail, default=str) if isinstance(detail, dict) else detail,
    }
    tmp = folder / f".{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    try:
        stamp = utc_stamp(now)
        for attempt in range(1000):
            suffix = "" if attempt == 0 else f"_{attempt}"
            final = folder / f"{stamp}_{sha256[:12]}{suffix}.json"
            try:
                os.link(tmp, final)  # fails if the name exists: never overwrites
                return final
            except FileExistsError:
                continue
        raise RuntimeError("could not find a free audit record name")  # pragma: no cover
    finally:
        tmp.unlink(missing_ok=True)


def read_submissions(audit_dir: str | os.PathLike) -> list[dict]:
    """Every submission record, oldest first."""
    folder = submissions_dir(audit_dir)
    if not folder.exists():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def is_known_version(audit_dir: str | os.PathLike, sha256: str, statuses: tuple[str, ...] | None = None) -> bool:
    """True if a file with this SHA-256 was received before (exact duplicate detection).

    The file names carry ``sha256[:12]``, so only candidate records are opened. ``statuses``
    restricts the match (e.g. ``("ingested", "ingested_with_errors")`` to skip only versions
    that made it to staging).
    """
    folder = submissions_dir(audit_dir)
    if not folder.exists():
        return False
    for p in folder.glob(f"*_{sha256[:12]}*.json"):
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if rec.get("sha256") == sha256 and (statuses is None or rec.get("status") in statuses):
            return True
    return False
