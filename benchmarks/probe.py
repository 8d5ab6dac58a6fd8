"""User-level measurements in a fresh interpreter, on any checkout of partnersim (this one or an older commit).

Run as a script with the checkout's own interpreter, so that ``import sim`` is that checkout's model and
its numba cache::

    DIR/.venv/bin/python benchmarks/probe.py warm --tree DIR [--quick]
    DIR/.venv/bin/python benchmarks/probe.py first-run --tree DIR

``warm``: a typical run at 30 and at 12 organizations (``sim.run('baseline', seed, steps=120, ...)``, reading
``.summary``), the month of a 10,000-organization region and the time to build one, each after warm-ups.
``first-run``: in this fresh process, ``import sim``, the first ``sim.run('baseline')`` (split into the time
numba spends loading or compiling kernels and the rest) and the second.

Only the standard library is imported here besides ``sim`` and what it imports, and only the API both the
current and the previous commit have (``sim.run``, ``sim.run.resolve``, the region's ``EcosystemModel``).
The last line of stdout is a JSON object.
"""

from __future__ import annotations

import sys

# Run as a script, this file's directory is sys.path[0]: take it off, so that nothing here shadows a module.
if sys.path and sys.path[0] and __name__ == "__main__":
    del sys.path[0]

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

TYPICAL_STEPS = 120
REGION_COUNT = 10_000
REGION_GRANTS = 50  # the `region` scenario's 10 grants a call per 2,000 organizations, scaled to 10,000


def _load() -> float:
    return os.getloadavg()[0]


def _use_tree(tree: str) -> None:
    sys.path.insert(0, str(Path(tree).resolve()))


def _check_tree(tree: str) -> str:
    import sim

    where = Path(sim.__file__).resolve().parent.parent
    if where != Path(tree).resolve():
        raise SystemExit(f"import sim found {where}, not the tree {tree}")
    return str(where)


def versions() -> dict:
    import platform
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in ("numpy", "numba", "mesa", "pandas"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def typical_run(count: int | None, seed: int) -> dict:
    import sim

    overrides = {"organizations.count": count} if count is not None else None
    return sim.run("baseline", seed=seed, steps=TYPICAL_STEPS, overrides=overrides).summary


def ecosystem_model():
    try:
        from sim.region.model import EcosystemModel
    except ImportError:  # the layout before sim/region/
        from sim.ecosystem import EcosystemModel
    return EcosystemModel


def region_params(count: int):
    from sim.run import resolve

    grants = max(1, count * REGION_GRANTS // REGION_COUNT)
    return resolve("region", overrides={"ecosystem.organizations": count, "ecosystem.grants_per_call": grants})[1]


def region_month_times(count: int, seed: int = 20261123) -> list[float]:
    model = ecosystem_model()(region_params(count), rng=seed)
    times = []
    while model.running:
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return times


def warm(args) -> dict:
    tree = _check_tree(args.tree)
    out = {"tree": tree, "load_start": _load(), "versions": versions()}
    batches, per_batch, warmups = (3, 4, 2) if args.quick else (7, 10, 3)
    for name, count in (("typical_30", 30), ("typical_12", None)):
        for seed in range(100, 100 + warmups):
            typical_run(count, seed)
        per_run = []
        for _ in range(batches):
            start = time.perf_counter()
            for seed in range(1, per_batch + 1):
                typical_run(count, seed)
            per_run.append((time.perf_counter() - start) / per_batch)
        out[name] = statistics.median(per_run)
    region_month_times(300)  # warm-up: the region's kernels and code paths
    times = region_month_times(REGION_COUNT)
    out["region_month"] = statistics.median(times[len(times) // 2:])
    params = region_params(REGION_COUNT)
    builds = []
    for repeat in range(1 if args.quick else 7):
        gc.collect()
        start = time.perf_counter()
        model = ecosystem_model()(params, rng=repeat)
        builds.append(time.perf_counter() - start)
        del model
    out["region_build"] = statistics.median(builds)
    out["load_end"] = _load()
    return out


def first_run(args) -> dict:
    """The first run of a fresh process, and where its time goes."""
    start = time.perf_counter()
    import sim

    imported = time.perf_counter()
    tree = _check_tree(args.tree)
    # Wrap numba's entry to compilation (a dispatcher's first call with new types: the cache is looked up,
    # and on a miss the kernel compiled) and its cache lookup, to split the first run.
    spent = {"compile_for_args_s": 0.0, "first_calls": 0, "cache_hits": 0, "cache_misses": 0, "cache_load_s": 0.0,
             "cache_load_first_s": 0.0}
    numba_before = "numba" in sys.modules
    wrap_start = time.perf_counter()
    try:
        from numba.core import caching, dispatcher

        original_call, original_load = dispatcher.Dispatcher._compile_for_args, caching.Cache.load_overload
    except (ImportError, AttributeError):
        original_call = None
    wrap_import = time.perf_counter() - wrap_start
    if original_call is not None:
        depth = [0]

        def compile_for_args(self, *a, **k):
            depth[0] += 1
            t = time.perf_counter()
            try:
                return original_call(self, *a, **k)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent["compile_for_args_s"] += time.perf_counter() - t
                    spent["first_calls"] += 1

        def load_overload(self, *a, **k):
            t = time.perf_counter()
            got = original_load(self, *a, **k)
            took = time.perf_counter() - t
            if not spent["cache_hits"] + spent["cache_misses"]:
                spent["cache_load_first_s"] = took
            spent["cache_load_s"] += took
            spent["cache_hits" if got is not None else "cache_misses"] += 1
            return got

        dispatcher.Dispatcher._compile_for_args = compile_for_args
        caching.Cache.load_overload = load_overload
    t0 = time.perf_counter()
    sim.run("baseline")
    t1 = time.perf_counter()
    sim.run("baseline")
    t2 = time.perf_counter()
    return {"tree": tree, "import_s": imported - start, "numba_imported_by_sim": numba_before,
            "numba_import_after_s": 0.0 if numba_before else wrap_import, "first_run_s": t1 - t0,
            "second_run_s": t2 - t1, **spent, "load": _load()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/probe.py", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("warm", "first-run"))
    parser.add_argument("--tree", required=True, help="the checkout whose sim to import")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    _use_tree(args.tree)
    result = {"warm": warm, "first-run": first_run}[args.what](args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
