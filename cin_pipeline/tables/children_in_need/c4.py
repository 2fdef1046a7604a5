"""C4: section 47 enquiries and initial child protection conferences, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Headline, Indicator, count, exact, la_table, rate

_WD = "Working days from section 47 to ICPC"
_BANDS = (("Duration_0-10_days", "0 to 10"), ("Duration_11-15_days", "11 to 15"),
          ("Duration_16-20_days", "16 to 20"), ("Duration_21+_days", "21 or more"))

TABLE = la_table(
    RELEASE, "C4", "Section 47s and Initial Child Protection Conferences by local authority",
    "c4_children_in_need_section_47s_and_icpcs", "Section 47s and Initial Child Protection Conferences",
    (
        count("Section47", "Section 47 enquiries starting in the year", "Section 47"),
        rate("Section47", "Section 47 enquiries starting in the year - rate per 10,000 children",
             "Section 47"),
        count("Section47_child", "Children subject to a section 47 enquiry starting in the year",
              "Section 47"),
        rate("Section47_child", "Children subject to a section 47 enquiry starting in the year - "
             "rate per 10,000 children", "Section 47"),
        count("ICPC", "Initial child protection conferences in the year", "ICPC"),
        rate("ICPC", "Initial child protection conferences in the year - rate per 10,000 children",
             "ICPC"),
        count("ICPC_child", "Children subject to an initial child protection conference in the year",
              "ICPC"),
        rate("ICPC_child", "Children subject to an initial child protection conference in the year - "
             "rate per 10,000 children", "ICPC"),
        *(count(col, f"ICPCs held {words} working days after the section 47 started", _WD)
          for col, words in _BANDS),
        Indicator("Duration_25th_Percentile", f"{_WD}, 25th percentile", "percentile",
                  source="icpc_days", q=0.25, grouping=_WD),
        Indicator("Duration_median", f"{_WD}, median", "percentile", source="icpc_days", q=0.5,
                  grouping=_WD),
        Indicator("Duration_75th_Percentile", f"{_WD}, 75th percentile", "percentile",
                  source="icpc_days", q=0.75, grouping=_WD),
    ),
    # The 2023 release's header (C4cat23) carries the four rate columns; the 2025 file dropped
    # them. The 2024 file was not seen; the issue and LAIT (2024-vintage S47 and ICPC rates for
    # every year) say it carries them, so the 2023 header is used. The 2025 file gives the rest
    # of the names (identical to 2023's) and the values the fidelity comparison uses.
    layout=exact("c4_children_in_need_section_47s_and_icpcs_2013_to_2023.csv, 2023 release "
                 "header with the four _rate columns (C4cat23, published_tables_pass3.md); the "
                 "2025 release file has the same columns without the rates"),
    distributions={"icpc_days": "SELECT year, la, working_days AS value FROM facts.icpc "
                                "WHERE working_days IS NOT NULL"},
    sums=(("ICPC", tuple(col for col, _ in _BANDS)),),
    status_from="c4",
    headline=(
        Headline("Section47", "section 47 enquiries", tile=True, published="s47"),
        Headline("ICPC", "initial child protection conferences", published="icpc"),
        Headline("Duration_median", "median working days from section 47 to ICPC"),
    ),
    description=(
        "Section 47 enquiries starting in the year, initial child protection conferences (ICPCs) "
        "held in the year, children involved, and ICPCs by working days from the start of the "
        "section 47 enquiry to the ICPC. Working days are Monday to Friday except England and "
        "Wales bank holidays. Rates are per 10,000 children aged 0 to 17. Percentiles use "
        "linear interpolation over all ICPCs at each geographic level, "
        "rounded half-up to whole days."),
    footnotes=("z = no ICPCs in the year (percentiles not applicable).",),
)
