"""The report of a sweep: figures and ``summary.md`` from ``results/NAME/`` (``partnersim report``).

Reads ``runs.parquet`` (one row per run), ``manifest.json`` (the spec, the
knobs, the design) and, when present, ``timeseries.parquet``; writes into
``results/NAME/report/`` (or ``--out``):

- ``summary.md``: counts (failed runs are left out and counted), the share of
  runs reaching scale, collapsing and sustained after the grant per design
  point (or per value of each knob, for sampled designs) with Wilson 95%
  intervals, other outcomes, two-arm effects, sensitivity indices and
  scenario-discovery boxes, and what each figure shows;
- ``survival_by_KNOB.png``: share of partnerships still running, month by
  month, one line per value of a lever, with the grant's end marked;
- ``outcomes_by_KNOB.png``: shares reaching scale, collapsing and sustained
  after the grant against one knob, with 95% intervals;
- ``phase_KNOB1_x_KNOB2.png``: heatmaps of the shares reaching scale and
  collapsing over two knobs;
- ``effect_KNOB.png``: for a knob with exactly two values, the difference in
  shares between them with Newcombe 95% intervals;
- ``sensitivity.png``: Sobol or Morris indices with their intervals;
- ``trajectories_by_KNOB.png``: mean community outcome, community power,
  membership and trust month by month (needs ``timeseries.parquet``).

A region sweep (``ecosystem.organizations > 0``; ``kind`` in the manifest) gets
the region report of :mod:`sim.experiments.region_report` instead; :mod:`sim.experiments.reporting`
chooses. Naming, grouping, formatting and figure helpers here serve both.

All numbers come from :mod:`sim.experiments.analysis` and
:mod:`sim.experiments.discovery`. Figures have a fixed size and resolution and
no software stamp, so the same results give the same files.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.lines  # noqa: E402  (the backend must be chosen first)
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.region.model import ECOSYSTEM_SUMMARY_KEYS  # noqa: E402
from sim.experiments import analysis, money, sentences  # noqa: E402
from sim.experiments.design import policy_of_points  # noqa: E402
from sim.experiments.discovery import discover  # noqa: E402
from sim.experiments.store import PARTNERSHIP, REGION, RUN_KINDS  # noqa: E402

FIGSIZE = (9.0, 5.0)
WIDE = (11.0, 5.0)
DPI = 100
PNG_METADATA = {"Software": None}
PLAIN_TEXT = {"text.parse_math": False}  # "$12,500 ... $7,500" in a label is money, not mathematics
GRANT_STYLE = dict(linestyle="--", linewidth=1.1, alpha=0.9)
GRANT_KEY = "funding.grant_months"

RUN_COLUMNS = ("run_id", "design_point", "replicate", "seed", "scenario", "status", "error")
REQUIRED_COLUMNS = ("reached_scale", "collapsed", "collapse_step")
REGION_REQUIRED_COLUMNS = ("partnerships_formed", "share_reached_scale", "share_collapsed")
SAMPLED_METHODS = ("latin_hypercube", "sobol", "morris")
MAX_TABLE_POINTS = 60      # above this many design points, tables are per knob value instead
MAX_GROUPS = 8             # a numeric knob with more distinct values than this is binned for lines and tables
MAX_POINTS = 16            # ... and for point plots with error bars
BINS = 4
WIDE_INTERVAL = 0.20       # a heatmap cell whose 95% interval spans more than this is marked as uncertain
OUTCOME_NAMES = {
    "reached_scale": "Reached scale",
    "collapsed": "Collapsed",
    "sustained_after_funding": "Sustained after the grant",
}
OUTCOME_COLOURS = {"reached_scale": "#238b45", "collapsed": "#cb181d", "sustained_after_funding": "#2171b5"}
# Plain names for knobs, for titles and tables (any other knob is named by its last part).
KNOB_NAMES = {
    "funding.grant_months": "grant length (months)",
    "funding.renewal_probability": "chance the grant is renewed",
    "funding.mandated": "mandated partnership",
    "funding.expectation_ratio": "expectations over resources",
    "funding.competition": "competition for funding",
    "funding.accountability": "accountability",
    "organizations.initial_trust": "initial trust",
    "organizations.count": "number of organizations",
    "governance.mode": "governance form",
    "governance.community_decision_share": "community share of decision authority",
    "governance.power_sharing": "power sharing",
    "public_sector.receptivity": "public sector receptivity",
    "partnership.advocacy": "effort on policy advocacy",
    "funding.monthly_amount": "grant money per month (dollars)",
    "policy": "policy",
}
# Short phrases for "by ..." in titles.
KNOB_PHRASES = {
    "funding.grant_months": "grant length",
    "funding.renewal_probability": "chance of renewal",
    "funding.mandated": "mandate",
    "funding.expectation_ratio": "expectations over resources",
    "organizations.initial_trust": "initial trust",
    "organizations.count": "number of organizations",
    "governance.mode": "governance form",
    "governance.community_decision_share": "community decision share",
    "funding.monthly_amount": "grant money per month",
}
TRAJECTORY_METRICS = (
    ("community_outcome", "Community outcome (0 to 1)"),
    ("community_power_share", "Community share of decision power"),
    ("active_members", "Active members (organizations)"),
    ("mean_trust", "Mean trust between members"),
)
CHECKPOINTS = (12, 24, 36, 60)
OTHER_NAMES = {"final_community_outcome": "Community outcome at the end", "final_mean_trust": "Trust at the end"}


class ReportError(Exception):
    """Bad input to the report (missing directory or runs table, unreadable files); one line."""


# --------------------------------------------------------------------------- loading

@dataclass
class Study:
    name: str
    directory: Path
    manifest: dict
    runs: pd.DataFrame          # every run
    ok: pd.DataFrame            # runs with status "ok"
    knobs: list[str]            # varied knobs (more than one value among the ok runs), levers first
    levers: list[str]
    method: str
    steps: int
    problem: dict | None = None
    timeseries_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    kind: str = PARTNERSHIP     # "partnership" (one partnership per run) or "region" (a region per run)
    policies: list[str] = field(default_factory=list)  # a policies design: the policies' names in the spec's order
    reference: str | None = None  # ... the policy the others are compared with
    policy_knobs: list[str] = field(default_factory=list)  # ... and the settings that make them up

    @property
    def n_failed(self) -> int:
        return len(self.runs) - len(self.ok)

    @property
    def sampled(self) -> bool:
        return self.method in SAMPLED_METHODS or any(self.ok[k].nunique() > MAX_GROUPS for k in self.numeric_knobs)

    @property
    def numeric_knobs(self) -> list[str]:
        return [k for k in self.knobs if _is_numeric(self.ok[k])]

    @property
    def spec(self) -> dict:
        spec = self.manifest.get("spec")
        return spec if isinstance(spec, dict) else {}


def _is_numeric(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return False
    values = column.dropna()
    if len(values) and values.map(lambda v: isinstance(v, (bool, np.bool_))).any():
        return False
    return bool(pd.api.types.is_numeric_dtype(column))


def load_study(results_dir: str | Path) -> Study:
    """Read a sweep's results directory; bad input raises :class:`ReportError`."""
    directory = Path(results_dir)
    if not directory.exists():
        raise ReportError(f"{directory}: no such directory (run `partnersim sweep SPEC` first)")
    if not directory.is_dir():
        raise ReportError(f"{directory}: not a directory")
    runs_path = directory / "runs.parquet"
    if not runs_path.is_file():
        raise ReportError(f"{directory}: no runs.parquet (not a sweep results directory, or the sweep has not finished)")
    try:
        runs = pd.read_parquet(runs_path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise ReportError(f"{runs_path}: cannot read: {_one_line(error)}") from None
    manifest: dict = {}
    manifest_path = directory / "manifest.json"
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ReportError(f"{manifest_path}: cannot read: {_one_line(error)}") from None
        if not isinstance(manifest, dict):
            raise ReportError(f"{manifest_path}: expected a JSON object")
    if len(runs) == 0:
        raise ReportError(f"{runs_path}: no runs")
    if "status" in runs.columns:
        ok = runs[runs["status"].astype(str) == "ok"]
    else:
        ok = runs
    if len(ok) == 0:
        first = next((str(e) for e in runs.get("error", pd.Series(dtype=object)).dropna()), "no error recorded")
        raise ReportError(f"{runs_path}: all {len(runs)} runs failed; nothing to report (first error: {_one_line(first)})")
    kind = study_kind(manifest, runs)
    required = REGION_REQUIRED_COLUMNS if kind == REGION else REQUIRED_COLUMNS
    missing = [c for c in required if c not in runs.columns]
    if missing:
        raise ReportError(f"{runs_path}: no column {missing[0]} (expected the {kind} sweep's outcome columns, "
                          f"e.g. {', '.join(required)})")
    ok = ok.reset_index(drop=True).copy()
    if "design_point" not in ok.columns:
        ok["design_point"] = np.arange(len(ok))

    levers = [k for k in manifest.get("levers", []) or [] if k in runs.columns]
    uncertainties = [k for k in manifest.get("uncertainties", []) or [] if k in runs.columns]
    if not levers and not uncertainties:
        levers = [c for c in runs.columns if c not in RUN_COLUMNS and not _is_outcome(c)]
    for knob in levers + uncertainties:  # list-valued knobs (unhashable) compare as text
        if ok[knob].map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
            ok[knob] = ok[knob].map(str)
    knobs = [k for k in levers + uncertainties if ok[k].nunique(dropna=True) > 1]
    spec = manifest.get("spec") if isinstance(manifest.get("spec"), dict) else {}
    design = spec.get("design") if isinstance(spec.get("design"), dict) else {}
    method = str(manifest.get("design") or design.get("method") or "grid")
    if isinstance(manifest.get("design"), dict):
        method = str(manifest["design"].get("method", "grid"))
    steps = _steps(manifest, spec, ok)
    timeseries_path = directory / "timeseries.parquet"
    name = str(manifest.get("name") or directory.name)
    study = Study(name=name, directory=directory, manifest=manifest, runs=runs, ok=ok, knobs=knobs,
                  levers=[k for k in levers if k in knobs], method=method, steps=steps,
                  problem=manifest.get("problem") if isinstance(manifest.get("problem"), dict) else None,
                  timeseries_path=timeseries_path if timeseries_path.is_file() else None, kind=kind)
    _attach_policies(study)
    status = manifest.get("status")
    if status not in (None, "complete"):
        study.notes.append(f"the sweep's manifest says it is {status} ({manifest.get('runs_done', '?')} of "
                           f"{manifest.get('runs_total', '?')} runs done); this report covers the runs in runs.parquet")
    return study


POLICY = "policy"  # the column naming each run's policy in a policies design


def _attach_policies(study: Study) -> None:
    """For a policies design: a ``policy`` column (ordered as in the spec) that replaces the settings as the lever."""
    policies = study.spec.get("policies")
    if study.method != "policies" or not isinstance(policies, dict) or not policies:
        return
    names = [str(name) for name in policies]
    points = study.manifest.get("design_points")
    if not isinstance(points, int) or points < 1:
        points = int(pd.to_numeric(study.runs["design_point"]).max()) + 1
    labels = policy_of_points(study.ok["design_point"], names, points)
    study.ok[POLICY] = pd.Categorical(labels, categories=names, ordered=True)
    design = study.spec.get("design") if isinstance(study.spec.get("design"), dict) else {}
    study.reference = str(design.get("reference", names[0]))
    study.policies = names
    study.policy_knobs = [k for k in study.levers]
    study.knobs = [POLICY] + [k for k in study.knobs if k not in study.policy_knobs]
    study.levers = [POLICY]


def study_kind(manifest: dict, runs: pd.DataFrame) -> str:
    """The kind of run of a sweep: the manifest's ``kind``, else its base parameters' region size, else the columns."""
    kind = manifest.get("kind")
    if kind in RUN_KINDS:
        return kind
    base = manifest.get("base_params")
    region = base.get("ecosystem") if isinstance(base, dict) else None
    size = region.get("organizations") if isinstance(region, dict) else None
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        return REGION if size > 0 else PARTNERSHIP
    if "partnerships_formed" in runs.columns and ("reached_scale" not in runs.columns or runs["reached_scale"].isna().all()):
        return REGION
    return PARTNERSHIP


def _steps(manifest: dict, spec: dict, ok: pd.DataFrame) -> int:
    if isinstance(manifest.get("steps"), int):
        return int(manifest["steps"])
    if "steps" in ok.columns and pd.api.types.is_numeric_dtype(ok["steps"]) and ok["steps"].notna().any():
        return int(ok["steps"].max())
    if isinstance(spec.get("steps"), int):
        return int(spec["steps"])
    known = pd.concat([pd.to_numeric(ok.get(c, pd.Series(dtype=float)), errors="coerce")
                       for c in ("collapse_step", "funding_end_step", "scale_step")])
    return int(known.max()) if known.notna().any() else 120


_OUTCOME_PREFIXES = ("first_step_at_level.",)
_OUTCOMES = {
    "reached_scale", "scale_step", "collapsed", "collapse_step", "collapse_cause", "funding_end_step",
    "sustained_after_funding", "months_active_after_funding", "grants_received", "final_mean_trust",
    "final_community_outcome", "peak_community_outcome", "community_power_share", "initial_community_power_share",
    "max_level", "first_step_at_level", "final_active_members", "final_phase", "steps",
}


def _is_outcome(column: str) -> bool:
    return column in _OUTCOMES or column in ECOSYSTEM_SUMMARY_KEYS or column.startswith(_OUTCOME_PREFIXES)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- naming and formatting

def knob_name(knob: str) -> str:
    """A plain name for a knob, e.g. ``grant length (months)``."""
    return KNOB_NAMES.get(knob, knob.rsplit(".", 1)[-1].replace("_", " "))


def knob_phrase(knob: str) -> str:
    """What follows "by" in a title, e.g. ``grant length``."""
    return KNOB_PHRASES.get(knob, knob_name(knob))


def _file_part(knob: str, knobs: Sequence[str]) -> str:
    short = knob.rsplit(".", 1)[-1]
    if sum(1 for k in knobs if k.rsplit(".", 1)[-1] == short) > 1:
        short = knob
    return re.sub(r"[^A-Za-z0-9_]+", "_", short).strip("_")


def format_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else f"{float(value):.3g}"
    return str(value)


def _bin_value(value: float) -> str:
    """A bin edge for labels: whole numbers as they are, others to two decimals (or none above 100)."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"


def _pct(share: float) -> str:
    return "n/a" if share is None or not math.isfinite(share) else f"{100 * share:.0f}%"


def _share_cell(row: dict | pd.Series) -> str:
    if not row["n"]:
        return "n/a"
    return f"{_pct(row['share'])} ({100 * row['ci_low']:.0f}–{100 * row['ci_high']:.0f}%)"


def _num(value: float, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str] | None = None) -> str:
    align = align or ["l"] + ["r"] * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- grouping

@dataclass(frozen=True)
class Groups:
    """One knob's values (or bins of them) as ordered groups."""

    knob: str
    labels: pd.Series         # group label per run
    order: list[str]          # labels in order
    positions: list[float] | None  # numeric x for each label (None for categories)
    binned: bool


def groups_of(runs: pd.DataFrame, knob: str, max_groups: int = MAX_GROUPS, bins: int = BINS) -> Groups:
    column = runs[knob]
    if isinstance(column.dtype, pd.CategoricalDtype):  # named policies, in the spec's order
        present = set(column.dropna().astype(str))
        return Groups(knob, column.astype(str), [str(c) for c in column.cat.categories if str(c) in present], None, False)
    if _is_numeric(column):
        x = pd.to_numeric(column, errors="coerce")
        values = sorted(x.dropna().unique())
        if len(values) <= max_groups:
            label = money.dollars if money.is_money_knob(knob) else format_value
            return Groups(knob, x.map(label), [label(v) for v in values], [float(v) for v in values], False)
        edges = np.unique(np.quantile(x.dropna(), np.linspace(0, 1, bins + 1)))
        codes = np.clip(np.searchsorted(edges, x.to_numpy(dtype=float), side="right") - 1, 0, len(edges) - 2)
        order, positions, label_of = [], [], {}
        for code in range(len(edges) - 1):
            inside = x[codes == code]
            if inside.empty:
                continue
            label = f"{_bin_value(inside.min())}–{_bin_value(inside.max())}"
            label_of[code] = label
            order.append(label)
            positions.append(float(inside.mean()))
        labels = pd.Series([label_of.get(c) for c in codes], index=runs.index)
        return Groups(knob, labels, order, positions, True)
    plain = column.map(lambda v: v.item() if isinstance(v, np.generic) else v)
    values = sorted(plain.dropna().unique(), key=analysis._sort_key)
    return Groups(knob, plain.map(format_value), [format_value(v) for v in values], None, False)


def _with_group(runs: pd.DataFrame, groups: Groups, column: str = "_group") -> pd.DataFrame:
    frame = runs.copy()
    frame[column] = groups.labels.to_numpy()
    return frame


# --------------------------------------------------------------------------- figures

def _save(fig, path: Path) -> Path:
    try:
        fig.savefig(path, dpi=DPI, format="png", metadata=PNG_METADATA)
    finally:
        plt.close(fig)
    return path


def _colours(groups: Groups) -> list:
    n = len(groups.order)
    if groups.positions is None:
        cmap = plt.get_cmap("tab10")
        return [cmap(i % 10) for i in range(n)]
    cmap = plt.get_cmap("viridis")
    return [cmap(0.05 + 0.75 * i / max(n - 1, 1)) for i in range(n)]


def _title(text: str, width: int = 80) -> str:
    return textwrap.fill(text, width)


def _grant_ends(study: Study, frame: pd.DataFrame, groups: Groups, column: str = "_group") -> dict[str, float]:
    """The month the first grant ends, per group whose runs all had the same grant length (0 < month < steps).

    A group that pools several grant lengths gets no mark: a median of them would match no grant.
    """
    if GRANT_KEY in frame.columns:
        lengths = pd.to_numeric(frame[GRANT_KEY], errors="coerce")
    else:
        base = study.manifest.get("base_params")
        funding = base.get("funding") if isinstance(base, dict) and isinstance(base.get("funding"), dict) else {}
        months = funding.get("grant_months")
        if not isinstance(months, (int, float)) or isinstance(months, bool):
            return {}
        lengths = pd.Series(float(months), index=frame.index)
    ends: dict[str, float] = {}
    for label in groups.order:
        values = lengths[(frame[column] == label).to_numpy()].dropna().unique()
        if len(values) == 1 and 0 < values[0] < study.steps:
            ends[label] = float(values[0])
    return ends


def _mixed_grants_note(ends: dict[str, float], groups: Groups) -> str:
    """Said in a caption when some lines carry no grant-end mark (several grant lengths pooled, or none ending)."""
    if all(label in ends for label in groups.order):
        return ""
    return (" A line that pools several grant lengths, or whose grant outlasts the run, has no mark (a median of "
            "different grants would match none of them).")


def _mark_grant_ends(ax, ends: dict[str, float], colours: dict[str, Any]) -> str | None:
    """Dashed lines at the grant ends: one grey line if every group's is the same, else one per group in its colour.

    Returns the legend text for the marks (None if there are none).
    """
    if not ends:
        return None
    months = set(ends.values())
    if len(months) == 1:
        month = months.pop()
        ax.axvline(month, color="0.3", **GRANT_STYLE)
        return f"first grant ends (month {format_value(month)})"
    for label, month in ends.items():
        ax.axvline(month, color=colours[label], **GRANT_STYLE)
    return "first grant ends (dashed, in each line's colour)"


def _legend_below(fig, ax, title: str | None = None, ncol: int = 4) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize="small", frameon=False,
                   title=title, title_fontsize="small")


