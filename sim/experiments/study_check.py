"""What ``partnersim report`` reads, checked before anything is drawn.

A report trusts three things: that ``manifest.json`` has the shape ``partnersim sweep`` writes, that
``runs.parquet`` (and ``timeseries.parquet``) belong to that manifest's study (the spec hash every data
file carries), and that each outcome and knob column holds the type of values the sweep writes. Each
problem is one :class:`ReportError` line naming the file, what is wrong and what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments import store
from sim.experiments.report import ReportError

REBUILD = "run `partnersim sweep SPEC --out {dir} --resume` to rebuild it, or remove the directory"
REWRITE = "run `partnersim sweep SPEC --out {dir} --resume` to rewrite it"


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# key -> (what it must be, check); every key may also be null (absent in older manifests).
MANIFEST_SHAPE = {
    "name": ("a string", lambda v: isinstance(v, str)),
    "spec_hash": ("a string", lambda v: isinstance(v, str)),
    "spec": ("a table", lambda v: isinstance(v, dict)),
    "kind": (" or ".join(store.RUN_KINDS), lambda v: v in store.RUN_KINDS),
    "design": ("a method name", lambda v: isinstance(v, (str, dict))),
    "levers": ("a list of knob names", _strings),
    "uncertainties": ("a list of knob names", _strings),
    "knobs": ("a table of knobs", lambda v: isinstance(v, dict) and all(isinstance(k, dict) for k in v.values())),
    "fixed": ("a table", lambda v: isinstance(v, dict)),
    "outcome_columns": ("a list of column names", _strings),
    "outcomes": ("a list of column names", _strings),
    "problem": ("a table", lambda v: isinstance(v, dict)),
    "base_params": ("a table", lambda v: isinstance(v, dict)),
    "steps": ("a whole number", _whole),
    "replicates": ("a whole number", _whole),
    "design_points": ("a whole number", _whole),
    "runs_total": ("a whole number", _whole),
    "runs_done": ("a whole number", _whole),
    "runs_failed": ("a whole number", _whole),
    "timeseries": ("true or false", lambda v: isinstance(v, bool)),
    "every": ("a whole number", _whole),
    "timeseries_codes": ("a table", lambda v: isinstance(v, dict)),
    "status": ("a string", lambda v: isinstance(v, str)),
}


def check_study(results_dir: str | Path) -> None:
    """Raise :class:`ReportError` if the study's files do not belong together or are not what a sweep writes.

    A missing directory or ``runs.parquet`` is left to :func:`sim.experiments.report.load_study` to report.
    """
    directory = Path(results_dir)
    runs_path = directory / store.RUNS
    if not runs_path.is_file():
        return
    manifest_path = directory / store.MANIFEST
    manifest = _manifest(manifest_path, directory)
    schema = _schema(runs_path, directory)
    if manifest is not None:
        _check_same_study(runs_path, schema, manifest_path, manifest, directory)
        _check_columns(runs_path, schema, manifest, directory)
    series_path = directory / store.TIMESERIES
    if manifest is not None and series_path.is_file():
        _check_same_study(series_path, _schema(series_path, directory), manifest_path, manifest, directory)


def _manifest(path: Path, directory: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        manifest = store.read_json_object(path)
    except store.Damaged as damage:
        raise ReportError(f"{path}: damaged ({damage}); {REWRITE.format(dir=directory)}") from None
    for key, (what, ok) in MANIFEST_SHAPE.items():
        value = manifest.get(key)
        if value is not None and not ok(value):
            raise ReportError(f"{path}: {key}: expected {what}, got {_short(value)}; {REWRITE.format(dir=directory)}")
    return manifest


def _schema(path: Path, directory: Path) -> pa.Schema:
    try:
        return pq.read_schema(path)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise ReportError(f"{path}: cannot read ({store.one_line_reason(error)}); {REBUILD.format(dir=directory)}") from None


def _check_same_study(path: Path, schema: pa.Schema, manifest_path: Path, manifest: dict, directory: Path) -> None:
    """The file's spec hash (written into every data file) must be the manifest's; files written before the
    hash was recorded must at least have the manifest's knob columns."""
    expected = manifest.get("spec_hash")
    found = (schema.metadata or {}).get(store.SPEC_HASH_KEY)
    if found is not None and expected is not None and found.decode("ascii", "replace") != expected:
        raise ReportError(f"{path}: belongs to another study (spec hash {found.decode('ascii', 'replace')[:12]}) than "
                          f"{manifest_path} (spec hash {expected[:12]}); put the study's own files together, or "
                          f"{REBUILD.format(dir=directory)}")
    if found is None and path.name == store.RUNS:
        missing = [k for k in manifest.get("knobs") or {} if k not in schema.names]
        if missing:
            raise ReportError(f"{path}: no column {missing[0]}, a knob of {manifest_path}: the files are of different "
                              f"studies; put the study's own files together, or {REBUILD.format(dir=directory)}")


def _check_columns(path: Path, schema: pa.Schema, manifest: dict, directory: Path) -> None:
    """Every outcome and knob column holds the type of values a sweep writes (nulls only is fine)."""
    kind = manifest.get("kind") if manifest.get("kind") in store.RUN_KINDS else store.PARTNERSHIP
    expected = {field.name: field.type for field in store.runs_schema((), kind)}
    for key, knob in (manifest.get("knobs") or {}).items():
        if knob.get("type") in store.KNOB_TYPES:
            expected[key] = store.KNOB_TYPES[knob["type"]]
    for field in schema:
        want = expected.get(field.name)
        if want is not None and not _compatible(field.type, want):
            raise ReportError(f"{path}: column {field.name} holds {field.type} values where a sweep writes {want}; "
                              f"{REBUILD.format(dir=directory)}")


def _compatible(found: pa.DataType, want: pa.DataType) -> bool:
    if pa.types.is_null(found):
        return True
    if pa.types.is_integer(want) or pa.types.is_floating(want):
        return pa.types.is_integer(found) or pa.types.is_floating(found)
    if pa.types.is_boolean(want):
        return pa.types.is_boolean(found)
    if pa.types.is_string(want):
        return pa.types.is_string(found) or pa.types.is_large_string(found) or pa.types.is_dictionary(found)
    return True


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 40 else text[:37] + "..."
