"""Validation rules: tiny returns that break exactly one rule give exactly that finding (rule,
child, episode, line); valid returns give no error finding."""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import duckdb

from cin_pipeline.census import spec
from cin_pipeline.ingest import ingest_file, rules

REF = {2025: "2025-03-31"}


def _return(children: str, year: int = 2025, la: str = "201", ref: str | None = None) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>CIN</Collection>
      <Year>{year}</Year>
      <ReferenceDate>{ref or f'{year}-03-31'}</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>{la}</LEA>
    </Source>
  </Header>
  <Children>
{children}  </Children>
</Message>
"""


def _upn(la="201", serial="12345678", last="9") -> str:
    body = la + serial + last
    return spec.upn_check_letter(body) + body


def _child(cid="C1", episodes=None, ids="", sex="<Sex>F</Sex>", dob="2015-05-01",
           disabilities="<Disabilities><Disability>NONE</Disability></Disabilities>") -> str:
    if episodes is None:
        episodes = [_episode()]
    return f"""    <Child>
      <ChildIdentifiers>
        <LAchildID>{cid}</LAchildID>
        <UPN>{_upn(serial=f"{zlib.crc32(cid.strip().upper().encode()) % 10**8:08d}")}</UPN>{ids}
        <PersonBirthDate>{dob}</PersonBirthDate>
        {sex}
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        {disabilities}
      </ChildCharacteristics>
{''.join(episodes)}    </Child>
"""


def _episode(referral="2024-06-03", closure=None, reason=None, nfa="0", need="N4", body="") -> str:
    close = (f"\n        <CINclosureDate>{closure}</CINclosureDate>" if closure else "") + \
            (f"\n        <ReasonForClosure>{reason}</ReasonForClosure>" if reason else "")
    need_el = f"\n        <PrimaryNeedCode>{need}</PrimaryNeedCode>" if need else ""
    return f"""      <CINdetails>
        <CINreferralDate>{referral}</CINreferralDate>
        <ReferralSource>2A</ReferralSource>{need_el}{close}{body}
        <ReferralNFA>{nfa}</ReferralNFA>
      </CINdetails>
