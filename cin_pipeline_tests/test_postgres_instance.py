"""The production instance on PostgreSQL (dagster-postgres), derived from the project's dagster.yaml.

The instance yaml on PostgreSQL is ``dagster.yaml`` with only its ``storage:`` block replaced
(``cin_pipeline/cli/instance.py``); the first tests check that nothing else differs. The last one
starts a throwaway PostgreSQL cluster (``cin_pipeline/cli/postgres.py``: initdb and pg_ctl, as the
``postgres`` user when the tests run as root, a unix socket in the cluster's folder, no TCP port),
backfills the census returns of three LAs of one year and that year's staging assets through the
real Definitions on an instance made from the generated yaml, and reads the runs, the
materialisations and the ``duckdb`` pool back from PostgreSQL. It is skipped, saying why, where
PostgreSQL is not installed (``scripts/ensure_postgres.sh``, run by ``make test``, installs it).
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import dagster as dg
import pytest
import yaml

from cin_pipeline.cli import instance as inst_yaml
from cin_pipeline.cli.postgres import LocalPostgres, PostgresUnavailable, find_bin_dir, server_user
from cin_pipeline.settings import PROJECT_ROOT

warnings.filterwarnings("ignore")

YEAR = 2024
LAS = ["202", "330", "873"]
POSTGRES_STORAGE = {"postgres": {"postgres_url": {"env": inst_yaml.POSTGRES_URL_ENV}}}


# --- the instance yaml, from one source ------------------------------------------------------

def _outside_storage(text: str) -> list[str]:
    start, end = inst_yaml.storage_block(text)
    lines = text.splitlines(keepends=True)
    return lines[:start] + lines[end:]


def test_sqlite_instance_is_dagster_yaml_unchanged():
    assert inst_yaml.instance_yaml(postgres=False) == (PROJECT_ROOT / "dagster.yaml").read_text()


def test_postgres_instance_differs_only_in_its_storage_block():
    source = (PROJECT_ROOT / "dagster.yaml").read_text()
    derived = inst_yaml.instance_yaml(postgres=True)
    sqlite_cfg, pg_cfg = yaml.safe_load(source), yaml.safe_load(derived)
    assert "sqlite" in sqlite_cfg["storage"]
    assert pg_cfg.pop("storage") == POSTGRES_STORAGE
    sqlite_cfg.pop("storage")
    assert pg_cfg == sqlite_cfg  # the queued run coordinator, the run queue, the pools, monitoring...
    assert {"run_coordinator", "concurrency", "run_monitoring"} <= set(pg_cfg)
    # ... and the text around the block, comments included, is the text of dagster.yaml
    assert _outside_storage(derived) == _outside_storage(source)


def test_storage_block_is_found_exactly():
    text = "# head\nstorage:\n  sqlite:\n    base_dir: x\n\n# about a\na: 1\nstorage_b: 2\n"
    assert inst_yaml.instance_yaml(postgres=True, source=text).endswith("\n# about a\na: 1\nstorage_b: 2\n")
    assert inst_yaml.instance_yaml(postgres=True, source=text).startswith("# head\nstorage:\n")
    for bad in ("a: 1\n", "storage:\n  sqlite: {}\nstorage:\n  sqlite: {}\n"):
        with pytest.raises(ValueError, match="one top-level 'storage:'"):
            inst_yaml.instance_yaml(postgres=True, source=bad)


def test_dagster_home_follows_the_url(tmp_path, monkeypatch):
    from cin_pipeline.cli.ui import dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv(inst_yaml.POSTGRES_URL_ENV, raising=False)
    dagster_home()
    assert (tmp_path / "dagster.yaml").read_text() == (PROJECT_ROOT / "dagster.yaml").read_text()
    monkeypatch.setenv(inst_yaml.POSTGRES_URL_ENV, "postgresql://u:p@db.example:5432/dagster")
    dagster_home()
    assert yaml.safe_load((tmp_path / "dagster.yaml").read_text())["storage"] == POSTGRES_STORAGE
    assert "db.example" not in (tmp_path / "dagster.yaml").read_text()  # the URL stays in the environment
    # SQLAlchemy 2.1 reads a plain postgresql:// URL as psycopg 3; dagster-postgres brings psycopg2
    import os

    assert os.environ[inst_yaml.POSTGRES_URL_ENV] == "postgresql+psycopg2://u:p@db.example:5432/dagster"


# --- a real PostgreSQL server -----------------------------------------------------------------

@pytest.fixture
def postgres():
    """A throwaway cluster, stopped and deleted after the test whatever happens.

    Its folder is a short one of its own under the system temp folder, not ``tmp_path``: pytest's
    temp root is private to root (0700), which the ``postgres`` user the server runs as (when the
    tests run as root) cannot enter, and a unix socket path must stay under 108 characters.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH; "
                    "scripts/ensure_postgres.sh installs Debian's postgresql)")
    user = server_user()
    if user is not None and (shutil.which("runuser") is None or not _user_exists(user)):
        pytest.skip(f"running as root, and PostgreSQL refuses root: no runuser or no user {user!r} to run it as")
    base = Path(tempfile.mkdtemp(prefix="cin-pg-"))
    base.chmod(0o711)  # the server user may pass through, not list
    pg = LocalPostgres(base / "pg", durable=False, bin_dir=bin_dir)
    try:
        try:
            pg.start()
        except PostgresUnavailable as exc:
            pytest.fail(f"PostgreSQL is installed ({bin_dir}) but the test cluster did not start: {exc}")
        yield pg
    finally:
        try:
            pg.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _sql(pg: LocalPostgres, query: str, *args):
    import psycopg2  # dagster-postgres's driver

    con = psycopg2.connect(host=str(pg.root), port=pg.port, user="postgres", dbname="dagster")
    try:
        with con.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()
    finally:
        con.close()


