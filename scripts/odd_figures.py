"""The figures of docs/ODD.md section 1, recomputed: the Communities That Care comparison and the roads to the end.

    python scripts/odd_figures.py [REPLICATES] [--effects] [--sizes]

Prints markdown tables: the share of `ctc_like` replicates still running, and still running with a functioning
core, at the grant's end and each year after; why those that ended ended; members retained; and the final
statuses. Seeds are spawned from root 2008 with numpy's SeedSequence, as tests/test_patterns.py does.
``--effects`` also prints the table "Measured effects" of section 1 (the arms of tests/test_patterns.py, with
their seeds and replicates); ``--sizes`` the table of governance form by size (money per member fixed).
"""

from __future__ import annotations

import collections
import sys

import numpy as np

import sim
from sim.seeds import replicate_seeds

MONTHS = (36, 48, 60, 72, 84)


def ctc_runs(replicates: int):
    return [sim.run("ctc_like", seed=seed) for seed in replicate_seeds(2008, replicates)]


def core_at(result, month: int) -> bool:
    series = result.timeseries
    row = series.iloc[month]
    return bool(row["active_members"] >= result.params.partnership.core_share * series["active_members"].iloc[0]
                and row["joint_work"] > 0)


def main(replicates: int) -> None:
    runs = ctc_runs(replicates)
    summaries = [r.summary for r in runs]
    alive = {m: np.mean([s["end_step"] is None or s["end_step"] > m for s in summaries]) for m in MONTHS}
    core = {m: np.mean([core_at(r, m) for r in runs]) for m in MONTHS}
    members = {m: np.mean([r.timeseries["active_members"].iloc[m] for r in runs]) for m in (0, *MONTHS)}
    print(f"ctc_like, {replicates} replicates (root 2008)\n")
    print("| month | still running (not ended) | with a functioning core | mean members (of 16) |")
    print("|---|---|---|---|")
    for m in MONTHS:
        print(f"| {m} | {alive[m]:.0%} | {core[m]:.0%} | {members[m]:.1f} |")
    ended = [s for s in summaries if s["ended"]]
    causes = collections.Counter(s["end_cause"] for s in ended)
    print(f"\nEnded by month 84: {len(ended)} of {replicates}")
    for cause, n in causes.most_common():
        print(f"- {cause}: {n} ({n / max(len(ended), 1):.0%}), "
              f"{sum(1 for s in ended if s['end_cause'] == cause and s['end_step'] <= 36)} of them during the grant")
    print("\nFinal statuses:", dict(collections.Counter(s["final_status"] for s in summaries).most_common()))


def arm(scenario="baseline", replicates=60, root=20261123, **overrides):
    """The runs of one arm, with the seeds of tests/test_patterns.py."""
    return [sim.run(scenario, seed=seed, overrides=overrides) for seed in replicate_seeds(root, replicates)]


