"""Typed, validated model parameters with defaults, ranges, units and sources.

Parameters form a tree of frozen dataclasses, one per section of a scenario
file. Each field carries its allowed range (or choices), a one-line meaning
and the source it comes from, so that validation, ``docs/ODD.md`` and the
command line all read the same table. Unknown keys, wrong types and values
out of range raise :class:`sim.errors.ScenarioError`, whether the parameters come
from a file (:func:`from_dict`) or are built directly (``Params(steps=0)``,
``dataclasses.replace``): every section checks its values when it is built, with
the same ranges and messages (:func:`_validate_on_build`). Parameters are frozen,
hold tuples rather than lists, and are hashable.

Policy levers (what a funder or a partnership chooses: ``funding``,
``governance``, ``partnership.advocacy``) and the uncertain world (initial
trust, public receptivity, competition) are kept in separate sections so that
the experiment layer can vary them apart.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from sim.errors import ScenarioError, raise_all
from sim.suggest import did_you_mean

LEVELS = ("networking", "coordinating", "cooperating", "collaborating")
PHASES = ("assessment", "demonstration", "advocacy", "scale")
SECTORS = ("grassroots", "nonprofit", "public_agency", "business", "beneficiary")
GOVERNANCE_MODES = ("lead_agency", "backbone", "shared")
ACCOUNTABILITY = ("hierarchical", "mutual")
# How a funder decides at a grant's end: never renews, renews by lot, or renews on the results it sees.
RENEWAL_RULES = ("none", "lottery", "results")
# How grant money is split among the members.
ALLOCATIONS = ("authority", "equal", "capacity", "community_first")
FUNDER_PRIORITIES = ("capacity", "community", "lottery")
# How the convener's champion leads (sim.rules.leadership): positional is the reference the others depart from.
LEADERSHIP_STYLES = ("positional", "collaborative", "expert", "charismatic")
# How a partnership brings its founding members to the table: all at once, or a core first and the rest one by one.
INCLUSIONS = ("all_at_once", "gradual")

# Named presets of the community's decision share (Himmelman n.d., "Working Together for Change"):
# betterment keeps beneficiaries as advisors with little authority; empowerment
# gives them authority equal to the institutions taken together.
POWER_SHARING_PRESETS = {"betterment": 0.1, "empowerment": 0.5}


# Where a parameter's value comes from (docs/ODD.md's tables, `partnersim params`):
#   calibrated        fitted to published coalition figures (calibration/coalitions.toml); the source gives the
#                     posterior summary, and the calibrated scenarios carry the fitted values
#   literature        the number itself is published; the source cites where ("number: ...")
#   assumption        our choice of a plausible value; docs/ODD.md gives the range explored (screening,
#                     robustness, calibration priors)
#   modelling choice  a unit, a normalization, a switch or a lever's reference setting: nothing to measure
# A source may name where the idea comes from ("idea: ..."), the seed documents included; a seed is never the
# origin of a number.
LABELS = ("calibrated", "literature", "assumption", "modelling choice")

# The source documents the model's ideas come from (the project's shared seeds/), by the short citation the
# sources use; the full references are in docs/ODD.md ("References").
SEED_DOCUMENTS = {
    "Himmelman n.d.": "Himmelman, A. T. (n.d.). Working Together for Change: Building Bridges from Service to Justice.",
    "Axner n.d.": "Axner, M. (n.d.). Promoting Coordination, Cooperative Agreements, and Collaborative Agreements "
                  "Among Agencies. Community Tool Box, University of Kansas.",
    "Himmelman 2016": "Himmelman, A. T. (2016). Community and Systems Change Collaboration: Challenges in Taking its "
                      "Best Outcomes to Scale.",
    "Schmitz 2014": "Schmitz, P. (2014, October 23). The Culture of Collective Impact. Collective Impact Forum.",
    "Working Together n.d.": "What Is Working Together? Lesson 1 About Working Together (n.d.; no author given).",
}


def param(default, *, low=None, high=None, choices=None, length=None, unit="", doc="", source="", label="",
          weights=False):
    """A dataclass field with validation metadata; ``label`` is one of :data:`LABELS`. ``weights`` marks a list of
    relative weights (normalized where used): scaling all of them changes nothing, only their proportions count."""
    meta = dict(low=low, high=high, choices=choices, length=length, unit=unit, doc=doc, source=source, label=label,
                weights=weights)
    if isinstance(default, list):  # held as a tuple, so that parameters are immutable and hashable
        default = tuple(default)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class SectorMix:
    """Relative weights of each sector among the members (normalised to sum 1)."""

    grassroots: float = param(0.15, low=0.0, high=1.0, doc="grassroots community groups", source="idea: Schmitz 2014 (who sits at the table)", label="assumption")
    nonprofit: float = param(0.35, low=0.0, high=1.0, doc="nonprofit service providers", source="idea: Schmitz 2014 (who sits at the table)", label="assumption")
    public_agency: float = param(0.15, low=0.0, high=1.0, doc="public agencies", source="idea: Himmelman 2016 (the public sector takes innovations to scale)", label="assumption")
    business: float = param(0.10, low=0.0, high=1.0, doc="businesses", source="idea: Schmitz 2014 (who sits at the table)", label="assumption")
    beneficiary: float = param(0.25, low=0.0, high=1.0,
                               doc="the intended beneficiaries' own organizations (residents, tenant and block associations)",
                               source="idea: Himmelman n.d. (the beneficiaries' own organizations)", label="assumption")


@dataclass(frozen=True)
class Organizations:
    count: int = param(12, low=2, high=1000, unit="organizations", doc="members of the partnership", source="a typical local coalition; idea: Axner n.d. (strength in numbers)", label="assumption")
    initial_trust: float = param(0.35, low=0.0, high=1.0, doc="mean initial trust between members; low values encode a history of distrust",
                                 source="idea: Schmitz 2014 ('people had distrust for years')", label="assumption")
    trust_spread: float = param(0.10, low=0.0, high=0.5, doc="standard deviation of initial trust across ordered pairs", source="the spread of a draw", label="modelling choice")
    history_spread: float = param(0.18, low=0.0, high=0.5,
                                  doc="standard deviation, across partnerships, of the shift of a whole partnership's initial trust (each community's own history)",
                                  source="idea: Schmitz 2014 ('people had distrust for years' in some communities)", label="assumption")
    size_spread: float = param(0.8, low=0.0, high=3.0, doc="log-normal spread of budgets around each sector's median", source="idea: Schmitz 2014 (the biggest players at the table)", label="assumption")
    identity_strength: float = param(0.2, low=0.0, high=1.0,
                                     doc="largest organizational pride: resistance to sharing turf that seems to demand giving up identity",
                                     source="idea: Axner n.d., Schmitz 2014 (organizational pride, turf)", label="assumption")
    self_selection: float = param(0.5, low=0.0, high=1.0,
                                  doc="least desire to partner among members who join on their own terms (a mandate brings in any)",
                                  source="idea: Axner n.d. (organizations choose whether to work together)", label="assumption")
    sector_mix: SectorMix = field(default_factory=SectorMix, metadata=dict(doc="share of members by sector"))


@dataclass(frozen=True)
class Trust:
    gain: float = param(0.05, low=0.0, high=1.0, doc="fraction of the distance to full trust closed by one kept commitment",
                        source="idea: trust is built slowly (Slovic 1993; Vangen & Huxham 2003)", label="assumption")
    loss: float = param(0.30, low=0.0, high=1.0, doc="fraction of trust lost on one broken commitment", source="idea: trust is lost faster than it is built (Slovic 1993, the asymmetry principle); the size of the asymmetry is ours", label="assumption")
    reliability: float = param(0.95, low=0.0, high=1.0, doc="probability an unstrained organization keeps a commitment", source="most commitments are kept when nothing strains an organization", label="assumption")
    exclusion_loss: float = param(0.10, low=0.0, high=1.0, doc="fraction of trust in the deciders lost when excluded from a decision",
                                  source="idea: Himmelman n.d., Schmitz 2014 (being left out of a decision)", label="assumption")
    rivalry_loss: float = param(0.10, low=0.0, high=1.0, doc="fraction of trust lost between same-sector rivals in one grant competition",
                                source="idea: Schmitz 2014 (competing for the same grants)", label="assumption")


@dataclass(frozen=True)
class Continuum:
    months_required: tuple = param([6, 12, 18], low=0, high=240, length=3, unit="months",
                                  doc="months at the level below before a pair may step up to coordinating, cooperating, collaborating",
                                  source="idea: Himmelman n.d., Axner n.d. (each step up takes time)", label="assumption")
    trust_required: tuple = param([0.35, 0.55, 0.75], low=0.0, high=1.0, length=3,
                                 doc="mutual trust needed for coordinating, cooperating, collaborating", source="idea: Himmelman n.d., Axner n.d. (each level needs more trust)", label="assumption")
    turf_required: tuple = param([0.0, 0.25, 0.45], low=0.0, high=1.0, length=3,
                                doc="willingness to share turf needed for coordinating, cooperating, collaborating", source="idea: Himmelman n.d. (a willingness to share turf)", label="assumption")
    time_cost: tuple = param([0.11, 0.33, 0.66, 1.1], low=0.0, high=10.0, length=4, unit="time units / month",
                            doc="staff time a member's ties cost it when all are at networking, coordinating, cooperating, collaborating (split evenly over its possible partners)",
                            source="idea: Himmelman n.d. (each level demands more time)", label="assumption")
    joint_work: tuple = param([0.1, 0.5, 1.0, 1.6], low=0.0, high=10.0, length=4,
                             doc="joint work a tie yields at each level (information, less duplication, shared resources, capacity)",
                             source="idea: Himmelman n.d., Axner n.d. (what each level brings)", label="assumption")
    interaction_rate: tuple = param([0.3, 0.6, 0.9, 1.0], low=0.0, high=1.0, length=4, unit="1 / month",
                                   doc="probability a pair exchanges commitments in a month, by level", source="idea: Axner n.d. (closer relationships meet more often)", label="assumption")
    climb_rate: float = param(0.3, low=0.0, high=1.0, unit="1 / month", doc="probability a pair that meets every requirement steps up",
                              source="the pace of a step up", label="modelling choice")
    fall_rate: float = param(0.5, low=0.0, high=1.0, unit="1 / month", doc="probability a pair that fails a requirement steps down",
                             source="the pace of a step down", label="modelling choice")
    hold_margin: float = param(0.1, low=0.0, high=1.0, doc="how far trust or turf may sink below a level's requirement before the pair falls",
                               source="hysteresis between stepping up and falling", label="modelling choice")
    purpose_mix: tuple = param([0.1, 0.3, 0.3, 0.3], low=0.0, high=1.0, length=4, weights=True,
                               doc="share of pairs whose joint purpose needs networking, coordinating, cooperating, collaborating (weights, normalized): a pair climbs to the level its purpose needs, not beyond",
                               source="idea: Himmelman n.d., Working Together n.d. (no level is better than another; partners choose the relationship their purpose needs)", label="assumption")
    purpose_growth: float = param(0.02, low=0.0, high=1.0, unit="1 / month",
                                  doc="monthly chance that a pair at the level its purpose needs finds a purpose that needs the next level (working together shows what more they could do)",
                                  source="working together shows what more partners could do", label="assumption")


@dataclass(frozen=True)
class Capacity:
    partner_gain: float = param(0.02, low=0.0, high=1.0, unit="1 / month",
                                doc="capacity gained per month from collaborating partners (enhancing each other's capacity)", source="idea: Himmelman n.d. (enhancing each other's capacity)", label="assumption")
    learning_rate: float = param(0.01, low=0.0, high=1.0, unit="1 / month",
                                 doc="capacity gained per month by taking part in decisions (mutual learning)", source="idea: Himmelman n.d. (mutual learning)", label="assumption")
    overextension_loss: float = param(0.05, low=0.0, high=1.0, unit="1 / month",
                                      doc="capacity lost per month per unit of relative overload (load / time budget - 1)", source="idea: Himmelman n.d. (over-extension fosters incompetence)", label="assumption")
    recovery: float = param(0.02, low=0.0, high=1.0, unit="1 / month", doc="drift of capacity back toward its starting value",
                            source="drift back to the starting capacity", label="modelling choice")


@dataclass(frozen=True)
class Funding:
    grant_months: int = param(36, low=0, high=600, unit="months", doc="length of one grant", source="number: the three-year seed grants of Communities That Care (Feinberg, Bontempo & Greenberg 2008) and of HCAP (ASPE/NORC 2012); a lever", label="literature")
    monthly_amount: float = param(30000.0, low=0.0, high=1e9, unit="$ / month", doc="grant money per month", source="a lever (the HCAP grants came to about $60,000 a month, ASPE/NORC 2012); idea: Himmelman 2016", label="assumption")
    dollars_per_time_unit: float = param(10000.0, low=1.0, high=1e9, unit="$",
                                         doc="what one unit of partnership staff time costs per month", source="a unit conversion", label="modelling choice")
    renewal: str = param("lottery", choices=RENEWAL_RULES,
                         doc="how the funder decides at a grant's end: never renews (none), renews with renewal_probability (lottery), or with renewal_probability times the partnership's results and its goodwill (results)",
                         source="a lever; idea: Schmitz 2014 (funders 'walking away'); results: ASPE/NORC 2012", label="modelling choice")
    renewal_probability: float = param(0.0, low=0.0, high=1.0, doc="probability the funder renews at each grant's end (under results: at full results)", source="number: the HCAP grants ended without renewal (ASPE/NORC 2012); a lever", label="literature")
    budget: float = param(0.0, low=0.0, high=1e12, unit="$",
                          doc="dollars the funder can commit over the run, renewals included (in a region, over all its calls); a grant is committed whole or not at all; 0: no limit",
                          source="0: no limit", label="modelling choice")
    allocation: str = param("authority", choices=ALLOCATIONS,
                            doc="how grant money is split: by decision authority, equally, by capacity, or community first (community organizations' unmet staff time is paid first, the rest equally)",
                            source="a lever; idea: Himmelman n.d. (who decides controls the resources)", label="modelling choice")
    mandated: bool = param(False, doc="the funder requires the partnership as a condition of money", source="a lever; idea: Axner n.d. (partnerships a funder requires)", label="modelling choice")
    mandate_pressure: float = param(0.6, low=0.0, high=1.0,
                                    doc="fraction by which a mandate cuts the months and turf (and half as much the trust) needed to step up to coordinating and cooperating while the money flows",
                                    source="idea: Axner n.d. (partnerships a funder requires)", label="assumption")
    expectation_ratio: float = param(1.0, low=0.25, high=5.0,
                                     doc="expected deliverables over resources; above 1 is doing more with less", source="1: expectations match resources (the reference); a lever; idea: Himmelman n.d. (doing more with less)", label="modelling choice")
    competition: float = param(0.2, low=0.0, high=1.0, doc="monthly chance that two same-sector members compete for the same grant in an isolated-impact funding climate; also raises the turf they guard",
                               source="idea: Schmitz 2014 (an increasingly competitive funding environment)", label="assumption")
    accountability: str = param("hierarchical", choices=ACCOUNTABILITY,
                                doc="hierarchical: the funder sets reporting; mutual: partners account to each other", source="a lever; idea: Himmelman n.d. (mutual accountability)", label="modelling choice")
    reporting_burden: float = param(0.05, low=0.0, high=1.0, unit="time units / month",
                                    doc="staff time each member spends reporting to the funder under hierarchical accountability",
                                    source="idea: Himmelman n.d. (accountability to the funder)", label="assumption")


@dataclass(frozen=True)
class OtherFunders:
    """The other funders a partnership can turn to as its grants run out (sustainability planning: diversifying funds).

    ``count`` funders alike, each funding a partnership at most once at a time; 0 turns them off.
    """

    count: int = param(0, low=0, high=10, unit="funders", doc="other funders a partnership can apply to", source="0: off (sustained HCAP coalitions had more funding sources, ASPE/NORC 2012)", label="modelling choice")
    monthly_amount: float = param(10000.0, low=0.0, high=1e9, unit="$ / month", doc="grant money per month from one of them",
                                  source="smaller than a founding grant", label="assumption")
    grant_months: int = param(24, low=1, high=600, unit="months", doc="length of one of their grants", source="shorter than a founding grant", label="assumption")
    budget: float = param(0.0, low=0.0, high=1e12, unit="$",
                          doc="dollars each of them can commit over the run (in a region, to all partnerships together); 0: no limit",
                          source="0: no limit", label="modelling choice")
    award_rate: float = param(0.1, low=0.0, high=1.0, unit="1 / month",
                              doc="monthly chance that an application succeeds for a partnership with full results and goodwill",
                              source="a tenth of applications succeed a month at full results", label="assumption")
    planning_months: int = param(12, low=0, high=600, unit="months",
                                 doc="months before its grant money runs out that a partnership starts applying (0: no sustainability planning)",
                                 source="idea: sustainability planning predicted survival (Feinberg, Bontempo & Greenberg 2008)", label="assumption")


@dataclass(frozen=True)
class Leadership:
    """People: the convener's key person (the champion) and each member's liaison; their turnover, and what leaves
    with them."""

    turnover: float = param(0.012, low=0.0, high=1.0, unit="1 / month",
                            doc="monthly chance that the convener's champion leaves (0.012: about one in seven a year)",
                            source="executive turnover of the order of 10-20% a year; no source gives the figure for conveners", label="assumption")
    champion_capacity: float = param(0.3, low=0.0, high=1.0,
                                     doc="share of the convener's capacity that leaves with its champion (it drifts back over the following months)",
                                     source="what leaves with a key person", label="assumption")
    trust_in_person: float = param(0.2, low=0.0, high=1.0,
                                   doc="share of partners' trust that leaves with a person who leaves: the convener's champion, or a member's liaison (they trusted the person)",
                                   source="partners trusted the person", label="assumption")
    liaison_turnover: float = param(0.015, low=0.0, high=1.0, unit="1 / month",
                                    doc="monthly chance that a member's liaison to the partnership (the person who comes to the table) changes",
                                    source="staff turnover in nonprofits of the order of 10-20% a year; no source gives the figure for liaisons", label="assumption")
    vacancy_months: float = param(6.0, low=1.0, high=120.0, unit="months",
                                  doc="mean months until a successor champion takes over", source="half a year to find a successor", label="assumption")
    style: str = param("positional", choices=LEADERSHIP_STYLES,
                       doc="how the convener's champion leads: positional (from its organization's place; the reference), collaborative (builds trust and brings community voices in, launches slower), expert (launches faster), charismatic (launches fastest; more leaves with the person)",
                       source="a lever; idea: Himmelman n.d. (expert, positional, collaborative), Schmitz 2014 (charismatic launching), Chrislip & Larson 1994", label="modelling choice")
    style_effect: float = param(0.5, low=0.0, high=2.0,
                                doc="how far a style departs from positional leadership: a collaborative champion's kept commitments build 1 + style_effect times the trust and a community voice needs 1 / (1 + style_effect) of the extra deliberation; a charismatic founder launches 1 + style_effect times as fast (an expert half that) and takes 1 + 2 style_effect times as much trust and capacity when leaving",
                                source="how far a style departs from positional leadership", label="assumption")


@dataclass(frozen=True)
class Governance:
    mode: str = param("shared", choices=GOVERNANCE_MODES, doc="lead agency, backbone organization or shared governance",
                      source="a lever; idea: Schmitz 2014 (backbone organizations); Provan & Kenis 2008", label="modelling choice")
    power_sharing: str = param("custom", choices=("betterment", "empowerment", "custom"),
                               doc="preset of community_decision_share (betterment 0.1, empowerment 0.5)", source="a lever; the presets name Himmelman n.d.'s betterment and empowerment", label="modelling choice")
    community_decision_share: float = param(0.25, low=0.0, high=1.0,
                                            doc="share of formal decision authority held by community organizations", source="a lever; idea: Himmelman n.d., Schmitz 2014 (who holds decision authority)", label="assumption")
    lead_share: float = param(0.5, low=0.0, high=1.0,
                              doc="share of the institutions' authority held by the lead agency (lead_agency mode)", source="idea: Schmitz 2014 (a steering committee of the influential)", label="assumption")
    deliberation_capacity: float = param(20.0, low=1.0, high=1000.0, unit="voices",
                                         doc="weighted voices at the table at which deciding halves the work done", source="idea: Schmitz 2014 (keeping everyone at the table takes work)", label="assumption")
    inclusion_cost: float = param(1.6, low=0.0, high=10.0,
                                  doc="extra deliberation a community voice with no capacity needs (orientation, translation, different ways of knowing)",
                                  source="idea: Himmelman n.d., Schmitz 2014 (inclusion is work)", label="assumption")
    meeting_time: float = param(0.004, low=0.0, high=1.0, unit="time units / voice / month",
                                doc="staff time each member spends in meetings per month, per member voice heard (unweighted)", source="idea: Schmitz 2014 (continuous communication means meetings)", label="assumption")
    mutual_respect: float = param(0.0, low=0.0, high=1.0,
                                  doc="respect that lets partners reveal and heal the hurt of being left out of a decision",
                                  source="0: off; a lever; idea: Himmelman n.d. (fostering mutual respect)", label="modelling choice")
    backbone_share: float = param(0.15, low=0.0, high=1.0, doc="share of the grant paying the backbone's dedicated staff", source="idea: Schmitz 2014 (the backbone's dedicated staff)", label="assumption")
    lead_deliberation: float = param(0.5, low=0.0, high=1.0,
                                     doc="how much each voice weighs at the table under a lead agency, which prepares the decisions (1: as under shared governance)",
                                     source="what a lead agency's preparation saves; idea: Provan & Kenis 2008 (a lead organization centralizes decisions); the lead agency's advantage in large partnerships rests on it", label="assumption")
    backbone_deliberation: float = param(1.5, low=1.0, high=10.0,
                                         doc="how many times as many voices the table holds while a staffed backbone convenes and prepares (1: no help)",
                                         source="what backbone staff save; idea: Schmitz 2014 (the backbone's dedicated staff)", label="assumption")


@dataclass(frozen=True)
class CollectiveImpact:
    common_agenda: float = param(0.0, low=0.0, high=1.0, doc="shared vision: lowers the turf members guard", source="0: off; a lever; idea: Schmitz 2014 (the conditions of collective impact)", label="modelling choice")
    shared_measurement: float = param(0.0, low=0.0, high=1.0, doc="common data: more evidence from the same work", source="0: off; a lever; idea: Schmitz 2014 (the conditions of collective impact)", label="modelling choice")
    mutually_reinforcing: float = param(0.0, low=0.0, high=1.0, doc="aligned activities: more joint work per tie", source="0: off; a lever; idea: Schmitz 2014 (the conditions of collective impact)", label="modelling choice")
    continuous_communication: float = param(0.0, low=0.0, high=1.0, doc="more frequent exchanges between partners", source="0: off; a lever; idea: Schmitz 2014 (the conditions of collective impact)", label="modelling choice")
    learning_culture: float = param(0.0, low=0.0, high=1.0, doc="learning from failure: a broken commitment costs less trust",
                                    source="0: off; a lever; idea: Schmitz 2014 (learning from failure)", label="modelling choice")
    same_standards: float = param(0.0, low=0.0, high=1.0,
                                  doc="everyone held to the same standard: hedging on what a level demands is called out",
                                  source="0: off; a lever; idea: Schmitz 2014 (everyone held to the same standard)", label="modelling choice")


@dataclass(frozen=True)
class PublicSector:
    receptivity: float = param(0.5, low=0.0, high=1.0, doc="the public sector's openness to adopt a demonstrated innovation", source="idea: Himmelman 2016 (scale through the public sector)", label="assumption")
    adoption_rate: float = param(0.1, low=0.0, high=1.0, unit="1 / month",
                                 doc="monthly chance of adoption for a fully receptive public sector and a finished policy case",
                                 source="idea: Himmelman 2016 (scale through the public sector)", label="assumption")
    takeover_share: float = param(0.5, low=0.0, high=10.0,
                                  doc="once the innovation is adopted, the public budget pays the partnership this share of its founding grant's monthly amount, for good (institutionalization)",
                                  source="idea: Himmelman 2016 (scale through the public sector)", label="assumption")


@dataclass(frozen=True)
class Partnership:
    advocacy: float = param(0.3, low=0.0, high=1.0, doc="share of effort given to policy advocacy once there is evidence", source="a lever; idea: Himmelman 2016 (policy advocacy, the least supported goal)", label="assumption")
    assessment_work: float = param(0.7, low=0.0, high=1000.0, doc="joint work needed to finish the needs and resources assessment",
                                   source="calibrated: posterior median 0.34 (90%: 0.224–0.631) on ctc_like and hcap_like (results/calibration/coalitions; docs/TRACE.md); the default is the earlier hand-set value (outside that interval), which the shipped scenarios keep (docs/CALIBRATION.md, 'Measured'); idea: Himmelman 2016 (the needs and resources assessment)", label="calibrated")
    demonstration_work: float = param(4.0, low=0.01, high=1000.0, doc="joint work needed to demonstrate an innovation", source="idea: Himmelman 2016 (demonstrating an innovation)", label="assumption")
    policy_work: float = param(5.0, low=0.01, high=1000.0, doc="advocacy work that makes a full policy case", source="idea: Himmelman 2016 (policy advocacy)", label="assumption")
    duplicate_returns: float = param(0.5, low=0.0, high=1.0,
                                     doc="what further members of a sector already at the table add: a sector's resources are its active members' summed capacity to this power (1: each adds in full; 0: a sector counts once, whatever its members bring)",
                                     source="distinct sectors add more than duplicates; idea: Axner n.d. (strength in numbers, multisector reach)", label="assumption")
    reference_scope: float = param(5.0, low=0.1, high=1000.0,
                                   doc="the scope (the sectors' resources summed) at which a partnership's joint work equals its ties' mean work; 5 is about the scope of the default twelve members",
                                   source="a normalization, but not a neutral one: the screening finds it among those that decide every outcome of ctc_like but trust (results/screening/screening)", label="assumption")
    min_members: int = param(3, low=2, high=1000, doc="fewer active members than this and the partnership has collapsed",
                             source="number: three or more organizations still collaborating, HCAP's definition of a sustained coalition (ASPE/NORC 2012)", label="literature")
    close_on_success: float = param(0.03, low=0.0, high=1.0, unit="1 / month",
                                    doc="monthly chance that a partnership whose innovation is at scale decides its goals are met and closes",
                                    source="calibrated: posterior median 0.0184 (90%: 0.00416–0.0809) on ctc_like and hcap_like (results/calibration/coalitions; docs/TRACE.md); the default is the earlier hand-set value (inside that interval), which the shipped scenarios keep (docs/CALIBRATION.md, 'Measured'); idea: a third of the HCAP coalitions that ended had met their goals (ASPE/NORC 2012)", label="calibrated")
    core_share: float = param(0.5, low=0.0, high=1.0,
                              doc="members at the table (founding or joined later), as a share of the number it was founded with, that a partnership still doing joint work needs to count as a functioning core (sustained) rather than a remnant",
                              source="what 'still operating' means: half as many members as it was founded with, still at work", label="assumption")
    advocacy_risk: float = param(0.05, low=0.0, high=1.0, unit="1 / month",
                                 doc="monthly chance of a backlash against full advocacy before a closed public sector (scaled by advocacy and by 1 - receptivity)",
                                 source="idea: Himmelman 2016 (advocacy is risky)", label="assumption")
    backlash_cost: float = param(0.3, low=0.0, high=1.0,
                                 doc="share of the funders' and the public sector's goodwill a backlash costs",
                                 source="what a backlash costs", label="assumption")


@dataclass(frozen=True)
class Membership:
    tie_value: float = param(1.8, low=0.0, high=100.0, doc="worth of the joint work an organization's ties give it", source="calibrated: posterior median 2.5 (90%: 0.709–3.97) on ctc_like and hcap_like (results/calibration/coalitions; docs/TRACE.md); the default is the earlier hand-set value (inside that interval), which the shipped scenarios keep (docs/CALIBRATION.md, 'Measured'); idea: Himmelman n.d. (what working together brings)", label="calibrated")
    voice_value: float = param(0.15, low=0.0, high=100.0, doc="worth of having a say (ownership rather than buy-in)", source="idea: Schmitz 2014 (ownership rather than buy-in)", label="assumption")
    funding_value: float = param(0.8, low=0.0, high=100.0,
                                 doc="worth of the grant money an organization receives, by how much it depends on it (its share of the organization's income)",
                                 source="calibrated: posterior median 0.716 (90%: 0.0367–1.78) on ctc_like and hcap_like (results/calibration/coalitions; docs/TRACE.md); the default is the earlier hand-set value (inside that interval), which the shipped scenarios keep (docs/CALIBRATION.md, 'Measured'); idea: Axner n.d.; resource dependence (Pfeffer & Salancik 1978)", label="calibrated")
    leadership_value: float = param(0.2, low=0.0, high=100.0,
                                    doc="worth of a convener that convenes (sets the agenda, prepares, follows up), at full capacity with its champion",
                                    source="idea: Schmitz 2014 (a backbone that keeps everyone at the table)", label="assumption")
    stall_value: float = param(0.4, low=0.0, high=100.0,
                               doc="cost of seeing no progress: weighs once the assessment has taken longer than launch_patience, growing to its full value at twice that",
                               source="calibrated: posterior median 0.651 (90%: 0.121–1.33) on ctc_like and hcap_like (results/calibration/coalitions; docs/TRACE.md); the default is the earlier hand-set value (inside that interval), which the shipped scenarios keep (docs/CALIBRATION.md, 'Measured'); idea: partnerships often stall in assessment (docs/CONCEPTS.md)", label="calibrated")
    launch_patience: int = param(15, low=1, high=600, unit="months",
                                 doc="months members give the needs and resources assessment before the lack of progress weighs on them",
                                 source="calibrated: posterior median 15.3 (90%: 7.31–27.2) on ctc_like and hcap_like (results/calibration/coalitions; docs/TRACE.md); the default is the earlier hand-set value (inside that interval), which the shipped scenarios keep (docs/CALIBRATION.md, 'Measured'); idea: Quinby et al. 2008 (the first phases of Communities That Care in about 18 months)", label="calibrated")
    outcome_value: float = param(0.55, low=0.0, high=100.0,
                                 doc="worth of the community outcome to its own organizations (institutions value it at a third)",
                                 source="idea: Schmitz 2014 (the community owns the outcome)", label="assumption")
    time_value: float = param(0.6, low=0.0, high=100.0, doc="cost of the time the partnership takes, relative to the time budget",
                              source="calibrated: posterior median 0.396 (90%: 0.154–0.719) on ctc_like and hcap_like (results/calibration/coalitions; docs/TRACE.md); the default is the earlier hand-set value (inside that interval), which the shipped scenarios keep (docs/CALIBRATION.md, 'Measured'); idea: Himmelman n.d. (each level demands more time)", label="calibrated")
    letdown_value: float = param(1.0, low=0.0, high=100.0,
                                 doc="cost of partners' broken commitments, per commitment broken, per possible partner",
                                 source="idea: Axner n.d. (partners who do not follow through)", label="assumption")
    ownership_time: float = param(1.85, low=0.0, high=10.0,
                                  doc="extra own time a community organization with a full say gives, as a multiple of its staff time",
                                  source="idea: Schmitz 2014 (a community that owns the work gives its own time)", label="assumption")
    memory: float = param(0.8, low=0.0, high=0.99, doc="weight of past satisfaction in the running satisfaction", source="a running average", label="modelling choice")
    leave_rate: float = param(0.15, low=0.0, high=1.0, unit="1 / month", doc="probability a dissatisfied member walks away in a month",
                              source="idea: Schmitz 2014 (keeping everyone at the table)", label="assumption")
    pool: int = param(4, low=0, high=1000, unit="organizations",
                      doc="organizations beyond the founding members that the partnership can invite when it needs members (drawn like them, with the same sector mix)",
                      source="who else is around to join", label="assumption")
    inclusion: str = param("all_at_once", choices=INCLUSIONS,
                           doc="all_at_once: every founding member is at the table from the start; gradual: a core (the convener and the founding members who trust it most) starts, and the other founding members are invited one at a time",
                           source="a lever; idea: Johnston, Hicks, Nan & Auer 2011 (compare the two)", label="modelling choice")
    core_size: int = param(4, low=2, high=1000, unit="organizations",
                           doc="under gradual inclusion, the founding members at the table from the start (the convener among them)",
                           source="a small starting core", label="assumption")
    invite_rate: float = param(0.3, low=0.0, high=1.0, unit="1 / month",
                               doc="monthly chance that a partnership which needs members (fewer than organizations.count, or a founding sector no longer at the table) invites one, times how fully its convener convenes",
                               source="how quickly a partnership fills a seat", label="assumption")


@dataclass(frozen=True)
class Community:
    outcome_gain: float = param(0.23, low=0.0, high=10.0, doc="community outcome gained per unit of program work", source="the outcome's scale; idea: Schmitz 2014 (moving the needle)", label="assumption")
    reach_without_community: float = param(0.25, low=0.0, high=1.0,
                                           doc="share of program work that reaches the community when none of its own organizations take part",
                                           source="idea: Schmitz 2014 (programmes that miss the community)", label="assumption")
    outcome_decay: float = param(0.02, low=0.0, high=1.0, unit="1 / month", doc="monthly loss of the community outcome without upkeep",
                                 source="an outcome needs upkeep", label="modelling choice")
    public_upkeep: float = param(0.05, low=0.0, high=1.0, unit="1 / month",
                                 doc="community outcome the public sector delivers per month once an innovation is at scale",
                                 source="idea: Himmelman 2016 (scale through the public sector)", label="assumption")


@dataclass(frozen=True)
class Ecosystem:
    """A region of organizations among which partnerships form and dissolve (off while ``organizations`` is 0).

    With an ecosystem, ``organizations.count`` is the size a convener aims for and every other
    section describes each partnership; this section describes the region and the funder's calls.
    """

    organizations: int = param(0, low=0, high=100_000, unit="organizations",
                               doc="organizations in the region; 0: no ecosystem, one partnership of organizations.count members",
                               source="0: a single partnership", label="modelling choice")
    acquaintances: float = param(12.0, low=0.0, high=200.0, unit="organizations",
                                 doc="mean number of other organizations each one knows (who knows whom at the start)",
                                 source="who knows whom", label="modelling choice")
    neighbourhood_size: int = param(200, low=2, high=100_000, unit="organizations",
                                    doc="organizations per neighbourhood; most acquaintances are local", source="who knows whom", label="modelling choice")
    local_share: float = param(0.8, low=0.0, high=1.0, doc="share of acquaintances in an organization's own neighbourhood",
                               source="who knows whom", label="modelling choice")
    call_months: int = param(12, low=1, high=600, unit="months", doc="months between the funder's calls for proposals",
                             source="a yearly call", label="modelling choice")
    grants_per_call: int = param(5, low=0, high=10_000, doc="partnerships the funder funds at each call",
                                 source="a funder's reach", label="modelling choice")
    calls: int = param(0, low=0, high=6000,
                       doc="calls the funder makes (0: one every call_months to the end of the run); fewer calls leave every cohort time to show its fate",
                       source="0: calls to the end of the run", label="modelling choice")
    funder_priority: str = param("capacity", choices=FUNDER_PRIORITIES,
                                 doc="which proposals the funder reads first: the strongest (capacity), those of community organizations (community, then capacity), or by lot (lottery)",
                                 source="a lever; idea: Schmitz 2014 (not just the biggest players at the table)", label="modelling choice")
    invite_trust: float = param(0.3, low=0.0, high=1.0,
                                doc="least trust a convener places in an acquaintance it invites (a mandate ignores it)",
                                source="idea: Axner n.d. (starting with those one trusts)", label="assumption")
    referrals: bool = param(True,
                            doc="whether a convener that has not filled its partnership from its own acquaintances asks those who accepted to bring in the acquaintances they trust (partners of partners); false: the convener's first circle only",
                            source="partners of partners", label="assumption")
    max_partnerships: int = param(3, low=1, high=100, unit="partnerships",
                                  doc="live partnerships an organization may belong to at once; its own staff time is split evenly among them, so one in three is stretched",
                                  source="idea: Himmelman n.d. (over-extended organizations); the even split among partnerships is ours", label="assumption")


@dataclass(frozen=True)
class Params:
    """All parameters of one run. Build with :func:`from_dict`, never by hand-mutating."""

    description: str = param("", doc="what this scenario represents", source="a scenario's own words", label="modelling choice")
    steps: int = param(120, low=1, high=6000, unit="months", doc="months to simulate", source="ten years; each scenario sets the span its question needs", label="modelling choice")
    seed: int = param(1, low=0, high=2**63 - 1, doc="seed of the model's numpy Generator", source="the random stream; results are reported over many seeds", label="modelling choice")
    organizations: Organizations = field(default_factory=Organizations)
    trust: Trust = field(default_factory=Trust)
    continuum: Continuum = field(default_factory=Continuum)
    capacity: Capacity = field(default_factory=Capacity)
    funding: Funding = field(default_factory=Funding)
    other_funders: OtherFunders = field(default_factory=OtherFunders)
    leadership: Leadership = field(default_factory=Leadership)
    governance: Governance = field(default_factory=Governance)
    collective_impact: CollectiveImpact = field(default_factory=CollectiveImpact)
    public_sector: PublicSector = field(default_factory=PublicSector)
    partnership: Partnership = field(default_factory=Partnership)
    membership: Membership = field(default_factory=Membership)
    community: Community = field(default_factory=Community)
    ecosystem: Ecosystem = field(default_factory=Ecosystem)


def _type_name(tp) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string", tuple: "a list"}.get(tp, tp.__name__)


def _allowed(meta: dict, tp) -> str:
    if meta.get("choices"):
        return " | ".join(meta["choices"])
    low, high = meta.get("low"), meta.get("high")
    if low is not None and high is not None:
        span = f"{low} to {high}"
        if tp is tuple:
            return f"a list of {meta['length']} numbers, each {span}"
        return f"{_type_name(tp)} from {span}"
    return _type_name(tp)


def _coerce_scalar(value, tp, meta, source, key):
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(source, key, f"expected true or false, got {value!r}", "true | false")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(source, key, f"expected a string, got {value!r}", _allowed(meta, tp))
        if meta.get("choices") and value not in meta["choices"]:
            raise ScenarioError(source, key, f"unknown value {value!r}", _allowed(meta, tp))
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(source, key, f"expected an integer, got {value!r}", _allowed(meta, tp))
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(source, key, f"expected a number, got {value!r}", _allowed(meta, tp))
        try:
            value = float(value)
        except OverflowError:
            raise ScenarioError(source, key, f"{value!r} is out of range", _allowed(meta, tp)) from None
        if not math.isfinite(value):
            raise ScenarioError(source, key, f"expected a finite number, got {value!r}", _allowed(meta, tp))
    low, high = meta.get("low"), meta.get("high")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ScenarioError(source, key, f"{value!r} is out of range", _allowed(meta, tp))
    return value


def _build(cls, data: Any, source: str, prefix: str, errors: list | None = None, root=None):
    """``cls`` from ``data``; with an ``errors`` list, every mistake is added to it (and ``None`` returned if any
    was found here) rather than the first raised, so that a file's mistakes are all reported at once."""
    collect = errors is not None
    errors = [] if errors is None else errors
    found = len(errors)
    root = root or cls
    if not isinstance(data, dict):
        errors.append(ScenarioError(source, prefix, f"expected a table, got {data!r}", "a table of keys"))
        return _raised_or_none(errors, found, collect)
    fields, hints = _fields_and_hints(cls)
    for name in sorted(set(data) - set(fields)):
        key = f"{prefix}.{name}" if prefix else name
        errors.append(ScenarioError(source, key, "unknown key" + did_you_mean(name, cls, prefix, root), ", ".join(sorted(fields))))
    values = {}
    for name, value in data.items():
        if name not in fields:
            continue
        key = f"{prefix}.{name}" if prefix else name
        tp, section = hints[name]
        try:
            if section:
                values[name] = _build(tp, value, source, key, errors, root)
            elif tp is not tuple and _plainly_valid(value, tp, fields[name].metadata):
                values[name] = value  # the common case, without building the words of an error
            else:
                values[name] = _coerce_value(value, tp, fields[name], source, key)
        except ScenarioError as error:
            errors.append(error)
    if len(errors) > found:
        return _raised_or_none(errors, found, collect)
    # Each value is checked already; building the section checks only how they agree, and blames ``source``.
    tokens = _SOURCE.set(source), _VALUES_CHECKED.set(True)
    try:
        return cls(**values)
    finally:
        _SOURCE.reset(tokens[0])
        _VALUES_CHECKED.reset(tokens[1])


