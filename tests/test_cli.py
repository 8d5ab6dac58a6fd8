"""The partnersim command line: run, scenarios, validate, --version, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

import sim
from sim.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent
STEPS = "24"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FILES = ("timeseries.csv", "organizations.csv", "summary.json", "figures/levels.png", "figures/trust.png",
         "figures/phases.png")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)


def assert_one_line_error(stderr: str, *fragments: str) -> str:
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("partnersim: error: "), stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)
    return stderr


def scenario_file(tmp_path: Path, body: str, name: str = "custom.toml") -> Path:
    path = tmp_path / name
    path.write_text('description = "A test scenario."\n' + body, encoding="utf-8")
    return path


def tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- end to end (subprocess)

def test_version_subprocess():
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"partnersim {sim.__version__}"


def test_run_subprocess_matches_in_process(tmp_path, capsys):
    """A run in a fresh interpreter writes the same bytes (PNGs included) as one in this process."""
    done = cli("run", "baseline", "--seed", "4", "--steps", STEPS, "--out", str(tmp_path / "sub"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "scenario baseline, seed 4" in done.stdout
    assert main(["run", "baseline", "--seed", "4", "--steps", STEPS, "--out", str(tmp_path / "in")]) == 0
    capsys.readouterr()
    assert set(tree(tmp_path / "sub")) == set(FILES)
    assert tree(tmp_path / "sub") == tree(tmp_path / "in")


@pytest.mark.parametrize("args, fragments", [
    (["run", "no_such_scenario"], ["no_such_scenario", "no such scenario"]),
    (["run", "baseline", "--seed", "-1"], ["seed", "out of range"]),
    (["run", "baseline", "--seed", "x"], ["--seed", "invalid int value"]),
    (["run", "baseline", "--bogus"], ["--bogus"]),
    (["run", "baseline", "--set", "funding.nope=1"], ["--set", "funding.nope", "unknown key"]),
    (["frobnicate"], ["frobnicate"]),
    ([], ["required"]),
])
def test_errors_subprocess(tmp_path, args, fragments):
    out = tmp_path / "out"
    extra = ["--out", str(out)] if args[:1] == ["run"] else []
    done = cli(*args, *extra)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, *fragments)
    assert done.stdout == ""
    assert not out.exists()


def test_validate_bad_file_subprocess(tmp_path):
    path = scenario_file(tmp_path, "[organizations]\ninitial_trust = 1.5\n")
    done = cli("validate", str(path))
    assert done.returncode == 2
    assert_one_line_error(done.stderr, str(path), "organizations.initial_trust")


# --------------------------------------------------------------------------- run (in process)

def test_run_writes_everything(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "baseline", "--seed", "2", "--steps", STEPS, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "scenario baseline, seed 2" in captured.out
    assert "scale" in captured.out
    for name in FILES:
        assert str(out / name) in captured.out
        assert (out / name).is_file()

    header = (out / "timeseries.csv").read_text().splitlines()[0].split(",")
    for column in ("step", "mean_trust", "n_networking", "n_coordinating", "n_cooperating", "n_collaborating",
                   "mean_capacity", "shared_turf", "phase", "community_outcome", "community_power_share",
                   "active_members", "funding"):
        assert column in header
    assert len((out / "timeseries.csv").read_text().splitlines()) == 1 + int(STEPS) + 1  # header + steps + 1

    summary = json.loads((out / "summary.json").read_text())
    assert {"scenario", "seed", "params", "reached_scale", "scale_step", "collapsed", "collapse_step",
            "collapse_cause", "sustained_after_funding", "final_mean_trust", "final_community_outcome",
            "community_power_share", "max_level"} <= set(summary)
    assert summary["scenario"] == "baseline"
    assert summary["seed"] == 2
    assert summary["params"]["steps"] == int(STEPS)

    for name in ("levels.png", "trust.png", "phases.png"):
        assert (out / "figures" / name).read_bytes()[:8] == PNG_SIGNATURE


def test_run_twice_is_byte_identical(tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["run", "baseline", "--seed", "9", "--steps", STEPS, "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    assert set(tree(tmp_path / "a")) == set(FILES)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_rerun_into_same_directory(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "baseline", "--seed", "9", "--steps", STEPS, "--out", str(out)]) == 0
    first = tree(out)
    assert main(["run", "baseline", "--seed", "9", "--steps", STEPS, "--out", str(out)]) == 0
    capsys.readouterr()
    assert tree(out) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_different_seeds_differ(tmp_path, capsys):
    assert main(["run", "baseline", "--seed", "1", "--steps", STEPS, "--out", str(tmp_path / "a")]) == 0
    assert main(["run", "baseline", "--seed", "2", "--steps", STEPS, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert (tmp_path / "a" / "timeseries.csv").read_bytes() != (tmp_path / "b" / "timeseries.csv").read_bytes()


def test_set_takes_effect(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "baseline", "--steps", STEPS, "--set", "funding.grant_months=24",
                 "--set", "organizations.count=8", "--out", str(out)]) == 0
    capsys.readouterr()
    params = json.loads((out / "summary.json").read_text())["params"]
    assert params["funding"]["grant_months"] == 24
    assert params["organizations"]["count"] == 8


def test_seed_flag_and_steps_flag_take_effect(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "baseline", "--seed", "11", "--steps", "12", "--out", str(out)]) == 0
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 11
    assert summary["params"]["steps"] == 12
    assert len((out / "timeseries.csv").read_text().splitlines()) == 1 + 12 + 1


def test_run_from_file_and_default_out(tmp_path, monkeypatch, capsys):
    path = scenario_file(tmp_path, "steps = 10\nseed = 3\n[organizations]\ncount = 6\n[partnership]\nmin_members = 2\n",
                         name="mine.toml")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", str(path)]) == 0
    capsys.readouterr()
    out = work / "results" / "mine"
    assert set(tree(out)) == set(FILES)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "mine"
    assert summary["params"]["organizations"]["count"] == 6


# --------------------------------------------------------------------------- scenarios, validate, version

def test_scenarios_lists_every_file(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    files = sorted((REPO_ROOT / "scenarios").glob("*.toml"))
    assert files, "no scenario files found"
    assert [line.split()[0] for line in lines] == [p.stem for p in files]
    starts = {line.index(line.split(None, 1)[1]) for line in lines}
    assert len(starts) == 1  # descriptions start in one aligned column
    for line, path in zip(lines, files):
        description = tomllib.loads(path.read_text(encoding="utf-8"))["description"]
        assert " ".join(description.split()) in line


def test_validate_ok(tmp_path, capsys):
    path = scenario_file(tmp_path, "steps = 30\n[organizations]\ncount = 5\n[partnership]\nmin_members = 2\n")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: ok (5 organizations, 30 months)"


def test_validate_every_shipped_scenario(capsys):
    for path in sorted((REPO_ROOT / "scenarios").glob("*.toml")):
        assert main(["validate", str(path)]) == 0
        assert capsys.readouterr().out.startswith(f"{path}: ok (")


def test_version_in_process(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"partnersim {sim.__version__}"


# --------------------------------------------------------------------------- invalid input: exit 2, one line, nothing written

BAD_FILES = {
    "malformed_toml": ("[organizations\ncount = 3\n", ["malformed TOML"]),
    "unknown_top_level_key": ("colour = 'blue'\n", ["colour", "unknown key"]),
    "unknown_nested_key": ("[funding]\ngrant_monthz = 12\n", ["funding.grant_monthz", "unknown key"]),
    "string_for_integer": ("[organizations]\ncount = \"twelve\"\n", ["organizations.count", "integer"]),
    "bool_for_number": ("[organizations]\ninitial_trust = true\n", ["organizations.initial_trust", "number"]),
    "out_of_range": ("[organizations]\ninitial_trust = 1.5\n", ["organizations.initial_trust", "out of range"]),
    "unknown_governance_mode": ("[governance]\nmode = \"dictatorship\"\n", ["governance.mode", "dictatorship"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_file(tmp_path, capsys, case):
    body, fragments = BAD_FILES[case]
    path = scenario_file(tmp_path, body)
    out = tmp_path / "out"
    assert main(["run", str(path), "--steps", STEPS, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, str(path), *fragments)
    assert not out.exists()
    # validate reports the same line.
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == captured.err


def test_missing_description(tmp_path, capsys):
    path = tmp_path / "bare.toml"
    path.write_text("steps = 12\n")
    assert main(["validate", str(path)]) == 2
    assert_one_line_error(capsys.readouterr().err, str(path), "description")


BAD_ARGS = {
    "missing_scenario_name": (["run", "no_such_scenario"], ["no_such_scenario", "no such scenario", "baseline"]),
    "missing_file_path": (["run", "does/not/exist.toml"], ["does/not/exist.toml", "no such scenario file"]),
    "no_scenario_argument": (["run"], ["SCENARIO"]),
    "set_without_equals": (["run", "baseline", "--set", "funding.grant_months"], ["--set", "funding.grant_months", "KEY=VALUE"]),
    "set_empty_value": (["run", "baseline", "--set", "funding.grant_months="], ["--set", "malformed"]),
    "set_unknown_key": (["run", "baseline", "--set", "funding.nope=3"], ["--set", "funding.nope", "unknown key"]),
    "set_unknown_section": (["run", "baseline", "--set", "nope.grant_months=3"], ["--set", "nope", "unknown key"]),
    "set_wrong_type": (["run", "baseline", "--set", "funding.grant_months=soon"], ["--set", "funding.grant_months", "integer"]),
    "set_bool_for_number": (["run", "baseline", "--set", "organizations.initial_trust=true"],
                            ["--set", "organizations.initial_trust", "number"]),
    "set_out_of_range": (["run", "baseline", "--set", "organizations.initial_trust=1.5"],
                         ["--set", "organizations.initial_trust", "out of range"]),
    "set_bad_mode": (["run", "baseline", "--set", "governance.mode=dictatorship"], ["--set", "governance.mode"]),
    "set_section_as_value": (["run", "baseline", "--set", "funding=3"], ["--set", "funding", "section"]),
    "negative_seed": (["run", "baseline", "--seed", "-1"], ["seed", "-1", "out of range"]),
    "zero_steps": (["run", "baseline", "--steps", "0"], ["steps", "0", "out of range"]),
    "too_many_steps": (["run", "baseline", "--steps", "100000"], ["steps", "out of range"]),
    "non_integer_seed": (["run", "baseline", "--seed", "1.5"], ["--seed", "1.5"]),
    "non_integer_steps": (["run", "baseline", "--steps", "ten"], ["--steps", "ten"]),
    "unknown_flag": (["run", "baseline", "--colour", "red"], ["--colour"]),
    "unknown_command": (["frobnicate"], ["frobnicate"]),
    "no_command": ([], ["required"]),
    "validate_missing_file": (["validate", "missing.toml"], ["missing.toml", "no such scenario file"]),
    "validate_no_argument": (["validate"], ["FILE"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGS))
def test_bad_arguments(tmp_path, capsys, monkeypatch, case):
    args, fragments = BAD_ARGS[case]
    monkeypatch.chdir(tmp_path)  # a default --out (results/...) would land here
    out = tmp_path / "out"
    extra = ["--out", str(out)] if args[:1] == ["run"] else []
    assert main([*args, *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, *fragments)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_seed_error_names_the_flag(capsys, tmp_path):
    assert main(["run", "baseline", "--seed", "-5", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith("partnersim: error: --seed: ")


def test_file_error_is_blamed_on_file_not_override(tmp_path, capsys):
    path = scenario_file(tmp_path, "[organizations]\ninitial_trust = 1.5\n")
    assert main(["run", str(path), "--set", "funding.grant_months=24", "--out", str(tmp_path / "out")]) == 2
    assert_one_line_error(capsys.readouterr().err, f"{path}: organizations.initial_trust")
    assert not (tmp_path / "out").exists()


def test_out_under_a_file(tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory\n")
    out = blocker / "sub" / "out"
    assert main(["run", "baseline", "--steps", STEPS, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, str(out))
    assert blocker.read_text() == "not a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_out_is_a_file(tmp_path, capsys):
    target = tmp_path / "target"
    target.write_text("x\n")
    assert main(["run", "baseline", "--steps", STEPS, "--out", str(target)]) == 2
    assert_one_line_error(capsys.readouterr().err, str(target))
    assert target.read_text() == "x\n"


def test_unexpected_errors_propagate(monkeypatch, tmp_path):
    """Bugs are not turned into tidy one-line errors."""
    import sim.cli

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(sim.cli.sim, "run", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["run", "baseline", "--steps", STEPS, "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_non_utf8_scenario_file(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'description = "caf\xe9"\n')
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert_one_line_error(capsys.readouterr().err, str(path))
    assert not out.exists()


# --------------------------------------------------------------------------- safe destinations (issue 10)

DESTINATION_COMMANDS = {
    "run": ["run", "baseline", "--steps", "3"],
    "sweep": ["sweep", "example_small"],
    "report": ["report", "results/no-such-study"],  # the destination is checked before the results are read
    "lesson": ["lesson", "betterment-vs-empowerment", "--steps", "3"],
}


@pytest.mark.parametrize("command", sorted(DESTINATION_COMMANDS))
@pytest.mark.parametrize("out, fragments", [
    ("/", ["root folder"]),
    ("", ["--out", "empty path"]),
    ("HOME", ["home folder itself"]),
    ("FILE", ["not a directory"]),
], ids=["root", "empty", "home", "a file"])
def test_risky_destinations_are_refused(tmp_path, capsys, monkeypatch, command, out, fragments):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(REPO_ROOT)
    blocker = tmp_path / "file"
    blocker.write_text("mine\n")
    target = {"HOME": str(home), "FILE": str(blocker)}.get(out, out)
    root_before = sorted(p.name for p in Path("/").iterdir())
    assert main([*DESTINATION_COMMANDS[command], "--out", target]) == 2
    assert_one_line_error(capsys.readouterr().err, *fragments)
    assert sorted(p.name for p in Path("/").iterdir()) == root_before
    assert not [p for p in home.iterdir() if not p.name.startswith(".")]  # (libraries may cache under ~/.cache)
    assert blocker.read_text() == "mine\n"


def test_out_root_for_run_names_the_folder(tmp_path, capsys):
    assert main(["run", "baseline", "--steps", "3", "--out", "/tmp/.."]) == 2
    assert_one_line_error(capsys.readouterr().err, "/tmp/..", "root folder")


@pytest.mark.parametrize("host, fragment", [("", "is not an IP address"), ("example.org", "is not an IP address"),
                                            ("127.0.0.1; rm -rf /", "is not an IP address")])
def test_app_host_must_be_an_address(capsys, host, fragment):
    assert main(["app", "--host", host]) == 2
    assert_one_line_error(capsys.readouterr().err, "--host", fragment)


# --------------------------------------------------------------------------- TOML bounds (issue 10)

@pytest.mark.parametrize("body, fragments", [
    ("deep = " + "[" * 400 + "]" * 400 + "\n", ["nested more than 32 levels"]),
    ("[organizations]\ncount = " + "9" * 5000 + "\n", ["too long to read"]),
    ("[organizations]\ncount = " + "9" * 400 + "\n", ["organizations.count", "does not fit in 64 bits"]),
])
def test_toml_bounds_are_one_line(tmp_path, capsys, body, fragments):
    path = scenario_file(tmp_path, body)
    assert main(["validate", str(path)]) == 2
    assert_one_line_error(capsys.readouterr().err, str(path), *fragments)


def test_set_with_a_huge_number_is_one_line(tmp_path, capsys):
    assert main(["run", "baseline", "--set", "organizations.count=" + "9" * 5000, "--out", str(tmp_path / "out")]) == 2
    assert_one_line_error(capsys.readouterr().err, "--set", "organizations.count", "too long to read")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- interrupts and stale folders (issue 10)

TRACED_RUN = """
import sys
from pathlib import Path
import sim
real = sim.run
def traced(*args, **kwargs):
    Path(sys.argv[1]).touch()  # the model is about to run
    return real(*args, **kwargs)
