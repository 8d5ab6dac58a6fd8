"""Running a sweep: chunks of runs on a process pool, in this process, or on a Dask cluster.

Run ``run_id = design_point * replicates + replicate`` gets seed
``sim.seeds.replicate_seeds(root_seed, total)[run_id]``, so the results do not
depend on the backend, the number of workers or the order in which runs finish.
Runs travel in chunks (about four per worker, at most ``MAX_CHUNK`` runs each);
a chunk returns Arrow tables, which the parent writes at once to ``DIR/parts/``
and forgets. At most ``IN_FLIGHT_PER_WORKER * workers`` chunks are in flight, so
the parent's memory does not grow with the number of runs. A run that raises is
recorded as ``status = "failed"`` with its error and seed; the sweep goes on. A run
that kills its worker process is found by running the chunks that were in flight
again one run at a time, and recorded as failed with the signal. Workers never
outlive the sweep (:mod:`sim.lifeline`); the results directory is written by one
process at a time (:class:`sim.experiments.store.Store`).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import errno
import logging
import math
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

import sim
from sim.errors import ScenarioError
from sim.extras import require
from sim import lifeline
from sim.experiments import store as store_mod
from sim.experiments.design import Design, build_design, check_size, planned_points
from sim.inputdata.load import StartingData
from sim.experiments.spec import SAMPLING_METHODS, Spec
from sim.params import PHASES, Params, to_dict
from sim.interrupts import signal_name, signal_of
from sim.seeds import replicate_seeds

BACKENDS = ("local", "dask")
MAX_CHUNK = 50
CHUNKS_PER_WORKER = 4
IN_FLIGHT_PER_WORKER = 2
POSTERIOR_PARTICLE = "posterior_particle"  # a posterior ensemble's runs: the particle whose parameters the run had
# Timeseries columns that are not numbers, coded as the index into these names.
CODED_METRICS = {"phase": PHASES}


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped the sweep; the finished chunks are kept and ``--resume`` completes it."""

    def __init__(self, out_dir: Path, done: int, total: int, signum: int = signal.SIGINT):
        self.out_dir, self.done, self.total, self.signum = Path(out_dir), done, total, int(signum)
        super().__init__(f"{done} of {total} runs saved in {out_dir}")

    def __reduce__(self):
        return type(self), (self.out_dir, self.done, self.total, self.signum)


class SweepAborted(RuntimeError):
    """The executor failed (e.g. a worker process could not start); the finished chunks are kept."""


# --------------------------------------------------------------------------- worker side

@dataclass(frozen=True)
class Task:
    """One chunk: the base parameters and, per run, (run_id, design_point, replicate, seed, overrides); with the
    data every run starts from (read once by the spec, carried to the workers)."""

    base: Params
    scenario: str
    runs: tuple
    timeseries: bool
    every: int
    schema: pa.Schema
    particles: tuple | None = None  # a posterior ensemble: the particle each replicate was given
    data: StartingData | None = None  # the data every run starts from (read once by the spec, docs/DATA.md)
    formation: bool = False  # also the run's formation profile (sim.profile)


def run_one(base: Params, seed: int, overrides: dict, data: StartingData | None = None) -> sim.RunResult:
    """One run (the function tests replace to make a run fail)."""
    return sim.run(base, seed=seed, overrides=overrides, data=data)


def run_profiled(base: Params, seed: int, overrides: dict, data: StartingData | None = None
                 ) -> tuple[sim.RunResult, dict]:
    """One run, the same as :func:`run_one`'s, and its formation profile (:mod:`sim.profile`)."""
    result = sim.run(base, seed=seed, overrides=overrides, data=data, formation=True)
    return result, result.formation


def flatten_summary(summary: dict) -> dict:
    outcomes = {}
    for key, value in summary.items():
        if key in store_mod.NOT_OUTCOMES:
            continue
        if isinstance(value, dict):
            for sub, v in value.items():
                outcomes[f"{key}.{sub}"] = v
        else:
            outcomes[key] = value
    return outcomes


