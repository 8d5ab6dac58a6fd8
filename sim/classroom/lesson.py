"""The classroom: two partnerships side by side, their pictures, and ready-made lessons.

:class:`ClassroomModel` holds two :class:`sim.model.PartnershipModel` runs built
from the same scenario and seed, so they start from the same organizations with
the same budgets, sectors and trust, and differ only in the community's share
of decision authority (betterment on the left, empowerment on the right, or any
two shares). Both advance together. The classroom page (:mod:`sim.classroom.app`) and the
lessons written here draw them with the same functions:

- :func:`draw_network`: organizations on a circle grouped by sector (colour by
  sector, size by capacity), ties coloured and thickened by continuum level.
  The layout is computed once per model build (:func:`circle_layout`), never
  per month.
- :class:`LivePictures`: the page's pictures of one side (its network and four
  charts: pairs at each level, mean trust, community outcome and the
  community's share of decision power), redrawn in place month by month.

:func:`write_lesson` writes a lesson (``betterment-vs-empowerment``) as an
animated GIF of both networks and a one-page PNG handout, byte-identical for a
given seed. Only matplotlib's object API (no pyplot) is used here, so drawing
is safe in the page server's threads.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from sim.model import PartnershipModel
from sim.classroom.narrative import Chronicle, side_heading, side_name, side_title
from sim.params import LEVELS, PHASES, SECTORS, POWER_SHARING_PRESETS
from sim.scenarios import load_scenario, with_overrides
from sim.seeds import model_seed

# Sectors: community sectors in warm colours, institutions in cool ones (Okabe-Ito, colour-blind safe).
SECTOR_COLOURS = {
    "grassroots": "#E69F00",
    "beneficiary": "#D55E00",
    "nonprofit": "#009E73",
    "public_agency": "#CC79A7",
    "business": "#4D4D4D",
}
SECTOR_LABELS = {
    "grassroots": "grassroots group",
    "beneficiary": "beneficiaries' own org.",
    "nonprofit": "nonprofit provider",
    "public_agency": "public agency",
    "business": "business",
}
# The continuum, from a faint line (networking) to a thick dark one (collaborating); the same blues as the run figures.
LEVEL_COLOURS = {"networking": "#c6dbef", "coordinating": "#6baed6", "cooperating": "#2171b5", "collaborating": "#08306b"}
LEVEL_WIDTHS = (0.6, 1.8, 3.2, 4.8)
LEVEL_ALPHA = (0.55, 0.9, 0.95, 1.0)
INACTIVE_COLOUR = "#BBBBBB"
GRANT_STYLE = dict(color="0.35", linestyle="--", linewidth=1.2)
COLLAPSE_STYLE = dict(color="#cb181d", linestyle=":", linewidth=2.0)
SCALE_STYLE = dict(color="#238b45", linestyle="-.", linewidth=1.5)
SIDE_COLOURS = ("#b35806", "#542788")  # left, right in comparison charts
PNG_METADATA = {"Software": None}
HANDOUT_MIN_PT = 9.0  # the smallest text on the A4 handout, in points as printed

DEFAULT_SCENARIO = "baseline"


# --------------------------------------------------------------------------- the side-by-side model

@dataclass
class Side:
    """One partnership of the classroom: its model, its chronicle and its name."""

    model: PartnershipModel
    chronicle: Chronicle
    share: float

    @property
    def name(self) -> str:
        return side_name(self.share)

    @property
    def title(self) -> str:
        return side_title(self.share)


class ClassroomModel(mesa.Model):
    """Two partnerships from the same organizations and funder, under two community decision shares.

    Every argument is one of the model's knobs (or a pair of them, for the two
    sides); ``base_scenario`` supplies everything else. Both sides are built
    from the same seed, so they share their organizations; stepping advances both.
    ``rng`` is Mesa's: an integer seed, or None for a fresh one (recorded as ``seed``).
    """

    def __init__(self, organizations: int = 12, grant_months: int = 36, renewal_probability: float = 0.0,
                 mandated: bool = False, expectation_ratio: float = 1.0, left_share: float = 0.1,
                 right_share: float = 0.5, governance_mode: str = "shared", rng: Any = None,
                 steps: int | None = None, base_scenario: str = DEFAULT_SCENARIO,
                 inclusion_cost: float | None = None) -> None:
        self.seed = model_seed(rng, type(self).__name__, "rng")
        super().__init__(rng=self.seed)
        overrides = classroom_overrides(organizations, grant_months, renewal_probability, mandated, expectation_ratio,
                                        governance_mode, self.seed, steps, inclusion_cost)
        self.base_scenario = base_scenario
        self.params = load_scenario(base_scenario, overrides)
        self.sides: list[Side] = []
        for share in (left_share, right_share):
            share = round(float(share), 6)
            params = with_overrides(self.params, {"governance.community_decision_share": share})
            model = PartnershipModel(params, rng=params.seed, scenario_name=f"{base_scenario} ({side_name(share)})")
            self.sides.append(Side(model, Chronicle(model), share))
        self._share_organizations()
        self.positions = circle_layout(self.sides[0].model.state.orgs.sector)
        self.running = True

    def _share_organizations(self) -> None:
        """Make sure both sides start from the very same organizations and trust."""
        first, second = (side.model for side in self.sides)
        if not same_start(first.state, second.state):
            second.start_from(first.state.copy())
            self.sides[1].chronicle = Chronicle(second)

    @property
    def month(self) -> int:
        return self.sides[0].model.month

    @property
    def steps_total(self) -> int:
        return self.params.steps

    @property
    def organizations(self) -> int:
        return self.params.organizations.count

    def step(self) -> None:
        for side in self.sides:
            if side.model.running:
                side.model.step()
                side.chronicle.update()
        self.running = any(side.model.running for side in self.sides)

    def caption(self, index: int, brief: bool = False) -> str:
        return self.sides[index].chronicle.caption(self.sides[1 - index].chronicle, brief=brief)

    def setting(self) -> str:
        """One line of the shared settings, e.g. for the page and the handout."""
        p = self.params
        funding = p.funding
        grant = f"{funding.grant_months}-month grant" if funding.grant_months else "no grant"
        if funding.renewal_probability > 0:
            grant += f" (renewal chance {percent_text(funding.renewal_probability)})"
        extras = []
        if funding.mandated:
            extras.append("mandated by the funder")
        if funding.expectation_ratio != 1.0:
            extras.append(f"expectations {funding.expectation_ratio:g}x resources")
        mode = {"shared": "shared governance", "backbone": "a backbone organization",
                "lead_agency": "a lead agency"}[p.governance.mode]
        return ", ".join([f"{p.organizations.count} organizations", grant, mode, *extras, f"seed {p.seed}"])


def classroom_overrides(organizations: int, grant_months: int, renewal_probability: float, mandated: bool,
                        expectation_ratio: float, governance_mode: str, seed: int, steps: int | None = None,
                        inclusion_cost: float | None = None) -> dict:
    """The parameter overrides of the classroom's knobs (shared by both sides, and by the ensemble of seeds)."""
    overrides = {
        "seed": int(seed),
        "organizations.count": int(organizations),
        "funding.grant_months": int(grant_months),
        "funding.renewal_probability": float(renewal_probability),
        "funding.mandated": bool(mandated),
        "funding.expectation_ratio": float(expectation_ratio),
        "governance.mode": str(governance_mode),
    }
    if steps is not None:
        overrides["steps"] = int(steps)
    if inclusion_cost is not None:
        overrides["governance.inclusion_cost"] = float(inclusion_cost)
    return overrides


