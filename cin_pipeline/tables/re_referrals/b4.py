"""B4: referrals by ethnicity and re-referral, national, 2017 onwards."""

from cin_pipeline.facts import ETHNIC_GROUPS
from cin_pipeline.tables.re_referrals._breakdowns import referrals_by

TABLE = referrals_by(
    "B4", "ethnicity", "b4_referrals_by_ethnicity", "ethnicity", "Ethnicity",
    tuple(group for group, _ in ETHNIC_GROUPS),
    "Major ethnic groups as DfE publishes them (Unknown: refused or information not yet obtained).",
)
