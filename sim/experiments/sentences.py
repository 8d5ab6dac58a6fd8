"""Plain-language answers for a study's report: a paragraph per question the spec asks, a glossary of the
outcomes, how runs ended (one status per run, so the shares add up to 100%), and the parameters appendix.

Every sentence with a number is computed here from the runs: shares with their Wilson 95% interval and the number
of runs, differences with their Newcombe 95% interval, costs with their bootstrap interval
(:mod:`sim.experiments.money`). A difference whose interval covers zero is called "no clear difference". Internal
parameter names appear only in the appendix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from sim.experiments import analysis, money
from sim.record import FINAL_STATUSES, STATUS_MEANING

# Per-run outcomes the answers speak of, with the phrase a board reads.
STILL_RUNNING = "still_running"
STATUS = tuple((status, status) for status in FINAL_STATUSES)  # mutually exclusive: every run is in exactly one


def glossary(steps: int) -> list[tuple[str, str]]:
    return [
        ("Still running", f"the partnership had not collapsed by the last month of the run (month {steps})."),
        ("Reached scale", "the public sector adopted the partnership's innovation and took over part of the work "
                          "(docs/ODD.md, the scale phase); a partnership that reached scale may still collapse or "
                          "close later, so *reached scale* overlaps with the others (see *How runs ended* for shares "
                          "that add up to 100%)."),
        ("Collapsed", "so many members walked away that fewer remained than the partnership needs; it stops for good. "
                      "Why is read off the members who left before it: it failed to launch (no progress in its first "
                      "phase), lost its champion, trust broke down, the funding ended, or it was not worth their time."),
        ("Closed with its goals met", "a partnership at scale decided its work was done and closed: an end, but not a "
                                      "collapse."),
        ("Sustained after the grant", f"the grant money ended before month {steps} and the partnership was still "
                                      "running at the end with a functioning core: at least half of its founding "
                                      "members, still doing joint work. A *remnant* (fewer members, or no joint work) "
                                      "does not count. Runs whose grant money still flows at the end are left out of "
                                      "this share (censored: nobody knows yet whether they would outlive their money)."),
        ("How runs ended", "every run is in exactly one final status: "
                           + "; ".join(f"*{status}*: {meaning}" for status, meaning in STATUS_MEANING.items()) + "."),
        ("Community outcome", "how far the community's own goal has been met, from 0 to 1."),
        ("Dollars spent", "the grant money that flowed to the partnership month by month (a collapsed partnership "
                          "receives no more)."),
        ("Dollars granted", "what the funder committed: every grant awarded, for its full length."),
        ("Cost per partnership still running / sustained / reaching scale", "the dollars spent on a group of runs "
                                                                            "divided by the number of them with that "
                                                                            "outcome: the money that did not lead to "
                                                                            "it counts too."),
        ("95% interval", "the range a very large number of runs would fall in, 19 times out of 20; *n* or *runs* is "
                         "how many runs the number is over."),
    ]


def section_glossary(steps: int) -> str:
    lines = ["## What the outcomes mean", ""]
    lines += [f"- **{term}**: {meaning}" for term, meaning in glossary(steps)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- shares and differences in words

def pct(share: float) -> str:
    return "n/a" if share is None or not math.isfinite(share) else f"{100 * share:.0f}%"


@dataclass(frozen=True)
class Share:
    successes: int
    n: int

    @property
    def share(self) -> float:
        return self.successes / self.n if self.n else math.nan

    def text(self) -> str:
        if not self.n:
            return "n/a (no runs)"
        low, high = analysis.wilson_interval(self.successes, self.n)
        return f"{pct(self.share)} (95% interval {100 * low:.0f}–{100 * high:.0f}%, {self.n} runs)"


def share_of(runs: pd.DataFrame, outcome: str) -> Share:
    flags = money.outcome_flags(runs, outcome)
    flags = flags[np.isfinite(flags)]
    return Share(int(flags.sum()), int(flags.size))


@dataclass(frozen=True)
class Difference:
    value: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        return math.isfinite(self.value) and (self.low > 0 or self.high < 0)

    def text(self) -> str:
        if not math.isfinite(self.value):
            return "no comparison (no runs)"
        span = f"95% interval {100 * self.low:+.0f} to {100 * self.high:+.0f} points"
        if not self.clear:
            return f"no clear difference ({100 * self.value:+.0f} points, {span})"
        return f"{abs(100 * self.value):.0f} points {'more' if self.value > 0 else 'fewer'} ({span})"


def difference(a: Share, b: Share) -> Difference:
    return Difference(*analysis.newcombe_interval(a.successes, a.n, b.successes, b.n))


def outcome_phrase(outcome: str, steps: int) -> str:
    return {STILL_RUNNING: f"still running at month {steps}", "reached_scale": "reaching scale",
            "collapsed": "collapsing",
            "sustained_after_funding": "sustained after their grant (of the runs whose grant ended)"}[outcome]


ANSWER_OUTCOMES = (STILL_RUNNING, "reached_scale", "sustained_after_funding")


@dataclass(frozen=True)
class Answer:
    """One question's answer: a title, its paragraph and a headline sentence for the brief."""

    title: str
    paragraph: str
    headline: str
    strength: float  # the largest clear difference in "still running" (0 when none is clear)


