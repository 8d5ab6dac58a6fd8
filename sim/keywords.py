"""Flat keyword parameters, as Mesa users pass them: ``PartnershipModel(grant_months=60, rng=3)``.

Each parameter of :class:`sim.params.Params` answers to its dotted key (``funding.grant_months``, passed as
``**{"funding.grant_months": 60}``), to the same parts joined by underscores (``funding_grant_months``) and to
any shorter tail of them (``grant_months``) that names no other parameter; the other funders' keys need their
section (``other_funders_grant_months``). A name that fits several parameters, names a section, or fits none is
a :class:`sim.errors.ScenarioError` naming the choices.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any, Mapping

import numpy as np

from sim.errors import ScenarioError, raise_all
from sim.params import Params, describe
from sim.reference import sections
from sim.scenarios import with_overrides

NAMES_ALLOWED = ("a parameter (`partnersim params` lists them) by its key (funding.grant_months), its parts joined "
                 "by underscores (funding_grant_months) or its last part where that names one parameter (grant_months)")
# Keywords that are not parameters of the run: the seed is Mesa's rng=.
NOT_PARAMETERS = {"seed": "rng (Mesa's keyword for the seed)"}
# Sections whose keys repeat another section's names and answer only with their section named: the other
# funders' grant_months, monthly_amount, budget and count (bare, those names mean the founding funder's and the
# partnership's own).
QUALIFIED_SECTIONS = ("other_funders",)


@functools.cache
def _names() -> dict[str, tuple[str, ...]]:
    """Every name a keyword may take -> the dotted keys it fits."""
    fits: dict[str, set[str]] = {}
    for key, *_ in describe():
        parts = key.split(".")
        for start in range(1 if parts[0] in QUALIFIED_SECTIONS else len(parts)):
            tail = parts[start:]
            for name in {".".join(tail), "_".join(tail)}:
                fits.setdefault(name, set()).add(key)
    return {name: tuple(sorted(keys)) for name, keys in fits.items()}


@functools.cache
def _section_names() -> dict[str, str]:
    """A section's names (``organizations.sector_mix``, ``organizations_sector_mix``, ``sector_mix``) -> its key."""
    found = {}
    for section in sections():
        parts = section.split(".")
        for start in range(len(parts)):
            for name in {".".join(parts[start:]), "_".join(parts[start:])}:
                found.setdefault(name, section)
    return found


def key_for(name: str, source: str) -> str:
    """The dotted key the keyword ``name`` sets; :class:`ScenarioError` if it fits none, or several."""
    if name in NOT_PARAMETERS:
        raise ScenarioError(source, name, "not a parameter keyword", NOT_PARAMETERS[name])
    keys = _names().get(name, ())
    section = _section_names().get(name)
    if len(keys) == 1 and section is None:
        return keys[0]
    if keys or section is not None:
        choices = [*keys, *([f"a key of the {section} section (e.g. {_first_key(section)})"] if section else [])]
        problem = "ambiguous: it fits more than one" if len(choices) > 1 else "is a section, not a value"
        raise ScenarioError(source, name, problem, " | ".join(choices))
    close = difflib.get_close_matches(name, list(_names()), n=1, cutoff=0.75)
    hint = f" (did you mean {_names()[close[0]][0]}?)" if close and len(_names()[close[0]]) == 1 else ""
    raise ScenarioError(source, name, "unknown parameter" + hint, NAMES_ALLOWED)


def _first_key(section: str) -> str:
    return next(key for key, *_ in describe() if key.startswith(section + "."))


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (as ``mesa.batch_run`` and numpy grids hand them over) as plain Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_plain(x) for x in value]
    return value


def with_keywords(base: Params, keywords: Mapping[str, Any], source: str) -> Params:
    """``base`` with the keyword parameters applied, validated; every mistake raised at once, naming ``source``."""
    overrides, errors = {}, []
    for name, value in keywords.items():
        try:
            key = key_for(name, source)
        except ScenarioError as error:
            errors.append(error)
            continue
        if key in overrides:
            errors.append(ScenarioError(source, name, f"sets {key}, already given", "each parameter once"))
        overrides[key] = _plain(value)
    raise_all(errors)
    return with_overrides(base, overrides, source=source) if overrides else base
