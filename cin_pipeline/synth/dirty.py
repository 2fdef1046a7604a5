"""Fault injection: turn clean synthetic CIN returns into realistically dirty ones.

:func:`inject_faults` post-processes returns written by :func:`cin_pipeline.synth.generate` *in
place*. In every file it picks about ``rate`` x (number of children) children, deterministically
from ``(seed, <year folder>/<file name>)``, and gives each one fault drawn from :data:`CATALOGUE`.
Every kind of fault is mapped to the DfE validation rule it breaks (the codes of
``shared/reference/cin_validation_rules.csv``) and is only used where it makes sense for the
year and the child (a CPP fault needs a child with a plan, 1570/1580 only exist from 2024-25,
4001 needs CIN plan dates, from 2021-22, ...). Each injected fault is one row of the manifest
CSV (:data:`MANIFEST_COLUMNS`), the answer key against which a validator's recall is measured:
every row really breaks its rule for that child (``cin_pipeline_tests/test_synth_faults.py``
re-checks them from the rewritten files).

Faults are chosen to break *their* rule; a few unavoidably break a neighbouring rule as well
(e.g. a closure date moved before the referral may also fall before 1 April, rule 8620, and
precede the episode's activities, 8565). Only the intended rule is listed in the manifest.

Code-set and missing-required faults (invalid ethnicity, missing LAchildID, missing referral
date or ReferralNFA, ...) make the file XSD-invalid, as they would from a real case-management
system; every other fault keeps the file valid against its year's schema. The file's layout
(indentation, declaration, comments) is preserved: elements are edited, inserted in schema order
with their siblings' indentation, or removed with their whitespace.

XML is parsed with entity resolution, network access and DTD loading disabled.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from lxml import etree

from cin_pipeline.census import spec

MANIFEST_COLUMNS = ["file", "year", "la", "la_child_id", "episode_seq", "rule_code", "fault",
                    "detail"]


@dataclass(frozen=True)
class Fault:
    """One injected fault: where it is (file, child, 1-based episode) and the rule it breaks."""

    file: str  # "<year>/<la>.xml", relative to the returns folder
    year: int
    la: str
    la_child_id: str  # LAchildID as it stands *after* injection ("" when it was removed)
    episode_seq: int | None  # position of the CINdetails in the child; None for child-level
    rule_code: str
    fault: str  # catalogue name
    detail: str  # what was changed, old -> new


# ------------------------------------------------------------------------------------ XML helpers
def _parser() -> etree.XMLParser:
    """Safe parser that keeps whitespace and comments (so the file's layout survives)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           remove_blank_text=False, huge_tree=True)


class _Doc:
    """A parsed return plus namespace-aware element helpers."""

    def __init__(self, path: Path):
        self.path = path
        self.raw = path.read_bytes()
        self.tree = etree.parse(io.BytesIO(self.raw), _parser())
        root = self.tree.getroot()
        ns = etree.QName(root).namespace
        self.prefix = f"{{{ns}}}" if ns else ""

    def q(self, name: str) -> str:
        return self.prefix + name

    def kids(self, parent, name: str) -> list:
        return parent.findall(self.q(name))

    def one(self, parent, name: str):
        return parent.find(self.q(name))

    def text(self, parent, name: str) -> str | None:
        el = self.one(parent, name)
        return None if el is None or el.text is None else el.text.strip()

    def date(self, parent, name: str) -> dt.date | None:
        value = self.text(parent, name)
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            return None

    def children(self) -> list:
        root = self.tree.getroot()
        return root.findall(f"{self.q('Children')}/{self.q('Child')}")

    def header(self, block: str, name: str) -> str | None:
        root = self.tree.getroot()
        el = root.find(f"{self.q('Header')}/{self.q(block)}/{self.q(name)}")
        return None if el is None or el.text is None else el.text.strip()

    def save(self) -> None:
        """Write back atomically. Only the root element is re-serialised; the bytes before it
        (XML declaration, comments, their line breaks) and after it are kept verbatim."""
        root = self.tree.getroot()
        encoding = self.tree.docinfo.encoding or "UTF-8"
        body = etree.tostring(root, encoding=encoding, xml_declaration=False, with_tail=False)
        start = _root_offset(self.raw)
        qname = (f"{root.prefix}:" if root.prefix else "") + etree.QName(root).localname
        close = self.raw.rfind(b"</" + qname.encode())
        tail = self.raw[self.raw.index(b">", close) + 1:] if close >= 0 else b"\n"
        out = self.raw[:start] + body + tail
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(out)
        os.replace(tmp, self.path)


def _root_offset(raw: bytes) -> int:
    """Byte offset of the root element's start tag (after declaration, comments, PIs, DOCTYPE)."""
    i = 0
    while True:
        i = raw.index(b"<", i)
        if raw.startswith(b"<?", i):
            i = raw.index(b"?>", i) + 2
        elif raw.startswith(b"<!--", i):
            i = raw.index(b"-->", i) + 3
        elif raw.startswith(b"<!", i):
            i = raw.index(b">", i) + 1
        else:
            return i


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _ws_before(el) -> str | None:
    """The whitespace text that precedes ``el`` (its indentation, in an indented file)."""
    prev = el.getprevious()
    return prev.tail if prev is not None else el.getparent().text


def _indent_unit(parent) -> str:
    """One indentation step of the file ("" for a file written without whitespace)."""
    inner = parent.text if len(parent) else None
    outer = _ws_before(parent) if parent.getparent() is not None else None
    if inner and outer and inner.startswith(outer) and inner.strip() == "":
        return inner[len(outer):] or "  "
    return "  " if inner and inner.strip() == "" else ""


def _format_new(el, base: str | None, unit: str) -> None:
    """Indent the sub-elements of a newly built element ``el`` whose own indentation is
    ``base`` (None = the file has no whitespace between elements)."""
    subs = list(el)
    if not subs or base is None:
        return
    el.text = base + unit
    for i, sub in enumerate(subs):
        _format_new(sub, base + unit, unit)
        sub.tail = base + unit if i < len(subs) - 1 else base


def _insert_after(parent, new, after) -> None:
    """Insert ``new`` into ``parent`` right after ``after`` (None = as the first child),
    giving it the indentation of its siblings."""
    sibling_ws = parent.text if len(parent) else None
    if sibling_ws is not None and sibling_ws.strip():
        sibling_ws = None
    if len(parent) == 0:
        base = _ws_before(parent)
        unit = "  " if base and base.strip() == "" else ""
        parent.text = base + unit if base and unit else None
        new.tail = base if unit else None
        _format_new(new, parent.text, unit)
        parent.append(new)
        return
    unit = _indent_unit(parent)
    _format_new(new, sibling_ws, unit)
    if after is None:
        new.tail = parent.text
        parent.insert(0, new)
    else:
        new.tail = after.tail
        after.tail = sibling_ws if sibling_ws is not None else after.tail
        if sibling_ws is None and new.tail is not None and new.tail.strip() == "":
            after.tail = new.tail
        parent.insert(parent.index(after) + 1, new)


def _insert_in_order(doc: _Doc, parent, block: str, new) -> None:
    """Insert ``new`` into ``parent`` (a ``block`` of :data:`spec.BLOCKS`) in schema order:
    after the last child whose item comes before it (or after elements of the same name)."""
    order = [item.name for item in spec.BLOCKS[block]]
    pos = order.index(_local(new))
    after = None
    for child in parent:
        name = _local(child)
        if name in order and order.index(name) <= pos:
            after = child
    _insert_after(parent, new, after)


def _remove(el) -> None:
    """Remove ``el`` together with its whitespace so the layout stays tidy."""
    parent = el.getparent()
    prev = el.getprevious()
    if el.getnext() is None:  # last child: the whitespace after it closes the parent
        if prev is not None:
            prev.tail = el.tail
        else:
            parent.text = None
    parent.remove(el)


def _make(doc: _Doc, name: str, text: str | None = None, subs: tuple = ()):
    el = etree.Element(doc.q(name))
    el.text = text
    for sub in subs:
        el.append(sub)
    return el


def _set_date(el, value: dt.date) -> str:
    old = (el.text or "").strip()
    el.text = value.isoformat()
    return f"{old} -> {value.isoformat()}"


# ------------------------------------------------------------------------------------ context
@dataclass
class _Ctx:
    """What a fault function needs: the document, the year and its census period, the child,
    a random source, and file-level state (ids in use, children that may lend their id)."""

    doc: _Doc
    year: int
    child: object
    rng: random.Random
    ids_in_use: set
    donors: list

    @property
    def start(self) -> dt.date:
        return spec.census_period(self.year)[0]

    @property
    def end(self) -> dt.date:
        return spec.census_period(self.year)[1]

    def ident(self):
        return self.doc.one(self.child, "ChildIdentifiers")

    def chars(self):
        return self.doc.one(self.child, "ChildCharacteristics")

    def episodes(self) -> list:
        return self.doc.kids(self.child, "CINdetails")

    def nfa(self, ep) -> bool | None:
        value = self.doc.text(ep, "ReferralNFA")
        if value is None:
            return None
        value = value.lower()
        return True if value in spec.BOOLEAN_TRUE else False if value in spec.BOOLEAN_FALSE else None

    def pick(self, items: list):
        return self.rng.choice(items) if items else None


Result = tuple[int | None, str] | None  # (episode_seq, detail) or None = not applicable
FaultFn = Callable[[_Ctx], Result]


def _invalid(pool: list[str], item: str, year: int, rng: random.Random) -> str:
    """A realistic wrong code for ``item`` that is not in its code set in any year."""
    valid = {c.code.upper() for c in spec.CODE_SETS[item]}
    return rng.choice([c for c in pool if c.upper() not in valid])


def _episode_items(ctx: _Ctx, pred) -> list[tuple[int, object]]:
    return [(i, ep) for i, ep in enumerate(ctx.episodes(), start=1) if pred(ep)]


def _code_fault(item: str, block: str, pool: list[str]) -> FaultFn:
    """Replace an ``item`` code in an episode-level ``block`` with an invalid one."""
    def fn(ctx: _Ctx) -> Result:
        d = ctx.doc
        cands = []
        for seq, ep in enumerate(ctx.episodes(), start=1):
            holders = [ep] if block == "CINdetails" else d.kids(ep, block)
            for holder in holders:
                el = d.one(holder, item)
                if el is not None and (el.text or "").strip():
                    if item == "ReferralSource":
                        ref = d.date(ep, "CINreferralDate")
                        if ref is None or ref < dt.date(2013, 4, 1):
                            continue
                    cands.append((seq, el))
        if not cands:
            return None
        seq, el = ctx.pick(cands)
        old, el.text = el.text.strip(), _invalid(pool, item, ctx.year, ctx.rng)
        return seq, f"{item} {old} -> {el.text}"
    return fn


# ------------------------------------------------------------------------------------ catalogue
def _ethnicity(ctx: _Ctx) -> Result:
    el = ctx.doc.one(ctx.chars(), "Ethnicity") if ctx.chars() is not None else None
    if el is None:
        return None
    old = (el.text or "").strip()
    el.text = _invalid(["WBR", "ASIA", "MIXD", "OTHR", "BLAC", "WHIT", "W BRI"], "Ethnicity",
                       ctx.year, ctx.rng)
    return None, f"Ethnicity {old} -> {el.text}"


def _any_non_nfa(ctx: _Ctx) -> bool:
    return any(ctx.nfa(ep) is False for ep in ctx.episodes())


def _disability(ctx: _Ctx) -> Result:
    d, chars = ctx.doc, ctx.chars()
    if chars is None or d.date(ctx.ident(), "PersonBirthDate") is None or not _any_non_nfa(ctx):
        return None
    group = d.one(chars, "Disabilities")
    if ctx.rng.random() < 0.5 and group is not None and len(d.kids(group, "Disability")):
        el = ctx.pick(d.kids(group, "Disability"))
        old = (el.text or "").strip()
        el.text = _invalid(["DEAF", "MENT", "LEARN", "ADHD", "BLIND"], "Disability", ctx.year,
                           ctx.rng)
        return None, f"Disability {old} -> {el.text}"
    if group is None:
        return None
    _remove(group)
    return None, "Disabilities removed (no Disability for a child with a non-NFA referral)"


def _closure_before_referral(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _episode_items(ctx, lambda ep: d.date(ep, "CINclosureDate") and
                           d.date(ep, "CINreferralDate"))
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    new = d.date(ep, "CINreferralDate") - dt.timedelta(days=ctx.rng.randint(1, 10))
    return seq, "CINclosureDate " + _set_date(d.one(ep, "CINclosureDate"), new)


def _closure_outside_year(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _episode_items(ctx, lambda ep: d.date(ep, "CINclosureDate") is not None)
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    new = ctx.end + dt.timedelta(days=ctx.rng.randint(1, 45))
    return seq, "CINclosureDate " + _set_date(d.one(ep, "CINclosureDate"), new)


def _closure_without_reason(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _episode_items(ctx, lambda ep: d.date(ep, "CINclosureDate") is not None and
                           d.one(ep, "ReasonForClosure") is not None)
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    reason = d.one(ep, "ReasonForClosure")
    old = (reason.text or "").strip()
    _remove(reason)
    return seq, f"ReasonForClosure {old} removed"


def _assessments(ctx: _Ctx, pred) -> list[tuple[int, object, object]]:
    d = ctx.doc
    return [(seq, ep, a) for seq, ep in enumerate(ctx.episodes(), start=1)
            for a in d.kids(ep, "Assessments") if pred(ep, a)]


def _auth_before_start(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _assessments(ctx, lambda ep, a: d.date(a, "AssessmentActualStartDate") and
                         d.date(a, "AssessmentAuthorisationDate"))
    if not cands:
        return None
    seq, _, a = ctx.pick(cands)
    start = d.date(a, "AssessmentActualStartDate")
    room = (start - ctx.start).days  # keep it inside the year if possible (rule 8696)
    new = start - dt.timedelta(days=ctx.rng.randint(1, max(1, min(10, room))))
    return seq, "AssessmentAuthorisationDate " + _set_date(
        d.one(a, "AssessmentAuthorisationDate"), new)


def _assessment_before_referral(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _assessments(ctx, lambda ep, a: d.date(a, "AssessmentActualStartDate") and
                         d.date(ep, "CINreferralDate"))
    if not cands:
        return None
    seq, ep, a = ctx.pick(cands)
    new = d.date(ep, "CINreferralDate") - dt.timedelta(days=ctx.rng.randint(1, 10))
    return seq, "AssessmentActualStartDate " + _set_date(
        d.one(a, "AssessmentActualStartDate"), new)


def _factor_pool(year: int) -> list[str]:
    return [c for c in spec.codes("AssessmentFactors", year) if c != "21"]


def _factors_unauthorised(ctx: _Ctx) -> Result:
    d = ctx.doc
    open_no_factors = _assessments(ctx, lambda ep, a: d.date(a, "AssessmentActualStartDate")
                                   and d.one(a, "AssessmentAuthorisationDate") is None
                                   and d.one(a, "FactorsIdentifiedAtAssessment") is None)
    if open_no_factors:
        seq, _, a = ctx.pick(open_no_factors)
        codes = sorted(ctx.rng.sample(_factor_pool(ctx.year), ctx.rng.randint(1, 2)))
        group = _make(d, "FactorsIdentifiedAtAssessment",
                      subs=tuple(_make(d, "AssessmentFactors", c) for c in codes))
        _insert_in_order(d, a, "Assessments", group)
        return seq, f"factors {' '.join(codes)} added to an unauthorised assessment"
    authorised = _assessments(ctx, lambda ep, a: d.one(a, "AssessmentAuthorisationDate")
                              is not None and d.one(a, "FactorsIdentifiedAtAssessment")
                              is not None and d.date(ep, "CINclosureDate") is None)
    if not authorised:
        return None
    seq, _, a = ctx.pick(authorised)
    auth = d.one(a, "AssessmentAuthorisationDate")
    old = (auth.text or "").strip()
    _remove(auth)
    return seq, f"AssessmentAuthorisationDate {old} removed, factors kept"


def _factor21_with_others(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = []
    for seq, _, a in _assessments(ctx, lambda ep, a: True):
        group = d.one(a, "FactorsIdentifiedAtAssessment")
        if group is None:
            continue
        codes = [(f.text or "").strip() for f in d.kids(group, "AssessmentFactors")]
        if codes and (codes == ["21"] or "21" not in codes):
            cands.append((seq, group, codes))
    if not cands:
        return None
    seq, group, codes = ctx.pick(cands)
    add = "21" if codes != ["21"] else ctx.rng.choice(_factor_pool(ctx.year))
    last = d.kids(group, "AssessmentFactors")[-1]
    _insert_after(group, _make(d, "AssessmentFactors", add), last)
    return seq, f"factors {' '.join(codes)} + {add}"


def _cpps(ctx: _Ctx, pred) -> list[tuple[int, object, object]]:
    d = ctx.doc
    return [(seq, ep, p) for seq, ep in enumerate(ctx.episodes(), start=1)
            for p in d.kids(ep, "ChildProtectionPlans") if pred(ep, p)]


def _cpp_end_before_start(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _cpps(ctx, lambda ep, p: d.date(p, "CPPstartDate") and d.date(p, "CPPendDate"))
    if not cands:
        return None
    seq, _, p = ctx.pick(cands)
    new = d.date(p, "CPPstartDate") - dt.timedelta(days=ctx.rng.randint(1, 10))
    return seq, "CPPendDate " + _set_date(d.one(p, "CPPendDate"), new)


def _review_dates(d: _Doc, plan) -> list:
    return [r for g in d.kids(plan, "Reviews") for r in d.kids(g, "CPPreviewDate")]


def _icpc_dates(d: _Doc, ep) -> set:
    dates = {d.date(s, "DateOfInitialCPC") for s in d.kids(ep, "Section47")}
    dates.add(d.date(ep, "DateOfInitialCPC"))
    return {x for x in dates if x}


def _cpp_start_not_icpc(ctx: _Ctx) -> Result:
    d = ctx.doc
    out = []
    for seq, ep, p in _cpps(ctx, lambda ep, p: d.date(p, "CPPstartDate") is not None):
        start = d.date(p, "CPPstartDate")
        limit = min([ctx.end + dt.timedelta(days=1)]
                    + [x for x in [d.date(p, "CPPendDate"), d.date(ep, "CINclosureDate")] if x]
                    + [dt.date.fromisoformat(r.text.strip()) for r in _review_dates(d, p)])
        icpcs = _icpc_dates(d, ep)
        options = [start + dt.timedelta(days=k) for k in range(1, 8)]
        options = [o for o in options if ctx.start <= o < limit and o not in icpcs]
        if options and start in icpcs:
            out.append((seq, p, options))
    if not out:
        return None
    seq, p, options = ctx.pick(out)
    return seq, "CPPstartDate " + _set_date(d.one(p, "CPPstartDate"), ctx.pick(options))


def _two_open_cpps(ctx: _Ctx) -> Result:
    d = ctx.doc
    plans = _cpps(ctx, lambda ep, p: d.date(p, "CPPstartDate") is not None)
    open_ = [x for x in plans if d.one(x[2], "CPPendDate") is None]
    closed = [x for x in plans if d.one(x[2], "CPPendDate") is not None]
    if open_ and closed:  # a plan ended in the case system but the end date never sent
        seq, _, p = ctx.pick(closed)
        end = d.one(p, "CPPendDate")
        old = (end.text or "").strip()
        _remove(end)
        return seq, f"CPPendDate {old} removed: second open plan"
    if open_:  # the open plan sent twice
        seq, _, p = ctx.pick(open_)
        twin = copy.deepcopy(p)
        twin.tail = p.tail
        p.tail = _ws_before(p)
        p.getparent().insert(p.getparent().index(p) + 1, twin)
        return seq, "open ChildProtectionPlans block duplicated"
    return None


def _overlapping_episodes(ctx: _Ctx) -> Result:
    d = ctx.doc
    eps = [(seq, ep) for seq, ep in enumerate(ctx.episodes(), start=1)
           if d.date(ep, "CINreferralDate")]
    eps.sort(key=lambda x: d.date(x[1], "CINreferralDate"))
    cands = []
    for (_, a), (seq_b, b) in zip(eps, eps[1:]):
        ra, ca = d.date(a, "CINreferralDate"), d.date(a, "CINclosureDate")
        if ca is not None and (ca - ra).days >= 2 and d.date(b, "CINreferralDate") > ra:
            cands.append((seq_b, b, ra, ca))
    if not cands:
        return None
    seq, b, ra, ca = ctx.pick(cands)
    new = ra + dt.timedelta(days=ctx.rng.randint(1, (ca - ra).days - 1))
    new = min(new, d.date(b, "CINreferralDate"))
    return seq, "CINreferralDate " + _set_date(d.one(b, "CINreferralDate"), new) + \
        f" (inside the episode {ra}..{ca})"


def _two_open_episodes(ctx: _Ctx) -> Result:
    d = ctx.doc
    non_nfa = [(seq, ep) for seq, ep in enumerate(ctx.episodes(), start=1)
               if ctx.nfa(ep) is False]
    if len(non_nfa) < 2:
        return None
    open_ = [x for x in non_nfa if d.one(x[1], "CINclosureDate") is None]
    closed = sorted((x for x in non_nfa if d.one(x[1], "CINclosureDate") is not None),
                    key=lambda x: d.date(x[1], "CINreferralDate") or dt.date.min, reverse=True)
    reopen = closed[: max(0, 2 - len(open_))]
    details = []
    for seq, ep in reopen:
        for name in ("CINclosureDate", "ReasonForClosure"):
            el = d.one(ep, name)
            if el is not None:
                details.append(f"{name} {(el.text or '').strip()}")
                _remove(el)
    if not reopen:
        return None
    return reopen[0][0], "removed " + ", ".join(details) + ": two open episodes"


def _duplicate_id(ctx: _Ctx) -> Result:
    if not ctx.donors:
        return None
    el = ctx.doc.one(ctx.ident(), "LAchildID")
    if el is None:
        return None
    donor = ctx.donors.pop()
    old = (el.text or "").strip()
    el.text = donor
    return None, f"LAchildID {old} -> {donor} (the id of another child)"


def _missing_id(ctx: _Ctx) -> Result:
    el = ctx.doc.one(ctx.ident(), "LAchildID")
    if el is None:
        return None
    old = (el.text or "").strip()
    _remove(el)
    return None, f"LAchildID {old} removed"


def _missing_referral(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _episode_items(ctx, lambda ep: d.one(ep, "CINreferralDate") is not None)
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    el = d.one(ep, "CINreferralDate")
    old = (el.text or "").strip()
    _remove(el)
    return seq, f"CINreferralDate {old} removed"


_ACTIVITY = ("Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans",
             "DateOfInitialCPC", "CINclosureDate")


def _referral_after_year(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _episode_items(ctx, lambda ep: d.one(ep, "CINreferralDate") is not None and
                           not any(d.one(ep, n) is not None for n in _ACTIVITY))
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    new = ctx.end + dt.timedelta(days=ctx.rng.randint(1, 30))
    return seq, "CINreferralDate " + _set_date(d.one(ep, "CINreferralDate"), new)


def _dob_after_year(ctx: _Ctx) -> Result:
    el = ctx.doc.one(ctx.ident(), "PersonBirthDate")
    if el is None or ctx.doc.date(ctx.ident(), "PersonBirthDate") is None:
        return None
    new = ctx.end + dt.timedelta(days=ctx.rng.randint(1, 180))
    return None, "PersonBirthDate " + _set_date(el, new)


def _rnfa(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _episode_items(ctx, lambda ep: d.one(ep, "ReferralNFA") is not None)
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    el = d.one(ep, "ReferralNFA")
    old = (el.text or "").strip()
    if ctx.rng.random() < 0.5:
        _remove(el)
        return seq, f"ReferralNFA {old} removed"
    el.text = ctx.rng.choice(["2", "Y", "N", "yes", "no"])
    return seq, f"ReferralNFA {old} -> {el.text}"


def _nfa_with_assessment(ctx: _Ctx) -> Result:
    d = ctx.doc
    with_assessment = _episode_items(ctx, lambda ep: ctx.nfa(ep) is False and
                                     d.date(ep, "CINreferralDate") is not None and any(
                                         d.one(a, "AssessmentActualStartDate") is not None
                                         for a in d.kids(ep, "Assessments")))
    only_assessment = [x for x in with_assessment if not any(
        d.one(x[1], n) is not None for n in ("CINPlanDates", "Section47",
                                             "ChildProtectionPlans"))]
    cands = only_assessment or with_assessment
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    el = d.one(ep, "ReferralNFA")
    old = el.text.strip()
    el.text = "true" if old.lower() == "false" else "1"
    return seq, f"ReferralNFA {old} -> {el.text} on an episode with an assessment"


def _icpc_weekend(ctx: _Ctx) -> Result:
    d = ctx.doc
    out = []
    for seq, ep in enumerate(ctx.episodes(), start=1):
        ref, closure = d.date(ep, "CINreferralDate"), d.date(ep, "CINclosureDate")
        for s47 in d.kids(ep, "Section47"):
            icpc, s_start = d.date(s47, "DateOfInitialCPC"), d.date(s47, "S47ActualStartDate")
            if icpc is None or s_start is None or icpc.weekday() >= 5:
                continue
            plans = [p for p in d.kids(ep, "ChildProtectionPlans")
                     if d.date(p, "CPPstartDate") == icpc]
            hi = min([ctx.end] + [x for x in [closure] if x] +
                     [x - dt.timedelta(days=1) for p in plans for x in
                      [d.date(p, "CPPendDate")] + [dt.date.fromisoformat(r.text.strip())
                                                   for r in _review_dates(d, p)] if x])
            lo = max([s_start, ctx.start] + [x for x in [ref] if x])
            options = [icpc + dt.timedelta(days=k) for k in range(-6, 7)]
            options = [o for o in options if o.weekday() >= 5 and lo <= o <= hi]
            if options:
                out.append((seq, ep, s47, icpc, plans, options))
    if not out:
        return None
    seq, ep, s47, icpc, plans, options = ctx.pick(out)
    new = min(options, key=lambda o: (abs((o - icpc).days), o))
    detail = "S47 DateOfInitialCPC " + _set_date(d.one(s47, "DateOfInitialCPC"), new)
    detail += f" ({new:%A})"
    for p in plans:  # keep rule 2885 satisfied: the plan still starts on the conference day
        _set_date(d.one(p, "CPPstartDate"), new)
    if d.date(ep, "DateOfInitialCPC") == icpc:
        _set_date(d.one(ep, "DateOfInitialCPC"), new)
    return seq, detail


def _long_id(ctx: _Ctx) -> Result:
    el = ctx.doc.one(ctx.ident(), "LAchildID")
    if el is None:
        return None
    old = (el.text or "").strip()
    while True:
        new = "".join(ctx.rng.choice("0123456789ABCDEF") for _ in range(32))
        if new not in ctx.ids_in_use:
            break
    el.text = new
    ctx.ids_in_use.add(new)
    return None, f"LAchildID {old} -> {new} ({len(new)} characters)"


def _non_alnum_id(ctx: _Ctx) -> Result:
    el = ctx.doc.one(ctx.ident(), "LAchildID")
    if el is None or len((el.text or "").strip()) < 2:
        return None
    old = el.text.strip()
    sep = ctx.rng.choice(["-", "/", "_", ".", " "])
    cut = ctx.rng.randint(1, len(old) - 1)
    new = old[:cut] + sep + old[cut:] if len(old) < 20 else old[:cut] + sep + old[cut + 1:]
    if new in ctx.ids_in_use:
        return None
    el.text = new
    ctx.ids_in_use.add(new)
    return None, f"LAchildID {old} -> {new!r}"


_LETTERS = spec.UPN_THIRTEENTH[10:]  # the check-letter alphabet (no I, O, S)


def _upn_check_letter(ctx: _Ctx) -> Result:
    el = ctx.doc.one(ctx.ident(), "UPN")
    upn = (el.text or "").strip() if el is not None else ""
    if not upn or not spec.upn_is_valid(upn):
        return None
    swaps = [i for i in range(7, 11) if upn[i] != upn[i + 1]]
    if swaps and ctx.rng.random() < 0.5:  # two digits transposed when keying the UPN
        i = ctx.rng.choice(swaps)
        new = upn[:i] + upn[i + 1] + upn[i] + upn[i + 2:]
        how = f"digits {i + 1}-{i + 2} transposed"
    else:
        letter = ctx.rng.choice([c for c in _LETTERS if c != upn[0]])
        new = letter + upn[1:]
        how = "wrong check letter"
    if spec.upn_is_valid(new):  # cannot happen (weights differ), kept as a guard
        return None
    el.text = new
    return None, f"UPN {upn} -> {new} ({how})"


def _missing_primary_need(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _episode_items(ctx, lambda ep: ctx.nfa(ep) is False and
                           d.one(ep, "PrimaryNeedCode") is not None)
    if not cands:
        return None
    seq, ep = ctx.pick(cands)
    el = d.one(ep, "PrimaryNeedCode")
    old = (el.text or "").strip()
    _remove(el)
    return seq, f"PrimaryNeedCode {old} removed (ReferralNFA false)"


def _cin_plan_with_cpp(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = []
    for seq, ep in enumerate(ctx.episodes(), start=1):
        open_cpps = [p for p in d.kids(ep, "ChildProtectionPlans")
                     if d.one(p, "CPPendDate") is None and d.date(p, "CPPstartDate")]
        if not open_cpps:
            continue
        plans = d.kids(ep, "CINPlanDates")
        if any(d.one(p, "CINPlanEndDate") is None for p in plans):
            continue  # already concurrent: not a fault we inject
        cands.append((seq, ep, open_cpps, plans))
    if not cands:
        return None
    seq, ep, open_cpps, plans = ctx.pick(cands)
    ended = [p for p in plans if d.date(p, "CINPlanStartDate")]
    if ended:  # the CIN plan was never closed when the child protection plan started
        plan = max(ended, key=lambda p: d.date(p, "CINPlanStartDate"))
        end = d.one(plan, "CINPlanEndDate")
        old = (end.text or "").strip()
        _remove(end)
        return seq, f"CINPlanEndDate {old} removed while a CPP is open"
    ref = d.date(ep, "CINreferralDate")
    cpp_start = min(d.date(p, "CPPstartDate") for p in open_cpps)
    start = max(x for x in [ref, cpp_start - dt.timedelta(days=ctx.rng.randint(0, 30))] if x)
    block = _make(d, "CINPlanDates", subs=(_make(d, "CINPlanStartDate", start.isoformat()),))
    _insert_in_order(d, ep, "CINdetails", block)
    return seq, f"open CINPlanDates from {start} added beside an open CPP"


def _review_before_start(ctx: _Ctx) -> Result:
    d = ctx.doc
    cands = _cpps(ctx, lambda ep, p: d.date(p, "CPPstartDate") and _review_dates(d, p))
    if not cands:
        return None
    seq, _, p = ctx.pick(cands)
    first = _review_dates(d, p)[0]
    new = d.date(p, "CPPstartDate") - dt.timedelta(days=ctx.rng.randint(0, 10))
    return seq, "first CPPreviewDate " + _set_date(first, new)


@dataclass(frozen=True)
class FaultKind:
    """One kind of fault: its name, the DfE rule it breaks, the years it applies to and the
    function that injects it into a child (returning None when the child has no place for it)."""

    name: str
    rule_code: str
    fn: FaultFn
    from_year: int = spec.FIRST_YEAR


CATALOGUE: tuple[FaultKind, ...] = (
    FaultKind("invalid_ethnicity", "4220", _ethnicity),
    FaultKind("invalid_referral_source", "8866", _code_fault(
        "ReferralSource", "CINdetails", ["11", "5E", "2C", "3G", "0", "1E"])),
    FaultKind("invalid_primary_need", "8650", _code_fault(
        "PrimaryNeedCode", "CINdetails", ["N10", "N11", "NA", "NX"])),
    FaultKind("invalid_reason_for_closure", "8640", _code_fault(
        "ReasonForClosure", "CINdetails", ["RC10", "RC0", "R7", "RCX"])),
    FaultKind("invalid_initial_category", "8905", _code_fault(
        "InitialCategoryOfAbuse", "ChildProtectionPlans", ["PHYS", "NEGL", "DOM", "SEX", "EMOT"])),
    FaultKind("invalid_latest_category", "8910", _code_fault(
        "LatestCategoryOfAbuse", "ChildProtectionPlans", ["PHYS", "NEGL", "DOM", "SEX", "EMOT"])),
    FaultKind("invalid_or_missing_disability", "8540", _disability),
    FaultKind("closure_before_referral", "8630", _closure_before_referral),
    FaultKind("closure_outside_year", "8620", _closure_outside_year),
    FaultKind("closure_without_reason", "8805", _closure_without_reason),
    FaultKind("assessment_authorised_before_start", "8608", _auth_before_start),
    FaultKind("assessment_before_referral", "1103", _assessment_before_referral),
    FaultKind("factors_on_unauthorised_assessment", "8614", _factors_unauthorised),
    FaultKind("factor_21_with_others", "8869", _factor21_with_others),
    FaultKind("cpp_end_before_start", "8925", _cpp_end_before_start),
    FaultKind("cpp_start_not_icpc", "2885", _cpp_start_not_icpc),
    FaultKind("two_open_cpps", "8935", _two_open_cpps),
    FaultKind("overlapping_episodes", "8820", _overlapping_episodes),
    FaultKind("two_open_episodes", "8815", _two_open_episodes),
    FaultKind("duplicate_la_child_id", "8510", _duplicate_id),
    FaultKind("missing_la_child_id", "8500", _missing_id),
    FaultKind("missing_referral_date", "8600", _missing_referral),
    FaultKind("referral_after_year", "8600", _referral_after_year),
    FaultKind("birth_after_year", "8520", _dob_after_year),
    FaultKind("referral_nfa_missing_or_invalid", "8568", _rnfa),
    FaultKind("nfa_with_assessment", "8831", _nfa_with_assessment),
    FaultKind("icpc_on_weekend", "8875", _icpc_weekend),
    FaultKind("la_child_id_too_long", "1570", _long_id, from_year=2025),
    FaultKind("la_child_id_not_alphanumeric", "1580", _non_alnum_id, from_year=2025),
    FaultKind("invalid_upn_check_letter", "1510", _upn_check_letter),
    FaultKind("missing_primary_need", "8610", _missing_primary_need),
    FaultKind("cin_plan_concurrent_with_cpp", "4001", _cin_plan_with_cpp, from_year=2022),
    FaultKind("review_before_cpp_start", "8841", _review_before_start),
)
"""Every kind of fault :func:`inject_faults` can inject, with the DfE rule it breaks."""

_ID_FAULTS = {"duplicate_la_child_id", "missing_la_child_id", "la_child_id_too_long",
              "la_child_id_not_alphanumeric"}


# ------------------------------------------------------------------------------------ driver
def _file_year_la(doc: _Doc, path: Path) -> tuple[int, str]:
    """Reporting year (from the header ReferenceDate, else the folder name) and LA code."""
    ref = doc.header("CollectionDetails", "ReferenceDate")
    year = int(ref[:4]) if ref and ref[:4].isdigit() else int(path.parent.name)
    la = doc.header("Source", "LEA") or path.stem
    return year, la


def inject_file(path: Path, rate: float, seed: int, rel_name: str | None = None) -> list[Fault]:
    """Inject faults into one return in place; returns the faults injected (may be empty).

    The random source is seeded from ``seed`` and ``<year folder>/<file name>``, so the same
    inputs always give the same file and faults, whatever other files are processed."""
    path = Path(path)
    rel = rel_name or f"{path.parent.name}/{path.name}"
    rng = random.Random(f"cin-faults|{seed}|{rel}")
    doc = _Doc(path)
    year, la = _file_year_la(doc, path)
    children = doc.children()
    n_faults = min(len(children), int(rate * len(children) + rng.random())) if rate > 0 else 0
    if n_faults == 0:
        return []
    chosen = sorted(rng.sample(range(len(children)), n_faults))
    ids = [doc.text(doc.one(c, "ChildIdentifiers"), "LAchildID") or "" for c in children]
    chosen_set = set(chosen)
    donors = [ids[i] for i in range(len(children)) if i not in chosen_set and ids[i]]
    rng.shuffle(donors)
    donors = donors[: max(1, n_faults // 10)]
    ids_in_use = set(ids)
    kinds = [k for k in CATALOGUE if spec.layout_year(year) >= k.from_year]

    faults: list[Fault] = []
    for idx in chosen:
        child = children[idx]
        ctx = _Ctx(doc, year, child, rng, ids_in_use, donors)
        for kind in rng.sample(kinds, len(kinds)):
            result = kind.fn(ctx)
            if result is None:
                continue
            episode_seq, detail = result
            ident = doc.one(child, "ChildIdentifiers")
            child_id = doc.text(ident, "LAchildID") or "" if ident is not None else ""
            faults.append(Fault(rel, year, la, child_id, episode_seq, kind.rule_code,
                                kind.name, detail))
            break
    if faults:
        doc.save()
    return faults


def write_manifest(faults: list[Fault], manifest_path: Path) -> None:
    """Write the manifest CSV (:data:`MANIFEST_COLUMNS`), sorted by file and child."""
    manifest_path = Path(manifest_path)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for f in faults:
            row = asdict(f)
            row["episode_seq"] = "" if f.episode_seq is None else f.episode_seq
            writer.writerow(row)


def read_manifest(manifest_path: Path) -> list[Fault]:
    """Read a manifest written by :func:`write_manifest` back into :class:`Fault` objects."""
    out = []
    with open(manifest_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.append(Fault(row["file"], int(row["year"]), row["la"], row["la_child_id"],
                             int(row["episode_seq"]) if row["episode_seq"] else None,
                             row["rule_code"], row["fault"], row["detail"]))
    return out


def inject_faults(files: list[Path], rate: float, seed: int, manifest_path: Path,
                  progress: bool = False) -> list[Fault]:
    """Inject about ``rate`` x children faults into each return of ``files`` (in place) and
    write the manifest to ``manifest_path``. Files are named ``<year>/<la>.xml``; the manifest's
    ``file`` column is that relative name. Deterministic for a given ``seed``."""
    files = sorted((Path(f) for f in files), key=lambda p: (p.parent.name, p.name))
    iterator = files
    if progress:
        from tqdm import tqdm

        iterator = tqdm(files, desc="faults", unit="file")
    faults: list[Fault] = []
    for path in iterator:
        faults.extend(inject_file(path, rate, seed))
    write_manifest(faults, manifest_path)
    return faults


__all__ = ["CATALOGUE", "Fault", "FaultKind", "MANIFEST_COLUMNS", "inject_faults", "inject_file",
           "read_manifest", "write_manifest"]
