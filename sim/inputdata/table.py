"""Reading one CSV file into checked columns; every mistake is one line naming the file, the row and the column.

Rows are counted as a spreadsheet shows them: the header is row 1, the first organization or answer row 2.
Column names are matched without regard to case or surrounding spaces (``Sector``, `` sector `` and ``sector``
are one column), cells are stripped, and rows with every cell blank are skipped (spreadsheets leave them at the
end). A column the reader does not know is ignored (rosters carry addresses and contacts), unless its name is a
near miss of one it knows: ``capactiy`` is an error that suggests ``capacity``.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from sim.errors import ScenarioError

HEADER_ROW = 1
CUTOFF = 0.8  # difflib's similarity above which an unknown column is taken for a misspelt known one


def column_name(text: str) -> str:
    """How a header cell is matched: lower case, spaces and hyphens as underscores."""
    return "_".join(text.strip().lower().replace("-", " ").split())


@dataclass(frozen=True)
class Table:
    """A CSV file's cells by column (stripped text), one entry per row that is not blank."""

    source: str                  # the file, as errors name it
    what: str                    # what one row is ("one row per organization"), for errors about the whole file
    columns: dict                # column name -> list of stripped cells
    row_numbers: np.ndarray      # the spreadsheet row of each entry (the header is row 1)

    @property
    def rows(self) -> int:
        return int(self.row_numbers.size)

    def has(self, name: str) -> bool:
        return name in self.columns

    def cells(self, name: str) -> list[str]:
        return self.columns[name]

    def error(self, index: int, name: str, problem: str, allowed: str) -> ScenarioError:
        return ScenarioError(self.source, f"row {int(self.row_numbers[index])}, column {name}", problem, allowed)

    def numbers(self, name: str, low: float, high: float, allowed: str, *, low_open: bool = False) -> np.ndarray:
        """The column as numbers within ``low .. high`` (above ``low`` if ``low_open``); NaN where a cell is blank."""
        cells = np.array(self.columns[name], dtype=str)
        blank = cells == ""
        values = np.full(cells.size, np.nan)
        try:
            values[~blank] = cells[~blank].astype(np.float64)  # all at once; a cell that is no number falls through
        except ValueError:
            values[~blank] = [self._number(int(index), name, str(text), allowed)
                              for index, text in zip(np.flatnonzero(~blank), cells[~blank])]
        wrong = ~blank & ~np.isfinite(values)
        wrong |= ~blank & ((values < low) | (values > high) | ((values == low) if low_open else False))
        if wrong.any():
            index = int(np.argmax(wrong))
            text = str(cells[index])
            problem = f"{text!r} is not a finite number" if not np.isfinite(values[index]) else f"{text} is out of range"
            raise self.error(index, name, problem, allowed)
        return values

    def _number(self, index: int, name: str, text: str, allowed: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise self.error(index, name, f"{text!r} is not a number", allowed) from None

    def codes(self, name: str, choices: dict, allowed: str) -> np.ndarray:
        """The column as codes: ``choices`` maps each allowed text (lower case) to its code; -1 where blank."""
        cells = self.columns[name]
        found = list(map({**choices, "": -1}.get, map(str.lower, cells)))
        if None in found:
            index = found.index(None)
            raise self.error(index, name, f"unknown value {cells[index]!r}", allowed)
        return np.array(found, dtype=np.int64)

    def required_cells(self, name: str, allowed: str) -> list[str]:
        """The column, which may have no blank cell."""
        cells = self.columns[name]
        for index, text in enumerate(cells):
            if not text:
                raise self.error(index, name, "blank", allowed)
        return cells


def read_table(path: str | Path, what: str, required: Iterable[str], known: Iterable[str],
               missing_hint: str) -> Table:
    """Read ``path`` (UTF-8, comma-separated, a header row), which must have every ``required`` column.

    ``known`` lists every column the reader uses (required or not); ``missing_hint`` says what the header should
    hold, for the error about a missing column. Raises :class:`ScenarioError` for an unreadable or empty file, a
    row longer or shorter than the header, a repeated or misspelt column, or a missing one.
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise ScenarioError(source, "", "is a folder, not a file", f"a CSV file with {what}") from None
    except OSError as error:
        raise ScenarioError(source, "", f"cannot read ({error.strerror})", f"a readable CSV file with {what}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(source, "", f"not UTF-8 text (byte {error.start})",
                            "a CSV file in UTF-8 (a spreadsheet's 'CSV UTF-8' export)") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise ScenarioError(source, "", f"not a readable CSV file ({error})", f"comma-separated values with {what}") from None
    header_at = next((i for i, record in enumerate(records) if any(cell.strip() for cell in record)), None)
    if header_at is None:
        raise ScenarioError(source, "", "empty", f"a header row naming the columns, then {what}")
    header = [column_name(cell) for cell in records[header_at]]
    _check_header(source, header, set(required), set(known), missing_hint)
    # Whole columns at a time (C loops), since a survey can have hundreds of thousands of rows.
    records = records[header_at + 1:]
    keep = [bool(text.strip()) for text in map("".join, records)]
    rows = [record for record, kept in zip(records, keep) if kept]
    numbers = np.flatnonzero(keep) + header_at + HEADER_ROW + 1
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    if (lengths != len(header)).any():
        index = int(np.argmax(lengths != len(header)))
        raise ScenarioError(source, f"row {int(numbers[index])}", f"{lengths[index]} cells, the header has {len(header)}",
                            "one cell per column in every row (empty cells for missing answers)")
    if not rows:
        raise ScenarioError(source, "", "no rows below the header", what)
    columns = {name: list(map(str.strip, cells)) for name, cells in zip(header, zip(*rows)) if name}
    return Table(source=source, what=what, columns=columns, row_numbers=numbers.astype(np.int64))


def _check_header(source: str, header: list[str], required: set, known: set, missing_hint: str) -> None:
    seen = set()
    for name in header:
        if name and name in seen:
            raise ScenarioError(source, f"column {name}", "appears twice in the header", "each column once")
        seen.add(name)
    if len(header) == 1 and ";" in header[0]:
        raise ScenarioError(source, "", "separated by semicolons", "comma-separated values (save as 'CSV UTF-8')")
    for name in header:
        if name and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=CUTOFF)
            if close:
                raise ScenarioError(source, f"column {name}", f"unknown (did you mean {close[0]}?)", missing_hint)
    missing = sorted(required - seen)
    if missing:
        raise ScenarioError(source, f"column {missing[0]}", f"missing (the header has {', '.join(n for n in header if n)})",
                            missing_hint)
