"""Named jobs: what the landing sensor launches, and convenient selections for the UI/demo/bench."""

import dagster as dg

from cin_pipeline.defs.census_extract import census_return
from cin_pipeline.defs.longitudinal import longitudinal_cin_dataset
from cin_pipeline.defs.staging import census_year, data_quality_summary

census_extract_job = dg.define_asset_job(
    "census_extract_job",
    selection=dg.AssetSelection.assets(census_return),
    tags={"cin/stage": "census_extract"},
    description="Ingest LA-year returns (the landing sensor asks for one run per file version).",
)

staging_job = dg.define_asset_job(
    "staging_job",
    selection=dg.AssetSelection.assets(census_year, data_quality_summary),
    tags={"cin/stage": "staging"},
    description="Refresh the warehouse views and data-quality summary for a range of years.",
)

lcd_job = dg.define_asset_job(
    "lcd_job",
    selection=dg.AssetSelection.assets(longitudinal_cin_dataset),
    tags={"cin/stage": "longitudinal"},
    description="Rebuild the Longitudinal CIN Dataset.",
)


release_tables_job = dg.define_asset_job(
    "release_tables_job",
    selection=dg.AssetSelection.groups("children_in_need", "re_referrals"),
    tags={"cin/stage": "tables"},
    description="Rebuild one release year's tables of both releases, with their blocking checks "
                "(choose the year as the run's partition).",
)


class QuarantineReportConfig(dg.Config):
    file: str = ""
    reason_code: str = ""
    message: str = ""
    line: int = 0
    quarantined_to: str = ""
    sha256: str = ""


@dg.op(tags={"cin/stage": "quarantine"})
def report_quarantined_file(context: dg.OpExecutionContext, config: QuarantineReportConfig) -> None:
    """Fails, on purpose, with what was wrong with a file the landing sensor set aside, so that the
    rejection is a red run in the UI (Runs, and the sensor's tick history) with the fix in it."""
    if not config.file:
        context.log.info("No file given: nothing to report.")
        return
    where = f" at line {config.line}" if config.line else ""
    kept = (f"It was quarantined to {config.quarantined_to} with a .reason.txt explaining the fix"
            if config.quarantined_to else "Nothing was read from it or set aside")
    raise dg.Failure(
        description=(f"Rejected landing file {config.file}{where}: [{config.reason_code}] "
                     f"{config.message} {kept}; no partition was created or run."),
        metadata={
            "file": dg.MetadataValue.path(config.file),
            "line": dg.MetadataValue.int(config.line),
            "reason_code": config.reason_code,
            "quarantined_to": dg.MetadataValue.path(config.quarantined_to or ""),
            "sha256": config.sha256,
        },
        allow_retries=False,
    )


@dg.job(tags={"cin/stage": "quarantine"},
        description="Reports one file rejected by the landing sensor (the run fails with the reason).")
def quarantine_report():
    report_quarantined_file()
