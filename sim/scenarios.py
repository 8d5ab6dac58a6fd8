"""Finding and loading scenario files, and applying ``--set`` overrides.

A scenario is a TOML file shipped with the package (``scenarios/`` at the top of the repository, read
through :mod:`sim.bundled`) or any path, whose keys mirror :class:`sim.params.Params`. It must carry a
``description``; a ``[data]`` table names the data it starts from (docs/DATA.md), read by :mod:`sim.inputdata`.
Overrides are dotted keys (``funding.grant_months``) applied on top of the file before validation; the file is
validated first on its own so that an error is blamed on the right source.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sim import bundled
from sim.inputdata import codebook
from sim.inputdata.codebook import DataSpec
from sim.inputdata.load import data_parameters, load, size_keys
from sim.errors import ScenarioError, raise_all
from sim.params import Params, from_dict, to_dict, type_hints
from sim.suggest import did_you_mean

OVERRIDE_SOURCE = "--set"


def scenario_path(name_or_path: str | Path) -> Path | Traversable:
    """The file for a shipped scenario's name (``baseline``) or a path (``my.toml``)."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        candidate = bundled.example(candidate) or candidate  # examples/... from an installed copy
        if not candidate.is_file():
            raise ScenarioError(text, "", "no such scenario file", "a TOML file path or one of: " + ", ".join(scenario_names()))
        return candidate
    named = bundled.find(bundled.SCENARIOS, text)
    if named is None:
        raise ScenarioError(text, "", "no such scenario", ", ".join(scenario_names()) or "a TOML file path")
    return named


def scenario_names() -> list[str]:
    """The names of the scenarios shipped with the package."""
    return bundled.names(bundled.SCENARIOS)


def read_toml(path: str | Path | Traversable) -> dict:
    """A TOML file (a path, or a file shipped in the package) within the bounds of :func:`parse_toml`."""
    try:
        text = (path if isinstance(path, Traversable) else Path(path)).read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(str(path), "", f"malformed TOML ({error})", "UTF-8 text in TOML syntax") from None
    except OSError as error:
        raise ScenarioError(str(path), "", f"cannot read ({error.strerror})", "a readable TOML file") from None
    try:
        return copy.deepcopy(_parsed(text))
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(str(path), "", f"malformed TOML ({error})", "UTF-8 text in TOML syntax") from None
    except TomlTooLarge as error:
        raise ScenarioError(str(path), error.key, error.problem, error.allowed) from None


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> dict:
    """:func:`parse_toml` of a file's text, kept: a run reads its scenario twice and a sweep thousands of times,
    and parsing is most of reading. Keyed by the text, so an edited file is parsed again; callers get a copy."""
    return parse_toml(text)


# Bounds on what a TOML file may hold: the parser recurses once per level of nesting and Python reads
# integers of any length, so without them a hostile or mistyped file ends in a RecursionError, a
# ValueError from int() or an OverflowError far from where it was read.
MAX_TOML_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class TomlTooLarge(ValueError):
    """A TOML document beyond :data:`MAX_TOML_DEPTH` levels, or with an integer outside 64 bits."""

    def __init__(self, key: str, problem: str, allowed: str):
        self.key, self.problem, self.allowed = key, problem, allowed
        super().__init__(f"{key}: {problem}" if key else problem)

    def __reduce__(self):
        return type(self), (self.key, self.problem, self.allowed)


def parse_toml(text: str) -> dict:
    """``tomllib.loads`` within bounds: raises ``TOMLDecodeError`` for bad syntax, :class:`TomlTooLarge` for a
    document nested too deeply or holding an integer that does not fit in 64 bits (as the TOML spec says)."""
    depth_note = f"nested more than {MAX_TOML_DEPTH} levels deep"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise
    except RecursionError:
        raise TomlTooLarge("", depth_note, f"tables and arrays nested at most {MAX_TOML_DEPTH} levels") from None
    except ValueError as error:  # int() refuses integers of thousands of digits
        raise TomlTooLarge("", f"a number too long to read ({str(error).split(':')[0]})",
                           f"integers from {INT64_MIN} to {INT64_MAX}") from None
    _check_toml_bounds(data)
    return data


