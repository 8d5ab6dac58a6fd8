"""The board-facing sections of a partnership study's report: the answers to the questions the spec asks, how runs
ended, money, and (for a policies design) the named policies side by side against the reference policy.

Each question is a lever (or, in a policies design, the choice of policy): its paragraph compares the lever's
first value (the lowest, or the reference policy) with each other value on the share still running, reaching scale
and sustained after the grant, with 95% intervals and run counts, and gives the cost per partnership where the runs
report money. The sentences are built in :mod:`sim.experiments.sentences`; the numbers come from the runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from sim.experiments import analysis, money, sentences
from sim.experiments.report import (
    DPI, FIGSIZE, POLICY, Study, _cap, _markdown_table, _title, _with_group, groups_of, knob_name, knob_phrase,
)
from sim.experiments.sentences import STILL_RUNNING, Answer

MAX_COMPARED = 5  # values of one lever compared in words with its first value (the rest are in the tables)
SHARE_OUTCOMES = ((STILL_RUNNING, "Still running at the end", "#6a51a3"), ("reached_scale", "Reached scale", "#238b45"),
                  ("sustained_after_funding", "Sustained after the grant", "#2171b5"))


@dataclass(frozen=True)
class Question:
    """A lever and its values as groups of runs, the first being what the others are compared with."""

    knob: str
    groups: list[tuple[str, pd.DataFrame]]  # (label, runs) in order; the first is the reference

    @property
    def title(self) -> str:
        return "Which policy?" if self.knob == POLICY else f"What does {knob_phrase(self.knob)} change?"

    def name(self, label: str) -> str:
        """How a sentence names one value, e.g. ``grant length 60`` or the policy's own name."""
        if self.knob == POLICY:
            return f"\u201c{label}\u201d"
        return f"{knob_phrase(self.knob)} {label}"


def questions(study: Study) -> list[Question]:
    out = []
    for knob in study.levers or study.knobs:
        groups = groups_of(study.ok, knob)
        frame = _with_group(study.ok, groups)
        ordered = [(label, frame[frame["_group"] == label]) for label in groups.order]
        if knob == POLICY and study.reference in groups.order:
            ordered.sort(key=lambda item: item[0] != study.reference)
        if len(ordered) >= 2:
            out.append(Question(knob, ordered))
    return out


def answer(study: Study, question: Question) -> Answer:
    """Each other value against the first: a bullet per value, with the money where the runs report it."""
    (ref_label, ref_runs), others = question.groups[0], question.groups[1:]
    pooled = [knob_name(k) for k in study.knobs if k != question.knob]
    bullets, best = [], (0.0, "")
    for label, runs in others[:MAX_COMPARED]:
        clauses, diff = sentences.compare_groups(question.name(ref_label), ref_runs, question.name(label), runs,
                                                 study.steps)
        cost = sentences.cost_clause(runs, ref_runs)
        bullets.append(f"- **{_cap(question.name(label))}**: " + "; ".join(clauses) + "." + (f" {cost}" if cost else ""))
        headline = sentences.headline_sentence(question.name(label), question.name(ref_label), diff, runs, ref_runs,
                                               study.steps)
        strength = abs(diff.value) if diff is not None and diff.clear else 0.0
        if headline and (strength > best[0] or not best[1]):
            best = (strength, headline)
    if len(others) > MAX_COMPARED:
        bullets.append(f"- The other {len(others) - MAX_COMPARED} values are in the tables below.")
    intro = (f"Each {'policy' if question.knob == POLICY else 'value'} against {question.name(ref_label)}"
             + (" (the reference policy)" if question.knob == POLICY else "")
             + (f", pooled over {', '.join(pooled)}" if pooled else "") + ":")
    return Answer(question.title, intro + "\n\n" + "\n".join(bullets), best[1], best[0])


def answers(study: Study) -> list[Answer]:
    return [answer(study, q) for q in questions(study)]


def headline(found: list[Answer]) -> str:
    """The brief's sentence: the answer with the largest clear change in the share still running (else the first)."""
    if not found:
        return ""
    return max(found, key=lambda a: a.strength).headline


