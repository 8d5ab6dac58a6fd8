"""The classroom model, the narrative captions and `partnersim lesson` (GIF and handout)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
from numpy.testing import assert_array_equal
import pytest
from PIL import Image

import sim
from sim.cli import main
from sim.classroom.lesson import LESSONS, ClassroomModel, LivePictures, chart_limits, circle_layout, lesson_classroom
from sim.model import PartnershipModel
from sim.classroom.narrative import Chronicle, Departure, Story, caption, read_story, side_name, side_title
from sim.params import POWER_SHARING_PRESETS

REPO_ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LESSON = "betterment-vs-empowerment"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=600)


def run_with_chronicle(params) -> tuple[PartnershipModel, Chronicle]:
    model = PartnershipModel(params, rng=params.seed)
    chronicle = Chronicle(model)
    while model.running:
        model.step()
        chronicle.update()
    return model, chronicle


def story(**changes) -> Story:
    """A handcrafted story: a twelve-member partnership at month 60 whose grant ended in month 36."""
    base = dict(month=60, steps=120, members_at_start=12, members_now=9, phase="demonstration", collapse_month=None,
                collapse_cause=None, scale_month=None, grant_months=36, funded=False, grant_end=36,
                grant_runs_until=None, renewals=0, renewal_possible=False,
                walked_away=(Departure(0, 20, True), Departure(5, 40, False), Departure(7, 41, False)),
                left_at_collapse=0, most_pairs_level="coordinating", pairs_at_most=30, pairs_tied=50,
                highest_level="collaborating",
                power_share=0.38, outcome=0.12, peak_outcome=0.2)
    base.update(changes)
    return Story(**base)


# --------------------------------------------------------------------------- the classroom model

def test_both_sides_start_from_the_same_organizations():
    classroom = ClassroomModel(organizations=20, rng=7)
    left, right = (side.model for side in classroom.sides)
    for field in ("sector", "community", "budget", "capacity", "guarding", "identity", "active"):
        assert np.array_equal(getattr(left.state.orgs, field), getattr(right.state.orgs, field)), field
    assert np.array_equal(left.state.pairs.trust, right.state.pairs.trust)
    assert np.array_equal(left.state.pairs.level, right.state.pairs.level)
    # ... and differ only in the community's share of decision authority.
    assert left.params.governance.community_decision_share == POWER_SHARING_PRESETS["betterment"]
    assert right.params.governance.community_decision_share == POWER_SHARING_PRESETS["empowerment"]
    assert dataclasses.replace(left.params, governance=right.params.governance) == right.params


def test_knobs_reach_both_sides():
    classroom = ClassroomModel(organizations=9, grant_months=24, renewal_probability=0.5, mandated=True,
                               expectation_ratio=1.5, left_share=0.2, right_share=0.7, governance_mode="backbone",
                               rng=3, steps=30)
    for side, share in zip(classroom.sides, (0.2, 0.7)):
        p = side.model.params
        assert (p.organizations.count, p.funding.grant_months, p.funding.renewal_probability, p.funding.mandated,
                p.funding.expectation_ratio, p.governance.mode, p.seed, p.steps) == (9, 24, 0.5, True, 1.5,
                                                                                      "backbone", 3, 30)
        assert p.governance.community_decision_share == share
    assert "9 organizations" in classroom.setting() and "mandated" in classroom.setting()


def test_sides_advance_together_and_the_layout_is_computed_once():
    classroom = ClassroomModel(organizations=12, rng=2, steps=15)
    positions = classroom.positions
    snapshot = positions.copy()
    while classroom.running:
        classroom.step()
    assert classroom.month == 15
    assert [side.model.month for side in classroom.sides] == [15, 15]
    assert classroom.positions is positions and np.array_equal(positions, snapshot)
    assert not classroom.running


def test_circle_layout_groups_sectors_and_is_deterministic():
    sector = np.array([0, 0, 1, 1, 1, 2, 3, 4, 4])
    first, second = circle_layout(sector), circle_layout(sector)
    assert np.array_equal(first, second)
    assert np.allclose(np.hypot(first[:, 0], first[:, 1]), 1.0)
    assert len({tuple(np.round(p, 9)) for p in first}) == sector.size


def test_live_pictures_are_fast_enough_with_fifty_organizations():
    import time

    classroom = ClassroomModel(organizations=50, rng=1)
    pictures = [LivePictures(classroom, index) for index in (0, 1)]
    classroom.step()
    for picture in pictures:  # the first draw also draws the static parts
        assert picture.network_png()[:8] == PNG_SIGNATURE
        assert picture.charts_png(chart_limits(classroom))[:8] == PNG_SIGNATURE
    start = time.perf_counter()
    for _ in range(5):
        classroom.step()
        for picture in pictures:
            picture.network_png()
            picture.charts_png(chart_limits(classroom))
            classroom.caption(picture.index)
    per_month = (time.perf_counter() - start) / 5
    assert per_month < 1.5, f"one month of both sides took {per_month:.2f} s"


# --------------------------------------------------------------------------- narrative

def test_caption_of_a_handcrafted_story():
    text = caption(story())
    assert "Month 60: the partnership is in its demonstration phase." in text
    assert "The grant ended in month 36." in text
    assert "Three partners walked away (one community organization and two institutions), two of them after the grant ended." in text
    assert "Most pairs (30 of 50) are coordinating; the furthest any pair got is collaborating." in text
    assert "Institutions hold 62% of the decision power, the community's own organizations 38%" in text


def test_caption_of_a_collapse_and_a_comparison():
    collapsed = story(phase="collapsed", collapse_month=50, collapse_cause="members walked away", members_now=0,
                      left_at_collapse=2)
    kept = story(members_now=6, walked_away=(), power_share=0.55)
    text = caption(collapsed, kept, name="betterment", other_name="empowerment")
    assert text.startswith("The partnership collapsed in month 50: members walked away.")
    assert "The last two members stopped meeting when it collapsed." in text
    assert text.endswith("Meanwhile the empowerment side kept its coalition (six members).")
    other = caption(kept, collapsed, name="empowerment", other_name="betterment")
    assert "No partner has walked away." in other
    assert "while the betterment side collapsed in month 50" in other
    assert "The community's own organizations hold 55% of the decision power" in other


def test_caption_of_grants_and_scale():
    assert "There was no grant." in caption(story(grant_months=0, grant_end=0))
    running = caption(story(month=10, funded=True, grant_end=None, grant_runs_until=36, renewal_possible=True,
                            walked_away=()))
    assert "The grant runs until month 36 unless the funder renews it." in running
    assert "The grant ended in month 72, after one renewal." in caption(story(month=80, grant_end=72, renewals=1))
    assert caption(story(scale_month=44)).startswith("It reached scale in month 44")
    brief = caption(story(), brief=True)
    assert "decision power" not in brief and "pairs" not in brief


def test_read_story_from_a_mutated_state():
    params = sim.load_scenario("baseline", {"steps": 5, "organizations.count": 6})
    model = PartnershipModel(params, rng=params.seed)
    for _ in range(5):
        model.step()
    state = model.state.copy()
    members = state.orgs.joined_step >= 0
    community = np.flatnonzero(state.orgs.community & members)[0]
    institution = np.flatnonzero(~state.orgs.community & members)[0]
    state.orgs.active[:] = state.orgs.joined_step >= 0  # the members (the candidates stay out)
    state.orgs.active[[community, institution]] = False
    left_month = np.full(state.count, -1)
    left_month[[community, institution]] = (2, 4)
    s = read_story(params, state, model.recorder.frame(), left_month)
    assert s.month == 5
    assert [d.community for d in s.walked_away] == [True, False]
    assert [d.month for d in s.walked_away] == [2, 4]
    assert s.members_now == 4
    assert "Two partners walked away (one community organization and one institution)" in caption(s)


def test_seeded_run_with_a_collapse_names_the_month_and_the_cause():
    found = None
    for seed in range(20):
        params = sim.load_scenario("baseline", {"seed": seed, "steps": 60, "organizations.count": 8,
                                                "partnership.min_members": 3, "membership.leave_rate": 0.1,
                                                "membership.time_value": 20.0})
        model, chronicle = run_with_chronicle(params)
        if model.state.partnership.collapse_step is not None:
            found = model, chronicle
            break
    assert found is not None, "no seed collapsed under a crushing time cost"
    model, chronicle = found
    pship = model.state.partnership
    text = chronicle.caption()
    assert f"collapsed in month {pship.collapse_step}: {pship.collapse_cause}." in text
    walked = int(np.sum((chronicle.left_month >= 0) & (chronicle.left_month < pship.collapse_step)))
    at_collapse = int(np.sum(chronicle.left_month == pship.collapse_step))
    assert walked + at_collapse == np.count_nonzero(model.state.orgs.joined_step >= 0)  # every member, joiners too
    if walked:
        assert "walked away (" in text


def test_chronicle_on_the_baseline_tracks_departures_and_grant_end():
    params = sim.load_scenario("baseline", {"seed": 1, "steps": 60})
    model, chronicle = run_with_chronicle(params)
    s = chronicle.story()
    orgs = model.state.orgs
    gone = ~orgs.active & (orgs.joined_step >= 0)  # members who left; candidates never asked or who declined did not
    assert np.array_equal(chronicle.left_month >= 0, gone)
    assert_array_equal(chronicle.left_month[gone], orgs.left_step[gone])
    assert s.grant_end == model.state.partnership.funding_end_step
    assert f"month {s.grant_end}" in chronicle.caption()


def test_side_names():
    assert side_name(0.1) == "betterment" and side_name(0.5) == "empowerment"
    assert side_name(0.3) == "community decides 30%"
    assert side_title(0.5) == "Empowerment: the community decides 50%"


# --------------------------------------------------------------------------- partnersim lesson

def test_lesson_writes_an_animated_gif_and_a_handout(tmp_path, capsys):
    out = tmp_path / "lesson"
    assert main(["lesson", LESSON, "--out", str(out), "--steps", "30"]) == 0
    printed = capsys.readouterr().out
    gif, handout, plan = out / f"{LESSON}.gif", out / f"{LESSON}-handout.png", out / f"{LESSON}-plan.md"
    assert str(gif) in printed and str(handout) in printed and str(plan) in printed
    assert sorted(p.name for p in out.iterdir()) == sorted([gif.name, handout.name, plan.name])
    with Image.open(gif) as image:
        assert image.format == "GIF"
        assert image.n_frames >= 8  # month 0, then every three months
        assert image.info.get("loop") == 0
    assert handout.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(handout) as image:
        assert image.width >= 1200 and image.height > image.width  # one portrait page


def test_lesson_is_byte_identical_for_a_seed_and_differs_across_seeds(tmp_path, capsys):
    for name, seed in (("a", "4"), ("b", "4"), ("c", "5")):
        assert main(["lesson", LESSON, "--out", str(tmp_path / name), "--seed", seed, "--steps", "24"]) == 0
    capsys.readouterr()
    files = [f"{LESSON}.gif", f"{LESSON}-handout.png", f"{LESSON}-plan.md"]
    for file in files:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    assert (tmp_path / "a" / files[1]).read_bytes() != (tmp_path / "c" / files[1]).read_bytes()


def test_lesson_default_out_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["lesson", LESSON, "--steps", "6"]) == 0
    capsys.readouterr()
    assert (tmp_path / "results" / "lesson" / f"{LESSON}.gif").is_file()


@pytest.mark.parametrize("args, fragments", [
    (["lesson", "no-such-lesson"], ["unknown lesson 'no-such-lesson'", f"lessons: {LESSON}"]),
    (["lesson", LESSON, "--seed", "-1"], ["--seed", "out of range"]),
    (["lesson", LESSON, "--steps", "0"], ["--steps", "out of range"]),
    (["lesson"], ["LESSON"]),
])
def test_lesson_errors_are_one_line_with_status_2(tmp_path, args, fragments):
    out = tmp_path / "out"
    done = cli(*args, "--out", str(out)) if len(args) > 1 else cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("partnersim: error: "), done.stderr
    for fragment in fragments:
        assert fragment in done.stderr
    assert not out.exists()


def test_every_lesson_builds_its_classroom():
    for lesson in LESSONS.values():
        classroom = lesson_classroom(lesson, seed=2, steps=3)
        assert [side.share for side in classroom.sides] == [lesson.left_share, lesson.right_share]


def test_a_side_that_drew_other_organizations_is_given_the_first_sides():
    classroom = ClassroomModel(organizations=8, rng=5, steps=10)
    right = classroom.sides[1].model
    right.state.orgs.budget[0] *= 2.0  # as if the governance setting had changed the draws
    classroom._share_organizations()
    left = classroom.sides[0].model
    assert np.array_equal(left.state.orgs.budget, right.state.orgs.budget)
    assert right.state is not left.state
    assert right.recorder.filled == 1
    classroom.step()
    assert [side.model.month for side in classroom.sides] == [1, 1]