sim.run = traced
from sim.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def _importing_the_model(pid: int) -> bool:
    """Whether the process has got as far as importing the model's libraries (numpy is among the first)."""
    try:
        return "_multiarray_umath" in (Path("/proc") / str(pid) / "maps").read_text()
    except OSError:
        return False


def _interrupted_run(tmp_path: Path, moment: str) -> subprocess.CompletedProcess:
    """``partnersim run`` given SIGINT while it imports the model (once numpy is loaded; Python's own start-up,
    before that, cannot be helped), or once the model runs (a wrapper marks the call to sim.run)."""
    flag, out = tmp_path / "running", tmp_path / "out"
    argv = ["run", "baseline", "--steps", "6000", "--set", "organizations.count=50", "--out", str(out)]
    command = [sys.executable, "-m", "sim", *argv] if moment == "starting" else \
        [sys.executable, "-c", TRACED_RUN, str(flag), *argv]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = (lambda: _importing_the_model(process.pid)) if moment == "starting" else flag.exists
    deadline = time.monotonic() + 120
    while not ready():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.002)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    flag.unlink(missing_ok=True)
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="needs /proc to see how far the process got")
@pytest.mark.parametrize("moment", ["starting", "running"])
def test_ctrl_c_in_run_is_one_line_and_leaves_nothing(tmp_path, moment):
    done = _interrupted_run(tmp_path, moment)
    assert done.returncode == 130, done.stderr
    assert done.stderr.startswith("partnersim: stopped by SIGINT") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no output, no hidden staging folder


def test_stale_staging_folders_of_killed_runs_are_removed(tmp_path, capsys):
    out = tmp_path / "out"
    dead = tmp_path / ".out.99999999.abcd.tmp"  # no such process: a run killed while writing
    older = tmp_path / ".out.x1y2z3.tmp"  # written before staging folders carried a process id
    alive = tmp_path / f".out.{os.getppid()}.efgh.tmp"  # a run still writing
    for folder in (dead, older, alive):
        folder.mkdir()
        (folder / "summary.json").write_text("{}")
    assert main(["run", "baseline", "--steps", "3", "--out", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, "out"])
