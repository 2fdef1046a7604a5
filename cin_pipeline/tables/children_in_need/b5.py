"""B5: episodes of need ending in the year by duration, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Agreement, Headline, breakdown, exact, la_table

BANDS = (
    ("3_months_or_less", "3 months or less"),
    ("more_than_3_months_6_months", "More than 3 months and up to 6 months"),
    ("more_than_6_months_less_than_1_year", "More than 6 months and less than 1 year"),
    ("1_year_less_than_2_years", "1 year and less than 2 years"),
    ("2years+", "2 years or more"),
)

INDICATORS, SUMS = breakdown(
    ("Ended_episodes", "Number of episodes ending during the year to 31 March"), BANDS,
    grouping="Duration of ended episode", count_label="{part} - number",
    percent_label="{part} - percentage")

TABLE = la_table(
    RELEASE, "B5", "Duration of episodes of need ending during year to 31 March by local authority",
    "b5_children_in_need_duration_of_ended_episode", "Duration of ended episode", INDICATORS,
    layout=exact("EES data catalogue, B5 2024 release (the 2023 release has the same header; "
                 "published_tables_pass3.md)"),
    sums=(SUMS,),
    # the B5 file is not among the reference files: LAs take the x/u status of B1 (same returns)
    status_from="b1",
    agreements=(Agreement("Ended_episodes", "children_in_need.b1", "Ended_episodes"),),
    headline=(Headline("3_months_or_less_percent", "% episodes ending after 3 months or less"),),
    description=(
        "Episodes of need ending in the year by their duration, from the referral date to the "
        "closure date, in calendar months: 3 months or less; more than 3 and up to 6 months; more "
        "than 6 months and less than 1 year; 1 year and less than 2 years; 2 years or more."),
    footnotes=("Percentages are of all episodes of need ending in the year (Ended_episodes, as in B1).",),
)