def _element_type(f: dataclasses.Field) -> type:
    """The type of a list parameter's elements: integers if its default holds only integers, else numbers."""
    return int if all(isinstance(x, int) and not isinstance(x, bool) for x in f.default) else float


def _coerce_value(value, tp, f: dataclasses.Field, source: str, key: str):
    """One parameter's value, checked against its field and coerced (a list to a tuple, an integer to a float)."""
    meta = f.metadata
    if tp is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != meta["length"]:
            raise ScenarioError(source, key, f"expected a list of {meta['length']} numbers, got {value!r}", _allowed(meta, tp))
        element = _element_type(f)
        return tuple(x if _plainly_valid(x, element, meta) else _coerce_scalar(x, element, meta, source, key)
                     for x in value)
    return _coerce_scalar(value, tp, meta, source, key)


def _raised_or_none(errors: list, found: int, collect: bool):
    if not collect:
        raise_all(errors[found:])
    return None


def _check_consistency(params: Params, source: str) -> None:
    """Raise every inconsistency between parameters at once (one :class:`ScenarioError` or :class:`ScenarioErrors`)."""
    errors = []
    governance = params.governance
    preset = POWER_SHARING_PRESETS.get(governance.power_sharing)
    if preset is not None and governance.community_decision_share != preset:
        errors.append(ScenarioError(source, "governance.power_sharing",
                                    f"{governance.power_sharing!r} sets community_decision_share to {preset}, not "
                                    f"{governance.community_decision_share}",
                                    "the preset's share, or power_sharing = \"custom\" with any share"))
    continuum = params.continuum
    if any(b < a for a, b in zip(continuum.trust_required, continuum.trust_required[1:])):
        errors.append(ScenarioError(source, "continuum.trust_required", f"{continuum.trust_required} must not decrease up the continuum",
                                    "non-decreasing values from 0 to 1"))
    if any(b < a for a, b in zip(continuum.turf_required, continuum.turf_required[1:])):
        errors.append(ScenarioError(source, "continuum.turf_required", f"{continuum.turf_required} must not decrease up the continuum",
                                    "non-decreasing values from 0 to 1"))
    if sum(continuum.purpose_mix) <= 0:
        errors.append(ScenarioError(source, "continuum.purpose_mix", "all weights are zero", "at least one weight above 0"))
    if params.membership.inclusion == "gradual" and params.membership.core_size > params.organizations.count:
        errors.append(ScenarioError(source, "membership.core_size",
                                    f"{params.membership.core_size} is more than organizations.count ({params.organizations.count})",
                                    "an integer from 2 to organizations.count"))
    if sum(dataclasses.astuple(params.organizations.sector_mix)) <= 0:
        errors.append(ScenarioError(source, "organizations.sector_mix", "all weights are zero", "at least one weight above 0"))
    if params.partnership.min_members > params.organizations.count:
        errors.append(ScenarioError(source, "partnership.min_members",
                                    f"{params.partnership.min_members} is more than organizations.count ({params.organizations.count})",
                                    "an integer from 2 to organizations.count"))
    region = params.ecosystem.organizations
    if region and region < params.organizations.count:
        errors.append(ScenarioError(source, "ecosystem.organizations",
                                    f"{region} is fewer than organizations.count ({params.organizations.count}), the size a convener aims for",
                                    "0 (no ecosystem) or an integer from organizations.count to 100000"))
    raise_all(errors)


