"""Who decides: formal authority, voice, exclusion, and what deciding costs.

Sources: power-sharing from collaborative betterment to collaborative
empowerment (Himmelman, seed 000); lead agency, backbone and shared governance
(seed 003; Provan & Kenis 2008); inclusion at every table, and decision-making
that grows long as membership passes about twenty organizations (a practitioner's
comment in seed 003).

Authority is a share of the partnership's decisions: the community
organizations together hold ``community_share`` of it, the institutions the
rest. Under a lead agency the largest institution holds ``lead_share`` of the
institutions' part. Voice is authority relative to an equal share (1 = a full
equal say); a member with less than an equal say is left out of a decision with
probability ``1 - voice`` and then trusts the deciders less.
"""

from __future__ import annotations

import numpy as np


def lead_agency_index(budget: np.ndarray, community: np.ndarray) -> int:
    """The lead agency is the institution with the largest budget (or the largest member if there is none)."""
    institutional = np.where(~community, budget, -np.inf)
    if np.isfinite(institutional).any():
        return int(np.argmax(institutional))
    return int(np.argmax(budget))


def authority(active: np.ndarray, community: np.ndarray, mode: str, community_share: float,
              lead_share: float, lead: int) -> np.ndarray:
    """Formal decision authority of each member; sums to 1 over active members."""
    weights = np.zeros(active.size)
    community_members = active & community
    institutions = active & ~community
    n_community = int(community_members.sum())
    n_institutions = int(institutions.sum())
    if n_community == 0 and n_institutions == 0:
        return weights
    if n_community == 0:
        community_share = 0.0
    elif n_institutions == 0:
        community_share = 1.0
    weights[community_members] = community_share / max(n_community, 1)
    institutional_share = 1.0 - community_share
    if mode == "lead_agency" and institutions[lead] and n_institutions > 1:
        weights[institutions] = institutional_share * (1.0 - lead_share) / (n_institutions - 1)
        weights[lead] = institutional_share * lead_share
    elif n_institutions:
        weights[institutions] = institutional_share / n_institutions
    return weights


def voice(weights: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Authority relative to an equal share, capped at 1 (a full equal say)."""
    n_active = int(active.sum())
    return np.where(active, np.minimum(weights * n_active, 1.0), 0.0)


def deliberation(voices: np.ndarray, community: np.ndarray, capacity: np.ndarray, inclusion_cost: float, mode: str) -> float:
    """Voices at the table, counting the extra time inclusion of community voices takes.

    A community voice weighs ``1 + inclusion_cost * (1 - capacity)``: orientation,
    translation and different ways of knowing take time, less of it as the
    organization's capacity grows through taking part. Under a lead agency the
    lead prepares decisions, so every voice at the table weighs half. If the lead
    agency leaves, authority is split among the remaining institutions equally.
    """
    weighted = float(np.sum(voices * (1.0 + inclusion_cost * community * (1.0 - capacity))))
    return 0.5 * weighted if mode == "lead_agency" else weighted


def decision_efficiency(voices_at_table: float, deliberation_capacity: float, backbone_staffed: bool) -> float:
    """Share of work time not lost to deciding: 1 / (1 + (voices / capacity)^2).

    A staffed backbone convenes and prepares, so the table holds half again as many voices.
    """
    capacity = deliberation_capacity * (1.5 if backbone_staffed else 1.0)
    return 1.0 / (1.0 + (voices_at_table / capacity) ** 2)


def meeting_load(voices_heard: float, meeting_time: float, backbone_staffed: bool) -> float:
    """Staff time each member spends in meetings per month, per voice heard; a backbone's staff carry half of it."""
    return meeting_time * voices_heard * (0.5 if backbone_staffed else 1.0)


def exclusion(voices: np.ndarray, active: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Members left out of this month's decision: chance ``1 - voice``."""
    return active & (draws < 1.0 - voices)


def exclusion_trust_loss(exclusion_loss: float, mutual_respect: float) -> float:
    """Trust an excluded member loses in the deciders: mutual respect reveals and heals the hurt (seed 000)."""
    return exclusion_loss * (1.0 - mutual_respect)


def dominance(weights: np.ndarray, active: np.ndarray) -> np.ndarray:
    """How much each member is one of the deciders: authority above an equal share, scaled so the top is 1."""
    n_active = int(active.sum())
    if n_active == 0:
        return np.zeros_like(weights)
    excess = np.where(active, np.maximum(weights - 1.0 / n_active, 0.0), 0.0)
    top = excess.max()
    return excess / top if top > 0 else excess
