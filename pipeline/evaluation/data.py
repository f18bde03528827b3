"""What both models are scored on, built once from the test split: queries (unique profiles), the corpus
(unique postings), their relevance matrix (rule scores of every profile x posting for synthetic data, the
scored pairs for external data) and the rows analysed per factor."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Config, ConfigError
from pipeline.evaluation.errors import FACTOR_COLUMNS
from pipeline.evaluation.retrieval import (
    graded_gains,
)
from pipeline.evaluation.sts import read_sts_file, sts_name
from pipeline.synth.rules import POSTING_COLUMNS, PROFILE_COLUMNS, score_frame


def log(msg: str) -> None:
    print(f"evaluate: {msg}", file=sys.stderr, flush=True)


# Generated test pairs say whether their group was written with surface forms train never saw.
UNSEEN = "unseen_forms"


# What the split stage writes for synthetic and external data alike (the attributes only for synthetic).
PAIR_COLUMNS = ("profile_id", "posting_id", "profile_text", "posting_text", "score")


@dataclass
class EvalData:
    """Everything both models are scored on; built once, model-independent."""

    source: str  # "synthetic" (rule attributes present), "external", or "realtext" (the hand-written set)
    query_ids: list[Any]
    query_texts: list[str]
    doc_ids: list[Any]
    doc_texts: list[str]
    scores: np.ndarray  # query x document relevance scores in [0, 1]
    # Rows analysed for calibration/scatter/errors: qi, di (matrix cells), query_id, doc_id, score
    # and, for synthetic data, the factor columns.
    analysis: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    # Per query: its profile's group was written with surface forms train never saw (None: not known).
    query_unseen: np.ndarray | None = None


def load_test_pairs(path: Path | str) -> tuple[pd.DataFrame, str]:
    """Test pairs with normalised columns query_id, doc_id, query_text, doc_text, score (+ originals).

    Returns the frame and its source: "synthetic" when every p_*/j_* attribute column is present.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the split stage first (dvc repro split)")
    raw = pd.read_parquet(path)
    if not set(PAIR_COLUMNS) <= set(raw.columns):
        raise ValueError(f"{path}: needs columns {', '.join(PAIR_COLUMNS)}; it has {list(raw.columns)}")
    if raw.empty:
        raise ValueError(f"{path} has no rows")
    frame = raw.assign(
        query_text=raw["profile_text"].astype(str),
        doc_text=raw["posting_text"].astype(str),
        score=raw["score"].astype(float),
        query_id=raw["profile_id"],
        doc_id=raw["posting_id"],
    )
    has_attrs = all(c in raw.columns for c in (*PROFILE_COLUMNS, *POSTING_COLUMNS))
    return frame, "synthetic" if has_attrs else "external"


