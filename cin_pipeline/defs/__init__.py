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
