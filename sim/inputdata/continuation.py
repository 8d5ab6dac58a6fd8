"""An export's extra file (``state.json``): everything a partnership's state holds besides the roster and the
relationships, so that a run started from the export continues exactly as the run it came from.

It holds the number of founding members (the roster's ``member`` column must agree), and by organization id:
pride, turf guarded, staff time, the capacity drifted back to, membership and satisfaction, money received and the
running shortfalls, when each joined, when and why each left; per tied pair, the months at its level; the
partnership's scalars; what each funder can still commit; the record so far (rows 0 .. month,
which the summary reads); and the generator's state. The format is documented in docs/DATA.md. JSON numbers are
written as Python's shortest round-trip text, so every float reads back to the same bits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import ScenarioError
from sim.inputdata.roster import Roster
from sim.params import LEVELS, Params, to_dict
from sim.record import COLUMNS
from sim.state import NO_TIE, PARTNERSHIP_DTYPES, OrgState, Snapshot, State, org_dtype

FORMAT = "partnersim-state 1"
# What the roster and the relationships table hold; state.json holds every other organization variable.
ROSTER_FIELDS = ("sector", "community", "budget", "capacity", "desire")
ORG_FIELDS = tuple(name for name in OrgState._fields if name not in ROSTER_FIELDS)
PARTNERSHIP_FIELDS = tuple(PARTNERSHIP_DTYPES._fields)
ALLOWED = "the state.json partnersim wrote with the export (docs/DATA.md), unchanged"


@dataclass(frozen=True)
class Continuation:
    """state.json, read and checked; organizations in the roster's order."""

    source: str
    month: int
    scenario: str
    seed: int
    organizations: dict    # field -> array, one entry per organization
    months_at_level: np.ndarray  # int32 (N, N), symmetric
    partnership: dict      # PartnershipArrays field -> value (other_grant_month: a list)
    budgets: np.ndarray    # what each funder can still commit (inf: no limit)
    records: np.ndarray    # rows 0 .. month of the record, columns sim.record.COLUMNS
    first_at_level: np.ndarray
    generator: dict

    def snapshot(self, state: State, level: np.ndarray, params: Params, keep_generator: bool) -> Snapshot:
        """The state built from the roster and relationships (``level``: each pair's level from the relationships
        table, -1 where blank: no tie), completed from this file; with ``keep_generator`` the generator continues
        where it was, else the run's seed starts it afresh."""
        others = len(self.partnership["other_grant_month"])
        if others != params.other_funders.count or self.budgets.size != 1 + others:
            raise ScenarioError(self.source, "partnership.other_grant_month",
                                f"{others} other funders' grants, the scenario has other_funders.count = "
                                f"{params.other_funders.count}", "a scenario with as many other funders as the export's")
        if params.steps < self.month:
            raise ScenarioError(self.source, "month", f"the export is of month {self.month}, the scenario runs "
                                f"{params.steps} months", f"steps of at least {self.month} (the run continues to them)")
        orgs = state.orgs._replace(**{name: np.array(values, dtype=org_dtype(name))
                                      for name, values in self.organizations.items()})
        tie = np.where(level >= 0, level, NO_TIE).astype(np.int8)
        np.fill_diagonal(tie, NO_TIE)
        pairs = state.pairs._replace(level=tie, months_at_level=self.months_at_level.copy())
        arrays = state.partnerships._replace(**{
            name: np.array([value], dtype=getattr(PARTNERSHIP_DTYPES, name)).reshape(1, -1)
            if name == "other_grant_month" else np.array([value], dtype=getattr(PARTNERSHIP_DTYPES, name))
            for name, value in self.partnership.items()})
        return Snapshot(state=State(orgs=orgs, pairs=pairs, partnerships=arrays), month=self.month,
                        budgets=self.budgets.copy(), records=self.records.copy(),
                        first_at_level=self.first_at_level.copy(), generator=self.generator if keep_generator else None)


def continuation_json(snapshot: Snapshot, ids: tuple, scenario: str, params: Params) -> str:
    """state.json for ``snapshot`` (organizations named by ``ids``, in the state's order)."""
    state = snapshot.state
    level, months = state.pairs.level, state.pairs.months_at_level
    i, j = np.nonzero(np.triu(level != NO_TIE, 1))
    document = {
        "format": FORMAT,
        "about": "partnersim: the rest of a partnership's state at the end of month `month` (docs/DATA.md)",
        "scenario": scenario,
        "seed": params.seed,
        "month": int(snapshot.month),
        "members": int(params.organizations.count),
        "organizations": {"id": list(ids), **{name: getattr(state.orgs, name).tolist() for name in ORG_FIELDS}},
        "months_at_level": [[ids[a], ids[b], int(months[a, b])] for a, b in zip(i, j)],
        "partnership": {name: (state.partnerships.other_grant_month[0].tolist() if name == "other_grant_month"
                               else getattr(state.partnerships, name)[0].item()) for name in PARTNERSHIP_FIELDS},
        "budgets": [None if np.isinf(b) else float(b) for b in snapshot.budgets],
        "record": {"columns": list(COLUMNS), "first_at_level": snapshot.first_at_level.tolist(),
                   "rows": snapshot.records.tolist()},
        "generator": snapshot.generator,
        "params": to_dict(params),
    }
    return _dumps(document) + "\n"


