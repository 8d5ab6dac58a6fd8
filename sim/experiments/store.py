"""The results directory of a sweep: streamed part files, consolidation and the manifest.

Layout of ``DIR`` (format reference: experiments/README.md)::

    manifest.json          the spec, its hash, seeds, versions, times, counts
    design.parquet         sampling designs only: the sampler's matrix (design_point + one column per knob)
    runs.parquet           one row per run, sorted by run_id; its outcome columns depend on the kind of run
                           (``partnership``: sim.record.SUMMARY_KEYS; ``region``: sim.region.model.ECOSYSTEM_SUMMARY_KEYS)
    timeseries.parquet     when asked: run_id, step, metric, value (long format)
    parts/                 while running: part-NNNNNN.parquet (+ ts-NNNNNN.parquet), one per finished chunk

A chunk's ``ts-`` file is written before its ``part-`` file, each atomically
(temporary file, then ``os.replace``), so a ``part-`` file marks a finished
chunk; ``--resume`` runs exactly the run ids found in no part file and not in
``runs.parquet``. Consolidation merges ``runs.parquet`` and the parts, keeps one
row per run id, sorts by run id and removes ``parts/``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.region.model import ECOSYSTEM_SUMMARY_KEYS
from sim.errors import ScenarioError
from sim.params import LEVELS, Params
from sim.record import SUMMARY_KEYS

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
TIMESERIES = "timeseries.parquet"
DESIGN = "design.parquet"
PARTS = "parts"
PART_RE = re.compile(r"^part-(\d+)\.parquet$")
TS_RE = re.compile(r"^ts-(\d+)\.parquet$")

ID_COLUMNS = ("run_id", "design_point", "replicate", "seed")
TAIL_COLUMNS = ("status", "error", "scenario")
# Summary keys that are not outcome columns: the parameters (in the manifest), the scenario (its own
# column) and the seed (the run's seed column).
NOT_OUTCOMES = ("params", "scenario", "seed")
KNOB_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
_INT_OUTCOMES = ("steps", "scale_step", "collapse_step", "funding_end_step", "months_active_after_funding", "grants_received",
                 "final_active_members")
_BOOL_OUTCOMES = ("reached_scale", "collapsed", "sustained_after_funding")
_STR_OUTCOMES = ("collapse_cause", "max_level", "final_phase")
# Kinds of run: one partnership (``ecosystem.organizations = 0``) or a region of organizations (``> 0``).
PARTNERSHIP, REGION = "partnership", "region"
RUN_KINDS = (PARTNERSHIP, REGION)
# Region summary outcomes (sim.region.model.ECOSYSTEM_SUMMARY_KEYS): counts are int64, shares, medians and means
# float64 (null when nothing formed, reached scale or collapsed).
_REGION_INT_WORDS = ("partnerships", "organizations", "pairs")
_REGION_FLOAT_PREFIXES = ("share_", "median_", "mean_")
# Outcome columns that are not worth analysing: the same for every run (or set by a parameter).
CONSTANT_OUTCOMES = ("steps", "organizations")
TIMESERIES_SCHEMA = pa.schema([("run_id", pa.int64()), ("step", pa.int64()), ("metric", pa.string()), ("value", pa.float64())])


def run_kind(params: Params) -> str:
    """``"region"`` for an ecosystem (``params.ecosystem.organizations > 0``), else ``"partnership"``."""
    return REGION if params.ecosystem.organizations > 0 else PARTNERSHIP


def _check_kind(kind: str) -> None:
    if kind not in RUN_KINDS:
        raise ValueError(f"unknown kind of run {kind!r}; expected one of {', '.join(RUN_KINDS)}")


def _outcome_type(name: str, kind: str = PARTNERSHIP) -> pa.DataType | None:
    if kind == REGION:
        return _region_outcome_type(name)
    if name in _INT_OUTCOMES or name.startswith("first_step_at_level."):
        return pa.int64()
    if name in _BOOL_OUTCOMES:
        return pa.bool_()
    if name in _STR_OUTCOMES:
        return pa.string()
    if name.startswith(("final_", "peak_", "initial_")) or name.endswith("_share"):
        return pa.float64()
    return None  # unknown to this module: inferred from the values


def _region_outcome_type(name: str) -> pa.DataType | None:
    if name == "steps":
        return pa.int64()
    if name.startswith(_REGION_FLOAT_PREFIXES):
        return pa.float64()
    if any(word in name.split("_") for word in _REGION_INT_WORDS):
        return pa.int64()
    return None  # unknown to this module: inferred from the values


def outcome_columns(kind: str = PARTNERSHIP) -> list[str]:
    """The outcome columns of runs.parquet for this kind of run.

    ``partnership``: ``sim.record.SUMMARY_KEYS`` (``first_step_at_level`` flattened); ``region``:
    ``sim.region.model.ECOSYSTEM_SUMMARY_KEYS``; in both, without ``params``, ``scenario`` and ``seed``.
    """
    _check_kind(kind)
    if kind == REGION:
        return [key for key in ECOSYSTEM_SUMMARY_KEYS if key not in NOT_OUTCOMES]
    columns = []
    for key in SUMMARY_KEYS:
        if key in NOT_OUTCOMES:
            continue
        if key == "first_step_at_level":
            columns.extend(f"{key}.{level}" for level in LEVELS)
        else:
            columns.append(key)
    return columns


def analysis_outcomes(columns: Iterable[str]) -> list[str]:
    """Outcome columns that vary between runs: not ``steps`` (the run length, the same for every run) nor a
    region's ``organizations`` (its size, a parameter)."""
    return [c for c in columns if c not in CONSTANT_OUTCOMES]


