"""Census-year cut and XML writer for a simulated LA.

:func:`render_return` turns the life histories of one LA (:class:`~.simulate.LASimulation`) into
the XML return of one census year, holding exactly what a real return holds on 31 March:

* every child with an episode open at any point in the year, or a referral in the year (NFA
  referrals only in the year of the referral);
* only activity dated up to 31 March: a closure, an assessment authorisation, an ICPC, a plan
  end after 31 March are not shown (the episode, assessment, S47 or plan is shown open);
* only activity the rules allow in the year: assessments authorised, S47s concluded, plans
  ended before 1 April are left out (rules 8696, 8715, 4013, 8930), reviews are those of the year;
* a UPN (or a reason UN2-UN6, or UN7 for NFA-only children) for every child of school age as the
  year's validation defines it (:func:`cin_pipeline.census.spec.school_age_dob`, rule 8770Q); UN1 only for younger children.

Element order comes from :func:`cin_pipeline.census.spec.block_items` (so ``GenderCurrent`` /
``Sex`` and ``CINPlanDates`` follow the year), code validity from the code sets in ``spec``.
The text is built from precomputed fragments (dates as ISO strings from a lookup table) and all
values are generated codes, dates and alphanumeric ids; text values still go through
:func:`xml.sax.saxutils.escape`.
"""

from __future__ import annotations

import datetime as _dt
from xml.sax.saxutils import escape

import numpy as np

from cin_pipeline.census import spec

from .simulate import (CATEGORIES, CLOSURE_REASONS, DISABILITIES, ETHNICITIES, FACTOR_CODES, NONE,
                       OUT_NFA, PRIMARY_NEEDS, REFERRAL_SOURCES, SEX_FEMALE, SEX_MALE, SEX_UNKNOWN,
                       UPN_UNKNOWN_SCHOOL, LASimulation, icpc_target_day, period, recorded_ethnicity, to_day)

_D0 = to_day(_dt.date(1940, 1, 1))
_DATES = [(_dt.date(1940, 1, 1) + _dt.timedelta(days=i)).isoformat() for i in range(to_day(_dt.date(2031, 1, 1)) - _D0)]


def iso(day: int) -> str:
    """ISO date of a day number (1940-2030)."""
    return _DATES[day - _D0]


def la_child_id(la: str, i: int) -> str:
    """LAchildID of child ``i`` of LA ``la``: 12 alphanumeric characters, unique in the LA."""
    return f"C{la}{(i * 104729 + 7321) % 100_000_000:08d}"


def upn(la: str, i: int) -> str:
    """UPN of child ``i``: LA code in characters 2-4, digits 5-13, check letter from ``spec``."""
    body = f"{la}{(i * 7919 + 123457) % 100_000_000:08d}{i % 10}"
    return spec.upn_check_letter(body) + body


def _factor_codes(mask: int, cache: dict) -> str:
    frag = cache.get(mask)
    if frag is None:
        codes = []
        m = mask
        while m:
            low = m & -m
            codes.append(FACTOR_CODES[low.bit_length() - 1])
            m ^= low
        frag = ("<FactorsIdentifiedAtAssessment>"
                + "".join(f"<AssessmentFactors>{c}</AssessmentFactors>" for c in codes)
                + "</FactorsIdentifiedAtAssessment>")
        cache[mask] = frag
    return frag


def header_xml(la: str, year: int, release: str) -> str:
    """The return header; ``DateTime`` is derived from the LA and year (no clock time)."""
    code = int(la)
    stamp = f"{year}-05-{10 + code % 18:02d}T{8 + code % 9:02d}:{code % 60:02d}:00"
    return ("<Header><CollectionDetails><Collection>CIN</Collection>"
            f"<Year>{year}</Year><ReferenceDate>{spec.reference_date(year).isoformat()}</ReferenceDate>"
            "</CollectionDetails><Source><SourceLevel>L</SourceLevel>"
            f"<LEA>{escape(la)}</LEA><SoftwareCode>cin_pipeline synthetic generator</SoftwareCode>"
            f"<Release>{escape(release)}</Release><SerialNo>001</SerialNo><DateTime>{stamp}</DateTime>"
            "</Source></Header>")


