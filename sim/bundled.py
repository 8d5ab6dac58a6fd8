"""The scenarios and study specs shipped inside the package (``sim/data/scenarios``, ``sim/data/studies``).

They are read through :mod:`importlib.resources`, so an installed copy finds them from any directory; a user's
own files are read by path (:mod:`sim.scenarios`, :mod:`sim.experiments.spec`).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

SCENARIOS = "scenarios"
STUDIES = "studies"
SUFFIX = ".toml"


def _folder(kind: str) -> Traversable:
    return resources.files("sim").joinpath("data", kind)


def names(kind: str) -> list[str]:
    """The shipped files of ``kind`` (:data:`SCENARIOS` or :data:`STUDIES`), by name, sorted."""
    folder = _folder(kind)
    if not folder.is_dir():
        return []
    return sorted(entry.name[: -len(SUFFIX)] for entry in folder.iterdir()
                  if entry.name.endswith(SUFFIX) and entry.is_file())


def find(kind: str, name: str) -> Traversable | None:
    """The shipped file of ``kind`` called ``name`` (without ``.toml``), or None."""
    entry = _folder(kind).joinpath(name + SUFFIX)
    return entry if name and "/" not in name and entry.is_file() else None
