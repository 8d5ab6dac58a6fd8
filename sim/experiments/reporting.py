"""``partnersim report``: a study's results in, the partnership or the region report out."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from sim import atomic
from sim.experiments.region_report import write_region_report
from sim.experiments.partnership_report import write_partnership_report
from sim.experiments.report import ReportError, load_study
from sim.experiments.study_check import check_study
from sim.experiments.store import REGION
from sim.experiments.scales import is_scaled
from sim.experiments.two_scales import check_scaled, load_scaled, write_scales_report

__all__ = ["ReportError", "check_results", "check_study", "load_study", "write_report"]


def check_results(results_dir: str | Path) -> None:
    """Raise :class:`ReportError` for results a report cannot be written from: a sweep's, or a two-scale study's
    (both scales' sweeps, belonging together)."""
    if is_scaled(results_dir):
        check_scaled(results_dir)
        return
    check_study(results_dir)
    load_study(results_dir)


def write_report(results_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write ``summary.md`` and the figures for a sweep's results; return the paths written.

    A two-scale study's directory (:mod:`sim.experiments.scales`) gets both scales' reports and the section
    "Two scales" (:mod:`sim.experiments.two_scales`). Raises :class:`ReportError` for bad input (missing
    directory, no or unreadable ``runs.parquet``, a manifest of another shape or study, outcome columns of the
    wrong type), before anything is drawn.
    """
    if is_scaled(results_dir):
        scaled = load_scaled(results_dir)
        out = Path(out_dir) if out_dir is not None else scaled.directory / "report"
        return _publish(out, lambda staging: write_scales_report(scaled, staging))
    check_study(results_dir)
    study = load_study(results_dir)
    out = Path(out_dir) if out_dir is not None else study.directory / "report"
    writer = write_region_report if study.kind == REGION else write_partnership_report
    return _publish(out, lambda staging: writer(study, staging))


def _publish(out: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Write the report into a hidden folder beside ``out``, then move it into place: a full disk or an
    interrupt leaves ``out`` as it was, never a partial figure."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = atomic.staging_dir(out)
    try:
        written = write(staging)
        files = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
        atomic.move_into(staging, out, files)
        return [out / Path(p).relative_to(staging) for p in written]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
