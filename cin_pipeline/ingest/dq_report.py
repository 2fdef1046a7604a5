"""Data-quality reports for the LA analyst: one per LA and census year, and a national index.

``<reports_dir>/<year>/<LA code>/report.html`` and ``findings.csv`` list every validation finding
of the LA-year (file, line, child, rule code, the rule's text from :data:`cin_pipeline.ingest.rules.RULES`,
error or query, the detail and what to fix), the findings by rule against the LA's previous
year and England's rate (findings per 1,000 children staged), what was left out of the
statistics and why (children with an error finding, records without a child ID, files set aside
in quarantine with their ``.reason.json``). ``<reports_dir>/index.html`` and ``index.csv`` list
every LA-year with its counts and a link to its report.

Everything national (counts by LA and rule, England's rates, the excluded children) is one
set-based query over the ``staging.*`` views of :func:`cin_pipeline.ingest.warehouse.attach_staging`;
only the LA-year's own findings are read row by row, from its current staging file, to be
written out. Every file is written to a temporary name beside it and renamed into place, and the
pages are static HTML (every value escaped, no script) that open from the disk.
"""

from __future__ import annotations

import csv
import html
import io
import os
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cin_pipeline.ingest.landing import path_claims
from cin_pipeline.ingest.quarantine import read_reasons
from cin_pipeline.ingest.rules import rule_texts
from cin_pipeline.ingest.versions import current_link
from cin_pipeline.reference import la_names

REPORT_HTML = "report.html"
FINDINGS_CSV = "findings.csv"
INDEX_HTML = "index.html"
INDEX_CSV = "index.csv"
PER = 1000
"""Rates are findings per this many children staged."""

FINDING_COLUMNS = ("year", "la", "file", "line", "child_id", "episode_seq", "rule_code", "severity",
                   "rule_text", "detail", "fix")
"""Columns of ``findings.csv`` (one row per validation finding)."""
INDEX_COLUMNS = ("year", "la", "la_name", "return_staged", "children", "children_excluded", "errors",
                 "queries", "findings_per_1000", "previous_year_findings_per_1000",
                 "england_findings_per_1000", "quarantined_files", "report")
"""Columns of ``index.csv`` (one row per LA-year with a staged or quarantined return)."""


def report_dir(reports_dir: str | os.PathLike, year: int, la: str) -> Path:
    """``<reports_dir>/<year>/<la>``: the folder of one LA-year's report."""
    return Path(reports_dir) / str(int(year)) / str(la)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place: a reader
    sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------ quarantined files
def quarantined_by_la_year(quarantine_dir: str | os.PathLike) -> tuple[dict[tuple[int, str], list[dict]], list[dict]]:
    """The quarantined returns (their ``.reason.json``) by the LA-year they were for, and those
    that cannot be placed. The LA-year is the one recorded with the file (the LA-year it was
    being ingested for, or its header's), else what its landing place claimed
    (``<landing>/<year>/<la>.xml``, :func:`cin_pipeline.ingest.landing.path_claims`)."""
    placed: dict[tuple[int, str], list[dict]] = defaultdict(list)
    unplaced: list[dict] = []
    for rec in read_reasons(quarantine_dir):
        year, la = rec.get("year"), rec.get("la")
        if year is None or la is None:
            claims = path_claims(rec.get("original_path") or rec.get("original_name") or "")
            year = year if year is not None else claims.year
            la = la if la is not None else claims.la
        if year is None or la is None:
            unplaced.append(rec)
        else:
            placed[(int(year), str(la))].append(rec)
    return dict(placed), unplaced


# ------------------------------------------------------------------ national figures (SQL)
def _load_rule_texts(con, years: Iterable[int]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE dq_rule_text "
                "(year INTEGER, rule_code VARCHAR, severity VARCHAR, rule_text VARCHAR, fix VARCHAR)")
    rows = [(y, *t) for y in sorted(set(years)) for t in rule_texts(y)]
    if rows:
        con.executemany("INSERT INTO dq_rule_text VALUES (?, ?, ?, ?, ?)", rows)