def plot_survival(study: Study, knob: str | None) -> Any:
    """Share of partnerships still running by month, one line per value (or bin) of ``knob`` (None: all runs)."""
    if knob is None:
        labels = pd.Series(["all runs"] * len(study.ok), index=study.ok.index)
        groups = Groups("", labels, ["all runs"], None, False)
    else:
        groups = groups_of(study.ok, knob)
    frame = _with_group(study.ok, groups)
    curves = analysis.survival_curve(frame, ["_group"], study.steps)
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    colours = _colours(groups)
    for label, colour in zip(groups.order, colours):
        curve = curves[curves["_group"] == label]
        if curve.empty:
            continue
        n = int(curve["n"].iloc[0])
        ax.fill_between(curve["month"], curve["ci_low"], curve["ci_high"], step="post", color=colour, alpha=0.15,
                        linewidth=0)
        ax.step(curve["month"], curve["share"], where="post", color=colour, linewidth=1.8, label=f"{label} ({n} runs)")
    grant_label = _mark_grant_ends(ax, _grant_ends(study, frame, groups), dict(zip(groups.order, colours)))
    ax.set_xlim(0, study.steps)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Months since the partnership formed")
    ax.set_ylabel("Share of partnerships still running")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_title(_title("Share of partnerships still running" + (f", by {knob_phrase(knob)}" if knob else "")))
    if grant_label:
        ax.plot([], [], color="0.3", label=grant_label, **GRANT_STYLE)
    _legend_below(fig, ax, title=(_cap(knob_name(knob)) + "; s" if knob else "S") + "haded: 95% interval")
    return fig


