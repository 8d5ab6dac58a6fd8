"""Printing the figures and prepending a section to ``benchmarks/RESULTS.md`` (newest first)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from benchmarks.common import Figure

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
MARKER = "<!-- newest run below this line; `python -m benchmarks` inserts each run here -->"
HEADER = f"""# Benchmark results

Written by `make bench` (`python -m benchmarks`; options: `python -m benchmarks --help`). One section per run,
newest first; earlier runs are kept so that a regression shows. Every figure of a section was measured in that one
run, after warm-ups, as the median of repeats (the column "how measured" says how many). Targets: GitHub issue 4,
section 3, and issue 9, item 5 (since issue 9 the month is one compiled implementation: the figures of the
earlier numpy, numba and reference kernels are gone; `compare` measures the previous commit side by side).
Timings on a shared machine are noisy: compare ratios within a section, and absolute figures only between
sections from the same machine under a similar load (the load average is given).

{MARKER}
"""


def table(figures: list[Figure]) -> list[str]:
    lines = ["| figure | measured | target | status | how measured |", "|---|---|---|---|---|"]
    for f in figures:
        cells = [f.label, f.value, f.target or "-", f.status, f.how or "-"]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return lines


def section(figures: list[Figure], info: dict, mode: str, elapsed: float, notes: list[str], profile: list[str],
            started: datetime) -> str:
    m = info["machine"]
    head = f"## {started.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {info['git']}"
    lines = [head, "",
             f"- machine: {m['platform']}; {m['cpu']}; {m['cores']} cores; {m['ram']} RAM; Python {m['python']}; "
             f"numpy {m['numpy']}; numba {m['numba']}; OPENBLAS_CORETYPE {m['openblas_coretype']}; load average at start {m['load']}",
             f"- run: {mode}; total bench time {elapsed / 60:.1f} min", ""]
    lines += table(figures)
    missed = [f.label for f in figures if f.met is False]
    if missed:
        lines += ["", "Targets not met: " + "; ".join(missed) + "."]
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    if profile:
        lines += [""] + profile
    return "\n".join(lines) + "\n"


def prepend(text: str, path: Path = RESULTS) -> Path:
    """Insert ``text`` as the newest section, keeping every earlier one."""
    current = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    if MARKER not in current:  # a file written by hand: keep it all below a fresh header
        current = HEADER + "\n" + current
    before, after = current.split(MARKER, 1)
    path.write_text(before + MARKER + "\n\n" + text.rstrip("\n") + "\n" + ("\n" + after.lstrip("\n") if after.strip() else ""),
                    encoding="utf-8")
    return path


def print_figures(figures: list[Figure]) -> None:
    width = max((len(f.label) for f in figures), default=10)
    for f in figures:
        target = f"  [target {f.target}: {f.status}]" if f.target else ""
        print(f"  {f.label:<{width}}  {f.value}{target}", flush=True)
