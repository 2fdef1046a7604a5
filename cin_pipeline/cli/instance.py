"""The Dagster instance's settings, from one source: the project's ``dagster.yaml``.

``dagster.yaml`` is the instance on SQLite (the default of ``cin-pipeline ui`` and ``demo``). The
instance on PostgreSQL is derived from it in code, by replacing its top-level ``storage:`` block
and nothing else (:func:`instance_yaml`): the run coordinator, the run queue and tag limits, the
concurrency pools, run monitoring and the rest stay the text of ``dagster.yaml``, so the two
cannot drift (``cin_pipeline_tests/test_postgres_instance.py`` checks that only ``storage``
differs).

The PostgreSQL storage (``dagster-postgres``) keeps run storage, event log storage and schedule
storage in one database, whose URL is read from ``$CIN_DAGSTER_POSTGRES_URL`` when the instance
starts: the URL (and any password in it) is never written into ``$DAGSTER_HOME``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cin_pipeline.settings import PROJECT_ROOT

POSTGRES_URL_ENV = "CIN_DAGSTER_POSTGRES_URL"
"""The environment variable naming the PostgreSQL database of the instance (a libpq/SQLAlchemy URL,
e.g. ``postgresql://user:password@host:5432/dagster``, which is read as
``postgresql+psycopg2://...``); when set, the instance runs on it."""

SOURCE = PROJECT_ROOT / "dagster.yaml"

POSTGRES_STORAGE = f"""\
storage:
  # PostgreSQL (dagster-postgres): run, event log and schedule storage in one database, whose URL
  # is read from ${POSTGRES_URL_ENV} when the instance starts. This block replaced the SQLite
  # storage block of the project's dagster.yaml (cin_pipeline/cli/instance.py); every other
  # setting below is that file's.
  postgres:
    postgres_url:
      env: {POSTGRES_URL_ENV}
"""

_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_STORAGE_KEY = re.compile(r"^storage\s*:\s*(#.*)?$")


def storage_block(text: str) -> tuple[int, int]:
    """The lines ``[start, end)`` of the top-level ``storage:`` block of an instance yaml.

    The block runs from its ``storage:`` line to the next top-level key; blank lines and
    column-0 comments just before that key belong to the key, not to the block. Raises
    ``ValueError`` unless there is exactly one top-level ``storage:`` key.
    """
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _STORAGE_KEY.match(line)]
    if len(starts) != 1:
        raise ValueError(f"expected one top-level 'storage:' block in the instance yaml, found {len(starts)}")
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if _TOP_LEVEL_KEY.match(lines[i])), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return start, end


def instance_yaml(postgres: bool, source: str | None = None) -> str:
    """The instance yaml: ``dagster.yaml`` as it is, or (``postgres``) with its ``storage:`` block
    replaced by :data:`POSTGRES_STORAGE`. ``source`` is the text to derive from (default: the
    project's ``dagster.yaml``)."""
    text = SOURCE.read_text() if source is None else source
    if not postgres:
        return text
    start, end = storage_block(text)
    lines = text.splitlines(keepends=True)
    return "".join(lines[:start]) + POSTGRES_STORAGE + "".join(lines[end:])


def driver_url(url: str) -> str:
    """``url`` naming the psycopg2 driver, which dagster-postgres installs: SQLAlchemy 2.1 reads a
    plain ``postgresql://`` (or ``postgres://``) URL as psycopg 3, which is not installed."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg2://" + url[len(plain):]
    return url


def postgres_url() -> str | None:
    """``$CIN_DAGSTER_POSTGRES_URL`` if set (and not blank), with the psycopg2 driver
    (:func:`driver_url`)."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    return driver_url(url) if url else None


def write_instance_yaml(home: Path, postgres: bool | None = None) -> Path:
    """Write ``home/dagster.yaml``: on PostgreSQL when ``postgres`` (default: when
    ``$CIN_DAGSTER_POSTGRES_URL`` is set), else the project's ``dagster.yaml`` unchanged."""
    if postgres is None:
        url = postgres_url()
        postgres = url is not None
        if url is not None:  # what the instance (this process and `dagster dev` after it) reads
            os.environ[POSTGRES_URL_ENV] = url
    target = Path(home) / "dagster.yaml"
    target.write_text(instance_yaml(postgres))
    return target
