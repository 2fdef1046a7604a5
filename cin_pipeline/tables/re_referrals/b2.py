"""B2: referrals by gender and re-referral, national, 2017 onwards."""

from cin_pipeline.tables.re_referrals._breakdowns import referrals_by

TABLE = referrals_by(
    "B2", "gender", "b2_referrals_by_gender", "gender", "Gender",
    ("Female", "Male", "Unknown/Indeterminate gender", "Unborn"),
    "Unborn children are shown as their own group (as in the Children in need A tables).",
)
