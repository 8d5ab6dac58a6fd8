"""Reports that answer (issue 16): sentences first, outcomes explained, numeric order, uncertainty marked, money,
named policies at any size, and a one-page brief."""

from __future__ import annotations

import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.experiments import money, sentences  # noqa: E402
from sim.experiments.report import _grant_ends, _with_group, draw_outcomes, groups_of, load_study, plot_phase  # noqa: E402
from sim.experiments.reporting import write_report  # noqa: E402


def synthetic(tmp_path, knob_values: dict, share_running, replicates=30, steps=120, name="study", extra=None,
              spec_extra=None, design="grid"):
    """A results directory whose runs follow ``share_running(point)`` (the share not collapsed) exactly."""
    keys = list(knob_values)
    points = list(zip(*knob_values.values()))
    rows = []
    for point, values in enumerate(points):
        running = round(share_running(dict(zip(keys, values))) * replicates)
        for replicate in range(replicates):
            collapsed = replicate >= running
            rows.append({"run_id": len(rows), "design_point": point, "replicate": replicate, "seed": len(rows),
                         **dict(zip(keys, values)), "reached_scale": replicate < running // 3,
                         "collapsed": collapsed, "collapse_step": 40 if collapsed else None,
                         "funding_end_step": 36 if not collapsed else 40,
                         "sustained_after_funding": (not collapsed) if replicate % 5 else None,
                         "dollars_spent": 360_000.0, "dollars_granted": 360_000.0,
                         "status": "ok", "error": None, "scenario": "baseline", **(extra or {})})
    directory = tmp_path / name
    directory.mkdir()
    pd.DataFrame(rows).to_parquet(directory / "runs.parquet", index=False)
    spec = {"description": "Does it help?", "scenario": "baseline", "replicates": replicates, "steps": steps,
            **(spec_extra or {})}
    manifest = {"spec": spec, "design": design, "design_points": len(points), "steps": steps, "levers": keys,
                "uncertainties": [], "fixed": {}, "base_params": {"funding": {"grant_months": 36}}}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def test_lines_over_a_numeric_knob_follow_its_numbers_not_its_text(tmp_path):
    # Values given out of order: as text "36" < "60" < "9"; the line must go 9 -> 36 -> 60.
    share = {36: 0.27, 60: 0.5, 9: 0.1}
    directory = synthetic(tmp_path, {"funding.grant_months": [36, 60, 9]}, lambda p: 1 - share[p["funding.grant_months"]])
    study = load_study(directory)
    fig, ax = plt.subplots()
    draw_outcomes(ax, study, "funding.grant_months")
    collapsed = next(line for line in ax.lines if line.get_color() == "#cb181d" and len(line.get_xdata()) == 3)
    assert list(collapsed.get_xdata()) == [9, 36, 60]
    assert list(np.round(collapsed.get_ydata(), 2)) == [0.1, 0.27, 0.5]
    plt.close(fig)


def test_money_axes_are_labelled_in_dollars(tmp_path):
    directory = synthetic(tmp_path, {"funding.monthly_amount": [30000.0, 7500.0, 12500.0]}, lambda p: 0.5)
    study = load_study(directory)
    fig, ax = plt.subplots()
    draw_outcomes(ax, study, "funding.monthly_amount")
    assert "dollars" in ax.get_xlabel()
    assert ax.xaxis.get_major_formatter()(12500.0, 0) == "$12,500"
    plt.close(fig)


def test_summary_opens_with_sentences_and_keeps_internal_names_for_the_appendix(tmp_path):
    share = {12: 0.4, 60: 0.8}
    directory = synthetic(tmp_path, {"funding.grant_months": [12, 60]}, lambda p: share[p["funding.grant_months"]])
    write_report(directory, tmp_path / "out")
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    body, appendix = summary.split("## Appendix: parameters")
    assert "funding.grant_months" not in body and "`funding.grant_months`" in appendix
    first_section = body.split("\n## ")[1]
    assert first_section.startswith("The answers in brief")
    # 24 of 30 runs against 12 of 30: the sentence carries both shares, their intervals, the runs and the difference.
    assert ("still running at month 120: 80% (95% interval 63–90%, 30 runs) against 40% (25–58%, 30 runs), "
            "40 points more (95% interval +15 to +59 points)") in first_section
    assert "## What the outcomes mean" in body and "**Sustained after the grant**" in body
    assert re.search(r"leaves out \d+ of 60 runs whose grant had not ended", body)


