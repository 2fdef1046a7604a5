"""Atomic publication: a reader sees the previous complete folders or the new ones, never a mix.

One folder (``publish_atomically(target, build)``, used for the GX Data Docs): ``build(tmp)`` runs
on a fresh temporary folder *beside* ``target`` (same file system, so renames are atomic), which is
then swapped in:

1. ``target`` -> ``.<name>.old-<id>`` (rename), 2. ``tmp`` -> ``target`` (rename),
3. remove the old folder.

If ``build`` raises (or the run is blocked before it), the temporary folder is removed and
``target`` is never touched. If the process dies between 1 and 2, the next call (or
:func:`recover`) puts the newest complete ``.old-*`` folder back. Every complete folder carries a
``MANIFEST.json`` (files, sizes, sha256, and the ``publication_id`` below) written last, so a
half-built folder is never mistaken for a complete one.

Several folders that must change together (``publish_together(journal, parts)``, used for the two
release folders of a year, whose tables cross-check each other): every folder is first built
completely in its temporary folder; their manifests then carry one ``publication_id``, a SHA-256
over the path and SHA-256 of every file of every folder (:func:`publication_id`: a function of the
bytes only, so the same data give the same id and the same manifests). Then the switch is
journalled:

1. write the journal (the folders, the token naming their temporary and old folders, and the
   ``publication_id``; written to a side file and renamed into place, so it is whole or absent),
2. swap every folder in turn (1 and 2 above),
3. remove the journal (the switch is done), then the old folders.

Killed before its journal is in place, a publication has changed nothing (its temporary folders
are removed as leftovers by the next one).

A reader or a run that finds a journal finds an interrupted switch, and :func:`settled` (entered
first by every ``publish_together`` and by every checked read) completes it: FORWARD (every folder
new) when every folder of the journal is swapped in already (its temporary folder is gone) or
waits complete in its temporary folder, and carries the journal's ``publication_id``; else BACK
(each swapped folder goes back to its temporary name and its old folder returns). Both directions
only rename, each step decided from what is on disk, so a recovery that is itself killed is
completed by the next one; then the journal and the leftover folders are removed. A switch that
raises (rather than dies) leaves its journal too and is recovered the same way.

One switch, recovery or checked read of a journal at a time: each holds the lock of the file
beside the journal with the suffix ``.lock`` (:func:`settled`; the kernel releases it when its
holder dies), from the recovery to the end of the switch or the read, so a reader inside
:func:`settled` never sees a switch half done.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from cin_pipeline.ingest.audit import file_sha256
from cin_pipeline.processes import exclusive_lock

MANIFEST = "MANIFEST.json"


class Part(NamedTuple):
    """One folder of a publication: ``build(folder)`` writes its files; its manifest carries
    ``manifest_extra`` besides the files and the ``publication_id``."""

    target: Path
    build: Callable[[Path], None]
    manifest_extra: dict


def file_entries(folder: Path) -> list[dict]:
    """Every file of ``folder`` but its manifest, in path order: path (relative, POSIX), bytes, sha256."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    return [{"path": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size, "sha256": file_sha256(p)}
            for p in files]


