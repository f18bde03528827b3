"""Stage ``evaluate``: base vs. fine-tuned model on the held-out test split.

STS, retrieval, per-factor errors and calibration, for both models on the same data, and their delta.

Reads ``data/split/test.parquet`` (which no earlier stage touched), ``data/base_model`` and ``data/model``.
Writes ``metrics/eval.json`` ({"base", "finetuned", "delta", "info"}; flat metric names so ``dvc exp show``
lists them as columns) and the plot data under ``plots/eval/``.

Retrieval is what the matching service does: every test profile queries all test postings. With the
synthetic data's attributes, every (profile, posting) cell of that cross product gets its rule score from
``pipeline.synth.rules.score_frame``; relevant = score >= ``eval.relevance_threshold``, and NDCG uses
the score as graded gain. External pairs (sentence1/sentence2/score, no attributes) only have the scores
of the pairs present, so unscored cells count as not relevant and the per-factor analysis is skipped;
``info`` in the metrics file says which case ran.

Metric names (per model, and fine-tuned minus base under "delta"): ``sts_{pearson,spearman}_{cosine,
euclidean,manhattan,dot}`` on the test pairs; ``ndcg@10`` (graded), ``mrr@10``, ``recall@{1,5,10}``,
``map@100``; ``sts_<file>_{pearson,spearman}_<similarity>`` for each file in ``eval.extra_files``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch  # before run_stage, so that apply_runtime sets its thread count

from pipeline.config import Config, ConfigError
from pipeline.cpu import resolve_precision
from pipeline.io import atomic_path, remove, write_json
from pipeline.metrics.calibration import calibration_table
from pipeline.metrics.errors import FACTOR_COLUMNS, TABLE_COLUMNS, factor_error_table
from pipeline.metrics.retrieval import (
    MAP_K,
    MRR_K,
    NDCG_K,
    RECALL_K,
    graded_gains,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from pipeline.metrics.sts import read_sts_file, sts_name
from pipeline.runtime import run_stage

TEST_PATH = Path("data/split/test.parquet")
MODEL_DIRS: dict[str, Path] = {"base": Path("data/base_model"), "finetuned": Path("data/model")}
METRICS_PATH = Path("metrics/eval.json")
PLOTS_DIR = Path("plots/eval")
SCATTER_PATH = PLOTS_DIR / "scatter.csv"
FACTOR_ERRORS_PATH = PLOTS_DIR / "factor_errors.csv"
CALIBRATION_PATH = PLOTS_DIR / "calibration.csv"

PROFILE_ATTRS = ("p_region", "p_stacks", "p_years", "p_work_mode", "p_background", "p_goals")
POSTING_ATTRS = ("j_region", "j_stacks", "j_min_years", "j_work_mode", "j_goals", "j_requires_cs")
# (query side, document side) text columns: the synthetic contract, then external pair files.
TEXT_COLUMNS = (("profile_text", "posting_text"), ("sentence1", "sentence2"))
AGREEMENT_TOL = 1e-6
QUERY, DOCUMENT = "query", "document"  # prompt names the model folder stores (pipeline.models.resolve)


@dataclass
class EvalData:
    """Everything both models are scored on; built once, model-independent."""

    source: str  # "synthetic" (rule attributes present) or "external"
    query_ids: list[Any]
    query_texts: list[str]
    doc_ids: list[Any]
    doc_texts: list[str]
    scores: np.ndarray  # query x document relevance scores in [0, 1]
    # Rows analysed for calibration/scatter/errors: qi, di (matrix cells), query_id, doc_id, score
    # and, for synthetic data, the factor columns.
    analysis: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)


def _log(msg: str) -> None:
    print(f"evaluate: {msg}", file=sys.stderr, flush=True)


def load_test_pairs(path: Path | str = TEST_PATH) -> tuple[pd.DataFrame, str]:
    """Test pairs with normalised columns query_id, doc_id, query_text, doc_text, score (+ originals).

    Returns the frame and its source: "synthetic" when every p_*/j_* attribute column is present.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the split stage first (dvc repro split)")
    raw = pd.read_parquet(path)
    cols = next((c for c in TEXT_COLUMNS if all(x in raw.columns for x in c)), None)
    if cols is None or "score" not in raw.columns:
        need = " or ".join("+".join(c) for c in TEXT_COLUMNS)
        raise ValueError(
            f"{path}: needs text columns {need} and a 'score' column; it has {list(raw.columns)}"
        )
    if raw.empty:
        raise ValueError(f"{path} has no rows")
    frame = raw.copy()
    frame["query_text"], frame["doc_text"] = raw[cols[0]].astype(str), raw[cols[1]].astype(str)
    frame["score"] = raw["score"].astype(float)
    # Without ids (external data), a text is its own id.
    frame["query_id"] = raw["profile_id"] if "profile_id" in raw.columns else frame["query_text"]
    frame["doc_id"] = raw["posting_id"] if "posting_id" in raw.columns else frame["doc_text"]
    has_attrs = all(c in raw.columns for c in (*PROFILE_ATTRS, *POSTING_ATTRS))
    return frame, "synthetic" if has_attrs else "external"


