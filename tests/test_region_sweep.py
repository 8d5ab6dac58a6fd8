"""Region sweeps (every run a region, ``ecosystem.organizations > 0``): their runs.parquet, manifest and report."""

from __future__ import annotations

import json
import math
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from sim.cli import main
from sim.region.model import ECOSYSTEM_SUMMARY_KEYS
from sim.errors import ScenarioError
from sim.experiments import analysis, load_spec, run_sweep
from sim.experiments import store
from sim.experiments.report import load_study
from sim.money import DOLLAR_KEYS
from sim.record import SUMMARY_KEYS

REGION_SPEC = """\
description = "A tiny region sweep: two grant lengths."
scenario = "region"
replicates = 3
steps = 36
root_seed = 5
[levers]
"funding.grant_months" = [12, 24]
[fixed]
"ecosystem.organizations" = 200
[outputs]
timeseries = true
every = 6
"""
# Every partnership outcome column a single-partnership sweep has, none of which a region sweep may have.
# Both kinds of run report their steps and their money (sim.money) under the same names.
PARTNERSHIP_COLUMNS = set(store.outcome_columns(store.PARTNERSHIP)) - {"steps", *DOLLAR_KEYS}
EXPECTED_TYPES = {
    "steps": pa.int64(), "organizations": pa.int64(), "initial_acquainted_pairs": pa.int64(),
    "final_acquainted_pairs": pa.int64(), "partnerships_formed": pa.int64(), "partnerships_reached_scale": pa.int64(),
    "partnerships_collapsed": pa.int64(), "partnerships_live_at_end": pa.int64(), "share_reached_scale": pa.float64(),
    "share_collapsed": pa.float64(), "median_months_to_scale": pa.float64(), "median_months_to_collapse": pa.float64(),
    "partnerships_funding_ended": pa.int64(), "partnerships_sustained_after_funding": pa.int64(),
    "organizations_ever_in_partnership": pa.int64(), "final_organizations_in_partnerships": pa.int64(),
    "mean_final_community_outcome": pa.float64(),
}


def write_spec(directory: Path, body: str = REGION_SPEC) -> Path:
    path = directory / "region_spec.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """The tiny region sweep, run once in this process, with its report."""
    directory = tmp_path_factory.mktemp("region")
    spec = load_spec(write_spec(directory))
    out = run_sweep(spec, directory / "out", workers=1, progress=False)
    assert main(["report", str(out)]) == 0
    return out


def summary_md(out: Path) -> str:
    return (out / "report" / "summary.md").read_text(encoding="utf-8")


def table_rows(text: str, section: str) -> list[list[str]]:
    """The rows (cells) of the first table after a heading that starts with ``section``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(section))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # without the header and the rule


# --------------------------------------------------------------------------- store

def test_outcome_columns_by_kind():
    region = store.outcome_columns(store.REGION)
    assert region == [k for k in ECOSYSTEM_SUMMARY_KEYS if k not in ("params", "scenario", "seed")]
    assert store.outcome_columns() == store.outcome_columns(store.PARTNERSHIP)
    assert "reached_scale" in store.outcome_columns() and "first_step_at_level.networking" in store.outcome_columns()
    assert not set(region) & PARTNERSHIP_COLUMNS
    assert store.analysis_outcomes(region) == [c for c in region if c not in ("steps", "organizations")]
    assert store.runs_schema((), store.PARTNERSHIP) == store.runs_schema(())
    with pytest.raises(ValueError):
        store.outcome_columns("galaxy")
    assert set(store.outcome_columns()) >= {k for k in SUMMARY_KEYS if k not in ("params", "scenario", "seed",
                                                                              "first_step_at_level")}


