"""Helpers for the web-UI test: run the Dagster web server on a free port and drive it in Chromium.

The browser is Debian's ``chromium`` package (``scripts/ensure_chromium.sh`` installs it), driven
through Playwright for Python with ``executable_path``: Playwright's own browser download is not
used. The server is ``dagster-webserver`` (what ``dagster dev`` serves, without the daemon, which
the UI does not need in order to show the asset graph), started in its own process group so that
every process it spawns (the code server) is stopped with it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS_MODULE = "cin_pipeline.definitions"

# Without the background-networking flags Chromium stalls trying to reach Google on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Set before any page script runs: marks Dagster's "Join the Dagster community" dialog as seen,
# so it does not cover the graph.
DISMISS_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', '\"1\"');"


def find_chromium() -> str | None:
    """Path of the Chromium executable ($CIN_CHROMIUM, then Debian's), or None."""
    for candidate in (os.environ.get("CIN_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                      shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class DagsterWebUI:
    """``dagster-webserver -w workspace.yaml`` (the project's code location, named
    ``cin_pipeline``, as ``make ui`` serves it) on 127.0.0.1:<free port>.

    ``env`` is added to this process's environment (e.g. DAGSTER_HOME, CIN_DATA_DIR). Use as a
    context manager: the server is always stopped on exit, whatever happened.
    """

    def __init__(self, env: dict[str, str], log_path: Path,
                 start_timeout: float = 120.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.start_seconds: float | None = None

    def command(self) -> list[str]:
        exe = Path(sys.executable).with_name("dagster-webserver")
        head = [str(exe)] if exe.exists() else [sys.executable, "-m", "dagster_webserver"]
        return head + ["-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(self.port)]

    def start(self) -> "DagsterWebUI":
        t0 = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.command(), cwd=PROJECT_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = t0 + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited with code {self.proc.returncode} before answering; "
                                   f"last lines of {self.log_path}:\n{_tail(self.log_path)}")
            try:
                with urllib.request.urlopen(self.url + "/server_info", timeout=2) as r:
                    if r.status == 200:
                        self.start_seconds = time.monotonic() - t0
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"dagster-webserver did not answer {self.url}/server_info within {self.start_timeout:.0f} s; "
                           f"last lines of {self.log_path}:\n{_tail(self.log_path)}")

    def stop(self) -> None:
        """SIGTERM to the server (it shuts its code server down), then SIGKILL to whatever of its
        process group is left."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def __enter__(self) -> "DagsterWebUI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60.0) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(self.url + "/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            payload = json.load(r)
        if payload.get("errors"):
            raise RuntimeError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]