def visible_episodes(sim: LASimulation, year: int) -> np.ndarray:
    """Indices of the episodes in the ``year`` return, sorted by child then referral date."""
    t0, t1 = period(year)
    e = sim.episodes
    vis = (e.ref <= t1) & ((e.ref >= t0) | ((e.outcome != OUT_NFA) & (e.closure >= t0)))
    idx = np.flatnonzero(vis)
    order = np.lexsort((e.ref[idx], e.child[idx]))
    return idx[order]


def render_return(sim: LASimulation, year: int, release: str = "0.1.0") -> tuple[str, int, int]:
    """XML text of the ``year`` return of ``sim.la``; returns (text, children, episodes)."""
    la = sim.la
    t0, t1 = period(year)
    idx = visible_episodes(sim, year)
    e, c = sim.episodes, sim.children
    cols = {name: getattr(e, name)[idx].tolist() for name in (
        "child", "ref", "source", "outcome", "need", "a_start", "a_auth", "factors", "s47",
        "s47_end", "s47b", "s47b_end", "icpc_target", "icpc", "cpp_start", "cpp_end", "cat_init", "cat_latest",
        "n_prev_cpp", "rev_first", "rev_every", "plan_start", "plan_end", "closure", "reason",
        "cin_icpc")}
    child_ids = sorted(set(cols["child"]))
    ch_dob = c.dob[child_ids].tolist()
    ch_sex = c.sex[child_ids].tolist()
    ch_eth = recorded_ethnicity(c, np.asarray(child_ids, np.int64), t1).tolist()
    ch_dis = c.dis[child_ids].tolist()
    ch_upn = c.has_upn[child_ids].tolist()
    ch_unk = c.unk[child_ids].tolist()
    ch_death = c.death[child_ids].tolist()

    sex_el = spec.sex_element(year)
    sex_codes = {"Sex": {SEX_MALE: "M", SEX_FEMALE: "F", SEX_UNKNOWN: "U"},
                 "GenderCurrent": {SEX_MALE: "1", SEX_FEMALE: "2", SEX_UNKNOWN: "0"}}[sex_el]
    id_order = [i.name for i in spec.block_items("ChildIdentifiers", year)]
    ep_order = [i.name for i in spec.block_items("CINdetails", year)]
    slot = {name: ep_order.index(name) if name in ep_order else len(ep_order) for name in (
        "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
        "Assessments", "CINPlanDates", "Section47", "ReferralNFA", "ChildProtectionPlans",
        "DateOfInitialCPC")}
    S_REF, S_SRC, S_NEED, S_CLOSE, S_RC = (slot[k] for k in ("CINreferralDate", "ReferralSource", "PrimaryNeedCode",
                                                               "CINclosureDate", "ReasonForClosure"))
    S_ASS, S_PLAN, S_S47, S_NFA, S_CPP, S_ICPC = (slot[k] for k in (
        "Assessments", "CINPlanDates", "Section47", "ReferralNFA", "ChildProtectionPlans", "DateOfInitialCPC"))
    n_slots = len(ep_order) + 1
    ids = sim.__dict__.setdefault("_id_cache", {})
    upns = sim.__dict__.setdefault("_upn_cache", {})
    plans_on = spec.has_cin_plan_dates(year)
    valid_rc = set(spec.codes("ReasonForClosure", year))
    valid_src = set(spec.codes("ReferralSource", year))
    school_dob = to_day(spec.school_age_dob(year))
    fcache: dict = {}

    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<Message>', header_xml(la, year, release), "<Children>"]
    n_eps = len(idx)
    pos = 0
    for k, ci in enumerate(child_ids):
        start = pos
        while pos < n_eps and cols["child"][pos] == ci:
            pos += 1
        eps = range(start, pos)
        all_nfa = all(cols["outcome"][j] == OUT_NFA for j in eps)

        dob = ch_dob[k]
        lid = ids.get(ci)
        if lid is None:
            lid = ids[ci] = f"<LAchildID>{escape(la_child_id(la, ci))}</LAchildID>"
        ident = {"LAchildID": lid}
        if dob > t1:
            ident["ExpectedPersonBirthDate"] = f"<ExpectedPersonBirthDate>{iso(dob)}</ExpectedPersonBirthDate>"
            sex = sex_codes[SEX_UNKNOWN]
        else:
            ident["PersonBirthDate"] = f"<PersonBirthDate>{iso(dob)}</PersonBirthDate>"
            sex = sex_codes[ch_sex[k]]
        ident[sex_el] = f"<{sex_el}>{sex}</{sex_el}>"
        school_age = dob <= school_dob
        if school_age and ch_upn[k]:
            u = upns.get(ci)
            if u is None:
                u = upns[ci] = f"<UPN>{upn(la, ci)}</UPN>"
            ident["UPN"] = u
        elif all_nfa and ci % 3 == 0:
            ident["UPNunknown"] = "<UPNunknown>UN7</UPNunknown>"
        elif not school_age:
            ident["UPNunknown"] = "<UPNunknown>UN1</UPNunknown>"
        else:
            ident["UPNunknown"] = f"<UPNunknown>{UPN_UNKNOWN_SCHOOL[ch_unk[k]]}</UPNunknown>"
        death = ch_death[k]
        if death != NONE and t0 <= death <= t1:
            ident["PersonDeathDate"] = f"<PersonDeathDate>{iso(death)}</PersonDeathDate>"

        dis = ch_dis[k]
        if dis:
            dcodes = "".join(f"<Disability>{DISABILITIES[b]}</Disability>" for b in range(len(DISABILITIES)) if dis >> b & 1)
        else:
            dcodes = "<Disability>NONE</Disability>"
        out.append("<Child><ChildIdentifiers>" + "".join(ident.get(n, "") for n in id_order)
                   + "</ChildIdentifiers><ChildCharacteristics><Ethnicity>" + ETHNICITIES[ch_eth[k]]
                   + "</Ethnicity><Disabilities>" + dcodes + "</Disabilities></ChildCharacteristics>")

        for j in eps:
            part = [""] * n_slots
            ref = cols["ref"][j]
            src = REFERRAL_SOURCES[cols["source"][j]]
            part[S_REF] = f"<CINreferralDate>{iso(ref)}</CINreferralDate>"
            part[S_SRC] = f"<ReferralSource>{src if src in valid_src else '10'}</ReferralSource>"
            nfa = cols["outcome"][j] == OUT_NFA
            part[S_NFA] = f"<ReferralNFA>{1 if nfa else 0}</ReferralNFA>"
            if not nfa:
                part[S_NEED] = f"<PrimaryNeedCode>{PRIMARY_NEEDS[cols['need'][j]]}</PrimaryNeedCode>"
                closure = cols["closure"][j]
                if closure <= t1:
                    rc = CLOSURE_REASONS[cols["reason"][j]]
                    part[S_CLOSE] = f"<CINclosureDate>{iso(closure)}</CINclosureDate>"
                    part[S_RC] = f"<ReasonForClosure>{rc if rc in valid_rc else 'RC8'}</ReasonForClosure>"
                a_start, a_auth = cols["a_start"][j], cols["a_auth"][j]
                if a_start != NONE and a_start <= t1 and a_auth >= t0:
                    if a_auth <= t1:
                        part[S_ASS] = (f"<Assessments><AssessmentActualStartDate>{iso(a_start)}</AssessmentActualStartDate>"
                                               f"<AssessmentAuthorisationDate>{iso(a_auth)}</AssessmentAuthorisationDate>"
                                               + _factor_codes(cols["factors"][j], fcache) + "</Assessments>")
                    else:
                        part[S_ASS] = f"<Assessments><AssessmentActualStartDate>{iso(a_start)}</AssessmentActualStartDate></Assessments>"
                ps, pe = cols["plan_start"][j], cols["plan_end"][j]
                if plans_on and ps != NONE and ps <= t1 and pe >= t0:
                    end = f"<CINPlanEndDate>{iso(pe)}</CINPlanEndDate>" if pe <= t1 else ""
                    part[S_PLAN] = f"<CINPlanDates><CINPlanStartDate>{iso(ps)}</CINPlanStartDate>{end}</CINPlanDates>"
                s47, s47_end = cols["s47"][j], cols["s47_end"][j]
                if s47 != NONE and s47 <= t1 and s47_end >= t0:
                    icpc = cols["icpc"][j]
                    held = icpc != NONE and icpc <= t1
                    not_req = icpc == NONE and s47_end <= t1
                    part[S_S47] = (f"<Section47><S47ActualStartDate>{iso(s47)}</S47ActualStartDate>"
                                         f"<InitialCPCtarget>{iso(cols['icpc_target'][j])}</InitialCPCtarget>"
                                         + (f"<DateOfInitialCPC>{iso(icpc)}</DateOfInitialCPC>" if held else "")
                                         + f"<ICPCnotRequired>{1 if not_req else 0}</ICPCnotRequired></Section47>")
                s47b, s47b_end = cols["s47b"][j], cols["s47b_end"][j]
                if s47b != NONE and s47b <= t1 and s47b_end >= t0:  # a later S47, no conference
                    part[S_S47] = (part[S_S47] or "") + (
                        f"<Section47><S47ActualStartDate>{iso(s47b)}</S47ActualStartDate>"
                        f"<InitialCPCtarget>{iso(icpc_target_day([s47b])[0])}</InitialCPCtarget>"
                        f"<ICPCnotRequired>{1 if s47b_end <= t1 else 0}</ICPCnotRequired></Section47>")
                direct = cols["cin_icpc"][j]
                if direct != NONE and t0 <= direct <= t1:  # conference without a Section 47
                    part[S_ICPC] = f"<DateOfInitialCPC>{iso(direct)}</DateOfInitialCPC>"
                cs, ce = cols["cpp_start"][j], cols["cpp_end"][j]
                if cs != NONE and cs <= t1 and ce >= t0:
                    revs = []
                    r = cs + cols["rev_first"][j]
                    every = cols["rev_every"][j]
                    last = min(t1, ce - 1)
                    while r <= last:
                        if r >= t0:
                            revs.append(f"<CPPreviewDate>{iso(r)}</CPPreviewDate>")
                        r += every
                    part[S_CPP] = (
                        f"<ChildProtectionPlans><CPPstartDate>{iso(cs)}</CPPstartDate>"
                        + (f"<CPPendDate>{iso(ce)}</CPPendDate>" if ce <= t1 else "")
                        + f"<InitialCategoryOfAbuse>{CATEGORIES[cols['cat_init'][j]]}</InitialCategoryOfAbuse>"
                        f"<LatestCategoryOfAbuse>{CATEGORIES[cols['cat_latest'][j]]}</LatestCategoryOfAbuse>"
                        f"<NumberOfPreviousCPP>{cols['n_prev_cpp'][j]}</NumberOfPreviousCPP>"
                        + ("<Reviews>" + "".join(revs) + "</Reviews>" if revs else "")
                        + "</ChildProtectionPlans>")
            out.append("<CINdetails>" + "".join(part) + "</CINdetails>")
        out.append("</Child>\n")
    out.append("</Children></Message>\n")
    return "".join(out), len(child_ids), n_eps
