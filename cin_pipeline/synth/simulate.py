"""Simulation engine: children's journeys through children's social care in one local authority.

One call of :func:`simulate_la` simulates one LA from a fixed start (:func:`simulation_start`:
``BURN_IN_YEARS`` before 2012-13, or before the LA's first census year for LAs created later) up
to 31 March of the last census year wanted, and returns flat numpy arrays (one row per child and
one row per episode of need). The XML writer (:mod:`cin_pipeline.synth.writer`) then cuts each
census year out of those life histories, so every return holds exactly what a real return holds.

Model (all dates are integer days since 1970-01-01)
--------------------------------------------------
* **Referral chains.** Each child has a chain of referrals. A referral is for a *new* child
  (first referral in the LA, on a day drawn with weekday and holiday weights), or for a child
  whose previous episode has closed: either a re-referral within 12 months of the previous
  referral or a later return (1 to several years after). A child's next referral is always after
  the closure of the previous episode, so episodes never overlap and at most one episode is open.
* **Referral volumes and children are exact.** A year's re-referrals are carried in (within 12
  months of a referral of the year before) or same-year ones, and only same-year ones make a
  child referred twice in the year. So the carried-in ones are capped at the re-referral target
  less the same-year ones implied by the children-referred target, and the same-year ones at
  that number: of them, the repeats (a child's second or later re-referral of the year) at the
  re-referrals less the children re-referred (C1), the others at the rest. Beyond a cap, the
  child does not come back. A room left open is filled by children referred earlier in the year
  coming back (in rounds, :data:`RETURN_ROUNDS`), then by children last referred the year
  before, and new children make up the rest of the referral target. Three controllers keep the
  caps binding: the probability of a re-referral (``pi_w``), how soon within its 12 months a
  re-referral comes (``early``: sooner means more of them fall in the same year) and how much
  likelier a re-referral is to be re-referred again (``chain``).
* **Source of each referral**: schools, health services and the police in the LA-year's LAIT
  shares (C5), the other codes in England's proportions of the rest, each batch in its exact
  shares (:func:`stratified_pick`, on the same random numbers as an independent draw).
* **Outcome of each referral** (each batch of referrals in the year's target shares exactly,
  at random referrals): no further action (NFA: nothing else is recorded), assessed not in
  need (assessment, then closure RC8, or RC9 from
  the 2022-23 census), or in need. Children in need may have a section 47 enquiry (S47), an
  initial child protection conference (ICPC, on a weekday, a number of working days after the
  S47 start drawn from the published time-to-ICPC bands), a child protection plan (CPP) starting
  on the ICPC date with reviews, a child in need plan (never concurrent with a CPP), and a closure
  with a reason (RC1-RC7) at or after every activity.
* **Length of an episode of need** (referral to closure) follows the LA-year's published B5
  shares (LAIT, episodes of need ending by duration band in calendar months): a band is drawn
  with the shares of the year the episode would end in, corrected for the episodes whose
  activities (assessment, S47, plan and step-down) hold them open into a longer band
  (:func:`band_draw_cdf`, exact in distribution), and a day uniformly within it. An episode of 2
  years or more joins the long-episode pool at its 2-year day; :func:`_close_pool` closes pool
  episodes at the end of each year, as many as the B5 share of 2 years or more gives plus half
  of the stock at 31 March's miss, so the tail beyond 2 years (and the B4 mix) comes from the
  stock target.
* **Repeats per child.** A re-referral is likelier to be re-referred again (``chain``, learnt
  from how the repeats and the first re-referrals of the year filled their caps), and an episode
  of need is
  :data:`NEED_REREFERRAL_WEIGHT` times as likely as an NFA or not-in-need referral to be followed
  by one; an episode whose first S47 ended without a conference may have a later S47 (no
  conference), in the LA-year's share of S47s per child. So counts of children (B1, C1, C4)
  follow from the same histories as the counts of events.
* **Plan lengths** are drawn from :data:`_CPP_BANDS` (fitted to England's D5 stock at 31 March)
  times the LA-year's duration scale, which stretches only plans under 2 years
  (:func:`stretch_plan`).
* **Calibration.** Years are simulated one at a time. The duration scale of the year's new
  plans follows Little's law (stock = inflow x mean duration) corrected by what the last year
  gave.
  Shares that are only partly visible by 31 March (not in need, S47s, ICPCs, plans, second
  plans, re-referrals) are corrected year by year from the realised values of the year before;
  the burn-in (``BURN_IN_YEARS``) lets these controllers settle before the first census year.
  Conversions (S47 -> ICPC) learn from the realised conversion, not from the downstream volume
  (which would correct an upstream miss twice); P(CPP | ICPC) is exact by construction.
* **Year-end settlement.** The controllers lag by a year and LA targets jump between
  years, so once year ``y`` is simulated its ICPCs and plans started are settled on the
  published counts (:func:`_settle_conferences`: conferences without a plan held or not,
  plans ending by 31 March started or not), its ICPCs on C4's working-day bands
  (:func:`_settle_icpc_bands`), then the stocks at 31 March on target
  (:func:`_settle_stocks`): CPP ends (each D5 duration band on its own), then closures (with
  the authorisation of their assessment where it holds a recent episode open), then
  assessment starts (children awaiting assessment), of the episodes nearest 31 March are moved
  across it (mirrored), within every date rule; the open episodes that the next year closes as
  not in need on what B1's published flows leave out of the next year's episodes ended and at
  any point (:func:`_settle_carry`); and the assessment factors of the year's authorised
  assessments on C3 (:func:`_settle_factors`); the B5 bands, D7's long plans, D3's second
  plans and the categories of the plans at 31 March (A6) are settled in between
  (``_settle_b5``, ``_settle_d7``, ``_settle_subsequent``, ``_settle_categories``); last, the
  unborn among the children on a plan and in need at 31 March (A4, A5 2020) by moving births
  across it (``_settle_unborn``). The
  settlement can end a plan early in any band
  but can rarely extend one started in the last 6 months, so conferences and plans are a little
  likelier in January-March and October-December (:data:`PLAN_SEASON`) to leave those bands
  something to settle.
* **Conferences without a Section 47.** Where the published plans started exceed what the
  year's ICPCs can start (some LA-years, e.g. 2014), the rest start at a conference recorded on
  the CIN details (``DateOfInitialCPC`` there, no Section 47; rules 2883 and 2885 allow it).

Randomness comes from one ``numpy.random.Generator`` per LA seeded with ``(seed, la)``, so
results do not depend on worker count or order. :func:`cin_pipeline.synth.generate` simulates
every LA from the same start to the same end (its last calibrated year, or a later year asked)
whatever years are asked, so each year's return depends only on (seed, LA, year, scale): the
settlements of a year move nothing before its 31 March, but a child's sex and the categories
swapped for unborn children's plans are decided once the simulation ends, from the child's
plans of every year.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass, field

import numpy as np

from cin_pipeline.census import spec
from cin_pipeline.reference.calendar import bank_holidays

BURN_IN_YEARS = 7
"""Years simulated before an LA's first census year (open cases and prior referrals)."""

SIM_START = spec.FIRST_YEAR - BURN_IN_YEARS
"""First simulated census year of every LA that exists in 2012-13 (2005-06)."""


def simulation_start(la_first_year: int, first_year: int | None = None) -> int:
    """First simulated census year of an LA whose first census year is ``la_first_year``.

    Fixed per LA (``BURN_IN_YEARS`` before 2012-13, or before the first census year of an LA
    created later), so a year's return does not depend on the other years asked for. The 2011-12
    look-back return (2012) is written from the same simulation (one burn-in year less); only a
    ``first_year`` before that (outside the census) moves the start earlier.
    """
    start = max(SIM_START, int(la_first_year) - BURN_IN_YEARS)
    if first_year is not None and int(first_year) < spec.LOOKBACK_YEAR:
        start = min(start, int(first_year) - BURN_IN_YEARS)
    return start

EPOCH = _dt.date(1970, 1, 1)
NONE = -1  # "no date" in int32 date arrays
FAR = 10**6  # closure of an episode still open at the end of the simulation

OUT_NFA, OUT_NIN, OUT_NEED = 0, 1, 2

# ------------------------------------------------------------------ code tables (indices)
REFERRAL_SOURCES = ("1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4",
                    "5A", "5B", "5C", "5D", "6", "7", "8", "9", "10")
_SOURCE_W = np.array([4.0, 1.0, 1.2, 2.0, 18.0, 2.5, 2.5, 2.5, 0.8, 1.5, 2.5, 4.0, 1.5,
                      4.0, 6.0, 2.5, 4.0, 28.0, 2.5, 4.0, 1.0, 3.5])
SOURCE_GROUP_TARGETS = (("lait_source_schools_pct", ("2A",)),
                        ("lait_source_health_pct", ("3A", "3B", "3C", "3D", "3E", "3F")),
                        ("lait_source_police_pct", ("6",)))
"""Sources of referral whose LA-year share (C5, LAIT %) the generator follows: calibration column,
census codes; the other codes share the rest in :data:`_SOURCE_W`'s proportions."""
SOURCE_5D = REFERRAL_SOURCES.index("5D")
SOURCE_5B = REFERRAL_SOURCES.index("5B")

