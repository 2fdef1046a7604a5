"""The staging schema: the columns of the raw (as-sent) and typed staging tables.

The single copy of the table list of ``docs/ARCHITECTURE.md``, shared by the parser
(:mod:`cin_pipeline.ingest.parse` yields rows in :data:`RAW_COLUMNS` order), the validation rules
(:mod:`cin_pipeline.ingest.rules` fills ``validation_finding``), the staging writer
(:mod:`cin_pipeline.ingest.staging`) and the warehouse views (:mod:`cin_pipeline.ingest.warehouse`).
It imports nothing of the package, so every ingest module can import it.
"""

from __future__ import annotations

RAW_COLUMNS: dict[str, tuple[str, ...]] = {
    "child": ("child_id", "la_child_id_raw", "upn", "former_upn", "upn_unknown", "birth_date",
              "expected_birth_date", "sex_element", "sex_raw", "death_date", "ethnicity",
              "has_identifiers", "line"),
    "disability": ("child_id", "disability", "line"),
    "episode": ("child_id", "episode_seq", "referral_date", "referral_source", "primary_need",
                "closure_date", "reason_for_closure", "icpc_date", "referral_nfa", "line"),
    "assessment": ("child_id", "episode_seq", "assessment_seq", "start_date",
                   "internal_review_date", "authorisation_date", "line"),
    "assessment_factor": ("child_id", "episode_seq", "assessment_seq", "factor", "line"),
    "cin_plan": ("child_id", "episode_seq", "plan_seq", "start_date", "end_date", "line"),
    "section47": ("child_id", "episode_seq", "s47_seq", "start_date", "icpc_target_date",
                  "icpc_date", "icpc_not_required", "line"),
    "cpp": ("child_id", "episode_seq", "cpp_seq", "start_date", "end_date", "initial_category",
            "latest_category", "number_of_previous_cpp", "empty_reviews", "line"),
    "cpp_review": ("child_id", "episode_seq", "cpp_seq", "review_seq", "review_date", "line"),
}
"""Columns of the raw (as-sent text) rows :func:`cin_pipeline.ingest.parse.iter_batches` yields, per staging table.

Values are the element text exactly as sent (``None`` when the element is absent) except
``child_id`` (LAchildID trimmed and upper-cased, the key of every table), the ``*_seq`` position
numbers and ``line``. ``sex_element`` says which of ``Sex``/``GenderCurrent`` carried
``sex_raw``; ``has_identifiers`` is 0 when ``<ChildIdentifiers>`` is missing; ``empty_reviews``
counts ``<Reviews>`` groups without a ``<CPPreviewDate>`` (rule 8842Q)."""

RawBatch = dict[str, list[tuple]]
"""One batch of raw rows: table name -> list of row tuples in :data:`RAW_COLUMNS` order."""


TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "header": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("collection", "VARCHAR"),
        ("header_year", "INTEGER"), ("reference_date", "DATE"), ("lea", "VARCHAR"),
        ("software_code", "VARCHAR"), ("release", "VARCHAR"), ("serial_no", "VARCHAR"),
        ("generated_at", "TIMESTAMP"), ("source_file", "VARCHAR"), ("file_sha256", "VARCHAR"),
        ("ingested_at", "TIMESTAMP"),
    ),
    "child": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"),
        ("la_child_id_raw", "VARCHAR"), ("upn", "VARCHAR"), ("former_upn", "VARCHAR"),
        ("upn_unknown", "VARCHAR"), ("birth_date", "DATE"), ("expected_birth_date", "DATE"),
        ("sex", "VARCHAR"), ("sex_raw", "VARCHAR"), ("death_date", "DATE"),
        ("ethnicity", "VARCHAR"), ("line", "INTEGER"),
    ),
    "disability": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"),
        ("disability", "VARCHAR"), ("line", "INTEGER"),
    ),
    "episode": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"),
        ("referral_date", "DATE"), ("referral_source", "VARCHAR"), ("primary_need", "VARCHAR"),
        ("closure_date", "DATE"), ("reason_for_closure", "VARCHAR"), ("icpc_date", "DATE"),
        ("referral_nfa", "BOOLEAN"), ("line", "INTEGER"),
    ),
    "assessment": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"),
        ("assessment_seq", "INTEGER"), ("start_date", "DATE"), ("internal_review_date", "DATE"),
        ("authorisation_date", "DATE"), ("line", "INTEGER"),
    ),
    "assessment_factor": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"),
        ("assessment_seq", "INTEGER"), ("factor", "VARCHAR"), ("line", "INTEGER"),
    ),
    "cin_plan": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"),
        ("plan_seq", "INTEGER"), ("start_date", "DATE"), ("end_date", "DATE"), ("line", "INTEGER"),
    ),
    "section47": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"),
        ("s47_seq", "INTEGER"), ("start_date", "DATE"), ("icpc_target_date", "DATE"),
        ("icpc_date", "DATE"), ("icpc_not_required", "BOOLEAN"), ("line", "INTEGER"),
    ),
    "cpp": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"),
        ("cpp_seq", "INTEGER"), ("start_date", "DATE"), ("end_date", "DATE"),
        ("initial_category", "VARCHAR"), ("latest_category", "VARCHAR"),
        ("number_of_previous_cpp", "INTEGER"), ("line", "INTEGER"),
    ),
    "cpp_review": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"),
        ("cpp_seq", "INTEGER"), ("review_seq", "INTEGER"), ("review_date", "DATE"),
        ("line", "INTEGER"),
    ),
    "validation_finding": (
        ("year", "INTEGER"), ("la", "VARCHAR"), ("rule_code", "VARCHAR"), ("severity", "VARCHAR"),
        ("child_id", "VARCHAR"), ("episode_seq", "INTEGER"), ("file", "VARCHAR"),
        ("line", "INTEGER"), ("message", "VARCHAR"), ("fix", "VARCHAR"),
    ),
}
"""Every staging table and its typed columns, in order: the single copy of the ARCHITECTURE.md
table list that this package, the warehouse views and the tests use."""

STAGING_TABLES = tuple(TABLE_COLUMNS)
DATA_TABLES = tuple(t for t in STAGING_TABLES if t != "validation_finding")
RECORD_TABLES = tuple(RAW_COLUMNS)
"""Tables filled from ``<Child>`` records (all but ``header`` and ``validation_finding``)."""


def create_empty(con, table: str) -> None:
    """Create ``table`` with its staging columns and no rows."""
    cols = ", ".join(f"{c} {t}" for c, t in TABLE_COLUMNS[table])
    con.execute(f"CREATE OR REPLACE TABLE {table} ({cols})")
