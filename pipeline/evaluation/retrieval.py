"""Ranking metrics over a query x document similarity matrix, with graded or binary relevance.

Conventions follow sentence-transformers' ``InformationRetrievalEvaluator`` so that the binary
metrics agree with it exactly: queries without any relevant document are left out of every mean,
NDCG uses linear gains ``rel / log2(rank + 1)``, and AP@k divides by ``min(k, #relevant)``.
Rankings break ties in similarity by document order (a stable sort), so results are deterministic.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MAP_K",
    "MRR_K",
    "NDCG_K",
    "RECALL_K",
    "binary_metrics",
    "graded_gains",
    "map_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "recall_at_k",
    "retrieval_metrics",
    "top_k",
]

NDCG_K = 10
MRR_K = 10
RECALL_K = (1, 5, 10)
MAP_K = 100


def top_k(similarity: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` most similar documents per query row, best first."""
    sim = np.asarray(similarity, dtype=np.float64)
    return np.argsort(-sim, axis=1, kind="stable")[:, : min(k, sim.shape[1])]


def graded_gains(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Gain = rule score where it reaches ``threshold``, else 0: relevance is graded but still thresholded."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.where(scores >= threshold, scores, 0.0)


def _with_relevant(relevance: np.ndarray) -> np.ndarray:
    return np.asarray(relevance, dtype=np.float64).max(axis=1, initial=0.0) > 0


def _discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2))


def ndcg_at_k(similarity: np.ndarray, gains: np.ndarray, k: int = NDCG_K) -> float:
    """Mean NDCG@k; ``gains`` (>= 0) may be graded or 0/1. NaN when no query has a relevant document."""
    gains = np.asarray(gains, dtype=np.float64)
    keep = _with_relevant(gains)
    if not keep.any():
        return float("nan")
    sim, gains = np.asarray(similarity)[keep], gains[keep]
    top = top_k(sim, k)
    disc = _discounts(top.shape[1])
    dcg = (np.take_along_axis(gains, top, axis=1) * disc).sum(axis=1)
    ideal = -np.sort(-gains, axis=1)[:, : top.shape[1]]
    idcg = (ideal * disc).sum(axis=1)
    return float(np.mean(dcg / idcg))


def _hits(similarity: np.ndarray, relevant: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(hits in rank order for the top k, #relevant) for the queries that have any relevant document."""
    relevant = np.asarray(relevant).astype(bool)
    keep = relevant.any(axis=1)
    sim, relevant = np.asarray(similarity)[keep], relevant[keep]
    hits = np.take_along_axis(relevant, top_k(sim, k), axis=1)
    return hits, relevant.sum(axis=1)


def mrr_at_k(similarity: np.ndarray, relevant: np.ndarray, k: int = MRR_K) -> float:
    """Mean reciprocal rank of the first relevant document within the top k (0 if none there)."""
    hits, n_rel = _hits(similarity, relevant, k)
    if len(n_rel) == 0:
        return float("nan")
    first = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, np.inf)
    return float(np.mean(1.0 / first))


def recall_at_k(similarity: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """Mean share of a query's relevant documents found in its top k."""
    hits, n_rel = _hits(similarity, relevant, k)
    if len(n_rel) == 0:
        return float("nan")
    return float(np.mean(hits.sum(axis=1) / n_rel))


def map_at_k(similarity: np.ndarray, relevant: np.ndarray, k: int = MAP_K) -> float:
    """Mean average precision@k: precision at each relevant hit, summed, over ``min(k, #relevant)``."""
    hits, n_rel = _hits(similarity, relevant, k)
    if len(n_rel) == 0:
        return float("nan")
    ranks = np.arange(1, hits.shape[1] + 1)
    precision_at_hit = np.cumsum(hits, axis=1) / ranks * hits
    return float(np.mean(precision_at_hit.sum(axis=1) / np.minimum(k, n_rel)))


def binary_metrics(similarity: np.ndarray, relevant: np.ndarray) -> dict[str, float]:
    """NDCG@10, MRR@10, Recall@1/5/10 and MAP@100 with binary relevance (the IR evaluator's metrics)."""
    out = {
        f"ndcg@{NDCG_K}": ndcg_at_k(similarity, relevant, NDCG_K),
        f"mrr@{MRR_K}": mrr_at_k(similarity, relevant),
    }
    out |= {f"recall@{k}": recall_at_k(similarity, relevant, k) for k in RECALL_K}
    out[f"map@{MAP_K}"] = map_at_k(similarity, relevant, MAP_K)
    return out


def retrieval_metrics(similarity: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """All headline ranking metrics: graded NDCG@10 plus binary MRR@10, Recall@1/5/10 and MAP@100.

    ``scores`` are the rule scores of every (query, document) cell; relevant means score >= threshold.
    """
    gains = graded_gains(scores, threshold)
    return binary_metrics(similarity, gains > 0) | {f"ndcg@{NDCG_K}": ndcg_at_k(similarity, gains, NDCG_K)}
