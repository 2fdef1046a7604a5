"""D2: re-referral rate by assessment factor, national, 2017-2023."""

from cin_pipeline.facts import FACTOR_GROUP_FIRST_YEAR, FACTOR_GROUP_LABELS
from cin_pipeline.tables.declare import Filter, Headline, Indicator, exact, national_table
from cin_pipeline.tables.re_referrals import CATALOGUE, RELEASE

TABLE = national_table(
    RELEASE, "D2", "Re-referral rate by assessment factor",
    "d2_re_referral_rate_by_assessment_factor",
    filters=(Filter("assessmentfactor", "Assessment factor", values=FACTOR_GROUP_LABELS,
                    default=FACTOR_GROUP_LABELS[0], value_first_year=FACTOR_GROUP_FIRST_YEAR),),
    indicators=(
        Indicator("re_referral_rate", "Re-referral Rate", "percent", unit="%", dp=1,
                  numerator="re_referrals", denominator="total_referrals_byAF", lookback=True),
        Indicator("re_referrals", "Re-referrals", lookback=True),
        Indicator("total_referrals_byAF", "Total referrals for assessment factor"),
    ),
    first_year=2017, last_year=2023,
    layout=exact(CATALOGUE),
    headline=(Headline("re_referral_rate", "re-referral rate by assessment factor"),),
    description=("Share of referrals with each assessment factor group that were re-referrals "
                 "within 12 months of a previous referral."),
    footnotes=("Excludes referrals with no factors identified.",),
)
