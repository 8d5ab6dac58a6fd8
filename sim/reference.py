"""Every parameter as a scenario file would hold it: ``partnersim params [SECTION]``.

The listing is valid TOML: each key with its default, under a comment giving its meaning, what is allowed,
its unit, where its value comes from (calibrated, literature, assumption or modelling choice)
and its source, so that a user can copy lines into a scenario file without reading any code.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from typing import Any, get_type_hints

from sim.errors import ScenarioError
from sim.params import Params, describe, provenance

TOP_LEVEL = "top"  # the name of the keys outside any section (description, steps, seed)


def sections(cls=Params, prefix: str = "") -> list[str]:
    """The sections of the parameters, nested ones dotted (``organizations.sector_mix``), in their order."""
    found = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            name = f"{prefix}.{f.name}" if prefix else f.name
            found += [name, *sections(hints[f.name], name)]
    return found


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(x) for x in value) + "]"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a TOML basic string


def listing(section: str | None = None) -> str:
    """The parameters of ``section`` (a name from :func:`sections`, or :data:`TOP_LEVEL`), or all of them."""
    known = [TOP_LEVEL, *sections()]
    if section is not None and section not in known:
        close = difflib.get_close_matches(section, known, n=1)
        raise ScenarioError("params", section, "no such section" + (f" (did you mean {close[0]}?)" if close else ""),
                            " | ".join(known))
    groups: dict[str, list[str]] = {}  # each table's lines, tables in the order they first appear (TOML: once each)
    labels = {key: label for key, label, _ in provenance()}
    for key, default, allowed, unit, doc, source in describe():
        where, _, name = key.rpartition(".")
        if section is not None and (where or TOP_LEVEL) != section and not where.startswith(f"{section}."):
            continue
        notes = ([f"allowed: {allowed}"] + ([f"unit: {unit}"] if unit else []) + [f"value: {labels[key]}"]
                 + ([f"source: {source}"] if source else []))
        groups.setdefault(where, []).extend([f"# {doc}" if doc else "#", f"#   {'; '.join(notes)}",
                                             f"{name} = {_toml_value(default)}"])
    lines: list[str] = []
    for where, entries in groups.items():
        lines += (["", f"[{where}]"] if where else []) + entries
    return "\n".join(lines).lstrip("\n") + "\n"
