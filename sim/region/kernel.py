"""A region's month for every partnership at once: the single-partnership month on views of the table's blocks.

:func:`region_month` runs :func:`sim.month.month` and :func:`sim.record.record_row`,
the very functions a single partnership runs, on each live partnership's blocks of
the flat arrays of :class:`sim.region.table.PartnershipTable`, in the order the
partnerships formed; a dissolved partnership's month moves only its community
outcome. It restates no rule.
"""

from __future__ import annotations

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
