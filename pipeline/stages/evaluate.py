"""Stage ``evaluate``: base vs. fine-tuned model on the held-out test split.

STS, retrieval, per-factor errors and calibration, for both models on the same data, and their delta.

Reads ``data/split/test.parquet`` (which no earlier stage touched), ``data/base_model``, ``data/model`` and
the hand-written set ``realtext/`` (``paths.realtext``; evaluation only, never trained on).
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
``map@100``; ``sts_<file>_{pearson,spearman}_<similarity>`` for each file in ``eval.extra_files``;
``realtext_ndcg@10``, ``realtext_mrr@10`` and ``realtext_sts_spearman_cosine`` on the hand-written set, its
relevance the rule score of every profile x posting (attributes mapped through the catalog); and, when the
test split marks pairs whose group was written with surface forms train never saw (``unseen_forms``),
``sts_spearman_cosine_{seen,unseen}`` and ``ndcg@10_{seen,unseen}``.
"""

from __future__ import annotations

import numpy as np

from pipeline.config import Config
from pipeline.cpu import resolve_precision
from pipeline.evaluation.data import build_eval_data, load_extra_files, load_test_pairs, log, sts_sample
from pipeline.evaluation.realtext import REALTEXT, load_realtext
from pipeline.evaluation.retrieval import (
    MRR_K,
    NDCG_K,
)
from pipeline.evaluation.scoring import clean_numbers, delta, evaluate_model, write_plots
from pipeline.io import remove, write_json
from pipeline.runtime import run_stage


def main(cfg: Config) -> None:
    paths = cfg.paths
    pairs, source = load_test_pairs(paths.split_dir / "test.parquet")
    extra = load_extra_files(cfg.eval.extra_files, cfg.eval.extra_score_range)
    data = build_eval_data(pairs, source, cfg)
    sts = sts_sample(pairs, cfg.eval.max_sts_pairs, cfg.seed)
    realtext = load_realtext(paths.realtext, cfg)  # before any encoding, so that errors come early
    log(
        f"{source} test split: {len(pairs)} pairs, {len(data.query_texts)} queries x {len(data.doc_texts)} "
        f"postings, {data.info['n_queries_with_relevant']} queries with a relevant posting"
    )
    rt = realtext.info
    log(
        f"hand-written set: {rt['n_profiles']} profiles x {rt['n_postings']} postings, "
        f"{rt['n_queries_with_relevant']} profiles with a relevant posting"
    )
    # Encoded in the precision the model trains in here (train.precision): bf16 only where it is native.
    precision = resolve_precision(cfg.train.precision)
    log(f"encoding in {precision.dtype} ({cfg.train.precision}): {precision.reason}")
    results: dict[str, dict[str, float]] = {}
    cosines: dict[str, np.ndarray] = {}
    truncated: dict[str, dict[str, int]] = {}
    rt_truncated: dict[str, dict[str, int]] = {}
    for name, model_dir in {"base": paths.base_model, "finetuned": paths.model}.items():
        scored = evaluate_model(model_dir, data, sts, extra, cfg, bf16=precision.bf16, realtext=realtext)
        results[name], cosines[name], truncated[name] = scored.metrics, scored.cosines, scored.truncated
        rt_truncated[name] = scored.realtext_truncated
    info = data.info | {"n_sts_pairs": len(sts), "precision": precision.dtype, "truncated_texts": truncated}
    info[REALTEXT] = realtext.info | {"truncated_texts": rt_truncated}
    info |= {f"n_sts_{k}_pairs": len(f) for k, f in extra.items()}
    if data.info["n_queries_with_relevant"] == 0:
        info["retrieval"] = f"no test profile has a posting scoring >= {cfg.eval.relevance_threshold}"
    remove(paths.eval_metrics)  # goes with the plot files: removed before they are replaced, written after
    write_plots(data, cosines, cfg, paths.eval_plots)
    write_json(
        paths.eval_metrics,
        clean_numbers({**results, "delta": delta(results["base"], results["finetuned"]), "info": info}),
    )
    for key in ("sts_spearman_cosine", f"ndcg@{NDCG_K}", f"mrr@{MRR_K}", f"{REALTEXT}_ndcg@{NDCG_K}"):
        b, f = results["base"][key], results["finetuned"][key]
        log(f"{key}: base {b:.4f}  finetuned {f:.4f}  delta {f - b:+.4f}")


if __name__ == "__main__":
    run_stage(main)
