"""``python -m benchmarks [--quick] [--only NAME] [--write | --no-write] [--compare-with DIR]``: see benchmarks/__init__.py."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
import time
import traceback
from datetime import datetime, timezone

from benchmarks import BENCHMARKS
from benchmarks.cases import BENCHES, Settings
from benchmarks.common import ROOT, Figure, git_state, machine
from benchmarks.results import RESULTS, prepend, print_figures, section


# The previous commit's checkout, when the machine has one there (`--compare-with` overrides it).
DEFAULT_COMPARE = Path("/work/base")


def compare_checkout(option: str | None) -> tuple[Path | None, str]:
    """(the checkout to compare with, or None and why not)."""
    if option == "":
        return None, "--compare-with ''"
    tree = Path(option) if option is not None else DEFAULT_COMPARE
    if not tree.is_dir():
        return None, (f"{tree} does not exist" if option is not None
                      else f"no --compare-with DIR, and the default {DEFAULT_COMPARE} does not exist")
    if not (tree / "sim" / "__init__.py").is_file():
        return None, f"{tree} has no sim/ package"
    if tree.resolve() == ROOT:
        return None, f"{tree} is this checkout"
    return tree.resolve(), ""


def wait_for_load(limit: float, longest: float) -> str:
    """Wait until the 1-minute load average is at most ``limit`` (at most ``longest`` seconds); what happened."""
    start = time.perf_counter()
    load = os.getloadavg()[0]
    while load > limit and time.perf_counter() - start < longest:
        time.sleep(10)
        load = os.getloadavg()[0]
    waited = time.perf_counter() - start
    if load > limit:
        return f"waited {waited:.0f} s for a load of at most {limit:g}; still {load:.2f}"
    return f"waited {waited:.0f} s for a load of at most {limit:g}" if waited >= 1 else ""


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="partnersim benchmarks (issue 4, section 3; issue 9, item 5). A full run prepends a section to "
                    "benchmarks/RESULTS.md.")
    parser.add_argument("--quick", action="store_true",
                        help="fast smoke run: few repeats and processes, a 200-run sweep, no 20,000-run memory check; "
                             "writes RESULTS.md only with --write")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only these benchmarks (repeatable or comma-separated): {', '.join(BENCHMARKS)}; "
                             "writes RESULTS.md only with --write")
    write = parser.add_mutually_exclusive_group()
    write.add_argument("--write", action="store_true", help="prepend this run to RESULTS.md even with --quick or --only")
    write.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--sweep-runs", type=int, default=None, help="runs in the speed-up sweeps (default 2000; 200 with --quick)")
    parser.add_argument("--sweep-steps", type=int, default=None, help="steps per run in the speed-up sweeps (default 120)")
    parser.add_argument("--compare-with", metavar="DIR", default=None,
                        help="the checkout to measure side by side with this one (`compare`: old vs new), with its own "
                             f".venv if it has one; default {DEFAULT_COMPARE} if it exists; '' skips")
    parser.add_argument("--wait-load", type=float, default=None, metavar="LOAD",
                        help="before each benchmark, wait (up to --wait-max seconds) until the 1-minute load average is "
                             "at most LOAD (this process's own work counts in it: about 1 while a benchmark runs)")
    parser.add_argument("--wait-max", type=float, default=600.0, metavar="SECONDS",
                        help="the longest wait for --wait-load before each benchmark (default 600)")
    args = parser.parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    args.names = [n for n in BENCHMARKS if n in names] if names else list(BENCHMARKS)
    return args


def main(argv=None) -> int:
    args = parse(argv)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    settings = Settings(quick=args.quick)
    settings.sweep_runs = args.sweep_runs or (200 if args.quick else 2000)
    settings.sweep_steps = args.sweep_steps or settings.sweep_steps
    settings.compare_with, settings.compare_reason = compare_checkout(args.compare_with)
    if "compare" in args.names and settings.compare_with is None:
        print(f"compare: skipped ({settings.compare_reason})", flush=True)
    info = {"machine": machine(), "git": git_state()}
    m = info["machine"]
    print(f"partnersim benchmarks, {started:%Y-%m-%d %H:%M} UTC, commit {info['git']}")
    print(f"{m['platform']}; {m['cpu']}; {m['cores']} cores; {m['ram']} RAM; Python {m['python']}; numpy {m['numpy']}; numba {m['numba']}; "
          f"OPENBLAS_CORETYPE {m['openblas_coretype']}; load {m['load']}", flush=True)

    figures: list[Figure] = []
    failed = []
    for name in args.names:
        print(f"\n[{name}]", flush=True)
        if args.wait_load is not None:
            waited = wait_for_load(args.wait_load, args.wait_max)
            if waited:
                print(f"  ({waited})", flush=True)
                settings.notes.append(f"Before `{name}`: {waited}.")
        t = time.perf_counter()
        load_before = os.getloadavg()[0]
        try:
            got = BENCHES[name](settings)
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not lose the others
            traceback.print_exc()
            got = [Figure(name, f"{name} benchmark", f"failed: {type(error).__name__}: {error}")]
            failed.append(name)
        load_after = os.getloadavg()[0]
        for figure in got:  # each figure with the machine's load while its benchmark ran
            figure.how = (figure.how + "; " if figure.how else "") + (
                f"load {load_before:.2f} -> {load_after:.2f} over `{name}`")
        print_figures(got)
        print(f"  ({time.perf_counter() - t:.1f} s)", flush=True)
        figures += got
        if name == "profile" and settings.profile_md:
            print("\n".join("  " + line for line in settings.profile_md), flush=True)

    elapsed = time.perf_counter() - t0
    full = not args.quick and args.names == list(BENCHMARKS)
    mode = "full" if full else ("--quick" if args.quick else "partial") + (
        f" (--only {','.join(args.names)})" if args.names != list(BENCHMARKS) else "")
    print(f"\nTotal bench time {elapsed / 60:.1f} min ({mode}).")
    for note in settings.notes:
        print(f"  note: {note}")
    if (full or args.write) and not args.no_write:
        text = section(figures, info, mode, elapsed, settings.notes, settings.profile_md, started)
        print(f"Prepended this run to {prepend(text)}")
    else:
        print(f"Not written to {RESULTS.name} ({'--no-write' if args.no_write else 'a quick or partial run; --write to record it'}).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
