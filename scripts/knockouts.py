"""Switch each mechanism off in turn and check that its behavioural tests fail (tests/knockouts.py).

    python scripts/knockouts.py [NAME ...]

Runs the tests named by each knock-out uncompiled (NUMBA_DISABLE_JIT=1) with the mechanism's rule replaced by a
neutral version, prints a table (mechanism, test, result) and exits 1 if any test still passed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from knockouts import KNOCKOUTS  # noqa: E402

TEST_FILES = ["tests/test_mechanisms.py", "tests/test_patterns.py", "tests/test_roads.py"]


def run(name: str, test: str) -> bool:
    """Whether ``test`` passes with mechanism ``name`` switched off."""
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PARTNERSIM_KNOCKOUT": name}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *TEST_FILES,
                           "-k", test], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode == 5:
        raise SystemExit(f"knockouts: no test matches {test!r}")
    if done.returncode not in (0, 1):
        raise SystemExit(f"knockouts: pytest failed to run for {name!r}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.returncode == 0


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in KNOCKOUTS]
    if unknown:
        print(f"knockouts: unknown mechanism {unknown[0]!r}; choose from {', '.join(KNOCKOUTS)}", file=sys.stderr)
        return 2
    survivors = []
    print("| mechanism switched off | test | result |\n|---|---|---|")
    for name in names or list(KNOCKOUTS):
        for test in KNOCKOUTS[name].tests:
            passed = run(name, test)
            print(f"| {name} ({KNOCKOUTS[name].what}) | `{test}` | {'STILL PASSES' if passed else 'fails, as it must'} |",
                  flush=True)
            if passed:
                survivors.append((name, test))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
