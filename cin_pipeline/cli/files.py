"""``cin-pipeline files``: the publication and the reports over HTTP, for the links in the web UI.

``cin-pipeline ui`` starts it on the UI's port + 1 beside ``dagster dev``, so that the links in the
asset metadata (a release's preview, its folder of files, its GX Data Docs, an LA's data-quality
report and their index: :func:`cin_pipeline.settings.file_url`) open in the browser; Dagster's own
UI shows a local path as text it cannot open.

Only :attr:`cin_pipeline.settings.Paths.served_folders` are served (``/publication/...`` and
``/reports/...``), read-only (GET and HEAD), on 127.0.0.1 by default. A path that leaves its
folder (``..``, a symbolic link pointing out) or names anything else of the data folder (returns,
staging, the warehouse) is 404. With ``parent_pid`` the server stops by itself once that process
(the ``dagster dev`` it was started for) has gone, so it never outlives the UI.
"""

from __future__ import annotations

import html
import os
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cin_pipeline.settings import Paths


def resolve_served(folders: dict[str, Path], url_path: str) -> Path | None:
    """The file or folder ``url_path`` names inside one of ``folders``, or ``None`` (not served)."""
    parts = [unquote(p) for p in urlsplit(url_path).path.split("/") if p]
    if not parts or parts[0] not in folders:
        return None
    if any(p in (".", "..") or "/" in p or "\\" in p or "\x00" in p for p in parts[1:]):
        return None
    root = folders[parts[0]].resolve()
    target = root.joinpath(*parts[1:]).resolve()
    if target != root and root not in target.parents:
        return None  # a link out of the served folder
    return target if target.exists() else None


class _Handler(SimpleHTTPRequestHandler):
    folders: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        return str(resolve_served(self.folders, path))  # send_head has refused None

    def send_head(self):
        if resolve_served(self.folders, self.path) is None:
            self.send_error(404, "Not served: only the publication and the reports are")
            return None
        return super().send_head()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if urlsplit(self.path).path in ("", "/"):
            return self._index()
        return super().do_GET()

    def _index(self) -> None:
        items = "".join(f'<li><a href="/{name}/">{html.escape(name)}/</a> ({html.escape(str(folder))})</li>'
                        for name, folder in self.folders.items())
        body = (f"<!doctype html><meta charset=utf-8><title>cin_pipeline files</title>"
                f"<h1>cin_pipeline: published files and reports</h1><ul>{items}</ul>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: dagster dev owns the terminal
        pass


def make_server(paths: Paths, host: str = "127.0.0.1", port: int = 3001) -> ThreadingHTTPServer:
    """A server (not yet serving) for ``paths.served_folders`` on ``host:port``."""
    handler = type("ServedFolders", (_Handler,), {"folders": dict(paths.served_folders)})
    return ThreadingHTTPServer((host, port), handler)


def _stop_when_gone(server: ThreadingHTTPServer, parent_pid: int) -> None:
    while True:
        time.sleep(2)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            server.shutdown()
            return
        except PermissionError:
            pass  # alive, another user's


def serve(paths: Paths, host: str = "127.0.0.1", port: int = 3001, parent_pid: int | None = None) -> None:
    """Serve until interrupted, or until ``parent_pid`` has exited."""
    server = make_server(paths, host, port)
    if parent_pid:
        threading.Thread(target=_stop_when_gone, args=(server, parent_pid), daemon=True).start()
    with server:
        server.serve_forever(poll_interval=0.5)


def register(sub) -> None:
    p = sub.add_parser("files", help="serve the publication and the reports over HTTP (the UI's links)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=3001)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--parent-pid", type=int, default=None, help="stop when this process has exited")
    p.set_defaults(func=lambda a: serve(Paths.from_env(), a.host, a.port, a.parent_pid) or 0)

