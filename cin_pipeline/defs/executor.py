"""How the steps of a run execute: one after another, in the run's own process.

Every step that writes the warehouse takes the single ``duckdb`` pool slot (DuckDB allows one
writing process), so the steps of a table run cannot overlap anyway; what Dagster's default
multiprocess executor added was a new Python process per step (about 3 s each to import the
project and Dagster) and a wait for the slot between steps. Rebuilding one release year from the
web UI then took about ten times the same work in the demo. In process, a UI run costs what
the demo costs (``make bench`` prints both). The landing sensor still runs one LA-year return per
run, several runs at a time (``concurrency.runs`` in dagster.yaml), so ingest keeps both cores
busy.
"""

import dagster as dg


@dg.definitions
def executor() -> dg.Definitions:
    return dg.Definitions(executor=dg.in_process_executor)
