"""Figures of a calibration: each parameter's marginal posterior against its prior range, the pairs, and the fit
of every target (posterior-predictive interval against the observed figure)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim import atomic
from sim.calibration import abc
from sim.calibration.spec import CalibrationSpec


def _save(fig, path: Path) -> Path:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    atomic.write_bytes(path, buffer.getvalue())
    return path


def write_figures(spec: CalibrationSpec, population: abc.Population, fitted: np.ndarray, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    d = len(spec.priors)
    theta, w = population.theta, population.weights

    cols = min(d, 3)
    rows = -(-d // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for j, prior in enumerate(spec.priors):
        ax = axes[j // cols][j % cols]
        low, high = prior.support
        ax.hist(theta[:, j], bins=20, range=(low, high), weights=w, color="#3b6ea5", alpha=0.85)
        ax.axhline(1.0 / 20, color="grey", linestyle=":", label="uniform prior")
        ax.set_xlim(low, high)
        ax.set_title(prior.key, fontsize=9)
        ax.set_ylabel("posterior weight")
    for j in range(d, rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle(f"{spec.name}: marginal posteriors over each prior's range")
    fig.tight_layout()
    paths.append(_save(fig, folder / "marginals.png"))
    plt.close(fig)

    fig, axes = plt.subplots(d, d, figsize=(1.9 * d + 1, 1.9 * d + 1), squeeze=False)
    sizes = 4 + 60 * w / w.max()
    for i, pi in enumerate(spec.priors):
        for j, pj in enumerate(spec.priors):
            ax = axes[i][j]
            if i == j:
                ax.hist(theta[:, j], bins=15, range=pj.support, weights=w, color="#3b6ea5")
            elif i > j:
                ax.scatter(theta[:, j], theta[:, i], s=sizes, alpha=0.4, color="#3b6ea5", linewidths=0)
                ax.set_xlim(pj.support)
                ax.set_ylim(pi.support)
            else:
                ax.axis("off")
                continue
            ax.tick_params(labelsize=6)
            if i == d - 1:
                ax.set_xlabel(pj.key.split(".")[-1], fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(pi.key.split(".")[-1], fontsize=7)
    fig.suptitle(f"{spec.name}: pairs (point size: weight)")
    fig.tight_layout()
    paths.append(_save(fig, folder / "pairs.png"))
    plt.close(fig)

    targets = spec.targets
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(targets) + 1.4))
    for y, (target, values) in enumerate(zip(targets, fitted.T)):
        finite = values[np.isfinite(values)]
        colour = "#3b6ea5" if target.role == "calibration" else "#b5651d"
        if len(finite):
            low, mid, high = np.quantile(finite, [0.05, 0.5, 0.95])
            ax.plot([low, high], [y, y], color=colour, linewidth=4, alpha=0.6)
            ax.plot([mid], [y], "o", color=colour)
        observed = target.observed
        if isinstance(observed, tuple):
            ax.plot(observed, [y, y], color="black", linewidth=1.5, marker="|", markersize=12)
        else:
            ax.plot([observed], [y], marker="D", color="black")
    ax.set_yticks(range(len(targets)))
    ax.set_yticklabels([f"{t.name} ({t.role})" for t in targets], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("statistic: posterior predictive 90% (bar, median dot) against published (black)")
    ax.set_title(f"{spec.name}: fit (blue: calibration, brown: validation)", fontsize=10)
    fig.tight_layout()
    paths.append(_save(fig, folder / "fit.png"))
    plt.close(fig)
    return paths
