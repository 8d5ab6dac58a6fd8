"""Worker processes that never outlive the sweep that started them.

A sweep's pool workers are forked by the forkserver, not by the sweep itself. If the sweep is killed
outright (SIGKILL from the out-of-memory killer or a scheduler), nothing closes their queues, and they,
the forkserver and the resource tracker would wait forever. So the forkserver asks the kernel to kill it
when its parent (the sweep) exits, and each worker does the same for its parent (the forkserver) and
also watches the sweep's process id itself, which covers systems without ``prctl``.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time

from sim.atomic import pid_alive

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_SECONDS = 0.5  # only where a process cannot be waited on through a pidfd
EXIT_ORPHANED = 1


def die_with_parent(signum: int = signal.SIGKILL) -> bool:
    """Linux: have the kernel send ``signum`` to this process when its parent exits; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch_process(pid: int) -> threading.Thread:
    """End this process (``os._exit``) as soon as process ``pid`` has ended; watched from a daemon thread."""
    thread = threading.Thread(target=_exit_after, args=(pid,), name="partnersim-lifeline", daemon=True)
    thread.start()
    return thread


def _exit_after(pid: int) -> None:
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (not Linux, old kernel), or the process is already gone
        while pid_alive(pid):
            time.sleep(POLL_SECONDS)
    else:
        select.select([pidfd], [], [])  # readable once the process has ended
    os._exit(EXIT_ORPHANED)
