"""``partnersim calibrate``: the ABC-SMC generations on disk, resuming, and the report at the end.

The output folder holds ``calibration.json`` (what was fitted, by which code, how far it got, how long it took)
and ``generations/NNN.json`` (each finished generation's particles). A generation is written whole once it is
complete, so an interrupted calibration loses at most the generation under way; ``--resume`` continues from the
last complete one and gives the same bytes as an uninterrupted run (:mod:`sim.calibration.abc`). The posterior,
its figures and the fit of every target are written by :func:`sim.calibration.posterior.write_report`.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

import sim
from sim import atomic
from sim.calibration import abc
from sim.calibration.parallel import Evaluator
from sim.calibration.spec import CalibrationSpec
from sim.calibration.evaluate import evaluate, jobs_for

STATE = "calibration.json"
GENERATIONS = "generations"
LOCK = "calibrate.lock"


class CalibrationError(Exception):
    """A results folder that holds another calibration, is damaged or in use: one line for the command line."""


# --------------------------------------------------------------------------- the folder

def _dump(data) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True, allow_nan=True) + "\n").encode("utf-8")


def _population_json(population: abc.Population, generation: int) -> dict:
    return {"generation": generation, "epsilon": population.epsilon, "candidates": population.candidates,
            "evaluated": population.evaluated, "theta": population.theta.tolist(), "weights": population.weights.tolist(),
            "distances": population.distances.tolist(), "stats": population.stats.tolist()}


def _population_of(data: dict) -> abc.Population:
    return abc.Population(theta=np.asarray(data["theta"], dtype=float), weights=np.asarray(data["weights"], dtype=float),
                          distances=np.asarray(data["distances"], dtype=float), stats=np.asarray(data["stats"], dtype=float),
                          epsilon=float(data["epsilon"]), candidates=int(data["candidates"]),
                          evaluated=int(data.get("evaluated", data["candidates"])))


def read_generations(out_dir: Path) -> list[abc.Population]:
    folder = out_dir / GENERATIONS
    populations = []
    for t in range(10_000):
        path = folder / f"{t:03d}.json"
        if not path.is_file():
            break
        try:
            populations.append(_population_of(json.loads(path.read_text())))
        except (ValueError, KeyError, TypeError) as error:
            raise CalibrationError(f"{path}: damaged ({type(error).__name__}); remove it and resume") from None
    return populations


def read_state(out_dir: Path) -> dict | None:
    path = out_dir / STATE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError:
        raise CalibrationError(f"{path}: damaged (not JSON); remove the folder and calibrate again") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: damaged (not a JSON object); remove the folder and calibrate again")
    return data


def check_folder(spec: CalibrationSpec, out_dir: Path, resume: bool) -> dict | None:
    """The previous state of ``out_dir`` when resuming; refuse a folder that holds another calibration or, without
    ``--resume``, any calibration."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CalibrationError(f"{out_dir}: exists and is not a folder")
    state = read_state(out_dir)
    if state is None:
        if out_dir.exists() and any(out_dir.iterdir()) and not resume:
            raise CalibrationError(f"{out_dir}: not empty and holds no calibration; give another --out")
        return None
    if state.get("fit_hash") != spec.fit_hash:
        raise CalibrationError(f"{out_dir}: holds a calibration of another spec (or of other scenarios); "
                               "give another --out or remove the folder")
    if not resume:
        raise CalibrationError(f"{out_dir}: holds this calibration already; continue it with --resume or remove the folder")
    return state


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CalibrationError(f"{out_dir}: in use by another partnersim calibrate; wait for it or give another --out") from None
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- the generations

def calibrate(spec: CalibrationSpec, out_dir: Path, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, progress=None) -> Path:
    """Run (or finish) the ABC-SMC of ``spec`` in ``out_dir`` and write its report; returns ``out_dir``."""
    out_dir = Path(out_dir)
    say = progress or (lambda line: None)
    previous_state = check_folder(spec, out_dir, resume)
    with Evaluator(workers, scheduler) as evaluator, locked(out_dir):
        state = _new_state(spec, evaluator, previous_state)
        populations = read_generations(out_dir)
        started = time.monotonic()
        spent = float(state.get("elapsed_seconds") or 0.0)
        if populations:
            say(f"resuming after generation {len(populations) - 1} of {spec.name}")
        while True:
            stop = _stop_reason(spec, populations)
            if stop:
                break
            t = len(populations)
            begun = time.monotonic()
            population = run_generation(spec, t, populations[-1] if populations else None, evaluator)
            if population is None:
                stop = (f"generation {t} found fewer than {spec.population} particles within tolerance before "
                        f"the acceptance rate fell below {spec.min_acceptance}")
                break
            (out_dir / GENERATIONS).mkdir(exist_ok=True)
            atomic.write_bytes(out_dir / GENERATIONS / f"{t:03d}.json", _dump(_population_json(population, t)))
            populations.append(population)
            runs = population.evaluated * sum(s.size for s in spec.samples_of(spec.calibration_targets))
            state["simulations"] = int(state.get("simulations") or 0) + runs
            state["generations"] = len(populations)
            state["elapsed_seconds"] = round(spent + time.monotonic() - started, 1)
            atomic.write_bytes(out_dir / STATE, _dump(state))
            say(f"generation {t}: tolerance {population.epsilon:.3g}, {len(population.weights)} accepted of "
                f"{population.candidates} candidates ({population.acceptance:.0%}), effective size "
                f"{population.effective_size:.0f}, {runs:,} simulations in {time.monotonic() - begun:.0f} s")
        state.update(status="complete", stopped_because=stop, finished=_now(),
                     elapsed_seconds=round(spent + time.monotonic() - started, 1))
        atomic.write_bytes(out_dir / STATE, _dump(state))
        say(f"stopped: {stop}")
        from sim.calibration.posterior import write_report

        say("posterior predictive checks and report ...")
        report_started = time.monotonic()
        paths = write_report(spec, out_dir, populations, evaluator, state)
        state["report_seconds"] = round(time.monotonic() - report_started, 1)
        state["report_files"] = [str(p.relative_to(out_dir)) for p in paths]
        atomic.write_bytes(out_dir / STATE, _dump(state))
    return out_dir


