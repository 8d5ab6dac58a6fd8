"""The ``partnersim`` command line: run a scenario, list scenarios, validate a scenario file, run a sweep, report on it.

It holds no model logic: it parses flags, hands them to :func:`sim.run` and
:mod:`sim.scenarios`, and writes with :mod:`sim.output`. Every bad input (a
:class:`sim.errors.ScenarioError` or a usage error) prints one line,
``partnersim: error: ...``, to stderr and exits with status 2 before any file
is created; so does a damaged or busy results directory and a write that fails
(e.g. a full disk). Ctrl-C or SIGTERM prints one line and exits with 130 or 143
(:mod:`sim.interrupts`). Unexpected exceptions are bugs and propagate.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import sim
from sim import atomic
from sim.errors import ScenarioError
from sim.extras import MissingExtra, require
from sim.interrupts import exit_status, ignore_interrupts, interrupts_raise, signal_name, signal_of
from sim.run import starting_data
from sim.scenarios import OVERRIDE_SOURCE, parse_set, read_toml, scenario_names, scenario_path
from sim.run import NETWORK_MONTHS

PROG = "partnersim"
EXIT_USAGE = 2


class CliError(Exception):
    """A problem with the command line's environment (e.g. an output directory), reported on one line."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {_one_line(message)}\n")
    sys.stderr.flush()
    return EXIT_USAGE


