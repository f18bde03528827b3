"""Score a model on the evaluation data: STS, retrieval (graded NDCG, MRR, recall, MAP), the cosine of every
analysed pair, truncated-text counts, and the plot tables (scatter, per-factor errors, calibration); the same
metrics on the hand-written set (``realtext_*``) and, where the test split marks them, on the pairs and
queries of groups written with surface forms train never saw (``*_seen`` / ``*_unseen``)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch  # before run_stage, so that apply_runtime sets its thread count

from pipeline.config import Config
from pipeline.evaluation.calibration import calibration_table
from pipeline.evaluation.data import UNSEEN, EvalData, log
from pipeline.evaluation.errors import TABLE_COLUMNS, factor_error_table
from pipeline.evaluation.realtext import REALTEXT
from pipeline.evaluation.retrieval import MRR_K, NDCG_K, binary_metrics, graded_gains, ndcg_at_k
from pipeline.io import atomic_path
from pipeline.models.resolve import DOCUMENT_PROMPT, QUERY_PROMPT, count_truncated

AGREEMENT_TOL = 1e-6


def _cosine_matrix(queries: np.ndarray, docs: np.ndarray) -> np.ndarray:
    from sentence_transformers.util import cos_sim

    # The evaluator's own cos_sim on float32, so both rank on identical values.
    return cos_sim(torch.from_numpy(queries), torch.from_numpy(docs)).numpy()


def retrieval_scores(
    similarity: np.ndarray, scores: np.ndarray, threshold: float, ir: dict[str, float]
) -> dict[str, float]:
    """Headline ranking metrics: graded NDCG@10 computed here, binary ones from the IR evaluator ``ir``.

    Our binary NDCG/MRR/recall/MAP must match the evaluator's; a mismatch (only possible with tied
    similarities, which the two break differently) is reported, not hidden.
    """
    gains = graded_gains(scores, threshold)
    ours = binary_metrics(similarity, gains > 0)
    for name, value in ours.items():
        if abs(value - ir[name]) > AGREEMENT_TOL and not (math.isnan(value) and math.isnan(ir[name])):
            log(f"warning: {name} {value:.6f} here vs {ir[name]:.6f} from InformationRetrievalEvaluator")
    return {name: ir[name] for name in ours} | {f"ndcg@{NDCG_K}": ndcg_at_k(similarity, gains, NDCG_K)}


@dataclass
class ModelScores:
    """One model's results: flat metrics, the cosine of every analysed test row, and truncated-text counts
    (test split and extra files; the hand-written set apart)."""

    metrics: dict[str, float]
    cosines: np.ndarray
    truncated: dict[str, int]
    realtext_truncated: dict[str, int] = field(default_factory=dict)


def _retrieval(cache: Any, data: EvalData, threshold: float) -> tuple[np.ndarray, dict[str, float]]:
    """Cosine of every query x document of ``data`` and the headline ranking metrics over it."""
    from pipeline.evaluation.evaluators import ir_binary_metrics

    queries, docs = cache.get(data.query_texts, QUERY_PROMPT), cache.get(data.doc_texts, DOCUMENT_PROMPT)
    similarity = _cosine_matrix(queries, docs)
    relevant = graded_gains(data.scores, threshold) > 0
    ir = ir_binary_metrics(cache, data.query_texts, data.doc_texts, relevant)
    return similarity, retrieval_scores(similarity, data.scores, threshold, ir)


def seen_unseen_metrics(
    cache: Any, data: EvalData, sts: pd.DataFrame, similarity: np.ndarray, threshold: float
) -> dict[str, float]:
    """``sts_spearman_cosine_{seen,unseen}`` over the STS pairs whose group train saw the surface forms of
    (``unseen_forms`` False) or not (True), and ``ndcg@10_{seen,unseen}`` over the queries of such groups
    (each against the whole corpus). Empty when the test split does not say (external data)."""
    from pipeline.evaluation.evaluators import sts_metrics

    out: dict[str, float] = {}
    parts = (("seen", False), ("unseen", True))
    if UNSEEN in sts.columns:
        flags = sts[UNSEEN].astype(bool).to_numpy()
        for name, flag in parts:
            part = sts[flags == flag]
            value = float("nan")  # a correlation needs 2 pairs
            if len(part) >= 2:
                roles = (QUERY_PROMPT, DOCUMENT_PROMPT)
                pair = sts_metrics(cache, part["query_text"], part["doc_text"], part["score"], roles)
                value = pair["spearman_cosine"]
            out[f"sts_spearman_cosine_{name}"] = value
    if data.query_unseen is not None:
        gains = graded_gains(data.scores, threshold)
        for name, flag in parts:
            rows = data.query_unseen == flag
            out[f"ndcg@{NDCG_K}_{name}"] = ndcg_at_k(similarity[rows], gains[rows], NDCG_K)
    return out


def realtext_metrics(cache: Any, data: EvalData, threshold: float) -> dict[str, float]:
    """``realtext_ndcg@10`` (graded), ``realtext_mrr@10`` and ``realtext_sts_spearman_cosine`` (every
    profile x posting cell) on the hand-written set, by the test split's definitions."""
    from pipeline.evaluation.evaluators import sts_metrics

    _, ranking = _retrieval(cache, data, threshold)
    qi, di = data.analysis["qi"].to_numpy(), data.analysis["di"].to_numpy()
    queries = [data.query_texts[i] for i in qi]
    docs = [data.doc_texts[j] for j in di]
    pairs = sts_metrics(cache, queries, docs, data.analysis["score"], (QUERY_PROMPT, DOCUMENT_PROMPT))
    return {
        f"{REALTEXT}_ndcg@{NDCG_K}": ranking[f"ndcg@{NDCG_K}"],
        f"{REALTEXT}_mrr@{MRR_K}": ranking[f"mrr@{MRR_K}"],
        f"{REALTEXT}_sts_spearman_cosine": pairs["spearman_cosine"],
    }