def write_manifest(folder: Path, extra: dict, files: list[dict]) -> dict:
    """Write ``folder``'s ``MANIFEST.json``: ``extra`` and ``files`` (:func:`file_entries`)."""
    manifest = {**extra, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict | None:
    """``folder``'s manifest, or None when it has none (it is not a complete folder)."""
    path = Path(folder) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def is_complete(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


def publication_id(files: dict[str, list[dict]]) -> str:
    """The identity of folders published together (folder name -> :func:`file_entries`): the
    SHA-256 of one line ``<folder>/<path> <sha256>`` per file, in name order. It depends on the
    files' bytes only, so the same data give the same id."""
    h = hashlib.sha256()
    for name in sorted(files):
        for f in files[name]:
            h.update(f"{name}/{f['path']} {f['sha256']}\n".encode())
    return h.hexdigest()


def _carries(folder: Path, pub_id: str) -> bool:
    """``folder`` is complete and belongs to the publication ``pub_id``."""
    manifest = read_manifest(folder)
    return manifest is not None and manifest.get("publication_id") == pub_id


def _beside(target: Path, kind: str, token: str) -> Path:
    """The hidden ``tmp`` or ``old`` folder of ``target`` for the publication ``token``."""
    return target.parent / f".{target.name}.{kind}-{token}"


Finish = Callable[[list[tuple[Part, Path]]], None]
"""Called with every part and its temporary folder once all are built, before their manifests;
it may add files to them (the revisions report compares them with the folders they replace)."""


def _build_complete(parts: dict[str, Part], token: str, finish: Finish | None = None) -> str:
    """Build every part in its temporary folder beside its target, then run ``finish`` (if
    any) on them all, then write their manifests, all carrying the publication_id of them all
    (returned). If anything raises, every temporary folder is removed and the targets are
    untouched."""
    tmps: dict[str, Path] = {}
    try:
        for name, part in parts.items():
            part.target.parent.mkdir(parents=True, exist_ok=True)
            tmps[name] = _beside(part.target, "tmp", token)
            tmps[name].mkdir()
            part.build(tmps[name])
        if finish is not None:
            finish([(parts[name], tmp) for name, tmp in tmps.items()])
        files = {name: file_entries(tmp) for name, tmp in tmps.items()}
        pub_id = publication_id(files)
        for name, tmp in tmps.items():
            write_manifest(tmp, {**parts[name].manifest_extra, "publication_id": pub_id}, files[name])
    except BaseException:
        for tmp in tmps.values():
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return pub_id


def _swap(tmp: Path, target: Path, old: Path) -> None:
    """Rename ``target`` (if any) to ``old``, then ``tmp`` to ``target``."""
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)


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


def _token() -> str:
    return uuid.uuid4().hex[:12]


def publish_atomically(target: str | os.PathLike, build: Callable[[Path], None],
                       manifest_extra: dict | None = None) -> Path:
    """Build into a temporary folder beside ``target`` and swap it in (see module docstring)."""
    target = Path(target)
    recover(target)
    token = _token()
    _build_complete({target.name: Part(target, build, manifest_extra or {})}, token)
    tmp, old = _beside(target, "tmp", token), _beside(target, "old", token)
    try:
        _swap(tmp, target, old)
    except BaseException:
        if old.exists() and not target.exists():
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target


@dataclass(frozen=True)
class _Switch:
    """The journal of a switch: the folders (paths relative to ``root``, the journal's folder)
    that change together, the token naming their ``tmp``/``old`` folders and their publication_id."""

    root: Path
    publication_id: str
    token: str
    folders: tuple[str, ...]

    def paths(self) -> list[tuple[Path, Path, Path]]:
        """(target, tmp, old) of every folder, in switch order."""
        targets = [self.root / name for name in self.folders]
        return [(t, _beside(t, "tmp", self.token), _beside(t, "old", self.token)) for t in targets]

    def ready(self) -> bool:
        """Every folder is swapped in (its tmp is gone) or waits complete in its tmp, and each
        carries this switch's publication_id: the switch can be completed forward."""
        return all(_carries(tmp if tmp.exists() else target, self.publication_id)
                   for target, tmp, _ in self.paths())

    def forward(self) -> None:
        """Swap in every folder not swapped in yet."""
        for target, tmp, old in self.paths():
            if tmp.exists():
                _swap(tmp, target, old)

    def back(self) -> None:
        """Undo every swap: a new folder goes back to its tmp name, its old folder returns."""
        for target, tmp, old in self.paths():
            if not tmp.exists():
                os.replace(target, tmp)
            if old.exists():
                os.replace(old, target)

    def write(self, journal: Path) -> None:
        """Write the journal whole (a side file renamed into place) and flushed to disk."""
        part = _journal_part(journal)
        record = {"publication_id": self.publication_id, "token": self.token, "folders": list(self.folders)}
        with part.open("w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, journal)

    @classmethod
    def read(cls, journal: Path) -> _Switch:
        record = json.loads(journal.read_text(encoding="utf-8"))
        return cls(journal.parent, record["publication_id"], record["token"], tuple(record["folders"]))


def _journal_part(journal: Path) -> Path:
    return journal.with_name(journal.name + ".part")


@contextmanager
def _locked(journal: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``journal`` (on the file of its path with the suffix ``.lock``);
    the kernel releases it when the holder's process dies, so a killed switch never leaves it held."""
    with exclusive_lock(journal.with_suffix(".lock")):
        yield


def _recover_switch(journal: Path, targets: Iterable[Path]) -> None:
    """Complete an interrupted switch recorded in ``journal`` (forward when it is ready, else
    back), then drop the leftovers beside its folders and ``targets`` (:func:`recover`)."""
    targets = list(targets)
    if journal.is_file():
        switch = _Switch.read(journal)
        if switch.ready():
            switch.forward()
        else:
            switch.back()
        journal.unlink()
        targets += [target for target, _, _ in switch.paths()]
    _journal_part(journal).unlink(missing_ok=True)
    for target in targets:
        recover(target)


@contextmanager
def settled(journal: str | os.PathLike, targets: Iterable[Path]) -> Iterator[None]:
    """While inside, no switch of ``journal`` runs (its lock is held) and none is half done: an
    interrupted one is completed first and leftovers beside ``targets`` are removed. A reader
    reads the folders inside this block to see one publication."""
    journal = Path(journal)
    with _locked(journal):
        _recover_switch(journal, targets)
        yield


def publish_together(journal: str | os.PathLike, parts: list[Part], finish: Finish | None = None) -> str:
    """Build every part completely, then switch them all in (see module docstring); returns
    their publication_id. Every target lies under the journal's folder, which names them.
    ``finish`` (:data:`Finish`) runs after every part is built, under the switch lock, so it may
    read the folders being replaced."""
    journal = Path(journal)
    with settled(journal, [p.target for p in parts]):
        token = _token()
        named = {p.target.relative_to(journal.parent).as_posix(): p for p in parts}
        switch = _Switch(journal.parent, _build_complete(named, token, finish), token, tuple(named))
        switch.write(journal)
        switch.forward()
        journal.unlink()
        for _, _, old in switch.paths():
            shutil.rmtree(old, ignore_errors=True)
    return switch.publication_id
