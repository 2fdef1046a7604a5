"""D6: child protection plans reviewed within timescales, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Headline, count, la_table, percent, reconstructed

TABLE = la_table(
    RELEASE, "D6", "Child Protection Plans reviewed within timescales by local authority",
    "d6_cpps_reviewed_within_timescales", "Child Protection Plans reviewed within timescales",
    (
        count("CPP_At31_3_months_or_more",
              "Children on a child protection plan at 31 March for 3 months or more"),
        count("Reviewed_within_timescales",
              "Of those, children whose plan was reviewed within the required timescales"),
        percent("Reviewed_within_timescales_percent",
                "Plans at 31 March (3 months or more) reviewed within timescales - percentage",
                "Reviewed_within_timescales", "CPP_At31_3_months_or_more"),
    ),
    # No D6 header has been seen (published_tables_pass3.md: columns [GAP]). The three columns are
    # the three LAIT measures DfE reads from the d6 file (CPP_31March_3MnthorMore,
    # CPP_Reviewed_InReqTimeScl, RevCP), named in the D tables' style (D5's CPP_At31).
    layout=reconstructed(
        "the three LAIT measures of the d6 file (lait_cin_data_dictionary.txt: plans at 31 March "
        "for 3 months or more, reviewed within timescales, percentage); no D6 header was seen"),
    # the D6 file is not among the reference files: LAs take the x/u status of D5 (same plans)
    status_from="d5",
    headline=(
        Headline("Reviewed_within_timescales_percent",
                 "% plans at 31 March (3 months or more) reviewed within timescales", tile=True),
    ),
    description=(
        "Children who were the subject of a child protection plan at 31 March and had been the "
        "subject of that plan for at least three calendar months, and of those, the number whose "
        "plan had been reviewed within the required timescales. Statutory guidance says a plan "
        "is reviewed within three months of its start and then at intervals of not more than six "
        "months. A plan counts as reviewed within timescales when its first review was within 3 "
        "calendar months of the start, each later review within 6 calendar months of the one "
        "before, and no review was overdue at 31 March. A census return records the reviews "
        "held in its own year, so a plan's earlier reviews are taken from the local authority's "
        "earlier returns (the plan matched by child and start date)."),
    footnotes=(
        "Percentages are of children on a plan at 31 March for 3 months or more.",
        "For a plan that began before the earliest return held, the time to its first known "
        "review is not judged.",
    ),
)
