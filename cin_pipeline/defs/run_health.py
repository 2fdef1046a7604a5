"""Dead runs never block the pipeline: the run reaper and ``run_health_sensor``.

A run whose process is killed (``kill -9``, out of memory, a reboot) stays STARTED in the instance
for ever, and keeps the pool slots its steps claimed: pool ``duckdb`` has one slot, so every later
writer of the warehouse waits for it. Dagster's run monitoring cannot see this with the local
``DefaultRunLauncher`` (it has no worker health check), and marking the run failed does not free
its slots. :func:`reap_dead_runs` does both:

* a run in progress (NOT_STARTED, STARTING, STARTED, CANCELING) whose worker process is gone is
  marked failed (CANCELING: canceled) with a message saying why, and tagged ``cin/dead_worker``.
  The worker's pid comes from the run's ``cin/pid`` tag (runs executed in process by the demo and
  the bench, :func:`worker_tags`; ``cin/host`` must be this machine) or else from the run's first
  engine event that carries a pid ("Started process for run (pid: N)" for runs launched by the
  code server, "Executing steps in process (pid: N)" otherwise); such runs run on this machine
  with the ``DefaultRunLauncher``. Liveness is pid-reuse safe (:mod:`cin_pipeline.processes`).
  A run with no known pid is left alone (Dagster's ``start_timeout_seconds`` covers a run that
  never got a worker).
* the pool slots of dead runs, of finished runs, and of runs no longer in the instance are freed,
  and their steps queued for a slot dropped, except a step whose own step process (multiprocess
  executor) is still running: it may still be writing, so its slot is kept until it exits.

``run_health_sensor`` runs the reaper every 30 s and retries a dead run that a sensor started for
an ingest job (``census_extract_job`` and the source-extract jobs): one the reaper marked, or one
that failed with no step failure (its worker was killed while the code server lived, and the code
server marked it failed). The retry has the same job, partition and run config, tagged with the
run it retries; at most :data:`MAX_RETRIES` per original run, and not if a later run of the same
job and partition (or file) has been requested since. A run that failed in a step is not
retried. The demo reaps before and during each of its runs (:func:`reaping`, used by
:func:`cin_pipeline.defs.inprocess.run_selection`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from cin_pipeline.defs.extracts import EXTRACT_JOBS
from cin_pipeline.defs.jobs import census_extract_job
from cin_pipeline.processes import Liveness, describe, liveness, this_host

TAG_PID = "cin/pid"
TAG_HOST = "cin/host"
TAG_DEAD = "cin/dead_worker"
"""``"true"`` on a run the reaper marked failed or canceled because its process was gone."""
TAG_RETRY_OF = "cin/retry_of"
"""On a retry: the original run (the first of the chain)."""
TAG_RETRY_AFTER = "cin/retry_after"
"""On a retry: the dead run it replaces."""
TAG_RETRY_ATTEMPT = "cin/retry_attempt"
TAG_RETRY_DECISION = "cin/retry"
"""On a dead run of a retryable job: what ``run_health_sensor`` did about it."""

SENSOR_NAME_TAG = "dagster/sensor_name"
PARTITION_TAG = "dagster/partition"
FILE_TAG = "cin/file"
_BOOKKEEPING_TAGS = {TAG_PID, TAG_HOST, TAG_DEAD, TAG_RETRY_OF, TAG_RETRY_AFTER, TAG_RETRY_ATTEMPT,
                     TAG_RETRY_DECISION}

MAX_RETRIES = 2
RETRY_LOOKBACK_SECONDS = 86400.0
"""How far back the sensor's first tick looks for failed runs to retry."""
RETRYABLE_JOBS = frozenset({census_extract_job.name, *(job.name for job in EXTRACT_JOBS.values())})

IN_PROGRESS = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}

_log = logging.getLogger(__name__)


def worker_tags() -> dict[str, str]:
    """Tags for a run executed in this process, so that the reaper can tell whether it still runs."""
    return {TAG_PID: str(os.getpid()), TAG_HOST: this_host()}


@dataclass(frozen=True)
class Worker:
    pid: int
    alive_at: float
    """Epoch seconds at which the process was known to be running."""
    source: str


@dataclass(frozen=True)
class KeptSlot:
    pool: str
    step_key: str
    pid: int


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job_name: str
    cause: str
    """e.g. ``pid 4242 gone``."""
    marked: dg.DagsterRunStatus
    freed: dict[str, int] = field(default_factory=dict)
    """Pool -> slots freed."""
    kept: tuple[KeptSlot, ...] = ()


