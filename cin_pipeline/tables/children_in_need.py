"""Declarations of the "Children in need" release tables (B1, C1, C3, C4, D3, D5).

Columns are exactly those of the published 2024 files (C4: the 2025-release columns, the only
C4 file available). Each file carries one constant filter ``category`` (published layout; a known
screener deviation, see :mod:`cin_pipeline.publish.deviations`).
"""

from __future__ import annotations

from cin_pipeline.reference.measures import C3_FACTOR_COLUMNS
from cin_pipeline.tables.registry import Filter, Indicator, TableSpec, register, sql

LEVELS = ("National", "Regional", "Local authority")
POP = "population_0_17"


def _category(value: str) -> Filter:
    return Filter("category", "Category", values=(value,), constant=True,
                  hint="Single-valued: the data set's subject")


def _count(name: str, label: str, grouping: str = "", **kw) -> Indicator:
    return Indicator(name, label, "count", grouping=grouping, **kw)


def _rate(count: str, label: str, grouping: str = "") -> Indicator:
    return Indicator(f"{count}_rate", label, "rate", dp=1, numerator=count, denominator=POP,
                     grouping=grouping)


def _pct(name: str, label: str, numerator: str, denominator: str, grouping: str = "", **kw) -> Indicator:
    return Indicator(name, label, "percent", unit="%", dp=1, numerator=numerator,
                     denominator=denominator, grouping=grouping, **kw)


PER10K = "per 10,000 children"

B1 = register(TableSpec(
    release="children-in-need", code="B1",
    title="Children in need and episodes of need by local authority",
    file_stem="b1_children_in_need", geographic_levels=LEVELS, first_year=2013,
    filters=(_category("Children in Need"),),
    indicators=(
        _count("Anypoint_episodes", "Episodes of need at any point in the year", "At any point"),
        _rate("Anypoint_episodes", f"Episodes of need at any point in the year {PER10K}", "At any point"),
        _count("Anypoint_child", "Children in need at any point in the year", "At any point"),
        _rate("Anypoint_child", f"Children in need at any point in the year {PER10K}", "At any point"),
        _count("Started_episodes", "Episodes of need starting in the year", "Starting"),
        _rate("Started_episodes", f"Episodes of need starting in the year {PER10K}", "Starting"),
        _count("Started_child", "Children starting an episode of need in the year", "Starting"),
        _rate("Started_child", f"Children starting an episode of need in the year {PER10K}", "Starting"),
        _count("Ended_episodes", "Episodes of need ending in the year", "Ending"),
        _rate("Ended_episodes", f"Episodes of need ending in the year {PER10K}", "Ending"),
        _count("Ended_child", "Children ending an episode of need in the year", "Ending"),
        _rate("Ended_child", f"Children ending an episode of need in the year {PER10K}", "Ending"),
        _count("At31_episodes", "Children in need at 31 March", "At 31 March"),
        _rate("At31_episodes", f"Children in need at 31 March {PER10K}", "At 31 March"),
        _count("Awaiting_assessment",
               "Children awaiting assessment or assessment not required at 31 March", "At 31 March"),
        _rate("Awaiting_assessment", f"Children awaiting assessment at 31 March {PER10K}",
              "At 31 March"),
    ),
    query=sql("b1"),
    sums=(("Anypoint_episodes", ("Ended_episodes", "At31_episodes")),),
    status_file="b1",
    headline=("At31_episodes", "At31_episodes_rate", "Anypoint_child", "Started_episodes"),
    description=(
        "Episodes of need and children in need at any point in the year, starting and ending in the "
        "year, open at 31 March, and children awaiting assessment (or assessment not required) at "
        "31 March. An episode of need starts with a referral; referrals with no further action and "
        "referrals closed after assessment as not in need (RC8, RC9) are not episodes of need."),
    footnotes=(
        "Rates are per 10,000 children aged 0 to 17 (ONS mid-year estimates for the previous year).",
        "Awaiting_assessment counts children awaiting assessment or for whom assessment is not required.",
        "Anypoint_episodes = Ended_episodes + At31_episodes.",
    ),
))

