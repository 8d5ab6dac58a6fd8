"""The figures of docs/ODD.md section 1, recomputed: the Communities That Care comparison and the roads to the end.

    python scripts/odd_figures.py [REPLICATES]

Prints markdown tables: the share of `ctc_like` replicates still running, and still running with a functioning
core, at the grant's end and each year after; why those that ended ended; members retained; and the final
statuses. Seeds are spawned from root 2008 with numpy's SeedSequence, as tests/test_patterns.py does.
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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
