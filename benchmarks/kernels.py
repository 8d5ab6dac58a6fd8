"""numpy against numba for one month and one run: ``python -m benchmarks.kernels [--repeats N]``.

Prints, for the baseline at 12 and 30 organizations (and 30 with nobody
leaving, so every month is a live one), the median over repeats, after
warm-ups, of: one ``sim.run`` (120 months, summary and time series), one
``PartnershipModel.step`` (draws, month, record) over the first 24 months, the
month function alone (``advance`` / ``advance_fast``) and one
``Recorder.record`` row; then the numba/numpy ratios. Also the cost of
importing numba and loading (or compiling) the kernels in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

CASES = (("baseline, 12 organizations", {}),
         ("baseline, 30 organizations", {"organizations.count": 30}),
         ("30 organizations, nobody leaves", {"organizations.count": 30, "membership.leave_rate": 0.0}))


def _median(f, repeats: int, warm: int = 3) -> float:
    for _ in range(warm):
        f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(repeats: int) -> None:
    import sim
    from sim.draws import StepDraws
    from sim.model import PartnershipModel
    from sim.record import Recorder
    from sim.scenarios import load_scenario
    from sim.state import initial_state
    from sim.step import advance_function, resolve_kernel

    if resolve_kernel("auto", 12) != "numba":
        print("numba is not available here: only the numpy kernel can run")
        return
    print(f"{'case':34s} {'kernel':6s} {'run ms':>8s} {'step us':>8s} {'month us':>9s} {'record us':>10s}")
    for name, overrides in CASES:
        params = load_scenario("baseline", overrides)
        count = params.organizations.count
        figures = {}
        for kernel in ("numpy", "numba"):
            run_ms = _median(lambda: sim.run("baseline", overrides=overrides, kernel=kernel), repeats) * 1e3

            def steps():
                model = PartnershipModel(params, kernel=kernel)
                start = time.perf_counter()
                for _ in range(24):
                    model.step()
                return (time.perf_counter() - start) / 24

            step_us = statistics.median(steps() for _ in range(repeats)) * 1e6
            month = advance_function(kernel)
            rng = np.random.default_rng(0)
            state = initial_state(params, rng)
            draws = StepDraws.sample(rng, count)
            month_us = _median(lambda: month(state, params, draws, 1), 50 * repeats) * 1e6
            recorder = Recorder(1, kernel=kernel)
            record_us = _median(lambda: recorder.record(1, state, params, None), 50 * repeats) * 1e6
            figures[kernel] = (run_ms, step_us, month_us, record_us)
            print(f"{name:34s} {kernel:6s} {run_ms:8.2f} {step_us:8.1f} {month_us:9.1f} {record_us:10.1f}")
        ratios = [a / b for a, b in zip(figures["numpy"], figures["numba"])]
        print(f"{'':34s} {'ratio':6s} {ratios[0]:7.1f}x {ratios[1]:7.1f}x {ratios[2]:8.1f}x {ratios[3]:9.1f}x")


def cold_start() -> None:
    code = ("import time; t = time.perf_counter(); import sim.step; a = time.perf_counter(); import numba; "
            "b = time.perf_counter(); import sim.fast; c = time.perf_counter(); "
            "print(f'{b - a:.2f} s importing numba, {c - b:.2f} s loading or compiling the kernels')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    print("fresh interpreter:", (result.stdout or result.stderr).strip())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernels", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="repeats per figure (median)")
    args = parser.parse_args(argv)
    cold_start()
    measure(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
