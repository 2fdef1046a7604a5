"""C2: completed assessments by duration of assessment, N/R/LA, 2014 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Headline, Indicator, count, la_table, reconstructed

_WD = "Working days from the start of the assessment to its authorisation"
# (column, label) as the 2025 release names them (C2cat25); the 2024 file was not seen
_BANDS = (
    ("Same_day", "Started and finished the same day"),
    ("1-10_days", "1 to 10 days"),
    ("11-20_days", "11 to 20 days"),
    ("21-30_days", "21 to 30 days"),
    ("31-40_days", "31 to 40 days"),
    ("41-45_days", "41 to 45 days"),
    ("46-50_days", "46 to 50 days"),
    ("51-60_days", "51 to 60 days"),
    ("61+_days", "61 or more days"),
)


def _percentile(name: str, words: str, q: float) -> Indicator:
    return Indicator(name, f"{_WD}, {words}", "percentile", source="assessment_days", q=q, grouping=_WD)


TABLE = la_table(
    RELEASE, "C2", "Completed assessments by duration of assessment and local authority",
    "c2_children_in_need_assessments_duration", "Duration of assessment",
    (
        count("Assessments_completed", "Number of assessments in the year"),
        *(count(col, label, _WD) for col, label in _BANDS),
        _percentile("25th_Percentile_days", "25th percentile", 0.25),
        _percentile("Median_days", "median", 0.5),
        _percentile("75th_Percentile_days", "75th percentile", 0.75),
    ),
    first_year=2014,
    # The 2025 release's header (C2cat25: category "Duration of assessment" and these 13
    # indicators, no percentages) is the only one seen; the 2021 file (FIXT21) had the same stem.
    # Whether the 2024 file also carried a rate column is not known, so none is added.
    layout=reconstructed(
        "the 2025 release C2 header (C2cat25, all 13 indicators; published_tables_more.md), "
        "assumed for 2024 since the 2024 file was not seen"),
    distributions={"assessment_days": "SELECT year, la, working_days AS value FROM facts.assessment "
                                      "WHERE completed_in_year AND working_days IS NOT NULL"},
    sums=(("Assessments_completed", tuple(col for col, _ in _BANDS)),),
    # the C2 file is not among the reference files: LAs take the x/u status of C1 (same returns)
    status_from="c1",
    headline=(
        Headline("Assessments_completed", "assessments completed", tile=True),
        Headline("Median_days", "median working days to complete an assessment"),
    ),
    description=(
        "Continuous assessments completed in the year (authorisation date from 1 April to 31 March) "
        "by the number of working days from the assessment's start date to its authorisation date. "
        "Working days are Monday to Friday except England and Wales bank holidays, counted after "
        "the start date up to and including the authorisation date, so an assessment started and "
        "authorised on the same day took 0 working days (Same_day). Each assessment is counted, so "
        "a child with two assessments completed in the year is counted twice. Statutory guidance "
        "expects an assessment to be completed within 45 working days of the referral. "
        "Percentiles use linear interpolation over all assessments at each geographic level, "
        "rounded half-up to whole days."),
    footnotes=(
        "Assessments whose authorisation date is before their start date (validation error 8608) "
        "are not counted.",
        "z = no assessments completed in the year (percentiles not applicable).",
    ),
)
