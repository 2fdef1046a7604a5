"""EES writer conventions: rounding, number format, suppression (primary and secondary), symbols,
x/u from the LA-year status configuration with carry-forward into totals, meta file."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from cin_pipeline import reference
from cin_pipeline.ees import suppression
from cin_pipeline.ees.meta import META_COLUMNS
from cin_pipeline.ees.numbers import fmt, fmt_fraction, percentile, round_half_up, round_to_10
from cin_pipeline.ees.rows import Geography, build_rows, la_contributions
from cin_pipeline.facts import FACTOR_GROUP_LABELS as FACTOR_GROUPS
from cin_pipeline.tables import get


def test_round_half_up_to_10():
    assert round_to_10(399505) == 399510          # B1 2019 At31: half-up, not banker's
    assert round_to_10(399504) == 399500
    assert round_to_10(15) == 20 and round_to_10(25) == 30 and round_to_10(4) == 0
    assert round_to_10(5) == 10 and round_to_10(0) == 0


def test_percentages_half_up_and_format():
    assert fmt(round_half_up(Fraction(2245, 100), 1)) == "22.5"   # exact half rounds up
    assert fmt(round_half_up(Fraction(1, 8) * 100, 1)) == "12.5"
    assert fmt(round_half_up(Fraction(2100, 100), 1)) == "21"     # published: 21 not 21.0
    assert fmt_fraction(Fraction(1780 * 100, 7390), 1, True) == "24.1"
    assert fmt_fraction(Fraction(1, 10000), 1, True) == "k"       # non-zero rounding to 0
    assert fmt_fraction(Fraction(1, 10000), 1, False) == "0"
    assert fmt_fraction(Fraction(0), 1, True) == "0"


def test_percentile_linear():
    assert percentile([10, 12, 14, 20], 0.5) == 13
    assert percentile([1, 2, 3, 4, 5], 0.25) == 2
    assert percentile([], 0.5) is None


def test_primary_and_secondary_suppression_d5():
    spec = get("children_in_need.d5")
    # Halton-like: one band of 3 (primary); the smallest other non-zero band is hidden too
    counts = {"CPP_At31": 150, "3_months_or_less": 19, "more_than_3_months_6_months": 47,
              "more_than_6_months_less_than_1_year": 39, "1_year_less_than_2_years": 42,
              "2_years_or_more": 3}
    sup = suppression.suppressed_counts(spec, counts)
    assert sup == {"2_years_or_more", "3_months_or_less"}
    # zero parts are never picked; two small bands already protect each other
    counts2 = {**counts, "3_months_or_less": 4, "2_years_or_more": 2, "CPP_At31": 134}
    assert suppression.suppressed_counts(spec, counts2) == {"2_years_or_more", "3_months_or_less"}


def test_secondary_suppression_b1_identity():
    spec = get("children_in_need.b1")
    counts = {"Anypoint_episodes": 26, "Anypoint_child": 23, "Started_episodes": 9, "Started_child": 8,
              "Ended_episodes": 22, "Ended_child": 21, "At31_episodes": 4, "Awaiting_assessment": 3}
    sup = suppression.suppressed_counts(spec, counts)
    # At31 (4) is primary; Anypoint = Ended + At31 would reveal it, so one more cell is hidden:
    # Anypoint_episodes, since Ended_episodes is published in B5 and B6 too (shown alike there)
    assert {"At31_episodes", "Awaiting_assessment", "Anypoint_episodes"} == sup


def _counts(spec, rows):
    df = pd.DataFrame(rows)
    for c in spec.count_columns:
        if c not in df:
            df[c] = 0
    return df


def _empty(spec):
    df = _counts(spec, []).assign(year=pd.Series(dtype=int), la=pd.Series(dtype=str))
    for f in spec.query_filters:
        df[f.name] = pd.Series(dtype=str)
    return df


def test_la_cells_percent_rules():
    spec = get("children_in_need.d3")
    geo = Geography(status={})
    counts = _counts(spec, [
        {"year": 2024, "la": "330", "CPP_start": 100, "CPP_subsequent": 3},   # c, percent c
        {"year": 2024, "la": "202", "CPP_start": 4, "CPP_subsequent": 0},     # c, 0, 0 (as published)
        {"year": 2024, "la": "420", "CPP_start": 0, "CPP_subsequent": 0},     # 0, 0, z
        {"year": 2024, "la": "201", "CPP_start": 40, "CPP_subsequent": 10},
    ])
    out = build_rows(spec, counts, 2024, geo=geo)
    d = out.data[out.data.time_period == "2024"].set_index("old_la_code")
    cols = ["CPP_start", "CPP_subsequent", "CPP_subsequent_percent"]
    assert tuple(d.loc["330", cols]) == ("100", "c", "c")
    assert tuple(d.loc["202", cols]) == ("c", "0", "0")
    assert tuple(d.loc["420", cols]) == ("0", "0", "z")
    assert tuple(d.loc["201", cols]) == ("40", "10", "25")
    # an LA with no data and no status configured is x (and reported)
    assert d.loc["840", "CPP_start"] == "x"
    assert any("840" in n and n.startswith("2024") for n in out.notes)


def _carry_forward_case():
    spec = get("children_in_need.c1")
    geo = Geography(status={(2024, "850"): ("u", 2023), (2021, "204"): ("x", 2020),
                            (2024, "884"): ("u", None)})
    rows = []
    for y in (2020, 2021, 2023, 2024):
        rows.append({"year": y, "la": "330", "Referrals": 1000, "Re_referrals": 200})
    rows += [
        {"year": 2023, "la": "850", "Referrals": 30502, "Re_referrals": 5000},   # Hampshire 2023
        {"year": 2024, "la": "850", "Referrals": 99999, "Re_referrals": 99999},  # unreliable 2024
        {"year": 2020, "la": "204", "Referrals": 3333, "Re_referrals": 333},     # Hackney 2020
        {"year": 2024, "la": "884", "Referrals": 806, "Re_referrals": 100},      # Herefordshire u
    ]
    return spec, geo, _counts(spec, rows)


def test_status_x_u_and_carry_forward_into_totals():
    spec, geo, counts = _carry_forward_case()
    out = build_rows(spec, counts, 2024, geo=geo)
    d = out.data
    ham = d[(d.time_period == "2024") & (d.old_la_code == "850")].iloc[0]
    assert set(ham[[i.name for i in spec.indicators]]) == {"u"}
    hack = d[(d.time_period == "2021") & (d.old_la_code == "204")].iloc[0]
    assert set(hack[[i.name for i in spec.indicators]]) == {"x"}
    nat24 = d[(d.time_period == "2024") & (d.geographic_level == "National")].iloc[0]
    # 1000 (Birmingham) + 30502 (Hampshire 2023, carried) + 806 (Herefordshire, own value, shown u)
    assert nat24.Referrals == str(round_to_10(1000 + 30502 + 806))
    se = d[(d.time_period == "2024") & (d.region_code == "E12000008") & (d.geographic_level == "Regional")]
    assert se.iloc[0].Referrals == "30500"
    nat21 = d[(d.time_period == "2021") & (d.geographic_level == "National")].iloc[0]
    assert nat21.Referrals == str(round_to_10(1000 + 3333))
    inner21 = d[(d.time_period == "2021") & (d.region_code == "E13000001") & (d.geographic_level == "Regional")]
    assert inner21.iloc[0].Referrals == "3330"
    # percentages from the unrounded sums including the carried values
    assert nat24.Re_referrals_percent == fmt_fraction(
        Fraction((200 + 5000 + 100) * 100, 1000 + 30502 + 806), 1, True)


def test_status_configuration_is_the_reference_one():
    st = reference.la_year_status()
    keyed = {(int(r.year), str(r.la)): r for r in st.itertuples(index=False)}
    assert keyed[(2024, "850")].status == "u" and int(keyed[(2024, "850")].carry_forward_from) == 2023
    assert keyed[(2021, "204")].status == "x" and int(keyed[(2021, "204")].carry_forward_from) == 2020
    geo_b1 = Geography.load("b1")
    assert geo_b1.status[(2024, "850")] == ("u", 2023)
    assert (2024, "884") not in geo_b1.status            # Herefordshire is u in C1/C3 only
    assert Geography.load("c1").status[(2024, "884")][0] == "u"


def test_c3_not_collected_and_zero_base():
    spec = get("children_in_need.c3")
    counts = _counts(spec, [{"year": 2020, "la": "330", "Episodes_with_assessment_factor": 50,
                             "Neglect": 10},
                            {"year": 2020, "la": "420", "Episodes_with_assessment_factor": 0}])
    out = build_rows(spec, counts, 2024, geo=Geography(status={}))
    d = out.data[out.data.time_period == "2020"].set_index("old_la_code")
    assert d.loc["330", "Physical_Abuse_child_on_child"] == "x"
    assert d.loc["330", "Child_criminal_exploitation"] == "x"
    assert d.loc["330", "Neglect"] == "10" and d.loc["330", "Gangs"] == "0"
    assert d.loc["420", "Neglect"] == "z" and d.loc["420", "Episodes_with_assessment_factor"] == "0"
    nat = out.data[(out.data.time_period == "2020") & (out.data.geographic_level == "National")].iloc[0]
    assert nat.Physical_Abuse_child_on_child == "x" and nat.Neglect == "10"


def test_meta_file():
    for tid in ("children_in_need.b1", "children_in_need.c1", "children_in_need.c3", "children_in_need.c4",
                "children_in_need.d3", "children_in_need.d5", "re_referrals.d1", "re_referrals.e1"):
        spec = get(tid)
        out = build_rows(spec, _empty(spec), 2024, geo=Geography(status={}))
        meta = out.meta
        assert list(meta.columns[:8]) == META_COLUMNS
        assert list(meta.col_name) == [f.name for f in spec.filters] + [i.name for i in spec.indicators]
        assert meta.label.is_unique
        ind = meta[meta.col_type == "Indicator"]
        assert (ind.indicator_dp != "").all() and set(ind.indicator_unit) <= {"", "%"}
        fil = meta[meta.col_type == "Filter"]
        assert (fil.indicator_dp == "").all() and (fil.indicator_unit == "").all()
        if tid == "re_referrals.d1":
            assert list(meta.filter_default[:2]) == ["Alcohol misuse (any)", "Re-referral"]
        for f in spec.filters:   # every filter without a Total has a default present in the data
            row = meta[meta.col_name == f.name].iloc[0]
            if f.total:
                assert row.get("filter_default", "") == ""
            else:
                assert row.filter_default == (f.default or f.values[0])
                assert row.filter_default in set(out.data[f.name])
        if any(f.constant for f in spec.filters):   # wide tables: the single category value
            assert meta.filter_default.iloc[0] == spec.filters[0].values[0]


@pytest.mark.parametrize("tid,rows_per_year", [("re_referrals.a4", 18), ("re_referrals.d1", 66),
                                                   ("re_referrals.d2", 22), ("re_referrals.e1", 28)])
def test_national_long_tables_layout(tid, rows_per_year):
    spec = get(tid)
    out = build_rows(spec, _empty(spec), 2024, geo=Geography(status={}))
    assert list(out.data.columns[:5]) == ["time_period", "time_identifier", "geographic_level",
                                          "country_code", "country_name"]
    assert len(out.data) == len(spec.years(2024)) * rows_per_year
    assert set(out.data.geographic_level) == {"National"}
    # no LA has data in any year: every national figure is x (not available), as in the LA tables
    ind = [i.name for i in spec.indicators]
    assert set(out.data[ind].stack()) == {"x"}
    if tid == "re_referrals.d1":   # CCE collected from 2022: x before, 0 from 2022 when other factors have data
        one = _empty(spec)
        one.loc[0, ["year", "la", "assessmentfactor", "referral_type"]] = [2022, "330", FACTOR_GROUPS[0],
                                                                           "Re-referral"]
        one.loc[1, ["year", "la", "assessmentfactor", "referral_type"]] = [2021, "330", FACTOR_GROUPS[0],
                                                                           "Re-referral"]
        one = one.fillna({c: 7 for c in spec.count_columns}).astype({"year": int})
        out = build_rows(spec, one, 2024, geo=Geography(status={}))
        cce = out.data[out.data.assessmentfactor == "Child criminal exploitation"]
        assert set(cce[cce.time_period == "2021"].referrals) == {"x"}
        assert set(cce[cce.time_period == "2022"].referrals) == {"0"}


def test_cross_checks_exact_from_writer_contributions():
    """The checks re-add exactly what the writer summed (carried-forward LA-years included)."""
    from cin_pipeline.checks import cross

    spec, geo, counts = _carry_forward_case()
    out = build_rows(spec, counts, 2024, geo=geo)
    assert out.counts is not None and len(out.counts) == len(counts)
    contrib = la_contributions(spec, out.counts, 2024, geo=geo)
    got = {(y, la): r for y, la, r in zip(contrib.year, contrib.la, contrib.Referrals)}
    assert got[(2024, "850")] == 30502 and got[(2021, "204")] == 3333   # carried forward
    assert got[(2024, "884")] == 806                                     # u, own value
    assert (2020, "204") in got and (2023, "850") in got and len(got) == len(contrib)
    cols = ["Referrals", "Re_referrals"]
    pcts = [("Re_referrals_percent", "Re_referrals", "Referrals", 1)]
    assert cross.national_equals_la_sum(out.data, "c1", cols, unrounded=contrib).passed
    assert cross.regions_add_up(out.data, "c1", cols, unrounded=contrib).passed
    assert cross.percentages_consistent(out.data, "c1", pcts, unrounded=contrib).passed
    # the raw query output (Hampshire's unreliable 2024 figure, no Hackney 2021) does not add up
    assert not cross.national_equals_la_sum(out.data, "c1", cols, unrounded=out.counts).passed
    # a national figure off by 10 is caught exactly
    bad = out.data.copy()
    i = bad.index[(bad.time_period == "2024") & (bad.geographic_level == "National")][0]
    right = bad.loc[i, "Referrals"]
    bad.loc[i, "Referrals"] = str(int(right) + 10)
    res = cross.national_equals_la_sum(bad, "c1", cols, unrounded=contrib)
    assert not res.passed
    assert f"c1 2024 England Referrals: expected {right}, found {int(right) + 10}" in res.message


def test_percentile_of_counts_equals_percentile_of_the_values():
    """A distribution held as counts of its values gives the percentile of the values listed
    one by one (numpy's linear interpolation), at every quartile, with repeats and gaps."""
    import numpy as np
    from collections import Counter
    from fractions import Fraction

    from cin_pipeline.ees.numbers import percentile_of_counts

    rng = np.random.default_rng(3)
    for size in (1, 2, 5, 37, 400):
        values = rng.integers(0, 60, size).tolist()
        for q in (0.25, 0.5, 0.75):
            expected = Fraction(np.percentile(values, q * 100)).limit_denominator(1000)
            assert percentile_of_counts(Counter(values), q) == percentile(values, q) == expected
    assert percentile_of_counts({}, 0.5) is None
    assert percentile_of_counts({7: 0}, 0.5) is None
