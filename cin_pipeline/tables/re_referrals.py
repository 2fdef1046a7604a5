"""Declarations of the "Children in need: a focus on re-referrals" release tables (A4, D1, D2, E1).

The filters that split referrals by whether they were re-referrals, and the re-referral counts
and rates, look back 12 months (``lookback=True``): their rows and cells are "x" in a year whose
previous census year is not staged (the Total rows are not).

National, long format, built from the Longitudinal CIN Dataset (``lcd.*``). The queries return
LA-level rows; the EES writer sums them to England (with the same carry-forward configuration as
the LA tables) and adds the ``Total`` filter rows. Filter and indicator column names and labels are
those of the EES data catalogue pages of the 2024 release (published_tables.md section 2).
"""

from __future__ import annotations

from cin_pipeline.tables.registry import Filter, Indicator, TableSpec, register, sql

NATIONAL = ("National",)
REFERRAL_TYPES = ("Initial referral: child not re-referred", "Initial referral: child later re-referred",
                  "Re-referral")
FACTOR_GROUPS = (
    "Alcohol misuse (any)", "Drug misuse (any)", "Domestic abuse (any)", "Mental health (any)",
    "Learning disability (any)", "Physical disability or illness (any)", "Young carer",
    "Privately fostered", "Unaccompanied asylum seeker", "Going missing",
    "Child sexual exploitation", "Trafficking", "Gangs", "Socially unacceptable behaviour",
    "Self-harm", "Neglect", "Emotional abuse", "Physical abuse (any)", "Sexual abuse (any)",
    "Female genital mutilation", "Faith-linked abuse", "Child criminal exploitation",
)
FACTOR_FIRST_YEAR = (("Child criminal exploitation", 2022),)
LEVELS = ("1. No futher action", "2. Assessed as not in need", "3. CINO", "4. s47 Enquiry",
          "5. ICPC", "6. CPP")
LENGTHS = ("3 months or less", "More than 3 months but less than or equal to 6 months",
           "More than 6 months but less than 1 year", "1 year but less than 2 years",
           "2 years and over")

A4 = register(TableSpec(
    release="children-in-need-re-referrals", code="A4", title="A4. Duration of episodes 2017-23",
    file_stem="a4_duration_of_episodes", geographic_levels=NATIONAL, first_year=2017, last_year=2023,
    filters=(
        Filter("reflencat", "Length of Episode", values=LENGTHS + ("Total",), total="Total"),
        Filter("re_referral", "Re-referral", values=("Re-referral", "Not a re-referral", "Total"),
               total="Total", lookback=True),
    ),
    indicators=(
        Indicator("referrals", "Episodes"),
        Indicator("referrals_percent", "Percentage", "percent", unit="%", dp=1,
                  numerator="referrals", denominator="@reflencat"),
    ),
    query=sql("rr_a4"),
    headline=("referrals",),
    description=("Episodes of need by the year of the referral that opened them, by length of "
                 "episode and whether that referral was a re-referral within 12 months. Episodes "
                 "still open are measured to the latest 31 March in the data."),
    footnotes=("Percentages are shares of all episodes in the same re-referral group.",),
))

D1 = register(TableSpec(
    release="children-in-need-re-referrals", code="D1",
    title="D1. Assessment factors associated with referrals",
    file_stem="d1_assessment_factors_associated_with_referrals", geographic_levels=NATIONAL,
    first_year=2017, last_year=2023,
    filters=(
        Filter("assessmentfactor", "Assessment factor", values=FACTOR_GROUPS,
               default=FACTOR_GROUPS[0], value_first_year=FACTOR_FIRST_YEAR),
        Filter("referral_type", "Referral type", values=REFERRAL_TYPES, default="Re-referral",
               lookback=True),
    ),
    indicators=(
        Indicator("referrals", "Referrals"),
        Indicator("caseshare", "Percentage", "percent", unit="%", dp=1, numerator="referrals",
                  denominator="referrals_with_factor"),
    ),
    helpers=("referrals_with_factor",),
    query=sql("rr_d1"),
    headline=("referrals",),
    description=("Referrals by assessment factor group recorded at the end of the assessment that "
                 "followed them, and by referral type (initial referral not re-referred, initial "
                 "referral later re-referred, re-referral)."),
    footnotes=("Excludes referrals with no factors identified; percentages are shares of referrals "
               "of the same type with at least one factor.",),
))

D2 = register(TableSpec(
    release="children-in-need-re-referrals", code="D2",
    title="D2. Re-referral rate by assessment factor",
    file_stem="d2_re_referral_rate_by_assessment_factor", geographic_levels=NATIONAL,
    first_year=2017, last_year=2023,
    filters=(Filter("assessmentfactor", "Assessment factor", values=FACTOR_GROUPS,
                    default=FACTOR_GROUPS[0], value_first_year=FACTOR_FIRST_YEAR),),
    indicators=(
        Indicator("re_referral_rate", "Re-referral Rate", "percent", unit="%", dp=1,
                  numerator="re_referrals", denominator="total_referrals_byAF", lookback=True),
        Indicator("re_referrals", "Re-referrals", lookback=True),
        Indicator("total_referrals_byAF", "Total referrals for assessment factor"),
    ),
    query=sql("rr_d2"),
    headline=("re_referral_rate",),
    description=("Share of referrals with each assessment factor group that were re-referrals "
                 "within 12 months of a previous referral."),
    footnotes=("Excludes referrals with no factors identified.",),
))

E1 = register(TableSpec(
    release="children-in-need-re-referrals", code="E1",
    title="E1. Re-referrals by level of intervention by CSC, 2017-23",
    file_stem="e1_re_referrals_by_level_of_intervention", geographic_levels=NATIONAL,
    first_year=2017,
    filters=(
        Filter("level_description", "Highest level of intervention", values=LEVELS + ("Total",),
               total="Total"),
        Filter("referral_type", "Referral type", values=REFERRAL_TYPES + ("Total",), total="Total",
               lookback=True),
    ),
    indicators=(
        Indicator("referrals", "Referrals"),
        Indicator("referrals_percent", "Percent", "percent", unit="%", dp=1, numerator="referrals",
                  denominator="@level_description"),
    ),
    query=sql("rr_e1"),
    headline=("referrals",),
    description=("Referrals by the highest level of children's social care intervention reached "
                 "(no further action, assessed not in need, child in need other, section 47, ICPC, "
                 "child protection plan) and referral type."),
    footnotes=("Percentages are shares of all referrals of the same referral type.",),
))