@dataclass(frozen=True)
class FinishedRunSlots:
    """Slots freed that a finished (or deleted) run still held."""
    run_id: str
    status: str
    freed: dict[str, int]
    kept: tuple[KeptSlot, ...] = ()


@dataclass(frozen=True)
class ReapReport:
    dead: tuple[DeadRun, ...] = ()
    finished: tuple[FinishedRunSlots, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.dead or self.finished)

    def lines(self) -> list[str]:
        """One readable line per run dealt with."""
        out = []
        for d in self.dead:
            verb = "canceled" if d.marked == dg.DagsterRunStatus.CANCELED else "failed"
            if d.freed:
                out.append(f"freed {_slots(d.freed)} held by dead run {d.run_id[:8]} of {d.job_name} "
                           f"({d.cause}); marked it {verb}" + _kept(d.kept))
            else:
                out.append(f"marked dead run {d.run_id[:8]} of {d.job_name} {verb} ({d.cause})"
                           + _kept(d.kept))
        for f in self.finished:
            if f.freed:
                out.append(f"freed {_slots(f.freed)} still held by {f.status.lower()} run {f.run_id[:8]}"
                           + _kept(f.kept))
            else:
                out.append(f"{f.status.lower()} run {f.run_id[:8]}" + _kept(f.kept))
        return out


def _slots(by_pool: dict[str, int]) -> str:
    return " and ".join(f"the {pool} slot" if n == 1 else f"{n} {pool} slots"
                        for pool, n in sorted(by_pool.items()))


def _kept(kept: tuple[KeptSlot, ...]) -> str:
    return "".join(f"; kept its {k.pool} slot: step {k.step_key} still runs in pid {k.pid}" for k in kept)


# --- the reaper --------------------------------------------------------------------------------


def reap_dead_runs(instance: dg.DagsterInstance) -> ReapReport:
    """Mark runs whose process is gone as failed and free the pool slots no live run needs."""
    holdings = _holdings(instance)
    dead = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        worker = _run_worker(instance, record)
        if worker is None:
            continue
        state = liveness(worker.pid, worker.alive_at)
        if state is Liveness.ALIVE:
            continue
        cause = describe(worker.pid, state)
        marked = _mark_dead(instance, run.run_id, cause, worker.source)
        if marked is None:  # finished meanwhile; its slots are dealt with below
            continue
        freed, kept = _free_slots(instance, run.run_id, holdings.pop(run.run_id, []))
        dead.append(DeadRun(run.run_id, run.job_name, cause, marked, freed, kept))

    return ReapReport(tuple(dead), _free_finished(instance, holdings))


def _elsewhere(run: dg.DagsterRun) -> bool:
    host = run.tags.get(TAG_HOST)
    return bool(host) and host != this_host()


def _run_worker(instance: dg.DagsterInstance, record: dg.RunRecord) -> Worker | None:
    """The process that runs ``record``'s run, if it is known and on this machine."""
    run = record.dagster_run
    if TAG_PID in run.tags:
        if _elsewhere(run):
            return None
        return Worker(int(run.tags[TAG_PID]), record.create_timestamp.timestamp(), f"{TAG_PID} tag")
    if not isinstance(instance.run_launcher, dg.DefaultRunLauncher):
        return None  # another launcher may run workers on other machines
    events = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=50)
    for rec in events.records:
        event = rec.event_log_entry.dagster_event
        pid = _event_pid(event)
        if pid is not None and event.step_key is None:
            return Worker(pid, rec.event_log_entry.timestamp, "engine event")
    return None


def _event_pid(event) -> int | None:
    metadata = getattr(event.event_specific_data, "metadata", None) or {}
    value = metadata.get("pid")
    try:
        return int(getattr(value, "value", value))
    except (TypeError, ValueError):
        return None


def _mark_dead(instance: dg.DagsterInstance, run_id: str, cause: str,
               source: str) -> dg.DagsterRunStatus | None:
    """Mark the run failed (CANCELING: canceled) unless it finished meanwhile; the status set."""
    run = instance.get_run_by_id(run_id)
    if run is None or run.status not in IN_PROGRESS:
        return None
    canceling = run.status == dg.DagsterRunStatus.CANCELING
    instance.add_run_tags(run_id, {TAG_DEAD: "true"})
    message = (f"The process of this run is gone ({cause}; pid from the {source}): it was killed or "
               f"crashed. Marked {'canceled' if canceling else 'failed'} by cin_pipeline's run-health "
               "check, which also frees the pool slots the run held.")
    if canceling:
        instance.report_run_canceled(run, message)
        return dg.DagsterRunStatus.CANCELED
    instance.report_run_failed(run, message)
    return dg.DagsterRunStatus.FAILURE


