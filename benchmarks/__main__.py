"""``python -m benchmarks [--quick] [--only NAME] [--write | --no-write]``: see benchmarks/__init__.py."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from datetime import datetime, timezone

from benchmarks import BENCHMARKS
from benchmarks.cases import BENCHES, Settings
from benchmarks.common import Figure, git_state, machine
from benchmarks.results import RESULTS, prepend, print_figures, section


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="partnersim benchmarks (issue 4, section 3). A full run prepends a section to benchmarks/RESULTS.md.")
    parser.add_argument("--quick", action="store_true",
                        help="fast smoke run: few repeats, a 200-run sweep, no 1,000-organization reference, no 20,000-run "
                             "memory check; writes RESULTS.md only with --write")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only these benchmarks (repeatable or comma-separated): {', '.join(BENCHMARKS)}; "
                             "writes RESULTS.md only with --write")
    write = parser.add_mutually_exclusive_group()
    write.add_argument("--write", action="store_true", help="prepend this run to RESULTS.md even with --quick or --only")
    write.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--sweep-runs", type=int, default=None, help="runs in the speed-up sweeps (default 2000; 200 with --quick)")
    parser.add_argument("--sweep-steps", type=int, default=None, help="steps per run in the speed-up sweeps (default 120)")
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
    info = {"machine": machine(), "git": git_state()}
    m = info["machine"]
    print(f"partnersim benchmarks, {started:%Y-%m-%d %H:%M} UTC, commit {info['git']}")
    print(f"{m['platform']}; {m['cpu']}; {m['cores']} cores; {m['ram']} RAM; Python {m['python']}; numpy {m['numpy']}; numba {m['numba']}; "
          f"OPENBLAS_CORETYPE {m['openblas_coretype']}; load {m['load']}", flush=True)

    figures: list[Figure] = []
    failed = []
    for name in args.names:
        print(f"\n[{name}]", flush=True)
        t = time.perf_counter()
        try:
            got = BENCHES[name](settings)
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not lose the others
            traceback.print_exc()
            got = [Figure(name, f"{name} benchmark", f"failed: {type(error).__name__}: {error}")]
            failed.append(name)
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
