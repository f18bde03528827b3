"""Metric functions against small cases whose expected values are worked out by hand in each test."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config import ConfigError
from pipeline.evaluation import (
    calibration_table,
    factor_error_table,
    graded_gains,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    read_sts_file,
    recall_at_k,
    retrieval_metrics,
    sts_name,
    top_k,
)
from pipeline.pairs.bins import bin_labels, score_bin

# --- a 4-query x 5-document toy set ----------------------------------------------------------------------
# Similarities fix each query's ranking (best first):
#   q0: d0 d1 d2 d3 d4    q1: d4 d3 d2 d1 d0    q2: d0 d1 d2 d3 d4    q3: d0 ...
SIM = np.array(
    [
        [0.9, 0.8, 0.7, 0.6, 0.5],
        [0.1, 0.2, 0.3, 0.4, 0.95],
        [0.5, 0.4, 0.3, 0.2, 0.1],
        [0.5, 0.4, 0.3, 0.2, 0.1],
    ]
)
# Rule scores; with threshold 0.7 the relevant documents are q0: d1 (1.0), d3 (0.8) -> ranks 2 and 4;
# q1: d4 (0.9), d0 (0.75) -> ranks 1 and 5; q2: d2 (exactly 0.7, counts) -> rank 3; q3: none (left out).
SCORES = np.array(
    [
        [0.2, 1.0, 0.0, 0.8, 0.0],
        [0.75, 0.0, 0.0, 0.0, 0.9],
        [0.0, 0.0, 0.7, 0.0, 0.69],
        [0.5, 0.6, 0.1, 0.0, 0.3],
    ]
)
THRESHOLD = 0.7
L2, L3, L4, L5, L6 = (math.log2(n) for n in (2, 3, 4, 5, 6))


def test_top_k_ranks_best_first_and_breaks_ties_by_document_order() -> None:
    assert top_k(SIM, 3).tolist() == [[0, 1, 2], [4, 3, 2], [0, 1, 2], [0, 1, 2]]
    assert top_k(np.array([[0.5, 0.9, 0.5, 0.5]]), 4).tolist() == [[1, 0, 2, 3]]
    assert top_k(SIM, 50).shape == (4, 5)  # k beyond the corpus is the whole corpus


def test_graded_gains_keep_scores_at_or_above_threshold() -> None:
    assert graded_gains(SCORES, THRESHOLD)[2].tolist() == [0.0, 0.0, 0.7, 0.0, 0.0]
    assert graded_gains(SCORES, THRESHOLD)[0].tolist() == [0.0, 1.0, 0.0, 0.8, 0.0]


def test_graded_ndcg_at_10() -> None:
    q0 = (1.0 / L3 + 0.8 / L5) / (1.0 / L2 + 0.8 / L3)
    q1 = (0.9 / L2 + 0.75 / L6) / (0.9 / L2 + 0.75 / L3)
    q2 = (0.7 / L4) / (0.7 / L2)  # = 0.5
    assert q2 == pytest.approx(0.5)
    got = ndcg_at_k(SIM, graded_gains(SCORES, THRESHOLD), 10)
    assert got == pytest.approx((q0 + q1 + q2) / 3)  # q3 has no relevant document: not averaged in


def test_binary_ndcg_at_10_and_cutoff() -> None:
    relevant = SCORES >= THRESHOLD
    q0 = (1 / L3 + 1 / L5) / (1 / L2 + 1 / L3)
    q1 = (1 / L2 + 1 / L6) / (1 / L2 + 1 / L3)
    assert ndcg_at_k(SIM, relevant, 10) == pytest.approx((q0 + q1 + 0.5) / 3)
    # At k=2 only q0's d1 (rank 2) and q1's d4 (rank 1) count; q2's d2 at rank 3 is cut off.
    at2 = (1 / L3) / (1 / L2 + 1 / L3), (1 / L2) / (1 / L2 + 1 / L3), 0.0
    assert ndcg_at_k(SIM, relevant, 2) == pytest.approx(sum(at2) / 3)


def test_mrr_at_10_and_cutoff() -> None:
    relevant = SCORES >= THRESHOLD
    assert mrr_at_k(SIM, relevant, 10) == pytest.approx((1 / 2 + 1 / 1 + 1 / 3) / 3)
    assert mrr_at_k(SIM, relevant, 2) == pytest.approx((1 / 2 + 1 + 0) / 3)  # q2's first hit is at rank 3


def test_recall_at_k() -> None:
    relevant = SCORES >= THRESHOLD
    assert recall_at_k(SIM, relevant, 1) == pytest.approx((0 + 1 / 2 + 0) / 3)
    assert recall_at_k(SIM, relevant, 3) == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    assert recall_at_k(SIM, relevant, 5) == pytest.approx(1.0)
    assert recall_at_k(SIM, relevant, 10) == pytest.approx(1.0)


def test_map_at_k() -> None:
    relevant = SCORES >= THRESHOLD
    # AP = sum of precision at each relevant hit / min(k, #relevant).
    q0 = (1 / 2 + 2 / 4) / 2
    q1 = (1 / 1 + 2 / 5) / 2
    q2 = (1 / 3) / 1
    assert map_at_k(SIM, relevant, 100) == pytest.approx((q0 + q1 + q2) / 3)
    # k=1: q1 hits at rank 1 and divides by min(1, 2) = 1; the others miss.
    assert map_at_k(SIM, relevant, 1) == pytest.approx((0 + 1 + 0) / 3)


def test_retrieval_metrics_names_and_values() -> None:
    got = retrieval_metrics(SIM, SCORES, THRESHOLD)
    assert list(got) == ["ndcg@10", "mrr@10", "recall@1", "recall@5", "recall@10", "map@100"]
    assert got["ndcg@10"] == pytest.approx(ndcg_at_k(SIM, graded_gains(SCORES, THRESHOLD), 10))
    assert got["mrr@10"] == pytest.approx(11 / 18)
    assert got["recall@1"] == pytest.approx(1 / 6)


def test_metrics_are_nan_without_any_relevant_document() -> None:
    none = np.zeros_like(SCORES, dtype=bool)
    assert all(math.isnan(v) for v in retrieval_metrics(SIM, np.zeros_like(SCORES), 0.5).values())
    assert math.isnan(mrr_at_k(SIM, none, 10))


def test_perfect_ranking_scores_one() -> None:
    gains = graded_gains(SCORES[:3], THRESHOLD)
    ideal_sim = gains + 1e-3 * np.arange(5)[::-1]  # rank by gain, so the ideal order
    got = retrieval_metrics(ideal_sim, SCORES[:3], THRESHOLD)
    assert got["ndcg@10"] == pytest.approx(1.0)
    assert got["mrr@10"] == pytest.approx(1.0)
    assert got["map@100"] == pytest.approx(1.0)


# --- calibration ------------------------------------------------------------------------------------------

EDGES = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_bins_are_left_closed_and_the_top_edge_is_in_the_last_bin() -> None:
    scores = np.array([0.0, 0.1999, 0.2, 0.5, 0.8, 0.99, 1.0])
    assert score_bin(scores, EDGES).tolist() == [0, 0, 1, 2, 4, 4, 4]
    assert bin_labels(EDGES) == ["0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1"]


def test_calibration_table_means_per_bin_with_empty_bins_kept() -> None:
    scores = np.array([0.0, 0.1, 0.2, 0.5, 1.0, 0.9])
    base = np.array([0.5, 0.7, 0.6, 0.8, 0.9, 0.7])
    tuned = np.array([0.0, 0.2, 0.3, 0.5, 1.0, 0.8])
    table = calibration_table(scores, {"base": base, "finetuned": tuned}, EDGES)
    assert list(table.columns) == [
        "bin",
        "lo",
        "hi",
        "mid",
        "count",
        "mean_score",
        "mean_cosine_base",
        "mean_cosine_finetuned",
    ]
    assert table["count"].tolist() == [2, 1, 1, 0, 2]
    assert table["mid"].tolist() == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert table["mean_cosine_base"].tolist()[:3] == pytest.approx([0.6, 0.6, 0.8])
    assert table["mean_cosine_finetuned"].iloc[4] == pytest.approx(0.9)
    assert table["mean_score"].iloc[4] == pytest.approx(0.95)
    assert math.isnan(table["mean_cosine_base"].iloc[3])


# --- error analysis ---------------------------------------------------------------------------------------


def test_factor_error_table_gaps_per_bucket() -> None:
    frame = pd.DataFrame(
        {
            "score": [1.0, 0.8, 0.2, 0.0],
            "region_match": ["same", "near", "far", "far"],
            "stack_match": ["full", "full", "unrelated", "related"],
            "experience_match": ["meets", "meets", "far_short", "meets"],
            "capped": [False, False, True, True],
        }
    )
    base = np.array([0.9, 0.9, 0.9, 0.9])  # rates everything alike
    tuned = np.array([1.0, 0.7, 0.3, 0.1])
    table = factor_error_table(frame, {"base": base, "finetuned": tuned})
    row = table.set_index(["factor", "level", "model"])
    # region=far holds rows 2 and 3: base gaps 0.7 and 0.9; fine-tuned gaps 0.1 and 0.1.
    assert row.loc[("region", "far", "base"), "count"] == 2
    assert row.loc[("region", "far", "base"), "mean_gap"] == pytest.approx(0.8)
    assert row.loc[("region", "far", "finetuned"), "mean_abs_gap"] == pytest.approx(0.1)
    # stack=full holds rows 0 and 1: fine-tuned gaps 0.0 and -0.1: mean -0.05, mean |gap| 0.05.
    assert row.loc[("stack", "full", "finetuned"), "mean_gap"] == pytest.approx(-0.05)
    assert row.loc[("stack", "full", "finetuned"), "mean_abs_gap"] == pytest.approx(0.05)
    assert row.loc[("hard_constraint", "hit", "base"), "mean_score"] == pytest.approx(0.1)
    assert row.loc[("experience", "meets", "base"), "count"] == 3
    # Levels in display order, absent ones left out, both models per bucket, labels pairing them.
    regions = table[(table.factor == "region") & (table.model == "base")].level.tolist()
    assert regions == ["same", "near", "far"]
    assert ("experience", "slightly_short", "base") not in row.index
    assert "region=same | finetuned" in set(table.label)
    assert len(table) == 2 * (3 + 3 + 2 + 2)


def test_factor_error_table_requires_factor_columns() -> None:
    with pytest.raises(KeyError, match="region_match"):
        factor_error_table(pd.DataFrame({"score": [0.5]}), {"base": np.array([0.5])})


# --- extra STS files --------------------------------------------------------------------------------------

KORSTS = [0.0, 5.0]  # eval.extra_score_range's default


def test_korsts_tsv_is_read_literally_and_scaled_from_0_5(tmp_path: Path) -> None:
    path = tmp_path / "KorSTS dev.tsv"
    path.write_text(
        "genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2\n"
        'main-captions\tMSRvid\t2012test\t0\t5.000\t비행기가 "이륙하고 있다.\t비행기가 이륙하고 있다.\n'
        "main-captions\tMSRvid\t2012test\t1\t3.8\t남자가 플루트를 분다.\t한 남자가 큰 플루트를 분다.\n"
        "main-captions\tMSRvid\t2012test\t2\t0\t고양이가 잔다.\t개발자가 코드를 쓴다.\n",
        encoding="utf-8",
    )
    frame = read_sts_file(path, KORSTS)
    assert list(frame.columns) == ["sentence1", "sentence2", "score"]
    assert frame["score"].tolist() == pytest.approx([1.0, 0.76, 0.0])
    assert frame["sentence1"].iloc[0] == '비행기가 "이륙하고 있다.'  # an unbalanced quote stays text
    assert sts_name(path) == "korsts_dev"


def test_the_scale_is_explicit_never_guessed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pairs.csv"
    frame = pd.DataFrame({"sentence1": ["가", "나"], "sentence2": ["다", "라"], "score": [0.25, 1.0]})
    frame.to_csv(path, index=False)
    assert read_sts_file(path, [0.0, 1.0])["score"].tolist() == [0.25, 1.0]
    assert capsys.readouterr().err == ""
    # On [0, 5] the same file is read as low scores, with the warning that external data gives.
    assert read_sts_file(path, KORSTS)["score"].tolist() == pytest.approx([0.05, 0.2])
    err = capsys.readouterr().err
    assert "warning: every score in" in err and "-S 'eval.extra_score_range=[0,1]'" in err


def test_missing_extra_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.tsv"
    with pytest.raises(ConfigError) as info:
        read_sts_file(path, KORSTS)
    assert info.value.key == "eval.extra_files"
    assert str(path) in str(info.value) and "does not exist" in str(info.value)


@pytest.mark.parametrize("column", ["sentence1", "sentence2", "score"])
def test_missing_column_names_the_file_and_column(tmp_path: Path, column: str) -> None:
    path = tmp_path / "pairs.csv"
    cols = {"sentence1": ["가", "나"], "sentence2": ["다", "라"], "score": [1, 2]}
    pd.DataFrame({k: v for k, v in cols.items() if k != column}).to_csv(path, index=False)
    with pytest.raises(ConfigError) as info:
        read_sts_file(path, KORSTS)
    assert str(path) in str(info.value)
    assert repr(column) in str(info.value) and "missing" in str(info.value)


@pytest.mark.parametrize("bad", ["high", "7.5", "-1"])
def test_unusable_score_names_the_file_column_and_row(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(f"sentence1,sentence2,score\n가,나,1\n다,라,{bad}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_sts_file(path, KORSTS)
    assert info.value.key == "eval.extra_files"
    assert str(path) in str(info.value) and "'score'" in str(info.value) and "row 2" in str(info.value)
