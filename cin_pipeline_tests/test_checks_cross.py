"""Cross-checks and disclosure checks on the real published files and on planted faults."""

from __future__ import annotations

import pandas as pd
import pytest

from cin_pipeline.checks import cross, disclosure
from cin_pipeline.checks.screener import read_ees_csv

FILES = {
    "b1": "b1_children_in_need_2013_to_2024.csv",
    "c1": "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv",
    "d3": "d3_cpps_subsequent_plan_2013_to_2024.csv",
    "d5": "d5_cpps_at31march_by_duration_2013_to_2024.csv",
}


@pytest.fixture(scope="module")
def pub(shared_dir):
    return {k: read_ees_csv(shared_dir / "reference" / "published" / v) for k, v in FILES.items()}


def _counts(df):
    return [c for c in df.columns[11:] if not c.endswith(("_percent", "_rate"))]


def test_published_totals_consistent(pub):
    for k in ("c1", "d3"):   # primary suppression only: two-sided bounds
        assert cross.national_equals_la_sum(pub[k], k, _counts(pub[k])).passed
        assert cross.regions_add_up(pub[k], k, _counts(pub[k])).passed
    # B1 2023 Ended_child and D5 bands hide more than 5 behind some "c" (secondary suppression)
    for k in ("b1", "d5"):
        assert cross.national_equals_la_sum(pub[k], k, _counts(pub[k]), c_max=None).passed
        assert cross.regions_add_up(pub[k], k, _counts(pub[k]), c_max=None).passed


def test_published_percentages_and_identity(pub):
    d3 = cross.percentages_consistent(pub["d3"], "d3", [("CPP_subsequent_percent", "CPP_subsequent", "CPP_start", 1)])
    assert d3.passed, d3.message
    b1 = cross.identity(pub["b1"], "b1", "Anypoint_episodes", ("Ended_episodes", "At31_episodes"))
    # stated exception: the published B1 breaks the identity only in 2013-2014
    assert {d["year"] for d in b1.details} == {"2013", "2014"}
    later = pub["b1"][pub["b1"]["time_period"] >= "2015"]
    assert cross.identity(later, "b1", "Anypoint_episodes", ("Ended_episodes", "At31_episodes")).passed


def test_changed_la_value_breaks_national_text_mode(pub):
    df = pub["d3"].copy()
    i = df.index[(df["time_period"] == "2024") & (df["la_name"] == "Darlington")][0]
    df.loc[i, "CPP_start"] = str(int(df.loc[i, "CPP_start"]) + 100)
    passed, message, details = cross.national_equals_la_sum(df, "d3", ["CPP_start"])
    assert not passed
    assert "d3 2024 England CPP_start" in message and "found 62110" in message
    r = cross.regions_add_up(df, "d3", ["CPP_start"])
    assert not r.passed and "North East (E12000001) CPP_start" in r.message


def _tiny():
    cols = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
            "region_code", "region_name", "old_la_code", "new_la_code", "la_name", "category", "N", "M", "N_percent"]
    base = ["2024", "Reporting year"]
    rows = [
        base + ["National", "E92000001", "England", "", "", "", "", "", "k", "2010", "1000", "49.9"],
        base + ["Regional", "E92000001", "England", "E12000001", "North East", "", "", "", "k", "1010", "500", "49.7"],
        base + ["Regional", "E92000001", "England", "E12000002", "North West", "", "", "", "k", "1000", "500", "50"],
        base + ["Local authority", "E92000001", "England", "E12000001", "North East", "841", "E06000005", "Darlington", "k", "1006", "500", "49.7"],
        base + ["Local authority", "E92000001", "England", "E12000002", "North West", "888", "E10000017", "Lancashire", "k", "1000", "500", "50"],
    ]
    text = pd.DataFrame(rows, columns=cols)
    unrounded = pd.DataFrame({"year": [2024, 2024], "la": ["841", "888"], "N": [1006, 1000], "M": [500, 500]})
    return text, unrounded


def test_unrounded_mode_is_exact_and_names_the_cell():
    text, u = _tiny()
    assert cross.national_equals_la_sum(text, "t", ["N", "M"], unrounded=u).passed
    u2 = u.copy()
    u2.loc[0, "N"] = 1030          # LA value changed: national and region no longer the sum
    passed, message, details = cross.national_equals_la_sum(text, "t", ["N"], unrounded=u2)
    assert not passed
    assert "t 2024 England N: expected 2030, found 2010" in message
    assert any(d["geography"] == "Darlington (841)" and d["expected"] == 1030 for d in details)
    r = cross.regions_add_up(text, "t", ["N"], unrounded=u2)
    assert not r.passed and "North East (E12000001) N: expected 1030, found 1010" in r.message
    p = cross.percentages_consistent(text, "t", [("N_percent", "M", "N", 1)], unrounded=u)
    assert p.passed, p.message
    # 49.5 is reachable from the rounded national counts, not from the LAs' unrounded ones
    off = text.copy()
    off.loc[0, "N_percent"] = "49.5"
    p = cross.percentages_consistent(off, "t", [("N_percent", "M", "N", 1)], unrounded=u)
    assert not p.passed and "t 2024 England N_percent: expected 49.9" in p.message, p.message
    # by filter value: each category's percentages from its own unrounded rows
    other = text.assign(category="j", M=["0", "0", "0", "1", "1"], N_percent="0.1")
    both = pd.concat([text, other], ignore_index=True)
    u3 = pd.concat([u.assign(category="k"), u.assign(category="j", M=[1, 1])], ignore_index=True)
    p = cross.percentages_consistent(both, "t", [("N_percent", "M", "N", 1)], unrounded=u3,
                                     filters=("category",))
    assert p.passed, p.message
    both.loc[len(text), "N_percent"] = "0.2"  # England, category j
    p = cross.percentages_consistent(both, "t", [("N_percent", "M", "N", 1)], unrounded=u3,
                                     filters=("category",))
    assert not p.passed and "t 2024 England N_percent: expected 0.1, found 0.2" in p.message, p.message


