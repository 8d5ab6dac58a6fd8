"""Compiling the rules: one implementation that runs compiled by numba, or as plain Python without it.

Every rule in :mod:`sim.rules` and the month that calls them (:mod:`sim.month`) is
plain Python on scalars and numpy arrays, decorated with :func:`rule` or
:func:`kernel`. With numba installed (a core dependency, with wheels for CPython
3.12 – 3.14 on Linux, macOS and Windows) the decorators compile them; where numba
is missing, or disabled with ``NUMBA_DISABLE_JIT=1``, the decorators return the
functions unchanged and the same code runs as Python: the same results bit for
bit, only slower (``tests/test_jit.py`` runs both and compares the bytes).

:func:`kernel` marks the entry points Python calls (a run, a month, a record
row, a region's month). They are cached on disk, in ``__pycache__``. numba checks
a cached entry point only against its own file, not against the rules it
compiled in, so :func:`kernel` adds a digest of every module in :data:`SOURCES`
to the stamp numba stores with each cache entry and compares on load: editing any
rule recompiles every kernel that could contain it (``tests/test_jit.py`` checks
that too).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

try:
    import numba
except ImportError:  # pragma: no cover - numba is a core dependency; this is the documented fallback
    numba = None

COMPILED = numba is not None and os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0")
# error_model="numpy": a division by zero gives inf or nan as in numpy, instead of raising inside compiled code.
_OPTIONS = dict(nogil=True, error_model="numpy")

_PACKAGE = Path(__file__).resolve().parent
# The modules whose functions or constants end up compiled into the kernels: the kernel modules (month, record,
# region/kernel) and every sim module they import, directly or not (tests/test_jit.py checks the list is whole).
KERNEL_MODULES = ("month.py", "record.py", "region/kernel.py")
SOURCES = sorted([*(_PACKAGE / "rules").glob("*.py"), *(_PACKAGE / name for name in KERNEL_MODULES),
                  *(_PACKAGE / name for name in ("jit.py", "packed.py", "state.py", "params.py", "errors.py",
                                                 "suggest.py", "money.py"))])


def sources_digest() -> str:
    """SHA-256 of the sources compiled into the kernels (part of every kernel's cache stamp)."""
    digest = hashlib.sha256()
    for path in SOURCES:
        name = path.relative_to(_PACKAGE).as_posix() if path.is_relative_to(_PACKAGE) else path.name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def rule(function):
    """A rule: compiled into the kernels that call it (numba), or the plain function without numba."""
    if not COMPILED:
        return function
    return numba.njit(**_OPTIONS)(function)


def plain(function):
    """The plain Python function of a rule, for a caller outside the kernels: a compiled rule called from Python
    would be compiled for that call in every fresh process (tens of milliseconds each), where its Python form
    costs microseconds and gives the same result."""
    return getattr(function, "py_func", function)


def kernel(function):
    """An entry point called from Python: compiled and cached on disk, its cache stamped with :data:`SOURCES`."""
    if not COMPILED:
        return function
    dispatcher = numba.njit(cache=True, **_OPTIONS)(function)
    _stamp_cache(dispatcher)
    return dispatcher


def _stamp_cache(dispatcher) -> None:
    """Make the dispatcher's on-disk cache stale when any module in :data:`SOURCES` changes.

    numba stores ``_source_stamp`` (its own file's modification time and size) in each cache index and
    discards the index when the stamp differs on load; adding the sources' digest extends that check to
    every rule compiled in. If numba's private cache object is not as expected, the cache is turned off
    rather than risk loading stale machine code.
    """
    try:
        cache_file = dispatcher._cache._cache_file
        cache_file._source_stamp = (cache_file._source_stamp, sources_digest())
    except (AttributeError, OSError, TypeError):  # pragma: no cover - another numba's internals
        dispatcher._cache = numba.core.caching.NullCache()


def numba_version() -> str | None:
    return None if numba is None else numba.__version__
