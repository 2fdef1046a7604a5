"""Published measures counted on a simulated LA, exactly as they will be visible in its returns.

The definitions follow ``spec/published_tables.md`` §4 as the generator's brief fixes them:

* referral = a CINdetails with CINreferralDate in the year; re-referral = a referral within 12
  calendar months after the child's previous referral in the LA (which may be in the previous
  year), as ``lcd.referral.rereferral_12m``;
* NFA = ReferralNFA 1; not in need = referral of the year closed RC8/RC9 by 31 March;
* episodes of need exclude NFA and not-in-need (RC8/RC9) episodes; CIN at 31 March = episodes
  open at 31 March (no closure shown) that are not NFA; awaiting assessment = of those, episodes
  with no assessment started by 31 March;
* S47 = S47 starts in the year (a later S47 of an episode included), ICPC = ICPC dates in the year, plans started = CPP starts in the
  year, subsequent = NumberOfPreviousCPP > 0, plans at 31 March = open plans, by calendar months
  since the start (D5's bands); of the plans at 31 March started by 31 December, those whose
  reviews kept to the timescales (D6);
* B4 children in need at 31 March (``at31_<band>``) and B5 episodes of need ending in the year
  (``ended_<band>``) by the duration band of the episode in calendar months back from 31 March or
  the closure date (``facts.duration_band``, :func:`.simulate.duration_band`).

These counts are what the statistics layer should recompute from the XML files.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from cin_pipeline.census.spec import ETHNIC_GROUPS

from .simulate import (BIT_21, CATEGORIES, CPP_BAND_COLUMNS, CPP_LONG_DAYS, ETHNICITIES, FAR, SEX_FEMALE, SEX_MALE, SEX_UNKNOWN, ICPC_BAND_COLUMNS, LATE_FIRST_REVIEW, DURATION_BANDS, FACTOR_BIT, FACTOR_CODES, NONE, OUT_NFA,
                       OUT_NIN, RC, LASimulation, duration_band, icpc_band, is_rereferral, period,
                       recorded_ethnicity, first_d6_year, to_day, working_days_between, year_of_day)

PRIVATE_FOSTER = ("8B", "8C", "8D", "8E", "8F")
SEXES = (("female", SEX_FEMALE), ("male", SEX_MALE), ("sex_unknown", SEX_UNKNOWN))
ETH_GROUP_MEASURES = tuple((group.split()[0].lower(), tuple(ETHNICITIES.index(c) for c in codes))
                           for group, codes in ETHNIC_GROUPS)
"""(measure suffix, ethnicity indices) of each major group: white, mixed, asian, black, other, unknown."""
SEX_ROWS = tuple(s for s, _ in SEXES) + ("unborn",)
CHARACTERISTIC_MEASURES = (
    tuple(f"{stock}_{s}" for stock in ("at31", "cpp_at31") for s in SEX_ROWS)
    + tuple(f"at31_eth_{g}" for g, _ in ETH_GROUP_MEASURES)
    + tuple(f"cpp_at31_{c.lower()}" for c in CATEGORIES)
    + tuple(f"at31_{s}_eth_{g}" for s in SEX_ROWS for g, _ in ETH_GROUP_MEASURES)
    + tuple(f"cpp_at31_{s}_{c.lower()}" for s in SEX_ROWS for c in CATEGORIES)
    + ("at31_aged_18_plus",))
"""Children in need and on a plan at 31 March by sex (unborn apart), by major ethnic group (as the
return records it that year) and plans by initial category (A4, A5, A6); the cross-tabulations
of the sex rows (unborn included) by ethnic group (A4) and by category (A5); and the children in
need at 31 March aged 18 or over (whole years at 31 March, as ``facts.child`` counts age; A7)."""

FACTOR_MEASURES = tuple(
    f"factor_{c}" for c in FACTOR_CODES if c not in ("21",) and c not in PRIVATE_FOSTER) + (
    "factor_privately_fostered",)
MEASURES = ("referrals", "re_referrals", "nfa", "not_in_need", "referrals_child", "re_referrals_child",
            "rr_episodes", "rr_episodes_le3m",
            "anypoint_episodes", "anypoint_child", "started_episodes", "started_child", "ended_episodes",
            "ended_child", "at31_episodes", "awaiting_assessment", "s47", "s47_child", "icpc",
            "icpc_child", "icpc_0_10", "icpc_11_15", "icpc_16_20", "icpc_21_plus",
            "cpp_start", "cpp_subsequent", "cpp_at31", "cpp_at31_3m", "cpp_at31_3m_reviewed",
            *CPP_BAND_COLUMNS, "cpp_end", "cpp_end_2yplus",
            "episodes_with_factor") + FACTOR_MEASURES + tuple(
    f"at31_{b}" for b in DURATION_BANDS) + tuple(f"ended_{b}" for b in DURATION_BANDS) + CHARACTERISTIC_MEASURES


def _children(child: np.ndarray, mask: np.ndarray) -> int:
    return int(len(np.unique(child[mask])))


def measure_year(sim: LASimulation, year: int) -> dict:
    """Measures of ``sim`` for census ``year`` (see the module docstring)."""
    t0, t1 = period(year)
    e = sim.episodes
    ref_y = (e.ref >= t0) & (e.ref <= t1)
    nfa = e.outcome == OUT_NFA
    closed_vis = e.closure <= t1
    rc89 = (e.reason == RC["RC8"]) | (e.reason == RC["RC9"])
    nin_vis = (e.outcome == OUT_NIN) & closed_vis & rc89
    need_ep = ~nfa & ~(nin_vis & (e.closure >= t0))
    at31 = ~nfa & (e.ref <= t1) & (e.closure > t1)
    cpp = e.cpp_start != NONE
    cpp_open = cpp & (e.cpp_start <= t1) & (e.cpp_end > t1)
    cpp_3m = cpp_open & (first_d6_year(e.cpp_start) <= year)  # started by 31 December
    # within 12 calendar months of the previous referral (lcd.referral.rereferral_12m: 366 days
    # when the year back holds 29 February)
    rerefs = is_rereferral(e.ref, e.prev_ref)
    rr_need = ref_y & rerefs & ~nfa & ~rc89 & (e.outcome != OUT_NIN)  # A4's re-referral episodes
    anyp = need_ep & (e.ref <= t1) & (e.closure >= t0)
    started = need_ep & ref_y
    ended = need_ep & (e.closure >= t0) & closed_vis
    s47_y = (e.s47 >= t0) & (e.s47 <= t1)
    s47b_y = (e.s47b >= t0) & (e.s47b <= t1)  # a later S47 of the same episode
    icpc_y = (e.icpc >= t0) & (e.icpc <= t1)
    # working days from the S47 start to the ICPC: Monday-Friday days after the start up to and
    # including the conference (as facts.working_days counts them)
    wd = np.where(icpc_y, working_days_between(np.where(icpc_y, e.s47, 0), np.where(icpc_y, e.icpc, 0)), -1)
    auth_y = (e.a_auth >= t0) & (e.a_auth <= t1)
    other = e.factors & ~(np.int64(1) << BIT_21)
    factor = {f"factor_{c}": int(np.sum(auth_y & ((e.factors >> FACTOR_BIT[c]) & 1).astype(bool)))
              for c in FACTOR_CODES if c != "21" and c not in PRIVATE_FOSTER}
    factor["factor_privately_fostered"] = int(np.sum(auth_y & (
        (e.factors & sum(np.int64(1) << FACTOR_BIT[c] for c in PRIVATE_FOSTER)) != 0)))
    cpp_y = cpp & (e.cpp_start >= t0) & (e.cpp_start <= t1)
    cpp_end_y = cpp & (e.cpp_end >= t0) & (e.cpp_end <= t1)
    b4 = np.bincount(duration_band(e.ref[at31], np.full(int(at31.sum()), t1)), minlength=6)[1:]
    b5 = np.bincount(duration_band(e.ref[ended], e.closure[ended]), minlength=6)[1:]
    bands = {**{f"at31_{b}": int(n) for b, n in zip(DURATION_BANDS, b4)},
             **{f"ended_{b}": int(n) for b, n in zip(DURATION_BANDS, b5)}}
    return {
        "year": year, "la": sim.la,
        **_characteristics(sim, at31, cpp_open, t1),
        "referrals": int(ref_y.sum()),
        "re_referrals": int(np.sum(ref_y & rerefs)),
        "nfa": int(np.sum(ref_y & nfa)),
        "not_in_need": int(np.sum(ref_y & nin_vis)),
        "referrals_child": int(len(np.unique(e.child[ref_y]))),
        "re_referrals_child": _children(e.child, ref_y & rerefs),
        # re-referrals of the year that opened an episode of need (not NFA, never closed as not in
        # need), and those of 3 months or less, an open one measured to the simulation's last 31
        # March (A4 of the re-referrals release, as lcd.episode and its table count them)
        "rr_episodes": int(rr_need.sum()),
        "rr_episodes_le3m": int(np.sum(rr_need & (np.where(e.closure >= FAR, period(sim.last_year)[1], e.closure)
                                                  - e.ref <= 91))),
        "anypoint_child": _children(e.child, anyp),
        "started_child": _children(e.child, started),
        "ended_child": _children(e.child, ended),
        "s47_child": _children(e.child, s47_y | s47b_y),
        "icpc_child": _children(e.child, icpc_y),
        **dict(zip(ICPC_BAND_COLUMNS, (int(n) for n in np.bincount(icpc_band(wd[icpc_y]), minlength=4)))),
        "episodes_with_factor": int(np.sum(auth_y & (other != 0))),
        **factor,
        "anypoint_episodes": int(np.sum(need_ep & (e.ref <= t1) & (e.closure >= t0))),
        "started_episodes": int(np.sum(need_ep & ref_y)),
        "ended_episodes": int(np.sum(need_ep & (e.closure >= t0) & closed_vis)),
        "at31_episodes": int(at31.sum()),
        "awaiting_assessment": int(np.sum(at31 & ((e.a_start == NONE) | (e.a_start > t1)))),
        "s47": int(s47_y.sum() + s47b_y.sum()),
        "icpc": int(np.sum((e.icpc >= t0) & (e.icpc <= t1))),
        "cpp_start": int(cpp_y.sum()),
        "cpp_subsequent": int(np.sum(cpp_y & (e.n_prev_cpp > 0))),
        "cpp_at31": int(cpp_open.sum()),
        # plans at 31 March started by 31 December, and of those the ones whose reviews kept to
        # the timescales (D6: a late plan's first review is LATE_FIRST_REVIEW days or more after its start)
        "cpp_at31_3m": int(np.sum(cpp_3m)),
        "cpp_at31_3m_reviewed": int(np.sum(cpp_3m & (e.rev_first < LATE_FIRST_REVIEW))),
        # plans ending in the year, and those open more than 729 days (D7, LAIT CPPlans2yrs)
        "cpp_end": int(cpp_end_y.sum()),
        "cpp_end_2yplus": int(np.sum(cpp_end_y & (e.cpp_end - e.cpp_start > CPP_LONG_DAYS))),
        # plans at 31 March by calendar months since the start (D5's bands)
        **dict(zip(CPP_BAND_COLUMNS, (int(n) for n in np.bincount(
            duration_band(e.cpp_start[cpp_open], np.full(int(cpp_open.sum()), t1)), minlength=6)[1:]))),
        **bands,
    }


def _characteristics(sim: LASimulation, at31: np.ndarray, cpp_open: np.ndarray, t1: int) -> dict:
    """:data:`CHARACTERISTIC_MEASURES` (episodes: a child has one open episode at 31 March)."""
    e, c = sim.episodes, sim.children
    out = {}
    rows = {}  # stock -> sex row -> mask over the stock's episodes
    for stock, mask in (("at31", at31), ("cpp_at31", cpp_open)):
        kids = e.child[mask]
        unborn = c.dob[kids] > t1
        rows[stock] = {"unborn": unborn, **{name: ~unborn & (c.sex[kids] == code) for name, code in SEXES}}
        for name, m in rows[stock].items():
            out[f"{stock}_{name}"] = int(m.sum())
    eth = recorded_ethnicity(c, e.child[at31], t1)
    for name, idx in ETH_GROUP_MEASURES:
        in_group = np.isin(eth, idx)
        out[f"at31_eth_{name}"] = int(in_group.sum())
        for s, m in rows["at31"].items():
            out[f"at31_{s}_eth_{name}"] = int(np.sum(m & in_group))
    adult = to_day(_dt.date(int(year_of_day(np.array([t1]))[0]) - 18, 3, 31))
    out["at31_aged_18_plus"] = int(np.sum(c.dob[e.child[at31]] <= adult))
    cat = e.cat_init[cpp_open]
    out.update({f"cpp_at31_{k.lower()}": int(n) for k, n in zip(CATEGORIES, np.bincount(cat, minlength=len(CATEGORIES)))})
    for s, m in rows["cpp_at31"].items():
        out.update({f"cpp_at31_{s}_{k.lower()}": int(n)
                    for k, n in zip(CATEGORIES, np.bincount(cat[m], minlength=len(CATEGORIES)))})
    return out
