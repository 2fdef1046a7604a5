"""The "Children in need: a focus on re-referrals" release: national tables from the
Longitudinal CIN Dataset (each child's referrals linked across censuses within an LA)."""

from cin_pipeline.tables.declare import Filter, Release

RELEASE = Release(
    slug="children-in-need-re-referrals",
    title="Children in need: a focus on re-referrals",
    group="re_referrals",
    summary="Re-referrals to children's social care, national, from the Longitudinal CIN "
            "Dataset (LCD): each child's referrals linked across annual censuses within a "
            "local authority.",
    national_note="These data sets are national only. They come from the Longitudinal CIN "
                  "Dataset, which links each child's records across census years within a local "
                  "authority, so its counts can differ slightly from the same counts in the "
                  "Children in need release, which reads each year's census on its own.",
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
