"""Each mechanism switched off: a neutral version of the rule that carries it, and the tests that must then fail.

``scripts/knockouts.py`` runs each entry's tests uncompiled (``NUMBA_DISABLE_JIT=1``, so that replacing a rule
reaches the month) with ``PARTNERSIM_KNOCKOUT=<name>``; ``tests/conftest.py`` then swaps the rule for its
neutral version before any test runs. A test that still passes does not notice its mechanism.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Knockout:
    module: str
    function: str
    neutral: Callable      # the original function -> its switched-off replacement
    tests: tuple            # test names (pytest -k expressions) that must fail with it
    what: str


def _keep(original, **fixed):
    """The original rule with some of its arguments (by position name) held at neutral values."""
    names = original.__code__.co_varnames[:original.__code__.co_argcount]

    def neutral(*args):
        args = list(args)
        for name, value in fixed.items():
            args[names.index(name)] = value
        return original(*args)

    return neutral


KNOCKOUTS = {
    "trust gain": Knockout("sim.rules.trust", "updated_trust", lambda f: _keep(f, gain=0.0),
                           ("test_kept_commitments_build_trust",), "kept commitments build no trust"),
    "trust loss": Knockout("sim.rules.trust", "updated_trust", lambda f: _keep(f, loss=0.0),
                           ("test_broken_commitments_cost_trust", "test_trust_builds_slowly_and_falls_fast"),
                           "broken commitments cost no trust"),
    "rivalry": Knockout("sim.rules.trust", "rivalry_chance", lambda f: (lambda same_sector, competition: 0.0),
                        ("test_rivals_for_the_same_grant_lose_trust",), "no rivalry for grants"),
    "competition guarding": Knockout("sim.state", "COMPETITION_GUARDING", lambda value: 0.0,
                                     ("test_competition_raises_the_turf_organizations_guard",),
                                     "competition does not raise the turf guarded"),
    "exclusion": Knockout("sim.rules.governance", "exclusion_chance", lambda f: (lambda voice: 0.0),
                          ("test_being_left_out_of_decisions_costs_trust_in_the_deciders",
                           "test_mutual_respect_keeps_trust_when_the_community_is_left_out"),
                          "nobody is left out of decisions"),
    "same standards": Knockout("sim.rules.trust", "hedged", lambda f: _keep(f, same_standards=0.0),
                               ("test_same_standards_cut_the_breaches_a_mandate_invites",),
                               "hedging is never called out"),
    "time at each level": Knockout("sim.rules.continuum", "months_needed",
                                   lambda f: (lambda level, months_required, mandate: 0.0),
                                   ("test_pairs_must_spend_time_at_a_level_before_stepping_up",),
                                   "no months needed at a level before stepping up"),
    "turf": Knockout("sim.rules.continuum", "can_step_up", lambda f: _keep(f, turf_next=0.0),
                     ("test_guarded_turf_holds_pairs_below_cooperating",), "stepping up needs no shared turf"),
    "money follows authority": Knockout("sim.rules.funding", "member_grant",
                                        lambda f: (lambda to_members, authority, total:
                                                   to_members / 12.0 if authority > 0 else 0.0),
                                        ("test_money_follows_decision_authority",),
                                        "every member gets the same dollars, whatever its authority"),
    "expectations": Knockout("sim.rules.funding", "expectation_strain", lambda f: (lambda ratio, funded: 1.0),
                             ("test_expectations_above_resources_overextend_members_and_cost_trust",
                              "test_doing_more_with_less_lowers_trust_and_outcomes"),
                             "the funder's expectations ask nothing extra"),
    "mandate": Knockout("sim.rules.funding", "mandate_in_force", lambda f: (lambda mandated, funded, pressure: 0.0),
                        ("test_a_mandate_pushes_pairs_up_faster_than_trust_allows",),
                        "a mandate cuts no requirement"),
    "funding end": Knockout("sim.rules.funding", "advance_grant",
                            lambda f: (lambda funded, grant_month, grant_months, renewed: (funded, grant_month + 1)),
                            ("test_members_leave_when_the_money_ends",), "the grant never ends"),
    "self-selection": Knockout("sim.state", "lowest_desire", lambda f: (lambda params: params.organizations.self_selection),
                               ("test_a_mandate_brings_in_members_who_would_not_have_chosen_to_partner_and_they_leave",),
                               "a mandate brings in only members who would have chosen to partner"),
    "organizing power": Knockout("sim.rules.phases", "organizing_power", lambda f: (lambda total, start: 0.0),
                                 ("test_community_organizing_power_speeds_the_policy_case",),
                                 "the community's organizing power adds nothing to advocacy"),
    "receptivity": Knockout("sim.rules.phases", "adoption_chance", lambda f: _keep(f, receptivity=1.0),
                            ("test_no_scale_without_a_receptive_public_sector",
                             "test_scale_needs_advocacy_and_a_receptive_public_sector"),
                            "the public sector adopts whatever its receptivity"),
}


def apply(name: str) -> None:
    """Switch mechanism ``name`` off (replace its rule in its module)."""
    knockout = KNOCKOUTS[name]
    module = importlib.import_module(knockout.module)
    original = getattr(module, knockout.function)
    setattr(module, knockout.function, knockout.neutral(original))
