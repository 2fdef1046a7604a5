"""Great Expectations (GX Core 1.x) suites generated from a table declaration.

``build_suite(spec)`` turns a :class:`~cin_pipeline.tables.declare.TableSpec` into an
``ExpectationSuite`` for the EES data file **as it will be published** (every cell text):

* the columns exactly, in order;
* ``time_identifier`` = "Reporting year"; ``time_period`` a 4-digit year in the table's range;
* ``geographic_level`` in the declared levels; country E92000001 / England;
* LA codes well formed (3 digits, 9-character GSS code) on LA rows;
* filter values in the declared set;
* indicator cells numeric or one of the symbols c/x/u/z/k, never blank, ``:`` or ``~``;
  counts non-negative integers, percentages 0-100 with at most the declared decimals, rates and
  percentiles non-negative numbers;
* one row per time period x geography x filters.

Severity ``critical`` (the default) is a blocking ERROR in Dagster; ``warning`` is a WARN.

``validate_table(spec, df)`` runs the suite in an ephemeral GX context through a
``ValidationDefinition`` (so the results can feed Data Docs, see :mod:`.data_docs`) and returns
``(success, results, markdown)``; ``success`` is False only when a critical expectation fails.

A suite runs once per table and release year: the ``gx_suite`` check keeps its result in the
warehouse (:func:`store_validation`, table ``publication.gx_validation`` with a hash of the rows
it validated), and the publication's Data Docs render those results (:meth:`GxRunner.restore`)
instead of validating the same rows again.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pandas as pd

from cin_pipeline.census.spec import LAST_YEAR
from cin_pipeline.sqlutil import has_relation

SYMBOLS = ("c", "x", "u", "z", "k")
_SYM = "|".join(SYMBOLS)
CRITICAL, WARNING = "critical", "warning"


def published_columns(spec) -> list[str]:
    return spec.columns()


def indicator_regex(ind) -> str:
    """The text an indicator cell may hold."""
    if ind.kind == "count":
        num = r"\d+"
    elif ind.kind == "percent":
        dec = rf"(\.\d{{1,{ind.dp}}})?" if ind.dp > 0 else ""
        num = rf"(100(\.0+)?|\d{{1,2}}{dec})"
    else:  # rate, percentile: non-negative numbers
        num = r"\d+(\.\d+)?"
    return rf"^({num}|{_SYM})$"


def _years(spec, release_year: int | None) -> list[str]:
    if release_year is None:
        release_year = LAST_YEAR
    return [str(y) for y in spec.years(release_year)]


def expectations(spec, release_year: int | None = None) -> list[Any]:
    """The expectations of a table, each with ``meta['check']`` (a short description)."""
    import great_expectations.expectations as gxe

    def m(text: str) -> dict:
        return {"check": text}

    cols = published_columns(spec)
    std = spec.standard_columns()
    out: list[Any] = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=cols, meta=m("columns exactly, in order")),
        gxe.ExpectTableRowCountToBeBetween(min_value=1, meta=m("table is not empty")),
        gxe.ExpectColumnValuesToBeInSet(column="time_identifier", value_set=["Reporting year"],
                                        meta=m("time_identifier is Reporting year")),
        gxe.ExpectColumnValuesToBeInSet(column="time_period", value_set=_years(spec, release_year),
                                        meta=m("time_period within the table's year range")),
        gxe.ExpectColumnValuesToMatchRegex(column="time_period", regex=r"^\d{4}$",
                                           meta=m("time_period is a 4-digit year")),
        gxe.ExpectColumnValuesToBeInSet(column="geographic_level", value_set=list(spec.geographic_levels),
                                        meta=m("geographic_level in the declared levels")),
        gxe.ExpectColumnValuesToBeInSet(column="country_code", value_set=["E92000001"], meta=m("country is England")),
        gxe.ExpectColumnValuesToBeInSet(column="country_name", value_set=["England"], meta=m("country is England")),
    ]
    if "old_la_code" in std:
        la = 'geographic_level == "Local authority"'
        out += [
            gxe.ExpectColumnValuesToMatchRegex(column="old_la_code", regex=r"^\d{3}$", row_condition=la,
                                               condition_parser="pandas", meta=m("LA rows: 3-digit old_la_code")),
            gxe.ExpectColumnValuesToMatchRegex(column="new_la_code", regex=r"^E\d{8}$", row_condition=la,
                                               condition_parser="pandas", meta=m("LA rows: 9-character new_la_code")),
        ]
    for f in spec.filters:
        if f.values:
            out.append(gxe.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.values),
                                                       meta=m(f"filter {f.name}: allowed values")))
        out.append(gxe.ExpectColumnValuesToNotBeInSet(column=f.name, value_set=[""],
                                                      meta=m(f"filter {f.name}: no blanks")))
        if f.group_column:
            out.append(gxe.ExpectColumnValuesToBeInSet(
                column=f.group_column, value_set=sorted({g for _, g in f.groups}),
                meta=m(f"filter group {f.group_column} of {f.name}: allowed values")))
    for ind in spec.indicators:
        out += [
            gxe.ExpectColumnValuesToNotBeInSet(column=ind.name, value_set=["", ":", "~"],
                                               meta=m(f"{ind.name}: no blank or legacy symbol")),
            gxe.ExpectColumnValuesToMatchRegex(column=ind.name, regex=indicator_regex(ind),
                                               meta=m(f"{ind.name}: {ind.kind} value or symbol {'/'.join(SYMBOLS)}")),
            gxe.ExpectColumnValuesToNotBeInSet(column=ind.name, value_set=["low"], severity=WARNING,
                                               meta=m(f"{ind.name}: 'low' is not used in CIN files")),
        ]
    key = [c for c in std if c not in ("time_identifier", "country_name", "region_name", "la_name")]
    key += spec.filter_columns()
    out.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=key, meta=m("one row per time x geography x filters")))
    return out


def build_suite(spec, release_year: int | None = None):
    """An ``ExpectationSuite`` named ``<table_id>`` generated from the declaration."""
    import great_expectations as gx
    from great_expectations.data_context.data_context.context_factory import project_manager

    try:
        project_manager._project  # noqa: B018  (raises when no context is active)
    except Exception:  # noqa: BLE001  (GX needs an active context to build a suite)
        gx.get_context(mode="ephemeral")
    suite = gx.ExpectationSuite(name=spec.warehouse_name)
    for e in expectations(spec, release_year):
        suite.add_expectation(e)
    return suite


class GxRunner:
    """One ephemeral GX context with a pandas data source; validations run through
    ``ValidationDefinition.run`` so their results stay in the context's store (Data Docs)."""

    def __init__(self) -> None:
        import great_expectations as gx

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        try:
            self.context.variables.progress_bars = {"globally": False}
        except Exception:  # noqa: BLE001  (cosmetic only)
            pass
        self.source = self.context.data_sources.add_pandas(name="cin_pipeline")
        self.results: list[Any] = []

    def validate(self, spec, df: pd.DataFrame, release_year: int | None = None, name: str | None = None):
        name = name or spec.warehouse_name
        gx = self.gx
        try:
            asset = self.source.get_asset(name)
        except (LookupError, Exception):  # noqa: BLE001  (GX raises its own LookupError subclass)
            asset = self.source.add_dataframe_asset(name=name)
        try:
            bd = asset.get_batch_definition("whole")
        except Exception:  # noqa: BLE001
            bd = asset.add_batch_definition_whole_dataframe("whole")
        suite = self._add_suite(spec, release_year, name)
        try:
            self.context.validation_definitions.delete(name)
        except Exception:  # noqa: BLE001
            pass
        vd = self.context.validation_definitions.add(gx.ValidationDefinition(name=name, data=bd, suite=suite))
        res = vd.run(batch_parameters={"dataframe": _as_text(df)}, result_format="SUMMARY")
        self.results.append(res)
        return res

    def _add_suite(self, spec, release_year: int | None, name: str):
        """The table's suite (:func:`build_suite`) under ``name`` in this runner's context,
        replacing one of that name."""
        suite = build_suite(spec, release_year)
        suite.name = name
        try:
            self.context.suites.delete(name)
        except Exception:  # noqa: BLE001
            pass
        return self.context.suites.add(suite)

    def record(self, res) -> str:
        """A validation result of this runner as JSON text, with what :meth:`restore` needs."""
        name = res.suite_name
        batch = next(k.batch_identifier for k in self.context.validation_results_store.list_keys()
                     if k.expectation_suite_identifier.name == name)
        return json.dumps({"batch_identifier": batch, "result": res.to_json_dict()}, sort_keys=True)

    def restore(self, spec, release_year: int | None, record: str):
        """Add a result kept by :meth:`record` (and its suite) to this runner's context, as if it
        had validated it here: Data Docs render it like any other."""
        from great_expectations.core.expectation_validation_result import (
            expectationSuiteValidationResultSchema)
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier, ValidationResultIdentifier)

        rec = json.loads(record)
        res = expectationSuiteValidationResultSchema.load(rec["result"])
        suite = self._add_suite(spec, release_year, res.suite_name)
        run = rec["result"]["meta"]["run_id"]
        sid = ExpectationSuiteIdentifier(name=suite.name)
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=res, expectation_suite_identifier=sid,
            suite_validation_result_identifier=ValidationResultIdentifier(
                expectation_suite_identifier=sid, batch_identifier=rec["batch_identifier"],
                run_id=RunIdentifier(run_name=run.get("run_name"), run_time=run.get("run_time"))))
        self.results.append(res)
        return res


