"""C5: referrals in the year by source of referral, N/R/LA, 2014 onwards.

The query returns long rows (year, la, part, n); the formatter pivots them into the published
count columns of ``parts`` (published column -> census ReferralSource codes)."""

from cin_pipeline.facts import REFERRAL_SOURCE_FIRST_YEAR, REFERRAL_SOURCE_GROUPS
from cin_pipeline.tables.children_in_need import RELEASE
from cin_pipeline.tables.declare import Agreement, Headline, count, la_table, percent, reconstructed

# (published column, label, census codes, first year collected), in the order of the 2020 file
# (its 11 parts sum to Referrals and follow the census codes). The groups are the facts layer's
# (facts.REFERRAL_SOURCE_GROUPS). LA services - early help (5D) is a census code from 2023: shown
# on its own (x before), LA_Services keeps 5A-5C as in 2020.
_COLUMNS = {"Individual": "Individual", "Schools": "Schools", "Education services": "Education_Services",
            "Health services": "Health_Services", "Housing": "Housing", "LA services": "LA_Services",
            "LA services - early help": "LA_Services_Early_Help", "Police": "Police",
            "Other legal agency": "Other_Legal_Agency", "Other": "Other", "Anonymous": "Anonymous",
            "Unknown": "Unknown"}
SOURCES = tuple((_COLUMNS[label], label, codes, dict(REFERRAL_SOURCE_FIRST_YEAR).get(label))
                for label, codes in REFERRAL_SOURCE_GROUPS)

TABLE = la_table(
    RELEASE, "C5", "Referrals to children's social care services by source of referral and local authority",
    "c5_children_in_need_referrals_by_source", "Source of referral",
    (
        count("Referrals", "Number of referrals in the year", "Total"),
        *(ind for col, words, _, first in SOURCES for ind in (
            count(col, f"{words} - number", "Source of referral", first_year=first),
            percent(f"{col}_percent", f"{words} - percentage", col, "Referrals", "Source of referral",
                    first_year=first),
        )),
    ),
    first_year=2014,
    layout=reconstructed(
        "C5 2020 catalogue page (C5cat20: category 'Source of referral', Referrals and 11 sources "
        "in census code order, names Education_Services and Health_Services verified, counts only "
        "in 2020); the other names follow them, a _percent per source (2024 percent columns not "
        "seen), and LA services - early help (code 5D, from 2023) on its own; "
        "published_tables_more.md and published_tables_pass3.md C5"),
    parts=tuple((col, codes) for col, _, codes, _ in SOURCES),
    sums=(("Referrals", tuple(col for col, _, _, _ in SOURCES)),),
    # the C5 file is not among the reference files: LAs take the x/u status of C1 (same referrals)
    status_from="c1",
    agreements=(Agreement("Referrals", "children_in_need.c1", "Referrals"),),
    headline=(
        Headline("Police_percent", "% referrals from the police"),
        Headline("Schools_percent", "% referrals from schools"),
    ),
    description=(
        "Referrals in the year (as C1 Referrals: each referral counted, a referral reported in two "
        "returns counted once) by source of referral: individual (family member, relative or carer, "
        "acquaintance, self, other), schools, education services, health services (GP, health "
        "visitor, school nurse, other primary health services, A&E, other health services), "
        "housing, LA services (social care, other internal, external), LA services - early help "
        "(from 2023), police, other legal agency, other, anonymous, unknown."),
    footnotes=(
        "Source is recorded for each new referral; if there are several on the same day, the first "
        "is recorded.",
        "If a child has more than one referral in a reporting year, each referral is counted.",
        "LA services - early help (census code 5D) was introduced in 2023: x before.",
        "Percentages are of all referrals in the year (Referrals, as in C1).",
    ),
)
