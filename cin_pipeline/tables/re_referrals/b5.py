"""B5: referrals by disability and re-referral, national, 2017 onwards."""

from cin_pipeline.tables.re_referrals._breakdowns import referrals_by

TABLE = referrals_by(
    "B5", "disability", "b5_referrals_by_disability", "disability", "Disability",
    ("Disabled", "Not disabled"),
    "Disabled: a disability other than NONE recorded for the child in the year's return.",
)
