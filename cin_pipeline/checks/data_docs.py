"""GX Data Docs (static HTML) for the table validations.

GX 1.x keeps validation results in the context's store only when they come from
``ValidationDefinition.run`` (which :class:`cin_pipeline.checks.suites.GxRunner` uses). ``build``
adds a filesystem Data Docs site to an ephemeral context and renders index + suite + validation
pages into ``out_dir`` (e.g. ``<data_dir>/reports/gx/<year>/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from cin_pipeline.checks.suites import GxRunner, frame_sha

SITE = "cin_pipeline_docs"


def runner_for(items: Iterable[tuple], stored: dict[str, tuple[str, str]] | None = None
               ) -> tuple[GxRunner, list[str], list[str]]:
    """A :class:`GxRunner` holding the validation of every ``(spec, df, release_year)``: the
    result the ``gx_suite`` check kept (``stored``, :func:`cin_pipeline.checks.suites.stored_validations`)
    when it validated exactly these rows, else a validation run now. Returns (runner, tables
    whose kept result was used, tables validated now)."""
    runner, reused, validated = GxRunner(), [], []
    for spec, df, release_year in items:
        kept = (stored or {}).get(spec.table_id)
        if kept is not None and kept[0] == frame_sha(df):
            runner.restore(spec, release_year, kept[1])
            reused.append(spec.table_id)
        else:
            runner.validate(spec, df, release_year)
            validated.append(spec.table_id)
    return runner, reused, validated


def build(out_dir: str | Path, runner: GxRunner) -> Path:
    """Build Data Docs into ``out_dir`` from the validations ``runner`` holds (run there, or
    restored: :func:`runner_for`) and return the path of ``index.html``."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    ctx = runner.context
    if SITE not in (ctx.get_site_names() or []):
        ctx.add_data_docs_site(site_name=SITE, site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)},
        })
    ctx.build_data_docs(site_names=[SITE])
    index = out / "index.html"
    if not index.exists():
        raise RuntimeError(f"GX Data Docs did not produce {index}")
    return index
