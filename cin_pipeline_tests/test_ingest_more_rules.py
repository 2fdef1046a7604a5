"""More validation rules (child identifiers, closed episodes, deaths, LA-level and working-day
rules), the bank holiday calendar, and the DuckDB memory bound of an ingest.

Each rule test builds a tiny return that breaks exactly that rule and checks that the finding
(and nothing else) comes back; a near miss on the other side of the rule's boundary gives none.
"""

from __future__ import annotations

import csv
import datetime as dt
import zlib
from pathlib import Path

import duckdb

from cin_pipeline.census import spec
from cin_pipeline.ingest import ingest_file, rules, staging
from cin_pipeline.reference import calendar
from cin_pipeline_tests.test_ingest_rules import _return as build_return


# ------------------------------------------------------------------ tiny return builder
def _return(children: list[str], year: int = 2025, la: str = "201") -> str:
    return build_return("".join(children), year=year, la=la)


def _el(name: str, value) -> str:
    return "" if value is None else f"<{name}>{value}</{name}>"


def _upn_for(cid: str, la: str = "201") -> str:
    body = la + f"{zlib.crc32(cid.encode()) % 10**8:08d}" + "7"
    return spec.upn_check_letter(body) + body


def _child(cid: str = "C1", *, episodes: list[str] | None = None, year: int = 2025, upn: bool = True,
           former_upn: str | None = None, upn_unknown: str | None = None, dob: str | None = "2015-05-01",
           expected: str | None = None, sex: str | None = None, death: str | None = None,
           disabilities=("NONE",)) -> str:
    if sex is None:
        sex = "F" if year >= 2025 else "2"
    disab = "".join(_el("Disability", d) for d in disabilities)
    ids = "".join((
        _el("LAchildID", cid), _el("UPN", _upn_for(cid) if upn else None), _el("FormerUPN", former_upn),
        _el("UPNunknown", upn_unknown), _el("PersonBirthDate", dob), _el("ExpectedPersonBirthDate", expected),
        _el(spec.sex_element(year), sex), _el("PersonDeathDate", death),
    ))
    return f"""    <Child>
      <ChildIdentifiers>{ids}</ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity><Disabilities>{disab}</Disabilities></ChildCharacteristics>
{''.join(episodes if episodes is not None else [_episode()])}    </Child>
"""


def _episode(referral: str = "2024-06-03", *, closure: str | None = None, reason: str | None = None,
             nfa: str = "0", need: str | None = "N4", assessments: str = "", plans: str = "",
             s47: str = "", cpp: str = "") -> str:
    return (f"      <CINdetails>{_el('CINreferralDate', referral)}<ReferralSource>2A</ReferralSource>"
            f"{_el('PrimaryNeedCode', need)}{_el('CINclosureDate', closure)}{_el('ReasonForClosure', reason)}\n"
            f"{assessments}{plans}{s47}        <ReferralNFA>{nfa}</ReferralNFA>\n{cpp}      </CINdetails>\n")


def _assessment(start: str, auth: str | None = None, factors=()) -> str:
    fac = ("<FactorsIdentifiedAtAssessment>" + "".join(_el("AssessmentFactors", f) for f in factors)
           + "</FactorsIdentifiedAtAssessment>") if factors else ""
    return (f"        <Assessments>{_el('AssessmentActualStartDate', start)}"
            f"{_el('AssessmentAuthorisationDate', auth)}{fac}</Assessments>\n")


def _plan(start: str, end: str | None = None) -> str:
    return f"        <CINPlanDates>{_el('CINPlanStartDate', start)}{_el('CINPlanEndDate', end)}</CINPlanDates>\n"


def _s47(start: str, icpc: str | None = None, not_required: str = "0") -> str:
    return (f"        <Section47>{_el('S47ActualStartDate', start)}{_el('DateOfInitialCPC', icpc)}"
            f"<ICPCnotRequired>{not_required}</ICPCnotRequired></Section47>\n")


def _cpp(start: str, end: str | None = None, review: str | None = None) -> str:
    reviews = f"<Reviews>{_el('CPPreviewDate', review)}</Reviews>" if review else ""
    return (f"        <ChildProtectionPlans>{_el('CPPstartDate', start)}{_el('CPPendDate', end)}"
            "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>"
            f"<NumberOfPreviousCPP>0</NumberOfPreviousCPP>{reviews}</ChildProtectionPlans>\n")


