"""Test-session set-up: repeatable property tests, and an optional mechanism knock-out (see tests/knockouts.py and
scripts/knockouts.py).

Property tests draw their examples from a fixed seed, so that a run of ``make test`` passes or fails the same way
on every machine; ``HYPOTHESIS_PROFILE=explore`` draws fresh examples, more of them (run it now and then: it finds
what the fixed examples miss).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

_KNOCKOUT = os.environ.get("PARTNERSIM_KNOCKOUT")
if _KNOCKOUT:
    if os.environ.get("NUMBA_DISABLE_JIT") != "1":
        raise RuntimeError("PARTNERSIM_KNOCKOUT needs NUMBA_DISABLE_JIT=1: compiled kernels cannot be patched")
    import knockouts

    knockouts.apply(_KNOCKOUT)
