"""A region's month for every partnership at once: the single-partnership month on views of the table's blocks.

:func:`region_month` runs :func:`sim.month.month` and :func:`sim.record.record_row`,
the very functions a single partnership runs, on each live partnership's blocks of
the flat arrays of :class:`sim.region.table.PartnershipTable`, in the order the
partnerships formed; a dissolved partnership's month moves only its community
outcome. It restates no rule.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel
from sim.month import month, outcome_only
from sim.record import record_row, repeat_row
from sim.state import PairState, members_view


@kernel
def region_month(live, dissolved, org_start, pair_start, rec_start, formed_step, orgs, trust, level, months_at, purpose,
                 ps, records, first_at_level, p, budgets, rng, region_step, facts):
    """Region month ``region_step`` of each partnership ``live[i]``, one after another in the order they formed,
    drawing from the region's generator ``rng`` and committing grants from the funders' shared ``budgets``, and of
    each dissolved one, in place; ``facts[i]`` gets live
    partnership ``i``'s month facts (:data:`sim.record.FACTS`)."""
    for i in range(live.size):
        k = live[i]
        o0 = org_start[k]
        o1 = org_start[k + 1]
        n = o1 - o0
        p0 = pair_start[k]
        nn = n * n
        members = members_view(orgs, o0, o1)
        pairs = PairState(trust[p0:p0 + nn].reshape((n, n)), level[p0:p0 + nn].reshape((n, n)),
                          months_at[p0:p0 + nn].reshape((n, n)), purpose[p0:p0 + nn].reshape((n, n)))
        step = region_step - formed_step[k]
        month(members, pairs, ps, k, p, budgets, rng, step, facts[i])
        record_row(records[rec_start[k] + step], step, members, pairs, ps, k, p, facts[i], first_at_level[k])

    # Dissolved partnerships have no members: only the community outcome moves. Their row repeats the
    # organizations' figures of the row before (nothing else can change), with no money, work or commitments.
    for i in range(dissolved.size):
        k = dissolved[i]
        step = region_step - formed_step[k]
        outcome_only(ps, k, p)
        repeat_row(records[rec_start[k] + step], records[rec_start[k] + step - 1], step, ps, k)


@kernel
def release_members(parts, org_start, pair_start, trust, was_active, active, row_org, capacity, received,
                    region_capacity, region_received, memberships, region_active):
    """Members that left partnerships ``parts`` this month go back to the region, partnership after partnership:
    their capacity and money received to the region's arrays, one membership fewer each. Returns the ties they
    carry (region ids ``rows -> cols`` and the trust of each): for each partnership, every (leaver, partner)
    pair's trust in leavers' order, then the same pairs' trust the other way, as the region writes them (a tie
    written twice keeps the later value). Bookkeeping, not a rule: nothing here is drawn or decided."""
    # each partnership's (leaver, partner) pairs: they are written, and then their reverses
    halves = np.zeros(parts.size, dtype=np.int64)
    for i in range(parts.size):
        gone = 0
        partners = 0
        for row in range(org_start[parts[i]], org_start[parts[i] + 1]):
            if was_active[row]:
                partners += 1
                if not active[row]:
                    gone += 1
        halves[i] = gone * (partners - 1)
    total = 2 * halves.sum()
    rows = np.empty(total, dtype=np.int64)
    cols = np.empty(total, dtype=np.int64)
    values = np.empty(total)
    at = 0
    for i in range(parts.size):
        k = parts[i]
        o0 = org_start[k]
        n = org_start[k + 1] - o0
        p0 = pair_start[k]
        half = halves[i]
        for leaver in range(n):
            if not (was_active[o0 + leaver] and not active[o0 + leaver]):
                continue
            for partner in range(n):
                if was_active[o0 + partner] and partner != leaver:
                    rows[at], cols[at] = row_org[o0 + leaver], row_org[o0 + partner]
                    values[at] = trust[p0 + leaver * n + partner]
                    rows[at + half], cols[at + half] = row_org[o0 + partner], row_org[o0 + leaver]
                    values[at + half] = trust[p0 + partner * n + leaver]
                    at += 1
        at += half
        for row in range(n):
            if was_active[o0 + row] and not active[o0 + row]:
                member = row_org[o0 + row]
                region_capacity[member] = capacity[o0 + row]
                region_received[member] = received[o0 + row]
                memberships[member] -= 1
                region_active[member] = memberships[member] > 0
    return rows, cols, values
