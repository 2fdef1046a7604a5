"""Benchmark: staged data of a national year -> finished publication (target < 2 min on 2 cores).

``run_publication_bench(warehouse, year)`` times every step on a copy-free run against the given
warehouse: attach the staging views (if a staging folder is known), rebuild the LCD, build and
store every table for release ``year``, then write both release folders (atomically) into a bench
folder (``<publication_dir>/_bench`` by default, so the real publication is never replaced).
Returns one dict per step: ``{"step", "seconds", "rows"}`` and a final ``total`` row.

    python -m cin_pipeline.publish.bench data/warehouse.duckdb 2024
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from cin_pipeline.publish.ees import build_ees, store_publication
from cin_pipeline.publish.release import publish_release
from cin_pipeline.settings import Paths
from cin_pipeline.tables.registry import RELEASES, all_tables


def run_publication_bench(warehouse: str | Path, year: int, staging_dir: str | Path | None = None,
                          out_dir: str | Path | None = None, rebuild_lcd: bool = True,
                          data_docs: bool = True) -> list[dict]:
    paths = Paths.from_env()
    staging_dir = Path(staging_dir) if staging_dir else paths.staging_dir
    out_dir = Path(out_dir) if out_dir else paths.publication_dir / "_bench"
    steps: list[dict] = []
    t_all = time.perf_counter()

    def step(name: str, fn):
        t0 = time.perf_counter()
        rows = fn()
        steps.append({"step": name, "seconds": round(time.perf_counter() - t0, 3), "rows": rows})
        return rows

    con = duckdb.connect(str(warehouse))
    try:
        if staging_dir.is_dir():
            from cin_pipeline.ops.warehouse import attach_staging

            step("attach_staging", lambda: attach_staging(con, staging_dir) or 0)
        if rebuild_lcd:
            from cin_pipeline.lcd import build_lcd

            step("lcd", lambda: sum(build_lcd(con)["rows"].values()))
        outputs = {}
        for spec in all_tables():
            def _one(spec=spec):
                out = build_ees(con, spec, year)
                outputs[spec.table_id] = out
                return store_publication(con, out)

            step(f"table_{spec.table_id}", _one)
    finally:
        con.close()
    for release in RELEASES:
        outs = {k: o for k, o in outputs.items() if o.spec.release == release}
        step(f"publish_{release}",
             lambda outs=outs, release=release: len(publish_release(out_dir, release, year, outs,
                                                                    data_docs=data_docs)[1]["files"]))
    steps.append({"step": "total", "seconds": round(time.perf_counter() - t_all, 3),
                  "rows": sum(s["rows"] or 0 for s in steps if s["step"].startswith("table_"))})
    return steps


if __name__ == "__main__":  # pragma: no cover
    wh, yr = sys.argv[1], int(sys.argv[2])
    print(json.dumps(run_publication_bench(wh, yr), indent=1))