def percent_text(share: float) -> str:
    return f"{round(100 * share):d}%"


def same_start(a, b) -> bool:
    """Whether two states hold the same organizations, trust and ties."""
    for name in ("sector", "community", "budget", "capacity", "guarding", "identity", "desire", "active"):
        if hasattr(a.orgs, name) and not np.array_equal(getattr(a.orgs, name), getattr(b.orgs, name)):
            return False
    return np.array_equal(a.pairs.trust, b.pairs.trust) and np.array_equal(a.pairs.level, b.pairs.level)


# --------------------------------------------------------------------------- drawing

def circle_layout(sector: np.ndarray) -> np.ndarray:
    """Positions ``(n, 2)`` on a unit circle, grouped by sector with a gap between sectors.

    Deterministic (no random layout) and computed once per model build.
    """
    sector = np.asarray(sector)
    n = sector.size
    order = np.argsort(sector, kind="stable")
    slots = np.empty(n)
    slot = 0
    previous = None
    for index in order:
        if previous is not None and sector[index] != previous:
            slot += 1
        slots[index] = slot
        slot += 1
        previous = sector[index]
    total = slot + (1 if len(set(sector.tolist())) > 1 else 0)
    angle = np.pi / 2 - 2 * np.pi * slots / max(total, 1)
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _size_scale(n: int) -> float:
    return float(np.clip(np.sqrt(12.0 / max(n, 1)), 0.35, 1.4))