def _out_dir(text: str) -> Path:
    """``--out``: a path; the empty string (which would mean the current folder) is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (it would write into the current folder); give a folder, e.g. "
                                         "results/NAME")
    return Path(text)


def _host(text: str) -> str:
    """``--host``: an IP address (``127.0.0.1``, ``::1``, ``0.0.0.0``) or ``localhost``."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if text != "localhost":
            raise argparse.ArgumentTypeError(f"{text!r} is not an IP address; allowed: e.g. 127.0.0.1 (this machine only, "
                                             "the default), ::1, or 0.0.0.0 (every interface)") from None
    return text


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit status 2 (no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{PROG}: error: {_one_line(message)}\n")
        sys.exit(EXIT_USAGE)


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description=sim.__doc__, allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {sim.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)

    run = commands.add_parser("run", help="run one scenario and write its results", allow_abbrev=False,
                              description="Run one scenario, write timeseries.csv, summary.json and figures/, "
                                          "and print a short summary.")
    run.add_argument("scenario", metavar="SCENARIO", help="a scenario name (see `partnersim scenarios`) or a TOML file")
    run.add_argument("--seed", type=int, metavar="N", help="random seed (an integer from 0); overrides the scenario's")
    run.add_argument("--steps", type=int, metavar="N", help="months to simulate; overrides the scenario's")
    run.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                     help="override one parameter, e.g. funding.grant_months=24 (repeatable)")
    run.add_argument("--out", type=_out_dir, metavar="DIR", help="output directory (default: results/<scenario name>)")
    run.add_argument("--data", type=Path, metavar="DIR",
                     help="start from the data in DIR (a roster, a network survey, ...; or an export to continue), "
                          "instead of the scenario's own [data] or a drawn start (docs/DATA.md)")
    run.add_argument("--export", type=_out_dir, metavar="DIR",
                     help="also write the partnership's state at --export-month (default: the last month) to DIR, in "
                          "the files --data reads")
    run.add_argument("--export-month", type=int, metavar="N", help="the month whose state --export writes")
    run.add_argument("--network-months", metavar="M,M,...",
                     help="also write the partnership's network at these months as networks/month_M.graphml "
                          "(GraphML, for networkx, Gephi or igraph), e.g. 0,36")
    run.set_defaults(handler=cmd_run)

    listing = commands.add_parser("scenarios", help="list the scenarios with their descriptions", allow_abbrev=False)
    listing.set_defaults(handler=cmd_scenarios)

    params = commands.add_parser("params", help="list every parameter: default, range, unit, meaning and source",
                                 allow_abbrev=False,
                                 description="List every parameter (or those of one SECTION) as a scenario file would hold "
                                             "it: each key with its default, under its meaning, what is allowed, its unit "
                                             "and its source. The listing is valid TOML.")
    params.add_argument("section", nargs="?", metavar="SECTION",
                        help="one section, e.g. funding or organizations.sector_mix (top: the keys outside any section)")
    params.set_defaults(handler=cmd_params)

    validate = commands.add_parser("validate", help="check a scenario file without running it", allow_abbrev=False)
    validate.add_argument("file", metavar="FILE", help="a scenario TOML file (or a scenario name)")
    validate.add_argument("--data", type=Path, metavar="DIR", help="check it with the data in DIR (docs/DATA.md)")
    validate.set_defaults(handler=cmd_validate)

    sweep = commands.add_parser("sweep", help="run a parameter sweep from a spec file", allow_abbrev=False,
                                description="Run every design point and replicate of a sweep spec (experiments/*.toml) and "
                                            "write runs.parquet, timeseries.parquet (if asked) and manifest.json to DIR.")
    sweep.add_argument("spec", metavar="SPEC", help="a sweep spec TOML file (format: experiments/README.md)")
    sweep.add_argument("--workers", type=int, metavar="N", help="parallel workers (default: all CPUs; 1 runs in this process)")
    sweep.add_argument("--backend", choices=("local", "dask"),
                       help="local: a process pool (default); dask: a Dask LocalCluster, or the cluster at --scheduler")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://HOST:8786 (implies --backend dask)")
    sweep.add_argument("--resume", action="store_true", help="finish an interrupted sweep in DIR: run only the missing runs")
    sweep.add_argument("--out", type=_out_dir, metavar="DIR", help="output directory (default: results/<spec name>)")
    sweep.add_argument("--replicates", type=int, metavar="N", help="replicates per design point; overrides the spec's")
    sweep.add_argument("--steps", type=int, metavar="N", help="months to simulate; overrides the spec's")
    sweep.add_argument("--yes-large", action="store_true",
                       help="run a study above the size limits (runs, estimated size; experiments/README.md)")
    sweep.set_defaults(handler=cmd_sweep)

    report = commands.add_parser("report", help="write figures and summary.md for a sweep's results", allow_abbrev=False,
                                 description="Read a sweep's results (runs.parquet, manifest.json, timeseries.parquet) "
                                             "and write summary.md and figures to DIR.")
    report.add_argument("results", type=Path, metavar="RESULTS", help="a sweep's results directory, e.g. results/NAME")
    report.add_argument("--out", type=_out_dir, metavar="DIR", help="output directory (default: RESULTS/report)")
    report.set_defaults(handler=cmd_report)

    calibrate = _spec_command(commands, "calibrate", "fit parameters to published data by ABC-SMC (approximate Bayesian computation)",
                              "Fit the parameters a calibration spec names to its calibration targets (ABC-SMC), check the fit "
                              "against calibration and validation targets, and write the posterior, its figures, fit.md and "
                              "calibrated scenarios to DIR (docs/CALIBRATION.md).", "a calibration spec", "coalitions",
                              "calibration")
    calibrate.add_argument("--scheduler", metavar="ADDRESS", help="evaluate particles on the Dask cluster at ADDRESS, e.g. tcp://HOST:8786")
    calibrate.add_argument("--resume", action="store_true", help="continue an interrupted calibration in DIR from its last complete generation")
    calibrate.add_argument("--population", type=int, metavar="N", help="particles per generation; overrides the spec's (a quicker, rougher fit)")
    calibrate.add_argument("--generations", type=int, metavar="N", help="generations after the prior; overrides the spec's")
    calibrate.add_argument("--trace", type=Path, metavar="FILE",
                           help="append the calibration's log entry to FILE (docs/TRACE.md's calibration log)")
    calibrate.set_defaults(handler=cmd_calibrate)

    robustness = _spec_command(commands, "robustness", "rerun each headline finding with each assumption switched off or at its edges",
                               "For every finding x assumption of a robustness spec, run both arms on common seeds and write a "
                               "table (holds / weakens / reverses, with intervals) to DIR.", "a robustness spec", "robustness",
                               "robustness")
    robustness.add_argument("--replicates", type=int, metavar="N", help="paired runs per finding and assumption; overrides the spec's")
    robustness.set_defaults(handler=cmd_robustness)

    screen = _spec_command(commands, "screen", "Morris screening over every numeric parameter, then Sobol on the influential ones",
                           "Screen every numeric parameter (Morris elementary effects), then estimate Sobol indices for the "
                           "most influential, and write the report to DIR.", "a screening spec", "screening", "screening")
    screen.add_argument("--reduced", action="store_true", help="the spec's [reduced] sizes: a quick run to check the machinery")
    screen.set_defaults(handler=cmd_screen)

    app = commands.add_parser("app", help="serve the classroom page (betterment against empowerment) in a browser",
                              allow_abbrev=False,
                              description="Serve the interactive classroom page: two partnerships from the same "
                                          "organizations, side by side, under two community decision shares.")
    app.add_argument("--host", type=_host, default="127.0.0.1", metavar="H",
                     help="address to listen on (default: 127.0.0.1, this machine only; the page has no login)")
    app.add_argument("--port", type=int, default=8765, metavar="N", help="port to listen on (default: 8765)")
    app.set_defaults(handler=cmd_app)

    lesson = commands.add_parser("lesson", help="write a ready-made lesson: an animated GIF, a one-page handout and a lesson plan",
                                 allow_abbrev=False,
                                 description="Run a lesson's two seeded partnerships and write NAME.gif (both networks "
                                             "evolving side by side), NAME-handout.png (one A4 page of charts and captions) and "
                                             "NAME-plan.md (objectives, a 50-minute sequence, discussion questions answered from the run).")
    lesson.add_argument("lesson", metavar="LESSON", help="a lesson name: betterment-vs-empowerment")
    lesson.add_argument("--out", type=_out_dir, metavar="DIR", help="output directory (default: results/lesson)")
    lesson.add_argument("--seed", type=int, metavar="N", help="random seed (an integer from 0); overrides the scenario's")
    lesson.add_argument("--steps", type=int, metavar="N", help="months to simulate; overrides the scenario's")
    lesson.set_defaults(handler=cmd_lesson)
    return parser