def _stop_reason(spec: CalibrationSpec, populations: list[abc.Population]) -> str | None:
    if len(populations) > spec.generations:
        return f"{spec.generations} generations after the prior (abc.generations)"
    if populations and len(populations) > 1 and populations[-1].acceptance < spec.min_acceptance:
        return f"acceptance {populations[-1].acceptance:.1%} below abc.min_acceptance"
    if populations and len(populations) > 1 and populations[-1].epsilon <= spec.min_epsilon:
        return "tolerance reached abc.min_epsilon"
    return None


def run_generation(spec, t: int, previous: abc.Population | None, evaluator: Evaluator) -> abc.Population | None:
    """Generation ``t`` of ``spec``'s calibration, its candidates simulated by ``evaluator``."""
    targets = spec.calibration_targets
    samples = spec.samples_of(targets)

    def simulate_batch(values: list[dict], seeds: list[list[list[int]]]) -> list[np.ndarray]:
        return evaluator.map(evaluate, jobs_for(values, seeds, samples, targets))

    return smc_generation(spec, t, previous, simulate_batch, [s.size for s in samples])


def smc_generation(spec, t: int, previous: abc.Population | None, simulate_batch, sizes: list[int]) -> abc.Population | None:
    """Generation ``t``: candidates in fixed batches until ``spec.population`` are within the tolerance; ``None`` if
    the acceptance rate would fall below ``spec.min_acceptance`` first. ``simulate_batch(values, seeds)`` gives
    each candidate's statistics from its parameter values and its run seeds (one list per sample of ``sizes``).
    ``spec`` needs ``priors``, ``calibration_targets``, ``root_seed``, ``population``, ``batch``, ``quantile`` and
    ``min_acceptance``."""
    targets = spec.calibration_targets
    epsilon = np.inf if previous is None else abc.next_epsilon(previous, spec.quantile)
    cov = None if previous is None else abc.kernel_covariance(previous)
    limit = spec.population if previous is None else max(spec.population, int(np.ceil(spec.population / max(spec.min_acceptance, 1e-9))))
    thetas, stats, candidates = [], [], 0
    accepted = 0
    distances = np.zeros(0)
    while accepted < spec.population:
        if candidates >= limit:
            return None
        proposed, values, seeds = [], [], []
        for k in range(candidates, candidates + spec.batch):
            rng, particle_seeds = abc.candidate_seeds(spec.root_seed, t, k, sizes)
            theta = abc.propose(spec.priors, previous, cov, rng)
            if theta is None:
                continue
            proposed.append(theta)
            values.append(abc.model_values(spec.priors, theta))
            seeds.append(particle_seeds)
        results = simulate_batch(values, seeds) if values else []
        candidates += spec.batch
        for theta, result in zip(proposed, results):
            thetas.append(theta)
            stats.append(np.asarray(result, dtype=float))
        if stats:
            distances = abc.distance(np.array(stats), targets)
            accepted = int(np.count_nonzero(distances <= epsilon))
    keep = abc.accept_first(distances, epsilon, spec.population)
    theta = np.array(thetas)[keep]
    # The candidates counted are those up to the last one kept, so the acceptance rate does not depend on the batch.
    used = int(keep[-1]) + 1
    return abc.Population(theta=theta, weights=abc.importance_weights(spec.priors, theta, previous, cov),
                          distances=distances[keep], stats=np.array(stats)[keep], epsilon=float(epsilon), candidates=used,
                          evaluated=candidates)


def _new_state(spec: CalibrationSpec, evaluator: Evaluator, previous: dict | None) -> dict:
    from sim.experiments.store import git_commit, package_versions

    commit, dirty = git_commit(Path(sim.__file__).resolve().parent.parent)
    state = {
        "name": spec.name, "spec_file": str(spec.path), "spec": spec.data, "fit_hash": spec.fit_hash,
        "description": spec.description, "git_commit": commit, "git_dirty": dirty,
        "versions": package_versions(["SALib"]), "status": "running", "started": _now(), "finished": None,
        "generations": 0, "simulations": 0, "elapsed_seconds": 0.0, "where": evaluator.where,
        "population": spec.population, "parameters": [p.key for p in spec.priors],
        "calibration_targets": [t.name for t in spec.calibration_targets],
        "validation_targets": [t.name for t in spec.validation_targets],
    }
    if previous is not None:
        for key in ("started", "simulations", "elapsed_seconds", "generations"):
            state[key] = previous.get(key, state[key])
        state["resumed"] = [*(previous.get("resumed") or []), _now()]
    return state


def _now() -> str:
    from sim.experiments.store import utc_now

    return utc_now()


def print_progress(line: str) -> None:
    sys.stderr.write(f"partnersim: {line}\n")
    sys.stderr.flush()
