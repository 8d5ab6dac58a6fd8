"""The report of a region sweep: ``summary.md`` and figures when every run is a region.

A region run (``ecosystem.organizations > 0``, :mod:`sim.region.model`) is one
possible history of a whole region: the partnerships a funder's calls start
in it, which of them reach scale, which collapse, and when. Its row in
``runs.parquet`` holds the region's summary (``sim.region.model.ECOSYSTEM_SUMMARY_KEYS``).
The partnerships of one run share its organizations, its network of who trusts
whom and its funder, so they are not independent: the unit of analysis is the
run. Every number here is first computed per run (a count, a share of that
run's partnerships, a median of that run's months) and then summarised over
runs: means with Student t 95% intervals, medians with their interquartile
range, and Welch intervals for two-arm differences.

Writes into the report directory:

- ``summary.md``: per design point (and per value of each knob, pooled over the
  others, when more than one knob varies) the mean number of partnerships
  formed, the mean shares reaching scale, collapsing and sustained after the
  grant, the medians of the months to scale and to collapse, two-arm
  comparisons, and what each figure shows;
- ``region_outcomes_by_KNOB.png``: mean share reaching scale and collapsing
  against one knob, with 95% t intervals;
- ``region_timeline_by_KNOB.png``: live partnerships and running totals of those
  that reached scale and collapsed, region month by region month, one line per
  value of a lever (needs ``timeseries.parquet``).

:func:`sim.experiments.reporting.write_report` calls :func:`write_region_report`
for a study whose kind is ``region``; naming, grouping, formatting and figure
helpers are :mod:`sim.experiments.report`'s.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from sim.experiments import analysis
from sim.experiments.report import (
    DPI, FIGSIZE, GRANT_STYLE, MAX_POINTS, OUTCOME_COLOURS, Groups, Study, _cap, _colours,
    _failures, _figures_section, _file_part, _header, _knob_cells, _knob_value_keys, _legend_below,
    _load_timeseries, _markdown_table, _mark_grant_ends, _num, _save, _stratum, _table_keys, _title, _with_group,
    format_value, groups_of, in_group_order, knob_name, knob_phrase, section_parameters, two_arm_knobs, write_summary,
)

# Per run: partnerships sustained after the grant over those whose grant ended (NaN when none ended).
SUSTAINED = "share_sustained_after_funding"
SHARES = (
    ("share_reached_scale", "Reaching scale"),
    ("share_collapsed", "Collapsed"),
    (SUSTAINED, "Sustained after the grant"),
)
SHARE_COLOURS = {"share_reached_scale": OUTCOME_COLOURS["reached_scale"], "share_collapsed": OUTCOME_COLOURS["collapsed"],
                 SUSTAINED: OUTCOME_COLOURS["sustained_after_funding"]}
# (column, name, digits): shares (digits None) in %, other numbers to that many decimals.
EFFECT_OUTCOMES = (
    ("partnerships_formed", "Partnerships formed", 1),
    ("share_reached_scale", "Share reaching scale", None),
    ("share_collapsed", "Share collapsed", None),
    (SUSTAINED, "Share sustained after the grant", None),
    ("median_months_to_scale", "Months to scale (the run's median)", 1),
    ("median_months_to_collapse", "Months to collapse (the run's median)", 1),
    ("mean_final_community_outcome", "Community outcome at the end", 2),
)
TIMELINE_METRICS = (
    ("partnerships_live", "Live partnerships"),
    ("partnerships_at_scale", "Reached scale (running total)"),
    ("partnerships_collapsed", "Collapsed (running total)"),
)
OTHER_OUTCOMES = (
    ("partnerships_live_at_end", "Live partnerships at the end", 1),
    ("organizations_ever_in_partnership", "Organizations ever in a partnership", 0),
    ("mean_final_community_outcome", "Community outcome at the end (0 to 1)", 2),
)
UNITS_TEXT = (
    "**Runs are the units.** Each run is one possible history of a whole region (not a forecast). The partnerships "
    "within a run are not independent: they draw on the same organizations, the same network of who trusts whom and "
    "the same funder's calls, so one run's partnerships rise and fall together, and counting them as separate "
    "observations would make the intervals far too narrow. Every number below is therefore computed per run first "
    "(how many partnerships formed, the share of them that reached scale, the median months it took) and then "
    "summarised over runs: means with 95% Student t intervals over runs (for the mean a very large number of runs "
    "would give; shares' intervals are cut at 0% and 100%), medians over runs with their interquartile range."
)


# --------------------------------------------------------------------------- per-run values

def prepare(study: Study) -> Study:
    """Add the per-run share sustained after the grant (``SUSTAINED``) to ``study.ok``; returns the study."""
    ok = study.ok.copy()
    if "partnerships_funding_ended" in ok.columns and "partnerships_sustained_after_funding" in ok.columns:
        ended = analysis.as_numeric(ok["partnerships_funding_ended"])
        sustained = analysis.as_numeric(ok["partnerships_sustained_after_funding"])
        with np.errstate(invalid="ignore", divide="ignore"):
            ok[SUSTAINED] = np.where(ended > 0, sustained / np.where(ended > 0, ended, 1.0), np.nan)
    else:
        ok[SUSTAINED] = np.nan
    study.ok = ok
    return study


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return analysis.as_numeric(frame[column])


# --------------------------------------------------------------------------- cells

def share_cell(values: np.ndarray, runs: int | None = None) -> str:
    """Mean share over runs with its 95% t interval, e.g. ``31.2% (27.0–35.4%)``; ``, n=K runs`` when runs were left out."""
    mean, low, high, n = analysis.mean_interval(values)
    if n == 0:
        return "n/a"
    text = f"{100 * mean:.1f}%"
    if math.isfinite(low):
        text += f" ({100 * max(low, 0.0):.1f}–{100 * min(high, 1.0):.1f}%)"
    if runs is not None and n < runs:
        text += f", n={n}"
    return text


def number_cell(values: np.ndarray, digits: int = 1, floor: float | None = 0.0) -> str:
    """Mean over runs with its 95% t interval, e.g. ``98.4 (97.1–99.7)``."""
    mean, low, high, n = analysis.mean_interval(values)
    if n == 0:
        return "n/a"
    text = _num(mean, digits)
    if math.isfinite(low):
        low = max(low, floor) if floor is not None else low
        text += f" ({_num(low, digits)}–{_num(high, digits)})"
    return text


def median_cell(values: np.ndarray, runs: int | None = None) -> str:
    """Median over runs with the interquartile range, e.g. ``31 (IQR 28–35)``; ``, n=K`` when runs were left out."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "n/a"
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    text = f"{median:.0f} (IQR {q1:.0f}–{q3:.0f})"
    if runs is not None and values.size < runs:
        text += f", n={values.size}"
    return text


