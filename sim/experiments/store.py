"""The results directory of a sweep: streamed part files, consolidation and the manifest.

Layout of ``DIR`` (format reference: experiments/README.md)::

    manifest.json          the spec, its hash, seeds, versions, times, counts
    sweep.lock             the lock of the one process writing DIR (holds its process id)
    design.parquet         sampling designs only: the sampler's matrix (design_point + one column per knob)
    runs.parquet           one row per run, sorted by run_id; its outcome columns depend on the kind of run
                           (``partnership``: sim.record.SUMMARY_KEYS; ``region``: sim.region.model.ECOSYSTEM_SUMMARY_KEYS),
                           then ``formation.*`` when the spec asks (sim.profile)
    timeseries.parquet     when asked: run_id, step, metric, value (long format)
    parts/                 while running: part-NNNNNN.parquet (+ ts-NNNNNN.parquet), one per finished chunk
    quarantine/            data files found damaged or foreign, kept for inspection; their runs were run again

One process writes DIR at a time: it holds an exclusive ``flock`` on ``sweep.lock``
for the sweep's life, and the kernel releases it however the process ends. Every
data file carries its study's spec hash in its schema metadata. A chunk's ``ts-``
file is written before its ``part-`` file, each to a temporary name, flushed to
the disk and renamed into place, so a ``part-`` file marks a finished chunk;
``--resume`` first moves every data file that is unreadable, another study's or
holds run ids outside the design to ``quarantine/``, then runs exactly the run
ids found in no remaining file. Consolidation merges ``runs.parquet`` and the
parts, keeps one row per run id, sorts by run id and removes ``parts/``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import subprocess
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock (one writer per directory is then up to the user)
    fcntl = None  # type: ignore[assignment]

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim import atomic
from sim.region.model import ECOSYSTEM_SUMMARY_KEYS
from sim.profile import FORMATION_COLUMNS
from sim.errors import ScenarioError
from sim.params import LEVELS, Params
from sim.record import SUMMARY_KEYS, SUMMARY_TYPES

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
TIMESERIES = "timeseries.parquet"
DESIGN = "design.parquet"
PARTS = "parts"
LOCK = "sweep.lock"
QUARANTINE = "quarantine"
SPEC_HASH_KEY = b"partnersim.spec_hash"  # in the schema metadata of every data file: which study wrote it
PART_RE = re.compile(r"^part-(\d+)\.parquet$")
TS_RE = re.compile(r"^ts-(\d+)\.parquet$")

ID_COLUMNS = ("run_id", "design_point", "replicate", "seed")
TAIL_COLUMNS = ("status", "error", "scenario")
# Summary keys that are not outcome columns: the parameters (in the manifest), the scenario (its own
# column) and the seed (the run's seed column).
NOT_OUTCOMES = ("params", "scenario", "seed")
KNOB_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
OUTCOME_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
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
    if name in FORMATION_COLUMNS:
        return pa.float64()
    if kind == REGION:
        return _region_outcome_type(name)
    declared = SUMMARY_TYPES.get(name.split(".")[0])  # first_step_at_level.LEVEL: a month
    return OUTCOME_TYPES[declared] if declared else None  # undeclared: inferred from the values


def _region_outcome_type(name: str) -> pa.DataType | None:
    if name == "steps":
        return pa.int64()
    if name.startswith(_REGION_FLOAT_PREFIXES):
        return pa.float64()
    if any(word in name.split("_") for word in _REGION_INT_WORDS):
        return pa.int64()
    return None  # unknown to this module: inferred from the values


def outcome_columns(kind: str = PARTNERSHIP, formation: bool = False) -> list[str]:
    """The outcome columns of runs.parquet for this kind of run.

    ``partnership``: ``sim.record.SUMMARY_KEYS`` (``first_step_at_level`` flattened); ``region``:
    ``sim.region.model.ECOSYSTEM_SUMMARY_KEYS``; in both, without ``params``, ``scenario`` and ``seed``; with
    ``formation``, then the formation profile's columns (``sim.profile.FORMATION_COLUMNS``).
    """
    _check_kind(kind)
    extra = list(FORMATION_COLUMNS) if formation else []
    if kind == REGION:
        return [key for key in ECOSYSTEM_SUMMARY_KEYS if key not in NOT_OUTCOMES] + extra
    columns = []
    for key in SUMMARY_KEYS:
        if key in NOT_OUTCOMES:
            continue
        if key == "first_step_at_level":
            columns.extend(f"{key}.{level}" for level in LEVELS)
        else:
            columns.append(key)
    return columns + extra


def analysis_outcomes(columns: Iterable[str]) -> list[str]:
    """Outcome columns that vary between runs: not ``steps`` (the run length, the same for every run) nor a
    region's ``organizations`` (its size, a parameter)."""
    return [c for c in columns if c not in CONSTANT_OUTCOMES]