def section_answers(study: Study, found: list[Answer]) -> str:
    lines = ["## The answers in brief", ""]
    if not found:
        lines += ["No lever was varied, so there is no comparison to make: the tables below describe all runs.", ""]
    for item in found:
        lines += [f"**{item.title}** {item.paragraph}", ""]
    lines += [sentences.censoring_sentence(study.ok, study.steps), ""]
    lines += ["Every number is over replicate runs of the model: one run is one possible history, not a forecast.", ""]
    return "\n".join(lines)


def section_status(study: Study) -> str:
    if "final_status" not in study.ok.columns:  # results written before runs reported one
        return ""
    lead = (study.levers or study.knobs or [None])[0]
    if lead is None:
        groups = [("all runs", study.ok)]
        header = "Runs"
    else:
        g = groups_of(study.ok, lead)
        frame = _with_group(study.ok, g)
        groups = [(label, frame[frame["_group"] == label]) for label in g.order] + [("all runs", study.ok)]
        header = _cap(knob_name(lead))
    return "\n".join([
        "## How runs ended", "",
        "Each run in exactly one state at the end, so each row adds up to 100%: it collapsed, closed with its goals "
        "met, is at scale, is still funded (its fate not yet known), sustained with a functioning core after its grant "
        "money ended, or is a remnant (running, but with less than half its founding members or no joint work). "
        "(*Reached scale* and *collapsed* in the tables below overlap: a partnership can reach scale and collapse "
        "later.) Share and 95% interval.", "", sentences.status_table(groups, header), ""])


def section_money(study: Study) -> str:
    if not money.has_money(study.ok):
        return ""
    lead = (study.levers or study.knobs or [None])[0]
    if lead is None:
        groups = [("all runs", study.ok)]
    else:
        g = groups_of(study.ok, lead)
        frame = _with_group(study.ok, g)
        groups = [(label, frame[frame["_group"] == label]) for label in g.order]
    header = [_cap(knob_name(lead)) if lead else "Runs", "Runs", "Spent per partnership"] + [
        f"Cost per {phrase}" for phrase in money.COST_OUTCOMES.values()]
    rows = []
    for label, runs in groups:
        mean, low, high, n = money.mean_spent(runs)
        spent = money.dollars(mean) + (f" ({money.dollars(low)}–{money.dollars(high)})" if math.isfinite(low) else "")
        rows.append([label, str(len(runs)), spent] + [money.cost_per(runs, o).text() for o in money.COST_OUTCOMES])
    return "\n".join([
        "## Money", "",
        "Dollars spent: the grant money that reached the partnership, a mean per run (95% t interval). Cost per "
        "partnership with an outcome: the dollars spent on all runs of the row divided by the runs with that outcome, "
        "with a 95% bootstrap interval (\u201cor more\u201d: the resamples allow no upper bound); cost per partnership "
        "sustained counts only the runs whose grant ended.", "",
        _markdown_table(header, rows), ""])


def section_policies(study: Study) -> str:
    """Every policy side by side, and each against the reference, at any number of policies."""
    if not study.policies:
        return ""
    g = groups_of(study.ok, POLICY)
    frame = _with_group(study.ok, g)
    settings = study.spec.get("policies", {})
    lines = ["## The policies side by side", "",
             f"Each policy is a bundle of settings; *{study.reference}* is the reference. Shares with their 95% "
             "interval and runs; differences from the reference in percentage points with a 95% Newcombe interval.", ""]
    header = ["Policy", "Settings", "Runs"] + [name for _, name, _ in SHARE_OUTCOMES] + ["Still running: difference"]
    reference = frame[frame["_group"] == study.reference]
    rows = []
    for label in g.order:
        runs = frame[frame["_group"] == label]
        shares = [sentences.share_of(runs, o) for o, _, _ in SHARE_OUTCOMES if o == STILL_RUNNING or o in runs.columns]
        diff = sentences.difference(shares[0], sentences.share_of(reference, STILL_RUNNING))
        rows.append([label, _settings_text(settings.get(label, {})), str(len(runs))]
                    + [s.text().replace("95% interval ", "") for s in shares]
                    + ["reference" if label == study.reference else diff.text()])
    lines += [_markdown_table(header, rows), ""]
    return "\n".join(lines)