def effects() -> None:
    mean = lambda rs, f: float(np.mean([f(r) for r in rs]))  # noqa: E731
    share = lambda rs, f: f"{mean(rs, f):.0%}"  # noqa: E731
    rows = []
    short, long = arm(replicates=80, **{"funding.grant_months": 24}), arm(replicates=80, **{"funding.grant_months": 60})
    scaled = lambda r: r.summary["reached_scale"]  # noqa: E731
    rows.append(("3. reached scale by month 120, 24- vs 60-month grant (80 runs each)", share(short, scaled),
                 share(long, scaled)))
    emp, bet = arm("empowerment", replicates=150), arm("betterment", replicates=150)
    still_in = lambda r: r.summary["community_members_end"] / r.summary["community_members_start"]  # noqa: E731
    outcome = lambda r: r.summary["final_community_outcome"]  # noqa: E731
    rows += [("4. community organizations still in at the end, empowerment vs betterment (150 each)",
              share(emp, still_in), share(bet, still_in)),
             ("4. final community outcome, empowerment vs betterment", f"{mean(emp, outcome):.2f}", f"{mean(bet, outcome):.2f}"),
             ("4. sustained after funding (a functioning core of any members), empowerment vs betterment",
              share(emp, lambda r: bool(r.summary["sustained_after_funding"])),
              share(bet, lambda r: bool(r.summary["sustained_after_funding"]))),
             ("4. collapsed, empowerment vs betterment", share(emp, lambda r: r.summary["collapsed"]),
              share(bet, lambda r: r.summary["collapsed"])),
             ("4. first-year decision efficiency, empowerment vs betterment",
              f"{mean(emp, lambda r: r.timeseries['decision_efficiency'].iloc[1:13].mean()):.2f}",
              f"{mean(bet, lambda r: r.timeseries['decision_efficiency'].iloc[1:13].mean()):.2f}")]
    res, st = arm(replicates=150, **{"funding.expectation_ratio": 1.0}), arm(replicates=150, **{"funding.expectation_ratio": 2.0})
    grant_trust = lambda r: r.timeseries["mean_trust"].iloc[1:37].mean()  # noqa: E731
    left = lambda r: r.timeseries["active_members"].iloc[0] - r.timeseries["active_members"].iloc[36]  # noqa: E731
    rows += [("5. mean trust during the grant, expectation ratio 1 vs 2 (150 each)", f"{mean(res, grant_trust):.3f}",
              f"{mean(st, grant_trust):.3f}"),
             ("5. members fewer at the grant's end than at the start, expectation ratio 1 vs 2", f"{mean(res, left):.2f}",
              f"{mean(st, left):.2f}"),
             ("5. final community outcome, expectation ratio 1 vs 2", f"{mean(res, outcome):.2f}", f"{mean(st, outcome):.2f}")]
    org, man = arm(**{"funding.mandated": False}), arm(**{"funding.mandated": True})

    def first(rs, level):
        return float(np.median([r.summary["first_step_at_level"][level] or r.summary["steps"] + 1 for r in rs]))

    end_trust = lambda r: r.timeseries["mean_trust"].iloc[r.summary["funding_end_step"]]  # noqa: E731
    rows += [("6. median month of first coordinating / cooperating pair, organic vs mandated",
              f"{first(org, 'coordinating'):g} / {first(org, 'cooperating'):g}",
              f"{first(man, 'coordinating'):g} / {first(man, 'cooperating'):g}"),
             ("6. mean trust when the grant ends, organic vs mandated", f"{mean(org, end_trust):.2f}", f"{mean(man, end_trust):.2f}"),
             ("6. members at the end, organic vs mandated (of 12)", f"{mean(org, lambda r: r.summary['members_end']):.1f}",
              f"{mean(man, lambda r: r.summary['members_end']):.1f}"),
             ("6. collapsed, organic vs mandated", share(org, lambda r: r.summary["collapsed"]),
              share(man, lambda r: r.summary["collapsed"]))]
    both = arm(**{"funding.grant_months": 60})
    no_adv = arm(**{"funding.grant_months": 60, "partnership.advocacy": 0.0})
    closed = arm(**{"funding.grant_months": 60, "public_sector.receptivity": 0.0})
    rows.append(("7. reached scale with a 60-month grant: advocacy and receptivity / no advocacy / no receptivity",
                 share(both, scaled), f"{share(no_adv, scaled)} / {share(closed, scaled)}"))
    print("\n| pattern | arm A | arm B |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def sizes(replicates: int = 40) -> None:
    counts = (6, 12, 18, 24, 40)
    print(f"\nGovernance form by size, $2,500 a month per member, {replicates} runs per cell (root 77): "
          "final community outcome / collapsed / reached scale")
    print("\n| form | " + " | ".join(str(c) for c in counts) + " |\n|---|" + "---|" * len(counts))
    for mode in ("shared", "lead_agency", "backbone"):
        cells = []
        for count in counts:
            rs = arm(replicates=replicates, root=77, **{"organizations.count": count, "governance.mode": mode,
                                                        "funding.monthly_amount": 2500.0 * count})
            cells.append(f"{np.mean([r.summary['final_community_outcome'] for r in rs]):.2f} / "
                         f"{np.mean([r.summary['collapsed'] for r in rs]):.0%} / "
                         f"{np.mean([r.summary['reached_scale'] for r in rs]):.0%}")
        print(f"| {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(numbers[0]) if numbers else 200)
    if "--effects" in sys.argv:
        effects()
    if "--sizes" in sys.argv:
        sizes()
