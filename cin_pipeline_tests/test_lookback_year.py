"""The 2011-12 look-back census (census year 2012): generated, read, staged and linked so that the
2013 re-referrals are complete, never published; and re-referral figures shown ``x`` when a
year's previous census is not staged (docs/DEFINITIONS.md, Re-referrals)."""

from __future__ import annotations

import pytest

from cin_pipeline.census import spec
from cin_pipeline.ingest.parse import CensusFileError, read_header
from cin_pipeline.ees.rows import build_ees, run_query
from cin_pipeline.synth import generate
from cin_pipeline.tables import get
from cin_pipeline_tests.pipeline_helpers import stage_and_link

LAS = ["330", "841"]


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    out = tmp_path_factory.mktemp("lookback")
    generate(out, years=[2012, 2013], las=LAS, scale=0.05, seed=11, supporting=False)
    return out


def _warehouse(returns, tmp_path, years):
    files = [f for y in years for f in sorted((returns / str(y)).glob("*.xml"))]
    return stage_and_link(files, tmp_path / "_".join(map(str, years)), workers=1)[0]


def test_2012_return_in_the_2013_layout(returns, tmp_path):
    h = read_header(returns / "2012" / "330.xml")
    assert (h.year, h.la) == (2012, "330")
    assert spec.layout_year(2012) == 2013 and spec.layout_year(2014) == 2014
    assert spec.codes("ReasonForClosure", 2012) == spec.codes("ReasonForClosure", 2013)
    # asking for the look-back year does not change any other year's return
    alone = tmp_path / "alone"
    generate(alone, years=[2013], las=["330"], scale=0.05, seed=11, supporting=False)
    assert (alone / "2013" / "330.xml").read_bytes() == (returns / "2013" / "330.xml").read_bytes()
    # a year before the look-back census is refused with a reason
    old = tmp_path / "2011.xml"
    old.write_text((returns / "2012" / "330.xml").read_text().replace("<Year>2012</Year>", "<Year>2011</Year>", 1))
    with pytest.raises(CensusFileError) as err:
        read_header(old)
    assert err.value.reason_code == "year_out_of_range" and "2012" in str(err.value)


def test_lookback_completes_2013_and_is_not_published(returns, tmp_path):
    con = _warehouse(returns, tmp_path, [2012, 2013])
    # validated like any return: the generated look-back census has no error findings
    assert con.execute("SELECT count(*) FROM staging.validation_finding "
                       "WHERE severity = 'error'").fetchone()[0] == 0
    # some 2013 re-referrals look back to a referral seen only in the 2012 return
    only_2012 = con.execute("""
        SELECT count(*) FROM lcd.referral r
        WHERE r.year = 2013 AND r.rereferral_12m AND r.previous_referral_date < DATE '2012-04-01'
          AND NOT EXISTS (SELECT 1 FROM clean.episode e WHERE e.year = 2013 AND e.la = r.la
                          AND e.child_id = r.child_id AND e.referral_date = r.previous_referral_date)
    """).fetchone()[0]
    assert only_2012 > 0
    out = build_ees(con, get("children_in_need.c1"), 2013)
    assert set(out.data.time_period) == {"2013"}          # the look-back year is never published
    la = out.data[(out.data.geographic_level == "Local authority") & (out.data.old_la_code == "330")].iloc[0]
    counts, _ = run_query(con, get("children_in_need.c1"))
    want = counts.set_index(["year", "la"]).loc[(2013, "330")]
    assert la.Re_referrals == str(int(want.Re_referrals)) and int(want.Re_referrals) > 5
    assert not [n for n in out.notes if "look-back" in n]


def test_without_previous_census_re_referrals_are_x(returns, tmp_path):
    con = _warehouse(returns, tmp_path, [2013])
    out = build_ees(con, get("children_in_need.c1"), 2013)
    nat = out.data[out.data.geographic_level == "National"].iloc[0]
    assert (nat.Re_referrals, nat.Re_referrals_percent, nat.Re_referrals_child) == ("x", "x", "x")
    assert nat.Referrals not in ("x", "c", "") and int(nat.Referrals) > 0   # the rest is published
    assert any("2012 census is not staged" in n for n in out.notes)
