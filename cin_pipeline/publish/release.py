"""Assemble a year's release folders ``data/publication/<release>/<year>/``; publish them together.

Contents of a release folder::

    data/<file>.csv, data/<file>.meta.csv   every table of the release (EES data + metadata), and
                                            the population file when the release has one
                                            (:func:`release_files`)
    data-guidance.md                        generated from the registry
    all-data.zip                            EES's "download all" layout: data/*.csv and
                                            data-guidance/data-guidance.txt (:func:`write_download_zip`)
    ees-bulk-upload.zip                     EES's bulk upload layout: dataset_names.csv and every
                                            data file with its meta file at the top level
                                            (:func:`write_bulk_upload_zip`)
    index.html                              static release preview (headlines, inline SVG charts,
                                            the LA view: cin_pipeline.publish.la_view)
    revisions.csv, revisions.md             when the folder replaced another publication: every
                                            published cell that changed, and a summary
                                            (:mod:`cin_pipeline.publish.revisions`)
    MANIFEST.json                           files with sizes and sha256, the census returns the
                                            publication was built from (``returns``: "<year>/<la>"
                                            -> sha256 of the return file) and the publication_id
                                            (written last)

The release folders of a year are one publication: their tables cross-check each other (E1's
totals are C1's England referrals), so :func:`publish_year` builds them all and switches them in
together (:func:`cin_pipeline.publish.writer.publish_together`, journal
``<publication_dir>/.switch-<year>.json``); their manifests carry the same ``publication_id``.
A reader reads them inside :func:`agreed_publication`, which completes an interrupted switch
first and refuses folders of different publications (:func:`releases_agree`).

The same data give the same bytes: no file holds a build time (the zip's entries carry the fixed
date 1980-01-01 and are written in name order; the manifest lists files and the publication_id, a
hash of the files). The Great Expectations Data Docs, which record when the validations ran, are
the evidence of a build rather than part of the release: they are written beside it, to
``<reports>/gx/<release>/<year>/`` (``data/reports/gx/...`` by default), each atomically on its
own before the switch, and the preview links to them.

A folder that replaces another publication of the year gets the revisions report (every published
cell that changed, and the census returns that caused it; :func:`_revise`); a republication of the
same data is the same publication and keeps the folder's report, byte for byte.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cin_pipeline.checks import data_docs
from cin_pipeline.publish import guidance, preview, revisions
from cin_pipeline.ees.population import population_output
from cin_pipeline.ees.rows import EesOutput
from cin_pipeline.publish.writer import (Part, is_complete, publish_atomically, publish_together,
                                         read_manifest, settled)
from cin_pipeline.tables import releases
from cin_pipeline.tables.declare import Release

log = logging.getLogger(__name__)


def build_data_docs(gx_dir: Path, outputs: dict[str, EesOutput],
                    validations: dict[str, tuple[str, str]] | None = None, info: dict | None = None) -> str:
    """The Great Expectations Data Docs of the release's tables (``cin_pipeline.checks.data_docs``),
    from the results the ``gx_suite`` checks kept (``validations``) where they validated exactly
    these rows; ``info`` gets the tables whose result was reused and those validated now."""
    gx_dir.mkdir(parents=True, exist_ok=True)
    try:
        runner, reused, validated = data_docs.runner_for(
            [(o.spec, o.data, o.release_year) for o in outputs.values()], validations)
        if info is not None:
            info["gx_reused"], info["gx_validated"] = len(reused), validated
        data_docs.build(gx_dir, runner)
        return "built"
    except Exception as exc:  # noqa: BLE001 - a report must not block the publication
        log.warning("GX Data Docs failed: %s", exc)
        (gx_dir / "README.md").write_text(f"Data Docs failed: {exc}\n", encoding="utf-8")
        return "failed"


def release_files(release: Release, release_year: int, outputs: dict[str, EesOutput]) -> dict[str, EesOutput]:
    """Every data file of the release: its tables' ``outputs`` and the publication-level files
    that no table asset builds (the population file, :mod:`cin_pipeline.ees.population`)."""
    files = dict(outputs)
    if release.population_file:
        pop = population_output(release, release_year)
        files[pop.spec.table_id] = pop
    return files


ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""The date of every entry of the release's zips (the earliest a zip can hold): no build time."""


