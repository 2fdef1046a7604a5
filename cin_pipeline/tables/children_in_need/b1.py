"""B1: children in need and episodes of need, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import PER10K, Headline, count, exact, la_table, rate

TABLE = la_table(
    RELEASE, "B1", "Children in need and episodes of need by local authority",
    "b1_children_in_need", "Children in Need",
    (
        count("Anypoint_episodes", "Episodes of need at any point in the year", "At any point"),
        rate("Anypoint_episodes", f"Episodes of need at any point in the year {PER10K}", "At any point"),
        count("Anypoint_child", "Children in need at any point in the year", "At any point"),
        rate("Anypoint_child", f"Children in need at any point in the year {PER10K}", "At any point"),
        count("Started_episodes", "Episodes of need starting in the year", "Starting"),
        rate("Started_episodes", f"Episodes of need starting in the year {PER10K}", "Starting"),
        count("Started_child", "Children starting an episode of need in the year", "Starting"),
        rate("Started_child", f"Children starting an episode of need in the year {PER10K}", "Starting"),
        count("Ended_episodes", "Episodes of need ending in the year", "Ending"),
        rate("Ended_episodes", f"Episodes of need ending in the year {PER10K}", "Ending"),
        count("Ended_child", "Children ending an episode of need in the year", "Ending"),
        rate("Ended_child", f"Children ending an episode of need in the year {PER10K}", "Ending"),
        count("At31_episodes", "Children in need at 31 March", "At 31 March"),
        rate("At31_episodes", f"Children in need at 31 March {PER10K}", "At 31 March"),
        count("Awaiting_assessment",
              "Children awaiting assessment or assessment not required at 31 March", "At 31 March"),
        rate("Awaiting_assessment", f"Children awaiting assessment at 31 March {PER10K}", "At 31 March"),
    ),
    layout=exact("b1_children_in_need_2013_to_2024.csv, 2024 release"),
    sums=(("Anypoint_episodes", ("Ended_episodes", "At31_episodes")),),
    status_from="b1",
    headline=(
        Headline("At31_episodes", "children in need at 31 March", tile=True, chart=True,
                 published="at31_episodes"),
        Headline("At31_episodes_rate", "per 10,000 children (CIN at 31 March)", tile=True),
        Headline("Anypoint_child", "children in need at any point in the year"),
        Headline("Started_episodes", "episodes of need starting in the year", published="started_episodes"),
    ),
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
)