def test_region_runs_have_region_columns_with_declared_types(sweep):
    schema = pq.read_schema(sweep / "runs.parquet")
    assert schema.names == ["run_id", "design_point", "replicate", "seed", "funding.grant_months",
                            *store.outcome_columns(store.REGION), "status", "error", "scenario"]
    for name, expected in EXPECTED_TYPES.items():
        assert schema.field(name).type == expected, name
    assert not set(schema.names) & PARTNERSHIP_COLUMNS
    runs = pd.read_parquet(sweep / "runs.parquet")
    assert len(runs) == 6 and (runs["status"] == "ok").all()
    assert (runs["organizations"] == 200).all() and (runs["steps"] == 36).all()
    assert (runs["partnerships_formed"] > 0).all() and runs["share_collapsed"].notna().all()
    manifest = json.loads((sweep / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "region"
    assert manifest["outcome_columns"] == store.outcome_columns(store.REGION)
    assert manifest["outcomes"] == store.analysis_outcomes(store.outcome_columns(store.REGION))
    assert manifest["timeseries_codes"] == {}
    ts = pd.read_parquet(sweep / "timeseries.parquet")
    assert {"partnerships_live", "partnerships_at_scale", "partnerships_collapsed"} <= set(ts["metric"])


def test_same_sweep_gives_the_same_runs(sweep, tmp_path):
    spec = load_spec(write_spec(tmp_path))
    again = run_sweep(spec, tmp_path / "again", workers=1, progress=False)
    assert (again / "runs.parquet").read_bytes() == (sweep / "runs.parquet").read_bytes()
    assert (again / "timeseries.parquet").read_bytes() == (sweep / "timeseries.parquet").read_bytes()
    pool = run_sweep(spec, tmp_path / "pool", workers=2, progress=False)
    # Two workers cut the runs into other chunks; row groups of a fixed size keep the bytes the same.
    for name in ("runs.parquet", "timeseries.parquet"):
        assert (pool / name).read_bytes() == (sweep / name).read_bytes(), name


def test_kind_cannot_change_within_a_sweep(tmp_path):
    mixed = REGION_SPEC.replace('"funding.grant_months" = [12, 24]', '"ecosystem.organizations" = [0, 200]')
    mixed = mixed.replace('"ecosystem.organizations" = 200\n', "")
    with pytest.raises(ScenarioError) as error:
        load_spec(write_spec(tmp_path, mixed))
    assert "levers.ecosystem.organizations" in str(error.value) and "single partnerships" in str(error.value)
    regions = REGION_SPEC.replace('scenario = "region"', 'scenario = "baseline"').replace(
        '"funding.grant_months" = [12, 24]', '"ecosystem.organizations" = [100, 200]').replace(
        '"ecosystem.organizations" = 200\n', "")
    with pytest.raises(ScenarioError) as error:
        load_spec(write_spec(tmp_path, regions))
    assert "levers.ecosystem.organizations" in str(error.value)
    sizes = REGION_SPEC.replace('"funding.grant_months" = [12, 24]', '"ecosystem.organizations" = [100, 200]').replace(
        '"ecosystem.organizations" = 200\n', "")
    assert load_spec(write_spec(tmp_path, sizes)).kind == "region"


# --------------------------------------------------------------------------- report

def test_region_report_numbers_match_runs(sweep):
    text = summary_md(sweep)
    runs = pd.read_parquet(sweep / "runs.parquet")
    assert "Runs are the units" in text and "not independent" in text
    assert (sweep / "report" / "region_outcomes_by_grant_months.png").is_file()
    assert (sweep / "report" / "region_timeline_by_grant_months.png").is_file()
    assert not (sweep / "report" / "survival_by_grant_months.png").exists()

    rows = {row[0]: row for row in table_rows(text, "### Per design point")}
    assert set(rows) == {"12", "24"}
    for months, row in rows.items():
        part = runs[runs["funding.grant_months"] == int(months)]
        assert row[1] == "3"
        # Known answer: the mean share collapsed over the design point's runs and its Student t interval.
        share = part["share_collapsed"].to_numpy()
        low, high = stats.t.interval(0.95, share.size - 1, loc=share.mean(), scale=stats.sem(share))
        assert row[4] == f"{100 * share.mean():.1f}% ({100 * max(low, 0):.1f}–{100 * min(high, 1):.1f}%)"
        formed = part["partnerships_formed"].to_numpy(dtype=float)
        assert row[2].startswith(f"{formed.mean():.1f} (")
        sustained = (part["partnerships_sustained_after_funding"] / part["partnerships_funding_ended"]).to_numpy()
        assert row[5].startswith(f"{100 * np.nanmean(sustained):.1f}%")
        assert all(cell != "n/a" for cell in row)

    section = text[text.index("## When"):]
    when = {row[0]: row for row in table_rows(section, "### Per design point")}
    assert set(when) == {"12", "24"}
    for months, row in when.items():
        medians = runs.loc[runs["funding.grant_months"] == int(months), "median_months_to_collapse"].dropna()
        assert row[5].startswith(f"{np.median(medians):.0f} (IQR")

    # Two-arm comparison: Welch's interval of the difference in the mean share collapsed, 24 minus 12.
    a = runs.loc[runs["funding.grant_months"] == 24, "share_collapsed"]
    b = runs.loc[runs["funding.grant_months"] == 12, "share_collapsed"]
    difference, low, high = analysis.welch_interval(a, b)
    assert f"{100 * difference:+.1f} pts ({100 * low:+.1f} to {100 * high:+.1f})" in text


def test_report_kind_without_manifest_kind(sweep, tmp_path):
    """A region sweep written before manifests had a kind is still reported as a region (from its base parameters)."""
    copy = tmp_path / "old"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("report"))
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    del manifest["kind"]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert load_study(copy).kind == "region"
    (copy / "manifest.json").unlink()
    assert load_study(copy).kind == "region"  # from the columns


# --------------------------------------------------------------------------- statistics

def test_mean_interval_and_table_match_scipy():
    values = [0.2, 0.35, 0.5, np.nan, 0.1]
    mean, low, high, n = analysis.mean_interval(values)
    x = np.array([0.2, 0.35, 0.5, 0.1])
    expected = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    assert n == 4 and math.isclose(mean, x.mean())
    assert math.isclose(low, expected[0]) and math.isclose(high, expected[1])
    empty = analysis.mean_interval([np.nan])
    assert empty[3] == 0 and all(math.isnan(v) for v in empty[:3])
    m, lo, hi, k = analysis.mean_interval([3.0])
    assert (m, k) == (3.0, 1) and math.isnan(lo) and math.isnan(hi)
    frame = pd.DataFrame({"g": ["a", "a", "a", "a", "a", "b"], "y": values + [1.0]})
    table = analysis.mean_table(frame, ["g"], "y").set_index("g")
    assert table.loc["a", "n"] == 4 and math.isclose(table.loc["a", "ci_low"], expected[0])
    assert table.loc["b", "n"] == 1 and math.isnan(table.loc["b", "ci_low"])
