"""The classroom page: betterment against empowerment, side by side, in a browser (solara).

Two partnerships are built from the same seed and the same organizations
(:class:`sim.classroom.lesson.ClassroomModel`), one on each side of the page, and advance
together with play, pause, step and reset. The page opens with a short introduction (what betterment and
empowerment mean, what each picture shows: :mod:`sim.classroom.teaching`). Each side shows its heading with the
community's formal say and effective power, the month, the phase, its network of organizations (colour by sector,
size by capacity, ties coloured and thickened by continuum level), a caption computed from the model's state
(:mod:`sim.classroom.narrative`) and live charts. Below, *Many runs* shows the same settings over 30 seeds per side
(:mod:`sim.classroom.ensemble`): the spread of outcomes and how often each side did better.

The page is laid out by its own :func:`Layout` (no framework drawer, tabs or banner), so that it fits a projector:
the controls sit beside the two sides on a wide screen and above them on a narrow one, never over them. Every
control has a plain name and shows its value; images carry their captions as alt text; focus is visible.

Serve it with ``partnersim app [--host H] [--port N]`` (or ``make app``), which
runs solara's server on ``sim.classroom.app`` (through :mod:`sim.classroom.server`) on 127.0.0.1 by default.
The page needs no network: the browser's scripts come from the installed ``solara-assets`` package,
served read-only (the server never fetches, writes or removes an asset).
"""

from __future__ import annotations

import base64
import ipaddress
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import solara
from solara.server import settings as _server_settings

from sim.classroom.ensemble import ENSEMBLE_SEEDS, ensemble_png, ensemble_sentences, run_ensemble
from sim.classroom.lesson import ClassroomModel, LivePictures, chart_limits, phase_label
from sim.classroom.narrative import LEVEL_WORDS, side_heading
from sim.classroom.server import installed_assets
from sim.classroom.teaching import INTRODUCTION, POWER_EXPLAINED, PRESETS
from sim.lifeline import die_with_parent
from sim.params import GOVERNANCE_MODES, LEVELS, PHASES, POWER_SHARING_PRESETS
from sim.scenarios import load_scenario

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "sim.classroom.app"
TITLE = "partnersim classroom: betterment against empowerment"
MAX_ORGANIZATIONS = 50
# Playback speeds: every month is drawn at each of them (a month of both sides draws in well under 0.2 s).
SPEEDS = {"Slow: one month a second": 1000, "Normal: two months a second": 500, "Fast: four months a second": 250}
DEFAULT_SPEED = "Normal: two months a second"
JUMP_MONTHS = 12

# The framework's "This website runs on Solara" banner covers captions on a projector: not shown.
_server_settings.theme.show_banner = False


def _defaults() -> dict:
    base = load_scenario("baseline")
    return dict(
        left_share=POWER_SHARING_PRESETS["betterment"],
        right_share=POWER_SHARING_PRESETS["empowerment"],
        governance_mode=base.governance.mode,
        grant_months=base.funding.grant_months,
        renewal_probability=base.funding.renewal_probability,
        mandated=base.funding.mandated,
        expectation_ratio=base.funding.expectation_ratio,
        inclusion_cost=base.governance.inclusion_cost,
        organizations=base.organizations.count,
        rng=base.seed,
    )


DEFAULTS = _defaults()