def draw_network(ax, state, positions: np.ndarray, *, size: float = 1.0) -> None:
    """Organizations (colour by sector, area by capacity, hollow once gone) and their ties by level."""
    orgs, pairs = state.orgs, state.pairs
    n = state.count
    scale = _size_scale(n)
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    for level, name in enumerate(LEVELS):
        rows, cols = np.nonzero(upper & (pairs.level == level))
        if rows.size == 0:
            continue
        segments = np.stack([positions[rows], positions[cols]], axis=1)
        width = LEVEL_WIDTHS[level] * max(scale, 0.5) * size
        ax.add_collection(LineCollection(segments, colors=LEVEL_COLOURS[name], linewidths=width,
                                         alpha=LEVEL_ALPHA[level], zorder=1 + level, capstyle="round"))
    colours = np.array([SECTOR_COLOURS[SECTORS[s]] for s in orgs.sector])
    area = (120 + 700 * np.clip(orgs.capacity, 0.0, 1.0)) * scale ** 2 * size ** 2
    active = orgs.active.astype(bool)
    if active.any():
        ax.scatter(positions[active, 0], positions[active, 1], s=area[active], c=colours[active],
                   edgecolors="white", linewidths=1.2 * size, zorder=10)
    if (~active).any():
        ax.scatter(positions[~active, 0], positions[~active, 1], s=area[~active], facecolors="white",
                   edgecolors=INACTIVE_COLOUR, linewidths=1.5 * size, linestyles="--", zorder=10)
    ax.set_xlim(-1.18, 1.18)
    ax.set_ylim(-1.18, 1.18)
    ax.set_aspect("equal")
    ax.set_axis_off()


def network_legend_handles(size: float = 1.0):
    """Legend entries: the five sectors, a member who left, and the four levels."""
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9 * size, markerfacecolor=SECTOR_COLOURS[s],
                      markeredgecolor="white", label=SECTOR_LABELS[s])
               for s in ("grassroots", "beneficiary", "nonprofit", "public_agency", "business")]
    handles.append(Line2D([], [], marker="o", linestyle="", markersize=9 * size, markerfacecolor="white",
                          markeredgecolor=INACTIVE_COLOUR, label="has left"))
    handles += [Line2D([], [], color=LEVEL_COLOURS[name], linewidth=LEVEL_WIDTHS[i] * size, label=name)
                for i, name in enumerate(LEVELS)]
    return handles


def phase_label(side: Side) -> str:
    pship = side.model.state.partnership
    if pship.collapse_step is not None:
        return f"collapsed in month {pship.collapse_step}"
    return PHASES[int(pship.phase)]


def chart_limits(classroom: ClassroomModel) -> dict:
    """Axis limits shared by both sides, so their charts compare at a glance."""
    outcome = max(float(side.model.recorder.frame()["community_outcome"].max()) for side in classroom.sides)
    n = classroom.organizations
    top = max(0.1, float(np.ceil(outcome * 1.1 * 10) / 10))  # in tenths, so the axis changes rarely
    return {"pairs": n * (n - 1) / 2, "outcome": min(top, 1.0), "steps": classroom.steps_total}


def figure_png(fig: Figure, dpi: float | None = None, fast: bool = False) -> bytes:
    """A figure as PNG bytes, with no software stamp (byte-identical for identical figures).

    ``fast`` trades file size for speed (light compression), for the live page.
    """
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    extra = {"pil_kwargs": {"compress_level": 1}} if fast else {}
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, metadata=PNG_METADATA, **extra)
    return buffer.getvalue()


