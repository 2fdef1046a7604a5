"""An independent oracle for the synthetic returns: the open-source DfE CIN validator.

``csc-validator-be-cin`` (data-to-insight, PyPI) implements the DfE CIN census validation rules
in pandas. It pins ``pandas<2`` (and needs ``numpy<2``), so it cannot live in the project's
``.venv``: ``scripts/oracle_venv.sh`` builds a separate ``.venv-oracle`` and this module runs the
validator there in a subprocess, exchanging JSON files. Nothing here imports the validator.

Rule sets shipped by version 0.1.13 (the pinned one) and the census year each is used for:

===============  ===================================================================
``cin2022_23``   2023, and every year **before** 2023 (nearest available rule set)
``cin2023_24``   2024 (adds a new 1530)
``cin2024_25``   2025 (adds 1570/1580 LAchildID format, 2886Q, 4180, 8750, 8770Q, ...)
``cin2025_26``   2026 (no changes over 2024-25)
===============  ===================================================================

The validator takes the census period from the header ``ReferenceDate``, so an older return
checked with ``cin2022_23`` still has its own period; only code-set changes (5D, RC9, 24A,
18B/19B...) that happened after that year are not year-aware.

Known limitations of the oracle (measured by ``cin_pipeline_tests/test_synth_oracle.py``, see
:data:`ORACLE_BLIND_SPOTS`) are reported by :func:`oracle_check` but not "fixed" here.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
ORACLE_VENV = Path(os.environ.get("CIN_ORACLE_VENV", REPO / ".venv-oracle"))
ORACLE_SCRIPT = REPO / "scripts" / "oracle_venv.sh"
ORACLE_VERSION = "0.1.13"

RULESETS = {2023: "cin2022_23", 2024: "cin2023_24", 2025: "cin2024_25", 2026: "cin2025_26",
            2027: "cin2026_27"}
"""Rule sets in the pinned package, by the reporting year they were written for."""

FINDING_COLUMNS = ["file", "year", "ruleset", "rule_code", "rule_type", "child_id",
                   "tables_affected", "columns_affected", "row_id", "la_level"]

ORACLE_BLIND_SPOTS = {
    "8935": "groups open plans by (LAchildID, CPPID) and CPPID restarts at 1 in every episode, "
            "so two open plans are only seen when they sit in different episodes at the same "
            "position; two open plans in one episode are missed",
    "8869": "compares the Assessments.AssessmentFactors cell with '21', but the package's own "
            "ingress stores the list of factors there, so the rule never fires on an XSD-shaped "
            "return",
    "8614": "builds an issue id from a tuple holding the factor list and crashes "
            "(TypeError: unhashable type: 'list') as soon as it finds a breach; nothing is reported",
    "8540": "pushes its row lists under ROW_ID_x, which the rule engine cannot locate; the "
            "rule never reports",
}
"""Rules for which the oracle is known to miss some genuine breaches (documented, not fixed)."""


def ruleset_for(year: int) -> str:
    """The validator rule set used for reporting ``year``: its own one if the package ships it,
    else the nearest (``cin2022_23`` for every year before 2023, the latest after 2027)."""
    if year in RULESETS:
        return RULESETS[year]
    return RULESETS[min(RULESETS)] if year < min(RULESETS) else RULESETS[max(RULESETS)]


def ensure_oracle_venv() -> Path:
    """Build ``.venv-oracle`` with the pinned validator if it is not there yet (idempotent);
    returns the venv's python."""
    python = ORACLE_VENV / "bin" / "python"
    marker = ORACLE_VENV / f".oracle-{ORACLE_VERSION}"
    if python.exists() and marker.exists():
        return python
    subprocess.run(["bash", str(ORACLE_SCRIPT), str(ORACLE_VENV)], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marker.touch()
    return python


# The program run inside .venv-oracle. It reads a JSON job list, validates every file with the
# package's own API (the same calls as ``python -m cin_validator run``, whose CLI needs pytest and
# only prints the table) and writes one JSON result file.
_RUNNER = r'''
import contextlib, importlib, io, json, sys, time, warnings
import xml.etree.ElementTree as ET
import pandas as pd
warnings.simplefilter("ignore")
from cin_validator import cin_validator

job = json.load(open(sys.argv[1]))
results = []
registries = {}
for item in job["files"]:
    t0 = time.perf_counter()
    root = ET.parse(item["path"]).getroot()
    n_children = len(root.findall("./Children/Child"))
    rs = item["ruleset"]
    if rs not in registries:
        registries[rs] = importlib.import_module("cin_validator.rules." + rs).registry
    registry = registries[rs]
    types = {str(r.code): r.rule_type.value.lower() for r in registry.values()}
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        data = cin_validator.process_data(cin_validator.convert_data(root))
        t1 = time.perf_counter()
        raw = {k: v.copy() for k, v in data.items()}
        # CinValidator.__init__ minus its report step, which crashes on some dirty inputs
        # (include_issue_child casts NaN row ids to int); child ids are looked up here instead.
        v = cin_validator.CinValidator.__new__(cin_validator.CinValidator)
        v.data_files, v.ruleset_registry = data, registry
        v.create_issue_report_df(job.get("select"))
    t2 = time.perf_counter()
    rows = []
    seen = set()
    for rec in v.full_issue_df.to_dict("records"):
        code = str(rec.get("rule_code"))
        table, row_id = rec.get("tables_affected"), rec.get("ROW_ID")
        cid = None
        if isinstance(table, str) and table in raw and table != "Header" and not pd.isna(row_id):
            value = raw[table]["LAchildID"].iloc[int(row_id)]
            cid = None if pd.isna(value) else str(value)
        key = (code, cid, str(table), str(rec.get("columns_affected")), str(row_id))
        if key in seen:
            continue
        seen.add(key)
        rows.append({"rule_code": code, "rule_type": types.get(code, ""), "child_id": cid,
                     "tables_affected": str(table), "columns_affected": key[3],
                     "row_id": key[4], "la_level": table == "Header" or pd.isna(table)})
    for rec in v.la_rule_issues.to_dict("records") if len(v.la_rule_issues) else []:
        code = str(rec.get("rule_code"))
        rows.append({"rule_code": code, "rule_type": types.get(code, ""), "child_id": None,
                     "tables_affected": "", "columns_affected": "", "row_id": "",
                     "la_level": True})
    crashed = [l for l in log.getvalue().splitlines() if l.startswith("Error with rule")]
    results.append({"path": item["path"], "ruleset": rs, "n_children": n_children,
                    "ingest_seconds": t1 - t0, "validate_seconds": t2 - t1,
                    "rules_run": len(registry), "rule_crashes": crashed, "findings": rows})
json.dump(results, open(sys.argv[2], "w"))
'''


def run_oracle_batch(items: list[tuple[Path, int]], select: list[str] | None = None,
                     timeout: float = 3600) -> tuple[pd.DataFrame, list[dict]]:
    """Validate several ``(xml_path, year)`` returns in one subprocess (one interpreter start).

    Returns ``(findings, stats)``: findings with :data:`FINDING_COLUMNS` (``rule_type`` is
    ``error`` or ``query``; ``child_id`` is the LAchildID as sent, missing for LA-level rules) and
    one stats dict per file (n_children, ingest_seconds, validate_seconds, rule_crashes)."""
    python = ensure_oracle_venv()
    with tempfile.TemporaryDirectory(prefix="cin-oracle-") as tmp:
        job_path, out_path = Path(tmp) / "job.json", Path(tmp) / "out.json"
        job = {"files": [{"path": str(Path(p).resolve()), "ruleset": ruleset_for(int(y)),
                          "year": int(y)} for p, y in items], "select": select}
        job_path.write_text(json.dumps(job))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        proc = subprocess.run([str(python), "-c", _RUNNER, str(job_path), str(out_path)],
                              timeout=timeout, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"csc-validator-be-cin failed:\n{proc.stderr[-3000:]}")
        results = json.loads(out_path.read_text())
    rows, stats = [], []
    for (path, year), res in zip(items, results):
        for f in res.pop("findings"):
            rows.append({"file": str(path), "year": int(year), "ruleset": res["ruleset"], **f})
        stats.append({"file": str(path), "year": int(year), **res})
    findings = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return findings, stats


def run_oracle(xml_path: Path | str, year: int) -> pd.DataFrame:
    """Findings of csc-validator-be-cin on one return: columns :data:`FINDING_COLUMNS`, one row
    per (rule, child, table, column, row) location; LA-level rules have ``la_level`` true."""
    findings, _ = run_oracle_batch([(Path(xml_path), year)])
    return findings


def _norm_id(value) -> str:
    """LAchildID as the oracle reports it, for matching (stripped; '' when missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _returns(returns_dir: Path) -> list[tuple[Path, int, str]]:
    """``(path, year, la)`` of every ``<year>/<la>.xml`` under ``returns_dir``, sorted."""
    out = []
    for p in sorted(Path(returns_dir).glob("*/*.xml")):
        if p.parent.name.isdigit():
            out.append((p, int(p.parent.name), p.stem))
    return out


def oracle_check(returns_dir: Path | str, sample: int | list = 6, seed: int = 0,
                 manifest_path: Path | str | None = None) -> dict:
    """Run the oracle over a sample of returns and summarise it for the run record.

    ``sample`` is a number of ``<year>/<la>.xml`` files (chosen deterministically from ``seed``,
    spread over years) or an explicit list of paths. ``manifest_path`` defaults to
    ``returns_dir/dirty_manifest.csv`` when that file exists (``generate(..., dirty_rate>0)``).

    The report has ``files`` (per file: year, ruleset, children, seconds, error and query
    counts), ``children_per_second``, ``clean_error_rules`` (ERROR-level rule codes raised on
    children that are *not* in the manifest, with counts: this should be empty for clean
    returns), and, with a manifest, ``recall`` per rule code (manifest faults in the sampled
    files whose rule the oracle raised for that child) plus ``missed`` examples and the
    documented ``blind_spots``."""
    import random

    returns_dir = Path(returns_dir)
    all_files = _returns(returns_dir)
    if isinstance(sample, int):
        rng = random.Random(f"oracle-sample|{seed}")
        by_year: dict[int, list] = defaultdict(list)
        for item in all_files:
            by_year[item[1]].append(item)
        chosen, years = [], sorted(by_year)
        pools = {y: rng.sample(by_year[y], len(by_year[y])) for y in years}
        while len(chosen) < min(sample, len(all_files)):
            for y in years:
                if pools[y] and len(chosen) < sample:
                    chosen.append(pools[y].pop())
    else:
        wanted = {Path(p).resolve() for p in sample}
        chosen = [f for f in all_files if f[0].resolve() in wanted]
    chosen.sort()

    if manifest_path is None and (returns_dir / "dirty_manifest.csv").exists():
        manifest_path = returns_dir / "dirty_manifest.csv"
    manifest: list[dict] = []
    if manifest_path is not None and Path(manifest_path).exists():
        with open(manifest_path, newline="") as fh:
            manifest = list(csv.DictReader(fh))

    t0 = time.perf_counter()
    findings, stats = run_oracle_batch([(p, y) for p, y, _ in chosen])
    wall = time.perf_counter() - t0

    report: dict = {"validator": f"csc-validator-be-cin=={ORACLE_VERSION}",
                    "returns_dir": str(returns_dir), "wall_seconds": round(wall, 1),
                    "files": [], "blind_spots": ORACLE_BLIND_SPOTS}
    n_children = sum(s["n_children"] for s in stats)
    busy = sum(s["ingest_seconds"] + s["validate_seconds"] for s in stats)
    report["children"] = n_children
    report["children_per_second"] = round(n_children / busy, 1) if busy else None

    faulty = defaultdict(set)  # (file name key) -> child ids carrying an injected fault
    for row in manifest:
        faulty[(int(row["year"]), row["la"])].add(_norm_id(row["la_child_id"]))
    clean_errors: dict[str, int] = defaultdict(int)
    for (path, year, la), st in zip(chosen, stats):
        f = findings[findings["file"] == str(path)]
        report["files"].append({
            "file": f"{year}/{path.name}", "year": year, "ruleset": st["ruleset"],
            "children": st["n_children"],
            "seconds": round(st["ingest_seconds"] + st["validate_seconds"], 2),
            "errors": int((f["rule_type"] == "error").sum()),
            "queries": int((f["rule_type"] == "query").sum()),
            "rule_crashes": st["rule_crashes"]})
        bad = faulty.get((year, la), set())
        for rec in f[f["rule_type"] == "error"].itertuples():
            if rec.la_level or _norm_id(rec.child_id) not in bad:
                clean_errors[rec.rule_code] += 1
    report["clean_error_rules"] = dict(sorted(clean_errors.items()))

    if manifest:
        sampled = {(y, la) for _, y, la in chosen}
        found = defaultdict(set)
        for rec in findings.itertuples():
            found[(rec.year, Path(rec.file).stem, rec.rule_code)].add(_norm_id(rec.child_id))
        per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        missed = []
        for row in manifest:
            key = (int(row["year"]), row["la"])
            if key not in sampled:
                continue
            ids = found.get((key[0], key[1], row["rule_code"]), set())
            hit = _norm_id(row["la_child_id"]) in ids
            per_rule[row["rule_code"]][0] += int(hit)
            per_rule[row["rule_code"]][1] += 1
            if not hit and len(missed) < 50:
                missed.append({k: row[k] for k in ("file", "la_child_id", "rule_code", "fault")})
        report["recall"] = {code: {"found": h, "injected": n, "recall": round(h / n, 3)}
                            for code, (h, n) in sorted(per_rule.items())}
        hits = sum(h for h, _ in per_rule.values())
        total = sum(n for _, n in per_rule.values())
        report["overall_recall"] = round(hits / total, 3) if total else None
        report["missed"] = missed
    return report
