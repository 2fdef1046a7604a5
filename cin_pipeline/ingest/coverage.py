"""Which LAs a census year should have, and which it has: expected, received, quarantined, missing.

Expected: the LAs of that year's geography in the LA reference (``reference.las_for_year``: an LA
that did not exist that year, such as Cumberland before 2024, is not expected). Received: an LA
with a staged return for the year. Quarantined: a return for the LA-year was set aside
(``.reason.json``) and none is staged. Missing: expected, and neither received nor quarantined.
A staged LA outside the year's geography is listed as "received, not expected".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from cin_pipeline import reference
from cin_pipeline.ingest.dq_report import quarantined_by_la_year
from cin_pipeline.ingest.versions import current_versions

RECEIVED, QUARANTINED, MISSING, UNEXPECTED = "received", "quarantined", "missing", "received, not expected"
ORDER = (MISSING, QUARANTINED, UNEXPECTED, RECEIVED)


@dataclass(frozen=True)
class LaStatus:
    la: str
    name: str
    region: str
    status: str


def la_coverage(year: int, received: Iterable[str], quarantined: Iterable[str] = ()) -> list[LaStatus]:
    """One :class:`LaStatus` per expected or received LA of census ``year``: missing first, then
    quarantined, then received, each in the published order of the year's LAs."""
    got, held = {str(x) for x in received}, {str(x) for x in quarantined}
    las = reference.las_for_year(year)
    expected = las["old_la_code"].astype(str).tolist()
    out = []
    for la, name, region in zip(expected, las["la_name"], las["region_name"]):
        status = RECEIVED if la in got else QUARANTINED if la in held else MISSING
        out.append(LaStatus(la, str(name), str(region), status))
    names = reference.la_names()
    out += [LaStatus(la, names.get(la, "unknown LA code"), "", UNEXPECTED)
            for la in sorted(got - set(expected))]
    return sorted(out, key=lambda s: ORDER.index(s.status))


def staged_coverage(years: Iterable[int], staging_dir: str | os.PathLike,
                    quarantine_dir: str | os.PathLike) -> dict[int, list[LaStatus]]:
    """:func:`la_coverage` of each census year from what is on disk: the staged versions (the
    links the warehouse views read) and the quarantine reasons."""
    staged = current_versions(staging_dir)
    held = quarantined_by_la_year(quarantine_dir)[0]
    return {int(y): la_coverage(int(y), [la for (sy, la) in staged if sy == int(y)],
                                [la for (qy, la) in held if qy == int(y)]) for y in years}


def counts(coverage: list[LaStatus]) -> dict[str, int]:
    """``expected``, ``received``, ``quarantined``, ``missing``, ``unexpected``."""
    n = {s: sum(c.status == s for c in coverage) for s in ORDER}
    return {"expected": n[RECEIVED] + n[QUARANTINED] + n[MISSING], "received": n[RECEIVED],
            "quarantined": n[QUARANTINED], "missing": n[MISSING], "unexpected": n[UNEXPECTED]}


def summary(year: int, coverage: list[LaStatus]) -> str:
    """One line a person reads: how many were expected and received, and which are not in."""
    n = counts(coverage)
    line = f"{year} census: {n['received']} of {n['expected']} expected LAs received"
    for status, label in ((MISSING, "missing"), (QUARANTINED, "quarantined (no return staged)"),
                          (UNEXPECTED, "received but not in the year's geography")):
        names = [f"{c.la} {c.name}" for c in coverage if c.status == status]
        if names:
            line += f"; {label}: {', '.join(names)}"
    return line
