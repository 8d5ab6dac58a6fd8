"""Sweeps (issue 3, sections 1-3): spec validation, designs, seeds, backends, failures, resume, memory, CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments import SweepInterrupted, build_design, load_spec, run_sweep
from sim.experiments import design as design_mod
from sim.experiments import execute, store
from sim.seeds import replicate_seeds

REPO_ROOT = Path(__file__).resolve().parent.parent
STUDIES = REPO_ROOT / "experiments"
EXAMPLE = STUDIES / "example_small.toml"
FINAL_LINE = re.compile(r"^(\d+) runs done, (\d+) failed in [\d.]+ s -> (.+)$")

HEADER = """\
description = "A tiny test sweep."
scenario = "baseline"
replicates = 2
steps = 12
root_seed = 99
"""
TINY = HEADER + """
[design]
method = "grid"
[levers]
"funding.grant_months" = [6, 24]
[uncertainties]
"organizations.initial_trust" = {low = 0.2, high = 0.6, steps = 2}
[outputs]
timeseries = true
every = 5
[fixed]
"organizations.count" = 6
"""


def spec_file(tmp_path: Path, body: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs.parquet")


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def python_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


# --------------------------------------------------------------------------- spec validation

INVALID = [
    ("bogus = 1\n", "bogus", "unknown key"),
    ('[design]\nmethod = "grid"\nshape = 2\n', "design.shape", "unknown key"),
    ('[design]\nmethod = "factorial"\n', "design.method", "unknown method"),
    ("[outputs]\ncsv = true\n", "outputs.csv", "unknown key"),
    ('[levers]\n"funding.nope" = [1, 2]\n', "levers.funding.nope", "unknown key"),
    ('[levers]\n"funding" = [1, 2]\n', "levers.funding", "section"),
    ('[levers]\n"seed" = [1, 2]\n', "levers.seed", "root_seed"),
    ('[levers]\n"continuum.months_required" = [[1, 2, 3]]\n', "levers.continuum.months_required", "list parameter"),
    ('[levers]\n"funding.grant_months" = [12, 24]\n[uncertainties]\n"funding.grant_months" = [36]\n',
     "uncertainties.funding.grant_months", "also in [levers]"),
    ('[levers]\n"funding.grant_months" = [12, 24]\n[fixed]\n"funding.grant_months" = 36\n', "levers.funding.grant_months", "fixed"),
    ('[levers]\n"funding.grant_months" = [-3, 12]\n', "levers.funding.grant_months", "out of range"),
    ('[uncertainties]\n"organizations.initial_trust" = {low = 0.5, high = 1.5, steps = 3}\n', "uncertainties.organizations.initial_trust",
     "out of range"),
    ('[uncertainties]\n"organizations.initial_trust" = {low = 0.6, high = 0.2, steps = 3}\n', "uncertainties.organizations.initial_trust",
     "not below high"),
    ('[uncertainties]\n"organizations.initial_trust" = {low = 0.2, high = 0.6, steps = 1}\n', "uncertainties.organizations.initial_trust",
     "steps"),
    ('[uncertainties]\n"organizations.initial_trust" = {low = 0.2, high = 0.6}\n', "uncertainties.organizations.initial_trust",
     "needs steps"),
    ('[levers]\n"funding.mandated" = {low = 0, high = 1, steps = 2}\n', "levers.funding.mandated", "boolean"),
    ('[design]\nmethod = "list"\n[levers]\n"funding.grant_months" = [12, 24]\n[uncertainties]\n'
     '"organizations.initial_trust" = [0.2, 0.3, 0.4]\n', "uncertainties.organizations.initial_trust", "3 values"),
    ('[design]\nmethod = "list"\n[levers]\n"funding.grant_months" = [12, 12]\n[uncertainties]\n'
     '"organizations.initial_trust" = [0.2, 0.2]\n', "levers.funding.grant_months", "design point 2 repeats point 1"),
    ('[levers]\n"funding.grant_months" = [12, 12]\n', "levers.funding.grant_months", "repeated values"),
    ('[design]\nmethod = "latin_hypercube"\nsamples = 8\n[levers]\n"funding.grant_months" = [12, 24]\n',
     "levers.funding.grant_months", "cannot be sampled"),
    ('[design]\nmethod = "sobol"\nsamples = 10\n[levers]\n"funding.grant_months" = {low = 12, high = 24}\n',
     "design.samples", "power of 2"),
    ('[design]\nmethod = "morris"\n[levers]\n"funding.grant_months" = {low = 12, high = 24}\n', "design.samples", "missing"),
    ('[fixed]\n"public_sector.nope" = 0.5\n', "fixed.public_sector.nope", "unknown key"),
    ('[fixed]\n"public_sector.receptivity" = 7\n', "fixed.public_sector.receptivity", "out of range"),
    ('[levers]\n"funding.grant_months" = [12, 24]\n[levers.funding]\ngrant_months = [36]\n', "levers.funding.grant_months",
     "given twice"),
    ('[fixed]\n"public_sector.receptivity" = 0.5\n[fixed.public_sector]\nreceptivity = 0.6\n', "fixed.public_sector.receptivity",
     "given twice"),
    ('[uncertainties]\n"organizations.initial_trust" = {low = 0, high = 1' + "0" * 400 + ', steps = 2}\n',
     "uncertainties.organizations.initial_trust.high", "does not fit in 64 bits"),
    ('[design]\nmethod = "sobol"\nsamples = ' + "9" * 5000 + '\n', "", "too long to read"),
    ("deep = " + "[" * 400 + "]" * 400 + "\n", "", "nested more than 32 levels"),
    ("deep = " + "{a = " * 400 + "1" + "}" * 400 + "\n", "", "nested more than 32 levels"),
]


@pytest.mark.parametrize("extra, key, problem", INVALID, ids=[case[1] + ":" + case[2] for case in INVALID])
def test_invalid_spec_raises_one_line(tmp_path, extra, key, problem):
    path = spec_file(tmp_path, HEADER + extra)
    with pytest.raises(ScenarioError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 800
    assert message.startswith(f"{path}: {key}:" if key else f"{path}: "), message
    assert problem in message, message


@pytest.mark.parametrize("header, key", [
    (HEADER.replace("replicates = 2", "replicates = 0"), "replicates"),
    (HEADER.replace("root_seed = 99\n", ""), "root_seed"),
    (HEADER.replace('"baseline"', '"no_such_scenario"'), "scenario"),
    (HEADER.replace("steps = 12", "steps = 0"), "steps"),
])
def test_invalid_top_level(tmp_path, header, key):
    path = spec_file(tmp_path, header)
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: {key}: "):
        load_spec(path)


@pytest.mark.parametrize("args, fragment", [
    (["SPEC"], "levers.funding.nope"),
    (["SPEC", "--replicates", "0"], "--replicates"),
    (["SPEC", "--steps", "-1"], "--steps"),
    (["SPEC", "--workers", "0"], "--workers"),
    (["SPEC", "--backend", "slurm"], "--backend"),
    (["missing.toml"], "no such spec file"),
])
def test_cli_invalid_exits_2_writing_nothing(tmp_path, capsys, args, fragment):
    good = spec_file(tmp_path, TINY, "good.toml")
    bad = spec_file(tmp_path, HEADER + '[levers]\n"funding.nope" = [1, 2]\n', "bad.toml")
    spec = bad if fragment.startswith("levers") else good
    argv = ["sweep", *[str(spec) if a == "SPEC" else str(tmp_path / a) if a.endswith(".toml") else a for a in args],
            "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("partnersim: error: ") and err.count("\n") == 1, err
    assert fragment in err, err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- size bounds

LARGE = {
    "grid of 1e8 points": HEADER + """
        [levers]
        "organizations.initial_trust" = {low = 0.0, high = 1.0, steps = 10000}
        [uncertainties]
        "public_sector.receptivity" = {low = 0.0, high = 1.0, steps = 10000}
        """,
    "a billion replicates": HEADER.replace("replicates = 2", "replicates = 1000000000"),
    "sobol with 2^40 samples": HEADER + """
        [design]
        method = "sobol"
        samples = 1099511627776
        [levers]
        "funding.grant_months" = {low = 12, high = 36}
        """,
    "monthly series of 20,000 long runs": HEADER.replace("replicates = 2", "replicates = 20000").replace("steps = 12", "steps = 6000")
    + "[outputs]\ntimeseries = true\n",
}


@pytest.mark.parametrize("case", sorted(LARGE))
def test_a_study_above_the_limits_is_refused_unless_asked_for(tmp_path, capsys, case):
    spec = spec_file(tmp_path, LARGE[case])
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"partnersim: error: {spec}: design: ") and err.count("\n") == 1, err
    assert "more than the limit of" in err and "--yes-large" in err
    assert not out.exists()
    loaded = load_spec(spec)
    design_mod.check_size(loaded, allow_large=True)  # asked for: no refusal (and 2^40 Sobol' points were never built)


def test_planned_points_are_the_design_points(tmp_path):
    bodies = [TINY, HEADER + '[design]\nmethod = "list"\n[levers]\n"funding.grant_months" = [12, 24, 36]\n']
    for method in ("latin_hypercube", "sobol", "morris"):
        bodies.append(HEADER + f'[design]\nmethod = "{method}"\nsamples = 8\n[levers]\n"funding.grant_months" = '
                               '{low = 12, high = 36}\n"organizations.initial_trust" = {low = 0.2, high = 0.6}\n')
    for i, body in enumerate(bodies):
        spec = load_spec(spec_file(tmp_path, body, f"spec{i}.toml"))
        assert design_mod.planned_points(spec) == build_design(spec).n_points, body
    assert design_mod.estimated_bytes(load_spec(spec_file(tmp_path, TINY)), 4) > 0


def test_too_many_local_workers_is_refused(tmp_path, capsys):
    spec = spec_file(tmp_path, TINY)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "100000"]) == 2
    assert "--workers" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- designs

def test_grid_and_list_designs(tmp_path):
    grid = load_spec(spec_file(tmp_path, HEADER + """
        [levers]
        "funding.grant_months" = [12, 24, 36]
        "governance.power_sharing" = ["betterment", "empowerment"]
        [uncertainties]
        "organizations.initial_trust" = {low = 0.2, high = 0.6, steps = 5}
        "organizations.count" = {low = 4, high = 8, steps = 3}
    """))
    design = build_design(grid)
    assert design.n_points == 3 * 2 * 5 * 3
    assert sorted(set(design.columns["organizations.initial_trust"].tolist())) == pytest.approx([0.2, 0.3, 0.4, 0.5, 0.6])
    assert sorted(set(design.columns["organizations.count"].tolist())) == [4, 6, 8]
    points = {tuple(design.point(i).values()) for i in range(design.n_points)}
    assert len(points) == design.n_points  # full factorial: every combination once
    assert grid.levers == ["funding.grant_months", "governance.power_sharing"]
    assert grid.uncertainties == ["organizations.initial_trust", "organizations.count"]

    listed = load_spec(spec_file(tmp_path, HEADER + """
        [design]
        method = "list"
        [levers]
        "funding.grant_months" = [12, 24, 36]
        [uncertainties]
        "organizations.initial_trust" = [0.2, 0.3, 0.4]
    """, "list.toml"))
    design = build_design(listed)
    assert design.n_points == 3
    assert design.point(1) == {"funding.grant_months": 24, "organizations.initial_trust": 0.3}


@pytest.mark.parametrize("method, expected", [("latin_hypercube", lambda n, d: n), ("sobol", lambda n, d: n * (d + 2)),
                                              ("morris", lambda n, d: n * (d + 1))])
def test_sampling_designs(tmp_path, method, expected):
    body = HEADER + f"""
        [design]
        method = "{method}"
        samples = 8
        [levers]
        "funding.grant_months" = {{low = 12, high = 36}}
        "governance.community_decision_share" = {{low = 0.0, high = 1.0}}
        [uncertainties]
        "organizations.initial_trust" = {{low = 0.2, high = 0.6}}
        "public_sector.receptivity" = {{low = 0.3, high = 0.9}}
    """
    spec = load_spec(spec_file(tmp_path, body))
    design = build_design(spec)
    assert design.n_points == expected(8, 4)
    bounds = {"funding.grant_months": (12, 36), "governance.community_decision_share": (0.0, 1.0),
              "organizations.initial_trust": (0.2, 0.6), "public_sector.receptivity": (0.3, 0.9)}
    for key, (low, high) in bounds.items():
        column = design.columns[key]
        assert column.min() >= low and column.max() <= high, key
    assert design.columns["funding.grant_months"].dtype == np.int64
    assert design.problem["names"] == list(bounds)
    again = build_design(load_spec(spec_file(tmp_path, body, "again.toml")))
    for key in bounds:
        np.testing.assert_array_equal(design.columns[key], again.columns[key])
    other = build_design(load_spec(spec_file(tmp_path, body.replace("root_seed = 99", "root_seed = 100"), "other.toml")))
    assert not np.array_equal(design.columns["public_sector.receptivity"], other.columns["public_sector.receptivity"])


# --------------------------------------------------------------------------- seeds, determinism, output format

def test_seeds_format_and_determinism(tmp_path):
    spec = load_spec(spec_file(tmp_path, TINY))
    first = run_sweep(spec, tmp_path / "a", workers=1, progress=False)
    second = run_sweep(spec, tmp_path / "b", workers=1, progress=False)
    frame = runs(first)
    pd.testing.assert_frame_equal(frame, runs(second))
    pd.testing.assert_frame_equal(pd.read_parquet(first / "timeseries.parquet"), pd.read_parquet(second / "timeseries.parquet"))

    total = 4 * 2
    assert frame["run_id"].tolist() == list(range(total))
    assert frame["seed"].tolist() == replicate_seeds(99, total)
    assert execute.run_seeds(99, [5, 37]) == [replicate_seeds(99, 40)[5], replicate_seeds(99, 40)[37]]
    assert frame["design_point"].tolist() == [i // 2 for i in range(total)]
    assert frame["replicate"].tolist() == [i % 2 for i in range(total)]
    assert frame["funding.grant_months"].tolist() == [6, 6, 6, 6, 24, 24, 24, 24]
    assert frame["organizations.initial_trust"].tolist() == [0.2, 0.2, 0.6, 0.6] * 2
    assert (frame["status"] == "ok").all() and frame["error"].isna().all() and (frame["scenario"] == "baseline").all()
    for column in ("steps", "reached_scale", "final_mean_trust", "first_step_at_level.networking", "final_phase"):
        assert column in frame.columns
    assert "params" not in frame.columns
    assert str(pq.read_schema(first / "runs.parquet").field("seed").type) == "int64"

    ts = pd.read_parquet(first / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "step", "metric", "value"]
    assert ts["value"].dtype == np.float64
    assert sorted(ts["step"].unique().tolist()) == [0, 5, 10, 12]  # every 5th step and the last
    assert set(ts["run_id"]) == set(range(total))

    meta = manifest(first)
    for key in ("spec", "spec_hash", "root_seed", "versions", "git_commit", "started", "finished", "runs_total", "runs_done",
                "runs_failed", "levers", "uncertainties", "outcomes", "design", "backend", "workers"):
        assert key in meta, key
    assert meta["runs_total"] == meta["runs_done"] == total and meta["runs_failed"] == 0
    assert meta["levers"] == ["funding.grant_months"] and meta["uncertainties"] == ["organizations.initial_trust"]
    assert meta["spec_hash"] == spec.hash and meta["root_seed"] == 99 and meta["design"] == "grid"
    assert {"partnersim", "mesa", "numpy", "pandas", "pyarrow"} <= set(meta["versions"])
    assert not (first / "parts").exists()

    shrunk = load_spec(tmp_path / "spec.toml", replicates=1, steps=6)
    assert shrunk.replicates == 1 and shrunk.steps == 6 and shrunk.hash != spec.hash


def test_equal_results_across_backends(tmp_path):
    spec = load_spec(spec_file(tmp_path, TINY.replace("replicates = 2", "replicates = 3")))
    inline = run_sweep(spec, tmp_path / "one", workers=1, progress=False)
    pool = run_sweep(spec, tmp_path / "pool", workers=2, progress=False)
    dask = run_sweep(spec, tmp_path / "dask", workers=2, backend="dask", progress=False)
    assert manifest(pool)["backend"] == "local" and manifest(dask)["backend"] == "dask"
    reference = runs(inline)
    assert len(reference) == 12
    for other in (pool, dask):
        pd.testing.assert_frame_equal(reference, runs(other))
        pd.testing.assert_frame_equal(pd.read_parquet(inline / "timeseries.parquet"), pd.read_parquet(other / "timeseries.parquet"))
        for name in ("runs.parquet", "timeseries.parquet"):
            assert (other / name).read_bytes() == (inline / name).read_bytes(), name


def test_same_bytes_whatever_the_chunks(tmp_path, monkeypatch):
    """Row groups have a fixed size, so files do not record how the runs were chunked among workers."""
    monkeypatch.setattr(store, "RUN_ROWS_PER_GROUP", 5)
    monkeypatch.setattr(store, "TIMESERIES_ROWS_PER_GROUP", 70)
    spec = load_spec(spec_file(tmp_path, TINY.replace("replicates = 2", "replicates = 6")))
    inline = run_sweep(spec, tmp_path / "one", workers=1, progress=False)
    pool = run_sweep(spec, tmp_path / "pool", workers=2, progress=False)
    for name in ("runs.parquet", "timeseries.parquet"):
        assert (pool / name).read_bytes() == (inline / name).read_bytes(), name
    groups = pq.ParquetFile(inline / "runs.parquet").metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [5, 5, 5, 5, 4]


def test_failed_run_is_recorded_and_sweep_goes_on(tmp_path, monkeypatch):
    spec = load_spec(spec_file(tmp_path, TINY))
    bad_seed = replicate_seeds(99, 8)[5]
    real = execute.run_one

    def flaky(base, seed, overrides):
        if seed == bad_seed:
            raise RuntimeError("boom in run 5")
        return real(base, seed, overrides)

    monkeypatch.setattr(execute, "run_one", flaky)
    out = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    frame = runs(out).set_index("run_id")
    assert frame.loc[5, "status"] == "failed"
    assert frame.loc[5, "error"] == "RuntimeError: boom in run 5"
    assert frame.loc[5, "seed"] == bad_seed
    assert frame.loc[5, "funding.grant_months"] == 24
    assert pd.isna(frame.loc[5, "final_mean_trust"])
    assert (frame.drop(index=5)["status"] == "ok").all()
    assert len(frame) == 8
    meta = manifest(out)
    assert meta["runs_failed"] == 1 and meta["runs_done"] == 8
    assert execute.final_line(out).startswith("8 runs done, 1 failed in ")
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert 5 not in set(ts["run_id"])


# --------------------------------------------------------------------------- resume

def test_resume_after_ctrl_c_in_process(tmp_path, monkeypatch):
    spec = load_spec(spec_file(tmp_path, TINY.replace("replicates = 2", "replicates = 20")))  # 80 runs, chunks of 20
    clean = run_sweep(spec, tmp_path / "clean", workers=1, progress=False)
    real = execute.run_one
    calls = {"n": 0}

    def interrupted(base, seed, overrides):
        calls["n"] += 1
        if calls["n"] == 50:
            raise KeyboardInterrupt
        return real(base, seed, overrides)

    monkeypatch.setattr(execute, "run_one", interrupted)
    out = tmp_path / "out"
    with pytest.raises(SweepInterrupted) as caught:
        run_sweep(spec, out, workers=1, progress=False)
    assert caught.value.done == 40 and caught.value.total == 80
    assert manifest(out)["status"] == "interrupted" and not (out / "runs.parquet").exists()
    parts = sorted((out / "parts").glob("part-*.parquet"))
    assert len(parts) == 2
    # A copy of a finished part (as if a chunk had been written twice) must not duplicate rows.
    (out / "parts" / "part-000099.parquet").write_bytes(parts[0].read_bytes())
    (out / "parts" / "ts-000099.parquet").write_bytes((out / "parts" / parts[0].name.replace("part-", "ts-")).read_bytes())
    monkeypatch.setattr(execute, "run_one", real)
    with pytest.raises(ScenarioError, match="--resume"):
        run_sweep(spec, out, workers=1, progress=False)
    run_sweep(spec, out, workers=2, resume=True, progress=False)
    pd.testing.assert_frame_equal(runs(clean), runs(out))
    pd.testing.assert_frame_equal(pd.read_parquet(clean / "timeseries.parquet"), pd.read_parquet(out / "timeseries.parquet"))
    meta = manifest(out)
    assert meta["status"] == "complete" and meta["runs_done"] == 80 and len(meta["resumed"]) == 1


MANY = HEADER.replace("replicates = 2", "replicates = 300").replace("steps = 12", "steps = 4") + """
[levers]
"funding.grant_months" = [6, 24]
[fixed]
"organizations.count" = 4
"""


@pytest.fixture(scope="module")
def many_clean(tmp_path_factory):
    directory = tmp_path_factory.mktemp("many")
    spec = spec_file(directory, MANY)
    return spec, runs(run_sweep(load_spec(spec), directory / "clean", workers=2, progress=False))


def _start_and_stop(spec: Path, out: Path, workers: int, sig: int) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sim", "sweep", str(spec), "--out", str(out), "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((out / "parts").glob("part-*.parquet")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_resume_after_ctrl_c_cli(tmp_path, capsys, many_clean, sig, status):
    spec, clean = many_clean
    out = tmp_path / "out"
    stopped = _start_and_stop(spec, out, workers=2, sig=sig)
    assert stopped.returncode == status, stopped.stderr
    assert "--resume" in stopped.stderr and "Traceback" not in stopped.stderr
    assert stopped.stderr.count("partnersim:") == 1
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    done = len(pd.concat([pd.read_parquet(p) for p in (out / "parts").glob("part-*.parquet")]))
    assert 0 < done < 600
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "2", "--resume"]) == 0
    assert FINAL_LINE.match(capsys.readouterr().out.strip()).group(1) == "600"
    pd.testing.assert_frame_equal(clean, runs(out))


def test_resume_after_kill(tmp_path, many_clean):
    spec, clean = many_clean
    out = tmp_path / "out"
    killed = _start_and_stop(spec, out, workers=1, sig=signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert manifest(out)["status"] == "running"
    run_sweep(load_spec(spec), out, workers=2, resume=True, progress=False)
    final = runs(out)
    assert final["run_id"].is_unique and len(final) == 600
    pd.testing.assert_frame_equal(clean, final)


def test_refuses_other_or_unfinished_sweep(tmp_path, capsys):
    first = spec_file(tmp_path, TINY, "first.toml")
    other = spec_file(tmp_path, TINY.replace("root_seed = 99", "root_seed = 7"), "other.toml")
    out = tmp_path / "out"
    assert main(["sweep", str(first), "--out", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["sweep", str(other), "--out", str(out), "--workers", "1", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "different sweep" in err and load_spec(first).hash[:12] in err and load_spec(other).hash[:12] in err
    assert main(["sweep", str(first), "--out", str(out), "--workers", "1"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    assert main(["sweep", str(first), "--out", str(junk), "--workers", "1"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in junk.iterdir()] == ["notes.txt"]


# --------------------------------------------------------------------------- memory

MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
from sim.experiments import load_spec, run_sweep
spec = load_spec(sys.argv[1], replicates=int(sys.argv[2]))
run_sweep(spec, Path(sys.argv[3]), workers=1, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_parent_memory_does_not_grow_with_runs(tmp_path):
    spec = spec_file(tmp_path, HEADER.replace("steps = 12", "steps = 1") + """
        [fixed]
        "organizations.count" = 3
        "partnership.min_members" = 2
    """)
    peaks = {}
    for n in (200, 1600):
        done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(spec), str(n), str(tmp_path / f"out{n}")], cwd=REPO_ROOT,
                              env=python_env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        peaks[n] = int(done.stdout.split()[-1]) / 1024  # MB (ru_maxrss is in kB on Linux)
        assert len(runs(tmp_path / f"out{n}")) == n
    assert peaks[1600] < 1.25 * peaks[200] + 20, peaks


# --------------------------------------------------------------------------- command line

def test_cli_sweep_example(tmp_path):
    out = tmp_path / "example"
    done = subprocess.run([sys.executable, "-m", "sim", "sweep", "example_small", "--out", str(out), "--workers", "2"],
                          cwd=REPO_ROOT, env=python_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    match = FINAL_LINE.match(done.stdout.strip())
    assert match, done.stdout
    total = manifest(out)["runs_total"]
    assert int(match.group(1)) == total and match.group(2) == "0" and match.group(3) == str(out)
    assert len(runs(out)) == total
    assert (out / "timeseries.parquet").is_file()


@pytest.mark.parametrize("study", sorted(p.name for p in STUDIES.glob("*.toml")))
def test_the_size_check_counts_the_points_the_design_builds(study):
    """The size check counts design points without building the design; it must count what is built."""
    from sim.experiments.design import build_design, planned_points

    spec = load_spec(STUDIES / study)
    for one in [scale for _, scale in spec.scales] if hasattr(spec, "scales") else [spec]:  # a two-scale study: each
        assert planned_points(one) == build_design(one).n_points


def test_a_list_design_may_repeat_a_value_but_not_a_point(tmp_path):
    body = ('[design]\nmethod = "list"\n[levers]\n"governance.mode" = ["shared", "shared", "lead_agency"]\n'
            '[uncertainties]\n"organizations.count" = [6, 12, 6]\n')
    spec = load_spec(spec_file(tmp_path, HEADER + body))
    assert [knob.values for knob in spec.knobs] == [("shared", "shared", "lead_agency"), (6, 12, 6)]
