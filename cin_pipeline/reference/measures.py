"""Which published column feeds which calibration measure.

The calibration targets (``data/reference/calibration_la_year.csv``) and the national figures
(``data/reference/national_published.csv``) are read from the DfE "Children in need" CSV files.
Column names differ between releases (the 2025 release renamed the C1 columns and lower-cased
``awaiting_assessment`` in B1), so every measure is declared here once with the column that holds
it in each release. Column matching is case-insensitive.

``MEASURES`` maps ``measure -> (data set, column in the 2024 release, column in the 2025 release)``.
Data set C4 exists only as the 2025 release (it covers 2013-2025), so its two names are equal.

``C3_FACTOR_COLUMNS`` maps each published C3 column to the census assessment factor code(s)
(``cin_pipeline.census.spec.ASSESSMENT_FACTORS``) it counts. A published column that covers one
code becomes the calibration column ``factor_<code>``; the one column that covers several codes
(``Privately_fostered`` = 8B, 8C, 8D, 8E, 8F) becomes ``factor_privately_fostered``. Factor 21
("No factors identified") is not published in C3.
"""

from __future__ import annotations

# measure -> (data set, 2024-release column, 2025-release column)
MEASURES: dict[str, tuple[str, str, str]] = {
    # C1 referrals and re-referrals
    "referrals": ("c1", "Referrals", "referral_count"),
    "re_referrals": ("c1", "Re_referrals", "rereferral_count"),
    "nfa": ("c1", "No_Further_Action", "no_further_action_count"),
    "not_in_need": ("c1", "Not_in_Need", "not_in_need_count"),
    "referrals_child": ("c1", "Referrals_child", "referral_child_count"),
    "re_referrals_child": ("c1", "Re_referrals_child", "rereferral_child_count"),
    # B1 children in need
    "anypoint_episodes": ("b1", "Anypoint_episodes", "Anypoint_episodes"),
    "anypoint_child": ("b1", "Anypoint_child", "Anypoint_child"),
    "started_episodes": ("b1", "Started_episodes", "Started_episodes"),
    "started_child": ("b1", "Started_child", "Started_child"),
    "ended_episodes": ("b1", "Ended_episodes", "Ended_episodes"),
    "ended_child": ("b1", "Ended_child", "Ended_child"),
    "at31_episodes": ("b1", "At31_episodes", "At31_episodes"),
    "awaiting_assessment": ("b1", "Awaiting_assessment", "awaiting_assessment"),
    # C4 section 47 enquiries and initial child protection conferences (2025 release, 2013-2025)
    "s47": ("c4", "Section47", "Section47"),
    "s47_child": ("c4", "Section47_child", "Section47_child"),
    "icpc": ("c4", "ICPC", "ICPC"),
    "icpc_child": ("c4", "ICPC_child", "ICPC_child"),
    "icpc_0_10": ("c4", "Duration_0-10_days", "Duration_0-10_days"),
    "icpc_11_15": ("c4", "Duration_11-15_days", "Duration_11-15_days"),
    "icpc_16_20": ("c4", "Duration_16-20_days", "Duration_16-20_days"),
    "icpc_21_plus": ("c4", "Duration_21+_days", "Duration_21+_days"),
    # D3 child protection plans starting, second or subsequent
    "cpp_start": ("d3", "CPP_start", "CPP_start"),
    "cpp_subsequent": ("d3", "CPP_subsequent", "CPP_subsequent"),
    # D5 child protection plans at 31 March by duration
    "cpp_at31": ("d5", "CPP_At31", "CPP_At31"),
    "cpp_at31_le3m": ("d5", "3_months_or_less", "3_months_or_less"),
    "cpp_at31_3to6m": ("d5", "more_than_3_months_6_months", "more_than_3_months_6_months"),
    "cpp_at31_6to12m": ("d5", "more_than_6_months_less_than_1_year", "more_than_6_months_less_than_1_year"),
    "cpp_at31_1to2y": ("d5", "1_year_less_than_2_years", "1_year_less_than_2_years"),
    "cpp_at31_2yplus": ("d5", "2_years_or_more", "2_years_or_more"),
    # C3 factors identified at the end of assessment (2018+); factor columns are added below
    "episodes_with_factor": ("c3", "Episodes_with_assessment_factor", "Episodes_with_assessment_factor"),
}

