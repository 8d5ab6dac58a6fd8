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


def _launch_as_positional(style_name):
    """``launch_factor`` with the named style (a constant of sim.rules.leadership) launching as a positional
    champion does: only that style's launch is switched off, its other effects (trust, inclusion) stay."""
    def neutral(original):
        from sim.rules import leadership

        code = getattr(leadership, style_name)

        def launch_factor(style, style_effect, champion):
            return original(leadership.POSITIONAL if style == code else style, style_effect, champion)

        return launch_factor

    return neutral


KNOCKOUTS = {
    "trust gain": Knockout("sim.rules.trust", "updated_trust", lambda f: _keep(f, gain=0.0),
                           ("test_kept_commitments_build_trust",), "kept commitments build no trust"),
    "trust loss": Knockout("sim.rules.trust", "updated_trust", lambda f: _keep(f, loss=0.0),
                           ("test_broken_commitments_cost_trust", "test_trust_builds_slowly_and_falls_fast"),
                           "broken commitments cost no trust"),
    "rivalry": Knockout("sim.rules.trust", "rivalry_chance", lambda f: (lambda same_sector, competition: 0.0),
                        ("test_rivals_for_the_same_grant_lose_trust",), "no rivalry for grants"),
    "competition guarding": Knockout("sim.rules.initial", "turf_guarded", lambda f: _keep(f, competition=0.0),
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
    "money follows authority": Knockout("sim.rules.funding", "member_grants", lambda f: _keep(f, allocation=1),
                                        ("test_money_follows_decision_authority", "test_money_can_be_split_apart_from_authority"),
                                        "every member gets the same dollars, whatever the allocation rule says"),
    "expectations": Knockout("sim.rules.funding", "expectation_strain", lambda f: (lambda ratio, funded: 1.0),
                             ("test_expectations_above_resources_overextend_members_and_cost_trust",
                              "test_doing_more_with_less_lowers_trust_and_outcomes"),
                             "the funder's expectations ask nothing extra"),
    "mandate": Knockout("sim.rules.funding", "mandate_in_force", lambda f: (lambda mandated, funded, pressure: 0.0),
                        ("test_a_mandate_pushes_pairs_up_faster_than_trust_allows",),
                        "a mandate cuts no requirement"),
    "failure to launch": Knockout("sim.rules.membership", "stall_pressure", lambda f: (lambda in_assessment, months, patience: 0.0),
                                  ("test_partnerships_that_cannot_get_through_their_first_phase_fail_to_launch_while_funded",),
                                  "no progress costs members nothing"),
    "champion turnover": Knockout("sim.rules.leadership", "champion_leaves_chance", lambda f: (lambda champion, turnover: 0.0),
                                  ("test_losing_the_champion_drives_members_away",), "the champion never leaves"),
    "liaison turnover": Knockout("sim.rules.leadership", "liaison_change_chance", lambda f: (lambda turnover: 0.0),
                                 ("test_a_liaison_who_changes_takes_some_trust_along",), "liaisons never change"),
    "departure reasons": Knockout("sim.rules.membership", "departure_reason",
                                  lambda f: (lambda satisfaction, funding, trust, champion, stall: 4),
                                  ("test_broken_commitments_drive_members_away_as_trust_breaking_down",
                                   "test_members_who_leave_when_the_money_ends_are_put_down_to_it"),
                                  "every departure is put down to the partnership not being worth the time"),
    "resource dependence": Knockout("sim.rules.funding", "dependence",
                                    lambda f: (lambda grant_dollars, budget: 0.5 if grant_dollars > 0 else 0.0),
                                    ("test_when_the_money_ends_the_members_who_depended_on_it_are_shaken_most",),
                                    "every member depends on its money alike, whatever its income"),
    "closing on success": Knockout("sim.rules.membership", "close_chance", lambda f: (lambda at_scale, rate: 0.0),
                                   ("test_a_partnership_at_scale_may_close_with_its_goals_met",),
                                   "no partnership closes with its goals met"),
    "renewal on results": Knockout("sim.rules.funding", "results_score", lambda f: (lambda evidence_share: 1.0),
                                   ("test_a_funder_that_renews_on_results_renews_the_partnerships_that_show_results",),
                                   "the funder sees full results everywhere"),
    "funder budget": Knockout("sim.rules.funding", "affordable", lambda f: (lambda budget, months, amount: True),
                              ("test_a_funder_that_never_renews_or_has_no_budget_left_renews_nothing",),
                              "a funder's budget never runs out"),
    "other funders": Knockout("sim.rules.funding", "award_chance", lambda f: (lambda rate, results, goodwill: 0.0),
                              ("test_other_funders_keep_members_in_partnerships_that_plan_for_it",),
                              "no other funder ever awards a grant"),
    "institutionalization": Knockout("sim.rules.funding", "public_money", lambda f: (lambda scaled, share, amount: 0.0),
                                     ("test_the_public_budget_takes_over_part_of_the_work_once_the_innovation_is_adopted",),
                                     "the public budget pays nothing after adoption"),
    "advocacy risk": Knockout("sim.rules.phases", "backlash_chance",
                              lambda f: (lambda phase, advocacy, receptivity, risk: 0.0),
                              ("test_advocacy_before_a_closed_public_sector_costs_goodwill_and_scale",),
                              "advocacy never provokes a backlash"),
    "functioning core": Knockout("sim.rules.membership", "functioning_core",
                                 lambda f: (lambda active, founding, share, working: True),
                                 ("test_every_run_ends_in_exactly_one_status_and_sustained_needs_a_functioning_core",),
                                 "any remnant counts as a functioning core"),
    "funding end": Knockout("sim.rules.funding", "advance_grant",
                            lambda f: (lambda funded, grant_month, grant_months, renewed: (funded, grant_month + 1)),
                            ("test_members_leave_when_the_money_ends",), "the grant never ends"),
    "partner capacity gain": Knockout("sim.rules.capacity", "collaborator_capacity",
                                      lambda f: (lambda partner_level, partner_capacity: 0.0),
                                      ("test_collaborating_partners_build_each_others_capacity",),
                                      "collaborating partners add nothing to each other's capacity"),
    "expectations with the money": Knockout("sim.rules.funding", "expectation_strain",
                                            lambda f: (lambda expectation_ratio, funded: expectation_ratio),
                                            ("test_expectations_strain_members_only_while_the_money_flows",),
                                            "the funder's expectations strain members with or without its money"),
    "scope": Knockout("sim.rules.phases", "scope",
                      lambda f: (lambda sector_capacity, duplicate_returns, reference_scope: 1.0),
                      ("test_size_brings_resources_as_well_as_deliberation",), "more members bring nothing more"),
    "sector complementarity": Knockout("sim.rules.phases", "scope", lambda f: _keep(f, duplicate_returns=1.0),
                                       ("test_members_of_different_sectors_do_more_joint_work_than_the_same_members",),
                                       "a further member of a sector at the table adds as much as one of a new sector"),
    "deliberation": Knockout("sim.rules.governance", "decision_efficiency",
                             lambda f: (lambda voices_at_table, deliberation_capacity, staffed, backbone_deliberation: 1.0),
                             ("test_deliberation_limits_size_under_shared_governance",),
                             "deciding costs no work, however many sit at the table"),
    "backbone preparation": Knockout("sim.rules.governance", "decision_efficiency",
                                     lambda f: (lambda voices_at_table, deliberation_capacity, staffed,
                                                backbone_deliberation: f(voices_at_table, deliberation_capacity,
                                                                         staffed, 1.0)),
                                     ("test_a_staffed_backbone_decides_faster_than_the_same_partnership_governing_itself",),
                                     "a staffed backbone holds no more voices than the members alone"),
    "lead agency preparation": Knockout("sim.rules.governance", "voices_at_table",
                                        lambda f: (lambda weighted_voices, mode, lead_deliberation:
                                                   f(weighted_voices, mode, 1.0)),
                                        ("test_a_lead_agency_that_prepares_decisions_keeps_a_large_table_working",
                                         "test_deliberation_limits_size_under_shared_governance"),
                                        "a lead agency takes no deciding off the table"),
    "invitations by convening": Knockout("sim.rules.joining", "invite_chance",
                                         lambda f: (lambda needs, has_candidate, invite_rate, convening:
                                                    f(needs, has_candidate, invite_rate, 1.0)),
                                         ("test_only_a_convener_that_convenes_invites",),
                                         "a partnership invites whether or not anyone convenes"),
    "missing-sector priority": Knockout("sim.rules.joining", "candidate_priority",
                                        lambda f: _keep(f, fills_missing_sector=False),
                                        ("test_a_partnership_that_lost_a_founding_sector_invites_that_sector_first",),
                                        "a candidate of a missing founding sector is asked no sooner than another"),
    "joining": Knockout("sim.rules.joining", "accept_chance", lambda f: (lambda desire: 0.0),
                        ("test_partnerships_replace_members_who_leave",
                         "test_gradual_inclusion_starts_with_a_core_and_brings_the_others_in"),
                        "nobody accepts an invitation"),
    "purpose": Knockout("sim.rules.continuum", "below_purpose", lambda f: (lambda level, purpose: level < 3),
                        ("test_pairs_climb_no_higher_than_their_purpose_needs",), "pairs climb whatever their purpose"),
    "purpose growth": Knockout("sim.rules.continuum", "purpose_growth_chance",
                               lambda f: (lambda level, purpose, purpose_growth: 0.0),
                               ("test_a_purpose_grows_once_it_is_reached",), "a purpose never grows"),
    "collaborative trust-building": Knockout("sim.rules.leadership", "trust_gain",
                                             lambda f: (lambda gain, style, style_effect, champion: gain),
                                             ("test_a_collaborative_champion_builds_trust_faster",),
                                             "a collaborative champion builds no more trust"),
    "collaborative inclusion": Knockout("sim.rules.leadership", "inclusion_cost",
                                        lambda f: (lambda cost, style, style_effect, champion: cost),
                                        ("test_a_collaborative_champion_brings_community_voices_in_at_less_cost",),
                                        "a collaborative champion eases no inclusion"),
    "launch by style": Knockout("sim.rules.leadership", "launch_factor",
                                lambda f: (lambda style, style_effect, champion: 1.0),
                                ("test_a_charismatic_founder_launches_faster",), "no style speeds the launch"),
    "expert launch": Knockout("sim.rules.leadership", "launch_factor", _launch_as_positional("EXPERT"),
                              ("test_an_expert_champion_launches_faster",), "an expert launches as a positional champion"),
    "collaborative slower launch": Knockout("sim.rules.leadership", "launch_factor",
                                            _launch_as_positional("COLLABORATIVE"),
                                            ("test_a_collaborative_champion_launches_slower",),
                                            "a collaborative champion launches as a positional one (its trust-building "
                                            "and inclusion unchanged)"),
    "charismatic bond": Knockout("sim.rules.leadership", "champion_bond", lambda f: (lambda share, style, style_effect: share),
                                 ("test_more_trust_leaves_with_a_charismatic_founder",),
                                 "no more leaves with a charismatic founder"),
    "self-selection": Knockout("sim.rules.initial", "lowest_desire", lambda f: _keep(f, mandated=False),
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
