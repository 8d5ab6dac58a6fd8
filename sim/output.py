"""Writing one run to disk: ``timeseries.csv``, ``summary.json`` and ``figures/``.

Everything is built in a hidden temporary directory next to the target
(``.NAME.PID.xxxx.tmp``, removed on any failure, and by the next run if the
process was killed) and then moved into place file by file, so a reader never
sees a half-written file. The same
:class:`sim.run.RunResult` always gives byte-identical files, figures included
(fixed size and dpi, no software or date stamp in the PNGs).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim import atomic  # noqa: E402
from sim.params import LEVELS, PHASES  # noqa: E402
from sim.record import DEPARTURE_KEYS, STATUS_MEANING  # noqa: E402
from sim.run import RunResult  # noqa: E402

TIMESERIES = "timeseries.csv"
SUMMARY = "summary.json"
FIGURES = "figures"
FIGURE_NAMES = ("levels.png", "trust.png", "phases.png")
PARTNERSHIPS = "partnerships.csv"
ORGANIZATIONS = "organizations.csv"
NETWORKS = "networks"  # a partnership's network at the months asked for: networks/month_36.graphml
ECOSYSTEM_FIGURE_NAMES = ("partnerships.png", "survival.png")

FIGSIZE = (9.0, 5.0)
DPI = 100
PNG_METADATA = {"Software": None}

LEVEL_COLOURS = {"networking": "#c6dbef", "coordinating": "#6baed6", "cooperating": "#2171b5", "collaborating": "#08306b"}
PHASE_COLOURS = {"assessment": "#fdd49e", "demonstration": "#fc8d59", "advocacy": "#b30000", "scale": "#238b45"}
GRANT_STYLE = dict(color="0.3", linestyle="--", linewidth=1.2)
SCALE_STYLE = dict(color="#238b45", linestyle="-.", linewidth=1.5)
COLLAPSE_STYLE = dict(color="#cb181d", linestyle=":", linewidth=2.0)


# --------------------------------------------------------------------------- text

def _month(value: Any) -> str:
    return f"month {value}"


def format_summary(summary: dict) -> str:
    """A short, plain-language account of one run (a handful of lines)."""
    if "partnerships_formed" in summary:
        return format_region(summary)
    lines = [f"scenario {summary.get('scenario')}, seed {summary.get('seed')}, {summary.get('steps')} months"]
    status = summary.get("final_status")
    if status:
        lines.append(f"final status: {status} ({STATUS_MEANING[status]})")
    if summary.get("members_start") is not None:
        lines.append(_members_line(summary))

    if summary.get("reached_scale"):
        lines.append(f"reached scale in {_month(summary.get('scale_step'))} (the public sector adopted the innovation)")
    else:
        lines.append("did not reach scale")

    if summary.get("goals_met"):
        lines.append(f"closed with its goals met in {_month(summary.get('goals_met_step'))}")
    elif summary.get("collapsed"):
        cause = summary.get("collapse_cause")
        lines.append(f"collapsed in {_month(summary.get('collapse_step'))}" + (f": {cause}" if cause else ""))
    else:
        members = summary.get("final_active_members")
        lines.append(f"still active at {_month(summary.get('steps'))} with {members} members")

    ended = summary.get("funding_end_step")
    grants = summary.get("grants_received")
    grants_text = f" ({grants} grant{'s' if grants != 1 else ''})" if grants is not None else ""
    if ended is None:
        lines.append(f"grant still running at the end of the run{grants_text}")
    else:
        sustained = summary.get("sustained_after_funding")
        if sustained is None:
            verdict = "not known (the run ended with the grant)"
        else:
            verdict = "yes" if sustained else "no"
            after = summary.get("months_active_after_funding")
            if summary.get("goals_met"):
                verdict += " (it closed with its goals met)"
            elif after is not None:
                verdict += f", active {after} months after"
        lines.append(f"grant ended in {_month(ended)}{grants_text}; sustained after funding: {verdict}")

    lines.append(f"highest level reached: {summary.get('max_level') or 'none'}")
    lines.append(
        "final mean trust {}, community outcome {}, community power share {}".format(
            _number(summary.get("final_mean_trust")),
            _number(summary.get("final_community_outcome")),
            _number(summary.get("community_power_share")),
        )
    )
    return "\n".join(lines)


def _members_line(summary: dict) -> str:
    """Members at the start, at the grant's end and at the end, and the roads the ones who left took."""
    at_grant_end = summary.get("members_at_grant_end")
    line = f"members: {summary.get('members_start')} at the start"
    if at_grant_end is not None:
        line += f", {at_grant_end} when the founding grant ended"
    line += f", {summary.get('members_end')} at the end"
    roads = [(key.removeprefix("members_left_").replace("_", " "), summary.get(key) or 0) for key in DEPARTURE_KEYS]
    left = [f"{road} {count}" for road, count in roads if count]
    return line + (f"; why they left (those still in at an end count under its cause): {', '.join(left)}" if left else "")


