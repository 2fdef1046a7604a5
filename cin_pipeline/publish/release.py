"""Assemble one release folder ``data/publication/<release>/<year>/`` and publish it atomically.

Contents::

    data/<file>.csv, data/<file>.meta.csv   every table of the release (EES data + metadata), and
                                            the population file when the release has one
                                            (:func:`release_files`)
    data-guidance.md                        generated from the registry
    all-data.zip                            data/*.csv, data/*.meta.csv and data-guidance.md
    index.html                              static release preview (headlines, inline SVG charts)
    MANIFEST.json                           files with sizes and sha256 (written last)

The same data give the same bytes: no file holds a build time (the zip's entries carry the fixed
date 1980-01-01 and are written in name order; the manifest lists files only). The Great
Expectations Data Docs, which record when the validations ran, are the evidence of a build rather
than part of the release: they are written beside it, to ``<reports>/gx/<release>/<year>/``
(``data/reports/gx/...`` by default), atomically too, and the preview links to them.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

from cin_pipeline.checks import data_docs
from cin_pipeline.publish import guidance, preview
from cin_pipeline.ees.population import population_output
from cin_pipeline.ees.rows import EesOutput
from cin_pipeline.publish.writer import publish_atomically
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


def publish_release(publication_dir: str | Path, release: Release, release_year: int,
                    outputs: dict[str, EesOutput], data_docs: bool = True,
                    reports_dir: str | Path | None = None) -> tuple[Path, dict]:
    """Write the release folder atomically, and (``data_docs``) its tables' Data Docs to
    ``<reports_dir>/gx/<release>/<year>/`` (default ``reports_dir``: ``reports`` beside
    ``publication_dir``), also atomically; returns (folder, info)."""
    target = Path(publication_dir) / release.slug / str(release_year)
    info: dict = {"gx": "skipped"}
    link = None
    if data_docs:
        reports = Path(reports_dir) if reports_dir else Path(publication_dir).parent / "reports"
        gx_target = reports / "gx" / release.slug / str(release_year)

        def _docs(tmp: Path) -> None:
            info["gx"] = build_data_docs(tmp, outputs)

        publish_atomically(gx_target, _docs, {"release": release.slug, "release_year": release_year})
        info["gx_folder"] = str(gx_target)
        if info["gx"] == "built":
            link = Path(os.path.relpath(gx_target / "index.html", target)).as_posix()

    def _build(tmp: Path) -> None:
        info.update(write_release(tmp, release, release_year, outputs, link))

    publish_atomically(target, _build, {"release": release.slug, "release_year": release_year,
                                        "tables": sorted(outputs)})
    return target, info
