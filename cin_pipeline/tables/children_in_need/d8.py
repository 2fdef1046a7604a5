"""D8: child protection plans ending in the first six months of the year by how long the child
then remained in need, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Headline, breakdown, la_table, reconstructed

_BANDS = (
    ("CIN_closed_same_day", "in need until the day the plan ended"),
    ("CIN_closed_within_3_months", "in need up to 3 months after"),
    ("CIN_closed_3_to_6_months", "in need more than 3 and up to 6 months after"),
    ("CIN_more_than_6_months", "in need over 6 months after or still"),
)

INDICATORS, SUMS = breakdown(
    ("CPP_end_first_6_months", "Child protection plans ending from 1 April to 30 September"),
    _BANDS, grouping="Time the child remained in need after the plan ended",
    count_label="Plans ending April to September: child {part}",
    percent_label="Plans ending April to September: child {part} - percentage")

TABLE = la_table(
    RELEASE, "D8",
    "Child protection plans ending during the first six months of the year by duration child "
    "remained in need and local authority",
    "d8_cpps_ending_in_first_6months_by_duration",
    "Child protection plans ending in the first six months by time remaining in need",
    INDICATORS,
    # Only the title and file stem are known (2021 fixture, FIXT21); no header, definition or
    # value has been seen (published_tables_more.md: [GAP]). The columns are the project's own.
    layout=reconstructed(
        "the 2021 title and file stem only (FIXT21); columns, bands and definition are the "
        "project's own, as no D8 header or value was seen"),
    sums=(SUMS,),
    # the D8 file is not among the reference files: LAs take the x/u status of D5 (same plans)
    status_from="d5",
    headline=(
        Headline("CIN_closed_same_day_percent",
                 "% plans ending April-September whose episode of need closed the same day"),
    ),
    description=(
        "Child protection plans that ended in the first six months of the year (end date from "
        "1 April to 30 September), so that each is followed for at least six months to 31 March, "
        "by how long the child then remained a child in need: the time from the plan's end date "
        "to the closure date of the episode of need that held the plan, in calendar months. An "
        "episode still open at 31 March is counted as more than 6 months. A child whose plans "
        "ended twice in those months is counted twice."),
    footnotes=(
        "Percentages are of all plans ending from 1 April to 30 September.",
        "Plans whose episode of need was closed before the plan ended (validation error 8565) "
        "are not counted.",
        "The layout of this table is the project's reconstruction: the published file's columns "
        "were not available.",
    ),
)
