"""The characteristic filters of the national A tables (not a table: discovery skips ``_``
modules). The groups and their values are the facts layer's (``cin_pipeline.facts.CHARACTERISTICS``,
view ``facts.child_characteristic``).

A5 2020 (A5cat20) publishes them as two filters: ``characteristic``, the group ("Gender",
"Unborn", ...), and ``characteristic_type``, the value within it ("Total", "Female", ...)."""

from cin_pipeline.facts import CHARACTERISTICS
from cin_pipeline.tables.declare import Filter


def characteristic_filters(*names: str) -> tuple[Filter, Filter]:
    """``characteristic`` (the named groups of ``CHARACTERISTICS``, in that order) and
    ``characteristic_type`` (each group's values, nested in it). The one Total is the row
    Gender/Total, which the query returns (Filter.total would add up every group)."""
    groups = tuple((g, dict(CHARACTERISTICS)[g]) for g in names)
    values: list[str] = []
    for _, vs in groups:
        values += [v for v in vs if v not in values]
    return (Filter("characteristic", "Characteristic", values=tuple(names),
                   hint="Group of characteristics: Gender/Total is every child"),
            Filter("characteristic_type", "Characteristic Type", values=tuple(values),
                   default="Total", within=groups))
