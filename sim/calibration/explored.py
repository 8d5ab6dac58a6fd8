"""The values each parameter has been explored over, read from the shipped specs: the Morris range of the screening
(calibration/screening.toml), the settings of the robustness study's assumptions and findings
(calibration/robustness.toml) and the priors of the calibration (calibration/coalitions.toml).

docs/odd_tables.py prints them next to each parameter's label, so that an ``assumption`` says how far it was
varied and a ``calibrated`` parameter over which prior it was fitted.
"""

from __future__ import annotations

from sim.calibration.robustness import load_robustness
from sim.calibration.screening import SCALE, element_factor, load_screening
from sim.calibration.spec import load_calibration

SPECS = {"screening": "screening", "robustness": "robustness", "calibration": "coalitions"}


def _g(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return f"{x:,.0f}" if abs(x) >= 10_000 and x.is_integer() else f"{x:g}"
    return str(x)


def explored(screening: str = SPECS["screening"], robustness: str = SPECS["robustness"],
             calibration: str = SPECS["calibration"]) -> dict[str, list[str]]:
    """``{key: ["0.3–0.9 (screening, ctc_like)", "0, 3.7 (robustness)", ...]}`` for every parameter a spec varies."""
    found: dict[str, list[str]] = {}
    spec = load_screening(screening)
    for factor in spec.factors:
        element = element_factor(factor.key)
        if element is not None:
            key, span = element[0], f"element {element[1]} ×{_g(factor.low)}–{_g(factor.high)}"
        elif factor.key.endswith(SCALE):
            key, span = factor.key[: -len(SCALE)], f"×{_g(factor.low)}–{_g(factor.high)}"
        else:
            low, high = (int(factor.low), int(factor.high)) if factor.integer else (factor.low, factor.high)
            key, span = factor.key, f"{_g(low)}–{_g(high)}"
        found.setdefault(key, []).append(f"{span} (screening, {spec.scenario})")
    values: dict[str, list] = {}
    study = load_robustness(robustness)
    settings = [s for _, s in study.assumptions] + [arm for f in study.findings for arm in (f.a, f.b)]
    for setting in settings:
        for key, value in setting.items():
            if value not in values.setdefault(key, []):
                values[key].append(value)
    for key, vals in values.items():
        found.setdefault(key, []).append(", ".join(_g(v) for v in vals) + " (robustness)")
    for prior in load_calibration(calibration).priors:
        low, high = (int(prior.low), int(prior.high)) if prior.integer else (prior.low, prior.high)
        found.setdefault(prior.key, []).append(f"prior {prior.kind} {_g(low)}–{_g(high)} (calibration)")
    return found