def runs_schema(knobs, kind: str = PARTNERSHIP, formation: bool = False) -> pa.Schema:
    """The declared schema of runs.parquet for these knobs and this kind of run (outcome types known to this module),
    with the formation profile's columns when asked."""
    fields = [pa.field(name, pa.int64()) for name in ID_COLUMNS]
    fields += [pa.field(k.key, KNOB_TYPES[k.kind]) for k in knobs]
    for name in outcome_columns(kind, formation):
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
    atomic.write_bytes(path, data)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    atomic.write_with(path, lambda handle: pq.write_table(table, handle))


class StudyError(Exception):
    """A results directory that cannot be used as it is (damaged, in use, or a write failed): one line naming
    the file and what to do."""


class StudyLocked(StudyError):
    """Another process is writing this results directory."""


class Damaged(Exception):
    """A data file that does not hold what this study wrote; the message says what is wrong with it."""


@dataclass(frozen=True)
class Expected:
    """What every data file of a study must hold: its spec's hash, and run ids of its design."""

    spec_hash: str
    total: int
    replicates: int
    timeseries: bool


@dataclass
class Scan:
    """The runs a directory already holds (after moving damaged files to quarantine/)."""

    done: np.ndarray
    failed: int
    quarantined: list[str]


REMOVE_HINT = "remove the directory (or move it away) and run the sweep again"


