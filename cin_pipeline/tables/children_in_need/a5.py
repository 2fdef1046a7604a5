"""A5: child protection plans at 31 March by initial category of abuse and gender, age and
ethnicity, national, 2018 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.children_in_need._categories import CATEGORIES
from cin_pipeline.tables.children_in_need._characteristics import characteristic_filters
from cin_pipeline.tables.declare import Agreement, Filter, Headline, count, exact, national_table

_TOTAL = "CPP_At31"
# A5 2020 capitalises every word of the column stem (Physical_Abuse_Initial; A6 and D4 have
# Physical_abuse_Initial): (A5 column, D4 column, words)
_COLUMNS = tuple(("_".join(w.capitalize() for w in stem.split("_")) + "_Initial", f"{stem}_Initial", words)
                 for _, stem, words in CATEGORIES)

TABLE = national_table(
    RELEASE, "A5",
    "National time series of child protection plans by initial category of abuse and gender, age and ethnicity",
    "a5_cpp_initial_category_of_abuse_by_gender_age_ethnicity",
    filters=(Filter("category", "Category", values=("Initial category of abuse",), constant=True,
                    hint="Single-valued: the data set's subject"),
             *characteristic_filters("Gender", "Unborn", "Age", "Ethnicity major")),
    indicators=(count(_TOTAL, "Child Protection Plans at 31st March"),
                *(count(col, f"Initial category {words}", "Initial category of abuse")
                  for col, _, words in _COLUMNS)),
    first_year=2018,
    # A5 2020 header (A5cat20): category, characteristic, characteristic_type, CPP_At31 and the five
    # _Initial columns. Values seen: category "Initial category of abuse"; characteristic "Gender"
    # (Total, Female, Male, Unknown/Indeterminate gender) and "Unborn" (Unborn). The "Age" and
    # "Ethnicity major" groups and their values are the project's (DfE's age bands and major
    # ethnic groups, cin_pipeline.facts.CHARACTERISTICS).
    layout=exact("a5_cpp_initial_category_of_abuse_by_gender_age_ethnicity_2018_to_2021.csv, "
                 "2020 data-catalogue header (A5cat20); Age and Ethnicity major rows by the project"),
    sums=((_TOTAL, tuple(col for col, _, _ in _COLUMNS)),),
    # The Gender/Total row holds every plan at 31 March: England's plans by initial category of
    # D4 (and of A6, its national counterpart, whose names are D4's)
    agreements=tuple(Agreement(col, other, d4, rows=(("characteristic_type", "Total"),))
                     for other in ("children_in_need.d4", "children_in_need.a6")
                     for col, d4 in ((_TOTAL, _TOTAL), *((c, d) for c, d, _ in _COLUMNS))),
    headline=(
        Headline(_TOTAL, "child protection plans at 31 March (A5)", published="cpp_at31",
                 rows=(("characteristic_type", "Total"),)),
        Headline("Neglect_Initial", "plans at 31 March with initial category neglect"),
    ),
    description=(
        "Children who were the subject of a child protection plan at 31 March by initial category "
        "of abuse, by gender, age and ethnicity. The initial category of abuse is the one recorded "
        "when the plan started. Age is the child's age at 31 March; unborn children are shown as "
        "their own group and are not counted in the gender or age rows."),
    footnotes=(
        "A child is counted once, for the plan open at 31 March.",
        "'Multiple' is recorded when there is more than one main category of abuse, or where no "
        "category is recommended. Children in Multiple are counted in no other category, so the "
        "categories add up to the total.",
        "Gender/Total is every child; Gender plus Unborn, Age plus Unborn, and the ethnic groups "
        "each add up to it.",
        "Ethnicity major: white comprises white British, white Irish, traveller of Irish heritage, "
        "any other white background and Gypsy/Roma; mixed comprises white and black Caribbean, "
        "white and black African, white and Asian and any other mixed background; Asian or Asian "
        "British comprises Indian, Pakistani, Bangladeshi and any other Asian background; black or "
        "black British comprises Caribbean, African or any other black background; other ethnic "
        "groups comprises Chinese and any other ethnic group; unknown is refused or information "
        "not yet obtained.",
    ),
)
