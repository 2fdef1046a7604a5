"""The "Children in need" release: national, regional and LA tables from each year's census."""

from cin_pipeline.tables.declare import Release

RELEASE = Release(
    slug="children-in-need",
    title="Children in need",
    group="children_in_need",
    summary="Referrals, assessments, children in need, section 47 enquiries, initial child "
            "protection conferences and child protection plans, England, reporting years "
            "ending 31 March, national, regional and local authority level.",
    population_file=True,
)
