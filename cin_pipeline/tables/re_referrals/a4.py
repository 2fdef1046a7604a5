"""A4: duration of episodes of need by re-referral, national, 2017-2023."""

from cin_pipeline.tables.declare import Filter, Headline, Indicator, exact, national_table
from cin_pipeline.tables.re_referrals import CATALOGUE, RELEASE

LENGTHS = ("3 months or less", "More than 3 months but less than or equal to 6 months",
           "More than 6 months but less than 1 year", "1 year but less than 2 years",
           "2 years and over")

TABLE = national_table(
    RELEASE, "A4", "Duration of episodes 2017-23", "a4_duration_of_episodes",
    filters=(
        Filter("reflencat", "Length of Episode", values=LENGTHS + ("Total",), total="Total"),
        Filter("re_referral", "Re-referral", values=("Re-referral", "Not a re-referral", "Total"),
               total="Total", lookback=True),
    ),
    indicators=(
        Indicator("referrals", "Episodes"),
        Indicator("referrals_percent", "Percentage", "percent", unit="%", dp=1,
                  numerator="referrals", denominator="@reflencat"),
    ),
    first_year=2017, last_year=2023,
    layout=exact(CATALOGUE),
    headline=(Headline("referrals", "episodes of need (LCD)"),),
    description=("Episodes of need by the year of the referral that opened them, by length of "
                 "episode and whether that referral was a re-referral within 12 months. Episodes "
                 "still open are measured to the latest 31 March in the data."),
    footnotes=("Percentages are shares of all episodes in the same re-referral group.",),
)