PRIMARY_NEEDS = ("N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
_NEED_W = np.array([2.0, 56.0, 9.0, 3.0, 8.0, 14.0, 2.0, 0.5, 2.0, 3.5])
# Primary need of a referral, by whether it is a re-referral within 12 months: the re-referrals'
# needs follow their published shares (re-referrals release A6, 2017: N1 52.5%, N2 2.4%, N3 2.4%,
# N4 8.9% of re-referrals, N0 9.3%, which the NFA re-referrals, recorded with no need, already fill:
# 10% of the re-referrals; N5-N9 the remaining 24.5% in their shares of ``_NEED_W``); other
# referrals make up the difference, so that all referrals keep ``_NEED_W`` (re-referrals are 22%
# of the referrals that are not NFA, measured on 20 LAs in 2017).
_RR_NEED_A6 = np.array([0.0, 52.5, 2.4, 2.4, 8.9])
_RR_NEED_A6_N0 = 9.3  # published N0; drawn as 0 above, the NFA re-referrals fill it
_RR_SHARE_ASSESSED = 0.222


def _need_weights() -> np.ndarray:
    """Rows: need weights of referrals that are not re-referrals (0) and of re-referrals (1)."""
    rest = _NEED_W[5:] / _NEED_W[5:].sum() * (100.0 - _RR_NEED_A6_N0 - _RR_NEED_A6[1:].sum())
    rr = np.concatenate([_RR_NEED_A6, rest])
    rr = rr / rr.sum()
    other = (_NEED_W / _NEED_W.sum() - _RR_SHARE_ASSESSED * rr) / (1.0 - _RR_SHARE_ASSESSED)
    return np.array([other, rr])


NEED_W_ROWS = _need_weights()

ETHNICITIES = tuple(c.code for c in spec.ETHNICITY)
# Ethnicity: ``_ETH_W`` is the prior of each LA's own mix (a Dirichlet draw around it); the mix is
# then scaled so that each major group (spec.ETHNIC_GROUPS) takes its share of England's children
# in need at 31 March 2020 born by then (A4: 382,400 children, the total less the unborn row;
# White 265,310, Mixed 32,570, Asian 27,470, Black 32,070, Other 12,780, not known 12,200).
# Scaling after the draw keeps the random numbers. Unborn children: UNBORN_PENDING_BY_CODE.
_ETH_W = {"WBRI": 66.0, "WIRI": 0.3, "WIRT": 0.2, "WOTH": 6.0, "WROM": 0.7, "MWBC": 2.5,
          "MWBA": 1.0, "MWAS": 1.0, "MOTH": 3.0, "AIND": 1.2, "APKN": 3.0, "ABAN": 1.3,
          "AOTH": 1.5, "BCRB": 1.2, "BAFR": 3.5, "BOTH": 1.2, "CHNE": 0.2, "OOTH": 2.5,
          "REFU": 0.5, "NOBT": 3.0}
ETH_GROUP_SHARE = {"White": 69.38, "Mixed": 8.52, "Asian or Asian British": 7.18,
                   "Black or Black British": 8.39, "Other ethnic groups": 3.34, "Unknown": 3.19}
ETH_GROUP_OF_CODE = tuple(next(g for g, codes in spec.ETHNIC_GROUPS if code in codes) for code in ETHNICITIES)
"""Major ethnic group of each ethnicity code (``ETHNICITIES`` order)."""
_ETH_GROUP_FACTOR = np.array([
    ETH_GROUP_SHARE[g] / 100 / (sum(_ETH_W[c] for c in codes) / sum(_ETH_W.values()))
    for g in ETH_GROUP_OF_CODE for group, codes in spec.ETHNIC_GROUPS if group == g])
ETH_NOT_OBTAINED = ETHNICITIES.index("NOBT")
A4_2020_BORN_BY_GROUP = np.array([265310, 32570, 27470, 32070, 12780, 12200], float)
"""England's born children in need at 31 March 2020 by major ethnic group (``spec.ETHNIC_GROUPS``
order): A4's total row less its unborn row (unknown: those not of known ethnicity)."""


def la_ethnic_mix(rng) -> np.ndarray:
    """An LA's weights of the ethnicity codes (``ETHNICITIES`` order): a Dirichlet draw around
    ``_ETH_W``, scaled by ``_ETH_GROUP_FACTOR``. The first draw of the LA's random numbers, so
    :func:`sex_year_quotas` can draw the same mix before the LA is simulated."""
    eth_w = np.array([_ETH_W[c] for c in ETHNICITIES])
    return (rng.dirichlet(eth_w / eth_w.sum() * 300.0) + 1e-9) * _ETH_GROUP_FACTOR
_A4_2020_UNBORN_BY_GROUP = {"White": 2760, "Mixed": 370, "Asian or Asian British": 180,
                            "Black or Black British": 190, "Other ethnic groups": 90}
_A4_2020_UNBORN = 6860
"""England's unborn children in need at 31 March 2020 (A4): 6,860, of whom 3,590 of known
ethnicity, by major group. An unborn child's ethnicity is drawn like any child's, so the
unborn in the returns have the mix of all children (``ETH_GROUP_SHARE``) before some are
recorded as not yet obtained: White and Mixed more often known, Asian, Black and Other less."""


def _unborn_pending_by_code() -> np.ndarray:
    """Chance, by ethnicity code, that an unborn child's return says "not yet obtained": one minus
    the published share of the unborn recorded in the child's major group over that group's share
    of all children (0 for refused and not obtained, which stay as they are)."""
    out = np.zeros(len(ETHNICITIES))
    for i, group in enumerate(ETH_GROUP_OF_CODE):
        if group in _A4_2020_UNBORN_BY_GROUP:
            known = _A4_2020_UNBORN_BY_GROUP[group] / _A4_2020_UNBORN / (ETH_GROUP_SHARE[group] / 100)
            out[i] = 1.0 - min(known, 1.0)
    return out


UNBORN_PENDING_BY_CODE = _unborn_pending_by_code()
"""Per ethnicity code (``ETHNICITIES`` order): share of unborn children whose ethnicity the return
gives as not yet obtained while they are unborn (A4 2020: 3,590 of 6,860 unborn children of known
ethnicity, White 42% pending, Black 67%; born children 97% known)."""

# Sex: the uniform drawn for each child at its first referral decides it at the end of the
# simulation (``settle_sex``), when its plans are known. England 2020 (A4, A5), the one year DfE
# publishes by sex, ethnic group and category: of children in need at 31 March (unborn aside)
# 45.0% female and 0.24% unknown or indeterminate, of those on a child protection plan 48.7% female
# and 0.14% unknown; by major ethnic group from 46.4% female (White) to 29.9% (Other), 1.9% of
# those of unknown ethnicity of unknown sex; of the born children of known sex on a plan, by its
# initial category, from 60.3% female (sexual abuse) to 44.9% (physical abuse).
SEX_MALE, SEX_FEMALE, SEX_UNKNOWN = 0, 1, 2
SEX_YEAR = 2020
"""The census year whose children in need and plans at 31 March A4 and A5 give by sex."""
P_SEX_UNKNOWN_PLAN, P_SEX_UNKNOWN_NO_PLAN = 0.0014, 0.0030
_A4_2020_SEX_BY_GROUP = {  # female, male, unknown or indeterminate (born children in need)
    "White": (123210, 141580, 520), "Mixed": (15010, 17510, 50),
    "Asian or Asian British": (11570, 15850, 60), "Black or Black British": (12680, 19330, 60),
    "Other ethnic groups": (3830, 8930, 20), "Unknown": (5740, 6230, 230)}
_A5_2020_SEX_BY_CATEGORY = (  # female, male: born children of known sex on a plan, CATEGORIES order
    (12080, 13050), (1670, 2050), (1170, 770), (8950, 9170), (610, 690))
GROUP_OF_CODE = np.array([[g for g, _ in spec.ETHNIC_GROUPS].index(group) for group in ETH_GROUP_OF_CODE])
"""Index of each ethnicity code's major group in ``spec.ETHNIC_GROUPS``."""
FEMALE_SHARE_BY_GROUP = np.array([f / (f + m + u) for f, m, u in
                                  (_A4_2020_SEX_BY_GROUP[g] for g, _ in spec.ETHNIC_GROUPS)])
FEMALE_SHARE_BY_CATEGORY = np.array([f / (f + m) for f, m in _A5_2020_SEX_BY_CATEGORY])


def _unknown_sex_factors() -> np.ndarray:
    """Unknown-sex factor by ethnicity code: its group's published share over the share of all."""
    tot = np.array(list(_A4_2020_SEX_BY_GROUP.values()), float)
    share = tot[:, 2] / tot.sum(axis=1)
    return np.array([share[list(_A4_2020_SEX_BY_GROUP).index(g)] for g in ETH_GROUP_OF_CODE]) \
        / (tot[:, 2].sum() / tot.sum())


SEX_UNKNOWN_BY_CODE = _unknown_sex_factors()

# England's small cells of A4 and A5 in SEX_YEAR: unknown sex by ethnic group and by category,
# the unborn by ethnic group and by category. A cell of a few dozen children spread over 150 LAs
# is a fraction of a child in each: rounded LA by LA, England's count drifts by about the square
# root of the count (7 on 50). So these are allocated nationally (:func:`allocate`): each LA gets
# a whole count, within one of its share, and England's count is the published one.
A4_2020_UNKNOWN_SEX_BY_GROUP = np.array([520, 50, 60, 60, 20, 220], float)
"""Born children in need at 31 March 2020 of unknown or indeterminate sex by major ethnic group
(``spec.ETHNIC_GROUPS`` order): A4's White 520, Mixed 50, Asian 60, Black 60, Other 20 as
published, and of unknown ethnicity the published 930 in all less those (A4's 700 of known
ethnicity is rounded separately from the groups, which sum to 710)."""
A5_2020_UNKNOWN_SEX_BY_CATEGORY = np.array([40, 10, 0, 20, 0], float)
"""Born children on a plan at 31 March 2020 of unknown or indeterminate sex by initial category
(``CATEGORIES`` order): A5's neglect 40, physical 10, emotional 20 as published; sexual abuse and
multiple are suppressed ("c"), and the three published already add to the published 70."""


@dataclass(frozen=True)
class SexYearQuota:
    """One LA's whole counts of England's small cells in ``SEX_YEAR`` (:func:`sex_year_quotas`)."""

    unknown_by_group: np.ndarray  # born children in need at 31 March of unknown sex, by major group
    unknown_on_plan: np.ndarray   # of them on a plan, by the plan's initial category
    unborn_known: np.ndarray      # unborn children in need of recorded ethnicity, by major group
    unborn_plans: np.ndarray      # unborn children's plans, by initial category (neglect: the rest)
    born_by_group: np.ndarray     # born children in need at 31 March, by major group (White: the rest)
    female_on_plan: np.ndarray    # born girls on a plan at 31 March, by initial category (neglect: settle_sex)
    plans_by_category: np.ndarray  # plans at 31 March, by initial category (neglect: the rest)
    unborn: np.ndarray            # unborn children in need at 31 March, and of them on a plan


def allocate(total: np.ndarray, weight: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole counts ``[LA, cell]``: each cell's national ``total`` shared in proportion to the LAs'
    ``weight`` and rounded systematically along the LAs (one uniform of ``u`` per cell), so an LA's
    count is within one of its share and the LAs' counts add to the total rounded (a whole total
    exactly)."""
    cum = np.floor(np.cumsum(weight[:, None] / weight.sum() * total[None, :], axis=0) + u[None, :])
    return np.diff(cum, axis=0, prepend=np.zeros((1, len(total)))).astype(np.int64)


def allocate_within(total: np.ndarray, weight: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole counts ``[LA, cell]`` whose sum over the cells is each LA's share of the total, within
    one (:func:`allocate`), and whose cells add to ``total`` (rounded systematically to whole
    counts, one uniform of ``u`` per cell, and the first for the LAs): the total's units are laid
    out cell by cell, interleaved in proportion, and each LA takes its run of them. A small LA
    then holds at most its share of the units, whatever the cells, where independent allocations
    can give it one of each."""
    whole = allocate(total, np.ones(1), u)[0]
    per_la = allocate(np.array([float(whole.sum())]), weight, u[:1])[:, 0]
    pos = np.concatenate([(np.arange(n) + 0.5) / n for n in whole])
    units = np.repeat(np.arange(len(whole)), whole)[np.argsort(pos, kind="stable")]
    edges = np.concatenate([[0], np.cumsum(per_la)])
    return np.array([np.bincount(units[a:b], minlength=len(whole)) for a, b in zip(edges[:-1], edges[1:])])


def sex_year_quotas(at31: dict[str, float], cpp_at31: dict[str, float], scale: float,
                    seed: int) -> dict[str, SexYearQuota]:
    """Each LA's :class:`SexYearQuota`: England's targets (times ``scale``) allocated in proportion
    to the LAs' children in need at 31 March ``SEX_YEAR`` (``at31``) or on a plan (``cpp_at31``),
    the born children by group to the children in need times the LA's share of the group in its
    mix (:func:`la_ethnic_mix`, drawn from ``seed``), LAs in code order. The same for any subset of
    LAs generated, so an LA's returns do not depend on which others are asked."""
    las = sorted(at31)
    stock = np.array([at31[la] for la in las], float)
    plans = np.array([cpp_at31.get(la, 0.0) for la in las], float)
    rng = np.random.default_rng([int(seed), 5])
    unborn = np.array([_A4_2020_UNBORN_BY_GROUP[g] for g, _ in spec.ETHNIC_GROUPS[:-1]] + [0.0])
    parts = [allocate(A4_2020_UNKNOWN_SEX_BY_GROUP * scale, stock, rng.random(len(A4_2020_UNKNOWN_SEX_BY_GROUP)))]
    parts += [allocate_within(target * scale, weight, rng.random(len(target))) for target, weight in (
        (A5_2020_UNKNOWN_SEX_BY_CATEGORY, plans), (unborn, stock))]
    # the unborn's plans but neglect (the rest): an LA has a few unborn children on a plan at most
    small = _A5_2020_UNBORN_BY_CATEGORY.copy()
    small[0] = 0.0
    parts.append(allocate_within(small * scale, plans, rng.random(len(small))))
    groups = len(spec.ETHNIC_GROUPS)
    mix = np.array([np.bincount(GROUP_OF_CODE, la_ethnic_mix(np.random.default_rng([int(seed), int(la)])),
                                minlength=groups) for la in las])
    share = stock[:, None] * mix / mix.sum(axis=1, keepdims=True)
    u = rng.random(groups)
    parts.append(np.stack([allocate(A4_2020_BORN_BY_GROUP[g:g + 1] * scale, share[:, g], u[g:g + 1])[:, 0]
                           for g in range(groups)], axis=1))
    # girls on a neglect plan are not allocated: settle_sex takes their share of the LA's neglect plans
    girls = np.where(np.arange(len(A5_2020_FEMALE_ON_PLAN)) == 0, 0.0, A5_2020_FEMALE_ON_PLAN)
    for target in (girls, np.array(_CAT_STOCK_BY_YEAR[SEX_YEAR], float)):
        parts.append(allocate(target * scale, plans, rng.random(len(target))))
    parts.append(np.stack([allocate(np.array([_A4_2020_UNBORN * scale]), stock, rng.random(1))[:, 0],
                           allocate(np.array([_A5_2020_UNBORN_BY_CATEGORY.sum() * scale]), plans, rng.random(1))[:, 0]],
                          axis=1))
    return {la: SexYearQuota(*(p[i] for p in parts)) for i, la in enumerate(las)}

DISABILITIES = tuple(c.code for c in spec.DISABILITY if c.code != "NONE")
_DIS_W = np.array([6.0, 2.0, 5.0, 4.0, 14.0, 18.0, 2.0, 1.5, 14.0, 1.0, 18.0, 9.0])

CLOSURE_REASONS = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9")
RC = {c: i for i, c in enumerate(CLOSURE_REASONS)}

CATEGORIES = ("NEG", "PHY", "SAB", "EMO", "MUL")
# Initial category of abuse of a plan, by the census year of its start. The targets are England's
# plans at 31 March by initial category (A6, 2016-2020: neglect, physical, sexual, emotional,
# multiple; 2016's before, 2020's after). A year's stock holds plans started in it (83%), in the year
# before (15%) and earlier (2%) (the generated D5 bands), so the shares of the plans starting in
# each year are those that make the stock meet the targets: the categories changing over the
# years, the shares of the starts run ahead of the stock's.
_CAT_STOCK_BY_YEAR = {2016: (23150, 4200, 2370, 17770, 2810), 2017: (24590, 3950, 2260, 17280, 3010),
                      2018: (25820, 4120, 2180, 18860, 2820), 2019: (25330, 4170, 2230, 18460, 2070),
                      2020: (26010, 3820, 1970, 18380, 1330)}
_STOCK_BY_START = (0.83, 0.15, 0.02)
_CAT_W_FIRST, _CAT_W_LAST = min(_CAT_STOCK_BY_YEAR), 2030


def category_stock_shares(year: int) -> np.ndarray:
    """England's shares of the plans open at 31 March by initial category in census ``year``
    (A6, :data:`_CAT_STOCK_BY_YEAR`; the first year's before it, the last year's after)."""
    v = np.array(_CAT_STOCK_BY_YEAR[min(max(year, min(_CAT_STOCK_BY_YEAR)), max(_CAT_STOCK_BY_YEAR))], float)
    return v / v.sum()


def _start_category_weights() -> np.ndarray:
    """Shares of the initial categories of plans starting in each year ``_CAT_W_FIRST``..``_CAT_W_LAST``
    (rows), solved from the stock targets year by year (steady before the first year)."""
    target = category_stock_shares
    a, b, c = _STOCK_BY_START
    rows = [target(_CAT_W_FIRST)] * 2
    for y in range(_CAT_W_FIRST, _CAT_W_LAST + 1):
        w = np.maximum((target(y) - b * rows[-1] - c * rows[-2]) / a, 1e-4)
        rows.append(w / w.sum())
    return np.array(rows[2:])


_CAT_W_ROWS = _start_category_weights()

UPN_UNKNOWN_SCHOOL = ("UN2", "UN3", "UN4", "UN5", "UN6")
_UNK_W = np.array([3.0, 1.0, 3.0, 1.0, 2.0])

# Assessment factors: one bit per code (code-set order, "21" last).
FACTOR_CODES = tuple(c.code for c in spec.ASSESSMENT_FACTORS if c.code != "21") + ("21",)
FACTOR_BIT = {c: i for i, c in enumerate(FACTOR_CODES)}
BIT_21 = FACTOR_BIT["21"]
_PRIVATE_FOSTER = ("8B", "8C", "8D", "8E", "8F")
_PRIVATE_FOSTER_W = (0.1, 0.1, 0.15, 0.4, 0.25)

# CPP length (days, uniform within a band) before the LA-year's duration scale. Fitted (least
# squares, weights >= 0) so that a steady inflow of plans gives England's D5 stock at 31 March per
# plan started in each band (2014-2024: 89, 72, 77, 43 and 6 plan-days), with the published 2025
# shares of plans ending by duration (16, 11, 44, 25, 4%) as a weak prior: the two cannot both hold
# in a steady state (the ending shares give 11% more plan-days than the stock shows), and the
# stock is what D5 publishes. The earlier ending shares alone gave D5 2 years+ 27-38% low.
_CPP_BANDS = ((7, 91, 0.083), (92, 182, 0.263), (183, 365, 0.456), (366, 730, 0.164), (731, 1095, 0.035))
# Age at first referral (years): (low, high, weight); unborn handled separately.
_AGE_BANDS = ((0, 1, 11.0), (1, 5, 20.0), (5, 10, 28.0), (10, 16, 32.0), (16, 18, 9.0))
# Children first referred before birth (born 1-249 days after the referral): England's unborn
# children in need at 31 March are 1.6-1.8% of all (1.76% in 2020, A4), on a plan 2.4% (A5 2020),
# a section 47 enquiry being likelier for them. Set so that the unborn in need at 31 March 2020
# (6,860) and on a plan (1,220) came near A4 and A5 on the national run before any settlement
# (seed 11: 0.088 and 1.35 gave 6,664 and 1,276; 0.0906 and 1.25 gave 6,824 and 1,168; other
# changes to the random numbers moved the plans by 10%); _settle_unborn now meets both in every
# LA-year, and these keep enough children near 31 March for it to move.
P_UNBORN = 0.0906
UNBORN_S47 = 1.29
UNBORN_MAX_DAYS = 249
"""A child first referred before birth is born 1 to this many days after that referral."""
# Assessment length in working days from its start to its authorisation (C2 bands): (first, last
# working day of the band, national share %), the 2025 release's England figures (2024's are not
# published; LAIT gives each LA-year's share within 45 working days, which rescales the bands).
_ASSESS_BANDS = ((0, 0, 1.80), (1, 10, 11.65), (11, 20, 17.29), (21, 30, 15.76), (31, 40, 20.25),
                 (41, 45, 18.92), (46, 50, 5.80), (51, 60, 4.29), (61, 61, 4.24))
_ASSESS_WITHIN_45 = 6  # the first six bands are within 45 working days
ASSESS_TAIL_MEAN = 20.0  # working days beyond 60 of the 61+ band (exponential), at most 140


def assessment_band_weights(within_45: float) -> np.ndarray:
    """C2 band probabilities with ``within_45`` (a share) of assessments in the first six bands."""
    w = np.array([b[2] for b in _ASSESS_BANDS])
    p = min(max(within_45, 0.05), 0.995)
    w[:_ASSESS_WITHIN_45] *= p / w[:_ASSESS_WITHIN_45].sum()
    w[_ASSESS_WITHIN_45:] *= (1 - p) / w[_ASSESS_WITHIN_45:].sum()
    return w


MAX_DELAY = 120  # days from referral to the start of its assessment, at most (awaiting assessment
#                  reached 7% of children in need at 31 March in 2014-2016: 40 days could not give it)
P_ONLY21 = 0.6  # not-in-need assessments with factor 21 alone, where C3 is not published
P_LONG_RETURN = 0.30  # child comes back (after > 12 months) once an episode is over
LONG_RETURN_MEAN_DAYS = 700.0

DURATION_BANDS = ("le3m", "3to6m", "6to12m", "1to2y", "2yplus")
"""B4/B5 duration bands in calendar months (facts.duration_band): 3 months or less, more than 3 and
up to 6 months, more than 6 months and less than 1 year, 1 year and less than 2 years, 2 years or
more."""
B5_ENGLAND = np.array([47.5, 14.8, 15.7, 12.2, 9.8]) / 100.0
"""England's 2024 B5 shares (LAIT CINCease*): a calibration row without LAIT band shares uses them."""


def to_day(d: _dt.date) -> int:
    return (d - EPOCH).days


def months_back(days: np.ndarray, k: int) -> np.ndarray:
    """Each day less ``k`` calendar months, as DuckDB's ``day - INTERVAL k MONTH`` (the day of the
    month clipped to the end of a shorter month: 31 May less 3 months is 28 or 29 February).

    Days from 1900 to 2100 are looked up in a table of :func:`_months_back` made once per ``k``
    (NumPy's day-to-month conversions were a seventh of a generation); other days are computed."""
    days = np.asarray(days, dtype=np.int64)
    if days.size and days.min() >= _TABLE_FIRST_DAY and days.max() < _TABLE_END_DAY:
        return _months_back_table(int(k))[days - _TABLE_FIRST_DAY]
    return _months_back(days, k)


_TABLE_FIRST_DAY = (_dt.date(1900, 1, 1) - EPOCH).days
_TABLE_END_DAY = (_dt.date(2101, 1, 1) - EPOCH).days


@functools.lru_cache(maxsize=None)
def _months_back_table(k: int) -> np.ndarray:
    table = _months_back(np.arange(_TABLE_FIRST_DAY, _TABLE_END_DAY, dtype=np.int64), k)
    table.flags.writeable = False
    return table


def _months_back(days: np.ndarray, k: int) -> np.ndarray:
    """:func:`months_back` computed."""
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = dt.astype("datetime64[M]")
    dom = (dt - month.astype("datetime64[D]")).astype(np.int64)
    back = month - k
    length = ((back + 1).astype("datetime64[D]") - back.astype("datetime64[D]")).astype(np.int64)
    return (back.astype("datetime64[D]") + np.minimum(dom, length - 1)).astype(np.int64)


def duration_band(since: np.ndarray, on: np.ndarray) -> np.ndarray:
    """B4/B5/D5 band (1-5, :data:`DURATION_BANDS`) of something that began on ``since``, at
    ``on``, in calendar months back from ``on``, exactly as ``facts.duration_band``."""
    since = np.asarray(since, dtype=np.int64)
    on = np.asarray(on, dtype=np.int64)
    return np.select([since >= months_back(on, 3), since >= months_back(on, 6),
                      since > months_back(on, 12), since > months_back(on, 24)],
                     [1, 2, 3, 4], 5).astype(np.int64)


def band_starts(since: np.ndarray) -> np.ndarray:
    """First day ``on`` at which :func:`duration_band` (``since``, ``on``) reaches bands 2, 3, 4
    and 5: an array (n, 4). Band ``b`` runs from column ``b - 2`` (band 1 from ``since``) to the
    day before column ``b - 1``."""
    since = np.asarray(since, dtype=np.int64)
    dt = since.astype("datetime64[D]")
    out = np.empty((len(since), 4), np.int64)
    for j, k in enumerate((3, 6, 12, 24)):
        # ``since`` plus k months (clipped) is within a few days of the first day of the band
        month = dt.astype("datetime64[M]")
        dom = (dt - month.astype("datetime64[D]")).astype(np.int64)
        fwd = month + k
        length = ((fwd + 1).astype("datetime64[D]") - fwd.astype("datetime64[D]")).astype(np.int64)
        guess = (fwd.astype("datetime64[D]") + np.minimum(dom, length - 1)).astype(np.int64)
        cand = guess[:, None] + np.arange(-3, 6)[None, :]
        band = duration_band(np.repeat(since, cand.shape[1]), cand.ravel()).reshape(cand.shape)
        out[:, j] = cand[np.arange(len(since)), np.argmax(band >= j + 2, axis=1)]
    return out


def period(year: int) -> tuple[int, int]:
    """(1 April, 31 March) of census ``year`` as day numbers."""
    a, b = spec.census_period(year)
    return to_day(a), to_day(b)


def month_of_day(days: np.ndarray) -> np.ndarray:
    """Calendar month (1-12) of each day number."""
    return (np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1


def is_rereferral(ref: np.ndarray, prev_ref: np.ndarray) -> np.ndarray:
    """A referral within 12 calendar months of the child's previous one in the LA (366 days when
    the year back holds 29 February), as ``lcd.referral.rereferral_12m`` counts it."""
    return (prev_ref != NONE) & (prev_ref >= months_back(ref, 12))


def year_of_day(days: np.ndarray) -> np.ndarray:
    """Census (reporting) year containing each day number."""
    y = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    return np.where(month_of_day(days) >= 4, y + 1, y)


WORKDAYS = np.busdaycalendar(holidays=np.array(sorted(bank_holidays()), dtype="datetime64[D]"))
"""Working days as the tables count them (facts.working_days): Monday to Friday, not an England
and Wales bank holiday."""


def busday_add(days: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Add ``n`` working days to each day; the result is always a working day."""
    dt = days.astype("datetime64[D]")
    return np.busday_offset(dt, n, roll="forward", busdaycal=WORKDAYS).astype("int64")


ICPC_TARGET_WORKING_DAYS = 15


def icpc_target_day(s47_start: np.ndarray) -> np.ndarray:
    """An S47's ICPC target date: 15 working days after its start."""
    s47_start = np.asarray(s47_start, dtype=np.int64)
    return busday_add(s47_start, np.full(len(s47_start), ICPC_TARGET_WORKING_DAYS))


def working_days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working days after ``start`` up to and including ``end``, as facts.working_days counts them
    (the inverse of :func:`working_days_after`)."""
    return np.busday_count((np.asarray(start) + 1).astype("datetime64[D]"),
                           (np.asarray(end) + 1).astype("datetime64[D]"), busdaycal=WORKDAYS)


def working_days_after(days: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The day that is exactly ``n`` working days after each day, counted as facts.working_days
    counts them (working days after the day up to and including the result): a day that is not a
    working day counts from the working day before it; ``n = 0`` is the day itself."""
    dt = days.astype("datetime64[D]")
    moved = np.busday_offset(dt, n, roll="backward", busdaycal=WORKDAYS).astype("int64")
    return np.where(n == 0, days, moved)


# ------------------------------------------------------------------ targets
TARGET_COLUMNS = ("referrals", "re_referrals", "nfa", "not_in_need", "at31_episodes",
                  "awaiting_assessment", "s47", "icpc", "icpc_0_10", "icpc_11_15", "icpc_16_20",
                  "icpc_21_plus", "cpp_start", "cpp_subsequent", "cpp_at31")


@dataclass
class YearTargets:
    """Calibration targets of one LA-year (counts already multiplied by ``scale``)."""

    referrals: float
    rr_share: float
    nfa_share: float
    nin_share: float
    at31: float
    awaiting: float
    s47: float
    icpc: float
    icpc_bands: np.ndarray
    cpp_start: float
    sub_share: float
    cpp_at31: float
    factor_p: np.ndarray  # probability of each factor bit on an in-need assessment
    assess_bands: np.ndarray = field(default_factory=lambda: assessment_band_weights(0.845))
    cpp_reviewed: float = 0.9   # plans at 31 March (3 months or more) reviewed within timescales (D6)
    child_share: float = 0.885  # children referred / referrals (same-year repeats make the gap)
    s47_repeat: float = 0.15    # S47s per child with one in the year, less 1 (C4)
    rr_repeat: float = 0.2      # re-referrals per child re-referred in the year, less 1 (C1)
    ewf: float | None = None    # episodes with an assessment factor (C3), when published
    b5_shares: np.ndarray = field(default_factory=lambda: B5_ENGLAND.copy())  # episodes of need
    #                                ending by duration band (B5, LAIT), shares summing to 1
    cpp_bands: np.ndarray | None = None  # plans at 31 March by D5 duration band (counts), when published
    b4_shares: np.ndarray | None = None  # episodes open at 31 March by duration band (B4, LAIT),
    #                                      shares summing to 1, when published
    d7_long: float | None = None  # share of the plans ending that lasted over 729 days (D7, LAIT), when published
    source_w: np.ndarray = field(default_factory=lambda: _SOURCE_W / _SOURCE_W.sum())  # by code, sum 1
    started: float = 0.0   # episodes of need starting in the year (B1)
    anypoint: float = 0.0  # episodes of need open at any point in the year (B1)


def _share(num, den, default):
    try:
        num, den = float(num), float(den)
    except (TypeError, ValueError):
        return default
    if not np.isfinite(num) or not np.isfinite(den) or den <= 0:
        return default
    return min(max(num / den, 0.0), 1.0)


def factor_probabilities(row: dict, year: int) -> np.ndarray | None:
    """Per-bit factor probabilities from a calibration row (None if the row has no factors)."""
    ep = row.get("episodes_with_factor")
    if ep is None or not np.isfinite(float(ep)) or float(ep) <= 0:
        return None
    p = np.zeros(len(FACTOR_CODES))
    for code in FACTOR_CODES:
        if code == "21":
            continue
        key = "factor_privately_fostered" if code in _PRIVATE_FOSTER else f"factor_{code}"
        v = row.get(key)
        if v is None or not np.isfinite(float(v)):
            continue
        v = float(v) / float(ep)
        if code in _PRIVATE_FOSTER:
            v *= _PRIVATE_FOSTER_W[_PRIVATE_FOSTER.index(code)]
        p[FACTOR_BIT[code]] = min(v, 0.95)
    # burn-in years before 2012-13 use the 2012-13 codes (their assessments show from 2012-13)
    valid = set(spec.codes("AssessmentFactors", max(int(year), spec.FIRST_YEAR)))
    for code in FACTOR_CODES:
        if code not in valid:
            p[FACTOR_BIT[code]] = 0.0
    # 18A/19A stay valid after their 2020-21 split (queried from 2024-25): LAs that still record
    # them keep their published share (capping them per LA lost 85% of them nationally)
    return p


def source_weights(row: dict) -> np.ndarray:
    """P(each referral source code) for an LA-year: the :data:`SOURCE_GROUP_TARGETS` groups on the
    row's LAIT shares, the other codes on the rest in :data:`_SOURCE_W`'s proportions (England's
    default where a share is missing or the shares leave under 5% to the rest)."""
    w = _SOURCE_W / _SOURCE_W.sum()
    shares = []
    for col, codes in SOURCE_GROUP_TARGETS:
        try:
            v = float(row.get(col))
        except (TypeError, ValueError):
            return w
        if not np.isfinite(v) or v < 0:
            return w
        shares.append((v / 100.0, [REFERRAL_SOURCES.index(c) for c in codes]))
    rest = 1.0 - sum(v for v, _ in shares)
    if rest < 0.05:
        return w
    out = np.array(w)
    grouped = np.zeros(len(w), bool)
    for v, idx in shares:
        out[idx] = w[idx] / w[idx].sum() * v
        grouped[idx] = True
    out[~grouped] = w[~grouped] / w[~grouped].sum() * rest
    return out


def stratified_pick(rng, p: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws of the categories of ``p`` whose counts are ``p * n`` to within two, in random
    order: the uniforms of :func:`_pick` (the same random numbers, so nothing else drawn after
    changes), each moved into its rank's stratum of [0, 1)."""
    u = rng.random(n)
    if n == 0:
        return np.zeros(0, np.int64)
    rank = np.argsort(np.argsort(u))
    r = (rank + np.modf(u * n)[0]) / n
    return np.minimum(np.searchsorted(np.cumsum(p / p.sum()), r, side="right"), len(p) - 1)


NIN_GAP_SHARE = 0.50
"""Share of an LA-year's conflicting referrals (:func:`year_targets`: referrals less NFA, not in
need and episodes started, where above 2% of referrals) that the generator closes as not in need;
the rest open episodes of need. England 2014 has 11,084 of them (Lancashire 9,102, Cornwall 1,295,
Norfolk 683), so C1's not in need and B1's episodes started cannot both be met: at this share
both national cells are within 2% of the published (through the pipeline, seed 11, 3 December
2026: 0.52 gave 131,550 against 128,910, +2.05%, and 433,780 against 425,710, +1.90%, after
the factor weights of that day moved the random numbers; half moves 247 of them from not in need
to episodes started in those LAs, +1.86% and +1.95%). The window is narrow (both within 2% only
while their sum is within 382 of the pipeline's at 0.52), and a change to the random numbers of
these LAs can take one out again."""


def year_targets(row: dict, year: int, scale: float, factor_row: dict | None) -> YearTargets:
    """Turn one calibration row into :class:`YearTargets` (``factor_row`` for years < 2018)."""
    def num(key, default=0.0):
        v = row.get(key)
        try:
            v = float(v)
        except (TypeError, ValueError):
            return default
        return v if np.isfinite(v) else default

    refs = num("referrals")
    # A few published LA-years (2014: Lancashire, Cornwall, Norfolk) count far fewer episodes
    # started than referrals less NFA and not-in-need referrals, which one definition of an
    # episode cannot give; the generator moves NIN_GAP_SHARE of the gap into not in need.
    nin = num("not_in_need")
    gap = refs - num("nfa") - nin - num("started_episodes", refs)
    if gap > 0.02 * refs:
        nin += gap * NIN_GAP_SHARE
    bands = np.array([num(c) for c in ICPC_BAND_COLUMNS])
    bands = bands / bands.sum() if bands.sum() > 0 else np.array([0.1, 0.7, 0.1, 0.1])
    d7 = num("lait_d7_2yplus_pct", -1.0)  # -1: no LAIT share for the LA-year
    fp = factor_probabilities(row, year)
    if fp is None and factor_row is not None:  # before the LA's first C3 year
        fp = factor_probabilities(factor_row, year)
        if fp is not None:
            fp = np.minimum(fp * PRE_C3_FACTOR_W, 0.95)
    if fp is None or not fp.sum() > 0:  # every authorised assessment gets factors (8897Q)
        fp = np.zeros(len(FACTOR_CODES))
        fp[FACTOR_BIT["20"]] = 0.5
    return YearTargets(
        referrals=max(refs * scale, 3.0),
        rr_share=_share(num("re_referrals"), refs, 0.22),
        nfa_share=_share(num("nfa"), refs, 0.08),
        nin_share=_share(nin, refs, 0.28),
        at31=num("at31_episodes") * scale,
        awaiting=num("awaiting_assessment") * scale,
        s47=num("s47") * scale,
        icpc=num("icpc") * scale,
        icpc_bands=bands,
        cpp_start=num("cpp_start") * scale,
        sub_share=_share(num("cpp_subsequent"), num("cpp_start"), 0.2),
        cpp_at31=num("cpp_at31") * scale,
        factor_p=fp,
        child_share=_share(num("referrals_child"), refs, 0.885),
        rr_repeat=float(np.clip(num("re_referrals") / num("re_referrals_child") - 1.0, 0.0, 1.0))
        if num("re_referrals_child") > 0 else 0.2,
        s47_repeat=float(np.clip(num("s47") / num("s47_child") - 1.0, 0.0, 1.0)) if num("s47_child") > 0 else 0.15,
        ewf=num("episodes_with_factor") * scale if num("episodes_with_factor", -1.0) > 0 else None,
        assess_bands=assessment_band_weights(num("lait_assess_within_45_pct", 84.5) / 100.0),
        cpp_reviewed=min(max(num("lait_cpp_reviewed_pct", 90.0) / 100.0, 0.0), 1.0),
        b5_shares=b5_shares(row),
        b4_shares=pre_lait_b4(lait_band_shares(row, "b4"), year),
        d7_long=d7 / 100.0 if d7 >= 0 else None,
        cpp_bands=cpp_band_counts(row, scale),
        source_w=source_weights(row),
        started=num("started_episodes") * scale,
        anypoint=num("anypoint_episodes") * scale,
    )


CPP_BAND_COLUMNS = ("cpp_at31_le3m", "cpp_at31_3to6m", "cpp_at31_6to12m", "cpp_at31_1to2y", "cpp_at31_2yplus")
"""D5's duration bands of plans open at 31 March, in :func:`duration_band` order (1-5)."""


def cpp_band_counts(row: dict, scale: float) -> np.ndarray | None:
    """Plans open at 31 March by D5 band (times ``scale``) of a calibration row, or None when a
    band is missing or they sum to nothing."""
    v = np.array([row.get(c) for c in CPP_BAND_COLUMNS], dtype=float)
    if not np.all(np.isfinite(v)) or v.sum() <= 0:
        return None
    return np.maximum(v, 0.0) * scale


def lait_band_shares(row: dict, table: str) -> np.ndarray | None:
    """The duration band shares of B4 or B5 (``table`` "b4"/"b5": LAIT ``lait_<table>_<band>_pct``)
    of a calibration row, summing to 1, or None when the row has none."""
    v = np.array([row.get(f"lait_{table}_{b}_pct") for b in DURATION_BANDS], dtype=float)
    if not np.all(np.isfinite(v)) or v.sum() <= 0:
        return None
    v = np.maximum(v, 0.0)
    return v / v.sum()


LAIT_FIRST_YEAR = 2016
"""First census year of LAIT's B4 and B5 shares; earlier years' calibration rows carry 2016's."""

PRE_LAIT_LONG = 0.9
"""Before :data:`LAIT_FIRST_YEAR` the share of the episodes open at 31 March that have lasted 2
years or more (B4) is not published; the generator settles those years' stocks on 2016's bands
with that share times this factor (the others scaled to fill the rest). Settled at 2016's own
share, the long episodes held open in 2013-2015 ended in 2016-2017: England's episodes ending
after 2 years or more were 11.4% and 11.2% against LAIT's 9.8% and 10.0%; not settled at all,
the 2015 stock held 24% of long episodes and 2016's endings 6.7%."""


def pre_lait_b4(shares: np.ndarray | None, year: int) -> np.ndarray | None:
    """B4 band shares to settle census ``year``'s stock on (:data:`PRE_LAIT_LONG` before LAIT)."""
    if shares is None or year >= LAIT_FIRST_YEAR:
        return shares
    out = shares.copy()
    out[4] = shares[4] * PRE_LAIT_LONG
    out[:4] *= (1.0 - out[4]) / max(1.0 - shares[4], 1e-12)
    return out


def b5_shares(row: dict) -> np.ndarray:
    """The B5 band shares of a calibration row (:func:`lait_band_shares`); England 2024's when the
    row has none."""
    v = lait_band_shares(row, "b5")
    return B5_ENGLAND.copy() if v is None else v


# ------------------------------------------------------------------ result containers
@dataclass
class Children:
    """One row per child ever referred in the LA during the simulation."""

    dob: np.ndarray
    sex: np.ndarray  # SEX_MALE / SEX_FEMALE / SEX_UNKNOWN once born (an unborn child's is unknown)
    eth: np.ndarray
    dis: np.ndarray  # bitmask over DISABILITIES (0 = NONE)
    has_upn: np.ndarray
    unk: np.ndarray  # index into UPN_UNKNOWN_SCHOOL when no UPN
    death: np.ndarray  # day of death or NONE
    eth_pending: np.ndarray  # ethnicity "not yet obtained" while unborn (settle_pending)


@dataclass
class Episodes:
    """One row per referral (episode of need, NFA included), in simulation order."""

    child: np.ndarray
    ref: np.ndarray
    prev_ref: np.ndarray
    source: np.ndarray
    outcome: np.ndarray
    need: np.ndarray
    a_start: np.ndarray
    a_auth: np.ndarray
    factors: np.ndarray
    s47: np.ndarray
    s47_end: np.ndarray  # day the S47 concluded (= ICPC, or ICPC not required)
    s47b: np.ndarray  # a later S47 of the same episode (no conference), or NONE
    s47b_end: np.ndarray  # day it concluded (ICPC not required)
    icpc_target: np.ndarray
    icpc: np.ndarray
    cpp_start: np.ndarray
    cpp_end: np.ndarray
    cat_init: np.ndarray
    cat_latest: np.ndarray
    n_prev_cpp: np.ndarray
    rev_first: np.ndarray
    rev_every: np.ndarray
    plan_start: np.ndarray
    plan_end: np.ndarray
    closure: np.ndarray
    reason: np.ndarray
    cin_icpc: np.ndarray  # conference recorded on the CIN details (no Section 47), or NONE

    def __len__(self) -> int:
        return len(self.ref)


@dataclass
class LASimulation:
    la: str
    first_year: int
    last_year: int
    children: Children
    episodes: Episodes
    controls: list = field(default_factory=list)  # per simulated year: controller values


class _Grow:
    """Append-only numpy column store (amortised doubling)."""

    def __init__(self, dtypes: dict[str, str], cap: int = 1024):
        self.n = 0
        self.cols = {k: np.empty(cap, dtype=t) for k, t in dtypes.items()}

    def add(self, **vals) -> np.ndarray:
        k = len(next(iter(vals.values())))
        need = self.n + k
        cap = len(next(iter(self.cols.values())))
        if need > cap:
            new = max(need, cap * 2)
            for name, arr in self.cols.items():
                grown = np.empty(new, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.cols[name] = grown
        for name, v in vals.items():
            self.cols[name][self.n: need] = v
        idx = np.arange(self.n, need)
        self.n = need
        return idx

    def view(self) -> dict[str, np.ndarray]:
        return {k: v[: self.n] for k, v in self.cols.items()}


# ------------------------------------------------------------------ the simulation
def _pick(rng, weights, n):
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _pick_rows(rng, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Like :func:`_pick`, each draw with the weights of its own row of ``weights`` (``rows``
    clipped to the table): the same one uniform number per draw as ``rng.choice``."""
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(rows))
    return (cdf[np.clip(rows, 0, len(weights) - 1)] <= u[:, None]).sum(axis=1)


def take_systematic(rng, cell: np.ndarray, key: np.ndarray, expect: np.ndarray) -> np.ndarray:
    """Which items to take, cell by cell: each cell's expected count (``expect``, cells
    0..len-1) rounded systematically (one uniform, cells in order, so any run of cells is within
    one of its expectation), taken lowest ``key`` first. ``cell``, ``key``: per item; returns a
    mask over the items."""
    k = np.diff(np.concatenate([[0.0], np.floor(np.cumsum(expect) + rng.random())])).astype(np.int64)
    return take_counts(cell, key, k)


def take_counts(cell: np.ndarray, key: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Mask over the items: in each cell ``c`` (0..len(k)-1) the ``k[c]`` items lowest on ``key``
    (all of them if fewer)."""
    order = np.lexsort((key, cell))
    sorted_cell = cell[order]
    rank = np.arange(len(cell)) - np.searchsorted(sorted_cell, np.arange(len(k)))[sorted_cell]
    take = np.zeros(len(cell), bool)
    take[order] = rank < k[sorted_cell]
    return take


RAKE_ROUNDS = 30


def settle_sex(rng, u: np.ndarray, eth: np.ndarray, dob: np.ndarray, ep: dict, t1: int,
               quota: SexYearQuota | None = None) -> np.ndarray:
    """Sex of each child from its uniform ``u``, settled on the LA's stock at 31 March ``t1``.

    Unknown or indeterminate: ``u`` at or above one less its chance (by ethnicity code, and
    whether the child was ever on a plan). Female: a chance ``F[group] * C[category]``, the
    category, for a child in the stock, that of its plan open at 31 March (none: ``C`` = 1), for
    any other child that of its latest plan (or none). ``F`` and ``C`` are raked so that the
    LA's born children in need at 31 March are female in each major group's A4 share and those
    on a plan in each category's A5 share (in expectation); then, within each (category, group)
    cell of that stock, the cells' expected female counts are rounded systematically (one
    uniform for the LA, cells in category order, so each category's count is within 1 of its
    expectation) and the children of lowest ``u`` are female; unknown or indeterminate likewise,
    before, the children of highest ``u``. With the LA's ``quota`` (``t1`` in ``SEX_YEAR``), the
    stock's unknown or indeterminate are its whole counts instead: on a plan by category, then the
    rest of each major group, highest ``u`` first; and the girls on a plan its counts by category,
    then the rest of each group its expected count less the girls on a plan (lowest ``u`` first).
    Other children are female (unknown) when ``u`` is below (at or above one less) their chance.
    ``ep``: the episodes' columns."""
    n = len(u)
    grp = GROUP_OF_CODE[eth]
    latest = latest_plan_category(n, ep["child"], ep["cpp_start"], ep["cat_init"])
    unknown = np.where(latest >= 0, P_SEX_UNKNOWN_PLAN, P_SEX_UNKNOWN_NO_PLAN) * SEX_UNKNOWN_BY_CODE[eth]
    is_unknown = u >= 1.0 - unknown
    none = len(CATEGORIES)
    cat = np.where(latest >= 0, latest, none)
    plan31 = (ep["cpp_start"] != NONE) & (ep["cpp_start"] <= t1) & (ep["cpp_end"] > t1)
    cat[ep["child"][plan31]] = ep["cat_init"][plan31]
    stock = np.zeros(n, bool)
    stock[stock_children(ep, t1)] = True
    stock &= dob <= t1
    on_plan31 = np.zeros(n, bool)
    on_plan31[ep["child"][plan31]] = True
    cat[stock & ~on_plan31] = none  # in the stock, the plan at 31 March or none
    sg, sc = grp[stock], cat[stock]
    want_g = FEMALE_SHARE_BY_GROUP * np.bincount(sg, minlength=len(FEMALE_SHARE_BY_GROUP))
    want_c = FEMALE_SHARE_BY_CATEGORY * np.bincount(sc, minlength=none + 1)[:none]
    f_g, c_c = FEMALE_SHARE_BY_GROUP.copy(), np.ones(none + 1)
    cap = 1.0 - unknown[stock]
    for _ in range(RAKE_ROUNDS):
        got = np.bincount(sc, np.minimum(f_g[sg] * c_c[sc], cap), minlength=none + 1)[:none]
        c_c[:none] *= np.where(got > 0, want_c / np.maximum(got, 1e-12), 1.0)
        got = np.bincount(sg, np.minimum(f_g[sg] * c_c[sc], cap), minlength=len(f_g))
        f_g *= np.where(got > 0, want_g / np.maximum(got, 1e-12), 1.0)
    p_female = np.minimum(f_g[grp] * c_c[cat], 1.0 - unknown)
    female = ~is_unknown & (u < p_female)
    rows = np.flatnonzero(stock)
    female[rows] = False
    if quota is None:
        # per (category, group) cell of the stock, rounded systematically: unknown or
        # indeterminate its expected count, highest u first (so the LA's count is within one of
        # its expectation), then female its expected count, lowest u first
        cell = cat[rows] * len(f_g) + grp[rows]
        expect = np.bincount(cell, p_female[rows], minlength=(none + 1) * len(f_g))
        is_unknown[rows] = take_systematic(rng, cell, -u[rows],
                                           np.bincount(cell, unknown[rows], minlength=len(expect)))
        known = ~is_unknown[rows]
        female[rows[known]] = take_systematic(rng, cell[known], u[rows[known]], expect)
    else:  # the LA's share of England's counts: unknown on a plan by category, then the rest by
        # group; girls on a plan by category, then each group's expected count less those
        plan = on_plan31[rows]
        unk = np.zeros(len(rows), bool)
        # on a plan, children of a group with no count of its own last (they would add to it)
        key = -u[rows[plan]] + 2.0 * (quota.unknown_by_group[grp[rows[plan]]] == 0)
        unk[plan] = take_counts(cat[rows[plan]], key, quota.unknown_on_plan)
        left = quota.unknown_by_group - np.bincount(grp[rows[unk]], minlength=len(f_g))
        unk[~plan] = take_counts(grp[rows[~plan]], -u[rows[~plan]], np.maximum(left, 0))
        is_unknown[rows] = unk
        girls = rows[~unk & plan]
        # neglect holds what the LA's plans miss their total by (the other categories are its
        # counts): its girls are their share of the neglect plans it has, so that girls and boys
        # share the miss
        on_plan = np.where(np.arange(none) == 0, np.rint(FEMALE_SHARE_BY_CATEGORY[0] * np.sum(cat[girls] == 0)),
                           quota.female_on_plan)
        female[girls] = take_counts(cat[girls], u[girls], on_plan)
        rest = rows[~unk & ~plan]
        want = FEMALE_SHARE_BY_GROUP * np.bincount(grp[rows], minlength=len(f_g)) \
            - np.bincount(grp[girls[female[girls]]], minlength=len(f_g))
        female[rest] = take_systematic(rng, grp[rest], u[rest], np.maximum(want, 0.0))
    return np.where(is_unknown, SEX_UNKNOWN, np.where(female, SEX_FEMALE, SEX_MALE)).astype(np.int8)


def latest_plan_category(n_children: int, child: np.ndarray, cpp_start: np.ndarray,
                         cat_init: np.ndarray) -> np.ndarray:
    """Initial category of each child's latest plan (by start; -1 for a child never on one)."""
    out = np.full(n_children, -1, np.int64)
    rows = np.flatnonzero(cpp_start != NONE)
    rows = rows[np.argsort(cpp_start[rows], kind="stable")]
    out[child[rows]] = cat_init[rows]  # the last write of a child is its latest plan
    return out


def recorded_ethnicity(children: "Children", idx: np.ndarray, t1: int) -> np.ndarray:
    """Ethnicity (index into ``ETHNICITIES``) of children ``idx`` as the return for the year ending
    on day ``t1`` records it: not yet obtained for a child still unborn then whose ethnicity is
    pending (``Children.eth_pending``, :func:`settle_pending`), else as drawn."""
    eth = children.eth[idx]
    return np.where((children.dob[idx] > t1) & children.eth_pending[idx], ETH_NOT_OBTAINED, eth)


def settle_pending(rng, eth: np.ndarray, dob: np.ndarray, ep: dict, years,
                   quota: SexYearQuota | None = None) -> np.ndarray:
    """Whether each child's ethnicity is "not yet obtained" in a return while it is unborn. A
    child is unborn at one 31 March at most. The unborn in need at 31 March of each of ``years``
    are pending in their group's chance (``UNBORN_PENDING_BY_CODE``) exactly: each group's
    expected count, rounded systematically within the LA-year (one uniform, groups in order), is
    taken by the children lowest on a fixed scramble of their number; with the LA's ``quota``, in
    ``SEX_YEAR`` the recorded ones of each group are its whole count instead (``unborn_known``),
    a group with fewer unborn children than that taking children of groups with more, who are
    given a code of the group (``eth`` changes in place). Other children (unborn children whose
    episode closed before 31 March): pending when the scramble is below the chance. ``ep``: the
    episodes' columns."""
    n, groups = len(eth), len(spec.ETHNIC_GROUPS)
    scramble = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    pending = scramble < (UNBORN_PENDING_BY_CODE[eth] * 2**32).astype(np.uint64)
    for y in years:
        t1 = period(y)[1]
        kids = stock_children(ep, t1)
        kids = kids[dob[kids] > t1]
        if len(kids) == 0:
            continue
        g = GROUP_OF_CODE[eth[kids]]
        if quota is None or y != SEX_YEAR:
            expect = np.bincount(g, UNBORN_PENDING_BY_CODE[eth[kids]], minlength=groups)
            pending[kids] = take_systematic(rng, g, scramble[kids], expect)
            continue
        if _regroup(rng, eth, kids, quota.unborn_known, -scramble[kids], np.array([_ETH_W[c] for c in ETHNICITIES])):
            g = GROUP_OF_CODE[eth[kids]]
        known = take_counts(g, scramble[kids], quota.unborn_known)
        pending[kids] = ~known & (UNBORN_PENDING_BY_CODE[eth[kids]] > 0)
    return pending


def _regroup(rng, eth: np.ndarray, kids: np.ndarray, want: np.ndarray, key: np.ndarray, mix: np.ndarray) -> int:
    """Children ``kids`` of major groups with fewer than ``want`` (per group) are made up by
    children of groups with more (each group's spare ones lowest on ``key``, taken in random
    order), who are given a code of the short group drawn in ``mix`` (per code; ``eth`` changes in
    place). Returns the children moved."""
    g = GROUP_OF_CODE[eth[kids]]
    have = np.bincount(g, minlength=len(want))
    short = np.maximum(want - have, 0)
    if not short.any():
        return 0
    spare = np.flatnonzero(take_counts(g, key, np.maximum(have - want, 0)))
    donors = spare[rng.permutation(len(spare))][:short.sum()]
    onto = np.repeat(np.arange(len(want)), short)[:len(donors)]
    on_group = GROUP_OF_CODE[None, :] == np.arange(len(spec.ETHNIC_GROUPS))[:, None]
    eth[kids[donors]] = _pick_rows(rng, np.where(on_group, mix[None, :], 0.0), onto)
    return len(donors)


def settle_ethnicity(rng, eth: np.ndarray, dob: np.ndarray, ep: dict, t1: int, quota: SexYearQuota,
                     mix: np.ndarray) -> int:
    """Give the LA's born children in need at 31 March ``t1`` its whole counts by major ethnic
    group (``quota.born_by_group``; White takes the rest of the stock): children of groups above
    their count, at random, take a code of a group below its count, drawn in the LA's ``mix``.
    ``eth`` changes in place (the child's ethnicity in every return). Returns the children moved."""
    kids = stock_children(ep, t1)
    kids = kids[dob[kids] <= t1]
    want = quota.born_by_group.copy()
    want[0] = max(len(kids) - want[1:].sum(), 0)
    return _regroup(rng, eth, kids, want, rng.random(len(kids)), mix)


def _day_weights(start: int, end: int) -> np.ndarray:
    """Relative referral intensity of each day (fewer at weekends, in August and at Christmas)."""
    days = np.arange(start, end + 1)
    dt = days.astype("datetime64[D]")
    wd = (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    w = np.where(wd >= 5, 0.25, 1.0)
    month = month_of_day(days)
    dom = (dt - dt.astype("datetime64[M]")).astype(int) + 1
    w = w * np.where(month == 8, 0.8, 1.0)
    w = w * np.where((month == 12) & (dom >= 22), 0.5, 1.0)
    return w


def _stoch_round(rng, x: float) -> int:
    x = max(float(x), 0.0)
    base = int(np.floor(x))
    return base + int(rng.random() < (x - base))


def _bisect_scale(count_fn, target: float, lo: float, hi: float, iters: int = 30) -> float:
    """Smallest-error scale in [lo, hi] for a count increasing with the scale."""
    if count_fn(lo) >= target:
        return lo
    if count_fn(hi) <= target:
        return hi
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if count_fn(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def simulate_la(la: str, targets: dict[int, YearTargets], first_year: int, last_year: int,
                seed: int, burn_in: int = BURN_IN_YEARS, start_year: int | None = None,
                quota: SexYearQuota | None = None) -> LASimulation:
    """Simulate LA ``la`` from census year ``start_year`` to 31 March ``last_year``.

    ``start_year`` defaults to ``first_year - burn_in``; :func:`cin_pipeline.synth.generate` passes
    the LA's fixed :func:`simulation_start` so that the returns do not depend on the years asked.
    ``targets`` maps every census year of the simulation (burn-in included, and the year after
    ``last_year``) to its targets. ``quota``: the LA's whole counts of England's small cells in
    ``SEX_YEAR`` (:func:`sex_year_quotas`); without it those cells are rounded within the LA.
    """
    rng = np.random.default_rng([int(seed), int(la)])
    start = first_year - burn_in if start_year is None else int(start_year)
    if start > first_year:
        raise ValueError(f"simulation start {start} after the first year wanted {first_year}")
    sim_years = list(range(start, last_year + 1))

    eth_w = la_ethnic_mix(rng)  # each LA its own mix

    ch = _Grow({"dob": "i8", "sex_u": "f8", "eth": "i1", "dis": "i4", "has_upn": "?", "unk": "i1",
                "death": "i8", "ncpp": "i2", "ext_cpp": "i1"})
    ep_cols = {"child": "i8", "ref": "i8", "prev_ref": "i8", "source": "i1", "outcome": "i1",
               "need": "i1", "a_start": "i8", "a_auth": "i8", "factors": "i8", "s47": "i8",
               "s47_end": "i8", "s47b": "i8", "s47b_end": "i8", "icpc_target": "i8", "icpc": "i8", "cpp_start": "i8",
               "cpp_end": "i8", "cat_init": "i1", "cat_latest": "i1", "n_prev_cpp": "i2",
               "rev_first": "i2", "rev_every": "i2", "plan_start": "i8", "plan_end": "i8",
               "closure": "i8", "reason": "i1", "cin_icpc": "i8"}
    # kept for the long-episode pool (_close_pool), not in the result: its 2-year day, the draw of
    # the reason for closure
    ep = _Grow({**ep_cols, "pool_from": "i8", "rc_u": "f8"}, cap=4096)

    # scheduled future referrals of known children: child, day, is re-referral within 12 months, prev referral
    pend_child = np.empty(0, np.int64)
    pend_day = np.empty(0, np.int64)
    pend_within = np.empty(0, bool)
    pend_prev = np.empty(0, np.int64)

    # controller state: multiplicative corrections learnt from the realised values of each year
    corr = {"nin": 1.10, "s47": 1.0, "icpc": 1.0, "cpp": 1.0, "cppdur": 1.0, "await": 1.2,
            "ewf": 1.0, "fmentions": 1.0, "s47b": 1.0, "chain": 2.0}
    pi_k = 3.0  # P(re-referral within 12 months) per unit of the year's same-year room share, learnt
    ext_p = 0.10
    controls = []
    gain = 0.7
    early = 1.0  # skew of the day of a re-referral within its 12 months (1 = uniform; higher = sooner)

    b5_by_year = {yy: t.b5_shares for yy, t in targets.items()}
    reviewed_by_year = {yy: t.cpp_reviewed for yy, t in targets.items()}
    base_bands = np.array([b[2] for b in _CPP_BANDS])
    base_bands = base_bands / base_bands.sum()
    # the duration scale stretches plans drawn shorter than 2 years; the 2 years+ band keeps its
    # days, so D5's 2 years+ stock does not swing with the scale (10% longer gave 50% more)
    body_mean = sum(p * (lo + hi) / 2 for (lo, hi, _), p in zip(_CPP_BANDS, base_bands) if lo < CPP_TAIL_DAY)
    tail_mean = sum(p * (lo + hi) / 2 for (lo, hi, _), p in zip(_CPP_BANDS, base_bands) if lo >= CPP_TAIL_DAY)

    def adapt(key, target, realised, lo=0.2, hi=5.0):
        if target > 0 and realised > 0:
            corr[key] = float(np.clip(corr[key] * (target / realised) ** gain, lo, hi))

    for y in sim_years:
        tg = targets[y]
        t0, t1 = period(y)
        n_days = t1 - t0 + 1

        # ---------------- referral volume: pending returns + same-year re-referrals + new children
        in_year = (pend_day >= t0) & (pend_day <= t1)
        b_child, b_day, b_prev = pend_child[in_year], pend_day[in_year], pend_prev[in_year]
        # Re-referrals are either carried in (within 12 months of a referral of last year) or
        # same-year ones, and only same-year ones make a child referred twice in the year: so the
        # carried-in ones fill the re-referral target less the same-year repeats the children
        # referred target implies; those beyond that room are cancelled (the child does not come
        # back), and the same-year ones fill the rest.
        b_within = pend_within[in_year]
        wi = np.flatnonzero(b_within)
        rr_goal = _stoch_round(rng, tg.rr_share * tg.referrals)
        rep_goal = _stoch_round(rng, (1.0 - tg.child_share) * tg.referrals)
        room_rr = max(rr_goal - rep_goal, 0)
        scheduled = len(wi)
        if len(wi) > room_rr:
            drop = np.zeros(len(b_day), bool)
            drop[rng.choice(wi, len(wi) - room_rr, replace=False)] = True
            b_child, b_day, b_prev = b_child[~drop], b_day[~drop], b_prev[~drop]
        carried = min(len(wi), room_rr)
        keep = ~in_year
        pend_child, pend_day = pend_child[keep], pend_day[keep]
        pend_within, pend_prev = pend_within[keep], pend_prev[keep]

        # the year's referrals = carried-in returns + same-year re-referrals (at most the room the
        # re-referral target leaves after the carried-in ones) + new children (the rest)
        total_goal = max(_stoch_round(rng, tg.referrals), 1)
        spawn_room = max(rr_goal - carried, 0)
        n_new = max(total_goal - len(b_day) - spawn_room, 0)
        # same-year re-referrals are the year's repeat referrals, so at most the children referred
        # target's (rep_goal): where fewer were carried in than the re-referral target leaves
        # them (the year's referrals jump), children last referred in the year before come back
        # instead (_come_back "carried", below), each one child re-referred, not a third or
        # fourth referral of a child already referred twice in the year
        same_room = min(spawn_room, rep_goal)
        # P(a referral is followed by a re-referral within 12 months): in proportion to the share
        # of the year's referrals left to same-year re-referrals (targets jump between years)
        pi_w = float(np.clip(pi_k * same_room / total_goal, 0.01, 0.95))
        w = _day_weights(t0, t1)
        w = w / w.sum()

        def new_batch(k):
            days = t0 + rng.choice(n_days, size=k, p=w)
            return _new_children(rng, ch, days, eth_w), days, np.full(k, NONE, np.int64)

        nb = new_batch(n_new)
        b_child = np.concatenate([b_child, nb[0]])
        b_day = np.concatenate([b_day, nb[1]])
        b_prev = np.concatenate([b_prev, nb[2]])

        p_nfa = tg.nfa_share
        p_nin = min(tg.nin_share * corr["nin"], 0.97 - p_nfa)
        need_refs = max(tg.referrals * (1 - p_nfa - p_nin), 1e-9)
        # a later S47 in the same episode (new concerns after the first concluded without a
        # conference): children with two or more S47s in a year (C4: 1.17 S47s per child). The
        # S47 volume and the ICPCs per S47 count them: first S47s are S47s / (1 + p_s47b x
        # P(no ICPC)), and convert at r (1 + p_s47b) / (1 + r p_s47b) for r ICPCs per S47
        p_s47b = float(np.clip(tg.s47_repeat * corr["s47b"], 0.0, 0.9))
        r_icpc = _share(tg.icpc, tg.s47, 0.35)
        p_icpc = min(0.97, r_icpc * (1 + p_s47b) / (1 + r_icpc * p_s47b) * corr["icpc"])
        p_s47 = min(0.97, tg.s47 / (1 + p_s47b * (1 - p_icpc)) / need_refs * corr["s47"])
        # the conferences the S47s can give: a few published LA-years count more ICPCs than S47s
        # (Oldham 2013: 817 and 444), and plans per published ICPC there started half the plans
        icpc_reach = min(tg.icpc, 0.97 * tg.s47)
        p_cpp = min(0.98, _share(tg.cpp_start, icpc_reach, 0.85) * corr["cpp"])
        non_nfa = max(tg.referrals * (1 - p_nfa), 1e-9)
        delay_mean = max(0.3, min(MAX_DELAY, tg.awaiting / non_nfa * 365.0 * corr["await"]))
        # episode-of-need lengths follow the year's B5 band shares; the stock at 31 March is met
        # by closing long (2 years or more) episodes from the pool at the end of the year
        nx = targets.get(y + 1, tg)
        cpp_goal = 0.6 * tg.cpp_at31 + 0.4 * nx.cpp_at31 * tg.cpp_start / max(nx.cpp_start, 1e-9)
        c_scale = float(np.clip((_share(cpp_goal, tg.cpp_start, 0.8) * 365.0 - tail_mean) / body_mean
                                * corr["cppdur"], 0.1, 6.0)) if tg.cpp_start > 0 else 1.0
        # plans beyond what the S47 conferences can start (published in some LA-years, e.g. 2014):
        # conferences recorded on the CIN details without a Section 47 (transfer-in conferences)
        direct_plans = max(0.0, tg.cpp_start - p_cpp * icpc_reach)
        p_direct = min(0.5, direct_plans / max(need_refs * (1.0 - p_s47), 1e-9))
        # assessments of children found not in need record "21 No factors identified" alone in
        # this share, the others record factors: so that the episodes with a factor (C3) come to
        # the episodes of need plus the rest of the not-in-need ones
        p_only21 = P_ONLY21 if tg.ewf is None else float(np.clip(
            1.0 - (tg.ewf * corr["ewf"] - need_refs) / max(tg.referrals * p_nin, 1e-9), 0.0, 1.0))
        params = dict(p_s47b=p_s47b, p_nfa=p_nfa, p_nin=p_nin, p_s47=p_s47, p_icpc=p_icpc, p_cpp=p_cpp,
                      p_direct=p_direct, delay_mean=delay_mean, ext_p=ext_p, pi_w=pi_w, year=y,
                      p_only21=p_only21, factor_scale=corr["fmentions"], season=plan_season(tg),
                      reviewed=reviewed_by_year)

        # the same-year re-referrals' room in two parts: the repeats (a re-referral of a child
        # already re-referred in the year: C1's re-referrals less children re-referred) and the
        # first re-referrals of a child in the year, so that the children re-referred follow C1
        # within the year, whatever the chain controller learnt from the year before
        rep_room = min(int(round(rr_goal * tg.rr_repeat / (1.0 + tg.rr_repeat))), same_room)
        first_room = same_room - rep_room
        state = {"n_year": 0, "first_room": first_room, "rep_room": rep_room, "wanted_first": 0,
                 "wanted_rep": 0, "spawned": 0}

        def run(b_child, b_day, b_prev, first: bool):
            """Draw a batch of referrals and, generation by generation, their same-year
            re-referrals (at most ``state["rep_room"]`` repeats and ``state["first_room"]`` first
            re-referrals of a child in the year: the others do not happen)."""
            nonlocal pend_child, pend_day, pend_within, pend_prev
            while len(b_day):
                order = np.lexsort((b_child, b_day))
                b_child, b_day, b_prev = b_child[order], b_day[order], b_prev[order]
                epi = _draw_episodes(rng, ch, b_child, b_day, b_prev, tg, params)
                _apply_cpp(epi, c_scale)
                _close_episodes(rng, ch, epi, b5_by_year, y)
                idx = ep.add(**{k: epi[k] for k in ep_cols}, pool_from=epi["pool_from"], rc_u=epi["rc_u"])
                state["n_year"] += len(idx)
                nxt_child, nxt_day, nxt_within, nxt_prev, nxt_rep = _schedule_next(
                    rng, ch, epi, pi_w, idx, early, corr["chain"])
                same = nxt_day <= t1
                if first:
                    state["wanted_first"] += int(np.sum(same & ~nxt_rep))
                    state["wanted_rep"] += int(np.sum(same & nxt_rep))
                keep = np.ones(len(nxt_day), bool)
                for kind, room in ((nxt_rep, "rep_room"), (~nxt_rep, "first_room")):
                    si = np.flatnonzero(same & kind)
                    if len(si) > state[room]:
                        keep[rng.choice(si, len(si) - state[room], replace=False)] = False
                    state[room] -= min(len(si), state[room])
                if not keep.all():
                    nxt_child, nxt_day, nxt_within, nxt_prev = (nxt_child[keep], nxt_day[keep],
                                                                nxt_within[keep], nxt_prev[keep])
                    same = same[keep]
                state["spawned"] += int(same.sum())
                pend_child = np.concatenate([pend_child, nxt_child[~same]])
                pend_day = np.concatenate([pend_day, nxt_day[~same]])
                pend_within = np.concatenate([pend_within, nxt_within[~same]])
                pend_prev = np.concatenate([pend_prev, nxt_prev[~same]])
                b_child, b_day, b_prev = nxt_child[same], nxt_day[same], nxt_prev[same]

        run(b_child, b_day, b_prev, True)
        # same-year rooms still open (pi_w and the chain learn a year late): children referred
        # earlier in the year, their episode over, come back (first the first re-referrals, whose
        # children may then be re-referred again)
        for _ in range(RETURN_ROUNDS):
            came = 0
            for kind, room in (("first", "first_room"), ("repeat", "rep_room")):
                if state[room] > 0:
                    back = _come_back(rng, ch, ep, pend_child, state[room], t0, t1, kind)
                    keep = ~np.isin(pend_child, back[0])  # those who came back sooner
                    pend_child, pend_day = pend_child[keep], pend_day[keep]
                    pend_within, pend_prev = pend_within[keep], pend_prev[keep]
                    state[room] -= len(back[0])
                    state["spawned"] += len(back[0])
                    came += len(back[0])
                    run(*back, False)
            if not came or not (state["first_room"] or state["rep_room"]):
                break
        # re-referrals still short of the year's target (fewer carried in than the target leaves
        # them, or too few children to come back within the year): children last referred in the
        # previous year, their episode over, come back within 12 months of that referral instead
        # of as many new children
        rr_short = min(rr_goal - carried - state["spawned"], total_goal - state["n_year"])
        if rr_short > 0:
            late = _come_back(rng, ch, ep, pend_child, rr_short, t0, t1, "carried")
            # they fill the re-referrals' room: first re-referrals of a child in the year
            took = min(len(late[0]), state["first_room"])
            state["first_room"] -= took
            state["rep_room"] = max(state["rep_room"] - (len(late[0]) - took), 0)
            run(*late, False)
        # same-year re-referrals short of their room: new children make up the volume (their own
        # re-referrals may use what room is left)
        short = total_goal - state["n_year"]
        if short > 0:
            run(*new_batch(short), False)
        spawned = state["spawned"]
        # ---------------- close long episodes so that the stock at 31 March meets its target; the
        # children's next referrals come after 31 March (the year's referrals are drawn)
        pooled = _close_pool(rng, ch, ep, tg, t0, t1)
        rows = pooled.pop("rows")
        if len(rows):
            pv = ep.view()
            nxt_child, nxt_day, nxt_within, nxt_prev, _ = _schedule_next(
                rng, ch, {k: pv[k][rows] for k in ("child", "ref", "prev_ref", "outcome", "closure")}, pi_w, rows,
                early, corr["chain"])
            pend_child = np.concatenate([pend_child, nxt_child])
            pend_day = np.concatenate([pend_day, np.maximum(nxt_day, t1 + 1)])
            pend_within = np.concatenate([pend_within, nxt_within])
            pend_prev = np.concatenate([pend_prev, nxt_prev])

        # ---------------- learn corrections from what is visible at 31 March y
        cur = ep.view()
        ref_y = (cur["ref"] >= t0) & (cur["ref"] <= t1)
        n_ref = max(int(ref_y.sum()), 1)
        # pi_w: enough first same-year re-referrals of a child to fill their room with some to
        # spare (the spare ones do not happen; a shortfall is made up by children coming back,
        # within the year where they can); with no room (carried-in ones fill the target) fewer
        # next year
        fill_first = max(state["wanted_first"], 1) / max(first_room, 1)
        fill_rep = max(state["wanted_rep"], 1) / max(rep_room, 1)
        if same_room > 0:
            fill = fill_first if first_room > 0 else fill_rep
            pi_k = float(np.clip(pi_k * (FILL_GOAL / fill) ** 0.6, 0.2, 40.0))
        # early: enough re-referrals carried into this year to fill their room with some to spare
        # (more of them come within the same year when re-referrals come sooner)
        if room_rr > 0:
            early = float(np.clip(early * (max(scheduled, 1) / room_rr / CARRY_GOAL) ** 0.7, 0.3, 8.0))
        # chain: how much likelier a re-referral is to be re-referred again, so that the repeats
        # (C1: 1.2 re-referrals per child re-referred) fill their room as the first re-referrals
        # fill theirs: the rooms cap each within the year, the chain keeps both supplied
        if first_room > 0 and rep_room > 0:
            corr["chain"] = float(np.clip(corr["chain"] * (fill_first / fill_rep) ** CHAIN_GAIN, 1.0, CHAIN_MAX))
        nin_vis = np.sum(ref_y & (cur["outcome"] == OUT_NIN) & (cur["closure"] <= t1))
        adapt("nin", tg.nin_share * n_ref, nin_vis, 1.0, 2.5)
        s47_first = (cur["s47"] >= t0) & (cur["s47"] <= t1)
        s47_later = (cur["s47b"] >= t0) & (cur["s47b"] <= t1)
        s47_real = int(s47_first.sum() + s47_later.sum())
        s47_kids = len(np.unique(np.concatenate([cur["child"][s47_first], cur["child"][s47_later]])))
        if s47_kids > 0 and tg.s47_repeat > 0:
            adapt("s47b", tg.s47_repeat, max(s47_real / s47_kids - 1.0, 1e-3), 0.05, 4.0)
        icpc_real = int(np.sum((cur["icpc"] >= t0) & (cur["icpc"] <= t1)))
        adapt("s47", tg.s47, s47_real, 0.5, 2.0)
        # conversions learn from the realised conversion, not from volumes: a volume miss upstream
        # is corrected upstream, and correcting it again downstream overshot a year later.  Plans
        # start on the ICPC date, so P(CPP | ICPC) is exact by construction (no correction).
        if s47_real > 0 and tg.s47 > 0:
            adapt("icpc", _share(tg.icpc, tg.s47, 0.35), icpc_real / s47_real, 0.5, 2.0)
        at31 = _open_at31(cur, t1)
        adapt("await", tg.awaiting, np.sum(at31 & ((cur["a_start"] == NONE) | (cur["a_start"] > t1))), 0.2, 5.0)
        auth_y = (cur["a_auth"] >= t0) & (cur["a_auth"] <= t1)
        with_factor = auth_y & ((cur["factors"] & ~(np.int64(1) << BIT_21)) != 0)
        if tg.ewf is not None:  # episodes with a factor on an assessment authorised in the year
            adapt("ewf", tg.ewf, np.sum(with_factor), 0.5, 2.0)
        if with_factor.any():
            # factors recorded per such episode: drawing at least one factor for every episode
            # adds to the draws, so the probabilities are scaled to the published mentions
            bits = (cur["factors"][with_factor][:, None] >> np.arange(BIT_21, dtype=np.int64)[None, :]) & 1
            adapt("fmentions", float(tg.factor_p[:BIT_21].sum()), float(bits.sum()) / with_factor.sum(),
                  0.5, 1.5)
        # not while the simulation is still filling its stock of plans (it starts empty, and plans
        # run up to 3 years): the controller wound up to 3x there, and the long plans it started
        # then still made the 2 years+ band of D5 years later
        if y >= start + CPP_FILL_YEARS:
            adapt("cppdur", tg.cpp_at31, np.sum((cur["cpp_start"] != NONE) & (cur["cpp_start"] <= t1)
                                                & (cur["cpp_end"] > t1)), 0.1, 5.0)
        # share of second plans arising from the child's own history -> plans elsewhere before
        cpp_rows = (cur["cpp_start"] >= t0) & (cur["cpp_start"] <= t1)
        if cpp_rows.any():
            sub_real = float(np.mean(cur["n_prev_cpp"][cpp_rows] > 0))
            # aimed at next year's share: the shares trend upwards, a lagging correction trails them
            ext_p = float(np.clip(ext_p + 0.8 * (nx.sub_share - sub_real), 0.0, 0.6))
        # ---------------- settle the stocks at 31 March y on their targets (controllers above
        # learnt from the unsettled values, so the durations keep tracking the targets)
        moved = _settle_conferences(rng, ch, ep, tg, t0, t1, c_scale)
        moved.update(_settle_icpc_bands(rng, ep, tg, t0, t1))
        moved.update(_settle_stocks(rng, ep, ch.view()["dob"], pend_child, pend_day, tg, t0, t1))
        moved.update(_settle_carry(rng, ep, carry_target(tg, nx), t1))
        moved.update(_settle_b5(rng, ep, ch.n, pend_child, pend_day, tg, t0, t1))
        moved.update(_settle_d7(rng, ep, tg, t0, t1))
        moved.update(_settle_subsequent(rng, ch, ep, tg, t0, t1))
        moved.update(_settle_categories(rng, ep, t0, t1, quota.plans_by_category
                                        if quota is not None and y == SEX_YEAR else None))
        moved.update(_settle_factors(rng, ep, tg, t0, t1, corr["fmentions"]))
        moved.update(_settle_unborn(rng, ch, ep, t1, quota if y == SEX_YEAR else None))
        controls.append(dict(year=y, n_new=n_new, pi_w=pi_w, early=early, p_direct=p_direct, carried=carried, spawned=spawned,
                             same_room=same_room, rep_room=rep_room, rep_left=state["rep_room"],
                             first_left=state["first_room"], wanted_first=state["wanted_first"],
                             wanted_rep=state["wanted_rep"],
                             c_scale=c_scale, **pooled, **moved,
                             **{f"corr_{k}": v for k, v in corr.items()}))

    chv, epv = ch.view(), ep.view()
    quota = quota if last_year >= SEX_YEAR else None
    # its own random numbers, so every count settled above stays as it is
    swap_unborn_categories(np.random.default_rng([int(seed), int(la), 1]), epv, chv["dob"], sim_years, quota)
    # their own random numbers, after the simulation: no count but the ages moves
    settle_adults(np.random.default_rng([int(seed), int(la), 4]), chv["dob"], epv, sim_years)
    if quota is not None:  # its own random numbers: no count but the ethnic groups moves
        settle_ethnicity(np.random.default_rng([int(seed), int(la), 6]), chv["eth"], chv["dob"], epv,
                         period(SEX_YEAR)[1], quota, eth_w)
    sex = settle_sex(np.random.default_rng([int(seed), int(la), 2]), chv["sex_u"], chv["eth"], chv["dob"], epv,
                     period(min(SEX_YEAR, last_year))[1], quota)
    pending = settle_pending(np.random.default_rng([int(seed), int(la), 3]), chv["eth"], chv["dob"], epv, sim_years,
                             quota)
    children = Children(dob=chv["dob"], sex=sex, eth=chv["eth"], eth_pending=pending,
                        dis=chv["dis"], has_upn=chv["has_upn"], unk=chv["unk"], death=chv["death"])
    episodes = Episodes(**{k: epv[k] for k in ep_cols})
    return LASimulation(la=la, first_year=first_year, last_year=last_year, children=children,
                        episodes=episodes, controls=controls)


def _come_back(rng, ch: _Grow, ep: _Grow, pend_child: np.ndarray, k: int, t0: int, t1: int,
                  kind: str):
    """Up to ``k`` re-referrals in census year ``t0``-``t1`` of children whose episode is over,
    with no referral scheduled, alive and under 18, each on a day after the end of the episode
    and within 12 months of that referral, which is the child's latest and, by ``kind``:
    "carried", in the year before (so the child is not yet counted among this year's children);
    "first", this year's first referral of the child (not a re-referral: so the new one is the
    child's first re-referral in the year); "repeat", a re-referral of this year (so the new one is
    a repeat). For "first" and "repeat", when too few such children are free, children whose next
    referral is already scheduled (after ``t1``) come back sooner instead: the caller drops their
    scheduled one (an LA-year of several referrals a child, Wakefield 2016: 2.1, had most of its
    children scheduled for the year after). Returns (children, days, previous referrals)."""
    v = ep.view()
    ref, child = v["ref"], v["child"]
    recent = np.flatnonzero(ref >= t0 - 366)
    last = np.full(ch.n, NONE, np.int64)
    np.maximum.at(last, child[recent], ref[recent])
    rows = recent[ref[recent] == last[child[recent]]]
    if kind == "carried":
        rows = rows[ref[rows] < t0]
    else:
        prev = v["prev_ref"][rows]
        is_rr = (prev != NONE) & (ref[rows] - prev <= 365)
        rows = rows[(ref[rows] >= t0) & (is_rr == (kind == "repeat"))]
    end = np.where(v["outcome"][rows] == OUT_NFA, ref[rows], v["closure"][rows])
    lo = np.maximum(end + 1, t0)
    hi = np.minimum(ref[rows] + 365, t1)
    kid = child[rows]
    free = (lo <= hi) & (ch.cols["death"][kid] == NONE)
    pending = np.isin(kid, pend_child)

    def draw(sel, k):
        r, lo_, hi_, kid_ = rows[sel], lo[sel], hi[sel], kid[sel]
        day = lo_ + (rng.random(len(r)) * (hi_ - lo_ + 1)).astype(np.int64)
        pick = rng.permutation(np.flatnonzero(day < ch.cols["dob"][kid_] + int(18 * 365.25)))[:k]
        return kid_[pick], day[pick], ref[r][pick]

    out = draw(free & ~pending, k)
    if kind != "carried" and len(out[0]) < k:
        more = draw(free & pending, k - len(out[0]))
        out = tuple(np.concatenate([a, b]) for a, b in zip(out, more))
    return out


def _new_children(rng, ch: _Grow, ref_days: np.ndarray, eth_w: np.ndarray) -> np.ndarray:
    """Create children first referred on ``ref_days``; returns their indices."""
    n = len(ref_days)
    unborn = rng.random(n) < P_UNBORN
    band = _pick(rng, [b[2] for b in _AGE_BANDS], n)
    lo = np.array([b[0] for b in _AGE_BANDS])[band]
    hi = np.array([b[1] for b in _AGE_BANDS])[band]
    age_days = ((lo + rng.random(n) * (hi - lo)) * 365.25).astype(np.int64)
    dob = np.where(unborn, ref_days + rng.integers(1, UNBORN_MAX_DAYS + 1, n), ref_days - age_days)
    ndis = np.where(rng.random(n) < 0.08, rng.integers(1, 3, n), 0)
    dis = np.zeros(n, np.int32)
    for k in range(2):
        pick = _pick(rng, _DIS_W, n)
        dis |= np.where(ndis > k, 1 << pick, 0).astype(np.int32)
    return ch.add(dob=dob, sex_u=rng.random(n), eth=rng.choice(len(eth_w), n, p=eth_w / eth_w.sum()),
                  dis=dis, has_upn=rng.random(n) < 0.95, unk=_pick(rng, _UNK_W, n),
                  death=np.full(n, NONE), ncpp=np.zeros(n), ext_cpp=np.full(n, -1))


RR_NEED_FACTOR = 0.84
"""Odds-like weight of an assessed re-referral (within 12 months) for being in need, relative to
an assessed referral that is not one (``split_need``). England 2017: 71,540 re-referrals opened an
episode of need (A4 of the re-referrals release: 27,400 of 3 months or less, 38.3%) of 141,680
(C1), 13,180 of them NFA (A6's N0, 9.3%), so 55.7% of those assessed; of the other referrals
328,570 of 451,700 assessed (B1's 400,110 episodes started, C1's 65,900 NFA), 72.7%. The
settlements after the draw (episodes carried to a not-in-need closure, factors) dilute the weight,
so it is set above the ratio 0.766: generator, England 2017 (seed 11), 0.766 gave 48.5% of
re-referrals in need against 50.5%."""
RR_SHORT_FACTOR = 0.745
"""Chance of a length of 3 months or less for an episode of need opened by a re-referral, relative
to the LA-year's B5 share (the other episodes of the batch make up the difference,
``tilt_short``). A4 2017: 38.3% of re-referrals' episodes, against 47% before (all episodes by
referral); 0.8 gave 39.4% (generator, England 2017, seed 11). 0.745 since the lengths are drawn
with :func:`draw_shares` (0.78 then gave 40.1%; now 38.7%)."""


def split_need(rank: np.ndarray, k_nfa: int, k_need: int, rereferral: np.ndarray, r: float) -> np.ndarray:
    """Outcomes of a batch of referrals from their random ``rank`` (a permutation): the ``k_nfa``
    lowest ranks NFA, ``k_need`` of the others in need, the rest not in need. The in-need ones
    are shared between re-referrals and other referrals in proportion to their assessed numbers,
    re-referrals weighted by ``RR_NEED_FACTOR`` (rounded with the batch's uniform ``r``), then
    taken by highest rank within each."""
    out = np.where(rank < k_nfa, OUT_NFA, OUT_NIN)
    assessed = rank >= k_nfa
    n_rr = int(np.sum(assessed & rereferral))
    n_other = int(np.sum(assessed)) - n_rr
    w = RR_NEED_FACTOR * n_rr
    k_rr = int(np.floor(k_need * w / max(w + n_other, 1e-12) + r))
    k_rr = min(max(k_rr, k_need - n_other), n_rr, k_need)
    for group, k in ((assessed & rereferral, k_rr), (assessed & ~rereferral, k_need - k_rr)):
        rows = np.flatnonzero(group)
        out[rows[np.argsort(-rank[rows])[:k]]] = OUT_NEED
    return out


def _draw_episodes(rng, ch: _Grow, child, ref, prev_ref, tg: YearTargets, p: dict) -> dict:
    """Outcome and activity dates of a batch of referrals (closure comes later)."""
    n = len(ref)
    # outcomes in their shares of the batch, at random referrals: the counts are the shares times
    # the batch (rounded stochastically, one draw for both), so an LA-year's NFA share lands on
    # its target instead of scattering around it (a 4.5% share of 3,000 referrals by 8% of itself)
    rank = np.argsort(np.argsort(rng.random(n)))
    r = rng.random()
    k_nfa = int(np.floor(p["p_nfa"] * n + r))
    k_nin = int(np.floor((p["p_nfa"] + p["p_nin"]) * n + r))
    rereferral = is_rereferral(ref, prev_ref)
    outcome = split_need(rank, k_nfa, n - k_nin, rereferral, r)
    year = year_of_day(ref)
    source = stratified_pick(rng, tg.source_w, n)
    source = np.where((source == SOURCE_5D) & (year < 2023), SOURCE_5B, source)
    need = np.where(outcome == OUT_NFA, -1, _pick_rows(rng, NEED_W_ROWS, rereferral.astype(np.int64)))
    assessed = outcome != OUT_NFA
    inneed = outcome == OUT_NEED

    delay = np.minimum(np.rint(rng.exponential(p["delay_mean"], n)), MAX_DELAY).astype(np.int64)
    a_start = np.where(assessed, ref + delay, NONE)
    # authorised a number of working days after the start, drawn from the LA-year's C2 bands
    ab = _pick(rng, tg.assess_bands, n)
    alo = np.array([b[0] for b in _ASSESS_BANDS])[ab]
    ahi = np.array([b[1] for b in _ASSESS_BANDS])[ab]
    a_wd = alo + (rng.random(n) * (ahi - alo + 1)).astype(np.int64)
    a_wd = a_wd + np.where(ab == len(_ASSESS_BANDS) - 1,
                           np.minimum(rng.exponential(ASSESS_TAIL_MEAN, n), 140).astype(np.int64), 0)
    a_auth = np.where(assessed, working_days_after(np.where(assessed, a_start, ref), a_wd), NONE)

    # S47 -> ICPC -> CPP
    unborn = ch.cols["dob"][child] > ref
    has_s47 = inneed & (rng.random(n) < p["p_s47"] * np.where(unborn, UNBORN_S47, 1.0))
    s47 = np.where(has_s47, ref + np.where(rng.random(n) < 0.4, 0, rng.integers(1, 8, n)), NONE)
    band = _pick(rng, tg.icpc_bands, n)
    wd = _icpc_working_days(rng, band)
    s47_safe = np.where(has_s47, s47, ref)
    # the conference is held ``wd`` working days after the S47 start, counted as the tables count
    # them (Monday-Friday days after the start): a start at a weekend counts from the Friday
    icpc_day = working_days_after(s47_safe, wd)
    # conferences, then plans from them, a little likelier in January-March and October-December
    # (the year's conversions unchanged): D5's two youngest bands are then rarely short, since
    # the year-end settlement can end a plan early but can rarely give an LA one started so lately
    month = month_of_day(icpc_day)
    has_icpc = has_s47 & (rng.random(n) < _seasonal(p["p_icpc"], month, has_s47, p["season"]))
    icpc = np.where(has_icpc, icpc_day, NONE)
    icpc_target = np.where(has_s47, icpc_target_day(s47_safe), NONE)
    s47_end = np.where(has_icpc, icpc, np.where(has_s47, s47_safe + rng.integers(5, 31, n), NONE))
    has_cpp = has_icpc & (rng.random(n) < _seasonal(p["p_cpp"], month, has_icpc, p["season"]))
    # conference on the CIN details (no Section 47): always starts a plan
    direct = inneed & ~has_s47 & (rng.random(n) < p["p_direct"])
    cin_icpc = np.where(direct, busday_add(np.where(assessed, a_start, ref), wd), NONE)
    has_cpp = has_cpp | direct
    # a later S47 (ICPC not required) 2-17 weeks after a first one that concluded without a conference
    has_b = has_s47 & ~has_icpc & (rng.random(n) < p["p_s47b"])
    s47b = np.where(has_b, busday_add(np.where(has_b, s47_end, ref), rng.integers(10, 85, n)), NONE)
    s47b_end = np.where(has_b, s47b + rng.integers(5, 31, n), NONE)
    cpp_start = np.where(direct, cin_icpc, np.where(has_cpp, icpc, NONE))
    cpp_base = plan_base_lengths(rng, n)  # scaled later
    cat_row = year_of_day(np.where(has_cpp, cpp_start, ref)) - _CAT_W_FIRST
    cat_init = np.where(has_cpp, _pick_rows(rng, _CAT_W_ROWS, cat_row), -1)
    cat_latest = np.where(has_cpp & (rng.random(n) < 0.12), _pick_rows(rng, _CAT_W_ROWS, cat_row), cat_init)

    # number of previous plans: the child's own plans so far, plus plans elsewhere before
    n_prev = np.zeros(n, np.int16)
    if has_cpp.any():
        cc = child[has_cpp]
        ext = ch.cols["ext_cpp"][cc]
        undecided = ext < 0
        first_here = ch.cols["ncpp"][cc] == 0
        draw = np.where(rng.random(len(cc)) < p["ext_p"], np.where(rng.random(len(cc)) < 0.8, 1, 2), 0)
        ext = np.where(undecided & first_here, draw, np.where(undecided, 0, ext))
        ch.cols["ext_cpp"][cc] = ext
        n_prev[has_cpp] = ch.cols["ncpp"][cc] + ext
        ch.cols["ncpp"][cc] += 1

    # factors on the (single) assessment of the episode
    factors = np.zeros(n, np.int64)
    if assessed.any():
        ai = np.flatnonzero(assessed)
        factors[ai] = _draw_factors(rng, np.minimum(tg.factor_p * p["factor_scale"], 0.95), len(ai), rereferral[ai])
        nin_i = np.flatnonzero(outcome == OUT_NIN)
        only21 = exact_share(rng, len(nin_i), [p["p_only21"]])[:, 0]
        factors[nin_i[only21]] = np.int64(1) << BIT_21

    # CIN plan and review rhythm (dates fixed once the closure is known). A plan reviewed within
    # timescales (D6) has its first review within 85 days of the start (3 calendar months are at
    # least 89 days) and then one every 90-178 days (6 months are at least 181); a late one, 95-139
    # days and then 190-239 days. A plan is late with the LAIT share not reviewed in time of the
    # year it is first counted in D6 (:func:`first_d6_year`), not of its referral's year.
    d6_year = np.where(cpp_start != NONE, first_d6_year(cpp_start), p["year"])
    late = rng.random(n) >= review_shares(p["reviewed"], d6_year)
    rev_first = np.where(late, rng.integers(LATE_FIRST_REVIEW, 140, n), rng.integers(15, 86, n))
    rev_every = np.where(late, rng.integers(190, 240, n), rng.integers(90, 179, n))
    plan = inneed & (rng.random(n) < 0.8)
    return dict(child=child, ref=ref, prev_ref=prev_ref, source=source, outcome=outcome, need=need,
                a_start=a_start, a_auth=a_auth, factors=factors, s47=s47, s47_end=s47_end, s47b=s47b, s47b_end=s47b_end,
                icpc_target=icpc_target, icpc=icpc, cin_icpc=cin_icpc, cpp_start=cpp_start, cpp_base=cpp_base,
                cpp_end=np.full(n, NONE, np.int64), cat_init=cat_init, cat_latest=cat_latest,
                n_prev_cpp=n_prev, rev_first=rev_first, rev_every=rev_every,
                plan=plan, plan_gap=rng.integers(0, 15, n), stepdown=rng.integers(30, 241, n),
                dur_band_u=rng.random(n), dur_day_u=rng.random(n), closing_gap=rng.integers(0, 8, n),
                plan_start=np.full(n, NONE, np.int64), plan_end=np.full(n, NONE, np.int64),
                closure=np.full(n, FAR, np.int64), reason=np.full(n, -1, np.int8),
                rc_u=rng.random(n), rc9=rng.random(n) < 0.35)


LATE_FIRST_REVIEW = 95
"""Days from a late plan's start to its first review (95-139; a plan reviewed in time has its first
within 15-85 days): :mod:`.measure` tells the two apart by it."""


def first_d6_year(cpp_start: np.ndarray) -> np.ndarray:
    """The first census year at whose 31 March a plan started on ``cpp_start`` has lasted 3 months
    or more (started by 31 December, as ``facts.cpp_review_timeliness`` counts it): the calendar
    year after its start."""
    return cpp_start.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1971


def year_rows(values_by_year: dict, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``values_by_year`` stacked in year order, and the row of each of ``years``
    in it (the nearest year simulated outside them; the years simulated run without a gap)."""
    ys = sorted(values_by_year)
    return np.array([values_by_year[y] for y in ys]), np.clip(np.asarray(years) - ys[0], 0, len(ys) - 1)


def review_shares(shares_by_year: dict[int, float], years: np.ndarray) -> np.ndarray:
    """Per row, the share of plans reviewed within timescales (D6) of census year ``years``."""
    table, idx = year_rows(shares_by_year, years)
    return table[idx]


ICPC_DAYS = (np.arange(4, 11), np.arange(11, 16), np.arange(16, 21), np.arange(21, 41))
"""Working days from the S47 start to the ICPC in each C4 band (0-10 from 4)."""
ICPC_BAND_COLUMNS = ("icpc_0_10", "icpc_11_15", "icpc_16_20", "icpc_21_plus")
"""C4's bands of working days from the S47 start to the ICPC, in :func:`icpc_band` order."""


def icpc_band(wd: np.ndarray) -> np.ndarray:
    """C4 band (0-3: 0-10, 11-15, 16-20, 21 or more working days) of each S47-to-ICPC time."""
    return np.searchsorted(np.array([10, 15, 20]), np.asarray(wd), side="left")
ICPC_DAY_W = (None, np.array([0.11, 0.10, 0.24, 0.30, 0.25]), np.array([0.27, 0.22, 0.20, 0.17, 0.14]), None)
"""Day weights within the 11-15 and 16-20 bands (the others uniform): conferences gather towards
the 15-day target, so that England's 25th percentile, median and 75th percentile (C4: 11-13, 14
and 15-18 working days in 2013-2024) come out of each year's band shares (the 75th percentile falls in
the 16-20 band in 2013-2015, at 44.5%, 53.7% and 1.8% of it: 17, 18 and 16 days; 2014's 18 needs days
16-17 under 53.7% of the band, 54% gave 17)."""


def _seasonal(p: float, month: np.ndarray, rows: np.ndarray, season: tuple[float, float]) -> np.ndarray:
    """Per-row probability: ``p`` times ``season`` (January-March, October-December), each at most
    0.98, April-September taking what keeps the mean over ``rows`` at ``p``."""
    n = max(int(rows.sum()), 1)
    w4, w3 = np.sum(rows & (month <= 3)) / n, np.sum(rows & (month >= 10)) / n
    p4, p3 = min(p * season[0], 0.98), min(p * season[1], 0.98)
    rest = float(np.clip((p - w4 * p4 - w3 * p3) / max(1.0 - w4 - w3, 0.05), 0.3 * p, 0.98))
    return np.select([month <= 3, month >= 10], [p4, p3], rest)


def _icpc_working_days(rng, band: np.ndarray) -> np.ndarray:
    wd = np.zeros(len(band), np.int64)
    for b, (days, w) in enumerate(zip(ICPC_DAYS, ICPC_DAY_W)):
        at = np.flatnonzero(band == b)
        wd[at] = days[rng.choice(len(days), size=len(at), p=None if w is None else w / w.sum())]
    return wd


def exact_share(rng, n: int, p: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """An (n, len(p)) boolean matrix whose column j holds exactly ``p[j] * n`` (stochastically
    rounded) True values at random rows: each row has each column with probability ``p[j]``, as
    with independent draws, but a batch's count does not scatter around ``p[j] * n``. ``weight``
    (n, len(p)): the rows are drawn with these weights (sampling without replacement; a row of
    weight 2 is about twice as likely to be drawn as one of weight 1), the counts unchanged."""
    p = np.atleast_1d(np.asarray(p, dtype=float))
    want = np.floor(p * n + rng.random(len(p))).astype(np.int64)
    key = rng.random((n, len(p)))
    if weight is not None:  # weighted sampling: the lowest 1 - (1 - u) ** (1 / w); u itself at w = 1
        key = 1.0 - (1.0 - key) ** (1.0 / weight)
    ranks = np.argsort(np.argsort(key, axis=0), axis=0)
    return ranks < want[None, :]


def _draw_factors(rng, p: np.ndarray, n: int, rereferral: np.ndarray | None = None) -> np.ndarray:
    """Bitmasks of factors, each in its share ``p`` of the batch (:func:`exact_share`), at least
    one factor; a re-referral (``rereferral``, per row) drawn for a factor with its
    ``RR_FACTOR_ODDS``."""
    k = len(p)
    if not p.sum() > 0:  # never an authorised assessment without factors: "Other"
        p = np.zeros(k)
        p[FACTOR_BIT["20"]] = 0.5
    weight = None if rereferral is None else np.where(rereferral[:, None], RR_FACTOR_ODDS[None, :k], 1.0)
    hits = exact_share(rng, n, p, weight)
    none = ~hits.any(axis=1)
    if none.any() and p.sum() > 0:
        hits[np.flatnonzero(none), rng.choice(k, size=int(none.sum()), p=p / p.sum())] = True
    weights = (np.int64(1) << np.arange(k, dtype=np.int64))
    return (hits.astype(np.int64) * weights[None, :]).sum(axis=1)


def _per_factor_bit(values) -> np.ndarray:
    """Per factor bit: the value given for its code group (``(codes, value)`` pairs), 1 elsewhere."""
    out = np.ones(len(FACTOR_CODES))
    for codes, v in values:
        out[[FACTOR_BIT[c] for c in codes]] = v
    return out


# England's 2017 referrals with a factor group as the re-referrals release publishes them (D1, D2)
_ALCOHOL, _PHYSICAL_ABUSE, _SEXUAL_ABUSE = ("1A", "1B", "1C"), ("18A", "18B", "18C"), ("19A", "19B", "19C")
_FGM, _FAITH, _TRAFFICKING = ("22A",), ("23A",), ("12A",)
_D1_ALCOHOL = (39460, 9730, 19750)
"""D1, alcohol misuse (any), 2017: initial referrals of children not re-referred, of children
later re-referred, and re-referrals (14.8%, 14.9% and 20.1% of each type's referrals with a factor)."""
_RR_FACTOR_SHARE_ALL = _D1_ALCOHOL[2] / 0.201 / (_D1_ALCOHOL[0] / 0.148 + _D1_ALCOHOL[1] / 0.149 + _D1_ALCOHOL[2] / 0.201)
"""Re-referrals' share of the referrals with an assessment factor, England 2017 (from D1's
alcohol misuse counts and shares: 22.8%)."""
_RR_FACTOR_RATE = ((_ALCOHOL, _D1_ALCOHOL[2] / sum(_D1_ALCOHOL)), (_PHYSICAL_ABUSE, 0.218), (_SEXUAL_ABUSE, 0.197),
                   (_FGM, 0.120), (_FAITH, 0.200), (_TRAFFICKING, 0.201))
"""Re-referrals' share of the referrals with a factor, England 2017, where published (D1: alcohol
misuse 28.6%; D2: physical abuse 21.8%, sexual abuse 19.7%, female genital mutilation 12.0%,
faith-linked abuse 20.0%, trafficking 20.1%); other factors as any referral's."""
RR_FACTOR_POWER = 2.5
RR_FACTOR_ODDS = _per_factor_bit(
    (codes, (rate / (1.0 - rate) / (_RR_FACTOR_SHARE_ALL / (1.0 - _RR_FACTOR_SHARE_ALL))) ** RR_FACTOR_POWER)
    for codes, rate in _RR_FACTOR_RATE)
"""Per factor bit: a re-referral's weight in the draw of the factor (its published share's odds over
the odds of all factors' share, ``_RR_FACTOR_SHARE_ALL``; 1 where not published)."""

_PRE_C3_COUNTS = ((_ALCOHOL, sum(_D1_ALCOHOL), 79115 * 69886 / sum(_D1_ALCOHOL)), (_PHYSICAL_ABUSE, 65180, 67181),
                  (_SEXUAL_ABUSE, 28080, 28756), (_FGM, 990, 931), (_FAITH, 1530, 1597))
"""(codes, England's 2017 referrals with the factor group, what the generator draws at the first
C3 year's shares) where the 2017 count is published: re-referrals D1, alcohol misuse (any)
39,460 + 9,730 + 19,750 = 68,940; D2, physical abuse 65,180, sexual abuse 28,080, female
genital mutilation 990, faith-linked abuse 1,530. C3 starts in 2018, so 2017's levels are known
only from these. Drawn (seed 11, 3 December 2026): 79,115, 67,181, 28,756, 931 and 1,597; a
weight moves only the referrals assessed before the LA's first C3 year, so alcohol's, 13% down,
was still 1.4% over (69,886) and its drawn count is taken that much higher."""
PRE_C3_FACTOR_W = _per_factor_bit((codes, published / drawn) for codes, published, drawn in _PRE_C3_COUNTS)
"""Per factor bit: a factor's share before the LA's first C3 year is the first year's share
times this (published 2017 count over the count drawn at the first year's shares; 1 where
England's 2017 count is not published)."""


CPP_TAIL_DAY = 731
"""Plans drawn this long or longer (the 2 years+ band) are not stretched by the duration scale."""
CPP_BODY_SOFT = 600
"""A stretched plan beyond this many days approaches 730 smoothly, so it stays under 2 years."""


def plan_base_lengths(rng, n: int) -> np.ndarray:
    """Base lengths (days) of ``n`` plans before the LA-year's duration scale: a band of
    :data:`_CPP_BANDS` drawn by its weight, then a length uniformly within it."""
    cb = _pick(rng, np.array([b[2] for b in _CPP_BANDS]), n)
    lo = np.array([b[0] for b in _CPP_BANDS])[cb]
    hi = np.array([b[1] for b in _CPP_BANDS])[cb]
    return lo + rng.random(n) * (hi - lo)


def stretch_plan(base: np.ndarray, scale: float) -> np.ndarray:
    """Plan lengths (days) from base lengths: the body (under 2 years) times ``scale``, kept under
    2 years with a smooth cap; the 2 years+ band as drawn."""
    x = base * scale
    room = CPP_TAIL_DAY - 1 - CPP_BODY_SOFT
    soft = CPP_BODY_SOFT + room * (1.0 - np.exp(-np.maximum(x - CPP_BODY_SOFT, 0.0) / room))
    body = np.where(x > CPP_BODY_SOFT, soft, x)
    return np.where(base >= CPP_TAIL_DAY, base, body)


def _apply_cpp(epi: dict, scale: float) -> None:
    has = epi["cpp_start"] != NONE
    length = np.maximum(7, np.rint(stretch_plan(epi["cpp_base"], scale))).astype(np.int64)
    epi["cpp_end"] = np.where(has, epi["cpp_start"] + length, NONE)


def _min_close(epi: dict) -> np.ndarray:
    """Earliest closure of each in-need episode: after every activity (and the step-down)."""
    m = np.maximum.reduce([epi["a_auth"], epi["s47_end"], epi["s47b_end"]])
    cpp = epi["cpp_start"] != NONE
    step = np.where(epi["plan"], epi["stepdown"], 0)
    return np.where(cpp, np.maximum(m, epi["cpp_end"] + step), m)


def band_draw_cdf(shares: np.ndarray, min_band: np.ndarray) -> np.ndarray:
    """Cumulative probabilities of the band to draw for a batch of in-need episodes whose
    earliest closure falls in ``min_band`` (1-5), so that their lengths follow ``shares`` (one
    row of 5 shares per episode, or one row for all): an array like ``shares``.

    An episode's length band is the larger of the band drawn and its ``min_band`` (a length drawn
    below the earliest closure becomes the earliest closure). With the band drawn independently
    of ``min_band``, P(band <= k) = W_k * C_k (C the batch's distribution of ``min_band``), so
    W_k = F_k / C_k for the target's cumulative shares F. Where that is not reachable (more
    episodes held open past band k by their activities than the target allows), W_k is the
    smallest ratio of the bands from k up: the longer bands keep their shares and the shortest
    ones take the shortfall."""
    f = np.cumsum(shares, axis=-1)
    c = np.cumsum(np.bincount(min_band, minlength=6)[1:6]) / max(len(min_band), 1)
    w = np.where(c > 0, f / np.maximum(c, 1e-12), 1.0)
    w = np.minimum.accumulate(np.clip(w, 0.0, 1.0)[..., ::-1], axis=-1)[..., ::-1].copy()
    w[..., -1] = 1.0
    return w


def _reasons(ch: _Grow, epi: dict, closure: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Reasons for closure (RC1-RC7) of in-need episodes ``rows`` of ``epi`` closing on
    ``closure`` (by the child's age then); records the deaths (RC2)."""
    u = epi["rc_u"][rows]
    dob = ch.cols["dob"][epi["child"][rows]]
    age = (closure - dob) / 365.25
    born = dob <= closure
    r = np.full(len(rows), RC["RC7"], np.int8)
    r = np.where(u < 0.06, RC["RC5"], r)
    r = np.where((u >= 0.06) & (u < 0.09), RC["RC3"], r)
    r = np.where((u >= 0.09) & (u < 0.11), RC["RC4"], r)
    r = np.where((u >= 0.11) & (u < 0.118) & (age < 10), RC["RC1"], r)
    r = np.where((u >= 0.12) & (u < 0.14) & (age >= 17), RC["RC6"], r)
    r = np.where((u >= 0.998) & born, RC["RC2"], r)
    died = r == RC["RC2"]
    if died.any():
        ch.cols["death"][epi["child"][rows][died]] = closure[died]
    return r


BAND_MIDDLE = np.array([45, 137, 274, 548, 730])
"""Days from the referral to the middle of each B5 band (to the start of the last): the year an
episode of that band would end in, whose B5 shares it is drawn with."""


def b5_shares_by_closure(ref: np.ndarray, shares_by_year: dict[int, np.ndarray]) -> np.ndarray:
    """Per episode referred on ``ref``, the share of each band in the year the episode would end
    in with a length in that band (:data:`BAND_MIDDLE`), normalised: so the episodes ending in a
    year follow that year's B5 shares although they started in earlier years."""
    table, idx = year_rows(shares_by_year, year_of_day(ref[:, None] + BAND_MIDDLE[None, :]))
    s = table[idx, np.arange(5)[None, :]]
    return s / s.sum(axis=1, keepdims=True)


LONG_DRAW, SHORT_DRAW = 0.5, 1.05
"""How an in-need episode's length band is drawn from its B5 shares (:func:`draw_shares`): half
the share of 2 years or more goes to 3 months or less, whose share is then raised by 5% (the
other bands scaled to fill the rest). The year-end settlements add to the long bands of the
episodes ending in a year: filling the stock at 31 March pushes closures past it, so those
episodes end the next year, longer; the not-in-need carry takes short episodes out of those
ending. Drawn at B5's shares, England's episodes ending 2016-2024 were 0.5-2.6 points short of
LAIT's 3 months or less and 1.0-3.2 points over its 2 years or more (12 of 45 cells outside 1
point); drawn so, 0.1-1.6 and 0.1-1.6 (4 of 45: 2016 and 2017, both bands), the stock's B4 bands
unchanged (within 0.7 points). Generator, England, seed 11. (2016-2017 were then settled by
:data:`PRE_LAIT_LONG` and :data:`B5_SHORT_SLACK`.)"""


def draw_shares(shares: np.ndarray) -> np.ndarray:
    """B5 band shares (a row per episode) as drawn: see :data:`LONG_DRAW` and :data:`SHORT_DRAW`."""
    out = shares.copy()
    out[:, 0] += shares[:, 4] * (1.0 - LONG_DRAW)
    out[:, 4] *= LONG_DRAW
    short = np.minimum(out[:, 0] * SHORT_DRAW, 1.0)
    out[:, 1:] *= ((1.0 - short) / np.maximum(1.0 - out[:, 0], 1e-12))[:, None]
    out[:, 0] = short
    return out


def tilt_short(shares: np.ndarray, rr: np.ndarray) -> np.ndarray:
    """Band shares (a row per episode) with the share of 3 months or less of the re-referrals'
    episodes times ``RR_SHORT_FACTOR`` and the others' raised so that the batch's share is kept
    (at most all of a row's), each row's longer bands scaled to fill the rest."""
    s1 = shares[:, 0]
    rho = float(rr.mean()) if len(rr) else 0.0
    up = (1.0 - rho * RR_SHORT_FACTOR) / max(1.0 - rho, 1e-12)
    new1 = np.minimum(s1 * np.where(rr, RR_SHORT_FACTOR, up), 1.0)
    rest = np.where(s1 < 1.0, (1.0 - new1) / np.maximum(1.0 - s1, 1e-12), 0.0)
    return np.column_stack([new1, shares[:, 1:] * rest[:, None]])


def _close_episodes(rng, ch: _Grow, epi: dict, shares_by_year: dict[int, np.ndarray], year: int) -> None:
    """Closure dates and reasons, CIN plan dates, deaths.

    Not-in-need episodes close a few days after their assessment. An in-need episode's length
    follows the B5 band shares (``shares_by_year``, see :func:`b5_shares_by_closure`, as
    :func:`draw_shares` draws them): a band
    drawn with :func:`band_draw_cdf` (so that the batch's lengths follow the shares although
    activities hold some open), a day uniformly within it, at the earliest closure
    (``_min_close``) if that is later. An episode whose length falls in the
    2-years-or-more band stays open (``closure`` FAR) in the long-episode pool from its 2-year
    day (``pool_from``): :func:`_close_pool` closes pool episodes year by year so that the stock at
    31 March meets its target."""
    out = epi["outcome"]
    nin = out == OUT_NIN
    need = out == OUT_NEED
    closure = np.full(len(out), FAR, np.int64)
    closure[nin] = (epi["a_auth"] + epi["closing_gap"])[nin]
    pool_from = np.full(len(out), NONE, np.int64)
    ni = np.flatnonzero(need)
    if len(ni):
        ref = epi["ref"][ni]
        mc = np.maximum(_min_close(epi)[ni], ref)
        m_band = duration_band(ref, mc)
        rr = is_rereferral(ref, epi["prev_ref"][ni])
        w = band_draw_cdf(tilt_short(draw_shares(b5_shares_by_closure(ref, shares_by_year)), rr), m_band)
        drawn = np.minimum(1 + np.sum(w <= epi["dur_band_u"][ni][:, None], axis=1), 5)
        starts = np.column_stack([ref, band_starts(ref)])  # first day of bands 1-5
        b = np.minimum(drawn, 4)
        lo = starts[np.arange(len(ni)), b - 1]
        hi = starts[np.arange(len(ni)), b] - 1
        day = lo + (epi["dur_day_u"][ni] * (hi - lo + 1)).astype(np.int64)
        close = np.where(drawn >= m_band, np.maximum(day, mc), mc)
        long = np.maximum(drawn, m_band) == 5
        closure[ni] = np.where(long, FAR, close)
        pool_from[ni[long]] = np.maximum(starts[long, 4], mc[long])
    epi["closure"] = np.where(out == OUT_NFA, FAR, closure)
    epi["pool_from"] = pool_from

    reason = np.full(len(out), -1, np.int8)
    cy = year_of_day(closure)
    reason[nin] = np.where(epi["rc9"][nin] & (cy[nin] >= 2023), RC["RC9"], RC["RC8"])
    shut = np.flatnonzero(need & (closure < FAR))
    reason[shut] = _reasons(ch, epi, closure[shut], shut)
    epi["reason"] = reason

    # CIN plans: after a CPP ends (step-down), or after the assessment when there is no CPP
    cpp = epi["cpp_start"] != NONE
    start = np.where(cpp, epi["cpp_end"] + 1,
                     np.maximum(epi["a_auth"], epi["s47_end"]) + epi["plan_gap"])
    ok = need & epi["plan"] & (closure >= start + 1)
    epi["plan_start"] = np.where(ok, start, NONE)
    epi["plan_end"] = np.where(ok, closure, NONE)


POOL_GAIN = 0.5
"""Share of the gap between the stock at 31 March and its target that the long-episode pool
closes in a year beyond the B5 share of 2 years or more (the rest is settled by moving closures
near 31 March, :func:`_settle_stocks`). Measured on 12 LAs, 2016-2024: 0.3 and 0.8 left fewer
LA-years within 10% of the LAIT B5 shares."""


def _close_pool(rng, ch: _Grow, ep: _Grow, tg: YearTargets, t0: int, t1: int) -> dict:
    """Close episodes of the long-episode pool (in need for 2 years or more, ``closure`` FAR)
    in census year ``t0``-``t1``: as many as the year's B5 share of 2 years or more gives, given
    the other episodes of need ending in the year (less those of them already ending after 2
    years or more, which the year-end settlements held open), plus :data:`POOL_GAIN` of what the stock at 31
    March (every other closure is known once the year is simulated), or its B4 band of 2 years or
    more if that is further above its share, then misses its target by (fewer when it is short). Children 18 or over by 31 March leave first (on their 18th
    birthday, or their 2-year day if later); the others are chosen at random among the pool
    episodes past their 2-year day (a constant hazard: the tail beyond 2 years is exponential,
    its mean set by the stock target) and close on a day drawn uniformly between 1 April (or the
    2-year day) and 31 March. Returns counts and the rows closed (their closure, reason, CIN plan
    end and deaths are set)."""
    v = ep.view()
    close, pool_from = v["closure"], v["pool_from"]
    pool = np.flatnonzero((pool_from != NONE) & (close == FAR))
    open31 = (v["outcome"] != OUT_NFA) & (v["ref"] <= t1) & (close > t1)
    gap = float(open31.sum()) - tg.at31
    if tg.b4_shares is not None:  # or the 2 years or more band of B4 (the pool's own stock)
        long31 = open31 & (duration_band(np.minimum(v["ref"], t1), np.full(len(close), t1)) == 5)
        gap = max(gap, float(long31.sum()) - float(tg.b4_shares[4]) * tg.at31)
    # no earlier than the activities, which the year-end settlement may have moved since the
    # 2-year day was fixed (a plan end pushed past 31 March, its step-down CIN plan with it)
    after = np.maximum(np.where(v["cpp_start"] != NONE, v["cpp_end"], NONE),
                       np.where(v["plan_start"] != NONE, v["plan_start"] + 1, NONE))
    earliest = np.maximum(pool_from, after)
    ready = pool[earliest[pool] <= t1]
    shut = (v["outcome"] == OUT_NEED) & (close >= t0) & (close <= t1)
    p5 = float(tg.b5_shares[4])
    # the B5 share of 2 years or more, less the episodes already ending after 2 years or more
    # (held open by the year-end settlements, not the pool's)
    long_shut = int(np.sum(duration_band(v["ref"][shut], close[shut]) == 5))
    follow = (p5 * float(shut.sum()) - long_shut) / max(1.0 - p5, 1e-9)
    k = _stoch_round(rng, follow + POOL_GAIN * (gap - follow))
    # children 18 or over by 31 March first (in random order), then the others at random
    adult = ch.cols["dob"][v["child"][ready]] + int(18 * 365.25)
    order = np.lexsort((rng.random(len(ready)), adult > t1))[:k]
    rows, adult = ready[order], adult[order]
    first = np.maximum(earliest[rows], t0)
    aged = adult <= t1
    day = np.where(aged, np.maximum(adult, first),
                   first + (rng.random(len(rows)) * (t1 - first + 1)).astype(np.int64))
    close[rows] = day
    v["reason"][rows] = _reasons(ch, v, day, rows)
    planned = rows[v["plan_start"][rows] != NONE]
    v["plan_end"][planned] = close[planned]
    return {"pool_open": len(pool), "pool_ready": len(ready), "pool_closed": len(rows),
            "pool_aged_18": int(aged.sum()), "rows": rows}


NEED_REREFERRAL_WEIGHT = 1.75
"""Relative chance that an episode of need (rather than an NFA or not-in-need referral) is followed
by a re-referral within 12 months."""

RETURN_ROUNDS = 4
"""Rounds of same-year returns filling the same-year rooms (a child back in one round may come back
again in the next: an LA-year with several referrals per child, Wakefield 2016: 2.1)."""

CHAIN_GAIN, CHAIN_MAX = 0.3, 3.0
"""The chain controller learns slowly and within bounds: it shares the re-referrals' room with the
controllers of their volume (``pi_w``, ``early``), and with a gain of 0.7 it wound up to 30."""

CPP_FILL_YEARS = 3
"""Simulated years before the plan-length controller learns: the stock of plans fills from empty."""

PLAN_SEASON = (1.2, 1.1)
"""P(ICPC | S47) and P(plan | ICPC) for conferences in January-March and in October-December,
relative to the year's (April-September lowered to keep the year's), where an LA-year's D5 bands
are England's usual shares (:data:`D5_YOUNG_SHARE`): the headroom D5's two youngest bands need,
since the year-end settlement can end a plan early but can rarely extend one that started so
recently. Both together: about 1.4 and 1.2 times as many plans per S47 as April-September."""

D5_YOUNG_SHARE = (0.30, 0.25)
"""England's usual shares of the plans open at 31 March started in the last 3 and 3-6 months (D5)."""


def plan_season(tg: YearTargets) -> tuple[float, float]:
    """The :data:`PLAN_SEASON` multipliers of an LA-year, in proportion to its share of D5's stock in
    the two youngest bands against England's usual shares."""
    if tg.cpp_bands is None or tg.cpp_bands.sum() <= 0:
        return PLAN_SEASON
    share = tg.cpp_bands[:2] / tg.cpp_bands.sum()
    q4, q3 = PLAN_SEASON[0] * share[0] / D5_YOUNG_SHARE[0], PLAN_SEASON[1] * share[1] / D5_YOUNG_SHARE[1]
    return float(np.clip(q4, 0.5, 2.2)), float(np.clip(q3, 0.5, 2.2))


CPP_STOCK_SLACK = 0.05
"""Once each D5 band of an LA-year is settled, its plans open at 31 March may miss their total
by this share: what the youngest bands could not be given (rarely possible) is not moved into
the older bands unless the total would miss by more."""

FILL_GOAL = 1.15
"""Same-year re-referrals drawn per place left for them by the year's re-referral target."""

CARRY_GOAL = 1.5
"""Re-referrals carried into a year per place left for them (spare ones cover target jumps)."""


SETTLE_WINDOW = 365
"""Days either side of 31 March within which a closure or a CPP end may be moved to settle a stock."""


def _open_at31(v: dict, t1: int) -> np.ndarray:
    """Episodes (column view ``v``) in need at 31 March ``t1``: referred by then, not NFA, not
    closed by then (as ``measure`` counts the stock)."""
    return (v["outcome"] != OUT_NFA) & (v["ref"] <= t1) & (v["closure"] > t1)


def stock_children(ep: dict, t1: int) -> np.ndarray:
    """The children (sorted, once each) with an episode in need at 31 March ``t1``."""
    return np.unique(ep["child"][_open_at31(ep, t1)])


def _nearest(rng, cand: np.ndarray, dist: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates nearest to 31 March (ties broken at random)."""
    if k <= 0 or len(cand) == 0:
        return cand[:0]
    order = np.lexsort((rng.random(len(cand)), dist))
    return cand[order[:k]]


def _settle_stocks(rng, ep: _Grow, dob: np.ndarray, pend_child: np.ndarray, pend_day: np.ndarray,
                   tg: YearTargets, t0: int, t1: int) -> dict:
    """Move CPP ends, then closures, then assessment starts, of episodes near 31 March ``t1``
    until the stocks of open plans (by D5 duration band), open episodes (by B4 duration band, when
    published) and children awaiting assessment at 31 March hit ``tg`` (within what the date
    rules allow). ``dob``: each child's date of birth.

    A date ``d`` days after 31 March is pulled to ``d - 1`` days before it (and vice versa), never
    before ``max(t0, t1 - SETTLE_WINDOW + 1)`` nor before any activity it must follow:

    * CPP ends: pulled forward only if the plan is at least 7 days long (a plan ending more than
      ``SETTLE_WINDOW`` days after 31 March, whose mirror would fall before 1 April, ends on a
      day of the year drawn at random); pushed back within the
      open episode, or, when the episode closed by 31 March, together with its closure (same
      delta, under the closure rules below); a step-down CIN plan moves with the CPP end.
    * closures (in-need episodes, not RC1/RC2/RC6 whose reason depends on the date): pulled
      forward to no earlier than the authorisation, S47 conclusion, CPP end and CIN plan start + 1;
      pushed back only on the child's latest episode and before the child's next scheduled
      referral (so episodes never overlap); the CIN plan end follows the closure.
    * assessment authorisations: where a B4 band is still above its goal once its closures are
      pulled, an open episode of need of the band whose assessment started by 31 March and is
      authorised after it has the authorisation pulled before it (mirrored, never before the
      start) and closes by then (``close_assessed``); not one with an S47, conference or plan
      running past 31 March, nor an unborn child's, nor the long-episode pool's, nor so many
      that step 3 cannot meet the children awaiting assessment. Recent referrals are otherwise
      held open by their assessments.
    * assessment starts of open episodes: pulled forward to no earlier than the referral; pushed
      back to no later than the authorisation (after 31 March), not where a conference on the CIN
      details was dated from the start.
    """
    v = ep.view()
    lo_day = max(t0, t1 - SETTLE_WINDOW + 1)
    hi_day = t1 + SETTLE_WINDOW
    ref, close = v["ref"], v["closure"]
    cs, ce = v["cpp_start"], v["cpp_end"]
    ps = v["plan_start"]
    has_cpp = cs != NONE
    has_plan = ps != NONE
    moved = {"cpp_pulled": 0, "cpp_pushed": 0, "closure_pulled": 0, "closure_pushed": 0,
             "assessment_pulled": 0, "assessment_pushed": 0, "assessment_closed": 0}
    reason = v["reason"]
    movable = (v["outcome"] == OUT_NEED) & (reason != RC["RC1"]) & (reason != RC["RC2"]) & (reason != RC["RC6"])
    # latest day each closure may move to: before the child's next scheduled referral when the
    # episode is the child's latest one (a later episode of the child starts after lo_day)
    child = v["child"]
    recent = np.flatnonzero(ref >= lo_day)
    n_children = len(dob)
    last_ref = np.full(n_children, NONE, np.int64)
    np.maximum.at(last_ref, child[recent], ref[recent])
    next_ref = np.full(n_children, FAR, np.int64)
    np.minimum.at(next_ref, pend_child, pend_day)
    room = np.where(movable & (last_ref[child] <= ref), next_ref[child] - 1, close)

    # 1) plans open at 31 March: first each D5 duration band (of the start date) on its share of
    # the target, then the total (within CPP_STOCK_SLACK); a plan is moved at most once
    touched = np.zeros(len(cs), bool)

    def move_cpp_ends(pull: bool, k: int, within: np.ndarray) -> int:
        """Pull ``k`` open plans' ends before 31 March (``pull``) or push ``k`` ended plans'
        ends past it, among the rows ``within``, nearest 31 March first."""
        if k <= 0:
            return 0
        if pull:
            # a plan ending more than SETTLE_WINDOW days after 31 March ends on a day of the year
            # drawn at random (its mirror would fall before 1 April)
            first = np.maximum(cs + 7, lo_day)
            anyday = first + (rng.random(len(cs)) * np.maximum(t1 - first + 1, 1)).astype(np.int64)
            new = np.maximum(np.where(ce <= hi_day, t1 + 1 - (ce - t1), anyday), first)
            new = np.where(has_plan, np.minimum(new, close - 2), new)
            ok = open_cpp() & (new <= t1) & (new >= first)
            dist = ce - t1
        else:
            # the CPP end moves, and with it (by the same delta) the step-down plan and the
            # closure when the episode closes by 31 March
            new = t1 + 1 + (t1 - ce)
            new = np.where(close > t1, np.minimum(new, np.where(has_plan, close - 2, close)),
                           np.minimum(new, room - (close - ce)))
            ok = has_cpp & (ce >= lo_day) & (ce <= t1) & (new > t1) & ((close > t1) | (room > t1))
            dist = t1 - ce
        cand = np.flatnonzero(ok & within & ~touched)
        pick = _nearest(rng, cand, dist[cand], k)
        if len(pick):
            shift = pick[close[pick] <= t1]
            close[shift] += new[shift] - ce[shift]
            ce[pick] = new[pick]
            pp = pick[has_plan[pick]]
            ps[pp] = ce[pp] + 1
            v["plan_end"][pp] = close[pp]
            touched[pick] = True
            moved["cpp_pulled" if pull else "cpp_pushed"] += len(pick)
        return len(pick)

    def open_cpp() -> np.ndarray:
        return has_cpp & (cs <= t1) & (ce > t1)

    if tg.cpp_bands is not None and tg.cpp_at31 > 0:
        band = np.where(has_cpp, duration_band(np.where(has_cpp, cs, t1), np.full(len(cs), t1)), 0)
        goal = tg.cpp_bands * tg.cpp_at31 / tg.cpp_bands.sum()
        now = np.bincount(band[open_cpp()], minlength=6)[1:]
        for b in range(5):
            d = float(now[b]) - goal[b]
            move_cpp_ends(d > 0, _stoch_round(rng, abs(d)), band == b + 1)
        # what the bands could not meet beyond the slack (mostly the youngest, short) is spread
        # over the older bands in proportion to their goals, then any band
        def beyond_slack() -> float:
            d = float(open_cpp().sum()) - tg.cpp_at31
            return float(np.sign(d)) * max(abs(d) - CPP_STOCK_SLACK * tg.cpp_at31, 0.0)
        diff = beyond_slack()
        for b in range(1, 5) if goal[1:].sum() > 0 else ():
            move_cpp_ends(diff > 0, _stoch_round(rng, abs(diff) * goal[b] / goal[1:].sum()), band == b + 1)
        diff = beyond_slack()
    else:
        diff = float(open_cpp().sum()) - tg.cpp_at31
    move_cpp_ends(diff > 0, _stoch_round(rng, abs(diff)), np.ones(len(cs), bool))

    # 2) episodes open at 31 March: first each B4 duration band (of the referral date) on its
    # share of the target, when published, then the total; an episode is moved at most once
    shut_lb = np.maximum.reduce([v["a_auth"], v["s47_end"], v["s47b_end"], ce,
                                 np.where(has_plan, ps + 1, NONE), ref])
    held = np.zeros(len(close), bool)

    def stock() -> np.ndarray:
        return _open_at31(v, t1)

    def move_closures(pull: bool, k: int, within: np.ndarray) -> int:
        """Pull ``k`` open episodes' closures before 31 March (``pull``) or push ``k`` closures
        of the year past it, among the rows ``within``, nearest 31 March first."""
        if k <= 0:
            return 0
        if pull:
            new = np.maximum(np.maximum(t1 + 1 - (close - t1), shut_lb), lo_day)
            ok = movable & stock() & (close <= hi_day) & (new <= t1)
            dist = close - t1
        else:
            new = np.minimum(t1 + 1 + (t1 - close), room)
            ok = movable & (close >= lo_day) & (close <= t1) & (new > t1)
            dist = t1 - close
        cand = np.flatnonzero(ok & within & ~held)
        pick = _nearest(rng, cand, dist[cand], k)
        if len(pick):
            close[pick] = new[pick]
            pp = pick[has_plan[pick]]
            v["plan_end"][pp] = close[pp]
            held[pick] = True
            moved["closure_pulled" if pull else "closure_pushed"] += len(pick)
        return len(pick)

    a_s, a_auth = v["a_start"], v["a_auth"]

    def awaiting() -> np.ndarray:
        """Open at 31 March with no assessment started by then (the children awaiting one)."""
        return stock() & ((a_s == NONE) | (a_s > t1))

    def pushable() -> np.ndarray:
        """Open at 31 March with an assessment started by then and authorised after it, and no
        conference on the CIN details dated from the start: step 3 can push the start past
        31 March."""
        return stock() & (a_s != NONE) & (a_s <= t1) & (a_auth > t1) & (v["cin_icpc"] == NONE)

    def close_assessed(k: int, within: np.ndarray) -> int:
        """Close ``k`` open episodes of need before 31 March whose assessment, started by then,
        is authorised after it (which holds them open), among the rows ``within``, closing soonest
        first. The authorisation is pulled to ``d - 1`` days before 31 March from ``d`` days after
        it (on a working day, never before the start); the closure as in :func:`move_closures`,
        never before the new authorisation, any activity, or the CIN plan's start + 1. An own CIN
        plan (not a step-down) then starts as long after the new authorisation as it did after
        the old one, by the day before 31 March at the latest.

        Not candidates: episodes with an S47, conference or plan running past 31 March; those of
        a child unborn at 31 March; those closing more than ``SETTLE_WINDOW`` days after it (the
        long-episode pool's, whose reason is drawn when the pool closes them). Nor are so many
        closed that too few stay for step 3 to meet the children awaiting assessment."""
        if k <= 0:
            return 0
        new_auth = np.maximum(np.busday_offset((t1 + 1 - (a_auth - t1)).astype("datetime64[D]"), 0,
                                               roll="backward", busdaycal=WORKDAYS).astype(np.int64), a_s)
        after = np.maximum.reduce([v["s47_end"], v["s47b_end"], ce])
        own = has_plan & ~has_cpp
        base = np.maximum(new_auth, v["s47_end"])
        gap = np.maximum(ps - np.maximum(a_auth, v["s47_end"]), 0)
        new_ps = np.where(own, base + np.minimum(gap, np.maximum(t1 - 1 - base, 0)), ps)
        lb = np.maximum.reduce([new_auth, after, ref, np.where(has_plan, new_ps + 1, NONE)])
        new = np.maximum.reduce([t1 + 1 - (close - t1), lb, np.full(len(close), lo_day)])
        pending = stock() & (a_s != NONE) & (a_s <= t1) & (a_auth > t1)
        ok = movable & pending & (close <= hi_day) & (after <= t1) & (new <= t1) & (dob[child] <= t1)
        spare = int(np.sum(pushable())) - max(int(np.ceil(tg.awaiting - awaiting().sum())), 0)
        cand = np.flatnonzero(ok & within & ~held)
        pick = _nearest(rng, cand, close[cand] - t1, min(k, max(spare, 0)))
        if len(pick):
            a_auth[pick] = new_auth[pick]
            close[pick] = new[pick]
            ps[pick] = new_ps[pick]
            pp = pick[has_plan[pick]]
            v["plan_end"][pp] = close[pp]
            held[pick] = True
            moved["assessment_closed"] += len(pick)
        return len(pick)

    if tg.b4_shares is not None and tg.at31 > 0:
        band = duration_band(np.minimum(ref, t1), np.full(len(ref), t1))
        goal = tg.b4_shares * tg.at31
        d = np.bincount(band[stock()], minlength=6)[1:] - goal
        # bands above their goal first; then the bands below it share what the total still
        # lacks, in proportion to their shortfalls (a band whose excess could not be removed
        # does not push the total past its target)
        for b in np.flatnonzero(d > 0):
            k = _stoch_round(rng, float(d[b]))
            k -= move_closures(True, k, band == b + 1)
            close_assessed(k, band == b + 1)
        short = np.maximum(-d, 0.0)
        lack = min(tg.at31 - float(stock().sum()), float(short.sum()))
        for b in np.flatnonzero(short > 0) if lack > 0 else ():
            move_closures(False, _stoch_round(rng, lack * float(short[b] / short.sum())), band == b + 1)
    diff = float(stock().sum()) - tg.at31
    move_closures(diff > 0, _stoch_round(rng, abs(diff)), np.ones(len(close), bool))

    # 3) children awaiting assessment at 31 March (open episodes whose assessment starts after it):
    # an assessment start d days after 31 March is pulled to d - 1 days before it (never before the
    # referral), or one started by 31 March and not yet authorised is pushed past it (never after
    # its authorisation; not where a conference on the CIN details followed the start)
    waiting = awaiting()
    diff = float(waiting.sum()) - tg.awaiting
    k = _stoch_round(rng, abs(diff))
    if diff > 0:
        new = np.maximum(t1 + 1 - (a_s - t1), ref)
        cand = np.flatnonzero(waiting & (a_s != NONE) & (new <= t1))
        pick = _nearest(rng, cand, a_s[cand] - t1, k)
    elif diff < 0:
        new = np.minimum(t1 + 1 + (t1 - a_s), a_auth)
        cand = np.flatnonzero(pushable() & (new > t1))
        pick = _nearest(rng, cand, t1 - a_s[cand], k)
    else:
        pick = np.empty(0, np.int64)
    if len(pick):
        a_s[pick] = new[pick]
        moved["assessment_pulled" if diff > 0 else "assessment_pushed"] = len(pick)
    return moved


ICPC_SETTLE_MARGIN = 70
"""Days from either end of the year within which an ICPC is not moved between C4's bands (its
new date, at most 40 working days after the S47, stays in the year)."""


def _settle_icpc_bands(rng, ep: _Grow, tg: YearTargets, t0: int, t1: int) -> dict:
    """Settle the year's ICPCs on C4's bands of working days from the S47 start (``tg.icpc_bands``
    of the ICPCs held in the year): conferences of bands above their share are held after a number
    of working days drawn in a band below its share (as :func:`_icpc_working_days` draws them), at
    random among those at least :data:`ICPC_SETTLE_MARGIN` days from either end of the year. The
    S47 concludes on the new day and the plan, if any, starts on it (still at least 7 days before
    its end; the episode still open)."""
    out = {"icpc_moved": 0}
    v = ep.view()
    s47, icpc, cpp_s, cpp_e, close = v["s47"], v["icpc"], v["cpp_start"], v["cpp_end"], v["closure"]
    held = np.flatnonzero((icpc >= t0) & (icpc <= t1) & (s47 != NONE))
    if len(held) == 0:
        return out
    wd = working_days_between(s47[held], icpc[held])
    band = icpc_band(wd)
    d = np.bincount(band, minlength=4) - tg.icpc_bands * len(held)
    movable = (icpc[held] >= t0 + ICPC_SETTLE_MARGIN) & (icpc[held] <= t1 - ICPC_SETTLE_MARGIN)
    src = np.concatenate([rng.permutation(np.flatnonzero(movable & (band == b)))[:_stoch_round(rng, d[b])]
                          for b in range(4) if d[b] > 0] or [np.empty(0, np.int64)])
    dest = rng.permutation(np.repeat(np.arange(4), [_stoch_round(rng, -x) if x < 0 else 0 for x in d]))
    n = min(len(src), len(dest))
    if n == 0:
        return out
    rows, new_band = held[src[:n]], dest[:n]
    new = working_days_after(s47[rows], _icpc_working_days(rng, new_band))
    plan = cpp_s[rows] == icpc[rows]
    ok = np.where(plan, new <= cpp_e[rows] - 7, new <= close[rows])
    rows, new, plan = rows[ok], new[ok], plan[ok]
    icpc[rows] = new
    v["s47_end"][rows] = new
    cpp_s[rows[plan]] = new[plan]
    out["icpc_moved"] = len(rows)
    return out


CPP_SETTLE_MIN_DAYS = 30
"""A plan given to a conference of the year by :func:`_settle_conferences` lasts at least this
many days (and ends by 31 March)."""


def _settle_conferences(rng, ch: _Grow, ep: _Grow, tg: YearTargets, t0: int, t1: int,
                        c_scale: float) -> dict:
    """Settle the ICPCs held in census year ``t0``-``t1`` (C4 ``ICPC``, ``tg.icpc``) and the plans
    starting in it (D3 ``CPP_start``, ``tg.cpp_start``) on the LA-year's published counts, without
    changing any stock at 31 March, any S47 or any plan of another year.

    ICPCs, too many: conferences that started no plan are not held (the S47 concludes 5-30 days
    after its start, no later than the conference was). Too few: S47s of the year that concluded
    without one (and no later S47) hold one, a number of working days after the S47 start drawn
    from the LA-year's C4 bands, in the year and by the episode's closure.

    Plans, too many: plans from an S47 conference that ended within the year and were the child's
    only plan in the LA are not started (the conference stays, with no plan). Too few: conferences
    of the year that started no plan, of children with no plan in the LA so far, start one lasting
    a drawn length (as :func:`_apply_cpp` draws them, at least :data:`CPP_SETTLE_MIN_DAYS`; drawn
    again uniformly within the room where it would not end by 31 March and before the episode
    closes); a CIN plan of the episode then starts the day after it ends (none when no day is
    left)."""
    out = {"icpc_added": 0, "icpc_removed": 0, "cpp_added": 0, "cpp_removed": 0}
    v = ep.view()
    s47, s47_end, icpc, cs, ce = v["s47"], v["s47_end"], v["icpc"], v["cpp_start"], v["cpp_end"]
    close, ps, pe, child = v["closure"], v["plan_start"], v["plan_end"], v["child"]
    ncpp, ext = ch.cols["ncpp"], ch.cols["ext_cpp"]
    need = v["outcome"] == OUT_NEED

    held = (icpc >= t0) & (icpc <= t1)
    d = float(held.sum()) - tg.icpc
    k = _stoch_round(rng, abs(d))
    if d > 0:
        pick = rng.permutation(np.flatnonzero(held & (cs == NONE) & (s47 != NONE)))[:k]
        s47_end[pick] = s47[pick] + np.minimum(rng.integers(5, 31, len(pick)), icpc[pick] - s47[pick])
        icpc[pick] = NONE
        out["icpc_removed"] = len(pick)
    elif k > 0:
        cand = np.flatnonzero(need & (s47 >= t0) & (s47 <= t1) & (icpc == NONE) & (v["s47b"] == NONE)
                              & (cs == NONE))
        day = working_days_after(s47[cand], _icpc_working_days(rng, _pick(rng, tg.icpc_bands, len(cand))))
        fit = (day <= t1) & (day <= close[cand])
        pick = rng.permutation(np.flatnonzero(fit))[:k]
        rows = cand[pick]
        icpc[rows] = day[pick]
        s47_end[rows] = day[pick]
        out["icpc_added"] = len(rows)

    start_y = (cs >= t0) & (cs <= t1)
    d = float(start_y.sum()) - tg.cpp_start
    k = _stoch_round(rng, abs(d))
    if d > 0:
        cand = np.flatnonzero(start_y & (cs == icpc) & (v["cin_icpc"] == NONE) & (ce <= t1))
        cand = cand[ncpp[child[cand]] == 1]
        pick = rng.permutation(cand)[:k]
        cs[pick] = NONE
        ce[pick] = NONE
        v["cat_init"][pick] = -1
        v["cat_latest"][pick] = -1
        v["n_prev_cpp"][pick] = 0
        ncpp[child[pick]] -= 1
        out["cpp_removed"] = len(pick)
    elif k > 0:
        held = (icpc >= t0) & (icpc <= t1)
        cand = np.flatnonzero(need & held & (cs == NONE) & (v["cin_icpc"] == NONE))
        cand = cand[ncpp[child[cand]] == 0]
        cand = cand[np.unique(child[cand], return_index=True)[1]]  # one plan a child
        length = np.maximum(CPP_SETTLE_MIN_DAYS,
                            np.rint(stretch_plan(plan_base_lengths(rng, len(cand)), c_scale))).astype(np.int64)
        # the day it can end by: 31 March, or the day before the episode closes
        room = np.minimum(t1, close[cand] - 1) - icpc[cand]
        # a length drawn beyond that is drawn again, uniformly within it
        length = np.where(length <= room, length, CPP_SETTLE_MIN_DAYS + (rng.random(len(cand)) * np.maximum(
            room - CPP_SETTLE_MIN_DAYS + 1, 0)).astype(np.int64))
        end = icpc[cand] + length
        fit = room >= CPP_SETTLE_MIN_DAYS
        pick = rng.permutation(np.flatnonzero(fit))[:k]
        rows, end = cand[pick], end[pick]
        cs[rows] = icpc[rows]
        ce[rows] = end
        cat = _pick_rows(rng, _CAT_W_ROWS, year_of_day(icpc[rows]) - _CAT_W_FIRST)
        v["cat_init"][rows] = cat
        v["cat_latest"][rows] = cat
        kids = child[rows]
        ext[kids] = np.maximum(ext[kids], 0)
        v["n_prev_cpp"][rows] = ext[kids]
        ncpp[kids] += 1
        # the episode's CIN plan, if any, steps down from the plan
        planned = rows[ps[rows] != NONE]
        room = close[planned] > ce[planned] + 1
        ps[planned[room]] = ce[planned[room]] + 1
        ps[planned[~room]] = NONE
        pe[planned[~room]] = NONE
        out["cpp_added"] = len(rows)
    return out


B5_SHORT_SLACK = 0.025
"""Share of its goal by which an LA-year's episodes of 3 months or less ending in the year may stay
above it (:func:`_settle_b5`). Some LA-years cannot reach their LAIT share, their activities
holding the episodes open (Wakefield 2016: 91.6% of 3 months or less), so England fell 0.1-1.6
points short of LAIT's share in 2016-2024 when every LA-year was held to its goal; the LA-years
that drew more keep up to this much of it."""


def _settle_b5(rng, ep: _Grow, n_children: int, pend_child: np.ndarray, pend_day: np.ndarray,
               tg: YearTargets, t0: int, t1: int) -> dict:
    """Settle the episodes of need ending in census year ``t0``-``t1`` on the B5 shares of their
    duration bands (``tg.b5_shares``), by moving closures within the year, so that no count of the
    year or of any other year changes (the episode still ends in the year, after all its
    activities).

    Band by band from the shortest: an excess band lengthens the episodes whose closure is
    nearest the next band's first day to that day (never on or after the child's next referral,
    never past 31 March); a short band takes the episodes of the next band nearest its own last
    day and closes them on that day (never before the authorisation, an S47 or conference, the
    end of a plan, the start of a CIN plan, nor 1 April), and where too few can, the longer bands'
    episodes nearest it that can. Episodes closed as adopted, died or 18
    (RC1, RC2, RC6), whose reason depends on the date, are not moved; an episode is moved at most
    once. An LA-year with more episodes of 3 months or less than its goal keeps up to
    :data:`B5_SHORT_SLACK` of the goal above it, the longer bands' goals sharing the rest in
    proportion."""
    out = {"b5_moved": 0}
    v = ep.view()
    ref, close, outcome, reason, child = v["ref"], v["closure"], v["outcome"], v["reason"], v["child"]
    rc89 = (reason == RC["RC8"]) | (reason == RC["RC9"])
    ended = (close >= t0) & (close <= t1) & (outcome != OUT_NFA) & ~((outcome == OUT_NIN) & rc89)
    if not ended.any():
        return out
    idx = np.flatnonzero(ended & (outcome == OUT_NEED) & (reason != RC["RC1"]) & (reason != RC["RC2"])
                         & (reason != RC["RC6"]))
    now = np.bincount(duration_band(ref[ended], close[ended]), minlength=6)[1:].astype(float)
    goal = tg.b5_shares * float(ended.sum())
    cs, ps = v["cpp_start"][idx], v["plan_start"][idx]
    lb = np.maximum.reduce([ref[idx], v["a_auth"][idx], v["s47_end"][idx], v["s47b_end"][idx],
                            v["cin_icpc"][idx], np.where(cs != NONE, v["cpp_end"][idx], NONE),
                            np.where(ps != NONE, ps + 1, NONE), np.full(len(idx), t0)])
    # the day before the child's next referral (a later episode, or one scheduled)
    order = np.lexsort((ref, child))
    nxt = np.full(len(ref), FAR, np.int64)
    same = child[order][1:] == child[order][:-1]
    nxt[order[:-1][same]] = ref[order][1:][same]
    pend = np.full(n_children, FAR, np.int64)
    np.minimum.at(pend, pend_child, pend_day)
    ub = np.minimum(np.minimum(nxt[idx], pend[child[idx]]) - 1, t1)
    first = band_starts(ref[idx])  # first day of bands 2-5
    band = duration_band(ref[idx], close[idx])
    free = np.ones(len(idx), bool)

    def move(cand: np.ndarray, new: np.ndarray, k: int, to: int) -> int:
        """Close the ``k`` candidates whose closure is nearest ``new`` on it, in band ``to``."""
        pick = _nearest(rng, cand, np.abs(new[cand] - close[idx[cand]]), k)
        rows = idx[pick]
        close[rows] = new[pick]
        plan = rows[v["plan_start"][rows] != NONE]
        v["plan_end"][plan] = close[plan]
        np.subtract.at(now, band[pick] - 1, 1.0)
        now[to - 1] += len(pick)
        band[pick] = to
        free[pick] = False
        out["b5_moved"] += len(pick)
        return len(pick)

    for b in range(4):  # between band b + 1 and band b + 2
        d = now[b] - goal[b]
        if b == 0 and d > 0:  # 3 months or less may stay above its goal by B5_SHORT_SLACK,
            kept = min(d, B5_SHORT_SLACK * goal[0])  # the longer bands' goals sharing the rest
            goal[1:] *= (goal[1:].sum() - kept) / max(goal[1:].sum(), 1e-12)
            goal[0] += kept
            d -= kept
        k = _stoch_round(rng, abs(d))
        if k == 0:
            continue
        if d > 0:  # lengthen band b + 1's episodes into band b + 2
            new = first[:, b]
            move(np.flatnonzero(free & (band == b + 1) & (new <= ub)), new, k, b + 2)
        else:  # shorten band b + 2's episodes into band b + 1
            new = first[:, b] - 1
            k -= move(np.flatnonzero(free & (band == b + 2) & (new >= lb)), new, k, b + 1)
            if k > 0:  # too few of them can end by band b + 1's last day: the longer bands' that can
                move(np.flatnonzero(free & (band > b + 2) & (new >= lb)), new, k, b + 1)
    return out


CPP_LONG_DAYS = 729
"""A plan ending after more than this many days (end date minus start date) lasted 2 years or more
(D7; LAIT ``CPPlans2yrs``: "more than 729 calendar days")."""


def _settle_d7(rng, ep: _Grow, tg: YearTargets, t0: int, t1: int) -> dict:
    """Settle the plans ending in census year ``t0``-``t1`` that lasted 2 years or more (over
    :data:`CPP_LONG_DAYS` days) on the LA-year's share (``tg.d7_long``) by moving plan ends within
    the year, nearest the 2-year line first: too few, and a plan ending before it ends on its
    730th day (no later than 31 March, its episode's closure, or 2 days before it when a CIN plan
    follows); too many, and a longer plan ends on its 729th day (not before 1 April). No count of
    plans started, ending or open at 31 March changes; a step-down CIN plan starts the day after."""
    out = {"d7_moved": 0}
    if tg.d7_long is None:
        return out
    v = ep.view()
    cs, ce, close, ps = v["cpp_start"], v["cpp_end"], v["closure"], v["plan_start"]
    ending = (cs != NONE) & (ce >= t0) & (ce <= t1)
    if not ending.any():
        return out
    long_ = ce - cs > CPP_LONG_DAYS
    d = float(np.sum(ending & long_)) - tg.d7_long * float(ending.sum())
    k = _stoch_round(rng, abs(d))
    if d < 0:
        new = cs + CPP_LONG_DAYS + 1
        ok = ending & ~long_ & (new <= t1) & (new <= np.where(ps != NONE, close - 2, close))
    else:
        new = cs + CPP_LONG_DAYS
        ok = ending & long_ & (new >= t0)
    cand = np.flatnonzero(ok)
    pick = _nearest(rng, cand, np.abs(new[cand] - ce[cand]), k)
    ce[pick] = new[pick]
    step = pick[ps[pick] != NONE]
    ps[step] = ce[step] + 1
    out["d7_moved"] = len(pick)
    return out


def _settle_subsequent(rng, ch: _Grow, ep: _Grow, tg: YearTargets, t0: int, t1: int) -> dict:
    """Settle the plans starting in census year ``t0``-``t1`` that are a second or subsequent plan
    (D3: ``NumberOfPreviousCPP`` above 0) on the LA-year's published share (``tg.sub_share``).

    Only a child's first and only plan in the LA can change, through the plans the child had in
    other LAs before (``ext_cpp``, which its later plans count too): too many, and some of them
    have none; too few, and some have 1 (80%) or 2. Plans after an earlier plan in the LA stay
    subsequent."""
    out = {"subsequent_set": 0, "subsequent_cleared": 0}
    v = ep.view()
    cs, npv = v["cpp_start"], v["n_prev_cpp"]
    rows = np.flatnonzero((cs >= t0) & (cs <= t1))
    if not len(rows):
        return out
    d = float(np.sum(npv[rows] > 0)) - tg.sub_share * len(rows)
    k = _stoch_round(rng, abs(d))
    only = rows[ch.cols["ncpp"][v["child"][rows]] == 1]
    cand = only[npv[only] > 0] if d > 0 else only[npv[only] == 0]
    pick = rng.permutation(cand)[:k]
    ext = np.zeros(len(pick), np.int64) if d > 0 else np.where(rng.random(len(pick)) < 0.8, 1, 2)
    npv[pick] = ext
    ch.cols["ext_cpp"][v["child"][pick]] = ext
    out["subsequent_cleared" if d > 0 else "subsequent_set"] = len(pick)
    return out


def _settle_categories(rng, ep: _Grow, t0: int, t1: int, want: np.ndarray | None = None) -> dict:
    """Settle the initial categories of abuse of the plans open at 31 March ``t1`` on England's
    shares of the year (:func:`category_stock_shares`) by changing those of plans that started in
    the year: a category above its share gives plans, at random, to those below theirs (a latest
    category equal to the initial one follows it). Plans of earlier years keep theirs, so no
    earlier year's stock changes; the LA-year's stock, not a national total, is settled, so
    England's figures hold up to rounding. ``want``: the LA's whole counts by category instead
    (its quota in ``SEX_YEAR``; neglect takes the rest of the stock)."""
    out = {"categories_moved": 0}
    v = ep.view()
    cs, ce, ci, cl = v["cpp_start"], v["cpp_end"], v["cat_init"], v["cat_latest"]
    open_ = (cs != NONE) & (cs <= t1) & (ce > t1)
    if not open_.any():
        return out
    year = int(year_of_day(np.array([t1]))[0])
    if want is None:
        want = category_stock_shares(year) * open_.sum()
    else:
        want = want.astype(float)
        want[0] = max(open_.sum() - want[1:].sum(), 0.0)
    d = np.bincount(ci[open_], minlength=len(CATEGORIES)) - want
    mine = open_ & (cs >= t0)
    src = np.concatenate([rng.permutation(np.flatnonzero(mine & (ci == c)))[:_stoch_round(rng, d[c])]
                          for c in range(len(CATEGORIES)) if d[c] > 0] or [np.empty(0, np.int64)])
    dest = rng.permutation(np.repeat(np.arange(len(CATEGORIES)),
                                     [_stoch_round(rng, -x) if x < 0 else 0 for x in d]))
    n = min(len(src), len(dest))
    rows = src[:n]
    same = cl[rows] == ci[rows]
    ci[rows] = dest[:n]
    cl[rows[same]] = dest[:n][same]
    out["categories_moved"] = n
    return out


UNBORN_AT31_SHARE = 6860 / 389260
UNBORN_CPP_SHARE = 1220 / 51510
"""Unborn children's shares of the children in need at 31 March (A4 2020: 6,860 of 389,260) and
of the children on a plan (A5 2020: 1,220 of 51,510), the only year published: every LA-year's
stocks at 31 March are settled on them (:func:`_settle_unborn`)."""


def _settle_unborn(rng, ch: _Grow, ep: _Grow, t1: int, quota: SexYearQuota | None = None) -> dict:
    """Move the dates of birth of children first referred before birth across 31 March ``t1``
    until the unborn among the children on a plan at 31 March, then among the other children in
    need at 31 March, make :data:`UNBORN_CPP_SHARE` and :data:`UNBORN_AT31_SHARE` of the LA-year's
    stocks (rounded at random); with the LA's ``quota`` (in ``SEX_YEAR``), its whole counts of
    both (``quota.unborn``), the plans at least what its counts of unborn children's plans by
    category need.

    A birth ``d`` days after 31 March moves to ``d - 1`` days before it (and back), nearest first,
    held after the child's first referral and at most :data:`UNBORN_MAX_DAYS` after it (as drawn),
    and before any death. The first referral of such a child is in the year, so no other 31 March
    sees the child born or unborn differently; the stocks themselves do not move."""
    v = ep.view()
    dob, death = ch.cols["dob"], ch.cols["death"]
    child = v["child"]
    # first referrals: a birth this settlement can move is within UNBORN_MAX_DAYS of 31 March and
    # within UNBORN_MAX_DAYS of the child's first referral, so older episodes cannot matter
    recent = np.flatnonzero(v["ref"] > t1 - 2 * UNBORN_MAX_DAYS)
    first_ref = np.full(ch.n, FAR, np.int64)
    np.minimum.at(first_ref, child[recent], v["ref"][recent])
    at31 = _open_at31(v, t1)
    on_plan = at31 & (v["cpp_start"] != NONE) & (v["cpp_start"] <= t1) & (v["cpp_end"] > t1)
    moved = {"births_moved": 0}
    # plans first; then the children in need (plans included), moving only those not on a plan
    for i, (stock, movable, share) in enumerate(((on_plan, on_plan, UNBORN_CPP_SHARE),
                                                 (at31, at31 & ~on_plan, UNBORN_AT31_SHARE))):
        want = _stoch_round(rng, share * int(stock.sum()))
        if quota is not None:
            want = int(quota.unborn[1 - i])
            if stock is on_plan:
                want = min(max(want, int(quota.unborn_plans[1:].sum())), int(stock.sum()))
        diff = want - int(np.sum(dob[child[stock]] > t1))
        if diff == 0:
            continue
        kid = child[np.flatnonzero(movable)]
        unborn = dob[kid] > t1
        before_birth = first_ref[kid] < dob[kid]
        if diff > 0:  # born by 31 March -> born after it
            new = np.minimum(2 * t1 + 1 - dob[kid], first_ref[kid] + UNBORN_MAX_DAYS)
            ok = ~unborn & before_birth & (new > t1) & ((death[kid] == NONE) | (death[kid] > new))
            dist = t1 - dob[kid]
        else:
            new = np.maximum(2 * t1 + 1 - dob[kid], first_ref[kid] + 1)
            ok = unborn & (new <= t1)
            dist = dob[kid] - t1
        cand = np.flatnonzero(ok)
        pick = _nearest(rng, cand, dist[cand], abs(diff))
        dob[kid[pick]] = new[pick]
        moved["births_moved"] += len(pick)
    return moved


_A5_2020_UNBORN_BY_CATEGORY = np.array([850, 90, 20, 240, 20], float)
UNBORN_CATEGORY_SHARES = _A5_2020_UNBORN_BY_CATEGORY / _A5_2020_UNBORN_BY_CATEGORY.sum()
A5_2020_FEMALE_ON_PLAN = FEMALE_SHARE_BY_CATEGORY * (np.array(_CAT_STOCK_BY_YEAR[2020]) - _A5_2020_UNBORN_BY_CATEGORY)
"""England's born girls on a plan at 31 March 2020 by initial category: each category's female share
of known sex (A5: 610 of 1,300 multiple) times its born children (A5's total less unborn: 1,310),
so that girls and boys are both near A5's (614.7 and 695.3 against 610 and 690; the rounded
published figures leave 10 of the 1,330 multiple plans to unknown sex, suppressed)."""
"""Initial categories of unborn children's plans at 31 March (A5 2020, ``CATEGORIES`` order):
70% neglect against 50% of all plans."""


ADULT_SHARE_BY_YEAR = {2013: 0.082, 2023: 0.133, 2024: 0.141}
"""Share of the children in need at 31 March aged 18 or over (young people who go on receiving care,
accommodation or support from children's services): 8.2% in 2013, 13.3% in 2023, 14.1% in 2024, the
only years quoted (published_tables_pass3.md, A7). Between 2013 and 2023 the share is interpolated
linearly, before 2013 it is 2013's, after 2024 2024's (``adult_share``)."""
AGE_18_DAYS, AGE_25_DAYS = 6573, 9130
"""Days that a child is surely under 18 (25) after its birth: 18 (25) years less a day or two."""


def adult_share(year: int) -> float:
    years = sorted(ADULT_SHARE_BY_YEAR)
    return float(np.interp(year, years, [ADULT_SHARE_BY_YEAR[y] for y in years]))


def settle_adults(rng, dob: np.ndarray, ep: dict, years) -> dict:
    """Make ``adult_share`` of each year's children in need at 31 March 18 or over, by moving the
    dates of birth of children in the stock back so that they turn 18 in that census year (born
    1 April to 31 March 19 to 18 years before its 31 March; so no earlier 31 March changes), in
    ``years`` order. A child can be moved only if it stays under 18 at every referral, assessment,
    Section 47, conference, child protection plan and CIN plan it has, and under 25 while an
    episode is open (DfE's query on episodes open after the 25th birthday); never a child referred
    before its birth, nor one whose episode closed as adopted (RC1). The moved children are chosen at
    random and born on a day drawn uniformly in what the rules leave. ``dob`` changes in place;
    returns the children moved by year."""
    n = len(dob)
    child = ep["child"]
    last = np.full(n, NONE, np.int64)
    for col in ("ref", "a_start", "a_auth", "s47", "s47b", "icpc", "cpp_start", "plan_start"):
        np.maximum.at(last, child, ep[col])
    t_end = period(max(years))[1]
    close = np.where(ep["closure"] >= FAR, t_end, ep["closure"])
    last_close = np.full(n, NONE, np.int64)
    np.maximum.at(last_close, child, close)
    first_ref = np.full(n, FAR, np.int64)
    np.minimum.at(first_ref, child, ep["ref"])
    ok = first_ref >= dob  # not referred before birth
    ok[child[ep["reason"] == RC["RC1"]]] = False
    lo_rules = np.maximum(last - AGE_18_DAYS, last_close - AGE_25_DAYS)
    moved = {}
    for y in years:
        t1 = period(y)[1]
        hi = to_day(_dt.date(y - 18, 3, 31))
        lo = np.maximum(lo_rules, to_day(_dt.date(y - 19, 3, 31)))  # exclusive
        kids = stock_children(ep, t1)
        need = _stoch_round(rng, adult_share(y) * len(kids)) - int(np.sum(dob[kids] <= hi))
        cand = kids[ok[kids] & (dob[kids] > hi) & (lo[kids] < hi)]
        pick = rng.permutation(cand)[:max(need, 0)]
        dob[pick] = lo[pick] + 1 + (rng.random(len(pick)) * (hi - lo[pick])).astype(np.int64)
        moved[y] = len(pick)
    return moved


def swap_unborn_categories(rng, ep: dict, dob: np.ndarray, years, quota: SexYearQuota | None = None) -> int:
    """Give the plans of unborn children open at 31 March of each census year in ``years`` the
    initial categories of ``UNBORN_CATEGORY_SHARES``, keeping every other count of categories.

    A category above its count of the LA-year (the shares times the unborn plans, rounded at
    random to whole plans) swaps its categories (initial and latest together) with a plan of a
    born child of a category below its count, which started in the same year and ends in the same
    census year (or is open at the end of both): so the two are open at the same 31 Marches, start
    in the same year and end in the same year, and no count by category of any year moves. A
    category still short with no such partner is reached through a third, by two swaps. With
    the LA's ``quota``, in ``SEX_YEAR`` each category but neglect has its whole count of
    ``unborn_plans`` (where the plans are too few, emotional abuse gives way first, then physical
    abuse) and neglect the rest. ``ep`` is the episodes' column view, changed in place. Returns
    the number of swaps."""
    cs, ce, child = ep["cpp_start"], ep["cpp_end"], ep["child"]
    ci, cl = ep["cat_init"], ep["cat_latest"]
    has = cs != NONE
    end_year = np.where(has, year_of_day(np.where(has, ce, 0)), 0)
    swaps = 0
    for y in years:
        t0, t1 = period(y)
        mine = has & (cs >= t0) & (cs <= t1) & (ce > t1)
        unborn = mine & (dob[child] > t1)
        n = int(unborn.sum())
        if n == 0:
            continue
        # whole plans by systematic rounding: each category rounded up with the chance of its
        # fraction, the total kept
        cum = np.cumsum(UNBORN_CATEGORY_SHARES * n) + rng.random()
        want = np.diff(np.floor(cum), prepend=np.floor(cum[0] - UNBORN_CATEGORY_SHARES[0] * n)).astype(np.int64)
        if quota is not None and y == SEX_YEAR:  # (the draw above is kept: later years' numbers)
            want = quota.unborn_plans.copy()
            for c in np.argsort(-UNBORN_CATEGORY_SHARES[1:], kind="stable") + 1:  # too few plans:
                want[c] -= min(want[c], max(want[1:].sum() - n, 0))  # the larger categories give
            want[0] = n - want[1:].sum()
        d = np.bincount(ci[unborn], minlength=len(CATEGORIES)) - want
        born = np.flatnonzero(mine & ~unborn)

        def swap(row, other):
            ci[row], ci[other] = ci[other], ci[row]
            cl[row], cl[other] = cl[other], cl[row]

        rows = np.flatnonzero(unborn)
        for row in rng.permutation(rows):
            c = ci[row]
            if d[c] <= 0:
                continue
            partners = born[(d[ci[born]] < 0) & (end_year[born] == end_year[row])]
            if not len(partners):
                continue
            other = partners[rng.integers(len(partners))]
            d[c] -= 1
            d[ci[other]] += 1
            swap(row, other)
            born = born[born != other]
            swaps += 1
        # a category still short with no partner of its own: through a third, two swaps (another
        # unborn plan takes the short category, the surplus one takes the third)
        for row in rng.permutation(rows):
            if d[ci[row]] <= 0 or not (d < 0).any():
                continue
            for other in rng.permutation(born[(end_year[born] == end_year[row]) & (ci[born] != ci[row])]):
                mid = rows[(rows != row) & (ci[rows] == ci[other])]
                pair = [(r0, q) for r0 in mid for q in born[(d[ci[born]] < 0) & (end_year[born] == end_year[r0])
                                                              & (born != other)]]
                if pair:
                    r0, q = pair[0]
                    d[ci[row]] -= 1
                    d[ci[q]] += 1
                    swap(r0, q)
                    swap(row, other)
                    born = born[(born != other) & (born != q)]
                    swaps += 2
                    break
    return swaps


CARRY_MAX_SHARE = 0.5
"""At most this share of an LA-year's episodes open at 31 March is settled as not in need."""


def carry_target(tg: YearTargets, nx: YearTargets) -> float:
    """Episodes open at 31 March that the next year closes as not in need (RC8/RC9 after an
    assessment), from B1's published flows: neither ended nor at any point in the next year, so
    ``at31 + next year's started - next year's at any point`` of them (0 when unpublished;
    at most :data:`CARRY_MAX_SHARE` of the stock)."""
    if tg.at31 <= 0 or nx.started <= 0 or nx.anypoint <= 0:
        return 0.0
    return float(np.clip(tg.at31 + nx.started - nx.anypoint, 0.0, CARRY_MAX_SHARE * tg.at31))


def _settle_carry(rng, ep: _Grow, target: float, t1: int) -> dict:
    """Settle the episodes open at 31 March ``t1`` that close as not in need after it on
    ``target`` (:func:`carry_target`): the published B1 flows need 35,000-51,000 of them a year in
    England (9-14% of the episodes ending), more than the few days from a not-in-need assessment
    to its closure give.

    * Too few: open in-need episodes closing in the next year, with an assessment and no S47,
      conference or plan (their CIN plan, if any, is dropped: rule 2990), become not in need,
      those whose assessment was authorised nearest 31 March first: closed RC8 (RC9 from 2022-23
      in its share) a few days after the authorisation or 31 March, whichever is later, never
      later than before.
    * Too many: open not-in-need episodes whose assessment recorded a factor other than 21 become
      episodes of need, closed on the same day as "services ceased for any other reason" (RC7).

    The year's own counts do not change (open at 31 March and started either way); the next year
    neither ends nor counts at any point an episode closed as not in need."""
    out = {"carried_nin": 0, "carried_need": 0}
    v = ep.view()
    ref, close, a_auth, outcome = v["ref"], v["closure"], v["a_auth"], v["outcome"]
    at31 = (outcome != OUT_NFA) & (ref <= t1) & (close > t1) & (close <= t1 + 366)
    diff = float(np.sum(at31 & (outcome == OUT_NIN))) - target
    k = _stoch_round(rng, abs(diff))
    if k <= 0:
        return out
    if diff < 0:
        ok = (at31 & (outcome == OUT_NEED) & (v["a_start"] != NONE) & (a_auth != NONE) & (a_auth <= close)
              & (v["s47"] == NONE) & (v["s47b"] == NONE) & (v["icpc"] == NONE) & (v["cin_icpc"] == NONE)
              & (v["cpp_start"] == NONE))
        cand = np.flatnonzero(ok)
        pick = _nearest(rng, cand, np.abs(a_auth[cand] - t1), k)
        if len(pick):
            new = np.minimum(np.maximum(a_auth[pick], t1 + 1) + rng.integers(0, 8, len(pick)), close[pick])
            close[pick] = new
            outcome[pick] = OUT_NIN
            rc9 = (rng.random(len(pick)) < 0.35) & (year_of_day(new) >= 2023)
            v["reason"][pick] = np.where(rc9, RC["RC9"], RC["RC8"])
            v["plan_start"][pick] = NONE
            v["plan_end"][pick] = NONE
            out["carried_nin"] = len(pick)
    else:
        only21 = np.int64(1) << BIT_21
        cand = np.flatnonzero(at31 & (outcome == OUT_NIN) & ((v["factors"] & ~only21) != 0))
        pick = rng.permutation(cand)[:k]
        outcome[pick] = OUT_NEED
        v["reason"][pick] = RC["RC7"]
        out["carried_need"] = len(pick)
    return out


def _settle_factors(rng, ep: _Grow, tg: YearTargets, t0: int, t1: int, factor_scale: float) -> dict:
    """Settle the episodes with an assessment factor (C3: assessments authorised in the year with
    a factor other than 21) on ``tg.ewf``: a not-in-need episode's assessment records "21 No
    factors identified" alone instead of its factors (an episode of need too, once no
    not-in-need one is left: a published count far below the LA's other years, West Sussex 2023
    509 against 6,365-7,447), or factors drawn as any assessment's instead of 21 alone; then each
    factor on its published count (``tg.factor_p`` of ``tg.ewf``). Factors show only in the return of the year of
    authorisation, so no earlier return changes."""
    out = {"factors_cleared": 0, "factors_drawn": 0, "factor_flips": 0}
    if tg.ewf is None:
        return out
    v = ep.view()
    f = v["factors"]
    only21 = np.int64(1) << BIT_21
    auth_y = (v["a_auth"] >= t0) & (v["a_auth"] <= t1)
    nin_y = auth_y & (v["outcome"] == OUT_NIN)
    diff = float(np.sum(auth_y & ((f & ~only21) != 0))) - tg.ewf
    k = _stoch_round(rng, abs(diff))
    if diff > 0:
        cand = np.flatnonzero(nin_y & ((f & ~only21) != 0))
        pick = rng.permutation(cand)[:k]
        if len(pick) < k:
            more = np.flatnonzero(auth_y & (v["outcome"] == OUT_NEED) & ((f & ~only21) != 0))
            pick = np.concatenate([pick, rng.permutation(more)[:k - len(pick)]])
        f[pick] = only21
        out["factors_cleared"] = len(pick)
    elif diff < 0:
        cand = np.flatnonzero(nin_y & (f == only21))
        pick = rng.permutation(cand)[:k]
        if len(pick):
            f[pick] = _draw_factors(rng, np.minimum(tg.factor_p * factor_scale, 0.95), len(pick))
        out["factors_drawn"] = len(pick)
    # then each factor on its published count (its share of the published episodes with a
    # factor, which those settled above can miss where the year's assessments are too few): set
    # on episodes without it, or cleared on episodes with another factor (so the episodes with a
    # factor stay as settled)
    wf = np.flatnonzero(auth_y & ((f & ~only21) != 0))
    for j in range(BIT_21) if len(wf) else ():
        bit = np.int64(1) << j
        has = (f[wf] & bit) != 0
        d = float(has.sum()) - min(float(tg.factor_p[j]) * tg.ewf, len(wf))
        k = _stoch_round(rng, abs(d))
        if d > 0:
            cand = wf[has & ((f[wf] & ~bit & ~only21) != 0)]
            pick = rng.permutation(cand)[:k]
            f[pick] &= ~bit
        elif d < 0:
            pick = rng.permutation(wf[~has])[:k]
            f[pick] |= bit
        else:
            continue
        out["factor_flips"] += len(pick)
    return out


def _schedule_next(rng, ch: _Grow, epi: dict, pi_w: float, idx: np.ndarray, early: float = 1.0,
                   chain: float = 1.0):
    """Next referral of each child of the batch: within 12 months, later, or never. A referral
    that is itself a re-referral is ``chain`` times as likely to be followed by another.
    Returns (children, days, within 12 months, previous referrals, previous referral was a
    re-referral)."""
    n = len(epi["ref"])
    ref = epi["ref"]
    end = np.where(epi["outcome"] == OUT_NFA, ref, epi["closure"])
    weight = np.where(epi["outcome"] == OUT_NEED, NEED_REREFERRAL_WEIGHT, 1.0)
    is_rr = (epi["prev_ref"] != NONE) & (ref - epi["prev_ref"] <= 365)
    weight = weight * np.where(is_rr, chain, 1.0)
    room = ref + 365 - end
    within = (room >= 2) & (rng.random(n) < np.minimum(pi_w * weight, 0.98))
    later = ~within & (rng.random(n) < P_LONG_RETURN)
    lo = end + 1
    day_within = lo + (rng.random(n) ** early * np.maximum(ref + 365 - lo + 1, 1)).astype(np.int64)
    day_later = np.maximum(end + 1, ref + 366) + rng.exponential(LONG_RETURN_MEAN_DAYS, n).astype(np.int64)
    day = np.where(within, day_within, day_later)
    go = (within | later) & (end < FAR)
    dob = ch.cols["dob"][epi["child"]]
    alive = ch.cols["death"][epi["child"]] == NONE
    go &= alive & (day < dob + int(18 * 365.25))
    return epi["child"][go], day[go], within[go], ref[go], is_rr[go]
