"""D2: child protection plans starting in the year by initial and latest category of abuse, N/R/LA,
2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.children_in_need._categories import category_indicators, category_sums
from cin_pipeline.tables.declare import Agreement, Headline, la_table, reconstructed

_TOTAL = "CPP_start"

TABLE = la_table(
    RELEASE, "D2", "Child Protection Plans starting in the year by category of abuse and local authority",
    "d2_cpps_starting_by_category_of_abuse", "Child Protection Plans starting by category of abuse",
    category_indicators(_TOTAL, "Child protection plans starting in the year", "Plans starting in the year"),
    # No D2 header has been seen for any year (published_tables_pass3.md: "Columns: [GAP]").
    # The category columns follow the national table of the same subject, A6 (2020 header,
    # A6cat20: Neglect_Initial, Physical_abuse_Initial, Sexual_abuse_Initial,
    # Emotional_abuse_Initial, Multiple_Initial), with _Latest for the latest category, each count
    # followed by its <count>_percent as in the release's other LA breakdowns (D5).
    layout=reconstructed(
        "no D2 header seen (2021 file d2_cpps_starting_by_category_of_abuse_2013_to_2021.csv, "
        "title and description from the 2021 EES fixture); category columns named as in the A6 "
        "2020 header (Neglect_Initial, Physical_abuse_Initial, ...) with _Latest twins, each "
        "count followed by <count>_percent as in D5 2024; total CPP_start as in D3 2024"),
    sums=category_sums(_TOTAL),
    # the D2 file is not among the reference files: LAs take the x/u status of D5 (same returns)
    status_from="d5",
    agreements=(Agreement(_TOTAL, "children_in_need.d1", "CPP_start"),),
    headline=(
        Headline("Neglect_Initial_percent", "% plans starting in the year with initial category neglect"),
        Headline("Emotional_abuse_Initial_percent",
                 "% plans starting in the year with initial category emotional abuse"),
    ),
    description=(
        "Child protection plans starting in the year (start date from 1 April to 31 March) by "
        "category of abuse: the initial category, recorded when the plan started, and the latest "
        "category, at the end of the plan or at 31 March if it is still open (as the year's return "
        "records them). Categories: neglect (NEG), physical abuse (PHY), sexual abuse (SAB), "
        "emotional abuse (EMO) and multiple (MUL: more than one main category, or none "
        "recommended). Each plan is in exactly one initial and one latest category."),
    footnotes=(
        "Percentages are of all plans starting in the year (CPP_start, as in D1 and D3).",
        "A plan in Multiple is counted in no other category, so the five categories add up to "
        "CPP_start, for the initial and for the latest category.",
    ),
)
