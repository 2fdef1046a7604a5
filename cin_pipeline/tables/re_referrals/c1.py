"""C1: referrals by free school meal eligibility and re-referral, national, 2017 onwards."""

from cin_pipeline.tables.re_referrals._breakdowns import referrals_by

MATCH_NOTE = (
    "Each referral's child is linked by the Unique Pupil Number (UPN) recorded in the referral "
    "year's census return to the school census of the same year. Children with no UPN (most "
    "children under 5, and unborn children) or whose UPN is not in that school census are "
    "'Not matched': the match rate of a year is 100 minus the 'Not matched' percentage of the "
    "Total re-referral group (the 'Not matched' percentage of each re-referral group is that "
    "group's unmatched share).")

TABLE = referrals_by(
    "C1", "free school meal eligibility", "c1_referrals_by_fsm_eligibility", "fsm",
    "Free school meal eligibility", ("Eligible for FSM", "Not eligible for FSM", "Not matched"),
    "Free school meal eligibility is that of the school census of the referral's year "
    "(facts.referral_school_census). " + MATCH_NOTE,
    footnotes=(MATCH_NOTE,),
    recorded="in the school census of the referral's year (linked by UPN)",
    layout_note="(FSM eligible / not eligible, as the NPD link gives it; the link method is "
                "not published: pass 3 section 4 [GAP]), unmatched referrals their own group",
)
