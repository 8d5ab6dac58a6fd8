"""Ctrl-C and SIGTERM on the command line: one exception, one line, exit status 130 or 143.

While a command runs, the first SIGINT or SIGTERM raises :class:`Interrupted` (a ``KeyboardInterrupt``
that knows its signal). From then on both signals are ignored until the process exits: a terminal sends
SIGINT to every process of the job, users press Ctrl-C twice, and a batch scheduler may follow SIGTERM
with another; none of these may interrupt the clean-up that the first signal started (or end the
process by the signal instead of its exit status).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM, raised where the main thread was."""

    def __init__(self, signum: int = signal.SIGINT):
        self.signum = int(signum)
        super().__init__(signal_name(signum))

    def __reduce__(self):
        return type(self), (self.signum,)


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_status(signum: int) -> int:
    """The shell's status for a command stopped by ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum)


def signal_of(error: BaseException | None) -> int | None:
    """The signal behind an interrupt, also when it surfaced wrapped in another exception (compiled code that
    was running when the signal came returns a SystemError whose cause is the KeyboardInterrupt)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, KeyboardInterrupt):
            return getattr(error, "signum", signal.SIGINT)
        error = error.__cause__ or error.__context__
    return None


def _ignore(signum, frame) -> None:
    """Drop the signal. (Not SIG_IGN: a signal that arrived with the first one, but whose Python handler has not
    run yet, would then raise "OSError: Signal N ignored due to race condition" wherever the code was.)"""


def ignore_interrupts() -> None:
    if threading.current_thread() is threading.main_thread():
        for signum in HANDLED:
            signal.signal(signum, _ignore)


class _State:
    received: int | None = None


def _raise_interrupted(signum, frame) -> None:
    ignore_interrupts()
    _State.received = signum
    raise Interrupted(signum)


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` inside the block (main thread only).

    The previous handlers come back at the end unless a signal was received: then both stay ignored, as the
    process is on its way out.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in HANDLED}
    _State.received = None
    for signum in HANDLED:
        signal.signal(signum, _raise_interrupted)
    try:
        yield
    finally:
        if _State.received is None:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def stopped_while_starting() -> None:
    """Ctrl-C while the ``partnersim`` command is still importing the model (before :func:`interrupts_raise`
    can be in place): one line and exit status 130 instead of Python's traceback. Does nothing in a program
    that merely imports ``sim``: its KeyboardInterrupt is its own."""
    import os
    import sys

    argv = list(getattr(sys, "orig_argv", []))
    as_module = "-m" in argv[:-1] and argv[argv.index("-m") + 1] == "sim"
    if as_module or os.path.basename(sys.argv[0] if sys.argv else "") == "partnersim":
        ignore_interrupts()
        sys.stderr.write("partnersim: stopped by SIGINT while starting; nothing was written\n")
        raise SystemExit(exit_status(signal.SIGINT))
