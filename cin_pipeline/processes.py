"""Is the process behind a pid still the one we knew? (No Dagster here: pids, /proc and the clock.)

A pid alone cannot say whether a process is gone: the kernel hands a freed pid to the next process
that starts. So a pid is judged together with a time at which its process was known to be running
(when it tagged its run, or logged the run's first event): a process holding that pid which
*started* later is another process, and ours is gone.

On Linux the start time of a process is ``/proc/<pid>/stat`` field 22 (clock ticks since boot)
plus the boot time (``btime`` in ``/proc/stat``). A zombie (killed, not yet reaped by its parent)
counts as gone: it runs no code. Without ``/proc`` a signal-0 probe tells only whether the pid
exists.

For the same reason the project's file locks (one writer of a staged LA-year, one switch of a
year's publication) are ``flock`` locks (:func:`exclusive_lock`): the kernel releases them when
their process dies, so a killed writer never leaves one held.
"""

from __future__ import annotations

import enum
import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROC = Path("/proc")

CLOCK_SLACK_SECONDS = 30.0
"""How much later than the known-alive time a process may seem to have started and still be ours:
the start time is computed from the boot time in whole seconds, and a wall clock stepped forward
(NTP) moves it later. A pid is reused only after its process died and the pid counter wrapped,
in practice long after this margin."""


class Liveness(enum.Enum):
    ALIVE = "alive"
    GONE = "gone"
    REUSED = "reused"
    """The pid exists but belongs to a process that started after ours was known to be running."""


def this_host() -> str:
    return socket.gethostname()


def liveness(pid: int, alive_at: float | None = None) -> Liveness:
    """Whether process ``pid`` (known to be running at epoch time ``alive_at``, if given) still runs."""
    if pid <= 0:
        return Liveness.GONE
    if not PROC.is_dir():
        return _probe(pid)
    stat = _stat_fields(pid)
    if stat is None:
        return Liveness.GONE
    state, start_ticks = stat[0], int(stat[19])
    if state in ("Z", "X"):
        return Liveness.GONE
    started = _boot_time() + start_ticks / os.sysconf("SC_CLK_TCK")
    if alive_at is not None and started > alive_at + CLOCK_SLACK_SECONDS:
        return Liveness.REUSED
    return Liveness.ALIVE


def describe(pid: int, state: Liveness) -> str:
    """``pid 4242 gone`` / ``pid 4242 reused by a later process`` / ``pid 4242 alive``."""
    if state is Liveness.REUSED:
        return f"pid {pid} reused by a later process"
    return f"pid {pid} {state.value}"


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of ``/proc/<pid>/stat`` (state first), or None if there is no such process.
    The command name (field 2) is in parentheses and may itself contain spaces and parentheses,
    so the fields start after its *last* closing parenthesis."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def _boot_time() -> float:
    for line in (PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise RuntimeError("/proc/stat has no btime line")


def _probe(pid: int) -> Liveness:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return Liveness.GONE
    except PermissionError:  # exists, owned by someone else
        return Liveness.ALIVE
    return Liveness.ALIVE


@contextmanager
def exclusive_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold the exclusive ``flock`` of the file ``path`` (created with its folder if missing) until
    the block ends or the process dies."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
