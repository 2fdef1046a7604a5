"""B3: children in need at 31 March by primary need, N/R/LA, 2013 onwards.

The query returns long rows (year, la, part, n); the formatter pivots them into the published
count columns of ``parts`` (published column -> census PrimaryNeedCode)."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.children_in_need._needs import NEEDS
from cin_pipeline.tables.declare import Agreement, Headline, breakdown, la_table, reconstructed

INDICATORS, SUMS = breakdown(
    ("At31_episodes", "Number of children in need at 31 March"),
    tuple((col, words) for col, words, _ in NEEDS),
    grouping="Primary need", count_label="{part} - number", percent_label="{part} - percentage")

TABLE = la_table(
    RELEASE, "B3", "Children in need at 31 March by primary need and local authority",
    "b3_cin_primary_need", "Primary need", INDICATORS,
    layout=reconstructed(
        "no B3 header seen for any year (b3_cin_primary_need_2013_to_2021.csv named in the 2021 EES "
        "fixture); At31_episodes as in B1/B2 2022, then a count and _percent pair per primary need "
        "N0-N9 with DfE's labels (re-referrals A6 2024); published_tables_pass3.md B3"),
    parts=tuple((col, (code,)) for col, _, code in NEEDS),
    sums=(SUMS,),
    # the B3 file is not among the reference files: LAs take the x/u status of B1 (same returns)
    status_from="b1",
    agreements=(Agreement("At31_episodes", "children_in_need.b1", "At31_episodes"),),
    headline=(
        Headline("N1_Abuse_or_neglect_percent", "% children in need at 31 March with abuse or neglect as primary need"),
        Headline("N5_Family_dysfunction_percent", "% children in need at 31 March with family dysfunction as primary need"),
    ),
    description=(
        "Children in need at 31 March (episodes of need open at 31 March, as B1 At31_episodes) by "
        "the primary need recorded for the open episode in that year's return. Primary need is the "
        "main reason why a child started to receive services: the category that fits best at the "
        "point of assessment (if two fit, the one higher in the list)."),
    footnotes=(
        "Percentages are of all children in need at 31 March (At31_episodes).",
        "An episode of need with no primary need recorded is counted as N0 - Not stated.",
    ),
)
