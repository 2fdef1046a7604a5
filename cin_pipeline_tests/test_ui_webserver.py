"""Operable from the web UI: the Dagster UI serves this project's asset graph, as a person sees it.

Starts ``dagster-webserver -m cin_pipeline.definitions`` on a free port with DAGSTER_HOME and
CIN_DATA_DIR in a temp folder, opens it in headless Chromium (Debian's package, driven by
Playwright) and asserts on visible text: the six stage groups in the global asset lineage, the
table assets once the groups are expanded, and each table's checks on its Checks tab. The
GraphQL endpoint is used only to cross-check and to list what the pages must show.

Screenshot of the expanded graph: written to the test's temp folder, or to docs/asset_graph.png
with ``CIN_UPDATE_SCREENSHOT=1 .venv/bin/python -m pytest -m ui``.
Chromium comes from ``scripts/ensure_chromium.sh`` (``make test`` runs it); without it this skips.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time

import pytest

from ui_helpers import (
    CHROMIUM_ARGS,
    DEFINITIONS_MODULE,
    DISMISS_COMMUNITY_DIALOG,
    PROJECT_ROOT,
    DagsterWebUI,
    find_chromium,
)

pytestmark = pytest.mark.ui

EXPECTED_GROUPS = ("census_extract", "staging", "longitudinal", "children_in_need", "re_referrals", "publication")
TABLES_SHOWN = {"c1": "children_in_need", "b1": "children_in_need"}  # table code -> its group
TABLE_GROUPS = ("children_in_need", "re_referrals")  # the releases: a table's key is [group, code]
EXPECTED_CHECKS = ("gx_suite", "screener")  # on every table asset
VIEWPORT = {"width": 1600, "height": 1000}
SCREENSHOT = PROJECT_ROOT / "docs" / "asset_graph.png"
UI_TIMEOUT_MS = 30_000

ASSETS_QUERY = """
{ assetNodes { assetKey { path } groupName
    assetChecksOrError { __typename ... on AssetChecks { checks { name } } } } }
"""
WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def _skip_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if find_chromium() is None:
        how = ("run scripts/ensure_chromium.sh as root" if shutil.which("apt-get")
               else "apt-get is unavailable on this machine, so scripts/ensure_chromium.sh cannot install it")
        return f"Chromium (/usr/bin/chromium) is not installed: {how}"
    if importlib.util.find_spec(DEFINITIONS_MODULE) is None:
        return f"{DEFINITIONS_MODULE} does not exist yet"
    return None


@pytest.fixture(scope="module")
def web_ui(tmp_path_factory):
    """The web server on this project's definitions, with its instance and data in a temp folder."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("webui")
    home, data = root / "dagster_home", root / "data"
    home.mkdir()
    data.mkdir()
    if (PROJECT_ROOT / "dagster.yaml").exists():  # the project's instance settings (telemetry off)
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    from cin_pipeline.synth import generate

    # a couple of returns in the landing folder; the graph needs none
    generate(data / "landing", years=[2024], las=["330"], scale=0.02, seed=1, workers=1)
    server = DagsterWebUI({"DAGSTER_HOME": str(home), "CIN_DATA_DIR": str(data)}, root / "webserver.log")
    with server:
        print(f"\ndagster-webserver answered /server_info after {server.start_seconds:.1f} s")
        yield server


@pytest.fixture(scope="module")
def assets(web_ui) -> dict[str, dict]:
    """What the server's GraphQL says it serves: 'a/b' asset key -> {group, checks}."""
    entries = web_ui.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    errors = [e["locationOrLoadError"].get("message") for e in entries
              if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "PythonError"]
    assert entries and not errors, f"code location failed to load: {errors or entries}"
    out = {}
    for node in web_ui.graphql(ASSETS_QUERY)["assetNodes"]:
        checks = node["assetChecksOrError"]
        out["/".join(node["assetKey"]["path"])] = {
            "group": node["groupName"],
            "checks": sorted(c["name"] for c in checks.get("checks", [])),
        }
    return out


@pytest.fixture(scope="module")
def browser(web_ui):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=UI_TIMEOUT_MS)
    # Scale 2: the fitted graph is small on screen; twice the pixels keep its labels legible.
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=2)
    context.add_init_script(DISMISS_COMMUNITY_DIALOG)
    context.set_default_timeout(UI_TIMEOUT_MS)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def table_keys(assets: dict[str, dict]) -> list[str]:
    """'<group>/<code>' of every table asset the server serves."""
    return sorted(key for key in assets if key.split("/", 1)[0] in TABLE_GROUPS and "/" in key)


