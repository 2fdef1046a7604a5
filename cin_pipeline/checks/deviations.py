"""Known, accepted deviations of our EES files from the screener: the ONE place they are recorded.

We publish the 2024 layout exactly as DfE did (wide files with a constant ``category`` filter
and the published, capitalised indicator names), so our files get the same screener outcome as
the real published files. Run on the real 2024 D3 the official screener FAILS only
``filter_not_singular`` and WARNS only on ``col_snake_case`` and ``col_var_start``; B1, C1, C3 and
D5 get the same three, and C3 also FAILS ``col_ind_smushed`` (``Female_Genital_Mutilation``
contains "male"). These are recorded below; anything else is a real finding.

A screener result is accepted (turned into PASS, with the reason and the original result kept)
when the deviation names its check and result, applies to the table, and every flagged item is
among the deviation's items (``items=None``: any column; the check's other FAIL checks, e.g.
``col_names_spaces``, still catch really bad names).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Deviation:
    check: str                           # screener check name
    result: str                          # the result accepted: "FAIL" or "WARNING"
    reason: str
    items: tuple[str, ...] | None = None  # flagged items allowed; None = any
    tables: tuple[str, ...] | None = None  # table ids (TableSpec.table_id); None = every wide table
    layout: str = "wide"                 # "wide" (constant category filter) or "any"


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation("filter_not_singular", "FAIL",
              "published 2024 layout keeps the single-valued 'category' filter column",
              items=("category",)),
    Deviation("col_snake_case", "WARNING",
              "published 2024 column names are capitalised (e.g. CPP_start, Re_referrals)"),
    Deviation("col_var_start", "WARNING",
              "published 2024 column names start with a capital or a digit (e.g. 3_months_or_less)"),
    Deviation("col_ind_smushed", "FAIL",
              "published C3 indicator Female_Genital_Mutilation contains the word 'male'",
              items=("Female_Genital_Mutilation",), tables=("c3",)),
)


def deviations_for(table_id: str | None = None, wide: bool = True) -> list[Deviation]:
    """The deviations that apply to one table (``table_id`` None: any table, e.g. a published file
    screened on its own)."""
    out = []
    for d in DEVIATIONS:
        if d.layout == "wide" and not wide:
            continue
        if d.tables is not None and table_id is not None and table_id not in d.tables:
            continue
        if d.tables is not None and table_id is None:
            continue
        out.append(d)
    return out


def _matches(d: Deviation, result) -> bool:
    if d.check != result.check or d.result != result.result:
        return False
    return d.items is None or set(result.items) <= set(d.items)


def apply_deviations(results: Sequence, deviations: Iterable[Deviation]):
    """Return ``results`` with every result fully covered by a deviation turned into PASS."""
    devs = list(deviations)
    out = []
    for r in results:
        d = next((d for d in devs if _matches(d, r)), None)
        if d is not None:
            r = replace(r, result="PASS", deviation=d.reason, original_result=r.result)
        out.append(r)
    return out
