"""The scenarios, study specs and calibration specs that ship with partnersim.

In the repository they are the top-level folders users read and edit: ``scenarios/``, ``experiments/`` (its
``*.toml``) and ``calibration/``. A wheel ships the same files, not copies kept in git, as the data packages
``sim.data.scenarios``, ``sim.data.studies`` and ``sim.data.calibration``: pyproject.toml maps those packages
onto the folders (``[tool.setuptools.package-dir]``). An installed copy reads them through
:mod:`importlib.resources`, so it finds them from any directory. Imported from a checkout (an editable install,
or the source tree on the path), the checkout's own folders are read: several checkouts may share one
environment, and each reads its own files. A user's own files are read by path (:mod:`sim.scenarios`,
:mod:`sim.experiments.spec`, :mod:`sim.calibration.spec`).

The example data sets (``examples/``: a coalition and a region to start from, docs/DATA.md) ship the same way, as
``sim.data.examples``; the paths the docs give (``examples/coalition/coalition.toml``) are read from the
installed copy when the working directory has no such file (:func:`example`).
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

SCENARIOS = "scenarios"
STUDIES = "studies"
CALIBRATION = "calibration"
# Each kind's folder at the top of the repository; its data package is sim.data.<kind>.
FOLDERS = {SCENARIOS: "scenarios", STUDIES: "experiments", CALIBRATION: "calibration"}
EXAMPLES = "examples"  # the example data sets: sim.data.examples, the folder examples/ (read by path only)
SUFFIX = ".toml"
CHECKOUT = Path(__file__).resolve().parent.parent  # the repository, when sim is imported from one


@functools.cache
def from_checkout() -> bool:
    """True when ``sim`` is imported from a partnersim source tree (its pyproject.toml beside the package)."""
    try:
        text = (CHECKOUT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
    return 'name = "partnersim"' in text


def folder(kind: str) -> Traversable | None:
    """Where the shipped files of ``kind`` are (:data:`SCENARIOS`, :data:`STUDIES` or :data:`CALIBRATION`);
    None if this copy has none."""
    if from_checkout():
        return CHECKOUT / FOLDERS[kind]
    try:
        return resources.files(f"sim.data.{kind}")
    except ModuleNotFoundError:
        return None


def names(kind: str) -> list[str]:
    """The shipped files of ``kind``, by name (without ``.toml``), sorted."""
    place = folder(kind)
    if place is None or not place.is_dir():
        return []
    return sorted(entry.name[: -len(SUFFIX)] for entry in place.iterdir()
                  if entry.name.endswith(SUFFIX) and entry.is_file())


def find(kind: str, name: str) -> Traversable | None:
    """The shipped file of ``kind`` called ``name`` (without ``.toml``), or None."""
    place = folder(kind)
    if place is None or not name or "/" in name or "\\" in name:
        return None
    entry = place.joinpath(name + SUFFIX)
    return entry if entry.is_file() else None


def example(path: str | Path) -> Path | None:
    """The shipped copy of ``examples/...`` (a file or a folder) when ``path`` names one that is not here; else
    None. An installed copy's files are on disk, so the result is a path (a scenario's ``[data]`` is beside it)."""
    path = Path(path)
    if path.exists() or path.is_absolute() or len(path.parts) < 2 or path.parts[0] != EXAMPLES or ".." in path.parts:
        return None
    # Installed, sim.data.examples is the folder data/examples beside this module (it has no __init__.py).
    place = CHECKOUT / EXAMPLES if from_checkout() else Path(__file__).resolve().parent / "data" / EXAMPLES
    shipped = place.joinpath(*path.parts[1:])
    return shipped if shipped.exists() else None
