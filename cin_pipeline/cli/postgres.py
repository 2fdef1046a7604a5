"""A PostgreSQL server of the project's own, in a folder (``cin-pipeline postgres``, ``make ui-postgres``).

:class:`LocalPostgres` runs Debian's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin``,
installed by ``scripts/ensure_postgres.sh``) on a cluster in one folder, by default
``<data dir>/postgres`` (``data/postgres``):

* ``initdb`` creates the cluster there (superuser ``postgres``, authentication ``trust``);
* the server listens on a unix socket in that same folder only (``listen_addresses = ''``: no TCP
  port, so it cannot clash with another server on the machine), and the folder is private to the
  user that runs the server (mode 0700), so only that user (and root) can connect;
* ``pg_ctl`` starts and stops it. PostgreSQL refuses to run as root, so when this process is root
  the cluster belongs to, and the server runs as, the Debian ``postgres`` user (or
  ``$CIN_POSTGRES_USER``), through ``runuser -u <user> --``; that user must be able to reach the
  folder (every parent folder searchable by it);
* the Dagster instance's database is ``dagster``, created on first start.

:meth:`LocalPostgres.url` is the URL for ``$CIN_DAGSTER_POSTGRES_URL``
(:mod:`cin_pipeline.cli.instance`). The server keeps running after ``cin-pipeline ui`` stops;
``cin-pipeline postgres stop`` (``make postgres-stop``) stops it.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DATABASE = "dagster"
SUPERUSER = "postgres"
SOCKET_PATH_MAX = 107  # sun_path of a unix socket, less the terminating NUL


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be run here; the message says why and what to do."""


def _version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def find_bin_dir() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl, postgres): ``$CIN_POSTGRES_BIN``,
    else the newest ``/usr/lib/postgresql/<version>/bin`` (Debian keeps them off PATH), else the
    folder of an ``initdb`` on PATH; ``None`` when there is none."""
    override = os.environ.get("CIN_POSTGRES_BIN")
    if override:
        return Path(override) if (Path(override) / "initdb").is_file() else None
    debian = sorted((p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")), key=_version)
    if debian:
        return debian[-1]
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def server_user() -> str | None:
    """The user the server runs as when this process is root (``$CIN_POSTGRES_USER``, default
    ``postgres``); ``None`` when this process is not root (the server runs as this user)."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("CIN_POSTGRES_USER") or "postgres"


