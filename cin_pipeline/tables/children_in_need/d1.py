"""D1: child protection plans starting, ending, at any point in the year and at 31 March, N/R/LA,
2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import (PER10K, Agreement, Headline, count, la_table, rate,
                                         reconstructed)

_MEASURES = (
    # (plans column, children column or None, words, grouping)
    ("CPP_start", "CPP_child_start", "starting in the year", "Starting"),
    ("CPP_end", "CPP_child_end", "ending in the year", "Ending"),
    ("CPP_anypoint", "CPP_child_anypoint", "at any point in the year", "At any point"),
    ("CPP_At31", None, "at 31 March", "At 31 March"),
)


def _indicators():
    for plans, children, words, grouping in _MEASURES:
        yield count(plans, f"Child protection plans {words}", grouping)
        yield rate(plans, f"Child protection plans {words} {PER10K}", grouping)
        if children:
            yield count(children, f"Children with a child protection plan {words}", grouping)
            yield rate(children, f"Children with a child protection plan {words} {PER10K}", grouping)


TABLE = la_table(
    RELEASE, "D1", "Child Protection Plans by local authority",
    "d1_child_protection_plans", "Child Protection Plans", tuple(_indicators()),
    # The 2025 header is known exactly (D1cat25: category = "Child Protection Plans", CPP_start,
    # CPP_child_start, CPP_end, CPP_child_end, CPP_anypoint, CPP_child_anypoint, CPP_At31). The
    # 2024 file very probably also had rates (LAIT holds 2024-vintage rates for plans starting,
    # ending and at 31 March) but their names are not known: here each count is followed by
    # <count>_rate, as in the 2024 B1 and C1 files.
    layout=reconstructed(
        "the 2025 release D1 header (D1cat25, all 8 columns; published_tables_more.md and "
        "published_tables_pass3.md) with a <count>_rate column per 10,000 children after each "
        "count, as in the 2024 B1 file; the 2024 D1 rate column names are not known"),
    sums=(("CPP_anypoint", ("CPP_end", "CPP_At31")),),
    # the D1 file is not among the reference files: LAs take the x/u status of D5 (same returns)
    status_from="d5",
    agreements=(
        Agreement("CPP_start", "children_in_need.d3", "CPP_start"),
        Agreement("CPP_At31", "children_in_need.d5", "CPP_At31"),
    ),
    headline=(
        Headline("CPP_start", "child protection plans starting in the year"),
        Headline("CPP_At31_rate", "children on a child protection plan at 31 March per 10,000 children"),
    ),
    description=(
        "Child protection plans starting, ending and at any point during the year and children "
        "subject to a child protection plan at 31 March. Plans: every plan in the year's return "
        "whose start date (starting) or end date (ending) is in the year; at any point: a plan "
        "open on at least one day of the year (ending in the year or still open at 31 March); at "
        "31 March: started on or before 31 March and not ended by then. A child with two plans "
        "in the year counts twice among plans and once among children (the _child_ columns)."),
    footnotes=(
        "Rates are per 10,000 children aged 0 to 17 (ONS mid-year estimates for the previous year).",
        "CPP_anypoint = CPP_end + CPP_At31. The _child_ columns do not add up this way: a child "
        "whose plan ended and who was on a new plan at 31 March is one child at any point.",
        "CPP_start equals D3 CPP_start and CPP_At31 equals D5 CPP_At31.",
    ),
)
