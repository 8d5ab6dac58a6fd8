"""Calibration (ABC-SMC): a known-answer test (parameters recovered from data the model itself generated), the
validation targets kept out of the fit, repeatability (workers, resume) and one-line errors for bad specs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from sim.calibration import abc
from sim.calibration.posterior import draws, medoid, read_posterior
from sim.calibration.run import calibrate, read_generations
from sim.calibration.spec import load_calibration
from sim.calibration.targets import compute, simulate
from sim.cli import main
from sim.errors import ScenarioError
from sim.scenarios import load_scenario
from sim.seeds import replicate_seeds

ROOT = Path(__file__).resolve().parent.parent

SMALL_SCENARIO = """description = "Communities That Care-like coalitions of eight organizations, four years: small enough for a test."
steps = 48
[organizations]
count = 8
initial_trust = 0.2
[funding]
grant_months = 36
renewal_probability = 0.0
competition = 0.4
[governance]
community_decision_share = 0.3
"""

# The known answer: the values the pseudo-observed data come from.
TRUTH = {"membership.time_value": 0.9, "partnership.assessment_work": 0.8}  # where the statistics are mid-range
PRIORS = {"membership.time_value": (0.2, 1.6), "partnership.assessment_work": (0.3, 2.0)}
STATISTICS = {  # target -> (statistic, its arguments)
    "operating_at_48": ("operating_share", {"month": 48}),
    "demonstration_by_24": ("reached_phase_by", {"phase": "demonstration", "month": 24}),
    "demonstration_by_36": ("reached_phase_by", {"phase": "demonstration", "month": 36}),
}


def _target_lines(name: str, role: str, statistic: str, args: dict, observed) -> str:
    lines = [f"[targets.{name}]", f'role = "{role}"', 'sample = "small"', f'statistic = "{statistic}"']
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in args.items()]
    lines.append(f"observed = {observed!r}")
    return "\n".join(lines) + "\n"


def write_spec(folder: Path, observed: dict, *, population: int, generations: int, size: int, extra: str = "",
               root_seed: int = 11) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "small.toml").write_text(SMALL_SCENARIO)
    text = [f'description = "known answer"\nroot_seed = {root_seed}\n',
            f"[abc]\npopulation = {population}\ngenerations = {generations}\nquantile = 0.5\nmin_acceptance = 0.05\n"
            "predictive_draws = 5\n",
            "[parameters]\n" + "".join(f'"{k}" = {{prior = "uniform", low = {lo}, high = {hi}}}\n'
                                       for k, (lo, hi) in PRIORS.items()),
            f'[samples.small]\nscenario = "small.toml"\nsize = {size}\n']
    text += [_target_lines(name, "calibration", *STATISTICS[name], observed[name]) for name in observed]
    path = folder / "spec.toml"
    path.write_text("\n".join(text) + extra)
    return path


def pseudo_observed(folder: Path, n: int = 400) -> dict:
    """The targets' statistics over ``n`` coalitions simulated at the true values."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "small.toml").write_text(SMALL_SCENARIO)
    params = load_scenario(str(folder / "small.toml"), TRUTH)
    coalitions = simulate(params, replicate_seeds(20261201, n))
    return {name: round(compute(stat, args, coalitions), 4) for name, (stat, args) in STATISTICS.items()}


def test_abc_recovers_known_parameters_from_data_the_model_generated(tmp_path):
    started = time.monotonic()
    observed = pseudo_observed(tmp_path / "truth")
    spec = load_calibration(write_spec(tmp_path / "spec", observed, population=60, generations=4, size=40))
    out = calibrate(spec, tmp_path / "out", workers=2)
    final = read_generations(out)[-1]
    for j, prior in enumerate(spec.priors):
        x = final.theta[:, j]
        low, high = abc.weighted_quantile(x, final.weights, [0.025, 0.975])
        p5, p95 = abc.weighted_quantile(x, final.weights, [0.05, 0.95])
        assert low <= TRUTH[prior.key] <= high, (prior.key, low, high)
        prior_width = 0.9 * (prior.high - prior.low)
        assert p95 - p5 < 0.6 * prior_width, (prior.key, p5, p95, prior_width)
    assert (out / "posterior.csv").is_file() and (out / "fit.md").is_file()
    print(f"known-answer calibration: {time.monotonic() - started:.0f} s")  # measured, not asserted: the CPU is shared


