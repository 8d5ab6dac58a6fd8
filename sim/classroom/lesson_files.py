"""A lesson's files: the animation, the handout and the lesson plan (``partnersim lesson``).

The classroom model and its pictures are :mod:`sim.classroom.lesson`'s; the many seeds per side are
:mod:`sim.classroom.ensemble`'s and the plan's text :mod:`sim.classroom.lesson_plan`'s. This module only puts them
together into files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from sim.classroom.ensemble import run_ensemble
from sim.classroom.lesson import (PNG_METADATA, ClassroomModel, _rgb, get_lesson, gif_frame, handout_figure,
                                  lesson_classroom, write_gif)
from sim.classroom.lesson_plan import lesson_plan_markdown


def lesson_ensemble(classroom: ClassroomModel):
    """The lesson's settings over many seeds per side."""
    p = classroom.params
    return run_ensemble(dict(organizations=p.organizations.count, grant_months=p.funding.grant_months,
                             renewal_probability=p.funding.renewal_probability, mandated=p.funding.mandated,
                             expectation_ratio=p.funding.expectation_ratio, governance_mode=p.governance.mode,
                             inclusion_cost=p.governance.inclusion_cost, left_share=classroom.sides[0].share,
                             right_share=classroom.sides[1].share, steps=p.steps))


def write_lesson(name: str, out_dir: Path, seed: int | None = None, steps: int | None = None) -> list[Path]:
    """Run the lesson's two seeded partnerships and write ``NAME.gif``, ``NAME-handout.png`` and the lesson plan
    ``NAME-plan.md`` to ``out_dir``.

    The files are built in a temporary directory and moved into place, so a
    reader never sees a half-written file. The same arguments give the same bytes.
    """
    lesson = get_lesson(name)
    classroom = lesson_classroom(lesson, seed, steps)
    frames, durations = [], []

    def snap(hold: int = 250) -> None:
        fig = gif_frame(classroom, lesson)
        frames.append(_rgb(fig))
        durations.append(hold)

    grant = classroom.params.funding.grant_months
    earlier = None
    snap(1500)
    while classroom.running:
        classroom.step()
        if classroom.month == grant and classroom.running:
            earlier = (grant, [side.model.state.copy() for side in classroom.sides])
        if classroom.month % lesson.frame_every == 0 or not classroom.running:
            snap()
    durations[-1] = 4000

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir))
    try:
        gif = staging / f"{name}.gif"
        handout = staging / f"{name}-handout.png"
        plan = staging / f"{name}-plan.md"
        write_gif(frames, gif, durations)
        fig = handout_figure(classroom, lesson, earlier)
        FigureCanvasAgg(fig)
        fig.savefig(handout, format="png", dpi=fig.dpi, metadata=PNG_METADATA)
        plan.write_text(lesson_plan_markdown(lesson, classroom, lesson_ensemble(classroom)), encoding="utf-8",
                        newline="\n")
        written = []
        for path in (gif, handout, plan):
            target = out_dir / path.name
            os.replace(path, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
