"""Publishing files so that a reader, a crash or a full disk never leaves half of one.

Everything is written to a temporary name, flushed to the disk (``fsync`` of the file, then of its
directory once renamed), and only then renamed into place. Staging folders carry the writer's
process id, so that a later writer can remove the ones left by a process that was killed without
touching those of a process still at work.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

TMP_SUFFIX = ".tmp"


def fsync_dir(directory: Path) -> None:
    """Make a rename or a removal in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename itself is still atomic
    finally:
        os.close(fd)


def publish(tmp: Path, path: Path) -> None:
    """Rename a fully written and flushed ``tmp`` onto ``path`` and make the rename durable."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_with(path: Path, write: Callable[[object], None]) -> None:
    """Call ``write(handle)`` on a temporary file beside ``path``, flush it to the disk, then publish it.

    On any failure (a full disk, an interrupt) the temporary file is removed and ``path`` is untouched.
    """
    tmp = path.with_name(path.name + TMP_SUFFIX)
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        publish(tmp, path)
    except BaseException as error:
        remove_quietly(tmp)
        if isinstance(error, OSError) and error.filename is None:
            error.filename = str(path)  # a failed write() does not say which file it was writing
        raise


def write_bytes(path: Path, data: bytes) -> None:
    write_with(path, lambda handle: handle.write(data))


def remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# --------------------------------------------------------------------------- staging folders

def _stale_prefix(target: Path) -> str:
    return f".{target.name}."


def staging_dir(target: Path) -> Path:
    """A new hidden folder beside ``target`` (``.NAME.PID.xxxx.tmp``), after removing stale ones of dead writers."""
    remove_stale_staging(target)
    return Path(tempfile.mkdtemp(prefix=f"{_stale_prefix(target)}{os.getpid()}.", suffix=TMP_SUFFIX, dir=target.parent))


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove the staging folders beside ``target`` whose writer is no longer running; return them."""
    removed = []
    for path in _staging_dirs(target):
        pid = _writer_pid(path.name[len(_stale_prefix(target)):])
        if pid is None or not pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _staging_dirs(target: Path) -> Iterator[Path]:
    prefix = _stale_prefix(target)
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return
    for path in entries:
        if path.name.startswith(prefix) and path.name.endswith(TMP_SUFFIX) and path.is_dir() and not path.is_symlink():
            yield path


def _writer_pid(rest: str) -> int | None:
    head = rest.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def move_into(staging: Path, target: Path, relative: list[Path]) -> list[Path]:
    """Move the files ``relative`` (paths inside ``staging``) into ``target``; return their new paths.

    A new ``target`` is the staging folder renamed at once; an existing one receives the files one by one
    (renames, which need no space), leaving its other files alone.
    """
    if not target.exists():
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp made it private; a published folder gets the usual mode
        os.replace(staging, target)
        fsync_dir(target.parent)
        return [target / rel for rel in relative]
    moved = []
    for rel in relative:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, target / rel)
        moved.append(target / rel)
    fsync_dir(target)
    return moved


# --------------------------------------------------------------------------- folders a command created

def first_missing(directory: Path) -> Path | None:
    """The outermost of ``directory`` and its parents that does not exist yet (what creating it creates), or None."""
    missing = None
    for path in [directory, *directory.parents]:
        if path.exists():
            break
        missing = path
    return missing


def remove_empty_dirs(directory: Path, outermost: Path) -> None:
    """Remove ``directory`` and its parents up to ``outermost``, each only if it is empty."""
    for path in [directory, *directory.parents]:
        try:
            path.rmdir()
        except OSError:
            return
        if path == outermost:
            return