VALIDATIONS = "publication.gx_validation"
"""The ``gx_suite`` check's result per table and release year (:func:`store_validation`)."""


def frame_sha(df: pd.DataFrame) -> str:
    """Hash of the rows a suite validates (its text cells, in order, with the column names)."""
    return hashlib.sha256(_as_text(df).to_csv(index=False).encode("utf-8")).hexdigest()


def store_validation(con, spec, release_year: int, df: pd.DataFrame, record: str) -> None:
    """Keep a table's validation result (:meth:`GxRunner.record`) for ``release_year``, replacing
    the one kept before, with the hash of the rows validated."""
    con.execute("CREATE SCHEMA IF NOT EXISTS publication")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {VALIDATIONS} (table_id VARCHAR, release_year INTEGER,
                    data_sha VARCHAR, record VARCHAR, validated_at TIMESTAMP)""")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {VALIDATIONS} WHERE table_id = ? AND release_year = ?",
                    [spec.table_id, int(release_year)])
        con.execute(f"INSERT INTO {VALIDATIONS} VALUES (?, ?, ?, ?, current_localtimestamp())",
                    [spec.table_id, int(release_year), frame_sha(df), record])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def stored_validations(con, release_year: int) -> dict[str, tuple[str, str]]:
    """``{table_id: (data_sha, record)}`` of the results kept for ``release_year``."""
    if not has_relation(con, *VALIDATIONS.split(".")):
        return {}
    rows = con.execute(f"SELECT table_id, data_sha, record FROM {VALIDATIONS} WHERE release_year = ?",
                       [int(release_year)]).fetchall()
    return {tid: (sha, rec) for tid, sha, rec in rows}


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    return out


def failed(results) -> list[Any]:
    return [r for r in results.results if not r.success]


def blocking_failed(results) -> bool:
    return any(_severity(r) == CRITICAL for r in failed(results))


def _severity(r) -> str:
    sev = getattr(r.expectation_config, "severity", CRITICAL)
    return str(getattr(sev, "value", sev)).lower()


def to_markdown(spec, results, title: str | None = None) -> str:
    title = title or f"GX suite `{spec.table_id}` ({spec.code} {spec.title})"
    st = results.statistics
    lines = [f"### {title}", "",
             f"{st['successful_expectations']}/{st['evaluated_expectations']} expectations met; "
             f"blocking failures: {'yes' if blocking_failed(results) else 'no'}", ""]
    bad = failed(results)
    if bad:
        lines += ["| severity | expectation | column | check | unexpected | examples |", "|---|---|---|---|---|---|"]
        for r in bad:
            cfg = r.expectation_config
            res = r.result or {}
            ex = res.get("partial_unexpected_list") or res.get("observed_value") or ""
            ex = ", ".join(map(str, ex[:5])) if isinstance(ex, list) else str(ex)
            lines.append(f"| {_severity(r)} | `{cfg.type}` | {cfg.kwargs.get('column', '')} | "
                         f"{(cfg.meta or {}).get('check', '')} | {res.get('unexpected_count', '')} | "
                         f"{re.sub(r'[|]', '/', ex)[:200]} |")
    return "\n".join(lines)


def validate_table(spec, df: pd.DataFrame, release_year: int | None = None,
                   runner: GxRunner | None = None) -> tuple[bool, Any, str]:
    """Validate the published text frame of ``spec``: ``(success, results, markdown)``."""
    runner = runner or GxRunner()
    res = runner.validate(spec, df, release_year)
    return (not blocking_failed(res)), res, to_markdown(spec, res)
