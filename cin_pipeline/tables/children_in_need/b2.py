"""B2: children in need at 31 March by recorded disability, N/R/LA, 2013 onwards.

The query returns long rows (year, la, part, n); the formatter pivots them into the count columns
of ``parts`` (unpublished helpers: children of each disability type, census codes) and the two
published counts. A child may have several disabilities, so the types do not add up to
``At31_episodes_disability_recorded``: there is no additive identity."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Agreement, Headline, count, la_table, percent, reconstructed

# (published column, label, census Disability code), in the published (alphabetical label) order:
# the 2020 and 2022 previews show Autism (about 35-39%), then about 20, 18 and 3 per cent, which
# fits Autism, Behaviour, Communication, Consciousness.
TYPES = (
    ("Autism_percent", "Autism/Asperger Syndrome", "AUT"),
    ("Behaviour_percent", "Behaviour", "BEH"),
    ("Communication_percent", "Communication", "COMM"),
    ("Consciousness_percent", "Consciousness", "CON"),
    ("Hand_function_percent", "Hand function", "HAND"),
    ("Hearing_percent", "Hearing", "HEAR"),
    ("Incontinence_percent", "Incontinence", "INC"),
    ("Learning_percent", "Learning", "LD"),
    ("Mobility_percent", "Mobility", "MOB"),
    ("Other_DDA_percent", "Other DDA", "DDA"),
    ("Personal_care_percent", "Personal care", "PC"),
    ("Vision_percent", "Vision", "VIS"),
)


def helper(column: str) -> str:
    """The unpublished count behind a type percentage: ``Autism_percent`` -> ``n_Autism``."""
    return "n_" + column[: -len("_percent")]


TABLE = la_table(
    RELEASE, "B2", "Children in need at 31 March by recorded disability and local authority",
    "b2_children_in_need_recorded_disability", "Recorded disability",
    (
        count("At31_episodes", "Number of children in need at 31 March", "Total"),
        count("At31_episodes_disability_recorded",
              "Number of children in need at 31 March with a disability recorded", "Disability recorded"),
        percent("At31_episodes_disability_recorded_percent",
                "Percentage of children in need at 31 March with a disability recorded",
                "At31_episodes_disability_recorded", "At31_episodes", "Disability recorded"),
        *(percent(col, f"{words} - percentage of children with a disability recorded", helper(col),
                  "At31_episodes_disability_recorded", "Type of disability")
          for col, words, _ in TYPES),
    ),
    layout=reconstructed(
        "B2 2022 release catalogue page (B2cat22: category 'Recorded disability', 15 variables, of "
        "which At31_episodes, At31_episodes_disability_recorded, "
        "At31_episodes_disability_recorded_percent and Autism_percent are verified); the other 11 "
        "type columns are <type>_percent in alphabetical label order, one per census disability "
        "code (published_tables_more.md section 1, B2)"),
    helpers=tuple(helper(col) for col, _, _ in TYPES),
    parts=tuple((helper(col), (code,)) for col, _, code in TYPES),
    # the B2 file is not among the reference files: LAs take the x/u status of B1 (same returns)
    status_from="b1",
    agreements=(Agreement("At31_episodes", "children_in_need.b1", "At31_episodes"),),
    headline=(
        Headline("At31_episodes_disability_recorded_percent",
                 "% children in need at 31 March with a disability recorded"),
        Headline("Autism_percent", "% of disabled children in need with autism/Asperger syndrome"),
    ),
    description=(
        "Children in need at 31 March (episodes of need open at 31 March, as B1 At31_episodes) and "
        "those with a disability recorded in that year's return (any Disability code other than "
        "NONE), with the percentage of children with a disability recorded who have each type of "
        "disability: autism/Asperger syndrome, behaviour, communication, consciousness, hand "
        "function, hearing, incontinence, learning, mobility, other disability (DDA), personal "
        "care, vision."),
    footnotes=(
        "A child may have more than one disability recorded, therefore the disability category "
        "percentages may not sum to 100.",
        "Disability type percentages are of children in need at 31 March with a disability recorded.",
        "Disability is as defined by the Disability Discrimination Act (DDA) and recorded in the CIN census.",
    ),
)
