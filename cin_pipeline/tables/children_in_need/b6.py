"""B6: episodes of need ending in the year by reason for closure, N/R/LA, 2013 onwards.

The query returns long rows (year, la, part, n); the formatter pivots them into the published
count columns of ``parts`` (published column -> census ReasonForClosure code)."""

from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Agreement, Headline, count, la_table, percent, reconstructed

# (published column, DfE label, census code, first year collected). RC1_Adopted and RC2_Died are
# the published 2020 names; the others follow them (RC<n>_<words>, at most 50 characters with
# _percent). RC8/RC9 close an episode of need only when it is not "assessed not in need" (e.g. a
# CIN plan followed the assessment); RC9 was added to the census in 2023 (x before).
REASONS = (
    ("RC1_Adopted", "RC1 - Adopted", "RC1", None),
    ("RC2_Died", "RC2 - Died", "RC2", None),
    ("RC3_Child_arrangements_order", "RC3 - Child arrangements order", "RC3", None),
    ("RC4_Special_guardianship_order", "RC4 - Special guardianship order", "RC4", None),
    ("RC5_Transferred_to_another_LA", "RC5 - Transferred to services of another local authority", "RC5", None),
    ("RC6_Transferred_to_adult_social_care", "RC6 - Transferred to adult social care services", "RC6", None),
    ("RC7_Services_ceased_for_any_other_reason",
     "RC7 - Services ceased for any other reason, including child no longer in need", "RC7", None),
    ("RC8_Closed_after_assessment_NFA", "RC8 - Case closed after assessment, no further action", "RC8", None),
    ("RC9_Closed_after_assessment_early_help",
     "RC9 - Case closed after assessment, referred to early help", "RC9", 2023),
)

TABLE = la_table(
    RELEASE, "B6", "Episodes of need ending during year by reason for closure and local authority",
    "b6_children_in_need_reason_for_closure", "Reason for episode closure",
    (
        count("Ended_episodes", "Number of episodes of need ending in the year", "Total"),
        *(ind for col, words, _, first in REASONS for ind in (
            count(col, f"{words} - Number", "Reason for closure", first_year=first),
            percent(f"{col}_percent", f"{words} - Percentage", col, "Ended_episodes",
                    "Reason for closure", first_year=first),
        )),
    ),
    layout=reconstructed(
        "B6 2020 catalogue page (B6cat20: category 'Reason for episode closure', 17 variables, of "
        "which Ended_episodes, RC1_Adopted, RC1_Adopted_percent, RC2_Died, RC2_Died_percent and "
        "the label style 'RC1 - Adopted - Number' are verified: Ended_episodes and 8 pairs, RC1-RC8 "
        "then); the other names follow RC1_Adopted, RC9 (collected from 2023) added; "
        "published_tables_pass3.md B6"),
    parts=tuple((col, (code,)) for col, _, code, _ in REASONS),
    sums=(("Ended_episodes", tuple(col for col, _, _, _ in REASONS)),),
    # the B6 file is not among the reference files: LAs take the x/u status of B1 (same returns)
    status_from="b1",
    agreements=(Agreement("Ended_episodes", "children_in_need.b1", "Ended_episodes"),),
    headline=(
        Headline("RC7_Services_ceased_for_any_other_reason_percent",
                 "% episodes ending because services ceased for any other reason"),
        Headline("RC5_Transferred_to_another_LA_percent",
                 "% episodes ending by transfer to another local authority"),
    ),
    description=(
        "Episodes of need ending in the year (closure date in the year, as B1 Ended_episodes) by "
        "the reason for closure recorded in that year's return: the reason the local authority "
        "stopped providing services to the child. Referrals with no further action and referrals "
        "assessed as not in need (closed RC8 or RC9 after an assessment with no CIN plan, section 47 "
        "enquiry or child protection plan) are not episodes of need, so RC8 and RC9 count only "
        "episodes closed with those codes after further activity (or without an assessment)."),
    footnotes=(
        "Reason for closure is the reason the local authority stops providing services to the child.",
        "Percentages are of all episodes of need ending in the year (Ended_episodes, as in B1).",
        "RC9 (case closed after assessment, referred to early help) was introduced in 2023: x before.",
    ),
)
