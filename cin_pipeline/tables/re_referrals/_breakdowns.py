"""The B2-B5 tables (not a table: discovery skips ``_`` modules): referrals by one characteristic
of the child (``facts.referral_child``) and by re-referral, each value's share of the referrals in
the same re-referral group. Their Total rows are A1's referrals and re-referrals."""

from cin_pipeline.tables.declare import (Agreement, Filter, Headline, Indicator, TableSpec, national_table,
                                         reconstructed)
from cin_pipeline.tables.re_referrals import RELEASE, re_referral_filter

_A1 = "re_referrals.a1"


def referrals_by(code: str, subject: str, file_stem: str, column: str, label: str,
                 values: tuple[str, ...], description: str, footnotes: tuple[str, ...] = (),
                 recorded: str = "at 31 March of the year (as recorded in that year's census return)",
                 layout_note: str = "") -> TableSpec:
    """Referrals by ``column`` (its ``values``, then Total) and ``re_referral``; ``recorded``
    says where the characteristic comes from."""
    total = ((column, "Total"), ("re_referral", "Total"))
    return national_table(
        RELEASE, code, f"Referrals by {subject}", file_stem,
        filters=(Filter(column, label, values=values + ("Total",), total="Total"), re_referral_filter()),
        indicators=(
            Indicator("referrals", "Referrals"),
            Indicator("referrals_percent", "Percentage", "percent", unit="%", dp=1,
                      numerator="referrals", denominator=f"@{column}"),
        ),
        first_year=2017,
        layout=reconstructed(
            f"no {code} header seen (published_tables.md section 2: '... by {subject}', title from "
            "the brief); the layout of the release's A6 (exact: a breakdown x re_referral, "
            f"referrals, referrals_percent) with {subject} "
            + (layout_note or "as the Children in need release publishes it")),
        agreements=(
            Agreement("referrals", _A1, "referrals", rows=total, other_rows=(("referral_type", "Total"),)),
            Agreement("referrals", _A1, "referrals", rows=((column, "Total"), ("re_referral", "Re-referral")),
                      other_rows=(("referral_type", "Re-referral"),)),
        ),
        headline=(Headline("referrals_percent", f"% of re-referrals by {subject} (first {code} row)"),),
        description=(f"Referrals in the year by the child's {subject} {recorded} and whether the "
                     "referral was a "
                     "re-referral within 12 months of a previous referral (Longitudinal CIN "
                     f"Dataset). {description}"),
        footnotes=footnotes + (
            "Percentages are shares of all referrals in the same re-referral group.",
            "The Total rows are the referrals and re-referrals of A1 (and of the Children in need "
            "release, C1)."),
    )
