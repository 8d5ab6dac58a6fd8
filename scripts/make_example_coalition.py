"""Write the synthetic example data sets under examples/ (there is no real data to ship).

    python scripts/make_example_coalition.py [--out examples]

writes, from one seeded generator, so that the same script always writes the same bytes:

- ``examples/coalition/``: a coalition of 14 members as a coordinator would have it after a network survey, and
  two organizations it might invite: ``organizations.csv`` (the roster, in the coalition's own categories, some
  budgets and answers missing, the two candidates marked ``member = no``),
  ``sectors.csv`` (those categories mapped onto the model's sectors), ``relationships.csv`` (a PARTNER-style survey:
  levels none/cooperative/coordinated/integrated and trust items rated 1-4, three members who did not respond and
  some questions left blank), ``factors.csv`` (a Wilder Collaboration Factors Inventory, ten members scoring the
  factors 1-5), and two scenarios: ``coalition.toml`` (the grant ends after 36 months, no renewal) and
  ``sweep.toml`` (grant policies over the same start);
- ``examples/region/``: a region of 400 organizations, ``organizations.csv`` and a who-knows-whom table
  ``relationships.csv``, with ``region.toml``.

Nothing here is real: the organizations, their answers and their scores are drawn to look like what such files
hold, not taken from any coalition. tests/test_data.py checks that this script writes the files shipped.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np

SEED = 20250114
ROOT = Path(__file__).resolve().parent.parent

# (id, name, member: blank = yes or "no" for a candidate the coalition may invite, the coalition's own category,
#  budget in dollars or "", size or "", community answer, capacity, desire)
COALITION = (
    ("EYC01", "Eastside Tenants United", "", "Tenant union", "38000", "", "yes", "", ""),
    ("EYC02", "Maple Street Block Club", "", "Block club", "", "small", "", "", "0.9"),
    ("EYC03", "Eastside Youth Council", "", "Resident group", "12000", "", "yes", "", ""),
    ("EYC04", "Families First Network", "", "Resident group", "", "", "", "", ""),
    ("EYC05", "Bridgeway Youth Services", "", "Youth nonprofit", "2400000", "", "no", "0.55", ""),
    ("EYC06", "New Horizons Mentoring", "", "Youth nonprofit", "650000", "", "", "", "0.7"),
    ("EYC07", "Eastside Community Health Center", "", "Health center", "", "large", "", "", ""),
    ("EYC08", "Greater Eastside Food Bank", "", "Social services nonprofit", "3100000", "", "", "", ""),
    ("EYC09", "City Department of Public Health", "", "Government", "48000000", "", "no", "", "0.4"),
    ("EYC10", "Eastside Unified School District", "", "Government", "", "large", "", "", ""),
    ("EYC11", "Parks and Recreation Division", "", "Government", "9500000", "", "", "", ""),
    ("EYC12", "Riverside Credit Union", "", "Business", "", "medium", "", "", ""),
    ("EYC13", "Grace Fellowship Church", "", "Faith community", "210000", "", "yes", "", ""),
    ("EYC14", "Eastside Merchants Association", "", "Business", "", "", "", "", ""),
    ("EYC15", "Eastside Branch Library", "no", "Government", "1200000", "", "", "", ""),
    ("EYC16", "Riverside Arts Collective", "no", "Resident group", "", "small", "", "", "0.6"),
)
CATEGORIES = (
    ("Tenant union", "beneficiary"),
    ("Block club", "beneficiary"),
    ("Resident group", "grassroots"),
    ("Youth nonprofit", "nonprofit"),
    ("Health center", "nonprofit"),
    ("Social services nonprofit", "nonprofit"),
    ("Government", "public_agency"),
    ("Business", "business"),
    ("Faith community", "grassroots"),
)
NON_RESPONDENTS = ("EYC04", "EYC12", "EYC14", "EYC15", "EYC16")  # the two candidates were not surveyed
LEVELS = ("none", "cooperative", "coordinated", "integrated")
ITEMS = ("reliability", "mission", "openness")
FACTOR_KEYS = ("history", "legitimate_leader", "political_climate", "mutual_respect", "cross_section",
               "self_interest", "compromise", "shared_stake", "layers_of_participation", "flexibility", "clear_roles",
               "adaptability", "appropriate_pace", "evaluation", "open_communication", "informal_relationships",
               "concrete_goals", "shared_vision", "unique_purpose", "sufficient_resources", "skilled_leadership",
               "engaged_stakeholders")
# How the coalition sees itself, 1..5: middling overall, strong on vision, weak on resources and history.
FACTOR_MEANS = dict.fromkeys(FACTOR_KEYS, 3.3) | {"history": 2.6, "mutual_respect": 3.5, "shared_vision": 4.1,
                                                  "sufficient_resources": 2.2, "appropriate_pace": 3.0,
                                                  "open_communication": 3.6, "self_interest": 3.8}

COALITION_TOML = '''\
description = """A synthetic coalition of 14 members (and 2 organizations it might invite) started from its roster, \\
a PARTNER-style network survey and a Wilder Collaboration Factors Inventory (examples/coalition; nothing in it is \\
real). Its three-year grant ends in December 2027 and is not renewed: what happens to it?"""
steps = 84
seed = 2025

[funding]
grant_months = 36
renewal = "none"

[data]
organizations = "organizations.csv"
sectors = "sectors.csv"
relationships = "relationships.csv"
factors = "factors.csv"
seed = 2025
'''

SWEEP_TOML = '''\
description = """Grant policies over one real starting state: the example coalition (examples/coalition) under three \\
grant lengths, with and without renewal on results; every run starts from the same data and the same filled gaps."""
scenario = "coalition.toml"
replicates = 20
steps = 84
root_seed = 14

[design]
method = "grid"

[levers]
"funding.grant_months" = [24, 36, 60]
"funding.renewal" = ["none", "results"]

[fixed]
"funding.renewal_probability" = 0.8
'''

REGION_TOML = '''\
description = """A synthetic region of 400 organizations started from a roster and a who-knows-whom table \\
(examples/region; nothing in it is real), under a funder's calls for proposals."""
steps = 96

