"""B3: referrals by age and re-referral, national, 2017 onwards."""

from cin_pipeline.facts import AGE_BANDS
from cin_pipeline.tables.re_referrals._breakdowns import referrals_by

TABLE = referrals_by(
    "B3", "age", "b3_referrals_by_age", "age_band", "Age at 31 March",
    AGE_BANDS + ("Age unknown",),
    "Age bands at 31 March as DfE publishes them (unborn: no date of birth and an expected one).",
)