def test_how_runs_ended_adds_up_to_all_runs(tmp_path):
    runs = pd.DataFrame({"final_status": ["collapsed", "at scale", "sustained", "sustained", "remnant"]})
    shares = sentences.status_shares(runs)
    assert [shares[k].successes for k, _ in sentences.STATUS] == [1, 0, 1, 0, 2, 1]
    assert sum(s.successes for s in shares.values()) == len(runs)


def test_the_survival_chart_marks_no_grant_end_for_a_line_pooling_several_grants(tmp_path):
    directory = synthetic(tmp_path, {"funding.grant_months": [24, 24, 36, 36], "organizations.initial_trust": [0.2, 0.4, 0.2, 0.4]},
                          lambda p: 0.5)
    study = load_study(directory)
    by_trust = groups_of(study.ok, "organizations.initial_trust")
    assert _grant_ends(study, _with_group(study.ok, by_trust), by_trust) == {}
    by_grant = groups_of(study.ok, "funding.grant_months")
    assert _grant_ends(study, _with_group(study.ok, by_grant), by_grant) == {"24": 24.0, "36": 36.0}


def test_heatmap_cells_with_wide_intervals_are_marked(tmp_path):
    directory = synthetic(tmp_path, {"funding.grant_months": [24, 24, 36, 36], "organizations.initial_trust": [0.2, 0.4, 0.2, 0.4]},
                          lambda p: 0.5, replicates=8)
    study = load_study(directory)
    fig = plot_phase(study, "funding.grant_months", "organizations.initial_trust")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("(wide)" in t for t in texts)
    assert any(p.get_hatch() for ax in fig.axes for p in ax.patches)
    plt.close(fig)


def test_cost_per_partnership_is_money_spent_over_partnerships_with_the_outcome():
    runs = pd.DataFrame({"dollars_spent": [100.0, 100.0, 100.0, 100.0], "collapsed": [False, False, True, True],
                         "reached_scale": [True, False, False, False],
                         "sustained_after_funding": [True, None, False, False]})
    assert money.cost_per(runs, "still_running").dollars == 200.0
    assert money.cost_per(runs, "reached_scale").dollars == 400.0
    sustained = money.cost_per(runs, "sustained_after_funding")
    assert (sustained.dollars, sustained.runs, sustained.successes) == (300.0, 3, 1)
    cost = money.cost_per(runs, "still_running")
    assert cost.low <= 200.0 <= cost.high and cost == money.cost_per(runs, "still_running")  # seeded: repeatable


def test_policies_compare_by_name_with_costs_at_any_size(tmp_path):
    names = [f"policy {i:02d}" for i in range(70)]  # more than a per-point table used to allow
    policies = {name: {"funding": {"grant_months": 12 + i}} for i, name in enumerate(names)}
    directory = synthetic(tmp_path, {"funding.grant_months": [12 + i for i in range(70)]},
                          lambda p: 0.3 + 0.005 * (p["funding.grant_months"] - 12), replicates=4,
                          spec_extra={"policies": policies, "design": {"method": "policies", "reference": "policy 05"}},
                          design="policies")
    paths = write_report(directory, tmp_path / "out")
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    side_by_side = summary.split("## The policies side by side")[1].split("\n## ")[0]
    assert all(f"| {name} |" in side_by_side for name in names)
    assert "| policy 05 | grant length (months): 17 | 4 |" in side_by_side and "| reference |" in side_by_side
    assert "Each policy against \u201cpolicy 05\u201d (the reference policy)" in summary
    assert "a partnership still running cost $" in summary
    assert {"policies.png", "brief.png", "brief.pdf"} <= {p.name for p in paths}


def test_the_brief_is_one_deterministic_page_with_the_headline(tmp_path):
    share = {12: 0.4, 60: 0.8}
    directory = synthetic(tmp_path, {"funding.grant_months": [12, 60]}, lambda p: share[p["funding.grant_months"]])
    write_report(directory, tmp_path / "a")
    write_report(directory, tmp_path / "b")
    for name in ("brief.png", "brief.pdf", "summary.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    pdf = (tmp_path / "a" / "brief.pdf").read_bytes()
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") <= 1 or \
        len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    from PIL import Image
    with Image.open(tmp_path / "a" / "brief.png") as image:
        assert image.size == (1169, 827)  # A4 landscape at 100 dpi
