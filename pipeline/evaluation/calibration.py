"""Calibration: how the model's cosine tracks the rule score, bin by bin (bins = ``data.score_bins``)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.pairs.bins import bin_labels, score_bin

__all__ = ["calibration_table"]


def calibration_table(
    scores: np.ndarray, cosines: Mapping[str, np.ndarray], edges: Sequence[float]
) -> pd.DataFrame:
    """One row per bin: bin, lo, hi, mid, count, mean_score and ``mean_cosine_<model>`` per model.

    Empty bins stay in the table with count 0 and empty means, so every run has the same rows.
    """
    scores = np.asarray(scores, dtype=np.float64)
    idx = score_bin(scores, edges)
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
