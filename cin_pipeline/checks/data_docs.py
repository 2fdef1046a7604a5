"""GX Data Docs (static HTML) for the table validations.

GX 1.x keeps validation results in the context's store only when they come from
``ValidationDefinition.run`` (which :class:`cin_pipeline.checks.suites.GxRunner` uses). ``build``
adds a filesystem Data Docs site to an ephemeral context and renders index + suite + validation
pages into ``out_dir`` (e.g. ``<data_dir>/reports/gx/<year>/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from cin_pipeline.checks.suites import GxRunner

SITE = "cin_pipeline_docs"


def build(out_dir: str | Path, validations: GxRunner | Iterable[tuple]) -> Path:
    """Build Data Docs into ``out_dir`` and return the path of ``index.html``.

    ``validations`` is either a :class:`GxRunner` whose validations have already run, or an
    iterable of ``(spec, df)`` / ``(spec, df, release_year)`` to validate now.
    """
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(validations, GxRunner):
        runner = validations
    else:
        runner = GxRunner()
        for item in validations:
            spec, df, *rest = item
            runner.validate(spec, df, rest[0] if rest else None)
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
