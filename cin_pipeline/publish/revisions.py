"""The revisions report: what a publication changed in the one it replaces.

When a release folder of a year is replaced by another publication (the folder holds a complete
publication and the new one differs from it), the new folder gets, beside its data:

``revisions.csv``
    one line per published cell that changed (``change`` = ``cell changed``): the data set
    (``table_id`` and ``file``), the row (``time_period``, ``time_identifier``,
    ``geographic_level``, the geography codes, ``geography_name`` and the row's filter values as
    ``filters``, ``name=value; ...`` in the file's column order, filter grouping columns included), the ``column`` and the
    ``old_value``/``new_value`` as published (text: ``c``, ``x``, ``z`` and ``low`` included);
    one line per row added or removed (``row added``/``row removed``, no column), per indicator
    column added or removed, per data file added or removed, and ``layout changed`` when a file's
    filter columns changed (its rows cannot be matched). Ordered by file; within a file, the
    lines of columns added or removed first, then by the row's place in the new file (a removed
    row: its place in the old one), then by column.
``revisions.md``
    the summary: the publication it replaces, the counts per data set, the largest numeric
    changes, and the census returns that differ between the two publications (the manifests'
    ``returns``: the SHA-256 of the return each staged LA-year was ingested from).

The comparison is set-based: each data file is read as text (pandas, no value parsed), rows are
matched on every column that is not an indicator of its ``.meta.csv`` (time, geography,
filters) by a merge, and the indicators of the matched rows are compared as arrays; no Python loop
runs over rows or cells.

The report describes the change from the previous *different* publication. A republication of
the same data (the same files and the same manifest entries, report files aside) is the same
publication: it carries the folder's report forward unchanged (none after a first publication),
so it is byte-identical to the folder it replaces (:func:`same_publication`,
:func:`carry_forward`). Nothing here records a time: the report is a function of the two
publications' bytes.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from cin_pipeline.ingest.audit import file_sha256
from cin_pipeline.publish.writer import file_entries, read_manifest
from cin_pipeline.reference import la_names

REVISIONS_CSV = "revisions.csv"
REVISIONS_MD = "revisions.md"
REPORT_FILES = (REVISIONS_CSV, REVISIONS_MD)

CELL, ROW_ADDED, ROW_REMOVED = "cell changed", "row added", "row removed"
COLUMN_ADDED, COLUMN_REMOVED = "column added", "column removed"
FILE_ADDED, FILE_REMOVED, FILE_CHANGED, LAYOUT = "file added", "file removed", "file changed", "layout changed"

CODES = ["time_period", "time_identifier", "geographic_level", "country_code", "region_code",
         "old_la_code", "new_la_code"]
"""The time and geography columns of a line of ``revisions.csv`` (empty when the file has none)."""
NAMES = ["la_name", "region_name", "country_name"]
"""The geography name of a row: the first of these that is not empty."""
COLUMNS = ["table_id", "file", "change", *CODES, "geography_name", "filters", "column",
           "old_value", "new_value"]

LARGEST = 10
"""How many of the largest numeric changes ``revisions.md`` lists."""


# --- is it another publication? ----------------------------------------------------------------


def same_publication(old_folder: Path, new_folder: Path, manifest_extra: dict) -> bool:
    """``new_folder`` (built, no manifest yet) holds the same files as the complete
    ``old_folder``, report files aside, and its manifest will record the same entries
    (``manifest_extra``: release, tables, returns)."""
    manifest = read_manifest(old_folder)
    if manifest is None:
        return False
    old_files = [f for f in manifest.get("files", []) if f["path"] not in REPORT_FILES]
    old_extra = {k: v for k, v in manifest.items() if k not in ("files", "publication_id")}
    return old_files == file_entries(new_folder) and old_extra == json.loads(json.dumps(manifest_extra))


def carry_forward(old_folder: Path, new_folder: Path) -> list[str]:
    """Copy the report of ``old_folder`` (if it has one) into ``new_folder``; returns the names copied."""
    copied = []
    for name in REPORT_FILES:
        if (old_folder / name).is_file():
            shutil.copyfile(old_folder / name, new_folder / name)
            copied.append(name)
    return copied


# --- the cells that changed ---------------------------------------------------------------------


def _read(path: Path) -> pd.DataFrame:
    """A published CSV as text: every value as written, an empty cell as ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