def long_timeseries(run_id: int, frame, every: int) -> dict[str, np.ndarray]:
    """Every ``every``-th step (and the last) of one run's time series, in long format."""
    steps = frame["step"].to_numpy(dtype=np.int64)
    keep = (steps % every == 0)
    if len(steps):
        keep[-1] = True
    names, columns = [], []
    for name in frame.columns:
        if name == "step":
            continue
        column = frame[name]
        if name in CODED_METRICS:
            codes = {label: i for i, label in enumerate(CODED_METRICS[name])}
            values = np.array([codes.get(v, np.nan) for v in column], dtype=np.float64)
        elif column.dtype == bool or np.issubdtype(column.dtype, np.number):
            values = column.to_numpy(dtype=np.float64)
        else:
            continue  # a non-numeric column this module does not know how to code
        names.append(name)
        columns.append(values[keep])
    kept = steps[keep]
    matrix = np.column_stack(columns) if columns else np.zeros((len(kept), 0))
    n_metrics = len(names)
    return {
        "run_id": np.full(len(kept) * n_metrics, run_id, dtype=np.int64),
        "step": np.repeat(kept, n_metrics),
        "metric": np.tile(np.array(names, dtype=object), len(kept)),
        "value": matrix.ravel(),
    }


def run_chunk(task: Task) -> tuple[pa.Table, pa.Table | None]:
    """Run a chunk; every run gives a row, ``failed`` with its error if it raised."""
    rows, series = [], []
    for run in task.runs:
        row = _row_start(task, run)
        try:
            # The data only when there is some: tests stand in for run_one with three-argument functions.
            data = {"data": task.data} if task.data is not None else {}
            if task.formation:
                result, profile = run_profiled(task.base, row["seed"], run[4], **data)
                outcomes = {**flatten_summary(result.summary), **profile}
            else:
                result = run_one(task.base, row["seed"], run[4], **data)
                outcomes = flatten_summary(result.summary)
            ts = long_timeseries(row["run_id"], result.timeseries, task.every) if task.timeseries else None
        except Exception as error:  # noqa: BLE001 - a failed run is data, the sweep goes on
            row.update(status="failed", error=" ".join(f"{type(error).__name__}: {error}".split()))
        else:
            row.update(outcomes)
            row.update(status="ok", error=None)
            if ts is not None:
                series.append(ts)
        row["scenario"] = task.scenario
        rows.append(row)
    return _chunk_tables(task, rows, series)


def failed_chunk(task: Task, error: str) -> tuple[pa.Table, pa.Table | None]:
    """The rows of a chunk none of whose runs finished, each ``failed`` with ``error``."""
    rows = [{**_row_start(task, run), "status": "failed", "error": error, "scenario": task.scenario} for run in task.runs]
    return _chunk_tables(task, rows, [])


def _row_start(task: Task, run: tuple) -> dict[str, Any]:
    run_id, design_point, replicate, seed, overrides = run
    row = {"run_id": run_id, "design_point": design_point, "replicate": replicate, "seed": seed, **overrides}
    if task.particles is not None:
        row[POSTERIOR_PARTICLE] = task.particles[replicate]
    return row


def _chunk_tables(task: Task, rows: list[dict], series: list[dict]) -> tuple[pa.Table, pa.Table | None]:
    runs = store_mod.rows_to_table(rows, task.schema)
    if not task.timeseries:
        return runs, None
    if series:
        arrays = {name: np.concatenate([s[name] for s in series]) for name in ("run_id", "step", "metric", "value")}
    else:
        arrays = {"run_id": np.zeros(0, np.int64), "step": np.zeros(0, np.int64), "metric": np.zeros(0, object),
                  "value": np.zeros(0, np.float64)}
    ts_table = pa.Table.from_arrays(
        [pa.array(arrays["run_id"], pa.int64()), pa.array(arrays["step"], pa.int64()),
         pa.array(arrays["metric"], pa.string()), pa.array(arrays["value"], pa.float64())],
        schema=store_mod.TIMESERIES_SCHEMA)
    return runs, ts_table


def _worker_setup(sweep_pid: int) -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels and stops them, and never outlive the sweep."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.die_with_parent()
    lifeline.watch_process(sweep_pid)


