#!/bin/sh
# An installed copy, as a new user gets it: build the wheel, install it with only the core's dependencies into a
# fresh virtual environment outside the source tree, and from another directory run a scenario, a tiny sweep on
# local processes and its report. Prints the core install's distributions, size and time. `.ci/run` runs it
# (`make install-check`); it downloads the core's dependencies, so it is not part of `make test`.
#
#   sh scripts/install-check.sh [PYTHON_WITH_BUILD]   (default: .venv/bin/python, which `make setup` gives `build`)
#
# The new environment's interpreter comes from scripts/find-python.sh (override with PYTHON=...).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build_python=${1:-$root/.venv/bin/python}
work=$(mktemp -d "${TMPDIR:-/tmp}/partnersim-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$build_python" -m build --wheel --outdir "$work/dist" "$root" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "install-check: building the wheel failed" >&2
    exit 1
fi
set -- "$work"/dist/partnersim-*.whl
wheel=$1

python=$(PYTHON="${PYTHON:-}" sh "$root/scripts/find-python.sh")
"$python" -m venv "$work/venv"
bin=$work/venv/bin
start=$(date +%s)
"$bin/python" -m pip install -q "$wheel"
seconds=$(( $(date +%s) - start ))
megabytes=$(du -sm "$work/venv" | cut -f1)
distributions=$("$bin/python" -m pip list --format=freeze 2>/dev/null | grep -vc '^pip==')
echo "core install of $(basename "$wheel"): $distributions distributions, $megabytes MB, $seconds s"

mkdir "$work/elsewhere"
cd "$work/elsewhere"
"$bin/python" - "$work/venv" <<'EOF'
import sys
from pathlib import Path

import sim
from sim import bundled
from sim.experiments.spec import study_names

assert Path(sim.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), f"sim from {sim.__file__}"
assert not bundled.from_checkout()
assert "baseline" in sim.scenario_names() and "example_small" in study_names(), (sim.scenario_names(), study_names())
assert "coalitions" in bundled.names(bundled.CALIBRATION)
EOF
"$bin/partnersim" run baseline --steps 12 --out run >/dev/null
"$bin/partnersim" sweep example_small --steps 6 --replicates 1 --workers 2 --out sweep
"$bin/partnersim" report sweep >/dev/null
test -f run/summary.json
test -f sweep/report/summary.md
echo "install-check: ok (the wheel runs a scenario, a sweep and its report from $(pwd))"