# --- pool slots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hold:
    pool: str
    step_key: str
    holds_slot: bool
    """False: only queued for a slot."""


def _holdings(instance: dg.DagsterInstance) -> dict[str, list[_Hold]]:
    """Run id -> the pool slots its steps hold or are queued for."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits or not storage.get_concurrency_run_ids():
        return {}
    out: dict[str, list[_Hold]] = {}
    for pool, info in storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).items():
        claimed = {(s.run_id, s.step_key) for s in info.claimed_slots}
        for run_id, step_key in claimed:
            out.setdefault(run_id, []).append(_Hold(pool, step_key, True))
        for p in info.pending_steps:
            if (p.run_id, p.step_key) not in claimed:
                out.setdefault(p.run_id, []).append(_Hold(pool, p.step_key, p.assigned_timestamp is not None))
    return out


def _free_slots(instance: dg.DagsterInstance, run_id: str,
                holds: list[_Hold]) -> tuple[dict[str, int], tuple[KeptSlot, ...]]:
    """Free ``run_id``'s slots and queued steps, except those of a step whose step process runs."""
    if not holds:
        return {}, ()
    step_workers = _step_workers(instance, run_id)
    freed: Counter[str] = Counter()
    kept = []
    for step_key in sorted({h.step_key for h in holds}):
        step_holds = [h for h in holds if h.step_key == step_key]
        worker = step_workers.get(step_key)
        if worker is not None and liveness(worker.pid, worker.alive_at) is Liveness.ALIVE:
            kept.extend(KeptSlot(h.pool, step_key, worker.pid) for h in step_holds if h.holds_slot)
            continue
        instance.event_log_storage.free_concurrency_slot_for_step(run_id, step_key)
        freed.update(h.pool for h in step_holds if h.holds_slot)
    return dict(freed), tuple(kept)


def _free_finished(instance: dg.DagsterInstance,
                   holdings: dict[str, list[_Hold]]) -> tuple[FinishedRunSlots, ...]:
    """Free the slots of the runs in ``holdings`` that are finished or no longer in the instance."""
    if not holdings:
        return ()
    runs = {r.run_id: r for r in instance.get_runs(dg.RunsFilter(run_ids=list(holdings)))}
    out = []
    for run_id, holds in sorted(holdings.items()):
        run = runs.get(run_id)
        if run is not None and (run.status not in FINISHED or _elsewhere(run)):
            continue
        freed, kept = _free_slots(instance, run_id, holds)
        if freed or kept:
            out.append(FinishedRunSlots(run_id, run.status.value if run else "deleted", freed, kept))
    return tuple(out)


def _step_workers(instance: dg.DagsterInstance, run_id: str) -> dict[str, Worker]:
    """Step key -> its step process (multiprocess executor); none for steps run in the run's process."""
    out = {}
    events = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_WORKER_STARTED)
    for rec in events.records:
        event = rec.event_log_entry.dagster_event
        pid = _event_pid(event)
        if pid is not None and event.step_key:
            out[event.step_key] = Worker(pid, rec.event_log_entry.timestamp, "step worker event")
    return out


