"""Test-session set-up: an optional mechanism knock-out (see tests/knockouts.py and scripts/knockouts.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

_KNOCKOUT = os.environ.get("PARTNERSIM_KNOCKOUT")
if _KNOCKOUT:
    if os.environ.get("NUMBA_DISABLE_JIT") != "1":
        raise RuntimeError("PARTNERSIM_KNOCKOUT needs NUMBA_DISABLE_JIT=1: compiled kernels cannot be patched")
    import knockouts

    knockouts.apply(_KNOCKOUT)
