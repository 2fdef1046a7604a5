"""B1: children referred and re-referred, national, 2017 onwards."""

from cin_pipeline.tables.declare import Agreement, Filter, Headline, Indicator, national_table, reconstructed
from cin_pipeline.tables.re_referrals import RELEASE

_C1 = "children_in_need.c1"

TABLE = national_table(
    RELEASE, "B1", "Children referred to social services", "b1_children_referred",
    filters=(Filter("re_referred", "Child re-referred",
                    values=("Child re-referred", "Child not re-referred", "Total"), total="Total",
                    lookback=True,
                    hint="Child re-referred: at least one of the child's referrals in the year was a "
                         "re-referral within 12 months"),),
    indicators=(
        Indicator("children", "Children referred"),
        Indicator("children_percent", "Percentage", "percent", unit="%", dp=1, numerator="children",
                  denominator="@re_referred"),
        Indicator("referrals", "Referrals"),
    ),
    first_year=2017,
    layout=reconstructed(
        "no B1 header seen (published_tables.md section 2: title from the brief, children "
        "referred / re-referred inferred); the release's long layout (lower-case filter and "
        "indicators, as E1)"),
    agreements=(
        Agreement("children", _C1, "Referrals_child", rows=(("re_referred", "Total"),)),
        Agreement("children", _C1, "Re_referrals_child", rows=(("re_referred", "Child re-referred"),)),
        Agreement("children_percent", _C1, "Re_referrals_child_percent",
                  rows=(("re_referred", "Child re-referred"),)),
        Agreement("referrals", "re_referrals.a1", "referrals", rows=(("re_referred", "Total"),),
                  other_rows=(("referral_type", "Total"),)),
    ),
    headline=(Headline("children", "children referred (re-referrals release B1)",
                       published="referrals_child"),),
    description=("Children referred in the year in a local authority, those with at least one "
                 "re-referral within 12 months of a previous referral among their referrals in the "
                 "year and those without (Longitudinal CIN Dataset), and their referrals."),
    footnotes=("A child referred to two local authorities is counted in each.",
               "Percentages are shares of all children referred in the year.",
               "Children referred and re-referred are those of the Children in need release (C1); "
               "the referrals are A1's."),
)