def _number(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{float(value):.2f}"


# --------------------------------------------------------------------------- files

def _json_default(value: Any):
    """numpy scalars and arrays that may slip into a summary, as plain JSON values."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"summary value of type {type(value).__name__} is not JSON serializable")


def summary_json(summary: dict) -> str:
    """The summary as strict JSON (NaN or infinity raise rather than write invalid JSON)."""
    return json.dumps(summary, sort_keys=True, indent=2, ensure_ascii=True, allow_nan=False, default=_json_default) + "\n"


def _write_timeseries(frame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n", encoding="utf-8")


def _write_summary(summary: dict, path: Path) -> None:
    text = summary_json(summary)
    with open(path, "w", encoding="ascii", newline="\n") as handle:
        handle.write(text)


def write_run(result: RunResult, out_dir: Path) -> list[Path]:
    """Write the time series, the summary and the figures into ``out_dir``; return the paths written.

    A partnership's run also writes ``organizations.csv`` (one row per organization) and, for the months
    it kept (``sim.run(..., network_months=...)``), its network as ``networks/month_M.graphml``. An ecosystem
    run writes ``partnerships.csv`` (one row per partnership) and its figures show the region. A run from data
    also writes its start tables (``start_organizations.csv``, ...: the data's answers beside the model's
    values, docs/DATA.md). Files already in ``out_dir`` with the same names are replaced; other files there are
    left alone.
    """
    networks: dict[Path, Any] = {}
    if result.is_ecosystem:
        figures = tuple(zip(ECOSYSTEM_FIGURE_NAMES, (plot_region, plot_region_survival)))
        tables = ((TIMESERIES, result.timeseries), (PARTNERSHIPS, result.partnerships))
    else:
        figures = tuple((name, lambda result, plot=plot: plot(result.timeseries, result.summary))
                        for name, plot in zip(FIGURE_NAMES, (plot_levels, plot_trust, plot_phases)))
        tables = ((TIMESERIES, result.timeseries),)
        if result.state is not None:
            tables += ((ORGANIZATIONS, result.organizations),)
        networks = {Path(NETWORKS) / f"month_{month}.graphml": graph for month, graph in sorted(result.networks.items())}
    # A run from data also writes the data's answers beside the model's values, in full precision.
    start_tables = tuple((result.start_tables or {}).items())
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = atomic.staging_dir(out_dir)  # also removes the staging folders of runs that were killed
    try:
        (staging / FIGURES).mkdir()
        for name, frame in tables:
            _write_timeseries(frame, staging / name)
        for name, frame in start_tables:
            frame.to_csv(staging / name, index=False, lineterminator="\n", encoding="utf-8")
        _write_summary(result.summary, staging / SUMMARY)
        for name, draw in figures:
            figure = draw(result)
            try:
                figure.savefig(staging / FIGURES / name, dpi=DPI, format="png", metadata=PNG_METADATA)
            finally:
                plt.close(figure)
        if networks:
            import networkx as nx

            (staging / NETWORKS).mkdir()
            for rel, graph in networks.items():
                nx.write_graphml(graph, staging / rel, encoding="utf-8")

        relative = [*(Path(name) for name, _ in (*tables, *start_tables)), Path(SUMMARY),
                    *(Path(FIGURES) / name for name, _ in figures), *networks]
        out_dir.mkdir(exist_ok=True)
        (out_dir / FIGURES).mkdir(exist_ok=True)
        if networks:
            (out_dir / NETWORKS).mkdir(exist_ok=True)
        written = []
        for rel in relative:
            target = out_dir / rel
            os.replace(staging / rel, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------- figures

def _title(summary: dict, what: str) -> str:
    return f"{what}: scenario {summary.get('scenario')}, seed {summary.get('seed')}"


def _months(frame) -> np.ndarray:
    return frame["step"].to_numpy()


def _mark_events(ax, summary: dict) -> None:
    """Dashed line at the grant's end; lines at scale and collapse, each in the legend."""
    ended = summary.get("funding_end_step")
    if ended is not None:
        ax.axvline(ended, label=f"grant ended (month {ended})", **GRANT_STYLE)
    if summary.get("scale_step") is not None:
        ax.axvline(summary["scale_step"], label=f"reached scale (month {summary['scale_step']})", **SCALE_STYLE)
    if summary.get("collapse_step") is not None:
        ax.axvline(summary["collapse_step"], label=f"collapsed (month {summary['collapse_step']})", **COLLAPSE_STYLE)


def _finish(ax, months: np.ndarray) -> None:
    ax.set_xlim(months[0], max(months[-1], months[0] + 1))
    ax.set_xlabel("Time (months since the partnership formed)")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)


