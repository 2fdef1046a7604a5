"""Dagster definitions of the pipeline, one small module per concern.

* ``partitions``     year, LA (dynamic) and year x LA partitions
* ``resources``      ``duckdb`` (the warehouse) and ``cin_paths`` (every folder)
* ``census_extract`` ``census_return``: one LA-year return -> staging Parquet (group census_extract)
* ``staging``        ``census_year`` + ``data_quality_summary`` (group staging)
* ``longitudinal``   ``longitudinal_cin_dataset`` (group longitudinal)
* ``dq_reports``     ``dq_report`` (year x LA) and ``dq_report_index``: data-quality reports
                     under data/reports (group data_quality)
* ``sensors``        ``landing_sensor`` (new or changed files -> runs) and the quarantine report job
* ``run_health``     ``run_health_sensor``: runs whose process was killed are marked failed, their
                     pool slots freed, and dead sensor-started ingest runs retried
* ``jobs``           named asset jobs used by the UI, the demo and the bench

Library code (ingest, LCD SQL) has no Dagster imports; these modules only wrap it.
"""

import warnings as _warnings

import dagster as _dg

# Two beta APIs and one preview API are used on purpose (single-run backfills of the LA-year
# returns; the mapping from LA-year returns to census years; checks partitioned by release year,
# so that a check always evaluates one year). Dagster warns about them each time the definitions are
# imported, that is in every step process of every run in the web UI; they are documented here
# once instead. Any other beta or preview warning still shows.
_warnings.filterwarnings("ignore", category=_dg.BetaWarning,
                         message=r"(Parameter `backfill_policy` of function `asset`"
                                 r"|Class `MultiToSingleDimensionPartitionMapping`) is currently in beta")
_warnings.filterwarnings("ignore", category=_dg.PreviewWarning,
                         message=r"Specifying a partitions_def on an AssetCheckSpec is currently in preview")
