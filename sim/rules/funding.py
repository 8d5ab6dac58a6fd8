"""The funder: grant length and renewal, who gets the money, mandates and expectations (ODD 7.2).

Sources: grant length and "the funding often ends just as a partnership starts
working" (seed 002); renewal and funders "walking away" (seed 003); mandated
collaboration that pushes relationships faster than trust allows (seed 001);
doing more with less, expectations above resources (seed 000); hierarchical
versus mutual accountability (seed 000).
"""

from __future__ import annotations

from sim.jit import rule


@rule
def renewal_chance(funded: bool, grant_month: int, grant_months: int, renewal_probability: float) -> float:
    """Chance the funder renews the grant this month: ``renewal_probability`` in a grant's last month, else 0."""
    return renewal_probability if (funded and grant_month + 1 >= grant_months) else 0.0


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
def money_this_month(funded: bool, monthly_amount: float) -> float:
    """Grant dollars that flow this month."""
    return monthly_amount if funded else 0.0


@rule
def to_members(money: float, staffed_backbone: bool, backbone_share: float) -> float:
    """The part of the month's grant the members receive: the backbone's staff are paid first."""
    return money * ((1.0 - backbone_share) if staffed_backbone else 1.0)


@rule
def member_grant(to_members: float, authority: float, total_authority: float) -> float:
    """Dollars one member receives this month: money follows decision authority, and adds up to the grant."""
    if to_members <= 0 or total_authority <= 0:
        return 0.0
    return to_members * authority / total_authority


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