def _findings(tmp_path: Path, children: list[str], year: int = 2025):
    """``(rule, severity, child_id, episode_seq, line, message)`` of the return, and its lines."""
    text = _return(children, year=year)
    path = tmp_path / f"r{year}_{zlib.crc32(text.encode())}.xml"
    path.write_text(text)
    result = ingest_file(path, tmp_path / "staging")
    rows = duckdb.connect().execute(
        "SELECT rule_code, severity, child_id, episode_seq, line, message FROM read_parquet(?) "
        "ORDER BY line NULLS FIRST, rule_code", [str(result.files["validation_finding"])]).fetchall()
    return rows, text.splitlines()


def _line(lines: list[str], needle: str, nth: int = 1) -> int:
    return [i + 1 for i, line in enumerate(lines) if needle in line][nth - 1]


def _codes(rows) -> list[str]:
    return [r[0] for r in rows]


# ------------------------------------------------------------------ the valid example
def test_clean_builder_return_has_no_findings(tmp_path):
    rows, _ = _findings(tmp_path, [_child()])
    assert rows == []


def test_valid_example_still_has_no_error(shared_dir, tmp_path):
    path = shared_dir / "reference" / "cin_samples" / "synthetic_cin_2024-25_example.xml"
    result = ingest_file(path, tmp_path / "staging")
    assert result.findings["error"] == 0 and result.children == 4


# ------------------------------------------------------------------ child identifiers
def test_8750_unborn_child_sex_must_be_unknown(tmp_path):
    unborn = dict(dob=None, expected="2025-06-01", episodes=[_episode("2025-01-10")])
    rows, lines = _findings(tmp_path, [_child(sex="F", **unborn)])
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [("8750", "error", "C1", None, _line(lines, "<Child>"))]
    assert "Sex must equal U" in rows[0][5] and "Sex F" in rows[0][5]
    assert _findings(tmp_path, [_child(sex="U", **unborn)])[0] == []
    # before 2024-25 the unborn code is GenderCurrent 0
    old = dict(dob=None, expected="2024-06-01", episodes=[_episode("2024-01-10")], year=2024)
    assert _codes(_findings(tmp_path, [_child(sex="1", **old)], year=2024)[0]) == ["8750"]
    assert _findings(tmp_path, [_child(sex="0", **old)], year=2024)[0] == []


def test_8530q_expected_birth_date_out_of_range(tmp_path):
    rows, _ = _findings(tmp_path, [_child(dob=None, expected="2026-01-01", sex="U",
                                          episodes=[_episode("2025-03-30")])])
    assert [(r[0], r[1], r[2]) for r in rows] == [("8530Q", "query", "C1")]
    ok = _child(dob=None, expected="2025-12-31", sex="U", episodes=[_episode("2025-03-30")])
    assert _findings(tmp_path, [ok])[0] == []


def test_8535q_death_before_birth(tmp_path):
    rows, _ = _findings(tmp_path, [_child(dob="2024-10-01", death="2024-09-01",
                                          episodes=[_episode("2024-08-01")])])
    assert [(r[0], r[1], r[2]) for r in rows] == [("8535Q", "query", "C1")]


def test_1560q_former_upn_format(tmp_path):
    rows, _ = _findings(tmp_path, [_child(former_upn="X12345")])
    assert [(r[0], r[1], r[2]) for r in rows] == [("1560Q", "query", "C1")]
    assert "X12345" in rows[0][5]
    assert _findings(tmp_path, [_child(former_upn="X98765432123A")])[0] == []  # temporary UPN


def test_8770q_school_age_child_without_upn_or_reason(tmp_path):
    rows, lines = _findings(tmp_path, [_child(upn=False, upn_unknown="UN1")])
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [("8770Q", "query", "C1", _line(lines, "<Child>"))]
    assert _findings(tmp_path, [_child(upn=False, upn_unknown="UN2")])[0] == []
    # 2024-25: of school age when born on or before 31 August 2021
    assert _codes(_findings(tmp_path, [_child(upn=False, dob="2021-08-31")])[0]) == ["8770Q"]
    assert _findings(tmp_path, [_child(upn=False, dob="2021-09-01")])[0] == []
    # the NFA referral of a school-age child needs no UPN
    nfa = _episode(nfa="1", need=None)
    assert _findings(tmp_path, [_child(upn=False, episodes=[nfa])])[0] == []