# published C3 column -> census assessment factor code(s)
C3_FACTOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "Alcohol_Misuse_child": ("1A",), "Alcohol_Misuse_parent": ("1B",), "Alcohol_Misuse_person": ("1C",),
    "Drug_Misuse_child": ("2A",), "Drug_Misuse_parent": ("2B",), "Drug_Misuse_person": ("2C",),
    "Domestic_Abuse_child": ("3A",), "Domestic_Abuse_parent": ("3B",), "Domestic_Abuse_person": ("3C",),
    "Mental_Health_child": ("4A",), "Mental_Health_parent": ("4B",), "Mental_Health_person": ("4C",),
    "Learning_Disability_child": ("5A",), "Learning_Disability_parent": ("5B",),
    "Learning_Disability_person": ("5C",),
    "Physical_Disability_child": ("6A",), "Physical_Disability_parent": ("6B",),
    "Physical_Disability_person": ("6C",),
    "Young_Carer": ("7A",),
    "Privately_fostered": ("8B", "8C", "8D", "8E", "8F"),
    "Unaccompanied_asylum_seeker": ("9A",),
    "Going_missing": ("10A",),
    "Child_sexual_exploitation": ("11A",),
    "Trafficking": ("12A",),
    "Gangs": ("13A",),
    "Socially_unacceptable_behaviour": ("14A",),
    "Self_harm": ("15A",),
    "Neglect": ("16A",),
    "Emotional_Abuse": ("17A",),
    "Physical_Abuse_unknown": ("18A",),
    "Physical_Abuse_child_on_child": ("18B",),
    "Physical_Abuse_adult_on_child": ("18C",),
    "Sexual_Abuse_unknown": ("19A",),
    "Sexual_Abuse_child_on_child": ("19B",),
    "Sexual_Abuse_adult_on_child": ("19C",),
    "Female_Genital_Mutilation": ("22A",),
    "Faith_linked_abuse": ("23A",),
    "Child_criminal_exploitation": ("24A",),
    "Other": ("20",),
}


def factor_measure(column: str) -> str:
    """Calibration column name for a published C3 column (``factor_<code>`` or ``factor_<column>``)."""
    codes = C3_FACTOR_COLUMNS[column]
    return f"factor_{codes[0]}" if len(codes) == 1 else f"factor_{column.lower()}"


for _col in C3_FACTOR_COLUMNS:
    MEASURES[factor_measure(_col)] = ("c3", _col, _col)

FACTOR_MEASURE_CODES: dict[str, tuple[str, ...]] = {
    factor_measure(col): codes for col, codes in C3_FACTOR_COLUMNS.items()
}
"""Calibration column -> census factor codes it counts (e.g. ``factor_privately_fostered`` -> 8B..8F)."""

# counts of declared tables with no published file here (so not calibration targets) that the
# generator also counts (cin_pipeline.synth.measure): measure -> (data set, column). B4 and B5, by
# duration band; their LAIT shares are calibration columns (lait_b4_*, lait_b5_*). D4, by initial
# category of abuse.
GENERATOR_MEASURES: dict[str, tuple[str, str]] = {
    **{f"at31_{band}": ("b4", column) for band, column in zip(
        ("le3m", "3to6m", "6to12m", "1to2y", "2yplus"),
        ("3_months_or_less", "more_than_3_months_6_months", "more_than_6_months_less_than_1_year",
         "1_year_less_than_2_years", "2years+"))},
    **{f"ended_{band}": ("b5", column) for band, column in zip(
        ("le3m", "3to6m", "6to12m", "1to2y", "2yplus"),
        ("3_months_or_less", "more_than_3_months_6_months", "more_than_6_months_less_than_1_year",
         "1_year_less_than_2_years", "2years+"))},
    # D7: plans ending in the year, and those that lasted 2 years or more (over 729 days)
    "cpp_end": ("d7", "CPP_End"),
    "cpp_end_2yplus": ("d7", "2_years_or_more"),
    # D4: plans at 31 March by initial category of abuse (national: A6)
    **{f"cpp_at31_{code}": ("d4", f"{stem}_Initial") for code, stem in (
        ("neg", "Neglect"), ("phy", "Physical_abuse"), ("sab", "Sexual_abuse"),
        ("emo", "Emotional_abuse"), ("mul", "Multiple"))},
}

# published national percentages kept in national_published.csv: name -> (data set, 2024 col, 2025 col)
NATIONAL_PERCENTS: dict[str, tuple[str, str, str]] = {
    "re_referrals_percent": ("c1", "Re_referrals_percent", "rereferral_percent"),
    "re_referrals_child_percent": ("c1", "Re_referrals_child_percent", "rereferral_child_percent"),
    "nfa_percent": ("c1", "No_Further_Action_percent", "no_further_action_percent"),
    "not_in_need_percent": ("c1", "Not_in_Need_percent", "not_in_need_percent"),
    "cpp_subsequent_percent": ("d3", "CPP_subsequent_percent", "CPP_subsequent_percent"),
}

# B1 / C1 count columns with a published rate per 10,000 children (2024 release): used for populations
RATE_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("b1", "Anypoint_episodes", "Anypoint_episodes_rate"),
    ("b1", "Anypoint_child", "Anypoint_child_rate"),
    ("b1", "Started_episodes", "Started_episodes_rate"),
    ("b1", "Started_child", "Started_child_rate"),
    ("b1", "Ended_episodes", "Ended_episodes_rate"),
    ("b1", "Ended_child", "Ended_child_rate"),
    ("b1", "At31_episodes", "At31_episodes_rate"),
    ("b1", "Awaiting_assessment", "Awaiting_assessment_rate"),
    ("c1", "Referrals", "Referrals_rate"),
    ("c1", "Referrals_child", "Referrals_child_rate"),
)
