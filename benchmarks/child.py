"""Measurements that run in a child process of the benchmark, so that their memory is their own.

``python -m benchmarks.child sweep --spec S --out D --workers N``: one ``run_sweep``; reports its wall
clock and this process's peak RSS (``ru_maxrss``; the pool workers are other processes).
The last line of stdout is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def _status_bytes(key: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def ru_maxrss_bytes() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak) * (1 if sys.platform == "darwin" else 1024)


def maxrss_bytes() -> float:
    """This process's peak resident set size. On Linux ``VmHWM``: ``ru_maxrss`` survives ``execve`` and so starts
    at the RSS of the process that forked this one (the benchmark, hundreds of MB after its large steps); the
    high-water mark of this process's own memory map does not."""
    hwm = _status_bytes("VmHWM")
    return hwm if hwm is not None else ru_maxrss_bytes()


def cpu_seconds() -> tuple[float, float]:
    """(CPU seconds of this process, of its waited-for children: the pool workers once shut down)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def rss_bytes() -> float:
    """This process's resident set size now (Linux), else its peak so far."""
    rss = _status_bytes("VmRSS")
    return rss if rss is not None else maxrss_bytes()


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far), from /proc (Linux; empty elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid ... utime(12th) stime(13th) counted from state as 0
        table[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return table


def descendants_cpu(root: int, seen: dict[int, float]) -> None:
    """Record in ``seen`` the CPU seconds of every live descendant of ``root`` (pool workers, the forkserver)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        seen[pid] = max(seen.get(pid, 0.0), table[pid][1])
        stack += children.get(pid, [])


def do_sweep(args) -> dict:
    import threading

    from sim.experiments import load_spec, run_sweep
    from sim.experiments.store import Store

    # Where the peak is reached: sample RSS while the runs stream in, and note the peak when the
    # parts start being merged (Store.consolidate, wrapped here, not changed).
    marks: dict[str, float] = {}
    original = Store.consolidate

    def consolidate(self):
        marks["before_merge"] = maxrss_bytes()
        return original(self)

    Store.consolidate = consolidate
    samples: list[float] = []
    others: dict[int, float] = {}
    stop = threading.Event()
    me = os.getpid()

    def sample():
        while not stop.wait(0.25):
            samples.append(rss_bytes())
            descendants_cpu(me, others)

    spec = load_spec(args.spec)
    marks["start"] = rss_bytes()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = cpu_seconds()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    try:
        out = run_sweep(spec, args.out, workers=args.workers, backend="local", progress=False)
    finally:
        stop.set()
        sampler.join()
        Store.consolidate = original
    elapsed = time.perf_counter() - start
    cpu_after = cpu_seconds()
    manifest = Store(out).read_manifest() or {}
    quarter = max(1, len(samples) // 4)
    return {"elapsed_s": elapsed, "maxrss": maxrss_bytes(), "runs_done": manifest.get("runs_done"),
            "runs_failed": manifest.get("runs_failed"), "workers": args.workers, "rss_start": marks["start"],
            "ru_maxrss": ru_maxrss_bytes(), "cpu_self_s": cpu_after[0] - cpu_before[0],
            "cpu_workers_s": sum(others.values()), "load_before": load_before, "load_after": os.getloadavg()[0],
            "maxrss_before_merge": marks.get("before_merge"),
            "rss_first_quarter": max(samples[:quarter], default=None), "rss_last_quarter": max(samples[-quarter:], default=None)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("sweep")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--workers", type=int, required=True)
    args = parser.parse_args(argv)
    result = {"sweep": do_sweep}[args.what](args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
