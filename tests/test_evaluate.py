"""Evaluation stage: the sentence-transformers evaluators on cached embeddings, and the stage end to end."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.config import Config, ConfigError
from pipeline.config.compose import compose_config
from tests.conftest import TINY_OVERRIDES
from tests.test_metrics import L2, L3, L4, L5, L6, SCORES, SIM, THRESHOLD

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = ["ndcg@10", "mrr@10", "recall@1", "recall@5", "recall@10", "map@100"]
STS_NAMES = [
    f"sts_{s}_{fn}" for fn in ("cosine", "euclidean", "manhattan", "dot") for s in ("pearson", "spearman")
]


class LookupModel:
    """Stands in for a SentenceTransformer: fixed vectors per (prompt, text), and a log of encode calls."""

    def __init__(self, vectors: dict[str, np.ndarray], prompts: dict[str, str] | None = None) -> None:
        self.vectors = vectors
        self.prompts = prompts or {}
        self.default_prompt_name: str | None = None
        self.calls: list[tuple[str | None, list[str]]] = []
        self.model_card_data = SimpleNamespace(set_evaluation_metrics=lambda *a, **k: None)

    def encode(self, texts: Sequence[str], prompt: str | None = None, **kwargs: Any) -> np.ndarray:
        self.calls.append((prompt, list(texts)))
        return np.stack([self.vectors[(prompt or "") + t] for t in texts]).astype(np.float32)


def _toy_model() -> tuple[LookupModel, list[str], list[str]]:
    """Queries whose cosine to one-hot documents ranks them exactly as SIM does."""
    queries = [f"q{i}" for i in range(len(SIM))]
    docs = [f"d{j}" for j in range(SIM.shape[1])]
    vectors = {q: SIM[i] for i, q in enumerate(queries)} | {
        d: np.eye(len(docs))[j] for j, d in enumerate(docs)
    }
    return LookupModel(vectors), queries, docs


# --- evaluators on the cache ------------------------------------------------------------------------------


def test_information_retrieval_evaluator_matches_the_hand_computed_toy_set() -> None:
    from pipeline.evaluation.evaluators import EmbeddingCache, ir_binary_metrics

    model, queries, docs = _toy_model()
    got = ir_binary_metrics(EmbeddingCache(model, 8), queries, docs, SCORES >= THRESHOLD)
    # Same hand-computed values as tests/test_metrics.py (q3 has no relevant document and is left out).
    assert got["mrr@10"] == pytest.approx((1 / 2 + 1 + 1 / 3) / 3)
    assert got["recall@1"] == pytest.approx((0 + 1 / 2 + 0) / 3)
    assert got["recall@5"] == pytest.approx(1.0)
    assert got["recall@10"] == pytest.approx(1.0)
    assert got["map@100"] == pytest.approx(((1 / 2 + 2 / 4) / 2 + (1 + 2 / 5) / 2 + 1 / 3) / 3)
    binary_ndcg = ((1 / L3 + 1 / L5) / (1 / L2 + 1 / L3) + (1 / L2 + 1 / L6) / (1 / L2 + 1 / L3) + 1 / L4) / 3
    assert got["ndcg@10"] == pytest.approx(binary_ndcg)


def test_own_binary_metrics_agree_with_the_evaluator_on_random_data() -> None:
    from pipeline.evaluation.evaluators import EmbeddingCache, ir_binary_metrics
    from pipeline.evaluation.retrieval import graded_gains, map_at_k, mrr_at_k, ndcg_at_k, recall_at_k
    from pipeline.evaluation.scoring import _cosine_matrix, retrieval_scores

    rng = np.random.default_rng(3)
    n_q, n_d = 30, 140  # more documents than MAP's k=100, so its cutoff matters
    queries, docs = [f"q{i}" for i in range(n_q)], [f"d{j}" for j in range(n_d)]
    vecs = rng.normal(size=(n_q + n_d, 16))
    cache = EmbeddingCache(LookupModel(dict(zip(queries + docs, vecs, strict=True))), 32)
    scores = rng.uniform(size=(n_q, n_d)) ** 3
    scores[0] = 0.0  # a query without any relevant document
    relevant = graded_gains(scores, 0.6) > 0
    sim = _cosine_matrix(cache.get(queries), cache.get(docs))
    ir = ir_binary_metrics(cache, queries, docs, relevant)
    assert ir["ndcg@10"] == pytest.approx(ndcg_at_k(sim, relevant, 10), abs=1e-9)
    assert ir["mrr@10"] == pytest.approx(mrr_at_k(sim, relevant, 10), abs=1e-9)
    assert ir["map@100"] == pytest.approx(map_at_k(sim, relevant, 100), abs=1e-9)
    for k in (1, 5, 10):
        assert ir[f"recall@{k}"] == pytest.approx(recall_at_k(sim, relevant, k), abs=1e-9)
    # The stage reports graded NDCG, which differs from the binary one on graded data.
    headline = retrieval_scores(sim, scores, 0.6, ir)
    assert list(headline) == HEADLINE
    assert headline["ndcg@10"] == pytest.approx(ndcg_at_k(sim, graded_gains(scores, 0.6), 10))
    assert headline["ndcg@10"] != pytest.approx(ir["ndcg@10"])


def test_sts_metrics_for_all_four_similarities() -> None:
    from pipeline.evaluation.evaluators import EmbeddingCache, sts_metrics

    # Unit vectors at 90, 60 and 0 degrees: cosine (= dot) 0, 0.5, 1; euclidean distance sqrt(2), 1, 0;
    # manhattan distance 2, 1 + (1 - sqrt(3)/2)... computed below from the coordinates.
    a, b = (
        np.array([1.0, 0.0]),
        [np.array([0.0, 1.0]), np.array([0.5, math.sqrt(3) / 2]), np.array([1.0, 0.0])],
    )
    vectors = {"a": a} | {f"b{i}": v for i, v in enumerate(b)}
    gold = [0.1, 0.4, 0.9]
    got = sts_metrics(EmbeddingCache(LookupModel(vectors), 4), ["a"] * 3, ["b0", "b1", "b2"], gold)

    def pearson(x: list[float], y: list[float]) -> float:
        mx, my = sum(x) / len(x), sum(y) / len(y)
        cov = sum((u - mx) * (v - my) for u, v in zip(x, y, strict=True))
        return cov / math.sqrt(sum((u - mx) ** 2 for u in x) * sum((v - my) ** 2 for v in y))

    cosine = [0.0, 0.5, 1.0]
    euclid = [-math.sqrt(2), -1.0, 0.0]
    manhattan = [-2.0, -(0.5 + math.sqrt(3) / 2), 0.0]
    assert got["pearson_cosine"] == pytest.approx(
        0.4 / math.sqrt(0.5 * (0.3667**2 + 0.0667**2 + 0.4333**2)), 1e-3
    )
    assert got["pearson_cosine"] == pytest.approx(pearson(cosine, gold))
    assert got["pearson_dot"] == pytest.approx(pearson(cosine, gold))
    assert got["pearson_euclidean"] == pytest.approx(pearson(euclid, gold))
    assert got["pearson_manhattan"] == pytest.approx(pearson(manhattan, gold))
    # Every similarity orders the three pairs as the gold scores do.
    assert all(
        got[f"spearman_{fn}"] == pytest.approx(1.0) for fn in ("cosine", "euclidean", "manhattan", "dot")
    )
    assert len(got) == 8


def test_cache_encodes_each_text_once_per_prompt() -> None:
    from pipeline.evaluation.evaluators import EmbeddingCache

    vectors = {p + t: np.full(3, float(i)) for i, t in enumerate("abc") for p in ("", "Q: ", "D: ")}
    model = LookupModel(vectors, prompts={"query": "Q: ", "document": "D: "})
    cache = EmbeddingCache(model, 8)
    cache.add(["a", "b", "a"], "query")
    cache.add(["b", "c"], "query")
    assert model.calls == [("Q: ", ["a", "b"]), ("Q: ", ["c"])]
    assert cache.get(["c", "a"], "query")[:, 0].tolist() == [2.0, 0.0]
    cache.get(["a"], "document")  # another prompt is another embedding
    assert model.calls[-1] == ("D: ", ["a"])
    assert cache.n_encoded == 4
    # Equal prompts share entries; a role without a prompt of its own takes the default prompt.
    same = LookupModel(vectors, prompts={"query": "Q: ", "document": "Q: "})
    cache = EmbeddingCache(same, 8)
    cache.add(["a"], "query")
    cache.add(["a"], "document")
    assert cache.n_encoded == 1
    bare = LookupModel(vectors, prompts={"query": "Q: "})
    bare.default_prompt_name = "query"
    assert EmbeddingCache(bare, 8).prompt("document") == "Q: "
    assert EmbeddingCache(LookupModel(vectors), 8).prompt("query") == ""


# --- the stage end to end on tiny data and tiny models ----------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def other_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_split_dir: Path) -> Path:
    """A second tiny model (another seed) standing in for the fine-tuned one."""
    from pipeline.models.tiny import build_tiny_model
    from tests.conftest import split_texts

    cfg = compose_config(["model=tiny"]).model
    out = tmp_path_factory.mktemp("other_model") / "model"
    return build_tiny_model(
        out, split_texts(tiny_split_dir), cfg.tiny, seed=1, max_seq_length=cfg.max_seq_length
    )


def _link_models(workdir: Path, base: Path, finetuned: Path) -> None:
    (workdir / "data").mkdir(exist_ok=True)
    (workdir / "data" / "base_model").symlink_to(base, target_is_directory=True)
    (workdir / "data" / "model").symlink_to(finetuned, target_is_directory=True)


def _read_outputs(workdir: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    metrics = json.loads((workdir / "metrics" / "eval.json").read_text(encoding="utf-8"))
    plots = {
        name: pd.read_csv(workdir / "plots" / "eval" / f"{name}.csv")
        for name in ("scatter", "factor_errors", "calibration")
    }
    return metrics, plots


def _check_metric_blocks(metrics: dict[str, Any], names: list[str]) -> None:
    assert set(metrics) == {"base", "finetuned", "delta", "info"}
    for model in ("base", "finetuned"):
        assert set(names) <= set(metrics[model])
        for name in HEADLINE:
            assert 0.0 <= metrics[model][name] <= 1.0, (model, name)
        for name in names:
            if "pearson" in name or "spearman" in name:
                assert -1.0 <= metrics[model][name] <= 1.0, (model, name)
    assert set(metrics["delta"]) == set(metrics["base"])
    for name, value in metrics["delta"].items():
        if metrics["base"][name] is None or metrics["finetuned"][name] is None:  # e.g. an empty subset
            assert value is None, name
            continue
        assert value == pytest.approx(metrics["finetuned"][name] - metrics["base"][name], abs=2e-6)


@pytest.fixture(scope="module")
def synthetic_run(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_split_dir: Path,
    tiny_model_dir: Path,
    other_model_dir: Path,
) -> tuple[Path, Config, pd.DataFrame]:
    """The stage run once on the tiny synthetic split: (work dir, config, test pairs)."""
    from pipeline.stages import evaluate

    test = pd.read_parquet(tiny_split_dir / "test.parquet")
    work = tmp_path_factory.mktemp("eval_synthetic")
    (work / "data").mkdir()
    (work / "data" / "split").symlink_to(tiny_split_dir, target_is_directory=True)
    (work / "catalog").symlink_to(ROOT / "catalog", target_is_directory=True)
    _link_models(work, tiny_model_dir, other_model_dir)
    # A scatter sample larger than the cross product keeps every cell, so the test can check them all.
    cfg = compose_config([*TINY_OVERRIDES, "eval.scatter_sample=100000", "eval.relevance_threshold=0.6"])
    old = Path.cwd()
    os.chdir(work)
    try:
        evaluate.main(cfg)
    finally:
        os.chdir(old)
    return work, cfg, test


def test_synthetic_run_writes_base_finetuned_and_delta(
    synthetic_run: tuple[Path, Config, pd.DataFrame],
) -> None:
    work, _, test = synthetic_run
    metrics, _ = _read_outputs(work)
    _check_metric_blocks(metrics, HEADLINE + STS_NAMES)
    info = metrics["info"]
    n_q, n_d = test["profile_id"].nunique(), test["posting_id"].nunique()
    assert (info["source"], info["n_queries"], info["n_corpus"]) == ("synthetic", n_q, n_d)
    assert info["n_test_pairs"] == info["n_sts_pairs"] == len(test)
    assert info["n_analysis_pairs"] == n_q * n_d
    assert info["factor_analysis"].startswith("done")
    assert 0 < info["n_queries_with_relevant"] <= n_q


def test_synthetic_run_scores_every_profile_against_every_posting(
    synthetic_run: tuple[Path, Config, pd.DataFrame], tiny_model_dir: Path, other_model_dir: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    work, _, test = synthetic_run
    _, plots = _read_outputs(work)
    scatter = plots["scatter"]
    assert list(scatter.columns) == ["query_id", "doc_id", "score", "cosine_base", "cosine_finetuned"]
    n_cells = test["profile_id"].nunique() * test["posting_id"].nunique()
    assert len(scatter) == n_cells == len(scatter.drop_duplicates(["query_id", "doc_id"]))
    # Cells that are test pairs carry the pair's own rule score (score_frame agrees with the generator).
    pairs = test.drop_duplicates(["profile_id", "posting_id"])  # a pair may be drawn twice
    joined = pairs.merge(scatter, left_on=["profile_id", "posting_id"], right_on=["query_id", "doc_id"])
    assert len(joined) == len(pairs)
    assert joined["score_x"].to_numpy() == pytest.approx(joined["score_y"].to_numpy(), abs=1e-6)
    # Each model's cosine is that of its own encoding of this profile and this posting.
    rows = joined.head(5)
    for model_dir, column in ((tiny_model_dir, "cosine_base"), (other_model_dir, "cosine_finetuned")):
        model = SentenceTransformer(str(model_dir), device="cpu")
        a = model.encode(rows["profile_text"].tolist(), prompt_name="query", normalize_embeddings=True)
        b = model.encode(rows["posting_text"].tolist(), prompt_name="document", normalize_embeddings=True)
        # other batch mates pad to other lengths: fp32 sums differ in the last bits
        assert (a * b).sum(axis=1) == pytest.approx(rows[column].to_numpy(), abs=5e-5)


def test_synthetic_run_writes_factor_and_calibration_tables(
    synthetic_run: tuple[Path, Config, pd.DataFrame],
) -> None:
    work, cfg, test = synthetic_run
    _, plots = _read_outputs(work)
    cells = test["profile_id"].nunique() * test["posting_id"].nunique()
    errors = plots["factor_errors"]
    assert list(errors.columns) == [
        "label", "factor", "level", "model", "count", "mean_gap", "mean_abs_gap", "mean_cosine", "mean_score"
    ]  # fmt: skip
    assert set(errors["model"]) == {"base", "finetuned"}
    assert set(errors["factor"]) == {"region", "stack", "experience", "hard_constraint"}
    # Each factor splits all profile x posting cells into its levels, once per model.
    assert (errors.groupby(["factor", "model"])["count"].sum() == cells).all()
    assert (errors["mean_abs_gap"] >= errors["mean_gap"].abs() - 1e-6).all()
    assert errors["label"].str.fullmatch(r"[a-z_]+=[a-z_]+ \| (base|finetuned)").all()

    calibration = plots["calibration"]
    assert list(calibration.columns) == [
        "bin", "lo", "hi", "mid", "count", "mean_score", "mean_cosine_base", "mean_cosine_finetuned"
    ]  # fmt: skip
    assert 1 <= len(calibration) <= len(cfg.data.score_bins) - 1
    assert calibration["count"].sum() == cells and (calibration["count"] > 0).all()
    inside = (calibration["mean_score"] >= calibration["lo"]) & (
        calibration["mean_score"] <= calibration["hi"]
    )
    assert inside.all()


def test_dvc_plots_show_renders_the_declared_plots(synthetic_run: tuple[Path, Config, pd.DataFrame]) -> None:
    """The top-level plots of dvc.yaml render from the stage's files to dvc_plots/index.html."""
    work, _, _ = synthetic_run
    repo = work / "dvc_repo"
    shutil.copytree(work / "plots", repo / "plots")
    shutil.copy(ROOT / "dvc.yaml", repo / "dvc.yaml")
    shutil.copy(ROOT / "params.yaml", repo / "params.yaml")
    dvc = str(Path(sys.executable).parent / "dvc")
    subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=repo, check=True)
    proc = subprocess.run([dvc, "plots", "show", "--json"], cwd=repo, capture_output=True, text=True)
    shown = json.loads(proc.stdout)
    ours = {"eval_scatter", "eval_calibration", "eval_factor_abs_gap", "eval_factor_gap"}
    assert not [e for e in shown.get("errors", []) if e["name"] in ours]
    assert all(shown["data"][name] for name in ours)
    subprocess.run([dvc, "plots", "show", "-q"], cwd=repo, check=True)
    html = (repo / "dvc_plots" / "index.html").read_text(encoding="utf-8")
    assert all(name in html for name in ("mean_abs_gap", "cosine_finetuned", "mean_cosine_base"))


