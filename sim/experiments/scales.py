"""Two-scale studies: one policy question asked of single partnerships and of the partnerships of a region.

A spec with a ``[scales]`` table names a scenario for each scale and one set of levers for both::

    description = "Does a funder's mandate help, for one partnership and in a region?"
    root_seed = 20261216
    steps = 120

    [levers]
    "funding.mandated" = [false, true]

    [scales.partnership]            # single partnerships
    scenario = "baseline"
    replicates = 1000

    [scales.region]                 # regions of organizations; a region is one run
    scenario = "region"
    replicates = 40
    [scales.region.fixed]
    "ecosystem.calls" = 1

Each scale is an ordinary sweep (:class:`sim.experiments.spec.Spec`), validated as one, with the study's
levers, uncertainties, design, outputs and ``[fixed]`` plus its own ``scenario``, ``replicates``, ``steps``
and ``[fixed]``, and with every run's formation profile (:mod:`sim.profile`): who partnered, how
large the partnership was, who convened it. Its seeds are spawned from the study's ``root_seed`` (child 0 for
the partnership scale, 1 for the region). ``partnersim sweep`` writes::

    DIR/manifest.json        the study: its spec and hash, each scale's directory, spec hash and root seed
    DIR/partnership/         the single-partnership sweep (runs.parquet, manifest.json, ...)
    DIR/region/              the region sweep

and ``partnersim report DIR`` writes both scales' reports and the section "Two scales"
(:mod:`sim.experiments.two_scales`) that says whether the scales agree and, when they do not, shows the
candidate explanations measured from the runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import sim
from sim.errors import ScenarioError
from sim.experiments import store as store_mod
from sim.experiments.spec import SCALES, ScaledSpec
from sim.params import to_dict

KIND = "scales"  # the manifest's kind for a two-scale study's directory
SCALE_WORDS = {store_mod.PARTNERSHIP: "single partnerships", store_mod.REGION: "regions"}


# --------------------------------------------------------------------------- running

def run_scaled_sweep(spec: ScaledSpec, out_dir: str | Path | None = None, workers: int | None = None,
                     backend: str | None = None, scheduler: str | None = None, resume: bool = False,
                     progress: bool = True, allow_large: bool = False) -> Path:
    """Run both scales' sweeps into ``out_dir/partnership`` and ``out_dir/region``; returns ``out_dir``.

    Every check (sizes, what the directories hold) is made before anything is written. ``--resume`` finishes
    whichever scale is unfinished; an interrupt keeps every finished run (:class:`SweepInterrupted`).
    """
    from sim.experiments.design import check_size, planned_points
    from sim.experiments.execute import run_sweep

    out = Path(out_dir) if out_dir is not None else Path("results") / spec.name
    for _, scale in spec.scales:
        check_size(scale, allow_large)
    previous = _check_top(out, spec, resume)
    for name, scale in spec.scales:
        expected = store_mod.Expected(scale.hash, planned_points(scale) * scale.replicates, scale.replicates,
                                      scale.timeseries)
        store_mod.Store(out / name, expected).check(to_dict(scale.base), resume)
    started = time.monotonic()
    manifest = _manifest(spec, previous)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_manifest(out, manifest)
        for name, scale in spec.scales:
            run_sweep(scale, out / name, workers=workers, backend=backend, scheduler=scheduler, resume=resume,
                      progress=progress, allow_large=allow_large)
            done = store_mod.Store(out / name).read_manifest() or {}
            manifest["scales"][name].update(runs_done=done.get("runs_done", 0), runs_failed=done.get("runs_failed", 0),
                                            status=done.get("status"))
        manifest.update(status="complete", finished=store_mod.utc_now(),
                        runs_done=sum(s["runs_done"] for s in manifest["scales"].values()),
                        runs_failed=sum(s["runs_failed"] for s in manifest["scales"].values()),
                        elapsed_seconds=round(time.monotonic() - started, 3))
        _write_manifest(out, manifest)
    except OSError as error:
        raise store_mod.StudyError(f"{error.filename or out}: cannot write ({error.strerror or error}); the finished "
                                   "runs are kept: continue with --resume once fixed") from None
    return out


def _check_top(out: Path, spec: ScaledSpec, resume: bool) -> dict | None:
    """Refuse a directory holding something else (or this study, without --resume); the previous manifest."""
    where = str(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError(where, "", "cannot write results: exists and is not a directory", "a directory path for --out")
    if not out.exists() or not any(out.iterdir()):
        return None
    manifest = read_manifest(out)
    if manifest is None:
        raise ScenarioError(where, "", "exists and is not empty, and holds no two-scale study (no manifest.json of "
                            "kind scales)", "an empty or new directory for --out")
    if manifest.get("spec_hash") != spec.hash:
        raise ScenarioError(where, "", f"holds a different study (spec hash {str(manifest.get('spec_hash'))[:12]}, this "
                            f"spec {spec.hash[:12]})", "another --out, or the same spec with the same --replicates/--steps")
    if not resume:
        raise ScenarioError(where, "", f"already holds this study ({manifest.get('status', '?')}); use --resume to "
                            "finish it", "--resume, or another --out")
    return manifest


def read_manifest(directory: str | Path) -> dict | None:
    """A two-scale study's manifest, or None when ``directory`` holds none (or another kind of manifest)."""
    path = Path(directory) / store_mod.MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = store_mod.read_json_object(path)
    except store_mod.Damaged:
        return None
    return manifest if manifest.get("kind") == KIND else None


def is_scaled(directory: str | Path) -> bool:
    return read_manifest(directory) is not None


def _manifest(spec: ScaledSpec, previous: dict | None) -> dict:
    commit, dirty = store_mod.git_commit(Path(sim.__file__).resolve().parent.parent)
    now = store_mod.utc_now()
    scales = {}
    for name, scale in spec.scales:
        scales[name] = {"directory": name, "scenario": scale.scenario_name, "spec_hash": scale.hash,
                        "root_seed": scale.root_seed, "replicates": scale.replicates, "steps": scale.steps,
                        "runs_done": 0, "runs_failed": 0, "status": "pending"}
    return {
        "name": spec.name,
        "kind": KIND,
        "description": spec.description,
        "spec": spec.data,
        "spec_file": str(spec.path),
        "spec_hash": spec.hash,
        "overrides": spec.overrides,
        "root_seed": spec.root_seed,
        "levers": spec.levers,
        "compared": list(spec.compared),
        "scales": scales,
        "versions": store_mod.package_versions(),
        "git_commit": commit,
        "git_dirty": dirty,
        "started": previous.get("started", now) if previous else now,
        "finished": None,
        "status": "running",
        "runs_done": 0,
        "runs_failed": 0,
        "elapsed_seconds": None,
    }


def _write_manifest(out: Path, manifest: dict) -> None:
    store_mod.Store(out).write_manifest(manifest)


def final_line(out_dir: str | Path) -> str:
    """``N runs done, F failed in S s -> DIR`` for a two-scale study, with each scale's runs."""
    manifest = read_manifest(out_dir) or {}
    scales = manifest.get("scales") or {}
    parts = ", ".join(f"{s.get('runs_done', 0)} {SCALE_WORDS.get(name, name)}" for name, s in scales.items())
    return (f"{manifest.get('runs_done', 0)} runs done ({parts}), {manifest.get('runs_failed', 0)} failed "
            f"in {manifest.get('elapsed_seconds') or 0:.1f} s -> {out_dir}")


__all__ = ["KIND", "SCALES", "ScaledSpec", "final_line", "is_scaled", "read_manifest", "run_scaled_sweep"]