def from_dict(data: dict, source: str = "<scenario>") -> Params:
    """Validate a nested dict (as read from TOML) into :class:`Params`.

    ``governance.power_sharing`` names a preset of
    ``governance.community_decision_share``; a share given explicitly wins, and
    the preset name is then recorded as ``custom`` unless the two agree.
    """
    if not isinstance(data, dict):
        raise ScenarioError(source, "", f"expected a table of parameters, got {type(data).__name__}", "a TOML table")
    errors: list[ScenarioError] = []
    try:
        data = _resolve_power_sharing(data, source)
    except ScenarioError as error:  # a bad preset is one mistake among the others
        errors.append(error)
        data = {**data, "governance": {k: v for k, v in data["governance"].items() if k != "power_sharing"}}
    params = _build(Params, data, source, "", errors)  # Params checks its consistency as it is built
    raise_all(errors)
    return params


def _resolve_power_sharing(data: dict, source: str) -> dict:
    governance = data.get("governance")
    if not isinstance(governance, dict) or "power_sharing" not in governance:
        return data
    preset = governance["power_sharing"]
    if preset == "custom":
        return data
    if not isinstance(preset, str) or preset not in POWER_SHARING_PRESETS:
        raise ScenarioError(source, "governance.power_sharing", f"unknown value {preset!r}", "betterment | empowerment | custom")
    governance = dict(governance)
    if "community_decision_share" not in governance:
        governance["community_decision_share"] = POWER_SHARING_PRESETS[preset]
    elif governance["community_decision_share"] != POWER_SHARING_PRESETS[preset]:
        governance["power_sharing"] = "custom"
    return {**data, "governance": governance}