# --------------------------------------------------------------------------- where chunks run

class WorkerDied(Exception):
    """The process running a chunk died (killed by a signal, e.g. by the out-of-memory killer)."""


def death_note(exitcode: int | None) -> str:
    """A failed run's error when its worker process died: which signal, and the usual cause of SIGKILL."""
    if exitcode is None:
        return "WorkerDied: the worker process running this run died"
    if exitcode < 0:
        hint = " (often the out-of-memory killer)" if -exitcode == signal.SIGKILL else ""
        return f"WorkerDied: the worker process running this run was killed by {signal_name(-exitcode)}{hint}"
    return f"WorkerDied: the worker process running this run ended with status {exitcode}"


class Runner:
    """Where chunks run. ``submit`` returns a future; when a worker process dies, ``recover`` makes the runner
    usable again and ``run_alone`` runs one chunk where a death affects that chunk only."""

    breaks_all = False  # a death fails every chunk in flight (a process pool), not only the dead worker's
    workers = 1

    def submit(self, task: Task) -> cf.Future:
        raise NotImplementedError

    def died(self, error: BaseException) -> bool:
        return False

    def recover(self) -> int | None:
        """After a death: make the runner usable again; returns the dead worker's exit code (-N: signal N), if known."""
        raise NotImplementedError

    def run_alone(self, task: Task) -> tuple[pa.Table, pa.Table | None]:
        """Run one chunk by itself; raises :class:`WorkerDied` (with a death note) if its worker dies."""
        return run_chunk(task)

    def in_flight_limit(self):
        return lambda: max(1, IN_FLIGHT_PER_WORKER * self.workers)

    def stop(self, cancel: bool) -> None:
        pass


class InlineRunner(Runner):
    """Runs each task when it is submitted, in this process (workers=1: easy to debug and to profile)."""

    def submit(self, task: Task) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(run_chunk(task))
        except Exception as error:  # noqa: BLE001
            future.set_exception(error)
        return future


# Imported once by the forkserver (see worker_preload); a test may add a module of its own.
WORKER_PRELOAD = ["sim.experiments.worker_preload"]


class PoolRunner(Runner):
    """A local process pool (forkserver where available), replaced when one of its workers dies."""

    breaks_all = True

    def __init__(self, workers: int):
        self.workers = workers
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        self.context = multiprocessing.get_context(method)
        if method == "forkserver":
            self.context.set_forkserver_preload(WORKER_PRELOAD)
        self.pool = self._new_pool(workers)
        self.alone: cf.ProcessPoolExecutor | None = None  # one worker, for chunks run by themselves

    def _new_pool(self, workers: int) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=workers, mp_context=self.context, initializer=_worker_setup,
                                      initargs=(os.getpid(),))

    def submit(self, task: Task) -> cf.Future:
        return self.pool.submit(run_chunk, task)

    def died(self, error: BaseException) -> bool:
        return isinstance(error, BrokenProcessPool)

    def recover(self) -> int | None:
        code = _shut_broken(self.pool)
        self.pool = self._new_pool(self.workers)
        return code

    def run_alone(self, task: Task) -> tuple[pa.Table, pa.Table | None]:
        if self.alone is None:
            self.alone = self._new_pool(1)
        try:
            return self.alone.submit(run_chunk, task).result()
        except BrokenProcessPool:
            code = _shut_broken(self.alone)
            self.alone = None
            raise WorkerDied(death_note(code)) from None

    def stop(self, cancel: bool) -> None:
        for pool in (self.pool, self.alone):
            if pool is not None:
                _shut(pool, cancel)
        self.alone = None


def _processes(pool: cf.ProcessPoolExecutor) -> list:
    return list((getattr(pool, "_processes", None) or {}).values())


def _shut(pool: cf.ProcessPoolExecutor, cancel: bool) -> None:
    processes = _processes(pool) if cancel else []
    results = getattr(pool, "_result_queue", None) if cancel else None
    pool.shutdown(wait=not cancel, cancel_futures=cancel)
    for process in processes:  # chunks already running would only be thrown away
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
    if results is not None and not any(process.is_alive() for process in processes):
        _end_results_pipe(results)


