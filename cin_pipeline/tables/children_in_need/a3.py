"""A3: children in need at 31 March by gender, age and primary need, national, 2018 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.children_in_need._characteristics import characteristic_filters
from cin_pipeline.tables.children_in_need._needs import NEEDS
from cin_pipeline.tables.declare import (Agreement, Filter, Headline, count, national_table,
                                         reconstructed)

_TOTAL = "CIN_At31"

TABLE = national_table(
    RELEASE, "A3", "National times series of children in need by gender, age and primary need",
    "a3_cin_primary_need_by_age_gender",
    filters=(Filter("category", "Category", values=("Primary need",), constant=True,
                    hint="Single-valued: the data set's subject"),
             *characteristic_filters("Gender", "Unborn", "Age")),
    indicators=(count(_TOTAL, "Children in Need at 31st March"),
                *(count(col, label, "Primary need") for col, label, _ in NEEDS)),
    first_year=2018,
    layout=reconstructed(
        "no A3 header seen for any year (a3_cin_primary_need_by_age_gender_2018_to_2021.csv named "
        "in the 2021 EES fixture, title with DfE's 'times'); the layout of A5 2020 (constant "
        "category, characteristic, characteristic_type, a total then one count per category), "
        "the total CIN_At31 as in A4 2020, a count per primary need N0-N9 named from DfE's labels "
        "(re-referrals A6 2024) as in B3; published_tables_more.md A3"),
    sums=((_TOTAL, tuple(col for col, _, _ in NEEDS)),),
    # Gender/Total holds every child in need at 31 March: B1 At31_episodes and B3's needs, England
    agreements=(Agreement(_TOTAL, "children_in_need.b1", "At31_episodes",
                          rows=(("characteristic_type", "Total"),)),
                *(Agreement(col, "children_in_need.b3", col, rows=(("characteristic_type", "Total"),))
                  for col, _, _ in NEEDS)),
    headline=(
        Headline(_TOTAL, "children in need at 31 March (A3)", published="at31_episodes",
                 rows=(("characteristic_type", "Total"),)),
        Headline("N1_Abuse_or_neglect", "children in need at 31 March with abuse or neglect as primary need"),
    ),
    description=(
        "Children in need at 31 March (episodes of need open at 31 March, as in B1) by gender, age "
        "and the primary need recorded for the open episode. Primary need is the main reason why "
        "a child started to receive services. Age is the child's age at 31 March; unborn children "
        "are shown as their own group and are not counted in the gender or age rows."),
    footnotes=(
        "Gender/Total is every child in need at 31 March; Gender plus Unborn and Age plus Unborn "
        "each add up to it.",
        "An episode of need with no primary need recorded is counted as N0 - Not stated.",
    ),
)