def _legend(fig, handles) -> None:
    """One legend below the plot, outside the data so it never hides a line."""
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize="small", frameon=False)


def plot_levels(frame: pd.DataFrame, summary: dict) -> Figure:
    """Pairs of organizations at each level of the continuum, stacked, month by month."""
    months = _months(frame)
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    counts = [frame[f"n_{level}"].to_numpy() for level in LEVELS]
    ax.stackplot(months, counts, labels=[level.capitalize() for level in LEVELS],
                 colors=[LEVEL_COLOURS[level] for level in LEVELS], alpha=0.95)
    _mark_events(ax, summary)
    _finish(ax, months)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Pairs of organizations (count)")
    ax.set_title(_title(summary, "How closely partners work together"))
    _legend(fig, ax.get_legend_handles_labels()[0])
    return fig


def plot_trust(frame: pd.DataFrame, summary: dict) -> Figure:
    """Mean trust, mean capacity, community outcome and the community's share of power."""
    months = _months(frame)
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    series = (
        ("mean_trust", "Mean trust between members", "#2171b5", "-"),
        ("mean_capacity", "Mean capacity of members", "#6a51a3", "-"),
        ("community_outcome", "Community outcome", "#238b45", "-"),
        ("community_power_share", "Community share of decision power", "#d94801", "-"),
    )
    for column, label, colour, style in series:
        ax.plot(months, frame[column].to_numpy(), label=label, color=colour, linestyle=style, linewidth=1.8)
    _mark_events(ax, summary)
    _finish(ax, months)
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("Level (0 = none, 1 = full)")
    ax.set_title(_title(summary, "Trust, capacity and community outcome"))
    _legend(fig, ax.get_legend_handles_labels()[0])
    return fig


