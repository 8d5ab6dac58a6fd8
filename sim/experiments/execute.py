"""Running a sweep: chunks of runs on a process pool, in this process, or on a Dask cluster.

Run ``run_id = design_point * replicates + replicate`` gets seed
``sim.seeds.replicate_seeds(root_seed, total)[run_id]``, so the results do not
depend on the backend, the number of workers or the order in which runs finish.
Runs travel in chunks (about four per worker, at most ``MAX_CHUNK`` runs each);
a chunk returns Arrow tables, which the parent writes at once to ``DIR/parts/``
and forgets. At most ``IN_FLIGHT_PER_WORKER * workers`` chunks are in flight, so
the parent's memory does not grow with the number of runs. A run that raises is
recorded as ``status = "failed"`` with its error and seed; the sweep goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
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
from sim.experiments import store as store_mod
from sim.experiments.design import Design, build_design
from sim.experiments.spec import SAMPLING_METHODS, Spec
from sim.params import PHASES, Params, to_dict
from sim.seeds import replicate_seeds

BACKENDS = ("local", "dask")
MAX_CHUNK = 50
CHUNKS_PER_WORKER = 4
IN_FLIGHT_PER_WORKER = 2
# Timeseries columns that are not numbers, coded as the index into these names.
CODED_METRICS = {"phase": PHASES}


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the sweep; the finished chunks are kept and ``--resume`` completes it."""

    def __init__(self, out_dir: Path, done: int, total: int):
        self.out_dir, self.done, self.total = Path(out_dir), done, total
        super().__init__(f"{done} of {total} runs saved in {out_dir}")


class SweepAborted(RuntimeError):
    """The executor failed (e.g. a worker process died); the finished chunks are kept."""


# --------------------------------------------------------------------------- worker side

@dataclass(frozen=True)
class Task:
    """One chunk: the base parameters and, per run, (run_id, design_point, replicate, seed, overrides)."""

    base: Params
    scenario: str
    runs: tuple
    timeseries: bool
    every: int
    schema: pa.Schema


def run_one(base: Params, seed: int, overrides: dict) -> sim.RunResult:
    """One run (the function tests replace to make a run fail)."""
    return sim.run(base, seed=seed, overrides=overrides)


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
    for run_id, design_point, replicate, seed, overrides in task.runs:
        row: dict[str, Any] = {"run_id": run_id, "design_point": design_point, "replicate": replicate, "seed": seed,
                               **overrides}
        try:
            result = run_one(task.base, seed, overrides)
            outcomes = flatten_summary(result.summary)
            ts = long_timeseries(run_id, result.timeseries, task.every) if task.timeseries else None
        except Exception as error:  # noqa: BLE001 - a failed run is data, the sweep goes on
            row.update(status="failed", error=" ".join(f"{type(error).__name__}: {error}".split()))
        else:
            row.update(outcomes)
            row.update(status="ok", error=None)
            if ts is not None:
                series.append(ts)
        row["scenario"] = task.scenario
        rows.append(row)
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


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    for start in range(0, len(missing), size):
        runs = []
        ids = missing[start:start + size].tolist()
        for run_id, seed in zip(ids, run_seeds(spec.root_seed, ids)):
            point, replicate = divmod(run_id, replicates)
            runs.append((run_id, point, replicate, seed, design.point(point)))
        yield Task(base=spec.base, scenario=spec.scenario_name, runs=tuple(runs), timeseries=spec.timeseries, every=spec.every,
                   schema=schema)


def _resolve_backend(backend: str | None, scheduler: str | None, workers: int | None) -> tuple[str, int | None]:
    if backend is None:
        backend = "dask" if scheduler else "local"
    if backend not in BACKENDS:
        raise ScenarioError("--backend", "", f"unknown backend {backend!r}", " | ".join(BACKENDS))
    if scheduler and backend != "dask":
        raise ScenarioError("--scheduler", "", "needs the dask backend", "--backend dask (or leave --backend out)")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ScenarioError("--workers", "", f"{workers!r} is out of range", "an integer from 1")
    return backend, workers