def test_validation_targets_never_change_the_posterior(tmp_path):
    observed = {"operating_at_48": 0.2}
    validation = _target_lines("kept_apart", "validation", "operating_share", {"month": 24}, 0.5)
    other = validation.replace("observed = 0.5", "observed = 0.99")
    trace = tmp_path / "TRACE.md"
    trace.write_text("# log\n")
    a = tmp_path / "a-out"
    spec_a = write_spec(tmp_path / "a", observed, population=8, generations=1, size=6, extra=validation)
    assert main(["calibrate", str(spec_a), "--out", str(a), "--workers", "1", "--trace", str(trace)]) == 0
    assert trace.read_text().startswith("# log\n\n### ") and "spec.toml" in trace.read_text()
    b = calibrate(load_calibration(write_spec(tmp_path / "b", observed, population=8, generations=1, size=6,
                                              extra=other)), tmp_path / "b-out", workers=2)
    assert (a / "posterior.csv").read_bytes() == (b / "posterior.csv").read_bytes()
    assert "0.99" in (b / "fit.md").read_text() and "kept_apart" in (a / "fit.md").read_text()
    # ... while a calibration target's observed value does change it.
    c = calibrate(load_calibration(write_spec(tmp_path / "c", {"operating_at_48": 0.6}, population=8, generations=1,
                                              size=6, extra=validation)), tmp_path / "c-out", workers=1)
    assert (a / "posterior.csv").read_bytes() != (c / "posterior.csv").read_bytes()


def test_an_interrupted_calibration_resumes_to_the_same_bytes(tmp_path, monkeypatch):
    observed = {"operating_at_48": 0.2, "demonstration_by_24": 0.4}
    spec = load_calibration(write_spec(tmp_path / "spec", observed, population=6, generations=2, size=5))
    whole = calibrate(spec, tmp_path / "whole", workers=1)

    from sim.calibration import run as run_mod

    real = run_mod.run_generation

    def interrupted(spec, t, previous, evaluator):
        if t == 2:
            raise KeyboardInterrupt
        return real(spec, t, previous, evaluator)

    monkeypatch.setattr(run_mod, "run_generation", interrupted)
    with pytest.raises(KeyboardInterrupt):
        calibrate(spec, tmp_path / "parts", workers=1)
    assert len(read_generations(tmp_path / "parts")) == 2
    monkeypatch.setattr(run_mod, "run_generation", real)
    with pytest.raises(Exception, match="--resume"):
        calibrate(spec, tmp_path / "parts", workers=1)
    calibrate(spec, tmp_path / "parts", workers=1, resume=True)
    for name in ("posterior.csv", "fit.csv", "generations/002.json"):
        assert (tmp_path / "parts" / name).read_bytes() == (whole / name).read_bytes(), name
    # More generations extend a finished calibration: the earlier ones stay as they were.
    longer = load_calibration(spec.path, generations=3)
    calibrate(longer, whole, workers=1, resume=True)
    assert len(read_generations(whole)) == 4
    assert (whole / "generations/002.json").read_bytes() == (tmp_path / "parts" / "generations/002.json").read_bytes()


