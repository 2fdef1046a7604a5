"""A2: national time series of section 47s, initial child protection conferences and child
protection plans, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import (POPULATION, Agreement, Headline, Indicator, grouped,
                                         national_table, reconstructed)

_C4, _D1, _D3 = "children_in_need.c4", "children_in_need.d1", "children_in_need.d3"
# (group, category_type, rate?, the same figures in another table: (table, column) pairs for the
# number, the rate and the percentage, None where that table does not publish it)
_ROWS = (
    ("Section 47", "Section 47s in the year", True, ((_C4, "Section47"), None, None)),
    ("Section 47", "Children subject to a Section 47 in the year", True,
     ((_C4, "Section47_child"), None, None)),
    ("ICPC", "ICPCs in the year", True, ((_C4, "ICPC"), None, None)),
    ("ICPC", "Children subject to an ICPC in the year", True, ((_C4, "ICPC_child"), None, None)),
    ("CPP", "CPP at 31 March", True, ((_D1, "CPP_At31"), (_D1, "CPP_At31_rate"), None)),
    ("CPP", "CPPs starting in the year", True, ((_D1, "CPP_start"), (_D1, "CPP_start_rate"), None)),
    ("CPP", "Children subject to a CPP starting in the year", True,
     ((_D1, "CPP_child_start"), (_D1, "CPP_child_start_rate"), None)),
    ("CPP", "CPPs starting in the year which were a second or subsequent plan", False,
     ((_D3, "CPP_subsequent"), None, (_D3, "CPP_subsequent_percent"))),
    ("CPP", "CPPs ending in the year", True, ((_D1, "CPP_end"), (_D1, "CPP_end_rate"), None)),
    ("CPP", "Children subject to a CPP ending in the year", True,
     ((_D1, "CPP_child_end"), (_D1, "CPP_child_end_rate"), None)),
)
SUBSEQUENT = "CPPs starting in the year which were a second or subsequent plan"
_GROUPS = tuple((g, tuple(t for gg, t, _, _ in _ROWS if gg == g))
                for g in dict.fromkeys(g for g, _, _, _ in _ROWS))
RATED = tuple(t for _, t, rated, _ in _ROWS if rated)


def _agreements():
    for _, ctype, _, others in _ROWS:
        for column, other in zip(("number", "rate", "percent"), others):
            if other:
                yield Agreement(column, other[0], other[1], rows=(("category_type", ctype),))


TABLE = national_table(
    RELEASE, "A2",
    "National time series of section 47s, initial child protection conferences and child protection plans",
    "a2_section47_icpc_cpp",
    filters=(grouped("category_type", "Category type", "category", _GROUPS),),
    indicators=(
        Indicator("number", "Number"),
        Indicator("rate", "Rate per 10000 children aged under 18 years", "rate", dp=1,
                  numerator="number", denominator=POPULATION, applies_to=(("category_type", RATED),)),
        Indicator("percent", "Percentage", "percent", unit="%", dp=1, numerator="number",
                  denominator="percent_base", applies_to=(("category_type", (SUBSEQUENT,)),)),
    ),
    first_year=2013,
    helpers=("percent_base",),
    # The 2020 release A2 data set (A2cat20): columns category (Section 47, ICPC, CPP),
    # category_type, number, rate ("Rate per 10000 children aged under 18 years"), percent; its
    # first five category_type values are as published. The other CPP rows (starting, children
    # starting, second or subsequent, ending, children ending) are the project's, worded like
    # the published ones: their 2020 labels were not seen.
    layout=reconstructed(
        "the 2020 release A2 data set (A2cat20: category, category_type, number, rate, percent; "
        "the first five category_type values); the CPP rows after 'CPP at 31 March' reconstructed"),
    agreements=tuple(_agreements()),
    headline=(Headline("number", "section 47 enquiries starting in the year (first A2 row)"),),
    description=(
        "Section 47 enquiries, initial child protection conferences and child protection plans. "
        "Each row is one measure (category_type, grouped by category): the number, the rate per "
        "10,000 children aged under 18 where it applies, and, for plans that were a second or "
        "subsequent plan, the percentage of plans starting in the year. The same figures are "
        "published by local authority in C4 (section 47s and ICPCs), D1 (plans starting, ending "
        "and at 31 March) and D3 (second or subsequent plans)."),
    footnotes=(
        "Rates per 10,000 of the population of children aged under 18 years are calculated using "
        "Office for National Statistics (ONS) mid-year population estimates for children aged 0 "
        "to 17 years in England.",
        "An initial child protection conference (ICPC) should be convened within 15 working days.",
        "ICPCs are those held in the year and recorded on a section 47 enquiry.",
        "z = not applicable: a rate or percentage not published for that measure.",
    ),
)