def _unique(pairs: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """First row per id, ids sorted: the same test split always gives the same query/corpus order."""
    return (
        pairs.drop_duplicates(id_col, keep="first").sort_values(id_col, kind="stable").reset_index(drop=True)
    )


def _rule_scores(profiles: pd.DataFrame, postings: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """score_frame over the full profile x posting cross product, profile-major (row = qi * D + di)."""
    from pipeline.synth.catalog import load_catalog
    from pipeline.synth.rules import score_frame

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
        scored = _rule_scores(profiles, postings, cfg)
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
            _log(f"warning: test pair scores differ from score_frame by up to {drift:.4f}")
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
        missing = [c for c in (*PROFILE_ATTRS, *POSTING_ATTRS) if c not in pairs.columns]
        info |= {
            "relevance": "scored test pairs only; unscored profile x posting pairs count as not relevant",
            "factor_analysis": f"skipped: external data without rule attributes ({missing[0]}, ...)",
        }

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
    )


def sts_sample(pairs: pd.DataFrame, max_pairs: int | None, seed: int) -> pd.DataFrame:
    """All test pairs, or a seeded sample of ``max_pairs`` of them (in file order)."""
    if max_pairs is None or len(pairs) <= max_pairs:
        return pairs
    keep = np.sort(np.random.default_rng(seed).choice(len(pairs), size=max_pairs, replace=False))
    return pairs.iloc[keep].reset_index(drop=True)


def load_extra_files(paths: Sequence[str]) -> dict[str, pd.DataFrame]:
    """``{metric prefix: pairs}`` for ``eval.extra_files``; read before any encoding, so errors come early."""
    out: dict[str, pd.DataFrame] = {}
    for path in paths:
        name = sts_name(path)
        if name in out:
            raise ConfigError("eval.extra_files", path, f"files with distinct names (another gives {name!r})")
        out[name] = read_sts_file(path)
    return out


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
    relevant = gains > 0
    ours = {
        f"ndcg@{NDCG_K}": ndcg_at_k(similarity, relevant, NDCG_K),
        f"mrr@{MRR_K}": mrr_at_k(similarity, relevant),
    }
    ours |= {f"recall@{k}": recall_at_k(similarity, relevant, k) for k in RECALL_K}
    ours[f"map@{MAP_K}"] = map_at_k(similarity, relevant, MAP_K)
    for name, value in ours.items():
        if abs(value - ir[name]) > AGREEMENT_TOL and not (math.isnan(value) and math.isnan(ir[name])):
            _log(f"warning: {name} {value:.6f} here vs {ir[name]:.6f} from InformationRetrievalEvaluator")
    out = {f"ndcg@{NDCG_K}": ndcg_at_k(similarity, gains, NDCG_K)}
    return out | {name: ir[name] for name in ours if name != f"ndcg@{NDCG_K}"}


def evaluate_model(
    model_dir: Path,
    data: EvalData,
    sts: pd.DataFrame,
    extra: dict[str, pd.DataFrame],
    cfg: Config,
    *,
    bf16: bool = False,
) -> tuple[dict[str, float], np.ndarray, dict[str, int]]:
    """One model's flat metrics, the cosine of every analysed row (``bf16``: encode under autocast) and how
    many of the texts it read were cut at its ``max_seq_length``."""
    from pipeline.metrics.evaluators import EmbeddingCache, ir_binary_metrics, sts_metrics
    from pipeline.models.resolve import load_folder

    if not (model_dir / "modules.json").exists() and not (model_dir / "config.json").exists():
        raise FileNotFoundError(f"{model_dir} is not a sentence-transformers model folder")
    model = load_folder(model_dir)
    truncated = truncation_counts(model, data, sts, extra)
    cache = EmbeddingCache(model, cfg.eval.batch_size, desc=f"evaluate: {model_dir.name}")
    start = time.perf_counter()
    # One encode call per prompt: profiles as queries, postings as documents (as in training).
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        cache.add([*data.query_texts, *sts["query_text"]], QUERY)
        cache.add([*data.doc_texts, *sts["doc_text"]], DOCUMENT)
        cache.add(t for frame in extra.values() for col in ("sentence1", "sentence2") for t in frame[col])
    _log(f"{model_dir}: encoded {cache.n_encoded} unique texts in {time.perf_counter() - start:.1f}s")

    pair_sts = sts_metrics(cache, sts["query_text"], sts["doc_text"], sts["score"], (QUERY, DOCUMENT))
    metrics = {f"sts_{k}": v for k, v in pair_sts.items()}
    similarity = _cosine_matrix(cache.get(data.query_texts, QUERY), cache.get(data.doc_texts, DOCUMENT))
    threshold = cfg.eval.relevance_threshold
    relevant = graded_gains(data.scores, threshold) > 0
    ir = ir_binary_metrics(cache, data.query_texts, data.doc_texts, relevant)
    metrics |= retrieval_scores(similarity, data.scores, threshold, ir)
    for name, frame in extra.items():
        sts_extra = sts_metrics(cache, frame["sentence1"], frame["sentence2"], frame["score"])
        metrics |= {f"sts_{name}_{k}": v for k, v in sts_extra.items()}
    cosines = similarity[data.analysis["qi"].to_numpy(), data.analysis["di"].to_numpy()]
    return metrics, cosines.astype(np.float64), truncated


def truncation_counts(
    model: Any, data: EvalData, sts: pd.DataFrame, extra: dict[str, pd.DataFrame]
) -> dict[str, int]:
    """Distinct texts longer than ``model.max_seq_length`` tokens (with their prompt): the model reads their
    beginning only, so a metric over them says nothing about the rest."""
    from pipeline.models.resolve import count_truncated

    counts = {
        "max_seq_length": int(model.max_seq_length),
        "queries": count_truncated(model, dict.fromkeys([*data.query_texts, *sts["query_text"]]), QUERY),
        "documents": count_truncated(model, dict.fromkeys([*data.doc_texts, *sts["doc_text"]]), DOCUMENT),
    }
    for name, frame in extra.items():
        counts[name] = count_truncated(model, dict.fromkeys([*frame["sentence1"], *frame["sentence2"]]))
    if any(v for k, v in counts.items() if k != "max_seq_length"):
        _log(f"warning: texts longer than {model.max_seq_length} tokens were truncated: {counts}")
    return counts


def delta(base: dict[str, float], finetuned: dict[str, float]) -> dict[str, float]:
    """Fine-tuned minus base for every metric both have."""
    return {k: finetuned[k] - base[k] for k in base if k in finetuned}


def _clean(value: Any) -> Any:
    """JSON-safe, readable numbers: NaN (e.g. a correlation on constant scores) -> null, 6 decimals."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
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


def write_plots(data: EvalData, cosines: dict[str, np.ndarray], cfg: Config) -> None:
    _write_csv(SCATTER_PATH, scatter_frame(data, cosines, cfg.eval.scatter_sample, cfg.seed))
    if data.source == "synthetic":
        errors = factor_error_table(data.analysis, cosines)
    else:
        errors = pd.DataFrame(columns=TABLE_COLUMNS)  # same file, no rows: the stage's outputs stay fixed
    _write_csv(FACTOR_ERRORS_PATH, errors)
    calibration = calibration_table(data.analysis["score"], cosines, cfg.data.score_bins)
    # Vega reads an empty cell as 0, which would draw an empty bin as a cosine of 0: leave such bins out.
    _write_csv(CALIBRATION_PATH, calibration[calibration["count"] > 0])


def main(cfg: Config) -> None:
    pairs, source = load_test_pairs(TEST_PATH)
    extra = load_extra_files(cfg.eval.extra_files)
    data = build_eval_data(pairs, source, cfg)
    sts = sts_sample(pairs, cfg.eval.max_sts_pairs, cfg.seed)
    _log(
        f"{source} test split: {len(pairs)} pairs, {len(data.query_texts)} queries x {len(data.doc_texts)} "
        f"postings, {data.info['n_queries_with_relevant']} queries with a relevant posting"
    )
    # Encoded in the precision the model trains in here (train.precision): bf16 only where it is native.
    precision = resolve_precision(cfg.train.precision)
    _log(f"encoding in {precision.dtype} ({cfg.train.precision}): {precision.reason}")
    results: dict[str, dict[str, float]] = {}
    cosines: dict[str, np.ndarray] = {}
    truncated: dict[str, dict[str, int]] = {}
    for name, model_dir in MODEL_DIRS.items():
        results[name], cosines[name], truncated[name] = evaluate_model(
            model_dir, data, sts, extra, cfg, bf16=precision.bf16
        )
    info = data.info | {"n_sts_pairs": len(sts), "precision": precision.dtype, "truncated_texts": truncated}
    info |= {f"n_sts_{k}_pairs": len(f) for k, f in extra.items()}
    if data.info["n_queries_with_relevant"] == 0:
        info["retrieval"] = f"no test profile has a posting scoring >= {cfg.eval.relevance_threshold}"
    remove(METRICS_PATH)  # goes with the plot files: removed before they are replaced, written after
    write_plots(data, cosines, cfg)
    write_json(
        METRICS_PATH,
        _clean({**results, "delta": delta(results["base"], results["finetuned"]), "info": info}),
    )
    for key in ("sts_spearman_cosine", f"ndcg@{NDCG_K}", f"mrr@{MRR_K}"):
        b, f = results["base"][key], results["finetuned"][key]
        _log(f"{key}: base {b:.4f}  finetuned {f:.4f}  delta {f - b:+.4f}")


if __name__ == "__main__":
    run_stage(main)