def compare_groups(name_b: str, runs_b: pd.DataFrame, name_a: str, runs_a: pd.DataFrame, steps: int,
                   outcomes: Sequence[str] = ANSWER_OUTCOMES) -> tuple[list[str], Difference | None]:
    """Clauses comparing runs ``a`` (the alternative) with runs ``b`` (the reference), one per outcome, and the
    difference in the share still running."""
    clauses, headline_diff = [], None
    for outcome in outcomes:
        if outcome != STILL_RUNNING and outcome not in runs_a.columns:
            continue
        a, b = share_of(runs_a, outcome), share_of(runs_b, outcome)
        if not a.n or not b.n:
            continue
        diff = difference(a, b)
        if outcome == STILL_RUNNING:
            headline_diff = diff
        clauses.append(f"{outcome_phrase(outcome, steps)}: {a.text()} against {b.text().replace('95% interval ', '')}, "
                       f"{diff.text()}")
    return clauses, headline_diff


def cost_clause(runs_a: pd.DataFrame, runs_b: pd.DataFrame) -> str:
    """The money of an alternative against its reference: spent per partnership and cost per one still running."""
    if not money.has_money(runs_a) or not money.has_money(runs_b):
        return ""
    spent_a, spent_b = money.mean_spent(runs_a)[0], money.mean_spent(runs_b)[0]
    cost_a, cost_b = money.cost_per(runs_a, STILL_RUNNING), money.cost_per(runs_b, STILL_RUNNING)
    return (f"It spent {money.dollars(spent_a)} per partnership against {money.dollars(spent_b)}; a partnership still "
            f"running cost {money.dollars(cost_a.dollars)} (95% interval {cost_a.interval()}) against "
            f"{money.dollars(cost_b.dollars)} ({cost_b.interval()}).")


def headline_sentence(name_a: str, name_b: str, diff: Difference | None, runs_a: pd.DataFrame, runs_b: pd.DataFrame,
                      steps: int) -> str:
    a, b = share_of(runs_a, STILL_RUNNING), share_of(runs_b, STILL_RUNNING)
    if diff is None or not a.n or not b.n:
        return ""
    if not diff.clear:
        return (f"{_cap(name_a)} made no clear difference to the share of partnerships still running at month "
                f"{steps} compared with {name_b}: {pct(a.share)} against {pct(b.share)} "
                f"({100 * diff.low:+.0f} to {100 * diff.high:+.0f} points, {a.n} and {b.n} runs).")
    return (f"With {name_a}, {pct(a.share)} of partnerships were still running at month {steps}, against "
            f"{pct(b.share)} with {name_b}: {diff.text()}, over {a.n} and {b.n} runs.")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def status_shares(runs: pd.DataFrame) -> dict[str, Share]:
    """How each run ended, one status per run (the model's ``final_status``): the shares add up to 100%."""
    status = runs["final_status"].astype("string")
    n = len(runs)
    return {key: Share(int((status == key).sum()), n) for key, _ in STATUS}


def status_table(groups: Sequence[tuple[str, pd.DataFrame]], header_name: str) -> str:
    """A markdown table: per group, the share of runs in each final status (rows add up to 100%)."""
    header = [header_name, "Runs"] + [_cap(text) for _, text in STATUS]
    rows = []
    for label, runs in groups:
        shares = status_shares(runs)
        rows.append([label, str(len(runs))] + [shares[key].text().replace("95% interval ", "").rsplit(",", 1)[0] + ")"
                                               if shares[key].n else "n/a" for key, _ in STATUS])
    rule = [":---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def censoring_sentence(runs: pd.DataFrame, steps: int) -> str:
    """How many runs *sustained after the grant* leaves out, and why."""
    if "sustained_after_funding" not in runs.columns:
        return ""
    known = np.isfinite(analysis.as_binary(runs["sustained_after_funding"]))
    left_out = int((~known).sum())
    if not left_out:
        return f"Every run's grant ended before month {steps}, so *sustained after the grant* covers all {len(runs)} runs."
    return (f"*Sustained after the grant* leaves out {left_out} of {len(runs)} runs whose grant had not ended by month "
            f"{steps} (still funded at the end, or never funded): nobody knows yet whether they would outlive it.")


def parameters_appendix(rows: Sequence[tuple[str, str, str]], fixed: dict, scenario: Any) -> str:
    """The appendix naming parameters by their keys: (key, plain name, values) per varied knob, and the fixed ones."""
    lines = ["## Appendix: parameters", "",
             f"The runs start from the scenario `{scenario}` (docs/ODD.md lists every parameter). Varied:", ""]
    lines += [f"- `{key}` ({name}): {values}" for key, name, values in rows]
    if fixed:
        lines += ["", "Fixed for every run:", ""] + [f"- `{key}` = {value!r}" for key, value in fixed.items()]
    return "\n".join(lines) + "\n"
