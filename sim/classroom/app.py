"""The classroom page: betterment against empowerment, side by side, in a browser (Mesa's SolaraViz).

Two partnerships are built from the same seed and the same organizations
(:class:`sim.classroom.lesson.ClassroomModel`), one on each side of the page, and advance
together with Mesa's play, pause, step and reset. Each side shows its network
of organizations (colour by sector, size by capacity, ties coloured and
thickened by continuum level), the phase the partnership is in, a caption
computed from the model's state (:mod:`sim.classroom.narrative`), and live charts of the
pairs at each level, mean trust, the community outcome and the community's
share of decision power. The sidebar's controls mirror the model's knobs;
pressing Reset rebuilds both sides with the values set.

Serve it with ``partnersim app [--host H] [--port N]`` (or ``make app``), which
runs solara's server on ``sim.classroom.app`` (through :mod:`sim.classroom.server`) on 127.0.0.1 by default.
The page needs no network: the browser's scripts come from the installed ``solara-assets`` package,
served read-only (the server never fetches, writes or removes an asset).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import solara
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _solara_viz
from mesa.visualization.utils import update_counter

from sim.classroom.lesson import ClassroomModel, LivePictures, chart_limits, phase_label
from sim.classroom.server import installed_assets
from sim.lifeline import die_with_parent
from sim.params import GOVERNANCE_MODES, PHASES, POWER_SHARING_PRESETS
from sim.scenarios import load_scenario

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "sim.classroom.app"
TITLE = "partnersim classroom: betterment against empowerment"
MAX_ORGANIZATIONS = 50
PLAY_INTERVAL_MS = 250


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
        organizations=base.organizations.count,
        seed=base.seed,
    )


DEFAULTS = _defaults()

# The sidebar's controls, one per knob (Mesa's model_params: each becomes a keyword of ClassroomModel).
MODEL_PARAMS = {
    "left_share": {"type": "SliderFloat", "value": DEFAULTS["left_share"], "min": 0.0, "max": 1.0, "step": 0.05,
                   "label": "Left: community share"},
    "right_share": {"type": "SliderFloat", "value": DEFAULTS["right_share"], "min": 0.0, "max": 1.0, "step": 0.05,
                    "label": "Right: community share"},
    "governance_mode": {"type": "Select", "value": DEFAULTS["governance_mode"], "values": list(GOVERNANCE_MODES),
                        "label": "Governance mode"},
    "grant_months": {"type": "SliderInt", "value": DEFAULTS["grant_months"], "min": 0, "max": 120, "step": 6,
                     "label": "Grant (months)"},
    "renewal_probability": {"type": "SliderFloat", "value": DEFAULTS["renewal_probability"], "min": 0.0, "max": 1.0,
                            "step": 0.05, "label": "Renewal chance"},
    "mandated": {"type": "Checkbox", "value": DEFAULTS["mandated"], "label": "Partnership mandated by the funder"},
    "expectation_ratio": {"type": "SliderFloat", "value": DEFAULTS["expectation_ratio"], "min": 0.25, "max": 3.0,
                          "step": 0.25, "label": "Expectations/resources"},
    "organizations": {"type": "SliderInt", "value": DEFAULTS["organizations"], "min": 4, "max": MAX_ORGANIZATIONS,
                      "step": 1, "label": "Organizations"},
    "seed": {"type": "SliderInt", "value": DEFAULTS["seed"], "min": 0, "max": 100, "step": 1, "label": "Seed"},
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
    "organizations": "organizations.count",
    "seed": "seed",
}

GRID_ROW_HEIGHT = 30  # solara's GridDraggable rows, in pixels
SIDE_ROWS = 44        # tall enough for a side's header, network, caption and charts


def _side_by_side_layout(count: int) -> list[dict]:
    """Two full-height columns (Mesa's default grid items are 300 px tall, too short for a side)."""
    return [{"i": i, "w": 6, "h": SIDE_ROWS, "moved": False, "x": 6 * (i % 2), "y": SIDE_ROWS * (i // 2)}
            for i in range(count)]


# SolaraViz lays its components out on a grid from this function; give each side the height it needs.
if hasattr(_solara_viz, "make_initial_grid_layout"):
    _solara_viz.make_initial_grid_layout = _side_by_side_layout


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
                          color="primary" if number <= phase else "grey",
                          text_color="white" if current else None,
                          class_="phase-chip" + (" phase-current" if current else ""))


@solara.component
def SidePanel(model: ClassroomModel, index: int):
    """One side: title, month, phase, network, caption and charts, redrawn only when its month changes."""
    update_counter.get()
    side = model.sides[index]
    month = side.model.month
    limits = chart_limits(model)
    build = id(model)
    # The figures are made once per model build (layout included) and only redrawn when the month changes.
    pictures = solara.use_memo(lambda: LivePictures(model, index), dependencies=[build, index])
    network_png = solara.use_memo(pictures.network_png, dependencies=[build, index, month])
    charts_png = solara.use_memo(lambda: pictures.charts_png(limits), dependencies=[build, index, month, limits["outcome"]])
    with solara.Column(gap="6px", classes=["classroom-side", f"side-{index}"], style={"padding": "4px 10px"}):
        solara.HTML(tag="div", unsafe_innerHTML=side.title, classes=["side-title"],
                    style="font-size: 22px; font-weight: 700; line-height: 1.2;")
        solara.HTML(tag="div", unsafe_innerHTML=f"Month {month} of {model.steps_total}", classes=["month-counter"],
                    attributes={"data-month": str(month)}, style="font-size: 20px; font-weight: 600;")
        solara.HTML(tag="div", unsafe_innerHTML=model.setting(), classes=["side-setting"],
                    attributes={"data-organizations": str(model.organizations)},
                    style="font-size: 14px; color: #555;")
        pship = side.model.state.partnership
        PhaseStrip(int(pship.phase), phase_label(side) if pship.collapse_step is not None else None)
        solara.Image(network_png, width="100%", classes=["network-image"])
        solara.HTML(tag="div", unsafe_innerHTML=model.caption(index), classes=["side-caption"],
                    style="font-size: 16px; line-height: 1.45; min-height: 8.7em;")
        solara.Image(charts_png, width="100%", classes=["charts-image"])


def left_side(model: ClassroomModel):
    return SidePanel(model, 0)


def right_side(model: ClassroomModel):
    return SidePanel(model, 1)


@solara.component
def Page():
    # One model per browser session, built once with the default knobs; Reset rebuilds it from the controls.
    model = solara.use_memo(lambda: ClassroomModel(**DEFAULTS), dependencies=[])
    with solara.Sidebar():
        # Plain HTML, not solara.Markdown: Markdown pulls KaTeX from a CDN, and the page must work offline.
        solara.HTML(tag="div", unsafe_innerHTML="<b>Change a setting, then press Reset</b>: both sides are rebuilt "
                    "from the same seed and the same organizations. Step advances both by one month.",
                    classes=["classroom-help"], style="font-size: 14px; padding: 0 16px;")
    SolaraViz(model, components=[(left_side, 0), (right_side, 0)], model_params=MODEL_PARAMS, name=TITLE,
              play_interval=PLAY_INTERVAL_MS)


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