def test_scatter_sample_is_seeded_and_sized() -> None:
    from pipeline.evaluation.data import EvalData
    from pipeline.evaluation.scoring import scatter_frame

    analysis = pd.DataFrame({"qi": range(10), "di": range(10), "query_id": range(10), "doc_id": range(10),
                             "score": np.linspace(0, 1, 10)})  # fmt: skip
    data = EvalData("external", [], [], [], [], np.zeros((10, 10)), analysis)
    cos = {"base": np.arange(10.0), "finetuned": -np.arange(10.0)}
    first = scatter_frame(data, cos, 4, seed=1)
    assert len(first) == 4 and first["query_id"].is_monotonic_increasing and first["query_id"].is_unique
    assert first.equals(scatter_frame(data, cos, 4, seed=1))
    assert (first["cosine_base"] == first["query_id"]).all() and (
        first["cosine_finetuned"] == -first["doc_id"]
    ).all()
    assert len(scatter_frame(data, cos, 50, seed=1)) == 10


def test_stage_end_to_end_on_external_pairs_with_an_extra_sts_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tiny_split_dir: Path,
    tiny_model_dir: Path,
    tiny_config: Callable[..., Config],
) -> None:
    """User pairs (the split's external columns, no attributes): relevance from scored pairs, no factors."""
    from pipeline.pairs.external import EXTERNAL_PAIR_SCHEMA
    from pipeline.stages import evaluate

    pairs = pd.read_parquet(tiny_split_dir / "test.parquet", columns=EXTERNAL_PAIR_SCHEMA.names)
    (tmp_path / "data" / "split").mkdir(parents=True)
    pairs.to_parquet(tmp_path / "data" / "split" / "test.parquet", index=False)
    _link_models(tmp_path, tiny_model_dir, tiny_model_dir)  # the same model twice: every delta is 0
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(
        "eval.scatter_sample=1000",
        "eval.max_sts_pairs=20",
        f"eval.extra_files=[{FIXTURES / 'korsts_sample.tsv'}]",
    )
    evaluate.main(cfg)

    metrics, plots = _read_outputs(tmp_path)
    extra = [
        f"sts_korsts_sample_{s}_{fn}"
        for fn in ("cosine", "euclidean", "manhattan", "dot")
        for s in ("pearson", "spearman")
    ]
    _check_metric_blocks(metrics, HEADLINE + STS_NAMES + extra)
    assert all(v == pytest.approx(0.0, abs=1e-6) for v in metrics["delta"].values())
    info = metrics["info"]
    assert info["source"] == "external"
    assert info["factor_analysis"].startswith("skipped")
    assert "unscored" in info["relevance"]
    assert info["n_sts_pairs"] == min(20, len(pairs)) and info["n_sts_korsts_sample_pairs"] == 8
    assert info["n_queries"] == pairs["profile_id"].nunique()
    n_cells = len(pairs.drop_duplicates(["profile_id", "posting_id"]))
    assert len(plots["scatter"]) == n_cells
    assert plots["calibration"]["count"].sum() == n_cells
    assert plots["factor_errors"].empty and "mean_abs_gap" in plots["factor_errors"].columns


