"""A1: national time series of children in need, referrals and assessments, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import (POPULATION, Agreement, Headline, Indicator, grouped,
                                         national_table, reconstructed)

# (group, category_type, the same figure in B1 or C1: (table, count column, rate column or None,
#  percent column or None)). Every count but assessments is published by B1 or C1 too.
_B1, _C1 = "children_in_need.b1", "children_in_need.c1"
_ROWS = (
    ("Children in Need", "Episodes of need at any point in the year",
     (_B1, "Anypoint_episodes", "Anypoint_episodes_rate", None)),
    ("Children in Need", "Children in Need at any point during the year",
     (_B1, "Anypoint_child", "Anypoint_child_rate", None)),
    ("Children in Need", "Episodes of need starting in the year",
     (_B1, "Started_episodes", "Started_episodes_rate", None)),
    ("Children in Need", "Children starting an episode of need in the year",
     (_B1, "Started_child", "Started_child_rate", None)),
    ("Children in Need", "Episodes of need ending in the year",
     (_B1, "Ended_episodes", "Ended_episodes_rate", None)),
    ("Children in Need", "Children ending an episode of need in the year",
     (_B1, "Ended_child", "Ended_child_rate", None)),
    ("Children in Need", "Children in Need at 31 March",
     (_B1, "At31_episodes", "At31_episodes_rate", None)),
    ("Children in Need", "Children awaiting assessment or assessment not required at 31 March",
     (_B1, "Awaiting_assessment", "Awaiting_assessment_rate", None)),
    ("Referrals", "Referrals in the year", (_C1, "Referrals", "Referrals_rate", None)),
    ("Referrals", "Re-referrals within 12 months of a previous referral",
     (_C1, "Re_referrals", None, "Re_referrals_percent")),
    ("Referrals", "Referral - No Further Action",
     (_C1, "No_Further_Action", None, "No_Further_Action_percent")),
    ("Referrals", "Referral - Assessed as not in Need", (_C1, "Not_in_Need", None, "Not_in_Need_percent")),
    ("Referrals", "Children referred in the year", (_C1, "Referrals_child", "Referrals_child_rate", None)),
    ("Referrals", "Children re-referred within 12 months of a previous referral",
     (_C1, "Re_referrals_child", None, "Re_referrals_child_percent")),
    ("Assessments", "Assessments completed in the year", None),
)
ASSESSMENTS = "Assessments completed in the year"
AWAITING = "Children awaiting assessment or assessment not required at 31 March"
RE_REFERRALS = ("Re-referrals within 12 months of a previous referral",
                "Children re-referred within 12 months of a previous referral")
_GROUPS = tuple((g, tuple(t for gg, t, _ in _ROWS if gg == g))
                for g in dict.fromkeys(g for g, _, _ in _ROWS))
# a rate on the counts of episodes, children, referrals and assessments; a percentage on the
# re-referrals, NFA and not-in-need rows (of referrals or children referred) and on awaiting
# assessment (of children in need at 31 March), as the 2021 file fills them
RATED = tuple(t for _, t, o in _ROWS if o is None or o[2])
PERCENTED = tuple(t for _, t, o in _ROWS if t == AWAITING or (o and o[3]))


def _agreements():
    for _, ctype, other in _ROWS:
        if other is None:
            continue
        table, n, r, p = other
        rows = (("category_type", ctype),)
        yield Agreement("number", table, n, rows=rows)
        if r:
            yield Agreement("rate", table, r, rows=rows)
        if p:
            yield Agreement("percent", table, p, rows=rows)
    # assessments completed are C2's total (C2 starts in 2014, as A1's assessments do)
    yield Agreement("number", "children_in_need.c2", "Assessments_completed",
                    rows=(("category_type", ASSESSMENTS),))


TABLE = national_table(
    RELEASE, "A1", "National time series of children in need, referrals and assessments",
    "a1_cin_referrals_assessments",
    filters=(grouped("category_type", "Category type", "category", _GROUPS,
                     value_first_year=((ASSESSMENTS, 2014),), lookback_years=tuple((v, 1) for v in RE_REFERRALS)),),
    indicators=(
        Indicator("number", "Number"),
        Indicator("rate", "Rate per 10,000 children aged under 18 years", "rate", dp=1,
                  numerator="number", denominator=POPULATION, applies_to=(("category_type", RATED),)),
        Indicator("percent", "Percentage", "percent", unit="%", dp=1, numerator="number",
                  denominator="percent_base", applies_to=(("category_type", PERCENTED),)),
    ),
    first_year=2013,
    helpers=("percent_base",),
    # The 2021 file's layout, from the EES subject meta of the 2021 release (FIXT21): filter
    # category_type ("Category type") grouped by category (Children in Need, Referrals,
    # Assessments), its 15 values as published, indicators number ("Number", 0 dp), percent
    # ("Percentage", 1 dp) and rate ("Rate per 10,000 children aged under 18 years", 1 dp). The
    # column order number, rate, percent is the order of the 2021 table's measures; the 2021
    # meta gives the percentage no unit, here "%" as in the 2024 B and C files.
    layout=reconstructed(
        "the 2021 release A1 file a1_cin_referrals_assessments_2013_to_2021.csv (EES subject meta: "
        "category / category_type values, number, rate, percent); no later A1 header seen"),
    agreements=tuple(_agreements()),
    headline=(Headline("number", "episodes of need at any point in the year (first A1 row)"),),
    description=(
        "Children in need, episodes of need, referrals and assessments completed by children's "
        "social care services. Each row is one measure (category_type, grouped by category): "
        "the number, the rate per 10,000 children aged under 18 where it applies, and the "
        "percentage where it applies (re-referrals, no further action and assessed not in need "
        "as a percentage of referrals; children re-referred of children referred; children "
        "awaiting assessment of children in need at 31 March). Every figure but assessments "
        "completed is also published by local authority in B1 (children in need) and C1 "
        "(referrals); assessments completed are assessments authorised in the year."),
    footnotes=(
        "Rates per 10,000 of the population of children aged under 18 years are calculated using "
        "Office for National Statistics (ONS) mid-year population estimates for children aged 0 "
        "to 17 years in England.",
        "If a child has more than one referral in a reporting year, then each referral is counted.",
        "A child can have more than one episode of need throughout the year, but episodes should "
        "not overlap.",
        "Assessments completed in the year are not available for 2013 (x), as in the published "
        "series, which starts in 2014.",
        "z = not applicable: a rate or percentage not published for that measure.",
    ),
)