def _meta_path(data_file: Path) -> Path:
    return data_file.with_name(data_file.name[: -len(".csv")] + ".meta.csv")


def _indicators(data_file: Path) -> list[str] | None:
    """The indicator columns of a data file (its ``.meta.csv``), or None when it has no meta file."""
    meta = _meta_path(data_file)
    if not meta.is_file():
        return None
    m = _read(meta)
    return m.loc[m["col_type"] == "Indicator", "col_name"].tolist()


def _lines(table_id: str, file: str, change: str, rows: pd.DataFrame | None = None,
           filters: list[str] = (), column=None, old=None, new=None) -> pd.DataFrame:
    """Lines of ``revisions.csv`` for ``rows`` (one line of file level when None), with
    ``column``, ``old`` and ``new`` each a value or a Series aligned with ``rows``."""
    if rows is None:
        rows = pd.DataFrame(index=[0])
    out = pd.DataFrame(index=rows.index)
    out["table_id"], out["file"], out["change"] = table_id, file, change
    for c in CODES:
        out[c] = rows[c] if c in rows else ""
    name = pd.Series("", index=rows.index, dtype=object)
    for c in reversed(NAMES):  # the most specific non-empty name wins
        if c in rows:
            name = rows[c].where(rows[c] != "", name)
    out["geography_name"] = name
    text = pd.Series("", index=rows.index, dtype=object)
    for i, f in enumerate(filters):
        text = text + ("" if i == 0 else "; ") + f + "=" + rows[f]
    out["filters"] = text
    out["column"] = "" if column is None else column
    out["old_value"] = "" if old is None else old
    out["new_value"] = "" if new is None else new
    return out[COLUMNS]


def compare_file(table_id: str, file: str, old_path: Path | None, new_path: Path | None) -> pd.DataFrame:
    """The lines of ``revisions.csv`` for one data file (``old_path``/``new_path``: the file in
    the replaced and in the new folder, None where it is absent), in order."""
    if old_path is None:
        return _lines(table_id, file, FILE_ADDED)
    if new_path is None:
        return _lines(table_id, file, FILE_REMOVED)
    if file_sha256(old_path) == file_sha256(new_path):
        return _lines(table_id, file, "").iloc[0:0]
    old_ind, new_ind = _indicators(old_path), _indicators(new_path)
    if old_ind is None or new_ind is None:  # not an EES data file: no cells to match
        return _lines(table_id, file, FILE_CHANGED)
    old, new = _read(old_path), _read(new_path)
    keys = [c for c in new.columns if c not in new_ind]
    if [c for c in old.columns if c not in old_ind] != keys:
        return _lines(table_id, file, LAYOUT)
    filters = [c for c in keys if c not in CODES and c not in NAMES]  # filters and their groupings
    old["_row"], new["_row"] = range(len(old)), range(len(new))
    col_order = {c: i for i, c in enumerate(new.columns)}

    rows = old[keys + ["_row"]].merge(new[keys + ["_row"]], on=keys, how="outer",
                                      suffixes=("_old", "_new"), indicator=True)
    added = rows[rows["_merge"] == "right_only"]
    removed = rows[rows["_merge"] == "left_only"]
    parts = [(_lines(table_id, file, ROW_ADDED, added, filters), added["_row_new"], -1),
             (_lines(table_id, file, ROW_REMOVED, removed, filters), removed["_row_old"], -1)]

    common = [c for c in new_ind if c in old_ind]
    if common:  # the rows of both files side by side, compared column by column as arrays
        both = new[keys + ["_row"] + common].merge(old[keys + common], on=keys, how="inner",
                                                   suffixes=("", " (old)"))
        now = both[common].to_numpy()
        was = both[[f"{c} (old)" for c in common]].to_numpy()
        row, col = np.nonzero(now != was)  # row by row, then in column order
        cells = both[keys + ["_row"]].iloc[row].reset_index(drop=True)
        columns = np.array(common, dtype=object)[col]
        parts.append((_lines(table_id, file, CELL, cells, filters, columns, was[row, col], now[row, col]),
                      cells["_row"], pd.Series(columns).map(col_order)))
    for c in (c for c in new_ind if c not in old_ind):
        parts.append((_lines(table_id, file, COLUMN_ADDED, column=c), pd.Series([-1]), col_order[c]))
    for i, c in enumerate(c for c in old_ind if c not in new_ind):
        parts.append((_lines(table_id, file, COLUMN_REMOVED, column=c), pd.Series([-1]), len(col_order) + i))

    frames = []
    for lines, row, col in parts:
        if len(lines):
            frames.append(lines.assign(_r=pd.Series(row).to_numpy(dtype="int64"),
                                       _c=(pd.Series(col).to_numpy(dtype="int64")
                                           if isinstance(col, pd.Series) else col)))
    if not frames:
        return _lines(table_id, file, "").iloc[0:0]
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["_r", "_c"], kind="mergesort")[COLUMNS].reset_index(drop=True)


