"""The "Children in need: a focus on re-referrals" release: tables from the Longitudinal CIN
Dataset (each child's referrals linked across censuses within an LA), national but F1 (N/R/LA)."""

from cin_pipeline.tables.declare import Filter, Release

RELEASE = Release(
    slug="children-in-need-re-referrals",
    title="Children in need: a focus on re-referrals",
    group="re_referrals",
    summary="Re-referrals to children's social care from the Longitudinal CIN Dataset (LCD): "
            "each child's referrals linked across annual censuses within a local authority. "
            "National, and by region and local authority in F1.",
    national_note="Their figures are for England: the sums of the unrounded local authority "
                  "figures, with no regional or local authority rows.",
    lcd_note="The re-referrals data sets are counted on the Longitudinal CIN Dataset (LCD), which "
             "links each child's records across census years within a local authority: a referral "
             "is counted once, in the year it was made, with its outcome and its previous and next "
             "referrals from every return that holds it. This allows re-referrals to be analysed "
             "over more than a year (A3: within three and five years). DfE notes that LCD "
             "estimates of referrals, children referred, re-referrals and children re-referred "
             "can differ slightly from those of the annual Children in need statistics, which "
             "read each year's census on its own. In this pipeline the Children in need release "
             "counts referrals on the LCD too, so A1, A2, B1 and F1 equal its C1 figures (checked "
             "for every year and geography); other LCD-based figures (A3's 3- and 5-year "
             "re-referrals, A4's episode lengths, D1, D2, E1) have no annual counterpart.",
)

# Filter values shared by the release's tables, in published order.
REFERRAL_TYPES = ("Initial referral: child not re-referred", "Initial referral: child later re-referred",
                  "Re-referral")
CATALOGUE = "EES data catalogue page of the 2024 release (published_tables.md section 2)"
RE_REFERRAL = ("Re-referral", "Not a re-referral", "Total")
"""The ``re_referral`` filter (A4, A5, A6, B2-B5): whether the referral was a re-referral within
12 months of a previous referral, with its Total."""


def re_referral_filter() -> Filter:
    """The ``re_referral`` filter as A4 and A6 publish it (label "Re-referral"); its values but
    Total need the previous census year (12-month look-back)."""
    return Filter("re_referral", "Re-referral", values=RE_REFERRAL, total="Total", lookback=True)
