"""Funders: grants, their length and renewal, other funders and the public budget; who gets the money; mandates and
expectations (ODD 7.2).

Sources: grant length and "the funding often ends just as a partnership starts
working" (Himmelman 2016); renewal and funders "walking away" (Schmitz 2014); mandated
collaboration that pushes relationships faster than trust allows (Axner n.d.);
doing more with less, expectations above resources (Himmelman n.d.); hierarchical
versus mutual accountability (Himmelman n.d.); sustainability planning and more funding
sources among the coalitions that lasted (Feinberg, Bontempo & Greenberg 2008;
ASPE/NORC 2012); scale only through the public sector (Himmelman 2016).

A partnership starts with its founding funder's grant. At the grant's end the
funder renews it by its rule: never, by lot, or on the results it sees (the
evidence the partnership has gathered) and its goodwill. As its grant money runs
out, a partnership that plans for it applies to the other funders, one a month;
an application succeeds with a chance that grows with results and goodwill. A
funder commits a grant whole, from its budget, or not at all. Once the public
sector has adopted the innovation, the public budget pays part of the work for good.
"""

from __future__ import annotations

import numpy as np

from sim.jit import rule

NONE_RULE, LOTTERY, RESULTS = 0, 1, 2  # codes of sim.params.RENEWAL_RULES
AUTHORITY, EQUAL, CAPACITY, COMMUNITY_FIRST = 0, 1, 2, 3  # codes of sim.params.ALLOCATIONS
MONTHS_A_YEAR = 12.0


@rule
def staff_time(dollars: float, dollars_per_time_unit: float) -> float:
    """Staff time (time units a month) that grant dollars buy."""
    return dollars / dollars_per_time_unit


@rule
def need(load: float, own_time: float, dollars_per_time_unit: float) -> float:
    """Dollars of staff time a member's ties ask beyond its own staff time (what community_first pays first)."""
    return max(load - own_time, 0.0) * dollars_per_time_unit


@rule
def grant_value(grant_months: float, monthly_amount: float) -> float:
    """Dollars of one grant, whole: what a funder commits when it awards or renews it."""
    return grant_months * monthly_amount


@rule
def months_left(grant_months: int, grant_month: int) -> int:
    """Months a running grant still pays, this one included."""
    return grant_months - grant_month


@rule
def results_score(evidence_share: float) -> float:
    """What a funder sees of a partnership's results, 0..1: the share of a demonstration's evidence it has gathered."""
    return min(max(evidence_share, 0.0), 1.0)


@rule
def renewal_chance(rule_code: int, funded: bool, grant_month: int, grant_months: int, renewal_probability: float,
                   results: float, goodwill: float, affordable: bool) -> float:
    """Chance the founding funder renews the grant this month: only in a grant's last month, only if its budget
    still holds a whole grant; by lot ``renewal_probability``, on results that times the results and goodwill."""
    if not (funded and grant_month + 1 >= grant_months and affordable) or rule_code == NONE_RULE:
        return 0.0
    if rule_code == RESULTS:
        return renewal_probability * results * goodwill
    return renewal_probability


@rule
def affordable(budget_left: float, grant_months: float, monthly_amount: float) -> bool:
    """Whether a funder's remaining budget holds one more whole grant."""
    return budget_left >= grant_value(grant_months, monthly_amount)


@rule
def applying(planning_months: int, months_of_grants_left: int, alive: bool) -> bool:
    """Whether a partnership applies to another funder this month: it plans for sustainability, it is alive, and
    its grant money runs out within ``planning_months`` (or already has)."""
    return alive and planning_months > 0 and months_of_grants_left <= planning_months


@rule
def award_chance(award_rate: float, results: float, goodwill: float) -> float:
    """Chance an application to another funder succeeds this month: more likely with results and goodwill."""
    return award_rate * results * goodwill