class _Inline(cf.Executor):
    """Runs each task when it is submitted, in this process (workers=1: easy to debug and to profile)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001
            future.set_exception(error)
        return future


def _design_table(design: Design) -> pa.Table | None:
    if design.raw is None:
        return None
    columns = {"design_point": pa.array(np.arange(design.n_points, dtype=np.int64))}
    for j, name in enumerate(design.problem["names"]):
        columns[name] = pa.array(design.raw[:, j], pa.float64())
    return pa.table(columns)


def run_sweep(spec: Spec, out_dir: str | Path | None = None, workers: int | None = None, backend: str | None = None,
              scheduler: str | None = None, resume: bool = False, progress: bool = True) -> Path:
    """Run every (design point, replicate) of ``spec`` that ``out_dir`` does not hold yet; returns ``out_dir``.

    ``workers`` defaults to ``os.cpu_count()`` (``1`` runs in this process); ``backend`` is ``local``
    (a process pool) or ``dask`` (a ``LocalCluster`` on loopback, or the cluster at ``scheduler``).
    Bad arguments or an out directory holding another sweep raise :class:`ScenarioError` before
    anything is written. Ctrl-C raises :class:`SweepInterrupted` after keeping the finished chunks.
    """
    out_dir = Path(out_dir) if out_dir is not None else Path("results") / spec.name
    backend, workers = _resolve_backend(backend, scheduler, workers)
    base_params = to_dict(spec.base)
    store = store_mod.Store(out_dir)
    previous = store.check(spec.hash, base_params, resume)

    started = time.monotonic()
    design = build_design(spec)
    total = design.n_points * spec.replicates
    _check_seeds(spec.root_seed, total)
    done_ids, failed_before = store.done()
    missing = np.setdiff1d(np.arange(total, dtype=np.int64), done_ids, assume_unique=True)
    already = total - len(missing)
    client = cluster = executor = None
    if len(missing):  # connect before writing anything, so that a bad --scheduler leaves no trace
        executor, client, cluster, workers = _executor(backend, workers, scheduler)

    written = failed = 0
    bar = manifest = None
    try:
        store.prepare()
        manifest = _manifest(spec, design, total, backend, workers, scheduler, previous)
        manifest.update(runs_done=already, runs_failed=failed_before)
        if len(missing):
            size = chunk_size(len(missing), workers)
            manifest["chunk_size"] = size
        store.write_manifest(manifest)
        design_table = _design_table(design)
        if design_table is not None and not (out_dir / store_mod.DESIGN).is_file():
            store.write_design(design_table)
        if len(missing):
            from tqdm import tqdm

            bar = tqdm(total=total, initial=already, unit="run", desc=spec.name, file=sys.stderr, dynamic_ncols=True,
                       disable=None if progress else True, smoothing=0.05)
            tasks = _tasks(spec, design, missing, size, store_mod.runs_schema(spec.knobs, spec.kind))
            for runs, ts in _drive(executor, tasks, _in_flight_limit(workers, client)):
                store.write_part(runs, ts)
                written += len(runs)
                failed += store_mod.count_failed(runs)
                bar.update(len(runs))
                if failed + failed_before:
                    bar.set_postfix(failed=failed + failed_before, refresh=False)
    except KeyboardInterrupt:
        _stop(executor, client, cluster, cancel=True)
        executor = client = cluster = None
        _record_stop(store, manifest, "interrupted", already + written, failed_before + failed, started)
        raise SweepInterrupted(out_dir, already + written, total) from None
    except Exception as error:
        _stop(executor, client, cluster, cancel=True)
        executor = client = cluster = None
        _record_stop(store, manifest, "aborted", already + written, failed_before + failed, started)
        hint = ""
        if isinstance(error, BrokenProcessPool):
            hint = ('; a script that calls run_sweep must do so under `if __name__ == "__main__":` '
                    "(worker processes import the main module)")
        raise SweepAborted(f"sweep stopped after {already + written} of {total} runs ({type(error).__name__}: {error}); "
                           f"finished runs are kept in {out_dir}, continue with --resume{hint}") from error
    finally:
        if bar is not None:
            bar.close()
        _stop(executor, client, cluster, cancel=False)

    counts = store.consolidate()
    columns = counts["columns"]
    outcome_cols = [c for c in columns if c not in (*store_mod.ID_COLUMNS, *store_mod.TAIL_COLUMNS)
                    and c not in {k.key for k in spec.knobs}]
    manifest.update(
        status="complete", finished=store_mod.utc_now(), runs_done=counts["runs_done"], runs_failed=counts["runs_failed"],
        outcome_columns=outcome_cols, outcomes=store_mod.analysis_outcomes(outcome_cols),
        elapsed_seconds=round(time.monotonic() - started, 3),
    )
    store.write_manifest(manifest)
    return out_dir


def _record_stop(store: store_mod.Store, manifest: dict | None, status: str, done: int, failed: int, started: float) -> None:
    if manifest is None:
        return
    manifest.update(status=status, runs_done=done, runs_failed=failed, elapsed_seconds=round(time.monotonic() - started, 3))
    try:
        store.write_manifest(manifest)
    except OSError:
        pass


def _in_flight_limit(workers: int, client=None, every: float = 5.0):
    """How many chunks may be in flight: two per worker; on a Dask cluster, per worker thread as it grows."""
    state = {"workers": workers, "checked": time.monotonic()}

    def limit() -> int:
        if client is not None and time.monotonic() - state["checked"] > every:
            state["checked"] = time.monotonic()
            try:
                state["workers"] = max(workers, sum(client.nthreads().values()))
            except Exception:  # noqa: BLE001 - keep the last known size
                pass
        return max(1, IN_FLIGHT_PER_WORKER * state["workers"])

    return limit


def _drive(executor: cf.Executor, tasks: Iterator[Task], max_in_flight):
    """Yield each chunk's result as it finishes, keeping at most ``max_in_flight()`` chunks submitted."""
    pending: set[cf.Future] = set()

    def fill() -> None:
        while len(pending) < max_in_flight():
            task = next(tasks, None)
            if task is None:
                return
            pending.add(executor.submit(run_chunk, task))

    try:
        fill()
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                result = future.result()
                future = None  # noqa: F841 - drop the reference before the next wait
                yield result
                del result
            fill()
    finally:
        for future in pending:
            future.cancel()


