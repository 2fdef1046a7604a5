"""Atomic publication: a release folder is either the previous complete one or the new complete one.

``publish_atomically(target, build)`` calls ``build(tmp)`` on a fresh temporary folder *beside*
``target`` (same file system, so renames are atomic), then swaps it in:

1. ``target`` -> ``.<name>.old-<id>`` (rename), 2. ``tmp`` -> ``target`` (rename),
3. remove the old folder.

If ``build`` raises (or the run is blocked before it), the temporary folder is removed and
``target`` is never touched. If the process dies between 1 and 2, the next call (or
:func:`recover`) puts the newest complete ``.old-*`` folder back. Every complete folder carries a
``MANIFEST.json`` (files, sizes, sha256) written last, so a half-built folder is never mistaken for
a complete one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

MANIFEST = "MANIFEST.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(folder: Path, extra: dict | None = None) -> dict:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest = {
        **(extra or {}),
        "files": [{"path": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size,
                   "sha256": _sha256(p)} for p in files],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def is_complete(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


def recover(target: Path) -> None:
    """Put back the newest complete ``.old-*`` folder if a swap was interrupted; drop leftovers."""
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if not target.exists():
        complete = [p for p in olds if is_complete(p)]
        if complete:
            os.replace(complete[-1], target)
            olds.remove(complete[-1])
    if target.exists():
        for p in olds:
            shutil.rmtree(p, ignore_errors=True)
    for p in parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


def publish_atomically(target: str | os.PathLike, build: Callable[[Path], None],
                       manifest_extra: dict | None = None) -> Path:
    """Build into a temporary folder beside ``target`` and swap it in (see module docstring)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    token = uuid.uuid4().hex[:12]
    tmp = target.parent / f".{target.name}.tmp-{token}"
    tmp.mkdir()
    try:
        build(tmp)
        write_manifest(tmp, manifest_extra)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}.old-{token}"
    if target.exists():
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old.exists() and not target.exists():
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target