def _end_results_pipe(results) -> None:
    """End the pool's results pipe once its workers are gone. A worker stopped while it was writing a result
    leaves half a message in the pipe, and the pool's manager thread would wait for the rest forever (and
    Python's exit waits for that thread: an interrupted sweep then hung, about one time in sixteen under load,
    in concurrent.futures' exit hook). With every worker gone this process holds the only write end left;
    closing it ends the pipe, and the manager thread sees a broken pool and finishes."""
    writer = getattr(results, "_writer", None)
    if writer is not None:
        try:
            writer.close()
        except OSError:
            pass


def _shut_broken(pool: cf.ProcessPoolExecutor) -> int | None:
    """Shut a pool one of whose workers died; returns the dead worker's exit code. The pool stops the other
    workers itself (SIGTERM), so a death by another signal, or by SIGTERM when all died by it, is the one."""
    processes = _processes(pool)
    pool.shutdown(wait=True)
    codes = [p.exitcode for p in processes if p.exitcode is not None and p.exitcode != 0]
    return next((c for c in codes if c != -signal.SIGTERM), codes[0] if codes else None)


class DaskRunner(Runner):
    """A Dask cluster: a LocalCluster on loopback, or the cluster at ``scheduler``."""

    def __init__(self, client, cluster, workers: int):
        self.client, self.cluster, self.workers = client, cluster, workers
        self.executor = client.get_executor(pure=False)

    def submit(self, task: Task) -> cf.Future:
        return self.executor.submit(run_chunk, task)

    def died(self, error: BaseException) -> bool:
        return type(error).__name__ == "KilledWorker"

    def recover(self) -> int | None:
        return None  # Dask replaces dead workers itself and does not say how they ended

    def run_alone(self, task: Task) -> tuple[pa.Table, pa.Table | None]:
        try:
            return self.executor.submit(run_chunk, task).result()
        except Exception as error:  # noqa: BLE001
            if self.died(error):
                raise WorkerDied(death_note(None)) from None
            raise

    def in_flight_limit(self, every: float = 5.0):
        """Two chunks per worker thread, counted again every few seconds as the cluster grows."""
        state = {"workers": self.workers, "checked": time.monotonic()}

        def limit() -> int:
            if time.monotonic() - state["checked"] > every:
                state["checked"] = time.monotonic()
                try:
                    state["workers"] = max(self.workers, sum(self.client.nthreads().values()))
                except Exception:  # noqa: BLE001 - keep the last known size
                    pass
            return max(1, IN_FLIGHT_PER_WORKER * state["workers"])

        return limit

    def stop(self, cancel: bool) -> None:
        if self.client is None:
            return
        self.executor.shutdown(wait=not cancel)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None


# --------------------------------------------------------------------------- parent side

def chunk_size(n_runs: int, workers: int) -> int:
    return max(1, min(MAX_CHUNK, math.ceil(n_runs / (CHUNKS_PER_WORKER * max(workers, 1)))))