def _arm_cell(values: np.ndarray, digits: int | None) -> str:
    """One arm's mean over runs and its number of runs, e.g. ``6.1% (n=3)``."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "n/a (n=0)"
    mean = float(values.mean())
    return (f"{100 * mean:.1f}%" if digits is None else _num(mean, digits)) + f" (n={values.size})"


def _difference_cell(row: pd.Series, digits: int | None) -> str:
    """A difference with its interval: ``+5.4 pts (+2.9 to +7.9)`` for shares, ``-6.0 (-11.9 to -0.1)`` otherwise."""
    difference, low, high = row["difference"], row["ci_low"], row["ci_high"]
    if not math.isfinite(difference):
        return "n/a"
    if digits is None:
        text, unit = f"{100 * difference:+.1f} pts", lambda v: f"{100 * v:+.1f}"
    else:
        text, unit = f"{difference:+.{digits}f}", lambda v: f"{v:+.{digits}f}"
    if math.isfinite(low) and math.isfinite(high):
        text += f" ({unit(low)} to {unit(high)})"
    return text


# --------------------------------------------------------------------------- grouping

def _keyed(study: Study) -> list[tuple[str, list[str], pd.DataFrame]]:
    """The tables' groupings: per design point (small grids), then per value of each knob when more than one varies."""
    keyed = _table_keys(study)
    if len(keyed) == 1 and keyed[0][0] == "per design point" and len(study.knobs) > 1:
        keyed += [(f"{title}, pooled over the other knobs", by, frame) for title, by, frame in _knob_value_keys(study)]
    return keyed


