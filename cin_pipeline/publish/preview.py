"""Static HTML release preview (``index.html``): headline figures, inline SVG charts and the LA view.

No external resources (the machine is offline): the charts are SVG polylines drawn here from the
national rows of the published tables. The LA view (:mod:`cin_pipeline.publish.la_view`) embeds
the published cells of the LA tables' headline measures as JSON and a small inline script that
shows the LA picked beside its region and England.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from cin_pipeline.ees.rows import EesOutput
from cin_pipeline.publish import la_view

TEMPLATE = Path(__file__).resolve().parent / "templates" / "preview.html"

def tiles(outputs: dict[str, EesOutput]):
    """``(output, headline)`` of every headline figure declared as a tile, in table order."""
    return [(o, h) for o in outputs.values() for h in o.spec.headline if h.tile]


def charts(outputs: dict[str, EesOutput]):
    """``(output, headline)`` of every headline figure declared as a chart, in table order."""
    return [(o, h) for o in outputs.values() for h in o.spec.headline if h.chart]


def _num(s: str) -> float | None:
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def national_series(out: EesOutput, column: str) -> list[tuple[int, float]]:
    d = out.data[out.data["geographic_level"] == "National"]
    for f in out.spec.filters:
        if f.total and f.name in d.columns:
            d = d[d[f.name] == f.total]
    pts = [(int(y), _num(v)) for y, v in zip(d["time_period"], d[column])]
    return sorted((y, v) for y, v in pts if v is not None)


def svg_line(points: list[tuple[int, float]], width: int = 440, height: int = 220,
             percent: bool = False) -> str:
    if not points:
        return "<p>No data.</p>"
    pad_l, pad_r, pad_t, pad_b = 64, 12, 12, 28
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0 = 0.0
    y1 = max(ys) * 1.1 or 1.0
    sx = lambda x: pad_l + (x - x0) / (x1 - x0) * (width - pad_l - pad_r)  # noqa: E731
    sy = lambda y: height - pad_b - (y - y0) / (y1 - y0) * (height - pad_t - pad_b)  # noqa: E731
    poly = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    fmt = (lambda v: f"{v:.1f}%") if percent else (lambda v: f"{v:,.0f}")  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img">']
    for k in range(5):
        v = y0 + (y1 - y0) * k / 4
        y = sy(v)
        parts.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{fmt(v)}</text>')
    for x in xs:
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 8}" font-size="10" text-anchor="middle">{x}</text>')
    parts.append(f'<polyline fill="none" stroke="#1d70b8" stroke-width="2.5" points="{poly}"/>')
    for x, y in points:
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="#1d70b8">'
                     f'<title>{x}: {fmt(y)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def render(title: str, release_year: int, outputs: dict[str, EesOutput],
           data_docs_link: str | None = None) -> str:
    """The static preview page; ``data_docs_link``: where the Data Docs are, relative to it."""
    shown_tiles, figures, files = [], [], []
    for out, h in tiles(outputs):
        col, label = h.column, h.label
        pts = national_series(out, col)
        latest = [v for y, v in pts if y == release_year]
        if not latest:
            continue
        v = latest[0]
        shown = f"{v:.1f}" if "percent" in col or "rate" in col else f"{v:,.0f}"
        shown_tiles.append(f'<div class="tile"><div class="v">{shown}</div><div class="l">{html.escape(label)}</div></div>')
    for out, h in charts(outputs):
        percent = out.spec.indicator(h.column).kind == "percent"
        figures.append(f"<figure><figcaption>{html.escape(h.label)}, England</figcaption>"
                       f"{svg_line(national_series(out, h.column), percent=percent)}</figure>")
    for tid, out in outputs.items():
        files.append(f"<tr><td>{html.escape(out.spec.code)}</td><td>{html.escape(out.spec.title)}</td>"
                     f'<td><a href="data/{out.file_name}">{out.file_name}</a></td><td>{len(out.data)}</td></tr>')
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=html.escape(title), year=release_year,
        docs=(f' · <a href="{html.escape(data_docs_link)}">Data quality (Great Expectations Data Docs)</a>'
              if data_docs_link else ""),
        tiles="\n".join(shown_tiles), charts="\n".join(figures), files="\n".join(files),
        la_view=la_view.render(outputs))


def markdown_preview(out: EesOutput, n: int = 13) -> str:
    """First rows of a table as Markdown (Dagster metadata)."""
    d = out.data.head(n)
    cols = list(d.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in d.itertuples(index=False, name=None)]
    return "\n".join(lines)
