"""Markdown for Dagster metadata (``dg.MetadataValue.md``)."""

from __future__ import annotations


def markdown_table(columns: list[str], rows: list[tuple], limit: int = 200) -> str:
    """A small Markdown table for Dagster metadata."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows[:limit]:
        out.append("| " + " | ".join("" if v is None else str(v) for v in r) + " |")
    if len(rows) > limit:
        out.append(f"| … {len(rows) - limit} more rows | " + " | " * (len(columns) - 1))
    return "\n".join(out)
