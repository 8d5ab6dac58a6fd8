"""The benchmarks. Each takes the settings and returns a list of :class:`Figure` (and may add notes)."""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.common import MB, Figure, fmt_bytes, fmt_seconds, params_for, run_child, time_repeats
from benchmarks.fresh import bench_coldstart, bench_compare

TYPICAL_COUNT, TYPICAL_STEPS = 30, 120


@dataclass
class Settings:
    quick: bool = False
    sweep_runs: int = 2000
    sweep_count: int = TYPICAL_COUNT
    sweep_steps: int = TYPICAL_STEPS
    memory_runs: tuple[int, int] = (2000, 20000)
    compare_with: Path | None = None  # the checkout to measure side by side (`compare`); None: not run
    compare_reason: str = ""          # why not, when compare_with is None
    notes: list[str] = field(default_factory=list)       # printed and written under the table
    profile_md: list[str] = field(default_factory=list)  # the profile section, markdown lines
    shared: dict = field(default_factory=dict)           # figures one benchmark leaves for another


def typical_run(count: int | None, seed: int, steps: int = TYPICAL_STEPS):
    """``sim.run`` of the baseline scenario for ``steps`` months (count None: the baseline's 12 organizations)."""
    import sim

    overrides = {"organizations.count": count} if count is not None else None
    return sim.run("baseline", seed=seed, steps=steps, overrides=overrides)


# --------------------------------------------------------------------------- step

def bench_step(s: Settings) -> list[Figure]:
    """Milliseconds per month of one partnership: ``PartnershipModel.step()`` (one call into the compiled code: the
    month and its record row) against the same months taken by ``finish()`` (one call for all of them)."""
    from sim.model import PartnershipModel

    figures = []
    # count, months per model, models (each stepped once and finished once, from the same seed)
    plan = [(12, TYPICAL_STEPS, 20), (30, TYPICAL_STEPS, 20), (1000, 24, 2)]
    if s.quick:
        plan = [(12, TYPICAL_STEPS, 3), (30, TYPICAL_STEPS, 3), (1000, 6, 1)]
    for count, months, models in plan:
        params, capped = params_for(count, steps=months)
        warm = PartnershipModel(params, rng=10_000)  # loads the compiled kernels of both paths
        warm.step()
        warm.finish()
        stepped, finished, same = [], [], True
        for seed in range(models):
            model = PartnershipModel(params, rng=seed)
            start = time.perf_counter()
            while model.running:
                model.step()
            stepped.append((time.perf_counter() - start) / months)
            other = PartnershipModel(params, rng=seed)
            start = time.perf_counter()
            other.finish()
            finished.append((time.perf_counter() - start) / months)
            same = same and np.array_equal(model.recorder.records, other.recorder.records)
        step_ms, finish_ms = statistics.median(stepped) * 1e3, statistics.median(finished) * 1e3
        s.shared[f"step_ms_{count}"], s.shared[f"finish_ms_{count}"] = step_ms, finish_ms
        span = f"months 1-{months}" + (" of a 120-month run" if months < TYPICAL_STEPS else "")
        how = (f"baseline with {count:,} organizations{' (above the cap, validation bypassed)' if capped else ''}; "
               f"{span}; median over {models} model{'s' if models != 1 else ''} (seeds 0-{models - 1}) of the "
               f"mean per month, after a warm-up model")
        figures.append(Figure("step", f"time per month, {count:,} organizations, `PartnershipModel.step()`",
                              fmt_seconds(step_ms / 1e3), "", None,
                              how + f" (min {fmt_seconds(min(stepped))}); one compiled call per month: the month and its "
                              "record row", step_ms))
        figures.append(Figure(
            "step", f"time per month, {count:,} organizations, share of `finish()`", fmt_seconds(finish_ms / 1e3), "", None,
            how + f" (min {fmt_seconds(min(finished))}); one compiled call for all the months; the same records as "
            f"stepping: {'yes' if same else 'NO'}; "
            f"step() costs {(step_ms - finish_ms) * 1e3:.0f} us a month more: Mesa's step wrapper and the call from "
            "Python into the compiled code (unboxing the arrays, the packed parameters and the generator)", finish_ms))
    return figures