@dataclass(frozen=True)
class LocalPostgres:
    """A PostgreSQL cluster in ``root`` with its unix socket in ``root`` (see the module docstring).

    ``durable=False`` (tests) skips fsync in initdb and in the server: faster, and a machine crash
    may lose the cluster.
    """

    root: Path
    port: int = 5432
    durable: bool = True
    bin_dir: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).absolute())
        if self.bin_dir is None:
            object.__setattr__(self, "bin_dir", find_bin_dir())

    # --- the pieces --------------------------------------------------------------------------
    @property
    def socket_path(self) -> Path:
        return self.root / f".s.PGSQL.{self.port}"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = DATABASE) -> str:
        """``postgresql+psycopg2://postgres@/<database>?host=<root>&port=<port>``: the unix socket in
        ``root``, through psycopg2 (the driver dagster-postgres installs)."""
        return f"postgresql+psycopg2://{SUPERUSER}@/{database}?host={quote(str(self.root), safe='/')}&port={self.port}"

    def _program(self, name: str) -> str:
        if self.bin_dir is None:
            raise PostgresUnavailable(
                "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH); "
                "run scripts/ensure_postgres.sh (apt-get install postgresql) or set CIN_POSTGRES_BIN")
        return str(self.bin_dir / name)

    def _as_server_user(self) -> list[str]:
        user = server_user()
        if user is None:
            return []
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise PostgresUnavailable(
                f"PostgreSQL refuses to run as root and there is no user {user!r} to run it as "
                "(Debian's postgresql package creates 'postgres'; or set CIN_POSTGRES_USER)") from None
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("PostgreSQL refuses to run as root and runuser is not available")
        return [runuser, "-u", user, "--"]

    def _run(self, *args: str, as_server: bool = True, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [*(self._as_server_user() if as_server else []), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(args[:2])} failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-1500:]}" + self._log_tail())
        return proc

    def _log_tail(self) -> str:
        try:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-10:]
        except OSError:
            return ""
        return ("\nlast lines of " + str(self.log_file) + ":\n" + "\n".join(tail)) if tail else ""

    # --- lifecycle ---------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.root / "PG_VERSION").is_file()

    def init(self) -> None:
        """Create the cluster in ``root`` unless it is there already."""
        if self.initialised():
            return
        if len(str(self.socket_path)) > SOCKET_PATH_MAX:
            raise PostgresUnavailable(
                f"the socket path {self.socket_path} is longer than {SOCKET_PATH_MAX} characters, the "
                "limit of a unix socket; use a shorter folder (cin-pipeline postgres --dir)")
        initdb = self._program("initdb")
        self.root.mkdir(parents=True, exist_ok=True)
        if any(self.root.iterdir()):
            raise PostgresUnavailable(f"{self.root} is not empty and holds no PostgreSQL cluster")
        self.root.chmod(0o700)
        user = server_user()
        if user is not None:
            self._as_server_user()  # the user exists, runuser too
            shutil.chown(self.root, user=user, group=pwd.getpwnam(user).pw_gid)
            if self._run("test", "-w", str(self.root), check=False).returncode != 0:
                raise PostgresUnavailable(
                    f"the user {user!r} that runs PostgreSQL cannot reach {self.root}: a parent folder "
                    "is not searchable by it; put the cluster elsewhere (cin-pipeline postgres --dir)")
        self._run(initdb, "-D", str(self.root), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                  "--no-locale", *(() if self.durable else ("--no-sync",)))
        settings = [
            "",
            "# cin_pipeline (cin_pipeline/cli/postgres.py): a unix socket in this folder, no TCP",
            "listen_addresses = ''",
            f"unix_socket_directories = '{self.root}'",
            f"port = {self.port}",
        ]
        if not self.durable:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(self.root / "postgresql.conf", "a") as conf:
            conf.write("\n".join(settings) + "\n")

    def running(self) -> bool:
        if not self.initialised() or self.bin_dir is None:
            return False
        return self._run(self._program("pg_ctl"), "status", "-D", str(self.root), check=False).returncode == 0

    def start(self, timeout: int = 60) -> str:
        """Create the cluster if needed, start the server unless it runs, create the ``dagster``
        database if missing; returns :meth:`url`."""
        self.init()
        if not self.running():
            self._run(self._program("pg_ctl"), "start", "-D", str(self.root), "-l", str(self.log_file),
                      "-w", "-t", str(timeout))
        self._create_database(DATABASE)
        return self.url()

    def _create_database(self, name: str) -> None:
        psql = [self._program("psql"), "-X", "-q", "-h", str(self.root), "-p", str(self.port),
                "-U", SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tA"]
        exists = self._run(*psql, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip()
        if exists != "1":
            self._run(*psql, "-c", f'CREATE DATABASE "{name}"')

    def stop(self, timeout: int = 60) -> bool:
        """Stop the server (fast shutdown: open sessions are ended); ``False`` if it was not running."""
        if not self.running():
            return False
        self._run(self._program("pg_ctl"), "stop", "-D", str(self.root), "-m", "fast", "-w", "-t", str(timeout))
        return True


def default_root() -> Path:
    """``<data dir>/postgres`` (``data/postgres``, or under ``$CIN_DATA_DIR``)."""
    from cin_pipeline.settings import Paths

    return Paths.from_env().data_dir / "postgres"


def register(sub) -> None:
    p = sub.add_parser(
        "postgres", help="start/stop the project's own PostgreSQL server (data/postgres) for the Dagster instance",
        description="Run Debian's PostgreSQL on a cluster in the data folder (data/postgres), listening "
                    "on a unix socket in that folder only. `start` prints the export line for "
                    "CIN_DAGSTER_POSTGRES_URL: with it set, `cin-pipeline ui` and `demo` run the "
                    "Dagster instance on PostgreSQL.")
    p.add_argument("action", choices=("start", "stop", "status", "url"))
    p.add_argument("--dir", type=Path, default=None, help="cluster folder (default <data dir>/postgres)")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from cin_pipeline.cli.instance import POSTGRES_URL_ENV

    pg = LocalPostgres(args.dir or default_root())
    try:
        if args.action == "start":
            url = pg.start()
            print(f"PostgreSQL running in {pg.root} (log {pg.log_file})\nexport {POSTGRES_URL_ENV}='{url}'")
        elif args.action == "stop":
            print(f"stopped PostgreSQL in {pg.root}" if pg.stop() else f"PostgreSQL in {pg.root} was not running")
        elif args.action == "status":
            up = pg.running()
            print(f"PostgreSQL in {pg.root}: {'running' if up else 'not running'}")
            return 0 if up else 3
        else:
            print(pg.url())
    except PostgresUnavailable as exc:
        print(f"cin-pipeline postgres: {exc}")
        return 1
    return 0