def _check_toml_bounds(data: dict) -> None:
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        key, value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_TOML_DEPTH:
                raise TomlTooLarge(key, f"nested more than {MAX_TOML_DEPTH} levels deep",
                                   f"tables and arrays nested at most {MAX_TOML_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((f"{key}.{name}" if key else str(name), item, depth + 1) for name, item in items)
        elif isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
            raise TomlTooLarge(key, f"integer {_digits(value)} does not fit in 64 bits", f"integers from {INT64_MIN} to {INT64_MAX}")


def _digits(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:12]}...({len(text)} digits)"


def parse_set(assignment: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` from the command line; VALUE is read as a TOML value, else as a bare string."""
    key, sep, raw = assignment.partition("=")
    key = key.strip()
    raw = raw.strip()
    if not sep or not key or not raw or any(not part for part in key.split(".")) or "\n" in raw or "\r" in raw:
        raise ScenarioError(OVERRIDE_SOURCE, assignment, "malformed override", "KEY=VALUE, e.g. funding.grant_months=24")
    try:
        value = parse_toml(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw
    except TomlTooLarge as error:
        raise ScenarioError(OVERRIDE_SOURCE, key, error.problem, error.allowed) from None
    return key, value


def _check_override_key(key: str) -> None:
    cls = Params
    parts = key.split(".")
    for depth, part in enumerate(parts):
        names = {f.name: f for f in dataclasses.fields(cls)}
        if part not in names:
            prefix = ".".join(parts[:depth])
            choices = ", ".join(sorted(f"{prefix}.{n}" if prefix else n for n in names))
            raise ScenarioError(OVERRIDE_SOURCE, key, "unknown key" + did_you_mean(part, cls, prefix, Params), choices)
        tp = type_hints(cls)[part]
        last = depth == len(parts) - 1
        if dataclasses.is_dataclass(tp):
            if last:
                raise ScenarioError(OVERRIDE_SOURCE, key, "is a section, not a value", "a key inside it, e.g. " + f"{key}.{dataclasses.fields(tp)[0].name}")
            cls = tp
        elif not last:
            raise ScenarioError(OVERRIDE_SOURCE, key, f"{'.'.join(parts[:depth + 1])} is a value, not a section", "a parameter key")


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    errors = []
    for key in overrides:
        try:
            _check_override_key(key)
        except ScenarioError as error:
            errors.append(error)
    raise_all(errors)
    # A copy of each table on an override's path, so that ``data`` is left as it was (the values themselves are
    # never changed in place, so the tables off the path are shared rather than copied deeply).
    merged = dict(data)
    for key, value in overrides.items():
        *sections, name = key.split(".")
        table = merged
        for section in sections:
            inner = table.get(section)
            table[section] = dict(inner) if isinstance(inner, dict) else {}
            table = table[section]
        table[name] = value
        # The later of a preset and an explicit share wins.
        if key == "governance.community_decision_share":
            table.pop("power_sharing", None)
        elif key == "governance.power_sharing" and value != "custom":
            table.pop("community_decision_share", None)
    return merged


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None,
                  data: str | Path | DataSpec | None = None) -> Params:
    """The validated parameters of a scenario, with optional dotted-key overrides.

    A scenario that starts from data (its ``[data]`` table, or ``data``: a data folder, as ``--data`` gives it)
    takes the parameters the data set (:func:`sim.inputdata.load.data_parameters`: its size, and what its factor
    scores map onto) in place of the file's; overrides still win, except on the size, which only the data set.
    """
    path = scenario_path(name_or_path)
    raw = read_toml(path)
    settings = {key: value for key, value in raw.items() if key != DATA_SECTION}
    errors = []
    if not isinstance(raw.get("description"), str) or not raw["description"].strip():
        errors.append(ScenarioError(str(path), "description", "missing or empty",
                                    "a non-empty string saying what the scenario represents"))
    try:
        params = from_dict(settings, source=str(path))
    except ScenarioError as error:
        errors.extend(e for e in getattr(error, "errors", [error]) if e.key not in {m.key for m in errors})
    raise_all(errors)
    spec = _data_spec(raw, path, data)
    if spec is not None:
        starting = load(spec)
        settings = apply_overrides(settings, data_parameters(starting, params))
        params = from_dict(settings, source=str(path))
        for size in size_keys(params, starting):
            if overrides and size in overrides:
                raise ScenarioError(OVERRIDE_SOURCE, size, f"set by the data's roster ({spec.organizations})",
                                    "no override: the roster's organizations are the run's")
    if overrides:
        params = from_dict(apply_overrides(settings, dict(overrides)), source=OVERRIDE_SOURCE)
    return params


# --------------------------------------------------------------------------- the data a scenario starts from

DATA_SECTION = "data"
DATA_FOLDER_KEY = "folder"


def scenario_data(name_or_path: str | Path, data: str | Path | DataSpec | None = None) -> DataSpec | None:
    """What a scenario starts from: the data folder ``data`` (``--data``), else the file's ``[data]`` table
    (paths relative to the file); None for a drawn start."""
    path = scenario_path(name_or_path)
    return _data_spec(read_toml(path), path, data)


def _data_spec(raw: dict, path: Path | Traversable, data: str | Path | DataSpec | None) -> DataSpec | None:
    path = Path(str(path))  # a shipped scenario is read through importlib.resources; its [data] would be beside it
    if isinstance(data, DataSpec):
        return data
    if data is not None:
        return data_folder(data, "--data")
    table = raw.get(DATA_SECTION)
    if table is None:
        return None
    if isinstance(table, dict) and DATA_FOLDER_KEY in table:
        if len(table) > 1:
            raise ScenarioError(str(path), f"{DATA_SECTION}.{DATA_FOLDER_KEY}", "given beside other keys",
                                "either folder (a data folder) or the files themselves")
        folder = table[DATA_FOLDER_KEY]
        if not isinstance(folder, str) or not folder.strip():
            raise ScenarioError(str(path), f"{DATA_SECTION}.{DATA_FOLDER_KEY}", f"expected a folder, got {folder!r}",
                                "a data folder's path, relative to the scenario file")
        return data_folder(path.parent / Path(folder).expanduser(), f"{path}: {DATA_SECTION}.{DATA_FOLDER_KEY}")
    return codebook.parse(table, path.parent, str(path), f"{DATA_SECTION}.")


def data_folder(directory: str | Path, named_by: str) -> DataSpec:
    """The data set of a folder: its ``data.toml``, or its files by their usual names (docs/DATA.md)."""
    directory = Path(directory).expanduser()
    directory = bundled.example(directory) or directory  # examples/... from an installed copy
    if not directory.is_dir():
        problem = "a file, not a folder" if directory.is_file() else "no such folder"
        raise ScenarioError(named_by, "", f"{directory}: {problem}",
                            "a folder of data files: organizations.csv (and relationships.csv, factors.csv, "
                            "sectors.csv), or a data.toml naming them (docs/DATA.md)")
    described = directory / codebook.FOLDER_FILE
    table = read_toml(described) if described.is_file() else None
    return codebook.folder(directory, table, str(described) if table is not None else str(directory))


def with_overrides(params: Params, overrides: dict[str, Any], source: str = OVERRIDE_SOURCE) -> Params:
    """Apply overrides to parameters already loaded (a mistake in them is blamed on ``source``)."""
    return from_dict(apply_overrides(to_dict(params), overrides), source=source)
