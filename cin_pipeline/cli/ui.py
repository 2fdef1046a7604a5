"""``cin-pipeline ui``: the Dagster web UI + daemon (sensors, automation, backfills) on this project."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from cin_pipeline.settings import PROJECT_ROOT


def dagster_home() -> Path:
    """``<project>/.dagster_home`` (or $DAGSTER_HOME if set), with the project's dagster.yaml in it."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    src = PROJECT_ROOT / "dagster.yaml"
    if src.exists():
        shutil.copyfile(src, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_ui(port: int = 3000, host: str = "127.0.0.1") -> int:
    home = dagster_home()
    exe = Path(sys.executable).with_name("dagster")
    # workspace.yaml names the code location ``cin_pipeline``, as pyproject's [tool.dagster] does:
    # one name for the UI, GraphQL clients and the docs
    cmd = [str(exe) if exe.exists() else "dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
           "-h", host, "-p", str(port)]
    print(f"DAGSTER_HOME={home}\n$ {' '.join(cmd)}\nOpen http://{host}:{port}  (Ctrl-C to stop)", flush=True)
    os.chdir(PROJECT_ROOT)
    # Become `dagster dev` (no wrapper process left behind): signals reach it directly.
    os.execve(cmd[0], cmd, os.environ.copy()) if Path(cmd[0]).is_absolute() else os.execvpe(cmd[0], cmd, os.environ.copy())
    return 0  # not reached
