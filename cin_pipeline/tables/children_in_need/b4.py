"""B4: children in need at 31 March by duration of the open episode, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Agreement, Headline, breakdown, la_table, reconstructed

# column names of B4's sibling B5 (2024 header: same bands of episode duration); band wording
# verified in the re-referrals A4 catalogue page
BANDS = (
    ("3_months_or_less", "3 months or less"),
    ("more_than_3_months_6_months", "More than 3 months but less than or equal to 6 months"),
    ("more_than_6_months_less_than_1_year", "More than 6 months but less than 1 year"),
    ("1_year_less_than_2_years", "1 year but less than 2 years"),
    ("2years+", "2 years and over"),
)

INDICATORS, SUMS = breakdown(
    ("At31_episodes", "Number of children in need at 31 March"), BANDS,
    grouping="Duration of open episode", count_label="{part} - number",
    percent_label="{part} - percentage")

TABLE = la_table(
    RELEASE, "B4", "Children in need at 31 March by duration of episode and local authority",
    "b4_children_in_need_duration_of_open_episode", "Duration of open episode", INDICATORS,
    layout=reconstructed(
        "no B4 header seen (file b4_children_in_need_duration_of_open_episode_2013_to_2023.csv named "
        "in the LAIT data dictionary, bands from LAIT CINTime*); columns as the 2024 B5 header "
        "(the same five bands of episode duration, with At31_episodes for Ended_episodes), "
        "published_tables_pass3.md B4/B5"),
    sums=(SUMS,),
    # the B4 file is not among the reference files: LAs take the x/u status of B1 (same returns)
    status_from="b1",
    agreements=(Agreement("At31_episodes", "children_in_need.b1", "At31_episodes"),),
    headline=(
        Headline("3_months_or_less_percent", "% children in need at 31 March open 3 months or less"),
        Headline("2years+_percent", "% children in need at 31 March open 2 years or more"),
    ),
    description=(
        "Children in need at 31 March (episodes of need open at 31 March, as B1 At31_episodes) by "
        "the duration of the open episode, from the referral date to 31 March, in calendar months: "
        "3 months or less; more than 3 and up to 6 months; more than 6 months and less than 1 "
        "year; 1 year and less than 2 years; 2 years or more (the bands of B5 and D5)."),
    footnotes=("Percentages are of all children in need at 31 March (At31_episodes, as in B1).",),
)
