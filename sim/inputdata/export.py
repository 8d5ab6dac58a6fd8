"""Writing a partnership's state at a month to the data files a run starts from (docs/DATA.md, "Exports").

An export is a data folder: ``organizations.csv`` (the roster, the pool's candidates included, with each
organization's role and its capacity now), ``relationships.csv`` (every ordered pair: its level, blank where there
is no tie, the level its purpose needs, and the trust on the model's 0..1 scale), ``factors.csv`` when the run's data had factor scores, ``state.json`` (everything else,
:mod:`sim.inputdata.continuation`) and ``data.toml`` naming them. Numbers are written as Python's shortest round-trip
text, so a run started from the folder (``--data DIR``) continues bit for bit. The folder is built beside its
target and moved into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim import atomic
from sim.inputdata.codebook import DEFAULT_FILES, FOLDER_FILE
from sim.inputdata.continuation import continuation_json
from sim.inputdata.factors import FactorScores
from sim.inputdata.load import StartingData
from sim.params import LEVELS, SECTORS, Params
from sim.state import NO_TIE, Snapshot


@dataclass(frozen=True)
class Export:
    """What an export writes: the snapshot, who the organizations are, and the factor scores the run used."""

    snapshot: Snapshot
    ids: tuple
    names: tuple
    factors: FactorScores | None
    seed: int        # the data's seed (nothing is left to fill in an export; kept for the record)
    scenario: str
    params: Params


def export_of(snapshot: Snapshot, params: Params, scenario: str, data: StartingData | None,
              ids: tuple | None = None, names: tuple | None = None) -> Export:
    """The export of ``snapshot``; organizations keep the data's ``ids`` and ``names`` (the roster's, and the drawn
    candidates' after them), or get ``org01``, ... (named by sector) after a random start."""
    if data is not None:
        factors, seed = data.factors, data.spec.seed
    else:
        sector = snapshot.state.orgs.sector
        width = len(str(sector.size))
        ids = tuple(f"org{k + 1:0{width}d}" for k in range(sector.size))
        counts: dict = {}
        named = []
        for s in sector:
            counts[s] = counts.get(s, 0) + 1
            named.append(f"{SECTORS[s].replace('_', ' ')} {counts[s]}")
        names, factors, seed = tuple(named), None, params.seed
    if ids is None or names is None or len(ids) != snapshot.state.count:
        raise ValueError("an export from data needs an id and a name for every organization of the state")
    return Export(snapshot=snapshot, ids=tuple(ids), names=tuple(names), factors=factors, seed=seed,
                  scenario=scenario, params=params)


def _csv(header: list, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _number(value: float) -> str:
    return repr(float(value))


def roster_csv(export: Export) -> bytes:
    """The roster: ``member`` is each organization's role in the run (yes: a founding member, the first
    ``organizations.count``; no: a candidate of the pool); who is at the table now is in state.json."""
    orgs = export.snapshot.state.orgs
    founding = np.arange(orgs.sector.size) < export.params.organizations.count
    rows = ([org_id, name, "yes" if m else "no", SECTORS[s], _number(b), "yes" if c else "no", _number(cap), _number(d)]
            for org_id, name, m, s, b, c, cap, d in zip(export.ids, export.names, founding, orgs.sector, orgs.budget,
                                                        orgs.community, orgs.capacity, orgs.desire))
    return _csv(["id", "name", "member", "sector", "budget", "community", "capacity", "desire"], rows)


def relationships_csv(export: Export) -> bytes:
    pairs = export.snapshot.state.pairs
    count = pairs.trust.shape[0]
    i, j = np.nonzero(~np.eye(count, dtype=bool))
    labels = np.array([*LEVELS, ""], dtype=object)  # NO_TIE (-1) picks the blank
    level = labels[np.where(pairs.level[i, j] == NO_TIE, -1, pairs.level[i, j])]
    ids = np.array(export.ids, dtype=object)
    rows = zip(ids[i], ids[j], level, labels[pairs.purpose[i, j]], map(_number, pairs.trust[i, j]))
    return _csv(["respondent", "partner", "level", "purpose", "trust"], rows)


def factors_csv(scores: FactorScores) -> bytes:
    return _csv(["factor", "score"], ([key, _number(score)] for key, score in scores.scores.items()))


def data_toml(export: Export) -> bytes:
    levels = ", ".join(f'"{name}"' for name in LEVELS)
    lines = [f"# A partnership's state at the end of month {export.snapshot.month} of scenario {export.scenario!r},",
             "# exported by partnersim (docs/DATA.md). Continue from it: partnersim run SCENARIO --data THIS_FOLDER",
             f'organizations = "{DEFAULT_FILES["organizations"]}"',
             f'relationships = "{DEFAULT_FILES["relationships"]}"',
             f'state = "{DEFAULT_FILES["state"]}"']
    if export.factors is not None:
        lines.append(f'factors = "{DEFAULT_FILES["factors"]}"')
    lines += [f"levels = [{levels}]", f"seed = {export.seed}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_export(export: Export, out_dir: str | Path) -> list[Path]:
    """Write the export into ``out_dir`` (created if needed; other files there are left alone); the paths written."""
    out_dir = Path(out_dir)
    files = {FOLDER_FILE: data_toml(export), DEFAULT_FILES["organizations"]: roster_csv(export),
             DEFAULT_FILES["relationships"]: relationships_csv(export),
             DEFAULT_FILES["state"]: continuation_json(export.snapshot, export.ids, export.scenario,
                                                       export.params).encode("utf-8")}
    if export.factors is not None:
        files[DEFAULT_FILES["factors"]] = factors_csv(export.factors)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = atomic.staging_dir(out_dir)
    try:
        for name, data in files.items():
            atomic.write_bytes(staging / name, data)
        return atomic.move_into(staging, out_dir, [Path(name) for name in files])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
