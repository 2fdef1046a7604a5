"""F1: referrals and re-referrals by local authority and region, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.declare import Agreement, Headline, count, la_table, percent, reconstructed
from cin_pipeline.tables.re_referrals import RELEASE

_C1 = "children_in_need.c1"

TABLE = la_table(
    RELEASE, "F1", "Referrals by LA and Region 2013-24", "f1_referrals_by_la_and_region",
    "Referrals and re-referrals",
    (
        count("referrals", "Referrals"),
        count("re_referrals", "Re-referrals within 12 months of a previous referral", lookback=True),
        percent("re_referrals_percent", "Percentage of referrals that were re-referrals within 12 months",
                "re_referrals", "referrals", lookback=True),
    ),
    first_year=2013,
    layout=reconstructed(
        "no F1 header seen (published_tables.md section 2 and pass 3 section 4: title from the "
        "brief, 'very probably mirrors CIN C1 at LA level'); the wide LA layout of the Children in "
        "need C1 (constant category filter) with the release's lower-case indicator names"),
    status_from="c1",
    agreements=(
        Agreement("referrals", _C1, "Referrals"),
        Agreement("re_referrals", _C1, "Re_referrals"),
        Agreement("re_referrals_percent", _C1, "Re_referrals_percent"),
    ),
    headline=(Headline("re_referrals_percent", "% re-referrals within 12 months (F1)",
                       published="re_referrals_percent"),),
    description=("Referrals in the year and re-referrals within 12 months of a previous referral "
                 "of the same child in the same local authority, by local authority and region, "
                 "as in the Children in need release C1 (Longitudinal CIN Dataset)."),
    footnotes=("Percentages use referrals as the denominator.",
               "The figures are C1's referrals and re-referrals; local authorities with no return "
               "or a low-reliability return are shown x or u as in C1."),
)
