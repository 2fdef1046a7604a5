"""Section 5 of ``cin-pipeline compare``: the national figures of the re-referrals release that are
known only from EES's data-catalogue pages and the release page.

No data file of "Children in need: a focus on re-referrals" is in the shared references, so the
published national values are the few quoted on the catalogue page of each data set (its example
rows) and the release's headline (``../shared/spec/published_tables.md`` section 2 and
``published_tables_pass3.md`` section 4, keys A4catRR, RR-A6, D1catRR, D2catRR, E1catRR, RR24).
They are listed here, each with its table, year, row (filter values), column and source; the
comparison reads the pipeline's published text of the same national cell. Counts are within
``tol.count`` per cent, percentages within ``tol.percent`` points.

F2's national rows (the median re-referral rate of the LAs with each Ofsted judgement) are not
compared: the catalogue quotes them for 2025 only, and the judgements of a synthetic release are
invented (docs/FIDELITY.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cin_pipeline.tables import get

if TYPE_CHECKING:
    import pandas as pd

    from cin_pipeline.cli.fidelity import Pipeline, Tolerances


@dataclass(frozen=True)
class CatalogueValue:
    table_id: str
    year: int
    row: tuple[tuple[str, str], ...]   # (filter column, value) of the national row
    column: str
    published: float
    source: str


def _v(table_id, year, row, values, source):
    return [CatalogueValue(table_id, year, tuple(row), c, float(p), source) for c, p in values]


_RR = "re_referrals."
_NONE, _LATER, _RE = ("Initial referral: child not re-referred",
                      "Initial referral: child later re-referred", "Re-referral")

VALUES: tuple[CatalogueValue, ...] = tuple(
    # A4, 2017, re-referrals of 3 months or less: 27,400 (38.3%)
    _v(_RR + "a4", 2017, [("reflencat", "3 months or less"), ("re_referral", "Re-referral")],
       [("referrals", 27400), ("referrals_percent", 38.3)], "A4catRR")
    # A6, 2017, re-referrals by primary need at assessment
    + [x for need, n, pct in (("N0 - Not stated", 14150, 9.3), ("N1 - Abuse or neglect", 80200, 52.5),
                              ("N2 - Child's disability or illness", 3680, 2.4),
                              ("N3 - Parent's disability or illness", 3600, 2.4),
                              ("N4 - Family in acute stress", 13540, 8.9))
       for x in _v(_RR + "a6", 2017, [("primaryneed", need), ("re_referral", "Re-referral")],
                   [("referrals", n), ("referrals_percent", pct)], "RR-A6")]
    # D1, 2017, alcohol misuse (any) by referral type
    + [x for rtype, n, pct in ((_NONE, 39460, 14.8), (_LATER, 9730, 14.9), (_RE, 19750, 20.1))
       for x in _v(_RR + "d1", 2017, [("assessmentfactor", "Alcohol misuse (any)"), ("referral_type", rtype)],
                   [("referrals", n), ("caseshare", pct)], "D1catRR")]
    # D2, 2017, re-referral rate by assessment factor
    + [x for factor, values in (
        ("Female genital mutilation", [("re_referral_rate", 12.0), ("re_referrals", 120),
                                       ("total_referrals_byAF", 990)]),
        ("Sexual abuse (any)", [("re_referral_rate", 19.7), ("re_referrals", 5540),
                                ("total_referrals_byAF", 28080)]),
        ("Faith-linked abuse", [("re_referral_rate", 20.0), ("re_referrals", 310),
                                ("total_referrals_byAF", 1530)]),
        ("Trafficking", [("re_referral_rate", 20.1)]),
        ("Physical abuse (any)", [("re_referral_rate", 21.8), ("re_referrals", 14220),
                                  ("total_referrals_byAF", 65180)]))
       for x in _v(_RR + "d2", 2017, [("assessmentfactor", factor)], values, "D2catRR")]
    # E1, 2017, all referrals by highest level of intervention
    + [x for level, n, pct in (("1. No futher action", 141760, 21.6),
                               ("2. Assessed as not in need", 131760, 20.0),
                               ("3. CINO", 218030, 33.2), ("4. s47 Enquiry", 76130, 11.6),
                               ("5. ICPC", 10940, 1.7))
       for x in _v(_RR + "e1", 2017, [("level_description", level), ("referral_type", "Total")],
                   [("referrals", n), ("referrals_percent", pct)], "E1catRR")]
    # the release's headline, 2024: 621,880 referrals, 139,080 of them re-referrals
    + _v(_RR + "a1", 2024, [("referral_type", "Total")], [("referrals", 621880)], "RR24")
    + _v(_RR + "e1", 2024, [("level_description", "Total"), ("referral_type", "Re-referral")],
         [("referrals", 139080)], "RR24")
)

COLUMNS = ["table", "year", "row", "column", "unit", "published", "pipeline", "difference",
           "difference_unit", "within", "source"]


def compare_catalogue(pipeline: Pipeline, tol: Tolerances,
                      values: tuple[CatalogueValue, ...] = VALUES) -> pd.DataFrame:
    """One row per catalogue value whose year the run has (:data:`COLUMNS`). A value the pipeline
    publishes as a symbol (``x``: incomplete look-back; ``c``: suppressed) is listed with
    ``pipeline`` empty and ``within`` False."""
    import pandas as pd

    rows = []
    for v in values:
        spec = get(v.table_id)
        pt = pipeline.table(spec)
        if pt is None or v.year not in pt.years:
            continue
        d = pt.data
        sel = (d["geographic_level"] == "National") & (d["time_period"] == str(v.year))
        for col, value in v.row:
            sel &= d[col] == value
        cells = d.loc[sel, v.column]
        if len(cells) != 1:
            raise ValueError(f"{v.table_id} {v.year} {v.row}: {len(cells)} national rows")
        text = cells.iloc[0]
        percent = spec.indicator(v.column).kind == "percent"
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None:
            diff, within = None, False
        elif percent:
            diff = value - v.published
            within = abs(diff) <= tol.percent + 1e-9
        else:
            diff = 100.0 * (value - v.published) / v.published
            within = abs(diff) <= tol.count + 1e-9
        rows.append([v.table_id.split(".")[-1].upper(), v.year,
                     "; ".join(val for _, val in v.row), v.column, "%" if percent else "count",
                     v.published, value if value is not None else text, diff,
                     "points" if percent else "%", within, v.source])
    return pd.DataFrame(rows, columns=COLUMNS)


def format_catalogue(df: pd.DataFrame) -> str:
    lines = []
    for r in df.itertuples(index=False):
        pct = r.unit == "%"
        pub = f"{r.published:,.1f}" if pct else f"{r.published:,.0f}"
        if isinstance(r.pipeline, float):
            got = f"{r.pipeline:,.1f}" if pct else f"{r.pipeline:,.0f}"
            diff = f"{r.difference:+.1f}{' pts' if pct else '%'}"
        else:
            got, diff = str(r.pipeline), "not comparable"
        lines.append(f"  {r.table:<3} {r.year}  {r.row[:60]:<60}  {r.column:<20} {pub:>9} {got:>9} "
                     f"{diff:>10}{'' if r.within else ' *'}")
    return "\n".join(lines)