def evaluate_model(
    model_dir: Path,
    data: EvalData,
    sts: pd.DataFrame,
    extra: dict[str, pd.DataFrame],
    cfg: Config,
    *,
    bf16: bool = False,
    realtext: EvalData | None = None,
) -> ModelScores:
    """One model's flat metrics, the cosine of every analysed row (``bf16``: encode under autocast) and how
    many of the texts it read were cut at its ``max_seq_length``. ``realtext``: the hand-written set, scored
    beside the test split (``realtext_*`` metrics)."""
    from pipeline.evaluation.evaluators import EmbeddingCache, sts_metrics
    from pipeline.models.resolve import is_model_folder, load_folder

    if not is_model_folder(model_dir):
        raise FileNotFoundError(f"{model_dir} is not a sentence-transformers model folder")
    model = load_folder(model_dir)
    truncated = truncation_counts(model, data, sts, extra)
    rt_truncated: dict[str, int] = {}
    if realtext is not None:
        rt_truncated = {
            "queries": count_truncated(model, set(realtext.query_texts), QUERY_PROMPT),
            "documents": count_truncated(model, set(realtext.doc_texts), DOCUMENT_PROMPT),
        }
        if any(rt_truncated.values()):
            limit = model.max_seq_length
            log(f"warning: hand-written texts longer than {limit} tokens were truncated: {rt_truncated}")
    cache = EmbeddingCache(model, cfg.eval.batch_size, desc=f"evaluate: {model_dir.name}")
    rt_queries, rt_docs = (realtext.query_texts, realtext.doc_texts) if realtext is not None else ([], [])
    start = time.perf_counter()
    # One encode call per prompt: profiles as queries, postings as documents (as in training).
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        cache.add([*data.query_texts, *sts["query_text"], *rt_queries], QUERY_PROMPT)
        cache.add([*data.doc_texts, *sts["doc_text"], *rt_docs], DOCUMENT_PROMPT)
        cache.add(t for frame in extra.values() for col in ("sentence1", "sentence2") for t in frame[col])
    log(f"{model_dir}: encoded {cache.n_encoded} unique texts in {time.perf_counter() - start:.1f}s")

    prompts = (QUERY_PROMPT, DOCUMENT_PROMPT)
    pair_sts = sts_metrics(cache, sts["query_text"], sts["doc_text"], sts["score"], prompts)
    metrics = {f"sts_{k}": v for k, v in pair_sts.items()}
    threshold = cfg.eval.relevance_threshold
    similarity, ranking = _retrieval(cache, data, threshold)
    metrics |= ranking
    metrics |= seen_unseen_metrics(cache, data, sts, similarity, threshold)
    for name, frame in extra.items():
        sts_extra = sts_metrics(cache, frame["sentence1"], frame["sentence2"], frame["score"])
        metrics |= {f"sts_{name}_{k}": v for k, v in sts_extra.items()}
    if realtext is not None:
        metrics |= realtext_metrics(cache, realtext, threshold)
    cosines = similarity[data.analysis["qi"].to_numpy(), data.analysis["di"].to_numpy()]
    return ModelScores(metrics, cosines.astype(np.float64), truncated, rt_truncated)


