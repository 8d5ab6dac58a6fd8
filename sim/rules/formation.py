"""How partnerships form in a region: a funder's call, conveners, and the acquaintances they invite.

Sources: "each organization has to have the desire" to work with others and
mandated partnerships (seed 001); partnerships grow from relationships of trust
already there (seeds 000, 001); the established, well-resourced organization
next to the $25k grassroots group (seed 003). Modelling choices: calls at a
fixed interval with a fixed number of grants, proposals read in the funder's
order of priority, and a mandate that names the convener's acquaintances.

At a call every organization that belongs to no partnership applies, as a
convener, with chance ``desire * capacity`` (it wants to partner and can write
a proposal). The funder reads the proposals in the order of its priority —
strongest first (by capacity), community organizations' first (then by
capacity), or by lot — and funds up to ``grants`` of them. A convener invites its free acquaintances that
it trusts at least ``invite_trust``, most trusted first; each accepts with
chance ``desire`` (one draw per organization per call), and a convener whose
invitation is declined asks the next most trusted, until ``size - 1`` have
accepted or no one is left. Under a mandate the funder names the convener's free
acquaintances, trusted or not, most trusted first, and all of them join. A
proposal that cannot gather ``min_members`` (the convener included) is not
funded, and the funder reads the next one. An organization joins at most one
partnership at a time.
"""

from __future__ import annotations

import numpy as np


def applicants(free: np.ndarray, desire: np.ndarray, capacity: np.ndarray, apply_draws: np.ndarray,
               priority: str = "capacity", community: np.ndarray | None = None,
               lot_draws: np.ndarray | None = None) -> np.ndarray:
    """Free organizations that apply to convene, in the order the funder reads their proposals.

    ``priority``: ``"capacity"`` (highest capacity first), ``"community"`` (community organizations
    first, each group by capacity) or ``"lottery"`` (ascending ``lot_draws``).
    """
    applying = np.flatnonzero(free & (apply_draws < desire * capacity))
    if priority == "lottery":
        return applying[np.argsort(lot_draws[applying], kind="stable")]
    order = np.argsort(-capacity[applying], kind="stable")
    if priority == "community":
        order = order[np.argsort(~community[applying][order], kind="stable")]
    elif priority != "capacity":
        raise ValueError(f"unknown funder priority {priority!r}")
    return applying[order]


def invitees(convener: int, ties, taken: np.ndarray, desire: np.ndarray, accept_draws: np.ndarray, size: int,
             invite_trust: float, mandated: bool) -> np.ndarray:
    """Whom ``convener`` brings in: free acquaintances it trusts enough who accept, most trusted first."""
    known, trust = ties.neighbours(convener)
    candidate = ~taken[known]
    if not mandated:
        candidate &= (trust >= invite_trust) & (accept_draws[known] < desire[known])
    known, trust = known[candidate], trust[candidate]
    most_trusted_first = np.argsort(-trust, kind="stable")
    return known[most_trusted_first][: max(size - 1, 0)]


def grants_affordable(grants_per_call: int, budget_left: float, grant_value: float) -> int:
    """How many partnerships a call can fund: ``grants_per_call``, as far as the funder's budget holds whole grants."""
    if grant_value <= 0 or not np.isfinite(budget_left):
        return grants_per_call
    return int(min(grants_per_call, max(budget_left, 0.0) // grant_value))


def call_for_proposals(free: np.ndarray, desire: np.ndarray, capacity: np.ndarray, ties, apply_draws: np.ndarray,
                       accept_draws: np.ndarray, grants: int, size: int, min_members: int, invite_trust: float,
                       mandated: bool, priority: str = "capacity", community: np.ndarray | None = None,
                       lot_draws: np.ndarray | None = None) -> list[np.ndarray]:
    """The partnerships a call funds: each an array of organization ids, convener first."""
    taken = ~free
    funded = []
    for convener in applicants(free, desire, capacity, apply_draws, priority, community, lot_draws):
        if len(funded) >= grants:
            break
        if taken[convener]:  # an earlier convener brought it in
            continue
        members = np.concatenate(([convener], invitees(int(convener), ties, taken, desire, accept_draws, size,
                                                      invite_trust, mandated)))
        if members.size < min_members:
            continue
        taken[members] = True
        funded.append(members.astype(np.int64))
    return funded