def _executor(backend: str, workers: int | None, scheduler: str | None):
    """The executor (and Dask client and cluster, when used) and the number of workers."""
    if backend == "local":
        workers = workers or os.cpu_count() or 1
        if workers == 1:
            return _Inline(), None, None, 1
        context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["sim.experiments.worker_preload"])
        pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint)
        return pool, None, None, workers

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
    return client.get_executor(pure=False), client, cluster, workers


def _stop(executor, client, cluster, cancel: bool) -> None:
    if executor is not None:
        if isinstance(executor, cf.ProcessPoolExecutor):
            processes = list(getattr(executor, "_processes", {}).values()) if cancel else []
            executor.shutdown(wait=not cancel, cancel_futures=cancel)
            for process in processes:  # chunks already running would only be thrown away
                if process.is_alive():
                    process.terminate()
        elif not isinstance(executor, _Inline):
            executor.shutdown(wait=not cancel)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


def _manifest(spec: Spec, design: Design, total: int, backend: str, workers: int | None, scheduler: str | None,
              previous: dict | None) -> dict:
    commit, dirty = store_mod.git_commit(Path(sim.__file__).resolve().parent.parent)
    extra = []
    if backend == "dask":
        extra += ["dask", "distributed"]
    if spec.method in ("sobol", "morris"):
        extra.append("SALib")
    outcome_cols = store_mod.outcome_columns(spec.kind)
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
        "timeseries_codes": _timeseries_codes(spec),
        "base_params": to_dict(spec.base),
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
    }
    if previous is not None:
        manifest["started"] = previous.get("started", now)
        manifest["resumed"] = [*previous.get("resumed", []), now]
    return manifest


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
