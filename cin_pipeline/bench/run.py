"""``cin-pipeline bench`` (``make bench``): a table of what / seconds / peak memory MB / records/s.

Runs in a temporary folder (nothing under ``data/`` is touched):

1. generation: :func:`cin_pipeline.bench.synth.run_generation_bench`, then a timed ``generate``
   into the landing folder;
2. ingest: :func:`cin_pipeline.bench.ingest.run_ingest_bench` (one year, pool of 2);
3. the Dagster spine on the generated returns: ``census_return`` single-run backfill over every
   LA-year, ``census_year`` + ``data_quality_summary``, ``longitudinal_cin_dataset``;
3b. one release year's tables and checks, as the demo runs them and as a run launched from the
   web UI (``release_tables_job``, the job's own executor), side by side;
4. **one LA resubmission re-materialised through the LCD** (the largest LA's latest return comes in
   again with changes): census_return for that partition, census_year for that year, LCD rebuild.
   Target < 30 s;
5. publication: :func:`cin_pipeline.bench.publish.run_publication_bench`: every table's seconds
   and peak memory over the stored facts, every table's GX suite, the release folders.

``--national`` runs the same path at national size (every LA, 2012-2024, scale 1.0; long).
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg

from cin_pipeline import reference
from cin_pipeline.bench.ingest import run_ingest_bench
from cin_pipeline.bench.memory import PeakMemory
from cin_pipeline.bench.publish import run_publication_bench
from cin_pipeline.bench.synth import run_generation_bench
from cin_pipeline.defs.inprocess import load_definitions, partition_tags, range_tags, run_selection
from cin_pipeline.defs.partitions import la_partitions
from cin_pipeline.settings import Paths
from cin_pipeline.synth import generate
from cin_pipeline.synth.oracle import run_oracle_batch


def _row(what: str, seconds: float | None, mb: float | None, records: float | None, note: str = "") -> dict:
    rate = round(records / seconds) if records and seconds else None
    return {"what": what, "seconds": None if seconds is None else round(seconds, 2), "peak_mb": mb,
            "records_per_s": rate, "note": note}


def _timed(what: str, fn, records_of=lambda r: None, note: str = ""):
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
    return result, _row(what, dt, mem.mb, records_of(result), note)


def _rows_from(stage: str, results: list[dict], name: str, mb: str | None = None,
               rate: str | None = None) -> list[dict]:
    """Our table rows from the dicts a stage's bench returns; ``name``, ``mb`` and ``rate`` are the
    keys of its step name, peak memory (MB) and records per second."""
    out = []
    for r in results:
        secs = r["seconds"]
        records_per_s = r[rate] if rate else None
        note = ""
        if stage == "publication" and r[name] == "total":
            records_per_s = round(r["rows"] / secs) if r["rows"] and secs else None
            note = "table rows/s"
        if "of_bare_pct" in r:
            note = f"{r['of_bare_pct']}% of bare_iterparse_child (issue 15 target: 25%)"
        if r.get("spill_mb"):
            note = (note + "; " if note else "") + f"spilled {r['spill_mb']} MB"
        out.append({"what": f"{stage}: {r[name]}", "seconds": secs, "peak_mb": r[mb] if mb else None,
                    "records_per_s": records_per_s, "note": note})
    return out


def print_table(rows: list[dict]) -> None:
    w = max(len(r["what"]) for r in rows)
    print(f"{'what':<{w}}  {'seconds':>8}  {'peak MB':>8}  {'records/s':>10}  note")
    for r in rows:
        s = "" if r["seconds"] is None else f"{r['seconds']:.2f}"
        m = "" if r["peak_mb"] is None else f"{r['peak_mb']}"
        v = "" if r["records_per_s"] is None else f"{r['records_per_s']:,}"
        print(f"{r['what']:<{w}}  {s:>8}  {m:>8}  {v:>10}  {r.get('note', '')}", flush=True)


def _validator_rows(files: list[Path], year: int, sample: int = 3) -> list[dict]:
    """csc-validator-be-cin ingress (XML to its tables) on the ``sample`` smallest returns."""
    if os.environ.get("CIN_BENCH_SKIP_VALIDATOR"):
        return []
    try:
        chosen = sorted(files, key=lambda f: f.stat().st_size)[:sample]
        _, stats = run_oracle_batch([(f, year) for f in chosen])
    except Exception as exc:  # the validator's venv could not be built or it crashed
        return [_row("csc-validator-be-cin ingress", None, None, None, f"not run: {exc!r}"[:120])]
    secs = sum(s.get("ingest_seconds", 0.0) for s in stats)
    kids = sum(s.get("n_children", 0) for s in stats)
    return [_row(f"csc-validator-be-cin ingress ({len(chosen)} files)", secs, None,
                 kids / secs if secs else None, "children/s, its own venv")]


def _resubmit(path: Path) -> None:
    """A resubmission: same LA-year, new serial number and the last child withdrawn."""
    text = path.read_text(encoding="utf-8")
    text = text.replace("<SerialNo>", "<SerialNo>9", 1)
    cut = text.rfind("<Child>")
    end = text.find("</Child>", cut)
    if cut > 0 and end > 0 and text.count("<Child>") > 1:
        text = text[:cut] + text[end + len("</Child>"):]
    path.write_text(text, encoding="utf-8")


def run_bench(scale: float | None = None, quick: bool = False, keep: str | None = None,
              national: bool = False) -> int:
    """``national``: the whole path at national size (every LA, 2012-2024, scale 1.0: about 12
    million child records; long, 1-2 hours on 2 cores), without the side measurements (the
    generator's own bench, the peer validator, the tables' second run by the UI's job)."""
    warnings.filterwarnings("ignore")
    scale = scale or (1.0 if national else 0.02 if quick else 0.1)
    years = (list(range(2012, 2025)) if national else list(range(2022, 2025)) if quick
             else list(range(2019, 2025)))
    las = None
    if quick:
        las = sorted(reference.la_codes(2024))[:12]
    rows: list[dict] = []
    print(f"cin-pipeline bench: scale {scale}, years {years[0]}-{years[-1]}, "
          f"LAs {'all' if las is None else len(las)}", flush=True)

    try:
        with tempfile.TemporaryDirectory(prefix="cin_bench_") as tmp:
            root = Path(keep or tmp)
            for var in ("CIN_LANDING_DIR", "CIN_WAREHOUSE", "CIN_STAGING_DIR", "CIN_QUARANTINE_DIR",
                        "CIN_AUDIT_DIR", "CIN_PUBLICATION_DIR"):
                os.environ.pop(var, None)
            os.environ["CIN_DATA_DIR"] = str(root / "data")
            paths = Paths.from_env()

            # 1. generation
            if not national:
                rows += _rows_from("synth", run_generation_bench(years, scale=scale, out_dir=root / "gen_bench"),
                                   "what", mb="peak_rss_mb")
            gen, row = _timed("synth: generate (landing)", lambda: generate(
                paths.landing_dir, years=years, las=las, scale=scale, seed=42),
                lambda g: sum(c.get("children", 0) for c in g.counts.values()), "children/s")
            rows.append(row)
            files = sorted(paths.landing_dir.glob("*/*.xml"))

            # 2. ingest library
            rows += _rows_from("ingest", run_ingest_bench(paths.landing_dir, workers=2, year=years[-1]),
                               "stage", mb="peak_rss_total_mb", rate="children_per_s")

            # 2b. the open-source csc-validator-be-cin reading the same returns (its own venv), for
            # comparison; it is slow (about 100-200 children/s), so it reads a sample of the files
            if not national:
                rows += _validator_rows([f for f in files if f.parent.name == str(years[-1])], years[-1])

            # 3. the Dagster spine
            (root / "dagster_home").mkdir(parents=True, exist_ok=True)
            (root / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
            instance = dg.DagsterInstance.local_temp(str(root / "dagster_home"))
            la_list = sorted({f.stem for f in files})
            instance.add_dynamic_partitions(la_partitions.name, la_list)
            defs = load_definitions()
            tags = range_tags(f"{la_list[0]}|{years[0]}", f"{la_list[-1]}|{years[-1]}")
            res, row = _timed(f"dagster: census_return x{len(files)} (single run)", lambda: run_selection(
                defs, instance, "b_extract", dg.AssetSelection.assets("census_return"), tags=tags),
                lambda r: sum(c.get("children", 0) for c in gen.counts.values()), "children/s")
            rows.append(row)
            _, row = _timed("dagster: census_year + data_quality", lambda: run_selection(
                defs, instance, "b_staging", dg.AssetSelection.groups("staging"),
                tags=range_tags(str(years[0]), str(years[-1]))))
            rows.append(row)
            res, row = _timed("dagster: longitudinal_cin_dataset", lambda: run_selection(
                defs, instance, "b_lcd", dg.AssetSelection.groups("longitudinal")),
                lambda r: _lcd_rows(r), "referrals/s")
            rows.append(row)

            # 3b. one release year's tables and checks, the demo's way and the web UI's way
            rows += _tables_rows(defs, instance, years[-1], ui_path=not national)

            # 4. one LA resubmission, through to the LCD
            biggest = max((f for f in files if f.parent.name == str(years[-1])), key=lambda p: p.stat().st_size)
            la = biggest.stem
            _resubmit(biggest)

            def resubmission():
                r1 = run_selection(defs, instance, "b_resub_extract", dg.AssetSelection.assets("census_return"),
                                   tags=range_tags(f"{la}|{years[-1]}", f"{la}|{years[-1]}"))
                r2 = run_selection(defs, instance, "b_resub_year", dg.AssetSelection.assets("census_year"),
                                   tags=range_tags(str(years[-1]), str(years[-1])))
                r3 = run_selection(defs, instance, "b_resub_lcd", dg.AssetSelection.groups("longitudinal"))
                assert r1.success and r2.success and r3.success, "resubmission runs failed"
                return r3

            res, row = _timed(f"resubmission: LA {la} {years[-1]} -> LCD (target < 30 s)", resubmission,
                              lambda r: _lcd_rows(r), "referrals/s")
            row["note"] += "  OK" if row["seconds"] < 30 else "  OVER TARGET"
            rows.append(row)

            # 5. publication
            res = run_publication_bench(paths.warehouse, years[-1], staging_dir=paths.staging_dir,
                                        out_dir=root / "publication_bench", rebuild_lcd=False)
            # every table's seconds and peak memory, the GX suites, the release folders
            rows += _rows_from("publication", res, "step", mb="peak_mb")
    finally:  # what was measured, also when a stage fails
        if rows:
            print_table(rows)
    return 0


TABLE_GROUPS = ("children_in_need", "re_referrals")


def release_tables_job() -> dg.JobDefinition:
    """The job the web UI launches to rebuild a release year (reconstructable: module level)."""
    return load_definitions().resolve_job_def("release_tables_job")


def _tables_rows(defs: dg.Definitions, instance: dg.DagsterInstance, year: int,
                 ui_path: bool = True) -> list[dict]:
    """One release year's tables of both releases with their checks, twice on the same data:
    (1) as the demo runs them (an asset selection executed in this process); (2) as a run the
    web UI launches (the ``release_tables_job`` rebuilt from its module by the run worker and
    executed with the job's own executor). The second row's note gives the ratio (issue 12
    target: within 1.5x)."""
    part = partition_tags(str(year))
    demo, row1 = _timed(f"dagster: {year} tables + checks (demo path)", lambda: run_selection(
        defs, instance, "b_tables", dg.AssetSelection.groups(*TABLE_GROUPS), tags=part))
    if not ui_path:
        return [row1]
    ui, row2 = _timed(f"dagster: {year} tables + checks (UI path: release_tables_job)", lambda: dg.execute_job(
        dg.reconstructable(release_tables_job), instance=instance, tags=part, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}}))
    for r, row in ((demo, row1), (ui, row2)):
        if not r.success:
            row["note"] += "  FAILED"
    row2["note"] += f"  {row2['seconds'] / max(row1['seconds'], 1e-9):.2f}x the demo path"
    return [row1, row2]


def _lcd_rows(result) -> int | None:
    for ev in result.get_asset_materialization_events():
        md = ev.materialization.metadata
        if "rows_referral" in md:
            return md["rows_referral"].value
    return None