def plot_outcomes(study: Study, knob: str) -> Any:
    """Shares reaching scale, collapsing and sustained after the grant against ``knob``, with Wilson intervals.

    Points with error bars stay readable for more values than lines do, so a grid of up to
    ``MAX_POINTS`` values is drawn value by value rather than binned.
    """
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    draw_outcomes(ax, study, knob)
    ax.set_title(_title(f"Share reaching scale, collapsing and sustained after the grant, by {knob_phrase(knob)}"))
    _legend_below(fig, ax, title="Error bars: 95% Wilson interval", ncol=3)
    return fig


def in_group_order(table: pd.DataFrame, groups: Groups, column: str = "_group") -> pd.DataFrame:
    """Rows in the groups' order (numeric for numbers), not the text order a group-by of labels gives."""
    rank = {label: i for i, label in enumerate(groups.order)}
    return table.assign(_rank=table[column].map(rank)).sort_values("_rank", kind="stable").drop(columns="_rank")


def draw_outcomes(ax, study: Study, knob: str) -> None:
    """The outcome shares by ``knob`` on ``ax`` (lines in the knob's numeric order; points for categories)."""
    groups = groups_of(study.ok, knob, max_groups=MAX_POINTS)
    frame = _with_group(study.ok, groups)
    index = {label: i for i, label in enumerate(groups.order)}
    categorical = groups.positions is None or groups.binned or len(groups.order) <= 2
    for k, outcome in enumerate(OUTCOME_NAMES):
        if outcome not in frame.columns:
            continue
        table = in_group_order(analysis.share_table(frame, ["_group"], outcome), groups)
        table = table[table["n"] > 0]
        if table.empty:
            continue
        if categorical:
            x = np.array([index[g] for g in table["_group"]], dtype=float) + (k - 1) * 0.12
        else:
            x = np.array([groups.positions[index[g]] for g in table["_group"]])
        y = table["share"].to_numpy()
        err = np.vstack([y - table["ci_low"].to_numpy(), table["ci_high"].to_numpy() - y])
        label = OUTCOME_NAMES[outcome] + (" (of runs whose grant ended)" if outcome == "sustained_after_funding" else "")
        ax.errorbar(x, y, yerr=err, color=OUTCOME_COLOURS[outcome], marker="o", markersize=5, capsize=3,
                    linewidth=1.6, linestyle="-" if not categorical else "none", label=label)
    if categorical:
        ax.set_xticks(range(len(groups.order)), [textwrap.fill(g, 18) for g in groups.order])
        ax.set_xlim(-0.5, len(groups.order) - 0.5)
    elif money.is_money_knob(knob):
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: money.dollars(v)))
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(_cap(knob_name(knob)) + (" (bins of equal run counts)" if groups.binned else ""))
    ax.set_ylabel("Share of partnerships")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)