def truncation_counts(
    model: Any, data: EvalData, sts: pd.DataFrame, extra: dict[str, pd.DataFrame]
) -> dict[str, int]:
    """Distinct texts longer than ``model.max_seq_length`` tokens (with their prompt): the model reads their
    beginning only, so a metric over them says nothing about the rest."""
    counts = {
        "max_seq_length": int(model.max_seq_length),
        "queries": count_truncated(model, {*data.query_texts, *sts["query_text"]}, QUERY_PROMPT),
        "documents": count_truncated(model, {*data.doc_texts, *sts["doc_text"]}, DOCUMENT_PROMPT),
    }
    for name, frame in extra.items():
        counts[name] = count_truncated(model, {*frame["sentence1"], *frame["sentence2"]})
    if any(v for k, v in counts.items() if k != "max_seq_length"):
        log(f"warning: texts longer than {model.max_seq_length} tokens were truncated: {counts}")
    return counts


def delta(base: dict[str, float], finetuned: dict[str, float]) -> dict[str, float]:
    """Fine-tuned minus base for every metric both have."""
    return {k: finetuned[k] - base[k] for k in base if k in finetuned}


def clean_numbers(value: Any) -> Any:
    """JSON-safe, readable numbers: NaN (e.g. a correlation on constant scores) -> null, 6 decimals."""
    if isinstance(value, dict):
        return {k: clean_numbers(v) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def scatter_frame(data: EvalData, cosines: dict[str, np.ndarray], n: int, seed: int) -> pd.DataFrame:
    """A seeded sample of ``n`` analysed pairs: ids, rule score and each model's cosine."""
    rows = len(data.analysis)
    keep = (
        np.arange(rows) if rows <= n else np.sort(np.random.default_rng(seed).choice(rows, n, replace=False))
    )
    out = data.analysis.iloc[keep][["query_id", "doc_id", "score"]].reset_index(drop=True)
    for model, cos in cosines.items():
        out[f"cosine_{model}"] = cos[keep]
    return out


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6f")


def write_plots(data: EvalData, cosines: dict[str, np.ndarray], cfg: Config, plots_dir: Path) -> None:
    """``scatter.csv``, ``factor_errors.csv`` and ``calibration.csv`` in ``plots_dir`` (dvc.yaml's plots)."""
    _write_csv(plots_dir / "scatter.csv", scatter_frame(data, cosines, cfg.eval.scatter_sample, cfg.seed))
    if data.source == "synthetic":
        errors = factor_error_table(data.analysis, cosines)
    else:
        errors = pd.DataFrame(columns=TABLE_COLUMNS)  # same file, no rows: the stage's outputs stay fixed
    _write_csv(plots_dir / "factor_errors.csv", errors)
    calibration = calibration_table(data.analysis["score"], cosines, cfg.data.score_bins)
    # Vega reads an empty cell as 0, which would draw an empty bin as a cosine of 0: leave such bins out.
    _write_csv(plots_dir / "calibration.csv", calibration[calibration["count"] > 0])
