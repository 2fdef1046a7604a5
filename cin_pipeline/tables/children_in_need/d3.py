"""D3: child protection plans starting in the year that were a second or subsequent plan."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Headline, count, exact, la_table, percent

TABLE = la_table(
    RELEASE, "D3",
    "Child Protection Plans starting during year which were a second or subsequent plan, by local authority",
    "d3_cpps_subsequent_plan", "Child Protection Plans which are a second or subsequent plan",
    (
        count("CPP_start", "Child protection plans starting in the year"),
        count("CPP_subsequent", "Plans starting in the year which were a second or subsequent plan"),
        percent("CPP_subsequent_percent",
                "Percentage of plans starting which were a second or subsequent plan",
                "CPP_subsequent", "CPP_start"),
    ),
    layout=exact("d3_cpps_subsequent_plan_2013_to_2024.csv, 2024 release"),
    status_from="d3",
    headline=(
        Headline("CPP_start", "child protection plans starting in the year", published="cpp_start"),
        Headline("CPP_subsequent_percent", "% plans that were a second or subsequent plan",
                 published="cpp_subsequent_percent"),
    ),
    description=("Child protection plans starting in the year and those that were a second or "
                 "subsequent plan for the child (NumberOfPreviousCPP greater than 0)."),
)