def lines_pair(study: Study) -> tuple[str, str] | None:
    """A numeric knob with at least three values to put on the x axis (an uncertainty if there is one) and a
    knob of a few named values (a lever if there is one) to draw one line per value of, or None."""
    numeric = [k for k in study.numeric_knobs if 3 <= study.ok[k].nunique() <= MAX_POINTS]
    named = [k for k in study.knobs if k not in study.numeric_knobs and 2 <= study.ok[k].nunique() <= 6]
    if not numeric or not named:
        return None
    numeric.sort(key=lambda k: k in study.levers)
    named.sort(key=lambda k: k not in study.levers)
    return numeric[0], named[0]


LINE_PANELS = (("final_community_outcome", "Community outcome at the end (mean)", False),
               ("reached_scale", "Share reaching scale", True),
               ("collapsed", "Share collapsed", True),
               ("sustained_after_funding", "Share sustained after the grant", True))


def plot_outcome_lines(study: Study, knob_x: str, knob_group: str) -> Any:
    """The community outcome and the shares reaching scale, collapsing and sustained against ``knob_x``, one line
    per value of ``knob_group``, with 95% intervals (Student t for the mean, Wilson for shares)."""
    groups = groups_of(study.ok, knob_group)
    frame = _with_group(study.ok, groups)
    x = pd.to_numeric(frame[knob_x], errors="coerce")
    frame["_x"] = x
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 8.0), dpi=DPI, layout="constrained", sharex=True)
    colours = matplotlib.colormaps["tab10"]
    for ax, (outcome, title, share) in zip(axes.ravel(), LINE_PANELS):
        if outcome not in frame.columns:
            ax.set_visible(False)
            continue
        for g, label in enumerate(groups.order):
            subset = frame[frame["_group"] == label]
            table = (analysis.share_table(subset, ["_x"], outcome) if share
                     else analysis.mean_table(subset, ["_x"], outcome)).sort_values("_x")
            table = table[table["n"] > 0]
            y = (table["share"] if share else table["mean"]).to_numpy(dtype=float)
            xs = table["_x"].to_numpy(dtype=float) + (g - (len(groups.order) - 1) / 2) * 0.01 * float(np.ptp(x) or 1)
            ax.plot(xs, y, marker="o", markersize=4, linewidth=1.6, color=colours(g), label=label)
            ax.fill_between(xs, table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float),
                            color=colours(g), alpha=0.15, linewidth=0)
        ax.set_title(title, fontsize=10)
        if share:
            ax.set_ylim(-0.02, 1.02)
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.grid(True, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
    for ax in axes[1]:
        ax.set_xlabel(_cap(knob_name(knob_x)))
    fig.suptitle(_title(f"Outcomes by {knob_phrase(knob_x)}, one line per {knob_name(knob_group)} "
                        "(shaded: 95% interval)"), fontsize=11)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6), frameon=False,
               title=_cap(knob_name(knob_group)))
    return fig


def plot_phase(study: Study, knob_x: str, knob_y: str) -> Any:
    """Heatmaps of the share reaching scale and the share collapsing over two knobs."""
    gx, gy = groups_of(study.ok, knob_x, bins=5), groups_of(study.ok, knob_y, bins=5)
    frame = study.ok.copy()
    frame["_x"], frame["_y"] = gx.labels.to_numpy(), gy.labels.to_numpy()
    fig, axes = plt.subplots(1, 2, figsize=WIDE, dpi=DPI, layout="constrained", sharey=True)
    for ax, outcome, cmap in zip(axes, ("reached_scale", "collapsed"), ("Greens", "Reds")):
        table = analysis.share_table(frame, ["_y", "_x"], outcome)
        grid = np.full((len(gy.order), len(gx.order)), np.nan)
        counts = np.zeros_like(grid)
        widths = np.zeros_like(grid)
        for _, row in table.iterrows():
            i, j = gy.order.index(row["_y"]), gx.order.index(row["_x"])
            grid[i, j] = row["share"]
            counts[i, j] = row["n"]
            widths[i, j] = row["ci_high"] - row["ci_low"]
        image = ax.imshow(grid, origin="lower", cmap=cmap, vmin=0, vmax=1, aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(grid[i, j]):
                    wide = widths[i, j] > WIDE_INTERVAL
                    ax.text(j, i, f"{_pct(grid[i, j])}\n±{50 * widths[i, j]:.0f}" + (" (wide)" if wide else ""),
                            ha="center", va="center", fontsize="small", color="white" if grid[i, j] > 0.6 else "black")
                    if wide:
                        ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                                                  edgecolor="0.45", linewidth=0))
        ax.set_xticks(range(len(gx.order)), [textwrap.fill(g, 14) for g in gx.order], rotation=30 if gx.binned else 0)
        ax.set_yticks(range(len(gy.order)), gy.order)
        ax.set_xlabel(_cap(knob_name(knob_x)))
        ax.set_title(f"{OUTCOME_NAMES[outcome]} (share of runs)", fontsize="medium")
        fig.colorbar(image, ax=ax, format=matplotlib.ticker.PercentFormatter(1.0), shrink=0.9)
    axes[0].set_ylabel(_cap(knob_name(knob_y)))
    low, high = (int(counts[counts > 0].min()), int(counts.max())) if (counts > 0).any() else (0, 0)
    runs_per_cell = str(high) if low == high else f"{low}–{high}"
    fig.suptitle(_title(f"Share reaching scale and share collapsing, by {knob_phrase(knob_x)} and "
                        f"{knob_phrase(knob_y)} ({runs_per_cell} runs per cell; ± half the 95% interval, hatched where "
                        f"the interval is wider than {100 * WIDE_INTERVAL:.0f} points)", 100))
    return fig


