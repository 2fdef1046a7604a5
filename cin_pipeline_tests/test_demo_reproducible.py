"""``cin-pipeline demo`` run twice on the same synthetic data gives byte-identical publication
folders: every data file, meta file, the guidance, the zip, the preview and the manifest.

Each run is the real command in its own process, starting clean (the demo wipes its data folder)
on its own Dagster instance, on one LA and two years to keep it to a few minutes; the two runs
happen at different times, so any build time written into a published file would differ.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ARGS = ["--las", "201", "--years", "2023-2024", "--scale", "0.01", "--seed", "7"]


def _demo(root: Path) -> Path:
    env = dict(os.environ, CIN_DATA_DIR=str(root / "data"), DAGSTER_HOME=str(root / "home"))
    (root / "home").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "cin_pipeline.cli", "demo", *ARGS], env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root / "data" / "publication"


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_twice_gives_byte_identical_publications(tmp_path):
    first, second = _tree(_demo(tmp_path / "one")), _tree(_demo(tmp_path / "two"))
    files = [k for k in first if k.endswith(".csv") and "/data/" in k]
    assert len([f for f in files if not f.endswith(".meta.csv")]) == 48
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
