"""A snapshot of the whole Dagster Definitions: every asset (key, group, partitions, deps and
their partition mappings, automation condition, kinds), every check (target, blocking,
partitions) and every job and sensor. A new table, check or dependency shows up as a reviewed
diff of ``__snapshots__/test_definitions_snapshot.ambr`` (update with ``pytest --snapshot-update``).
"""

from __future__ import annotations

import dagster as dg

from cin_pipeline.definitions import defs


def _condition(c) -> str | None:
    """``name[label](children...)``, one line."""
    if c is None:
        return None
    label = f"[{c.get_label()}]" if c.get_label() else ""
    inner = f"({', '.join(_condition(ch) for ch in c.children)})" if c.children else ""
    return f"{c.name}{label}{inner}"


def _partitions(p) -> dict | None:
    if p is None:
        return None
    out: dict = {"type": type(p).__name__}
    if isinstance(p, dg.StaticPartitionsDefinition):
        keys = p.get_partition_keys()
        out["keys"] = f"{keys[0]}..{keys[-1]} ({len(keys)})"
    elif isinstance(p, dg.DynamicPartitionsDefinition):
        out["name"] = p.name
    elif isinstance(p, dg.MultiPartitionsDefinition):
        out["dimensions"] = {d.name: _partitions(d.partitions_def) for d in p.partitions_defs}
    return out


def _mapping(m) -> str | None:
    if m is None:
        return None
    if isinstance(m, dg.StaticPartitionMapping):
        pairs = sorted(m._mapping.items())  # noqa: SLF001 (the mapping is what we review)
        return "StaticPartitionMapping: " + "; ".join(
            f"{up} -> {min(down)}..{max(down)}" for up, down in pairs)
    return type(m).__name__


def describe_definitions() -> dict:
    d = defs()
    graph = d.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        ad = d.get_assets_def(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "partitions": _partitions(node.partitions_def),
            "deps": {p.to_user_string(): _mapping(ad.get_partition_mapping(p) if node.partitions_def else None)
                     for p in sorted(node.parent_keys, key=lambda k: k.to_user_string())},
            "automation_condition": _condition(node.automation_condition),
            "pool": ad.op.pool if hasattr(ad, "op") else None,
        }
    checks = {}
    for ck in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(ck)
        checks[f"{ck.asset_key.to_user_string()}:{ck.name}"] = {
            "blocking": spec.blocking,
            "partitions": _partitions(spec.partitions_def)["type"] if spec.partitions_def else None,
            "additional_deps": sorted(dep.asset_key.to_user_string() for dep in spec.additional_deps),
        }
    jobs = sorted(j.name for j in d.resolve_all_job_defs() if not j.name.startswith("__"))
    sensors = sorted(s.name for s in d.sensors or ())
    return {"assets": assets, "checks": checks, "jobs": jobs, "sensors": sensors}


def test_definitions_snapshot(snapshot):
    assert describe_definitions() == snapshot


def test_every_declared_table_is_an_asset_with_its_checks():
    from cin_pipeline.checks.plan import plan
    from cin_pipeline.tables import all_tables

    described = describe_definitions()
    for spec in all_tables():
        key = "/".join(spec.key)
        assert key in described["assets"], key
        assert described["assets"][key]["group"] == spec.release.group
        for check in plan(spec):
            assert f"{key}:{check.name}" in described["checks"]
            assert described["checks"][f"{key}:{check.name}"]["partitions"] == "StaticPartitionsDefinition"
