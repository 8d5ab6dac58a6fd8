"""Dollars a run's funders granted and spent, for its summary (partnership and region alike).

*Granted* is what the funders committed: every grant awarded (the founding funder's renewals and the other
funders' grants included) for its full length, even months the run never reached or a partnership did not
live to use. *Spent* is what flowed: the sum of the run's monthly ``funding`` column (row 0, the starting
state, holds no money), the public budget's share after scale included.
"""

from __future__ import annotations

import numpy as np

DOLLAR_KEYS = ("dollars_granted", "dollars_spent")


def dollars_summary(monthly_funding, committed: float) -> dict:
    """``{"dollars_granted": ..., "dollars_spent": ...}`` from the monthly funding column and the dollars committed."""
    return {"dollars_granted": float(committed), "dollars_spent": float(np.sum(np.asarray(monthly_funding, dtype=float)))}
