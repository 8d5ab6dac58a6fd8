"""A seeded ABC-SMC: population Monte Carlo with an adaptive tolerance (Beaumont, Cornuet, Marin & Robert 2009;
Toni, Welch, Strelkowa, Ipsen & Stumpf 2009). Plain arrays in and out; nothing here runs the model.

Generation 0 draws ``N`` particles from the prior and accepts them all. Generation ``t`` takes as its tolerance
``epsilon_t`` the weighted ``quantile`` of the distances of generation ``t - 1``, and proposes candidates by
picking a particle of generation ``t - 1`` by weight and moving it with a Gaussian kernel whose covariance is
twice the population's weighted covariance (Beaumont et al. 2009); a candidate outside the prior's support is
proposed again. A candidate whose simulated statistics lie within ``epsilon_t`` of the observed ones is accepted,
and its weight is ``prior(theta) / sum_j w_j K(theta | theta_j)``.

Repeatability: candidate ``k`` of generation ``t`` draws everything (its proposal and its simulations' seeds) from
``SeedSequence(root_seed, spawn_key=(t, k))``, candidates are evaluated in fixed batches, and a generation keeps the
first ``N`` accepted in candidate order. So the posterior depends on the spec alone, not on how many processes
or which cluster evaluated the candidates, nor on whether the run was interrupted and resumed between
generations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.calibration.spec import Prior, Target

MAX_PROPOSALS = 10_000  # tries to propose a candidate inside the prior's support before the candidate is dropped
SEED_BITS = 63


@dataclass(frozen=True)
class Population:
    """One generation: ``theta`` (particles x parameters, on the prior's continuous scale), normalised weights,
    distances and the simulated statistics (particles x targets)."""

    theta: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    stats: np.ndarray
    epsilon: float
    candidates: int  # candidates up to the last one kept (the acceptance rate's denominator)
    evaluated: int = 0  # candidates simulated (whole batches: a few more than ``candidates``)

    @property
    def acceptance(self) -> float:
        return len(self.weights) / self.candidates if self.candidates else 0.0

    @property
    def effective_size(self) -> float:
        return float(1.0 / np.sum(self.weights ** 2))


# --------------------------------------------------------------------------- priors

def prior_sample(priors: tuple[Prior, ...], rng: np.random.Generator) -> np.ndarray:
    return np.array([_sample_one(p, rng) for p in priors])


def _sample_one(prior: Prior, rng: np.random.Generator) -> float:
    low, high = prior.support
    if prior.kind == "uniform":
        return float(rng.uniform(low, high))
    if prior.kind == "loguniform":
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    while True:  # a normal truncated to the support
        x = float(rng.normal(prior.mean, prior.sd))
        if low <= x <= high:
            return x


def prior_logpdf(priors: tuple[Prior, ...], theta: np.ndarray) -> np.ndarray:
    """Log prior density of each row of ``theta`` (``-inf`` outside the support), up to a constant per prior."""
    theta = np.atleast_2d(theta)
    out = np.zeros(theta.shape[0])
    for j, prior in enumerate(priors):
        x = theta[:, j]
        low, high = prior.support
        inside = (x >= low) & (x <= high)
        if prior.kind == "uniform":
            density = np.zeros_like(x)
        elif prior.kind == "loguniform":
            density = -np.log(np.where(inside, x, 1.0))
        else:
            density = -0.5 * ((x - prior.mean) / prior.sd) ** 2
        out += np.where(inside, density, -np.inf)
    return out


def model_values(priors: tuple[Prior, ...], theta: np.ndarray) -> dict:
    """The parameter values a particle gives the model: integer parameters rounded to the nearest integer."""
    values = {}
    for prior, x in zip(priors, np.asarray(theta, dtype=float)):
        values[prior.key] = int(min(max(math.floor(x + 0.5), prior.low), prior.high)) if prior.integer else float(x)
    return values


# --------------------------------------------------------------------------- seeds

def candidate_seeds(root_seed: int, generation: int, index: int, sizes: list[int]) -> tuple[np.random.Generator, list[list[int]]]:
    """Candidate ``index`` of ``generation``: the generator its proposal draws from, and one list of run seeds per
    sample (``sizes``), all spawned from ``SeedSequence(root_seed, spawn_key=(generation, index))``."""
    sequence = np.random.SeedSequence(root_seed, spawn_key=(generation, index))
    proposal, *samples = sequence.spawn(1 + len(sizes))
    seeds = [[int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(64 - SEED_BITS)) for child in sample.spawn(size)]
             for sample, size in zip(samples, sizes)]
    return np.random.default_rng(proposal), seeds


# --------------------------------------------------------------------------- proposals and weights

def kernel_covariance(population: Population) -> np.ndarray:
    """Twice the weighted covariance of the population (Beaumont et al. 2009), kept positive definite."""
    cov = 2.0 * np.atleast_2d(np.cov(population.theta, rowvar=False, aweights=population.weights, ddof=0))
    jitter = 1e-12 * max(float(np.max(np.diag(cov))), 1e-12)
    return cov + jitter * np.eye(cov.shape[0])


def propose(priors: tuple[Prior, ...], previous: Population | None, cov: np.ndarray | None,
            rng: np.random.Generator) -> np.ndarray | None:
    """A candidate: from the prior in generation 0, else a particle of ``previous`` picked by weight and moved by
    the Gaussian kernel until it lies inside the prior's support (``None`` after :data:`MAX_PROPOSALS` tries)."""
    if previous is None:
        return prior_sample(priors, rng)
    for _ in range(MAX_PROPOSALS):
        ancestor = previous.theta[rng.choice(len(previous.weights), p=previous.weights)]
        theta = rng.multivariate_normal(ancestor, cov, method="cholesky")
        if np.isfinite(prior_logpdf(priors, theta)[0]):
            return theta
    return None


def importance_weights(priors: tuple[Prior, ...], theta: np.ndarray, previous: Population | None,
                       cov: np.ndarray | None) -> np.ndarray:
    """Normalised weights of accepted particles: uniform in generation 0, else prior over proposal density."""
    if previous is None:
        return np.full(theta.shape[0], 1.0 / theta.shape[0])
    chol = np.linalg.cholesky(cov)
    diff = theta[:, None, :] - previous.theta[None, :, :]  # new x old x parameters
    z = np.linalg.solve(chol, diff.reshape(-1, theta.shape[1]).T).T.reshape(diff.shape)
    log_kernel = -0.5 * np.sum(z ** 2, axis=2)  # the constant cancels on normalising
    log_mix = _logsumexp(log_kernel + np.log(previous.weights)[None, :], axis=1)
    log_w = prior_logpdf(priors, theta) - log_mix
    log_w -= np.max(log_w)
    w = np.exp(log_w)
    return w / w.sum()


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


# --------------------------------------------------------------------------- distances and tolerance

def distance(stats: np.ndarray, targets: tuple[Target, ...]) -> np.ndarray:
    """Weighted root mean square of each target's miss in units of its scale; a published range counts a value
    inside it as no miss. A statistic the sample could not give (nan) is an infinite distance."""
    stats = np.atleast_2d(stats)
    total = np.zeros(stats.shape[0])
    for j, target in enumerate(targets):
        miss = target_miss(stats[:, j], target)
        total += target.weight * np.where(np.isnan(miss), np.inf, miss ** 2)
    return np.sqrt(total / sum(t.weight for t in targets))


def target_miss(values: np.ndarray, target: Target) -> np.ndarray:
    """How far each value lies from the observed figure (or range), in units of the target's scale."""
    values = np.asarray(values, dtype=float)
    if isinstance(target.observed, tuple):
        low, high = target.observed
        gap = np.maximum(low - values, 0.0) + np.maximum(values - high, 0.0)
    else:
        gap = np.abs(values - target.observed)
    return gap / target.scale


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | np.ndarray) -> np.ndarray | float:
    """The ``q`` quantile(s) of ``values`` with ``weights`` (the inverse of the weighted empirical CDF, with
    each point at the middle of its weight)."""
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cdf = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return np.interp(q, cdf, v)


def next_epsilon(population: Population, quantile: float) -> float:
    finite = np.isfinite(population.distances)
    return float(weighted_quantile(population.distances[finite], population.weights[finite], quantile))


def accept_first(distances: np.ndarray, epsilon: float, wanted: int) -> np.ndarray:
    """Indices of the first ``wanted`` candidates (in order) whose distance is within ``epsilon``."""
    return np.flatnonzero(distances <= epsilon)[:wanted]
