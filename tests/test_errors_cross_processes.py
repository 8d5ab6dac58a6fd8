"""Errors that cross processes: every exception partnersim raises pickles to the same message, so that bad input
met in a worker (a sweep's process pool, a Dask worker, ``mesa.batch_run``) reaches the parent as its one line
instead of breaking the pool."""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import logging
import multiprocessing
import pickle
import pkgutil
import signal
from pathlib import Path

import pytest

import sim
from sim.errors import ScenarioError, ScenarioErrors

BAD_LINE = "--set: funding.grant_months: -3 is out of range; allowed: an integer from 0 to 600"


def _every_module():
    for info in pkgutil.walk_packages(sim.__path__, "sim."):
        if info.name != "sim.__main__":
            yield importlib.import_module(info.name)


def package_exceptions() -> set[type]:
    """Every exception class defined in the package."""
    found = set()
    for module in _every_module():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__.startswith("sim."):
                found.add(value)
    return found


def examples() -> dict[type, BaseException]:
    """One instance of each exception class, made as the package makes it."""
    from sim.calibration.run import CalibrationError
    from sim.classroom.app import ServeError
    from sim.classroom.lesson import UnknownLesson
    from sim.classroom.server import NotServed
    from sim.cli import CliError
    from sim.experiments.execute import SweepAborted, SweepInterrupted, WorkerDied
    from sim.experiments.report import ReportError
    from sim.experiments.store import Damaged, StudyError, StudyLocked
    from sim.extras import MissingExtra
    from sim.interrupts import Interrupted
    from sim.scenarios import TomlTooLarge

    one = ScenarioError("my.toml", "funding.grant_months", "-3 is out of range", "an integer from 0 to 600")
    two = ScenarioError("my.toml", "trust.gain", "expected a number, got 'x'", "a number from 0.0 to 1.0")
    instances = [
        one, ScenarioErrors([one, two]), ScenarioError("baseline.toml", "", "no such scenario"),
        TomlTooLarge("a.b", "nested more than 32 levels deep", "tables and arrays nested at most 32 levels"),
        SweepInterrupted(Path("results/study"), 3, 10, signal.SIGTERM),
        SweepAborted("sweep stopped after 3 of 10 runs (OSError: boom); finished runs are kept in results/study"),
        WorkerDied("WorkerDied: the worker process running this run was killed by SIGKILL"),
        StudyError("results/study/manifest.json: damaged; remove the directory"),
        StudyLocked("results/study: in use by process 123"), Damaged("expected 10 rows, found 9"),
        ReportError("results/study: no runs.parquet"), UnknownLesson("unknown lesson 'x'; lessons: betterment-vs-empowerment"),
        ServeError("cannot serve on 127.0.0.1:80: permission denied; choose another --port"),
        NotServed("/_solara/cdn/x.js: not a file of the installed assets"),
        CliError("results: cannot write output: permission denied"),
        MissingExtra("partnersim app", "app", "solara"), Interrupted(signal.SIGTERM),
        CalibrationError("results/calibration: holds another calibration (spec hash differs); choose another --out"),
    ]
    return {type(error): error for error in instances}


def test_every_exception_class_of_the_package_has_an_example():
    assert package_exceptions() == set(examples())


@pytest.mark.parametrize("error", list(examples().values()), ids=lambda error: type(error).__name__)
def test_every_exception_pickles_to_the_same_message(error):
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.args == error.args
    if isinstance(error, ScenarioError):
        assert (again.source, again.key, again.problem, again.allowed) == (error.source, error.key, error.problem,
                                                                           error.allowed)
    if isinstance(error, ScenarioErrors):
        assert [str(e) for e in again.errors] == [str(e) for e in error.errors]


def test_bad_input_in_a_process_pool_comes_back_as_its_line_and_the_pool_goes_on():
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        with pytest.raises(ScenarioError) as raised:
            pool.submit(sim.run, "baseline", overrides={"funding.grant_months": -3}).result()
        assert str(raised.value) == BAD_LINE
        assert pool.submit(sim.scenario_names).result() == sim.scenario_names()  # not broken


def test_bad_input_on_a_dask_worker_comes_back_as_its_line():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        with pytest.raises(ScenarioError) as raised:
            client.submit(sim.run, "baseline", overrides={"funding.grant_months": -3}).result()
        assert str(raised.value) == BAD_LINE
        assert client.submit(sim.scenario_names).result() == sim.scenario_names()


def test_a_sweep_whose_worker_meets_bad_input_prints_its_line(tmp_path):
    from test_faults import SPEC, finish, start_sweep

    spec = tmp_path / "study.toml"
    spec.write_text(SPEC, encoding="utf-8")
    code, _, stderr = finish(start_sweep(spec, tmp_path / "out", PARTNERSIM_TEST_BAD_INPUT="1"))
    assert code == 2
    assert stderr.strip().splitlines()[-1] == ("partnersim: error: worker.toml: funding.grant_months: -3 is out of "
                                               "range; allowed: an integer from 0 to 600")
    assert "Traceback" not in stderr


def test_a_failed_run_records_the_line_of_its_bad_input(tmp_path, monkeypatch):
    """A run that meets bad input is a failed run whose error is the one line, and the sweep goes on."""
    import pyarrow.parquet as pq

    from sim.experiments import execute, load_spec, run_sweep
    from test_faults import SPEC

    real = execute.run_one

    def refuse_odd_seeds(base, seed, overrides):
        if seed % 2:
            return sim.run(base, seed=seed, overrides={**overrides, "funding.grant_months": -3})
        return real(base, seed, overrides)

    monkeypatch.setattr(execute, "run_one", refuse_odd_seeds)
    spec = tmp_path / "study.toml"
    spec.write_text(SPEC.replace("replicates = 60", "replicates = 2"), encoding="utf-8")
    runs = pq.read_table(run_sweep(load_spec(spec), tmp_path / "out", workers=1, progress=False) / "runs.parquet")
    rows = runs.to_pylist()
    failed = [row for row in rows if row["status"] == "failed"]
    assert failed and len(failed) < len(rows)
    assert {row["error"] for row in failed} == {f"ScenarioError: {BAD_LINE}"}
