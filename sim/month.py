"""One month of a partnership, in one documented order: compute everything from the old state, then apply.

:func:`month` is the model's only month. It visits organizations and pairs in
loops and asks the rules of :mod:`sim.rules` for every value; it holds no rule
arithmetic of its own, only the order, the sums over organizations and pairs,
and the random draws. The same function runs compiled by numba or as plain
Python (:mod:`sim.jit`), steps one partnership (:class:`sim.model.PartnershipModel`)
or every partnership of a region (:mod:`sim.region.kernel`), and
:func:`run_months` takes a whole run in one compiled call.

Order within a month (docs/ODD.md, section 3):

1. governance: authority, voice, deliberation, decision efficiency (active members);
2. funding: this month's grant money, split by authority; staff time it buys;
3. load and time budget of each member; over-extension and strain;
4. trust: exchanges of commitments, kept or broken; exclusion from decisions; rivalry;
5. continuum: each pair steps up, holds or steps down one level (from old trust);
6. capacity: partners, learning, over-extension, drift;
7. goals: joint work moves the phase; the public sector may adopt (scale);
8. community outcome;
9. membership: satisfaction, members walking away;

then apply all of it; check collapse; advance the grant clock. No value computed
in a month is read by another computation of the same month, except the public
sector's adoption, which sees this month's phase progress.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel, rule
from sim.record import BROKEN, DEPARTURES, EFFICIENCY, FACTS, KEPT, MONEY, PROGRAM_WORK, WORK, record_row
from sim.rules import capacity as capacity_rules
from sim.rules import continuum, funding, governance, membership, phases, trust
from sim.state import NO_TIE, NONE



@rule
def happens(rng, chance: float) -> bool:
    """Whether an event of this chance happens: one uniform from the model's generator, drawn only when the
    chance is strictly between 0 and 1 (so a month draws only what it uses)."""
    if chance <= 0.0:
        return False
    if chance >= 1.0:
        return True
    return rng.random() < chance


@rule
def outcome_only(ps, k, p):
    """A month without members: only the community outcome moves (decaying, or upheld by the public sector at
    scale)."""
    ps.outcome[k] = phases.updated_outcome(ps.outcome[k], 0.0, 0.0, ps.phase[k] == phases.SCALE, p.outcome_gain,
                                           p.outcome_decay, p.public_upkeep)


@rule
def month(orgs, pairs, ps, k, p, rng, step, facts):
    """Partnership ``k`` of ``ps`` (its organizations ``orgs`` and pairs ``pairs``) takes month ``step``.

    Draws its random numbers from ``rng`` in the order of docs/ODD.md section 3, writes the new state into
    the arrays in place and this month's facts (:data:`sim.record.FACTS`) into ``facts``.
    """
    for f in range(facts.size):
        facts[f] = 0.0
    active = orgs.active
    n = active.shape[0]
    n_active = 0
    for i in range(n):
        if active[i]:
            n_active += 1
    if n_active == 0:
        outcome_only(ps, k, p)
        return
    community, capacity, trust_now, level, months_at = (orgs.community, orgs.capacity, pairs.trust, pairs.level,
                                                         pairs.months_at_level)
    funded = ps.funded[k]
    partners_possible = n - 1

    # 1. governance
    authority = governance.authorities(active, community, orgs.budget, p.mode, p.community_share, p.lead_share)
    voice = np.zeros(n)
    weighted_voices = 0.0
    voices_heard = 0.0
    total_authority = 0.0
    for i in range(n):
        if active[i]:
            voice[i] = governance.voice(authority[i], n_active)
        weighted_voices += governance.deliberation_weight(voice[i], community[i], capacity[i], p.inclusion_cost)
        voices_heard += voice[i]
        total_authority += authority[i]
    staffed = governance.backbone_staffed(p.mode, funded, p.backbone_share)
    efficiency = governance.decision_efficiency(governance.voices_at_table(weighted_voices, p.mode),
                                                p.deliberation_capacity, staffed)

    # 2. funding
    money = funding.money_this_month(funded, p.monthly_amount)
    to_members = funding.to_members(money, staffed, p.backbone_share)
    grant_dollars = np.empty(n)
    for i in range(n):
        grant_dollars[i] = funding.member_grant(to_members, authority[i], total_authority)

    # 3. load and time
    meeting = governance.meeting_load(voices_heard, p.meeting_time, staffed)
    reporting = funding.reporting_load(p.hierarchical, funded, p.reporting_burden)
    promised = funding.expectation_strain(p.expectation_ratio, funded)
    load = np.zeros(n)
    budget = np.empty(n)
    overload = np.zeros(n)
    for i in range(n):
        if active[i]:
            ties = 0.0
            for j in range(n):
                if level[i, j] != NO_TIE:
                    ties += continuum.tie_time(level[i, j], p.time_cost, partners_possible)
            load[i] = capacity_rules.member_load(ties, meeting, promised, reporting)
        budget[i] = capacity_rules.time_budget(orgs.base_time[i], capacity[i], voice[i], community[i],
                                               p.ownership_time, grant_dollars[i] / p.dollars_per_time_unit)
        if active[i]:
            overload[i] = capacity_rules.overload(load[i], budget[i])

    # 4. trust: who is left out of the decision; which pairs exchange commitments and compete; kept or broken
    excluded = np.zeros(n, dtype=np.bool_)
    excess = np.zeros(n)
    top_excess = 0.0
    for i in range(n):
        if active[i]:
            excluded[i] = happens(rng, governance.exclusion_chance(voice[i]))
            excess[i] = governance.authority_excess(authority[i], n_active)
            top_excess = max(top_excess, excess[i])
    # commitment[i, j]: +1 i kept its commitment to j this month, -1 broke it, 0 none exchanged
    commitment = np.zeros((n, n), dtype=np.int8)
    rivals = np.zeros((n, n), dtype=np.bool_)
    n_kept = 0
    n_broken = 0
    for i in range(n):
        for j in range(i + 1, n):
            if active[i] and active[j]:
                rivals[i, j] = happens(rng, trust.rivalry_chance(orgs.sector[i] == orgs.sector[j], p.competition))
                rivals[j, i] = rivals[i, j]
            lv = level[i, j]
            if lv == NO_TIE or not happens(rng, trust.interaction_chance(p.interaction_rate[lv],
                                                                          p.continuous_communication)):
                continue
            mutual_trust = continuum.mutual(trust_now[i, j], trust_now[j, i])
            for a, b in ((i, j), (j, i)):
                gap = trust.commitment_gap(continuum.trust_needed(lv, p.trust_required, 0.0),
                                           continuum.turf_needed(lv, p.turf_required, 0.0), mutual_trust,
                                           continuum.willingness(trust_now[a, b], orgs.guarding[a], orgs.identity[a]))
                keeps = happens(rng, trust.keep_probability(p.reliability, load[a] / budget[a],
                                                            trust.hedged(gap, p.same_standards)))
                commitment[a, b] = 1 if keeps else -1
                if keeps:
                    n_kept += 1
                else:
                    n_broken += 1
    exclusion_loss = governance.exclusion_trust_loss(p.exclusion_loss, p.mutual_respect)
    loss = trust.breach_loss(p.trust_loss, p.learning_culture)
    new_trust = np.zeros((n, n))
    for i in range(n):
        left_out = exclusion_loss if excluded[i] else 0.0
        for j in range(n):
            if i != j:
                dominance = excess[j] / top_excess if top_excess > 0 else excess[j]
                new_trust[i, j] = trust.updated_trust(trust_now[i, j], commitment[j, i] > 0, commitment[j, i] < 0,
                                                      p.trust_gain, loss, left_out * dominance, rivals[i, j],
                                                      p.rivalry_loss)

    # 5. continuum (on the old trust and willingness)
    mandate = funding.mandate_in_force(p.mandated, funded, p.mandate_pressure)
    move = np.zeros((n, n), dtype=np.int8)
    for i in range(n):
        for j in range(i + 1, n):
            lv = level[i, j]
            if lv == NO_TIE:
                continue
            mutual_trust = continuum.mutual(trust_now[i, j], trust_now[j, i])
            mutual_will = continuum.mutual(continuum.willingness(trust_now[i, j], orgs.guarding[i], orgs.identity[i]),
                                           continuum.willingness(trust_now[j, i], orgs.guarding[j], orgs.identity[j]))
            falls = happens(rng, continuum.fall_chance(lv, mutual_trust, mutual_will,
                                                       continuum.trust_needed(lv, p.trust_required, mandate),
                                                       continuum.turf_needed(lv, p.turf_required, mandate),
                                                       p.hold_margin, p.fall_rate, overload[i], overload[j]))
            if falls:
                move[i, j] = -1
                continue
            nxt = min(lv + 1, continuum.TOP)
            extra = (continuum.tie_time(nxt, p.time_cost, partners_possible)
                     - continuum.tie_time(lv, p.time_cost, partners_possible))
            if continuum.can_step_up(lv, months_at[i, j], mutual_trust, mutual_will, budget[i] - load[i],
                                     budget[j] - load[j], continuum.months_needed(nxt, p.months_required, mandate),
                                     continuum.trust_needed(nxt, p.trust_required, mandate),
                                     continuum.turf_needed(nxt, p.turf_required, mandate), extra) \
                    and happens(rng, p.climb_rate):
                move[i, j] = 1

    # 6. capacity (from the old levels and capacities)
    new_capacity = capacity.copy()
    for i in range(n):
        if active[i]:
            collaborators = 0.0
            for j in range(n):
                if level[i, j] == continuum.COLLABORATING:
                    collaborators += capacity[j]
            new_capacity[i] = capacity_rules.updated_capacity(
                capacity[i], orgs.capacity_start[i], collaborators, voice[i], overload[i], p.partner_gain,
                p.learning_rate, p.overextension_loss, p.recovery, partners_possible)

    # 7. goals: joint work of the tied pairs, organizing power; the public sector's decision
    effort = np.empty(n)
    for i in range(n):
        effort[i] = capacity_rules.effort(budget[i], load[i])
    pair_work_sum = 0.0
    tied_pairs = 0
    for i in range(n):
        for j in range(i + 1, n):
            lv = level[i, j]
            if lv != NO_TIE:
                pair_work_sum += phases.pair_work(phases.work_at_level(lv, p.joint_work, p.mutually_reinforcing),
                                                  capacity[i], capacity[j], effort[i], effort[j])
                tied_pairs += 1
    work = phases.joint_work(pair_work_sum, tied_pairs, n * (n - 1) // 2, efficiency)
    community_start = 0
    organizing_sum = 0.0
    engaged_voices = 0.0
    for i in range(n):
        if community[i]:
            community_start += 1
            if active[i]:
                organizing_sum += capacity[i] * voice[i]
                engaged_voices += voice[i]
    organizing = phases.organizing_power(organizing_sum, community_start)
    old_phase = ps.phase[k]
    phase, assessment, evidence, policy, program_work = phases.advance(
        old_phase, ps.assessment[k], ps.evidence[k], ps.policy[k], work, p.advocacy, organizing,
        p.shared_measurement, p.assessment_work, p.demonstration_work)
    scaled_now = happens(rng, phases.adoption_chance(phase, policy, p.policy_work, p.receptivity, p.adoption_rate))
    if scaled_now:
        phase = phases.SCALE

    # 8. community outcome
    reach = phases.reach_from_engagement(engaged_voices, community_start, p.reach_without_community)
    outcome = phases.updated_outcome(ps.outcome[k], program_work, reach, old_phase == phases.SCALE, p.outcome_gain,
                                     p.outcome_decay, p.public_upkeep)

    # 9. membership
    desire_typical = membership.typical_desire(p.self_selection)
    new_satisfaction = orgs.satisfaction.copy()
    new_active = active.copy()
    for i in range(n):
        if not active[i]:
            continue
        worth = 0.0
        letdowns = 0
        for j in range(n):
            if level[i, j] != NO_TIE:
                worth += p.joint_work[level[i, j]] * capacity[j]
            if commitment[j, i] < 0:
                letdowns += 1
        now = membership.satisfaction_now(
            membership.tie_work_worth(worth, partners_possible), orgs.desire[i], desire_typical, community[i],
            ps.outcome[k], voice[i], grant_dollars[i] / p.dollars_per_time_unit, load[i], budget[i], letdowns,
            partners_possible, p.tie_value,
            p.voice_value, p.funding_value, p.outcome_value, p.time_value, p.letdown_value)
        new_satisfaction[i] = membership.running_satisfaction(orgs.satisfaction[i], now, p.memory)
        if happens(rng, membership.leave_chance(new_satisfaction[i], p.leave_rate)):
            new_active[i] = False
    renewed = happens(rng, funding.renewal_chance(funded, ps.grant_month[k], p.grant_months, p.renewal_probability))

    # apply: departures and collapse
    remaining = 0
    for i in range(n):
        if new_active[i]:
            remaining += 1
    if ps.collapse_step[k] == NONE and membership.collapsed(remaining, p.min_members):
        among = 0.0
        count = 0
        for i in range(n):
            for j in range(n):
                if i != j and active[i] and active[j]:
                    among += trust_now[i, j]
                    count += 1
        ps.collapse_step[k] = step
        ps.collapse_cause[k] = membership.collapse_cause(among / count if count > 0 else 0.0, funded)
        for i in range(n):
            new_active[i] = False
    departures = 0
    for i in range(n):
        if active[i] and not new_active[i]:
            departures += 1
    # apply: the new trust, levels (no tie where a side has gone), capacity, membership
    for i in range(n):
        for j in range(n):
            trust_now[i, j] = new_trust[i, j]
            lv = level[i, j]
            if not (new_active[i] and new_active[j]):
                level[i, j] = NO_TIE
                months_at[i, j] = 0
            elif lv != NO_TIE:
                moved = move[i, j] if i < j else move[j, i]
                level[i, j] = lv + moved
                months_at[i, j] = months_at[i, j] + 1 if moved == 0 else 0
    for i in range(n):
        capacity[i] = new_capacity[i]
        orgs.satisfaction[i] = new_satisfaction[i]
        orgs.received[i] += grant_dollars[i]
        active[i] = new_active[i]
    # apply: the partnership's goals, outcome and grant clock (a collapse stops the money; a renewal it cannot
    # use is not counted)
    ps.phase[k], ps.assessment[k], ps.evidence[k], ps.policy[k], ps.outcome[k] = (
        phase, assessment, evidence, policy, outcome)
    if scaled_now:
        ps.scale_step[k] = step
    still_funded, grant_month = funding.advance_grant(funded, ps.grant_month[k], p.grant_months, renewed)
    if ps.collapse_step[k] != NONE:
        still_funded, renewed = False, False
    if funded and not still_funded and ps.funding_end[k] == NONE:
        ps.funding_end[k] = step
    ps.funded[k], ps.grant_month[k] = still_funded, grant_month
    if renewed:
        ps.grants_received[k] += 1

    facts[MONEY], facts[WORK], facts[PROGRAM_WORK], facts[EFFICIENCY] = money, work, program_work, efficiency
    facts[KEPT], facts[BROKEN], facts[DEPARTURES] = n_kept, n_broken, departures


@kernel
def step_once(orgs, pairs, ps, p, rng, step, records, first_at_level):
    """Month ``step`` of a single partnership (the Mesa model's ``step``), recorded in ``records[step]``."""
    facts = np.zeros(len(FACTS))
    month(orgs, pairs, ps, 0, p, rng, step, facts)
    record_row(records[step], step, orgs, pairs, ps, 0, p, facts, first_at_level)


@kernel
def run_months(orgs, pairs, ps, p, rng, first, last, records, first_at_level):
    """Months ``first`` .. ``last`` of a single partnership in one call, each recorded in ``records[step]``."""
    facts = np.zeros(len(FACTS))
    for step in range(first, last + 1):
        month(orgs, pairs, ps, 0, p, rng, step, facts)
        record_row(records[step], step, orgs, pairs, ps, 0, p, facts, first_at_level)