def _dumps(value, indent: int = 0) -> str:
    """JSON a reader can scan: objects one key a line, lists of lists one inner list a line, other lists on one."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        inner = ",\n".join(f"{pad} {json.dumps(key)}: {_dumps(item, indent + 1)}" for key, item in value.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(value, list) and value and all(isinstance(item, list) for item in value):
        inner = ",\n".join(f"{pad}  {json.dumps(item, allow_nan=False)}" for item in value)
        return "[\n" + inner + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


# --------------------------------------------------------------------------- reading

def read_continuation(path: str | Path, roster: Roster) -> Continuation:
    """Read and check ``path`` against the roster (its ids in the model's order, and its members)."""
    ids = roster.ids
    source = str(path)

    def fail(key: str, problem: str):
        raise ScenarioError(source, key, problem, ALLOWED)

    try:
        document = json.loads(Path(path).read_bytes().decode("utf-8"))
    except OSError as error:
        raise ScenarioError(source, "", f"cannot read ({error.strerror})", ALLOWED) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ScenarioError(source, "", f"not JSON ({error})", ALLOWED) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        fail("format", f"expected {FORMAT!r}, got {document.get('format') if isinstance(document, dict) else document!r}")
    month = _integer(document, "month", fail, low=0)
    orgs = _table(document, "organizations", fail)
    members = _integer(document, "members", fail, low=1)
    if not roster.lists_candidates or roster.members != members:
        raise ScenarioError(roster.source, "column member",
                            "missing" if not roster.lists_candidates else
                            f"{roster.members} members, the export's state.json says {members}",
                            "the member column the export wrote (yes: a founding member, no: a candidate), unchanged")
    if orgs.get("id") != list(ids):
        fail("organizations.id", "the organizations differ from the roster's (ids, or their order)")
    organizations = {name: _array(orgs, name, org_dtype(name), len(ids), f"organizations.{name}", fail)
                     for name in ORG_FIELDS}
    months = _months_at_level(document, {org_id: k for k, org_id in enumerate(ids)}, fail)
    partnership = _partnership(document, fail)
    budgets = document.get("budgets")
    if not isinstance(budgets, list) or not budgets or not all(b is None or _is_number(b) for b in budgets):
        fail("budgets", "expected a list of numbers (null: no limit)")
    record = _table(document, "record", fail)
    if record.get("columns") != list(COLUMNS):
        fail("record.columns", "not this version's record columns")
    rows = record.get("rows")
    if (not isinstance(rows, list) or len(rows) != month + 1
            or not all(isinstance(r, list) and len(r) == len(COLUMNS) and all(map(_is_number, r)) for r in rows)):
        fail("record.rows", f"expected {month + 1} rows of {len(COLUMNS)} numbers (months 0 to {month})")
    first = _array(record, "first_at_level", np.int64, len(LEVELS), "record.first_at_level", fail)
    generator = document.get("generator")
    if not isinstance(generator, dict) or generator.get("bit_generator") != "PCG64":
        fail("generator", "expected the state of numpy's PCG64 generator")
    try:
        np.random.default_rng().bit_generator.state = generator
    except (TypeError, ValueError, KeyError) as error:
        fail("generator", f"not a generator state ({error})")
    return Continuation(source=source, month=month, scenario=str(document.get("scenario", "")),
                        seed=_integer(document, "seed", fail, low=0), organizations=organizations,
                        months_at_level=months, partnership=partnership,
                        budgets=np.array([np.inf if b is None else float(b) for b in budgets]),
                        records=np.array(rows, dtype=np.float64), first_at_level=first, generator=generator)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(document: dict, key: str, fail, low: int) -> int:
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        fail(key, f"expected an integer from {low}, got {value!r}")
    return value


def _table(document: dict, key: str, fail) -> dict:
    value = document.get(key)
    if not isinstance(value, dict):
        fail(key, "missing or not an object")
    return value


def _array(table: dict, name: str, dtype, length: int, key: str, fail) -> np.ndarray:
    values = table.get(name)
    kind = (lambda v: isinstance(v, bool)) if dtype is np.bool_ else (
        (lambda v: isinstance(v, int) and not isinstance(v, bool)) if dtype is np.int64 else _is_number)
    if not isinstance(values, list) or len(values) != length or not all(map(kind, values)):
        fail(key, f"expected a list of {length} {'flags' if dtype is np.bool_ else 'numbers'}")
    return np.array(values, dtype=dtype)


def _months_at_level(document: dict, index: dict, fail) -> np.ndarray:
    entries = document.get("months_at_level")
    count = len(index)
    months = np.zeros((count, count), dtype=np.int32)
    if not isinstance(entries, list):
        fail("months_at_level", "expected a list of [id, id, months]")
    for entry in entries:
        if (not isinstance(entry, list) or len(entry) != 3 or entry[0] not in index or entry[1] not in index
                or isinstance(entry[2], bool) or not isinstance(entry[2], int) or entry[2] < 0):
            fail("months_at_level", f"{entry!r} is not [id, id, months] of two organizations of the roster")
        a, b = index[entry[0]], index[entry[1]]
        months[a, b] = months[b, a] = entry[2]
    return months


def _partnership(document: dict, fail) -> dict:
    table = _table(document, "partnership", fail)
    values = {}
    for name in PARTNERSHIP_FIELDS:
        value = table.get(name)
        dtype = getattr(PARTNERSHIP_DTYPES, name)
        if name == "other_grant_month":
            ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        elif dtype is np.bool_:
            ok = isinstance(value, bool)
        elif dtype is np.int64:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = _is_number(value)
        if not ok:
            fail(f"partnership.{name}", f"missing or of the wrong type ({value!r})")
        values[name] = value
    return values
