"""An installable, citable package: metadata, licence, citation file, changelog, the files a wheel ships, and a
core install that needs only what it imports (the extras are named when missing)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
# The CFF 1.2 schema ships in cffconvert's wheel, which `make setup` downloads next to the environment.
CFF_WHEELS = Path(sys.prefix) / "cff-schema"
# What only an extra brings: the core must run with none of it.
EXTRA_ONLY = ("dask", "distributed", "solara", "ipyvuetify", "starlette", "uvicorn", "playwright", "pyabc")


def test_the_version_is_written_once_and_everything_else_reads_it():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sim.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", sim.__version__)
    from importlib import metadata

    assert metadata.version("partnersim") == sim.__version__


def test_the_metadata_says_who_what_and_under_which_licence():
    assert PROJECT["license"] == "Apache-2.0" and PROJECT["license-files"] == ["LICENSE"]
    assert PROJECT["authors"] == [{"name": "partnersim contributors"}]
    assert PROJECT["readme"] == "README.md"
    versions = {c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"] if c.startswith("Programming Language :: Python :: 3.")}
    assert versions == {"3.12", "3.13", "3.14"}
    assert "urls" not in PROJECT  # none invented
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639: the SPDX expression says it
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence


def test_the_extras_are_the_documented_ones_and_dev_brings_them_all():
    extras = PROJECT["optional-dependencies"]
    assert set(extras) == {"dask", "app", "calibrate", "test", "dev"}
    assert extras["dev"][0] == "partnersim[dask,app,test,calibrate]"
    core = " ".join(PROJECT["dependencies"])
    for name in ("dask", "solara", "ipyvuetify", "pillow", "mesa[viz]", "pyabc"):
        assert name not in core
    assert sum(dependency.startswith("mesa") for dependency in PROJECT["dependencies"]) == 1
    assert "numpy>=2" in PROJECT["dependencies"]


def _cff_schema() -> dict:
    wheels = sorted(CFF_WHEELS.glob("cffconvert-*.whl"))
    assert wheels, f"no cffconvert wheel in {CFF_WHEELS}: run `make setup`"
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return json.loads(wheel.read("cffconvert/schemas/1.2.0/schema.json"))


def test_citation_file_is_valid_cff_1_2_and_agrees_with_the_package():
    import jsonschema
    import yaml

    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    schema = _cff_schema()
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert [error.message for error in validator.iter_errors(citation)] == []
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == sim.__version__
    assert citation["license"] == PROJECT["license"]
    assert citation["authors"] == [{"name": "partnersim contributors"}]


def test_the_schema_check_would_catch_a_broken_citation():
    import jsonschema

    broken = {"cff-version": "1.2.0", "message": "cite", "title": "partnersim", "authors": [{"nme": "x"}],
              "license": "Apache 2"}
    assert list(jsonschema.Draft7Validator(_cff_schema()).iter_errors(broken))


def test_the_changelog_has_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{sim.__version__}]" in changelog and "## [Unreleased]" in changelog


# The shipped TOML files: each data package of the wheel is a top-level folder of the repository.
DATA_PACKAGES = {"sim.data.scenarios": "scenarios", "sim.data.studies": "experiments",
                 "sim.data.calibration": "calibration"}
EXAMPLES_PACKAGE = "sim.data.examples"  # examples/: data sets (CSV and TOML in folders), read by path (docs/DATA.md)


def test_the_shipped_files_stay_in_the_top_level_folders_and_ship_as_data_packages():
    """scenarios/, experiments/ and calibration/ are where users read and edit the shipped files (the layout is
    fixed); the wheel maps its data packages onto them, so there are no copies to keep in step."""
    tool = PYPROJECT["tool"]["setuptools"]
    assert tool["package-dir"] == {**DATA_PACKAGES, EXAMPLES_PACKAGE: "examples"}
    assert EXAMPLES_PACKAGE in tool["packages"] and tool["package-data"][EXAMPLES_PACKAGE] == ["*/*.toml", "*/*.csv"]
    for package, folder in DATA_PACKAGES.items():
        assert package in tool["packages"] and tool["package-data"][package] == ["*.toml"]
        assert sorted((ROOT / folder).glob("*.toml")), folder
    assert not (ROOT / "sim" / "data").exists()
    assert {path.stem for path in (ROOT / "scenarios").glob("*.toml")} == set(sim.scenario_names())
    from sim.experiments.spec import study_names

    assert {path.stem for path in (ROOT / "experiments").glob("*.toml")} == set(study_names())
    assert (ROOT / "sim" / "py.typed").is_file()


def test_every_package_under_sim_is_in_the_wheel():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"]) - set(DATA_PACKAGES) - {EXAMPLES_PACKAGE}
    found = {path.parent.relative_to(ROOT).as_posix().replace("/", ".") for path in (ROOT / "sim").rglob("__init__.py")}
    assert listed == found


def test_a_checkout_reads_its_own_folders_and_an_install_its_data_packages(tmp_path):
    from sim import bundled

    assert bundled.from_checkout()
    assert bundled.folder(bundled.SCENARIOS) == ROOT / "scenarios"
    assert bundled.folder(bundled.STUDIES) == ROOT / "experiments"
    assert bundled.names(bundled.CALIBRATION) == sorted(p.stem for p in (ROOT / "calibration").glob("*.toml"))
    assert bundled.find(bundled.SCENARIOS, "../pyproject") is None and bundled.find(bundled.SCENARIOS, "") is None


INSTALLED = """
import sys
from pathlib import Path
import sim
from sim import bundled
from sim.cli import main
from sim.experiments.spec import study_names
assert Path(sim.__file__).is_relative_to(Path(sys.argv[1])), sim.__file__  # the installed copy, not the checkout
assert not bundled.from_checkout()
print(len(sim.scenario_names()), len(study_names()), len(bundled.names(bundled.CALIBRATION)))
assert main(["run", "baseline", "--steps", "12", "--out", "run"]) == 0
assert main(["validate", "ctc_like"]) == 0
from sim.calibration.spec import load_calibration
load_calibration("coalitions")
# The examples by the paths the docs give, though this directory has none: the installed copy's.
assert not Path("examples").exists() and bundled.example("examples/coalition") is not None
assert main(["validate", "examples/coalition/coalition.toml"]) == 0
assert main(["run", "examples/coalition/coalition.toml", "--steps", "6", "--out", "coalition"]) == 0
"""


def test_the_wheel_ships_the_data_licence_and_typing_marker_and_runs_from_anywhere(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = tmp_path.glob("partnersim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package, folder in DATA_PACKAGES.items():
        shipped = {name for name in names if name.startswith(package.replace(".", "/") + "/")}
        assert shipped == {f"{package.replace('.', '/')}/{path.name}" for path in (ROOT / folder).glob("*.toml")}
    assert "sim/py.typed" in names and "sim/classroom/page_language.vue" in names
    examples = {path.relative_to(ROOT / "examples").as_posix() for path in (ROOT / "examples").glob("*/*")
                if path.suffix in (".toml", ".csv")}
    assert {name for name in names if name.startswith("sim/data/examples/")} == {
        f"sim/data/examples/{name}" for name in examples}
    assert not any(name.endswith(".md") for name in names)  # experiments/README.md and STUDIES.md stay in the repo
    info = f"partnersim-{sim.__version__}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata and "Author: partnersim contributors" in metadata
    assert "Provides-Extra: app" in metadata and "Provides-Extra: dask" in metadata
    # Installed (its dependencies are this environment's) and run from another directory. .ci/run does the same
    # in a fresh virtual environment with only the core's dependencies.
    target, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run([sys.executable, "-c", INSTALLED, str(target)], capture_output=True, text=True,
                          cwd=elsewhere, env={**os.environ, "PYTHONPATH": str(target)}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    counts = [len(list((ROOT / folder).glob("*.toml"))) for folder in DATA_PACKAGES.values()]
    assert done.stdout.splitlines()[0] == " ".join(map(str, counts))
    assert (elsewhere / "run" / "summary.json").is_file()
    assert (elsewhere / "coalition" / "start_organizations.csv").is_file()


CORE_ONLY = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # as if the extra were not installed: importing it fails
from pathlib import Path
import sim
from sim.cli import main
out = Path(sys.argv[1])
assert main(["run", "baseline", "--steps", "12", "--out", str(out / "run")]) == 0
assert main(["sweep", "example_small", "--steps", "6", "--replicates", "1", "--workers", "1", "--out", str(out / "sweep")]) == 0
assert main(["report", str(out / "sweep")]) == 0
assert main(["params", "funding"]) == 0
assert main(["app"]) == 2
assert main(["sweep", "example_small", "--backend", "dask", "--out", str(out / "dask")]) == 2
print("core ok")
"""