def plot_effects(effects: pd.DataFrame, knob: str, stratum: str | None, arm_a: Any, arm_b: Any) -> Any:
    """Differences in shares (arm a minus arm b) with Newcombe intervals, pooled and per stratum."""
    binary = effects[effects["kind"] == "binary"]
    outcomes = [o for o in OUTCOME_NAMES if o in set(binary["outcome"])]
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    rows = []
    if stratum is not None:
        strata = [v for v in binary[stratum].dropna().unique()]
        strata = sorted(strata, key=analysis._sort_key)
        rows = [(f"{knob_name(stratum)}: {format_value(v)}", binary[binary[stratum] == v]) for v in strata]
        rows.append(("all runs", binary[binary[stratum].isna()]))
    else:
        rows = [("all runs", binary)]
    height = 0.8 / max(len(outcomes), 1)
    for k, outcome in enumerate(outcomes):
        ys, xs, lo, hi = [], [], [], []
        for i, (_, part) in enumerate(rows):
            row = part[part["outcome"] == outcome]
            if row.empty or not math.isfinite(row["difference"].iloc[0]):
                continue
            ys.append(len(rows) - 1 - i - (k - (len(outcomes) - 1) / 2) * height)
            xs.append(row["difference"].iloc[0])
            lo.append(row["difference"].iloc[0] - row["ci_low"].iloc[0])
            hi.append(row["ci_high"].iloc[0] - row["difference"].iloc[0])
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", color=OUTCOME_COLOURS[outcome], capsize=3, markersize=5,
                    label=OUTCOME_NAMES[outcome])
    ax.axvline(0, color="0.3", linewidth=1)
    ax.set_yticks(range(len(rows)), [label for label, _ in reversed(rows)])
    ax.set_xlim(-1, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{100 * v:+.0f} pts"))
    ax.set_xlabel(f"Difference in share: {knob_name(knob)} {format_value(arm_a)} minus {format_value(arm_b)} "
                  "(percentage points)")
    ax.grid(True, axis="x", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_title(_title(f"Effect of {knob_phrase(knob)} ({format_value(arm_a)} vs {format_value(arm_b)}) on reaching "
                        "scale, collapsing and sustainability"))
    _legend_below(fig, ax, title="Bars: 95% Newcombe interval", ncol=3)
    return fig


def plot_sensitivity(indices: dict[str, pd.DataFrame], method: str) -> Any:
    """Bar charts of Sobol (S1, ST) or Morris (mu*) indices with intervals, one panel per outcome."""
    outcomes = [o for o in ("reached_scale", "collapsed") if o in indices]
    fig, axes = plt.subplots(1, len(outcomes), figsize=WIDE, dpi=DPI, layout="constrained", squeeze=False)
    for ax, outcome in zip(axes[0], outcomes):
        table = indices[outcome]
        names = [knob_name(n) for n in table["name"]]
        y = np.arange(len(names))
        if method == "sobol":
            ax.barh(y - 0.2, table["S1"], 0.4, xerr=table["S1_conf"], color="#6baed6", capsize=2,
                    label="first order (alone)")
            ax.barh(y + 0.2, table["ST"], 0.4, xerr=table["ST_conf"], color="#08519c", capsize=2,
                    label="total (alone and with others)")
            ax.set_xlabel("Share of the variance explained")
        else:
            ax.barh(y, table["mu_star"], 0.6, xerr=table["mu_star_conf"], color="#08519c", capsize=2,
                    label="mean absolute effect (mu*)")
            ax.plot(table["sigma"], y, "o", color="#fd8d3c", label="spread of effects (sigma)")
            ax.set_xlabel("Change in share across the knob's range")
        low, high = ax.get_xlim()
        ax.set_xlim(max(low, -0.5), min(high, 1.5))  # wide intervals of a small sample are cut at the edges
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.grid(True, axis="x", color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_title(OUTCOME_NAMES[outcome], fontsize="medium")
    what = "Sobol indices" if method == "sobol" else "Morris screening"
    fig.suptitle(f"Which knobs matter most for reaching scale and collapsing ({what}, 95% intervals)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize="small", frameon=False)
    return fig


def plot_trajectories(means: pd.DataFrame, groups: Groups, ends: dict[str, float]) -> Any:
    """Mean time series per group (community outcome, power, membership, trust), grant end marked."""
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 7.0), dpi=DPI, layout="constrained", sharex=True)
    colours = _colours(groups)
    grant_label = None
    for ax, (metric, label) in zip(axes.flat, TRAJECTORY_METRICS):
        part = means[means["metric"] == metric]
        for group, colour in zip(groups.order, colours):
            line = part[part["_group"] == group]
            if line.empty:
                continue
            ax.plot(line["step"], line["value"], color=colour, linewidth=1.6, label=group)
        grant_label = _mark_grant_ends(ax, ends, dict(zip(groups.order, colours)))
        ax.set_title(label, fontsize="medium")
        ax.grid(True, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
        if metric != "active_members":
            ax.set_ylim(bottom=0)
    for ax in axes[1]:
        ax.set_xlabel("Months since the partnership formed")
    fig.suptitle(_title(f"How partnerships develop, month by month (mean over runs), by {knob_phrase(groups.knob)}", 100))
    handles, labels = axes[0][0].get_legend_handles_labels()
    if grant_label:
        handles.append(matplotlib.lines.Line2D([], [], color="0.3", **GRANT_STYLE))
        labels.append(grant_label)
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6), fontsize="small", frameon=False,
               title=_cap(knob_name(groups.knob)), title_fontsize="small")
    return fig


# --------------------------------------------------------------------------- sections of summary.md

def _knob_cells(row: pd.Series | dict, knobs: Sequence[str]) -> list[str]:
    return [format_value(row[k]) for k in knobs]


def _table_keys(study: Study) -> list[tuple[str, list[str], pd.DataFrame]]:
    """How the main tables group runs: per design point (small designs) or per value/bin of each knob."""
    n_points = study.ok["design_point"].nunique()
    if study.policies:  # per policy (and per value of the world), at any number of policies
        return _knob_value_keys(study)
    if study.knobs and n_points <= MAX_TABLE_POINTS and not study.sampled:
        return [("per design point", study.knobs, study.ok)]
    if not study.knobs:
        return [("all runs", [], study.ok)]
    return _knob_value_keys(study)


def _knob_value_keys(study: Study) -> list[tuple[str, list[str], pd.DataFrame]]:
    """Per knob, the runs grouped by its value (or bin): a column named by the knob's plain name, ordered by ``_order``."""
    keyed = []
    for knob in study.knobs:
        groups = groups_of(study.ok, knob)
        frame = _with_group(study.ok, groups, column=knob_name(knob))
        frame["_order"] = frame[knob_name(knob)].map({g: i for i, g in enumerate(groups.order)})
        keyed.append((f"by {knob_name(knob)}" + (" (bins of equal run counts)" if groups.binned else ""),
                      [knob_name(knob)], frame))
    return keyed


def _sorted_table(table: pd.DataFrame, by: Sequence[str], frame: pd.DataFrame) -> pd.DataFrame:
    if "_order" in frame.columns and len(by) == 1:
        order = dict(zip(frame[by[0]], frame["_order"]))
        return table.assign(_o=table[by[0]].map(order)).sort_values("_o").drop(columns="_o")
    return table


def section_shares(study: Study) -> str:
    lines = ["## Reaching scale, collapsing and sustainability", "",
             "Share of runs with each outcome and its 95% Wilson interval. *Sustained after the grant* counts only "
             "the runs whose grant ended before the last month (a run still funded at the end is left out).", ""]
    for title, by, frame in _table_keys(study):
        tables = {o: analysis.share_table(frame, by, o) for o in OUTCOME_NAMES if o in frame.columns}
        base = _sorted_table(tables["reached_scale"], by, frame)
        header = [_cap(knob_name(k)) if k in study.knobs else _cap(k) for k in by] + ["Runs"]
        header += [OUTCOME_NAMES[o] for o in tables]
        header[-1] += " (runs whose grant ended)" if "sustained_after_funding" in tables else ""
        rows = []
        for _, row in base.iterrows():
            key = {k: row[k] for k in by}
            cells = _knob_cells(key, by) + [str(int(row["n"]))]
            for outcome, table in tables.items():
                match = table
                for k in by:
                    match = match[match[k].map(format_value) == format_value(key[k])]
                match_row = match.iloc[0]
                cell = _share_cell(match_row)
                if outcome == "sustained_after_funding":
                    cell += f", n={int(match_row['n'])}"
                cells.append(cell)
            rows.append(cells)
        align = ["l"] * len(by) + ["r"] * (len(header) - len(by))
        lines += [f"### {_cap(title)}", "", _markdown_table(header, rows, align), ""]
    return "\n".join(lines)


def _mean_cell(values: np.ndarray, digits: int = 2) -> str:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "n/a"
    if values.size < 2:
        return _num(float(values.mean()), digits)
    half = 1.96 * values.std(ddof=1) / math.sqrt(values.size)
    return f"{_num(float(values.mean()), digits)} ± {_num(half, digits)}"


def _median_cell(values: np.ndarray) -> str:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "n/a"
    return f"{np.median(values):.0f} (n={values.size})"


def section_other_outcomes(study: Study) -> str:
    ok = study.ok

    def values(frame: pd.DataFrame, column: str) -> np.ndarray:
        return analysis.as_numeric(frame[column])

    def power_shift(frame: pd.DataFrame) -> np.ndarray:
        return values(frame, "community_power_share") - values(frame, "initial_community_power_share")

    candidates = (
        ("Community outcome at the end", ("final_community_outcome",),
         lambda f: _mean_cell(values(f, "final_community_outcome"))),
        ("Shift in community power", ("community_power_share", "initial_community_power_share"),
         lambda f: _mean_cell(power_shift(f))),
        ("Trust at the end", ("final_mean_trust",), lambda f: _mean_cell(values(f, "final_mean_trust"))),
        ("Months running after the grant", ("months_active_after_funding",),
         lambda f: _mean_cell(values(f, "months_active_after_funding"), 0)),
        ("Month of first cooperating pair (median)", ("first_step_at_level.cooperating",),
         lambda f: _median_cell(values(f, "first_step_at_level.cooperating"))),
        ("Month reaching scale (median)", ("scale_step",), lambda f: _median_cell(values(f, "scale_step"))),
    )
    columns = [(name, cell) for name, needs, cell in candidates if all(c in ok.columns for c in needs)]
    if not columns:
        return ""
    lines = ["## Other outcomes", "",
             "Means over runs with a 95% interval (± 1.96 standard errors); medians over the runs where the event "
             "happened. *Shift in community power* is the community's share of decision power at the end minus at "
             "the start.", ""]
    for title, by, frame in _table_keys(study):
        header = [_cap(knob_name(k)) if k in study.knobs else _cap(k) for k in by] + ["Runs"] + [name for name, _ in columns]
        rows = []
        if by:
            keys = frame[by].drop_duplicates()
            if "_order" in frame.columns:
                keys = keys.assign(_o=keys[by[0]].map(dict(zip(frame[by[0]], frame["_order"])))).sort_values("_o")
            else:
                keys = keys.sort_values(by, key=lambda s: s.map(analysis._sort_key))
            for _, key in keys.iterrows():
                mask = np.ones(len(frame), dtype=bool)
                for k in by:
                    mask &= (frame[k].map(format_value) == format_value(key[k])).to_numpy()
                part = frame[mask]
                rows.append(_knob_cells(key, by) + [str(len(part))] + [fn(part) for _, fn in columns])
        else:
            rows.append([str(len(frame))] + [fn(frame) for _, fn in columns])
        align = ["l"] * len(by) + ["r"] * (len(header) - len(by))
        lines += [f"### {_cap(title)}", "", _markdown_table(header, rows, align), ""]
    return "\n".join(lines)


def two_arm_knobs(study: Study) -> list[str]:
    """Knobs with exactly two values (two policies are compared by name in their own section instead)."""
    return [k for k in study.knobs if k != POLICY and study.ok[k].nunique(dropna=True) == 2]


def _stratum(study: Study, knob: str) -> str | None:
    others = [k for k in study.knobs if k != knob and study.ok[k].nunique() <= MAX_GROUPS]
    return others[0] if others else None


def section_effects(study: Study, effects: dict[str, tuple]) -> str:
    if not effects:
        return ""
    lines = ["## Two-arm comparisons", "",
             "For each knob with exactly two values: the first arm minus the second. Shares: difference in "
             "percentage points with a Newcombe (Wilson score) 95% interval. Means: difference with a Welch 95% "
             "interval, Cohen's d and Cliff's delta (the chance a run of the first arm is higher minus the chance it "
             "is lower).", ""]
    for knob, (table, stratum, arm_a, arm_b) in effects.items():
        pooled = table[table[stratum].isna()] if stratum else table
        lines += [f"### {_cap(knob_name(knob))}: {format_value(arm_a)} minus {format_value(arm_b)}", ""]
        rows = []
        for _, row in pooled.iterrows():
            name = OUTCOME_NAMES.get(row["outcome"]) or OTHER_NAMES.get(row["outcome"], row["outcome"].replace("_", " "))
            if row["kind"] == "binary":
                rows.append([name, f"{_pct(row['value_a'])} (n={row['n_a']})", f"{_pct(row['value_b'])} (n={row['n_b']})",
                             f"{100 * row['difference']:+.0f} pts ({100 * row['ci_low']:+.0f} to {100 * row['ci_high']:+.0f})",
                             "", ""])
            else:
                rows.append([name, f"{_num(row['value_a'])} (n={row['n_a']})", f"{_num(row['value_b'])} (n={row['n_b']})",
                             f"{row['difference']:+.3f} ({row['ci_low']:+.3f} to {row['ci_high']:+.3f})",
                             _num(row["cohens_d"]), _num(row["cliffs_delta"])])
        header = ["Outcome", format_value(arm_a), format_value(arm_b), "Difference (95% interval)", "Cohen's d", "Cliff's delta"]
        lines += ["All runs:", "", _markdown_table(header, rows), ""]
        if stratum:
            strata = sorted(table[stratum].dropna().unique(), key=analysis._sort_key)
            header = [_cap(knob_name(stratum))] + [OUTCOME_NAMES[o] for o in OUTCOME_NAMES if o in set(table["outcome"])]
            rows = []
            for value in strata:
                part = table[table[stratum] == value]
                cells = [format_value(value)]
                for outcome in header[1:]:
                    key = next(o for o, n in OUTCOME_NAMES.items() if n == outcome)
                    row = part[part["outcome"] == key].iloc[0]
                    cells.append("n/a" if not math.isfinite(row["difference"]) else
                                 f"{100 * row['difference']:+.0f} pts ({100 * row['ci_low']:+.0f} to {100 * row['ci_high']:+.0f})")
                rows.append(cells)
            lines += [f"By {knob_name(stratum)} (difference in share, 95% interval):", "", _markdown_table(header, rows), ""]
    return "\n".join(lines)


def sensitivity_indices(study: Study) -> tuple[dict[str, pd.DataFrame], str | None]:
    """Sobol or Morris indices per outcome from design-point means; ``({}, reason)`` when not applicable."""
    if study.method not in ("sobol", "morris"):
        return {}, None
    problem = study.problem
    if not problem or not problem.get("names"):
        return {}, "the manifest has no SALib problem"
    names = list(problem["names"])
    missing = [n for n in names if n not in study.runs.columns]
    if missing:
        return {}, f"runs.parquet has no column {missing[0]}"
    k = len(names)
    n_points = study.manifest.get("design_points")
    if not isinstance(n_points, int) or n_points < 1:
        n_points = int(pd.to_numeric(study.runs["design_point"]).max()) + 1
    second_order = bool(study.manifest.get("calc_second_order")) and study.method == "sobol"
    expected = (2 * k + 2 if second_order else k + 2) if study.method == "sobol" else (k + 1)
    if n_points % expected:
        return {}, f"{n_points} design points is not a multiple of {expected} ({study.method} with {k} knobs)"
    out = {}
    for outcome in ("reached_scale", "collapsed", "final_community_outcome"):
        if outcome not in study.ok.columns:
            continue
        means = analysis.design_point_means(study.ok, outcome, names)
        full = pd.DataFrame({"design_point": np.arange(n_points)}).merge(means, on="design_point", how="left")
        y = full["mean"].to_numpy(dtype=float)
        if np.isnan(y).any():
            gaps = int(np.isnan(y).sum())
            y = np.where(np.isnan(y), np.nanmean(y), y)
            note = f"{gaps} design point(s) had no successful run and were filled with the mean"
            if note not in study.notes:
                study.notes.append(note)
        if study.method == "sobol":
            out[outcome] = analysis.sobol_indices(problem, y, calc_second_order=second_order)
        else:
            raw = _design_matrix(study, names, n_points)
            if raw is not None:
                x = raw  # the sampler's unrounded matrix (design.parquet)
            else:
                points = study.runs[["design_point", *names]].drop_duplicates("design_point")
                x = pd.DataFrame({"design_point": np.arange(n_points)}).merge(points, on="design_point", how="left")[names]
                x = x.apply(lambda c: pd.to_numeric(c, errors="coerce")).to_numpy(dtype=float)
            levels = study.manifest.get("levels") or (study.spec.get("design") or {}).get("levels") or 4
            out[outcome] = analysis.morris_indices(problem, x, y, num_levels=int(levels))
    return out, None


def _design_matrix(study: Study, names: Sequence[str], n_points: int) -> np.ndarray | None:
    """The sampler's matrix from ``design.parquet`` (unrounded, in design-point order), if the sweep wrote one."""
    path = study.directory / str(study.manifest.get("design_file") or "design.parquet")
    if not path.is_file():
        return None
    try:
        table = pd.read_parquet(path)
    except Exception:  # an unreadable optional file: fall back to the runs' values
        return None
    if "design_point" not in table.columns or any(n not in table.columns for n in names) or len(table) != n_points:
        return None
    return table.sort_values("design_point")[list(names)].to_numpy(dtype=float)


def section_sensitivity(study: Study, indices: dict[str, pd.DataFrame], reason: str | None) -> str:
    if reason:
        return "\n".join(["## Sensitivity", "", f"Not computed: {reason}.", ""])
    if not indices:
        return ""
    lines = ["## Sensitivity", ""]
    if study.method == "sobol":
        lines += ["Sobol indices from the design-point means (replicates averaged; reaching scale and collapsing as "
                  "shares). *First order*: share of the outcome's variance due to the knob alone; *total*: including "
                  "its interactions with the others. ± is the 95% bootstrap half-width. Run-to-run noise that the "
                  "replicates do not average away adds the same amount to every total index; indices of an outcome "
                  "that barely varies, or from few samples, are noisy; small negative first-order values mean zero.", ""]
        columns = {
            "first order": lambda t, i: f"{_num(t['S1'].iloc[i])} ± {_num(t['S1_conf'].iloc[i])}",
            "total": lambda t, i: f"{_num(t['ST'].iloc[i])} ± {_num(t['ST_conf'].iloc[i])}",
        }
    else:
        lines += ["Morris screening from the design-point means (replicates averaged; reaching scale and collapsing "
                  "as shares). `mu*` is the mean absolute elementary effect: the change in the outcome per full range "
                  "of the knob, from one-step moves on the Morris grid (± 95% bootstrap half-width); `sigma` is how "
                  "much that effect varies with the other knobs (interactions, non-linearity). Run-to-run noise that "
                  "the replicates do not average away inflates both.", ""]
        columns = {
            "mu*": lambda t, i: f"{_num(t['mu_star'].iloc[i], 3)} ± {_num(t['mu_star_conf'].iloc[i], 3)}",
            "sigma": lambda t, i: _num(t["sigma"].iloc[i], 3),
        }
    header = ["Knob"] + [f"{OUTCOME_NAMES.get(o, o.replace('_', ' ').capitalize())}: {kind}"
                         for o in indices for kind in columns]
    names = indices[next(iter(indices))]["name"]
    rows = [[_cap(knob_name(name))] + [cell(table, i) for table in indices.values() for cell in columns.values()]
            for i, name in enumerate(names)]
    lines += [_markdown_table(header, rows), ""]
    return "\n".join(lines)


def wants_discovery(study: Study) -> bool:
    """Boxes need at least two varied knobs (with one, the shares per value already say it all)."""
    return len(study.knobs) >= 2


def section_discovery(study: Study) -> str:
    if not wants_discovery(study):
        return ""
    lines = ["## Scenario discovery: which knob ranges lead there", "",
             "Boxes of knob ranges where the outcome is more common than across all runs, found with a shallow "
             "classification tree and widened while their rate stays within the 95% interval of the tree's leaf. "
             "The percentage is the share of runs inside the box with the outcome (density); *covering* is the share "
             "of all runs with the outcome that fall inside the box (coverage).", ""]
    for outcome in ("reached_scale", "collapsed"):
        if outcome not in study.ok.columns:
            continue
        y = analysis.as_binary(study.ok[outcome])
        y = y[np.isfinite(y)]
        lines += [f"### {OUTCOME_NAMES[outcome]}", "", f"Across all runs: {_pct(float(y.mean()) if y.size else math.nan)} "
                  f"({int(y.sum())} of {y.size}).", ""]
        runs = study.ok.assign(**{POLICY: study.ok[POLICY].astype(str)}) if study.policies else study.ok
        boxes = discover(runs, study.knobs, outcome)
        if not boxes:
            lines += ["No box: " + ("no run has this outcome." if y.sum() == 0 else
                                    "every run has this outcome." if y.sum() == y.size else
                                    "no range of the knobs stands out."), ""]
            continue
        lines += [f"{i}. {_plain_names(box.text(), study.knobs)}" for i, box in enumerate(boxes, 1)] + [""]
    return "\n".join(lines)


def _plain_names(text: str, knobs: Sequence[str]) -> str:
    """``funding.grant_months >= 48`` -> ``grant length (months) >= 48``: internal names stay in the appendix."""
    for knob in sorted(knobs, key=len, reverse=True):
        text = text.replace(knob, knob_name(knob))
    return text


def section_checkpoints(study: Study, table: pd.DataFrame | None, groups: Groups | None) -> str:
    if table is None or groups is None or table.empty:
        return ""
    months = [c for c in table.columns if c not in ("_group", "n")]
    header = [_cap(knob_name(groups.knob)), "Runs"] + months
    rows = [[row["_group"], str(int(row["n"]))] + [row[m] for m in months] for _, row in table.iterrows()]
    text = "Mean community outcome (0 to 1) at a few months and at the end, ± 95% interval."
    if groups.knob in ("governance.community_decision_share", "governance.power_sharing"):
        text += (" The betterment trade-off would show as higher early values with a small community share and "
                 "higher late values with a large one.")
    return "\n".join(["## Community outcome early and late", "", text, "", _markdown_table(header, rows), ""])


# --------------------------------------------------------------------------- time series

def _load_timeseries(study: Study, metrics: Sequence[str]) -> pd.DataFrame | None:
    if study.timeseries_path is None:
        return None
    try:
        frame = pd.read_parquet(study.timeseries_path, columns=["run_id", "step", "metric", "value"],
                                filters=[("metric", "in", list(metrics))])
    except Exception as error:  # a damaged optional file: report without it
        study.notes.append(f"timeseries.parquet could not be read ({_one_line(error)}); no month-by-month figures")
        return None
    if "run_id" in study.ok.columns:
        frame = frame[frame["run_id"].isin(set(study.ok["run_id"]))]
    return frame


def trajectories(study: Study, knob: str) -> tuple[pd.DataFrame, Groups, pd.DataFrame, dict] | None:
    frame = _load_timeseries(study, [m for m, _ in TRAJECTORY_METRICS])
    if frame is None or frame.empty or "run_id" not in study.ok.columns:
        return None
    groups = groups_of(study.ok, knob)
    group_of = dict(zip(study.ok["run_id"], groups.labels))
    frame = frame.assign(_group=frame["run_id"].map(group_of))
    means = frame.groupby(["_group", "metric", "step"], sort=True)["value"].mean().reset_index()
    ends = _grant_ends(study, _with_group(study.ok, groups), groups)
    # Community outcome at checkpoints and at the end, per group.
    outcome = frame[frame["metric"] == "community_outcome"]
    steps = np.sort(outcome["step"].unique())
    rows = []
    for label in groups.order:
        part = outcome[outcome["_group"] == label]
        row = {"_group": label, "n": part["run_id"].nunique()}
        for month in [m for m in CHECKPOINTS if m < study.steps]:
            at = steps[steps <= month].max() if (steps <= month).any() else None
            if at is not None:
                row[f"month {int(at)}"] = _mean_cell(part.loc[part["step"] == at, "value"].to_numpy(dtype=float))
        last = part.groupby("run_id")["step"].max()
        finals = part.merge(last.rename("last"), left_on="run_id", right_index=True)
        row[f"end (month {int(steps.max())})"] = _mean_cell(
            finals.loc[finals["step"] == finals["last"], "value"].to_numpy(dtype=float))
        rows.append(row)
    return means, groups, pd.DataFrame(rows), ends


# --------------------------------------------------------------------------- the report

def write_summary(out: Path, sections: Sequence[str], written: list[Path]) -> list[Path]:
    """Write the non-empty sections as ``summary.md`` in ``out``; it goes first in the list of paths written."""
    summary = out / "summary.md"
    text = "\n".join(s for s in sections if s).rstrip() + "\n"
    summary.write_text(text, encoding="utf-8", newline="\n")
    written.insert(0, summary)
    return written


def _phase_pairs(study: Study, indices: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """The first lever against the next two knobs; for Sobol designs, the two knobs with the largest total index."""
    knobs = study.knobs
    if len(knobs) < 2:
        return []
    first = (study.levers or knobs)[0]
    if study.method == "sobol" and len(study.numeric_knobs) >= 2:
        table = indices.get("reached_scale")
        if table is not None and table["ST"].notna().any():
            top = table.sort_values("ST", ascending=False)["name"].tolist()[:2]
            return [(top[0], top[1])]
    others = [k for k in knobs if k != first]
    return [(first, other) for other in others[:2]]


UNITS_TEXT = ("Every share below is over replicate runs (one run is one possible history, not a forecast); the "
              "intervals are 95% intervals for the share a very large number of runs would give.")


def _header(study: Study, units: str = UNITS_TEXT, facts_after: Sequence[str] = ()) -> str:
    spec = study.spec
    description = _one_line(spec.get("description", "")) if isinstance(spec.get("description"), str) else ""
    ok, failed = len(study.ok), study.n_failed
    points = study.runs["design_point"].nunique() if "design_point" in study.runs.columns else ok
    replicates = spec.get("replicates")
    lines = [f"# Sweep report: {study.name}", ""]
    if description:
        lines += [description, ""]
    facts = [f"scenario `{spec.get('scenario', study.ok['scenario'].iloc[0] if 'scenario' in study.ok.columns else '?')}`",
             f"design `{study.method}`", f"{points} design point{'' if points == 1 else 's'}"]
    if replicates:
        facts.append(f"{replicates} replicates each")
    facts.append(f"{study.steps} months per run")
    lines += ["- " + ", ".join(facts)]
    if study.knobs:
        lines += ["- varied (parameter names: the appendix):"] + [
            f"  - {knob_name(k)}{' (a lever)' if k in study.levers else ''}: {_range_text(study.ok[k])}"
            for k in study.knobs]
    lines += [f"- {fact}" for fact in facts_after]
    lines += [f"- runs: {len(study.runs)} ({ok} succeeded, {failed} failed{' and left out' if failed else ''})"]
    if study.manifest.get("spec_hash"):
        lines += [f"- spec hash: `{str(study.manifest['spec_hash'])[:12]}`"]
    lines += ["", units, ""]
    for note in study.notes:
        lines += [f"Note: {note}.", ""]
    return "\n".join(lines)


def section_parameters(study: Study) -> str:
    """The appendix: the varied and fixed parameters by their internal names (the only place they appear)."""
    keys = [k for k in [*study.policy_knobs, *study.knobs] if k != POLICY]
    rows = [(k, knob_name(k), _range_text(study.ok[k]) if k in study.ok.columns else "") for k in keys]
    fixed = study.manifest.get("fixed") if isinstance(study.manifest.get("fixed"), dict) else {}
    return sentences.parameters_appendix(rows, fixed, study.spec.get("scenario", "?"))


def _range_text(column: pd.Series) -> str:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return "; ".join(str(c) for c in column.cat.categories)
    values = column.dropna()
    unique = sorted(values.map(lambda v: v.item() if isinstance(v, np.generic) else v).unique(), key=analysis._sort_key)
    if len(unique) <= MAX_GROUPS:
        return ", ".join(format_value(v) for v in unique)
    return f"{format_value(unique[0])} to {format_value(unique[-1])}"


def _figures_section(figures: list[tuple[str, str]]) -> str:
    if not figures:
        return ""
    lines = ["## Figures", ""]
    for name, what in figures:
        lines += [f"- `{name}`: {what}"]
    lines += [""]
    lines += [f"![{name}]({name})" for name, _ in figures]
    return "\n".join(lines) + "\n"


def _failures(study: Study) -> str:
    if not study.n_failed:
        return ""
    failed = study.runs[study.runs["status"].astype(str) != "ok"]
    errors = failed["error"].fillna("no error recorded").map(_one_line) if "error" in failed.columns else pd.Series(
        ["no error recorded"] * len(failed))
    counts = errors.value_counts()
    lines = ["## Failed runs", "", f"{study.n_failed} of {len(study.runs)} runs failed and are left out of every "
             "number and figure above. Their errors:", ""]
    lines += [f"- {count} × {error}" for error, count in counts.head(5).items()]
    if len(counts) > 5:
        lines += [f"- … and {len(counts) - 5} other messages"]
    return "\n".join(lines) + "\n"


__all__ = ["ReportError", "Study", "load_study", "study_kind"]