def runs_schema(knobs, kind: str = PARTNERSHIP) -> pa.Schema:
    """The declared schema of runs.parquet for these knobs and this kind of run (outcome types known to this module)."""
    fields = [pa.field(name, pa.int64()) for name in ID_COLUMNS]
    fields += [pa.field(k.key, KNOB_TYPES[k.kind]) for k in knobs]
    for name in outcome_columns(kind):
        tp = _outcome_type(name, kind)
        if tp is not None:
            fields.append(pa.field(name, tp))
    fields += [pa.field(name, pa.string()) for name in TAIL_COLUMNS]
    return pa.schema(fields)


def rows_to_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) -> a table with the declared schema's columns in order, plus any keys it does not know.

    A column whose values do not fit its declared type (e.g. a summary key that changed type) is
    inferred instead; consolidation unifies the types across parts.
    """
    names = list(schema.names)
    known = set(names)
    for row in rows:
        for key in row:
            if key not in known:
                known.add(key)
                names.insert(len(names) - len(TAIL_COLUMNS), key)
    arrays, fields = [], []
    for name in names:
        values = [row.get(name) for row in rows]
        declared = schema.field(name).type if name in schema.names else None
        array = None
        if declared is not None:
            try:
                array = pa.array(values, type=declared)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                array = None
        if array is None:
            array = pa.array(values)
        arrays.append(array)
        fields.append(pa.field(name, array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def count_failed(table: pa.Table) -> int:
    return int(pc.sum(pc.equal(table.column("status"), "failed")).as_py() or 0)


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def git_commit(directory: Path) -> tuple[str | None, bool | None]:
    """``git rev-parse HEAD`` of the checkout holding the package, and whether it has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None, None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=directory, capture_output=True,
                                text=True, timeout=30)
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
        return head.stdout.strip() or None, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def package_versions(extra: Iterable[str] = ()) -> dict[str, str | None]:
    from importlib import metadata

    import sim

    versions: dict[str, str | None] = {"partnersim": sim.__version__}
    for name in ("mesa", "numpy", "pandas", "pyarrow", "scipy", *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    import platform

    versions["python"] = platform.python_version()
    return versions


def write_atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class Store:
    """One sweep's results directory."""

    def __init__(self, out_dir: str | Path):
        self.dir = Path(out_dir)
        self.parts = self.dir / PARTS
        self._next_part = 0

    # ----------------------------------------------------------------- before running

    def read_manifest(self) -> dict | None:
        path = self.dir / MANIFEST
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def check(self, spec_hash: str, base_params: dict, resume: bool) -> dict | None:
        """Refuse a directory holding something else; returns the previous manifest when resuming. Creates nothing."""
        where = str(self.dir)
        if self.dir.exists() and not self.dir.is_dir():
            raise ScenarioError(where, "", "cannot write results: exists and is not a directory", "a directory path for --out")
        if not self.dir.exists() or not any(self.dir.iterdir()):
            return None
        manifest = self.read_manifest()
        if manifest is None:
            raise ScenarioError(where, "", "exists and is not empty, and holds no sweep (no readable manifest.json)",
                                "an empty or new directory for --out")
        previous = manifest.get("spec_hash")
        if previous != spec_hash:
            raise ScenarioError(where, "", f"holds a different sweep (spec hash {str(previous)[:12]}, this spec {spec_hash[:12]})",
                                "another --out, or the same spec with the same --replicates/--steps")
        if not resume:
            raise ScenarioError(where, "", f"already holds this sweep ({manifest.get('runs_done', 0)} of "
                                           f"{manifest.get('runs_total', '?')} runs); use --resume to finish it",
                                "--resume, or another --out")
        if manifest.get("base_params") not in (None, base_params):
            raise ScenarioError(where, "", "the scenario's parameters changed since this sweep started",
                                "the scenario as it was, or another --out")
        return manifest

    def _parts(self) -> dict[int, Path]:
        if not self.parts.is_dir():
            return {}
        return {int(m.group(1)): p for p in self.parts.iterdir() if (m := PART_RE.match(p.name))}

    def done(self) -> tuple[np.ndarray, int]:
        """The run ids already finished (in parts or runs.parquet) and how many of them failed. Reads only."""
        sources = [*self._parts().values()] + ([self.dir / RUNS] if (self.dir / RUNS).is_file() else [])
        if not sources:
            return np.zeros(0, dtype=np.int64), 0
        tables = [pq.read_table(p, columns=["run_id", "status"]) for p in sources]
        ids = np.concatenate([t.column("run_id").to_numpy().astype(np.int64) for t in tables])
        failed = np.concatenate([np.asarray(t.column("status").to_pylist(), dtype=object) == "failed" for t in tables])
        unique, first = np.unique(ids, return_index=True)
        return unique, int(failed[first].sum())

    def prepare(self) -> None:
        """Create the directories and drop leftovers of an interrupted write."""
        self.parts.mkdir(parents=True, exist_ok=True)
        parts = self._parts()
        for path in [*self.parts.iterdir(), *self.dir.iterdir()]:
            match = TS_RE.match(path.name)
            if path.name.endswith(".tmp") or (match and int(match.group(1)) not in parts):
                path.unlink()  # a temporary file, or a ts file without its part: that chunk did not finish
        self._next_part = max(parts, default=-1) + 1

    def write_manifest(self, manifest: dict) -> None:
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=_json_default) + "\n"
        write_atomic_bytes(self.dir / MANIFEST, text.encode("utf-8"))

    def write_design(self, table: pa.Table) -> None:
        write_table_atomic(table, self.dir / DESIGN)

    # ----------------------------------------------------------------- while running

    def write_part(self, runs: pa.Table, timeseries: pa.Table | None) -> None:
        number = self._next_part
        self._next_part += 1
        if timeseries is not None:
            write_table_atomic(timeseries, self.parts / f"ts-{number:06d}.parquet")
        write_table_atomic(runs, self.parts / f"part-{number:06d}.parquet")

    # ----------------------------------------------------------------- at the end

    def consolidate(self) -> dict[str, Any]:
        """Merge runs.parquet and the parts into runs.parquet (+ timeseries.parquet), one row per run id, sorted.

        Returns counts and the final columns. Parts are removed once both files are in place.
        """
        sources: list[tuple[Path, Path | None]] = []
        if (self.dir / RUNS).is_file():
            ts = self.dir / TIMESERIES
            sources.append((self.dir / RUNS, ts if ts.is_file() else None))
        if self.parts.is_dir():
            numbered = sorted((int(m.group(1)), p) for p in self.parts.iterdir() if (m := PART_RE.match(p.name)))
            for number, path in numbered:
                ts = self.parts / f"ts-{number:06d}.parquet"
                sources.append((path, ts if ts.is_file() else None))

        # One row per run id: the first source holding it wins.
        ids = [pq.read_table(path, columns=["run_id"]).column(0).to_numpy().astype(np.int64) for path, _ in sources]
        origin = np.concatenate([np.full(len(a), i, dtype=np.int64) for i, a in enumerate(ids)]) if ids else np.zeros(0, np.int64)
        flat = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        _, first = np.unique(flat, return_index=True)
        keep_flat = np.zeros(len(flat), dtype=bool)
        keep_flat[first] = True
        keeps, offset = [], 0
        for a in ids:
            keeps.append(keep_flat[offset:offset + len(a)])
            offset += len(a)
        kept_ids = [a[k] for a, k in zip(ids, keeps)]
        del flat, origin, keep_flat

        # One schema at a time: hundreds of parts' schemas held together would cost memory in their number.
        schema = pa.schema([])
        for path, _ in sources:
            schema = pa.unify_schemas([schema, pq.read_schema(path)], promote_options="permissive")
        schema = pa.schema([schema.field(n) for n in _column_order(schema.names)])
        order = _merge_order(kept_ids)

        runs_tmp = self.dir / (RUNS + ".tmp")
        failed = 0
        with pq.ParquetWriter(runs_tmp, schema) as writer:
            groups = RowGroups(writer, RUN_ROWS_PER_GROUP)
            for group in order:
                tables = []
                for i in group:
                    table = pq.read_table(sources[i][0])
                    if not keeps[i].all():
                        table = table.filter(pa.array(keeps[i]))
                    tables.append(_conform(table, schema))
                table = pa.concat_tables(tables).sort_by("run_id") if tables else schema.empty_table()
                failed += count_failed(table)
                groups.add(table)
            groups.close()

        ts_tmp = None
        if any(ts is not None for _, ts in sources):
            ts_tmp = self.dir / (TIMESERIES + ".tmp")
            with pq.ParquetWriter(ts_tmp, TIMESERIES_SCHEMA) as writer:
                groups = RowGroups(writer, TIMESERIES_ROWS_PER_GROUP)
                for group in order:
                    tables = []
                    for i in group:
                        ts_path = sources[i][1]
                        if ts_path is None:
                            continue
                        table = pq.read_table(ts_path)
                        mask = np.isin(table.column("run_id").to_numpy(), kept_ids[i])
                        if not mask.all():
                            table = table.filter(pa.array(mask))
                        tables.append(table.cast(TIMESERIES_SCHEMA))
                    if tables:
                        groups.add(pa.concat_tables(tables).sort_by([("run_id", "ascending"), ("step", "ascending")]))
                groups.close()
            os.replace(ts_tmp, self.dir / TIMESERIES)
        os.replace(runs_tmp, self.dir / RUNS)
        if self.parts.is_dir():
            shutil.rmtree(self.parts)
        rows = int(sum(len(k) for k in kept_ids))
        return {"runs_done": rows, "runs_failed": failed, "columns": list(schema.names), "timeseries": ts_tmp is not None}