def _unique(pairs: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """First row per id, ids sorted: the same test split always gives the same query/corpus order."""
    return (
        pairs.drop_duplicates(id_col, keep="first").sort_values(id_col, kind="stable").reset_index(drop=True)
    )


def rule_scores(profiles: pd.DataFrame, postings: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """score_frame over the full profile x posting cross product, profile-major (row = qi * D + di), with
    ``data.rules`` and ``data.catalog``."""
    from pipeline.synth.catalog import load_catalog

    n_q, n_d = len(profiles), len(postings)
    p_cols = [c for c in profiles.columns if c.startswith("p_")]
    j_cols = [c for c in postings.columns if c.startswith("j_")]
    left = profiles.loc[np.repeat(np.arange(n_q), n_d), p_cols].reset_index(drop=True)
    right = postings.loc[np.tile(np.arange(n_d), n_q), j_cols].reset_index(drop=True)
    scored = score_frame(left, right, cfg.data.rules, load_catalog(cfg.data.catalog))
    if len(scored) != n_q * n_d:
        raise RuntimeError(f"score_frame returned {len(scored)} rows for {n_q * n_d} pairs")
    return scored.reset_index(drop=True)


def build_eval_data(pairs: pd.DataFrame, source: str, cfg: Config) -> EvalData:
    """Queries (unique profiles), corpus (unique postings), their relevance matrix and the analysed rows."""
    profiles, postings = _unique(pairs, "query_id"), _unique(pairs, "doc_id")
    n_q, n_d = len(profiles), len(postings)
    q_pos = {q: i for i, q in enumerate(profiles["query_id"])}
    d_pos = {d: j for j, d in enumerate(postings["doc_id"])}
    pair_qi = pairs["query_id"].map(q_pos).to_numpy()
    pair_di = pairs["doc_id"].map(d_pos).to_numpy()
    info: dict[str, Any] = {"source": source}

    if source == "synthetic":
        scored = rule_scores(profiles, postings, cfg)
        scores = scored["score"].to_numpy(dtype=np.float64).reshape(n_q, n_d)
        qi, di = np.repeat(np.arange(n_q), n_d), np.tile(np.arange(n_d), n_q)
        analysis = pd.DataFrame(
            {
                "qi": qi,
                "di": di,
                "query_id": profiles["query_id"].to_numpy()[qi],
                "doc_id": postings["doc_id"].to_numpy()[di],
                "score": scores.ravel(),
            }
        )
        for col in FACTOR_COLUMNS:
            analysis[col] = scored[col].to_numpy()
        # The stored pair scores came from the same rules; a difference means stale data or label noise.
        drift = float(np.abs(scores[pair_qi, pair_di] - pairs["score"].to_numpy()).max())
        if drift > 1e-6:
            log(f"warning: test pair scores differ from score_frame by up to {drift:.4f}")
        info |= {
            "relevance": "rule score of every test profile x test posting",
            "factor_analysis": "done (all test profile x posting pairs)",
        }
    else:
        scores = np.zeros((n_q, n_d))
        # A pair listed twice keeps its mean score.
        cell = pd.DataFrame({"qi": pair_qi, "di": pair_di, "score": pairs["score"].to_numpy()})
        cell = cell.groupby(["qi", "di"], as_index=False)["score"].mean()
        scores[cell["qi"], cell["di"]] = cell["score"]
        analysis = cell.assign(
            query_id=profiles["query_id"].to_numpy()[cell["qi"]],
            doc_id=postings["doc_id"].to_numpy()[cell["di"]],
        )[["qi", "di", "query_id", "doc_id", "score"]]
        missing = [c for c in (*PROFILE_COLUMNS, *POSTING_COLUMNS) if c not in pairs.columns]
        info |= {
            "relevance": "scored test pairs only; unscored profile x posting pairs count as not relevant",
            "factor_analysis": f"skipped: external data without rule attributes ({missing[0]}, ...)",
        }

    query_unseen = None
    if UNSEEN in pairs.columns:
        # A profile's pairs all lie in its group; any() only guards against a mixed column.
        flags = pairs.groupby("query_id")[UNSEEN].any()
        query_unseen = flags.reindex(profiles["query_id"]).to_numpy(dtype=bool)
        info["n_queries_unseen"] = int(query_unseen.sum())
    relevant = graded_gains(scores, cfg.eval.relevance_threshold) > 0
    info |= {
        "n_test_pairs": len(pairs),
        "n_queries": n_q,
        "n_queries_with_relevant": int(relevant.any(axis=1).sum()),
        "n_corpus": n_d,
        "n_relevant": int(relevant.sum()),
        "n_analysis_pairs": len(analysis),
    }
    return EvalData(
        source=source,
        query_ids=profiles["query_id"].tolist(),
        query_texts=profiles["query_text"].tolist(),
        doc_ids=postings["doc_id"].tolist(),
        doc_texts=postings["doc_text"].tolist(),
        scores=scores,
        analysis=analysis,
        info=info,
        query_unseen=query_unseen,
    )


def sts_sample(pairs: pd.DataFrame, max_pairs: int | None, seed: int) -> pd.DataFrame:
    """All test pairs, or a seeded sample of ``max_pairs`` of them (in file order)."""
    if max_pairs is None or len(pairs) <= max_pairs:
        return pairs
    keep = np.sort(np.random.default_rng(seed).choice(len(pairs), size=max_pairs, replace=False))
    return pairs.iloc[keep].reset_index(drop=True)


def load_extra_files(paths: Sequence[str], score_range: Sequence[float]) -> dict[str, pd.DataFrame]:
    """``{metric prefix: pairs}`` for ``eval.extra_files`` (scores on ``score_range``); read before any
    encoding, so errors come early."""
    out: dict[str, pd.DataFrame] = {}
    for path in paths:
        name = sts_name(path)
        if name in out:
            raise ConfigError("eval.extra_files", path, f"files with distinct names (another gives {name!r})")
        out[name] = read_sts_file(path, score_range)
    return out