def plot_phases(frame: pd.DataFrame, summary: dict) -> Figure:
    """A coloured band of the partnership's phase per month, above its active membership."""
    months = _months(frame)
    fig, (band, ax) = plt.subplots(2, 1, sharex=True, figsize=FIGSIZE, dpi=DPI, layout="constrained",
                                   gridspec_kw=dict(height_ratios=(1, 4)))
    phases = frame["phase"].astype(str).to_numpy()
    # Each month is drawn as the interval [month - 0.5, month + 0.5), merged into runs of one phase.
    start = 0
    for index in range(1, len(phases) + 1):
        if index == len(phases) or phases[index] != phases[start]:
            left = months[start] - 0.5
            width = months[index - 1] - months[start] + 1.0
            band.broken_barh([(left, width)], (0, 1), facecolors=PHASE_COLOURS.get(phases[start], "0.7"))
            start = index
    band.set_ylim(0, 1)
    band.set_yticks([])
    band.set_ylabel("Phase", rotation=0, ha="right", va="center")
    band.set_title(_title(summary, "Phases of the partnership and its membership"))

    ax.step(months, frame["active_members"].to_numpy(), where="post", color="0.15", linewidth=1.8, label="Active members")
    _mark_events(ax, summary)
    for event in ("funding_end_step", "scale_step", "collapse_step"):
        if summary.get(event) is not None:
            style = {"funding_end_step": GRANT_STYLE, "scale_step": SCALE_STYLE, "collapse_step": COLLAPSE_STYLE}[event]
            band.axvline(summary[event], **style)
    _finish(ax, months)
    band.set_xlim(months[0] - 0.5, months[-1] + 0.5)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Active members (organizations)")
    phase_patches = [Patch(facecolor=PHASE_COLOURS[p], label=f"Phase: {p}") for p in PHASES]
    _legend(fig, phase_patches + ax.get_legend_handles_labels()[0])
    return fig


