"""What the classroom page and the lessons say to teach the idea: the introduction, what each picture shows, what
formal say and effective power mean, and the presets.

The definitions follow the project's own description of the model (docs/ODD.md, after Himmelman n.d.).
Nothing here states a result: the page's results are the captions and the ensemble, computed from runs.
"""

from __future__ import annotations


INTRODUCTION = (
    "<p><b>Betterment or empowerment?</b> Arthur Himmelman (<i>Working Together for Change</i>) tells two ways "
    "for institutions and a community to work together. In <b>collaborative betterment</b> institutions decide and the "
    "people the work is for advise, holding little authority. In <b>collaborative empowerment</b> the community's own "
    "organizations decide as equals with the institutions. Both sides of this page start from the very same "
    "organizations, budgets and trust under the same funder; they differ only in the community's formal share of "
    "decision authority.</p>"
    "<p><b>How to read a side.</b> The <i>network</i> shows the organizations on a circle (colour: sector; size: "
    "capacity; hollow: has left) and each pair's tie on Himmelman's continuum, from a faint line (networking: "
    "exchanging information) to a thick dark one (collaborating: sharing risks, resources and rewards). The "
    "<i>phase</i> chips follow the partnership from a needs assessment through demonstration and advocacy to scale "
    "(the public sector adopts its innovation). <i>Trust</i> is how far members rely on each other (0 to 1); the "
    "<i>community outcome</i> is how far the community's own goal is met (0 to 1). The caption under the network "
    "is written from the run's state each month.</p>"
    "<p><b>Questions to ask.</b> Which side keeps its members once the grant ends? Who holds the power after a few "
    "years? Does one run tell you what usually happens? (The panel <i>Many runs</i> below answers the last.)</p>"
)

POWER_EXPLAINED = ("Formal say: the community's share of decision authority, set by the funder or the partnership. "
                   "Effective power: authority used with capacity; the community's share of the members' authority "
                   "× capacity, which moves as capacities grow or members leave.")

# Presets: a name and the settings it changes from the page's defaults. The page computes what each one shows.
PRESETS = {
    "Defaults: twelve organizations": {},
    "Costly inclusion: each voice costs more meeting time": {"inclusion_cost": 4.0},
    "A large partnership: thirty organizations": {"organizations": 30},
}
