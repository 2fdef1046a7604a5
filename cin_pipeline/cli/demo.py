"""``cin-pipeline demo``: synthetic returns -> every asset, through the real Dagster definitions.

1. generate the returns into the landing folder (``data/landing/<year>/<la>.xml``),
2. register the LA partitions on the persistent instance in ``.dagster_home`` (first marking
   failed any run left STARTED by a killed process, and freeing the pool slots it held:
   :mod:`cin_pipeline.defs.run_health`; each run below does the same before and while it runs),
3. run, in process, with the same Definitions the UI loads:
   ``census_return`` for every LA-year (one single-run backfill; ingest pool of 2 processes),
   ``census_year`` + ``data_quality_summary`` (year range), ``longitudinal_cin_dataset``, and then
   every asset (with its checks) of the groups ``children_in_need``, ``re_referrals`` and
   ``publication``, for the release of the latest year, and the data-quality reports
   (``dq_report`` for every LA-year of step 3, then ``dq_report_index``),
4. print what it did, and where the data-quality index is.
"""

from __future__ import annotations

import shutil
import time
import warnings
from functools import partial
from pathlib import Path

from cin_pipeline.census.spec import LOOKBACK_YEAR
from cin_pipeline.cli.ui import dagster_home
from cin_pipeline.settings import Paths

TABLE_GROUPS = ("children_in_need", "re_referrals", "publication")


def _say(msg: str) -> None:
    print(msg, flush=True)