def run_seeds(root_seed: int, run_ids) -> list[int]:
    """The seeds of these runs: ``sim.seeds.replicate_seeds(root_seed, total)[run_id]`` for each, computed
    one by one (child ``i`` of ``SeedSequence(root).spawn(n)`` is ``SeedSequence(root, spawn_key=(i,))``),
    so that a sweep of millions of runs never holds them all."""
    return [int(np.random.SeedSequence(root_seed, spawn_key=(int(i),)).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
            for i in run_ids]


def _check_seeds(root_seed: int, total: int) -> None:
    """Make sure run_seeds still agrees with sim.seeds.replicate_seeds (the one definition of replicate seeds)."""
    n = min(total, 16)
    if run_seeds(root_seed, range(n)) != replicate_seeds(root_seed, n):
        raise RuntimeError("sim.experiments.execute.run_seeds no longer agrees with sim.seeds.replicate_seeds")


def _tasks(spec: Spec, design: Design, missing: np.ndarray, size: int, schema: pa.Schema) -> Iterator[Task]:
    replicates = spec.replicates
    particles = tuple(spec.posterior.draw(spec.root_seed, replicates)) if spec.posterior is not None else None
    for start in range(0, len(missing), size):
        runs = []
        ids = missing[start:start + size].tolist()
        for run_id, seed in zip(ids, run_seeds(spec.root_seed, ids)):
            point, replicate = divmod(run_id, replicates)
            drawn = spec.posterior.overrides(particles[replicate]) if particles is not None else {}
            runs.append((run_id, point, replicate, seed, {**drawn, **design.point(point)}))
        yield Task(base=spec.base, scenario=spec.scenario_name, runs=tuple(runs), timeseries=spec.timeseries, every=spec.every,
                   schema=schema, particles=particles, data=spec.start, formation=spec.formation)


MAX_LOCAL_WORKERS = 1024


def _resolve_backend(backend: str | None, scheduler: str | None, workers: int | None) -> tuple[str, int | None]:
    if backend is None:
        backend = "dask" if scheduler else "local"
    if backend not in BACKENDS:
        raise ScenarioError("--backend", "", f"unknown backend {backend!r}", " | ".join(BACKENDS))
    if scheduler and backend != "dask":
        raise ScenarioError("--scheduler", "", "needs the dask backend", "--backend dask (or leave --backend out)")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ScenarioError("--workers", "", f"{workers!r} is out of range", "an integer from 1")
    if backend == "local" and workers is not None and workers > MAX_LOCAL_WORKERS:
        raise ScenarioError("--workers", "", f"{workers} is out of range for local processes",
                            f"an integer from 1 to {MAX_LOCAL_WORKERS} (or a Dask cluster)")
    return backend, workers


def _design_table(design: Design) -> pa.Table | None:
    if design.raw is None:
        return None
    columns = {"design_point": pa.array(np.arange(design.n_points, dtype=np.int64))}
    for j, name in enumerate(design.problem["names"]):
        columns[name] = pa.array(design.raw[:, j], pa.float64())
    return pa.table(columns)


def _build_design(spec: Spec) -> Design:
    try:
        return build_design(spec)
    except MemoryError:
        raise ScenarioError(str(spec.path), "design", f"{planned_points(spec):,} design points do not fit in this "
                                                      "machine's memory", "a smaller design") from None


def run_sweep(spec: Spec, out_dir: str | Path | None = None, workers: int | None = None, backend: str | None = None,
              scheduler: str | None = None, resume: bool = False, progress: bool = True, allow_large: bool = False) -> Path:
    """Run every (design point, replicate) of ``spec`` that ``out_dir`` does not hold yet; returns ``out_dir``.

    ``workers`` defaults to ``os.cpu_count()`` (``1`` runs in this process); ``backend`` is ``local``
    (a process pool) or ``dask`` (a ``LocalCluster`` on loopback, or the cluster at ``scheduler``).
    Bad arguments, a study above the size limits (unless ``allow_large``) or an out directory holding
    another sweep raise :class:`ScenarioError` before anything is written; a directory in use by another
    process, damaged, or a write that fails (a full disk) raise :class:`StudyError`. Ctrl-C (and, from the
    command line, SIGTERM) raises :class:`SweepInterrupted` after keeping the finished chunks.
    """
    out_dir = Path(out_dir) if out_dir is not None else Path("results") / spec.name
    backend, workers = _resolve_backend(backend, scheduler, workers)
    check_size(spec, allow_large)
    base_params = to_dict(spec.base)
    points = planned_points(spec)
    store = store_mod.Store(out_dir, store_mod.Expected(spec.hash, points * spec.replicates, spec.replicates, spec.timeseries))
    store.check(base_params, resume)
    design = _build_design(spec)
    _check_seeds(spec.root_seed, design.n_points * spec.replicates)
    runner = _runner(backend, workers, scheduler)  # connects first, so that a bad --scheduler leaves no trace
    try:
        with store.locked():
            previous = store.check(base_params, resume)  # again: the directory may have changed before the lock
            return _run_locked(spec, design, store, runner, previous, backend, scheduler, progress)
    except OSError as error:  # creating the directory or its lock (the disk may be full from the start)
        raise store_mod.StudyError(_write_failure(error, store.dir)) from None
    finally:
        runner.stop(cancel=True)


def _note(text: str) -> None:
    sys.stderr.write(f"partnersim: note: {' '.join(text.split())}\n")
    sys.stderr.flush()


def _run_locked(spec: Spec, design: Design, store: store_mod.Store, runner: Runner, previous: dict | None, backend: str,
                scheduler: str | None, progress: bool) -> Path:
    started = time.monotonic()
    total = design.n_points * spec.replicates
    count = {"before": 0, "failed_before": 0, "runs": 0, "failed": 0}  # for the manifest, however the sweep ends
    manifest: dict | None = None

    def stopped(status: str) -> None:
        runner.stop(cancel=True)
        _record_stop(store, manifest, status, count["before"] + count["runs"], count["failed_before"] + count["failed"],
                     started)

    try:
        scan = store.scan()
        for line in scan.quarantined:
            _note(line)
        missing = np.setdiff1d(np.arange(total, dtype=np.int64), scan.done, assume_unique=True)
        count.update(before=total - len(missing), failed_before=scan.failed)
        store.prepare()
        manifest = _manifest(spec, design, total, backend, runner.workers, scheduler, previous)
        size = chunk_size(len(missing), runner.workers) if len(missing) else None
        manifest.update(runs_done=count["before"], runs_failed=scan.failed, chunk_size=size,
                        quarantined=[*manifest["quarantined"], *scan.quarantined])
        store.write_manifest(manifest)
        design_table = _design_table(design)
        if design_table is not None and not (store.dir / store_mod.DESIGN).is_file():
            store.write_design(design_table)
        if len(missing):
            tasks = _tasks(spec, design, missing, size, store_mod.runs_schema(spec.knobs, spec.kind, spec.formation))
            _run_tasks(spec, store, runner, tasks, total, count, progress)
        runner.stop(cancel=False)
        merged = store.consolidate()
        _finish_manifest(spec, manifest, merged, started)
        store.write_manifest(manifest)
    except KeyboardInterrupt as interrupt:
        runner.stop(cancel=True)
        saved = store.saved()  # what is on disk: a part may have been written just before the signal came
        count.update(before=saved, runs=0)
        stopped("interrupted")
        raise SweepInterrupted(store.dir, saved, total, signal_of(interrupt) or signal.SIGINT) from None
    except OSError as error:
        stopped("stopped")
        raise store_mod.StudyError(_write_failure(error, store.dir)) from None
    except store_mod.StudyError:
        stopped("stopped")
        raise
    except ScenarioError:  # bad input a worker met (pickled back to this process): its one line, status 2
        stopped("aborted")
        raise
    except Exception as error:
        stopped("aborted")
        hint = ""
        if isinstance(error, BrokenProcessPool):
            hint = ('; a script that calls run_sweep must do so under `if __name__ == "__main__":` '
                    "(worker processes import the main module)")
        raise SweepAborted(f"sweep stopped after {count['before'] + count['runs']} of {total} runs ({type(error).__name__}: "
                           f"{error}); finished runs are kept in {store.dir}, continue with --resume{hint}") from error
    return store.dir


def _finish_manifest(spec: Spec, manifest: dict, merged: dict, started: float) -> None:
    drawn = {*spec.posterior.keys, POSTERIOR_PARTICLE} if spec.posterior is not None else set()
    outcome_cols = [c for c in merged["columns"] if c not in (*store_mod.ID_COLUMNS, *store_mod.TAIL_COLUMNS)
                    and c not in {k.key for k in spec.knobs} and c not in drawn]
    manifest.update(
        status="complete", finished=store_mod.utc_now(), runs_done=merged["runs_done"], runs_failed=merged["runs_failed"],
        outcome_columns=outcome_cols, outcomes=store_mod.analysis_outcomes(outcome_cols),
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


def _run_tasks(spec: Spec, store: store_mod.Store, runner: Runner, tasks: Iterator[Task], total: int, count: dict,
               progress: bool) -> None:
    """Run the chunks and write each one's part as it finishes, counting the runs written and failed in ``count``."""
    from tqdm import tqdm

    with tqdm(total=total, initial=count["before"], unit="run", desc=spec.name, file=sys.stderr, dynamic_ncols=True,
              disable=None if progress else True, smoothing=0.05) as bar:
        for runs, ts in _drive(runner, tasks):
            store.write_part(runs, ts)
            count["runs"] += len(runs)
            count["failed"] += store_mod.count_failed(runs)
            bar.update(len(runs))
            if count["failed"] + count["failed_before"]:
                bar.set_postfix(failed=count["failed"] + count["failed_before"], refresh=False)


def _write_failure(error: OSError, out_dir: Path) -> str:
    where = error.filename if error.filename is not None else out_dir
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"{where}: cannot write ({error.strerror}); the finished runs are kept: free some space, then "
                f"continue with --resume")
    return f"{where}: cannot write ({error.strerror or error}); the finished runs are kept: continue with --resume once fixed"


def _record_stop(store: store_mod.Store, manifest: dict | None, status: str, done: int, failed: int, started: float) -> None:
    if manifest is None:
        return
    manifest.update(status=status, runs_done=done, runs_failed=failed, elapsed_seconds=round(time.monotonic() - started, 3))
    try:
        store.write_manifest(manifest)
    except OSError:
        pass  # e.g. the disk is still full; the manifest keeps its last state and --resume does not need more


def _drive(runner: Runner, tasks: Iterator[Task]):
    """Yield each chunk's result as it finishes, keeping at most ``runner.in_flight_limit()()`` chunks submitted.

    When a worker process dies, the chunks it may have been running are run again one run at a time by
    themselves: the run that kills its worker again is recorded as failed with the signal, the others
    give their results, and the sweep goes on.
    """
    pending: dict[cf.Future, Task] = {}
    unsent: list[Task] = []  # taken from ``tasks`` but refused by a pool that had just broken
    max_in_flight = runner.in_flight_limit()

    def fill() -> bool:
        """Submit up to the limit; False if the runner refused a chunk because a worker had died."""
        while len(pending) < max_in_flight():
            task = unsent.pop(0) if unsent else next(tasks, None)
            if task is None:
                return True
            try:
                pending[runner.submit(task)] = task
            except Exception as error:  # noqa: BLE001 - only a dead worker is handled here
                if not runner.died(error):
                    raise
                unsent.insert(0, task)
                return False
        return True

    try:
        broken = not fill()
        while pending or unsent:
            suspects: list[Task] = []
            if pending:
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                if runner.breaks_all and (broken or any(_died(runner, f) for f in done)):
                    cf.wait(pending)  # a broken pool fails every chunk in flight; some may have finished first
                    done = set(pending)
                for future in sorted(done, key=lambda f: pending[f].runs[0][0]):
                    task = pending.pop(future)
                    if _died(runner, future):
                        suspects.append(task)
                        continue
                    result = future.result()
                    future = None  # noqa: F841 - drop the reference before the next wait
                    yield result
                    del result
            if suspects or broken:
                code = runner.recover()
                if code is not None and code >= 0:  # not killed: it could not start, or exited by itself
                    raise BrokenProcessPool(f"a worker process ended with status {code}")
                for task in suspects:
                    yield from _run_one_by_one(runner, task)
            broken = not fill()
    finally:
        for future in pending:
            future.cancel()


def _died(runner: Runner, future: cf.Future) -> bool:
    return not future.cancelled() and future.exception() is not None and runner.died(future.exception())


def _run_one_by_one(runner: Runner, task: Task):
    for run in task.runs:
        single = dataclasses.replace(task, runs=(run,))
        try:
            yield runner.run_alone(single)
        except WorkerDied as death:
            yield failed_chunk(single, str(death))


def _runner(backend: str, workers: int | None, scheduler: str | None) -> Runner:
    """The runner for a backend: in this process, a local process pool, or a Dask cluster."""
    if backend == "local":
        workers = workers or os.cpu_count() or 1
        return InlineRunner() if workers == 1 else PoolRunner(workers)

    require("partnersim sweep --backend dask", "dask")
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler)
        except (OSError, TimeoutError, ValueError) as error:
            raise ScenarioError("--scheduler", "", f"cannot connect to {scheduler} ({type(error).__name__}: {error})",
                                "the address of a running Dask scheduler, e.g. tcp://HOST:8786") from None
        cluster = None
        if workers is None:
            workers = max(1, sum(client.nthreads().values()))
    else:
        workers = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    return DaskRunner(client, cluster, workers)


