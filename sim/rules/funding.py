"""The funder: grant length and renewal, who gets the money, mandates and expectations.

Sources: grant length and "the funding often ends just as a partnership starts
working" (seed 002); renewal and funders "walking away" (seed 003); mandated
collaboration that pushes relationships faster than trust allows (seed 001);
doing more with less, expectations above resources (seed 000); hierarchical
versus mutual accountability (seed 000).
"""

from __future__ import annotations

import numpy as np


def advance_grant(funded: bool, grant_month: int, grant_months: int, renewal_probability: float,
                  renewal_draw: float) -> tuple[bool, int, bool]:
    """One month of the grant clock: ``(funded, grant_month, renewed)`` after this month.

    When a grant's months run out the funder renews with ``renewal_probability``;
    otherwise the money stops. Once stopped it does not return.
    """
    if not funded:
        return False, grant_month, False
    grant_month += 1
    if grant_month < grant_months:
        return True, grant_month, False
    if renewal_draw < renewal_probability:
        return True, 0, True
    return False, grant_month, False


def close_month(funded: bool, grant_month: int, funding_end_step: int | None, month: int, collapsed: bool,
                grant_months: int, renewal_probability: float, renewal_draw: float):
    """The grant clock at the end of a month: ``(funded, grant_month, renewed, funding_end_step)``.

    A dissolved partnership receives no more money, and a renewal it cannot use is not counted.
    ``funding_end_step`` is the last month money flowed.
    """
    still_funded, grant_month, renewed = advance_grant(funded, grant_month, grant_months, renewal_probability,
                                                       renewal_draw)
    if collapsed:
        still_funded, renewed = False, False
    if funded and not still_funded and funding_end_step is None:
        funding_end_step = month
    return still_funded, grant_month, renewed, funding_end_step


def backbone_staffed(mode: str, funded: bool, backbone_share: float) -> bool:
    """A backbone has dedicated staff only while grant money pays for them."""
    return mode == "backbone" and funded and backbone_share > 0


def allocate(monthly_amount: float, weights: np.ndarray, staffed_backbone: bool, backbone_share: float) -> np.ndarray:
    """Dollars each member receives this month: money follows decision authority.

    The backbone's staff are paid first; the rest is split by authority, so the
    money adds up to exactly the grant (nothing is created).
    """
    total = weights.sum()
    if monthly_amount <= 0 or total <= 0:
        return np.zeros_like(weights)
    to_members = monthly_amount * (1.0 - backbone_share if staffed_backbone else 1.0)
    return to_members * weights / total


def expectation_strain(expectation_ratio: float, funded: bool) -> float:
    """How much the work promised exceeds the work resourced: the funder's ratio while its money flows, 1 after.

    Members' partnership work demands this multiple of its time, so expectations
    above resources show up as over-extension and broken commitments.
    """
    return expectation_ratio if funded else 1.0


def reporting_load(accountability: str, funded: bool, reporting_burden: float) -> float:
    """Staff time spent accounting to the funder, under hierarchical accountability, while funded."""
    return reporting_burden if (accountability == "hierarchical" and funded) else 0.0


def mandate_factor(mandated: bool, funded: bool, mandate_pressure: float) -> float:
    """Fraction by which a funder's mandate cuts the months and turf, and (half as much) the trust, needed to step up."""
    return mandate_pressure if (mandated and funded) else 0.0
