"""One asset per declared table (``cin_pipeline.tables``), key ``[<release group>, <code>]``.

Each asset is partitioned by release year: partition ``2024`` holds the whole time series up to
2024, exactly as published in the 2024 release, and so depends on every census year up to 2024
(:data:`~cin_pipeline.defs.partitions.census_years_up_to_release`) and on the Longitudinal CIN
Dataset. It reads the facts the LCD asset stored for the returns staged now (and refuses to run
when other returns are staged: :func:`cin_pipeline.facts.store.require_current`), attaches the
staged Parquet files only when the table reads a view over a source extract, runs the table's
query, formats it
(:mod:`cin_pipeline.ees`) and replaces that release year's rows of ``publication.<table>`` (the
published text) and ``publication.<table>__unrounded`` (the query's counts, for the exact
checks) in one transaction (pool ``duckdb``). The checks (:mod:`cin_pipeline.defs.checks`)
attach to :func:`table_asset_key`.

Automation: a release year is rebuilt when one of its census years has been re-staged, once the
LCD is no longer being rebuilt, and only when every census year it reads has been staged (so a
new 2024 return rebuilds the 2024 tables, not those of 2025 or 2026, which have no census yet).
"""

import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline import facts
from cin_pipeline.defs.extracts import extract_deps, population_0_17
from cin_pipeline.defs.longitudinal import longitudinal_cin_dataset
from cin_pipeline.defs.partitions import census_years_up_to_release, year_partitions
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.defs.staging import census_year
from cin_pipeline.ees.rows import build_ees
from cin_pipeline.ees.store import store_publication
from cin_pipeline.facts.store import require_current
from cin_pipeline.ingest import attach_staging
from cin_pipeline.ingest.extracts import EXTRACTS, attach_extracts
from cin_pipeline.lcd import staged_signatures
from cin_pipeline.publish.preview import markdown_preview
from cin_pipeline.tables import all_tables
from cin_pipeline.tables.declare import POPULATION, TableSpec

_CENSUS = dg.AssetSelection.assets(census_year)
_LCD = dg.AssetSelection.assets(longitudinal_cin_dataset)

_EXTRACTS = dg.AssetSelection.groups("source_extracts")

TABLE_AUTOMATION = (
    dg.AutomationCondition.any_deps_match(dg.AutomationCondition.newly_updated())
    .allow(_CENSUS | _EXTRACTS).since_last_handled()
    .with_label("a census year or source extract it reads was re-staged")
    & ~dg.AutomationCondition.any_deps_match(dg.AutomationCondition.missing())
    .allow(_CENSUS | _LCD).with_label("a census year it reads is not staged, or the LCD not built")
    & ~dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.in_progress() | dg.AutomationCondition.will_be_requested())
    .with_label("no dependency being rebuilt")
    & ~dg.AutomationCondition.in_progress()
)


def table_asset_key(spec: TableSpec) -> dg.AssetKey:
    """``[<release group>, <code>]``, e.g. ``children_in_need/b1``: the asset and check target."""
    return dg.AssetKey(list(spec.key))


def _reads(spec: TableSpec) -> set[str]:
    """Every warehouse relation the table's queries name."""
    return facts.relations(spec.query + " ".join(spec.distributions.values()))


def sources(spec: TableSpec) -> list[str]:
    """The warehouse relations the table's queries read (``facts.*``, ``lcd.*``, ``clean.*``)."""
    return sorted(r for r in _reads(spec) if not r.startswith("staging."))


def input_deps(spec: TableSpec) -> list[dg.AssetDep]:
    """The table's inputs besides the census years and the LCD: the source extracts its facts
    views read (a partitioned extract by census year up to the release year, as the census) and
    the 0-17 population when it has rates, so every input of a published figure is in its
    lineage."""
    deps = [dg.AssetDep(asset, partition_mapping=census_years_up_to_release if e.year_from_name else None)
            for e, asset in extract_deps(facts.staging_reads(sources(spec)))]
    if any(i.denominator == POPULATION for i in spec.indicators):
        deps.append(dg.AssetDep(population_0_17))
    return deps


def _description(spec: TableSpec) -> str:
    years = ("the release year only" if spec.latest_only else f"{spec.first_year} to "
             + (str(spec.last_year) if spec.last_year else "the release year"))
    fname = f"{spec.file_stem}.csv" if spec.latest_only else f"{spec.file_stem}_{spec.first_year}_to_YYYY.csv"
    return (f"{spec.heading}.\n\n{spec.description}\n\n"
            f"EES file {fname}; "
            f"levels: {', '.join(spec.geographic_levels)}; years {years}. "
            f"Layout: {spec.layout.describe()}. Reads: {', '.join(sources(spec))}.")


_EXTRACT_VIEWS = {f"staging.{e.table}" for e in EXTRACTS}


def build_table_asset(spec: TableSpec) -> dg.AssetsDefinition:
    live = facts.live_reads(_reads(spec))

    @dg.asset(
        key=table_asset_key(spec),
        group_name=spec.group,
        partitions_def=year_partitions,
        deps=[dg.AssetDep(census_year, partition_mapping=census_years_up_to_release),
              longitudinal_cin_dataset, *input_deps(spec)],
        pool="duckdb",
        kinds={"duckdb", "sql"},
        automation_condition=TABLE_AUTOMATION,
        description=_description(spec),
        metadata={"table_id": spec.table_id, "release": spec.release.title,
                  "geographic_levels": ", ".join(spec.geographic_levels),
                  "first_year": spec.first_year,
                  "layout": spec.layout.describe(),
                  "reads": ", ".join(sources(spec)),
                  "query": dg.MetadataValue.md(f"```sql\n{spec.query.strip()}\n```")},
    )
    def _table(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
               cin_paths: CinPaths) -> dg.MaterializeResult:
        release_year = int(context.partition_key)
        t0 = time.perf_counter()
        if not spec.in_release(release_year):
            note = (f"{spec.code} is not part of the {release_year} release: its series starts in "
                    f"{spec.first_year}")
            context.log.info(note)
            return dg.MaterializeResult(metadata={"in_release": False, "notes": note,
                                                  "dagster/row_count": dg.MetadataValue.int(0)})
        paths = cin_paths.paths()
        with duckdb.get_connection() as con:
            # the facts stored by the LCD asset, for exactly the returns staged now
            require_current(con, staged_signatures(paths.staging_dir))
            if live - _EXTRACT_VIEWS:  # a view over clean.* that is not stored
                attach_staging(con, paths.staging_dir, paths.audit_dir)
            elif live:  # a view over a source extract: its staged files only
                attach_extracts(con, paths.staging_dir)
            out = build_ees(con, spec, release_year)
            n = store_publication(con, out)
        for note in out.notes:
            context.log.warning(note)
        headline = out.headline()
        years = spec.years(release_year)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": dg.MetadataValue.int(n),
            "file": out.file_name,
            "years": f"{years[0]}-{years[-1]}",
            "headline": dg.MetadataValue.json(headline),
            **{f"headline_{k}": v for k, v in headline.items()},
            "notes": dg.MetadataValue.md("\n".join(f"* {n}" for n in out.notes) or "none"),
            "preview": dg.MetadataValue.md(markdown_preview(out)),
            "seconds": round(time.perf_counter() - t0, 2),
        })

    return _table


TABLE_ASSETS: list[dg.AssetsDefinition] = [build_table_asset(s) for s in all_tables()]
