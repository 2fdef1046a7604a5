"""Headline figures: the release's key national numbers for the release year only
(``headline_figures.csv``), each equal to the figure of the table that publishes it by LA."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import (POPULATION, Agreement, Filter, Headline, Indicator,
                                         national_table, reconstructed)

_B1, _C1, _C2 = "children_in_need.b1", "children_in_need.c1", "children_in_need.c2"
_C4, _D1, _D3 = "children_in_need.c4", "children_in_need.d1", "children_in_need.d3"
# (headline_measure, rate?, the same figures in the LA table: (table, column) for the number,
# the rate and the percentage, None where that table does not publish it)
_ROWS = (
    ("Children in need at 31 March", True, ((_B1, "At31_episodes"), (_B1, "At31_episodes_rate"), None)),
    ("Children in need at any point in the year", True,
     ((_B1, "Anypoint_child"), (_B1, "Anypoint_child_rate"), None)),
    ("Referrals in the year", True, ((_C1, "Referrals"), (_C1, "Referrals_rate"), None)),
    ("Re-referrals within 12 months of a previous referral", False,
     ((_C1, "Re_referrals"), None, (_C1, "Re_referrals_percent"))),
    # C2 publishes no rate; the rate is A1's (assessments per 10,000 children)
    ("Assessments completed in the year", True, ((_C2, "Assessments_completed"), None, None)),
    ("Section 47 enquiries starting in the year", True,
     ((_C4, "Section47"), (_C4, "Section47_rate"), None)),
    ("Initial child protection conferences in the year", True, ((_C4, "ICPC"), (_C4, "ICPC_rate"), None)),
    ("Child protection plans starting in the year", True,
     ((_D1, "CPP_start"), (_D1, "CPP_start_rate"), None)),
    ("Children on a child protection plan at 31 March", True,
     ((_D1, "CPP_At31"), (_D1, "CPP_At31_rate"), None)),
    ("Child protection plans starting in the year which were a second or subsequent plan", False,
     ((_D3, "CPP_subsequent"), None, (_D3, "CPP_subsequent_percent"))),
)
MEASURES = tuple(m for m, _, _ in _ROWS)
RATED = tuple(m for m, rated, _ in _ROWS if rated)
PERCENTED = tuple(m for m, _, others in _ROWS if others[2])
RE_REFERRALS = "Re-referrals within 12 months of a previous referral"


def _agreements():
    for measure, _, others in _ROWS:
        for column, other in zip(("number", "rate", "percent"), others):
            if other:
                yield Agreement(column, other[0], other[1], rows=(("headline_measure", measure),))


TABLE = national_table(
    RELEASE, "Headline", "Headline figures", "headline_figures",
    filters=(Filter("headline_measure", "Headline measure", values=MEASURES,
                    default=MEASURES[0], lookback_years=((RE_REFERRALS, 1),)),),
    indicators=(
        Indicator("number", "Number"),
        Indicator("rate", "Rate per 10,000 children aged under 18 years", "rate", dp=1,
                  numerator="number", denominator=POPULATION,
                  applies_to=(("headline_measure", RATED),)),
        Indicator("percent", "Percentage", "percent", unit="%", dp=1, numerator="number",
                  denominator="percent_base", applies_to=(("headline_measure", PERCENTED),)),
    ),
    first_year=2013,
    latest_only=True,
    helpers=("percent_base",),
    # The 2021 release had headline_figures.csv (357 bytes, national, latest year; FIXT21), whose
    # columns were not seen; the 2024 name is not known either. This layout is the project's own:
    # a long national file like A1 and A2 (one row per measure, number, rate, percent).
    layout=reconstructed(
        "the project's own layout: the 2021 release's headline_figures.csv (national, latest "
        "year, 357 bytes) is known by name only; long like A1/A2 (headline_measure, number, "
        "rate, percent)"),
    agreements=tuple(_agreements()),
    headline=(Headline("number", "children in need at 31 March (first headline row)"),),
    description=(
        "Children in need, referrals, assessments and child protection plans: the release's key "
        "national figures for the latest year. Each row is one measure (headline_measure) with "
        "its number, the rate per 10,000 children aged under 18 where it applies and the "
        "percentage where it applies (re-referrals of referrals; second or subsequent plans of "
        "plans starting). Every figure equals the national figure of the data set that publishes "
        "it by local authority: B1 (children in need), C1 (referrals), C2 (assessments), C4 "
        "(section 47 enquiries and ICPCs), D1 (child protection plans) and D3 (second or "
        "subsequent plans)."),
    footnotes=(
        "Rates per 10,000 of the population of children aged under 18 years are calculated using "
        "Office for National Statistics (ONS) mid-year population estimates for children aged 0 "
        "to 17 years in England (the estimate for the previous mid-year).",
        "z = not applicable: a rate or percentage not published for that measure.",
    ),
)
