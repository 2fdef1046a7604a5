"""Benchmark: staged data of a national year -> finished publication (target < 2 min on 2 cores).

``run_publication_bench(warehouse, year)`` times every step on a copy-free run against the given
warehouse: attach the staging views (if a staging folder is known), rebuild the LCD and store the
facts (:mod:`cin_pipeline.facts.store`), build and
store every table for release ``year``, then write both release folders (switched in together)
into a bench folder (``<publication_dir>/_bench`` by default, so the real publication is never
replaced).
Returns one dict per step: ``{"step", "seconds", "rows", "peak_mb", "spill_mb"}`` (peak resident
memory of the process and its children during the step, and the most the warehouse's DuckDB
spilled to its temporary folder) and a final ``total`` row. ``gx`` also times every
table's Great Expectations suite (step ``gx_suites``, as the ``gx_suite`` checks run them, keeping
their results) before the publication, whose Data Docs then render the kept results.

    python -m cin_pipeline.bench.publish data/warehouse.duckdb 2024
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from cin_pipeline import reference
from cin_pipeline.bench.memory import PeakMemory
from cin_pipeline.checks.plan import run_gx
from cin_pipeline.checks.suites import stored_validations
from cin_pipeline.ingest import attach_staging
from cin_pipeline.ingest.schema import TABLE_COLUMNS
from cin_pipeline.facts.store import materialise
from cin_pipeline.lcd import build_lcd, staged_signatures
from cin_pipeline.ees.rows import build_ees
from cin_pipeline.ees.store import store_publication
from cin_pipeline.publish.release import publish_year
from cin_pipeline.settings import Paths, warehouse_config
from cin_pipeline.tables import all_tables, releases


def stage_synthetic_year(con, year: int, replicates_per_la: int = 1000) -> int:
    """Fill ``clean.*`` (as tables) with a synthetic national year: for every LA of ``year``,
    ``replicates_per_la`` copies of a 4-child pattern (an open CPP case with S47/ICPC/factors, an
    NFA referral followed by a re-referral that is assessed and closed, a case assessed not in
    need, a new referral awaiting assessment). 1000 per LA is about national volume (612,000
    referrals a year). Returns the number of episodes."""
    con.execute("CREATE SCHEMA IF NOT EXISTS clean")
    for table, cols in TABLE_COLUMNS.items():
        con.execute(f"DROP VIEW IF EXISTS clean.{table}")
        con.execute(f"CREATE OR REPLACE TABLE clean.{table} (" + ", ".join(f"{c} {t}" for c, t in cols) + ")")
    las = reference.las_for_year(year)["old_la_code"].tolist()
    con.execute("CREATE OR REPLACE TEMP TABLE _bench_la AS SELECT unnest(?) AS la", [las])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _bench_r AS SELECT la, i FROM _bench_la, "
                f"range({int(replicates_per_la)}) t(i)")
    y = int(year)
    d = lambda yy, m, dd: f"make_date({yy}, {m}, {dd})"  # noqa: E731
    off = "to_days(CAST(i % 200 AS INTEGER))"
    con.execute(f"INSERT INTO clean.header (year, la, reference_date) SELECT {y}, la, {d(y, 3, 31)} FROM _bench_la")
    con.execute(f"""INSERT INTO clean.child (year, la, child_id, sex)
        SELECT {y}, la, k || i, 'F' FROM _bench_r, (VALUES ('A'), ('B'), ('C'), ('D')) v(k)""")
    con.execute(f"""INSERT INTO clean.episode (year, la, child_id, episode_seq, referral_date, closure_date,
                                                reason_for_closure, referral_nfa)
        SELECT {y}, la, 'A' || i, 1, {d(y - 1, 5, 1)} + {off}, NULL, NULL, false FROM _bench_r
        UNION ALL SELECT {y}, la, 'B' || i, 1, {d(y - 1, 4, 10)}, {d(y - 1, 4, 10)}, 'RC8', true FROM _bench_r
        UNION ALL SELECT {y}, la, 'B' || i, 2, {d(y - 1, 10, 1)}, {d(y, 1, 15)}, 'RC7', false FROM _bench_r
        UNION ALL SELECT {y}, la, 'C' || i, 1, {d(y - 1, 2, 1)}, {d(y - 1, 7, 1)}, 'RC8', false FROM _bench_r
        UNION ALL SELECT {y}, la, 'D' || i, 1, {d(y, 3, 1)}, NULL, NULL, false FROM _bench_r""")
    con.execute(f"""INSERT INTO clean.assessment (year, la, child_id, episode_seq, assessment_seq, start_date,
                                                   authorisation_date)
        SELECT {y}, la, 'A' || i, 1, 1, {d(y - 1, 5, 2)} + {off}, {d(y - 1, 5, 20)} + {off} FROM _bench_r
        UNION ALL SELECT {y}, la, 'B' || i, 2, 1, {d(y - 1, 10, 2)}, {d(y - 1, 10, 20)} FROM _bench_r
        UNION ALL SELECT {y}, la, 'C' || i, 1, 1, {d(y - 1, 2, 2)}, {d(y - 1, 2, 20)} FROM _bench_r""")
    con.execute(f"""INSERT INTO clean.assessment_factor (year, la, child_id, episode_seq, assessment_seq, factor)
        SELECT {y}, la, 'A' || i, 1, 1, f FROM _bench_r, (VALUES ('3B'), ('4B')) v(f)
        UNION ALL SELECT {y}, la, 'B' || i, 2, 1, '16A' FROM _bench_r
        UNION ALL SELECT {y}, la, 'C' || i, 1, 1, '21' FROM _bench_r""")
    con.execute(f"""INSERT INTO clean.section47 (year, la, child_id, episode_seq, s47_seq, start_date, icpc_date)
        SELECT {y}, la, 'A' || i, 1, 1, {d(y - 1, 6, 1)} + {off},
               {d(y - 1, 6, 1)} + {off} + to_days(CAST(8 + i % 17 AS INTEGER)) FROM _bench_r""")
    con.execute(f"""INSERT INTO clean.cpp (year, la, child_id, episode_seq, cpp_seq, start_date,
                                            number_of_previous_cpp)
        SELECT {y}, la, 'A' || i, 1, 1, {d(y - 1, 6, 1)} + {off} + to_days(CAST(8 + i % 17 AS INTEGER)),
               CAST(i % 4 = 0 AS INTEGER) FROM _bench_r""")
    return con.execute("SELECT count(*) FROM clean.episode").fetchone()[0]


def run_publication_bench(warehouse: str | Path, year: int, staging_dir: str | Path | None = None,
                          out_dir: str | Path | None = None, rebuild_lcd: bool = True,
                          data_docs: bool = True, gx: bool = True) -> list[dict]:
    paths = Paths.from_env()
    staging_dir = Path(staging_dir) if staging_dir else paths.staging_dir
    out_dir = Path(out_dir) if out_dir else paths.publication_dir / "_bench"
    steps: list[dict] = []
    t_all = time.perf_counter()

    config = warehouse_config(paths)  # as the Dagster resource

    def step(name: str, fn):
        with PeakMemory(spill_dir=config["temp_directory"]) as mem:
            t0 = time.perf_counter()
            rows = fn()
            dt = time.perf_counter() - t0
        steps.append({"step": name, "seconds": round(dt, 3), "rows": rows, "peak_mb": mem.mb,
                      "spill_mb": mem.spill_mb})
        return rows

    con = duckdb.connect(str(warehouse), config=config)
    try:
        if staging_dir.is_dir():
            step("attach_staging", lambda: sum(attach_staging(con, staging_dir).values()))
        if rebuild_lcd:
            step("lcd", lambda: sum(build_lcd(con)["rows"].values()))
            # the facts every table reads, stored once as the LCD asset does
            step("facts", lambda: sum(materialise(con, staged_signatures(staging_dir)
                                                  if staging_dir.is_dir() else {})["rows"].values()))
        outputs = {}
        for spec in all_tables():
            def _one(spec=spec):
                out = build_ees(con, spec, year)
                outputs[spec.table_id] = out
                return store_publication(con, out)

            step(f"table_{spec.table_id}", _one)

        def _gx() -> int:  # every table's suite once, as its gx_suite check runs it
            for spec in all_tables():
                run_gx(spec, outputs[spec.table_id].data, year, con)
            return len(outputs)

        if gx:
            step("gx_suites", _gx)
        kept = stored_validations(con, year) if gx else {}  # what the Data Docs render
    finally:
        con.close()
    by_release = {r: {k: o for k, o in outputs.items() if o.spec.release is r} for r in releases()}
    step("publish", lambda: sum(len(info["files"]) for info in
                                publish_year(out_dir, year, by_release, data_docs=data_docs,
                                             validations=kept)[1].values()))
    steps.append({"step": "total", "seconds": round(time.perf_counter() - t_all, 3),
                  "rows": sum(s["rows"] or 0 for s in steps if s["step"].startswith("table_")),
                  "peak_mb": max(s["peak_mb"] for s in steps),
                  "spill_mb": max(s["spill_mb"] for s in steps)})
    return steps


if __name__ == "__main__":  # pragma: no cover
    # python -m cin_pipeline.bench.publish <warehouse> <year> [--synthetic N]
    wh, yr = sys.argv[1], int(sys.argv[2])
    if "--synthetic" in sys.argv:
        n = int(sys.argv[sys.argv.index("--synthetic") + 1])
        c = duckdb.connect(wh)
        t = time.perf_counter()
        print("staged episodes:", stage_synthetic_year(c, yr, n), f"in {time.perf_counter() - t:.1f}s")
        c.close()
        print(json.dumps(run_publication_bench(wh, yr, staging_dir="/nonexistent"), indent=1))
    else:
        print(json.dumps(run_publication_bench(wh, yr), indent=1))