def _parts(frame: pd.DataFrame, by: Sequence[str]) -> Iterable[tuple[dict, pd.DataFrame]]:
    """The groups of ``frame`` by the ``by`` columns, in the knobs' order."""
    if not by:
        yield {}, frame
        return
    keys = frame[list(by)].drop_duplicates()
    if "_order" in frame.columns:
        keys = keys.assign(_o=keys[by[0]].map(dict(zip(frame[by[0]], frame["_order"])))).sort_values("_o")
    else:
        keys = keys.sort_values(list(by), key=lambda s: s.map(analysis._sort_key))
    for _, key in keys.iterrows():
        mask = np.ones(len(frame), dtype=bool)
        for k in by:
            mask &= (frame[k].map(format_value) == format_value(key[k])).to_numpy()
        yield {k: key[k] for k in by}, frame[mask]


def _key_header(study: Study, by: Sequence[str]) -> list[str]:
    return [_cap(knob_name(k)) if k in study.knobs else _cap(k) for k in by]


# --------------------------------------------------------------------------- sections of summary.md

def _censoring_note(study: Study) -> str:
    """How far the shares are lifetime fates: it depends on whether the funder stopped calling well before the end."""
    base = study.manifest.get("base_params")
    region = base.get("ecosystem", {}) if isinstance(base, dict) else {}
    calls = region.get("calls") if isinstance(region, dict) else None
    if isinstance(calls, int) and calls > 0 and "ecosystem.calls" not in set(study.knobs):
        last_call = 1 + (calls - 1) * int(region.get("call_months", 12))
        return (f"The funder made {calls} call{'s' if calls != 1 else ''} (the last in month {last_call}), so every "
                "partnership had the rest of the run to show its fate; a partnership still funded in the last month "
                "does not count towards *sustained after the grant*. The shares are the region's record over the "
                "months simulated.")
    return ("Partnerships started by the last calls have had little time to reach scale or to collapse, and a "
            "partnership still funded in the last month does not count towards *sustained after the grant*; a "
            "longer grant keeps more of them funded to the end. The shares are the region's record over the months "
            "simulated, best compared between design points, not a partnership's lifetime odds "
            "(`ecosystem.calls` stops the calls early, so that every cohort has time to show its fate).")


def _region_facts(study: Study) -> list[str]:
    """What a run is: the region's size and the funder's calls, from the base parameters (unless varied)."""
    base = study.manifest.get("base_params")
    base = base if isinstance(base, dict) else {}
    region = base.get("ecosystem") if isinstance(base.get("ecosystem"), dict) else {}
    funding = base.get("funding") if isinstance(base.get("funding"), dict) else {}
    varied = set(study.knobs)

    def value(section: dict, key: str, dotted: str) -> str | None:
        if dotted in varied:
            return "(varied)"
        v = section.get(key)
        return format_value(v) if v is not None else None

    size = value(region, "organizations", "ecosystem.organizations")
    every = value(region, "call_months", "ecosystem.call_months")
    grants = value(region, "grants_per_call", "ecosystem.grants_per_call")
    calls = value(region, "calls", "ecosystem.calls")
    months = value(funding, "grant_months", "funding.grant_months")
    if size is None:
        return []
    fact = f"each run is a region of {size} organizations"
    if every is not None and grants is not None:
        fact += f"; the funder calls for proposals every {every} months"
        if calls not in (None, "0"):
            fact += f" ({calls} calls{'' if calls == '(varied)' else ' in all'})"
        fact += f" and funds up to {grants} partnerships a call"
    if months is not None and months != "(varied)":
        fact += f", each with a grant of {months} months"
    return [fact]


