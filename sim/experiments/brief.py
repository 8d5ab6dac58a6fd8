"""The one-page brief of a study for a board: ``brief.png`` and ``brief.pdf`` (A4 landscape).

The page holds the study's question, the headline sentence (:func:`sim.experiments.answers.headline`, computed from
the runs), the headline figure (the policies side by side, or the outcomes by the first lever) and what the numbers
are over. Both files are deterministic: no dates or software stamps, so the same runs give the same bytes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt

from sim.experiments.answers import draw_policies
from sim.experiments.report import Study, _one_line, draw_outcomes, knob_phrase

A4_LANDSCAPE = (11.69, 8.27)
PNG_DPI = 100
PDF_METADATA = {"CreationDate": None, "Creator": None, "Producer": None}
PNG_METADATA = {"Software": None}


def write_brief(study: Study, headline: str, out: Path) -> list[Path]:
    """Write ``brief.png`` and ``brief.pdf`` into ``out``; return their paths."""
    fig = plt.figure(figsize=A4_LANDSCAPE, dpi=PNG_DPI)
    description = study.spec.get("description")
    question = _one_line(description) if isinstance(description, str) else study.name
    fig.text(0.05, 0.95, f"Board brief: {study.name.replace('_', ' ')}", fontsize=20, weight="bold", va="top")
    fig.text(0.05, 0.89, textwrap.fill(question, 120), fontsize=11, va="top", color="0.25")
    fig.text(0.05, 0.80, textwrap.fill(headline or "No lever was varied: there is no comparison to report.", 95),
             fontsize=14, va="top", weight="bold")
    ax = fig.add_axes((0.30 if study.policies else 0.08, 0.17, 0.62 if study.policies else 0.84, 0.47))
    lead = (study.levers or study.knobs or [None])[0]
    if study.policies:
        draw_policies(ax, study)
        title = f"Share of partnerships by policy (month {study.steps} of {study.steps})"
    elif lead is not None:
        draw_outcomes(ax, study, lead)
        title = f"Share of partnerships by {knob_phrase(lead)}"
    else:
        ax.set_axis_off()
        title = ""
    ax.set_title(title, fontsize=12, loc="left")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.065), ncol=3, fontsize=10, frameon=False)
    runs = len(study.ok)
    fig.text(0.05, 0.03, textwrap.fill(
        f"Over {runs:,} simulated runs of {study.steps} months (partnersim, scenario "
        f"{study.spec.get('scenario', '?')}). Dots are shares of runs, bars their 95% intervals. One run is one "
        "possible history of the model, not a forecast of a real partnership; the full report (summary.md) gives every "
        "number with its interval and the number of runs.", 150), fontsize=9, va="bottom", color="0.3")
    png, pdf = out / "brief.png", out / "brief.pdf"
    try:
        fig.savefig(png, dpi=PNG_DPI, format="png", metadata=PNG_METADATA)
        fig.savefig(pdf, format="pdf", metadata=PDF_METADATA)
    finally:
        plt.close(fig)
    return [png, pdf]
