"""Measure the generator's episode-of-need durations (B4, B5) and the flows it is controlled on
against LAIT and the published LA values, for a sample of LAs (issue 16).

    PYTHONPATH=. python scripts/duration_fidelity.py --las 330,886,... --years 2012-2024 --scale 1.0
    PYTHONPATH=. python scripts/duration_fidelity.py --measures DIR/generation_measures.csv

The second form reads the counts of every LA-year from ``cin-pipeline synth --measures-only``
instead of simulating (every LA in 3-4 minutes on 2 workers).

Simulates each LA (cin_pipeline.synth.simulate.simulate_la, with the targets cin-pipeline synth
uses) and counts, with the tables' definitions (the generator's own counts, cin_pipeline.synth.measure,
which the pipeline's tables equal by the project's contract): B4 and B5 bands by calendar months
(facts.duration_band), B1, C1 and D5 counts. It then reports, per LAIT measure, the share of
LA-years (2016-2024) within 10% of LAIT (as `cin-pipeline compare` section 3), and per headline
count the share of LA-years within 10% of the published LA value (calibration_la_year.csv). The
band code is its own, so the same script measures any version of the generator.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

LAIT = (Path(__file__).resolve().parents[2] / "shared" / "reference" / "published"
        / "lait_cin_measures_2016_2024__derived_extract.csv")
BANDS = ("3months", "3-6", "6-1", "1-2", "2more")


def measure(la, sim, years, period, nfa_code, nin_code, rc89):
    from cin_pipeline.synth.measure import measure_year
    from cin_pipeline.synth.simulate import duration_band

    e = sim.episodes
    rows = []
    for y in years:
        t0, t1 = period(y)
        m = measure_year(sim, y)
        nfa = e.outcome == nfa_code
        closed = e.closure <= t1
        nin_vis = (e.outcome == nin_code) & closed & np.isin(e.reason, rc89)
        need_ep = ~nfa & ~(nin_vis & (e.closure >= t0))
        ended = need_ep & (e.closure >= t0) & closed
        at31 = ~nfa & (e.ref <= t1) & (e.closure > t1)
        b5 = np.bincount(duration_band(e.ref[ended], e.closure[ended]), minlength=6)[1:]
        b4 = np.bincount(duration_band(e.ref[at31], np.full(int(at31.sum()), t1)), minlength=6)[1:]
        r = dict(year=y, la=la, **{k: m[k] for k in ("referrals", "re_referrals", "nfa", "not_in_need",
                                                      "started_episodes", "ended_episodes",
                                                      "at31_episodes", "cpp_at31", "cpp_at31_2yplus")})
        for i, b in enumerate(BANDS):
            r[f"b5_{b}"] = int(b5[i])
            r[f"b4_{b}"] = int(b4[i])
        rows.append(r)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--las")
    ap.add_argument("--measures", help="generation_measures.csv of cin-pipeline synth --measures-only")
    ap.add_argument("--years", default="2012-2024")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--csv", default=None)
    a = ap.parse_args()
    from cin_pipeline import reference
    from cin_pipeline.synth import _plan, parse_las, parse_years
    from cin_pipeline.synth.simulate import OUT_NFA, OUT_NIN, RC, period, simulate_la

    if a.measures:
        from cin_pipeline.synth.simulate import DURATION_BANDS

        g = pd.read_csv(a.measures, dtype={"la": str})
        g = pd.concat([g, pd.DataFrame({f"{t}_{b}": g[f"{col}_{ours}"] for ours, b in zip(DURATION_BANDS, BANDS)
                                        for t, col in (("b5", "ended"), ("b4", "at31"))})], axis=1).copy()
    elif a.las:
        years = parse_years(a.years)
        rows = []
        for la, wy, start, tg in _plan(years, parse_las(a.las), a.scale):
            sim = simulate_la(la, tg, min(wy), max(tg) - 1, a.seed, start_year=start)
            rows += measure(la, sim, wy, period, OUT_NFA, OUT_NIN, [RC["RC8"], RC["RC9"]])
            print(f"  {la} done", file=sys.stderr, flush=True)
        g = pd.DataFrame(rows)
    else:
        ap.error("give --las or --measures")
    if a.csv:
        g.to_csv(a.csv, index=False)
    # LAIT values of the generator's LA-years
    pop = {y: reference.population_for(y) if y >= 2013 else {} for y in set(g["year"])}
    g["CINCease_den"] = g[[f"b5_{b}" for b in BANDS]].sum(axis=1)
    g["CINTime_den"] = g[[f"b4_{b}" for b in BANDS]].sum(axis=1)
    val = {}
    for b in BANDS:
        val[f"CINCease{b}"] = 100 * g[f"b5_{b}"] / g["CINCease_den"].replace(0, np.nan)
        val[f"CINTime{b}"] = 100 * g[f"b4_{b}"] / g["CINTime_den"].replace(0, np.nan)
    p = np.array([pop[y].get(la, np.nan) for y, la in zip(g["year"], g["la"])], float)
    val["CIN"] = 10000 * g["at31_episodes"] / a.scale / p
    val["CPP_Total_NumRef"] = g["referrals"] / a.scale
    val["CIN_Refferals_NFA"] = 100 * g["nfa"] / g["referrals"]
    val["Referrals_AssessedNotNeed"] = 100 * g["not_in_need"] / g["referrals"]
    val["ReReferral"] = 100 * g["re_referrals"] / g["referrals"]
    val["CPP_Num"] = g["cpp_at31"] / a.scale
    val["CPPlans2yrsActive"] = 100 * g["cpp_at31_2yplus"] / g["cpp_at31"].replace(0, np.nan)
    ours = pd.DataFrame(val)
    ours["year"], ours["la"] = g["year"], g["la"]
    lait = pd.read_csv(LAIT, dtype=str, keep_default_na=False)
    lait["la"] = lait["LA Number"].str.replace(r"\.0$", "", regex=True).str.zfill(3)
    lait["year"] = pd.to_numeric(lait["Years"], errors="coerce")
    lait["v"] = pd.to_numeric(lait["Values"], errors="coerce")
    lait = lait[lait["v"].notna()]
    print("LAIT measure: LA-years within 10% (2016-2024), mean generator / mean LAIT")
    for code in [c for c in ours.columns if c not in ("year", "la")]:
        l = lait[lait["Short Desc"] == code][["year", "la", "v"]]
        j = ours[["year", "la", code]].merge(l, on=["year", "la"]).dropna()
        if j.empty:
            continue
        w = (abs(j[code] - j["v"]) <= 0.10 * abs(j["v"])).mean()
        print(f"  {code:28s} {100 * w:5.1f}% of {len(j):3d}   {j[code].mean():9.1f} {j['v'].mean():9.1f}")
    cal = reference.calibration()
    cal["la"] = cal["la"].astype(str).str.zfill(3)
    print("Published LA count: LA-years within 10% (2013-2024), generator / published total")
    for m in ("at31_episodes", "started_episodes", "ended_episodes", "referrals", "cpp_at31"):
        j = g[["year", "la", m]].merge(cal[["year", "la", m]], on=["year", "la"], suffixes=("", "_pub"))
        j = j[(j["year"] >= 2013) & j[m + "_pub"].notna()]
        gen = j[m] / a.scale
        pub = j[m + "_pub"].astype(float)
        w = (abs(gen - pub) <= 0.10 * pub).mean()
        print(f"  {m:28s} {100 * w:5.1f}% of {len(j):3d}   {gen.sum():11.0f} {pub.sum():11.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
