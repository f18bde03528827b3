"""Score bins over ``data.score_bins``: the one assigner and the one label format (``"0-0.2"``), for the
generator's stratified sampling and histogram, the external data's histogram and evaluation's calibration."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["bin_labels", "score_bin", "score_histogram"]


def score_bin(score: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Index of the ``[edges[i], edges[i + 1])`` bin; a score of exactly 1.0 falls in the last bin."""
    return np.searchsorted(np.asarray(edges[1:-1], dtype=np.float64), score, side="right").astype(np.int8)


def bin_labels(edges: Sequence[float]) -> list[str]:
    """``[0.0, 0.2, ...]`` -> ``["0-0.2", ...]``; the last bin is closed on the right."""
    return [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(edges)]


def score_histogram(counts: np.ndarray, edges: Sequence[float]) -> dict[str, dict[str, Any]]:
    """``{label: {"count", "fraction"}}`` of per-bin ``counts`` (``metrics/data.json``'s score_histogram)."""
    n = int(counts.sum())
    return {
        label: {"count": int(c), "fraction": round(c / n, 6)}
        for label, c in zip(bin_labels(edges), counts, strict=True)
    }