def table_ids(assets: dict[str, dict]) -> list[str]:
    """The table codes, as the graph labels its nodes (the last part of the key)."""
    return sorted({key.split("/", 1)[1] for key in table_keys(assets)})


def test_web_server_serves_the_stage_groups_and_table_checks(web_ui, assets):
    """Cross-check through GraphQL: what the pages below must show is what the server serves,
    under the code location name the docs give (workspace.yaml, pyproject, ``make ui``)."""
    entries = web_ui.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    assert [e["name"] for e in entries] == ["cin_pipeline"]
    groups = {a["group"] for a in assets.values()}
    assert set(EXPECTED_GROUPS) <= groups, f"missing groups: {sorted(set(EXPECTED_GROUPS) - groups)}"
    for table, group in TABLES_SHOWN.items():
        assert f"{group}/{table}" in assets, f"no asset {group}/{table}; assets: {sorted(assets)}"
        assert assets[f"{group}/{table}"]["group"] == group
    keys = table_keys(assets)
    assert {k.split("/", 1)[0] for k in keys} == set(TABLE_GROUPS)
    for key in keys:
        assert assets[key]["group"] == key.split("/", 1)[0]
        missing = set(EXPECTED_CHECKS) - set(assets[key]["checks"])
        assert not missing, f"{key} has no check(s) {sorted(missing)}"


def _graph_menu(page, item: str) -> None:
    """Choose an item of the graph's settings (gear) menu, as a person would."""
    page.locator("#zoom-slider-container").get_by_role("button", name="settings").click()
    page.get_by_role("menuitem", name=item).click()
    page.keyboard.press("Escape")


def _zoom_to_fit(page, probe) -> None:
    """Double-click on the graph's background (Dagster's zoom to fit) once the layout has settled;
    again if ``probe`` (a node of the graph) is still not on screen."""
    from playwright.sync_api import expect

    box = page.locator("#zoom-slider-container").locator("xpath=..").bounding_box()
    for _ in range(4):
        page.wait_for_timeout(1500)
        page.mouse.dblclick(box["x"] + 8, box["y"] + box["height"] - 8)
        try:
            expect(probe).to_be_in_viewport(timeout=5000)
            return
        except AssertionError:
            continue


def test_asset_graph_shows_every_stage_and_table(web_ui, assets, page, tmp_path):
    from playwright.sync_api import expect

    t0 = time.monotonic()
    page.goto(web_ui.url + "/asset-groups")
    expect(page.get_by_text("Global asset lineage", exact=True)).to_be_visible()
    graph = page.locator("svg[class*='svgContainer']")
    # Collapsed (the default): one box per group, i.e. per stage of the data flow.
    for group in EXPECTED_GROUPS:
        expect(graph.get_by_text(group, exact=True).first).to_be_visible()

    # Expanded: every asset inside its group box, stages top to bottom, fitted to the window.
    page.get_by_role("button", name="Hide navigation").click()
    page.locator("button:has([aria-label='panel_show_right'])").last.click()  # the group list
    _graph_menu(page, "Expand all groups")
    _graph_menu(page, "Change graph to vertical orientation")
    _zoom_to_fit(page, graph.get_by_text(EXPECTED_GROUPS[0], exact=True).first)
    # Every stage and table in the fitted graph. With the 30-odd tables of a release side by side
    # the fitted graph is too small for Dagster to draw their labels, so each release's tables are
    # read in its own graph (``/asset-groups/<release>``, expanded and fitted the same way).
    for name in EXPECTED_GROUPS:
        label = graph.get_by_text(name, exact=True).first
        expect(label).to_be_visible()
        expect(label).to_be_in_viewport()

    page.wait_for_timeout(1500)  # let the zoom animation and the status badges settle
    target = SCREENSHOT if os.environ.get("CIN_UPDATE_SCREENSHOT") == "1" else tmp_path / SCREENSHOT.name
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000

    # A release's tables have no edges between them: left to right they stack in one column, so a
    # tall window fits them at a zoom where Dagster still draws every label.
    location = web_ui.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"][0]["name"]
    most = max(sum(k.startswith(r + "/") for k in table_keys(assets)) for r in TABLE_GROUPS)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], 300 * most)})
    for i, release in enumerate(TABLE_GROUPS):
        page.goto(f"{web_ui.url}/locations/__repository__@{location}/asset-groups/{release}")
        graph = page.locator("svg[class*='svgContainer']")
        expect(graph).to_be_visible()
        if i == 0:  # the orientation chosen above is remembered: back to left to right
            _graph_menu(page, "Change graph to horizontal orientation")
        codes = sorted(k.split("/", 1)[1] for k in table_keys(assets) if k.startswith(release + "/"))
        _zoom_to_fit(page, graph.get_by_text(codes[-1], exact=True).first)  # the last: all settled
        for code in codes:
            label = graph.get_by_text(code, exact=True).first
            expect(label).to_be_visible()
            expect(label).to_be_in_viewport()
    print(f"asset graph checked in {time.monotonic() - t0:.1f} s; screenshot: {target}")


