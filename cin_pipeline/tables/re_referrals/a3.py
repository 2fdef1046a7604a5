"""A3: re-referrals within 12 months, three years and five years, national, 2017-2023."""

from cin_pipeline.tables.declare import (Agreement, Filter, Headline, count, national_table, percent,
                                         reconstructed)
from cin_pipeline.tables.re_referrals import RELEASE

WINDOWS = (("Within 12 months", 1), ("Within 3 years", 3), ("Within 5 years", 5))
_C1 = "children_in_need.c1"
_12M = (("re_referral_window", "Within 12 months"),)

TABLE = national_table(
    RELEASE, "A3", "Re-referrals within three and five years 2017-23",
    "a3_re_referrals_within_three_and_five_years",
    filters=(Filter("re_referral_window", "Re-referral window", values=tuple(w for w, _ in WINDOWS),
                    default="Within 3 years", lookback_years=WINDOWS,
                    hint="How far back the previous referral may be"),),
    indicators=(
        count("referrals", "Referrals"),
        count("re_referrals", "Re-referrals"),
        percent("re_referrals_percent", "Percentage of referrals that were re-referrals", "re_referrals",
                "referrals"),
        count("children_referred", "Children referred"),
        count("children_re_referred", "Children re-referred"),
        percent("children_re_referred_percent", "Percentage of children referred who were re-referred",
                "children_re_referred", "children_referred"),
    ),
    first_year=2017, last_year=2023,
    layout=reconstructed(
        "no A3 header seen (published_tables.md section 2 and pass 3 section 4: title from the "
        "brief, window x cohort year and children referred / re-referred / % inferred); the "
        "release's long layout with a window filter, the 12-month window added to compare"),
    agreements=(
        Agreement("re_referrals", _C1, "Re_referrals", rows=_12M),
        Agreement("re_referrals_percent", _C1, "Re_referrals_percent", rows=_12M),
        Agreement("children_re_referred", _C1, "Re_referrals_child", rows=_12M),
    ),
    headline=(Headline("re_referrals_percent", "% re-referrals within 12 months (A3 first row)"),),
    description=("Referrals in the year that were re-referrals: a referral of a child who had a "
                 "previous referral in the same local authority within 12 months, 3 years or 5 "
                 "years before it (calendar months and years; Longitudinal CIN Dataset), and the "
                 "children referred in the year with at least one such re-referral. The same "
                 "referrals and children are counted in each window; each wider window includes the "
                 "narrower ones."),
    footnotes=("A window's figures need the census returns of that many years before the year: "
               "they are x where those returns are not all available. The 5-year look-back of "
               "2017 reaches back to April 2011 (the 2011-12 census).",
               "Percentages use referrals (or children referred) in the year as the denominator.",
               "The 12-month rows are the re-referrals of the Children in need release (C1)."),
)