def test_posterior_draws_are_seeded_and_follow_the_weights(tmp_path):
    weights = np.array([0.0, 0.25, 0.75])
    a, b = draws(weights, 4000, 5), draws(weights, 4000, 5)
    assert np.array_equal(a, b)
    assert not np.any(a == 0)
    assert abs(np.mean(a == 2) - 0.75) < 0.03
    path = tmp_path / "posterior.csv"
    path.write_text("particle,weight,distance,membership.time_value,membership.launch_patience\n"
                    "0,0.5,1.0,0.4,12\n1,1.5,2.0,0.8,20\n")
    keys, values, w = read_posterior(path)
    assert keys == ["membership.time_value", "membership.launch_patience"]
    assert values == [[0.4, 12], [0.8, 20]] and np.allclose(w, [0.25, 0.75])


def test_weights_undo_the_proposal_so_a_flat_target_gives_the_prior():
    """With every candidate accepted, importance weights turn the kernel's proposals back into the prior: the
    weighted mean of a uniform prior on 0..1 stays near 0.5 however the previous population was placed."""
    from sim.calibration.spec import Prior

    priors = (Prior(key="x", kind="uniform", low=0.0, high=1.0),)
    rng = np.random.default_rng(3)
    previous = abc.Population(theta=rng.uniform(0.0, 0.3, (400, 1)), weights=np.full(400, 1 / 400),
                              distances=np.zeros(400), stats=np.zeros((400, 0)), epsilon=1.0, candidates=400)
    cov = abc.kernel_covariance(previous)
    theta = np.array([abc.propose(priors, previous, cov, rng) for _ in range(4000)])
    weights = abc.importance_weights(priors, theta, previous, cov)
    assert np.mean(theta) < 0.3  # the proposals crowd where the previous population was ...
    assert abs(np.sum(weights * theta[:, 0]) - 0.5) < 0.08  # ... and the weights spread them back over the prior


def test_weighted_quantile_known_answers():
    assert abc.weighted_quantile([1.0, 2.0, 3.0], [1, 1, 1], 0.5) == 2.0
    assert abc.weighted_quantile([1.0, 2.0, 3.0], [0, 0, 1], 0.5) == 3.0
    assert abc.weighted_quantile([0.0, 10.0], [1, 1], 0.5) == 5.0


def test_the_medoid_is_the_particle_closest_to_all_the_others_known_answers():
    # Equal weights on a line: the middle one.
    assert medoid(np.array([[0.0], [1.0], [2.0]]), np.ones(3)) == 1
    # Most of the weight far out: the medoid goes with it (0.1 * 10 + 0.1 * 9 = 1.9 < 0.1 * 1 + 0.8 * 9 = 7.3).
    assert medoid(np.array([[0.0], [1.0], [10.0]]), np.array([0.1, 0.1, 0.8])) == 2
    # Parameters that trade off (on a ring): the vector of medians sits in the hole, near no particle; the medoid is
    # a particle.
    angle = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
    ring = np.column_stack((np.cos(angle), np.sin(angle)))
    weights = np.ones(40)
    centre = ring[medoid(ring, weights)]
    medians = np.array([abc.weighted_quantile(ring[:, j], weights / 40, [0.5])[0] for j in range(2)])
    assert np.min(np.linalg.norm(ring - medians, axis=1)) > 0.9  # the medians: nowhere near a particle
    assert np.any(np.all(ring == centre, axis=1))
    # A parameter on a scale a thousand times larger does not decide alone (each in its standard deviations).
    cloud = np.array([[0.0, 0.0], [1.0, 1000.0], [2.0, 2000.0], [1.0, 3000.0]])
    assert medoid(cloud, np.ones(4)) in (1, 2)


@pytest.mark.parametrize("edit, key", [
    (('statistic = "operating_share"', 'statistic = "survival"'), "targets.operating_at_48.statistic"),
    (('high = 1.6', 'high = 160.0'), "parameters.membership.time_value"),
    (('role = "calibration"', 'role = "validation"'), "targets"),
    (('size = 5', 'size = 0'), "samples.small.size"),
    (('month = 48', 'month = 480'), "targets.operating_at_48.month"),
    (('population = 6', 'population = 6\nsize = 3'), "abc.size"),
])
def test_a_bad_spec_is_one_line_naming_the_file_and_key(tmp_path, capsys, edit, key):
    path = write_spec(tmp_path, {"operating_at_48": 0.2}, population=6, generations=1, size=5)
    path.write_text(path.read_text().replace(*edit))
    with pytest.raises(ScenarioError):
        load_calibration(path)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and key in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_the_shipped_calibration_spec_loads():
    spec = load_calibration(ROOT / "calibration" / "coalitions.toml")
    assert spec.calibration_targets and spec.validation_targets
    assert {t.sample for t in spec.targets} == {"ctc", "hcap"}


