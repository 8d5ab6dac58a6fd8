"""A page that teaches (issue 16): captions checked against the state, headings with formal say and effective
power, many runs per side with honest early-speed words, the lesson plan, and a handout readable on A4."""

from __future__ import annotations

import re

import matplotlib.text
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from sim.classroom.ensemble import Ensemble, early_speed_sentence, ensemble_sentences
from sim.classroom.lesson import HANDOUT_MIN_PT, LESSONS, ClassroomModel, handout_figure, lesson_classroom
from sim.classroom.lesson_plan import SEQUENCE, discussion, lesson_plan_markdown
from sim.classroom.narrative import Departure, Story, caption, side_heading
from sim.params import LEVELS

LESSON = LESSONS["betterment-vs-empowerment"]


def story(**changes) -> Story:
    base = dict(month=60, steps=120, members_at_start=12, members_now=9, phase="demonstration", collapse_month=None,
                collapse_cause=None, scale_month=None, grant_months=36, funded=False, grant_end=36,
                grant_runs_until=None, renewals=0, renewal_possible=False, walked_away=(Departure(0, 20, True),),
                left_at_collapse=0, most_pairs_level="networking", pairs_at_most=4, pairs_tied=10,
                highest_level="cooperating", power_share=0.38, outcome=0.12, peak_outcome=0.2)
    base.update(changes)
    return Story(**base)


def test_most_pairs_means_more_than_half():
    # The caption once said "Most pairs are networking" when 4 of 10 were.
    assert "More pairs are networking than at any other level (4 of 10)" in caption(story())
    assert "Most pairs" not in caption(story())
    assert "Most pairs (6 of 10) are networking" in caption(story(pairs_at_most=6))
    assert "Most pairs" not in caption(story(pairs_at_most=5))  # exactly half is not most


def _level_claim(text: str) -> tuple[str, int, int, bool] | None:
    most = re.search(r"Most pairs \((\d+) of (\d+)\) are (\w+)", text)
    if most:
        return most.group(3), int(most.group(1)), int(most.group(2)), True
    plural = re.search(r"More pairs are (\w+) than at any other level \((\d+) of (\d+)\)", text)
    if plural:
        return plural.group(1), int(plural.group(2)), int(plural.group(3)), False
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_captions_say_what_the_state_holds_month_by_month(seed):
    classroom = ClassroomModel(rng=seed, steps=72)
    checked = 0
    while classroom.running:
        classroom.step()
        for index, side in enumerate(classroom.sides):
            text = classroom.caption(index)
            state = side.model.state
            upper = np.triu(np.ones((state.count, state.count), dtype=bool), k=1)
            levels = state.pairs.level[upper]
            levels = levels[levels >= 0]
            claim = _level_claim(text)
            if side.model.state.partnership.collapse_step is not None or levels.size == 0:
                continue
            counts = np.bincount(levels, minlength=len(LEVELS))
            if counts.max() == levels.size and counts.argmax() == 0:
                assert "Every pair is still networking." in text
                continue
            assert claim is not None, text
            level, at, tied, majority = claim
            assert (at, tied) == (int(counts.max()), int(levels.size)), text
            assert counts[LEVELS.index(level)] == at, text
            assert majority == (2 * at > tied), text
            power = side.model.recorder.frame()["community_power_share"].iloc[-1]
            assert f"the community's own organizations {round(100 * power)}%" in text or \
                   f"hold {round(100 * power)}% of the decision power" in text or \
                   "hold all of the decision power" in text, text
            checked += 1
    assert checked > 50


def test_headings_show_the_formal_say_and_the_effective_power():
    assert side_heading(0.1, 0.0634) == "Betterment: community formal say 10% · effective power 6%"
    assert side_heading(0.5, 0.36) == "Empowerment: community formal say 50% · effective power 36%"
    assert side_heading(0.3, 0.2) == "Custom: community formal say 30% · effective power 20%"


def ensemble(halfway, final, demonstration, collapsed=None) -> Ensemble:
    halfway, final = np.array(halfway, dtype=float), np.array(final, dtype=float)
    collapsed = np.zeros_like(final, dtype=bool) if collapsed is None else np.array(collapsed)
    return Ensemble((0.1, 0.5), tuple(range(final.shape[1])), 60, 120, halfway, final, collapsed,
                    np.array(demonstration))


def test_ensemble_sentences_count_the_seeds():
    e = ensemble([[0.2, 0.1, 0.0], [0.1, 0.3, 0.0]], [[0.1, 0.0, 0.2], [0.3, 0.2, 0.2]], [[20, 30, 25], [22, 25, 25]],
                 collapsed=[[True, False, False], [False, False, False]])
    lines = ensemble_sentences(e)
    assert lines[0].startswith("Over 3 runs (seeds 0–2)")
    assert "higher under betterment in 0 and under empowerment in 2, equal in 1" in lines[0]
    assert "betterment was ahead in 1 of 3, empowerment in 1, equal in 1" in lines[1]
    assert lines[2] == "Collapsed by the end: 1 of 3 under betterment, 0 of 3 under empowerment."
    assert "sooner than empowerment in 1 of 3 runs, later in 1 (seed 0 is one" in lines[3]
    assert "In 1 of 3 runs betterment's community outcome was ahead halfway and behind at the end." in lines[3]


def test_early_speed_is_not_claimed_where_the_model_does_not_produce_it():
    e = ensemble([[0.0, 0.0], [0.1, 0.2]], [[0.0, 0.1], [0.2, 0.3]], [[30, 31], [20, 22]])
    text = early_speed_sentence(e)
    assert "sooner than empowerment in 0 of 2 runs, later in 2" in text
    assert text.endswith("Under these settings the model does not produce betterment's early speed.")


def test_the_lesson_plan_has_objectives_fifty_minutes_and_answers_from_the_run():
    assert sum(minutes for minutes, _ in SEQUENCE) == 50
    classroom = lesson_classroom(LESSON, seed=2, steps=48)
    while classroom.running:
        classroom.step()
    e = ensemble([[0.0], [0.1]], [[0.0], [0.2]], [[30], [20]])
    answers = dict(discussion(classroom, e))
    for side in classroom.sides:
        members = int(side.model.state.orgs.active.sum())
        power = side.model.recorder.frame()["community_power_share"].iloc[-1]
        who = answers["Who decided, on paper and in practice?"]
        assert f"{side.name}: formal say {round(100 * side.share)}%" in who
        assert f"{round(100 * power)}% at month 48" in who
        after = answers["What happened after the grant (36 months) ended?"]
        if side.model.state.partnership.collapse_step is None:
            assert f"{members} of 12 members remained at month 48" in after
    assert answers["Does this one run tell what usually happens?"].startswith("Over 1 runs (seeds 0–0)")
    plan = lesson_plan_markdown(LESSON, classroom, e)
    assert "## Objectives" in plan and "## Sequence (50 minutes)" in plan and "## Discussion questions" in plan
    assert plan.count("*From the run:*") == 6


def test_the_handouts_smallest_text_is_at_least_nine_points_on_a4():
    classroom = lesson_classroom(LESSON, seed=2, steps=40)
    while classroom.running:
        classroom.step()
    fig = handout_figure(classroom, LESSON)
    assert tuple(round(x, 2) for x in fig.get_size_inches()) == (8.27, 11.69)  # A4: points are printed points
    FigureCanvasAgg(fig).draw()  # makes the tick labels
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    assert len(sizes) > 40
    assert min(sizes) >= HANDOUT_MIN_PT >= 9.0
