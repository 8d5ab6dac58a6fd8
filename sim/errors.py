"""The one exception type for bad input.

Every invalid scenario, override or flag raises :class:`ScenarioError`. Its
message is a single line naming the file, the key and what is allowed; the
command line prints exactly that line and exits with status 2.
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


class ScenarioErrors(ScenarioError):
    """Several mistakes in one input, all found at once; reads as the first, and ``errors`` holds every one.

    Its message is one line per mistake, each in the form of a :class:`ScenarioError`.
    """

    def __init__(self, errors: list[ScenarioError]):
        first = errors[0]
        super().__init__(first.source, first.key, first.problem, first.allowed)
        self.errors = list(errors)
        self.args = ("\n".join(str(error) for error in self.errors),)


def raise_all(errors: list[ScenarioError]) -> None:
    """Raise nothing for no mistakes, the mistake itself for one, :class:`ScenarioErrors` for several."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ScenarioErrors(errors)
