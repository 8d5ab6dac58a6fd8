"""One question, two scales: does a lever do the same to single partnerships and to the partnerships of a region?

A two-scale study (:mod:`sim.experiments.scales`) runs the same lever on single partnerships and on regions. For
each outcome this module states the lever's effect at each scale with its 95% interval and whether the two agree
in sign, reading the intervals, not the point estimates:

- **agree**: both intervals lie on the same side of zero;
- **disagree**: they lie on opposite sides;
- **unclear**: either interval includes zero (or an effect cannot be computed).

When an outcome disagrees it shows the candidate explanations, each measured from the same runs' formation
profiles (:mod:`sim.profile`): **who partners** (members' mean desire to partner: the
self-selection a mandate removes), **size** (members a partnership forms with) and **who convenes** (the share
of conveners that are community organizations, the convener's capacity). A candidate is one the lever changes
differently at the two scales (the interval of the difference between its two effects excludes zero); one it
changes alike at both cannot explain a disagreement. They are candidates measured, not causes proved.

Units: a single partnership is one run; a region is one run, and every region number is computed per run
first (a share of that region's partnerships, a mean over them) and then averaged over runs. Effects are the
higher (or ``true``) arm minus the lower one: Newcombe intervals for a single partnership's yes/no outcomes,
Welch intervals for everything else.

:func:`compare` and :func:`agreement` are pure (frames in, a tidy frame out); :func:`write_scales_report` writes
``summary.md`` (the section, the figure, links to both scales' reports), ``two_scales.csv`` (the tidy table),
``two_scales.png`` and each scale's full report with the section near its top.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.experiments import analysis, scales
from sim.experiments.report import (
    PLAIN_TEXT, ReportError, Study, _cap, _markdown_table, _one_line, _save, format_value, knob_name, load_study,
)
from sim.experiments.store import PARTNERSHIP, REGION, MANIFEST
from sim.experiments.study_check import check_study

AGREE, DISAGREE, UNCLEAR = "agree", "disagree", "unclear"
DIFFERS, ALIKE, UNKNOWN = "differs", "no clear difference", "unknown"
SCALE_NAMES = {PARTNERSHIP: "single partnerships", REGION: "regions"}
SCALE_TITLES = {PARTNERSHIP: "Single partnerships", REGION: "Regions"}
CSV = "two_scales.csv"
FIGURE = "two_scales.png"
SCALE_COLOURS = {PARTNERSHIP: "#2171b5", REGION: "#d94801"}


@dataclass(frozen=True)
class Measure:
    """An outcome or a candidate explanation, by its column at each scale."""

    key: str
    name: str                 # e.g. "Share collapsed"
    columns: dict             # scale -> runs.parquet column
    binary: tuple = ()        # the scales at which each run's value is yes/no (Newcombe intervals)
    digits: int | None = None  # None: a share, in % (differences in points)
    group: str = ""           # a candidate's kind: who partners, size, who convenes
    unit: str = ""            # after a number that is not a share, e.g. " months"

    def column(self, scale: str) -> str:
        return self.columns[scale]


def _both(column: str) -> dict:
    return {PARTNERSHIP: column, REGION: column}


OUTCOMES = (
    Measure("collapse", "Share collapsed", {PARTNERSHIP: "collapsed", REGION: "share_collapsed"}, (PARTNERSHIP,)),
    Measure("scale", "Share reaching scale", {PARTNERSHIP: "reached_scale", REGION: "share_reached_scale"},
            (PARTNERSHIP,)),
    Measure("cooperating", "Share with a cooperating pair", _both("formation.share_cooperating"), (PARTNERSHIP,)),
    Measure("months_to_cooperating", "Months to the first cooperating pair", _both("formation.months_to_cooperating"),
            digits=1, unit=" months"),
)
CANDIDATES = (
    Measure("desire", "Members' mean desire to partner (0 to 1)", _both("formation.member_desire"), digits=2,
            group="who partners"),
    Measure("members", "Members at formation", _both("formation.members"), digits=1, group="size"),
    Measure("community_convener", "Conveners that are community organizations", _both("formation.community_convener"),
            (PARTNERSHIP,), group="who convenes"),
    Measure("convener_capacity", "Convener's capacity at formation (0 to 1)", _both("formation.convener_capacity"),
            digits=2, group="who convenes"),
)
CSV_COLUMNS = ("lever", "arm_a", "arm_b", "role", "measure", "name", "group", "scale", "n_a", "n_b", "value_a",
               "value_b", "difference", "ci_low", "ci_high", "method", "verdict", "gap", "gap_low", "gap_high")


# --------------------------------------------------------------------------- the logic

def direction(low: float, high: float) -> int | None:
    """+1 if the interval lies above zero, -1 below, 0 if it includes zero, None if it is unknown."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    if low > 0:
        return 1
    if high < 0:
        return -1
    return 0