def _load_keys(con, keys: Iterable[tuple[int, str]]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE dq_key (year INTEGER, la VARCHAR)")
    rows = sorted({(int(y), str(la)) for y, la in keys})
    if rows:
        con.executemany("INSERT INTO dq_key VALUES (?, ?)", rows)


_TOTALS_SQL = """
WITH yrs AS (SELECT DISTINCT year FROM dq_key UNION SELECT DISTINCT year - 1 FROM dq_key),
kids AS (SELECT year, la, count(*) AS children, count(*) FILTER (WHERE child_id IS NULL) AS no_id
         FROM staging.child WHERE year IN (SELECT year FROM yrs) GROUP BY ALL),
excl AS (SELECT year, la, count(*) AS excluded FROM staging.excluded_child
         WHERE year IN (SELECT year FROM yrs) GROUP BY ALL),
f AS (SELECT year, la, sum(findings) FILTER (WHERE severity = 'error') AS errors,
             sum(findings) FILTER (WHERE severity = 'query') AS queries
      FROM staging.dq_summary WHERE year IN (SELECT year FROM yrs) GROUP BY ALL),
staged AS (SELECT year, la, string_agg(source_file, ', ' ORDER BY source_file) AS files,
                  string_agg(file_sha256, ', ' ORDER BY source_file) AS sha256,
                  max(ingested_at)::VARCHAR AS ingested_at
           FROM staging.header WHERE year IN (SELECT year FROM yrs) GROUP BY ALL),
la_year AS (SELECT s.year, s.la, s.files, s.sha256, s.ingested_at, coalesce(k.children, 0) AS children,
                   coalesce(k.no_id, 0) AS no_id, coalesce(x.excluded, 0) AS excluded,
                   coalesce(f.errors, 0) AS errors, coalesce(f.queries, 0) AS queries
            FROM staged s LEFT JOIN kids k USING (year, la) LEFT JOIN excl x USING (year, la)
            LEFT JOIN f USING (year, la)),
eng AS (SELECT year, sum(children) AS children, sum(errors) AS errors, sum(queries) AS queries,
               count(*) AS las FROM la_year GROUP BY year)
SELECT q.year, q.la, c.files IS NOT NULL AS staged, c.files, c.sha256, c.ingested_at,
       coalesce(c.children, 0), coalesce(c.no_id, 0), coalesce(c.excluded, 0),
       coalesce(c.errors, 0), coalesce(c.queries, 0),
       p.files IS NOT NULL AS prev_staged, coalesce(p.children, 0), coalesce(p.errors, 0), coalesce(p.queries, 0),
       coalesce(e.children, 0), coalesce(e.errors, 0), coalesce(e.queries, 0), coalesce(e.las, 0)
FROM dq_key q LEFT JOIN la_year c USING (year, la)
LEFT JOIN la_year p ON p.year = q.year - 1 AND p.la = q.la
LEFT JOIN eng e ON e.year = q.year
ORDER BY q.year, q.la
"""

_BY_RULE_SQL = """
WITH yrs AS (SELECT DISTINCT year FROM dq_key UNION SELECT DISTINCT year - 1 FROM dq_key),
f AS (SELECT year, la, rule_code, severity, findings, children FROM staging.dq_summary
      WHERE year IN (SELECT year FROM yrs)),
kids AS (SELECT year, count(*) AS children FROM staging.child WHERE year IN (SELECT year FROM dq_key)
         GROUP BY year),
eng AS (SELECT year, rule_code, sum(findings) AS findings FROM f GROUP BY ALL),
cur AS (SELECT f.* FROM f JOIN dq_key USING (year, la)),
prev AS (SELECT k.year, k.la, f.rule_code, f.severity, f.findings
         FROM f JOIN dq_key k ON f.year = k.year - 1 AND f.la = k.la),
pairs AS (SELECT year, la, rule_code FROM cur UNION SELECT year, la, rule_code FROM prev)
SELECT p.year, p.la, p.rule_code,
       coalesce(c.severity, t.severity, pr.severity) AS severity,
       coalesce(t.rule_text, tp.rule_text, '') AS rule_text,
       coalesce(c.findings, 0) AS findings, coalesce(c.children, 0) AS children,
       coalesce(pr.findings, 0) AS prev_findings,
       coalesce(e.findings, 0) AS england_findings, coalesce(k.children, 0) AS england_children
FROM pairs p LEFT JOIN cur c USING (year, la, rule_code)
LEFT JOIN prev pr USING (year, la, rule_code)
LEFT JOIN eng e USING (year, rule_code)
LEFT JOIN kids k USING (year)
LEFT JOIN dq_rule_text t ON t.year = p.year AND t.rule_code = p.rule_code
LEFT JOIN dq_rule_text tp ON tp.year = p.year - 1 AND tp.rule_code = p.rule_code
ORDER BY p.year, p.la, coalesce(c.findings, 0) DESC, p.rule_code
"""

_EXCLUDED_SQL = """
SELECT x.year, x.la, x.child_id, x.error_findings, x.rule_codes
FROM staging.excluded_child x JOIN dq_key USING (year, la)
ORDER BY x.year, x.la, x.child_id
"""

_FINDINGS_SQL = """
SELECT f.year, f.la, f.file, f.line, f.child_id, f.episode_seq, f.rule_code, f.severity,
       coalesce(t.rule_text, '') AS rule_text,
       CASE WHEN t.rule_text IS NOT NULL AND starts_with(f.message, t.rule_text || ': ')
            THEN substr(f.message, length(t.rule_text) + 3) ELSE f.message END AS detail,
       f.fix
FROM read_parquet($path, hive_partitioning = false) f
LEFT JOIN dq_rule_text t ON t.year = f.year AND t.rule_code = f.rule_code
ORDER BY f.line NULLS FIRST, f.rule_code, f.child_id
"""


@dataclass
class Totals:
    """One LA-year's figures (and its previous year's and England's) from :data:`_TOTALS_SQL`."""

    year: int
    la: str
    staged: bool
    files: str | None
    sha256: str | None
    ingested_at: str | None
    children: int
    no_id: int
    excluded: int
    errors: int
    queries: int
    prev_staged: bool
    prev_children: int
    prev_errors: int
    prev_queries: int
    england_children: int
    england_errors: int
    england_queries: int
    england_las: int


@dataclass
class ReportResult:
    """What was written for one LA-year."""

    year: int
    la: str
    html: Path
    csv: Path
    totals: Totals
    findings: int
    quarantined: int
    by_rule: list[tuple]
    """``(rule code, severity, rule text, findings, children, findings the year before, England's
    findings, England's children)`` of every rule with findings in the year or the year before."""


def _rate(findings: int | float, children: int | float) -> float | None:
    return None if not children else round(PER * float(findings) / float(children), 1)


def build_reports(con, keys: Iterable[tuple[int, str]], reports_dir: str | os.PathLike,
                  staging_dir: str | os.PathLike, quarantine_dir: str | os.PathLike) -> dict[tuple[int, str], ReportResult | None]:
    """Write the report of every (year, la) in ``keys``; ``con`` has the ``staging`` views of
    :func:`cin_pipeline.ingest.warehouse.attach_staging`. An LA-year with neither a staged return
    nor a quarantined file gets no report (``None``): it has nothing to say."""
    keys = sorted({(int(y), str(la)) for y, la in keys})
    out: dict[tuple[int, str], ReportResult | None] = {}
    if not keys:
        return out
    years = {y for y, _ in keys} | {y - 1 for y, _ in keys}
    _load_rule_texts(con, years)
    _load_keys(con, keys)
    totals = {(r[0], r[1]): Totals(*r) for r in con.execute(_TOTALS_SQL).fetchall()}
    by_rule: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for r in con.execute(_BY_RULE_SQL).fetchall():
        by_rule[(r[0], r[1])].append(r[2:])
    excluded: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for r in con.execute(_EXCLUDED_SQL).fetchall():
        excluded[(r[0], r[1])].append(r[2:])
    quarantined, _ = quarantined_by_la_year(quarantine_dir)
    names = la_names()
    for key in keys:
        year, la = key
        t = totals[key]
        files = quarantined.get(key, [])
        if not t.staged and not files:
            out[key] = None
            continue
        findings: list[tuple] = []
        source = current_link(staging_dir, year, la) / "validation_finding.parquet"
        if t.staged and source.exists():
            findings = con.execute(_FINDINGS_SQL, {"path": str(source)}).fetchall()
        folder = report_dir(reports_dir, year, la)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(FINDING_COLUMNS)
        w.writerows(findings)
        csv_path, html_path = folder / FINDINGS_CSV, folder / REPORT_HTML
        write_atomic(csv_path, buf.getvalue())
        write_atomic(html_path, render_report(t, names.get(la, ""), by_rule.get(key, []), findings,
                                              excluded.get(key, []), files))
        out[key] = ReportResult(year, la, html_path, csv_path, t, len(findings), len(files), by_rule.get(key, []))
    return out


# ------------------------------------------------------------------ HTML
_CSS = """body{font-family:system-ui,Arial,sans-serif;margin:1.5em;color:#0b0c0c;max-width:90em}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #b1b4b6;padding:.25em .5em;
text-align:left;vertical-align:top;font-size:.9em}th{background:#f3f2f1}td.n{text-align:right}
.error{color:#d4351c;font-weight:bold}.query{color:#6f4e00}.note{color:#505a5f}
nav a{margin-right:1em}"""


def _e(v) -> str:
    """A value escaped for HTML (``None`` as an empty cell)."""
    return "" if v is None else html.escape(str(v), quote=True)


def _num(v) -> str:
    if v is None:
        return "&ndash;"
    if isinstance(v, float):
        return _e(f"{v:,.1f}")
    return _e(f"{v:,}" if isinstance(v, int) else v)


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """``rows`` are already-escaped cell contents."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>\n" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n"


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n<title>{_e(title)}</title>\n'
            f"<style>{_CSS}</style></head>\n<body>\n{body}</body></html>\n")


def _census_label(year: int) -> str:
    return f"{year - 1}-{str(year)[-2:]}"


def render_report(t: Totals, la_name: str, by_rule: list[tuple], findings: list[tuple],
                  excluded: list[tuple], quarantined: list[dict]) -> str:
    """The HTML page of one LA-year (every value escaped)."""
    year, la = t.year, t.la
    title = f"Data quality: {la_name or 'LA'} ({la}), CIN census {_census_label(year)} (year {year})"
    parts = [f"<nav><a href=\"../../{INDEX_HTML}\">All LAs</a><a href=\"{FINDINGS_CSV}\">"
             f"Every finding as CSV</a></nav>\n<h1>{_e(title)}</h1>\n"]
    total, prev_total = t.errors + t.queries, t.prev_errors + t.prev_queries
    eng_total = t.england_errors + t.england_queries
    if t.staged:
        parts.append(f"<p>Return staged: <b>{_e(t.files)}</b> (SHA-256 {_e(t.sha256)}, "
                     f"ingested {_e(t.ingested_at)} UTC).</p>\n")
    else:
        parts.append("<p><b>No return of this LA-year is staged</b>: nothing of it is in the "
                     "statistics. The files set aside are listed below.</p>\n")
    summary = [
        ["Children staged", _num(t.children), _num(t.prev_children) if t.prev_staged else "no return",
         _num(t.england_children)],
        ["Errors", _num(t.errors), _num(t.prev_errors) if t.prev_staged else "", _num(t.england_errors)],
        ["Queries", _num(t.queries), _num(t.prev_queries) if t.prev_staged else "", _num(t.england_queries)],
        [f"Findings per {PER:,} children", _num(_rate(total, t.children)),
         _num(_rate(prev_total, t.prev_children)) if t.prev_staged else "", _num(_rate(eng_total, t.england_children))],
        ["Children excluded from the statistics", _num(t.excluded), "", ""],
    ]
    parts.append("<h2>Summary</h2>\n" + _table(
        ["", f"This LA, {year}", f"This LA, {year - 1}", f"England, {year} ({t.england_las} LAs)"],
        summary, {1, 2, 3}))

    parts.append("<h2>What was excluded from the statistics, and why</h2>\n")
    parts.append("<p>A child with at least one <span class=\"error\">error</span> finding is left out of "
                 "every published figure (all of the child's records in this return), but kept in "
                 "staging and in this report. A <span class=\"query\">query</span> asks the LA to "
                 "check a value; it excludes nothing.</p>\n")
    if excluded:
        parts.append(_table(["Child (LAchildID)", "Error findings", "Rules broken"],
                            [[_e(c), _num(int(n)), _e(r)] for c, n, r in excluded], {1}))
    else:
        parts.append("<p>No child was excluded for errors.</p>\n")
    if t.no_id:
        parts.append(f"<p>{_num(t.no_id)} child record(s) without a LAchildID are excluded too.</p>\n")
    if quarantined:
        parts.append("<h3>Files set aside (quarantined), not loaded</h3>\n")
        rows = [[_e(q.get("original_name")), _e(q.get("quarantined_as")), _e(q.get("quarantined_at")),
                 _e(q.get("reason_code")), _e(q.get("line") or "the file as a whole"), _e(q.get("message")),
                 _e(q.get("fix"))] for q in quarantined]
        parts.append(_table(["File", "Quarantined as", "When (UTC)", "Reason", "Line", "Problem",
                             "What to do"], rows))
    else:
        parts.append("<p>No file of this LA-year was set aside.</p>\n")

    parts.append(f"<h2>Findings by rule, against {year - 1} and England</h2>\n")
    if by_rule:
        rows = []
        for code, sev, text, n, kids, prev_n, eng_n, eng_kids in by_rule:
            rows.append([_e(code), f'<span class="{_e(sev)}">{_e(sev)}</span>', _e(text), _num(int(n)),
                         _num(int(kids)), _num(_rate(n, t.children)),
                         _num(int(prev_n)) if t.prev_staged else "no return",
                         _num(_rate(prev_n, t.prev_children)) if t.prev_staged else "",
                         _num(_rate(eng_n, eng_kids))])
        parts.append(_table(["Rule code", "Severity", "Rule", f"Findings {year}", "Children",
                             f"Per {PER:,} children", f"Findings {year - 1}", f"Per {PER:,} ({year - 1})",
                             f"England per {PER:,}"], rows, {3, 4, 5, 6, 7, 8}))
    else:
        parts.append(f"<p>No finding in {year} or {year - 1}.</p>\n")

    parts.append(f"<h2>Every finding ({len(findings):,})</h2>\n")
    if findings:
        rows = [[_e(f[2]), _num(f[3]), _e(f[4]), _num(f[5]), _e(f[6]), f'<span class="{_e(f[7])}">{_e(f[7])}</span>',
                 _e(f[8]), _e(f[9]), _e(f[10])] for f in findings]
        parts.append(_table(["File", "Line", "Child (LAchildID)", "Episode", "Rule", "Severity", "Rule text",
                             "Detail", "What to fix"], rows, {1, 3}))
    else:
        parts.append("<p>None.</p>\n")
    parts.append(f'<p class="note">Rates are findings per {PER:,} children staged. Rule texts are the '
                 "DfE CIN census validation rules as the pipeline applies them.</p>\n")
    return _page(title, "".join(parts))


# ------------------------------------------------------------------ national index
_INDEX_SQL = """
WITH keys AS (SELECT year, la FROM staging.header UNION SELECT year, la FROM dq_quarantined),
kids AS (SELECT year, la, count(*) AS children FROM staging.child GROUP BY ALL),
excl AS (SELECT year, la, count(*) AS excluded FROM staging.excluded_child GROUP BY ALL),
f AS (SELECT year, la, sum(findings) FILTER (WHERE severity = 'error') AS errors,
             sum(findings) FILTER (WHERE severity = 'query') AS queries FROM staging.dq_summary GROUP BY ALL),
h AS (SELECT DISTINCT year, la FROM staging.header),
ly AS (SELECT k.year, k.la, h.la IS NOT NULL AS staged, coalesce(c.children, 0) AS children,
              coalesce(x.excluded, 0) AS excluded, coalesce(f.errors, 0) AS errors,
              coalesce(f.queries, 0) AS queries, coalesce(q.files, 0) AS quarantined
       FROM keys k LEFT JOIN h USING (year, la) LEFT JOIN kids c USING (year, la)
       LEFT JOIN excl x USING (year, la) LEFT JOIN f USING (year, la) LEFT JOIN dq_quarantined q USING (year, la)),
eng AS (SELECT year, sum(errors + queries) AS findings, sum(children) AS children FROM ly GROUP BY year)
SELECT ly.year, ly.la, ly.staged, ly.children, ly.excluded, ly.errors, ly.queries,
       round(1000.0 * (ly.errors + ly.queries) / nullif(ly.children, 0), 1),
       round(1000.0 * (p.errors + p.queries) / nullif(p.children, 0), 1),
       round(1000.0 * e.findings / nullif(e.children, 0), 1),
       ly.quarantined
FROM ly LEFT JOIN ly p ON p.year = ly.year - 1 AND p.la = ly.la AND p.staged
LEFT JOIN eng e ON e.year = ly.year
ORDER BY ly.year DESC, ly.la
"""


@dataclass
class IndexResult:
    html: Path
    csv: Path
    la_years: int
    linked: int
    unplaced_quarantined: int


def build_index(con, reports_dir: str | os.PathLike, quarantine_dir: str | os.PathLike) -> IndexResult:
    """Write ``index.html`` and ``index.csv`` in ``reports_dir``: every LA-year with a staged or
    quarantined return, its counts and a link to its report (when it has been written), and the
    quarantined files that cannot be placed in an LA-year."""
    assert PER == 1000, "_INDEX_SQL rates are per 1,000"
    reports_dir = Path(reports_dir)
    placed, unplaced = quarantined_by_la_year(quarantine_dir)
    con.execute("CREATE OR REPLACE TEMP TABLE dq_quarantined (year INTEGER, la VARCHAR, files INTEGER)")
    if placed:
        con.executemany("INSERT INTO dq_quarantined VALUES (?, ?, ?)",
                        [(y, la, len(v)) for (y, la), v in sorted(placed.items())])
    rows = con.execute(_INDEX_SQL).fetchall()
    names = la_names()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(INDEX_COLUMNS)
    table_rows, linked = [], 0
    for year, la, staged, kids, excl, err, qry, rate, prev_rate, eng_rate, quar in rows:
        rel = f"{year}/{la}/{REPORT_HTML}"
        exists = (reports_dir / rel).is_file()
        linked += exists
        w.writerow([year, la, names.get(la, ""), staged, kids, excl, err, qry, rate, prev_rate, eng_rate,
                    quar, rel if exists else ""])
        link = f'<a href="{_e(rel)}">report</a>' if exists else "not built"
        table_rows.append([_e(year), _e(la), _e(names.get(la, "")), "yes" if staged else "<b>no</b>",
                           _num(kids), _num(excl), _num(err), _num(qry), _num(rate), _num(prev_rate),
                           _num(eng_rate), _num(quar), link])
    parts = ["<h1>Data quality of the CIN census returns, by LA and census year</h1>\n",
             f"<p>{len(rows):,} LA-years with a staged or quarantined return. Rates are findings "
             f"(errors and queries) per {PER:,} children staged; children with an error finding are "
             f"excluded from the statistics. Each report lists every finding and what to fix. "
             f'<a href="{INDEX_CSV}">This table as CSV</a>.</p>\n',
             _table(["Year", "LA", "Name", "Return staged", "Children", "Excluded", "Errors", "Queries",
                     f"Per {PER:,}", f"Per {PER:,}, year before", f"England per {PER:,}",
                     "Quarantined files", "Report"], table_rows, {4, 5, 6, 7, 8, 9, 10, 11})]
    if unplaced:
        parts.append("<h2>Quarantined files of no known LA-year</h2>\n<p>Their header could not be read "
                     "and their place in the landing folder names no LA and year.</p>\n")
        parts.append(_table(["File", "Quarantined as", "When (UTC)", "Reason", "Problem", "What to do"],
                            [[_e(q.get("original_name")), _e(q.get("quarantined_as")), _e(q.get("quarantined_at")),
                              _e(q.get("reason_code")), _e(q.get("message")), _e(q.get("fix"))] for q in unplaced]))
    html_path, csv_path = reports_dir / INDEX_HTML, reports_dir / INDEX_CSV
    write_atomic(csv_path, buf.getvalue())
    write_atomic(html_path, _page("Data quality of the CIN census returns", "".join(parts)))
    return IndexResult(html_path, csv_path, len(rows), linked, len(unplaced))
