"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import dataclasses
from typing import get_type_hints

from hypothesis import strategies as st


def section_strategy(cls):
    """Every leaf of a parameter section, drawn from its declared range or choices (read from the metadata)."""
    hints = get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        tp, m = hints[f.name], f.metadata
        if dataclasses.is_dataclass(tp):
            out[f.name] = section_strategy(tp)
        elif tp is bool:
            out[f.name] = st.booleans()
        elif tp is str and m.get("choices"):
            out[f.name] = st.sampled_from(m["choices"])
        elif tp is int:
            out[f.name] = st.integers(m["low"], m["high"])
        elif tp is float:
            out[f.name] = st.floats(m["low"], m["high"])
        elif tp is tuple:
            integral = all(isinstance(x, int) for x in f.default)
            element = st.integers(m["low"], m["high"]) if integral else st.floats(m["low"], m["high"])
            out[f.name] = st.lists(element, min_size=m["length"], max_size=m["length"]).map(sorted)
    return st.fixed_dictionaries(out)
