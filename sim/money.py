"""Dollars a run's funder granted and spent, for its summary (partnership and region alike).

*Granted* is what the funder committed: every grant awarded (renewals included) for its full length at the
monthly amount, even months the run never reached or a partnership did not live to use. *Spent* is what
flowed: the sum of the run's monthly ``funding`` column (row 0, the starting state, holds no money).
"""

from __future__ import annotations

import numpy as np

DOLLAR_KEYS = ("dollars_granted", "dollars_spent")


def dollars_summary(monthly_funding, grants_received: int, funding) -> dict:
    """``{"dollars_granted": ..., "dollars_spent": ...}`` from the monthly funding column and the grants awarded.

    ``funding`` is the run's :class:`sim.params.Funding` (grant length and monthly amount).
    """
    granted = float(grants_received) * float(funding.grant_months) * float(funding.monthly_amount)
    return {"dollars_granted": granted, "dollars_spent": float(np.sum(np.asarray(monthly_funding, dtype=float)))}