def to_dict(params) -> dict:
    """Plain nested dict of a parameter tree (JSON- and TOML-friendly: lists where the parameters hold tuples).
    Every summary holds one, so it walks cached field lists rather than ``dataclasses.asdict`` (the values are
    numbers, strings and tuples of numbers: nothing to copy deeply)."""
    out = {}
    for name, (_, section) in _fields_and_hints(type(params))[1].items():
        value = getattr(params, name)
        out[name] = to_dict(value) if section else list(value) if isinstance(value, tuple) else value
    return out


@functools.cache
def _fields_and_hints(cls) -> tuple[dict, dict]:
    """``({name: field}, {name: (type, is a section)})`` of a parameter class, resolved once."""
    hints = type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return fields, {name: (hints[name], dataclasses.is_dataclass(hints[name])) for name in fields}


def describe(cls=Params, prefix: str = ""):
    """Yield ``(key, default, allowed, unit, doc, source)`` for every parameter, for docs and help."""
    hints = type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from describe(tp, key)
            continue
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        meta = f.metadata
        yield key, default, _allowed(meta, tp), meta.get("unit", ""), meta.get("doc", ""), meta.get("source", "")


def provenance(cls=Params, prefix: str = ""):
    """Yield ``(key, label, source)`` for every parameter: where its value comes from (:data:`LABELS`)."""
    hints = type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(hints[f.name]):
            yield from provenance(hints[f.name], key)
        else:
            yield key, f.metadata.get("label", ""), f.metadata.get("source", "")


