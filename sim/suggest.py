"""Suggestions for a mistyped parameter key: the full key of a name given without its section, else the closest.

``grant_months`` given at the top level suggests ``funding.grant_months``; ``funding.grant_month`` suggests
``funding.grant_months`` (difflib). Works on any tree of dataclasses, so it needs no import of the parameters.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import get_type_hints

CUTOFF = 0.75  # difflib's similarity below which a name is not offered


def leaf_keys(cls, prefix: str = "") -> list[str]:
    """Every dotted key of a dataclass tree, leaves and sections alike (``funding``, ``funding.grant_months``, ...)."""
    keys = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        keys.append(key)
        if dataclasses.is_dataclass(hints[f.name]):
            keys.extend(leaf_keys(hints[f.name], key))
    return keys


def suggest(name: str, section_cls, prefix: str = "", root_cls=None) -> str | None:
    """The key to suggest for the unknown ``name`` inside the section ``section_cls`` at ``prefix``, if any.

    A name that is exactly the last part of a key elsewhere in ``root_cls`` (the whole tree) wins: the section is
    what was missing. Otherwise the closest name in the section, then the closest full key in the tree.
    """
    root_cls = root_cls or section_cls
    everywhere = leaf_keys(root_cls)
    here = [f.name for f in dataclasses.fields(section_cls)]
    homes = [key for key in everywhere if key.rsplit(".", 1)[-1] == name and key != (f"{prefix}.{name}" if prefix else name)]
    if len(homes) == 1:
        return homes[0]
    close = difflib.get_close_matches(name, here, n=1, cutoff=CUTOFF)
    if close:
        return f"{prefix}.{close[0]}" if prefix else close[0]
    full = f"{prefix}.{name}" if prefix else name
    close = difflib.get_close_matches(full, everywhere, n=1, cutoff=CUTOFF)
    return close[0] if close else None


def did_you_mean(name: str, section_cls, prefix: str = "", root_cls=None) -> str:
    """``" (did you mean funding.grant_months?)"`` or ``""``, to follow "unknown key"."""
    key = suggest(name, section_cls, prefix, root_cls)
    return f" (did you mean {key}?)" if key else ""