def test_the_core_runs_without_any_extra_and_names_the_extra_a_part_needs(tmp_path):
    script = CORE_ONLY.format(blocked=EXTRA_ONLY)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("core ok")
    errors = [line for line in done.stderr.splitlines() if line.startswith("partnersim: error:")]
    assert errors == [
        "partnersim: error: partnersim app needs the 'app' extra (solara is not installed): pip install 'partnersim[app]'",
        "partnersim: error: partnersim sweep --backend dask needs the 'dask' extra (dask is not installed): "
        "pip install 'partnersim[dask]'",
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "dask").exists()  # refused before anything was written


def test_importing_sim_imports_no_extra():
    script = textwrap.dedent(f"""
        import sys, sim, sim.cli, sim.experiments, sim.output
        print(sorted(name for name in {EXTRA_ONLY!r} if name in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


def test_every_module_is_reachable_from_import_sim():
    modules = sorted(path.stem for path in (ROOT / "sim").glob("*.py") if not path.stem.startswith("_"))
    packages = sorted(path.parent.name for path in (ROOT / "sim").glob("*/__init__.py"))
    for name in modules + packages:
        if name not in sim.__all__:  # sim.run is the function (its module: sys.modules["sim.run"])
            assert getattr(sim, name).__name__ == f"sim.{name}"
    with pytest.raises(AttributeError, match="has no attribute 'no_such_module'"):
        sim.no_such_module  # noqa: B018