def _spec_command(commands, name: str, help_text: str, description: str, kind: str, example: str, results: str) -> Parser:
    """A subcommand that reads a spec from calibration/ and writes to results/RESULTS/<spec name>: SPEC, --out, --workers."""
    command = commands.add_parser(name, help=help_text, allow_abbrev=False, description=description)
    command.add_argument("spec", metavar="SPEC", help=f"{kind} TOML file (e.g. calibration/{example}.toml) or its name")
    command.add_argument("--out", type=_out_dir, metavar="DIR", help=f"output directory (default: results/{results}/<spec name>)")
    command.add_argument("--workers", type=int, metavar="N", help="parallel processes (default: all CPUs; 1 runs in this process)")
    return command


def console() -> int:
    """The ``partnersim`` command (and ``python -m sim``): :func:`main` in a process of its own.

    The command owns its process, so it freezes what the imports left to the garbage collector first
    (``gc.freeze``): the model's libraries (Mesa, pandas, numba) leave hundreds of thousands of objects that every
    full collection, and the interpreter's exit, would otherwise walk again; a run starts and ends about half a
    second sooner (benchmarks/RESULTS.md, cold start). :func:`main` itself, called in a longer-lived process
    (the tests, a notebook), leaves the collector alone."""
    gc.freeze()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    try:  # Ctrl-C while the parser is built, before interrupts_raise is in place, is one line too
        parser = build_parser()
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # usage errors (already printed), --help, --version
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        return _interrupted(signal.SIGINT)
    with interrupts_raise():
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: stop quietly, as command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ScenarioError as error:  # several mistakes (ScenarioErrors): one line each
        for mistake in getattr(error, "errors", [error])[:-1]:
            _fail(str(mistake))
        return _fail(str(getattr(error, "errors", [error])[-1]))
    except (CliError, MissingExtra) as error:
        return _fail(str(error))
    except KeyboardInterrupt as interrupt:
        return _interrupted(signal_of(interrupt))
    except Exception as error:
        if _is_study_error(error):
            return _fail(str(error))
        signum = signal_of(error)  # compiled code interrupted by Ctrl-C surfaces as a SystemError
        if signum is None:
            raise
        return _interrupted(signum)


