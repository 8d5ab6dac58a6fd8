"""``partnersim report``: a study's results in, the partnership or the region report out."""

from __future__ import annotations

from pathlib import Path

from sim.experiments.region_report import write_region_report
from sim.experiments.partnership_report import write_partnership_report
from sim.experiments.report import ReportError, load_study
from sim.experiments.store import REGION

__all__ = ["ReportError", "load_study", "write_report"]


def write_report(results_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write ``summary.md`` and the figures for a sweep's results; return the paths written.

    Raises :class:`ReportError` for bad input (missing directory, no or unreadable ``runs.parquet``).
    """
    study = load_study(results_dir)
    out = Path(out_dir) if out_dir is not None else study.directory / "report"
    out.mkdir(parents=True, exist_ok=True)
    if study.kind == REGION:
        return write_region_report(study, out)
    return write_partnership_report(study, out)
