"""Assemble a year's release folders ``data/publication/<release>/<year>/``; publish them together.

Contents of a release folder::

    data/<file>.csv, data/<file>.meta.csv   every table of the release (EES data + metadata), and
                                            the population file when the release has one
                                            (:func:`release_files`)
    data-guidance.md                        generated from the registry
    all-data.zip                            data/*.csv, data/*.meta.csv and data-guidance.md
    index.html                              static release preview (headlines, inline SVG charts,
                                            the LA view: cin_pipeline.publish.la_view)
    MANIFEST.json                           files with sizes and sha256, and the publication_id
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
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cin_pipeline.checks import data_docs
from cin_pipeline.publish import guidance, preview
from cin_pipeline.ees.population import population_output
from cin_pipeline.ees.rows import EesOutput
from cin_pipeline.publish.writer import Part, publish_atomically, publish_together, read_manifest, settled
from cin_pipeline.tables import releases
from cin_pipeline.tables.declare import Release

log = logging.getLogger(__name__)


def build_data_docs(gx_dir: Path, outputs: dict[str, EesOutput]) -> str:
    """The Great Expectations Data Docs of the release's tables (``cin_pipeline.checks.data_docs``)."""
    gx_dir.mkdir(parents=True, exist_ok=True)
    try:
        data_docs.build(gx_dir, [(o.spec, o.data, o.release_year) for o in outputs.values()])
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
"""The date of every entry of ``all-data.zip`` (the earliest a zip can hold): no build time."""


def write_zip(path: Path, entries: list[tuple[str, Path]]) -> None:
    """A zip of ``(name in the zip, file)`` whose bytes depend only on the files' bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, src in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, src.read_bytes())


def write_release(folder: Path, release: Release, release_year: int, outputs: dict[str, EesOutput],
                  data_docs_link: str | None = None) -> dict:
    """Write the release folder from its tables' ``outputs`` (the publication-level files are
    added here, :func:`release_files`): every data file with its meta file, the guidance, the
    zip of all of them and the preview (linking to the Data Docs at ``data_docs_link``, a path
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
    write_zip(folder / "all-data.zip",
              [(f"data/{name}", data / name) for name in written]
              + [("data-guidance.md", folder / "data-guidance.md")])
    (folder / "index.html").write_text(
        preview.render(f"{release.title}: reporting year {release_year}", release_year,
                       outputs, data_docs_link), encoding="utf-8")
    return {"files": written}


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
                      reports_dir: str | Path | None) -> tuple[dict, str | None]:
    """Write the tables' Data Docs to ``<reports_dir>/gx/<release>/<year>/`` atomically (default
    ``reports_dir``: ``reports`` beside ``publication_dir``); returns (info, link from the
    release folder to their index, or None when they failed)."""
    reports = Path(reports_dir) if reports_dir else Path(publication_dir).parent / "reports"
    gx_target = reports / "gx" / release.slug / str(release_year)
    info = {"gx_folder": str(gx_target)}

    def _docs(tmp: Path) -> None:
        info["gx"] = build_data_docs(tmp, outputs)

    publish_atomically(gx_target, _docs, {"release": release.slug, "release_year": release_year})
    if info["gx"] != "built":
        return info, None
    target = release_folder(publication_dir, release, release_year)
    return info, Path(os.path.relpath(gx_target / "index.html", target)).as_posix()


def _release_part(publication_dir: str | Path, release: Release, release_year: int,
                  outputs: dict[str, EesOutput], link: str | None, info: dict) -> Part:
    """The release folder as a part of the year's switch; its build adds the files written to ``info``."""

    def _build(tmp: Path) -> None:
        info.update(write_release(tmp, release, release_year, outputs, link))

    return Part(release_folder(publication_dir, release, release_year), _build,
                {"release": release.slug, "release_year": release_year, "tables": sorted(outputs)})


def publish_year(publication_dir: str | Path, release_year: int,
                 outputs: dict[Release, dict[str, EesOutput]], data_docs: bool = True,
                 reports_dir: str | Path | None = None) -> tuple[str, dict[Release, dict]]:
    """Write the folder of every release in ``outputs`` (release -> its tables' outputs) and
    switch them in together, after each release's Data Docs (``data_docs``,
    :func:`publish_data_docs`); returns (their publication_id, info per release: folder, files,
    gx and gx_folder)."""
    infos: dict[Release, dict] = {}
    parts = []
    for release, outs in outputs.items():
        info: dict = {"folder": release_folder(publication_dir, release, release_year), "gx": "skipped"}
        link = None
        if data_docs:
            docs_info, link = publish_data_docs(publication_dir, release, release_year, outs, reports_dir)
            info.update(docs_info)
        infos[release] = info
        parts.append(_release_part(publication_dir, release, release_year, outs, link, info))
    return publish_together(year_journal(publication_dir, release_year), parts), infos


def publish_release(publication_dir: str | Path, release: Release, release_year: int,
                    outputs: dict[str, EesOutput], data_docs: bool = True,
                    reports_dir: str | Path | None = None) -> tuple[Path, dict]:
    """Publish one release on its own (:func:`publish_year` of it alone, so its publication_id
    covers it alone); returns (folder, info)."""
    _, infos = publish_year(publication_dir, release_year, {release: outputs}, data_docs, reports_dir)
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