def quiet_dagster_warnings() -> None:
    """No Dagster preview/beta/deprecation warnings on the console."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*preview.*", category=Warning)
    warnings.filterwarnings("ignore", message=".*beta.*", category=Warning)


def _failures(result) -> list[str]:
    out = []
    for ev in result.all_events:
        if ev.event_type_value == "STEP_FAILURE":
            err = ev.event_specific_data.error
            out.append(f"{ev.step_key}: {(err.message if err else '').strip()[:400]}")
    return out


def _report(result, label: str, t0: float) -> bool:
    status = "ok" if result.success else "FAILED"
    _say(f"  {label}: {status} in {time.perf_counter() - t0:.1f}s (run {result.run_id[:8]})")
    for f in _failures(result):
        _say(f"    ! {f}")
    return result.success


def _say_reaped(report) -> None:
    for line in report.lines():
        _say(f"  ! {line}")


def _wipe(paths: Paths) -> None:
    for p in (paths.landing_dir, paths.staging_dir, paths.quarantine_dir, paths.audit_dir,
              paths.publication_dir):
        shutil.rmtree(p, ignore_errors=True)
    for suffix in ("", ".wal"):
        Path(str(paths.warehouse) + suffix).unlink(missing_ok=True)
    # the data-quality reports of the previous demo (its LA-years may not be this one's)
    for p in paths.reports_dir.glob("[0-9][0-9][0-9][0-9]"):
        shutil.rmtree(p, ignore_errors=True)
    for name in ("index.html", "index.csv"):
        (paths.reports_dir / name).unlink(missing_ok=True)


def run_demo(scale: float = 0.03, years: str = "2022-2024", seed: int = 42, las=None,
             workers: int = 2, keep: bool = False, use_landing: bool = False) -> int:
    import dagster as dg

    from cin_pipeline.defs.inprocess import load_definitions, partition_tags, range_tags, run_selection
    from cin_pipeline.defs.partitions import la_partitions, year_la_key
    from cin_pipeline.defs.run_health import reap_dead_runs
    from cin_pipeline.synth import generate, parse_years

    t_start = time.perf_counter()
    paths = Paths.from_env()
    year_list = parse_years(years)
    home = dagster_home()
    _say(f"cin-pipeline demo: years {year_list[0]}-{year_list[-1]} ({len(year_list)}), scale {scale}, "
         f"seed {seed}, LAs {'all' if not las else ','.join(las)}")
    _say(f"  data: {paths.data_dir}   DAGSTER_HOME: {home}")
    if use_landing:
        # run on the returns already in the landing folder (e.g. a national scale-1.0 set)
        keep = True
    if not keep:
        _wipe(paths)

    # 1. synthetic returns into the landing folder
    t0 = time.perf_counter()
    if use_landing:
        files = sorted(f for y in year_list for f in (paths.landing_dir / str(y)).glob("*.xml")
                       if not las or f.stem in las)
        _say(f"1. using {len(files)} returns already in {paths.landing_dir}")
    else:
        gen = generate(paths.landing_dir, years=year_list, las=las, scale=scale, seed=seed)
        files = sorted(paths.landing_dir.glob("*/*.xml"))
        n_children = sum(c.get("children", 0) for c in gen.counts.values())
        _say(f"1. generated {len(files)} returns ({n_children:,} children) in "
             f"{time.perf_counter() - t0:.1f}s -> {paths.landing_dir}")

    # 2. LA partitions (what the landing sensor would do, file by file)
    instance = dg.DagsterInstance.get()
    reaped = reap_dead_runs(instance)
    la_codes = sorted({f.stem for f in files})
    have = set(instance.get_dynamic_partitions(la_partitions.name))
    instance.add_dynamic_partitions(la_partitions.name, [la for la in la_codes if la not in have])
    _say(f"2. registered {len(la_codes)} LA partitions ({len(set(la_codes) - have)} new); "
         f"dead runs in the instance: {len(reaped.dead) or 'none'}")
    _say_reaped(reaped)

    quiet_dagster_warnings()
    defs = load_definitions()
    run = partial(run_selection, defs, instance, on_reaped=_say_reaped)
    ok = True

    # 3. census_return: every LA-year in one single-run backfill
    t0 = time.perf_counter()
    order = list(instance.get_dynamic_partitions(la_partitions.name))
    chosen = sorted(la_codes, key=order.index)
    start, end = str(year_la_key(year_list[0], chosen[0])), str(year_la_key(year_list[-1], chosen[-1]))
    # the range runs over the LA partitions in registration order, which can include LAs of an
    # earlier demo: only the returns of this one are ingested
    given = {str(year_la_key(int(f.parent.name), f.stem)): str(f) for f in files
             if f.parent.name.isdigit() and int(f.parent.name) in year_list and f.stem in la_codes}
    res = run("census_return", dg.AssetSelection.assets("census_return"),
              tags=range_tags(start, end),
              run_config={"ops": {"census_return": {"config": {
                  "workers": workers, "source_paths": given, "only_given": True}}}})
    mats = [e for e in res.get_asset_materialization_events()]
    ok &= _report(res, f"3. census_return: {len(mats)} LA-year partitions ingested", t0)

    # 4. staging views + data quality, for every census year up to the last one: a year with no
    # returns is staged as such, so that the tables of a release (which read every census year up
    # to it) are automated when a new return lands (docs/ARCHITECTURE.md, "Automation")
    t0 = time.perf_counter()
    first = min(LOOKBACK_YEAR, year_list[0])
    res = run("staging", dg.AssetSelection.groups("staging"),
              tags=range_tags(str(first), str(year_list[-1])))
    ok &= _report(res, f"4. census_year + data_quality_summary {first}-{year_list[-1]}", t0)

    # 5. LCD
    t0 = time.perf_counter()
    res = run("lcd", dg.AssetSelection.groups("longitudinal"))
    ok &= _report(res, "5. longitudinal_cin_dataset", t0)

    # 6. tables, checks, publication
    graph = defs.resolve_asset_graph()
    for group in TABLE_GROUPS:
        keys = [k for k in graph.get_all_asset_keys()
                if graph.get(k).group_name == group and graph.get(k).is_materializable]
        if not keys:
            raise RuntimeError(f"the Definitions have no asset in group {group!r} (cli.demo.TABLE_GROUPS)")
        t0 = time.perf_counter()
        partitioned = [k for k in keys if graph.get(k).partitions_def is not None]
        plain = [k for k in keys if graph.get(k).partitions_def is None]
        if partitioned:
            # A table's year partition is that year's *release* (the whole series up to it), so the
            # demo builds the release of its latest year; earlier releases can be backfilled in the UI.
            r = str(year_list[-1])
            res = run(f"{group}_{r}_{r}",
                      dg.AssetSelection.assets(*partitioned), tags=partition_tags(r))
            ok &= _report(res, f"6. {group}: {len(partitioned)} year-partitioned assets {r}-{r}", t0)
        if plain:
            res = run(f"{group}_plain", dg.AssetSelection.assets(*plain))
            ok &= _report(res, f"6. {group}: {len(plain)} unpartitioned assets", t0)

    # 7. data-quality reports: every LA-year of step 3 (one single-run backfill), then the index
    t0 = time.perf_counter()
    res = run("dq_report", dg.AssetSelection.assets("dq_report"), tags=range_tags(start, end))
    n_reports = len(res.get_asset_materialization_events())
    ok &= _report(res, f"7. dq_report: {n_reports} LA-year data-quality reports", t0)
    t0 = time.perf_counter()
    res = run("dq_report_index", dg.AssetSelection.assets("dq_report_index"))
    ok &= _report(res, "7. dq_report_index", t0)

    _summary(paths, year_list)
    _say(f"data-quality reports: {paths.reports_dir / 'index.html'} (one per LA-year: "
         f"{paths.reports_dir}/<year>/<LA code>/report.html)")
    _say(f"demo {'finished' if ok else 'finished WITH FAILURES'} in {time.perf_counter() - t_start:.0f}s. "
         f"Browse it: cin-pipeline ui  (DAGSTER_HOME={home})")
    return 0 if ok else 1


def _summary(paths: Paths, year_list: list[int]) -> None:
    import duckdb

    if not paths.warehouse.exists():
        return
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        q = lambda sql, *a: con.execute(sql, list(a)).fetchall()  # noqa: E731
        try:
            staged = q("SELECT count(*) FROM staging.child")[0][0]
            clean = q("SELECT count(*) FROM clean.child")[0][0]
            eps = q("SELECT count(*) FROM staging.episode")[0][0]
            sev = dict(q("SELECT severity, count(*) FROM staging.validation_finding GROUP BY 1"))
            _say(f"staged: {staged:,} child records ({staged - clean:,} excluded for errors), {eps:,} episodes; "
                 f"findings: {sev.get('error', 0):,} errors, {sev.get('query', 0):,} queries")
        except duckdb.Error as exc:
            _say(f"staged: (views unavailable: {exc})")
        try:
            counts = {t: q(f"SELECT count(*) FROM lcd.{t}")[0][0]
                      for t in ("child", "referral", "referral_factor", "episode")}
            _say("LCD rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
            last = year_list[-1]
            rows = q("""SELECT year, count(*), count(*) FILTER (WHERE rereferral_12m),
                        count(*) FILTER (WHERE referral_nfa), count(*) FILTER (WHERE assessed_not_in_need)
                        FROM lcd.referral WHERE year BETWEEN ? AND ? GROUP BY 1 ORDER BY 1""",
                     max(year_list[0] + 1, last - 2), last)
            for y, n, rr, nfa, nin in rows:
                _say(f"  LCD {y}: {n:,} referrals, {rr:,} re-referrals within 12 months ({100 * rr / n:.1f}%), "
                     f"NFA {100 * nfa / n:.1f}%, assessed not in need {100 * nin / n:.1f}%")
        except duckdb.Error as exc:
            _say(f"LCD: (unavailable: {exc})")
        try:
            from cin_pipeline.tables import all_tables

            last = year_list[-1]
            # the data files published for the last year, in every release folder (the tables and
            # the release-level files such as the population file)
            files = [f for f in paths.publication_dir.glob(f"*/{last}/data/*.csv")
                     if not f.name.endswith(".meta.csv")]
            pub = len(files)
            if pub:
                per = ", ".join(f"{r} {sum(f.parts[-4] == r for f in files)}"
                                for r in sorted({f.parts[-4] for f in files}))
                _say(f"publication: {pub} data sets ({per}); files under {paths.publication_dir}")
                _say(f"headline figures, England, year ending 31 March {last} (as published):")
                for spec, h in [(t, h) for t in all_tables() for h in t.headline if h.tile]:
                    totals = "".join(f' AND "{f.name}" = \'{f.total}\'' for f in spec.query_filters)
                    try:
                        v = q(f'SELECT "{h.column}" FROM publication."{spec.warehouse_name}" '
                              "WHERE release_year = ? AND time_period = ? AND "
                              f"geographic_level = 'National'{totals} LIMIT 1", last, str(last))
                    except duckdb.Error:
                        continue
                    if v:
                        _say(f"  {v[0][0]:>10}  {h.label}")
        except duckdb.Error:
            pass
    finally:
        con.close()
