"""B7: child in need plans starting in the year and children with a CIN plan at 31 March, N/R/LA,
2022 onwards (the 30th data set of the release; CIN plans are collected from the 2021-22 census)."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import PER10K, Headline, count, la_table, rate, reconstructed

TABLE = la_table(
    RELEASE, "B7", "Child in need plans by local authority",
    "b7_children_in_need_plans", "Child in need plans",
    (
        count("CIN_plan_start", "Child in need plans starting in the year", "Starting"),
        rate("CIN_plan_start", f"Child in need plans starting in the year {PER10K}", "Starting"),
        count("CIN_plan_child_start", "Children starting a child in need plan in the year", "Starting"),
        rate("CIN_plan_child_start", f"Children starting a child in need plan in the year {PER10K}",
             "Starting"),
        count("CIN_plan_At31", "Children with a child in need plan at 31 March", "At 31 March"),
        rate("CIN_plan_At31", f"Children with a child in need plan at 31 March {PER10K}", "At 31 March"),
    ),
    first_year=2022,
    # The 2024 release has 30 data sets and the 2021 list 29; the one more is very probably a
    # data set on child in need plans (collected from 2021-22), whose file name and columns were
    # not seen (published_tables_more.md, "The 30th data set"). Name, code and columns here are
    # the project's own, in the style of B1 and D1 (constant category, count then rate).
    layout=reconstructed(
        "the project's own layout: the 30th data set of the 2024 release is not seen (a child in "
        "need plans data set is the likely candidate); wide N/R/LA file like B1 and D1"),
    status_from="b1",
    headline=(
        Headline("CIN_plan_At31", "children with a child in need plan at 31 March"),
        Headline("CIN_plan_start", "child in need plans starting in the year"),
    ),
    description=(
        "Child in need plans (CINPlanDates in the census, collected from 2021-22): plans starting "
        "in the year and the children starting one (a child with two plans starting counts twice "
        "among plans and once among children), and children with a child in need plan open at "
        "31 March (started on or before 31 March and not ended by then). Not available before "
        "2022."),
    footnotes=(
        "Rates are per 10,000 children aged 0 to 17 (ONS mid-year estimates for the previous year).",
        "Child in need plans were first collected in the 2021-22 census; a child in need plan "
        "cannot be open at the same time as a child protection plan (validation rules 4001, 4016).",
    ),
)