@rule
def public_money(scaled: bool, takeover_share: float, monthly_amount: float) -> float:
    """Dollars a month the public budget pays a partnership whose innovation it has adopted (institutionalization)."""
    return takeover_share * monthly_amount if scaled else 0.0


@rule
def dependence(grant_dollars: float, budget: float) -> float:
    """How much an organization depends on the partnership's money: the grant's share of its monthly income."""
    if grant_dollars <= 0.0:
        return 0.0
    return grant_dollars / (budget / MONTHS_A_YEAR + grant_dollars)


@rule
def member_grants(allocation: int, to_members: float, active, community, authority, capacity, need):
    """Dollars each member receives this month; they add up to ``to_members`` (nothing is created).

    By ``allocation``: in proportion to decision authority, equally among active members, in proportion to
    capacity, or community first (community organizations' ``need``, the dollars of staff time their ties ask
    beyond their own, is paid first, as far as the money goes; what is left is split equally).
    """
    n = active.shape[0]
    grants = np.zeros(n)
    if to_members <= 0.0:
        return grants
    weights = np.zeros(n)
    left = to_members
    if allocation == COMMUNITY_FIRST:
        needed = 0.0
        for i in range(n):
            if active[i] and community[i]:
                needed += need[i]
        paid = min(needed, to_members)
        for i in range(n):
            if active[i] and community[i] and needed > 0.0:
                grants[i] = paid * need[i] / needed
        left = to_members - paid
    for i in range(n):
        if active[i]:
            if allocation == AUTHORITY:
                weights[i] = authority[i]
            elif allocation == CAPACITY:
                weights[i] = capacity[i]
            else:
                weights[i] = 1.0
    total = 0.0
    for i in range(n):
        total += weights[i]
    if total > 0.0:
        for i in range(n):
            grants[i] += left * weights[i] / total
    return grants


@rule
def advance_grant(funded: bool, grant_month: int, grant_months: int, renewed: bool) -> tuple:
    """One month of the grant clock: ``(funded, grant_month)`` after this month.

    When a grant's months run out the money stops unless the funder renewed it
    (with chance ``renewal_probability``, decided by the month); a renewal starts a
    new grant. Once stopped the money does not return.
    """
    if not funded:
        return False, grant_month
    grant_month += 1
    if grant_month < grant_months:
        return True, grant_month
    if renewed:
        return True, 0
    return False, grant_month


@rule
def advance_other_grant(grant_month: int, grant_months: int) -> int:
    """One month of another funder's grant: the months elapsed after this month, or -1 once it has ended (the
    other funders do not renew; a partnership applies again)."""
    if grant_month < 0:
        return -1
    grant_month += 1
    return grant_month if grant_month < grant_months else -1


@rule
def money_this_month(funded: bool, monthly_amount: float) -> float:
    """Grant dollars that flow this month."""
    return monthly_amount if funded else 0.0


@rule
def to_members(money: float, staffed_backbone: bool, backbone_share: float) -> float:
    """The part of the month's grant the members receive: the backbone's staff are paid first."""
    return money * ((1.0 - backbone_share) if staffed_backbone else 1.0)


@rule
def expectation_strain(expectation_ratio: float, funded: bool) -> float:
    """How much the work promised exceeds the work resourced: the funder's ratio while its money flows, 1 after.

    Members' partnership work demands this multiple of its time, so expectations
    above resources show up as over-extension and broken commitments.
    """
    return expectation_ratio if funded else 1.0


@rule
def reporting_load(hierarchical: bool, funded: bool, reporting_burden: float) -> float:
    """Staff time spent accounting to the funder, under hierarchical accountability, while funded."""
    return reporting_burden if (hierarchical and funded) else 0.0


@rule
def mandate_in_force(mandated: bool, funded: bool, mandate_pressure: float) -> float:
    """Fraction by which a funder's mandate cuts the requirements to step up, while its money flows."""
    return mandate_pressure if (mandated and funded) else 0.0
