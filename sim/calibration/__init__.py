"""Calibration and validation: fitting the model to published coalition data and showing what findings rest on.

- :mod:`sim.calibration.spec`: reading a calibration spec (priors, samples, calibration and validation targets).
- :mod:`sim.calibration.targets`: the summary statistics a target names, computed from simulated coalitions.
- :mod:`sim.calibration.abc`: a seeded ABC-SMC (population Monte Carlo with an adaptive tolerance).
- :mod:`sim.calibration.posterior`: the posterior's table, draws from it, its figures and the fit of each target.
- :mod:`sim.calibration.run`: ``partnersim calibrate``: generations on disk, resume, the report.
- :mod:`sim.calibration.robustness`: ``partnersim robustness``: each headline finding with each assumption changed.
- :mod:`sim.calibration.screening`: ``partnersim screen``: Morris over every numeric parameter, then Sobol.

Every module runs the model only through :func:`sim.run`. docs/CALIBRATION.md describes the method and the files.
"""