def _data_files(folder: Path) -> dict[str, Path]:
    """The data files (not meta files) of a release folder, by name."""
    data = folder / "data"
    if not data.is_dir():
        return {}
    return {p.name: p for p in sorted(data.glob("*.csv")) if not p.name.endswith(".meta.csv")}


def compare_folders(old_folder: Path, new_folder: Path, tables_by_file: dict[str, str]) -> pd.DataFrame:
    """Every line of ``revisions.csv`` between two release folders, by file name order
    (``tables_by_file``: data file name -> table id; a file not in it is named by its stem)."""
    old, new = _data_files(old_folder), _data_files(new_folder)
    frames = [compare_file(tables_by_file.get(name, name[: -len(".csv")]), name, old.get(name), new.get(name))
              for name in sorted(set(old) | set(new))]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


# --- the returns that changed -------------------------------------------------------------------


def returns_changed(old: dict[str, str] | None, new: dict[str, str] | None) -> list[dict] | None:
    """The LA-year returns that differ between two publications' ``returns`` (``"<year>/<la>"``
    -> sha256): resubmitted (another return), new or withdrawn; None when either publication
    does not record its returns."""
    if old is None or new is None:
        return None
    changed, names = [], la_names()
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        year, la = key.split("/", 1)
        kind = "resubmitted" if key in old and key in new else ("new return" if key in new else "withdrawn")
        changed.append({"year": int(year), "la": la, "la_name": names.get(la, ""), "change": kind,
                        "old_sha256": old.get(key), "new_sha256": new.get(key)})
    return changed


# --- the report ---------------------------------------------------------------------------------


def _md(value) -> str:
    return str(value).replace("|", "\\|")


def _difference(old: str, new: str) -> str:
    try:
        d = Decimal(new) - Decimal(old)
    except InvalidOperation:
        return ""
    return f"{d:+f}"


def _largest(lines: pd.DataFrame) -> pd.DataFrame:
    """The :data:`LARGEST` cell changes whose old and new values are both numbers, by the size
    of the difference (ties in report order)."""
    cells = lines[lines["change"] == CELL]
    old = pd.to_numeric(cells["old_value"], errors="coerce")
    new = pd.to_numeric(cells["new_value"], errors="coerce")
    size = (new - old).abs()
    numeric = cells[size.notna()].assign(_size=size[size.notna()])
    return numeric.sort_values("_size", ascending=False, kind="mergesort").head(LARGEST)


def summarise(lines: pd.DataFrame) -> pd.DataFrame:
    """Counts per data set (file order): cells changed, rows added, rows removed, other lines."""
    if lines.empty:
        return pd.DataFrame(columns=["table_id", "file", "cells", "rows_added", "rows_removed", "other"])
    kind = lines["change"].map({CELL: "cells", ROW_ADDED: "rows_added", ROW_REMOVED: "rows_removed"}).fillna("other")
    counts = pd.crosstab([lines["file"], lines["table_id"]], kind)
    for c in ("cells", "rows_added", "rows_removed", "other"):
        if c not in counts:
            counts[c] = 0
    return counts[["cells", "rows_added", "rows_removed", "other"]].reset_index()[
        ["table_id", "file", "cells", "rows_added", "rows_removed", "other"]]