C1 = register(TableSpec(
    release="children-in-need", code="C1",
    title="Referrals and re-referrals to children's social care services by local authority",
    file_stem="c1_children_in_need_referrals_and_rereferrals", geographic_levels=LEVELS,
    first_year=2013,
    filters=(_category("Referrals and Re-referrals"),),
    indicators=(
        _count("Referrals", "Referrals in the year", "Referrals"),
        _rate("Referrals", f"Referrals in the year {PER10K}", "Referrals"),
        _count("Re_referrals", "Re-referrals within 12 months of a previous referral", "Referrals",
               lookback=True),
        _pct("Re_referrals_percent", "Percentage of referrals that were re-referrals within 12 months",
             "Re_referrals", "Referrals", "Referrals", lookback=True),
        _count("No_Further_Action", "Referrals which resulted in no further action", "Referrals"),
        _pct("No_Further_Action_percent", "Percentage of referrals which resulted in no further action",
             "No_Further_Action", "Referrals", "Referrals"),
        _count("Not_in_Need", "Referrals assessed and the child assessed not to be in need", "Referrals"),
        _pct("Not_in_Need_percent", "Percentage of referrals where the child was assessed not to be in need",
             "Not_in_Need", "Referrals", "Referrals"),
        _count("Referrals_child", "Children referred in the year", "Children"),
        _rate("Referrals_child", f"Children referred in the year {PER10K}", "Children"),
        _count("Re_referrals_child", "Children re-referred within 12 months of a previous referral",
               "Children", lookback=True),
        _pct("Re_referrals_child_percent", "Percentage of children referred who were re-referred within 12 months",
             "Re_referrals_child", "Referrals_child", "Children", lookback=True),
    ),
    query=sql("c1"),
    status_file="c1",
    headline=("Referrals", "Re_referrals_percent", "Referrals_child"),
    description=(
        "Referrals in the year (each referral counted, a referral reported in two returns counted "
        "once: Longitudinal CIN Dataset), re-referrals within 12 months of a previous referral of "
        "the same child in the same LA (the look-back crosses 1 April into the previous census: "
        "the 2013 figures use the 2011-12 census, and a year whose previous census is not "
        "available shows them as x), "
        "referrals with no further action, referrals assessed as not in need, and children referred."),
    footnotes=("Percentages use referrals (or children referred) as the denominator.",),
))

# C3: published column -> first year the census code existed (x before).
_C3_FIRST = {"Physical_Abuse_child_on_child": 2021, "Physical_Abuse_adult_on_child": 2021,
             "Sexual_Abuse_child_on_child": 2021, "Sexual_Abuse_adult_on_child": 2021,
             "Child_criminal_exploitation": 2022}


def _c3_label(col: str) -> str:
    codes = C3_FACTOR_COLUMNS[col]
    return f"Episodes with factor {col.replace('_', ' ').lower()} ({', '.join(codes)})"


C3 = register(TableSpec(
    release="children-in-need", code="C3",
    title="Factors identified at the end of assessment by local authority",
    file_stem="c3_factors_identified_at_end_of_assessment", geographic_levels=LEVELS,
    first_year=2018,
    filters=(_category("Factors identified at the end of assessment"),),
    indicators=(
        _count("Episodes_with_assessment_factor",
               "Episodes with an assessment factor recorded at the end of assessment", "Total"),
        *(_count(col, _c3_label(col), "Factors", first_year=_C3_FIRST.get(col),
                 zero_base="Episodes_with_assessment_factor")
          for col in C3_FACTOR_COLUMNS),
    ),
    query=sql("c3"),
    status_file="c3",
    headline=("Episodes_with_assessment_factor", "Mental_Health_parent", "Domestic_Abuse_parent"),
    description=(
        "Episodes with an assessment authorised in the year, by each factor identified at the end "
        "of assessment. An episode counts once for each factor recorded on any of those "
        "assessments. *_unknown = codes 18A/19A, *_child_on_child = 18B/19B, *_adult_on_child = "
        "18C/19C (collected from 2021); child criminal exploitation (24A) from 2022."),
    footnotes=("x = not collected in that year.",
               "z = no episodes with an assessment factor in that local authority."),
))

