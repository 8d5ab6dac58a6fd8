"""The classroom page (sim/classroom/app.py), served by `partnersim app` and used in a real headless browser.

The browser test starts the page on a free loopback port, opens it in Debian's
chromium (driven by Playwright, never a downloaded browser), steps, plays and
pauses the two partnerships, moves a control, resets, and saves a screenshot.
The server is given an unreachable CDN, and the browser may not leave the
loopback, so the test also proves that the page works with no network.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing
import urllib.request
from pathlib import Path

import pytest

from sim.classroom.app import DEFAULTS, MODEL_PARAMS, PARAM_KEYS, ServeError, address, check_port
from sim.classroom.lesson import ClassroomModel
from sim.params import Params

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 90_000


# --------------------------------------------------------------------------- without a browser

def _allowed(dotted: str) -> dict:
    """The validation metadata (low, high, choices) of a dotted parameter key."""
    cls = Params
    *sections, name = dotted.split(".")
    for section in sections:
        cls = typing.get_type_hints(cls)[section]
    return {f.name: f.metadata for f in dataclasses.fields(cls)}[name]


def test_controls_mirror_the_model_knobs():
    signature = inspect.signature(ClassroomModel.__init__).parameters
    assert set(MODEL_PARAMS) <= set(signature)
    assert set(MODEL_PARAMS) == set(PARAM_KEYS) == set(DEFAULTS)
    for name, control in MODEL_PARAMS.items():
        meta = _allowed(PARAM_KEYS[name])
        assert control["value"] == DEFAULTS[name]
        if control["type"].startswith("Slider"):
            assert meta["low"] <= control["min"] <= control["value"] <= control["max"] <= meta["high"], name
        elif control["type"] == "Select":
            assert list(control["values"]) == list(meta["choices"]), name
    ClassroomModel(**DEFAULTS)  # the page's first model builds


def test_serving_helpers(tmp_path):
    assert address("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ServeError, match="choose another --port"):
            check_port("127.0.0.1", taken.getsockname()[1])


def test_hosts_beyond_loopback_are_warned_about(monkeypatch, capsys):
    from sim.classroom import app

    class Server:
        def __init__(self, command, env, preexec_fn):
            self.command, self.env = command, env

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(app, "check_port", lambda host, port: None)
    monkeypatch.setattr(app.subprocess, "Popen", Server)
    assert [app.is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost", "0.0.0.0", "::", "192.168.1.5")] == \
        [True, True, True, True, False, False, False]
    for host, warned in (("127.0.0.1", False), ("0.0.0.0", True), ("::", True)):
        assert app.serve(host, 8765) == 0
        captured = capsys.readouterr()
        assert captured.out.startswith("partnersim classroom at ")
        assert ("the page has no login" in captured.err) is warned, (host, captured.err)


def test_the_server_serves_installed_assets_only(monkeypatch):
    from sim.classroom import app, server

    monkeypatch.setenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "True")
    monkeypatch.setenv("SOLARA_ASSETS_PROXY", "False")
    env = app.server_env()
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assets = server.installed_assets()
    if assets is None:
        assert env["SOLARA_ASSETS_PROXY"] == "False"  # the browser fetches from the CDN; the server fetches nothing
    else:
        assert env["SOLARA_ASSETS_PROXY"] == "True" and Path(env["SOLARA_ASSETS_PROXY_CACHE_DIR"]) == assets
        assert (assets / "@widgetti").is_dir()
    assert app.server_command("127.0.0.1", 1)[1:3] == ["-m", app.SERVER_MODULE]
    assert str(REPO_ROOT) in env["PYTHONPATH"].split(os.pathsep)


def test_asset_lookups_never_write_delete_or_fetch(tmp_path, monkeypatch):
    import solara.server.cdn_helper as cdn

    from sim.classroom.server import NotServed, asset_file, serve_assets_read_only

    root = tmp_path / "cdn"
    package = root / "@widgetti" / "solara-vuetify-app@10.1.1"
    (package / "dist").mkdir(parents=True)
    (package / "dist" / "main.js").write_text("ok")
    (root / "requirejs@2.3.6").mkdir()
    (tmp_path / "secret.txt").write_text("outside")
    for name in ("get_path", "get_data", "fetch_from_cdn", "put_in_cache"):
        # restored (or removed again) after the test; solara before 1.60 fetches inside get_data, without fetch_from_cdn
        monkeypatch.setattr(cdn, name, getattr(cdn, name, None), raising=False)
    serve_assets_read_only()
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    assert cdn.get_path(root, "@widgetti/solara-vuetify-app@10.1.1/dist/main.js") == package / "dist" / "main.js"
    assert cdn.get_data(root, "@widgetti/solara-vuetify-app@10.1.1/dist/main.js") == b"ok"
    for request in ("@widgetti/solara-vuetify-app@10.1.1", "@widgetti/solara-vuetify-app@10.1.1/", "requirejs@2.3.6",
                    "../secret.txt", "@widgetti/../../secret.txt", "nothing@1.0.0/x.js", ""):
        with pytest.raises(NotServed):
            cdn.get_path(root, request)
        with pytest.raises(NotServed):
            asset_file(root, request)
    with pytest.raises(PermissionError):
        cdn.fetch_from_cdn("https://cdn.jsdelivr.net/npm/requirejs@2.3.6")
    with pytest.raises(PermissionError):
        cdn.put_in_cache(root, "x.js", b"")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_app_port_in_use_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = subprocess.run([sys.executable, "-m", "sim", "app", "--port", str(taken.getsockname()[1])],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("partnersim: error: cannot serve on 127.0.0.1:") and done.stderr.count("\n") == 1


# --------------------------------------------------------------------------- in a browser

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server():
    """`partnersim app` on a free loopback port; always stopped (with its solara child) afterwards."""
    port = free_port()
    env = dict(os.environ)
    env["SOLARA_ASSETS_CDN"] = "http://127.0.0.1:9/"  # nothing may come from the internet, even in CI
    process = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port)], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        first_line = process.stdout.readline().strip()
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"partnersim app exited with {process.returncode}: {first_line} {process.stdout.read()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the page did not come up within 120 s")
            time.sleep(0.5)
        yield url, first_line
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


@pytest.fixture
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not on the PATH (CI installs Debian's chromium in .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _months(page) -> list[int]:
    return [int(m) for m in page.eval_on_selector_all(".month-counter", "els => els.map(e => e.dataset.month)")]


def _wait_month(page, month: int) -> None:
    page.wait_for_function(
        "m => { const c = [...document.querySelectorAll('.month-counter')];"
        " return c.length === 2 && c.every(e => e.dataset.month === String(m)); }",
        arg=month, timeout=TIMEOUT_MS, polling=50)


def _check_phases(page) -> None:
    """The highlighted phase of each side is the one its caption tells."""
    captions = page.locator(".side-caption").all_inner_texts()
    current = page.locator(".phase-current").all_inner_texts()
    assert len(captions) == len(current) == 2
    for text, chip in zip(captions, current):
        collapsed = re.match(r"The partnership collapsed in month (\d+)", text)
        ongoing = re.match(r"Month \d+: the partnership is in its (\w+) phase", text)
        if collapsed:
            assert chip.strip() == f"collapsed in month {collapsed.group(1)}", (chip, text)
        elif ongoing:
            assert chip.strip() == ongoing.group(1), (chip, text)
        else:
            assert text.startswith("It reached scale") and chip.strip() == "scale", (chip, text)


def _watch_months(page) -> None:
    """Record every month the first side shows, as it changes (to prove that playback skips none)."""
    page.evaluate("""() => {
        window.__months = [];
        const seen = () => { const c = document.querySelector('.month-counter');
                             if (c && window.__months[window.__months.length - 1] !== +c.dataset.month)
                                 window.__months.push(+c.dataset.month); };
        new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                           characterData: true});
        seen();
    }""")


SIZES = {  # name: (CSS viewport, device scale): a projector at 1024x768, 1366x768 at 150% zoom, a wide screen
    "1024x768": ((1024, 768), 1.0),
    "1366x768 at 150%": ((911, 512), 1.5),
    "1920x1080": ((1920, 1080), 1.0),
}
FRAMEWORK_WORDS = ("This website runs on Solara", "Page 0", "PAGE 0", "Play Interval", "Render Interval", "Use Threads",
                   "Time: 0")


def _check_layout(page) -> dict:
    """Nothing overlaps and nothing of the main content is covered or cut off; returns what was measured."""
    measured = page.evaluate("""() => {
        const box = el => { const r = el.getBoundingClientRect();
                            return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
        const blocks = ['.playback-panel', '.settings-panel', '.classroom-intro', '.side-0', '.side-1', '.ensemble']
            .map(sel => [sel, document.querySelector(sel)]).map(([sel, el]) => [sel, el ? box(el) : null]);
        const covered = [];
        for (const el of document.querySelectorAll('.network-image, .side-caption, .charts-image, .side-title, '
                                                   + '.playback-panel button')) {
            el.scrollIntoView({block: 'center', behavior: 'instant'});
            const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 20));
            if (!(hit && (hit === el || el.contains(hit)))) covered.push(el.className + ' under ' + (hit && hit.className));
        }
        window.scrollTo(0, 0);
        return {blocks, covered, overflow: document.documentElement.scrollWidth - innerWidth,
                text: document.body.innerText};
    }""")
    blocks = dict(measured["blocks"])
    assert all(blocks.values()), blocks
    assert measured["overflow"] <= 1, f"the page is {measured['overflow']} px wider than the window"
    assert measured["covered"] == [], measured["covered"]
    names = list(blocks)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            p, q = blocks[a], blocks[b]
            apart = p["x"] + p["w"] <= q["x"] + 1 or q["x"] + q["w"] <= p["x"] + 1 or \
                p["y"] + p["h"] <= q["y"] + 1 or q["y"] + q["h"] <= p["y"] + 1
            assert apart, f"{a} overlaps {b}: {p} {q}"
    for words in FRAMEWORK_WORDS:
        assert words not in measured["text"], words
    return blocks


def _axe_violations(page) -> list[dict]:
    """Serious and critical violations found by axe-core (bundled by axe-playwright-python: no CDN)."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.add_script_tag(content=AXE_SCRIPT)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.browser