def agreement(a: tuple[float, float], b: tuple[float, float]) -> str:
    """Whether two effects, each given by its interval ``(low, high)``, agree in sign: :data:`AGREE` when both
    intervals lie on the same side of zero, :data:`DISAGREE` on opposite sides, :data:`UNCLEAR` otherwise."""
    da, db = direction(*a), direction(*b)
    if not da or not db:
        return UNCLEAR
    return AGREE if da == db else DISAGREE


def gap(a: dict, b: dict) -> tuple[float, float, float, str]:
    """How much more the lever changes a candidate at one scale than at the other: ``b - a`` (effects as dicts
    with ``difference``, ``ci_low``, ``ci_high``) with an interval from the two half-widths added in quadrature,
    and :data:`DIFFERS` when it excludes zero, :data:`ALIKE` when it does not."""
    values = [a["difference"], a["ci_low"], a["ci_high"], b["difference"], b["ci_low"], b["ci_high"]]
    if not all(v is not None and math.isfinite(v) for v in values):
        return (math.nan, math.nan, math.nan, UNKNOWN)
    half_a = max(a["difference"] - a["ci_low"], a["ci_high"] - a["difference"])
    half_b = max(b["difference"] - b["ci_low"], b["ci_high"] - b["difference"])
    value, half = b["difference"] - a["difference"], math.hypot(half_a, half_b)
    low, high = value - half, value + half
    return (value, low, high, DIFFERS if direction(low, high) else ALIKE)


def arms(frames: dict[str, pd.DataFrame], lever: str) -> tuple[Any, Any]:
    """The lever's two values ``(a, b)``: the higher (or true) arm first, as in :func:`analysis.two_arm_effects`."""
    values = set()
    for frame in frames.values():
        values |= {analysis._plain(v) for v in frame[lever].dropna().unique()}
    ordered = sorted(values, key=analysis._sort_key)
    if len(ordered) != 2:
        raise ValueError(f"{lever} has {len(ordered)} values across the scales; a two-scale comparison needs exactly 2")
    return ordered[1], ordered[0]


def effect(frame: pd.DataFrame, lever: str, column: str, arm_a: Any, arm_b: Any, binary: bool) -> dict:
    """The lever's effect on one column at one scale: arm ``a`` minus arm ``b`` (pooled over any other knobs)."""
    if column not in frame.columns:
        return {"n_a": 0, "n_b": 0, "value_a": math.nan, "value_b": math.nan, "difference": math.nan,
                "ci_low": math.nan, "ci_high": math.nan, "method": "missing"}
    values = frame[lever].map(analysis._plain)
    result = analysis.effect_size(frame.loc[values == arm_a, column], frame.loc[values == arm_b, column],
                                  kind="binary" if binary else "continuous")
    keep = ("n_a", "n_b", "value_a", "value_b", "difference", "ci_low", "ci_high")
    return {**{k: result[k] for k in keep}, "method": "Newcombe" if binary else "Welch"}


