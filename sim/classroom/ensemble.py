"""Many seeds per side: the spread of outcomes behind the single run the page tells as a story.

One run is one possible history. :func:`run_ensemble` runs the classroom's two sides (the same settings, two
community decision shares) over a range of seeds and keeps, per seed and side, the community outcome halfway
through and at the end, and whether the partnership collapsed. :func:`ensemble_sentences` says how often each side
did better, and whether betterment was ever ahead early: computed from these runs, never asserted. Results are
cached per settings, so the page and the lesson plan pay for an ensemble once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

import sim
from sim.classroom.lesson import SIDE_COLOURS, classroom_overrides, figure_png
from sim.classroom.narrative import side_name

ENSEMBLE_SEEDS = 30
FIRST_SEED = 0


@dataclass(frozen=True)
class Ensemble:
    """Per side (0: left, 1: right) and seed: community outcome halfway and at the end, collapse."""

    shares: tuple[float, float]
    seeds: tuple[int, ...]
    halfway_month: int
    steps: int
    halfway: np.ndarray   # (2, seeds)
    final: np.ndarray     # (2, seeds)
    collapsed: np.ndarray  # (2, seeds) bool
    demonstration: np.ndarray  # (2, seeds) month the partnership left its assessment phase (steps + 1: never)

    @property
    def names(self) -> tuple[str, str]:
        return side_name(self.shares[0]), side_name(self.shares[1])

    def better(self, values: np.ndarray) -> tuple[int, int, int]:
        """How many seeds the left side was ahead, the right side was ahead, and tied."""
        left, right = values
        return int((left > right + 1e-9).sum()), int((right > left + 1e-9).sum()), int((np.abs(left - right) <= 1e-9).sum())


def settings_key(settings: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in settings.items() if k != "rng"))  # the ensemble runs its own seeds


def run_ensemble(settings: dict, seeds: int = ENSEMBLE_SEEDS) -> Ensemble:
    """Both sides over ``seeds`` seeds (from :data:`FIRST_SEED`) with the page's settings (``ClassroomModel`` keywords)."""
    return _cached(settings_key(settings), seeds)


@functools.lru_cache(maxsize=16)
def _cached(key: tuple, seeds: int) -> Ensemble:
    settings = dict(key)
    shares = (float(settings.pop("left_share")), float(settings.pop("right_share")))
    steps = settings.pop("steps", None)
    seed_list = tuple(range(FIRST_SEED, FIRST_SEED + seeds))
    first = classroom_overrides(seed=seed_list[0], steps=steps, **settings)
    total = sim.load_scenario("baseline", first).steps
    halfway_month = total // 2
    halfway, final, collapsed = np.zeros((2, seeds)), np.zeros((2, seeds)), np.zeros((2, seeds), dtype=bool)
    demonstration = np.full((2, seeds), total + 1)
    for j, seed in enumerate(seed_list):
        overrides = classroom_overrides(seed=seed, steps=steps, **settings)
        for i, share in enumerate(shares):
            result = sim.run("baseline", overrides={**overrides, "governance.community_decision_share": share})
            outcome = result.timeseries["community_outcome"].to_numpy()
            halfway[i, j] = outcome[min(halfway_month, outcome.size - 1)]
            final[i, j] = outcome[-1]
            collapsed[i, j] = bool(result.summary["collapsed"])
            moved = np.flatnonzero(result.timeseries["phase"].to_numpy() != "assessment")
            if moved.size:
                demonstration[i, j] = moved[0]
    return Ensemble(shares, seed_list, halfway_month, total, halfway, final, collapsed, demonstration)


def ensemble_sentences(e: Ensemble) -> list[str]:
    """Plain sentences with counts over the seeds: who was ahead halfway and at the end, how many collapsed."""
    left, right = e.names
    n = len(e.seeds)
    seeds = f"seeds {e.seeds[0]}–{e.seeds[-1]}"
    end = e.better(e.final)
    half = e.better(e.halfway)
    lines = [f"Over {n} runs ({seeds}), each with its own organizations, the community outcome at the end "
             f"(month {e.steps}) was higher under {left} in {end[0]} and under {right} in {end[1]}"
             + (f", equal in {end[2]}" if end[2] else "") + ".",
             f"Halfway (month {e.halfway_month}) {left} was ahead in {half[0]} of {n}, {right} in {half[1]}"
             + (f", equal in {half[2]}" if half[2] else "") + ".",
             f"Collapsed by the end: {int(e.collapsed[0].sum())} of {n} under {left}, "
             f"{int(e.collapsed[1].sum())} of {n} under {right}."]
    lines.append(early_speed_sentence(e))
    return lines


def early_speed_sentence(e: Ensemble) -> str:
    """Whether the model shows betterment's early speed here, in counts: reaching demonstration sooner, or being
    ahead halfway and behind at the end."""
    left, right = e.names
    n = len(e.seeds)
    sooner = e.demonstration[0] < e.demonstration[1]
    later = e.demonstration[1] < e.demonstration[0]
    faded = (e.halfway[0] > e.halfway[1] + 1e-9) & (e.final[1] > e.final[0] + 1e-9)
    parts = [f"Early speed: {left} left the assessment phase sooner than {right} in {int(sooner.sum())} of {n} runs, "
             f"later in {int(later.sum())}"]
    if sooner.any():
        example = e.seeds[int(np.argmax(sooner))]
        parts.append(f" (seed {example} is one: set Seed to {example} and press Reset)")
    parts.append(". ")
    if faded.any():
        parts.append(f"In {int(faded.sum())} of {n} runs {left}'s community outcome was ahead halfway and behind at "
                     f"the end.")
    elif not sooner.any():
        parts.append("Under these settings the model does not produce betterment's early speed.")
    else:
        ahead = e.better(e.halfway)[0]
        if ahead:
            parts.append(f"Halfway its community outcome was ahead in {ahead} of {n} runs, and in none of them did "
                         f"{right} overtake it by the end.")
        else:
            parts.append("Its community outcome was ahead halfway in no run: the early start did not turn into a lead "
                         "in outcome.")
    return "".join(parts)


def ensemble_png(e: Ensemble) -> bytes:
    """Each seed's community outcome at the end, one dot per run per side, with the seed's two runs joined."""
    fig = Figure(figsize=(5.6, 3.0), dpi=90)
    ax = fig.add_axes((0.2, 0.2, 0.76, 0.68))
    rows = np.array([1.0, 0.0])
    for j in range(len(e.seeds)):
        ax.plot(e.final[:, j], rows, color="0.8", linewidth=0.8, zorder=1)
    jitter = (np.arange(len(e.seeds)) % 5 - 2) * 0.04
    for i in range(2):
        ax.scatter(e.final[i], rows[i] + jitter, s=22, color=SIDE_COLOURS[i], zorder=2,
                   edgecolors="white", linewidths=0.5)
    ax.set_yticks(rows, [name.capitalize() for name in e.names], fontsize=11)
    ax.set_ylim(-0.5, 1.5)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"Community outcome at month {e.steps} (0 to 1), one dot per run", fontsize=10)
    ax.tick_params(labelsize=10)
    ax.grid(True, axis="x", color="0.9")
    ax.set_axisbelow(True)
    ax.set_title(f"{len(e.seeds)} runs per side: the spread of outcomes", fontsize=12, loc="left")
    return figure_png(fig)
