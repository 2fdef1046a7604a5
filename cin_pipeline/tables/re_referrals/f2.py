"""F2: LA re-referral rates around the LA's Ofsted inspection, by Ofsted judgement (LA and
national rows)."""

from cin_pipeline.tables.declare import (EventWindow, Filter, Headline, Indicator, TableSpec,
                                         exact)
from cin_pipeline.tables.re_referrals import RELEASE

OFFSETS = (("pre3", -3, "3 years before"), ("pre2", -2, "2 years before"),
           ("pre1", -1, "1 year before"), ("ofstedyear", 0, "Ofsted year"),
           ("post1", 1, "1 year after"), ("post2", 2, "2 years after"))

TABLE = TableSpec(
    release=RELEASE, code="F2",
    title="F2. Re-referrals to children's social care by Ofsted judgment and LA",
    file_stem="f2_re_referrals_by_ofsted_judgement_and_la",
    geographic_levels=("National", "Local authority"),
    first_year=2017,
    filters=(Filter("ofsted", "Ofsted judgement - Filter by LA judgement",
                    values=("Inadequate", "Requires Improvement", "Good", "Outstanding"),
                    default="Inadequate"),),
    indicators=tuple(
        Indicator(f"re_referrals_{name}", label, "percent", unit="%", dp=2,
                  numerator=f"re_referrals_{name}_n", denominator=f"referrals_{name}_n")
        for name, _, label in OFFSETS),
    helpers=tuple(h for name, _, _ in OFFSETS for h in (f"re_referrals_{name}_n", f"referrals_{name}_n")),
    window=EventWindow(offsets=tuple(k for _, k, _ in OFFSETS), la_dp=1,
                       agrees_with=("children_in_need.c1", "Re_referrals_percent")),
    status_from="c1",
    layout=exact(
        "EES data catalogue, F2 of the 2024 release as updated in 2025 (published_tables.md "
        "section 2, pass 3 section 4 [V:F2catRR]): columns ofsted, re_referrals_pre3 ... "
        "re_referrals_post2; LA rows at the inspection year, national rows the median LA rate "
        "per judgement to 2 dp; the label of re_referrals_pre3/pre2 and the file name are the "
        "project's"),
    headline=(Headline("re_referrals_ofstedyear",
                       "median LA % re-referrals in the Ofsted year (Inadequate, F2)"),),
    description=(
        "Each local authority's re-referral rate (the percentage of its referrals in a year that "
        "were re-referrals within 12 months, as in the Children in need release C1) in the six "
        "years from 3 years before to 2 years after the reporting year of its latest Ofsted "
        "inspection of children's services up to the release year, by that inspection's overall "
        "judgement. Local authority rows: time_period is the inspection's reporting year; years "
        "after the release year are z (not yet observed). National rows (time_period the release "
        "year): the median of the published rates of the local authorities with each judgement, "
        "to 2 decimal places."),
    footnotes=(
        "The LA rates are C1's Re_referrals_percent of the LA for each year.",
        "National rows are the median re-referral rate of the local authorities receiving each "
        "judgement, of the rates shown (z where no authority has one).",
        "Ofsted judgements here come from the Ofsted source extract; in this synthetic release "
        "they are invented."),
)