def compare(frames: dict[str, pd.DataFrame], lever: str, outcomes: Sequence[Measure] = OUTCOMES,
            candidates: Sequence[Measure] = CANDIDATES) -> pd.DataFrame:
    """The tidy comparison (:data:`CSV_COLUMNS`): one row per measure and scale, with the measure's verdict
    (outcomes: agree, disagree or unclear; candidates: differs, no clear difference, unknown) on both rows.

    ``frames`` maps ``"partnership"`` and ``"region"`` to their runs (one row per run, ok runs only).
    """
    arm_a, arm_b = arms(frames, lever)
    rows = []
    for role, measures in (("outcome", outcomes), ("candidate", candidates)):
        for measure in measures:
            found = {scale: effect(frames[scale], lever, measure.column(scale), arm_a, arm_b, scale in measure.binary)
                     for scale in (PARTNERSHIP, REGION)}
            if role == "outcome":
                verdict = agreement(*((found[s]["ci_low"], found[s]["ci_high"]) for s in (PARTNERSHIP, REGION)))
                between = (math.nan, math.nan, math.nan)
            else:
                *between, verdict = gap(found[PARTNERSHIP], found[REGION])
            for scale in (PARTNERSHIP, REGION):
                rows.append({"lever": lever, "arm_a": arm_a, "arm_b": arm_b, "role": role, "measure": measure.key,
                             "name": measure.name, "group": measure.group, "scale": scale, **found[scale],
                             "verdict": verdict, "gap": between[0], "gap_low": between[1], "gap_high": between[2]})
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


# --------------------------------------------------------------------------- words

def _round(value: float, digits: int | None) -> float:
    """``value`` as it will print (shares in points), without a negative zero."""
    shown = round(100 * value, 1) if digits is None else round(value, digits)
    return 0.0 if shown == 0 else shown


