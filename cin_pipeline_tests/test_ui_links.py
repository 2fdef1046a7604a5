"""The web UI's links: the asset metadata's URLs open the publication and the reports through
``cin-pipeline files`` (started by ``cin-pipeline ui``), which serves those two folders and
nothing else of the data folder."""

from __future__ import annotations

import http.client
import threading

import pytest

from cin_pipeline.cli.files import make_server
from cin_pipeline.settings import FILES_URL_ENV, Paths, file_url


@pytest.fixture
def paths(tmp_path, monkeypatch) -> Paths:
    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path))
    for var in ("CIN_PUBLICATION_DIR", "CIN_STAGING_DIR", FILES_URL_ENV):
        monkeypatch.delenv(var, raising=False)
    p = Paths.from_env()
    (p.publication_dir / "children-in-need" / "2024").mkdir(parents=True)
    (p.publication_dir / "children-in-need" / "2024" / "index.html").write_text("<h1>preview 2024</h1>")
    (p.reports_dir / "2024" / "330").mkdir(parents=True)
    (p.reports_dir / "2024" / "330" / "report.html").write_text("<h1>LA 330 report</h1>")
    (p.staging_dir / "returns").mkdir(parents=True)
    (p.staging_dir / "returns" / "child.parquet").write_text("child-level rows")
    (p.data_dir / "warehouse.duckdb").write_text("warehouse")
    (p.publication_dir / "escape").symlink_to(p.staging_dir / "returns")
    return p


@pytest.fixture
def server(paths):
    srv = make_server(paths, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def _get(port: int, raw_path: str, method: str = "GET") -> tuple[int, str]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        con.putrequest(method, raw_path, skip_accept_encoding=True)  # the path exactly as written
        con.endheaders()
        r = con.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        con.close()


def test_links_point_into_the_served_folders_only(paths, monkeypatch):
    preview = paths.publication_dir / "children-in-need" / "2024" / "index.html"
    assert file_url(paths, preview) == "http://127.0.0.1:3001/publication/children-in-need/2024/index.html"
    assert file_url(paths, preview.parent) == "http://127.0.0.1:3001/publication/children-in-need/2024/"
    assert file_url(paths, paths.reports_dir / "2024" / "330" / "report.html") == \
        "http://127.0.0.1:3001/reports/2024/330/report.html"
    assert file_url(paths, paths.staging_dir / "returns" / "child.parquet") is None
    assert file_url(paths, paths.data_dir / "warehouse.duckdb") is None
    monkeypatch.setenv(FILES_URL_ENV, "http://localhost:4001/")  # `cin-pipeline ui --port 4000`
    assert file_url(paths, preview) == "http://localhost:4001/publication/children-in-need/2024/index.html"


def test_the_file_server_opens_what_the_links_name(paths, server):
    status, body = _get(server, "/publication/children-in-need/2024/index.html")
    assert (status, body) == (200, "<h1>preview 2024</h1>")
    status, body = _get(server, "/reports/2024/330/report.html")
    assert (status, body) == (200, "<h1>LA 330 report</h1>")
    status, body = _get(server, "/publication/children-in-need/2024/")  # a folder opens its index.html
    assert (status, body) == (200, "<h1>preview 2024</h1>")
    status, body = _get(server, "/reports/2024/330/")  # else lists its files
    assert status == 200 and 'href="report.html"' in body
    status, body = _get(server, "/")
    assert status == 200 and 'href="/publication/"' in body and 'href="/reports/"' in body


@pytest.mark.parametrize("raw_path", [
    "/staging/returns/child.parquet",            # not a served folder
    "/warehouse.duckdb",
    "/publication/../warehouse.duckdb",          # climbing out, as sent and percent-encoded
    "/publication/%2e%2e/warehouse.duckdb",
    "/reports/..%2f..%2fwarehouse.duckdb",
    "/publication/escape/child.parquet",         # a symbolic link out of the folder
    "/publication/nothing-here.csv",
])
def test_the_file_server_serves_nothing_else(paths, server, raw_path):
    status, body = _get(server, raw_path)
    assert status == 404
    assert "child-level rows" not in body


def test_the_file_server_is_read_only(server):
    assert _get(server, "/publication/children-in-need/2024/index.html", "POST")[0] == 501
    assert _get(server, "/publication/children-in-need/2024/index.html", "DELETE")[0] == 501
