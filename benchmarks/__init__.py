"""Performance benchmarks of partnersim (GitHub issue 4, section 3): ``make bench`` or ``python -m benchmarks``.

Not part of ``make test``. Every figure is measured in one run, after warm-ups,
as the median of repeats, so that ratios compare numbers taken under the same
machine load:

- ``step``: milliseconds per ``sim.step.advance`` at 12, 30 and 1,000
  organizations in one partnership (the state is built once; each repeat times
  one step on fresh draws);
- ``region``: milliseconds per month of a 10,000-organization region
  (``sim.region.model.EcosystemModel``, ties as edge arrays), a 1,000-organization
  region with dense and with edge-array ties, and the time to build the
  10,000-organization model;
- ``reference``: the array kernels against ``sim.reference.advance_reference``
  on the same state and the same draws, at 30 and 1,000 organizations;
- ``run``: runs per second of a typical run (``sim.run``: baseline, 120 monthly
  steps, summary outcomes), at 30 and 12 organizations;
- ``profile``: cProfile of one typical run, top 10 functions by self time, and
  how many numpy and Python calls one step makes;
- ``sweep``: 2,000 typical runs through ``sim.experiments.run_sweep`` on 1 and on
  2 workers (each sweep in a child process that reports its own peak memory);
- ``memory``: the sweep parent's peak memory for 2,000 and 20,000 very short runs.

Results are printed and, for a full run, prepended to ``benchmarks/RESULTS.md``
(newest first). ``--quick`` is a fast smoke run that writes nothing unless
``--write`` is given; ``--only NAME`` (repeatable, or comma-separated) runs a
subset. ``python -m benchmarks --help`` lists the options.
"""

BENCHMARKS = ("step", "region", "reference", "run", "profile", "sweep", "memory")
