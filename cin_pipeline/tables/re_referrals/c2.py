"""C2: referrals by special educational needs provision and re-referral, national, 2017 onwards."""

from cin_pipeline.tables.re_referrals._breakdowns import referrals_by
from cin_pipeline.tables.re_referrals.c1 import MATCH_NOTE

TABLE = referrals_by(
    "C2", "SEN provision", "c2_referrals_by_sen_provision", "sen_provision",
    "SEN provision", ("EHC plan", "SEN support", "No SEN provision", "Not matched"),
    "SEN provision (an education, health and care plan, SEN support, or none) is that of the "
    "school census of the referral's year (facts.referral_school_census). " + MATCH_NOTE,
    footnotes=(MATCH_NOTE,),
    recorded="in the school census of the referral's year (linked by UPN)",
    layout_note="(EHC plan / SEN support / none, as the NPD link gives it; the link method is "
                "not published: pass 3 section 4 [GAP]), unmatched referrals their own group",
)
