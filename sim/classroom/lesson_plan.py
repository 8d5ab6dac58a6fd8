"""A lesson plan for a lesson's run: objectives, a 50-minute sequence and discussion questions whose answers the
run supports (``NAME-plan.md``, written by :func:`sim.classroom.lesson_files.write_lesson`).

The objectives and the sequence are teaching choices; every answer is computed from the finished run (the two sides
of :class:`sim.classroom.lesson.ClassroomModel`) and from the ensemble of seeds (:mod:`sim.classroom.ensemble`), so
that a discussion never rests on a result the model did not produce.
"""

from __future__ import annotations

from sim.classroom.ensemble import Ensemble, early_speed_sentence, ensemble_sentences
from sim.classroom.narrative import LEVEL_WORDS, percent
from sim.params import LEVELS

OBJECTIVES = (
    "Tell collaborative betterment from collaborative empowerment (Himmelman): who holds decision authority.",
    "Tell formal say (authority on paper) from effective power (authority used with capacity).",
    "Read a partnership's course on the continuum from networking to collaborating, and what the end of a grant does "
    "to it.",
    "Explain why one simulated run is one possible history, and read the spread over many runs.",
)
# (minutes, activity): a 50-minute class.
SEQUENCE = (
    (5, "Introduce betterment and empowerment (the page's *What this page shows*, or the handout's first lines)."),
    (10, "Play both sides to the end of the grant on the page (or watch the GIF); students predict which side will "
         "keep its members once the money stops."),
    (10, "Play on to the end; compare with the predictions. Read each side's caption aloud."),
    (12, "In pairs, with the handout: the discussion questions below."),
    (8, "Many runs: the page's *Many runs* panel (or the counts below): does the single run tell what usually "
        "happens?"),
    (5, "Exit ticket: one sentence each on what \u201cformal say\u201d and \u201ceffective power\u201d mean here."),
)


def _side_facts(side) -> dict:
    frame = side.model.recorder.frame()
    story = side.chronicle.story()
    reached = [name for name in LEVELS if (frame[f"n_{name}"] > 0).any()]
    return {"name": side.name, "share": side.share, "power_start": float(frame["community_power_share"].iloc[0]),
            "power_end": float(frame["community_power_share"].iloc[-1]), "members_end": story.members_now,
            "members_start": story.members_at_start, "walked": story.walked_away, "grant_end": story.grant_end,
            "collapse": story.collapse_month, "highest": reached[-1] if reached else None,
            "peak": float(frame["community_outcome"].max()), "outcome_end": float(frame["community_outcome"].iloc[-1]),
            "month": story.month}


def discussion(classroom, ensemble: Ensemble | None) -> list[tuple[str, str]]:
    """(question, answer from the run) pairs."""
    left, right = (_side_facts(side) for side in classroom.sides)
    sides = (left, right)
    seed = classroom.params.seed
    questions = []
    questions.append((
        "Who decided, on paper and in practice?",
        "; ".join(f"{s['name']}: formal say {percent(s['share'])}, effective power {percent(s['power_start'])} at the "
                  f"start and {percent(s['power_end'])} at month {s['month']}" for s in sides) + "."))
    grant = classroom.params.funding.grant_months
    after = []
    for s in sides:
        if s["grant_end"] is None:
            after.append(f"{s['name']}: the grant had not ended by month {s['month']}")
            continue
        late = sum(d.month > s["grant_end"] for d in s["walked"])
        fate = f"collapsed in month {s['collapse']}" if s["collapse"] is not None else (
            f"{s['members_end']} of {s['members_start']} members remained at month {s['month']}")
        after.append(f"{s['name']}: the grant ended in month {s['grant_end']}; {late} partner"
                     f"{'' if late == 1 else 's'} walked away after it; {fate}")
    questions.append((f"What happened after the grant ({grant} months) ended?", "; ".join(after) + "."))
    questions.append((
        "How far along the continuum did each side get?",
        "; ".join(f"{s['name']}: {LEVEL_WORDS[s['highest']] if s['highest'] else 'no tie at all'} at the furthest"
                  for s in sides) + "."))
    questions.append((
        "Which side did more for the community's own goal?",
        "; ".join(f"{s['name']}: community outcome peaked at {s['peak']:.2f} and was {s['outcome_end']:.2f} at month "
                  f"{s['month']}" for s in sides) + f" (0 to 1; seed {seed})."))
    if ensemble is not None:
        questions.append(("Does this one run tell what usually happens?", " ".join(ensemble_sentences(ensemble)[:3])))
        questions.append(("Did betterment start faster?", early_speed_sentence(ensemble)))
    return questions


def lesson_plan_markdown(lesson, classroom, ensemble: Ensemble | None) -> str:
    minutes = sum(m for m, _ in SEQUENCE)
    lines = [f"# Lesson plan: {lesson.title}", "", lesson.subtitle + ".", "",
             f"Material: `{lesson.name}.gif` (both networks month by month), `{lesson.name}-handout.png` (one A4 page) "
             f"and, with a server, the classroom page (`partnersim app`). Run: seed {classroom.params.seed}, "
             f"{classroom.steps_total} months; settings: {classroom.setting()}.", "",
             "## Objectives", "", *[f"- {o}" for o in OBJECTIVES], "",
             f"## Sequence ({minutes} minutes)", "", "| Minutes | Activity |", "| ---: | :--- |",
             *[f"| {m} | {activity} |" for m, activity in SEQUENCE], "",
             "## Discussion questions", "",
             "The answers are this run's (and, for the last ones, the ensemble's), computed when the lesson was "
             "written: other seeds give other runs.", ""]
    for i, (question, answer) in enumerate(discussion(classroom, ensemble), 1):
        lines += [f"{i}. **{question}**", f"   *From the run:* {answer}", ""]
    lines += ["## Background", "",
              "Collaborative betterment and collaborative empowerment: A. T. Himmelman, *Working Together for "
              "Change*. The model: docs/ODD.md (sections 1 and 7.1).", ""]
    return "\n".join(lines)
