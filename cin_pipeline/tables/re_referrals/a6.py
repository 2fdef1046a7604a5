"""A6: referrals by primary need at assessment and re-referral, national, 2017 onwards."""

from cin_pipeline.tables.children_in_need._needs import NEEDS
from cin_pipeline.tables.declare import Agreement, Filter, Headline, Indicator, exact, national_table
from cin_pipeline.tables.re_referrals import RELEASE, re_referral_filter

_C1 = "children_in_need.c1"

TABLE = national_table(
    RELEASE, "A6", "Primary need at assessment 2017-24", "a6_primary_need_at_assessment",
    filters=(
        Filter("primaryneed", "Primary need at assessment",
               values=tuple(label for _, label, _ in NEEDS) + ("Total",), total="Total"),
        re_referral_filter(),
    ),
    indicators=(
        Indicator("referrals", "Episodes"),
        Indicator("referrals_percent", "Percentage", "percent", unit="%", dp=1, numerator="referrals",
                  denominator="@primaryneed"),
    ),
    first_year=2017,
    # columns primaryneed ("Primary need at assessment": "N0 - Not stated" ...), re_referral
    # ("Re-referral"), referrals ("Episodes"), referrals_percent ("Percentage"), National,
    # 2017-2024 (256 rows published: 8 years x 32; the project writes the 33 combinations of the
    # 10 needs and Total by the 3 re-referral values, as A4's 18)
    layout=exact("EES data catalogue page of the 2024 release A6 (published_tables_pass3.md "
                 "section 4, RR-A6)"),
    agreements=(
        Agreement("referrals", _C1, "Referrals", rows=(("primaryneed", "Total"), ("re_referral", "Total"))),
        Agreement("referrals", _C1, "Re_referrals",
                  rows=(("primaryneed", "Total"), ("re_referral", "Re-referral"))),
    ),
    headline=(Headline("referrals_percent", "% of re-referrals with primary need N0 (first A6 row)"),),
    description=("Referrals and re-referrals in England, in the year to 31 March, by primary need "
                 "at assessment (the primary need recorded on the referral's episode in the latest "
                 "return that holds it) and whether the referral was a re-referral within 12 months "
                 "of a previous referral (Longitudinal CIN Dataset)."),
    footnotes=("Referrals with no primary need recorded (no further action, or not yet assessed) "
               "are counted as N0 - Not stated.",
               "Percentages are shares of all referrals in the same re-referral group.",
               "The Total rows are the referrals and re-referrals of the Children in need release (C1)."),
)
