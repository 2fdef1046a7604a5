"""A4: children in need at 31 March by ethnicity and age and gender, national, 2018 onwards."""

from cin_pipeline.facts import CHARACTERISTICS, ETHNIC_GROUPS
from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import (Agreement, Filter, Headline, count, national_table,
                                         reconstructed)

_TOTAL, _KNOWN = "CIN_At31", "Ethnicity_Known"
# A4 2020 names two columns Ethnicity_Asian_or_Asian_British and Ethnicity_Black_or_Black_British:
# "Ethnicity_" and the major group's words joined by "_", for each group but Unknown
_GROUPS = tuple(("Ethnicity_" + g.replace(" ", "_"), g) for g, _ in ETHNIC_GROUPS if g != "Unknown")
# A4 2020's characteristic values: Total, Female, Male, Unknown or Indeterminate gender, Unborn,
# then the age bands (the gender and age values of facts.CHARACTERISTICS, A4's spelling)
UNKNOWN_GENDER = "Unknown or Indeterminate gender"
_VALUES = tuple(UNKNOWN_GENDER if v == "Unknown/Indeterminate gender" else v
                for g in ("Gender", "Unborn", "Age") for v in dict(CHARACTERISTICS)[g])

TABLE = national_table(
    RELEASE, "A4", "National time series of children in need by ethnicity and age and gender",
    "a4_cin_by_ethnicity_and_age_gender",
    filters=(Filter("category", "Category", values=("Children in Need at 31 March",), constant=True,
                    hint="Single-valued: the data set's subject"),
             Filter("characteristic", "Characteristic", values=_VALUES, default="Total",
                    hint="Total, gender (unborn children apart) or age band at 31 March")),
    indicators=(count(_TOTAL, "Children in Need at 31st March"),
                count(_KNOWN, "Children in need at 31 March with ethnicity known", "Ethnicity"),
                *(count(col, g, "Ethnicity") for col, g in _GROUPS)),
    first_year=2018,
    layout=reconstructed(
        "A4 2020 data-catalogue page (A4cat20): category 'Children in Need at 31 March', filter "
        "characteristic (Total, Female, Male, Unknown or Indeterminate gender, Unborn seen; age "
        "bands by the project), CIN_At31, a count of children with ethnicity known (name not "
        "seen: Ethnicity_Known), then the five major groups in the 2020 order; of those only "
        "Ethnicity_Asian_or_Asian_British and Ethnicity_Black_or_Black_British were seen, the "
        "other three follow their pattern; published_tables_more.md A4"),
    sums=((_KNOWN, tuple(col for col, _ in _GROUPS)),),
    agreements=(Agreement(_TOTAL, "children_in_need.b1", "At31_episodes",
                          rows=(("characteristic", "Total"),)),),
    headline=(
        Headline(_TOTAL, "children in need at 31 March (A4)", published="at31_episodes",
                 rows=(("characteristic", "Total"),)),
        Headline("Ethnicity_White", "children in need at 31 March of white ethnicity"),
    ),
    description=(
        "Children in need at 31 March (episodes of need open at 31 March, as in B1) by major "
        "ethnic group, and by gender and by age at 31 March. Unborn children are shown apart and "
        "are not counted in the gender or age rows."),
    footnotes=(
        "Total is every child in need at 31 March; the gender rows plus Unborn, and the age rows "
        "plus Unborn, each add up to it.",
        "Ethnicity known excludes children whose ethnicity was refused or not yet obtained; the "
        "five ethnic groups add up to it.",
        "White comprises white British, white Irish, traveller of Irish heritage, any other white "
        "background and Gypsy/Roma.",
        "Mixed comprises white and black Caribbean, white and black African, white and Asian, any "
        "other mixed background.",
        "Asian or Asian British comprises Indian, Pakistani, Bangladeshi and any other Asian "
        "background.",
        "Black or black British comprises Caribbean, African or any other black background.",
        "Other ethnic groups comprises Chinese and any other ethnic group.",
    ),
)