def add_network_legends(fig: Figure, y: float, *, size: float = 1.0, fontsize: float = 10.5) -> None:
    """Two legend rows at height ``y`` (figure fraction): the sectors, then the levels of the continuum."""
    handles = network_legend_handles(size)
    fig.legend(handles=handles[:6], loc="upper center", bbox_to_anchor=(0.5, y), ncol=3, fontsize=fontsize,
               frameon=False, columnspacing=1.0, handletextpad=0.3, borderaxespad=0.0)
    below = 2 * 1.5 * fontsize / 72 / fig.get_figheight()  # two rows of text, in figure height
    fig.legend(handles=handles[6:], loc="upper center", bbox_to_anchor=(0.5, y - below), ncol=4,
               fontsize=0.9 * fontsize, frameon=False, columnspacing=0.8, handlelength=1.3, handletextpad=0.4,
               borderaxespad=0.0)


CHART_SERIES = (("mean_trust", "Mean trust", "#2171b5"),
                ("community_outcome", "Community outcome", "#238b45"),
                ("community_power_share", "Community's power", "#d94801"))


class _Blitter:
    """Draws a figure's static parts once, then only its changing artists on top (matplotlib blitting)."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.background = None

    def invalidate(self) -> None:
        self.background = None

    def png(self, artists) -> bytes:
        from PIL import Image

        if self.background is None:
            for artist in artists:
                artist.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in artists:
                artist.set_visible(True)
        else:
            self.canvas.restore_region(self.background)
        for artist in artists:
            artist.axes.draw_artist(artist)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), bytes(self.canvas.buffer_rgba()), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()


class LivePictures:
    """The page's two pictures of one side, kept across months: each month only the data is redrawn.

    Building and drawing axes (ticks, labels, legends) costs far more than the
    data, so the figures are made once per model build, their static parts
    drawn once, and each month only the ties, organizations and lines are
    drawn on top (blitting). With 50 organizations a side redraws in a few
    hundredths of a second.
    """

    def __init__(self, classroom: ClassroomModel, index: int):
        self.classroom = classroom
        self.index = index
        self.network = Figure(figsize=(5.0, 4.7), dpi=90)
        self.network_ax = self.network.add_axes((0.0, 0.22, 1.0, 0.78))
        self.network_ax.set_xlim(-1.18, 1.18)
        self.network_ax.set_ylim(-1.18, 1.18)
        self.network_ax.set_aspect("equal")
        self.network_ax.set_axis_off()
        add_network_legends(self.network, 0.205, fontsize=10.5)
        self.charts = Figure(figsize=(5.0, 4.2), dpi=90)
        axes = self.charts.subplots(2, 2).ravel()
        self.charts.subplots_adjust(left=0.1, right=0.955, top=0.92, bottom=0.12, wspace=0.32, hspace=0.5)
        self.levels_ax, *self.series_axes = axes
        titles = ("Pairs at each level", *(title for _, title, _ in CHART_SERIES))
        for ax, title in zip(axes, titles):
            ax.set_title(title, fontsize=12, loc="left")
            ax.set_xlim(0, classroom.steps_total)
            ax.tick_params(labelsize=10)
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.grid(True, color="0.9", linewidth=0.8)
            ax.set_axisbelow(True)
        for ax in axes[2:]:
            ax.set_xlabel("month", fontsize=10)
        n = classroom.organizations
        self.levels_ax.set_ylim(0, n * (n - 1) / 2)
        self.lines = []
        for ax, (column, _, colour) in zip(self.series_axes, CHART_SERIES):
            (line,) = ax.plot([], [], color=colour, linewidth=2.4)
            ax.set_ylim(0, 1)
            self.lines.append((column, line))
        self.stack = []
        self.marks = []
        self.outcome_top = 1.0
        self._network_blit = _Blitter(self.network)
        self._charts_blit = _Blitter(self.charts)

    @property
    def side(self) -> Side:
        return self.classroom.sides[self.index]

    def network_png(self) -> bytes:
        for artist in list(self.network_ax.collections):
            artist.remove()
        draw_network(self.network_ax, self.side.model.state, self.classroom.positions)
        return self._network_blit.png(list(self.network_ax.collections))

    def charts_png(self, limits: dict) -> bytes:
        frame = self.side.model.recorder.frame()
        months = frame["step"].to_numpy()
        for artist in self.stack + self.marks:
            artist.remove()
        self.stack = self.levels_ax.stackplot(months, [frame[f"n_{name}"].to_numpy() for name in LEVELS],
                                              colors=[LEVEL_COLOURS[name] for name in LEVELS])
        for column, line in self.lines:
            line.set_data(months, frame[column].to_numpy())
        if limits["outcome"] != self.outcome_top:
            self.outcome_top = limits["outcome"]
            self.series_axes[1].set_ylim(0, self.outcome_top)
            self._charts_blit.invalidate()
        self.marks = []
        pship = self.side.model.state.partnership
        for month, style in ((pship.funding_end_step, GRANT_STYLE), (pship.scale_step, SCALE_STYLE),
                             (pship.collapse_step, COLLAPSE_STYLE)):
            if month:
                self.marks += [ax.axvline(month, **style) for ax in (self.levels_ax, *self.series_axes)]
        return self._charts_blit.png([*self.stack, *(line for _, line in self.lines), *self.marks])


# --------------------------------------------------------------------------- lessons

@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    subtitle: str
    intro: str
    left_share: float
    right_share: float
    scenario: str = DEFAULT_SCENARIO
    frame_every: int = 3


LESSONS = {
    "betterment-vs-empowerment": Lesson(
        name="betterment-vs-empowerment",
        title="Betterment or empowerment?",
        subtitle="The same organizations under the same funder, with two ways of sharing power",
        intro=("Both partnerships start from the very same organizations, budgets and trust, under the same "
               "three-year grant. On the left the intended beneficiaries advise (their organizations hold "
               f"{percent_text(POWER_SHARING_PRESETS['betterment'])} of decision authority: collaborative betterment); "
               "on the right they decide as equals with the institutions "
               f"({percent_text(POWER_SHARING_PRESETS['empowerment'])}: collaborative empowerment)."),
        left_share=POWER_SHARING_PRESETS["betterment"],
        right_share=POWER_SHARING_PRESETS["empowerment"],
    ),
}


class UnknownLesson(ValueError):
    pass


def lesson_classroom(lesson: Lesson, seed: int | None = None, steps: int | None = None) -> ClassroomModel:
    base = load_scenario(lesson.scenario)
    return ClassroomModel(
        organizations=base.organizations.count, grant_months=base.funding.grant_months,
        renewal_probability=base.funding.renewal_probability, mandated=base.funding.mandated,
        expectation_ratio=base.funding.expectation_ratio, left_share=lesson.left_share,
        right_share=lesson.right_share, governance_mode=base.governance.mode,
        rng=base.seed if seed is None else seed, steps=steps, base_scenario=lesson.scenario)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False))


def gif_frame(classroom: ClassroomModel, lesson: Lesson) -> Figure:
    """One frame of the animation: both networks, the month, each side's phase and a short caption."""
    fig = Figure(figsize=(12.0, 7.4), dpi=100)
    fig.patch.set_facecolor("white")
    month, total = classroom.month, classroom.steps_total
    state = "grant running" if classroom.sides[0].model.state.partnership.funded else "grant over"
    fig.text(0.5, 0.965, f"Month {month} of {total}  ({state})", ha="center", va="top", fontsize=22, weight="bold")
    fig.text(0.5, 0.915, classroom.setting(), ha="center", va="top", fontsize=12, color="0.3")
    for index, side in enumerate(classroom.sides):
        left = 0.02 + 0.49 * index
        ax = fig.add_axes((left + 0.06, 0.30, 0.35, 0.52))
        draw_network(ax, side.model.state, classroom.positions)
        fig.text(left + 0.235, 0.865, side.title, ha="center", va="top", fontsize=16, weight="bold",
                 color=SIDE_COLOURS[index])
        fig.text(left + 0.235, 0.83, f"phase: {phase_label(side)}", ha="center", va="top", fontsize=13)
        fig.text(left + 0.01, 0.265, _wrap(classroom.caption(index, brief=True), 62), ha="left", va="top",
                 fontsize=11.5, linespacing=1.35)
    fig.legend(handles=network_legend_handles(), loc="lower center", ncol=5, fontsize=11, frameon=False,
               columnspacing=1.4, handletextpad=0.3, borderaxespad=0.4)
    return fig


