"""The blocking asset checks of every table, partitioned by release year like the tables.

What each table gets and how each check runs is :func:`cin_pipeline.checks.plan.plan`; this
module only wraps every :class:`~cin_pipeline.checks.plan.PlannedCheck` as a Dagster asset check
(``partitions_def`` = release years: a check always evaluates exactly one release year, and the
UI shows its result per year). A failed check of severity ERROR fails its step and, being
``blocking``, stops every downstream asset in the same run (the ``publication`` asset depends on
every table); WARN results never block.
"""


import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.checks.plan import ERROR, Outcome, PlannedCheck, plan
from cin_pipeline.defs.partitions import year_partitions
from cin_pipeline.defs.tables import table_asset_key
from cin_pipeline.tables import all_tables, get
from cin_pipeline.tables.declare import TableSpec


def _result(outcome: Outcome, year: int) -> dg.AssetCheckResult:
    meta: dict = {"release_year": year}
    meta |= {k: (dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v)
            for k, v in outcome.metadata.items()}
    if outcome.report:
        meta["report"] = dg.MetadataValue.md(outcome.report)
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.severity == ERROR else dg.AssetCheckSeverity.WARN,
        description=outcome.description, metadata=meta)


def build_check(spec: TableSpec, check: PlannedCheck) -> dg.AssetChecksDefinition:
    deps = [table_asset_key(get(check.other_table))] if check.other_table else None

    @dg.asset_check(asset=table_asset_key(spec), name=check.name, description=check.description,
                    blocking=True, pool="duckdb", partitions_def=year_partitions,
                    additional_deps=deps)
    def _the_check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource) -> dg.AssetCheckResult:
        year = int(context.partition_key)
        if not spec.in_release(year):
            return dg.AssetCheckResult(
                passed=True, metadata={"release_year": year, "in_release": False},
                description=f"{spec.code} is not part of the {year} release (series starts {spec.first_year})")
        with duckdb.get_connection() as con:
            return _result(check.run(con, year), year)

    return _the_check


table_checks: list[dg.AssetChecksDefinition] = [
    build_check(spec, check) for spec in all_tables() for check in plan(spec)]