@pytest.mark.parametrize("table", sorted(TABLES_SHOWN))
def test_table_checks_tab_lists_its_checks(web_ui, assets, page, table):
    from playwright.sync_api import expect

    key = f"{TABLES_SHOWN[table]}/{table}"
    checks = assets[key]["checks"]
    page.goto(f"{web_ui.url}/assets/{key}?view=checks")
    expect(page.get_by_text(f"Checks ({len(checks)})", exact=True)).to_be_visible()
    for check in sorted(set(checks) | set(EXPECTED_CHECKS)):
        expect(page.get_by_text(check, exact=True).first).to_be_visible()


def test_data_quality_report_renders_in_chromium(page, tmp_path):
    """A data-quality report, opened from the disk as an LA analyst would (static, offline), shows
    its finding: file, child, the rule's text and what to fix; the child ID ``X<SCRIPT>`` as text."""
    import duckdb
    from playwright.sync_api import expect

    from cin_pipeline.ingest import attach_staging, rules
    from cin_pipeline.ingest.dq_report import INDEX_HTML, build_index, build_reports, report_dir
    from cin_pipeline_tests.test_dq_reports import _tiny_census

    env = _tiny_census(tmp_path / "data")
    con = duckdb.connect()
    attach_staging(con, env["staging"], env["audit"])
    build_reports(con, [(2025, "201")], env["reports"], env["staging"], env["quarantine"])
    build_index(con, env["reports"], env["quarantine"])
    con.close()
    page.goto((env["reports"] / INDEX_HTML).as_uri())
    page.get_by_role("link", name="report").first.click()
    assert page.url == (report_dir(env["reports"], 2025, "201") / "report.html").as_uri()
    r8620 = rules.rule("8620")
    row = page.get_by_role("row").filter(has_text="CINclosureDate 2025-06-01")
    expect(row).to_have_count(1)
    for text in ("201.xml", "BAD", r8620.message.rstrip("."), r8620.fix):
        expect(row.get_by_role("cell", name=text, exact=True)).to_have_count(1)
    expect(page.get_by_role("cell", name="X<SCRIPT>", exact=True).first).to_be_visible()
    expect(page.get_by_text("malformed_xml", exact=True)).to_be_visible()


