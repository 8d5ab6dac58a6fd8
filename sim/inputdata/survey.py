"""The relationships table, in the shape network surveys produce: one row per respondent and partner.

Columns (docs/DATA.md): ``respondent`` and ``partner`` (roster ids, required); ``level`` (a label of the codebook's
levels); the codebook's trust items (``reliability``, ``mission``, ``openness`` on PARTNER's 1-4 by default), or
instead a ``trust`` column already on the model's 0-1 scale (an export writes one). Blank cells are questions not
answered; organizations that never appear as a respondent did not respond. A row is directed: it is what the
respondent said about the partner, so ``trust`` is how far the respondent trusts the partner. ``purpose``
(optional, one of the codebook's levels) is the level the pair's joint purpose needs: no survey asks it, an export
writes it, and a researcher may code it; where it is not given the run draws it (docs/DATA.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.inputdata.codebook import DataSpec
from sim.inputdata.table import Table, read_table
from sim.errors import ScenarioError

HINT = ("columns respondent and partner; optional: level, purpose, and the trust items ({items}) or a trust column "
        "(docs/DATA.md)")


@dataclass(frozen=True)
class Relationships:
    """The survey's answers, one entry per row: who said it about whom, and what (-1 or NaN where not answered)."""

    source: str
    respondent: np.ndarray   # int64 roster row
    partner: np.ndarray      # int64 roster row
    level: np.ndarray        # int64 rank in the codebook's levels (the model level), -1 where not answered
    purpose: np.ndarray      # int64 rank in the codebook's levels: the level the pair's purpose needs, -1 if not given
    ratings: np.ndarray      # float (rows, items): the trust items on the survey's own scale, NaN where not answered
    trust: np.ndarray        # float: the respondent's trust in the partner on the model's 0..1 scale, NaN if no answer
    items: tuple             # the trust items' names (the columns of ratings); () when the table gives trust directly
    answers: dict            # the level cells as written, for the table of answers beside the model's values

    @property
    def rows(self) -> int:
        return int(self.respondent.size)


def read_relationships(path: str | Path, ids: dict, spec: DataSpec, roster_source: str) -> Relationships:
    """Read and check the relationships table at ``path`` against the roster's ``ids`` (id -> row)."""
    items = spec.ratings
    hint = HINT.format(items=", ".join(items))
    table = read_table(path, "one row per respondent and partner", ("respondent", "partner"),
                       ("respondent", "partner", "level", "purpose", "trust", *items), hint)
    respondent = _rows_of(table, "respondent", ids, roster_source)
    partner = _rows_of(table, "partner", ids, roster_source)
    _check_pairs(table, respondent, partner, len(ids))
    levels = ", ".join(spec.levels) + " (lowest first), or blank"
    level = (table.codes("level", spec.level_rank(), levels)
             if table.has("level") else np.full(table.rows, -1, dtype=np.int64))
    purpose = (table.codes("purpose", spec.level_rank(), levels)
               if table.has("purpose") else np.full(table.rows, -1, dtype=np.int64))
    given = [item for item in items if table.has(item)]
    if table.has("trust"):
        if given:
            raise ScenarioError(table.source, f"column {given[0]}", "given beside a trust column",
                                "either a trust column (0 to 1) or the trust items, not both")
        trust = table.numbers("trust", 0.0, 1.0, "a number from 0 to 1 (the model's trust), or blank")
        ratings, items = np.zeros((table.rows, 0)), ()
    elif given:
        missing = [item for item in items if item not in given]
        if missing:
            raise ScenarioError(table.source, f"column {missing[0]}", f"missing (the table has {', '.join(given)})",
                                f"every trust item of the codebook ({', '.join(items)}), or set data.ratings")
        low, high = spec.rating_scale
        allowed = f"a number from {low:g} to {high:g} (the survey's scale), or blank"
        ratings = np.column_stack([table.numbers(item, low, high, allowed) for item in items])
        trust = rescaled_mean(ratings, low, high)
    else:
        ratings, items = np.zeros((table.rows, 0)), ()
        trust = np.full(table.rows, np.nan)
    blank = [""] * table.rows
    return Relationships(source=table.source, respondent=respondent, partner=partner, level=level, purpose=purpose,
                         ratings=ratings, trust=trust, items=tuple(items),
                         answers={name: list(table.cells(name)) if table.has(name) else blank
                                  for name in ("level", "purpose")})


def rescaled_mean(ratings: np.ndarray, low: float, high: float) -> np.ndarray:
    """The mean of the items answered, mapped linearly from the survey's scale onto 0..1 (NaN where none was)."""
    answered = ~np.isnan(ratings)
    count = answered.sum(axis=1)
    total = np.where(answered, ratings, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return np.where(count > 0, (mean - low) / (high - low), np.nan)


def _rows_of(table: Table, column: str, ids: dict, roster_source: str) -> np.ndarray:
    cells = table.required_cells(column, f"an id from {roster_source}")
    rows = list(map(ids.get, cells))
    if None in rows:
        index = rows.index(None)
        examples = ", ".join(list(ids)[:3])
        raise table.error(index, column, f"{cells[index]!r} is not in the roster",
                          f"an id from {roster_source} (e.g. {examples})")
    return np.array(rows, dtype=np.int64)


def _check_pairs(table: Table, respondent: np.ndarray, partner: np.ndarray, count: int) -> None:
    """No organization names itself, and no respondent answers about the same partner twice."""
    self_ties = np.flatnonzero(respondent == partner)
    if self_ties.size:
        index = int(self_ties[0])
        raise table.error(index, "partner", f"the respondent itself ({table.cells('partner')[index]!r})",
                          "another organization (a relationship is between two)")
    keys = respondent * count + partner
    order = np.argsort(keys, kind="stable")
    repeats = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    if repeats.size:
        later = order[repeats + 1]
        k = int(np.argmin(later))
        index, earlier = int(later[k]), int(order[repeats[k]])
        raise table.error(index, "partner", f"{table.cells('respondent')[index]!r} about "
                          f"{table.cells('partner')[index]!r} again (first in row {int(table.row_numbers[earlier])})",
                          "one row per respondent and partner")
