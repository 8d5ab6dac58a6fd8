"""``data``: how long starting from data takes (issue 14, item 4: 10,000 organizations and 100,000 relationships
load in seconds). A benchmark, not a timed test: ``python -m benchmarks --only data``.

The files are synthetic, written once into a temporary folder from a seeded generator: a roster of 10,000
organizations (a fifth of the budgets blank) and a PARTNER-style survey of 100,000 rows (level and three trust
items, some cells blank); and, for the largest single partnership the model allows, 1,000 organizations with
100,000 rows. Each figure is the median of repeats with the read cache cleared, so every repeat reads and checks
the files afresh.
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import Figure, fmt_seconds

SECTOR_NAMES = ("grassroots", "nonprofit", "public_agency", "business", "beneficiary")
LEVEL_NAMES = ("none", "cooperative", "coordinated", "integrated")


def write_files(folder: Path, organizations: int, relationships: int, seed: int = 14) -> None:
    """A roster and a survey of the given sizes (no repeated pair, no self-tie), and a data.toml naming them."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "organizations.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "name", "sector", "budget"])
        sectors = rng.integers(0, len(SECTOR_NAMES), organizations)
        budgets = np.round(np.exp(rng.normal(13, 1.5, organizations)), -2)
        for k in range(organizations):
            budget = "" if rng.random() < 0.2 else f"{budgets[k]:.0f}"
            writer.writerow([f"o{k}", f"organization {k}", SECTOR_NAMES[sectors[k]], budget])
    keys = np.unique(rng.integers(0, organizations * organizations, int(relationships * 1.2)))
    keys = keys[keys // organizations != keys % organizations]
    keys = rng.permutation(keys)[:relationships]
    ratings = rng.integers(1, 5, (keys.size, 3)).astype(str)
    ratings[rng.random(ratings.shape) < 0.05] = ""
    levels = rng.integers(0, len(LEVEL_NAMES), keys.size)
    with open(folder / "relationships.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["respondent", "partner", "level", "reliability", "mission", "openness"])
        for key, level, row in zip(keys, levels, ratings):
            writer.writerow([f"o{key // organizations}", f"o{key % organizations}", LEVEL_NAMES[level], *row])
    (folder / "data.toml").write_text('organizations = "organizations.csv"\nrelationships = "relationships.csv"\n',
                                      encoding="utf-8")


def median_seconds(action, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        action()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def timed(name: str, action, repeats: int, how: str) -> Figure:
    """The median of ``repeats`` of ``action`` as a figure (within 10 seconds passes), with its spread."""
    seconds, times = median_seconds(action, repeats)
    return Figure("data", name, fmt_seconds(seconds), "seconds", seconds < 10.0,
                  f"{how}; median of {repeats} (min {fmt_seconds(min(times))}, max {fmt_seconds(max(times))})", seconds)


def bench_data(s) -> list[Figure]:
    import sim
    from sim.inputdata import load as load_mod
    from sim.inputdata import region as region_data
    from sim.inputdata import start as start_data
    from sim.inputdata.export import write_export
    from sim.region.model import EcosystemModel
    from sim.run import starting_data
    from sim.scenarios import data_folder

    repeats = 2 if s.quick else 5
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        region_dir, partnership_dir = Path(tmp) / "region", Path(tmp) / "partnership"
        t = time.perf_counter()
        write_files(region_dir, 10_000, 100_000)
        write_files(partnership_dir, 1_000, 100_000)
        written = time.perf_counter() - t
        size = sum(p.stat().st_size for p in region_dir.iterdir())
        region_spec = data_folder(region_dir, "bench")

        def read_region():
            load_mod._load.cache_clear()
            return load_mod.load(region_spec)

        figures.append(timed("read and check 10,000 organizations and 100,000 relationships", read_region, repeats,
                             f"sim.inputdata.load.load, read cache cleared each time; files {size / 1e6:.1f} MB, "
                             f"written in {written:.1f} s"))
        scenario = Path(tmp) / "region.toml"
        scenario.write_text('description = "bench"\n[ecosystem]\norganizations = 10000\n[data]\nfolder = "region"\n',
                            encoding="utf-8")

        def start_region():
            load_mod._load.cache_clear()
            params = sim.load_scenario(scenario)
            start, _, _ = region_data.build(starting_data(scenario), params)
            return EcosystemModel(params, rng=params.seed, start=start)

        figures.append(timed("a 10,000-organization region from its files, ready to run", start_region, repeats,
                             f"load_scenario (reads and checks the files), the region's start (gaps filled, "
                             f"{100_000:,} answers onto the ties) and EcosystemModel"))
        partnership = Path(tmp) / "partnership.toml"
        partnership.write_text('description = "bench"\n[data]\nfolder = "partnership"\n', encoding="utf-8")

        def start_partnership():
            load_mod._load.cache_clear()
            params = sim.load_scenario(partnership)
            founding = start_data.build(starting_data(partnership), params)
            state = founding.state(params, np.random.default_rng(params.seed))
            return founding.tables(state)

        figures.append(timed("a 1,000-organization partnership (the largest) from 100,000 relationships",
                             start_partnership, repeats,
                             "load_scenario, reading and checking, month 0 (a drawn pool of 4 and every pair's "
                             "purpose from the run's generator) and the tables of answers beside the model's values "
                             "(999,000 ordered pairs)"))
        result = sim.run(partnership, steps=12, export_month=12)
        export = Path(tmp) / "export"
        seconds, _ = median_seconds(lambda: write_export(result.export, export), 1)
        load_mod._load.cache_clear()
        again, _ = median_seconds(lambda: sim.run(partnership, steps=13, data=export), 1)
        figures.append(Figure("data", "export a 1,000-organization partnership, and continue from the export",
                              f"{fmt_seconds(seconds)} / {fmt_seconds(again)}", "", None,
                              f"write_export of month 12 (1,000 members and a drawn pool of 4: 1,007,012 "
                              "relationship rows, "
                              f"{sum(p.stat().st_size for p in export.iterdir()) / 1e6:.0f} MB), then sim.run from it "
                              "for one more month (reading, checking, building and the month); one each", seconds))
    return figures