def plot_region(result: RunResult) -> Figure:
    """A region's partnerships over time (live, reached scale, collapsed) and the fate of each call's cohort."""
    frame, table, summary = result.timeseries, result.partnerships, result.summary
    months = _months(frame)
    fig, (ax, cohorts) = plt.subplots(2, 1, figsize=(FIGSIZE[0], FIGSIZE[1] * 1.5), dpi=DPI, layout="constrained",
                                      gridspec_kw=dict(height_ratios=(3, 2)))
    series = (
        ("partnerships_live", "Live partnerships", "0.15", "-"),
        ("partnerships_at_scale", "Reached scale (running total)", SCALE_STYLE["color"], "-"),
        ("partnerships_collapsed", "Collapsed (running total)", COLLAPSE_STYLE["color"], "-"),
    )
    for column, label, colour, style in series:
        ax.step(months, frame[column].to_numpy(), where="post", label=label, color=colour, linestyle=style, linewidth=1.8)
    _finish(ax, months)
    ax.set_xlabel("Month (the funder's first call is in month 1)")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Partnerships (count)")
    ax.set_title(f"Partnerships in a region of {summary.get('organizations'):,} organizations: "
                 f"scenario {summary.get('scenario')}, seed {summary.get('seed')}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)

    # Each call's cohort: how many reached scale, collapsed, or are still working without scale.
    formed = table["formed_step"].to_numpy()
    calls = np.unique(formed)
    scaled = np.array([int(table["reached_scale"][formed == c].sum()) for c in calls])
    fell = np.array([int((table["collapsed"] & ~table["reached_scale"])[formed == c].sum()) for c in calls])
    total = np.array([int((formed == c).sum()) for c in calls])
    other = total - scaled - fell
    x = calls + 1
    width = max(1.0, 0.6 * (np.diff(x).min() if x.size > 1 else 12))
    cohorts.bar(x, scaled, width, color=SCALE_STYLE["color"], label="reached scale")
    cohorts.bar(x, fell, width, bottom=scaled, color=COLLAPSE_STYLE["color"], label="collapsed without scale")
    cohorts.bar(x, other, width, bottom=scaled + fell, color="0.75", label="neither (yet)")
    cohorts.set_xlim(ax.get_xlim())
    cohorts.set_xlabel("Month of the call that funded them")
    cohorts.set_ylabel("Partnerships (count)")
    cohorts.set_title("What became of each call's partnerships by the end of the run")
    cohorts.grid(True, axis="y", color="0.9", linewidth=0.8)
    cohorts.set_axisbelow(True)
    cohorts.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    return fig


def region_lifetimes(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """Each partnership's months from its formation to its collapse (an event) or, if it did not collapse, to
    when it closed with its goals met or the run ended (right-censored there), and whether it collapsed."""
    table = result.partnerships
    formed = table["formed_step"].to_numpy(dtype=float)
    collapsed = table["collapsed"].to_numpy(dtype=bool)
    last = float(result.summary.get("steps") or 0)
    ended = table["end_step"].to_numpy(dtype=float, na_value=np.nan)
    collapse = table["collapse_step"].to_numpy(dtype=float, na_value=np.nan)
    stop = np.where(collapsed, collapse, np.where(np.isnan(ended), last, ended))
    return stop - formed, collapsed


def plot_region_survival(result: RunResult) -> Figure:
    """The share of a region's partnerships not yet collapsed by months since each formed: Kaplan-Meier with
    Greenwood's 95% band, those that had not collapsed by the end of the run (or closed with their goals met)
    counted as censored, not as survivors to the end."""
    from sim.experiments.analysis import kaplan_meier

    durations, collapsed = region_lifetimes(result)
    summary = result.summary
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    if durations.size:
        curve = kaplan_meier(durations, collapsed)
        months = curve["month"].to_numpy()
        ax.step(months, curve["survival"], where="post", color="0.15", linewidth=1.8,
                label="Kaplan-Meier estimate")
        ax.fill_between(months, curve["ci_low"].fillna(1.0), curve["ci_high"].fillna(1.0), step="post",
                        color="0.15", alpha=0.15, linewidth=0, label="95% band (Greenwood)")
        censored = durations[~collapsed]
        at = curve.set_index("month")["survival"].reindex(np.floor(censored).astype(int)).to_numpy()
        ax.plot(censored, at, "|", color="0.35", markersize=8,
                label="had not collapsed when last seen (censored)")
        ax.set_xlim(0, max(1, months[-1]))
    else:
        ax.text(0.5, 0.5, "No partnership formed", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Months since the partnership formed")
    ax.set_ylabel("Share not yet collapsed")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_title(f"{int(durations.size)} partnerships, {int(collapsed.sum())} collapsed: scenario "
                 f"{summary.get('scenario')}, seed {summary.get('seed')}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    return fig


def format_region(summary: dict) -> str:
    """A short, plain-language account of one region's run."""
    formed = summary.get("partnerships_formed") or 0
    lines = [f"scenario {summary.get('scenario')}, seed {summary.get('seed')}, {summary.get('steps')} months, "
             f"{summary.get('organizations'):,} organizations "
             f"({summary.get('initial_acquainted_pairs'):,} pairs knew each other at the start)"]
    if not formed:
        lines.append("no partnership formed")
        return "\n".join(lines)

    def share(count: int) -> str:
        return f"{count} of {formed} ({100.0 * count / formed:.0f}%)"

    lines.append(f"{formed} partnerships formed; {summary.get('partnerships_live_at_end')} still working at the end")
    months = summary.get("median_months_to_scale")
    lines.append(f"reached scale: {share(summary['partnerships_reached_scale'])}"
                 + (f", a median {months:.0f} months after forming" if months is not None else ""))
    if summary.get("partnerships_goals_met"):
        lines.append(f"closed with their goals met, after reaching scale: {share(summary['partnerships_goals_met'])}")
    months = summary.get("median_months_to_collapse")
    lines.append(f"collapsed: {share(summary['partnerships_collapsed'])}"
                 + (f", a median {months:.0f} months after forming" if months is not None else ""))
    ended = summary.get("partnerships_funding_ended") or 0
    if ended:
        lines.append(f"sustained after their funding ended: {summary['partnerships_sustained_after_funding']} of {ended} "
                     "(those that collapsed while funded count as not sustained)")
    lines.append(f"organizations that ever took part: {summary.get('organizations_ever_in_partnership'):,}")
    return "\n".join(lines)


__all__ = ["format_region", "format_summary", "plot_levels", "plot_phases", "plot_region", "plot_trust", "summary_json",
           "write_run"]
