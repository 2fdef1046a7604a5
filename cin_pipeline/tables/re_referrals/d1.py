"""D1: assessment factors associated with referrals, by referral type, national, 2017-2023."""

from cin_pipeline.facts import FACTOR_GROUP_FIRST_YEAR, FACTOR_GROUP_LABELS
from cin_pipeline.tables.declare import Filter, Headline, Indicator, exact, national_table
from cin_pipeline.tables.re_referrals import CATALOGUE, REFERRAL_TYPES, RELEASE

TABLE = national_table(
    RELEASE, "D1", "Assessment factors associated with referrals",
    "d1_assessment_factors_associated_with_referrals",
    filters=(
        Filter("assessmentfactor", "Assessment factor", values=FACTOR_GROUP_LABELS,
               default=FACTOR_GROUP_LABELS[0], value_first_year=FACTOR_GROUP_FIRST_YEAR),
        Filter("referral_type", "Referral type", values=REFERRAL_TYPES, default="Re-referral",
               lookback=True),
    ),
    indicators=(
        Indicator("referrals", "Referrals"),
        Indicator("caseshare", "Percentage", "percent", unit="%", dp=1, numerator="referrals",
                  denominator="referrals_with_factor"),
    ),
    helpers=("referrals_with_factor",),
    first_year=2017, last_year=2023,
    layout=exact(CATALOGUE),
    headline=(Headline("referrals", "referrals by assessment factor (LCD)"),),
    description=("Referrals by assessment factor group recorded at the end of the assessment that "
                 "followed them, and by referral type (initial referral not re-referred, initial "
                 "referral later re-referred, re-referral)."),
    footnotes=("Excludes referrals with no factors identified; percentages are shares of referrals "
               "of the same type with at least one factor.",),
)
