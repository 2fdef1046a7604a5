"""Supporting files (cin_pipeline.synth.supporting): population copy, synthetic school census
and Ofsted files, their README, determinism and realistic rates."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cin_pipeline.synth.supporting import _iter_upns, write_supporting
from test_synth_faults import build_return


def _read(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _census(folder: Path) -> list[dict]:
    return [dict(r, year=p.stem) for p in sorted((folder / "school_census").glob("*.csv"))
            for r in _read(p)]


@pytest.fixture()
def returns(tmp_path) -> Path:
    for year in (2016, 2020, 2024, 2025):
        for la in ("330", "873"):
            build_return(tmp_path / str(year) / f"{la}.xml", year, la, n_children=400, seed=year)
    return tmp_path


def test_files_and_readme(returns):
    folder = write_supporting(returns, [2016, 2020, 2024, 2025], ["330", "873"], seed=3)
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "ofsted", "population_0_17.csv", "school_census"]
    assert sorted(p.name for p in (folder / "school_census").iterdir()) == ["2020.csv", "2024.csv"]
    readme = (folder / "README.md").read_text()
    assert "SYNTHETIC" in readme and "population_0_17.csv" in readme and "ONS" in readme
    for name in ("school_census/2020.csv", "school_census/2024.csv", "ofsted/judgements.csv"):
        rows = _read(folder / name)
        assert rows and {r["source"] for r in rows} == {"synthetic"}
        assert not (folder / name).read_text().startswith("#")  # plain CSV header first


def test_synthetic_extracts_are_in_the_accepted_format(returns, tmp_path):
    """Every row of the synthetic school census and Ofsted files passes the extract validation."""
    from cin_pipeline.ingest.extracts import OFSTED, SCHOOL_CENSUS, stage_extract

    folder = write_supporting(returns, [2020, 2024], ["330", "873"], seed=2)
    files = [(SCHOOL_CENSUS, p) for p in sorted((folder / "school_census").glob("*.csv"))]
    files.append((OFSTED, folder / "ofsted" / "judgements.csv"))
    for extract, path in files:
        o = stage_extract(extract, path, tmp_path / "staging", tmp_path / "q", tmp_path / "audit")
        assert o.ok and o.rows_rejected == 0 and o.rows_staged == len(_read(path)), o


def test_population_is_the_published_denominator(returns):
    from cin_pipeline.reference import population

    folder = write_supporting(returns, [2016, 2020, 2024], ["330", "873"], seed=0)
    rows = _read(folder / "population_0_17.csv")
    assert {(int(r["year"]), r["la"]) for r in rows} == {
        (y, la) for y in (2016, 2020, 2024) for la in ("330", "873")}
    pop = population()
    for r in rows:
        ref = pop[(pop["year"] == int(r["year"])) & (pop["code"] == r["la"])]["population"]
        assert int(r["population"]) == int(ref.iloc[0])


def test_school_census_from_the_returns(returns):
    folder = write_supporting(returns, [2016, 2020, 2024, 2025], ["330", "873"], seed=1)
    rows = _census(folder)
    assert {int(r["year"]) for r in rows} == {2020, 2024}  # only 2017-2024 years written
    upns_2020 = set()
    for p in (returns / "2020").glob("*.xml"):
        text = p.read_text()
        upns_2020 |= {line.strip()[5:18] for line in text.splitlines() if "<UPN>" in line}
    assert {r["upn"] for r in rows if r["year"] == "2020"} == upns_2020
    # rates by disability: the test returns have far more disabled children (half) than real
    # ones (~13%), so compare each group with its own rate
    disabled = {u for y in (2020, 2024) for p in (returns / str(y)).glob("*.xml")
                for u, d in _iter_upns(p) if d}
    for group, (fsm_lo, fsm_hi, ehcp_lo, ehcp_hi, sup_lo, sup_hi) in {
            False: (0.40, 0.54, 0.03, 0.09, 0.17, 0.27),
            True: (0.48, 0.62, 0.24, 0.36, 0.24, 0.36)}.items():
        sel = [r for r in rows if (r["upn"] in disabled) == group]
        n = len(sel)
        fsm = sum(r["fsm_eligible"] == "true" for r in sel) / n
        ehcp = sum(r["sen_provision"] == "EHC plan" for r in sel) / n
        support = sum(r["sen_provision"] == "SEN support" for r in sel) / n
        assert fsm_lo <= fsm <= fsm_hi and ehcp_lo <= ehcp <= ehcp_hi, (group, fsm, ehcp)
        assert sup_lo <= support <= sup_hi, (group, support)
    assert {r["sen_provision"] for r in rows} == {"EHC plan", "SEN support", "None"}


def test_ofsted_and_determinism(returns, tmp_path):
    las = [f"{n}" for n in range(300, 460)]
    a = write_supporting(returns, [2024], las, seed=7)
    first = {str(p.relative_to(a)): p.read_bytes() for p in a.rglob("*") if p.is_file()}
    again = write_supporting(returns, [2024], las, seed=7)
    assert {str(p.relative_to(again)): p.read_bytes() for p in again.rglob("*") if p.is_file()} == first
    rows = _read(a / "ofsted" / "judgements.csv")
    assert [r["la"] for r in rows] == sorted(las)
    assert all("2017-04-01" <= r["inspection_date"] <= "2024-03-31" for r in rows)
    share = {j: sum(r["judgement"] == j for r in rows) / len(rows)
             for j in ("Inadequate", "Requires Improvement", "Good", "Outstanding")}
    assert 0.03 <= share["Inadequate"] <= 0.2 and 0.35 <= share["Good"] <= 0.55
    assert 0.25 <= share["Requires Improvement"] <= 0.45 and share["Outstanding"] <= 0.2
    other = write_supporting(returns, [2024], las, seed=8)
    assert (other / "ofsted" / "judgements.csv").read_bytes() != first["ofsted/judgements.csv"]


def test_upns_are_read_per_child_in_any_namespace(tmp_path):
    """Each child's UPN (stripped) and whether any of its disabilities is other than NONE; a child
    without a UPN yields nothing, and a UPN outside a child is never given to the next one."""
    path = tmp_path / "r.xml"
    path.write_text(
        '<Message xmlns="urn:x"><Header><UPN>H000000000000</UPN></Header><Children>'
        "<Child><ChildIdentifiers><UPN> A123456789012 </UPN></ChildIdentifiers>"
        "<ChildCharacteristics><Disabilities><Disability>none</Disability></Disabilities>"
        "</ChildCharacteristics></Child>"
        "<Child><ChildIdentifiers><UPNunknown>UN1</UPNunknown></ChildIdentifiers>"
        "<ChildCharacteristics><Disabilities><Disability>MOB</Disability></Disabilities>"
        "</ChildCharacteristics></Child>"
        "<Child><ChildIdentifiers><UPN>B123456789012</UPN></ChildIdentifiers>"
        "<ChildCharacteristics><Disabilities><Disability>NONE</Disability><Disability> HAND </Disability>"
        "</Disabilities></ChildCharacteristics></Child>"
        "</Children></Message>")
    assert list(_iter_upns(path)) == [("A123456789012", False), ("B123456789012", True)]


def test_files_are_the_same_with_two_workers(returns, tmp_path):
    """The school census files are read one year a process with ``workers``; the files do not
    depend on it."""
    def files(folder):
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    one = files(write_supporting(returns, [2016, 2020, 2024, 2025], ["330", "873"], seed=4))
    two = files(write_supporting(returns, [2016, 2020, 2024, 2025], ["330", "873"], seed=4, workers=2))
    assert two == one and "school_census/2024.csv" in one
