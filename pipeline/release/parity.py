"""Parity of the exported ONNX graphs with PyTorch on test texts, gated by ``export.*`` (a failure stops)."""

from __future__ import annotations

import heapq
import math
import random
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


class ParityError(RuntimeError):
    """An exported backend's embeddings drifted from PyTorch's past the configured gate."""


def parity_sample(test: pd.DataFrame, max_texts: int, seed: int) -> tuple[list[str], pd.DataFrame]:
    """At most ``max_texts`` unique test texts (profiles and postings) and every test pair among them.

    The Spearman check needs many pairs for its budget of texts: a random sample of texts holds about
    one pair per two texts, and on a few hundred pairs int8 rounding alone moves Spearman by more than
    the 0.005 gate. So texts are picked greedily, each time the one that completes the most pairs with
    those already picked (a seeded shuffle breaks ties and picks where a new cluster starts): the
    sample grows along the profile-posting graph, is deterministic, and keeps pairs dense.
    """
    neighbours: dict[str, set[str]] = {}
    for profile, posting in zip(test.profile_text, test.posting_text, strict=True):
        neighbours.setdefault(profile, set()).add(posting)
        neighbours.setdefault(posting, set()).add(profile)
    order = list(neighbours)
    random.Random(seed).shuffle(order)
    rank = {t: i for i, t in enumerate(order)}
    budget = min(max_texts, len(order))
    chosen: dict[str, None] = {}
    gain: dict[str, int] = {}  # unchosen text -> pairs it would complete
    heap: list[tuple[int, int, str]] = []  # (-gain, rank, text); stale entries are skipped
    next_seed = 0
    while len(chosen) < budget:
        pick = None
        while heap:
            neg, _, text = heapq.heappop(heap)
            if text not in chosen and gain.get(text) == -neg:
                pick = text
                break
        if pick is None:  # nothing completes a pair: start from the next text in seeded order
            while order[next_seed] in chosen:
                next_seed += 1
            pick = order[next_seed]
        chosen[pick] = None
        gain.pop(pick, None)
        for other in neighbours[pick]:
            if other not in chosen:
                gain[other] = gain.get(other, 0) + 1
                heapq.heappush(heap, (-gain[other], rank[other], other))
    texts = list(chosen)
    keep = test.profile_text.isin(chosen) & test.posting_text.isin(chosen)
    return texts, test.loc[keep, ["profile_text", "posting_text", "score"]].reset_index(drop=True)


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(a) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: NaN is the answer, handled by the caller
        return float(spearmanr(a, b).statistic)


def parity_report(
    reference: np.ndarray,
    candidates: dict[str, np.ndarray],
    texts: Sequence[str],
    pairs: pd.DataFrame,
) -> dict[str, Any]:
    """Figures of each candidate's embeddings (rows aligned with ``texts``) against ``reference``."""
    index = {t: i for i, t in enumerate(texts)}
    qi = pairs.profile_text.map(index).to_numpy()
    di = pairs.posting_text.map(index).to_numpy()
    scores = pairs.score.to_numpy(dtype=np.float64)

    def pair_spearman(emb: np.ndarray) -> float:
        return rank_correlation(np.sum(emb[qi] * emb[di], axis=1), scores)

    ref_spearman = pair_spearman(reference)
    report: dict[str, Any] = {
        "parity_texts": len(texts),
        "parity_pairs": len(pairs),
        "torch_spearman": ref_spearman,
    }
    for name, emb in candidates.items():
        cos = np.sum(reference * emb, axis=1)
        spearman = pair_spearman(emb)
        report[name] = {
            "mean_cosine": float(cos.mean()),
            "min_cosine": float(cos.min()),
            "spearman": spearman,
            # Both undefined (e.g. constant scores) compares nothing: no drop.
            "spearman_drop": 0.0
            if math.isnan(ref_spearman) and math.isnan(spearman)
            else ref_spearman - spearman,
        }
    return report


def check_parity(report: dict[str, Any], min_mean_cosine: float, max_spearman_drop: float) -> None:
    """Raise :class:`ParityError` naming every figure past its gate (NaN never passes)."""
    problems = []
    for name, fig in report.items():
        if not isinstance(fig, dict):
            continue
        if not fig["mean_cosine"] >= min_mean_cosine:
            problems.append(
                f"{name}: mean cosine vs torch {fig['mean_cosine']:.6f} "
                f"< export.min_mean_cosine {min_mean_cosine}"
            )
        if not fig["spearman_drop"] <= max_spearman_drop:
            problems.append(
                f"{name}: spearman {fig['spearman']:.6f} vs torch {report['torch_spearman']:.6f}, drop "
                f"{fig['spearman_drop']:.6f} > export.max_spearman_drop {max_spearman_drop}"
            )
    if problems:
        raise ParityError(
            f"export parity failed on {report['parity_texts']} test texts / {report['parity_pairs']} pairs: "
            + "; ".join(problems)
        )
