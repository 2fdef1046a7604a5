"""Realistic synthetic CIN census returns.

``generate(out_dir, years, las=None, scale=1.0, seed=0, dirty_rate=0.0, progress=False)`` writes
``out_dir/<year>/<la>.xml`` for every requested reporting year and LA (``None`` = every LA valid
in that year; an LA is only written for years in which it exists), ``out_dir/generation.json``
(parameters, seed, package version, counts) and ``out_dir/generation_measures.csv`` (the
published measures counted on the generated records, per LA-year). With ``dirty_rate > 0`` it then
hands the clean files to :func:`cin_pipeline.synth.dirty.inject_faults`; it always calls
:func:`cin_pipeline.synth.supporting.write_supporting` (unless ``supporting=False``).

How the returns are made: :mod:`.simulate` simulates each LA's children over time calibrated to
:func:`cin_pipeline.reference.calibration`, always from the same start
(:func:`.simulate.simulation_start`: burn-in years before 2012-13, or before the first census year
of an LA created later) up to the last year asked; :mod:`.writer` cuts each census year out of
the histories and writes the XML; :mod:`.measure` counts the published measures. LAs run in
parallel worker processes; each LA has its own random generator seeded with ``(seed, la)``, so the
same seed gives the same bytes whatever the number of workers, and a year's file depends only on
(seed, LA, year, scale), not on the other years or LAs asked for.
"""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

__all__ = ["generate", "GenerationResult", "parse_years", "parse_las"]

DEFAULT_WORKERS = 2


@dataclass
class GenerationResult:
    """What :func:`generate` wrote."""

    out_dir: Path
    files: list[Path]
    counts: dict[int, dict[str, int]]  # year -> files, children, episodes
    elapsed: float
    measures: list[dict] = field(default_factory=list)  # one dict per LA-year (see .measure)
    params: dict = field(default_factory=dict)


def parse_years(text: str | Iterable[int]) -> list[int]:
    """``"2013-2016,2019"`` -> [2013, 2014, 2015, 2016, 2019]; iterables of ints pass through."""
    if not isinstance(text, str):
        return sorted({int(y) for y in text})
    years: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            years.update(range(int(a), int(b) + 1))
        else:
            years.add(int(part))
    return sorted(years)


def parse_las(text: str | Iterable[str] | None) -> list[str] | None:
    """``"all"``/None -> None; ``"202,330"`` -> ["202", "330"]."""
    if text is None:
        return None
    if isinstance(text, str):
        if text.strip().lower() in ("", "all"):
            return None
        return [p.strip().zfill(3) for p in text.split(",") if p.strip()]
    return [str(p).zfill(3) for p in text]


def _package_version() -> str:
    from cin_pipeline import __version__

    return __version__


def _plan(years: list[int], las: list[str] | None, scale: float):
    """Tasks per LA: (la, years to write, first simulated year, targets per simulated year). The
    targets run to the year after the last simulated year, which is the LA's last calibrated year
    or the last year to write, if later (``_run_la`` simulates up to it)."""
    import numpy as np

    from cin_pipeline import reference

    from .simulate import simulation_start, year_targets

    valid = {y: set(reference.la_codes(y)) for y in years}
    wanted = sorted(set().union(*valid.values())) if las is None else list(dict.fromkeys(las))
    calib = reference.calibration()
    calib["la"] = calib["la"].astype(str).str.zfill(3)
    tasks = []
    for la in wanted:
        write_years = [y for y in years if la in valid[y]]
        if not write_years:
            log.warning("LA %s is not valid in any requested year; skipped", la)
            continue
        rows = calib[calib["la"] == la].sort_values("year")
        if rows.empty:
            raise ValueError(f"no calibration targets for LA {la}")
        by_year = {int(r["year"]): r for r in rows.to_dict("records")}
        known = sorted(by_year)
        with_factors = [y for y in known if np.isfinite(float(by_year[y].get("episodes_with_factor") or np.nan))]
        factor_row = by_year[with_factors[0]] if with_factors else None
        # simulated to the LA's last calibrated year (or the last year asked, if later) whatever
        # years are asked: a child's sex and the swapped categories of unborn children's plans are
        # decided at the end of the simulation, from plans of later years
        first, last = min(write_years), max(max(write_years), known[-1])
        start = simulation_start(known[0], first)
        targets = {}
        for y in range(start, last + 2):
            ky = min(max(y, known[0]), known[-1])
            targets[y] = year_targets(by_year[ky], y, scale, factor_row)
        size = float(by_year[known[-1]]["referrals"])
        tasks.append((size, la, write_years, start, targets))
    tasks.sort(key=lambda t: (-t[0], t[1]))
    return [t[1:] for t in tasks]