def section_outcomes(study: Study, keyed) -> str:
    lines = ["## How many partnerships reach scale, collapse and outlast their grant", "",
             "Per run: the number of partnerships the funder's calls started, and the share of them that reached "
             "scale, that collapsed, and that were *sustained after the grant*: of the partnerships whose grant "
             "ran out before the last month (without collapsing while it paid), the share still running at the end. "
             "Each cell is the mean of these per-run numbers with its 95% t interval over runs.", ""]
    notes = []
    no_formed = int((_values(study.ok, "partnerships_formed") == 0).sum())
    if no_formed:
        notes.append(f"{no_formed} run{'' if no_formed == 1 else 's'} formed no partnership and "
                     f"{'is' if no_formed == 1 else 'are'} left out of the shares")
    no_ended = int((~np.isfinite(_values(study.ok, SUSTAINED))).sum())
    if no_ended:
        notes.append(f"{no_ended} run{'' if no_ended == 1 else 's'} had no partnership whose grant ended and "
                     f"{'is' if no_ended == 1 else 'are'} left out of *sustained after the grant* (n = the runs counted, "
                     "where fewer than all)")
    for title, by, frame in keyed:
        header = _key_header(study, by) + ["Runs", "Partnerships formed"] + [name for _, name in SHARES]
        rows = []
        for key, part in _parts(frame, by):
            cells = _knob_cells(key, by) + [str(len(part)), number_cell(_values(part, "partnerships_formed"))]
            cells += [share_cell(_values(part, column), len(part)) for column, _ in SHARES]
            rows.append(cells)
        align = ["l"] * len(by) + ["r"] * (len(header) - len(by))
        lines += [f"### {_cap(title)}", "", _markdown_table(header, rows, align), ""]
    if notes:
        lines += [f"Left out: {'; '.join(notes)}.", ""]
    lines += [_censoring_note(study), ""]
    return "\n".join(lines)


def section_when(study: Study, keyed) -> str:
    lines = ["## When: months to scale and to collapse", "",
             "Per run: how many partnerships reached scale and collapsed (means over runs with 95% t intervals), and "
             "the median months from a partnership's start to scale, or to collapse, among that run's partnerships "
             "that got there. The months columns are the median of those per-run medians over runs, with the "
             "interquartile range (the middle half of the runs); runs where no partnership got there are left out "
             "(n = the runs counted, where fewer than all).", ""]
    for title, by, frame in keyed:
        header = _key_header(study, by) + ["Runs", "Reached scale (per run)", "Months to scale", "Collapsed (per run)",
                                           "Months to collapse"]
        rows = []
        for key, part in _parts(frame, by):
            rows.append(_knob_cells(key, by) + [
                str(len(part)),
                number_cell(_values(part, "partnerships_reached_scale")),
                median_cell(_values(part, "median_months_to_scale"), len(part)),
                number_cell(_values(part, "partnerships_collapsed")),
                median_cell(_values(part, "median_months_to_collapse"), len(part)),
            ])
        align = ["l"] * len(by) + ["r"] * (len(header) - len(by))
        lines += [f"### {_cap(title)}", "", _markdown_table(header, rows, align), ""]
    return "\n".join(lines)