def test_stage_rejects_a_missing_extra_file_before_loading_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_split_dir: Path, tiny_config: Callable[..., Config]
) -> None:
    from pipeline.stages import evaluate

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "split").symlink_to(tiny_split_dir, target_is_directory=True)
    monkeypatch.chdir(tmp_path)  # no models here: the error has to come first
    with pytest.raises(ConfigError) as info:
        evaluate.main(tiny_config("eval.extra_files=[extra/KorSTS_test.tsv]"))
    assert info.value.key == "eval.extra_files" and "extra/KorSTS_test.tsv" in str(info.value)


def test_truncated_texts_are_counted_in_the_metrics(
    synthetic_run: tuple[Path, Config, pd.DataFrame], tiny_model_dir: Path
) -> None:
    """The audit (#12): texts cut at max_seq_length were never reported."""
    from sentence_transformers import SentenceTransformer

    work, _, test = synthetic_run
    counts = _read_outputs(work)[0]["info"]["truncated_texts"]
    assert set(counts) == {"base", "finetuned"}
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    limit = model.max_seq_length
    prompt = (model.prompts or {}).get("query", "")

    def over(texts: pd.Series) -> int:
        ids = model.tokenizer([prompt + t for t in texts.unique()], truncation=False)["input_ids"]
        return sum(len(x) > limit for x in ids)

    queries, documents = over(test.profile_text), over(test.posting_text)
    assert counts["base"] == {"max_seq_length": limit, "queries": queries, "documents": documents}
