"""C1: referrals and re-referrals, N/R/LA, 2013 onwards."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import PER10K, Headline, count, exact, la_table, percent, rate

TABLE = la_table(
    RELEASE, "C1", "Referrals and re-referrals to children's social care services by local authority",
    "c1_children_in_need_referrals_and_rereferrals", "Referrals and Re-referrals",
    (
        count("Referrals", "Referrals in the year", "Referrals"),
        rate("Referrals", f"Referrals in the year {PER10K}", "Referrals"),
        count("Re_referrals", "Re-referrals within 12 months of a previous referral", "Referrals",
              lookback=True),
        percent("Re_referrals_percent", "Percentage of referrals that were re-referrals within 12 months",
                "Re_referrals", "Referrals", "Referrals", lookback=True),
        count("No_Further_Action", "Referrals which resulted in no further action", "Referrals"),
        percent("No_Further_Action_percent", "Percentage of referrals which resulted in no further action",
                "No_Further_Action", "Referrals", "Referrals"),
        count("Not_in_Need", "Referrals assessed and the child assessed not to be in need", "Referrals"),
        percent("Not_in_Need_percent", "Percentage of referrals where the child was assessed not to be in need",
                "Not_in_Need", "Referrals", "Referrals"),
        count("Referrals_child", "Children referred in the year", "Children"),
        rate("Referrals_child", f"Children referred in the year {PER10K}", "Children"),
        count("Re_referrals_child", "Children re-referred within 12 months of a previous referral",
              "Children", lookback=True),
        percent("Re_referrals_child_percent",
                "Percentage of children referred who were re-referred within 12 months",
                "Re_referrals_child", "Referrals_child", "Children", lookback=True),
    ),
    layout=exact("c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv, 2024 release"),
    status_from="c1",
    headline=(
        Headline("Referrals", "referrals in the year", tile=True, chart=True, published="referrals"),
        Headline("Re_referrals_percent", "% re-referrals within 12 months", tile=True, chart=True,
                 published="re_referrals_percent"),
        Headline("Referrals_child", "children referred in the year", published="referrals_child"),
        Headline("No_Further_Action_percent", "% referrals with no further action", published="nfa_percent"),
        Headline("Not_in_Need_percent", "% referrals assessed not in need",
                 published="not_in_need_percent"),
    ),
    description=(
        "Referrals in the year (each referral counted, a referral reported in two returns counted "
        "once: Longitudinal CIN Dataset), re-referrals within 12 months of a previous referral of "
        "the same child in the same LA (the look-back crosses 1 April into the previous census: "
        "the 2013 figures use the 2011-12 census, and a year whose previous census is not "
        "available shows them as x), "
        "referrals with no further action, referrals assessed as not in need, and children referred."),
    footnotes=("Percentages use referrals (or children referred) as the denominator.",),
)