# The controls, one per knob (each a keyword of ClassroomModel).
MODEL_PARAMS = {
    "left_share": {"type": "SliderFloat", "value": DEFAULTS["left_share"], "min": 0.0, "max": 1.0, "step": 0.05,
                   "label": "Left side: community formal say"},
    "right_share": {"type": "SliderFloat", "value": DEFAULTS["right_share"], "min": 0.0, "max": 1.0, "step": 0.05,
                    "label": "Right side: community formal say"},
    "governance_mode": {"type": "Select", "value": DEFAULTS["governance_mode"], "values": list(GOVERNANCE_MODES),
                        "label": "Governance form"},
    "grant_months": {"type": "SliderInt", "value": DEFAULTS["grant_months"], "min": 0, "max": 120, "step": 6,
                     "label": "Grant length (months)"},
    "renewal_probability": {"type": "SliderFloat", "value": DEFAULTS["renewal_probability"], "min": 0.0, "max": 1.0,
                            "step": 0.05, "label": "Chance the grant is renewed"},
    "mandated": {"type": "Checkbox", "value": DEFAULTS["mandated"], "label": "Partnership mandated by the funder"},
    "expectation_ratio": {"type": "SliderFloat", "value": DEFAULTS["expectation_ratio"], "min": 0.25, "max": 3.0,
                          "step": 0.25, "label": "Work expected per unit of money"},
    "inclusion_cost": {"type": "SliderFloat", "value": DEFAULTS["inclusion_cost"], "min": 0.0, "max": 6.0,
                       "step": 0.2, "label": "Meeting time each voice costs"},
    "organizations": {"type": "SliderInt", "value": DEFAULTS["organizations"], "min": 4, "max": MAX_ORGANIZATIONS,
                      "step": 1, "label": "Organizations"},
    "rng": {"type": "SliderInt", "value": DEFAULTS["rng"], "min": 0, "max": 100, "step": 1, "label": "Seed"},
}
# Which parameter each control sets (for the docs and the tests that check ranges).
PARAM_KEYS = {
    "left_share": "governance.community_decision_share",
    "right_share": "governance.community_decision_share",
    "governance_mode": "governance.mode",
    "grant_months": "funding.grant_months",
    "renewal_probability": "funding.renewal_probability",
    "mandated": "funding.mandated",
    "expectation_ratio": "funding.expectation_ratio",
    "inclusion_cost": "governance.inclusion_cost",
    "organizations": "organizations.count",
    "rng": "seed",
}

# Wide screens: controls beside the two sides; narrow ones (a projector at 150% zoom): controls above, in a band.
CSS = """
.classroom-page { font-size: 16px; color: #1a1a1a; }
.classroom-page h1 { font-size: 24px; margin: 0; padding: 10px 16px; background: #23395b; color: #fff; }
.classroom-page h2 { font-size: 19px; margin: 6px 0; }
.classroom-grid { display: grid; grid-template-columns: 270px minmax(0, 1fr); gap: 0 14px; padding: 10px 14px;
  grid-template-areas: "playback main" "settings main"; grid-template-rows: auto 1fr; }
.playback-panel { grid-area: playback; } .settings-panel { grid-area: settings; } .classroom-main { grid-area: main; }
.classroom-controls { display: flex; flex-direction: column; gap: 4px; min-width: 0; align-self: start; }
.classroom-controls .v-input__slot { flex-wrap: wrap; }
.classroom-controls .v-input__slot > .v-label { flex: 1 1 100%; max-width: 100%; color: #1a1a1a !important;
  height: auto !important; white-space: normal; margin-bottom: 4px; }
.choice-label { font-size: 14px; margin-top: 6px; }
.choice-buttons { display: flex !important; flex-direction: column; align-items: stretch; height: auto !important; }
.choice-buttons .v-btn { max-width: 100%; }
.choice-buttons .v-btn__content { white-space: normal !important; flex: 1 1 auto !important; min-width: 0;
  text-align: left; justify-content: flex-start; }
.choice-buttons .v-btn { height: auto !important; min-height: 32px; white-space: normal; text-transform: none;
  font-size: 13px; padding: 4px 8px !important; color: #1a1a1a !important; }
.choice-buttons .v-btn.v-item--active { background: #23395b !important; color: #fff !important; }
.playback .v-btn { text-transform: none; font-size: 16px; }
.classroom-controls .v-input { margin-top: 2px; }
.classroom-main { min-width: 0; }
.classroom-sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; }
.classroom-side { min-width: 0; border: 1px solid #d0d0d0; border-radius: 6px; }
.classroom-side img, .ensemble img { width: 100%; height: auto; display: block; }
.playback { display: flex; flex-wrap: wrap; gap: 6px; }
.classroom-intro { margin-bottom: 8px; line-height: 1.4; font-size: 15px; }
.classroom-intro p { margin: 4px 0; }
.classroom-intro summary { font-weight: 700; cursor: pointer; font-size: 18px; }
.power-note { font-size: 14px; color: #333; }
.ensemble { margin-top: 14px; display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; }
.ensemble li { margin-bottom: 4px; }
.classroom-page :focus-visible, .classroom-page .v-slider__thumb-container--focused .v-slider__thumb {
  outline: 3px solid #c2410c !important; outline-offset: 2px; }
@media (max-width: 1000px) {
  .classroom-grid { grid-template-columns: minmax(0, 1fr); grid-template-areas: "playback" "main" "settings"; }
  .playback-panel { flex-direction: row; flex-wrap: wrap; align-items: center; gap: 4px 16px; }
  .playback-panel .choice-buttons { flex-direction: row; }
  .settings-panel { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); column-gap: 16px; }
  .settings-panel h2, .settings-panel .control-note { grid-column: 1 / -1; }
}
@media (max-width: 640px) { .classroom-sides, .ensemble { grid-template-columns: minmax(0, 1fr); } }
"""


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def network_alt(model: ClassroomModel, index: int) -> str:
    """The network picture's alt text: what it shows, in the caption's words and counts."""
    side = model.sides[index]
    story = side.chronicle.story()
    ties = (f"{story.pairs_tied} pairs have a tie; more are {LEVEL_WORDS[story.most_pairs_level]} than at any other "
            f"level ({story.pairs_at_most})" if story.most_pairs_level else "no pair has a tie")
    return (f"Network of the {side.name} side at month {story.month}: {story.members_now} of "
            f"{story.members_at_start} organizations are members; {ties}.")


