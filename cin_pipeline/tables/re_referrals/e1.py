"""E1: referrals by highest level of intervention and referral type, national, 2017 onwards."""

from cin_pipeline.tables.declare import Agreement, Filter, Headline, Indicator, exact, national_table
from cin_pipeline.tables.re_referrals import CATALOGUE, REFERRAL_TYPES, RELEASE

LEVELS = ("1. No futher action", "2. Assessed as not in need", "3. CINO", "4. s47 Enquiry",
          "5. ICPC", "6. CPP")

TABLE = national_table(
    RELEASE, "E1", "Re-referrals by level of intervention by CSC, 2017-23",
    "e1_re_referrals_by_level_of_intervention",
    filters=(
        Filter("level_description", "Highest level of intervention", values=LEVELS + ("Total",),
               total="Total"),
        Filter("referral_type", "Referral type", values=REFERRAL_TYPES + ("Total",), total="Total",
               lookback=True),
    ),
    indicators=(
        Indicator("referrals", "Referrals"),
        Indicator("referrals_percent", "Percent", "percent", unit="%", dp=1, numerator="referrals",
                  denominator="@level_description"),
    ),
    first_year=2017,
    layout=exact(CATALOGUE),
    # E1 and C1 count the same referrals (each in the return of its own year): E1's Total rows
    # are England's referrals and re-referrals of C1
    agreements=(
        Agreement("referrals", "children_in_need.c1", "Referrals",
                  rows=(("level_description", "Total"), ("referral_type", "Total"))),
        Agreement("referrals", "children_in_need.c1", "Re_referrals",
                  rows=(("level_description", "Total"), ("referral_type", "Re-referral"))),
    ),
    headline=(Headline("referrals", "referrals (Longitudinal CIN Dataset)", tile=True, chart=True),),
    description=("Referrals by the highest level of children's social care intervention reached "
                 "(no further action, assessed not in need, child in need other, section 47, ICPC, "
                 "child protection plan) and referral type."),
    footnotes=("Percentages are shares of all referrals of the same referral type.",),
)
