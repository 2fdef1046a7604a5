"""Section 5 of ``cin-pipeline compare``: the national figures known only from EES's data-catalogue
pages and release pages, for the tables that have no published data file in the shared references.

* "Children in need: a focus on re-referrals": no data file of the release is in the shared
  references, so the published national values are the few quoted on the catalogue page of each
  data set (its example rows) and the release's headline (``../shared/spec/published_tables.md``
  section 2 and ``published_tables_pass3.md`` section 4, keys A4catRR, RR-A6, D1catRR, D2catRR,
  E1catRR, RR24).
* "Children in need", national time series A4, A5 and A6: the example rows of their 2020
  catalogue pages (``published_tables_more.md``, A4cat20, A5cat20, A6cat20: A4 and A5 for
  2020, A6 for 2016-2020). A4's second count (ethnicity known) and the order of its ethnic groups
  are read from the values (marked [I] there); A5's suppressed cells (``c``) are left out.

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


_RR, _CIN = "re_referrals.", "children_in_need."
_A4_COLUMNS = ("CIN_At31", "Ethnicity_Known", "Ethnicity_White", "Ethnicity_Mixed",
               "Ethnicity_Asian_or_Asian_British", "Ethnicity_Black_or_Black_British",
               "Ethnicity_Other_ethnic_groups")
_A5_COLUMNS = ("CPP_At31", "Neglect_Initial", "Physical_Abuse_Initial", "Sexual_Abuse_Initial",
               "Emotional_Abuse_Initial", "Multiple_Initial")
_A6_COLUMNS = ("CPP_At31", "Neglect_Initial", "Physical_abuse_Initial", "Sexual_abuse_Initial",
               "Emotional_abuse_Initial", "Multiple_Initial")
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
    # CIN A4, 2020: children in need at 31 March by gender (and unborn) and major ethnic group
    + [x for row, values in (
        ("Total", (389260, 373790, 268070, 32940, 27650, 32260, 12870)),
        ("Female", (172030, 166290, 123210, 15010, 11570, 12680, 3830)),
        ("Male", (209430, 203200, 141580, 17510, 15850, 19330, 8930)),
        ("Unknown or Indeterminate gender", (930, 700, 520, 50, 60, 60, 20)),
        ("Unborn", (6860, 3590, 2760, 370, 180, 190, 90)))
       for x in _v(_CIN + "a4", 2020, [("characteristic", row)], zip(_A4_COLUMNS, values), "A4cat20")]
    # CIN A5, 2020: child protection plans at 31 March by gender (and unborn) and initial category
    + [x for group, row, values in (
        ("Gender", "Total", (51510, 26010, 3820, 1970, 18380, 1330)),
        ("Gender", "Female", (24480, 12080, 1670, 1170, 8950, 610)),
        ("Gender", "Male", (25740, 13050, 2050, 770, 9170, 690)),
        ("Gender", "Unknown/Indeterminate gender", (70, 40, 10, None, 20, None)),
        ("Unborn", "Unborn", (1220, 850, 90, 20, 240, 20)))
       for x in _v(_CIN + "a5", 2020, [("characteristic", group), ("characteristic_type", row)],
                   [(c, n) for c, n in zip(_A5_COLUMNS, values) if n is not None], "A5cat20")]
    # CIN A6, 2016-2020: child protection plans at 31 March by initial category of abuse
    + [x for year, values in ((2020, (51510, 26010, 3820, 1970, 18380, 1330)),
                              (2019, (52260, 25330, 4170, 2230, 18460, 2070)),
                              (2018, (53790, 25820, 4120, 2180, 18860, 2820)),
                              (2017, (51080, 24590, 3950, 2260, 17280, 3010)),
                              (2016, (50310, 23150, 4200, 2370, 17770, 2810)))
       for x in _v(_CIN + "a6", year, [], zip(_A6_COLUMNS, values), "A6cat20")]
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