def _rgb(fig: Figure):
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())


def _key_colours() -> list[tuple[int, int, int]]:
    """Colours the pictures are drawn in, kept exact in the GIF's palette."""
    from matplotlib.colors import to_rgb

    names = ["#ffffff", "#000000", INACTIVE_COLOUR, "#4d4d4d", "#b3b3b3", *SECTOR_COLOURS.values(),
             *LEVEL_COLOURS.values(), *SIDE_COLOURS]
    keys = []
    for name in names:
        rgb = tuple(int(round(255 * c)) for c in to_rgb(name))
        if rgb not in keys:
            keys.append(rgb)
    return keys


def write_gif(frames, path: Path, durations: list[int]) -> None:
    """Frames (PIL RGB images) as a looping GIF with one shared palette, no dithering: deterministic.

    The palette is the drawing's own colours plus a median cut of a few frames
    for the anti-aliased blends in between.
    """
    from PIL import Image

    keys = _key_colours()
    picks = sorted({round(k * (len(frames) - 1) / 5) for k in range(6)})
    reference = Image.new("RGB", (frames[0].width, frames[0].height * len(picks)))
    for row, pick in enumerate(picks):
        reference.paste(frames[pick], (0, row * frames[0].height))
    blends = reference.quantize(colors=256 - len(keys), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    extra = blends.getpalette()[: 3 * (256 - len(keys))]
    extra = [tuple(extra[i:i + 3]) for i in range(0, len(extra), 3)]
    # Drop blends that nearly match a key colour, so that (say) the white background stays exactly white.
    extra = [c for c in extra if min(sum((a - b) ** 2 for a, b in zip(c, k)) for k in keys) > 100]
    colours = [c for rgb in keys + extra for c in rgb]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + [0] * (768 - len(colours)))
    indexed = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    indexed[0].save(path, format="GIF", save_all=True, append_images=indexed[1:], duration=durations, loop=0,
                    optimize=False, disposal=1)


