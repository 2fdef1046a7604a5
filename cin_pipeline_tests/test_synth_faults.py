"""Fault injection (cin_pipeline.synth.dirty): determinism, layout, and that every manifest row
really breaks its DfE rule when the rewritten file is read back.

The clean input is built here (:func:`build_return`): a small but complete return whose children
cover every structure a fault needs (NFA referrals, closed and open episodes, assessments with and
without authorisation, S47 -> ICPC -> CPP with reviews, CIN plans, repeat episodes), so the tests
do not depend on the generator.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from cin_pipeline.census import spec
from cin_pipeline.synth.dirty import CATALOGUE, MANIFEST_COLUMNS, inject_faults, read_manifest

D = dt.timedelta


# ------------------------------------------------------------------------ clean test returns
def _weekday(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d += D(days=1)
    return d


def _upn(rng: random.Random, la: str) -> str:
    body = la + "".join(rng.choice("0123456789") for _ in range(9))
    return spec.upn_check_letter(body) + body


def build_return(path: Path, year: int, la: str = "330", n_children: int = 60,
                 seed: int = 0) -> Path:
    """Write a clean, XSD-valid CIN return for ``year`` with ``n_children`` children of five
    archetypes (NFA referral; assessed and closed with a CIN plan; S47 -> CPP open with reviews;
    two episodes; two plans in one episode), indented with two spaces."""
    rng = random.Random(f"build|{seed}|{year}|{la}")
    start, end = spec.census_period(year)
    root = etree.Element("Message")

    def sub(parent, name, text=None):
        el = etree.SubElement(parent, name)
        if text is not None:
            el.text = str(text)
        return el

    header = sub(root, "Header")
    cd = sub(header, "CollectionDetails")
    sub(cd, "Collection", "CIN")
    sub(cd, "Year", year)
    sub(cd, "ReferenceDate", end.isoformat())
    src = sub(header, "Source")
    for name, value in (("SourceLevel", "L"), ("LEA", la), ("SoftwareCode", "tests"),
                        ("Release", "1"), ("SerialNo", "001"),
                        ("DateTime", f"{end + D(days=2)}T09:00:00")):
        sub(src, name, value)
    children = sub(root, "Children")

    def episode(child, ref, nfa=False, closure=None, need="N1"):
        ep = sub(child, "CINdetails")
        sub(ep, "CINreferralDate", ref.isoformat())
        sub(ep, "ReferralSource", rng.choice(spec.codes("ReferralSource", year)))
        if not nfa:
            sub(ep, "PrimaryNeedCode", need)
        if closure:
            sub(ep, "CINclosureDate", closure.isoformat())
            sub(ep, "ReasonForClosure", "RC7" if not nfa else "RC8")
        return ep

    def assessment(ep, a_start, auth=None, factors=()):
        a = sub(ep, "Assessments")
        sub(a, "AssessmentActualStartDate", a_start.isoformat())
        if auth:
            sub(a, "AssessmentAuthorisationDate", auth.isoformat())
            if factors:
                f = sub(a, "FactorsIdentifiedAtAssessment")
                for code in factors:
                    sub(f, "AssessmentFactors", code)

    def s47(ep, s_start, icpc):
        s = sub(ep, "Section47")
        sub(s, "S47ActualStartDate", s_start.isoformat())
        sub(s, "InitialCPCtarget", _weekday(s_start + D(days=14)).isoformat())
        sub(s, "DateOfInitialCPC", icpc.isoformat())
        sub(s, "ICPCnotRequired", "0")

    def cpp(ep, p_start, p_end=None, reviews=()):
        p = sub(ep, "ChildProtectionPlans")
        sub(p, "CPPstartDate", p_start.isoformat())
        if p_end:
            sub(p, "CPPendDate", p_end.isoformat())
        cat = rng.choice(spec.codes("InitialCategoryOfAbuse", year))
        sub(p, "InitialCategoryOfAbuse", cat)
        sub(p, "LatestCategoryOfAbuse", cat)
        sub(p, "NumberOfPreviousCPP", 0)
        if reviews:
            r = sub(p, "Reviews")
            for d in reviews:
                sub(r, "CPPreviewDate", d.isoformat())

    factors = [c for c in spec.codes("AssessmentFactors", year) if c != "21"]
    for i in range(n_children):
        kind = i % 5
        child = sub(children, "Child")
        ids = sub(child, "ChildIdentifiers")
        sub(ids, "LAchildID", f"C{la}{i:05d}")
        sub(ids, "UPN", _upn(rng, la))
        sub(ids, "PersonBirthDate", (start - D(days=rng.randint(400, 6000))).isoformat())
        sub(ids, spec.sex_element(year), rng.choice(spec.codes(spec.sex_element(year), year)[:2]))
        chars = sub(child, "ChildCharacteristics")
        sub(chars, "Ethnicity", rng.choice(spec.codes("Ethnicity", year)))
        sub(sub(chars, "Disabilities"), "Disability", rng.choice(["NONE", "NONE", "LD", "AUT"]))
        ref = _weekday(start + D(days=rng.randint(5, 120)))
        if kind == 0:  # referral, no further action
            ep = episode(child, ref, nfa=True)
        elif kind == 1:  # assessed, CIN plan, closed in the year
            ep = episode(child, ref, closure=ref + D(days=200))
            assessment(ep, ref + D(days=2), ref + D(days=30), rng.sample(factors, 2))
            if spec.has_cin_plan_dates(year):
                p = sub(ep, "CINPlanDates")
                sub(p, "CINPlanStartDate", (ref + D(days=35)).isoformat())
                sub(p, "CINPlanEndDate", (ref + D(days=200)).isoformat())
        elif kind == 2:  # S47 -> ICPC -> open CPP with reviews
            ep = episode(child, ref)
            assessment(ep, ref + D(days=1), ref + D(days=20), ["21"])
            icpc = _weekday(ref + D(days=10))
            if spec.has_cin_plan_dates(year):
                p = sub(ep, "CINPlanDates")
                sub(p, "CINPlanStartDate", (ref + D(days=2)).isoformat())
                sub(p, "CINPlanEndDate", icpc.isoformat())
            s47(ep, ref + D(days=1), icpc)
            cpp(ep, icpc, None, [icpc + D(days=90), icpc + D(days=180)])
        elif kind == 3:  # two episodes: closed, then open with an open assessment
            ep = episode(child, ref, closure=ref + D(days=60))
            assessment(ep, ref + D(days=3), ref + D(days=40), rng.sample(factors, 1))
            ref2 = ref + D(days=100)
            ep2 = episode(child, ref2)
            assessment(ep2, ref2 + D(days=2))
        else:  # one episode, a closed plan then a second (open) plan
            ep = episode(child, ref)
            icpc1 = _weekday(ref + D(days=7))
            icpc2 = _weekday(icpc1 + D(days=120))
            s47(ep, ref + D(days=1), icpc1)
            s47(ep, icpc1 + D(days=110), icpc2)
            cpp(ep, icpc1, icpc1 + D(days=60), [icpc1 + D(days=30)])
            cpp(ep, icpc2, None, [icpc2 + D(days=40)])
        for e in child.findall("CINdetails"):  # ReferralNFA goes before the plans
            nfa = etree.Element("ReferralNFA")
            nfa.text = "1" if e.find("PrimaryNeedCode") is None else "0"
            plans = e.findall("ChildProtectionPlans")
            (plans[0].addprevious(nfa) if plans else e.append(nfa))
    etree.indent(root, space="  ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                     + etree.tostring(root, encoding="UTF-8") + b"\n")
    return path


# ------------------------------------------------------------------------ independent checks
def _d(el, name):
    v = el.findtext(name)
    try:
        return dt.date.fromisoformat(v.strip()) if v and v.strip() else None
    except ValueError:
        return None


def _children_by_id(path: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    for c in root.iter("Child"):
        out.setdefault((c.findtext("ChildIdentifiers/LAchildID") or "").strip(), []).append(c)
    return out


def _nfa(ep):
    return (ep.findtext("ReferralNFA") or "").strip().lower()


def breaks(rule: str, child, ep, year: int, ids: dict) -> bool:
    """Does ``child`` (episode ``ep``) break DfE ``rule``? Written from the rule texts, not from
    dirty.py, so it is an independent re-check of the manifest."""
    start, end = spec.census_period(year)
    cid = (child.findtext("ChildIdentifiers/LAchildID") or "").strip()
    valid = lambda item, v: v in spec.codes(item, year)  # noqa: E731
    if rule == "4220":
        return not valid("Ethnicity", (child.findtext(".//Ethnicity") or "").strip())
    if rule == "8540":
        dis = [d.text.strip() for d in child.iter("Disability")]
        return (not dis or any(not valid("Disability", d) for d in dis)) and any(
            _nfa(e) in ("0", "false") for e in child.findall("CINdetails"))
    if rule == "8510":
        return len(ids.get(cid, [])) > 1
    if rule == "8500":
        return child.find("ChildIdentifiers/LAchildID") is None
    if rule == "8520":
        return _d(child, "ChildIdentifiers/PersonBirthDate") > end
    if rule == "1570":
        return len(cid) > 20
    if rule == "1580":
        return not cid.isalnum()
    if rule == "1510":
        upn = child.findtext("ChildIdentifiers/UPN").strip()
        return upn[0] != spec.upn_check_letter(upn[1:])
    if rule == "8815":
        return sum(1 for e in child.findall("CINdetails")
                   if e.find("CINclosureDate") is None and _nfa(e) in ("0", "false")) > 1
    if rule == "8935":
        return sum(1 for p in child.iter("ChildProtectionPlans")
                   if p.find("CPPendDate") is None) > 1
    if rule == "8820":
        eps = child.findall("CINdetails")
        r = _d(ep, "CINreferralDate")
        return any(_d(o, "CINreferralDate") <= r < (_d(o, "CINclosureDate") or dt.date.max)
                   for o in eps if o is not ep and _d(o, "CINclosureDate"))
    if rule == "8866":
        return not valid("ReferralSource", (ep.findtext("ReferralSource") or "").strip())
    if rule == "8650":
        return not valid("PrimaryNeedCode", ep.findtext("PrimaryNeedCode").strip())
    if rule == "8640":
        return not valid("ReasonForClosure", ep.findtext("ReasonForClosure").strip())
    if rule in ("8905", "8910"):
        item = "InitialCategoryOfAbuse" if rule == "8905" else "LatestCategoryOfAbuse"
        return any(not valid(item, p.findtext(item).strip())
                   for p in ep.findall("ChildProtectionPlans"))
    if rule == "8630":
        return _d(ep, "CINclosureDate") < _d(ep, "CINreferralDate")
    if rule == "8620":
        return not start <= _d(ep, "CINclosureDate") <= end
    if rule == "8805":
        return ep.find("CINclosureDate") is not None and ep.find("ReasonForClosure") is None
    if rule == "8608":
        return any(_d(a, "AssessmentAuthorisationDate") and _d(a, "AssessmentAuthorisationDate")
                   < _d(a, "AssessmentActualStartDate") for a in ep.findall("Assessments"))
    if rule == "1103":
        return any(_d(a, "AssessmentActualStartDate") < _d(ep, "CINreferralDate")
                   for a in ep.findall("Assessments"))
    if rule == "8614":
        return any(a.find("AssessmentAuthorisationDate") is None and a.find(
            "FactorsIdentifiedAtAssessment/AssessmentFactors") is not None
            for a in ep.findall("Assessments"))
    if rule == "8869":
        return any("21" in f and len(f) > 1 for f in (
            [x.text.strip() for x in a.iter("AssessmentFactors")]
            for a in ep.findall("Assessments")))
    if rule == "8925":
        return any(_d(p, "CPPendDate") and _d(p, "CPPendDate") < _d(p, "CPPstartDate")
                   for p in ep.findall("ChildProtectionPlans"))
    if rule == "2885":
        icpcs = {_d(s, "DateOfInitialCPC") for s in ep.findall("Section47")} or {
            _d(ep, "DateOfInitialCPC")}
        return any(start <= _d(p, "CPPstartDate") <= end and _d(p, "CPPstartDate") not in icpcs
                   for p in ep.findall("ChildProtectionPlans"))
    if rule == "8600":
        r = _d(ep, "CINreferralDate")
        return r is None or r > end
    if rule == "8568":
        return _nfa(ep) not in ("0", "1", "true", "false")
    if rule == "8831":
        return _nfa(ep) in ("1", "true") and ep.find("Assessments/AssessmentActualStartDate") \
            is not None
    if rule == "8875":
        return any(_d(s, "DateOfInitialCPC") and _d(s, "DateOfInitialCPC").weekday() >= 5
                   for s in ep.findall("Section47"))
    if rule == "8610":
        return _nfa(ep) in ("0", "false") and ep.find("PrimaryNeedCode") is None
    if rule == "4001":
        return any(p.find("CPPendDate") is None for p in ep.findall("ChildProtectionPlans")) \
            and any(c.find("CINPlanEndDate") is None for c in ep.findall("CINPlanDates"))
    if rule == "8841":
        return any(_d(r, ".") <= _d(p, "CPPstartDate")
                   for p in ep.findall("ChildProtectionPlans") for r in p.iter("CPPreviewDate"))
    raise AssertionError(f"no independent check for rule {rule}")


def recheck(returns_dir: Path, manifest: Path) -> list[str]:
    """Re-check every manifest row against the rewritten files; returns the failures."""
    failures, cache = [], {}
    for f in read_manifest(manifest):
        path = returns_dir / f.file
        if path not in cache:
            cache[path] = _children_by_id(path)
        ids = cache[path]
        if f.rule_code == "8500":  # the child lost its id: some id-less child must exist
            ok = bool(ids.get(""))
        else:
            ok = False
            for child in ids.get(f.la_child_id, []):
                eps = child.findall("CINdetails")
                ep = eps[f.episode_seq - 1] if f.episode_seq else None
                if breaks(f.rule_code, child, ep, f.year, ids):
                    ok = True
        if not ok:
            failures.append(f"{f.file} {f.la_child_id} {f.rule_code} {f.fault}: {f.detail}")
    return failures


# ------------------------------------------------------------------------ tests
@pytest.fixture()
def returns(tmp_path) -> Path:
    """Clean returns for 2021 (GenderCurrent, no CIN plans), 2023 and 2025 (Sex, new id rules)."""
    for year in (2021, 2023, 2025):
        for la in ("330", "873"):
            build_return(tmp_path / str(year) / f"{la}.xml", year, la, n_children=80, seed=1)
    return tmp_path


def _files(d: Path) -> list[Path]:
    return sorted(d.glob("*/*.xml"))


def test_every_manifest_row_breaks_its_rule(returns):
    faults = inject_faults(_files(returns), rate=0.6, seed=5, manifest_path=returns / "m.csv")
    assert len(faults) > 200
    assert recheck(returns, returns / "m.csv") == []
    # wide coverage of the catalogue, year-limited kinds only in their years
    kinds = Counter(f.fault for f in faults)
    assert len(kinds) >= len(CATALOGUE) - 2, set(k.name for k in CATALOGUE) - set(kinds)
    assert all(f.year >= 2025 for f in faults if f.rule_code in ("1570", "1580"))
    assert all(f.year >= 2022 for f in faults if f.rule_code == "4001")


def test_manifest_format_and_rate(returns):
    faults = inject_faults(_files(returns), rate=0.1, seed=1, manifest_path=returns / "m.csv")
    with open(returns / "m.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == MANIFEST_COLUMNS and len(rows) == len(faults)
    per_file = Counter(r["file"] for r in rows)
    assert set(per_file) == {f"{y}/{la}.xml" for y in (2021, 2023, 2025) for la in ("330", "873")}
    assert all(5 <= n <= 11 for n in per_file.values())  # about 10% of 80 children
    assert len({(r["file"], r["la_child_id"]) for r in rows if r["rule_code"] != "8500"}) \
        == sum(1 for r in rows if r["rule_code"] != "8500")  # one fault per child
    for r in rows:
        assert r["year"] == r["file"][:4] and r["la"] == r["file"][5:8]
        assert r["episode_seq"] == "" or int(r["episode_seq"]) >= 1


def test_same_seed_same_output(tmp_path):
    outs = []
    for run in ("a", "b", "c"):
        p = build_return(tmp_path / run / "2024" / "330.xml", 2024, n_children=50)
        inject_faults([p], 0.3, seed=11 if run != "c" else 12, manifest_path=tmp_path / run / "m.csv")
        outs.append((p.read_bytes(), (tmp_path / run / "m.csv").read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]


def test_zero_rate_leaves_files_untouched(tmp_path):
    p = build_return(tmp_path / "2024" / "330.xml", 2024, n_children=20)
    before = p.read_bytes()
    assert inject_faults([p], 0.0, seed=1, manifest_path=tmp_path / "m.csv") == []
    assert p.read_bytes() == before
    assert (tmp_path / "m.csv").read_text().strip() == ",".join(MANIFEST_COLUMNS)


def test_layout_preserved(tmp_path, shared_dir):
    """Comments, declaration and indentation survive; only faulted values change."""
    p = tmp_path / "2025" / "201.xml"
    p.parent.mkdir()
    p.write_bytes((shared_dir / "reference/cin_samples/synthetic_cin_2024-25_example.xml").read_bytes())
    before = p.read_text().splitlines()
    faults = inject_faults([p], 1.0, seed=2, manifest_path=tmp_path / "m.csv")
    after = p.read_text().splitlines()
    assert len(faults) == 4
    assert after[:7] == before[:7]  # declaration + comment block + <Message>
    assert abs(len(after) - len(before)) <= 4
    indent = lambda lines: Counter(len(x) - len(x.lstrip()) for x in lines)  # noqa: E731
    assert set(indent(after)) <= set(indent(before))


def test_xsd_valid_where_the_fault_allows(returns, shared_dir):
    import xmlschema

    xsd_faults = {"4220", "8866", "8650", "8640", "8905", "8910", "8540", "8500", "8600",
                  "8568", "1570", "1580", "8610"}  # code sets / missing required / id pattern
    schemas = {}
    for path in _files(returns):
        year = int(path.parent.name)
        schemas[year] = xmlschema.XMLSchema(
            str(shared_dir / f"reference/cin_xsd/CIN_schema_{spec.xsd_year(year)}.xsd"))
        assert schemas[year].is_valid(str(path)), schemas[year].validate(str(path))
    inject_faults(_files(returns), 0.3, seed=3, manifest_path=returns / "m.csv")
    bad_kinds = {}
    for path in _files(returns):
        year = int(path.parent.name)
        rel = f"{year}/{path.name}"
        kinds = {f.rule_code for f in read_manifest(returns / "m.csv") if f.file == rel}
        if not kinds & xsd_faults:
            bad_kinds[rel] = schemas[year].is_valid(str(path))
    # every file whose faults are all date/structure faults is still schema-valid
    assert all(bad_kinds.values()), bad_kinds


def test_single_child_faults_schema_valid(tmp_path, shared_dir):
    """Fault by fault: date and structure faults keep the return schema-valid."""
    import xmlschema

    schema = xmlschema.XMLSchema(str(shared_dir / "reference/cin_xsd/CIN_schema_2024.xsd"))
    p = build_return(tmp_path / "2024" / "330.xml", 2024, n_children=100, seed=4)
    inject_faults([p], 0.5, seed=9, manifest_path=tmp_path / "m.csv")
    structural = {"4220", "8866", "8650", "8640", "8905", "8910", "8540", "8500", "8600",
                  "8568", "1570", "1580", "8610"}
    errors = list(schema.iter_errors(str(p)))
    faults = read_manifest(tmp_path / "m.csv")
    # each schema error sits in a child whose fault is a code-set / missing-item fault
    bad_ids = {f.la_child_id for f in faults if f.rule_code in structural}
    tree = etree.parse(str(p))
    for err in errors:
        el = tree.xpath(err.path) if err.path else []
        child = el[0] if el else None
        while child is not None and child.tag != "Child":
            child = child.getparent()
        assert child is not None, err
        assert (child.findtext("ChildIdentifiers/LAchildID") or "") in bad_ids | {""}, err
