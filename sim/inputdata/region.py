"""A region's organizations and who knows whom, from a roster and a who-knows-whom table (docs/DATA.md).

The roster is read as for a partnership and its gaps filled by the same rules (:mod:`sim.inputdata.start`), except
that desire, where not given, is drawn from 0 as in a drawn region (ODD 5, "A region"). The organizations keep the
roster's order: nothing is shuffled, since the network is given rather than dealt by neighbourhood.

The relationships table says who knows whom: every row is an acquaintance, for both sides, whichever of them
answered (levels are not used: outside a partnership an acquaintance has no level). The trust on a tie is
directed and filled like a partnership's: ``i``'s answers about ``j``, else ``j``'s about ``i``, else drawn as a
drawn region's (the scenario's initial trust and spread, no history). Without a relationships table the network is
drawn over the roster as for a drawn region (``ecosystem.acquaintances``, ``neighbourhood_size``, ``local_share``).

Draws, from the data's own generator: the organizations' (as for a partnership), then the network if it is drawn,
then one trust draw per direction of every tie.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.inputdata.load import StartingData
from sim.inputdata.start import TRUST_SOURCES, Draws, fill_generator, organizations
from sim.params import Params
from sim.region.model import RegionStart
from sim.region.network import acquaintance_pairs
from sim.rules import initial


def build(data: StartingData, params: Params) -> tuple[RegionStart, dict, str]:
    """The region's start, the tables of answers beside the model's values, and a one-line note."""
    roster, survey = data.roster, data.relationships
    count = roster.count
    if params.ecosystem.organizations != count:
        raise ValueError(f"the parameters are for a region of {params.ecosystem.organizations}, the roster lists {count}")
    rng = fill_generator(data)
    orgs, org_table = organizations(roster, Draws.of(rng, count), params, lowest_desire=0.0)
    if survey is not None:
        keys = np.unique(np.minimum(survey.respondent, survey.partner) * count
                         + np.maximum(survey.respondent, survey.partner))
        low, high = keys // count, keys % count
    else:
        region = params.ecosystem
        low, high = acquaintance_pairs(count, region.acquaintances, region.neighbourhood_size, region.local_share, rng)
    rows, cols = np.concatenate((low, high)), np.concatenate((high, low))
    drawn = initial.starting_trust(params.organizations.initial_trust, 0.0, params.organizations.trust_spread,
                                   rng.standard_normal(rows.size))
    own, theirs = _answers(data, rows, cols), _answers(data, cols, rows)
    has_own, has_theirs = ~np.isnan(own), ~np.isnan(theirs)
    trust = np.where(has_own, own, np.where(has_theirs, theirs, drawn))
    source = np.where(has_own, 0, np.where(has_theirs, 1, 2))
    ids = np.array(roster.ids, dtype=object)
    ties = pd.DataFrame({"respondent": ids[rows], "partner": ids[cols], "trust": trust,
                         "trust_source": np.array(TRUST_SOURCES, dtype=object)[source]})
    note = (f"started from data: a region of {count} organizations ({roster.source}), {low.size} acquainted pairs "
            f"({'from ' + survey.source if survey is not None else 'drawn'}); trust on {rows.size} directed ties: "
            + ", ".join(f"{int(np.count_nonzero(source == k))} {name}" for k, name in enumerate(TRUST_SOURCES)))
    return (RegionStart(orgs=orgs, rows=rows, cols=cols, trust=trust),
            {"start_organizations.csv": org_table, "start_ties.csv": ties}, note)


def _answers(data: StartingData, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """What each ``rows[k]`` said of its trust in ``cols[k]`` (NaN if it said nothing)."""
    survey = data.relationships
    if survey is None or not rows.size:
        return np.full(rows.size, np.nan)
    count = data.roster.count
    said = survey.respondent * count + survey.partner
    order = np.argsort(said)
    position = np.searchsorted(said[order], rows * count + cols)
    position = np.minimum(position, said.size - 1)
    found = said[order][position] == rows * count + cols
    return np.where(found, survey.trust[order][position], np.nan)
