"""The report of a single-partnership sweep: the answers for a board, the brief, and the figures and tables.

:func:`sim.experiments.reporting.write_report` calls :func:`write_partnership_report` for a study of single
partnerships; the helpers it uses are :mod:`sim.experiments.report`'s, the board-facing sections
:mod:`sim.experiments.answers`' and the brief :mod:`sim.experiments.brief`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

from sim.experiments import analysis, money, sentences
from sim.experiments import answers as board
from sim.experiments.brief import write_brief
from sim.experiments.report import (
    OUTCOME_NAMES, PLAIN_TEXT, Study, _failures, _figures_section, _file_part, _grant_ends, _header,
    _mixed_grants_note, _phase_pairs, _save, _stratum, _with_group, format_value, groups_of, knob_name, lines_pair,
    plot_effects, plot_outcome_lines,
    plot_outcomes, plot_phase, plot_sensitivity, plot_survival, plot_trajectories, section_checkpoints,
    section_discovery, section_effects, section_other_outcomes, section_parameters, section_sensitivity,
    section_shares, sensitivity_indices, trajectories, two_arm_knobs, write_summary,
)


def write_partnership_report(study: Study, out: Path, extra: Sequence[str] = ()) -> list[Path]:
    """Write ``summary.md`` and the figures of a single-partnership sweep into ``out``; return the paths written.
    ``extra`` sections (e.g. a two-scale study's "Two scales") follow the header."""
    with matplotlib.rc_context(PLAIN_TEXT):
        return _write_partnership_report(study, out, extra)


def _write_partnership_report(study: Study, out: Path, extra: Sequence[str] = ()) -> list[Path]:
    written: list[Path] = []
    figures: list[tuple[str, str]] = []

    def save(fig, name: str, what: str) -> None:
        written.append(_save(fig, out / name))
        figures.append((name, what))

    found = board.answers(study)
    lead = study.levers or study.knobs
    if study.policies:
        save(board.plot_policies(study), "policies.png",
             f"Every policy side by side: the share of partnerships still running at month {study.steps}, reaching "
             "scale and sustained after the grant, with 95% Wilson intervals; the reference policy first.")
    if lead and money.has_money(study.ok):
        save(board.plot_costs(study), f"costs_by_{_file_part(lead[0], study.knobs)}.png",
             f"Dollars spent per partnership still running, sustained after the grant and reaching scale, for each "
             f"{knob_name(lead[0])}, with 95% bootstrap intervals.")
    for knob in lead[:3]:
        part = _file_part(knob, study.knobs)
        groups = groups_of(study.ok, knob)
        note = _mixed_grants_note(_grant_ends(study, _with_group(study.ok, groups), groups), groups)
        save(plot_survival(study, knob), f"survival_by_{part}.png",
             f"Share of partnerships still running month by month, one line per {knob_name(knob)} "
             "(shaded: 95% Wilson interval); dashed lines mark the month each line's first grant ends." + note)
    if not lead:
        save(plot_survival(study, None), "survival.png",
             "Share of partnerships still running month by month (shaded: 95% Wilson interval); the dashed line "
             "marks the month the first grant ends.")
    for knob in study.knobs:
        part = _file_part(knob, study.knobs)
        save(plot_outcomes(study, knob), f"outcomes_by_{part}.png",
             f"Share of runs reaching scale, collapsing and sustained after the grant for each {knob_name(knob)}, "
             "pooled over the other knobs, with 95% Wilson intervals.")

    pair = lines_pair(study)
    if pair is not None:
        kx, kg = pair
        save(plot_outcome_lines(study, kx, kg),
             f"outcomes_by_{_file_part(kx, study.knobs)}_and_{_file_part(kg, study.knobs)}.png",
             f"The community outcome at the end and the shares reaching scale, collapsing and sustained after the "
             f"grant against {knob_name(kx)}, one line per {knob_name(kg)}, pooled over any other knobs, with 95% "
             "intervals (Student t for the mean, Wilson for shares).")

    indices, reason = sensitivity_indices(study)
    pairs = _phase_pairs(study, indices)
    for kx, ky in pairs:
        save(plot_phase(study, kx, ky), f"phase_{_file_part(kx, study.knobs)}_x_{_file_part(ky, study.knobs)}.png",
             f"Phase diagram: share reaching scale (left) and collapsing (right) for each combination of "
             f"{knob_name(kx)} and {knob_name(ky)}, pooled over any other knobs.")

    effects = {}
    for knob in two_arm_knobs(study):
        stratum = _stratum(study, knob)
        outcomes = [o for o in (*OUTCOME_NAMES, "final_community_outcome", "final_mean_trust") if o in study.ok.columns]
        table = analysis.two_arm_effects(study.ok, knob, outcomes, by=[stratum] if stratum else [])
        arm_a, arm_b = table["arm_a"].iloc[0], table["arm_b"].iloc[0]
        effects[knob] = (table, stratum, arm_a, arm_b)
        save(plot_effects(table, knob, stratum, arm_a, arm_b), f"effect_{_file_part(knob, study.knobs)}.png",
             f"Difference in the share reaching scale, collapsing and sustained after the grant between "
             f"{knob_name(knob)} {format_value(arm_a)} and {format_value(arm_b)}"
             + (f", for all runs and for each {knob_name(stratum)}" if stratum else "")
             + ", with 95% Newcombe intervals; a bar crossing zero means no clear difference.")

    if indices:
        save(plot_sensitivity(indices, study.method), "sensitivity.png",
             "Which knobs matter most: " + ("first-order and total Sobol indices" if study.method == "sobol" else
                                            "Morris mu* (mean absolute effect) and sigma")
             + " for reaching scale and collapsing, with 95% intervals.")

    checkpoints, check_groups = None, None
    if study.timeseries_path is not None and lead:
        result = trajectories(study, lead[0])
        if result is not None:
            means, check_groups, checkpoints, ends = result
            save(plot_trajectories(means, check_groups, ends), f"trajectories_by_{_file_part(lead[0], study.knobs)}.png",
                 f"Mean community outcome, community share of decision power, active members and trust month by month, "
                 f"one line per {knob_name(lead[0])}; dashed lines mark the month each line's first grant ends.")

    headline = board.headline(found)
    written += write_brief(study, headline, out)
    figures.insert(0, ("brief.png", "The one-page brief for a board (also brief.pdf): the question, the headline "
                                    "sentence and the headline figure."))
    sections = [
        _header(study),
        *extra,
        board.section_answers(study, found),
        sentences.section_glossary(study.steps),
        board.section_policies(study),
        board.section_status(study),
        board.section_money(study),
        section_shares(study),
        section_checkpoints(study, checkpoints, check_groups),
        section_other_outcomes(study),
        section_effects(study, effects),
        section_sensitivity(study, indices, reason),
        section_discovery(study),
        _figures_section(figures),
        _failures(study),
        section_parameters(study),
    ]
    return write_summary(out, sections, written)