def _manifest(spec: Spec, design: Design, total: int, backend: str, workers: int | None, scheduler: str | None,
              previous: dict | None) -> dict:
    commit, dirty = store_mod.git_commit(Path(sim.__file__).resolve().parent.parent)
    extra = []
    if backend == "dask":
        extra += ["dask", "distributed"]
    if spec.method in ("sobol", "morris"):
        extra.append("SALib")
    outcome_cols = store_mod.outcome_columns(spec.kind, spec.formation)
    now = store_mod.utc_now()
    manifest = {
        "name": spec.name,
        "spec": spec.data,
        "spec_file": str(spec.path),
        "spec_hash": spec.hash,
        "description": spec.description,
        "scenario": spec.scenario_name,
        "scenario_source": spec.scenario,
        "kind": spec.kind,
        "root_seed": spec.root_seed,
        "replicates": spec.replicates,
        "steps": spec.steps,
        "design": spec.method,
        "design_points": design.n_points,
        "samples": spec.samples,
        "levels": spec.levels,
        "calc_second_order": False if spec.method == "sobol" else None,
        "problem": design.problem,
        "design_file": store_mod.DESIGN if spec.method in SAMPLING_METHODS else None,
        "levers": spec.levers,
        "uncertainties": spec.uncertainties,
        "knobs": {k.key: k.describe() for k in spec.knobs},
        "fixed": spec.fixed,
        "outcome_columns": outcome_cols,
        "outcomes": store_mod.analysis_outcomes(outcome_cols),
        "timeseries": spec.timeseries,
        "every": spec.every if spec.timeseries else None,
        "formation": spec.formation,
        "timeseries_codes": _timeseries_codes(spec),
        "base_params": to_dict(spec.base),
        "data": spec.start.describe() if spec.start is not None else None,
        "versions": store_mod.package_versions(extra),
        "git_commit": commit,
        "git_dirty": dirty,
        "started": now,
        "finished": None,
        "status": "running",
        "runs_total": total,
        "runs_done": 0,
        "runs_failed": 0,
        "backend": backend,
        "workers": workers,
        "scheduler": scheduler,
        "chunk_size": None,
        "elapsed_seconds": None,
        "quarantined": [],
        "posterior": None if spec.posterior is None else {
            "file": str(spec.posterior.path), "sha256": spec.posterior.sha256, "parameters": list(spec.posterior.keys),
            "particles": len(spec.posterior.weights), "column": POSTERIOR_PARTICLE},
    }
    if previous is not None:
        manifest["started"] = previous.get("started", now)
        manifest["resumed"] = [*_list(previous.get("resumed")), now]
        manifest["quarantined"] = _list(previous.get("quarantined"))
    return manifest


def _list(value) -> list:
    return list(value) if isinstance(value, list) else []


def _timeseries_codes(spec: Spec) -> dict | None:
    """The coded time-series metrics (a region's time series has none), or None without time series."""
    if not spec.timeseries:
        return None
    if spec.kind == store_mod.REGION:
        return {}
    return {name: list(labels) for name, labels in CODED_METRICS.items()}


def final_line(out_dir: str | Path) -> str:
    """``N runs done, F failed in S s -> DIR`` from a finished sweep's manifest."""
    manifest = store_mod.Store(out_dir).read_manifest() or {}
    return (f"{manifest.get('runs_done', 0)} runs done, {manifest.get('runs_failed', 0)} failed "
            f"in {manifest.get('elapsed_seconds') or 0:.1f} s -> {out_dir}")