def test_backfill_on_a_postgres_instance(postgres, tmp_path, monkeypatch):
    from cin_pipeline.cli.ui import dagster_home
    from cin_pipeline.definitions import defs as load_defs
    from cin_pipeline.defs.inprocess import range_tags, run_selection
    from cin_pipeline.defs.partitions import la_partitions, year_la_key
    from cin_pipeline.synth import generate

    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(inst_yaml.POSTGRES_URL_ENV, postgres.url())
    dagster_home()  # what `cin-pipeline ui` and `demo` do: the instance yaml, here on PostgreSQL
    assert yaml.safe_load((home / "dagster.yaml").read_text())["storage"] == POSTGRES_STORAGE

    defs = load_defs()
    paths = defs.resources["cin_paths"].paths()
    generate(paths.landing_dir, years=[YEAR], las=LAS, scale=0.01, seed=5, workers=1, supporting=False)

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 4
        assert [t["key"] for t in queue.tag_concurrency_limits] == ["cin/year_la"]

        # the LA partitions, then the year's returns in one single-run backfill (as the demo does),
        # then the year's staging views and data quality (pool duckdb)
        instance.add_dynamic_partitions(la_partitions.name, LAS)
        first, last = str(year_la_key(YEAR, LAS[0])), str(year_la_key(YEAR, LAS[-1]))
        res = run_selection(defs, instance, "census_return", dg.AssetSelection.assets("census_return"),
                            tags=range_tags(first, last),
                            run_config={"ops": {"census_return": {"config": {"workers": 1}}}})
        assert res.success
        res = run_selection(defs, instance, "staging", dg.AssetSelection.groups("staging"),
                            tags=range_tags(str(YEAR), str(YEAR)))
        assert res.success

    # read it all back through a new instance on the same database
    with dg.DagsterInstance.get() as instance:
        assert instance.get_materialized_partitions(dg.AssetKey("census_return")) == {
            f"{la}|{YEAR}" for la in LAS}
        for key in ("census_year", "data_quality_summary"):
            records = instance.fetch_materializations(dg.AssetKey(key), limit=10).records
            assert [r.partition_key for r in records] == [str(YEAR)], key
        mat = instance.fetch_materializations(dg.AssetKey("census_return"), limit=10).records
        assert sorted(r.partition_key for r in mat) == sorted(f"{la}|{YEAR}" for la in LAS)
        assert all(r.asset_materialization.metadata["children"].value > 0 for r in mat)

        runs = instance.get_run_records()
        assert len(runs) == 2
        assert {r.dagster_run.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}

        # the pool: one slot (default_limit 1), claimed by the staging steps and free again
        info = instance.event_log_storage.get_concurrency_info("duckdb")
        assert info.limit == 1 and info.slot_count == 1
        assert not info.claimed_slots and not info.pending_steps
        assert instance.event_log_storage.get_concurrency_keys() == {"duckdb"}
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1

    # ... and they are PostgreSQL's rows, not files in DAGSTER_HOME
    assert _sql(postgres, "SELECT status, count(*) FROM runs GROUP BY status") == [("SUCCESS", 2)]
    (n_mats,) = _sql(postgres, "SELECT count(*) FROM event_logs WHERE dagster_event_type = %s",
                     "ASSET_MATERIALIZATION")[0]
    assert n_mats == len(LAS) + 2
    assert _sql(postgres, "SELECT concurrency_key, count(*) FROM concurrency_slots GROUP BY 1") == [("duckdb", 1)]
    assert not list(home.rglob("*.db"))