def section_other(study: Study, keyed) -> str:
    columns = [(c, name, digits) for c, name, digits in OTHER_OUTCOMES if c in study.ok.columns]
    if not columns:
        return ""
    lines = ["## Other region outcomes", "",
             "Means over runs with 95% t intervals. The community outcome is the mean over a run's partnerships of "
             "each one's community outcome at its end (at collapse for those that collapsed).", ""]
    title, by, frame = keyed[0]
    header = _key_header(study, by) + ["Runs"] + [name for _, name, _ in columns]
    rows = []
    for key, part in _parts(frame, by):
        rows.append(_knob_cells(key, by) + [str(len(part))] + [number_cell(_values(part, c), digits) for c, _, digits in columns])
    align = ["l"] * len(by) + ["r"] * (len(header) - len(by))
    lines += [f"### {_cap(title)}", "", _markdown_table(header, rows, align), ""]
    return "\n".join(lines)


def region_effects(study: Study) -> dict[str, tuple[pd.DataFrame, str | None, Any, Any]]:
    """Two-arm comparisons: per knob with exactly two values, Welch differences of per-run means (pooled and per stratum)."""
    effects = {}
    outcomes = [c for c, _, _ in EFFECT_OUTCOMES if c in study.ok.columns]
    for knob in two_arm_knobs(study):
        stratum = _stratum(study, knob)
        table = analysis.two_arm_effects(study.ok, knob, outcomes, by=[stratum] if stratum else [], kind="continuous")
        effects[knob] = (table, stratum, table["arm_a"].iloc[0], table["arm_b"].iloc[0])
    return effects


