"""D7: child protection plans ending in the year by duration of the plan, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Agreement, Headline, breakdown, la_table, reconstructed

# The 2025 D7 names (D7cat25), which equal D5 2024's; not B5's (2years+) nor D7 2020's (2_years+).
_BANDS = (
    ("3_months_or_less", "3 months or less"),
    ("more_than_3_months_6_months", "more than 3 months and up to 6 months"),
    ("more_than_6_months_less_than_1_year", "more than 6 months and less than 1 year"),
    ("1_year_less_than_2_years", "1 year and less than 2 years"),
    ("2_years_or_more", "2 years or more (more than 729 days)"),
)

INDICATORS, SUMS = breakdown(
    ("CPP_End", "Child protection plans ending in the year"), _BANDS, grouping="Duration",
    count_label="Plans ending in the year that lasted {part}",
    percent_label="Percentage of plans ending in the year that lasted {part}")

TABLE = la_table(
    RELEASE, "D7", "Child Protection Plans ending during the year by duration and local authority",
    "d7_cpps_ending_by_duration", "Child Protection Plans ending by length of time", INDICATORS,
    # The exact header is known for the 2025 release only (D7cat25, all 12 columns: category =
    # "Child Protection Plans ending by length of time", CPP_End, 3_months_or_less, ..._percent,
    # 2_years_or_more, 2_years_or_more_percent). The 2024 header is not seen; the 2020 one had
    # other names (3_6_months, 1_2_years, 2_years+), so 2024 is taken to be as 2025 (whose names
    # equal D5 2024's).
    layout=reconstructed(
        "the 2025 release D7 header (D7cat25, all 12 columns; published_tables_pass3.md), "
        "assumed for 2024 since the 2024 file was not seen (the 2020 names differed)"),
    sums=(SUMS,),
    # the D7 file is not among the reference files: LAs take the x/u status of D5 (same returns)
    status_from="d5",
    agreements=(Agreement("CPP_End", "children_in_need.d1", "CPP_end"),),
    headline=(
        Headline("2_years_or_more_percent", "% plans ending in the year that lasted 2 years or more"),
        Headline("3_months_or_less_percent", "% plans ending in the year that lasted 3 months or less"),
    ),
    description=(
        "Child protection plans ending in the year (end date from 1 April to 31 March) by the time "
        "between the plan's start date and end date: 3 months or less; more than 3 and up to 6 "
        "months; more than 6 months and less than 1 year (calendar months back from the end "
        "date, as D5 counts back from 31 March); 1 year and less than 2 years; 2 years or more. "
        "2 years or more is DfE's LAIT definition for D7: more than 729 calendar days, counting "
        "the day of cessation (end date minus start date greater than 729, so a plan ending 730 "
        "days after it started is 2 years or more, one ending 729 days after is not). A child "
        "whose plans ended twice in the year is counted twice."),
    footnotes=(
        "Percentages are of all plans ending in the year (CPP_End, D1's CPP_end).",
        "2 years or more: end date minus start date more than 729 days (LAIT data dictionary, "
        "CPPlans2yrs/CPRDuration); 1 year and less than 2 years: at least 1 calendar year and "
        "at most 729 days.",
    ),
)