# Rows per row group of the consolidated files: fixed, so that the files' bytes do not depend on how the
# runs were chunked (the worker count), and small enough that merging holds little at a time (a sweep
# parent merging 20,000 runs in row groups of 4,096 peaked 8 MB higher than one merging 2,000; in row
# groups of 1,024, under 1 MB).
RUN_ROWS_PER_GROUP = 1024
TIMESERIES_ROWS_PER_GROUP = 65536


class RowGroups:
    """Feeds tables to a ParquetWriter in row groups of exactly ``rows`` rows (the last may be shorter)."""

    def __init__(self, writer: pq.ParquetWriter, rows: int):
        self.writer, self.rows = writer, rows
        self.pending: list[pa.Table] = []
        self.count = 0

    def add(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.count += len(table)
        if self.count >= self.rows:
            merged = pa.concat_tables(self.pending)
            full = (self.count // self.rows) * self.rows
            self.writer.write_table(merged.slice(0, full), row_group_size=self.rows)
            rest = merged.slice(full)
            # A copy, so that the rows kept do not hold on to the buffers of everything written.
            self.pending = [rest.combine_chunks()] if len(rest) else []
            self.count = len(rest)

    def close(self) -> None:
        """Write the rows still pending (a file of no rows keeps just its schema)."""
        if self.count:
            self.writer.write_table(pa.concat_tables(self.pending), row_group_size=self.rows)
        self.pending, self.count = [], 0


def _column_order(names: list[str]) -> list[str]:
    head = [n for n in ID_COLUMNS if n in names]
    tail = [n for n in TAIL_COLUMNS if n in names]
    return head + [n for n in names if n not in head and n not in tail] + tail


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    arrays = []
    for field in schema:
        if field.name in table.column_names:
            arrays.append(table.column(field.name).cast(field.type))
        else:
            arrays.append(pa.nulls(len(table), field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _merge_order(kept_ids: list[np.ndarray]) -> list[list[int]]:
    """Groups of sources to write in order: sources whose run-id ranges overlap are merged in one group.

    A fresh sweep's chunks hold disjoint ranges, so each group is one part and the
    parent never holds more than one part in memory.
    """
    spans = sorted((int(a.min()), int(a.max()), i) for i, a in enumerate(kept_ids) if len(a))
    groups: list[list[int]] = []
    high = None
    for low, top, i in spans:
        if groups and high is not None and low <= high:
            groups[-1].append(i)
            high = max(high, top)
        else:
            groups.append([i])
            high = top
    return groups


def _json_default(value: Any):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (Path, _dt.date, _dt.datetime, _dt.time)):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
