"""The blocking asset checks of every table, partitioned by release year like the tables.

What each table gets and how each check runs is :func:`cin_pipeline.checks.plan.plan`; this
module wraps the :class:`~cin_pipeline.checks.plan.PlannedCheck` objects of each table as the
Dagster asset checks of one step (``partitions_def`` = release years: a check always evaluates
exactly one release year, and the UI shows its result per year). A failed check of severity ERROR fails its step and, being
``blocking``, stops every downstream asset in the same run (the ``publication`` asset depends on
every table); WARN results never block.
"""


import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.checks.plan import ERROR, Outcome, PlannedCheck, TableReader, plan
from cin_pipeline.defs.partitions import year_partitions
from cin_pipeline.defs.tables import table_asset_key
from cin_pipeline.tables import all_tables, get
from cin_pipeline.tables.declare import TableSpec


def _result(outcome: Outcome, year: int, key: dg.AssetKey, name: str) -> dg.AssetCheckResult:
    meta: dict = {"release_year": year}
    meta |= {k: (dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v)
            for k, v in outcome.metadata.items()}
    if outcome.report:
        meta["report"] = dg.MetadataValue.md(outcome.report)
    return dg.AssetCheckResult(
        asset_key=key, check_name=name, passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.severity == ERROR else dg.AssetCheckSeverity.WARN,
        description=outcome.description, metadata=meta)


def _not_in_release(spec: TableSpec, year: int) -> str:
    return f"{spec.code} is not part of the {year} release (series starts {spec.first_year})"


def no_year_message(spec: TableSpec) -> str:
    """Why a check run without a release year is refused (it evaluates nothing, so it can neither
    fail nor pass a year, and the publication of no year is held by it)."""
    return (f"The checks of {spec.table_id} evaluate one release year at a time and this run has "
            "none, so nothing was checked and no year's result changed. Launch the check for a "
            "release year: pick a partition (e.g. 2024) in the launch dialog, or materialise the "
            "table's partition with its checks.")


def build_checks(spec: TableSpec, checks: list[PlannedCheck] | None = None) -> dg.AssetChecksDefinition:
    """Every planned check of one table (default :func:`plan`) as one step.

    One step per table, not per check: a step costs a process start in the UI's default
    multiprocess execution and a pool claim either way, and a table has up to a dozen checks.
    The step can be subset (the UI runs a single check on its own), each check still has its own
    key, result, severity and blocking flag, and a check that raises is reported as a failed
    ERROR result naming the error, so the table's other checks still run and nothing is
    published."""
    checks = plan(spec) if checks is None else checks
    key = table_asset_key(spec)
    specs = [dg.AssetCheckSpec(
        c.name, asset=key, description=c.description, blocking=True, partitions_def=year_partitions,
        additional_deps=[table_asset_key(get(c.other_table))] if c.other_table else None)
        for c in checks]

    @dg.multi_asset_check(specs=specs, name=f"{spec.group}_{spec.code.lower()}_checks", can_subset=True,
                          pool="duckdb", description=f"The blocking checks of {spec.table_id}.")
    def _checks(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
        if not (context.has_partition_key or context.has_partition_key_range):  # "Execute", no year picked
            raise dg.Failure(description=no_year_message(spec))
        year = int(context.partition_key)
        wanted = [c for c in checks if dg.AssetCheckKey(key, c.name) in context.selected_asset_check_keys]
        if not spec.in_release(year):
            for c in wanted:
                yield dg.AssetCheckResult(asset_key=key, check_name=c.name, passed=True,
                                          metadata={"release_year": year, "in_release": False},
                                          description=_not_in_release(spec, year))
            return
        with duckdb.get_connection() as con:
            reader = TableReader(con)  # each table's rows read once for the step's checks
            for c in wanted:
                try:
                    outcome = c.run(reader, year)
                except Exception as exc:  # reported as this check's failure, not the step's
                    outcome = Outcome(False, f"{c.name} could not run: {type(exc).__name__}: {exc}")
                yield _result(outcome, year, key, c.name)

    return _checks


table_checks: list[dg.AssetChecksDefinition] = [build_checks(spec) for spec in all_tables()]
