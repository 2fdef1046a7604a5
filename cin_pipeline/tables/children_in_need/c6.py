"""C6: referrals in the year by month of referral, N/R/LA, 2013 onwards.

The query returns long rows (year, la, part, n); the formatter pivots them into the published
count columns of ``parts`` (published column -> month number of the referral date)."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Agreement, Headline, breakdown, la_table, reconstructed

# the months of the reporting year, April to March: (column, label, month number)
MONTHS = tuple((m, m, n) for m, n in (
    ("April", 4), ("May", 5), ("June", 6), ("July", 7), ("August", 8), ("September", 9),
    ("October", 10), ("November", 11), ("December", 12), ("January", 1), ("February", 2), ("March", 3)))

INDICATORS, SUMS = breakdown(
    ("Referrals", "Number of referrals in the year"),
    tuple((col, words) for col, words, _ in MONTHS),
    grouping="Month of referral", count_label="Referrals in {part} - number",
    percent_label="Referrals in {part} - percentage")

TABLE = la_table(
    RELEASE, "C6", "Referrals to children's social care services by month and local authority",
    "c6_children_in_need_referrals_by_month", "Referrals by month", INDICATORS,
    layout=reconstructed(
        "no C6 header seen for any year (c6_children_in_need_referrals_by_month_2013_to_2021.csv "
        "named in the 2021 EES fixture, 2013 onwards); Referrals as in C1 2024, then a count and "
        "_percent per month April to March; published_tables_pass3.md C6"),
    parts=tuple((col, (str(n),)) for col, _, n in MONTHS),
    sums=(SUMS,),
    # the C6 file is not among the reference files: LAs take the x/u status of C1 (same referrals)
    status_from="c1",
    agreements=(Agreement("Referrals", "children_in_need.c1", "Referrals"),),
    headline=(
        Headline("March_percent", "% referrals in March"),
        Headline("August_percent", "% referrals in August"),
    ),
    description=(
        "Referrals in the year (as C1 Referrals: each referral counted, a referral reported in two "
        "returns counted once) by the calendar month of the referral date, April to March."),
    footnotes=("Percentages are of all referrals in the year (Referrals, as in C1).",),
)