# --------------------------------------------------------------------------- regions

REGION_COUNT = 10_000
# The `region` scenario's funder funds 10 partnerships a call among 2,000 organizations; scaled to the region's size.
REGION_GRANTS_PER_1000 = 5


def region_params(count: int):
    from sim.run import resolve

    grants = max(1, count * REGION_GRANTS_PER_1000 // 1000)
    _, params = resolve("region", overrides={"ecosystem.organizations": count, "ecosystem.grants_per_call": grants})
    return params


def region_months(count: int, layout: str | None = None, seed: int = 20261123):
    """Step a region of ``count`` organizations through its 120 months; (model, seconds per month)."""
    from sim.region.model import EcosystemModel

    model = EcosystemModel(region_params(count), rng=seed, layout=layout)
    times = []
    while model.running:
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return model, times


def bench_region(s: Settings) -> list[Figure]:
    from sim.region.model import EcosystemModel

    figures = []
    region_months(300)  # warm-up: imports, the compiled kernels, the allocator
    model, times = region_months(REGION_COUNT)
    frame = model.timeseries()
    steady = times[len(times) // 2:]
    live = frame["partnerships_live"].to_numpy()[len(times) // 2 + 1:]
    members = frame["organizations_in_partnerships"].to_numpy()[len(times) // 2 + 1:]
    ms = statistics.median(steady) * 1e3
    per_partnership_us = 1e6 * sum(steady) / max(live.sum(), 1)
    figures.append(Figure(
        "region", f"ms per month, {REGION_COUNT:,}-organization region, {model.layout} ties", f"{ms:.3g} ms",
        "<= 3 ms", ms <= 3.0,
        f"`region` scenario with {REGION_COUNT:,} organizations and {model.params.ecosystem.grants_per_call} grants a "
        f"call; `EcosystemModel.step()`, median of months 61-120 (min {min(steady) * 1e3:.3g} ms, mean "
        f"{statistics.mean(steady) * 1e3:.3g} ms; all "
        f"120 months: median {statistics.median(times) * 1e3:.3g} ms) after a warm-up region; {live.mean():.0f} live "
        f"partnerships with {members.mean():.0f} members on average in those months, {model.ties.tie_count // 2:,} "
        f"acquainted pairs; {per_partnership_us:.1f} us per live partnership-month", ms))
    s.notes.append(
        f"A region's month costs about {per_partnership_us:.1f} us per live partnership (dissolved ones included in "
        "the cost) and next to nothing per organization or tie. All partnerships' months run in one compiled call "
        "(`sim.region.kernel.region_month`, the single partnership's `sim.month.month` on views of "
        "`sim.region.table`); call months also form partnerships and cost more (the mean over all 120 months is "
        "given with the median).")

    # The two layouts on the same 1,000-organization region: same results, and what each costs.
    results = {}
    for layout in ("dense", "sparse"):
        region_months(1000, layout)  # warm-up of this layout
        model_1k, times_1k = region_months(1000, layout)
        results[layout] = (model_1k.timeseries(), model_1k.partnerships_frame())
        ms = statistics.median(times_1k) * 1e3
        figures.append(Figure("region", f"ms per month, 1,000-organization region, {layout} ties", f"{ms:.3g} ms",
                              "", None, "median of 120 months after one warm-up region", ms))
    same = all(a.equals(b) for a, b in zip(results["dense"], results["sparse"]))
    s.notes.append("Dense and edge-array ties gave " + ("the same" if same else "DIFFERENT")
                   + " region (time series and partnership table) at 1,000 organizations.")

    builds = []
    params = region_params(REGION_COUNT)
    for repeat in range(1 if s.quick else 5):
        gc.collect()
        start = time.perf_counter()
        model = EcosystemModel(params, rng=repeat)
        builds.append(time.perf_counter() - start)
        del model
    gc.collect()
    tracemalloc.start()
    model = EcosystemModel(params, rng=99)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    build_s = statistics.median(builds)
    figures.append(Figure(
        "region", f"build a {REGION_COUNT:,}-organization region (`EcosystemModel`, {model.layout} ties)",
        fmt_seconds(build_s), "< 1 s", build_s < 1.0,
        f"organizations, who-knows-whom ({model.ties.tie_count // 2:,} pairs) and {REGION_COUNT:,} Mesa agents; median of "
        f"{len(builds)} builds (no warm-up: a build is a one-off; the compiled kernels already loaded); peak "
        f"{fmt_bytes(peak)} (tracemalloc)", build_s))
    return figures


# --------------------------------------------------------------------------- run

def bench_run(s: Settings) -> list[Figure]:
    """The typical run (``sim.run``, reading ``.summary``) at 30 and 12 organizations, and where a 30-organization
    run's time goes (each part timed on its own, the same seeds)."""
    from sim.model import PartnershipModel
    from sim.run import resolve

    figures = []
    batches, per_batch, warmups = (7, 10, 3) if not s.quick else (3, 4, 1)
    seeds = list(range(1, per_batch + 1))
    for count, label in ((TYPICAL_COUNT, "30 organizations"), (None, "12 organizations (baseline as is)")):
        def batch():
            for seed in seeds:
                _ = typical_run(count, seed).summary

        for seed in range(100, 100 + warmups):
            typical_run(count, seed)
        timing = time_repeats(batch, warmups=0, repeats=batches)
        per_run = timing.median / per_batch
        s.shared[f"run_s_{count or 12}"] = per_run
        target, met = ("<= 3 ms", per_run <= 0.003) if count == TYPICAL_COUNT else ("", None)
        figures.append(Figure(
            "run", f"typical run, {label}", f"{per_run * 1e3:.2f} ms ({1 / per_run:.0f} runs/s)", target, met,
            f"sim.run('baseline', seed, steps={TYPICAL_STEPS}"
            f"{'' if count is None else f', overrides={{organizations.count: {count}}}'}).summary (the time-series "
            f"DataFrame is built only when `result.timeseries` is read); median of {batches} batches of the same {per_batch} seeds "
            f"(fastest batch {min(timing.times) / per_batch * 1e3:.2f} ms a run), after {warmups} warm-up "
            f"run{'s' if warmups != 1 else ''}", per_run * 1e3))

    # The parts of a 30-organization run, each timed alone (medians over the seeds, after a warm-up).
    overrides = {"organizations.count": TYPICAL_COUNT}
    repeats = 5 if s.quick else 30
    parts: dict[str, list[float]] = {key: [] for key in ("resolve", "build", "finish", "summary", "frame")}
    for repeat in range(repeats + 2):
        seed = 1 + repeat % per_batch
        t0 = time.perf_counter()
        name, params = resolve("baseline", seed=seed, steps=TYPICAL_STEPS, overrides=overrides)
        t1 = time.perf_counter()
        model = PartnershipModel(params, rng=params.seed, scenario_name=name)
        t2 = time.perf_counter()
        model.finish()
        t3 = time.perf_counter()
        model.summary()
        t4 = time.perf_counter()
        model.timeseries()
        t5 = time.perf_counter()
        if repeat >= 2:
            for key, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                parts[key].append(dt)
    ms = {key: statistics.median(v) * 1e3 for key, v in parts.items()}
    how = f"median of {repeats} runs (seeds 1-{per_batch}) after 2 warm-ups, each part timed on its own"
    fastest = {key: min(v) * 1e3 for key, v in parts.items()}
    rows = [
        ("resolve", "the scenario: `sim.run.resolve` (read the TOML, validate, apply the overrides)"),
        ("build", "the model: `PartnershipModel(params)` (organizations, pairs, Mesa agents, packed parameters, row 0)"),
        ("finish", f"the {TYPICAL_STEPS} months: `PartnershipModel.finish()` (one compiled call, draws and record included)"),
        ("summary", "the summary: `PartnershipModel.summary()`"),
        ("frame", "the time-series DataFrame: `PartnershipModel.timeseries()` (`Recorder.frame`)"),
    ]
    for key, text in rows:
        figures.append(Figure("run", f"... of a 30-organization run: {text}", f"{ms[key]:.3g} ms", "", None,
                              how + f" (min {fastest[key]:.3g} ms)", ms[key]))
    without = sum(ms.values()) - ms["frame"]
    figures.append(Figure("run", "... a 30-organization run's summary without building the DataFrame", f"{without:.3g} ms",
                          "", None, "the sum of the parts above but the DataFrame", without))
    s.shared["run_parts_ms"] = ms
    return figures


# --------------------------------------------------------------------------- profile

def _short_name(func: tuple) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    path = Path(filename)
    parts = path.parts
    for anchor in ("site-packages", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor):]
            break
    else:
        try:
            parts = path.resolve().relative_to(Path(__file__).resolve().parent.parent).parts
        except ValueError:
            parts = parts[-2:]
    return f"{'/'.join(parts)}:{line}({name})"


def bench_profile(s: Settings) -> list[Figure]:
    """cProfile of one typical run: the top functions by self time and the cumulative share of each part."""
    import cProfile
    import pstats

    for seed in (101, 102, 103):
        typical_run(TYPICAL_COUNT, seed)  # warm
    profiles = []
    for _ in range(5):  # the same run profiled five times; the least disturbed (shortest) one is shown
        profiler = cProfile.Profile()
        profiler.enable()
        _ = typical_run(TYPICAL_COUNT, 1).summary
        profiler.disable()
        profiles.append(pstats.Stats(profiler))
    stats = min(profiles, key=lambda p: p.total_tt)
    total = stats.total_tt
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:8]
    lines = ["", f"### Profile: one typical run ({TYPICAL_COUNT} organizations, {TYPICAL_STEPS} months); cProfile, "
             "top 8 by self time (the shortest of five profiles of the same run)", "",
             f"Total {total * 1e3:.1f} ms under the profiler (its overhead inflates the many small Python calls of the "
             "set-up; the compiled months are one call).", "",
             "| function | calls | self ms | share |", "|---|---:|---:|---:|"]
    for func, (_cc, nc, tt, _ct, _callers) in rows:
        lines.append(f"| `{_short_name(func)}` | {nc} | {tt * 1e3:.2f} | {tt / total:.0%} |")

    def cumulative(file: str, name: str) -> float:
        return sum(v[3] for k, v in stats.stats.items() if k[0].endswith(file) and k[2] == name)

    parts = {"scenario (`sim.run.resolve`)": ("/sim/run.py", "resolve"),
             "model build (`PartnershipModel.__init__`)": ("/sim/model.py", "__init__"),
             "the compiled months (`finish`)": ("/sim/model.py", "finish"),
             "summary": ("/sim/model.py", "summary"), "time-series DataFrame (`timeseries`)": ("/sim/model.py", "timeseries")}
    shares = [f"{label} {cumulative(*key) / total:.0%}" for label, key in parts.items()]
    hints = cumulative("typing.py", "get_type_hints")
    lines += ["", "Cumulative share of the profiled run: " + ", ".join(shares) + "."]
    if hints:
        lines.append(f"`typing.get_type_hints` (called by the parameter validation, `sim/params.py:_build` and "
                     f"`sim/scenarios.py:_check_override_key`, for every dataclass of every run) takes "
                     f"{hints / total:.0%} of it.")
    s.profile_md[:] = lines[1:]
    finish_share = cumulative("/sim/model.py", "finish") / total
    return [Figure("profile", "share of a profiled typical run spent in the compiled months (`finish`)",
                   f"{finish_share:.0%}", "", None,
                   f"cProfile of one sim.run at {TYPICAL_COUNT} organizations ({total * 1e3:.1f} ms under the profiler); "
                   "the rest is Python set-up and output (see the profile below)", finish_share)]


# --------------------------------------------------------------------------- sweeps

SPEC = """description = "partnersim benchmark sweep ({runs} runs)"
scenario = "baseline"
replicates = {runs}
steps = {steps}
root_seed = 20261123

[fixed]
"organizations.count" = {count}
"""


def sweep(runs: int, count: int, steps: int, workers: int) -> dict:
    """One sweep of ``runs`` runs (no knobs: ``runs`` replicates of the baseline) in a child process."""
    with tempfile.TemporaryDirectory(prefix="partnersim-bench-") as tmp:
        spec = Path(tmp) / f"bench_{runs}.toml"
        spec.write_text(SPEC.format(runs=runs, steps=steps, count=count))
        result = run_child(["sweep", "--spec", str(spec), "--out", str(Path(tmp) / "out"), "--workers", str(workers)],
                           timeout=7200)
    if result["runs_done"] != runs or result["runs_failed"]:
        raise RuntimeError(f"sweep did {result['runs_done']} of {runs} runs, {result['runs_failed']} failed")
    return result


def _cores(result: dict) -> float:
    """CPU seconds the sweep used (its process and its pool) per second of wall clock."""
    return (result["cpu_self_s"] + result["cpu_workers_s"]) / result["elapsed_s"]


def bench_sweep(s: Settings) -> list[Figure]:
    runs, count, steps = s.sweep_runs, s.sweep_count, s.sweep_steps
    typical_run(count, 1, steps=steps)  # compile here first if a compiled kernel's on-disk cache is stale
    # A-B-B-A: load that drifts during the run falls on both sides alike.
    order = [1, 2] if s.quick else [1, 2, 2, 1]
    results: dict[int, list[dict]] = {1: [], 2: []}
    ran = []
    for workers in order:
        ran.append(sweep(runs, count, steps, workers))
        results[workers].append(ran[-1])
    wall = {w: statistics.median(r["elapsed_s"] for r in rs) for w, rs in results.items()}
    cores = {w: statistics.median(_cores(r) for r in rs) for w, rs in results.items()}
    peak = {w: max(r["maxrss"] for r in rs) for w, rs in results.items()}
    load_text = ", ".join(f"{r['load_before']:.1f} ({r['workers']} worker{'s' if r['workers'] > 1 else ''})" for r in ran)
    speedup = wall[1] / wall[2]
    scaled = (runs, count, steps) != (2000, TYPICAL_COUNT, TYPICAL_STEPS)
    what = f"{runs:,} runs of {count} organizations x {steps} steps" + (" (scaled down from 2,000 x 30 x 120)" if scaled else "")
    if scaled:
        s.notes.append(f"The sweep was scaled down: {what}.")
    reps = len(results[1])
    how_rep = f"median of {reps} sweep{'s' if reps != 1 else ''}" + (" (order 1-2-2-1 workers)" if reps > 1 else "")
    figures = [
        Figure("sweep", f"sweep, 1 worker: {what}", f"{fmt_seconds(wall[1])} ({runs / wall[1]:.0f} runs/s)", "", None,
               f"run_sweep(workers=1): runs in the sweep's own process, no pool; {how_rep}, wall clock of run_sweep "
               f"in a child process; {cores[1]:.2f} CPU-seconds per second; peak RSS {fmt_bytes(peak[1])}", wall[1]),
        Figure("sweep", f"sweep, 2 workers: {what}", f"{fmt_seconds(wall[2])} ({runs / wall[2]:.0f} runs/s)", "", None,
               f"run_sweep(workers=2): forkserver process pool, its start-up included; {how_rep}; the sweep and its "
               f"pool used {cores[2]:.2f} CPU-seconds per second (2.0 = both cores; less: the machine was shared); "
               f"parent peak RSS {fmt_bytes(peak[2])}", wall[2]),
        Figure("sweep", "parallel speed-up, 2 workers vs 1", f"{speedup:.2f}x", ">= 1.8x", speedup >= 1.8,
               f"ratio of the two medians above; 1-minute load average at the start of each sweep: {load_text} "
               f"(on {os.cpu_count()} cores)", speedup),
    ]
    startup = pool_startup_seconds()
    ideal = wall[1] / 2
    s.notes.append(
        f"Sweep speed-up: before a pool worker runs anything, its forkserver imports the model and loads the compiled "
        f"kernels ({startup:.2f} s in a fresh process, measured here; sim/experiments/worker_preload.py), and the "
        f"parent merges the parts at the end. Against half the 1-worker time ({fmt_seconds(ideal)}) that start-up is "
        f"{startup / ideal:.0%} (less where it overlaps the parent's own set-up): the fixed cost that keeps 2 workers "
        f"from 2x on a sweep this short. Tried: preloading the model in the "
        "forkserver (workers then fork ready instead of each importing; 1.78x -> 1.84-1.87x in earlier runs), "
        "and smaller chunks (no clear change, reverted).")
    return figures


def pool_startup_seconds() -> float:
    """Seconds a fresh interpreter takes to import what the sweep pool's forkserver preloads (median of 3)."""
    import subprocess
    import sys

    code = ("import time; t = time.perf_counter(); import sim.experiments.worker_preload; "
            "print(time.perf_counter() - t)")
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def bench_memory(s: Settings) -> list[Figure]:
    if s.quick:
        return [Figure("memory", "sweep parent peak memory, 2,000 vs 20,000 runs", "skipped (--quick)", "flat", None)]
    small, large = s.memory_runs
    typical_run(3, 1, steps=1)  # as in bench_sweep: a stale compiled-kernel cache is rebuilt here, not in a sweep
    res = {runs: sweep(runs, 3, 1, 2) for runs in (small, large)}
    peak = {runs: r["maxrss"] for runs, r in res.items()}
    streaming = {runs: r.get("maxrss_before_merge") for runs, r in res.items()}
    growth = peak[large] / peak[small]
    figures = [
        Figure("memory", f"sweep parent peak memory, {runs:,} runs", fmt_bytes(peak[runs]), "", None,
               f"2 workers, very short runs (3 organizations, 1 step) so that 20,000 runs take well under a minute; "
               f"peak RSS (VmHWM) of the sweep's own process, in a child that does nothing else (pool workers not "
               f"included; ru_maxrss is not used because it keeps the forking benchmark's RSS across exec); sweep took "
               f"{fmt_seconds(res[runs]['elapsed_s'])}; RSS after imports {fmt_bytes(res[runs]['rss_start'])}", peak[runs] / MB)
        for runs in (small, large)]
    figures.append(Figure(
        "memory", f"sweep parent peak memory growth, {small:,} -> {large:,} runs",
        f"x{growth:.3f} ({(peak[large] - peak[small]) / MB:+.0f} MB)", "flat (<= x1.10)", growth <= 1.10,
        "ratio of the two peaks above", growth))
    if all(streaming.values()):
        g = streaming[large] / streaming[small]
        figures.append(Figure(
            "memory", f"... of which while runs stream in (before the final merge), {small:,} -> {large:,} runs",
            f"{fmt_bytes(streaming[small])} -> {fmt_bytes(streaming[large])} (x{g:.3f})", "", None,
            "peak RSS (VmHWM) when Store.consolidate starts (wrapped in the child, not changed); the rest of the peak is the "
            "merge of the parts into runs.parquet", g))
    return figures


from benchmarks.data import bench_data  # noqa: E402  (its own module: starting from data)

BENCHES = {
    "step": bench_step,
    "run": bench_run,
    "region": bench_region,
    "coldstart": bench_coldstart,
    "profile": bench_profile,
    "compare": bench_compare,
    "sweep": bench_sweep,
    "memory": bench_memory,
    "data": bench_data,
}