def _is_study_error(error: Exception) -> bool:
    """A damaged or busy results directory, or a write that failed (loaded only by the sweep commands)."""
    store = sys.modules.get("sim.experiments.store")
    return store is not None and isinstance(error, store.StudyError)


def _interrupted(signum: int) -> int:
    ignore_interrupts()
    sys.stderr.write(f"{PROG}: stopped by {signal_name(signum)}; nothing was left half-written\n")
    sys.stderr.flush()
    return exit_status(signum)


# --------------------------------------------------------------------------- commands

def _overrides(assignments: Sequence[str]) -> dict:
    overrides = {}
    for assignment in assignments:
        key, value = parse_set(assignment)
        overrides[key] = value
    return overrides


def _check_output_dir(out_dir: Path) -> None:
    """Fail early, creating nothing, if ``out_dir`` clearly cannot be created or written, or is a folder that
    output must not be poured into (the root, the home folder itself)."""
    resolved = out_dir.expanduser().resolve()
    if resolved == Path(resolved.anchor):
        raise CliError(f"{out_dir}: refusing to write output into the root folder; give a folder for it, e.g. results/NAME")
    if resolved == _home():
        raise CliError(f"{out_dir}: refusing to write output into the home folder itself; give a folder inside it, "
                       f"e.g. {out_dir}/results")
    if out_dir.exists():
        if not out_dir.is_dir():
            raise CliError(f"{out_dir}: cannot write output: exists and is not a directory")
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise CliError(f"{out_dir}: cannot write output: permission denied")
        return
    ancestor = out_dir.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise CliError(f"{out_dir}: cannot create output directory: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise CliError(f"{out_dir}: cannot create output directory: permission denied in {ancestor}")


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return None


@contextmanager
def _no_empty_folders_on_failure(out_dir: Path) -> Iterator[None]:
    """Remove the folders this command created for ``out_dir`` if it fails before filling them."""
    created = atomic.first_missing(out_dir)
    try:
        yield
    except BaseException:
        if created is not None:
            atomic.remove_empty_dirs(out_dir, created)
        raise


def cmd_run(args: argparse.Namespace) -> int:
    from sim.output import format_summary, write_run  # matplotlib only when a run writes figures

    overrides = _overrides(args.assignments)
    if args.export_month is not None and args.export is None:
        raise CliError("--export-month: needs --export DIR (the folder to write the state into)")
    # Validate scenario, overrides, seed, steps and the data before anything is created or run.
    try:
        params = sim.load_scenario(args.scenario, {**overrides, **_seed_steps(args)}, data=args.data)
        starting = starting_data(args.scenario, args.data)
    except ScenarioError as error:
        raise _blame_flag(error, args) from None
    out_dir = args.out if args.out is not None else Path("results") / Path(str(args.scenario)).stem
    _check_output_dir(out_dir)
    export_month = None
    if args.export is not None:
        _check_output_dir(args.export)
        export_month = params.steps if args.export_month is None else args.export_month

    result = sim.run(args.scenario, seed=args.seed, steps=args.steps, overrides=overrides, data=starting,
                     export_month=export_month, network_months=_months_list(args.network_months))
    with _no_empty_folders_on_failure(out_dir):
        paths = _write(lambda: write_run(result, out_dir), out_dir, "output")
    if result.export is not None:
        from sim.inputdata.export import write_export

        with _no_empty_folders_on_failure(args.export):
            paths += _write(lambda: write_export(result.export, args.export), args.export, "export")
    print(format_summary(result.summary))
    if result.start_note:
        print(result.start_note)
    return _list_written(paths, out_dir if result.export is None else f"{out_dir} and {args.export}")


def _months_list(text: str | None) -> list[int]:
    """``--network-months 0,36`` as months (whether the run has them, sim.run checks)."""
    if text is None:
        return []
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ScenarioError(NETWORK_MONTHS, "", f"{text!r} is not a list of months",
                            "whole months separated by commas, e.g. 0,36") from None


def _write(write, out_dir: Path, what: str) -> list:
    """Call ``write()``; an OSError becomes one line naming the path that failed."""
    try:
        return write()
    except OSError as error:
        where = error.filename if error.filename is not None else out_dir
        raise CliError(f"{where}: cannot write {what} ({error.strerror or error})") from None


def _list_written(paths, out_dir: Path | str) -> int:
    print(f"wrote {len(paths)} files to {out_dir}:")
    for path in paths:
        print(f"  {path}")
    return 0


def _blame_flag(error: ScenarioError, args: argparse.Namespace) -> ScenarioError:
    """Name ``--seed``/``--steps`` rather than ``--set`` when the bad value came from that flag."""
    if error.source == OVERRIDE_SOURCE and error.key in ("seed", "steps") and getattr(args, error.key) is not None:
        return ScenarioError(f"--{error.key}", "", error.problem, error.allowed)
    return error


def _seed_steps(args: argparse.Namespace) -> dict:
    extra = {}
    if args.seed is not None:
        extra["seed"] = args.seed
    if args.steps is not None:
        extra["steps"] = args.steps
    return extra


def cmd_scenarios(args: argparse.Namespace) -> int:
    names = scenario_names()
    if not names:
        print("no scenarios found")
        return 0
    width = max(len(name) for name in names)
    for name in names:
        data = read_toml(scenario_path(name))
        description = data.get("description", "")
        description = _one_line(description) if isinstance(description, str) else ""
        print(f"{name:<{width}}  {description or '(no description)'}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from sim.reference import listing

    sys.stdout.write(listing(args.section))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    params = sim.load_scenario(args.file, data=args.data)
    starting = starting_data(args.file, args.data)
    data = ""
    if starting is not None:
        roster = starting.roster
        candidates = roster.count - roster.members
        pool = (f" and {candidates} candidate{'s' if candidates != 1 else ''}" if roster.lists_candidates
                else f" and a pool of {params.membership.pool} drawn by the run" if params.membership.pool else "")
        data = f"{pool} from {roster.source}" if not params.ecosystem.organizations else f", from {roster.source}"
    if params.ecosystem.organizations:
        print(f"{args.file}: ok (a region of {params.ecosystem.organizations:,} organizations{data}, partnerships of "
              f"up to {params.organizations.count}, {params.steps} months)")
    else:
        print(f"{args.file}: ok ({params.organizations.count} organizations{data}, {params.steps} months)")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments import SweepAborted, SweepInterrupted, load_spec, run_sweep
    from sim.experiments.execute import final_line

    from sim.experiments import scales

    spec = load_spec(args.spec, replicates=args.replicates, steps=args.steps)
    out_dir = args.out if args.out is not None else Path("results") / spec.name
    _check_output_dir(out_dir)
    sweep = scales.run_scaled_sweep if isinstance(spec, scales.ScaledSpec) else run_sweep
    if isinstance(spec, scales.ScaledSpec):
        final_line = scales.final_line
    try:
        sweep(spec, out_dir, workers=args.workers, backend=args.backend, scheduler=args.scheduler, resume=args.resume,
              allow_large=args.yes_large)
    except SweepInterrupted as stop:
        ignore_interrupts()
        again = [PROG, "sweep", str(args.spec), "--out", str(out_dir), "--resume"]
        again += [f"--{name} {getattr(args, name)}" for name in ("replicates", "steps") if getattr(args, name) is not None]
        again += ["--yes-large"] if args.yes_large else []
        sys.stderr.write(f"{PROG}: interrupted by {signal_name(stop.signum)}: {stop}; continue with: {' '.join(again)}\n")
        return exit_status(stop.signum)
    except SweepAborted as error:
        sys.stderr.write(f"{PROG}: error: {_one_line(str(error))}\n")
        return 1
    print(final_line(out_dir))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.experiments.reporting import ReportError, check_results, write_report

    out_dir = args.out if args.out is not None else args.results / "report"
    _check_output_dir(out_dir)
    try:
        check_results(args.results)  # bad input fails before anything is created
        with _no_empty_folders_on_failure(out_dir):
            paths = _write(lambda: write_report(args.results, out_dir), out_dir, "report")
    except ReportError as error:
        raise CliError(str(error)) from None
    return _list_written(paths, out_dir)



def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration.run import CalibrationError, calibrate, print_progress
    from sim.calibration.spec import load_calibration

    spec = load_calibration(args.spec, population=args.population, generations=args.generations)
    out_dir = args.out if args.out is not None else Path("results") / "calibration" / spec.name
    _check_output_dir(out_dir)
    if args.trace is not None and not args.trace.is_file():
        raise CliError(f"--trace: {args.trace}: no such file (give docs/TRACE.md or another existing file to append to)")
    try:
        with _no_empty_folders_on_failure(out_dir):
            calibrate(spec, out_dir, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                      progress=print_progress)
    except CalibrationError as error:
        raise CliError(str(error)) from None
    except KeyboardInterrupt:
        ignore_interrupts()
        again = "".join(f" --{name} {getattr(args, name)}" for name in ("population", "generations")
                        if getattr(args, name) is not None)
        sys.stderr.write(f"{PROG}: interrupted; finished generations are kept in {out_dir}; continue with: "
                         f"{PROG} calibrate {args.spec} --out {out_dir}{again} --resume\n")
        raise
    if args.trace is not None:
        entry = (out_dir / "trace_entry.md").read_text(encoding="utf-8")
        _write(lambda: atomic.write_bytes(args.trace, (args.trace.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
                                                       + entry).encode("utf-8")), args.trace.parent, "trace")
        print(f"appended the calibration log entry to {args.trace}")
    print(f"calibrated: {out_dir / 'fit.md'}")
    return 0


def cmd_robustness(args: argparse.Namespace) -> int:
    from sim.calibration.robustness import load_robustness, write_robustness

    spec = load_robustness(args.spec, replicates=args.replicates)
    out_dir = args.out if args.out is not None else Path("results") / "robustness" / spec.name
    _check_output_dir(out_dir)
    with _no_empty_folders_on_failure(out_dir):
        paths = _write(lambda: write_robustness(spec, out_dir, workers=args.workers), out_dir, "robustness report")
    return _list_written(paths, out_dir)


def cmd_screen(args: argparse.Namespace) -> int:
    from sim.calibration.screening import load_screening, write_screening

    spec = load_screening(args.spec, reduced=args.reduced)
    out_dir = args.out if args.out is not None else Path("results") / "screening" / (spec.name + ("-reduced" if args.reduced else ""))
    _check_output_dir(out_dir)
    with _no_empty_folders_on_failure(out_dir):
        paths = _write(lambda: write_screening(spec, out_dir, workers=args.workers), out_dir, "screening report")
    return _list_written(paths, out_dir)


def cmd_app(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise CliError(f"--port: {args.port} is out of range (an integer from 1 to 65535)")
    require("partnersim app", "app")
    from sim.classroom.app import ServeError, serve  # solara and Mesa's visualization only when serving
    try:
        return serve(args.host, args.port)
    except ServeError as error:
        raise CliError(str(error)) from None


def cmd_lesson(args: argparse.Namespace) -> int:
    require("partnersim lesson", "app")
    from sim.classroom.lesson import UnknownLesson, get_lesson
    from sim.classroom.lesson_files import write_lesson

    try:
        lesson = get_lesson(args.lesson)
    except UnknownLesson as error:
        raise CliError(str(error)) from None
    try:
        sim.load_scenario(lesson.scenario, _seed_steps(args))
    except ScenarioError as error:
        raise _blame_flag(error, args) from None
    out_dir = args.out if args.out is not None else Path("results") / "lesson"
    _check_output_dir(out_dir)
    with _no_empty_folders_on_failure(out_dir):
        paths = _write(lambda: write_lesson(lesson.name, out_dir, seed=args.seed, steps=args.steps), out_dir, "lesson")
    return _list_written(paths, out_dir)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
