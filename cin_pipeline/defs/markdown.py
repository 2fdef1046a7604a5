"""Markdown for Dagster metadata (``dg.MetadataValue.md``)."""

from __future__ import annotations


_ESCAPES = str.maketrans({"|": "\\|", "*": "\\*", "_": "\\_", "<": "&lt;", ">": "&gt;", "\n": " "})


def cell(value) -> str:
    """A value as Markdown table text that the UI shows as written: a pipe does not end the cell,
    ``*`` and ``_`` are not emphasis, ``<ReferenceDate>`` is not taken for an HTML tag."""
    return "" if value is None else str(value).translate(_ESCAPES)


def markdown_table(columns: list[str], rows: list[tuple], limit: int = 200) -> str:
    """A small Markdown table for Dagster metadata (cells escaped by :func:`cell`)."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows[:limit]:
        out.append("| " + " | ".join(cell(v) for v in r) + " |")
    if len(rows) > limit:
        out.append(f"| … {len(rows) - limit} more rows | " + " | " * (len(columns) - 1))
    return "\n".join(out)
