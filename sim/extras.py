"""The optional parts of partnersim and what they need beyond the core install.

The core install runs the model, ``partnersim run``, ``sweep`` on local processes and ``report``. A part that
needs more names its extra in one line when it is missing (:class:`MissingExtra`), e.g.
``partnersim app needs the 'app' extra (solara is not installed): pip install 'partnersim[app]'``. The
modules are imported only where the part runs, never when ``sim`` is imported.
"""

from __future__ import annotations

import importlib.util

# extra -> the modules it brings (import names), as pyproject.toml declares them.
EXTRAS = {
    "dask": ("dask", "distributed"),
    "app": ("solara", "ipyvuetify", "PIL"),
}


class MissingExtra(ImportError):
    """An optional part was asked for without its extra installed; the message says what to install."""

    def __init__(self, feature: str, extra: str, module: str):
        self.feature, self.extra, self.module = feature, extra, module
        super().__init__(f"{feature} needs the '{extra}' extra ({module} is not installed): "
                         f"pip install 'partnersim[{extra}]'")

    def __reduce__(self):
        return type(self), (self.feature, self.extra, self.module)


def require(feature: str, extra: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` can be imported."""
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a broken install, or a module blocked in sys.modules
            found = False
        if not found:
            raise MissingExtra(feature, extra, module)
