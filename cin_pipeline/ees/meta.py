"""The ``.meta.csv`` of a data file, generated from the declaration."""

from __future__ import annotations

import pandas as pd

from cin_pipeline.tables.declare import TableSpec

META_COLUMNS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
                "indicator_dp", "filter_hint", "filter_grouping_column"]


def filter_default(f) -> str:
    """The default item of a filter without a Total: declared ``default``, else the first value."""
    return f.default or (f.values[0] if f.values else "")


def build_meta(spec: TableSpec) -> pd.DataFrame:
    """The ``.meta.csv``: the 8 required columns (+ ``filter_default`` when a filter has no Total).

    A filter without a ``Total`` item gets ``filter_default`` = its declared ``default``, else its
    first declared value (for the single-valued ``category`` filter of the wide tables: that value),
    so the EES screener's ``filter_defaults`` check finds a default in the data for every filter."""
    rows = []
    need_default = any(not f.total and filter_default(f) for f in spec.filters)
    for f in spec.filters:
        r = {"col_name": f.name, "col_type": "Filter", "label": f.label, "indicator_grouping": "",
             "indicator_unit": "", "indicator_dp": "", "filter_hint": f.hint,
             "filter_grouping_column": f.group_column}
        if need_default:
            r["filter_default"] = "" if f.total else filter_default(f)
        rows.append(r)
    for i in spec.indicators:
        r = {"col_name": i.name, "col_type": "Indicator", "label": i.label,
             "indicator_grouping": i.grouping, "indicator_unit": i.unit,
             "indicator_dp": str(i.dp), "filter_hint": "", "filter_grouping_column": ""}
        if need_default:
            r["filter_default"] = ""
        rows.append(r)
    cols = META_COLUMNS + (["filter_default"] if need_default else [])
    return pd.DataFrame(rows, columns=cols, dtype=object)