def _quotas(scale: float, seed: int) -> dict:
    """Every LA's share of England's small cells in ``SEX_YEAR`` (``simulate.sex_year_quotas``),
    in proportion to its published children in need and plans at 31 March that year: computed over
    every LA of that year whichever are generated."""
    from cin_pipeline import reference

    from .simulate import SEX_YEAR, sex_year_quotas

    calib = reference.calibration()
    calib = calib.assign(la=calib["la"].astype(str).str.zfill(3))
    rows = calib[(calib["year"] == SEX_YEAR) & calib["la"].isin(set(reference.la_codes(SEX_YEAR)))]
    return sex_year_quotas(dict(zip(rows["la"], rows["at31_episodes"].astype(float))),
                           dict(zip(rows["la"], rows["cpp_at31"].astype(float))), scale, seed)


def _run_la(args) -> dict:
    """Worker: simulate one LA, write its returns, count its measures."""
    import resource

    from .measure import measure_year
    from .simulate import simulate_la
    from .writer import render_return

    la, write_years, start, targets, quota, seed, out_dir, release, write = args
    t = time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    sim = simulate_la(la, targets, min(write_years), max(targets) - 1, seed, start_year=start, quota=quota)
    t_sim = time.perf_counter() - t
    files, counts, measures = [], {}, []
    for y in write_years:
        m = measure_year(sim, y)
        if write:
            text, n_child, n_ep = render_return(sim, y, release)
            path = Path(out_dir) / str(y) / f"{la}.xml"
            tmp = path.with_suffix(".xml.tmp")
            tmp.write_bytes(text.encode("utf-8"))
            os.replace(tmp, path)
            files.append(str(path))
            counts[y] = (n_child, n_ep, len(text))
            m["children"], m["episodes_written"] = n_child, n_ep
        measures.append(m)
    return {"la": la, "files": files, "counts": counts, "measures": measures,
            "sim_seconds": t_sim, "seconds": time.perf_counter() - t,
            "cpu_seconds": (lambda r: r.ru_utime + r.ru_stime - ru0.ru_utime - ru0.ru_stime)(
                resource.getrusage(resource.RUSAGE_SELF)),
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def generate(out_dir, years, las=None, scale: float = 1.0, seed: int = 0, dirty_rate: float = 0.0,
             progress: bool = False, workers: int | None = None, supporting: bool = True,
             measures_only: bool = False) -> GenerationResult:
    """Write synthetic CIN census returns (see the module docstring).

    ``years``: iterable of reporting years or a string like ``"2013-2024"``; ``las``: LA codes
    (``None`` or ``"all"`` = every LA valid in each year); ``scale``: 1.0 = England's real
    volumes; ``workers``: processes (default 2; 1 runs in this process); ``supporting=False``
    skips the supporting files (benchmarks of the returns alone); ``measures_only=True`` simulates
    and counts without writing any return (only ``generation_measures.csv``: calibrating the
    generator against the published figures, ``cin-pipeline attribute``, in minutes).
    """
    t_start = time.perf_counter()
    out = Path(out_dir)
    years = parse_years(years)
    las = parse_las(las)
    if not years:
        raise ValueError("no years requested")
    release = _package_version()
    tasks = _plan(years, las, scale)
    if measures_only:
        out.mkdir(parents=True, exist_ok=True)
    for y in () if measures_only else years:
        (out / str(y)).mkdir(parents=True, exist_ok=True)
    quotas = _quotas(scale, int(seed))
    jobs = [(la, wy, start, tg, quotas.get(la), int(seed), str(out), release, not measures_only)
            for la, wy, start, tg in tasks]
    workers = DEFAULT_WORKERS if workers is None else max(1, int(workers))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="LA", desc="synth")
    results = []
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            results.append(_run_la(job))
            if bar:
                bar.update(1)
    else:
        with mp.get_context("fork").Pool(min(workers, len(jobs))) as pool:
            for res in pool.imap_unordered(_run_la, jobs, chunksize=1):
                results.append(res)
                if bar:
                    bar.update(1)
            # Let the workers finish and exit on their own: leaving the block would terminate
            # them with SIGTERM, which a worker forked from a process that defers SIGTERM (a
            # Dagster run in progress in another thread) does not act on, and joining it hung.
            pool.close()
            pool.join()
    if bar:
        bar.close()
    results.sort(key=lambda r: r["la"])

    files = sorted(Path(f) for r in results for f in r["files"])
    counts: dict[int, dict[str, int]] = {y: {"files": 0, "children": 0, "episodes": 0, "bytes": 0} for y in years}
    measures = []
    for r in results:
        for y, (nc, ne, nb) in r["counts"].items():
            c = counts[int(y)]
            c["files"] += 1
            c["children"] += nc
            c["episodes"] += ne
            c["bytes"] += nb
        measures.extend(r["measures"])
    measures.sort(key=lambda m: (m["year"], m["la"]))
    elapsed = time.perf_counter() - t_start
    params = {"years": years, "las": las if las is not None else "all", "scale": scale, "seed": int(seed),
              "dirty_rate": dirty_rate, "workers": workers}
    _write_measures(out / "generation_measures.csv", measures)
    if measures_only:
        return GenerationResult(out_dir=out, files=[], counts={}, elapsed=elapsed, measures=measures,
                                params=params)
    _write_manifest(out, params, release, counts, results, elapsed)

    if dirty_rate and dirty_rate > 0:
        from cin_pipeline.synth import dirty

        dirty.inject_faults(files, rate=dirty_rate, seed=int(seed), manifest_path=out / "dirty_manifest.csv")
    params["returns_seconds"] = round(elapsed, 2)
    if supporting:
        from cin_pipeline.synth import supporting as _supporting

        written_las = sorted({r["la"] for r in results})
        _supporting.write_supporting(out, years=years, las=written_las, seed=int(seed), workers=workers)
    return GenerationResult(out_dir=out, files=files, counts=counts, elapsed=time.perf_counter() - t_start,
                            measures=measures, params=params)


def _write_manifest(out: Path, params: dict, release: str, counts: dict, results: list, elapsed: float) -> None:
    from .simulate import BURN_IN_YEARS, SIM_START

    doc = {
        "generator": "cin_pipeline.synth",
        "package_version": release,
        "parameters": params,
        "seed": params["seed"],
        "burn_in_years": BURN_IN_YEARS,
        "simulation_start": SIM_START,  # later for LAs created after 2012-13 (burn-in before their first year)
        "calibration": "cin_pipeline.reference.calibration() (data/reference/calibration_la_year.csv)",
        "counts": {str(y): c for y, c in counts.items()},
        "files": sum(c["files"] for c in counts.values()),
        "elapsed_seconds": round(elapsed, 2),
        "worker_max_rss_mb": round(max((r["maxrss_mb"] for r in results), default=0.0), 1),
        "la_cpu_seconds_total": round(sum(r.get("cpu_seconds", 0.0) for r in results), 1),
        "la_sim_seconds_total": round(sum(r["sim_seconds"] for r in results), 1),
    }
    (out / "generation.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def _write_measures(path: Path, measures: list[dict]) -> None:
    if not measures:
        return
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(measures[0]))
        w.writeheader()
        w.writerows(measures)