def charts_alt(model: ClassroomModel, index: int) -> str:
    side = model.sides[index]
    frame = side.model.recorder.frame()
    last = frame.iloc[-1]
    levels = ", ".join(f"{int(last[f'n_{name}'])} {name}" for name in LEVELS)
    return (f"Charts of the {side.name} side up to month {int(last['step'])}: pairs at each level now {levels}; "
            f"mean trust {last['mean_trust']:.2f}; community outcome {last['community_outcome']:.2f}; the "
            f"community's effective power {100 * last['community_power_share']:.0f}%.")


# --------------------------------------------------------------------------- components

@solara.component
def PhaseStrip(phase: int, collapsed: str | None):
    """The four phases as chips, the current one filled; or one red chip once the partnership collapsed.

    Takes plain values (not the model), so that it redraws whenever they change.
    """
    with solara.Row(gap="6px", classes=["phase-strip"], style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Text("Phase:", style={"font-weight": "bold", "font-size": "16px"})
        if collapsed is not None:
            solara.v.Chip(children=[collapsed], color="red darken-2", text_color="white", label=True,
                          class_="phase-chip phase-current")
            return
        for number, name in enumerate(PHASES):
            current = number == phase
            solara.v.Chip(children=[name], label=True, outlined=not current,
                          color="primary" if number <= phase else "grey darken-2",
                          text_color="white" if current else None,
                          class_="phase-chip" + (" phase-current" if current else ""))


@solara.component
def SidePanel(model: ClassroomModel, index: int, month: int):
    """One side: heading, month, phase, network, caption and charts, redrawn when its month changes."""
    side = model.sides[index]
    limits = chart_limits(model)
    build = id(model)
    # The figures are made once per model build (layout included) and only redrawn when the month changes.
    pictures = solara.use_memo(lambda: LivePictures(model, index), dependencies=[build, index])
    network_png = solara.use_memo(pictures.network_png, dependencies=[build, index, month])
    charts_png = solara.use_memo(lambda: pictures.charts_png(limits), dependencies=[build, index, month, limits["outcome"]])
    effective = float(side.model.recorder.frame()["community_power_share"].iloc[-1])
    with solara.v.Html(tag="section", class_=f"classroom-side side-{index}", style_="padding: 4px 10px;",
                       attributes={"aria-label": f"{side.name} side"}):
        solara.HTML(tag="h2", unsafe_innerHTML=side_heading(side.share, effective), classes=["side-title"],
                    attributes={"data-formal": f"{side.share:g}", "data-effective": f"{effective:.4f}"})
        solara.HTML(tag="div", unsafe_innerHTML=f"Month {side.model.month} of {model.steps_total}",
                    classes=["month-counter"], attributes={"data-month": str(side.model.month)},
                    style="font-size: 20px; font-weight: 600;")
        solara.HTML(tag="div", unsafe_innerHTML=model.setting(), classes=["side-setting"],
                    attributes={"data-organizations": str(model.organizations)}, style="font-size: 14px; color: #444;")
        pship = side.model.state.partnership
        PhaseStrip(int(pship.phase), phase_label(side) if pship.collapse_step is not None else None)
        solara.HTML(tag="img", classes=["network-image"],
                    attributes={"src": png_data_url(network_png), "alt": network_alt(model, index)})
        solara.HTML(tag="p", unsafe_innerHTML=model.caption(index), classes=["side-caption"],
                    style="font-size: 16px; line-height: 1.45; min-height: 8.7em; margin: 6px 0;")
        solara.HTML(tag="img", classes=["charts-image"],
                    attributes={"src": png_data_url(charts_png), "alt": charts_alt(model, index)})


@solara.component
def EnsemblePanel(settings: dict):
    """The same settings over many seeds per side: the spread, and how often each side did better."""
    key = tuple(sorted(settings.items()))
    ensemble = solara.use_memo(lambda: run_ensemble(settings), dependencies=[key])
    lines = ensemble_sentences(ensemble)
    with solara.v.Html(tag="section", class_="ensemble", attributes={"aria-label": "Many runs"}):
        with solara.v.Html(tag="div"):
            solara.HTML(tag="h2", unsafe_innerHTML=f"Many runs: {ENSEMBLE_SEEDS} seeds per side")
            solara.HTML(tag="ul", classes=["ensemble-sentences"],
                        unsafe_innerHTML="".join(f"<li>{line}</li>" for line in lines))
        solara.HTML(tag="img", classes=["ensemble-image"],
                    attributes={"src": png_data_url(ensemble_png(ensemble)), "alt": " ".join(lines[:2])})


def _control(name: str, spec: dict, value, on_value):
    """One setting with its value always in its label (sliders' bubbles showed it only while dragging)."""
    label = spec["label"]
    if spec["type"] == "SliderInt":
        solara.SliderInt(f"{label}: {value}", value=value, on_value=on_value, min=spec["min"], max=spec["max"],
                         step=spec["step"], thumb_label=False)
    elif spec["type"] == "SliderFloat":
        solara.SliderFloat(f"{label}: {value:g}", value=value, on_value=on_value, min=spec["min"], max=spec["max"],
                           step=spec["step"], thumb_label=False)
    elif spec["type"] == "Select":
        Choice(label, spec["values"], value, on_value)
    else:
        solara.Checkbox(label=label, value=value, on_value=on_value)


@solara.component
def Choice(label: str, values: list, value, on_value):
    """A labelled group of buttons, one per value (a drop-down nests a button in a button, which screen readers and
    the accessibility scan reject)."""
    with solara.v.Html(tag="div", class_="choice", attributes={"role": "group", "aria-label": label}):
        solara.HTML(tag="div", classes=["choice-label"], unsafe_innerHTML=f"{label}: <b>{value}</b>")
        solara.ToggleButtonsSingle(value=value, values=list(values), on_value=on_value, dense=True,
                                   classes=["choice-buttons"])


@solara.component_vue("page_language.vue")
def PageLanguage():
    """Sets ``<html lang="en">`` in the browser."""


@solara.component
def Page():
    # One model per browser session; Reset rebuilds it from the controls.
    model = solara.use_memo(lambda: solara.reactive(ClassroomModel(**DEFAULTS)), dependencies=[])
    settings = solara.use_reactive(dict(DEFAULTS))
    built_with = solara.use_reactive(dict(DEFAULTS))
    month, set_month = solara.use_state(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    preset = solara.use_reactive(next(iter(PRESETS)))
    lock = solara.use_memo(threading.Lock, dependencies=[])

    def advance(months: int = 1) -> None:
        with lock:
            for _ in range(months):
                if not model.value.running:
                    break
                model.value.step()
        set_month(model.value.month)

    def play():
        while playing.value and model.value.running:
            time.sleep(SPEEDS[speed.value] / 1000)
            if not playing.value:
                break
            advance()
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def reset(values: dict | None = None) -> None:
        playing.set(False)
        values = dict(values if values is not None else settings.value)
        with lock:
            model.set(ClassroomModel(**values))
        built_with.set(values)
        set_month(0)

    def choose_preset(name: str) -> None:
        preset.set(name)
        values = {**DEFAULTS, **PRESETS[name]}
        settings.set(values)
        reset(values)

    solara.Title(TITLE)
    solara.Style(CSS)
    PageLanguage()
    with solara.v.Html(tag="div", class_="classroom-page"):
        with solara.v.Html(tag="header"):
            solara.HTML(tag="h1", unsafe_innerHTML=TITLE)
        with solara.v.Html(tag="div", class_="classroom-grid"):
            with solara.v.Html(tag="section", class_="classroom-controls playback-panel",
                               attributes={"aria-label": "Play the months"}):
                solara.HTML(tag="h2", unsafe_innerHTML="Play the months")
                with solara.v.Html(tag="div", class_="playback"):
                    solara.Button("Reset", color="primary", on_click=lambda: reset())
                    solara.Button("Pause" if playing.value else "Play", color="primary",
                                  on_click=lambda: playing.set(not playing.value), disabled=not model.value.running)
                    solara.Button("Step", color="primary", on_click=lambda: advance(),
                                  disabled=playing.value or not model.value.running)
                    solara.Button(f"Jump {JUMP_MONTHS} months", color="primary",
                                  on_click=lambda: advance(JUMP_MONTHS), disabled=playing.value or not model.value.running)
                Choice("Playback speed", list(SPEEDS), speed.value, speed.set)
            with solara.v.Html(tag="main", class_="classroom-main"):
                with solara.v.Html(tag="details", class_="classroom-intro", attributes={"open": True}):
                    solara.HTML(tag="summary", unsafe_innerHTML="What this page shows")
                    solara.HTML(tag="div", unsafe_innerHTML=INTRODUCTION)
                    solara.HTML(tag="p", classes=["power-note"], unsafe_innerHTML=POWER_EXPLAINED)
                with solara.v.Html(tag="div", class_="classroom-sides"):
                    SidePanel(model.value, 0, month)
                    SidePanel(model.value, 1, month)
                EnsemblePanel(built_with.value)
            with solara.v.Html(tag="aside", class_="classroom-controls settings-panel", attributes={"aria-label": "Settings"}):
                solara.HTML(tag="h2", unsafe_innerHTML="Settings")
                solara.HTML(tag="p", classes=["control-note"], style="font-size: 14px; margin: 0;",
                            unsafe_innerHTML="Change a setting, then press <b>Reset</b>: both sides are rebuilt from "
                                             "the same seed and the same organizations.")
                Choice("Preset", list(PRESETS), preset.value, choose_preset)
                for name, spec in MODEL_PARAMS.items():
                    _control(name, spec, settings.value[name],
                             lambda value, name=name: settings.set({**settings.value, name: value}))


@solara.component
def Layout(children=[]):  # noqa: B006 - solara's signature for a layout; the list is never changed
    """The page alone: no framework app bar, drawer, tabs or banner (they hid content on a projector)."""
    return solara.Column(children=children, style={"padding": "0", "gap": "0"})


page = Page


# --------------------------------------------------------------------------- serving

class ServeError(Exception):
    """The page cannot be served (port taken, solara missing); reported on one line."""


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServeError(f"cannot serve on {host}:{port}: {error.strerror or error}; choose another --port") from None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an IP address, or ``localhost``) reaches this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def assets_installed() -> bool:
    """Whether the browser's scripts can be served locally (the solara-assets package), without the internet."""
    return installed_assets() is not None


SERVER_MODULE = "sim.classroom.server"  # solara's server with its asset route read-only


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", SERVER_MODULE, "run", APP_MODULE, "--host", host, "--port", str(port), "--production",
            "--no-open", "--no-check-version", "--log-level", "warning"]