MATERIALIZATION_QUERY = """
query ($key: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $key) {
    ... on Asset {
      assetMaterializations(partitions: $partitions, limit: 1) {
        partition
        metadataEntries {
          label
          ... on MarkdownMetadataEntry { mdStr }
          ... on IntMetadataEntry { intValue }
        }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def staged_2024(web_ui):
    """LA 330's 2024 return ingested and staged, its data-quality report and the index built, in
    the web server's instance (runs of the real Definitions, in this process), with the links of
    the metadata pointing at a file server like the one ``cin-pipeline ui`` starts: yields its URL."""
    import threading

    import dagster as dg

    from cin_pipeline.cli.files import make_server
    from cin_pipeline.defs.inprocess import load_definitions, range_tags, run_selection
    from cin_pipeline.defs.partitions import la_partitions
    from cin_pipeline.settings import FILES_URL_ENV, Paths

    env = web_ui.env
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIN_DATA_DIR", env["CIN_DATA_DIR"])
        mp.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
        files = make_server(Paths.from_env(), "127.0.0.1", 0)
        files_url = f"http://127.0.0.1:{files.server_address[1]}"
        mp.setenv(FILES_URL_ENV, files_url)
        threading.Thread(target=files.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions(la_partitions.name, ["330"])
            defs = load_definitions()
            one_la = range_tags("330|2024", "330|2024")
            assert run_selection(defs, instance, "ui_census", dg.AssetSelection.assets("census_return"),
                                 tags=one_la).success
            assert run_selection(defs, instance, "ui_staging", dg.AssetSelection.groups("staging"),
                                 tags=range_tags("2024", "2024")).success
            assert run_selection(defs, instance, "ui_dq_report", dg.AssetSelection.assets("dq_report"),
                                 tags=one_la).success
            assert run_selection(defs, instance, "ui_dq_index",
                                 dg.AssetSelection.assets("dq_report_index")).success
        try:
            yield files_url
        finally:
            files.shutdown()
            files.server_close()


def test_a_census_year_shows_its_las_by_name_and_findings_with_rule_text(web_ui, staged_2024):
    """What a statistician reads in the UI for a census year (through the web server's own
    GraphQL, as the asset page does): expected, received and missing LAs by code and name, and
    the data-quality findings with each rule's text, not a bare code."""

    def metadata(asset: str) -> dict:
        got = web_ui.graphql(MATERIALIZATION_QUERY, {"key": {"path": [asset]}, "partitions": ["2024"]})
        (mat,) = got["assetOrError"]["assetMaterializations"]
        return {e["label"]: e.get("mdStr", e.get("intValue")) for e in mat["metadataEntries"]}

    year = metadata("census_year")
    assert year["las_received"] == 1 and year["las_missing"] == year["las_expected"] - 1
    assert "1 of " in year["la_coverage"] and "| 330 | Birmingham | West Midlands | received |" in year["la_coverage"]
    assert "| 942 | Cumberland | North West | missing |" in year["la_coverage"]
    dq = metadata("data_quality_summary")
    assert dq["rules_triggered"] > 0      # the generator's returns carry some queries
    from cin_pipeline.defs.markdown import cell
    from cin_pipeline.ingest.rules import rule_texts

    shown = [(code, text) for code, _, text, _ in rule_texts(2024) if f"| {code} |" in dq["by_rule"]]
    assert len(shown) == dq["rules_triggered"]
    assert all(f" | {cell(text)} |" in dq["by_rule"] for _, text in shown)   # each code with its text


def _markdown_entry(page, label: str):
    """The rendered Markdown of metadata entry ``label`` on an asset page: in its row, or in the
    dialog its "[Show Markdown]" opens (what the UI does with a long one)."""
    from playwright.sync_api import expect

    row = page.get_by_role("row").filter(has=page.get_by_text(label, exact=True))
    expect(row.first).to_be_visible()
    more = row.first.get_by_text("[Show Markdown]")
    if more.count():
        more.click()
        return page.get_by_role("dialog")
    return row.first


def test_the_asset_pages_show_las_by_name_rule_texts_and_open_the_reports(web_ui, staged_2024, page):
    """The same, as a person sees it in Chromium: the census year's page lists its LAs by name with
    received or missing, the data-quality summary shows each triggered rule's text, and the link
    on the reports index's page opens the report through the file server."""
    from playwright.sync_api import expect

    from cin_pipeline.ingest.rules import rule_texts

    page.goto(f"{web_ui.url}/assets/census_year?partition=2024")
    coverage = _markdown_entry(page, "la_coverage")
    expect(coverage.get_by_role("row").filter(has_text="Birmingham")).to_contain_text("received")
    cumberland = coverage.get_by_role("row").filter(has_text="Cumberland")
    expect(cumberland).to_contain_text("942")
    expect(cumberland).to_contain_text("missing")
    page.keyboard.press("Escape")

    page.goto(f"{web_ui.url}/assets/data_quality_summary?partition=2024")
    by_rule = _markdown_entry(page, "by_rule").get_by_role("row")
    expect(by_rule.filter(has_text="query").first).to_be_visible()
    texts = {code: text for code, _, text, _ in rule_texts(2024)}
    shown = [code for code in texts if by_rule.filter(has_text=code).count()]
    assert shown, "no rule code on the page"
    for code in shown:
        expect(by_rule.filter(has_text=code).first).to_contain_text(texts[code])

    page.goto(f"{web_ui.url}/assets/dq_report_index")
    link = page.get_by_role("link", name=f"{staged_2024}/reports/index.html")
    with page.context.expect_page() as opened:
        link.click()
    report_index = opened.value
    report_index.wait_for_load_state()
    assert report_index.url == f"{staged_2024}/reports/index.html"
    report_index.get_by_role("link", name="report").first.click()
    assert report_index.url == f"{staged_2024}/reports/2024/330/report.html"
    expect(report_index.get_by_text("330", exact=False).first).to_be_visible()