@functools.cache
def type_hints(cls) -> dict:
    """``typing.get_type_hints(cls)``, resolved once per class: resolving the annotations of every section was
    most of the time it took to read a scenario. Shared: read it, never change it."""
    return get_type_hints(cls)


# --------------------------------------------------------------------------- validation whenever parameters are built

# The source a mistake found while parameters are built is blamed on: "Params" when they are built directly,
# the file or "--set" when from_dict builds them.
_SOURCE: contextvars.ContextVar[str] = contextvars.ContextVar("partnersim_params_source", default="Params")
# True while from_dict builds a section from values it has just checked one by one (no need to check them twice).
_VALUES_CHECKED: contextvars.ContextVar[bool] = contextvars.ContextVar("partnersim_params_values_checked", default=False)


def _sections(cls=Params, prefix: str = "") -> dict:
    """Every parameter class of the tree with its dotted prefix: ``{Params: "", Funding: "funding", ...}``."""
    found = {cls: prefix}
    hints = type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            found.update(_sections(hints[f.name], f"{prefix}.{f.name}" if prefix else f.name))
    return found


def _check_built(section, prefix: str) -> None:
    """Check every value of a section just built, as :func:`from_dict` does, and coerce it in place (lists to
    tuples, integers to floats); raise every mistake at once. ``Params`` also checks its consistency."""
    source = _SOURCE.get()
    errors = []
    for f, tp, key, element in () if _VALUES_CHECKED.get() else _checked_fields(type(section), prefix):
        value = getattr(section, f.name)
        if element is _SECTION:
            if type(value) is not tp:
                errors.append(ScenarioError(source, key, f"expected {tp.__name__}, got {type(value).__name__}",
                                            f"a sim.params.{tp.__name__}"))
            continue
        if _plainly_valid(value, tp, f.metadata, element):
            continue
        try:
            coerced = _coerce_value(value, tp, f, source, key)
        except ScenarioError as error:
            errors.append(error)
            continue
        if coerced is not value:
            object.__setattr__(section, f.name, coerced)  # frozen: this is still part of building it
    raise_all(errors)
    if isinstance(section, Params):
        _check_consistency(section, source)