def server_env() -> dict:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no phoning home
    env["SOLARA_TELEMETRY_SERVER_USER_ID"] = "partnersim"  # else solara writes an id to ~/.solara for its telemetry
    assets = installed_assets()
    if assets is not None:  # the browser's scripts from the installed package, read-only (sim.classroom.server)
        env["SOLARA_ASSETS_PROXY"] = "True"
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(assets)
    else:  # nothing to serve locally: the browser fetches from the public CDN itself, the server fetches nothing
        env["SOLARA_ASSETS_PROXY"] = "False"
    env.setdefault("MPLBACKEND", "Agg")
    # Plain http on the loopback is what this server is for; solara's warning about https cookies is noise here.
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), quiet]))
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """The server gets SIGTERM if the launching process dies, so it never outlives `partnersim app`."""
    import signal

    die_with_parent(signal.SIGTERM)


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, out=None) -> int:
    """Serve the page until interrupted; print its address first (to ``out``, default stdout). Returns the
    server's exit status."""
    import signal

    out = out if out is not None else sys.stdout
    check_port(host, port)
    print(f"partnersim classroom at {address(host, port)} (press Ctrl-C to stop)", file=out, flush=True)
    if not is_loopback(host):
        print(f"partnersim: warning: the page has no login: anyone who can reach {host} on port {port} can use it",
              file=sys.stderr, flush=True)
    if not assets_installed():
        print("note: solara-assets is not installed; the browser will fetch the page's scripts from the internet",
              file=out, flush=True)
    process = subprocess.Popen(server_command(host, port), env=server_env(), preexec_fn=_die_with_parent)

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