class Store:
    """One sweep's results directory.

    ``expected`` (the study's spec hash and design size) is needed for everything but reading the manifest.
    Only the holder of the directory's lock (:meth:`locked`) writes to it.
    """

    def __init__(self, out_dir: str | Path, expected: Expected | None = None):
        self.dir = Path(out_dir)
        self.parts = self.dir / PARTS
        self.expected = expected
        self._next_part = 0
        self._lock_fd: int | None = None

    # ----------------------------------------------------------------- before running

    def read_manifest(self) -> dict | None:
        """The manifest, or None if it is missing or unreadable (see :meth:`check` for a damaged one)."""
        try:
            return self._manifest()
        except StudyError:
            return None

    def _manifest(self) -> dict | None:
        path = self.dir / MANIFEST
        if not path.is_file():
            return None
        try:
            manifest = read_json_object(path)
        except Damaged as damage:
            raise StudyError(f"{path}: damaged ({damage}); {REMOVE_HINT}") from None
        if not isinstance(manifest.get("spec_hash"), str):
            raise StudyError(f"{path}: damaged (not a sweep manifest: no spec_hash); {REMOVE_HINT}")
        return manifest

    def check(self, base_params: dict, resume: bool) -> dict | None:
        """Refuse a directory holding something else, or in use; returns the previous manifest when resuming.

        Creates nothing. Raises :class:`ScenarioError` (the wrong directory) or :class:`StudyError` (damaged, in use).
        """
        where = str(self.dir)
        spec_hash = self._expected().spec_hash
        if self.dir.exists() and not self.dir.is_dir():
            raise ScenarioError(where, "", "cannot write results: exists and is not a directory", "a directory path for --out")
        self._refuse_if_locked()
        if not self.dir.exists() or self._holds_no_sweep_yet():
            return None
        manifest = self._manifest()
        if manifest is None:
            raise ScenarioError(where, "", "exists and is not empty, and holds no sweep (no manifest.json)",
                                "an empty or new directory for --out")
        previous = manifest["spec_hash"]
        if previous != spec_hash:
            raise ScenarioError(where, "", f"holds a different sweep (spec hash {previous[:12]}, this spec {spec_hash[:12]})",
                                "another --out, or the same spec with the same --replicates/--steps")
        if not resume:
            raise ScenarioError(where, "", f"already holds this sweep ({manifest.get('runs_done', 0)} of "
                                           f"{manifest.get('runs_total', '?')} runs); use --resume to finish it",
                                "--resume, or another --out")
        if manifest.get("base_params") not in (None, base_params):
            raise ScenarioError(where, "", "the scenario's parameters changed since this sweep started",
                                "the scenario as it was, or another --out")
        return manifest

    def _expected(self) -> Expected:
        if self.expected is None:
            raise ValueError("this Store was made without the study it expects (Store(out_dir, Expected(...)))")
        return self.expected

    def _holds_no_sweep_yet(self) -> bool:
        """Nothing but what a sweep that stopped before writing its manifest leaves: the lock, temporary files."""
        for path in self.dir.iterdir():
            if path.name == LOCK or path.name.endswith(atomic.TMP_SUFFIX):
                continue
            if path.name == PARTS and path.is_dir() and all(p.name.endswith(atomic.TMP_SUFFIX) for p in path.iterdir()):
                continue
            return False
        return True

    # ----------------------------------------------------------------- the lock

    def _refuse_if_locked(self) -> None:
        path = self.dir / LOCK
        if fcntl is None or self._lock_fd is not None or not path.is_file():
            return  # (a second flock by this process, on another open file, would fail against its own lock)
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self._try_lock(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _try_lock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            holder = f"process {text}" if text.isdigit() else "a process that has not written its id yet"
            raise StudyLocked(f"{self.dir}: in use by another sweep ({holder}); wait for it to finish or stop it, "
                              "then continue with --resume") from None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's exclusive lock (creating the directory) for the block.

        The lock is the kernel's (``flock``): it goes when the process does, however it ends. The lock file
        stays, holding the last holder's process id. A directory created here is removed again if the block
        fails before anything but the lock was written.
        """
        created = atomic.first_missing(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            self._lock_fd = self._lock()
            yield
        except BaseException:
            if created is not None and self._holds_no_sweep_yet():
                self._remove_scaffolding(created)
            raise
        finally:
            if self._lock_fd is not None:
                if fcntl is not None:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
                self._lock_fd = None

    def _lock(self) -> int:
        path = self.dir / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            if fcntl is not None:
                self._try_lock(fd)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _remove_scaffolding(self, created: Path) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.dir != created:
            atomic.remove_empty_dirs(self.dir.parent, created)

    # ----------------------------------------------------------------- what is done

    def _sources(self) -> list[tuple[Path, Path | None]]:
        """runs.parquet (with timeseries.parquet), then every part (with its ts file), in the order they win."""
        sources: list[tuple[Path, Path | None]] = []
        if (self.dir / RUNS).is_file():
            ts = self.dir / TIMESERIES
            sources.append((self.dir / RUNS, ts if ts.is_file() else None))
        for number, path in sorted(self._parts().items()):
            ts = self.parts / f"ts-{number:06d}.parquet"
            sources.append((path, ts if ts.is_file() else None))
        return sources

    def _parts(self) -> dict[int, Path]:
        if not self.parts.is_dir():
            return {}
        return {int(m.group(1)): p for p in self.parts.iterdir() if (m := PART_RE.match(p.name))}

    def scan(self) -> Scan:
        """The run ids already finished and how many of them failed, after moving every data file that does not
        hold this study's runs (unreadable, truncated, another study's, run ids outside the design) to
        ``quarantine/``, so that its runs are run again. Returns one line per file moved."""
        ids, failed, notes = [], [], []
        for data, series in self._sources():
            try:
                table = self._checked(data, series)
            except Damaged as damage:
                notes.append(f"{data}: {damage}; moved to {self._quarantine(data, series)}, its runs will be run again")
                continue
            ids.append(table.column("run_id").to_numpy().astype(np.int64))
            failed.append(np.asarray(table.column("status").to_pylist(), dtype=object) == "failed")
        if not ids:
            return Scan(np.zeros(0, dtype=np.int64), 0, notes)
        unique, first = np.unique(np.concatenate(ids), return_index=True)
        return Scan(unique, int(np.concatenate(failed)[first].sum()), notes)

    def saved(self) -> int:
        """How many distinct runs the data files hold now (those that cannot be read are not counted)."""
        ids = []
        for data, _ in self._sources():
            try:
                ids.append(_read(data, ["run_id"]).column(0).to_numpy())
            except Damaged:
                continue
        return len(np.unique(np.concatenate(ids))) if ids else 0

    def done(self) -> tuple[np.ndarray, int]:
        """The run ids already finished and how many of them failed (see :meth:`scan`)."""
        scan = self.scan()
        return scan.done, scan.failed

    def _checked(self, data: Path, series: Path | None) -> pa.Table:
        """The id columns of a data file that holds this study's runs; raises :class:`Damaged` otherwise."""
        expected = self._expected()
        whole = data.parent == self.parts  # parts are small: every page is decoded; runs.parquet: its ids
        table = _read(data, None if whole else ["run_id", "design_point", "replicate", "status"])
        self._check_hash(table.schema)
        ids = _check_ids(table, expected)
        if expected.timeseries:
            if series is None:
                raise Damaged(f"its time series ({_series_name(data)}) is missing")
            if whole:
                ts = _read(series, None)
                self._check_hash(ts.schema, series)
                ok = ids[np.asarray(table.column("status").to_pylist(), dtype=object) == "ok"]
                if not np.array_equal(np.unique(ts.column("run_id").to_numpy()), np.unique(ok)):
                    raise Damaged(f"its time series ({series.name}) holds other runs than it")
            else:
                self._check_hash(_read_schema(series), series)
        return table

    def _check_hash(self, schema: pa.Schema, path: Path | None = None) -> None:
        found = (schema.metadata or {}).get(SPEC_HASH_KEY)
        which = f"its time series ({path.name}) " if path is not None else ""
        if found is None:
            raise Damaged(f"{which}does not carry a spec hash (written by another program or an older partnersim)")
        if found.decode("ascii", "replace") != self._expected().spec_hash:
            raise Damaged(f"{which}belongs to another study (spec hash {found.decode('ascii', 'replace')[:12]})")

    def _quarantine(self, *paths: Path | None) -> Path:
        """Move files to ``quarantine/`` (never over an earlier one); returns the folder."""
        folder = self.dir / QUARANTINE
        folder.mkdir(exist_ok=True)
        for path in paths:
            if path is None or not path.exists():
                continue
            target, n = folder / path.name, 0
            while target.exists():
                n += 1
                target = folder / f"{path.name}.{n}"
            os.replace(path, target)
        atomic.fsync_dir(folder)
        atomic.fsync_dir(self.dir)
        return folder

    def prepare(self) -> None:
        """Create the directories and drop leftovers of an interrupted write (only the lock's holder may)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        parts = self._parts()
        for path in [*self.parts.iterdir(), *self.dir.iterdir()]:
            match = TS_RE.match(path.name)
            if path.name.endswith(atomic.TMP_SUFFIX) or (match and int(match.group(1)) not in parts):
                path.unlink()  # a temporary file, or a ts file without its part: that chunk did not finish
        self._next_part = max(parts, default=-1) + 1

    def write_manifest(self, manifest: dict) -> None:
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=_json_default) + "\n"
        write_atomic_bytes(self.dir / MANIFEST, text.encode("utf-8"))

    def write_design(self, table: pa.Table) -> None:
        write_table_atomic(table, self.dir / DESIGN)

    def _metadata(self) -> dict[bytes, bytes]:
        return {SPEC_HASH_KEY: self._expected().spec_hash.encode("ascii")}

    # ----------------------------------------------------------------- while running

    def write_part(self, runs: pa.Table, timeseries: pa.Table | None) -> None:
        """Publish one finished chunk: its ts file first, so that a part file always has its time series."""
        number = self._next_part
        self._next_part += 1
        if timeseries is not None:
            write_table_atomic(timeseries.replace_schema_metadata(self._metadata()), self.parts / f"ts-{number:06d}.parquet")
        write_table_atomic(runs.replace_schema_metadata(self._metadata()), self.parts / f"part-{number:06d}.parquet")

    # ----------------------------------------------------------------- at the end

    def consolidate(self) -> dict[str, Any]:
        """Merge runs.parquet and the parts into runs.parquet (+ timeseries.parquet), one row per run id, sorted.

        Every source is read once, in run-id order (their ranges come from the files' footers), and every run id
        is checked against the design. Both files are flushed to the disk before they replace the old ones, and
        the parts are removed only then. A source that cannot be read is moved to ``quarantine/`` and
        :class:`StudyError` says to resume; on any failure (a full disk, an interrupt) the temporary files go and
        the directory is as it was. Returns counts and the final columns.
        """
        sources = self._sources()
        if len(sources) == 1 and sources[0][0].name == RUNS:
            return self._counts_of_merged(sources[0][0])  # nothing to merge (a finished sweep resumed)
        footers = [self._footer(data) for data, _ in sources]
        spans = [self._span(data, footer) for (data, _), footer in zip(sources, footers)]
        schema = pa.schema([])
        for footer in footers:  # one at a time: hundreds of schemas held together would cost memory
            schema = pa.unify_schemas([schema, footer.schema.to_arrow_schema()], promote_options="permissive")
        schema = pa.schema([schema.field(n) for n in _column_order(schema.names)], metadata=self._metadata())
        order = _merge_order(spans)
        with_series = any(series is not None for _, series in sources)
        temporaries = [self.dir / (RUNS + atomic.TMP_SUFFIX)] + ([self.dir / (TIMESERIES + atomic.TMP_SUFFIX)] if with_series else [])
        try:
            rows, failed = self._merge(sources, order, schema, temporaries)
            if with_series:
                atomic.publish(temporaries[1], self.dir / TIMESERIES)
            atomic.publish(temporaries[0], self.dir / RUNS)
        except BaseException as error:
            for path in temporaries:
                atomic.remove_quietly(path)
            if isinstance(error, OSError) and error.filename is None:
                error.filename = str(self.dir / RUNS)
            raise
        if self.parts.is_dir():
            shutil.rmtree(self.parts)
            atomic.fsync_dir(self.dir)
        return {"runs_done": rows, "runs_failed": failed, "columns": list(schema.names), "timeseries": with_series}

    def _footer(self, data: Path) -> pq.FileMetaData:
        try:
            return pq.ParquetFile(data).metadata
        except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            raise self._damaged_at_merge(data, Damaged(f"unreadable ({one_line_reason(error)})")) from None

    def _span(self, data: Path, footer: pq.FileMetaData) -> tuple[int, int] | None:
        try:
            return _span(footer)
        except Damaged as damage:
            raise self._damaged_at_merge(data, damage) from None

    def _damaged_at_merge(self, data: Path, damage: Damaged) -> StudyError:
        series = self.parts / _series_name(data) if data.parent == self.parts else self.dir / TIMESERIES
        folder = self._quarantine(data, series)
        return StudyError(f"{data}: {damage}; moved to {folder}; continue with --resume to run its runs again")

    def _merge(self, sources, order, schema: pa.Schema, temporaries: list[Path]) -> tuple[int, int]:
        expected = self._expected()
        rows = failed = 0
        ts_schema = TIMESERIES_SCHEMA.with_metadata(self._metadata())
        with ExitStack() as stack:
            runs_file = stack.enter_context(open(temporaries[0], "wb"))
            runs_groups = RowGroups(stack.enter_context(pq.ParquetWriter(runs_file, schema)), RUN_ROWS_PER_GROUP)
            ts_file = ts_groups = None
            if len(temporaries) > 1:
                ts_file = stack.enter_context(open(temporaries[1], "wb"))
                ts_groups = RowGroups(stack.enter_context(pq.ParquetWriter(ts_file, ts_schema)), TIMESERIES_ROWS_PER_GROUP)
            for group in order:
                tables, series = [], []
                for i in group:
                    data, ts_path = sources[i]
                    try:
                        table = _read(data, None)
                        _check_ids(table, expected)
                        ts = _read(ts_path, None) if ts_path is not None and ts_groups is not None else None
                    except Damaged as damage:
                        raise self._damaged_at_merge(data, damage) from None
                    tables.append(table)
                    series.append(ts)
                runs, kept = _first_of_each_run(tables, schema)
                failed += count_failed(runs)
                rows += len(runs)
                runs_groups.add(runs)
                if ts_groups is not None:
                    kept_series = [ts.filter(pa.array(np.isin(ts.column("run_id").to_numpy(), ids))).cast(TIMESERIES_SCHEMA)
                                   for ts, ids in zip(series, kept) if ts is not None]
                    if kept_series:
                        ts_groups.add(pa.concat_tables(kept_series).sort_by([("run_id", "ascending"), ("step", "ascending")]))
            runs_groups.close()
            if ts_groups is not None:
                ts_groups.close()
            stack.close()  # the writers finish their footers before the files are flushed
            for path in temporaries:
                _fsync_file(path)
        return rows, failed

    def _counts_of_merged(self, runs_path: Path) -> dict[str, Any]:
        table = _read(runs_path, ["status"])
        return {"runs_done": len(table), "runs_failed": count_failed(table), "columns": list(_read_schema(runs_path).names),
                "timeseries": (self.dir / TIMESERIES).is_file()}


def _series_name(data: Path) -> str:
    match = PART_RE.match(data.name)
    return f"ts-{match.group(1)}.parquet" if match else TIMESERIES


def one_line_reason(error: BaseException) -> str:
    """An exception as ``Type: message`` on one line, cut at 200 characters."""
    return " ".join(f"{type(error).__name__}: {error}".split())[:200]


def read_json_object(path: Path) -> dict:
    """A JSON file holding an object (a manifest); raises :class:`Damaged` saying why it is not one."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Damaged(one_line_reason(error)) from None
    if not isinstance(value, dict):
        raise Damaged(f"expected a JSON object, got {type(value).__name__}")
    return value


def _read(path: Path, columns: list[str] | None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise Damaged(f"unreadable ({one_line_reason(error)})") from None


def _read_schema(path: Path) -> pa.Schema:
    try:
        return pq.read_schema(path)
    except Exception as error:  # noqa: BLE001
        raise Damaged(f"unreadable ({one_line_reason(error)})") from None


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_ids(table: pa.Table, expected: Expected) -> np.ndarray:
    """The run ids of a data file, checked against the design; raises :class:`Damaged`."""
    for name in ("run_id", "design_point", "replicate", "status"):
        if name not in table.column_names:
            raise Damaged(f"no column {name}")
    for name in ("run_id", "design_point", "replicate"):
        column = table.column(name)
        if not pa.types.is_integer(column.type) or column.null_count:
            raise Damaged(f"column {name} is not whole numbers")
    ids = table.column("run_id").to_numpy().astype(np.int64)
    outside = ids[(ids < 0) | (ids >= expected.total)]
    if len(outside):
        raise Damaged(f"run id {int(outside[0])} is outside this study's design (run ids 0 to {expected.total - 1})")
    if len(np.unique(ids)) != len(ids):
        raise Damaged("holds a run id twice")
    points = table.column("design_point").to_numpy().astype(np.int64)
    replicates = table.column("replicate").to_numpy().astype(np.int64)
    wrong = (points != ids // expected.replicates) | (replicates != ids % expected.replicates)
    if wrong.any():
        raise Damaged(f"run id {int(ids[wrong][0])} has the design point or replicate of another design")
    return ids


def _span(footer: pq.FileMetaData) -> tuple[int, int] | None:
    """The lowest and highest run id of a file, from its footer's statistics (None: no rows)."""
    if footer.num_rows == 0:
        return None
    column = footer.schema.to_arrow_schema().get_field_index("run_id")
    if column < 0:
        raise Damaged("no column run_id")
    lows, highs = [], []
    for i in range(footer.num_row_groups):
        stats = footer.row_group(i).column(column).statistics
        if stats is None or not stats.has_min_max:
            return (0, np.iinfo(np.int64).max)  # unknown: merged with everything it might overlap
        lows.append(stats.min)
        highs.append(stats.max)
    return (int(min(lows)), int(max(highs)))


def _first_of_each_run(tables: list[pa.Table], schema: pa.Schema) -> tuple[pa.Table, list[np.ndarray]]:
    """One row per run id from tables in the order they win (the first holding a run id keeps it), sorted by
    run id; and the run ids each table kept."""
    ids = [t.column("run_id").to_numpy().astype(np.int64) for t in tables]
    if not ids:
        return schema.empty_table(), []
    _, first = np.unique(np.concatenate(ids), return_index=True)
    keep = np.zeros(sum(len(a) for a in ids), dtype=bool)
    keep[first] = True
    kept_tables, kept_ids, offset = [], [], 0
    for table, a in zip(tables, ids):
        mask = keep[offset:offset + len(a)]
        offset += len(a)
        kept_tables.append(_conform(table if mask.all() else table.filter(pa.array(mask)), schema))
        kept_ids.append(a[mask])
    return pa.concat_tables(kept_tables).sort_by("run_id"), kept_ids


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


def _merge_order(spans: list[tuple[int, int] | None]) -> list[list[int]]:
    """Groups of sources to write in order: sources whose run-id ranges overlap are merged in one group.

    A fresh sweep's chunks hold disjoint ranges, so each group is one part and the
    parent never holds more than one part in memory. Sources without rows are left out.
    """
    ordered = sorted((low, top, i) for i, span in enumerate(spans) if span is not None for low, top in [span])
    groups: list[list[int]] = []
    high = None
    for low, top, i in ordered:
        if groups and high is not None and low <= high:
            groups[-1].append(i)
            high = max(high, top)
        else:
            groups.append([i])
            high = top
    return [sorted(group) for group in groups]  # within a group, the order in which sources win


def _json_default(value: Any):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (Path, _dt.date, _dt.datetime, _dt.time)):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