C4 = register(TableSpec(
    release="children-in-need", code="C4",
    title="Section 47s and Initial Child Protection Conferences by local authority",
    file_stem="c4_children_in_need_section_47s_and_icpcs", geographic_levels=LEVELS,
    first_year=2013,
    filters=(_category("Section 47s and Initial Child Protection Conferences"),),
    indicators=(
        _count("Section47", "Section 47 enquiries starting in the year", "Section 47"),
        _count("Section47_child", "Children subject to a section 47 enquiry starting in the year",
               "Section 47"),
        _count("ICPC", "Initial child protection conferences in the year", "ICPC"),
        _count("ICPC_child", "Children subject to an initial child protection conference in the year",
               "ICPC"),
        _count("Duration_0-10_days", "ICPCs held 0 to 10 working days after the section 47 started",
               "Working days from section 47 to ICPC"),
        _count("Duration_11-15_days", "ICPCs held 11 to 15 working days after the section 47 started",
               "Working days from section 47 to ICPC"),
        _count("Duration_16-20_days", "ICPCs held 16 to 20 working days after the section 47 started",
               "Working days from section 47 to ICPC"),
        _count("Duration_21+_days", "ICPCs held 21 or more working days after the section 47 started",
               "Working days from section 47 to ICPC"),
        Indicator("Duration_25th_Percentile", "Working days from section 47 to ICPC, 25th percentile",
                  "percentile", source="icpc_days", q=0.25,
                  grouping="Working days from section 47 to ICPC"),
        Indicator("Duration_median", "Working days from section 47 to ICPC, median",
                  "percentile", source="icpc_days", q=0.5,
                  grouping="Working days from section 47 to ICPC"),
        Indicator("Duration_75th_Percentile", "Working days from section 47 to ICPC, 75th percentile",
                  "percentile", source="icpc_days", q=0.75,
                  grouping="Working days from section 47 to ICPC"),
    ),
    query=sql("c4"),
    distributions={"icpc_days": sql("c4_icpc_days")},
    sums=(("ICPC", ("Duration_0-10_days", "Duration_11-15_days", "Duration_16-20_days",
                    "Duration_21+_days")),),
    status_file="c4",
    headline=("Section47", "ICPC", "Duration_median"),
    description=(
        "Section 47 enquiries starting in the year, initial child protection conferences (ICPCs) "
        "held in the year, children involved, and ICPCs by working days from the start of the "
        "section 47 enquiry to the ICPC. Working days are Monday to Friday; bank holidays are not "
        "excluded. Percentiles use linear interpolation over all ICPCs at each geographic level, "
        "rounded half-up to whole days."),
    footnotes=("z = no ICPCs in the year (percentiles not applicable).",),
))

D3 = register(TableSpec(
    release="children-in-need", code="D3",
    title="Child Protection Plans starting during year which were a second or subsequent plan, by local authority",
    file_stem="d3_cpps_subsequent_plan", geographic_levels=LEVELS, first_year=2013,
    filters=(_category("Child Protection Plans which are a second or subsequent plan"),),
    indicators=(
        _count("CPP_start", "Child protection plans starting in the year"),
        _count("CPP_subsequent", "Plans starting in the year which were a second or subsequent plan"),
        _pct("CPP_subsequent_percent", "Percentage of plans starting which were a second or subsequent plan",
             "CPP_subsequent", "CPP_start"),
    ),
    query=sql("d3"),
    status_file="d3",
    headline=("CPP_start", "CPP_subsequent_percent"),
    description=("Child protection plans starting in the year and those that were a second or "
                 "subsequent plan for the child (NumberOfPreviousCPP greater than 0)."),
))

_D5_BANDS = (
    ("3_months_or_less", "3 months or less"),
    ("more_than_3_months_6_months", "more than 3 months and up to 6 months"),
    ("more_than_6_months_less_than_1_year", "more than 6 months and less than 1 year"),
    ("1_year_less_than_2_years", "1 year and less than 2 years"),
    ("2_years_or_more", "2 years or more"),
)

D5 = register(TableSpec(
    release="children-in-need", code="D5",
    title="Child Protection Plans at 31 March by duration and local authority",
    file_stem="d5_cpps_at31march_by_duration", geographic_levels=LEVELS, first_year=2013,
    filters=(_category("Child Protection Plans by length of time"),),
    indicators=(
        _count("CPP_At31", "Child protection plans at 31 March"),
        *(ind for col, words in _D5_BANDS for ind in (
            _count(col, f"Plans at 31 March open for {words}", "Duration"),
            _pct(f"{col}_percent", f"Percentage of plans at 31 March open for {words}", col,
                 "CPP_At31", "Duration"),
        )),
    ),
    query=sql("d5"),
    sums=(("CPP_At31", tuple(c for c, _ in _D5_BANDS)),),
    status_file="d5",
    headline=("CPP_At31", "3_months_or_less_percent"),
    description=("Child protection plans open at 31 March by time since the plan started, in "
                 "calendar months back from 31 March."),
))
