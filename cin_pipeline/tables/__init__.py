"""The published tables, found by walking this folder: no list to edit.

Each sub-package is a release (its ``__init__.py`` holds ``RELEASE``, a
:class:`~cin_pipeline.tables.declare.Release`); each module in it is one table (``TABLE``, a
:class:`~cin_pipeline.tables.declare.TableSpec`) beside its query ``<module>.sql``. Adding a table
is adding that file pair.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from cin_pipeline.tables.declare import Release, TableSpec

_HERE = Path(__file__).resolve().parent


def _bind_query(spec: TableSpec, sql_path: Path) -> TableSpec:
    if not sql_path.is_file():
        raise FileNotFoundError(f"{spec.table_id}: its query {sql_path.name} is missing beside the declaration")
    text = sql_path.read_text(encoding="utf-8")
    if "{{parts}}" in text:
        if not spec.parts:
            raise ValueError(f"{spec.table_id}: {{{{parts}}}} in the query but no parts declared")
        rows = ", ".join(f"('{code}', '{part}')" for part, codes in spec.parts for code in codes)
        text = text.replace("{{parts}}", f"(SELECT * FROM (VALUES {rows}) AS v(code, part))")
    if re.search(r"\{\{\w+\}\}", text):
        raise ValueError(f"{spec.table_id}: unknown placeholder in {sql_path.name}")
    return replace(spec, query=text)


@lru_cache(maxsize=None)
def _discover() -> tuple[tuple[Release, ...], tuple[TableSpec, ...]]:
    releases: list[Release] = []
    tables: list[TableSpec] = []
    for rel_info in sorted(pkgutil.iter_modules([str(_HERE)]), key=lambda m: m.name):
        if not rel_info.ispkg:
            continue
        package = importlib.import_module(f"{__name__}.{rel_info.name}")
        release: Release = package.RELEASE
        releases.append(release)
        folder = _HERE / rel_info.name
        for mod in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
            if mod.ispkg or mod.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{mod.name}")
            spec: TableSpec = module.TABLE
            if spec.release is not release or spec.code.lower() != mod.name:
                raise ValueError(f"{module.__name__}: TABLE must be {mod.name.upper()} of {release.slug}")
            spec = _bind_query(spec, folder / f"{mod.name}.sql")
            spec.validate()
            tables.append(spec)
    return tuple(releases), tuple(tables)


def releases() -> list[Release]:
    return list(_discover()[0])


def release(slug: str) -> Release:
    return next(r for r in releases() if r.slug == slug)


def all_tables() -> list[TableSpec]:
    """Every declared table, release by release, in code order."""
    return list(_discover()[1])


def get(table_id: str) -> TableSpec:
    for t in all_tables():
        if t.table_id == table_id:
            return t
    raise KeyError(f"no table {table_id!r} is declared")


def tables_for_release(slug: str) -> list[TableSpec]:
    return [t for t in all_tables() if t.release.slug == slug]
