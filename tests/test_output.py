"""sim.output: the files a run writes, their determinism, and the printed summary."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import sim
from sim import output
from sim.record import DEPARTURE_KEYS, FINAL_STATUSES, STATUS_MEANING

STEPS = 24
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

REQUIRED_COLUMNS = [
    "step", "mean_trust", "n_networking", "n_coordinating", "n_cooperating", "n_collaborating", "mean_capacity",
    "shared_turf", "phase", "community_outcome", "community_power_share", "active_members", "funding",
]
REQUIRED_SUMMARY_KEYS = {
    "scenario", "seed", "params", "reached_scale", "scale_step", "collapsed", "collapse_step", "collapse_cause",
    "sustained_after_funding", "final_mean_trust", "final_community_outcome", "community_power_share", "max_level",
}


@pytest.fixture(scope="module")
def result():
    return sim.run("baseline", seed=3, steps=STEPS)


def _strict_json(text: str):
    def reject(constant):
        raise ValueError(f"invalid JSON constant {constant}")
    return json.loads(text, parse_constant=reject)


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_write_run_writes_all_files(result, tmp_path):
    out = tmp_path / "run"
    paths = output.write_run(result, out)
    expected = [out / "timeseries.csv", out / "organizations.csv", out / "summary.json",
                *(out / "figures" / name for name in ("levels.png", "trust.png", "phases.png"))]
    assert paths == expected
    for path in paths:
        assert path.is_file() and path.stat().st_size > 0
    # Nothing left behind in the parent (no temporary directories).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_timeseries_csv(result, tmp_path):
    import pandas as pd

    output.write_run(result, tmp_path / "run")
    text = (tmp_path / "run" / "timeseries.csv").read_bytes()
    assert b"\r\n" not in text
    frame = pd.read_csv(tmp_path / "run" / "timeseries.csv")
    assert list(frame.columns) == list(result.timeseries.columns)
    for column in REQUIRED_COLUMNS:
        assert column in frame.columns
    assert len(frame) == STEPS + 1
    assert list(frame["step"]) == list(range(STEPS + 1))
    assert set(frame["phase"]) <= {"assessment", "demonstration", "advocacy", "scale"}
    assert frame["mean_trust"].between(0, 1).all()


def test_summary_json_is_valid_and_complete(result, tmp_path):
    output.write_run(result, tmp_path / "run")
    text = (tmp_path / "run" / "summary.json").read_text(encoding="ascii")
    data = _strict_json(text)
    assert REQUIRED_SUMMARY_KEYS <= set(data)
    assert data["scenario"] == "baseline"
    assert data["seed"] == 3
    assert data["params"]["steps"] == STEPS
    assert list(data) == sorted(data)  # sort_keys
    for key in ("final_mean_trust", "final_community_outcome", "community_power_share"):
        assert isinstance(data[key], float) and math.isfinite(data[key])


def test_figures_are_png(result, tmp_path):
    output.write_run(result, tmp_path / "run")
    for name in ("levels.png", "trust.png", "phases.png"):
        assert (tmp_path / "run" / "figures" / name).read_bytes()[:8] == PNG_SIGNATURE


def test_same_result_gives_byte_identical_files(tmp_path):
    first = sim.run("baseline", seed=5, steps=STEPS)
    second = sim.run("baseline", seed=5, steps=STEPS)
    output.write_run(first, tmp_path / "a")
    output.write_run(second, tmp_path / "b")
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert set(a) == {"timeseries.csv", "organizations.csv", "summary.json", "figures/levels.png", "figures/trust.png",
                      "figures/phases.png"}
    assert a == b


def test_different_seeds_give_different_timeseries(tmp_path):
    output.write_run(sim.run("baseline", seed=1, steps=STEPS), tmp_path / "a")
    output.write_run(sim.run("baseline", seed=2, steps=STEPS), tmp_path / "b")
    assert (tmp_path / "a" / "timeseries.csv").read_bytes() != (tmp_path / "b" / "timeseries.csv").read_bytes()


def test_existing_directory_files_are_replaced_others_kept(result, tmp_path):
    out = tmp_path / "run"
    (out / "figures").mkdir(parents=True)
    (out / "timeseries.csv").write_text("stale\n")
    (out / "figures" / "levels.png").write_text("stale\n")
    (out / "notes.txt").write_text("mine\n")
    output.write_run(result, out)
    assert (out / "timeseries.csv").read_text().startswith("step,")
    assert (out / "figures" / "levels.png").read_bytes()[:8] == PNG_SIGNATURE
    assert (out / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_nothing_half_written_when_a_figure_fails(result, tmp_path, monkeypatch):
    def broken(frame, summary):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(output, "plot_phases", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        output.write_run(result, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_write_run_creates_missing_parents(result, tmp_path):
    out = tmp_path / "a" / "b" / "run"
    output.write_run(result, out)
    assert (out / "summary.json").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]


def test_figures_are_closed(result, tmp_path):
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    output.write_run(result, tmp_path / "run")
    assert len(plt.get_fignums()) == before


def test_summary_json_rejects_nan():
    with pytest.raises(ValueError):
        output.summary_json({"x": float("nan")})


def test_summary_json_converts_numpy_scalars():
    import numpy as np

    data = _strict_json(output.summary_json({"a": np.int64(3), "b": np.float64(0.5), "c": np.bool_(True)}))
    assert data == {"a": 3, "b": 0.5, "c": True}


# --------------------------------------------------------------------------- format_summary

def _summary(**changes) -> dict:
    base = {
        "scenario": "demo", "seed": 7, "steps": 120, "reached_scale": False, "scale_step": None,
        "collapsed": False, "collapse_step": None, "collapse_cause": None, "funding_end_step": 36,
        "sustained_after_funding": True, "months_active_after_funding": 84, "grants_received": 1,
        "final_mean_trust": 0.612, "final_community_outcome": 0.25, "community_power_share": 0.3,
        "max_level": "collaborating", "final_active_members": 9, "final_status": "sustained",
        "members_start": 12, "members_at_grant_end": 11, "members_end": 9, "goals_met": False,
        **dict.fromkeys(DEPARTURE_KEYS, 0), "members_left_funding_ended": 2, "members_left_trust_broke_down": 1,
    }
    base.update(changes)
    return base


def test_format_summary_of_real_run(result):
    text = output.format_summary(result.summary)
    lines = text.splitlines()
    assert 7 <= len(lines) <= 9
    assert "baseline" in lines[0] and "seed 3" in lines[0]
    assert lines[1].startswith(f"final status: {result.summary['final_status']} (")


def test_format_summary_scale_and_active():
    text = output.format_summary(_summary(reached_scale=True, scale_step=57))
    assert "reached scale in month 57" in text
    assert "still active at month 120 with 9 members" in text
    assert "grant ended in month 36" in text
    assert "sustained after funding: yes" in text
    assert "collaborating" in text
    assert "0.61" in text and "0.25" in text and "0.30" in text
    assert 7 <= len(text.splitlines()) <= 9


def test_format_summary_says_what_the_status_means_and_who_left_why():
    text = output.format_summary(_summary())
    assert f"final status: sustained ({STATUS_MEANING['sustained']})" in text
    assert "members: 12 at the start, 11 when the founding grant ended, 9 at the end" in text
    assert "trust broke down 1, funding ended 2" in text
    assert "failed to launch" not in text  # roads nobody took are not listed


def test_format_summary_goals_met_is_an_end_but_not_a_collapse():
    text = output.format_summary(_summary(goals_met=True, goals_met_step=70, reached_scale=True, scale_step=50,
                                          final_status="closed with its goals met", sustained_after_funding=False,
                                          final_active_members=0, members_end=0))
    assert "closed with its goals met in month 70" in text
    assert "sustained after funding: no (it closed with its goals met)" in text
    assert "collapsed" not in text and "still active" not in text


def test_every_final_status_has_a_plain_meaning():
    assert set(STATUS_MEANING) == set(FINAL_STATUSES)
    assert all(len(meaning) > 40 for meaning in STATUS_MEANING.values())
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert all(f"- **{status}**: {meaning}." in readme for status, meaning in STATUS_MEANING.items())


def test_format_summary_collapse():
    text = output.format_summary(_summary(collapsed=True, collapse_step=44, sustained_after_funding=False,
                                          collapse_cause="funding ended with no way to sustain",
                                          months_active_after_funding=8, final_active_members=0))
    assert "did not reach scale" in text
    assert "collapsed in month 44: funding ended with no way to sustain" in text
    assert "sustained after funding: no" in text
    assert "still active" not in text


def test_format_summary_grant_still_running():
    text = output.format_summary(_summary(funding_end_step=None, sustained_after_funding=None,
                                          months_active_after_funding=None, max_level=None))
    assert "grant still running" in text
    assert "highest level reached: none" in text
    assert 5 <= len(text.splitlines()) <= 8
