"""Progress that a person can follow: a bar on a terminal, a readable line every few seconds in a log.

``dvc repro`` passes the stage's stderr through, so a user watching a terminal sees a live tqdm bar with
i/N and an ETA. When stderr is not a terminal (CI, ``dvc queue logs``, a file), a bar's carriage returns
would make one unreadable line, so the same bar is written as one line per refresh, at most every
``LOG_INTERVAL_S`` seconds. Single long calls that cannot report steps (an ONNX export) get a heartbeat.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO, Any

import numpy as np

__all__ = ["LOG_INTERVAL_S", "LineStream", "encode_texts", "heartbeat", "progress", "readable_stderr"]

LOG_INTERVAL_S = 8.0  # a log never goes quiet for longer than this plus one step
TTY_INTERVAL_S = 0.5
ENCODE_CHUNK = 256  # texts per encode call: one bar update each (the model still batches inside)


class LineStream:
    """A stream for logs: each carriage-return refresh of a progress bar (ours or a library's) becomes a line.

    Text is passed on line by line; a pending partial line is written out at ``flush``, which is when a
    bar has finished drawing one refresh.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text.replace("\x1b[A", "")
        *lines, self._pending = re.split(r"[\r\n]", self._pending)
        for line in lines:
            if line.strip():
                self.stream.write(line.rstrip() + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            self.stream.write(self._pending.rstrip() + "\n")
        self._pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, ... of the wrapped stream
        return getattr(self.stream, name)


def readable_stderr() -> None:
    """When stderr is not a terminal (CI, ``dvc queue logs``), make every progress bar write lines."""
    if not _is_tty(sys.stderr) and not isinstance(sys.stderr, LineStream):
        sys.stderr = LineStream(sys.stderr)


def _is_tty(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress(total: int, desc: str, unit: str = "it", stream: IO[str] | None = None, **kwargs: Any) -> Any:
    """A tqdm bar on ``stream`` (stderr): live on a terminal, one line per ``LOG_INTERVAL_S`` elsewhere."""
    from tqdm import tqdm

    stream = stream or sys.stderr
    tty = _is_tty(stream)
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=stream if tty or isinstance(stream, LineStream) else LineStream(stream),
        mininterval=TTY_INTERVAL_S if tty else LOG_INTERVAL_S,
        maxinterval=LOG_INTERVAL_S,
        dynamic_ncols=tty,
        ncols=None if tty else 100,
        ascii=not tty,
        **kwargs,
    )


@contextlib.contextmanager
def heartbeat(desc: str, stream: IO[str] | None = None, interval: float = LOG_INTERVAL_S) -> Iterator[None]:
    """Print ``desc ... N s`` every ``interval`` seconds while the body runs (one call, no steps)."""
    stream = stream or sys.stderr
    done = threading.Event()
    start = time.perf_counter()

    def beat() -> None:
        while not done.wait(interval):
            print(f"{desc} ... {time.perf_counter() - start:.0f} s", file=stream, flush=True)

    print(f"{desc} ...", file=stream, flush=True)
    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        print(f"{desc}: done in {time.perf_counter() - start:.1f} s", file=stream, flush=True)


def encode_texts(
    model: Any,
    texts: Sequence[str],
    desc: str,
    *,
    batch_size: int,
    stream: IO[str] | None = None,
    **encode_kwargs: Any,
) -> np.ndarray:
    """``model.encode`` in chunks of ``ENCODE_CHUNK`` texts with a progress bar; float32 rows in order.

    ``encode_kwargs`` go to every ``encode`` call (``prompt``, ``prompt_name``, ``normalize_embeddings``).
    """
    texts = list(texts)
    parts: list[np.ndarray] = []
    # One chunk is one call: nothing to report in between (a query, a short list).
    with progress(len(texts), desc, unit="text", stream=stream, disable=len(texts) <= ENCODE_CHUNK) as bar:
        for start in range(0, len(texts), ENCODE_CHUNK):
            chunk = texts[start : start + ENCODE_CHUNK]
            emb = model.encode(
                chunk, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False, **encode_kwargs
            )
            parts.append(np.asarray(emb, dtype=np.float32))
            bar.update(len(chunk))
    if not parts:
        return np.zeros((0, model.get_embedding_dimension() or 0), dtype=np.float32)
    return np.concatenate(parts, axis=0)
