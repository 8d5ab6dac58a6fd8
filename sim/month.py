"""One month of a partnership, in one documented order: compute everything from the old state, then apply.

:func:`month` is the model's only month. It visits organizations and pairs in
loops and asks the rules of :mod:`sim.rules` for every value; it holds no rule
arithmetic of its own, only the order, the sums over organizations and pairs,
and the random draws. The same function runs compiled by numba or as plain
Python (:mod:`sim.jit`), steps one partnership (:class:`sim.model.PartnershipModel`)
or every partnership of a region (:mod:`sim.region.kernel`), and
:func:`run_months` takes a whole run in one compiled call.

Order within a month (docs/ODD.md, section 3):

0. leadership: does the convener's champion leave, or a successor arrive;
1. governance: authority, voice, deliberation, decision efficiency (active members);
2. money: what the founding grant, other funders' grants and the public budget pay this month;
3. load and time budget of each member; the money split among members; over-extension and strain;
4. trust: exclusion from decisions; rivalry; exchanges of commitments, kept or broken;
5. continuum: each pair steps up, holds or steps down one level (from old trust);
6. capacity: partners, learning, over-extension, drift;
7. goals: joint work moves the phase; the public sector may adopt (scale); advocacy may provoke a backlash;
8. community outcome;
9. membership: satisfaction and what would have kept each member, members walking away; closing on success;
10. joining: a partnership that needs members invites a candidate, who may accept;
11. funders: the founding funder's renewal, applications to other funders;

then apply all of it; check the end of the partnership (or welcome a newcomer); advance the grant clocks. The month's intermediate values
(voice, the money split, load, time budgets, convening) flow forward through the steps, but no step reads another's
new state (trust, levels, capacity, phase) before the month is applied, except the public sector's adoption and the
funders' decisions, which see this month's progress on the goals.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel, rule
from sim.packed import BACKBONE
from sim.record import (BROKEN, DEPARTURES, EFFICIENCY, FACTS, GRANTS_FLOWING, KEPT, MONEY, PROGRAM_WORK, WORK,
                        record_row, repeat_row)
from sim.rules import capacity as capacity_rules
from sim.rules import continuum, funding, governance, joining, leadership, membership, phases, trust
from sim.params import SECTORS
from sim.state import DECLINED, NO_TIE, NONE, NOT_JOINED, PUBLIC_BUDGET_BIT

N_SECTORS = len(SECTORS)


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
def end_cause_of_departures(left_step, left_reason, step: int) -> int:
    """What ended a partnership: the reason most of the departures of the last year had (ties to the latest)."""
    counts = np.zeros(6, dtype=np.int64)
    latest = np.full(6, -1, dtype=np.int64)
    for i in range(left_step.shape[0]):
        if left_step[i] != NONE and left_step[i] > step - membership.RECENT_MONTHS and left_reason[i] != NONE:
            counts[left_reason[i]] += 1
            latest[left_reason[i]] = max(latest[left_reason[i]], left_step[i])
    best = membership.NOT_WORTH_THE_TIME
    for road in range(6):
        if counts[road] > counts[best] or (counts[road] == counts[best] and counts[road] > 0
                                            and latest[road] > latest[best]):
            best = road
    return best


@rule
def month(orgs, pairs, ps, k, p, budgets, rng, step, facts):
    """Partnership ``k`` of ``ps`` (its organizations ``orgs`` and pairs ``pairs``) takes month ``step``.

    Draws its random numbers from ``rng`` in the order of docs/ODD.md section 3, commits grants from the
    funders' remaining ``budgets`` (founding funder first, then each other funder), writes the new state into
    the arrays in place and this month's facts (:data:`sim.record.FACTS`) into ``facts``.
    """
    for f in range(facts.size):
        facts[f] = 0.0
    active = orgs.active
    n = active.shape[0]
    # The members at the table, in row order. Ties exist only between two of them (sim.state; apply below), so
    # the loops over ties, and the draws in them, visit these pairs only: in the same order, with the same results.
    seated = np.flatnonzero(active)
    n_active = seated.size
    if n_active == 0:
        outcome_only(ps, k, p)
        return
    community, capacity, trust_now, level, months_at = (orgs.community, orgs.capacity, pairs.trust, pairs.level,
                                                         pairs.months_at_level)
    funded = ps.funded[k]
    ever_joined = 0
    for i in range(n):
        if orgs.joined_step[i] >= 0:
            ever_joined += 1
    partners_possible = ever_joined - 1
    convener = ps.convener[k]
    champion = ps.champion[k]
    at_scale = ps.phase[k] == phases.SCALE

    # 0. people: the champion leaves (felt once the month is applied), or a successor takes over; liaisons change
    champion_leaves = happens(rng, leadership.champion_leaves_chance(champion and active[convener], p.turnover))
    successor_arrives = happens(rng, leadership.successor_chance(champion, p.vacancy_months))
    new_liaison = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if active[i]:
            new_liaison[i] = happens(rng, leadership.liaison_change_chance(p.liaison_turnover))

    # 1. governance (the champion's style shapes how much a community voice adds to deliberation)
    inclusion = leadership.inclusion_cost(p.inclusion_cost, p.style, p.style_effect, champion)
    authority = governance.authorities(active, community, orgs.budget, p.mode, p.community_share, p.lead_share,
                                       ps.founding[k])
    voice = np.zeros(n)
    weighted_voices = 0.0
    voices_heard = 0.0
    for i in range(n):
        if active[i]:
            voice[i] = governance.voice(authority[i], n_active)
        weighted_voices += governance.deliberation_weight(voice[i], community[i], capacity[i], inclusion)
        voices_heard += voice[i]

    # 2. money: the founding grant, other funders' grants, the public budget once the innovation is adopted
    grant_money = funding.money_this_month(funded, p.monthly_amount)
    grants_flowing = 1 if funded else 0
    months_of_grants_left = funding.months_left(p.grant_months, ps.grant_month[k]) if funded else 0
    for j in range(ps.other_grant_month.shape[1]):
        if ps.other_grant_month[k, j] != NONE:
            grant_money += p.other_monthly_amount
            grants_flowing += 1
            months_of_grants_left = max(months_of_grants_left,
                                        funding.months_left(p.other_grant_months, ps.other_grant_month[k, j]))
    public = funding.public_money(at_scale, p.takeover_share, p.monthly_amount)
    money = grant_money + public
    staffed = governance.backbone_staffed(p.mode, money > 0.0, p.backbone_share)
    efficiency = governance.decision_efficiency(governance.voices_at_table(weighted_voices, p.mode, p.lead_deliberation),
                                                p.deliberation_capacity, staffed, p.backbone_deliberation)

    # 3. load and time; the money split among the members
    meeting = governance.meeting_load(voices_heard, p.meeting_time, staffed)
    reporting = funding.reporting_load(p.hierarchical, funded, p.reporting_burden)
    promised = funding.expectation_strain(p.expectation_ratio, funded)
    load = np.zeros(n)
    own_time = np.empty(n)
    need = np.zeros(n)
    for i in seated:
        ties = 0.0
        for j in seated:
            if level[i, j] != NO_TIE:
                ties += continuum.tie_time(level[i, j], p.time_cost, partners_possible)
        load[i] = capacity_rules.member_load(ties, meeting, promised, reporting)
    for i in range(n):
        own_time[i] = capacity_rules.time_budget(orgs.base_time[i], capacity[i], voice[i], community[i],
                                                 p.ownership_time, 0.0)
        need[i] = funding.need(load[i], own_time[i], p.dollars_per_time_unit)
    grants = funding.member_grants(p.allocation, funding.to_members(money, staffed, p.backbone_share), active,
                                   community, authority, capacity, need)
    budget = np.empty(n)
    overload = np.zeros(n)
    for i in range(n):
        budget[i] = own_time[i] + funding.staff_time(grants[i], p.dollars_per_time_unit)
        if active[i]:
            overload[i] = capacity_rules.overload(load[i], budget[i])
    convener_effort = capacity_rules.effort(budget[convener], load[convener])
    convening = leadership.convening(capacity[convener], convener_effort, active[convener], champion,
                                     p.mode == BACKBONE, staffed)
    full_convening = leadership.convening(capacity[convener], convener_effort, active[convener], True,
                                          p.mode == BACKBONE, staffed)

    # 4. trust: who is left out of the decision; which pairs compete, which exchange commitments; kept or broken
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
    for a_seat in range(n_active):
        i = seated[a_seat]
        for b_seat in range(a_seat + 1, n_active):
            j = seated[b_seat]
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
                keeps = happens(rng, trust.keep_probability(p.reliability, capacity_rules.strain(load[a], budget[a]),
                                                            trust.hedged(gap, p.same_standards)))
                commitment[a, b] = 1 if keeps else -1
                if keeps:
                    n_kept += 1
                else:
                    n_broken += 1
    exclusion_loss = governance.exclusion_trust_loss(p.exclusion_loss, p.mutual_respect)
    loss = trust.breach_loss(p.trust_loss, p.learning_culture)
    gain = leadership.trust_gain(p.trust_gain, p.style, p.style_effect, champion)
    champion_share = leadership.champion_bond(p.trust_in_person, p.style, p.style_effect)
    new_trust = trust_now.copy()
    for i in range(n):
        for j in range(n):
            if i != j and trust.moves(active[i], active[j]):
                hit = governance.exclusion_hit(exclusion_loss, excluded[i],
                                               governance.dominance(excess[j], top_excess))
                new_trust[i, j] = trust.updated_trust(trust_now[i, j], commitment[j, i] > 0, commitment[j, i] < 0,
                                                      gain, loss, hit, rivals[i, j], p.rivalry_loss)
                if champion_leaves and j == convener:
                    new_trust[i, j] = leadership.trust_after_person_left(new_trust[i, j], champion_share)
                elif new_liaison[i] or new_liaison[j]:
                    new_trust[i, j] = leadership.trust_after_person_left(new_trust[i, j], p.trust_in_person)

    # 5. continuum (on the old trust and willingness)
    mandate = funding.mandate_in_force(p.mandated, funded, p.mandate_pressure)
    move = np.zeros((n, n), dtype=np.int8)
    grown = np.zeros((n, n), dtype=np.bool_)
    for a_seat in range(n_active):
        i = seated[a_seat]
        for b_seat in range(a_seat + 1, n_active):
            j = seated[b_seat]
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
            if not continuum.below_purpose(lv, pairs.purpose[i, j]):
                if happens(rng, continuum.purpose_growth_chance(lv, pairs.purpose[i, j], p.purpose_growth)):
                    grown[i, j] = True
                continue
            if continuum.can_step_up(lv, months_at[i, j], mutual_trust, mutual_will,
                                     capacity_rules.slack(budget[i], load[i]), capacity_rules.slack(budget[j], load[j]),
                                     continuum.months_needed(nxt, p.months_required, mandate),
                                     continuum.trust_needed(nxt, p.trust_required, mandate),
                                     continuum.turf_needed(nxt, p.turf_required, mandate),
                                     continuum.extra_time(lv, p.time_cost, partners_possible)) \
                    and happens(rng, p.climb_rate):
                move[i, j] = 1

    # 6. capacity (from the old levels and capacities)
    new_capacity = capacity.copy()
    for i in seated:
        collaborators = 0.0
        for j in seated:
            collaborators += capacity_rules.collaborator_capacity(level[i, j], capacity[j])
        new_capacity[i] = capacity_rules.updated_capacity(
            capacity[i], orgs.capacity_start[i], collaborators, voice[i], overload[i], p.partner_gain,
            p.learning_rate, p.overextension_loss, p.recovery, partners_possible)
    if champion_leaves:
        new_capacity[convener] = leadership.capacity_after_champion(
            new_capacity[convener], leadership.champion_bond(p.champion_capacity, p.style, p.style_effect))

    # 7. goals: joint work of the tied pairs, organizing power; the public sector's decision; advocacy's risk
    effort = np.empty(n)
    for i in range(n):
        effort[i] = capacity_rules.effort(budget[i], load[i])
    pair_work_sum = 0.0
    tied_pairs = 0
    for a_seat in range(n_active):
        i = seated[a_seat]
        for b_seat in range(a_seat + 1, n_active):
            j = seated[b_seat]
            lv = level[i, j]
            if lv != NO_TIE:
                pair_work_sum += phases.pair_work(phases.work_at_level(lv, p.joint_work, p.mutually_reinforcing),
                                                  capacity[i], capacity[j], effort[i], effort[j])
                tied_pairs += 1
    sector_capacity = np.zeros(N_SECTORS)
    for i in range(n):
        if active[i]:
            sector_capacity[orgs.sector[i]] += capacity[i]
    work = phases.joint_work(pair_work_sum, tied_pairs, ever_joined * (ever_joined - 1) // 2, efficiency,
                             phases.scope(sector_capacity, p.duplicate_returns, p.reference_scope))
    community_start = 0
    organizing_sum = 0.0
    engaged_voices = 0.0
    for i in range(n):
        if community[i] and orgs.joined_step[i] >= 0:
            community_start += 1
            if active[i]:
                organizing_sum += phases.organizing_contribution(capacity[i], voice[i])
                engaged_voices += voice[i]
    organizing = phases.organizing_power(organizing_sum, community_start)
    old_phase = ps.phase[k]
    phase, assessment, evidence, policy, program_work = phases.advance(
        old_phase, ps.assessment[k], ps.evidence[k], ps.policy[k], work, p.advocacy, organizing,
        p.shared_measurement, p.assessment_work, p.demonstration_work, leadership.launch_pace(convening) * leadership.launch_factor(p.style, p.style_effect, champion))
    goodwill = ps.goodwill[k]
    scaled_now = happens(rng, phases.adoption_chance(phase, policy, p.policy_work, p.receptivity, p.adoption_rate,
                                                     goodwill))
    if scaled_now:
        phase = phases.SCALE
    if happens(rng, phases.backlash_chance(old_phase, p.advocacy, p.receptivity, p.advocacy_risk)):
        goodwill = phases.goodwill_after_backlash(goodwill, p.backlash_cost)

    # 8. community outcome
    reach = phases.reach_from_engagement(engaged_voices, community_start, p.reach_without_community)
    outcome = phases.updated_outcome(ps.outcome[k], program_work, reach, old_phase == phases.SCALE, p.outcome_gain,
                                     p.outcome_decay, p.public_upkeep)

    # 9. membership: this month's balance and what would have kept each member; walking away; closing on success
    desire_typical = membership.typical_desire(p.self_selection)
    stall = membership.stall_pressure(old_phase == phases.ASSESSMENT, step, p.launch_patience)
    new_satisfaction = orgs.satisfaction.copy()
    new_active = active.copy()
    leaving_reason = np.full(n, NONE, dtype=np.int64)
    for i in range(n):
        if not active[i]:
            continue
        worth = 0.0
        letdowns = 0
        for j in seated:
            if level[i, j] != NO_TIE:
                worth += membership.tie_worth(level[i, j], p.joint_work, capacity[j])
            if commitment[j, i] < 0:
                letdowns += 1
        tie_work = membership.tie_work_worth(worth, partners_possible)
        now = membership.satisfaction_now(
            tie_work, orgs.desire[i], desire_typical, community[i], ps.outcome[k], voice[i],
            funding.dependence(grants[i], orgs.budget[i]), convening, load[i], budget[i], letdowns, partners_possible,
            stall, p.tie_value, p.voice_value, p.funding_value, p.outcome_value, p.leadership_value, p.time_value,
            p.letdown_value, p.stall_value)
        # but for each road: its usual money, no broken commitments, its convener's champion, no stall
        usual = membership.usual_money(orgs.usual_grant[i], grants[i])
        with_usual_money = membership.satisfaction_now(
            tie_work, orgs.desire[i], desire_typical, community[i], ps.outcome[k], voice[i],
            funding.dependence(usual, orgs.budget[i]), convening, load[i],
            own_time[i] + funding.staff_time(usual, p.dollars_per_time_unit), letdowns, partners_possible, stall,
            p.tie_value, p.voice_value, p.funding_value, p.outcome_value, p.leadership_value, p.time_value,
            p.letdown_value, p.stall_value)
        orgs.short_funding[i] = membership.running_satisfaction(
            orgs.short_funding[i], membership.funding_shortfall(with_usual_money, now), p.memory)
        orgs.short_trust[i] = membership.running_satisfaction(
            orgs.short_trust[i], membership.letdown_cost(p.letdown_value, letdowns, partners_possible), p.memory)
        orgs.short_champion[i] = membership.running_satisfaction(
            orgs.short_champion[i], membership.convening_shortfall(p.leadership_value, full_convening, convening),
            p.memory)
        orgs.short_stall[i] = membership.running_satisfaction(
            orgs.short_stall[i], membership.stall_cost(p.stall_value, stall), p.memory)
        if grants[i] > 0.0:
            orgs.usual_grant[i] = membership.running_satisfaction(orgs.usual_grant[i], grants[i], p.memory)
        new_satisfaction[i] = membership.running_satisfaction(orgs.satisfaction[i], now, p.memory)
        if happens(rng, membership.leave_chance(new_satisfaction[i], p.leave_rate)):
            new_active[i] = False
            leaving_reason[i] = membership.departure_reason(new_satisfaction[i], orgs.short_funding[i],
                                                            orgs.short_trust[i], orgs.short_champion[i],
                                                            orgs.short_stall[i])
    closes = happens(rng, membership.close_chance(at_scale, p.close_on_success))

    # 10. joining: a partnership that needs members invites one candidate; the candidate may accept
    founding_sector = np.zeros(N_SECTORS, dtype=np.bool_)
    sector_at_table = np.zeros(N_SECTORS, dtype=np.bool_)
    for i in range(n):
        if i < ps.founding[k]:
            founding_sector[orgs.sector[i]] = True
        if active[i]:
            sector_at_table[orgs.sector[i]] = True
    sector_missing = False
    for s in range(N_SECTORS):
        if founding_sector[s] and not sector_at_table[s]:
            sector_missing = True
    needs = joining.needs_members(n_active, p.target_members, sector_missing)
    invited = NONE
    best = -1.0
    if needs:  # most months a partnership needs nobody: the candidates are searched only when it does
        for i in range(n):
            if orgs.joined_step[i] == NOT_JOINED:
                priority = joining.candidate_priority(
                    founding_sector[orgs.sector[i]] and not sector_at_table[orgs.sector[i]], i < ps.founding[k],
                    trust_now[convener, i])
                if priority > best:
                    invited, best = i, priority
    joiner = NONE
    decliner = NONE
    if happens(rng, joining.invite_chance(needs, invited != NONE, p.invite_rate, convening)):
        if happens(rng, joining.accept_chance(orgs.desire[invited])):
            joiner = invited
        else:
            decliner = invited

    # 11. funders: the founding funder's renewal; an application to another funder as the money runs out
    results = funding.results_score(phases.evidence_share(evidence, p.demonstration_work))
    renewed = happens(rng, funding.renewal_chance(
        p.renewal_rule, funded, ps.grant_month[k], p.grant_months, p.renewal_probability, results, goodwill,
        funding.affordable(budgets[0], p.grant_months, p.monthly_amount)))
    awarded = NONE
    if funding.applying(p.planning_months, months_of_grants_left, True):
        for j in range(ps.other_grant_month.shape[1]):
            if ps.other_grant_month[k, j] == NONE and funding.affordable(budgets[1 + j], p.other_grant_months,
                                                                        p.other_monthly_amount):
                if happens(rng, funding.award_chance(p.award_rate, results, goodwill)):
                    awarded = j
                break

    # apply: departures, and the end of the partnership (members below the minimum, or goals met)
    for i in range(n):
        if leaving_reason[i] != NONE:
            orgs.left_step[i] = step
            orgs.left_reason[i] = leaving_reason[i]
    remaining = 0
    for i in range(n):
        if new_active[i]:
            remaining += 1
    ends = False
    if ps.end_step[k] == NONE:
        if membership.collapsed(remaining, p.min_members):
            ends = True
            ps.end_cause[k] = end_cause_of_departures(orgs.left_step, orgs.left_reason, step)
        elif closes:
            ends = True
            ps.end_cause[k] = membership.GOALS_MET
    if ends:
        ps.end_step[k] = step
        for i in range(n):
            if new_active[i]:
                new_active[i] = False
                orgs.left_step[i] = step
                orgs.left_reason[i] = ps.end_cause[k]
    elif joiner != NONE:
        new_active[joiner] = True
        orgs.joined_step[joiner] = step
    if decliner != NONE:
        orgs.joined_step[decliner] = DECLINED
    departures = 0
    for i in range(n):
        if active[i] and not new_active[i]:
            departures += 1
    # apply: the new trust, levels (no tie where a side has gone), capacity, membership, money received. Only pairs
    # of organizations at the table before or after the month can change (the others have no tie, and keep their
    # trust: trust.moves).
    involved = np.flatnonzero(active | new_active)
    for i in involved:
        for j in involved:
            trust_now[i, j] = new_trust[i, j]
            lv = level[i, j]
            if not (new_active[i] and new_active[j]):
                level[i, j] = NO_TIE
                months_at[i, j] = 0
            elif (i == joiner or j == joiner) and i != j:  # a newcomer starts at networking with every member
                level[i, j] = 0
                months_at[i, j] = 0
            elif lv != NO_TIE:
                if grown[min(i, j), max(i, j)]:
                    pairs.purpose[i, j] += 1
                moved = move[i, j] if i < j else move[j, i]
                level[i, j] = lv + moved
                months_at[i, j] = months_at[i, j] + 1 if moved == 0 else 0
    for i in range(n):
        capacity[i] = new_capacity[i]
        orgs.satisfaction[i] = new_satisfaction[i]
        orgs.received[i] += grants[i]
        active[i] = new_active[i]
    # apply: the partnership's goals, outcome, leadership and goodwill
    ps.phase[k], ps.assessment[k], ps.evidence[k], ps.policy[k], ps.outcome[k] = (
        phase, assessment, evidence, policy, outcome)
    if scaled_now:
        ps.scale_step[k] = step
    ps.goodwill[k] = goodwill
    if champion_leaves:
        ps.champion[k] = False
    elif successor_arrives:
        ps.champion[k] = True
    if public > 0.0:
        ps.funders_used[k] |= np.int64(1) << np.int64(PUBLIC_BUDGET_BIT)
    # apply: the grant clocks (an ended partnership receives no more money; a renewal it cannot use is not counted)
    ended = ps.end_step[k] != NONE
    still_funded, grant_month = funding.advance_grant(funded, ps.grant_month[k], p.grant_months, renewed)
    if ended:
        still_funded, renewed = False, False
    if funded and not still_funded and ps.grant_end[k] == NONE:
        ps.grant_end[k] = step
    ps.funded[k], ps.grant_month[k] = still_funded, grant_month
    if renewed:
        ps.grants_received[k] += 1
        budgets[0] -= funding.grant_value(p.grant_months, p.monthly_amount)
        ps.committed[k] += funding.grant_value(p.grant_months, p.monthly_amount)
    grants_continue = still_funded
    for j in range(ps.other_grant_month.shape[1]):
        ps.other_grant_month[k, j] = NONE if ended else funding.advance_other_grant(ps.other_grant_month[k, j],
                                                                                   p.other_grant_months)
        if awarded == j and not ended:
            ps.other_grant_month[k, j] = 0
            budgets[1 + j] -= funding.grant_value(p.other_grant_months, p.other_monthly_amount)
            ps.committed[k] += funding.grant_value(p.other_grant_months, p.other_monthly_amount)
            ps.funders_used[k] |= np.int64(1) << np.int64(1 + j)
        if ps.other_grant_month[k, j] != NONE:
            grants_continue = True
    if grants_flowing > 0 and not grants_continue and ps.funding_end[k] == NONE:
        ps.funding_end[k] = step

    facts[MONEY], facts[WORK], facts[PROGRAM_WORK], facts[EFFICIENCY] = money, work, program_work, efficiency
    facts[KEPT], facts[BROKEN], facts[DEPARTURES] = n_kept, n_broken, departures
    facts[GRANTS_FLOWING] = grants_flowing


@rule
def recorded_month(orgs, pairs, ps, p, budgets, rng, step, records, first_at_level, facts):
    """Month ``step`` of a single partnership, recorded in ``records[step]``. Once no organization is at the
    table the organizations' figures cannot change, so the row before is repeated (:func:`sim.record.repeat_row`,
    the same row :func:`sim.record.record_row` would give, without its walk over the pairs)."""
    members = orgs.active.any()
    month(orgs, pairs, ps, 0, p, budgets, rng, step, facts)
    if members:
        record_row(records[step], step, orgs, pairs, ps, 0, p, facts, first_at_level)
    else:
        repeat_row(records[step], records[step - 1], step, ps, 0)


@kernel
def step_once(orgs, pairs, ps, p, budgets, rng, step, records, first_at_level):
    """Month ``step`` of a single partnership (the Mesa model's ``step``), recorded in ``records[step]``."""
    recorded_month(orgs, pairs, ps, p, budgets, rng, step, records, first_at_level, np.zeros(len(FACTS)))


@kernel
def run_months(orgs, pairs, ps, p, budgets, rng, first, last, records, first_at_level):
    """Months ``first`` .. ``last`` of a single partnership in one call, each recorded in ``records[step]``."""
    facts = np.zeros(len(FACTS))
    for step in range(first, last + 1):
        recorded_month(orgs, pairs, ps, p, budgets, rng, step, records, first_at_level, facts)
