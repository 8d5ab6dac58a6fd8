"""The one exception type for bad input.

Every invalid scenario, override or flag raises :class:`ScenarioError`. Its
message is a single line naming the file, the key and what is allowed; the
command line prints exactly that line and exits with status 2. Both classes
pickle to themselves (``__reduce__``), so that bad input met in a worker process
(a sweep's pool, ``mesa.batch_run``, a Dask worker) reaches the parent as the
same one line rather than breaking the pool.
"""

from __future__ import annotations


class ScenarioError(ValueError):
    """Invalid scenario input: ``"<file>: <key>: <problem>; allowed: <what>"``."""

    def __init__(self, source: str, key: str, problem: str, allowed: str | None = None):
        self.source = source
        self.key = key
        self.problem = problem
        self.allowed = allowed
        where = f"{source}: {key}" if key else source
        line = f"{where}: {problem}"
        if allowed:
            line += f"; allowed: {allowed}"
        super().__init__(" ".join(line.splitlines()))

    def __reduce__(self):
        # The default rebuilds from ``args`` (the message alone), which does not fit ``__init__``.
        return type(self), (self.source, self.key, self.problem, self.allowed)


class ScenarioErrors(ScenarioError):
    """Several mistakes in one input, all found at once; reads as the first, and ``errors`` holds every one.

    Its message is one line per mistake, each in the form of a :class:`ScenarioError`.
    """

    def __init__(self, errors: list[ScenarioError]):
        first = errors[0]
        super().__init__(first.source, first.key, first.problem, first.allowed)
        self.errors = list(errors)
        self.args = ("\n".join(str(error) for error in self.errors),)

    def __reduce__(self):
        return type(self), (self.errors,)


def raise_all(errors: list[ScenarioError]) -> None:
    """Raise nothing for no mistakes, the mistake itself for one, :class:`ScenarioErrors` for several."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ScenarioErrors(errors)