def test_8772_un7_with_a_referral_going_on_to_further_action(tmp_path):
    rows, _ = _findings(tmp_path, [_child(upn=False, upn_unknown="UN7")])
    assert [(r[0], r[1], r[2]) for r in rows] == [("8772", "error", "C1")]
    nfa = _episode(nfa="1", need=None)
    assert _findings(tmp_path, [_child(upn=False, upn_unknown="UN7", episodes=[nfa])])[0] == []


def test_8775q_child_over_25(tmp_path):
    rows, _ = _findings(tmp_path, [_child(dob="1998-01-01")])
    assert [(r[0], r[1], r[2]) for r in rows] == [("8775Q", "query", "C1")]
    # closed before the 25th birthday: no query
    young = _episode("2022-06-03", closure="2022-12-01", reason="RC7")
    assert "8775Q" not in _codes(_findings(tmp_path, [_child(dob="1998-01-01", episodes=[young])])[0])


def test_2886q_la_level_no_sex_recorded(tmp_path):
    children = [_child(f"C{i}") for i in range(1, 50)] + [_child("C50", sex="U")]
    rows, _ = _findings(tmp_path, children)  # 1 in 50 = 2%: not more than 2%
    assert rows == []
    rows, _ = _findings(tmp_path, children[:48] + [_child("C49", sex="U"), _child("C50", sex="U")])
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [("2886Q", "query", None, None, None)]
    assert "2 of 50 children" in rows[0][5]
    # GenderCurrent 0 before 2024-25; 9 (indeterminate) is a recorded sex
    old = [_child(episodes=[_episode("2023-06-03")], year=2024, sex="0")]
    assert _codes(_findings(tmp_path, old, year=2024)[0]) == ["2886Q"]
    old = [_child(episodes=[_episode("2023-06-03")], year=2024, sex="9")]
    assert _findings(tmp_path, old, year=2024)[0] == []


def test_2887q_fewer_than_8_disability_codes(tmp_path):
    rows, _ = _findings(tmp_path, [_child(disabilities=("MOB", "HAND"))])
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [("2887Q", "query", None, None)]
    assert "HAND, MOB" in rows[0][5]


def test_2888q_only_one_disability_per_child(tmp_path):
    codes = ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS")
    children = [_child(f"D{i}", disabilities=(code,)) for i, code in enumerate(codes)]
    rows, _ = _findings(tmp_path, children)
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [("2888Q", "query", None, None)]
    children[0] = _child("D0", disabilities=("MOB", "BEH"))
    assert _findings(tmp_path, children)[0] == []


# ------------------------------------------------------------------ episodes
def test_8569q_nfa_referral_before_the_census_year(tmp_path):
    # 2024-25 starts Monday 1 April 2024, Easter Monday; the working day before is Thursday
    # 28 March (Good Friday 29 March is a bank holiday)
    rows, lines = _findings(tmp_path, [_child("A", episodes=[_episode("2024-03-27", nfa="1", need=None)]),
                                       _child("B", episodes=[_episode("2024-03-28", nfa="1", need=None)])])
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("8569Q", "query", "A", 1, _line(lines, "<CINdetails>"))]
    assert "before 2024-03-28" in rows[0][5]


def test_8867_closed_episode_with_open_assessment(tmp_path):
    ep = _episode(closure="2025-02-20", reason="RC7", assessments=_assessment("2025-02-10"))
    rows, lines = _findings(tmp_path, [_child(episodes=[ep])])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("8867", "error", 1, _line(lines, "<Assessments>"))]


def test_8868_closed_episode_with_open_s47(tmp_path):
    ep = _episode(closure="2025-03-20", reason="RC7", s47=_s47("2025-03-12"))
    rows, lines = _findings(tmp_path, [_child(episodes=[ep])])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("8868", "error", 1, _line(lines, "<Section47>"))]
    ep = _episode(closure="2025-03-20", reason="RC7", s47=_s47("2025-03-12", not_required="1"))
    assert _findings(tmp_path, [_child(episodes=[ep])])[0] == []


# ------------------------------------------------------------------ assessments
def test_8670q_open_assessment_older_than_45_working_days(tmp_path):
    # 45 working days before Monday 31 March 2025 is Monday 27 January 2025
    rows, lines = _findings(tmp_path, [
        _child("A", episodes=[_episode(assessments=_assessment("2025-01-24"))]),
        _child("B", episodes=[_episode(assessments=_assessment("2025-01-27"))])])
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [("8670Q", "query", "A", _line(lines, "<Assessments>"))]


