"""A2: children referred by number of referrals in the year, national, 2017 onwards."""

from cin_pipeline.tables.declare import Agreement, Filter, Headline, Indicator, national_table, reconstructed
from cin_pipeline.tables.re_referrals import RELEASE

NUMBERS = ("1", "2", "3", "4", "5 or more")
RE_REFERRED = ("Child re-referred", "Child not re-referred", "Total")
_C1 = "children_in_need.c1"
_TOTAL = (("number_of_referrals", "Total"),)

TABLE = national_table(
    RELEASE, "A2", "Children referred by number of referrals", "a2_children_referred_by_number_of_referrals",
    filters=(
        Filter("number_of_referrals", "Number of referrals in the year", values=NUMBERS + ("Total",),
               total="Total"),
        Filter("re_referred", "Child re-referred", values=RE_REFERRED, total="Total", lookback=True,
               hint="Child re-referred: at least one of the child's referrals in the year was a "
                    "re-referral within 12 months"),
    ),
    indicators=(
        Indicator("children", "Children referred"),
        Indicator("children_percent", "Percentage", "percent", unit="%", dp=1, numerator="children",
                  denominator="@number_of_referrals"),
        Indicator("referrals", "Referrals"),
    ),
    first_year=2017,
    layout=reconstructed(
        "no A2 header seen (published_tables.md section 2: title from the brief; number of "
        "referrals in the year 1, 2, 3, 4, 5+ and children, % inferred); the release's long "
        "layout (lower-case filters and indicators, as E1 and A4)"),
    # children referred and re-referred are C1's (children with a counted referral, and those
    # with a 12-month re-referral, in the LA in the year); the referrals they had are C1's
    agreements=(
        Agreement("children", _C1, "Referrals_child", rows=_TOTAL + (("re_referred", "Total"),)),
        Agreement("children", _C1, "Re_referrals_child", rows=_TOTAL + (("re_referred", "Child re-referred"),)),
        Agreement("referrals", _C1, "Referrals", rows=_TOTAL + (("re_referred", "Total"),)),
    ),
    headline=(Headline("children", "children referred (re-referrals release A2)",
                       published="referrals_child"),),
    description=("Children referred in the year by the number of referrals they had in the year "
                 "in the same local authority (1, 2, 3, 4, 5 or more), and whether at least one of "
                 "them was a re-referral within 12 months of a previous referral (Longitudinal CIN "
                 "Dataset), with the number of referrals those children had."),
    footnotes=("A child referred to two local authorities is counted in each.",
               "Percentages are shares of the children referred in the same re-referral group "
               "(Total: all children referred).",
               "The Total rows are the children referred, children re-referred and referrals of "
               "the Children in need release (C1)."),
)
