"""A7: children in need at 31 March by gender, age and ethnicity, national, 2015 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.children_in_need._characteristics import characteristic_filters
from cin_pipeline.tables.declare import (Agreement, Filter, Headline, count, national_table, percent,
                                         reconstructed)

_TOTAL = "CIN_At31"

TABLE = national_table(
    RELEASE, "A7", "National time series of children in need by gender, age and ethnicity",
    "a7_cin_by_age_gender_ethnicity",
    filters=(Filter("category", "Category", values=("Children in Need at 31 March",), constant=True,
                    hint="Single-valued: the data set's subject"),
             *characteristic_filters("Gender", "Unborn", "Age", "Ethnicity major", "Ethnicity minor")),
    indicators=(count(_TOTAL, "Children in Need at 31st March"),
                percent(f"{_TOTAL}_percent", "Percentage of all children in need at 31 March",
                        _TOTAL, "CIN_At31_all")),
    helpers=("CIN_At31_all",),
    first_year=2015,
    layout=reconstructed(
        "no A7 header seen for any year (a7_cin_by_age_gender_ethnicity_2015_to_2021.csv, 24 Kb, "
        "named in the 2021 EES fixture); the characteristic/characteristic_type filters of A5 "
        "2020 with major and minor ethnic groups, CIN_At31 as in A4 2020 and its percentage of all "
        "children in need at 31 March (DfE quotes A7's shares: 1.7% unborn in 2024); "
        "published_tables_pass3.md A7"),
    agreements=(Agreement(_TOTAL, "children_in_need.b1", "At31_episodes",
                          rows=(("characteristic_type", "Total"),)),),
    headline=(Headline(_TOTAL, "children in need at 31 March (A7)", published="at31_episodes",
                 rows=(("characteristic_type", "Total"),)),),
    description=(
        "Children in need at 31 March (episodes of need open at 31 March, as in B1) by gender, by "
        "age at 31 March, and by major and minor ethnic group, as numbers and as percentages of "
        "all children in need at 31 March. Unborn children are shown as their own group and are "
        "not counted in the gender or age rows."),
    footnotes=(
        "Gender/Total is every child in need at 31 March; Gender plus Unborn, Age plus Unborn, "
        "the major ethnic groups and the minor ethnic groups each add up to it.",
        "Percentages are of all children in need at 31 March (Gender/Total).",
        "Ethnic groups are those recorded in the census: the minor groups are the census codes, "
        "the major groups combine them (unknown: refused or information not yet obtained).",
    ),
)