def test_8873q_single_assessment_with_no_factors_needs_rc8_or_rc9(tmp_path):
    one = _assessment("2024-06-10", "2024-07-01", factors=("21",))
    rows, lines = _findings(tmp_path, [_child(episodes=[_episode(closure="2024-07-15", reason="RC7", assessments=one)])])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("8873Q", "query", 1, _line(lines, "<CINdetails>"))]
    ok = _episode(closure="2024-07-15", reason="RC8", assessments=one)
    assert _findings(tmp_path, [_child(episodes=[ok])])[0] == []
    two = one + _assessment("2024-08-01", "2024-08-20", factors=("3B",))
    ok = _episode(closure="2024-09-01", reason="RC7", assessments=two)
    assert _findings(tmp_path, [_child(episodes=[ok])])[0] == []


def test_8945q_8950q_deprecated_factors_from_2025(tmp_path):
    a = _assessment("2024-06-10", "2024-07-01", factors=("18A", "19A"))
    rows, _ = _findings(tmp_path, [_child(episodes=[_episode(assessments=a)])])
    assert [(r[0], r[1], r[3]) for r in rows] == [("8945Q", "query", 1), ("8950Q", "query", 1)]
    a = _assessment("2023-06-10", "2023-07-01", factors=("18A", "19A"))
    old = [_child(episodes=[_episode("2023-06-03", assessments=a)], year=2024)]
    assert _findings(tmp_path, old, year=2024)[0] == []


# ------------------------------------------------------------------ CIN plans
def test_4008_cin_plan_starts_after_death(tmp_path):
    ep = _episode(plans=_plan("2024-10-01"))
    rows, lines = _findings(tmp_path, [_child(death="2024-09-20", episodes=[ep])])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("4008", "error", 1, _line(lines, "<CINPlanDates>"))]


def test_4009q_cin_plan_ends_after_death(tmp_path):
    ep = _episode(plans=_plan("2024-07-01", "2024-10-01"))
    rows, _ = _findings(tmp_path, [_child(death="2024-09-20", episodes=[ep])])
    assert [(r[0], r[1], r[3]) for r in rows] == [("4009Q", "query", 1)]


def test_4012q_cin_plan_starts_and_ends_same_day(tmp_path):
    ep = _episode(plans=_plan("2024-07-01", "2024-07-01"))
    rows, _ = _findings(tmp_path, [_child(episodes=[ep])])
    assert [(r[0], r[1], r[3]) for r in rows] == [("4012Q", "query", 1)]
    # no CIN plan rules before 2021-22
    ep = _episode("2020-06-03", plans=_plan("2020-07-01", "2020-07-01"))
    assert "4012Q" not in _codes(_findings(tmp_path, [_child(episodes=[ep], year=2021)], year=2021)[0])


# ------------------------------------------------------------------ section 47
def test_8675q_open_s47_older_than_15_working_days(tmp_path):
    # 15 working days before Monday 31 March 2025 is Monday 10 March 2025
    rows, lines = _findings(tmp_path, [_child("A", episodes=[_episode(s47=_s47("2025-03-07"))]),
                                       _child("B", episodes=[_episode(s47=_s47("2025-03-10"))]),
                                       _child("C", episodes=[_episode(s47=_s47("2025-01-10", not_required="1"))])])
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [("8675Q", "query", "A", _line(lines, "<Section47>"))]


def test_8890_s47_starting_during_another(tmp_path):
    s47 = _s47("2024-09-10", icpc="2024-09-30") + _s47("2024-09-20", not_required="1")
    rows, lines = _findings(tmp_path, [_child(episodes=[_episode(s47=s47)])])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("8890", "error", 1, _line(lines, "<Section47>", 2))]
    s47 = _s47("2024-09-10", icpc="2024-09-30") + _s47("2024-10-01", not_required="1")
    assert _findings(tmp_path, [_child(episodes=[_episode(s47=s47)])])[0] == []


# ------------------------------------------------------------------ child protection plans
def _cpp_episode(end: str | None = None) -> str:
    return _episode("2024-09-02", s47=_s47("2024-09-10", icpc="2024-09-30"), cpp=_cpp("2024-09-30", end))


def test_8915_cpp_starts_after_death(tmp_path):
    rows, lines = _findings(tmp_path, [_child(death="2024-09-15", episodes=[_cpp_episode()])])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [("8915", "error", 1, _line(lines, "<ChildProtectionPlans>"))]