"""


S47_CPP = """
        <Section47>
          <S47ActualStartDate>2024-09-10</S47ActualStartDate>
          <InitialCPCtarget>2024-10-01</InitialCPCtarget>
          <DateOfInitialCPC>2024-09-30</DateOfInitialCPC>
          <ICPCnotRequired>0</ICPCnotRequired>
        </Section47>"""

CPP = """
        <ChildProtectionPlans>
          <CPPstartDate>{start}</CPPstartDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
          <Reviews>
            <CPPreviewDate>{review}</CPPreviewDate>
          </Reviews>
        </ChildProtectionPlans>"""


def _cpp_episode(cpp_start="2024-09-30", review="2024-12-16") -> str:
    # ReferralNFA sits between Section47 and ChildProtectionPlans
    ep = _episode(referral="2024-09-02", body=S47_CPP)
    return ep.replace("      </CINdetails>", CPP.format(start=cpp_start, review=review).lstrip("\n")
                      .join(["", "\n"]) + "      </CINdetails>")


def _ingest(tmp_path: Path, text: str, name="r.xml"):
    path = tmp_path / name
    path.write_text(text)
    result = ingest_file(path, tmp_path / "staging")
    con = duckdb.connect()
    findings = con.execute(
        f"SELECT rule_code, severity, child_id, episode_seq, line, message, file FROM read_parquet("
        f"'{result.files['validation_finding']}') ORDER BY line, rule_code").fetchall()
    return result, findings, text.splitlines()


def _line_of(lines: list[str], needle: str, nth: int = 1) -> int:
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[nth - 1]


def test_clean_tiny_return_has_no_findings(tmp_path):
    first = _episode(referral="2024-04-20", closure="2024-05-01", reason="RC7")
    text = _return(_child(episodes=[first, _cpp_episode()]))
    result, findings, _ = _ingest(tmp_path, text)
    assert findings == [], findings
    assert result.rows["cpp"] == 1 and result.rows["cpp_review"] == 1


def test_valid_example_has_no_error_findings(shared_dir, tmp_path):
    path = shared_dir / "reference" / "cin_samples" / "synthetic_cin_2024-25_example.xml"
    result = ingest_file(path, tmp_path / "staging")
    assert result.findings["error"] == 0 and result.children == 4


def test_8620_closure_outside_census_year(tmp_path):
    text = _return(_child(episodes=[_episode(closure="2025-04-02", reason="RC7")]))
    _, findings, lines = _ingest(tmp_path, text)
    assert [(f[0], f[1], f[2], f[3], f[4]) for f in findings] == [
        ("8620", "error", "C1", 1, _line_of(lines, "<CINdetails>"))]
    assert "2025-04-02" in findings[0][5] and findings[0][6] == "r.xml"


def test_8510_duplicate_child_ids_flag_both_records(tmp_path):
    text = _return(_child("ab1") + _child(" AB1 "))
    _, findings, lines = _ingest(tmp_path, text)
    dup = [f for f in findings if f[0] == "8510"]
    assert [(f[2], f[4]) for f in dup] == [("AB1", _line_of(lines, "<Child>", 1)),
                                           ("AB1", _line_of(lines, "<Child>", 2))]
    # the two records share one key, so their data also collide: same UPN (1520), NONE twice
    # (8794), two open episodes (8815); all of them name the duplicated child
    assert {f[0] for f in findings} <= {"8510", "1520", "8794", "8815"}
    assert {f[2] for f in findings} == {"AB1"}


def test_1510_wrong_upn_check_letter(tmp_path):
    good = _upn(serial=f"{zlib.crc32(b'C1') % 10**8:08d}")
    bad = ("A" if good[0] != "A" else "B") + good[1:]
    text = _return(_child().replace(good, bad))
    _, findings, lines = _ingest(tmp_path, text)
    assert [(f[0], f[2], f[3], f[4]) for f in findings] == [("1510", "C1", None, _line_of(lines, "<Child>"))]
    assert f"should be {good[0]}" in findings[0][5]


def test_1510_every_thirteenth_character(tmp_path):
    """The check letter is right whatever character 13 is (a digit or a letter, which counts as
    its place among the check letters), and 1510 says when it is not."""
    children, wrong = [], set()
    for k, last in enumerate(spec.UPN_THIRTEENTH):
        cid = f"C{k}"
        good = _upn(serial=f"{zlib.crc32(cid.encode()) % 10**8:08d}")
        upn = _upn(serial=f"{zlib.crc32(cid.encode()) % 10**8:08d}", last=last)
        if k % 2:  # every other child a wrong check letter
            upn = ("A" if upn[0] != "A" else "B") + upn[1:]
            wrong.add(cid)
        children.append(_child(cid).replace(good, upn))
    _, findings, _lines = _ingest(tmp_path, _return("".join(children)))
    assert {f[2] for f in findings if f[0] == "1510"} == wrong
    assert {f[0] for f in findings} == {"1510"}


def test_1530_upn_of_an_unknown_la(tmp_path):
    good = _upn(serial=f"{zlib.crc32(b'C1') % 10**8:08d}")
    text = _return(_child().replace(good, _upn(la="999", serial=f"{zlib.crc32(b'C1') % 10**8:08d}"))
                   + _child("C2"))
    _, findings, lines = _ingest(tmp_path, text)
    assert [(f[0], f[2], f[4]) for f in findings] == [("1530", "C1", _line_of(lines, "<Child>"))]


def test_8790_none_with_another_disability(tmp_path):
    both = "<Disabilities><Disability>NONE</Disability><Disability>MOB</Disability></Disabilities>"
    twice = "<Disabilities><Disability>NONE</Disability><Disability>NONE</Disability></Disabilities>"
    two = "<Disabilities><Disability>HAND</Disability><Disability>MOB</Disability></Disabilities>"
    text = _return(_child("C1", disabilities=both) + _child("C2", disabilities=twice)
                   + _child("C3", disabilities=two))
    _, findings, _lines = _ingest(tmp_path, text)
    got = [(f[2], f[5].split(": ")[-1]) for f in findings if f[0] == "8790"]
    assert got == [("C1", "Disability MOB, NONE")]


def test_2885_cpp_start_differs_from_icpc(tmp_path):
    text = _return(_child(episodes=[_cpp_episode(cpp_start="2024-10-01", review="2024-12-16")]))
    _, findings, lines = _ingest(tmp_path, text)
    assert [(f[0], f[2], f[3], f[4]) for f in findings] == [
        ("2885", "C1", 1, _line_of(lines, "<ChildProtectionPlans>"))]


def test_8841_review_before_plan_start_points_at_the_review(tmp_path):
    text = _return(_child(episodes=[_cpp_episode(review="2024-09-01")]))
    _, findings, lines = _ingest(tmp_path, text)
    assert [(f[0], f[3], f[4]) for f in findings] == [("8841", 1, _line_of(lines, "<CPPreviewDate>"))]


def test_second_episode_gets_its_own_seq_and_line(tmp_path):
    eps = [_episode(referral="2024-05-01", closure="2024-07-01", reason="RC7"),
           _episode(referral="2024-08-01", closure="2024-07-15", reason="RC7")]
    _, findings, lines = _ingest(tmp_path, _return(_child(episodes=eps)))
    assert [(f[0], f[3], f[4]) for f in findings] == [("8630", 2, _line_of(lines, "<CINdetails>", 2))]


def test_8568_boolean_spellings(tmp_path):
    eps = [_episode(referral="2024-05-01", closure="2024-05-02", reason="RC7", nfa="TRUE", need=None),
           _episode(referral="2024-06-01", nfa="yes")]
    _, findings, _ = _ingest(tmp_path, _return(_child(episodes=eps)))
    assert [(f[0], f[3]) for f in findings] == [("8568", 2)]
    assert "'yes'" in findings[0][5]


def test_4180_sex_element_must_match_the_year(tmp_path):
    # 2025 return still sending GenderCurrent: error; the same in a 2024 return: fine
    child = _child(sex="<GenderCurrent>1</GenderCurrent>")
    _, findings, _ = _ingest(tmp_path, _return(child))
    assert [f[0] for f in findings] == ["4180"]
    eps = [_episode(referral="2023-06-03")]
    _, findings, _ = _ingest(tmp_path, _return(_child(sex="<GenderCurrent>1</GenderCurrent>", episodes=eps),
                                               year=2024), name="r2024.xml")
    assert findings == []


def test_unreadable_date_is_reported_under_its_rule(tmp_path):
    _, findings, lines = _ingest(tmp_path, _return(_child(dob="14/05/2015")))
    # reported under 8520 (date of birth); with no readable date of birth 8525Q also queries it
    assert [(f[0], f[2], f[4]) for f in findings] == [("8520", "C1", _line_of(lines, "<Child>")),
                                                     ("8525Q", "C1", _line_of(lines, "<Child>"))]
    assert "'14/05/2015' is not a date" in findings[0][5]


def test_cin_plan_rules_only_from_2022(tmp_path):
    plan = """
        <CINPlanDates>
          <CINPlanStartDate>{d}</CINPlanStartDate>
        </CINPlanDates>"""
    ep = _episode(referral="2024-06-03", nfa="1", need=None, body=plan.format(d="2024-06-10"))
    _, findings, lines = _ingest(tmp_path, _return(_child(episodes=[ep])))
    assert [(f[0], f[4]) for f in findings] == [("4000", _line_of(lines, "<CINPlanDates>"))]
    ep = _episode(referral="2020-06-03", nfa="1", need=None, body=plan.format(d="2020-06-10"))
    _, findings, _ = _ingest(tmp_path, _return(_child(sex="<GenderCurrent>1</GenderCurrent>", episodes=[ep]),
                                               year=2021), name="r2021.xml")
    assert "4000" not in [f[0] for f in findings]


def test_100_reference_date(tmp_path):
    _, findings, lines = _ingest(tmp_path, _return(_child(), ref="2025-03-28"))
    assert [(f[0], f[2], f[4]) for f in findings] == [("100", None, _line_of(lines, "<ReferenceDate>"))]


def test_rule_registry_matches_the_dfe_rules_list(shared_dir):
    """Codes exist in the DfE list, severities agree, and code-set rules follow spec.codes."""
    with open(shared_dir / "reference" / "cin_validation_rules.csv", newline="") as fh:
        dfe = {r["code"]: r["type"].lower() for r in csv.DictReader(fh)}
    for r in rules.RULES:
        if r.code == "SCHEMA":
            continue
        assert r.code in dfe, r.code
        assert r.severity == dfe[r.code], r.code
    required = ("100 8500 8510 1510 1520 1530 1540 1550 1570 1580 4180 4220 8520 8525Q 8540 8790 8794 8568 "
                "8590 8600 8606 8608 8610 8614 8615 8620 8630 8640 8650 8696 8715 8720 8730 8736 8740 8805 "
                "8810 8815 8816 8820 8831 8832 8839 8840 8841 8866 8869 8875 8896 8905 8910 8925 8930 8935 "
                "8940 1103 1104 1105 2884 2885 2889 2990 4000 4001 4003 4004 4010 4011 4013 4014 4015 4016 "
                "4017 8545Q 8555Q 8565 8585Q 8825Q 8863Q 8870Q 8897Q 8898").split()
    assert set(required) <= set(rules.rule_codes())
    ph = rules.placeholders(type("H", (), {"year": 2022, "la": "201", "lines": {}, "reference_date": None})())
    assert "'5D'" not in ph["codes_ReferralSource"] and "'24A'" in ph["codes_AssessmentFactors"]


def test_clean_synthetic_returns_have_no_errors_and_full_counts(small_returns, tmp_path):
    """Generated clean returns: every record staged (independent count) and no error finding."""
    import xml.etree.ElementTree as ET

    files = sorted(small_returns.glob("202[34]/*.xml"))
    assert files
    for path in files:
        result = ingest_file(path, tmp_path / "staging")
        root = ET.parse(path).getroot()
        assert result.rows["child"] == sum(1 for _ in root.iter("Child"))
        assert result.rows["episode"] == sum(1 for _ in root.iter("CINdetails"))
        assert result.rows["cpp_review"] == sum(1 for _ in root.iter("CPPreviewDate"))
        assert result.findings["error"] == 0, (path, result.findings)
