"""Ingest: CIN census XML returns -> validated per-(year, LA) Parquet staging versions.

Library code with no Dagster imports; ``cin_pipeline.defs`` calls these functions from the
per-(year, LA) asset and the landing sensor.

* :func:`read_header` - cheap header read and routing checks (year, LA); raises
  :class:`CensusFileError` with a ``reason_code`` for files that cannot be ingested.
* :func:`parse_return` - whole return -> typed DataFrames (small files, tests, notebooks).
* :func:`ingest_batch` - parse, validate and write the 11 staging Parquet files of each of
  several LA-years in one DuckDB session (:class:`IngestJob` each); :func:`ingest_file` - one.
* :func:`attach_staging` - (re)create the ``staging`` and ``clean`` views in a DuckDB database.
* :func:`quarantine`, :func:`record_submission`, :func:`file_sha256`, :func:`is_known_version`
  - the landing side: set bad files aside with a reason, keep the append-only audit trail.
* :mod:`cin_pipeline.ingest.landing` - what the ``census_return`` asset and the landing sensor
  share: locate an LA-year's return, ingest it or quarantine it (chunks of returns over a process
  pool for many), scan the landing folder.
* :mod:`cin_pipeline.ingest.dq_report` - the data-quality report of an LA-year (every finding,
  counts against the previous year and England, exclusions, quarantined files) and the index.
* :mod:`cin_pipeline.ingest.schema` - the columns of the raw and staging tables.
* :mod:`cin_pipeline.ingest.versions` - the staging layout: a version folder per ingest of an
  LA-year, made current by one atomic link swap; :func:`~cin_pipeline.ingest.versions.cleanup`.
"""

from cin_pipeline.ingest.audit import file_sha256, is_known_version, read_submissions, record_submission
from cin_pipeline.ingest.parse import REASON_CODES, CensusFileError, Header, read_header
from cin_pipeline.ingest.quarantine import quarantine
from cin_pipeline.ingest.schema import STAGING_TABLES, TABLE_COLUMNS
from cin_pipeline.ingest.staging import IngestJob, IngestResult, ParsedReturn, ingest_batch, ingest_file, parse_return
from cin_pipeline.ingest.warehouse import attach_staging

__all__ = [
    "CensusFileError", "Header", "ParsedReturn", "IngestJob", "IngestResult", "REASON_CODES",
    "STAGING_TABLES", "TABLE_COLUMNS",
    "read_header", "parse_return", "ingest_batch", "ingest_file", "attach_staging",
    "quarantine", "record_submission", "read_submissions", "file_sha256", "is_known_version",
]
