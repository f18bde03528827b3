"""Evaluation on the hand-written set (realtext/) and on seen vs. unseen surface forms.

None of these tests runs the generator: the frames are written here, the attributes come from the shipped set.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.config.compose import compose_config
from pipeline.evaluation.data import UNSEEN, EvalData, build_eval_data, load_test_pairs
from pipeline.evaluation.realtext import (
    find_realtext,
    load_realtext,
    posting_columns,
    profile_columns,
    read_realtext,
)
from pipeline.pairs.reader import TableError
from pipeline.synth.catalog import load_catalog
from pipeline.synth.rules import POSTING_COLUMNS, PROFILE_COLUMNS, score_frame
from tests.conftest import TINY_OVERRIDES
from tests.test_evaluate import LookupModel

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog(ROOT / "catalog" / "ko.yaml")
CFG = compose_config([])

PROFILE = {
    "region": "경기",
    "district": "판교",
    "work_mode": "offline_ok",
    "stacks": ["Spring Boot", "java"],
    "not_stacks": [],
    "years": 3,
    "role": "backend",
    "level": "junior",
    "cs_degree": True,
    "register": "self_intro",
}
POSTING = {
    "region": None,
    "district": None,
    "work_mode": "online",
    "required_stacks": ["React"],
    "preferred_stacks": ["TypeScript"],
    "min_years": 0,
    "max_years": None,
    "role": "frontend",
    "goal": "side_project",
    "cs_degree_required": False,
    "register": "board_post",
}


# --- attributes -> rule columns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, {"p_region": "경기 남부", "p_stacks": ["Spring Boot", "Java"], "p_work_mode": "any"}),
        ({"district": "일산"}, {"p_region": "경기 북부"}),  # 경기 needs the district: two locations
        ({"region": "서울", "district": None}, {"p_region": "서울"}),
        (
            {"region": "울산", "district": "동구"},
            {"p_region": "울산"},
        ),  # unknown district: the region is enough
        ({"region": "부산", "district": "센텀"}, {"p_region": "부산"}),
        ({"region": None, "district": None}, {"p_region": ""}),
        ({"work_mode": "remote_only"}, {"p_work_mode": "remote"}),
        ({"work_mode": "any"}, {"p_work_mode": "any"}),
        ({"work_mode": "offline_preferred"}, {"p_work_mode": "offline"}),
        ({"cs_degree": False}, {"p_background": "non_cs"}),
        ({"cs_degree": None}, {"p_background": "unknown"}),
        ({"role": "other"}, {"p_role": "other"}),
        ({"not_stacks": ["자바"], "stacks": []}, {"p_not_stacks": ["Java"], "p_stacks": []}),  # an alias
        ({"years": 0, "months": 8}, {"p_years": 0}),
        ({}, {"p_years": 3, "p_role": "backend", "p_background": "cs", "p_goals": []}),
    ],
)
def test_profile_attributes_map_to_rule_columns(change: dict[str, Any], expected: dict[str, Any]) -> None:
    columns = profile_columns(PROFILE | change, CATALOG)
    assert set(columns) == set(PROFILE_COLUMNS)
    assert {k: columns[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, {"j_region": "", "j_stacks": ["React"], "j_preferred": ["TypeScript"], "j_max_years": -1}),
        ({"region": "경기", "district": "분당", "work_mode": "hybrid"}, {"j_region": "경기 남부"}),
        ({"work_mode": "hybrid"}, {"j_work_mode": "hybrid"}),
        ({"min_years": 3, "max_years": 5}, {"j_min_years": 3, "j_max_years": 5}),
        ({"max_years": 0}, {"j_max_years": 0}),  # 신입 only
        ({"cs_degree_required": True}, {"j_requires_cs": True}),
        ({"goal": "hackathon", "role": "other"}, {"j_goal": "hackathon", "j_role": "other"}),
    ],
)
def test_posting_attributes_map_to_rule_columns(change: dict[str, Any], expected: dict[str, Any]) -> None:
    columns = posting_columns(POSTING | change, CATALOG)
    assert set(columns) == set(POSTING_COLUMNS)
    assert {k: columns[k] for k in expected} == expected


def _write_set(folder: Path, profiles: list[dict], postings: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, attrs in (("profiles", profiles), ("postings", postings)):
        prefix = name[0] if name == "profiles" else "j"
        lines = [
            json.dumps({"id": f"{prefix}{i:02d}", "text": f"{name} {i}", "attrs": a}, ensure_ascii=False)
            for i, a in enumerate(attrs, 1)
        ]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("side", "change", "key", "words"),
    [
        ("profiles", {"stacks": ["Spring Boot", "Fluter"]}, "attrs.stacks", ["unknown stack", "'Fluter'"]),
        ("postings", {"preferred_stacks": ["Vue", 3]}, "attrs.preferred_stacks", ["unknown stack", "3"]),
        ("profiles", {"district": None}, "attrs.region", ["'경기'", "not one location"]),
        ("profiles", {"region": "서울"}, "attrs.district", ["'판교'", "경기 남부", "'서울'"]),
        ("postings", {"region": None, "district": "동구"}, "attrs.district", ["'동구'"]),
        ("profiles", {"work_mode": "remote"}, "attrs.work_mode", ["remote_only"]),
        ("profiles", {"years": -1}, "attrs.years", ["whole years"]),
        ("postings", {"min_years": 3, "max_years": 1}, "attrs.max_years", ["below min_years"]),
        ("postings", {"goal": "fun"}, "attrs.goal", ["'fun'", "side_project"]),
        ("postings", {"role": "designer"}, "attrs.role", ["'designer'", "backend"]),
    ],
)
def test_unmappable_attributes_name_file_line_item_and_key(
    tmp_path: Path, side: str, change: dict[str, Any], key: str, words: list[str]
) -> None:
    profiles, postings = [PROFILE, PROFILE], [POSTING, POSTING]
    bad = (profiles if side == "profiles" else postings)[1] | change
    if side == "profiles":
        profiles = [PROFILE, bad]
    else:
        postings = [POSTING, bad]
    folder = _write_set(tmp_path / "realtext", profiles, postings)
    with pytest.raises(TableError) as info:
        read_realtext(folder, CATALOG)
    message = str(info.value)
    item = "p02" if side == "profiles" else "j02"
    assert info.value.key == "paths.realtext" and info.value.column == key and info.value.row == 2
    assert f"{side}.jsonl" in message and "line 2" in message and item in message, message
    assert all(word in message for word in words), message


def test_missing_key_and_duplicate_id_are_errors(tmp_path: Path) -> None:
    no_years = {k: v for k, v in PROFILE.items() if k != "years"}
    folder = _write_set(tmp_path / "a", [no_years], [POSTING])
    with pytest.raises(TableError, match=r"line 1, column 'attrs.years': p01: missing"):
        read_realtext(folder, CATALOG)
    folder = _write_set(tmp_path / "b", [PROFILE], [POSTING])
    line = (folder / "postings.jsonl").read_text(encoding="utf-8")
    (folder / "postings.jsonl").write_text(line + line, encoding="utf-8")
    with pytest.raises(TableError, match=r"line 2, column 'id': 'j01' is also the id on line 1"):
        read_realtext(folder, CATALOG)


def test_a_missing_folder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"paths\.realtext"):
        find_realtext(tmp_path / "nowhere")
    assert find_realtext("realtext") in (Path("realtext"), ROOT / "realtext")


def test_the_shipped_set_maps_fully_and_is_scored_on_every_cell() -> None:
    rt = read_realtext(ROOT / "realtext", CATALOG)
    assert (len(rt.profiles), len(rt.postings)) == (len(rt.profile_texts), len(rt.posting_texts)) == (50, 104)
    # Every stated place found a catalog location (a null region stays "").
    raw = [json.loads(line)["attrs"] for line in (ROOT / "realtext/profiles.jsonl").open(encoding="utf-8")]
    assert [r["region"] is None for r in raw] == (rt.profiles["p_region"] == "").tolist()
    data = load_realtext(ROOT / "realtext", CFG)
    assert data.scores.shape == (50, 104) and len(data.analysis) == 5200
    assert ((data.scores >= 0) & (data.scores <= 1)).all()
    assert data.info["n_profiles"] == 50 and data.info["n_postings"] == 104
    assert data.info["n_queries_with_relevant"] == 50  # every profile has a posting the rules call relevant
    # The cells are score_frame's: one checked directly.
    i, j = rt.profile_ids.index("p01"), rt.posting_ids.index("j01")
    one = score_frame(rt.profiles.iloc[[i]], rt.postings.iloc[[j]], CFG.data.rules, CATALOG)
    assert data.scores[i, j] == pytest.approx(one["score"].iloc[0])


# --- metrics on fake embeddings ---------------------------------------------------------------------------


def _data(scores: np.ndarray) -> EvalData:
    n_q, n_d = scores.shape
    qi, di = np.repeat(np.arange(n_q), n_d), np.tile(np.arange(n_d), n_q)
    analysis = pd.DataFrame({"qi": qi, "di": di, "query_id": qi, "doc_id": di, "score": scores.ravel()})
    queries, docs = [f"p{i}" for i in range(n_q)], [f"j{j}" for j in range(n_d)]
    return EvalData("realtext", queries, queries, docs, docs, scores, analysis)


def test_realtext_metrics_are_perfect_when_each_profile_embeds_as_its_match() -> None:
    from pipeline.evaluation.evaluators import EmbeddingCache
    from pipeline.evaluation.scoring import realtext_metrics

    scores = np.full((3, 4), 0.2)
    scores[[0, 1, 2], [0, 1, 2]] = 0.9  # posting j3 matches nobody; equal scores for cosines tied at 1
    data = _data(scores)
    eye = np.eye(4)
    vectors = {f"p{i}": eye[i] for i in range(3)} | {f"j{j}": eye[j] for j in range(4)}
    got = realtext_metrics(EmbeddingCache(LookupModel(vectors), 8), data, 0.7)
    assert got == pytest.approx(
        {"realtext_ndcg@10": 1.0, "realtext_mrr@10": 1.0, "realtext_sts_spearman_cosine": 1.0}
    )
    # Each profile embedded as the next one's match: its own match ranks second (cosine 0 ties, kept in
    # document order: the cyclic neighbour first, then the match).
    shifted = {f"p{i}": eye[(i + 1) % 3] for i in range(3)} | {f"j{j}": eye[j] for j in range(4)}
    got = realtext_metrics(EmbeddingCache(LookupModel(shifted), 8), data, 0.7)
    assert got["realtext_mrr@10"] < 1.0 and got["realtext_ndcg@10"] < 1.0
    assert got["realtext_sts_spearman_cosine"] < 0.5


# --- seen vs unseen surface forms -------------------------------------------------------------------------

# Two seen profiles whose cosines follow the scores, two unseen ones whose cosines reverse them.
SEEN_PAIRS = pd.DataFrame(
    {
        "profile_id": ["P0", "P0", "P1", "P1", "P2", "P2", "P3", "P3"],
        "posting_id": ["D0", "D1", "D1", "D0", "D2", "D3", "D3", "D2"],
        "score": [0.9, 0.1, 0.8, 0.2, 0.9, 0.1, 0.8, 0.3],
        UNSEEN: [False] * 4 + [True] * 4,
    }
)
SEEN_VECTORS = {
    "P0": np.array([0.9, 0.1, 0, 0]),
    "P1": np.array([0.2, 0.8, 0, 0]),
    "P2": np.array([0, 0, 0.1, 0.9]),
    "P3": np.array([0, 0, 0.8, 0.2]),
} | {f"D{j}": np.eye(4)[j] for j in range(4)}


def _seen_unseen(tmp_path: Path, pairs: pd.DataFrame) -> tuple[dict[str, float], EvalData]:
    from pipeline.evaluation.evaluators import EmbeddingCache
    from pipeline.evaluation.scoring import _cosine_matrix, seen_unseen_metrics

    frame = pairs.assign(profile_text=pairs["profile_id"], posting_text=pairs["posting_id"])
    frame.to_parquet(tmp_path / "test.parquet", index=False)
    test, source = load_test_pairs(tmp_path / "test.parquet")
    data = build_eval_data(test, source, CFG)
    cache = EmbeddingCache(LookupModel(SEEN_VECTORS), 8)
    similarity = _cosine_matrix(cache.get(data.query_texts), cache.get(data.doc_texts))
    return seen_unseen_metrics(cache, data, test, similarity, 0.7), data


def test_seen_and_unseen_metrics_split_pairs_and_queries(tmp_path: Path) -> None:
    got, data = _seen_unseen(tmp_path, SEEN_PAIRS)
    assert data.query_unseen.tolist() == [False, False, True, True]
    assert data.info["n_queries_unseen"] == 2
    # Unseen profiles rank their relevant posting second, behind a cosine of 0.99 to an irrelevant one.
    expected = {
        "sts_spearman_cosine_seen": 1.0,
        "sts_spearman_cosine_unseen": -1.0,
        "ndcg@10_seen": 1.0,
        "ndcg@10_unseen": 1 / math.log2(3),
    }
    assert got == pytest.approx(expected)


def test_seen_and_unseen_metrics_are_skipped_without_the_column(tmp_path: Path) -> None:
    got, data = _seen_unseen(tmp_path, SEEN_PAIRS.drop(columns=[UNSEEN]))
    assert got == {} and data.query_unseen is None and "n_queries_unseen" not in data.info


# --- the stage end to end, without the generator ---------------------------------------------------------


@pytest.fixture(scope="module")
def stage_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The evaluate stage on a test split made of hand-written items (attributes mapped, rule-scored,
    half the groups marked unseen) and two tiny random models."""
    from pipeline.models.tiny import build_tiny_model
    from pipeline.stages import evaluate

    rt = read_realtext(ROOT / "realtext", CATALOG)
    n = 12
    qi, di = np.repeat(np.arange(n), 3), (np.repeat(np.arange(n), 3) + np.tile([0, 1, 2], n)) % 20
    left, right = rt.profiles.iloc[qi].reset_index(drop=True), rt.postings.iloc[di].reset_index(drop=True)
    test = pd.concat([left, right], axis=1).assign(
        profile_id=np.asarray(rt.profile_ids)[qi],
        posting_id=np.asarray(rt.posting_ids)[di],
        profile_text=np.asarray(rt.profile_texts)[qi],
        posting_text=np.asarray(rt.posting_texts)[di],
        score=score_frame(left, right, CFG.data.rules, CATALOG)["score"].to_numpy(),
        unseen_forms=qi % 2 == 1,
    )
    work = tmp_path_factory.mktemp("eval_realtext")
    (work / "data" / "split").mkdir(parents=True)
    test.to_parquet(work / "data" / "split" / "test.parquet", index=False)
    cfg = compose_config([*TINY_OVERRIDES, "eval.scatter_sample=100"])
    texts = rt.profile_texts + rt.posting_texts
    for name, seed in (("base_model", 0), ("model", 1)):
        build_tiny_model(work / "data" / name, texts, cfg.model.tiny, seed, max_seq_length=64)
    old = Path.cwd()
    os.chdir(work)  # no realtext/ here: the relative path falls back to the project root
    try:
        evaluate.main(cfg)
    finally:
        os.chdir(old)
    return json.loads((work / "metrics" / "eval.json").read_text(encoding="utf-8"))


def test_stage_reports_realtext_and_seen_unseen_metrics(stage_run: dict[str, Any]) -> None:
    metrics = stage_run
    names = [
        "realtext_ndcg@10",
        "realtext_mrr@10",
        "realtext_sts_spearman_cosine",
        "sts_spearman_cosine_seen",
        "sts_spearman_cosine_unseen",
        "ndcg@10_seen",
        "ndcg@10_unseen",
    ]
    for model in ("base", "finetuned"):
        for name in names:
            assert name in metrics[model], (model, name)
        for name in names[:2]:
            assert 0.0 <= metrics[model][name] <= 1.0
    for name in names:
        expected = metrics["finetuned"][name] - metrics["base"][name]
        assert metrics["delta"][name] == pytest.approx(expected, abs=2e-6)
    info = metrics["info"]
    assert info["source"] == "synthetic" and info["n_queries_unseen"] == 6
    realtext = info["realtext"]
    assert (realtext["n_profiles"], realtext["n_postings"], realtext["n_queries_with_relevant"]) == (
        50,
        104,
        50,
    )
    assert set(realtext["truncated_texts"]) == {"base", "finetuned"}
    assert set(realtext["truncated_texts"]["base"]) == {"queries", "documents"}
