"""Plain tables of results as CSV bytes: floats written with ``repr`` (the shortest text that reads back as the same
number), so that the same results always give the same bytes."""

from __future__ import annotations

import csv
import io


def rows_csv(rows: list[dict]) -> bytes:
    """One CSV line per row, the first row's keys as the header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return out.getvalue().encode("utf-8")
