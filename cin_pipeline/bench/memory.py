"""Peak memory of this process and all its descendants, and peak size of a DuckDB spill folder,
for the benchmarks (Linux /proc)."""

from __future__ import annotations

import os
import threading


def rss_kb(pid: int) -> int:
    """Resident set size of ``pid`` in kB (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every child, grandchild, ... of ``pid`` (all threads' children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
                out.extend(kids)
                todo.extend(kids)
        except OSError:
            continue
    return out


def folder_kb(folder: str | os.PathLike | None) -> int:
    """Bytes (in kB) of the files directly or indirectly inside ``folder`` (0 when absent)."""
    if folder is None:
        return 0
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total // 1024


class PeakMemory:
    """Context manager sampling the summed RSS of this process and its descendants in a thread;
    ``peak_kb`` / ``mb`` hold the peak once it exits. Given ``spill_dir`` (a DuckDB
    ``temp_directory``) it also samples that folder's size: ``spill_peak_kb`` / ``spill_mb``, the
    most DuckDB wrote to disk because a query outgrew its memory cap."""

    def __init__(self, interval: float = 0.05, spill_dir: str | os.PathLike | None = None):
        self.interval = interval
        self.spill_dir = spill_dir
        self.peak_kb = 0
        self.spill_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            total = rss_kb(me) + sum(rss_kb(p) for p in descendants(me))
            self.peak_kb = max(self.peak_kb, total)
            if self.spill_dir is not None:
                self.spill_peak_kb = max(self.spill_peak_kb, folder_kb(self.spill_dir))
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> int:
        return round(self.peak_kb / 1024)

    @property
    def spill_mb(self) -> int:
        return round(self.spill_peak_kb / 1024)
