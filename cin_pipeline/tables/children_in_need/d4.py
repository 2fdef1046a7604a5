"""D4: child protection plans at 31 March by initial and latest category of abuse, N/R/LA, 2013
onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.children_in_need._categories import category_indicators, category_sums
from cin_pipeline.tables.declare import Agreement, Headline, la_table, reconstructed

_TOTAL = "CPP_At31"

TABLE = la_table(
    RELEASE, "D4", "Child Protection Plans at 31 March by category of abuse and local authority",
    "d4_cpps_at31march_by_category_of_abuse", "Child Protection Plans at 31 March by category of abuse",
    category_indicators(_TOTAL, "Child protection plans at 31 March", "Plans at 31 March"),
    # No D4 header has been seen for any year (published_tables_pass3.md: "Columns: [GAP]").
    # The total is CPP_At31 as in D5 2024 and A6; the category columns are A6's (2020 header,
    # A6cat20: CPP_At31, Neglect_Initial, Physical_abuse_Initial, Sexual_abuse_Initial,
    # Emotional_abuse_Initial, Multiple_Initial), with _Latest twins and a <count>_percent after
    # each count as in D5 2024.
    layout=reconstructed(
        "no D4 header seen (2021 file d4_cpps_at31march_by_category_of_abuse_2013_to_2021.csv, "
        "title and description from the 2021 EES fixture); CPP_At31 and the initial-category "
        "columns as in the A6 2020 header (national counterpart), with _Latest twins, each count "
        "followed by <count>_percent as in D5 2024"),
    sums=category_sums(_TOTAL),
    # the D4 file is not among the reference files: LAs take the x/u status of D5 (same returns)
    status_from="d5",
    agreements=(Agreement(_TOTAL, "children_in_need.d5", "CPP_At31"),),
    headline=(
        Headline("Neglect_Initial_percent", "% plans at 31 March with initial category neglect"),
        Headline("Emotional_abuse_Initial_percent", "% plans at 31 March with initial category emotional abuse"),
    ),
    description=(
        "Child protection plans open at 31 March (started on or before 31 March and not ended by "
        "then) by category of abuse: the initial category, recorded when the plan started, and "
        "the latest category, as at 31 March. Categories: neglect (NEG), physical abuse (PHY), "
        "sexual abuse (SAB), emotional abuse (EMO) and multiple (MUL: more than one main "
        "category, or none recommended). Each plan is in exactly one initial and one latest "
        "category."),
    footnotes=(
        "Percentages are of all plans at 31 March (CPP_At31, as in D1 and D5).",
        "A plan in Multiple is counted in no other category, so the five categories add up to "
        "CPP_At31, for the initial and for the latest category.",
    ),
)
