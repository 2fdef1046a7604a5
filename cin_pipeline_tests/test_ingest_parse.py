"""Parser: row counts against an independent ElementTree count, tolerance of messy but valid
input, and one CensusFileError reason code per class of unusable file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cin_pipeline.ingest import CensusFileError, ingest_file, parse_return, read_header
from cin_pipeline.ingest import parse as parse_mod

# staging table -> the XML element that opens one of its records
ELEMENT_OF = {
    "child": "Child", "disability": "Disability", "episode": "CINdetails",
    "assessment": "Assessments", "assessment_factor": "AssessmentFactors",
    "cin_plan": "CINPlanDates", "section47": "Section47", "cpp": "ChildProtectionPlans",
    "cpp_review": "CPPreviewDate",
}

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>CIN</Collection>
      <Year>{year}</Year>
      <ReferenceDate>{year}-03-31</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>{la}</LEA>
    </Source>
  </Header>
"""

CHILD = """    <Child>
      <ChildIdentifiers>
        <LAchildID>C1</LAchildID>
        <PersonBirthDate>2015-05-01</PersonBirthDate>
        <Sex>F</Sex>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        <Disabilities><Disability>NONE</Disability></Disabilities>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-06-03</CINreferralDate>
        <ReferralSource>2A</ReferralSource>
        <ReferralNFA>1</ReferralNFA>
      </CINdetails>
    </Child>
"""


def _return(year=2025, la="201", children=CHILD) -> str:
    return HEADER.format(year=year, la=la) + "  <Children>\n" + children + "  </Children>\n</Message>\n"


