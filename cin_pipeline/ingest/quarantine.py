"""Quarantine: set aside a return that cannot be ingested, byte for byte, with the reason.

``quarantine_dir/<UTC timestamp>_<sha8>_<original name>`` holds the file unchanged; beside it
``<that name>.reason.txt`` explains to the LA analyst what is wrong, where, and what to fix, and
``<that name>.reason.json`` carries the same for machines. Nothing is ever overwritten, and the
original is only removed once an identical copy of it, whole, is safely in quarantine.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from pathlib import Path

from cin_pipeline.ingest.audit import file_sha256, utc_stamp

_FIXES = {
    "empty_file": "Export the return again from your case management system and resubmit it.",
    "not_xml": "Submit the CIN census XML return (not a spreadsheet, CSV, PDF or zip file).",
    "malformed_xml": "Export the return again (the file looks cut short or hand-edited) and resubmit.",
    "wrong_root": "Check that this is the CIN census XML return: it must start with <Message>.",
    "missing_header": "Add the <Header> with <CollectionDetails> and <Source> and resubmit.",
    "missing_lea": "Add your 3-digit LA code in <Header><Source><LEA> and resubmit.",
    "missing_year": "Add the census year in <Header><CollectionDetails><Year> and resubmit.",
    "invalid_year": "Put the 4-digit census year (e.g. 2025 for 2024-25) in <Year> and resubmit.",
    "year_out_of_range": "Correct the census year in the header and resubmit.",
    "year_mismatch": "Submit the file for the census year in its header, or correct the header.",
    "unknown_la": "Put your own 3-digit DfE LA code in <LEA> and resubmit.",
    "la_mismatch": "Submit the file under the LA in its header, or correct the header.",
    "doctype_forbidden": "Remove the <!DOCTYPE ...> declaration and resubmit.",
    "entity_forbidden": "Remove the <!DOCTYPE ...> block and any &entity; references, then resubmit.",
    "file_too_large": "Check that the file is a single LA's return, then contact the DfE team.",
    "reference_date_mismatch": "Put the census year in <Year> and 31 March of that year in "
                               "<ReferenceDate> (e.g. 2025 and 2025-03-31), then resubmit.",
    "folder_year_mismatch": "Put the return in the landing folder of the census year in its header "
                            "(e.g. landing/2025/), or correct the header's <Year>.",
    "file_name_la_mismatch": "Name the file after the LA in its header (e.g. 330.xml for LEA 330), "
                             "or correct the header's <LEA>.",
    "resource_limit": "Export the return again from your case management system and resubmit it; "
                      "if the new file is refused too, send it to the DfE team.",
    "superseded": "Nothing, if the newer file is the right return. Otherwise put this file in the "
                  "landing folder again on its own.",
}
_DEFAULT_FIX = "Correct the file and resubmit it."


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    n = 1
    while candidate.exists() or Path(str(candidate) + ".reason.json").exists():
        candidate = folder / f"{name}.{n}"
        n += 1
    return candidate


def quarantine(
    path: str | os.PathLike,
    reason_code: str,
    message: str,
    quarantine_dir: str | os.PathLike,
    line: int | None = None,
    *,
    keep_original: bool = False,
    fix: str | None = None,
    kind: str = "CIN census file",
    year: int | None = None,
    la: str | None = None,
) -> Path:
    """Copy ``path`` into ``quarantine_dir`` with a ``.reason.txt`` and ``.reason.json``, then
    remove the original.

    The file is copied to a temporary name and renamed to ``<UTC timestamp>_<sha8>_<original name>``
    (the hash of the copy; a new name if that exists: never overwrites). The original is removed
    only if it was copied whole: if its size, mtime, device or inode differ after the copy from before it (it may
    still be being written, or was replaced), it is kept where it is, and the reason says so;
    otherwise the copy must have the original's SHA-256. ``keep_original`` keeps it in any case.
    If anything fails before the copy is in place, the original is left untouched and the error
    propagates.
    Returns the path of the quarantined file. ``fix`` overrides the advice for ``reason_code``;
    ``kind`` names the file in the reason text (a source extract is not a census return).
    ``year`` and ``la``, when known (the LA-year the file was being ingested for, or its header's),
    are kept in the ``.reason.json`` so the LA-year's data-quality report can list the file.
    """
    src = Path(path)
    folder = Path(quarantine_dir)
    folder.mkdir(parents=True, exist_ok=True)
    before = _identity(src)
    digest = file_sha256(src)
    now = _dt.datetime.now(_dt.timezone.utc)
    tmp = folder / f".{utc_stamp(now)}_{digest[:8]}_{src.name}.partial"
    try:
        shutil.copyfile(src, tmp)
        copied = file_sha256(tmp)
        changed = _identity(src) != before
        if copied != digest and not changed:
            raise OSError(f"copy of {src} into quarantine is not identical; original kept")
        target = _free_name(folder, f"{utc_stamp(now)}_{copied[:8]}_{src.name}")
        os.link(tmp, target)  # atomic, and refuses to overwrite
    finally:
        tmp.unlink(missing_ok=True)
    if not (keep_original or changed):
        try:
            src.unlink()
        except OSError:
            pass  # the copy is safe in quarantine; leaving the original loses nothing
    _write_reason(target, src, reason_code, message, line, fix or _FIXES.get(reason_code, _DEFAULT_FIX),
                  kind, now, copied, changed, year, la)
    return target


def _identity(path: Path) -> tuple[int, int, int, int]:
    """What changes when a file is written to or replaced: size, mtime, device and inode."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino


_CHANGED_NOTE = (
    "The file in the landing folder changed while it was being copied here (it may still have "
    "been being written), so it was left in the landing folder and will be looked at again once "
    "it stops changing; this copy may be incomplete."
)


def _write_reason(target: Path, src: Path, reason_code: str, message: str, line: int | None, fix: str,
                  kind: str, now: _dt.datetime, digest: str, changed: bool,
                  year: int | None = None, la: str | None = None) -> None:
    """The ``.reason.txt`` (for the LA analyst) and ``.reason.json`` (for machines) of ``target``."""
    where = f"line {line}" if line else "the file as a whole"
    text = (
        f"The {kind} '{src.name}' was not loaded and has been set aside.\n\n"
        f"Problem ({reason_code}), at {where}:\n  {message}\n\n"
        f"What to do:\n  {fix}\n\n"
        + (f"{_CHANGED_NOTE}\n\n" if changed else "")
        + f"Received: {now.isoformat(timespec='seconds')}\nSHA-256: {digest}\n"
        f"Quarantined as: {target.name}\n"
    )
    Path(str(target) + ".reason.txt").write_text(text, encoding="utf-8")
    Path(str(target) + ".reason.json").write_text(json.dumps({
        "original_name": src.name, "original_path": str(src), "quarantined_as": target.name,
        "reason_code": reason_code, "message": message, "line": line, "fix": fix,
        "sha256": digest, "size_bytes": target.stat().st_size,
        "quarantined_at": now.isoformat(timespec="seconds"),
        "original_changed_while_copied": changed,
        "year": None if year is None else int(year), "la": None if la is None else str(la),
    }, indent=1), encoding="utf-8")


def read_reasons(quarantine_dir: str | os.PathLike) -> list[dict]:
    """The ``.reason.json`` of every census return quarantined in ``quarantine_dir`` (its top level;
    source extracts are quarantined in a sub-folder), oldest first, each with ``reason_file`` (its
    path). Records written before ``year``/``la`` were kept have them as ``None``."""
    folder = Path(quarantine_dir)
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.glob("*.reason.json")):
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(rec, dict):
            rec.setdefault("year", None)
            rec.setdefault("la", None)
            out.append({**rec, "reason_file": str(p)})
    return sorted(out, key=lambda r: (str(r.get("quarantined_at") or ""), r["reason_file"]))
