"""One candidate of a calibration, simulated (in a worker process): its parameter values applied to every sample's
scenario, as many coalitions as each sample holds, and the targets' statistics computed from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.calibration.spec import Sample, Target
from sim.calibration.targets import compute, simulate
from sim.scenarios import with_overrides


@dataclass(frozen=True)
class Job:
    """Simulate the samples with a particle's values and compute the targets' statistics."""

    values: dict
    samples: tuple  # (base Params, seeds) per sample
    targets: tuple  # (statistic, args, index of its sample) per target


def evaluate(job: Job) -> np.ndarray:
    coalitions = []
    for base, seeds in job.samples:
        params = with_overrides(base, job.values) if job.values else base
        coalitions.append(simulate(params, seeds))
    return np.array([compute(statistic, args, coalitions[i][: n]) for statistic, args, i, n in job.targets])


def jobs_for(values: list[dict], seeds: list[list[list[int]]], samples: list[Sample], targets: tuple[Target, ...]) -> list[Job]:
    """One job per particle; each target reads the first ``n`` coalitions of its sample (a smaller study observed
    fewer coalitions of the same kind)."""
    index = {s.name: i for i, s in enumerate(samples)}
    shapes = tuple((t.statistic, t.args, index[t.sample], min(t.n, samples[index[t.sample]].size)) for t in targets)
    return [Job(values=v, samples=tuple((s.base, tuple(seed)) for s, seed in zip(samples, particle_seeds)), targets=shapes)
            for v, particle_seeds in zip(values, seeds)]
