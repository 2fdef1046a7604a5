"""C3: factors identified at the end of assessment, N/R/LA, 2018 onwards.

The query returns long rows (year, la, part, n); the formatter pivots them into the published
columns of ``parts`` (published column -> census assessment factor codes)."""

from cin_pipeline.reference.measures import C3_FACTOR_COLUMNS
from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Headline, count, exact, la_table

# published column -> first year its census code existed (x before)
FIRST_COLLECTED = {"Physical_Abuse_child_on_child": 2021, "Physical_Abuse_adult_on_child": 2021,
                   "Sexual_Abuse_child_on_child": 2021, "Sexual_Abuse_adult_on_child": 2021,
                   "Child_criminal_exploitation": 2022}


def _label(col: str) -> str:
    codes = C3_FACTOR_COLUMNS[col]
    return f"Episodes with factor {col.replace('_', ' ').lower()} ({', '.join(codes)})"


TABLE = la_table(
    RELEASE, "C3", "Factors identified at the end of assessment by local authority",
    "c3_factors_identified_at_end_of_assessment", "Factors identified at the end of assessment",
    (
        count("Episodes_with_assessment_factor",
              "Episodes with an assessment factor recorded at the end of assessment", "Total"),
        *(count(col, _label(col), "Factors", first_year=FIRST_COLLECTED.get(col),
                zero_base="Episodes_with_assessment_factor")
          for col in C3_FACTOR_COLUMNS),
    ),
    first_year=2018,
    layout=exact("c3_factors_identified_at_end_of_assessment_2018_to_2024.csv, 2024 release"),
    parts=tuple(C3_FACTOR_COLUMNS.items()),
    status_from="c3",
    headline=(
        Headline("Episodes_with_assessment_factor", "episodes with an assessment factor"),
        Headline("Mental_Health_parent", "episodes with parental mental health as a factor"),
        Headline("Domestic_Abuse_parent", "episodes with domestic abuse (parent) as a factor"),
    ),
    description=(
        "Episodes with an assessment authorised in the year, by each factor identified at the end "
        "of assessment. An episode counts once for each factor recorded on any of those "
        "assessments. *_unknown = codes 18A/19A, *_child_on_child = 18B/19B, *_adult_on_child = "
        "18C/19C (collected from 2021); child criminal exploitation (24A) from 2022."),
    footnotes=("x = not collected in that year.",
               "z = no episodes with an assessment factor in that local authority."),
)