def _write(tmp_path: Path, text: str | bytes, name="r.xml") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def _et_counts(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    return {t: sum(1 for _ in root.iter(el)) for t, el in ELEMENT_OF.items()}


@pytest.mark.parametrize("name", ["synthetic_cin_2024-25_example.xml", "cin-2022.xml"])
def test_row_counts_match_independent_element_count(shared_dir, name):
    path = shared_dir / "reference" / "cin_samples" / name
    parsed = parse_return(path)
    expected = _et_counts(path)
    got = {t: len(parsed.tables[t]) for t in ELEMENT_OF}
    assert got == expected
    assert len(parsed.tables["header"]) == 1


def test_example_values_are_typed_and_keep_source_lines(shared_dir):
    path = shared_dir / "reference" / "cin_samples" / "synthetic_cin_2024-25_example.xml"
    parsed = parse_return(path)
    assert (parsed.year, parsed.la) == (2025, "201")
    lines = path.read_text().splitlines()
    child = parsed.tables["child"].set_index("child_id")
    # the line of each child is the line of its <Child> element
    for cid, row in child.iterrows():
        assert lines[row["line"] - 1].strip() == "<Child>"
        assert f"<LAchildID>{cid}</LAchildID>" in lines[row["line"] + 1]
    assert child.loc["SYN0004", "sex"] == "U" and child.loc["SYN0001", "sex"] == "F"
    assert str(child.loc["SYN0001", "birth_date"])[:10] == "2012-05-14"
    ep = parsed.tables["episode"]
    assert ep.set_index("child_id").loc["SYN0001", "referral_nfa"] == True  # noqa: E712
    rev = parsed.tables["cpp_review"]
    assert list(rev["review_seq"]) == [1, 2]
    assert lines[rev["line"].iloc[1] - 1].strip() == "<CPPreviewDate>2025-03-10</CPPreviewDate>"
    assert parsed.tables["header"]["reference_date"].astype(str).iloc[0][:10] == "2025-03-31"


def test_gender_current_harmonised_to_sex(shared_dir):
    parsed = parse_return(shared_dir / "reference" / "cin_samples" / "cin-2022.xml")
    child = parsed.tables["child"].iloc[0]
    assert (child["sex_raw"], child["sex"]) == ("1", "M")
    assert parsed.tables["episode"]["referral_nfa"].iloc[0] == False  # noqa: E712  ('false')


def test_bom_whitespace_and_case_are_tolerated(tmp_path):
    child = (CHILD.replace("<LAchildID>C1</LAchildID>", "<LAchildID>  syn01 \n</LAchildID>")
             .replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity> wbri </Ethnicity>")
             .replace("<Sex>F</Sex>", "<Sex>f</Sex>")
             .replace("<ReferralSource>2A</ReferralSource>", "<ReferralSource>\t2a </ReferralSource>")
             .replace("<ReferralNFA>1</ReferralNFA>", "<ReferralNFA> TRUE </ReferralNFA>")
             .replace("<Disability>NONE</Disability>", "<Disability>none</Disability>"))
    path = _write(tmp_path, b"\xef\xbb\xbf" + _return(children=child).replace("<LEA>201", "<LEA> 201 ").encode())
    parsed = parse_return(path)
    c = parsed.tables["child"].iloc[0]
    assert (c["child_id"], c["la_child_id_raw"].strip(), c["ethnicity"], c["sex"]) == ("SYN01", "syn01", "WBRI", "F")
    e = parsed.tables["episode"].iloc[0]
    assert (e["referral_source"], e["referral_nfa"]) == ("2A", True)
    result = ingest_file(path, tmp_path / "staging")
    assert result.la == "201" and result.findings == {"error": 0, "query": 0}


def test_optional_blocks_missing_and_old_year_layout(tmp_path):
    child = (CHILD.replace("<Sex>F</Sex>", "<GenderCurrent>2</GenderCurrent>")
             .replace('        <Disabilities><Disability>NONE</Disability></Disabilities>\n', ""))
    parsed = parse_return(_write(tmp_path, _return(year=2016, children=child)))
    assert parsed.tables["child"]["sex"].iloc[0] == "F"
    assert len(parsed.tables["disability"]) == 0 and len(parsed.tables["cin_plan"]) == 0


def test_read_header_stops_after_header(tmp_path):
    # a file whose body is broken: the header can still be read (and cheaply), the body cannot
    text = _return() .replace("</Children>", "<Child><Oops></Children>")
    path = _write(tmp_path, text)
    header = read_header(path)
    assert (header.year, header.la, header.reference_date) == (2025, "201", "2025-03-31")
    with pytest.raises(CensusFileError) as err:
        parse_return(path)
    assert err.value.reason_code == "malformed_xml"
    assert err.value.line == text.count("\n", 0, text.index("</Children>")) + 1


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Message [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Message><Header><CollectionDetails><Year>2025</Year></CollectionDetails>
<Source><LEA>201</LEA><SoftwareCode>&lol4;</SoftwareCode></Source></Header><Children/></Message>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Message><Header><CollectionDetails><Year>2025</Year></CollectionDetails>
<Source><LEA>201</LEA><SoftwareCode>&xxe;</SoftwareCode></Source></Header><Children/></Message>
"""

DOCTYPE = '<?xml version="1.0"?>\n<!DOCTYPE Message SYSTEM "http://example.org/cin.dtd">\n' + _return().split("\n", 1)[1]

BAD_FILES = {
    "empty": (b"", "empty_file", {}),
    "blank": (b"  \n\n  ", "empty_file", {}),
    "not_xml": ("LAchildID,UPN,Sex\nC1,,F\n", "not_xml", {}),
    "binary": (b"PK\x03\x04\x00\x00binaryzip", "not_xml", {}),
    "truncated": (_return()[: _return().index("<ReferralSource>")], "malformed_xml", {}),
    "wrong_root": (_return().replace("<Message>", "<Return>").replace("</Message>", "</Return>"), "wrong_root", {}),
    "missing_header": ('<?xml version="1.0"?>\n<Message>\n  <Children>\n' + CHILD + "  </Children>\n</Message>\n",
                       "missing_header", {}),
    "missing_lea": (_return().replace("      <LEA>201</LEA>\n", ""), "missing_lea", {}),
    "missing_year": (_return().replace("      <Year>2025</Year>\n", ""), "missing_year", {}),
    "bad_year": (_return().replace("<Year>2025", "<Year>twenty"), "invalid_year", {}),
    "year_out_of_range": (_return(year=2010), "year_out_of_range", {}),
    "year_mismatch": (_return(), "year_mismatch", {"expected_year": 2024}),
    "unknown_la": (_return(la="999"), "unknown_la", {}),
    "la_not_3_digits": (_return(la="Camden"), "unknown_la", {}),
    "la_mismatch": (_return(), "la_mismatch", {"expected_la": "330"}),
    "billion_laughs": (BILLION_LAUGHS, "entity_forbidden", {}),
    "external_entity": (XXE, "entity_forbidden", {}),
    "doctype": (DOCTYPE, "doctype_forbidden", {}),
    "too_large": (_return(), "file_too_large", {"max_bytes": 100}),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_raises_census_file_error(tmp_path, case):
    content, reason, kwargs = BAD_FILES[case]
    path = _write(tmp_path, content)
    with pytest.raises(CensusFileError) as err:
        parse_return(path, **kwargs)
    assert err.value.reason_code == reason
    assert len(err.value.message) > 30  # a sentence an LA analyst can act on


def test_truncated_file_reports_a_line(tmp_path):
    text = _return()
    path = _write(tmp_path, text[: text.index("<ReferralSource>")])
    with pytest.raises(CensusFileError) as err:
        ingest_file(path, tmp_path / "staging")
    assert err.value.reason_code == "malformed_xml" and err.value.line >= 20
    assert not (tmp_path / "staging").exists()  # nothing written


def test_unknown_la_uses_the_reference_hook(tmp_path, monkeypatch):
    path = _write(tmp_path, _return(la="202"))
    assert read_header(path).la == "202"
    monkeypatch.setattr(parse_mod, "known_la_codes", lambda: frozenset({"201"}))
    with pytest.raises(CensusFileError) as err:
        read_header(path)
    assert err.value.reason_code == "unknown_la" and err.value.line == 11


def test_random_fake_file_parses(shared_dir, monkeypatch):
    """The 259 KB random validator fixture (LEA 975, not a real LA) parses once 975 is allowed."""
    monkeypatch.setattr(parse_mod, "known_la_codes", lambda: frozenset({"975"}))
    path = shared_dir / "reference" / "cin_samples" / "fake_CIN_data.xml"
    parsed = parse_return(path)
    assert {t: len(parsed.tables[t]) for t in ELEMENT_OF} == _et_counts(path)
