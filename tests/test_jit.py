"""One implementation: the compiled month and the same functions run as plain Python give the same bytes, and
numba's cache follows every rule's source.

The month, the record and every rule are plain Python (``sim/month.py``, ``sim/record.py``, ``sim/rules/``)
compiled by numba (``sim/jit.py``). With ``NUMBA_DISABLE_JIT=1`` the very same functions run uncompiled; if
any compiled path ran other code than the rules a reader finds, these comparisons would fail.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sim
from sim.jit import COMPILED, KERNEL_MODULES, SOURCES, sources_digest
from sim.model import PartnershipModel
from sim.run import resolve

ROOT = Path(__file__).resolve().parent.parent
# The region runs fewer months: uncompiled, a 2,000-organization region takes about a second a year.
STEPS = {"region": 36}

FINGERPRINT = textwrap.dedent("""
    import hashlib, json, sys
    import sim
    out = {}
    for name in sim.scenario_names():
        for seed in (1, 2):
            result = sim.run(name, seed=seed, steps=STEPS.get(name))
            parts = [result.timeseries.to_csv(index=False), json.dumps(result.summary, sort_keys=True, default=str)]
            if result.partnerships is not None:
                parts.append(result.partnerships.to_csv(index=False))
            out[f"{name}-{seed}"] = hashlib.sha256("".join(parts).encode()).hexdigest()
    json.dump(out, sys.stdout)
""")


def fingerprints(env: dict | None = None, cwd: Path = ROOT) -> dict:
    """Hashes of every shipped scenario's outputs (seeds 1 and 2), computed in a fresh process."""
    code = f"STEPS = {STEPS!r}\n" + FINGERPRINT
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not COMPILED, reason="numba is not installed here: only the uncompiled path exists")
def test_compiled_and_plain_python_give_the_same_bytes_for_every_shipped_scenario():
    compiled = fingerprints()
    plain = fingerprints({"NUMBA_DISABLE_JIT": "1"})
    assert set(compiled) == {f"{name}-{seed}" for name in sim.scenario_names() for seed in (1, 2)}
    assert compiled == plain


@pytest.mark.parametrize("scenario", ["baseline", "mandated_shotgun", "collective_impact", "lead_agency_dominance"])
def test_stepping_month_by_month_equals_one_call_for_the_whole_run(scenario):
    _, params = resolve(scenario, seed=5)
    stepped, whole = PartnershipModel(params, rng=params.seed), PartnershipModel(params, rng=params.seed)
    while stepped.running:
        stepped.step()
    whole.finish()
    assert stepped.recorder.records.tobytes() == whole.recorder.records.tobytes()
    assert stepped.summary() == whole.summary()
    for a, b in zip(stepped.state.orgs + stepped.state.pairs, whole.state.orgs + whole.state.pairs):
        assert a.tobytes() == b.tobytes()
    assert stepped.rng.bit_generator.state == whole.rng.bit_generator.state


def sim_imports(path: Path) -> set[Path]:
    """Files of the sim modules ``path`` imports (``from sim.x import y`` counts sim/x.py, or sim/x/y.py if that
    is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sim":
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.split(".")[0] == "sim"]
        for name in names:
            base = ROOT.joinpath(*name.split("."))
            found |= {candidate for candidate in (base / "__init__.py", base.with_suffix(".py")) if candidate.is_file()}
    return found


def test_the_kernels_cache_stamp_covers_everything_the_kernels_import():
    # Anything a kernel module imports, directly or not, can be compiled into it: a rule, a constant, a packed field.
    closure, todo = set(), [ROOT / "sim" / name for name in KERNEL_MODULES]
    while todo:
        path = todo.pop()
        if path not in closure:
            closure.add(path)
            todo.extend(sim_imports(path))
    assert ROOT / "sim" / "params.py" in closure  # the scan follows imports
    missing = sorted(str(path.relative_to(ROOT)) for path in closure - set(SOURCES) - {ROOT / "sim" / "__init__.py"})
    assert not missing
    assert {path.name for path in (ROOT / "sim" / "rules").glob("*.py")} <= {
        path.name for path in SOURCES if path.parent.name == "rules"}
    assert all(path.is_file() for path in SOURCES)
    assert len(sources_digest()) == 64


@pytest.mark.skipif(not COMPILED, reason="needs numba's on-disk cache")
def test_editing_a_rule_recompiles_the_kernels(tmp_path):
    """numba checks a cached kernel against its own file only; the source stamp makes a rule's edit count too.

    A copy of the package runs baseline twice (the second run loads the kernels from the cache: the cache index
    is not rewritten), then once more after one rule's arithmetic changes: the kernels recompile and the result
    changes, to exactly what the edited rule gives uncompiled.
    """
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")  # a checkout reads its own scenarios (sim.bundled)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    script = ("import sim, hashlib; r = sim.run('baseline', steps=48); "
              "print(hashlib.sha256(r.timeseries.to_csv().encode()).hexdigest())")

    def run(**env) -> str:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(tmp_path), **env}, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    def index_files() -> dict:
        return {path: path.stat().st_mtime_ns for path in (tmp_path / "sim").rglob("*.nbi")}

    first = run()
    cached = index_files()
    assert cached, "the kernels were not cached"
    assert run() == first
    assert index_files() == cached, "an unchanged source recompiled the kernels"

    trust_rules = tmp_path / "sim" / "rules" / "trust.py"
    source = trust_rules.read_text()
    edited = source.replace("return min(max(new, 0.0), 1.0)", "return min(max(0.9 * new, 0.0), 1.0)")
    assert edited != source
    trust_rules.write_text(edited)
    after_edit = run()
    assert after_edit != first
    assert index_files() != cached
    assert after_edit == run(NUMBA_DISABLE_JIT="1")


def test_digest_changes_with_any_source(tmp_path, monkeypatch):
    before = sources_digest()
    copy = tmp_path / "copy.py"
    copy.write_text(SOURCES[0].read_text() + "\n# edited\n")
    monkeypatch.setattr("sim.jit.SOURCES", [copy, *SOURCES[1:]])
    assert sources_digest() != before
    assert hashlib.sha256(b"").hexdigest() != before
