"""Performance benchmarks of partnersim (issue 4, section 3; issue 9, item 5): ``make bench`` or ``python -m benchmarks``.

Not part of ``make test``. Every figure is measured in one run, after warm-ups,
as the median of repeats, so that ratios compare numbers taken under the same
machine load. The month is one implementation (``sim.month.month``, compiled by
numba), called once per month by ``PartnershipModel.step()`` and once for all
remaining months by ``PartnershipModel.finish()`` (what ``sim.run`` uses):

- ``step``: milliseconds per month at 12, 30 and 1,000 organizations in one
  partnership, by ``step()`` (one compiled call per month: the month and its
  record row) and as the per-month share of ``finish()`` on the same months;
- ``run``: the typical run (``sim.run('baseline', seed, steps=120)``, reading
  ``.summary``) at 30 and 12 organizations, and what a 30-organization run
  spends on the scenario, the model's build, the months, the summary and the
  time-series DataFrame;
- ``region``: milliseconds per month of a 10,000-organization region
  (``sim.region.model.EcosystemModel``, ties as edge arrays), a 1,000-organization
  region with dense and with edge-array ties, and the time to build the
  10,000-organization model;
- ``coldstart``: ``python -c "import sim; sim.run('baseline')"`` in fresh
  processes with numba's cache warm, and its parts: the interpreter, ``import
  sim`` (by package, from ``-X importtime``), loading the cached kernels, the rest
  of the first run;
- ``profile``: cProfile of one typical run, top functions by self time;
- ``compare``: the typical runs, the region's month and build and the cold start
  on another checkout (``--compare-with DIR``: the previous commit, old) and on
  this one (new), in fresh processes interleaved old-new-new-old, with the ratio;
- ``sweep``: 2,000 typical runs through ``sim.experiments.run_sweep`` on 1 and on
  2 workers (each sweep in a child process that reports its own peak memory);
- ``memory``: the sweep parent's peak memory for 2,000 and 20,000 very short runs;
- ``data``: reading and checking a 10,000-organization roster and a 100,000-row survey, a region and the largest
  partnership built from such files, and an export written and continued (:mod:`benchmarks.data`).

Results are printed and, for a full run, prepended to ``benchmarks/RESULTS.md``
(newest first). ``--quick`` is a fast smoke run that writes nothing unless
``--write`` is given; ``--only NAME`` (repeatable, or comma-separated) runs a
subset. ``python -m benchmarks --help`` lists the options.
"""

BENCHMARKS = ("step", "run", "region", "coldstart", "profile", "compare", "sweep", "memory", "data")
