"""cin_pipeline: England's Children in need statistics from the CIN census, as a Dagster project."""

__version__ = "0.1.0"
