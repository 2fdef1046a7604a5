"""D5: child protection plans open at 31 March by time since the plan started."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Headline, count, exact, la_table, percent

_BANDS = (
    ("3_months_or_less", "3 months or less"),
    ("more_than_3_months_6_months", "more than 3 months and up to 6 months"),
    ("more_than_6_months_less_than_1_year", "more than 6 months and less than 1 year"),
    ("1_year_less_than_2_years", "1 year and less than 2 years"),
    ("2_years_or_more", "2 years or more"),
)

TABLE = la_table(
    RELEASE, "D5", "Child Protection Plans at 31 March by duration and local authority",
    "d5_cpps_at31march_by_duration", "Child Protection Plans by length of time",
    (
        count("CPP_At31", "Child protection plans at 31 March"),
        *(ind for col, words in _BANDS for ind in (
            count(col, f"Plans at 31 March open for {words}", "Duration"),
            percent(f"{col}_percent", f"Percentage of plans at 31 March open for {words}", col,
                    "CPP_At31", "Duration"),
        )),
    ),
    layout=exact("d5_cpps_at31march_by_duration_2013_to_2024.csv, 2024 release"),
    sums=(("CPP_At31", tuple(c for c, _ in _BANDS)),),
    status_from="d5",
    headline=(
        Headline("CPP_At31", "child protection plans at 31 March", tile=True, chart=True,
                 published="cpp_at31"),
        Headline("3_months_or_less_percent", "% plans at 31 March open 3 months or less"),
    ),
    description=("Child protection plans open at 31 March by time since the plan started, in "
                 "calendar months back from 31 March."),
)