def section_effects(study: Study, effects) -> str:
    if not effects:
        return ""
    lines = ["## Two-arm comparisons", "",
             "For each knob with exactly two values: the mean over runs at the first value minus the mean at the "
             "second, with Welch's 95% interval (each run is one observation: its count, its share, its median); "
             "shares in percentage points. Cohen's d is the difference over the runs' pooled standard deviation; "
             "Cliff's delta is the chance a run of the first arm is higher minus the chance it is lower.", ""]
    digits = {c: d for c, _, d in EFFECT_OUTCOMES}
    names = {c: name for c, name, _ in EFFECT_OUTCOMES}
    for knob, (table, stratum, arm_a, arm_b) in effects.items():
        pooled = table[table[stratum].isna()] if stratum else table
        lines += [f"### {_cap(knob_name(knob))}: {format_value(arm_a)} minus {format_value(arm_b)}", ""]
        rows = []
        for _, row in pooled.iterrows():
            outcome = row["outcome"]
            # Each arm's own mean (effect_size gives none when the other arm has no values).
            arms = [_values(study.ok[study.ok[knob] == arm], outcome) for arm in (arm_a, arm_b)]
            cells = [_arm_cell(values, digits[outcome]) for values in arms]
            rows.append([names[outcome], *cells, _difference_cell(row, digits[outcome]), _num(row["cohens_d"]),
                         _num(row["cliffs_delta"])])
        header = ["Outcome (per run)", format_value(arm_a), format_value(arm_b), "Difference (95% interval)", "Cohen's d",
                  "Cliff's delta"]
        lines += ["All runs:", "", _markdown_table(header, rows), ""]
        if stratum:
            strata = sorted(table[stratum].dropna().unique(), key=analysis._sort_key)
            shown = [c for c, _ in SHARES[:2] if c in set(table["outcome"])]
            header = [_cap(knob_name(stratum))] + [names[c] for c in shown]
            rows = []
            for value in strata:
                part = table[table[stratum] == value]
                cells = [format_value(value)]
                for column in shown:
                    cells.append(_difference_cell(part[part["outcome"] == column].iloc[0], None))
                rows.append(cells)
            lines += [f"By {knob_name(stratum)} (difference in mean share, 95% Welch interval):", "",
                      _markdown_table(header, rows), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- figures

def plot_region_outcomes(study: Study, knob: str) -> Any:
    """Mean share of a run's partnerships reaching scale and collapsing against ``knob``, with 95% t intervals."""
    groups = groups_of(study.ok, knob, max_groups=MAX_POINTS)
    frame = _with_group(study.ok, groups)
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    index = {label: i for i, label in enumerate(groups.order)}
    categorical = groups.positions is None or groups.binned or len(groups.order) <= 2
    top = 0.0
    shown = SHARES[:2]
    for k, (column, name) in enumerate(shown):
        table = in_group_order(analysis.mean_table(frame, ["_group"], column), groups)
        table = table[table["n"] > 0]
        if table.empty:
            continue
        if categorical:
            x = np.array([index[g] for g in table["_group"]], dtype=float) + (k - (len(shown) - 1) / 2) * 0.12
        else:
            x = np.array([groups.positions[index[g]] for g in table["_group"]])
        y = table["mean"].to_numpy()
        low = np.clip(table["ci_low"].to_numpy(), 0.0, 1.0)
        high = np.clip(table["ci_high"].to_numpy(), 0.0, 1.0)
        err = np.nan_to_num(np.vstack([y - low, high - y]), nan=0.0)
        top = max(top, float(np.nanmax(np.where(np.isfinite(high), high, y))))
        ax.errorbar(x, y, yerr=err, color=SHARE_COLOURS[column], marker="o", markersize=5, capsize=3, linewidth=1.6,
                    linestyle="none" if categorical else "-", label=f"{name} (share of the run's partnerships)")
    if categorical:
        ax.set_xticks(range(len(groups.order)), groups.order)
        ax.set_xlim(-0.5, len(groups.order) - 0.5)
    elif groups.positions:
        ax.set_xticks(groups.positions, groups.order)
    upper = min(1.0, max(top, 0.05) * 1.15)
    ax.set_ylim(-0.02 * upper, upper)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(_cap(knob_name(knob)) + (" (bins of equal run counts)" if groups.binned else ""))
    ax.set_ylabel("Share of the region's partnerships")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    runs = int(frame.groupby("_group").size().min()) if len(frame) else 0
    ax.set_title(_title(f"Share of a region's partnerships reaching scale and collapsing, by {knob_phrase(knob)} "
                        f"({study.steps} months, at least {runs} runs per point)"))
    _legend_below(fig, ax, title="Mean over runs; error bars: 95% t interval over runs", ncol=2)
    return fig


def first_grant_ends(study: Study, groups: Groups) -> dict[str, float]:
    """The month the first call's grants end, per group (0 < month < steps): the knob's value if it is the grant length."""
    if groups.knob == "funding.grant_months" and groups.positions is not None and not groups.binned:
        ends = dict(zip(groups.order, groups.positions))
    else:
        base = study.manifest.get("base_params")
        funding = base.get("funding") if isinstance(base, dict) and isinstance(base.get("funding"), dict) else {}
        months = funding.get("grant_months")
        if not isinstance(months, (int, float)) or isinstance(months, bool) or "funding.grant_months" in study.knobs:
            return {}
        ends = {label: float(months) for label in groups.order}
    return {label: month for label, month in ends.items() if 0 < month < study.steps}


def timeline(study: Study, knob: str | None, frame: pd.DataFrame) -> tuple[pd.DataFrame, Groups]:
    """Mean (with 95% t interval over runs) of each timeline metric per group and month."""
    if knob is None:
        labels = pd.Series(["all runs"] * len(study.ok), index=study.ok.index)
        groups = Groups("", labels, ["all runs"], None, False)
    else:
        groups = groups_of(study.ok, knob)
    group_of = dict(zip(study.ok["run_id"], groups.labels))
    frame = frame.assign(_group=frame["run_id"].map(group_of))
    return analysis.mean_table(frame, ["_group", "metric", "step"], "value"), groups


def plot_region_timeline(study: Study, means: pd.DataFrame, groups: Groups) -> Any:
    """Live partnerships and running totals reaching scale and collapsing, month by month, one line per group."""
    fig, axes = plt.subplots(1, len(TIMELINE_METRICS), figsize=(13.0, 4.8), dpi=DPI, layout="constrained", sharex=True)
    colours = _colours(groups)
    ends = first_grant_ends(study, groups)
    for ax, (metric, label) in zip(axes, TIMELINE_METRICS):
        part = means[means["metric"] == metric]
        for group, colour in zip(groups.order, colours):
            line = part[part["_group"] == group].sort_values("step")
            if line.empty:
                continue
            ax.fill_between(line["step"], line["ci_low"].fillna(line["mean"]), line["ci_high"].fillna(line["mean"]),
                            color=colour, alpha=0.15, linewidth=0)
            n = int(line["n"].max())
            ax.plot(line["step"], line["mean"], color=colour, linewidth=1.7, label=f"{group} ({n} runs)")
        _mark_grant_ends(ax, ends, dict(zip(groups.order, colours)))
        ax.set_title(label, fontsize="medium")
        ax.set_xlim(0, study.steps)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("Region month")
        ax.grid(True, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
    axes[0].set_ylabel("Partnerships (mean over runs)")
    by = f", by {knob_phrase(groups.knob)}" if groups.knob else ""
    fig.suptitle(_title(f"A region's partnerships month by month{by} (mean over runs; shaded: 95% t interval over runs)",
                        110))
    handles, labels = axes[0].get_legend_handles_labels()
    if ends:
        months = set(ends.values())
        handles.append(matplotlib.lines.Line2D([], [], color="0.3", **GRANT_STYLE))
        labels.append(f"first call's grants end (month {format_value(months.pop())})" if len(months) == 1 else
                      "first call's grants end (dashed, in each line's colour)")
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6), fontsize="small", frameon=False,
               title=_cap(knob_name(groups.knob)) if groups.knob else None, title_fontsize="small")
    return fig