def _settings_text(settings: Any) -> str:
    if not isinstance(settings, dict):
        return ""
    flat = {}

    def walk(table: dict, prefix: str = "") -> None:
        for key, value in table.items():
            full = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                walk(value, full)
            else:
                flat[full] = value
    walk(settings)
    parts = []
    for key, value in flat.items():
        shown = money.dollars(value) if money.is_money_knob(key) else (
            ("yes" if value else "no") if isinstance(value, bool) else str(value))
        parts.append(f"{knob_name(key)}: {shown}")
    return "; ".join(parts)


def draw_policies(ax, study: Study) -> None:
    """Shares still running, reaching scale and sustained per policy (horizontal, the reference first)."""
    g = groups_of(study.ok, POLICY)
    frame = _with_group(study.ok, g)
    labels = sorted(g.order, key=lambda label: label != study.reference)
    y = np.arange(len(labels))
    height = 0.8 / len(SHARE_OUTCOMES)
    for k, (outcome, name, colour) in enumerate(SHARE_OUTCOMES):
        xs, lo, hi, ys = [], [], [], []
        for i, label in enumerate(labels):
            share = sentences.share_of(frame[frame["_group"] == label], outcome) if (
                outcome == STILL_RUNNING or outcome in frame.columns) else None
            if share is None or not share.n:
                continue
            low, high = analysis.wilson_interval(share.successes, share.n)
            xs.append(share.share), lo.append(share.share - low), hi.append(high - share.share)
            ys.append(i + (k - 1) * height)
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", color=colour, capsize=3, markersize=6, label=name)
    ax.set_yticks(y, [_title(label + (" (reference)" if label == study.reference else ""), 30) for label in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Share of partnerships (dot) with its 95% interval (bar)")
    ax.grid(True, axis="x", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)


def plot_policies(study: Study) -> Any:
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    draw_policies(ax, study)
    ax.set_title(_title(f"The policies side by side: still running at month {study.steps}, reaching scale and "
                        "sustained after the grant"))
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize="small", frameon=False)
    return fig


def plot_costs(study: Study) -> Any:
    """Cost per partnership still running, sustained and reaching scale, per value of the lead lever, in dollars."""
    lead = (study.levers or study.knobs)[0]
    g = groups_of(study.ok, lead)
    frame = _with_group(study.ok, g)
    labels = sorted(g.order, key=lambda label: label != study.reference) if lead == POLICY else list(g.order)
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    outcomes = [o for o in money.COST_OUTCOMES if o == STILL_RUNNING or o in frame.columns]
    colours = {STILL_RUNNING: "#6a51a3", "sustained_after_funding": "#2171b5", "reached_scale": "#238b45"}
    height = 0.8 / len(outcomes)
    top = 0.0
    for k, outcome in enumerate(outcomes):
        xs, lo, hi, ys = [], [], [], []
        for i, label in enumerate(labels):
            cost = money.cost_per(frame[frame["_group"] == label], outcome)
            if not cost.successes:
                continue
            high = cost.high if math.isfinite(cost.high) else cost.dollars
            xs.append(cost.dollars), lo.append(cost.dollars - cost.low), hi.append(high - cost.dollars)
            ys.append(i + (k - (len(outcomes) - 1) / 2) * height)
            top = max(top, high)
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt="s", color=colours[outcome], capsize=3, markersize=5,
                    label=f"per {money.COST_OUTCOMES[outcome]}")
    ax.set_yticks(range(len(labels)), [_title(label, 30) for label in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.08 if top else 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: money.dollars(v)))
    ax.set_xlabel("Dollars spent per partnership with the outcome (95% bootstrap interval)")
    ax.set_ylabel(_cap(knob_name(lead)))
    ax.grid(True, axis="x", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_title(_title(f"What a partnership that lasts costs, by {knob_phrase(lead)} (dollars)"))
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3, fontsize="small", frameon=False)
    return fig
