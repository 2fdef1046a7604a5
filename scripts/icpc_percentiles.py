"""C4's percentiles of working days from the S47 start to the ICPC, nationally, on the generator's
simulated conferences, against the published ones (issue 16).

    PYTHONPATH=. python scripts/icpc_percentiles.py [--seed 11] [--scale 1.0]

Simulates every LA 2012-2024 (cin_pipeline.synth.simulate.simulate_la, the targets cin-pipeline
synth uses; nothing is written), counts each conference of a year in working days as the tables
do (Monday to Friday, not a bank holiday, after the start up to and including the conference),
and prints the 25th percentile, median and 75th percentile per year: the value at position
q x (n - 1) of the sorted days, as cin_pipeline.ees.numbers.percentile gives on whole days.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
from pathlib import Path

import numpy as np
import pandas as pd

YEARS = list(range(2012, 2025))
PUBLISHED = (Path(__file__).resolve().parents[2] / "shared" / "reference" / "published"
             / "c4_children_in_need_section_47s_and_icpcs_2013_to_2025__2025release.csv")
COLUMNS = ("Duration_25th_Percentile", "Duration_median", "Duration_75th_Percentile")


def _days(task):
    from cin_pipeline.synth.simulate import period, simulate_la, working_days_between

    la, wy, start, tg, seed = task
    e = simulate_la(la, tg, min(wy), max(tg) - 1, seed, start_year=start).episodes
    out = {}
    for y in wy:
        t0, t1 = period(y)
        held = (e.icpc >= t0) & (e.icpc <= t1)
        wd = working_days_between(e.s47[held], e.icpc[held])
        out[y] = np.bincount(np.minimum(wd, 99), minlength=100)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    from cin_pipeline.synth import _plan

    hist = {y: np.zeros(100, np.int64) for y in YEARS}
    tasks = [(*t, a.seed) for t in _plan(YEARS, None, a.scale)]
    with mp.get_context("fork").Pool(2) as pool:
        for res in pool.imap_unordered(_days, tasks):
            for y, h in res.items():
                hist[y] += h
    pub = pd.read_csv(PUBLISHED, dtype=str)
    pub = pub[pub["geographic_level"] == "National"].set_index("time_period")
    same = total = 0
    print("year  generator (25th, median, 75th)  published")
    for y in YEARS[1:]:
        n = int(hist[y].sum())
        cum = np.cumsum(hist[y])
        gen = [int(np.searchsorted(cum, int(q * (n - 1)), side="right")) for q in (0.25, 0.5, 0.75)]
        p = [int(pub.at[str(y), c]) for c in COLUMNS]
        same += sum(g == q for g, q in zip(gen, p))
        total += 3
        print(f"{y}  {gen}  {p}")
    print(f"{same} of {total} percentiles as published")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