@contextmanager
def reaping(instance: dg.DagsterInstance, report: Callable[[ReapReport], None],
            every_seconds: float = 15.0) -> Iterator[None]:
    """Reap now, and again every ``every_seconds`` until the block ends (a background thread): a
    run executed in the block never waits for good on a slot held by a run that died before or
    while it waited. ``report`` gets every non-empty :class:`ReapReport`."""

    def reap_once() -> None:
        found = reap_dead_runs(instance)
        if found:
            report(found)

    reap_once()
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                reap_once()
            except Exception:  # noqa: BLE001 - the run in the block matters more than one check
                _log.warning("Checking for dead runs failed; will try again", exc_info=True)

    thread = threading.Thread(target=loop, name="cin-run-reaper", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# --- retries of sensor-started ingest runs -------------------------------------------------------


def retry_requests(instance: dg.DagsterInstance,
                   since: float) -> tuple[list[dg.RunRequest], list[str], float]:
    """Run requests retrying sensor-started ingest runs whose process died, one line per decision
    taken, and the update time of the last failed run looked at (the next ``since``).

    Failed runs updated after ``since`` (epoch seconds) are looked at, oldest first. A run counts
    as dead if the reaper marked it (``cin/dead_worker``) or if it failed with no step failure:
    its process was killed while the code server lived, which marks the run failed by itself
    ("Run execution process ... was terminated by signal 9"). A step failure (a bad file) is the
    run's own answer and is not retried. Each dead run is decided once (the decision is kept in
    its ``cin/retry`` tag): retried (the same job, partition and run config, tagged with the
    original run, the dead run and the attempt number), superseded (a later run of the same job
    and partition, or file, was requested: it ingests the newer version), or given up after
    :data:`MAX_RETRIES` retries of the original run.
    """
    requests, notes, last = [], [], since
    records = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE],
                      updated_after=datetime.fromtimestamp(since, tz=UTC)),
        limit=200, order_by="update_timestamp", ascending=True)
    for record in records:
        last = max(last, record.update_timestamp.timestamp())
        run = record.dagster_run
        if (run.job_name not in RETRYABLE_JOBS or SENSOR_NAME_TAG not in run.tags
                or TAG_RETRY_DECISION in run.tags):
            continue
        if TAG_DEAD not in run.tags and _failed_in_a_step(instance, run.run_id):
            continue
        decision, request = _retry(instance, record)
        if request is not None:
            requests.append(request)
        instance.add_run_tags(run.run_id, {TAG_RETRY_DECISION: decision})
        partition = run.tags.get(PARTITION_TAG)
        notes.append(f"dead run {run.run_id[:8]} of {run.job_name}"
                     + (f" ({partition})" if partition else "") + f": {decision}")
    return requests, notes, last


def _failed_in_a_step(instance: dg.DagsterInstance, run_id: str) -> bool:
    failures = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1)
    return bool(failures.records)


def _retry(instance: dg.DagsterInstance, record: dg.RunRecord) -> tuple[str, dg.RunRequest | None]:
    """The decision about one dead run, and the retry's request if it is retried."""
    run = record.dagster_run
    attempt = int(run.tags.get(TAG_RETRY_ATTEMPT, "0")) + 1
    original = run.tags.get(TAG_RETRY_OF, run.run_id)
    newer = _superseded_by(instance, record)
    if newer is not None:
        return f"not retried: superseded by run {newer[:8]}", None
    if attempt > MAX_RETRIES:
        return f"not retried: it was retry {MAX_RETRIES} of run {original[:8]}, the most allowed", None
    carried = {k: v for k, v in run.tags.items()
               if not k.startswith(("dagster/", ".dagster/")) and k not in _BOOKKEEPING_TAGS}
    return f"retry {attempt} of {MAX_RETRIES} requested", dg.RunRequest(
        job_name=run.job_name,
        run_key=f"retry:{run.run_id}",
        partition_key=run.tags.get(PARTITION_TAG),
        run_config=dict(run.run_config),
        tags={**carried, TAG_RETRY_OF: original, TAG_RETRY_AFTER: run.run_id,
              TAG_RETRY_ATTEMPT: str(attempt)},
    )


def _superseded_by(instance: dg.DagsterInstance, record: dg.RunRecord) -> str | None:
    """A run of the same job and partition (unpartitioned: the same landing file) created after
    ``record``'s run, if any: it ingests the same or a newer version, so a retry is not needed."""
    run = record.dagster_run
    if PARTITION_TAG in run.tags:
        same = {PARTITION_TAG: run.tags[PARTITION_TAG]}
    elif FILE_TAG in run.tags:
        same = {FILE_TAG: run.tags[FILE_TAG]}
    else:
        return None
    later = instance.get_run_records(
        dg.RunsFilter(job_name=run.job_name, tags=same, created_after=record.create_timestamp), limit=5)
    return next((r.dagster_run.run_id for r in later if r.dagster_run.run_id != run.run_id), None)


@dg.sensor(
    jobs=[census_extract_job, *EXTRACT_JOBS.values()],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=("Marks runs whose process was killed as failed, frees the pool slots they held "
                 f"(pool duckdb has one), and retries a dead sensor-started ingest run (at most "
                 f"{MAX_RETRIES} times)."),
)
def run_health_sensor(context: dg.SensorEvaluationContext):
    found = reap_dead_runs(context.instance).lines()
    for line in found:
        context.log.warning(line)
    # the cursor: the update time of the last failed run looked at (first tick: a day back)
    since = float(context.cursor) if context.cursor else time.time() - RETRY_LOOKBACK_SECONDS
    requests, notes, since = retry_requests(context.instance, since)
    for note in notes:
        context.log.warning(note)
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=str(since))
    return dg.SensorResult(cursor=str(since), skip_reason=dg.SkipReason(
        "; ".join(found + notes) or "No dead runs, and no pool slot held by a finished run."))
