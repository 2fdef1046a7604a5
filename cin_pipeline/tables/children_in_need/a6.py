"""A6: national time series of child protection plans at 31 March by initial category of abuse,
2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.children_in_need._categories import CATEGORIES
from cin_pipeline.tables.declare import Agreement, Headline, category, count, national_table, reconstructed

_TOTAL = "CPP_At31"
_D4 = "children_in_need.d4"
# A6's labels (A6cat20): "Neglect", "Emotional Abuse", "Multiple" seen; "Physical Abuse" and
# "Sexual Abuse" in the same style
_LABELS = {"NEG": "Neglect", "PHY": "Physical Abuse", "SAB": "Sexual Abuse", "EMO": "Emotional Abuse",
           "MUL": "Multiple"}
_PARTS = tuple(f"{stem}_Initial" for _, stem, _ in CATEGORIES)

TABLE = national_table(
    RELEASE, "A6", "National time series of child protection plans by initial category of abuse",
    "a6_cpp_initial_category_of_abuse",
    filters=(category("Initial category of abuse"),),
    indicators=(
        count(_TOTAL, "Child Protection Plans at 31st March"),
        *(count(f"{stem}_Initial", _LABELS[code], "Initial category of abuse")
          for code, stem, _ in CATEGORIES),
    ),
    first_year=2013,
    # The 2020 release A6 data set (A6cat20), all 7 columns: category (= "Initial category of
    # abuse"), CPP_At31, Neglect_Initial, Physical_abuse_Initial, Sexual_abuse_Initial,
    # Emotional_abuse_Initial, Multiple_Initial (lower-case "abuse", unlike A5). No later A6
    # header has been seen; the 2021 file name is a6_cpp_initial_category_of_abuse_2013_to_2021.
    layout=reconstructed(
        "the 2020 release A6 data set (A6cat20, all 7 columns; file name as in the 2021 release), "
        "assumed for 2024: no later A6 header seen"),
    sums=((_TOTAL, _PARTS),),
    # A6 is D4's national initial categories, and its total D4's (= D1's, D5's) plans at 31 March
    agreements=tuple(Agreement(c, _D4, c) for c in (_TOTAL, *_PARTS)),
    headline=(
        Headline(_TOTAL, "child protection plans at 31 March"),
        Headline("Neglect_Initial", "plans at 31 March with initial category neglect"),
    ),
    description=(
        "Children who were the subject of a child protection plan at 31 March by initial category "
        "of abuse (the category recorded when the plan started): neglect, physical abuse, sexual "
        "abuse, emotional abuse and multiple (more than one main category, or none recommended). "
        "Each plan is in exactly one category, so the categories add up to the plans at 31 March. "
        "The same figures are published by local authority in D4."),
    footnotes=(
        "When there is more than one main category of abuse, or where no category is "
        "recommended, 'Multiple' is chosen; children in Multiple are counted in no other category.",
        "National figures are rounded to the nearest 10, so the categories may not add up exactly "
        "to the total.",
    ),
)