def _value(value: float, digits: int | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{_round(value, digits):.1f}%" if digits is None else f"{_round(value, digits):.{digits}f}"


def _signed(value: float, digits: int | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    shown = _round(value, digits)
    text = f"{shown:+.1f} points" if digits is None else f"{shown:+.{digits}f}{unit}"
    return text.replace("-", "−")


def _bounds(low: float, high: float, digits: int | None) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    places = 1 if digits is None else digits
    return f"{_round(low, digits):.{places}f} to {_round(high, digits):.{places}f}".replace("-", "−")


def _interval(row: pd.Series | dict, digits: int | None, low: str = "ci_low", high: str = "ci_high") -> str:
    return _bounds(row[low], row[high], digits)


def _effect_cell(row: pd.Series, digits: int | None) -> str:
    return f"{_signed(row['difference'], digits)} ({_interval(row, digits)})"


def _arms_cell(row: pd.Series, digits: int | None, joint: str = " → ") -> str:
    return f"{_value(row['value_b'], digits)}{joint}{_value(row['value_a'], digits)}"


def _pairs(table: pd.DataFrame, role: str, measures: Sequence[Measure]):
    """``(measure, single-partnership row, region row)`` for each of ``measures`` the table holds."""
    for measure in measures:
        found = table[(table["role"] == role) & (table["measure"] == measure.key)].set_index("scale")
        if not found.empty:
            yield measure, found.loc[PARTNERSHIP], found.loc[REGION]


def _scale_cells(p: pd.Series, r: pd.Series, digits: int | None) -> list[str]:
    return [_arms_cell(p, digits), _effect_cell(p, digits), _arms_cell(r, digits), _effect_cell(r, digits)]


def _change(row: pd.Series, measure: Measure, where: str) -> str:
    """``raises it by 3.5 points (1.8 to 5.3) for single partnerships``, or says that the interval includes zero.
    A fall is given as a positive amount with the interval of that amount."""
    digits = measure.digits
    sign = direction(row["ci_low"], row["ci_high"])
    if sign is None:
        return f"cannot be measured {where}"
    if sign == 0:
        return (f"makes no clear difference {where} ({_signed(row['difference'], digits, measure.unit)}, "
                f"{_interval(row, digits)})")
    size, low, high = row["difference"], row["ci_low"], row["ci_high"]
    if sign < 0:
        size, low, high = -size, -high, -low
    amount = _signed(size, digits, measure.unit).lstrip("+")
    return f"{'raises' if sign > 0 else 'lowers'} it by {amount} ({_bounds(low, high, digits)}) {where}"


WHERE = {PARTNERSHIP: "for single partnerships", REGION: "for a region's partnerships"}


def _lever_phrase(lever: str, arm_a: Any, arm_b: Any) -> str:
    return f"{_cap(knob_name(lever))} ({format_value(arm_a)} against {format_value(arm_b)})"


def _plain_name(measure: Measure) -> str:
    name = measure.name.replace(" (0 to 1)", "")
    return name[:1].lower() + name[1:]


def outcome_sentences(table: pd.DataFrame, measures: Sequence[Measure] = OUTCOMES) -> list[str]:
    """One plain sentence per outcome: the verdict, then the effect at each scale with its interval."""
    lines = []
    first = table.iloc[0]
    lever = _lever_phrase(first["lever"], first["arm_a"], first["arm_b"])
    for measure, p, r in _pairs(table, "outcome", measures):
        word = {AGREE: "the scales agree", DISAGREE: "the scales disagree", UNCLEAR: "unclear"}[p["verdict"]]
        both = f"{_change(p, measure, WHERE[PARTNERSHIP])} and {_change(r, measure, WHERE[REGION])}"
        lines.append(f"- **{measure.name}: {word}.** {lever} {both}.")
    return lines


def candidate_sentences(table: pd.DataFrame, measures: Sequence[Measure] = CANDIDATES,
                        disagreement: bool = True) -> list[str]:
    """One plain sentence per candidate explanation: what the lever does to it at each scale, and whether that
    differs between the scales (``disagreement``: whether an outcome disagrees, which it would explain)."""
    lines = []
    for measure, p, r in _pairs(table, "candidate", measures):
        digits, verdict = measure.digits, p["verdict"]
        text = (f"- **{_cap(measure.group)}**, {_plain_name(measure)}: from {_arms_cell(p, digits, ' to ')} for single "
                f"partnerships ({_signed(p['difference'], digits)}, {_interval(p, digits)}) and from "
                f"{_arms_cell(r, digits, ' to ')} for a region's partnerships ({_signed(r['difference'], digits)}, "
                f"{_interval(r, digits)}). ")
        between = f"{_signed(p['gap'], digits)}, {_interval(p, digits, 'gap_low', 'gap_high')}"
        if verdict == DIFFERS:
            text += (f"The lever changes it differently at the two scales (regions minus single partnerships: "
                     f"{between})" + (": **a candidate explanation**." if disagreement else "."))
        elif verdict == ALIKE:
            text += (f"The lever changes it alike at both scales (regions minus single partnerships: {between})"
                     + (": it does not explain the disagreement." if disagreement else "."))
        else:
            text += "It cannot be measured at both scales."
        lines.append(text)
    return lines


def section(tables: dict[str, pd.DataFrame], facts: dict[str, dict], figure: str | None = None) -> str:
    """The section "Two scales" for each compared lever's table (:func:`compare`); ``facts`` per scale: scenario,
    runs per arm, partnerships per region."""
    lines = ["## Two scales", ""]
    p, r = facts.get(PARTNERSHIP, {}), facts.get(REGION, {})
    lines += [
        f"The same comparison on single partnerships (scenario `{p.get('scenario', '?')}`, "
        f"{p.get('runs_per_arm', '?')} runs per arm) and on the partnerships of regions (scenario "
        f"`{r.get('scenario', '?')}`, {r.get('runs_per_arm', '?')} regions per arm"
        + (f", {r['partnerships']:.1f} partnerships per region on average" if r.get("partnerships") else "")
        + "). A region is one run: its numbers are computed per region first, then averaged over regions. Each effect "
        "is one arm minus the other with its 95% interval (Newcombe for a single partnership's yes/no outcomes, Welch "
        "over runs otherwise). The two scales **agree** when both intervals lie on the same side of zero, **disagree** "
        "when they lie on opposite sides, and are **unclear** when either interval includes zero.", ""]
    for lever, table in tables.items():
        first = table.iloc[0]
        arm_a, arm_b = format_value(first["arm_a"]), format_value(first["arm_b"])
        if len(tables) > 1:
            lines += [f"### {_cap(knob_name(lever))}", ""]
        header = ["Outcome", f"Single partnerships: {arm_b} → {arm_a}", "Effect (95% interval)",
                  f"Regions: {arm_b} → {arm_a}", "Effect (95% interval)", "The scales"]
        rows = [[measure.name, *_scale_cells(sp, sr, measure.digits), f"**{sp['verdict']}**"]
                for measure, sp, sr in _pairs(table, "outcome", OUTCOMES)]
        lines += [_markdown_table(header, rows, ["l", "r", "r", "r", "r", "l"]), ""]
        lines += outcome_sentences(table) + [""]
        months = table[(table["measure"] == "months_to_cooperating")]
        if not months.empty:
            lines += ["Months to the first cooperating pair count only the partnerships that had one (the share above); "
                      "a region's value is the median over its partnerships.", ""]
        verdicts = set(table.loc[table["role"] == "outcome", "verdict"])
        if verdicts & {DISAGREE, UNCLEAR}:
            lines += _explanations(table, lever, arm_a, arm_b, DISAGREE in verdicts)
        else:
            lines += [f"The scales agree on every outcome; what {knob_name(lever)} changes on the day a partnership "
                      f"forms at each scale (who partners, size, who convenes) is in `{CSV}`.", ""]
    if figure:
        lines += [f"![{figure}]({figure})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _explanations(table: pd.DataFrame, lever: str, arm_a: str, arm_b: str, disagreement: bool) -> list[str]:
    """The candidates: the subsection "Why the scales disagree" when an outcome disagrees; when none does but some
    are unclear, the same numbers as what differs between the scales, without calling them explanations."""
    what = (f"What {knob_name(lever)} changes on the day a partnership forms, at each scale, measured in the same "
            "runs. ")
    if disagreement:
        lines = ["### Why the scales disagree: the candidates, measured", "",
                 what + "A factor the lever changes differently at the two scales is a candidate explanation of the "
                 "disagreement; one it changes alike at both is not. These are measurements, not proof of cause: a "
                 "study that holds a candidate equal at both scales (for example single partnerships as large as a "
                 "region's, through `organizations.count`) would test it.", ""]
    else:
        lines = ["### What differs between the scales: the candidates, measured", "",
                 what + "No outcome clearly disagrees, so nothing needs explaining; should more runs find a "
                 "disagreement where the answer is unclear, a factor the lever changes differently at the two scales "
                 "would be a candidate explanation.", ""]
    header = ["Candidate", "Measure", f"Single partnerships: {arm_b} → {arm_a}", "Effect (95% interval)",
              f"Regions: {arm_b} → {arm_a}", "Effect (95% interval)", "Between the scales"]
    rows = []
    for measure, sp, sr in _pairs(table, "candidate", CANDIDATES):
        between = sp["verdict"] if sp["verdict"] != DIFFERS else (
            f"**differs** by {_signed(sp['gap'], measure.digits)} ({_interval(sp, measure.digits, 'gap_low', 'gap_high')})")
        rows.append([_cap(measure.group), measure.name, *_scale_cells(sp, sr, measure.digits), between])
    lines += [_markdown_table(header, rows, ["l", "l", "r", "r", "r", "r", "l"]), ""]
    lines += candidate_sentences(table, disagreement=disagreement) + [""]
    return lines


# --------------------------------------------------------------------------- the figure

def plot(tables: dict[str, pd.DataFrame]) -> Any:
    """Each outcome's effect at each scale with its 95% interval, one panel per outcome (first compared lever)."""
    lever, table = next(iter(tables.items()))
    measures = [m for m in OUTCOMES if not table[(table["role"] == "outcome") & (table["measure"] == m.key)].empty]
    with plt.rc_context(PLAIN_TEXT):
        fig, axes = plt.subplots(1, len(measures), figsize=(3.0 * len(measures), 4.2), layout="constrained",
                                 squeeze=False)
        first = table.iloc[0]
        for ax, measure in zip(axes[0], measures):
            rows = table[(table["role"] == "outcome") & (table["measure"] == measure.key)].set_index("scale")
            scale_factor = 100.0 if measure.digits is None else 1.0
            for x, scale in enumerate((PARTNERSHIP, REGION)):
                row = rows.loc[scale]
                value = row["difference"] * scale_factor
                low, high = row["ci_low"] * scale_factor, row["ci_high"] * scale_factor
                if math.isfinite(value):
                    err = [[value - low], [high - value]] if math.isfinite(low) else None
                    ax.errorbar([x], [value], yerr=err, fmt="o", color=SCALE_COLOURS[scale], capsize=5, markersize=7)
            ax.axhline(0.0, color="0.4", linewidth=0.8)
            ax.set_xticks([0, 1], [SCALE_TITLES[PARTNERSHIP], SCALE_TITLES[REGION]], fontsize="small")
            ax.set_xlim(-0.6, 1.6)
            ax.set_title(f"{textwrap.fill(measure.name, 26)}\n({rows['verdict'].iloc[0]})", fontsize="medium")
            ax.set_ylabel("effect, points" if measure.digits is None else "effect, months")
            ax.grid(axis="y", alpha=0.3)
        fig.suptitle(f"Effect of {knob_name(lever)} ({format_value(first['arm_a'])} minus "
                     f"{format_value(first['arm_b'])}) at each scale, with 95% intervals", fontsize="medium")
    return fig


# --------------------------------------------------------------------------- the study and its report

@dataclass
class ScaledStudy:
    name: str
    directory: Path
    manifest: dict
    studies: dict[str, Study]  # scale -> its sweep
    compared: list[str]


def check_scaled(results_dir: str | Path) -> None:
    """Raise :class:`ReportError` if a two-scale study's files do not belong together."""
    load_scaled(results_dir)


def load_scaled(results_dir: str | Path) -> ScaledStudy:
    directory = Path(results_dir)
    manifest = scales.read_manifest(directory)
    path = directory / MANIFEST
    if manifest is None:
        raise ReportError(f"{path}: not a two-scale study's manifest")
    table = manifest.get("scales")
    if not isinstance(table, dict) or any(not isinstance(table.get(s), dict) for s in scales.SCALES):
        raise ReportError(f"{path}: scales: expected a table of {', '.join(scales.SCALES)}; run `partnersim sweep SPEC "
                          f"--out {directory} --resume` to rewrite it")
    studies = {}
    for scale in scales.SCALES:
        sub = directory / str(table[scale].get("directory", scale))
        if not (sub / "runs.parquet").is_file():
            raise ReportError(f"{sub}: no runs.parquet (the {SCALE_NAMES[scale]} sweep has not finished); run "
                              f"`partnersim sweep SPEC --out {directory} --resume` to finish it")
        check_study(sub)
        study = load_study(sub)
        expected, found = table[scale].get("spec_hash"), study.manifest.get("spec_hash")
        if expected is not None and found != expected:
            raise ReportError(f"{sub / MANIFEST}: belongs to another study (spec hash {str(found)[:12]}) than {path} "
                              f"(spec hash {str(expected)[:12]}); put the study's own files together, or run the sweep again")
        if study.kind != scale:
            raise ReportError(f"{sub}: holds a {study.kind} sweep where {path} expects {SCALE_NAMES[scale]}")
        studies[scale] = study
    compared = [k for k in manifest.get("compared") or [] if isinstance(k, str)]
    for lever in compared:
        for study in studies.values():
            if lever not in study.ok.columns:
                raise ReportError(f"{study.directory / 'runs.parquet'}: no column {lever}, the lever {path} compares")
    if not compared:
        raise ReportError(f"{path}: compared: no lever to compare; run the sweep again with a current partnersim")
    return ScaledStudy(name=str(manifest.get("name") or directory.name), directory=directory, manifest=manifest,
                       studies=studies, compared=compared)


def facts(scaled: ScaledStudy, lever: str) -> dict[str, dict]:
    out = {}
    for scale, study in scaled.studies.items():
        counts = study.ok[lever].map(analysis._plain).value_counts()
        per_arm = int(counts.min()) if len(counts) else 0
        item = {"scenario": study.spec.get("scenario", "?"), "runs_per_arm": f"{per_arm:,}" if counts.nunique() <= 1
                else f"{int(counts.min()):,} to {int(counts.max()):,}"}
        if scale == REGION and "partnerships_formed" in study.ok.columns:
            item["partnerships"] = float(np.nanmean(analysis.as_numeric(study.ok["partnerships_formed"])))
        out[scale] = item
    return out


def tables_of(scaled: ScaledStudy) -> dict[str, pd.DataFrame]:
    frames = {scale: study.ok for scale, study in scaled.studies.items()}
    return {lever: compare(frames, lever) for lever in scaled.compared}


def write_scales_report(scaled: ScaledStudy, out: Path) -> list[Path]:
    """Write the two-scale report into ``out``: ``summary.md``, ``two_scales.csv``, ``two_scales.png`` and each
    scale's report (``partnership/``, ``region/``) with the section "Two scales" after its header."""
    from sim.experiments.partnership_report import write_partnership_report
    from sim.experiments.region_report import write_region_report

    tables = tables_of(scaled)
    lever = scaled.compared[0]
    text = section(tables, facts(scaled, lever))
    written: list[Path] = []
    csv_path = out / CSV
    pd.concat(tables.values(), ignore_index=True).to_csv(csv_path, index=False, lineterminator="\n", float_format="%.6g")
    written.append(csv_path)
    written.append(_save(plot(tables), out / FIGURE))
    links = {PARTNERSHIP: "[the single-partnership report](partnership/summary.md)",
             REGION: "[the region report](region/summary.md)"}
    writers = {PARTNERSHIP: write_partnership_report, REGION: write_region_report}
    for scale, study in scaled.studies.items():
        sub = out / scale
        sub.mkdir(parents=True, exist_ok=True)
        other = REGION if scale == PARTNERSHIP else PARTNERSHIP
        note = (f"This study asks its question at two scales; {links[other].replace('](', '](../')} and the two-scale "
                f"summary ([../summary.md](../summary.md), with `{CSV}` and `{FIGURE}`) are beside this one.\n")
        written += writers[scale](study, sub, extra=[text + "\n" + note])
    summary = out / "summary.md"
    summary.write_text(_summary(scaled, text, links), encoding="utf-8", newline="\n")
    written.insert(0, summary)
    return written


def _summary(scaled: ScaledStudy, text: str, links: dict[str, str]) -> str:
    manifest = scaled.manifest
    lines = [f"# Two-scale report: {scaled.name}", ""]
    description = manifest.get("description")
    if isinstance(description, str) and description.strip():
        lines += [_one_line(description), ""]
    for scale, study in scaled.studies.items():
        failed = f", {study.n_failed} failed and left out" if study.n_failed else ""
        runs = "single-partnership runs" if scale == PARTNERSHIP else "region runs"
        lines.append(f"- {SCALE_TITLES[scale]}: scenario `{study.spec.get('scenario', '?')}`, {len(study.ok):,} {runs} "
                     f"of {study.steps} months{failed}; {links[scale]}")
    for scale, study in scaled.studies.items():
        lines += [f"- note ({SCALE_NAMES[scale]}): {note}" for note in study.notes]
    lines += ["", text, "## Files", "",
              f"- `{CSV}`: one row per measure and scale: the two arms' values, the effect with its 95% interval, the "
              "verdict (outcomes: agree, disagree, unclear; candidates: differs or not between the scales) and, for "
              "candidates, the difference between the scales' effects with its interval.",
              f"- `{FIGURE}`: each outcome's effect at each scale with its 95% interval.",
              "- `partnership/` and `region/`: each scale's full report (summary.md and figures).", "",
              f"![{FIGURE}]({FIGURE})", ""]
    return "\n".join(lines)


__all__ = ["AGREE", "DISAGREE", "UNCLEAR", "CANDIDATES", "OUTCOMES", "agreement", "check_scaled", "compare",
           "direction", "gap", "load_scaled", "section", "write_scales_report"]
