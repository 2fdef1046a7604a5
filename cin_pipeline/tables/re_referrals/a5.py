"""A5: referrals by source of referral and re-referral, national, 2017 onwards."""

from cin_pipeline.facts import REFERRAL_SOURCE_FIRST_YEAR, REFERRAL_SOURCE_GROUPS
from cin_pipeline.tables.children_in_need.c5 import SOURCES
from cin_pipeline.tables.declare import Agreement, Filter, Headline, Indicator, national_table, reconstructed
from cin_pipeline.tables.re_referrals import RELEASE, re_referral_filter

_C1 = "children_in_need.c1"
_ALL = (("referral_source", "Total"), ("re_referral", "Total"))

TABLE = national_table(
    RELEASE, "A5", "Source of referrals", "a5_source_of_referrals",
    filters=(
        Filter("referral_source", "Source of referral",
               values=tuple(label for label, _ in REFERRAL_SOURCE_GROUPS) + ("Total",), total="Total",
               value_first_year=REFERRAL_SOURCE_FIRST_YEAR),
        re_referral_filter(),
    ),
    indicators=(
        Indicator("referrals", "Referrals"),
        Indicator("referrals_percent", "Percentage", "percent", unit="%", dp=1, numerator="referrals",
                  denominator="@referral_source"),
    ),
    first_year=2017,
    layout=reconstructed(
        "no A5 header seen (published_tables.md section 2: title from the brief, source of "
        "referral x referral type inferred); the layout of the release's A6 (exact: need x "
        "re_referral, referrals, referrals_percent) with the sources of the Children in need C5"),
    # the referrals of each source are C5's (the same referrals, by the same source groups: its
    # SOURCES name C5's column of each group), and all referrals C1's
    agreements=(
        Agreement("referrals", _C1, "Referrals", rows=_ALL),
        Agreement("referrals", _C1, "Re_referrals",
                  rows=(("referral_source", "Total"), ("re_referral", "Re-referral"))),
        *(Agreement("referrals", "children_in_need.c5", column,
                    rows=(("referral_source", label), ("re_referral", "Total")))
          for column, label, _, _ in SOURCES),
    ),
    headline=(Headline("referrals", "referrals by source (re-referrals release A5)"),),
    description=("Referrals in the year by source of referral (the census ReferralSource codes "
                 "grouped as in the Children in need release C5) and whether the referral was a "
                 "re-referral within 12 months of a previous referral (Longitudinal CIN Dataset)."),
    footnotes=("Percentages are shares of all referrals in the same re-referral group.",
               "LA services - early help (census code 5D) was first collected in 2023 (x before).",
               "The Total rows are the referrals by source of the Children in need release (C5)."),
)