def test_8920_cpp_ends_after_death(tmp_path):
    rows, _ = _findings(tmp_path, [_child(death="2024-12-01", episodes=[_cpp_episode("2024-12-20")])])
    assert [(r[0], r[1], r[3]) for r in rows] == [("8920", "error", 1)]
    assert _findings(tmp_path, [_child(death="2024-12-20", episodes=[_cpp_episode("2024-12-20")])])[0] == []


# ------------------------------------------------------------------ registry
def test_new_rules_registered_with_their_years():
    new = ("8750 8770Q 8772 8775Q 8867 8868 8873Q 8890 8915 8920 4008 4009Q 4012Q 8530Q 8535Q 1560Q "
           "8945Q 8950Q 2886Q 2887Q 2888Q 8569Q 8670Q 8675Q").split()
    assert set(new) <= set(rules.rule_codes(2025))
    assert {"8945Q", "8950Q"}.isdisjoint(rules.rule_codes(2024))
    assert {"4008", "4009Q", "4012Q"}.isdisjoint(rules.rule_codes(2021))


# ------------------------------------------------------------------ calendar
def test_bank_holiday_table_matches_the_rules():
    with open(calendar.BANK_HOLIDAYS_CSV, newline="") as fh:
        table = [(dt.date.fromisoformat(r["date"]), r["name"]) for r in csv.DictReader(fh)]
    expected = [h for y in range(calendar.FIRST_YEAR, calendar.LAST_YEAR + 1) for h in calendar.rule_bank_holidays(y)]
    assert table == expected
    days = calendar.bank_holidays()
    for d in ("2011-04-29", "2012-06-04", "2012-06-05", "2020-05-08", "2021-12-27", "2021-12-28",
              "2022-01-03", "2022-06-02", "2022-06-03", "2022-09-19", "2023-05-08", "2024-03-29",
              "2024-04-01", "2026-12-28", "2027-03-26", "2027-12-27", "2027-12-28"):
        assert dt.date.fromisoformat(d) in days, d
    for d in ("2020-05-04", "2012-05-28", "2022-05-30", "2026-12-26"):
        assert dt.date.fromisoformat(d) not in days, d
    assert all(len([d for d in days if d.year == y]) == 8 for y in (2013, 2019, 2024, 2025, 2027))


def test_easter_and_working_days():
    known = {2000: "2000-04-23", 2011: "2011-04-24", 2019: "2019-04-21", 2024: "2024-03-31",
             2025: "2025-04-20", 2038: "2038-04-25", 2285: "2285-03-22"}
    assert {y: calendar.easter_sunday(y).isoformat() for y in known} == known
    before = calendar.working_days_before
    assert before(dt.date(2024, 4, 1), 1) == dt.date(2024, 3, 28)
    assert before(dt.date(2024, 3, 31), 1) == dt.date(2024, 3, 28)  # Easter Sunday
    assert before(dt.date(2025, 3, 31), 15) == dt.date(2025, 3, 10)
    assert before(dt.date(2025, 3, 31), 45) == dt.date(2025, 1, 27)
    assert not calendar.is_working_day(dt.date(2030, 12, 25))  # beyond the table: the rules


# ------------------------------------------------------------------ memory bound
def test_ingest_bounds_duckdb_memory_and_spills_beside_staging(tmp_path, monkeypatch):
    monkeypatch.setenv("CIN_INGEST_MEMORY_LIMIT", "200MB")
    (tmp_path / "r.xml").write_text(_return([_child()]))
    staging_dir = tmp_path / "data" / "staging"
    result = ingest_file(tmp_path / "r.xml", staging_dir)
    assert result.findings == {"error": 0, "query": 0}
    spill = staging.spill_dir(staging_dir)
    assert spill == (tmp_path / "data" / "tmp" / "duckdb_spill").resolve() and spill.is_dir()
    con = staging.session(memory_limit=staging.memory_limit(), spill_root=spill)  # the cached one
    limit, temp = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    assert limit.endswith("MiB") and 150 < float(limit.split()[0]) <= 200, limit
    assert Path(temp).parent == spill  # a folder of this process and thread
    # a table larger than the limit spills there and still works
    con.execute("SET memory_limit = '64MB'")
    n = con.execute("SELECT count(DISTINCT s) FROM (SELECT repeat('x', 50) || i::VARCHAR AS s "
                    "FROM range(3000000) t(i))").fetchone()[0]
    assert n == 3_000_000
    con.execute("SET memory_limit = '200MB'")  # leave the cached connection as ingest_file set it
    monkeypatch.delenv("CIN_INGEST_MEMORY_LIMIT")
    assert staging.memory_limit() == "1GB"