def handout_figure(classroom: ClassroomModel, lesson: Lesson, earlier: tuple[int, list] | None = None) -> Figure:
    """One A4 page: the two networks (at ``earlier = (month, states)`` and at the end), charts, captions."""
    fig = Figure(figsize=(8.27, 11.69), dpi=150)
    fig.patch.set_facecolor("white")
    fig.text(0.5, 0.985, lesson.title, ha="center", va="top", fontsize=19, weight="bold")
    fig.text(0.5, 0.955, lesson.subtitle, ha="center", va="top", fontsize=12, color="0.25")
    fig.text(0.05, 0.935, _wrap(lesson.intro, 108), ha="left", va="top", fontsize=HANDOUT_MIN_PT, linespacing=1.3,
             color="0.1")
    fig.text(0.05, 0.866, _wrap(f"Settings: {classroom.setting()}.", 108), ha="left", va="top", fontsize=HANDOUT_MIN_PT,
             color="0.1")

    limits = chart_limits(classroom)
    for index, side in enumerate(classroom.sides):
        left = 0.025 + 0.49 * index
        centre = left + 0.235
        colour = SIDE_COLOURS[index]
        effective = float(side.model.recorder.frame()["community_power_share"].iloc[-1])
        fig.text(centre, 0.845, side_heading(side.share, effective).replace(" · ", "\n"), ha="center", va="top",
                 fontsize=11, weight="bold", color=colour, linespacing=1.2)
        fig.text(centre, 0.808, f"at the end: {phase_label(side)}", ha="center", va="top", fontsize=10)
        panels = [(earlier[0], earlier[1][index])] if earlier is not None else []
        panels.append((classroom.month, side.model.state))
        width = 0.215
        for slot, (month, state) in enumerate(panels):
            x = centre - width * len(panels) / 2 + width * slot
            ax = fig.add_axes((x + 0.005, 0.655, width - 0.01, 0.13))
            draw_network(ax, state, classroom.positions, size=0.6)
            label = f"month {month}" + (" (grant ends)" if month == classroom.params.funding.grant_months else "")
            ax.set_title(label, fontsize=HANDOUT_MIN_PT, pad=2)
        fig.text(left + 0.012, 0.645, _wrap(classroom.caption(index), 55), ha="left", va="top", fontsize=HANDOUT_MIN_PT,
                 linespacing=1.25)

    fig.legend(handles=network_legend_handles(size=0.8), loc="upper center", bbox_to_anchor=(0.5, 0.487), ncol=5,
               fontsize=HANDOUT_MIN_PT, frameon=False, columnspacing=0.8, handletextpad=0.3)

    # Pairs at each level, one chart per side; then trust, outcome and power with both sides on each.
    gs = fig.add_gridspec(2, 6, left=0.08, right=0.97, top=0.41, bottom=0.14, hspace=0.6, wspace=1.5)
    frames = [side.model.recorder.frame() for side in classroom.sides]
    for index, side in enumerate(classroom.sides):
        ax = fig.add_subplot(gs[0, 3 * index:3 * index + 3])
        frame = frames[index]
        ax.stackplot(frame["step"].to_numpy(), [frame[f"n_{name}"].to_numpy() for name in LEVELS],
                     colors=[LEVEL_COLOURS[name] for name in LEVELS])
        ax.set_ylim(0, limits["pairs"])
        ax.set_title(f"Pairs at each level: {side.name}", fontsize=10, loc="left", color=SIDE_COLOURS[index])
        _tidy(ax, classroom, limits, only=index)
        if index == 0:
            ax.set_ylabel("pairs", fontsize=HANDOUT_MIN_PT)
    comparisons = (("mean_trust", "Mean trust", 1.0), ("community_outcome", "Community outcome", limits["outcome"]),
                   ("community_power_share", "Community's effective power", 1.0))
    for slot, (column, title, top) in enumerate(comparisons):
        ax = fig.add_subplot(gs[1, 2 * slot:2 * slot + 2])
        for index, side in enumerate(classroom.sides):
            frame = frames[index]
            ax.plot(frame["step"].to_numpy(), frame[column].to_numpy(), color=SIDE_COLOURS[index], linewidth=1.8,
                    label=side.name)
        ax.set_ylim(0, top)
        ax.set_title(title, fontsize=10, loc="left")
        _tidy(ax, classroom, limits)
        if slot == 0:
            ax.legend(fontsize=HANDOUT_MIN_PT, frameon=False, loc="lower right")
    fig.text(0.05, 0.088, _wrap(
        "Dashed grey line: the grant ends. Dotted line: the month a side collapsed. Trust, outcome and power run "
        "from 0 (none) to 1 (full). Formal say is the share of decision authority; effective power is authority used with "
        "capacity (the community's share of authority × capacity). One seeded run is one possible "
        "history: compare many seeds before drawing conclusions (the lesson plan gives 30). Made with: partnersim lesson "
        f"{lesson.name} --seed {classroom.params.seed} --steps {classroom.steps_total}.", 108),
        ha="left", va="top", fontsize=HANDOUT_MIN_PT, color="0.25", linespacing=1.25)
    return fig