[organizations]
count = 10

[ecosystem]
organizations = 400
call_months = 12
grants_per_call = 3
calls = 4

[data]
organizations = "organizations.csv"
relationships = "relationships.csv"
'''


def _csv(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def coalition_files(rng: np.random.Generator) -> dict[str, str]:
    ids = [row[0] for row in COALITION]
    count = len(ids)
    # A latent closeness between organizations: neighbours in the list work together more (they were listed by
    # kind), and a few institutions are central.
    closeness = rng.uniform(0.0, 1.0, (count, count))
    closeness = (closeness + closeness.T) / 2
    for i in range(count):
        for j in range(count):
            closeness[i, j] += 0.35 * np.exp(-abs(i - j) / 2.5)
    central = {ids.index(k) for k in ("EYC05", "EYC09", "EYC07")}
    survey = []
    for i, respondent in enumerate(ids):
        if respondent in NON_RESPONDENTS:
            continue
        for j, partner in enumerate(ids):
            if i == j:
                continue
            strength = closeness[i, j] + (0.25 if i in central or j in central else 0.0)
            if strength < 0.55:
                continue  # no relationship: PARTNER lists only the partners a respondent names
            rank = int(np.clip(np.floor((strength - 0.45) * 3.2 + rng.normal(0, 0.4)), 0, 3))
            base = 1.6 + 2.2 * min(strength, 1.3) / 1.3
            ratings = [int(np.clip(np.round(base + rng.normal(0, 0.6)), 1, 4)) for _ in ITEMS]
            cells = [str(r) if rng.random() > 0.08 else "" for r in ratings]
            level = LEVELS[rank] if rng.random() > 0.05 else ""
            survey.append([respondent, partner, level, *cells])
    factors = []
    for member in range(10):
        for key in FACTOR_KEYS:
            if rng.random() < 0.04:
                score = ""  # skipped the question
            else:
                score = str(int(np.clip(np.round(FACTOR_MEANS[key] + rng.normal(0, 0.8)), 1, 5)))
            factors.append([f"member {member + 1:02d}", key, score])
    return {
        "organizations.csv": _csv(["id", "name", "member", "sector", "budget", "size", "community", "capacity",
                                   "desire"], COALITION),
        "sectors.csv": _csv(["category", "sector"], CATEGORIES),
        "relationships.csv": _csv(["respondent", "partner", "level", *ITEMS], survey),
        "factors.csv": _csv(["respondent", "factor", "score"], factors),
        "coalition.toml": COALITION_TOML,
        "sweep.toml": SWEEP_TOML,
    }


def region_files(rng: np.random.Generator, count: int = 400) -> dict[str, str]:
    sectors = rng.choice(["grassroots", "nonprofit", "public_agency", "business", "beneficiary"], size=count,
                         p=[0.2, 0.35, 0.1, 0.15, 0.2])
    budgets = {"grassroots": 50_000, "nonprofit": 2_000_000, "public_agency": 20_000_000, "business": 5_000_000,
               "beneficiary": 25_000}
    roster = []
    for k, sector in enumerate(sectors):
        budget = "" if rng.random() < 0.3 else str(int(round(budgets[sector] * np.exp(rng.normal(0, 0.8)), -3)))
        roster.append([f"R{k + 1:03d}", f"{sector.replace('_', ' ')} {k + 1}", sector, budget])
    ties = []
    town = np.arange(count) // 50  # eight towns of fifty
    for i in range(count):
        named = set()
        for _ in range(rng.poisson(4)):
            j = int(rng.integers(count)) if rng.random() < 0.25 else int(town[i] * 50 + rng.integers(50))
            if j == i or j in named:
                continue
            named.add(j)
            trust = [str(int(v)) for v in np.clip(np.round(rng.normal(2.6, 0.7, len(ITEMS))), 1, 4)]
            ties.append([f"R{i + 1:03d}", f"R{j + 1:03d}", *(trust if rng.random() < 0.7 else ["", "", ""])])
    return {
        "organizations.csv": _csv(["id", "name", "sector", "budget"], roster),
        "relationships.csv": _csv(["respondent", "partner", *ITEMS], ties),
        "region.toml": REGION_TOML,
    }


def example_files() -> dict[str, str]:
    """Every file, by its path under examples/."""
    rng = np.random.default_rng(SEED)
    files = {f"coalition/{name}": text for name, text in coalition_files(rng).items()}
    files.update({f"region/{name}": text for name, text in region_files(rng).items()})
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "examples", help="folder to write into (default: examples/)")
    out = parser.parse_args().out
    for name, text in example_files().items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        print(path)


if __name__ == "__main__":
    main()