def test_measures_agree():
    text, _ = _tiny()
    other = text.copy()
    assert cross.measures_agree(text, "a", "N", other, "b", "N").passed
    other.loc[3, "N"] = "1007"
    r = cross.measures_agree(text, "a", "N", other, "b", "N")
    assert not r.passed and "b 2024 Darlington (841) N: expected 1006 (= a.N), found 1007" in r.message


def test_disclosure_on_published_files(pub):
    for k, df in pub.items():
        assert disclosure.small_counts(df, k, _counts(df)).passed
        assert disclosure.child_identifiers(df, k).passed
    r = disclosure.secondary_suppression(pub["b1"], "b1", [("Anypoint_episodes", ("Ended_episodes", "At31_episodes"))])
    # stated exception: Isles of Scilly At31_episodes is recoverable in the published B1 (2014, 2023)
    assert {(d["year"], d["geography"]) for d in r.details} == {("2014", "Isles of Scilly (420)"),
                                                                 ("2023", "Isles of Scilly (420)")}


def test_disclosure_flags_small_count_and_upn(pub):
    df = pub["d3"].copy()
    i = df.index[(df["time_period"] == "2024") & (df["la_name"] == "Darlington")][0]
    df.loc[i, "CPP_subsequent"] = "3"
    r = disclosure.small_counts(df, "d3", ["CPP_start", "CPP_subsequent"])
    assert not r.passed and "d3 2024 Darlington (841) CPP_subsequent" in r.message and "found 3" in r.message
    df2 = pub["d3"].copy()
    df2.loc[i, "category"] = "A12345678901B"
    r = disclosure.child_identifiers(df2, "d3")
    assert not r.passed and "A12345678901B" in r.message
    df3 = pub["d3"].assign(child_id="")
    assert not disclosure.child_identifiers(df3, "d3").passed
    df4 = pub["d3"].copy()
    df4.loc[i, "category"] = "2015-03-31"
    assert not disclosure.child_identifiers(df4, "d3").passed


def test_secondary_suppression_flags_recoverable_cell():
    text, _ = _tiny()
    text.loc[3, "M"] = "c"
    text["T"] = ["", "", "", "1506", "1500"]
    r = disclosure.secondary_suppression(text, "t", [("T", ("N", "M"))])
    assert not r.passed and "c recoverable as 500" in r.message
    r = disclosure.secondary_suppression(text, "t", percents=[("N_percent", "M", "N")])
    assert not r.passed and "Darlington (841) N_percent" in r.message


def test_a_wrong_percentage_is_named_not_a_crash(pub):
    """A planted wrong percentage is reported with the expected value (exact rounding of NumPy
    values), on an LA row and on the national row."""
    d3 = pub["d3"].copy()
    la = d3.index[(d3["geographic_level"] == "Local authority") & (d3["CPP_start"] == "40")][0]
    d3.loc[la, ["CPP_subsequent", "CPP_subsequent_percent"]] = ["10", "30"]
    nat = d3.index[(d3["geographic_level"] == "National") & (d3["time_period"] == "2024")][0]
    d3.loc[nat, "CPP_subsequent_percent"] = "99.9"
    r = cross.percentages_consistent(d3, "d3", [("CPP_subsequent_percent", "CPP_subsequent", "CPP_start", 1)])
    assert not r.passed
    found = {(d["geography"].split(" (")[0], str(d["expected"])) for d in r.details}
    assert any(exp == "25.0" for _, exp in found), r.details
    assert any(g == "England" for g, _ in found), r.details


def test_disclosure_flags_a_percentage_of_an_unpublished_small_count():
    """B2's type percentages divide unpublished counts: a shown 20% of 10 children gives away 2."""
    df = pd.DataFrame({"time_period": ["2024", "2024"], "geographic_level": ["Local authority"] * 2,
                       "old_la_code": ["202", "330"], "la_name": ["Camden", "Birmingham"],
                       "With_disability": ["10", "40"], "Autism_percent": ["20", "25"]})
    r = disclosure.secondary_suppression(df, "b2", percents=[("Autism_percent", "n_Autism", "With_disability")])
    assert not r.passed
    assert [(d["geography"], d["column"]) for d in r.details] == [("Camden (202)", "Autism_percent")]
    assert "recovers 2" in r.details[0]["found"]


def test_a_hidden_total_is_recoverable_from_its_parts():
    """Only the total of ``total = a + b`` hidden, both parts shown: the check names the total and
    the value the parts give (it used to fail on the hidden total's missing number)."""
    df = pd.DataFrame({"time_period": ["2024"], "geographic_level": ["Local authority"],
                       "old_la_code": ["330"], "la_name": ["Birmingham"],
                       "T": ["c"], "A": ["3"], "B": ["0"]})
    r = disclosure.secondary_suppression(df, "t", sums=[("T", ("A", "B"))])
    assert not r.passed and r.details[0]["column"] == "T" and r.details[0]["found"] == "c recoverable as 3"
