"""``cin-pipeline ui``: the Dagster web UI + daemon (sensors, automation, backfills) on this project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cin_pipeline.cli.instance import POSTGRES_URL_ENV, SOURCE, postgres_url, write_instance_yaml
from cin_pipeline.settings import FILES_URL_ENV, PROJECT_ROOT


def dagster_home() -> Path:
    """``<project>/.dagster_home`` (or $DAGSTER_HOME if set), with the instance yaml in it: the
    project's dagster.yaml, or, when ``$CIN_DAGSTER_POSTGRES_URL`` is set, the same settings with
    the storage on that PostgreSQL database (:mod:`cin_pipeline.cli.instance`)."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if SOURCE.exists():
        write_instance_yaml(home)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def use_local_postgres() -> str:
    """Point ``$CIN_DAGSTER_POSTGRES_URL`` at the project's own PostgreSQL server (``data/postgres``,
    started if it is not running: :mod:`cin_pipeline.cli.postgres`), unless it is set already;
    returns the URL."""
    from cin_pipeline.cli.postgres import LocalPostgres, PostgresUnavailable, default_root

    url = postgres_url()
    if url is None:
        pg = LocalPostgres(default_root())
        try:
            url = pg.start()
        except PostgresUnavailable as exc:
            raise SystemExit(f"cin-pipeline: cannot start PostgreSQL: {exc}") from None
        print(f"PostgreSQL running in {pg.root} (stop it: cin-pipeline postgres stop)", flush=True)
        os.environ[POSTGRES_URL_ENV] = url
    return url


def start_file_server(host: str, port: int) -> str:
    """Start ``cin-pipeline files`` on ``host:port`` for this process (which becomes ``dagster dev``;
    the server stops once it has gone) and point the runs' links at it (``$CIN_FILES_URL``)."""
    subprocess.Popen([sys.executable, "-m", "cin_pipeline.cli", "files", "--host", host, "--port", str(port),
                      "--parent-pid", str(os.getpid())], stdin=subprocess.DEVNULL)
    url = f"http://{host}:{port}"
    os.environ[FILES_URL_ENV] = url
    return url


def run_ui(port: int = 3000, host: str = "127.0.0.1", postgres: bool = False) -> int:
    if postgres:
        use_local_postgres()
    home = dagster_home()
    if postgres_url():
        print(f"instance storage: PostgreSQL (${POSTGRES_URL_ENV})", flush=True)
    exe = Path(sys.executable).with_name("dagster")
    # workspace.yaml names the code location ``cin_pipeline``, as pyproject's [tool.dagster] does:
    # one name for the UI, GraphQL clients and the docs
    cmd = [str(exe) if exe.exists() else "dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
           "-h", host, "-p", str(port)]
    files_url = start_file_server(host, port + 1)
    print(f"DAGSTER_HOME={home}\n$ {' '.join(cmd)}\nOpen http://{host}:{port}  (Ctrl-C to stop)\n"
          f"Published files, Data Docs and data-quality reports (the links in the UI): {files_url}/", flush=True)
    os.chdir(PROJECT_ROOT)
    # Become `dagster dev` (no wrapper process left behind): signals reach it directly.
    os.execve(cmd[0], cmd, os.environ.copy()) if Path(cmd[0]).is_absolute() else os.execvpe(cmd[0], cmd, os.environ.copy())
    return 0  # not reached
