"""``longitudinal_cin_dataset`` (group ``longitudinal``): the LCD over every staged year.

One unpartitioned asset: each child's records are linked across census years within an LA, so a
resubmission of any LA-year can change rows of other years of that LA, but of no other LA. The
asset therefore rebuilds only the LAs whose staged files changed since its last build
(``lcd.build_state``), and everything when there is no state or the LCD SQL changed. The SQL is
in ``cin_pipeline/lcd``.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.defs.census_extract import census_return
from cin_pipeline.defs.markdown import markdown_table
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.defs.staging import EAGER_IGNORING_MISSING
from cin_pipeline.facts.store import materialise
from cin_pipeline.ingest import attach_staging
from cin_pipeline.ingest.warehouse import clean_of
from cin_pipeline.lcd import build_lcd, changed_las, staged_signatures, stored_state


@dg.asset(
    group_name="longitudinal",
    deps=[dg.AssetDep(census_return, partition_mapping=dg.AllPartitionMapping())],
    pool="duckdb",
    kinds={"duckdb", "sql"},
    automation_condition=EAGER_IGNORING_MISSING,
    description="Longitudinal CIN Dataset: schema lcd (child, referral, referral_factor, episode), "
                "every staged census year linked by (la, child_id); then the facts every table "
                "reads, stored as tables for the same returns (schema facts). See "
                "docs/DEFINITIONS.md.",
)
def longitudinal_cin_dataset(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, cin_paths: CinPaths
) -> dg.MaterializeResult:
    paths = cin_paths.paths()
    with duckdb.get_connection() as con:
        attach_staging(con, paths.staging_dir, paths.audit_dir)  # views over the latest Parquet
        # signatures first: a file replaced during the build is picked up by the next run
        signatures = staged_signatures(paths.staging_dir)
        las = changed_las(stored_state(con), signatures)
        if las:  # a few LAs: read only their staged files, not every file's statistics
            with clean_of(con, paths.staging_dir, las) as src:
                info = build_lcd(con, src=src, las=las, state=signatures)
        else:
            info = build_lcd(con, las=las, state=signatures)
        # the facts every table reads, stored once for these returns (cin_pipeline.facts.store)
        stored = materialise(con, signatures, paths.staging_dir)
        by_year = con.execute("""
            SELECT year, count(*) AS referrals, count(DISTINCT la || '/' || child_id) AS children,
                   count(*) FILTER (WHERE rereferral_12m) AS rereferrals_12m,
                   round(100.0 * count(*) FILTER (WHERE rereferral_12m) / count(*), 1) AS pct_12m,
                   count(*) FILTER (WHERE rereferral_3y) AS rereferrals_3y,
                   count(*) FILTER (WHERE rereferral_5y) AS rereferrals_5y
            FROM lcd.referral GROUP BY year ORDER BY year""").fetchall()
        years = con.execute("SELECT min(first_year), max(last_year) FROM lcd.child").fetchone()
    rows = info["rows"]
    rebuilt = info["las"]
    scope = "all LAs" if rebuilt is None else f"{len(rebuilt)} LA(s): {', '.join(rebuilt) or 'none'}"
    context.log.info(f"LCD rebuilt for {scope}: {rows} in {sum(info['seconds'].values()):.1f}s")
    fscope = "all LAs" if stored["las"] is None else f"{len(stored['las'])} LA(s)"
    context.log.info(f"facts stored for {fscope} in {stored['seconds']:.1f}s")
    return dg.MaterializeResult(metadata={
        "build": "full" if rebuilt is None else "incremental",
        "rebuilt_las": dg.MetadataValue.json(sorted(signatures) if rebuilt is None else rebuilt),
        "n_rebuilt_las": dg.MetadataValue.int(len(signatures) if rebuilt is None else len(rebuilt)),
        **{f"rows_{t}": dg.MetadataValue.int(int(n)) for t, n in rows.items()},
        "years": f"{years[0]}-{years[1]}" if years[0] else "none",
        "referrals_by_year": dg.MetadataValue.md(markdown_table(
            ["referral year", "referrals", "children", "re-referrals 12m", "%", "3y", "5y"], by_year)),
        "sql_seconds": dg.MetadataValue.json(info["seconds"]),
        "facts_build": "full" if stored["las"] is None else f"incremental ({len(stored['las'])} LAs)",
        "facts_seconds": stored["seconds"],
        "facts_rows": dg.MetadataValue.json(stored["rows"]),
        "facts_seconds_by_fact": dg.MetadataValue.json(stored["seconds_by_fact"]),
    })