def _tidy(ax, classroom: ClassroomModel, limits: dict, only: int | None = None) -> None:
    """Shared x axis, grid, and the lines where the grant ended and where a side (or side ``only``) collapsed."""
    ax.set_xlim(0, limits["steps"])
    ax.tick_params(labelsize=HANDOUT_MIN_PT)
    ax.set_xlabel("month", fontsize=HANDOUT_MIN_PT)
    ax.grid(True, color="0.9", linewidth=0.7)
    ax.set_axisbelow(True)
    ended = {side.model.state.partnership.funding_end_step for side in classroom.sides}
    for month in sorted(m for m in ended if m):
        ax.axvline(month, **GRANT_STYLE)
    for index, side in enumerate(classroom.sides):
        if side.model.state.partnership.collapse_step is not None and only in (None, index):
            style = dict(COLLAPSE_STYLE, color=SIDE_COLOURS[index]) if only is None else COLLAPSE_STYLE
            ax.axvline(side.model.state.partnership.collapse_step, **style)


def lesson_names() -> list[str]:
    return sorted(LESSONS)


def get_lesson(name: str) -> Lesson:
    if name not in LESSONS:
        raise UnknownLesson(f"unknown lesson {name!r}; lessons: {', '.join(lesson_names())}")
    return LESSONS[name]
