"""Data guidance (``data-guidance.md``), generated from the table declarations: nothing is written twice."""

from __future__ import annotations

from cin_pipeline import reference
from cin_pipeline.tables.declare import Release, TableSpec

SYMBOLS = (
    ("c", "confidential: a local authority count of 1 to 5, or a figure from which such a count "
          "could be worked out (secondary suppression), or a percentage or rate of one"),
    ("x", "not available: no return from the local authority, or the item was not collected that year"),
    ("u", "low reliability: the local authority's return for the year has serious quality issues"),
    ("z", "not applicable: e.g. a percentage of zero, or a percentile with no cases"),
    ("k", "a national or regional figure that is not zero but rounds to zero"),
)

ROUNDING = (
    "National and regional counts are the sum of unrounded local authority figures, rounded "
    "(half up) to the nearest 10. Local authority counts are not rounded. Percentages and rates "
    "are calculated from unrounded counts and given to 1 decimal place (half up); rates are per "
    "10,000 children aged 0 to 17 (ONS mid-year estimates). Local authority counts of 1 to 5 are "
    "suppressed (c), with secondary suppression where a suppressed figure could be worked out "
    "from the others.")


NATIONAL_ROUNDING = (
    "Counts are the sum of unrounded local authority figures, rounded (half up) to the nearest 10. "
    "Percentages are calculated from unrounded counts and given to 1 decimal place (half up).")


def _columns_table(spec: TableSpec) -> list[str]:
    lines = ["| Column | Type | Label | Unit | dp |", "|---|---|---|---|---|"]
    for f in spec.filters:
        if f.group_column:
            groups = ", ".join(dict.fromkeys(g for _, g in f.groups))
            lines.append(f"| `{f.group_column}` | Filter group of `{f.name}` | {groups} | | |")
        vals = ", ".join(f.values[:8]) + (" …" if len(f.values) > 8 else "")
        lines.append(f"| `{f.name}` | Filter | {f.label} ({vals}) | | |")
    for i in spec.indicators:
        extra = f" (not collected before {i.first_year}: x)" if i.first_year else ""
        lines.append(f"| `{i.name}` | Indicator | {i.label}{extra} | {i.unit} | {i.dp} |")
    return lines


def _period(spec: TableSpec, years: list[int]) -> str:
    if spec.time_offset:
        a, b = years[0] + spec.time_offset, years[-1] + spec.time_offset
        return (f"mid-years {a} to {b} (`time_period` is the mid-year, 30 June; the estimate of "
                f"mid-year Y is the denominator of the rates of reporting year Y+{-spec.time_offset}, "
                f"{years[0]} to {years[-1]})")
    if spec.latest_only:
        return f"reporting year {years[-1]} only (year ending 31 March)"
    return f"reporting years {years[0]} to {years[-1]} (years ending 31 March)"


def table_section(spec: TableSpec, release_year: int, mixed: bool = False) -> str:
    """One data set's guidance. ``mixed``: the release has national-only and LA-level data sets,
    so each says which rounding applies to it."""
    years = spec.years(release_year)
    out = [
        f"### {spec.heading}",
        "",
        f"* File: `data/{spec.file_name(release_year)}` (metadata `data/{spec.meta_file_name(release_year)}`)",
        f"* Geographic levels: {', '.join(spec.geographic_levels)}"
        + (" (national only)" if spec.national_only else ""),
        f"* Layout: {spec.layout.describe()}",
        f"* Time period: {_period(spec, years)}",
        *([f"* Rounding: {NATIONAL_ROUNDING if spec.national_only else ROUNDING}"] if mixed else []),
        *(["* Source: the Longitudinal CIN Dataset (see *Longitudinal CIN Dataset* above)"]
          if spec.release.lcd_note and spec.reads_lcd else []),
        "",
        spec.description,
        "",
        *_columns_table(spec),
    ]
    if spec.footnotes:
        out += ["", "Footnotes:", *[f"{n}. {t}" for n, t in enumerate(spec.footnotes, 1)]]
    return "\n".join(out) + "\n"


def data_guidance(release: Release, release_year: int, tables: list[TableSpec],
                  status_notes: list[str] | None = None) -> str:
    national = [t for t in tables if t.national_only]
    national_only = len(national) == len(tables)
    mixed = bool(national) and not national_only
    lcd = [t for t in tables if t.reads_lcd]
    out = [
        f"# {release.title}: reporting year {release_year} — data guidance",
        "",
        release.summary,
        "",
    ]
    if release.national_note and national:
        which = ("All its data sets are national only." if national_only else
                 "Data sets national only: " + ", ".join(t.code for t in national) + ".")
        out += [f"{which} {release.national_note}", ""]
    if release.lcd_note and lcd:
        out += ["## Longitudinal CIN Dataset", "", release.lcd_note, ""]
    out += [
        "## Data files",
        "",
        *[f"* `{t.file_name(release_year)}` — {t.heading}" for t in tables],
        "",
        "All files follow the Explore Education Statistics data standards (`time_period` = "
        "reporting year ending 31 March, `time_identifier` = Reporting year"
        + ("; in the population file `time_period` is the ONS mid-year, as DfE publishes it"
           if any(t.time_offset for t in tables) else "") + ").",
        "",
        "## Rounding and suppression",
        "",
    ]
    if mixed:
        out += ["National-only data sets (" + ", ".join(t.code for t in national) + "): "
                + NATIONAL_ROUNDING, "",
                "Data sets with regional and local authority figures ("
                + ", ".join(t.code for t in tables if not t.national_only) + "): " + ROUNDING, ""]
    else:
        out += [NATIONAL_ROUNDING if national_only else ROUNDING, ""]
    out += [
        "## Symbols",
        "",
        *[f"* `{s}` — {t}" for s, t in SYMBOLS],
        "",
    ]
    rebuilt = [t for t in tables if not t.layout.exact]
    if rebuilt:
        out += ["## Layouts reconstructed by the project", "",
                "The exact published layout of these data sets is not known; their columns are the "
                "project's faithful reconstruction:", "",
                *[f"* {t.code}: {t.layout.source}" for t in rebuilt], ""]
    if status_notes and not national_only:
        out += ["## Local authorities with no return or low-reliability data", "",
                *[f"* {n}" for n in status_notes], ""]
    out += ["## Data sets", ""]
    out += [table_section(t, release_year, mixed) for t in tables]
    return "\n".join(out)


def status_notes(release_year: int) -> list[str]:
    """The LA-year status configuration (x/u and carry-forward), as guidance sentences."""
    st = reference.la_year_status()
    st = st[st["year"].astype(int) <= release_year]
    return [f"{int(r.year)}: {r.note} (`{r.status}`)" for r in st.itertuples(index=False)]
