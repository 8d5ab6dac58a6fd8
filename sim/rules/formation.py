"""How partnerships form in a region: a funder's call, conveners, and the acquaintances they invite.

Sources: "each organization has to have the desire" to work with others and
mandated partnerships (Axner n.d.); partnerships grow from relationships of trust
already there (Himmelman n.d.; Axner n.d.); the established, well-resourced organization
next to the $25k grassroots group (Schmitz 2014). Modelling choices: calls at a
fixed interval with a fixed number of grants, proposals read in the funder's
order of priority, a mandate that names the convener's acquaintances, and
referrals from partners of partners.

At a call every organization that may join another partnership (it is in fewer
than ``max_partnerships``) applies, as a convener, with chance ``desire * capacity``
(it wants to partner and can write a proposal). The funder reads the proposals in
the order of its priority — strongest first (by capacity), community
organizations' first (then by capacity), or by lot — and funds up to ``grants`` of
them. A convener invites its available acquaintances that it trusts at least
``invite_trust``, most trusted first; each accepts with chance ``desire`` (one
draw per organization per call), and a convener whose invitation is declined asks
the next most trusted, until ``size - 1`` have accepted or no one is left. With
``referrals``, a convener still short asks those who accepted, in the order they
accepted, to bring in the acquaintances *they* trust at least ``invite_trust``
(partners of partners, asked once each, the same draw deciding). Under a mandate
the funder names the acquaintances (and, with referrals, theirs), trusted or not,
most trusted first, and all of them join. A proposal that cannot gather
``min_members`` (the convener included) is not funded, and the funder reads the
next one. An organization joins at most one new partnership at a call.

The partnership also keeps up to ``pool`` **candidates** it may invite later
(sim/rules/joining.py): the acquaintances of its members, trusted at least
``invite_trust`` by the member who knows them, who were not asked or did not
fit, most trusted first.
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


def _ordered(known: np.ndarray, trust: np.ndarray, taken: np.ndarray, desire: np.ndarray, accept_draws: np.ndarray,
             invite_trust: float, mandated: bool) -> np.ndarray:
    """Those of ``known`` (trusted ``trust``) who would join: available and, unless mandated, trusted enough and
    willing; most trusted first."""
    candidate = ~taken[known]
    if not mandated:
        candidate &= (trust >= invite_trust) & (accept_draws[known] < desire[known])
    known, trust = known[candidate], trust[candidate]
    return known[np.argsort(-trust, kind="stable")]


def invitees(convener: int, ties, taken: np.ndarray, desire: np.ndarray, accept_draws: np.ndarray, size: int,
             invite_trust: float, mandated: bool, referrals: bool = False) -> np.ndarray:
    """Whom ``convener`` brings in: available acquaintances it trusts enough who accept, most trusted first; with
    ``referrals``, then the acquaintances of those who accepted, each referrer's most trusted first."""
    wanted = max(size - 1, 0)
    known, trust = ties.neighbours(convener)
    chosen = _ordered(known, trust, taken, desire, accept_draws, invite_trust, mandated)[:wanted]
    if not referrals or chosen.size >= wanted:
        return chosen
    asked = set(known.tolist())
    asked.add(int(convener))
    found = [chosen]
    missing = wanted - chosen.size
    for referrer in chosen:  # partners of partners: only the convener's own acquaintances refer
        known, trust = ties.neighbours(int(referrer))
        new = np.fromiter((k not in asked for k in known.tolist()), dtype=bool, count=known.size)
        known, trust = known[new], trust[new]
        asked.update(known.tolist())
        more = _ordered(known, trust, taken, desire, accept_draws, invite_trust, mandated)[:missing]
        found.append(more)
        missing -= more.size
        if missing == 0:
            break
    return np.concatenate(found).astype(np.int64)


def candidates(members: np.ndarray, ties, taken: np.ndarray, invite_trust: float, pool: int) -> np.ndarray:
    """Up to ``pool`` organizations a new partnership may invite later: acquaintances of its members, not among
    them, available, trusted at least ``invite_trust`` by the member who knows them; most trusted first (each
    counted once, at the highest trust a member places in it)."""
    if pool <= 0:
        return np.zeros(0, dtype=np.int64)
    best: dict[int, float] = {}
    inside = set(members.tolist())
    for member in members.tolist():
        known, trust = ties.neighbours(member)
        for other, t in zip(known.tolist(), trust.tolist()):
            if other not in inside and not taken[other] and t >= invite_trust and t > best.get(other, -1.0):
                best[other] = t
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    return np.array([other for other, _ in ranked[:pool]], dtype=np.int64)


def grants_affordable(grants_per_call: int, budget_left: float, grant_value: float) -> int:
    """How many partnerships a call can fund: ``grants_per_call``, as far as the funder's budget holds whole grants."""
    if grant_value <= 0 or not np.isfinite(budget_left):
        return grants_per_call
    return int(min(grants_per_call, max(budget_left, 0.0) // grant_value))


def call_for_proposals(free: np.ndarray, desire: np.ndarray, capacity: np.ndarray, ties, apply_draws: np.ndarray,
                       accept_draws: np.ndarray, grants: int, size: int, min_members: int, invite_trust: float,
                       mandated: bool, priority: str = "capacity", community: np.ndarray | None = None,
                       lot_draws: np.ndarray | None = None, referrals: bool = False,
                       pool: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The partnerships a call funds: for each, its members (an array of organization ids, convener first) and its
    candidates (:func:`candidates`)."""
    taken = ~free
    funded = []
    for convener in applicants(free, desire, capacity, apply_draws, priority, community, lot_draws):
        if len(funded) >= grants:
            break
        if taken[convener]:  # an earlier convener brought it in
            continue
        members = np.concatenate(([convener], invitees(int(convener), ties, taken, desire, accept_draws, size,
                                                      invite_trust, mandated, referrals))).astype(np.int64)
        if members.size < min_members:
            continue
        taken[members] = True
        funded.append(members)
    # Candidates are chosen once every proposal is settled, so that reserving them takes nobody from a later one.
    return [(members, candidates(members, ties, taken, invite_trust, pool)) for members in funded]