# --------------------------------------------------------------------------- the report

def write_region_report(study: Study, out: Path, extra: Sequence[str] = ()) -> list[Path]:
    """Write ``summary.md`` and the figures of a region sweep into ``out``; return the paths written. ``extra``
    sections (e.g. a two-scale study's "Two scales") follow the header."""
    prepare(study)
    written: list[Path] = []
    figures: list[tuple[str, str]] = []

    def save(fig, name: str, what: str) -> None:
        written.append(_save(fig, out / name))
        figures.append((name, what))

    for knob in study.knobs:
        save(plot_region_outcomes(study, knob), f"region_outcomes_by_{_file_part(knob, study.knobs)}.png",
             f"Mean share of a region's partnerships reaching scale and collapsing for each {knob_name(knob)}, pooled "
             "over the other knobs, with 95% t intervals over runs.")

    lead = study.levers or study.knobs
    if study.timeseries_path is not None and "run_id" in study.ok.columns:
        frame = _load_timeseries(study, [m for m, _ in TIMELINE_METRICS])
        if frame is not None and not frame.empty:
            for knob in (lead[:3] or [None]):
                means, groups = timeline(study, knob, frame)
                name = f"region_timeline_by_{_file_part(knob, study.knobs)}.png" if knob else "region_timeline.png"
                save(plot_region_timeline(study, means, groups), name,
                     "Live partnerships, and running totals of those that reached scale and that collapsed, region month "
                     "by region month" + (f", one line per {knob_name(knob)}" if knob else "")
                     + " (mean over runs; shaded: 95% t interval); dashed lines mark the month the first call's "
                     "grants end.")

    keyed = _keyed(study)
    sections = [
        _header(study, UNITS_TEXT, _region_facts(study)),
        *extra,
        section_outcomes(study, keyed),
        section_when(study, keyed),
        section_other(study, keyed),
        section_effects(study, region_effects(study)),
        _figures_section(figures),
        _failures(study),
        section_parameters(study),
    ]
    return write_summary(out, sections, written)


__all__ = ["SUSTAINED", "prepare", "write_region_report"]