def test_the_sampler_and_pyabc_agree_with_a_known_posterior(tmp_path):
    """A conjugate problem: theta ~ uniform(-5, 5), the observed mean of 20 draws from normal(theta, 1) is 1.0, so
    the posterior is about normal(1.0, 1/sqrt(20)) (sd 0.22). This sampler and pyabc's (single core, the reference
    implementation of the `calibrate` extra) both find it; ABC's tolerance widens it a little."""
    from types import SimpleNamespace

    from sim.calibration.run import smc_generation
    from sim.calibration.spec import Prior, Target

    n, observed = 20, 1.0
    spec = SimpleNamespace(
        priors=(Prior(key="theta", kind="uniform", low=-5.0, high=5.0),),
        calibration_targets=(Target(name="y", role="calibration", sample="toy", statistic="mean", args={},
                                    observed=observed, n=n, scale=1 / np.sqrt(n)),),
        root_seed=4, population=300, batch=300, quantile=0.5, min_acceptance=0.01)

    def simulate_batch(values, seeds):
        return [[np.random.default_rng(s[0][0]).normal(v["theta"], 1.0, n).mean()] for v, s in zip(values, seeds)]

    population = None
    for t in range(6):
        population = smc_generation(spec, t, population, simulate_batch, [1])
    mean = float(np.sum(population.weights * population.theta[:, 0]))
    sd = float(np.sqrt(np.sum(population.weights * (population.theta[:, 0] - mean) ** 2)))
    assert abs(mean - observed) < 0.12 and 0.12 < sd < 0.4, (mean, sd)

    pyabc = pytest.importorskip("pyabc")
    np.random.seed(4)  # pyabc draws from numpy's global state; its single-core sampler then repeats
    reference = pyabc.ABCSMC(lambda p: {"y": float(np.random.normal(p["theta"], 1.0, n).mean())},
                             pyabc.Distribution(theta=pyabc.RV("uniform", -5.0, 10.0)),
                             lambda x, y: abs(x["y"] - y["y"]), population_size=300,
                             sampler=pyabc.sampler.SingleCoreSampler())
    reference.new("sqlite:///" + str(tmp_path / "pyabc.db"), {"y": observed})
    history = reference.run(max_nr_populations=6)
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    ref_mean = float(np.sum(frame["theta"].to_numpy() * weights))
    ref_sd = float(np.sqrt(np.sum(weights * (frame["theta"].to_numpy() - ref_mean) ** 2)))
    assert abs(ref_mean - observed) < 0.12 and 0.12 < ref_sd < 0.4, (ref_mean, ref_sd)
    assert abs(mean - ref_mean) < 0.15 and abs(sd - ref_sd) < 0.12


def test_coalitions_read_from_the_record_are_those_of_sim_run():
    """simulate() reads the model's record, not sim.run's time-series table: the same coalitions."""
    import dataclasses

    import sim
    from sim.calibration.targets import coalition

    params = load_scenario("ctc_like")
    for seed, fast in zip((3, 11, 29), simulate(params, (3, 11, 29))):
        slow = coalition(sim.run(dataclasses.replace(params, seed=seed)))
        assert (fast.end_step, fast.end_cause, fast.funding_sources) == (slow.end_step, slow.end_cause, slow.funding_sources)
        assert np.array_equal(fast.operating, slow.operating) and np.array_equal(fast.phase, slow.phase)
