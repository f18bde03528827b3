"""Atomic output writing and file hashing: one owner for both.

A killed stage leaves the previous output or none, never half a file. A stage with several outputs
(data plus the metrics that describe it) names the describing files as ``stale`` when it replaces the
data, which removes them just before the swap, and writes them after it: a kill at any moment leaves
files that agree, the old set or new data without the file that described the old one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "file_sha256", "remove", "remove_dead_temporaries", "write_json", "write_text"]

# ``.<name>.tmp-<pid>``, ``.<name>.old-<pid>`` (atomic_path), ``.<name>.work-<pid>`` (scratch folders),
# with any suffix after the pid (``.<key>.tmp-<pid>.npy``).
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old|work)-(?P<pid>\d+)(?:\..*)?$")


@contextlib.contextmanager
def atomic_path(path: Path | str, *, stale: Iterable[Path | str] = ()) -> Iterator[Path]:
    """Yield a temporary sibling path; on success it replaces ``path`` (file or folder) in one rename.

    ``stale``: files that describe ``path`` (its metrics), removed just before the swap; the caller writes
    them again after it. Leftovers of killed writers of ``path`` are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_temporaries(path.parent, path.name)
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}"
    remove(tmp)
    try:
        yield tmp
        for describing in stale:
            remove(describing)
        if tmp.is_dir() and path.is_dir():
            # Folders cannot be swapped by one rename: move the old one aside first, then drop it.
            old = path.parent / f".{path.name}.old-{os.getpid()}"
            os.replace(path, old)
            os.replace(tmp, path)
            remove(old)
        else:
            if path.is_dir():
                remove(path)
            os.replace(tmp, path)
    finally:
        remove(tmp)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_dead_temporaries(folder: Path | str, name: str | None = None) -> list[Path]:
    """Delete the temporaries that killed processes left in ``folder`` (for ``name`` only, if given).

    Only those whose pid is gone: a live pid may be a concurrent writer (another ``dvc exp run --temp``
    shares nothing, but two shells in one checkout do). Returns what was removed.
    """
    folder = Path(folder)
    removed = []
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            m = _TEMPORARY.match(entry.name)
            if not m or (name is not None and m["name"] != name) or int(m["pid"]) == os.getpid():
                continue
            if not pid_alive(int(m["pid"])):
                with contextlib.suppress(OSError):
                    remove(entry)
                    removed.append(entry)
    return removed


def remove(p: Path | str) -> None:
    """Delete a file, link or folder if it exists."""
    p = Path(p)
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif p.exists() or p.is_symlink():
        p.unlink()


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path | str, data: Any) -> None:
    """Deterministic JSON (sorted keys, UTF-8 kept readable) written atomically."""
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def file_sha256(path: Path | str) -> str:
    """Hex sha256 of a file's content (read in 1 MiB blocks)."""
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
