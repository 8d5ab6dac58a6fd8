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
