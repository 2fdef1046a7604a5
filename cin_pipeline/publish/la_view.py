"""The LA view of the release preview: pick a local authority, see its headline measures over time
beside its region and England.

The figures are the cells of the published data files, as text (``EesOutput.data``, the frame
the ``.csv`` is written from): ``c``, ``x``, ``u``, ``z``, ``k`` and the numbers exactly as
published, never recomputed, so the page cannot disagree with the files. The measures are the
declared headline figures (:class:`cin_pipeline.tables.declare.Headline`) of the tables with LA
rows whose every year is a row per LA (not the event-window table F2, one row per LA at its
latest inspection year, nor a latest-year-only file), on the row picked by the headline's
``rows`` and else by each filter's ``Total`` (a headline on a filter with neither is left out:
no single published cell per area and year).

The data are embedded in ``index.html`` as JSON in ``<script type="application/json">`` (every
``<``, ``>`` and ``&`` escaped, so no ``</script>`` can end it early), and a small script
(``templates/la_view.js``, no library) draws the tables and lines of the LA picked in a
``<select>`` of the LAs grouped by region. Keys and lists are written in a fixed order: the same
outputs give the same bytes.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from cin_pipeline.ees.rows import EesOutput
from cin_pipeline.tables.declare import Headline, TableSpec

SCRIPT = Path(__file__).resolve().parent / "templates" / "la_view.js"

LA_LEVEL = "Local authority"
LONDON = "E12000007"       # the London region: its boroughs' LA rows carry Inner or Outer London
LONDON_PARTS = ("E13000001", "E13000002")


def published_row(spec: TableSpec, h: Headline) -> dict[str, str] | None:
    """The filter values picking the published row of a headline figure (its ``rows``, else each
    query filter's Total); None when a filter has neither (no single cell per area and year)."""
    pinned = dict(h.rows)
    pick = {}
    for f in spec.query_filters:
        value = pinned.get(f.name) or f.total
        if not value:
            return None
        pick[f.name] = value
    return pick


def la_measures(outputs: dict[str, EesOutput]) -> list[tuple[EesOutput, Headline, dict[str, str]]]:
    """``(output, headline, filter values of its row)`` of every headline figure shown in the LA
    view, in table order: tables with LA rows, one per LA and year."""
    out = []
    for o in outputs.values():
        spec = o.spec
        if LA_LEVEL not in spec.geographic_levels or spec.window is not None or spec.latest_only:
            continue
        for h in spec.headline:
            pick = published_row(spec, h)
            if pick is not None:
                out.append((o, h, pick))
    return out


def _rows(out: EesOutput, pick: dict[str, str]) -> pd.DataFrame:
    d = out.data
    for name, value in pick.items():
        d = d[d[name] == value]
    return d


def _area(level: str, country: str, region: str, la: str) -> str:
    return country if level == "National" else region if level == "Regional" else la


def view_data(outputs: dict[str, EesOutput]) -> dict:
    """What the page embeds::

        {"measures": [{"table", "title", "label", "column", "file", "kind", "years"}, ...],
         "areas": {code: {"name", "values": [[cell per year of the measure] | null per measure]}},
         "las": [[LA code, LA name, [region codes shown beside it]], ...]   (select order)
         "regions": [[region code, name], ...]                              (published order)
         "england": country code}

    ``areas`` holds England (country code), every region (region code) and every LA (its 3-digit
    code); a cell is the published text, null where the file has no row (an LA before it
    existed). An LA is named and placed as on its latest row; a London borough is shown beside
    Inner or Outer London and London."""
    measures: list[dict] = []
    areas: dict[str, dict] = {}
    la_latest: dict[str, tuple[int, str, str]] = {}     # LA -> (year, name, region code)
    regions: dict[str, str] = {}                        # region code -> name, first seen
    england = None
    chosen = la_measures(outputs)
    for m, (out, h, pick) in enumerate(chosen):
        d = _rows(out, pick)
        years = sorted({int(y) for y in d["time_period"]})
        at = {y: i for i, y in enumerate(years)}
        measures.append({"table": out.spec.code, "title": out.spec.title, "label": h.label,
                         "column": h.column, "file": out.file_name,
                         "kind": out.spec.indicator(h.column).kind, "years": years})
        cols = ["time_period", "geographic_level", "country_code", "country_name", "region_code",
                "region_name", "old_la_code", "la_name", h.column]
        for y, level, ccode, cname, rcode, rname, la, laname, cell in d[cols].itertuples(index=False, name=None):
            y = int(y)
            code = _area(level, ccode, rcode, la)
            name = cname if level == "National" else rname if level == "Regional" else laname
            if level == "National":
                england = ccode
            elif level == "Regional":
                regions.setdefault(rcode, rname)
            elif y >= la_latest.get(la, (0,))[0]:
                la_latest[la] = (y, laname, rcode)
            area = areas.setdefault(code, {"name": name, "values": [None] * len(chosen)})
            series = area["values"][m]
            if series is None:
                series = area["values"][m] = [None] * len(years)
            if series[at[y]] is not None:
                raise ValueError(f"{out.spec.table_id} {h.column}: two published rows for {code} in {y}")
            series[at[y]] = str(cell)
    for la, (_, name, _) in la_latest.items():
        areas[la]["name"] = name
    region_order = {code: i for i, code in enumerate(regions)}
    las = sorted(la_latest.items(),
                 key=lambda kv: (region_order.get(kv[1][2], len(region_order)), kv[1][1], kv[0]))
    return {
        "measures": measures,
        "areas": {k: areas[k] for k in sorted(areas)},
        "las": [[la, name, [rcode] + ([LONDON] if rcode in LONDON_PARTS and LONDON in regions else [])]
                for la, (_, name, rcode) in las],
        "regions": [[code, name] for code, name in regions.items()],
        "england": england,
    }


def embedded_json(data: dict) -> str:
    """``data`` as JSON safe inside ``<script type="application/json">``: ASCII only, and ``<``,
    ``>`` and ``&`` as ``\\u`` escapes (no ``</script>`` or ``<!--`` can appear in it)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(outputs: dict[str, EesOutput]) -> str:
    """The LA view section of the preview ("" when the release has no LA headline figures)."""
    data = view_data(outputs)
    if not data["measures"] or not data["las"]:
        return ""
    names = dict(data["regions"])
    groups: list[tuple[str, list[str]]] = []
    for la, name, shown in data["las"]:
        region = names.get(shown[0], "Other")
        if not groups or groups[-1][0] != region:
            groups.append((region, []))
        groups[-1][1].append(f'<option value="{html.escape(la)}">{html.escape(name)}</option>')
    select = "\n".join(f'<optgroup label="{html.escape(region)}">{"".join(opts)}</optgroup>'
                       for region, opts in groups)
    script = SCRIPT.read_text(encoding="utf-8")
    if "</" in script:
        raise ValueError(f"{SCRIPT.name} must not contain '</' (it is inlined in a <script>)")
    n = len(data["measures"])
    return (
        '<h2 id="la-view">Local authority view</h2>\n'
        f"<p>The {n} headline measure{'s' if n != 1 else ''} of the local authority tables for the local "
        "authority you pick, beside its region and England, for every year published: the cells "
        "of the data files as published, symbols included.</p>\n"
        '<p><label for="la-pick">Local authority</label>\n'
        f'<select id="la-pick">\n{select}\n</select></p>\n'
        '<noscript><p class="note">Picking a local authority needs JavaScript; the same figures '
        "are in the data files.</p></noscript>\n"
        '<div id="la-measures"></div>\n'
        f'<script type="application/json" id="la-view-data">{embedded_json(data)}</script>\n'
        f"<script>\n{script}</script>"
    )
