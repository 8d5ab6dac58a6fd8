"""Take the README's screenshot of the classroom page: docs/figures/app.png.

Serves the page with `partnersim app` on a free loopback port, opens it in
Debian's chromium through Playwright (no browser download), steps both sides
to MONTH, and saves the screenshot. Run from the repository root:

    python scripts/app_screenshot.py [--month 48] [--out docs/figures/app.png] [--width W --height H --scale S]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", type=int, default=48, help="month to step both sides to (default 48)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures" / "app.png")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1560)
    parser.add_argument("--scale", type=float, default=1.0, help="device scale (1.5: a browser zoomed to 150%%)")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium is not on the PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port)], cwd=ROOT,
                              start_new_session=True)
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=args.scale)
            page.set_default_timeout(90_000)
            page.goto(url)
            page.wait_for_selector(".month-counter")
            page.wait_for_selector(".ensemble-image")
            step = page.get_by_role("button", name="Step", exact=True)
            for month in range(1, args.month + 1):
                step.click()
                page.wait_for_function(
                    "m => [...document.querySelectorAll('.month-counter')].every(e => e.dataset.month === String(m))",
                    arg=month, polling=50)
            page.wait_for_timeout(800)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