def test_the_page_in_a_real_browser(server, browser, tmp_path):
    url, first_line = server
    assert first_line == f"partnersim classroom at {url} (press Ctrl-C to stop)"

    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.set_default_timeout(TIMEOUT_MS)
    outside, failures = [], []

    def only_loopback(route):
        host = route.request.url.split("/")[2] if "://" in route.request.url else ""
        if host.split(":")[0] in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failures.append(f"failed {r.url}") if "127.0.0.1" in r.url else None)

    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_selector(".month-counter", timeout=TIMEOUT_MS)
    _wait_month(page, 0)
    # Headings carry both the formal say and the effective power, each the model's own number.
    titles = page.locator(".side-title").all_inner_texts()
    effective = page.eval_on_selector_all(".side-title", "els => els.map(e => +e.dataset.effective)")
    assert titles == [f"Betterment: community formal say 10% · effective power {round(100 * effective[0])}%",
                      f"Empowerment: community formal say 50% · effective power {round(100 * effective[1])}%"]
    assert 0 < effective[0] < 0.10 and 0 < effective[1] < 0.50  # authority used with capacity
    intro = page.locator(".classroom-intro").inner_text()
    assert "collaborative betterment" in intro and "collaborative empowerment" in intro and "Himmelman" in intro
    assert page.locator(".network-image").count() == 2 and page.locator(".charts-image").count() == 2
    alts = page.eval_on_selector_all("img", "els => els.map(e => e.alt)")
    assert len(alts) >= 5 and all(len(alt) > 40 for alt in alts), alts  # every picture says what it shows
    assert page.locator(".phase-current").count() == 2
    page.wait_for_selector(".ensemble-image", timeout=TIMEOUT_MS)
    ensemble = page.locator(".ensemble-sentences").inner_text()
    assert re.search(r"Over 30 runs \(seeds 0–29\).*under betterment in \d+ and under empowerment in \d+", ensemble)
    assert "Early speed:" in ensemble
    caption_before = page.locator(".side-caption").first.inner_text()
    assert caption_before.startswith("Month 0:")
    charts_before = page.locator(".charts-image").first.screenshot()
    network_before = page.locator(".network-image").nth(1).screenshot()

    # Step three times: both sides advance, their charts and captions change.
    step = page.get_by_role("button", name="Step", exact=True)
    for month in (1, 2, 3):
        step.click()
        _wait_month(page, month)
    assert _months(page) == [3, 3]
    assert page.locator(".month-counter").first.inner_text() == "Month 3 of 120"
    page.wait_for_timeout(300)  # let the new images paint
    assert page.locator(".charts-image").first.screenshot() != charts_before
    assert page.locator(".network-image").nth(1).screenshot() != network_before
    caption_after = page.locator(".side-caption").first.inner_text()
    assert caption_after.startswith("Month 3:") and caption_after != caption_before

    # Play at the fastest speed, then pause: every month is shown on the way, none skipped.
    page.get_by_role("button", name="Fast: four months a second").click()
    _watch_months(page)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => [...document.querySelectorAll('.month-counter')].every(e => +e.dataset.month >= 12)",
                           timeout=TIMEOUT_MS, polling=50)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_timeout(1000)
    paused = _months(page)
    assert paused[0] == paused[1] >= 12
    page.wait_for_timeout(1500)
    assert _months(page) == paused
    shown = page.evaluate("window.__months")
    assert shown == list(range(shown[0], shown[-1] + 1)), f"months skipped while playing: {shown}"

    # Jump a year at a time: phases and captions agree on each side.
    jump = page.get_by_role("button", name="Jump 12 months")
    for _ in range(4):
        jump.click()
        page.wait_for_timeout(200)
    page.wait_for_function("() => [...document.querySelectorAll('.month-counter')].every(e => +e.dataset.month >= 60)",
                           timeout=TIMEOUT_MS, polling=50)
    page.wait_for_timeout(500)
    _check_phases(page)

    # Move a control (organizations per side, to its maximum), press Reset: both sides are rebuilt with it. The
    # slider's value is in its label all the time, not only while dragging.
    slider = page.locator(".v-input", has_text="Organizations:").locator("[role=slider]")
    assert slider.count() == 1
    assert slider.get_attribute("aria-valuenow") == "12"
    assert page.locator(".v-input", has_text="Organizations: 12").count() == 1
    slider.focus()
    page.keyboard.press("End")
    page.wait_for_function("el => el.getAttribute('aria-valuenow') === '50'", arg=slider.element_handle())
    page.locator(".v-input", has_text="Organizations: 50").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.side-setting')].every(e => e.dataset.organizations === '50')",
        timeout=TIMEOUT_MS, polling=50)
    _wait_month(page, 0)
    assert all(text.startswith("50 organizations") for text in page.locator(".side-setting").all_inner_texts())
    assert page.locator(".side-caption").first.inner_text().startswith("Month 0: 50 organizations")

    # With 50 organizations per side a step still answers promptly.
    started = time.monotonic()
    step.click()
    _wait_month(page, 1)
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"a step with 50 organizations per side took {elapsed:.1f} s"

    # Keyboard focus is visible: a focused button draws an outline at least 2 px wide.
    page.keyboard.press("Tab")
    step.focus()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.rstrip("px") or 0) >= 2, outline

    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"
    assert failures == [], f"requests failed: {failures[:5]}"
    page.close()

    # The projector sizes: nothing overlaps or is covered, no framework furniture, no serious accessibility fault.
    for name, (viewport, scale) in SIZES.items():
        sized = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=scale)
        sized.set_default_timeout(TIMEOUT_MS)
        sized.route("**/*", only_loopback)
        sized.goto(url, timeout=TIMEOUT_MS)
        sized.wait_for_selector(".ensemble-image", timeout=TIMEOUT_MS)
        _wait_month(sized, 0)
        _check_layout(sized)
        assert _axe_violations(sized) == [], name
        sized.close()
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"
