"""Assemble one release folder ``data/publication/<release>/<year>/`` and publish it atomically.

Contents::

    data/<file>.csv, data/<file>.meta.csv   every table of the release (EES data + metadata), and
                                            the population file when the release has one
                                            (:func:`release_files`)
    data-guidance.md                        generated from the registry
    all-data.zip                            data/*.csv, data/*.meta.csv and data-guidance.md
    index.html                              static release preview (headlines, inline SVG charts)
    gx/                                     Great Expectations Data Docs (a README if they failed)
    MANIFEST.json                           files with sizes and sha256 (written last)
"""

from __future__ import annotations

import logging
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


def write_release(folder: Path, release: Release, release_year: int, outputs: dict[str, EesOutput],
                  data_docs: bool = True) -> dict:
    """Write the release folder from its tables' ``outputs`` (the publication-level files are
    added here, :func:`release_files`): every data file with its meta file, the guidance, the
    zip of all of them, the preview and the Data Docs (of the tables)."""
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
    with zipfile.ZipFile(folder / "all-data.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for name in written:
            z.write(data / name, f"data/{name}")
        z.write(folder / "data-guidance.md", "data-guidance.md")
    (folder / "index.html").write_text(
        preview.render(f"{release.title}: reporting year {release_year}", release_year,
                       outputs), encoding="utf-8")
    gx = build_data_docs(folder / "gx", tables) if data_docs else "skipped"
    if gx == "skipped":
        (folder / "gx").mkdir(exist_ok=True)
        (folder / "gx" / "README.md").write_text("Data Docs not requested.\n", encoding="utf-8")
    return {"files": written, "gx": gx}


def publish_release(publication_dir: str | Path, release: Release, release_year: int,
                    outputs: dict[str, EesOutput], data_docs: bool = True) -> tuple[Path, dict]:
    """Write the release folder atomically; returns (folder, info)."""
    target = Path(publication_dir) / release.slug / str(release_year)
    info: dict = {}

    def _build(tmp: Path) -> None:
        info.update(write_release(tmp, release, release_year, outputs, data_docs))

    publish_atomically(target, _build, {"release": release.slug, "release_year": release_year,
                                        "tables": sorted(outputs)})
    return target, info
