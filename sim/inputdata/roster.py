"""The organizations roster: one row per organization, in the order the model indexes them.

Columns (docs/DATA.md): ``id`` and ``sector`` (required); ``budget`` (annual, dollars) or ``size`` (``small``,
``medium``, ``large``), at least one of the two columns; ``name``, ``member``, ``community``, ``capacity`` and
``desire`` (optional). A blank cell is a gap that :mod:`sim.inputdata.start` fills by a stated rule. ``sector`` is
one of the model's sectors, or a category of the user's own that a sectors table (``category``, ``sector``) maps
onto one. ``member`` says whether an organization is at the partnership's table at the start (yes, the default) or
a candidate the partnership may invite later (no).

The model's order is the members in the file's order, then the candidates in the file's order (the model counts
the first ``organizations.count`` organizations as the founding members); :class:`Roster` holds that order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.inputdata.table import Table, read_table
from sim.errors import ScenarioError
from sim.params import SECTORS
from sim.rules.capacity import CAPACITY_MAX, CAPACITY_MIN

SIZES = ("small", "medium", "large")
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")
COLUMNS = ("id", "name", "member", "sector", "budget", "size", "community", "capacity", "desire")
BUDGET_MAX = 1e12
ROSTER_HINT = ("columns id, sector and budget or size; optional: name, member, community, capacity, desire "
               "(docs/DATA.md)")
SECTOR_MAP_HINT = "columns category and sector (one of " + ", ".join(SECTORS) + ")"


def sector_key(text: str) -> str:
    """How a sector or category is matched: lower case, spaces and hyphens as underscores ("Public agency")."""
    return "_".join(text.strip().lower().replace("-", " ").split())


@dataclass(frozen=True)
class Roster:
    """The organizations, members first (each group in the file's order); NaN (or -1 for codes) where a cell is
    blank."""

    source: str
    ids: tuple
    names: tuple
    rows: np.ndarray        # int64: each organization's row in the file (for errors about it)
    member: np.ndarray      # bool: at the table at the start (False: a candidate the partnership may invite)
    lists_candidates: bool  # the file has a member column: its candidates are the pool, none if none is marked no
    sector: np.ndarray      # int64 index into SECTORS
    budget: np.ndarray      # dollars a year, NaN where not given
    size: np.ndarray        # int64 index into SIZES, -1 where not given
    community: np.ndarray   # int64: 1 yes, 0 no, -1 not given
    capacity: np.ndarray    # 0.01..1, NaN where not given
    desire: np.ndarray      # 0..1, NaN where not given
    answers: dict           # the cells as written, by column, for the table of answers beside the model's values

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def members(self) -> int:
        """How many are at the table at the start (they come first)."""
        return int(np.count_nonzero(self.member))

    def reordered(self, order: np.ndarray) -> "Roster":
        """The same roster with its organizations in ``order`` (rows of this one)."""
        if np.array_equal(order, np.arange(self.count)):
            return self
        arrays = {name: getattr(self, name)[order] for name in
                  ("rows", "member", "sector", "budget", "size", "community", "capacity", "desire")}
        return dataclasses.replace(self, ids=tuple(self.ids[k] for k in order),
                                   names=tuple(self.names[k] for k in order),
                                   answers={name: [cells[k] for k in order] for name, cells in self.answers.items()},
                                   **arrays)

    def index(self) -> dict:
        """Each organization's id -> its row (its index in the model)."""
        return {org_id: i for i, org_id in enumerate(self.ids)}


def read_sector_map(path: str | Path) -> dict:
    """The user's categories (matched by :func:`sector_key`) -> the model's sector each stands for."""
    table = read_table(path, "one row per category of your own", ("category", "sector"), ("category", "sector"),
                       SECTOR_MAP_HINT)
    categories = table.required_cells("category", "a category name, as the roster writes it")
    sectors = table.required_cells("sector", ", ".join(SECTORS))
    mapping, first = {}, {}
    for index, (category, sector) in enumerate(zip(categories, sectors)):
        key = sector_key(category)
        if key in first:
            raise table.error(index, "category", f"{category!r} repeats row {int(table.row_numbers[first[key]])}",
                              "each category once")
        if sector_key(sector) not in SECTORS:
            raise table.error(index, "sector", f"unknown sector {sector!r}", ", ".join(SECTORS))
        first[key] = index
        mapping[key] = sector_key(sector)
    return mapping


def read_roster(path: str | Path, sector_map: dict | None = None, sector_map_source: str = "") -> Roster:
    """Read and check the roster at ``path``; ``sector_map`` maps the user's categories onto the model's sectors."""
    table = read_table(path, "one row per organization", ("id", "sector"), COLUMNS, ROSTER_HINT)
    if not (table.has("budget") or table.has("size")):
        raise ScenarioError(table.source, "column budget", "missing (and no size column either)",
                            "a budget column (annual, dollars) or a size column (small, medium, large)")
    ids = table.required_cells("id", "a unique id for each organization")
    seen: dict = {}
    for index, org_id in enumerate(ids):
        if org_id in seen:
            raise table.error(index, "id", f"{org_id!r} repeats row {int(table.row_numbers[seen[org_id]])}",
                              "a unique id for each organization")
        seen[org_id] = index
    blank = [""] * table.rows
    member = (table.codes("member", {**dict.fromkeys(YES, 1), **dict.fromkeys(NO, 0)},
                          "yes (at the table at the start) or no (a candidate it may invite), or blank (yes)")
              if table.has("member") else np.full(table.rows, -1, dtype=np.int64)) != 0
    in_file = Roster(
        source=table.source,
        ids=tuple(ids),
        names=tuple(table.cells("name") if table.has("name") else blank),
        rows=table.row_numbers.copy(),
        member=member,
        lists_candidates=table.has("member"),
        sector=_sectors(table, sector_map or {}, sector_map_source),
        budget=table.numbers("budget", 0.0, BUDGET_MAX, f"dollars a year, above 0 and at most {BUDGET_MAX:.0e}, or blank",
                             low_open=True) if table.has("budget") else np.full(table.rows, np.nan),
        size=table.codes("size", {s: i for i, s in enumerate(SIZES)}, ", ".join(SIZES) + ", or blank")
        if table.has("size") else np.full(table.rows, -1, dtype=np.int64),
        community=table.codes("community", {**dict.fromkeys(YES, 1), **dict.fromkeys(NO, 0)},
                              "yes or no (the intended beneficiaries' own organization), or blank (from its sector)")
        if table.has("community") else np.full(table.rows, -1, dtype=np.int64),
        capacity=table.numbers("capacity", CAPACITY_MIN, CAPACITY_MAX,
                               f"a number from {CAPACITY_MIN} to {CAPACITY_MAX:g}, or blank (from its budget)")
        if table.has("capacity") else np.full(table.rows, np.nan),
        desire=table.numbers("desire", 0.0, 1.0, "a number from 0 to 1, or blank (drawn)")
        if table.has("desire") else np.full(table.rows, np.nan),
        answers={name: list(table.cells(name)) for name in COLUMNS if table.has(name)},
    )
    return in_file.reordered(np.argsort(~member, kind="stable"))


def _sectors(table: Table, sector_map: dict, map_source: str) -> np.ndarray:
    cells = table.required_cells("sector", ", ".join(SECTORS))
    codes = np.empty(len(cells), dtype=np.int64)
    index_of = {sector: i for i, sector in enumerate(SECTORS)}
    known: dict = {}
    for index, text in enumerate(cells):
        key = sector_key(text)
        if key not in known:
            sector = key if key in index_of else sector_map.get(key)
            if sector is None:
                mapped = f", or a category of {map_source}" if map_source else " (or give a sectors table for your own categories)"
                raise table.error(index, "sector", f"unknown sector {text!r}", ", ".join(SECTORS) + mapped)
            known[key] = index_of[sector]
        codes[index] = known[key]
    return codes