def render(title: str, release_year: int, replaces: str | None, lines: pd.DataFrame,
           returns: list[dict] | None, data_files: int) -> str:
    """``revisions.md``: see the module docstring."""
    counts = summarise(lines)
    out = [f"# Revisions: {title}, reporting year {release_year}", "",
           f"This publication replaces the earlier publication of reporting year {release_year} "
           f"(publication_id `{replaces}`).",
           f"`{REVISIONS_CSV}` lists every published cell that changed, one line per cell, and every "
           "row, column or data file added or removed; values are the published text, symbols included.",
           "", "## Changes per data set", ""]
    if counts.empty:
        out += ["No published cell of this release changed.", ""]
    else:
        out += ["| data set | file | cells changed | rows added | rows removed | other |",
                "|---|---|---:|---:|---:|---:|"]
        out += [f"| {r.table_id} | `{r.file}` | {r.cells} | {r.rows_added} | {r.rows_removed} | {r.other} |"
                for r in counts.itertuples()]
        out += [f"| total | {len(counts)} data sets | {counts['cells'].sum()} | {counts['rows_added'].sum()} "
                f"| {counts['rows_removed'].sum()} | {counts['other'].sum()} |", ""]
        unchanged = data_files - len(counts)
        if unchanged > 0:
            out += [f"The other {unchanged} data files of the release are unchanged.", ""]
        if (counts["other"] > 0).any():
            out += ["Other: indicator columns, data files or layouts added, removed or changed "
                    f"(see `{REVISIONS_CSV}`).", ""]
        largest = _largest(lines)
        out += ["## Largest changes", ""]
        if largest.empty:
            out += ["No changed cell is a number both before and after (the changes are to or from symbols).", ""]
        else:
            out += ["The cells whose values are numbers before and after, by the size of the change:", "",
                    "| data set | period | level | geography | filters | column | before | after | change |",
                    "|---|---|---|---|---|---|---:|---:|---:|"]
            out += [f"| {r.table_id} | {r.time_period} | {r.geographic_level} | {_md(r.geography_name)} "
                    f"| {_md(r.filters)} | {r.column} | {r.old_value} | {r.new_value} "
                    f"| {_difference(r.old_value, r.new_value)} |" for r in largest.itertuples()]
            out.append("")
        to_symbol = (pd.to_numeric(lines["old_value"], errors="coerce").isna()
                     != pd.to_numeric(lines["new_value"], errors="coerce").isna())
        symbols = lines[(lines["change"] == CELL) & to_symbol]
        if len(symbols):
            out += [f"{len(symbols)} changed cells went from a number to a symbol or back "
                    "(e.g. a count now suppressed as `c`).", ""]
    out += ["## Census returns that changed", ""]
    if returns is None:
        out += ["The earlier publication does not record the census returns it was built from.", ""]
    elif not returns:
        out += ["No census return differs between the two publications: the changes come from the "
                "pipeline itself (its code or reference data).", ""]
    else:
        out += ["The LA-year returns that differ between the two publications (SHA-256 of the return "
                "file, first 12 digits):", "",
                "| reporting year | LA | name | change | return before | return now |",
                "|---|---|---|---|---|---|"]
        out += [f"| {r['year']} | {r['la']} | {_md(r['la_name'])} | {r['change']} "
                f"| {(r['old_sha256'] or '')[:12]} | {(r['new_sha256'] or '')[:12]} |" for r in returns]
        out.append("")
    return "\n".join(out)


def write_report(old_folder: Path, new_folder: Path, title: str, release_year: int,
                 tables_by_file: dict[str, str], new_returns: dict[str, str] | None) -> dict:
    """Write ``revisions.csv`` and ``revisions.md`` into ``new_folder`` (built, no manifest yet)
    from its differences with the complete ``old_folder`` it replaces; returns the summary:
    the publication replaced, changed cells per table (tables with any), rows added and removed,
    the returns that changed and the report's file names."""
    manifest = read_manifest(old_folder) or {}
    lines = compare_folders(old_folder, new_folder, tables_by_file)
    returns = returns_changed(manifest.get("returns"), new_returns)
    lines.to_csv(new_folder / REVISIONS_CSV, index=False, lineterminator="\n")
    (new_folder / REVISIONS_MD).write_text(
        render(title, release_year, manifest.get("publication_id"), lines, returns,
               len(_data_files(new_folder))), encoding="utf-8")
    counts = summarise(lines)
    return {
        "replaces": manifest.get("publication_id"),
        "changed_cells": {r.table_id: int(r.cells) for r in counts.itertuples() if r.cells},
        "rows_added": int(counts["rows_added"].sum()),
        "rows_removed": int(counts["rows_removed"].sum()),
        "other_changes": int(counts["other"].sum()),
        "returns_changed": [f"{r['year']}/{r['la']} {r['change']}" for r in returns] if returns is not None else None,
        "report": [REVISIONS_CSV, REVISIONS_MD],
    }