def _plainly_valid(value, tp, meta, element=None) -> bool:
    """True for a value of exactly the field's type within its range or choices (a tuple: of ``element``s), the
    common case, checked without building the words of an error (which :func:`_coerce_value` does for every value)."""
    if type(value) is not tp:
        return False
    if tp is float:
        if not math.isfinite(value):
            return False
    elif tp is str:
        return not meta["choices"] or value in meta["choices"]
    elif tp is tuple:
        return len(value) == meta["length"] and all(_plainly_valid(x, element, meta) for x in value)
    elif tp is not int:
        return tp is bool
    low, high = meta["low"], meta["high"]
    return (low is None or value >= low) and (high is None or value <= high)


_SECTION = object()  # marks a field that is a section of its own


@functools.cache
def _checked_fields(cls, prefix: str) -> tuple:
    """``(field, type, dotted key, element type of a tuple or _SECTION)`` of each field of ``cls`` (cached: resolving the
    annotations is slow)."""
    hints = type_hints(cls)
    return tuple((f, tp, f"{prefix}.{f.name}" if prefix else f.name,
                  _SECTION if dataclasses.is_dataclass(tp) else _element_type(f) if tp is tuple else None)
                 for f in dataclasses.fields(cls) for tp in (hints[f.name],))


def _validate_on_build(cls, prefix: str) -> None:
    """Make ``cls`` check its values whenever it is built (its constructor, ``dataclasses.replace``); unpickling
    and copying do not build, they restore what was already checked. Done by wrapping the generated
    ``__init__`` rather than a ``__post_init__`` in each class, so that every section, however many are
    added, is covered."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        _check_built(self, prefix)

    cls.__init__ = __init__


for _cls, _prefix in _sections().items():
    _validate_on_build(_cls, _prefix)