def write_zip(path: Path, entries: list[tuple[str, Path | bytes]]) -> None:
    """A zip of ``(name in the zip, file or bytes)`` whose bytes depend only on the contents:
    every entry dated :data:`ZIP_DATE`, entries in name order."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, src in sorted(entries, key=lambda e: e[0]):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, src if isinstance(src, bytes) else src.read_bytes())


# --- EES's own zip layouts ---------------------------------------------------------------------
#
# Bulk upload (EES admin, "upload a ZIP of several data sets"): the ZIP holds a file
# ``dataset_names.csv`` whose header is exactly ``file_name,dataset_name``, one row per data set
# (file_name: the data file's name without ".csv"; dataset_name: its title, at most 120
# characters, unique in the ZIP; file names unique too), and for every row ``<file_name>.csv`` and
# ``<file_name>.meta.csv`` at the top level; any other file in the ZIP is refused, and entry names
# are at most 150 characters. Source: explore-education-statistics, Admin
# ``Services/DataSetZipValidationService.cs`` (ValidateBulkDataZipFiles) and its predecessor
# ``Services/DataArchiveValidationService.cs`` (ValidateBulkDataArchiveFile), which both require
# the header ``["file_name", "dataset_name"]``.
#
# Download all (EES public site, "Download all data (ZIP)"): Content API
# ``Services/ReleaseFileService.cs`` zips the release's files of type Data and Ancillary only (no
# metadata files) as ``data/<file>.csv`` and ``supporting-files/<file>``, and adds the generated
# data guidance as ``data-guidance/data-guidance.txt`` when the zip holds a data file. We have no
# ancillary files, and our guidance (Markdown text) is that file. EES writes the guidance entry
# last; our entries stay in name order (reproducible bytes), the folders are the same.

BULK_INDEX = "dataset_names.csv"
BULK_INDEX_HEADER = ("file_name", "dataset_name")
BULK_TITLE_MAX = 120
BULK_NAME_MAX = 150
DOWNLOAD_GUIDANCE = "data-guidance/data-guidance.txt"


def dataset_name(spec) -> str:
    """A data set's title in EES: the table's heading (``B1: Children in need ...``), cut at a
    word boundary with an ellipsis when it is longer than EES's 120 characters."""
    name = spec.heading
    if len(name) <= BULK_TITLE_MAX:
        return name
    return name[:BULK_TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:-") + "\u2026"


def dataset_names_csv(rows: list[tuple[str, str]]) -> bytes:
    """``dataset_names.csv`` for ``(data file name, data set name)`` rows, in file-name order."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(BULK_INDEX_HEADER)
    for file_name, name in sorted(rows):
        w.writerow((file_name[:-4] if file_name.endswith(".csv") else file_name, name))
    return buf.getvalue().encode("utf-8")


def write_bulk_upload_zip(path: Path, data_dir: Path, outputs: dict[str, EesOutput]) -> None:
    """The release's data sets as one EES bulk-upload ZIP (see the layout above)."""
    entries: list[tuple[str, Path | bytes]] = [
        (BULK_INDEX, dataset_names_csv([(o.file_name, dataset_name(o.spec)) for o in outputs.values()]))]
    for o in outputs.values():
        entries += [(o.file_name, data_dir / o.file_name), (o.meta_file_name, data_dir / o.meta_file_name)]
    write_zip(path, entries)


def bulk_upload_problems(path: Path) -> list[str]:
    """What EES's bulk upload would refuse in the ZIP at ``path`` (empty: it would accept it)."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if BULK_INDEX not in names:
            return [f"no {BULK_INDEX}"]
        rows = list(csv.reader(io.StringIO(z.read(BULK_INDEX).decode("utf-8-sig"))))
    problems = []
    if not rows or tuple(rows[0]) != BULK_INDEX_HEADER:
        return [f"{BULK_INDEX} header is {rows[0] if rows else []}, not {list(BULK_INDEX_HEADER)}"]
    body = rows[1:]
    if not body:
        problems.append(f"{BULK_INDEX} names no data set")
    used = {BULK_INDEX}
    stems = [r[0].replace(".csv", "") for r in body]
    titles = [r[1].strip() for r in body]
    for stem, title in zip(stems, titles):
        for f in (f"{stem}.csv", f"{stem}.meta.csv"):
            if f in names:
                used.add(f)
            else:
                problems.append(f"{f} named in {BULK_INDEX} is not in the zip")
        if len(title) > BULK_TITLE_MAX:
            problems.append(f"data set name longer than {BULK_TITLE_MAX} characters: {title!r}")
    problems += [f"duplicate data set name {t!r}" for t in sorted({t for t in titles if titles.count(t) > 1})]
    problems += [f"duplicate file name {f!r}" for f in sorted({f for f in stems if stems.count(f) > 1})]
    problems += [f"file not named in {BULK_INDEX}: {n}" for n in names if n not in used]
    problems += [f"entry name longer than {BULK_NAME_MAX} characters: {n}" for n in names if len(n) > BULK_NAME_MAX]
    return problems


def write_download_zip(path: Path, data_dir: Path, outputs: dict[str, EesOutput], guidance_file: Path) -> None:
    """The release in EES's "download all" layout: ``data/<file>.csv`` for every data file and
    the data guidance as ``data-guidance/data-guidance.txt`` (EES's zip holds no meta files)."""
    write_zip(path, [(f"data/{o.file_name}", data_dir / o.file_name) for o in outputs.values()]
              + [(DOWNLOAD_GUIDANCE, guidance_file)])


def write_release(folder: Path, release: Release, release_year: int, outputs: dict[str, EesOutput],
                  data_docs_link: str | None = None) -> dict:
    """Write the release folder from its tables' ``outputs`` (the publication-level files are
    added here, :func:`release_files`): every data file with its meta file, the guidance, the
    two zips of them in EES's layouts (download all; bulk upload) and the preview (linking to the Data Docs at ``data_docs_link``, a path
    relative to the folder, when they were built)."""
    folder = Path(folder)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    tables = outputs
    outputs = release_files(release, release_year, tables)
    written = []
    for out in outputs.values():
        (data / out.file_name).write_text(out.csv_text(), encoding="utf-8", newline="")
        (data / out.meta_file_name).write_text(out.meta_text(), encoding="utf-8", newline="")
        written += [out.file_name, out.meta_file_name]
    specs = [o.spec for o in outputs.values()]
    (folder / "data-guidance.md").write_text(
        guidance.data_guidance(release, release_year, specs, guidance.status_notes(release_year)),
        encoding="utf-8")
    write_download_zip(folder / "all-data.zip", data, outputs, folder / "data-guidance.md")
    write_bulk_upload_zip(folder / "ees-bulk-upload.zip", data, outputs)
    problems = bulk_upload_problems(folder / "ees-bulk-upload.zip")
    if problems:
        raise ValueError(f"ees-bulk-upload.zip would be refused by EES: {problems}")
    (folder / "index.html").write_text(
        preview.render(f"{release.title}: reporting year {release_year}", release_year,
                       outputs, data_docs_link), encoding="utf-8")
    return {"files": written, "tables_by_file": {o.file_name: tid for tid, o in outputs.items()}}


def release_folder(publication_dir: str | Path, release: Release, release_year: int) -> Path:
    """``<publication_dir>/<release>/<year>``."""
    return Path(publication_dir) / release.slug / str(release_year)


def year_journal(publication_dir: str | Path, release_year: int) -> Path:
    """The journal of the switch of a year's release folders (:mod:`cin_pipeline.publish.writer`)."""
    return Path(publication_dir) / f".switch-{release_year}.json"


def _year_folders(publication_dir: str | Path, release_year: int) -> list[Path]:
    return [release_folder(publication_dir, r, release_year) for r in releases()]


def publish_data_docs(publication_dir: str | Path, release: Release, release_year: int,
                      outputs: dict[str, EesOutput],
                      reports_dir: str | Path | None,
                      validations: dict[str, tuple[str, str]] | None = None) -> tuple[dict, str | None]:
    """Write the tables' Data Docs to ``<reports_dir>/gx/<release>/<year>/`` atomically (default
    ``reports_dir``: ``reports`` beside ``publication_dir``); returns (info, link from the
    release folder to their index, or None when they failed)."""
    reports = Path(reports_dir) if reports_dir else Path(publication_dir).parent / "reports"
    gx_target = reports / "gx" / release.slug / str(release_year)
    info = {"gx_folder": str(gx_target)}

    def _docs(tmp: Path) -> None:
        info["gx"] = build_data_docs(tmp, outputs, validations, info)

    publish_atomically(gx_target, _docs, {"release": release.slug, "release_year": release_year})
    if info["gx"] != "built":
        return info, None
    target = release_folder(publication_dir, release, release_year)
    return info, Path(os.path.relpath(gx_target / "index.html", target)).as_posix()


def _release_part(publication_dir: str | Path, release: Release, release_year: int,
                  outputs: dict[str, EesOutput], link: str | None, info: dict,
                  returns: dict[str, str] | None) -> Part:
    """The release folder as a part of the year's switch; its build adds the files written to
    ``info``. Its manifest records the release, its tables and, when given, the census
    ``returns`` the publication was built from."""

    def _build(tmp: Path) -> None:
        info.update(write_release(tmp, release, release_year, outputs, link))

    extra: dict = {"release": release.slug, "release_year": release_year, "tables": sorted(outputs)}
    if returns is not None:
        extra["returns"] = dict(sorted(returns.items()))
    return Part(release_folder(publication_dir, release, release_year), _build, extra)


FIRST, UNCHANGED, REVISED = "first publication", "unchanged", "revised"
"""What a release folder's publication is to the folder it replaced (``info["revisions"]["status"]``)."""


def _revise(release_year: int, infos: dict[Release, dict]):
    """The ``finish`` of the year's switch (:data:`cin_pipeline.publish.writer.Finish`): once
    every release folder is built, compare them with the folders they replace. When every one
    holds the same files and manifest entries as before, it is the same publication: each folder
    keeps its report (:func:`revisions.carry_forward`). Otherwise every release folder that
    replaces a publication gets a new report (:func:`revisions.write_report`); a release folder
    with none before is a first publication. Records the outcome in ``info["revisions"]``."""
    by_target = {info["folder"]: (release, info) for release, info in infos.items()}

    def finish(built: list[tuple[Part, Path]]) -> None:
        same = all(revisions.same_publication(part.target, tmp, part.manifest_extra) for part, tmp in built)
        for part, tmp in built:
            release, info = by_target[part.target]
            if not is_complete(part.target):
                info["revisions"] = {"status": FIRST}
            elif same:
                info["revisions"] = {"status": UNCHANGED, "report": revisions.carry_forward(part.target, tmp)}
            else:
                report = revisions.write_report(part.target, tmp, release.title, release_year,
                                                info.get("tables_by_file", {}),
                                                part.manifest_extra.get("returns"))
                info["revisions"] = {"status": REVISED, **report}

    return finish


def publish_year(publication_dir: str | Path, release_year: int,
                 outputs: dict[Release, dict[str, EesOutput]], data_docs: bool = True,
                 reports_dir: str | Path | None = None,
                 returns: dict[str, str] | None = None,
                 validations: dict[str, tuple[str, str]] | None = None) -> tuple[str, dict[Release, dict]]:
    """Write the folder of every release in ``outputs`` (release -> its tables' outputs) and
    switch them in together, after each release's Data Docs (``data_docs``,
    :func:`publish_data_docs`); each folder that replaces another publication gets its
    revisions report (:func:`_revise`). ``returns`` (``"<year>/<la>"`` -> sha256 of the census
    return, :func:`cin_pipeline.ingest.warehouse.staged_returns`) is recorded in the manifests.
    ``validations`` (:func:`cin_pipeline.checks.suites.stored_validations`): the GX results the
    checks kept, rendered in the Data Docs instead of validating the same rows again. Returns (their publication_id, info per release: folder, files, gx, gx_folder and
    revisions)."""
    infos: dict[Release, dict] = {}
    parts = []
    for release, outs in outputs.items():
        info: dict = {"folder": release_folder(publication_dir, release, release_year), "gx": "skipped"}
        link = None
        if data_docs:
            docs_info, link = publish_data_docs(publication_dir, release, release_year, outs, reports_dir,
                                                validations)
            info.update(docs_info)
        infos[release] = info
        parts.append(_release_part(publication_dir, release, release_year, outs, link, info, returns))
    pub_id = publish_together(year_journal(publication_dir, release_year), parts, _revise(release_year, infos))
    return pub_id, infos


def publish_release(publication_dir: str | Path, release: Release, release_year: int,
                    outputs: dict[str, EesOutput], data_docs: bool = True,
                    reports_dir: str | Path | None = None,
                    returns: dict[str, str] | None = None) -> tuple[Path, dict]:
    """Publish one release on its own (:func:`publish_year` of it alone, so its publication_id
    covers it alone); returns (folder, info)."""
    _, infos = publish_year(publication_dir, release_year, {release: outputs}, data_docs, reports_dir, returns)
    return release_folder(publication_dir, release, release_year), infos[release]


class ReleasesDisagree(RuntimeError):
    """The release folders of a year are not one publication."""


def publication_ids(publication_dir: str | Path, release_year: int) -> dict[str, str | None]:
    """The publication_id in the manifest of every release folder of the year that exists
    (release slug -> id; None when its manifest has none)."""
    ids = {}
    for folder in _year_folders(publication_dir, release_year):
        if folder.is_dir():
            ids[folder.parent.name] = (read_manifest(folder) or {}).get("publication_id")
    return ids


def _shared_id(ids: dict[str, str | None]) -> str | None:
    """The publication_id every release folder carries, or None when there is no such id."""
    values = set(ids.values())
    return values.pop() if len(values) == 1 else None


def releases_agree(publication_dir: str | Path, release_year: int) -> bool:
    """The year has release folders and they all carry the same publication_id."""
    return _shared_id(publication_ids(publication_dir, release_year)) is not None


@contextmanager
def agreed_publication(publication_dir: str | Path, release_year: int) -> Iterator[str]:
    """For a reader of the year's release folders: completes an interrupted switch, then yields
    the folders' shared publication_id while holding the switch lock (no switch runs while the
    reader is inside); raises :class:`ReleasesDisagree` when they are not one publication."""
    with settled(year_journal(publication_dir, release_year), _year_folders(publication_dir, release_year)):
        ids = publication_ids(publication_dir, release_year)
        pub_id = _shared_id(ids)
        if pub_id is None:
            raise ReleasesDisagree(f"the release folders of {release_year} are not one publication: {ids}")
        yield pub_id
