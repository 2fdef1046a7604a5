"""A1: referrals to children's social care by referral type, national, 2017 onwards."""

from cin_pipeline.tables.declare import Agreement, Filter, Headline, Indicator, national_table, reconstructed
from cin_pipeline.tables.re_referrals import REFERRAL_TYPES, RELEASE

_C1 = "children_in_need.c1"

TABLE = national_table(
    RELEASE, "A1", "Referrals to children's social care 2017-24", "a1_referrals_by_referral_type",
    filters=(Filter("referral_type", "Referral type", values=REFERRAL_TYPES + ("Total",),
                    total="Total", lookback=True),),
    indicators=(
        Indicator("referrals", "Referrals"),
        Indicator("referrals_percent", "Percentage", "percent", unit="%", dp=1, numerator="referrals",
                  denominator="@referral_type"),
    ),
    first_year=2017,
    layout=reconstructed(
        "no A1 header seen (published_tables.md section 2: title from the brief; filter referral "
        "type, referrals and % inferred); the referral_type filter and referrals/percentage "
        "indicators of the release's E1 and D1 (exact)"),
    # A1 counts C1's referrals (facts.referral): its Total row is C1's referrals, its
    # Re-referral row C1's re-referrals and their percentage
    agreements=(
        Agreement("referrals", _C1, "Referrals", rows=(("referral_type", "Total"),)),
        Agreement("referrals", _C1, "Re_referrals", rows=(("referral_type", "Re-referral"),)),
        Agreement("referrals_percent", _C1, "Re_referrals_percent",
                  rows=(("referral_type", "Re-referral"),)),
    ),
    headline=(Headline("referrals", "referrals (re-referrals release A1)", tile=True,
                       published="referrals"),),
    description=("Referrals in the year by referral type: initial referrals of children not "
                 "re-referred within 12 months, initial referrals of children re-referred within "
                 "12 months of them, and re-referrals within 12 months of a previous referral of "
                 "the same child in the same local authority (Longitudinal CIN Dataset)."),
    footnotes=("Percentages are shares of all referrals in the year (Total).",
               "The Total and Re-referral rows are the referrals and re-referrals of the Children "
               "in need release (C1)."),
)
