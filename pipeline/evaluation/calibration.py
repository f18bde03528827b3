"""Calibration: how the model's cosine tracks the rule score, bin by bin (bins = ``data.score_bins``)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["assign_bins", "bin_labels", "calibration_table"]


def bin_labels(edges: Sequence[float]) -> list[str]:
    """``[0.0, 0.2, ...]`` -> ``["0.0-0.2", ...]``; the last bin is closed on the right."""
    return [f"{_edge(lo)}-{_edge(hi)}" for lo, hi in itertools.pairwise(edges)]


def _edge(x: float) -> str:
    return f"{x:.1f}" if round(x, 1) == x else f"{x:g}"


def assign_bins(scores: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Bin index per score: ``[e_i, e_i+1)``, except that the top edge (1.0) belongs to the last bin."""
    scores = np.asarray(scores, dtype=np.float64)
    idx = np.searchsorted(np.asarray(edges, dtype=np.float64), scores, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def calibration_table(
    scores: np.ndarray, cosines: Mapping[str, np.ndarray], edges: Sequence[float]
) -> pd.DataFrame:
    """One row per bin: bin, lo, hi, mid, count, mean_score and ``mean_cosine_<model>`` per model.

    Empty bins stay in the table with count 0 and empty means, so every run has the same rows.
    """
    scores = np.asarray(scores, dtype=np.float64)
    idx = assign_bins(scores, edges)
    frame = pd.DataFrame({"bin_idx": idx, "score": scores} | {m: np.asarray(c) for m, c in cosines.items()})
    means = frame.groupby("bin_idx").mean()
    counts = frame.groupby("bin_idx").size()
    n_bins = len(edges) - 1
    table = pd.DataFrame(
        {
            "bin": bin_labels(edges),
            "lo": list(edges[:-1]),
            "hi": list(edges[1:]),
            "mid": [(lo + hi) / 2 for lo, hi in itertools.pairwise(edges)],
            "count": counts.reindex(range(n_bins), fill_value=0).to_numpy(),
            "mean_score": means["score"].reindex(range(n_bins)).to_numpy(),
        }
    )
    for model in cosines:
        table[f"mean_cosine_{model}"] = means[model].reindex(range(n_bins)).to_numpy()
    return table
