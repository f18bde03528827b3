"""The MNRL view: thresholds, near-miss preference, fallback negatives, no repeated texts, determinism."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.config.compose import compose_config
from pipeline.pairs.components import text_components
from pipeline.synth.catalog import PROJECT_ROOT, load_catalog
from pipeline.synth.rules import POSTING_COLUMNS, PROFILE_COLUMNS, score_frame
from pipeline.synth.triplets import build_triplets

CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")
CFG = compose_config()
TRIPLETS = CFG.data.triplets  # positive >= 0.7, negative <= 0.4


def rows(*pairs: tuple[str, str, float, str]) -> pd.DataFrame:
    """(profile, posting, score, kind) rows; kind 'near' marks a near miss (same stack, other region),
    anything else is no near miss (related stack, far short)."""
    out = []
    for profile, posting, score, kind in pairs:
        near = kind == "near"
        out.append({"profile_text": profile, "posting_text": posting, "score": score,
                    "region_match": "far" if near else "same",
                    "stack_match": "full" if near else "related",
                    "experience_match": "meets" if near else "far_short", "capped": False})  # fmt: skip
    return pd.DataFrame(out)


def as_tuples(frame: pd.DataFrame | object) -> list[tuple[str, str, str]]:
    table = frame.to_pandas() if hasattr(frame, "to_pandas") else frame
    return list(table.itertuples(index=False, name=None))


def test_positives_take_near_misses_first_then_harder_negatives_cycling() -> None:
    pairs = rows(
        ("A", "P1", 0.9, ""), ("A", "N1", 0.35, ""), ("A", "P2", 0.8, ""), ("A", "N2", 0.3, "near"),
        ("A", "P3", 0.75, ""), ("A", "M", 0.5, ""), ("B", "Q", 0.95, ""), ("B", "R", 0.1, ""),
    )  # fmt: skip
    assert as_tuples(build_triplets(pairs, TRIPLETS)) == [
        ("A", "P1", "N2"),  # the near miss first
        ("A", "P2", "N1"),  # then the hardest (highest-scoring) negative
        ("A", "P3", "N2"),  # cycling
        ("B", "Q", "R"),
    ]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (rows(("A", "P", 0.7, ""), ("A", "N", 0.4, "")), [("A", "P", "N")]),  # thresholds are inclusive
        (rows(("A", "P", 0.69, ""), ("A", "N", 0.1, "")), []),  # no positive
        (rows(("A", "P", 0.9, ""), ("A", "N", 0.41, "")), []),  # no negative, no rescoring
        (
            rows(("A", "P", 0.9, ""), ("A", "P", 0.9, ""), ("A", "N", 0.1, "")),
            [("A", "P", "N")],
        ),  # duplicate pair
        (rows(("X", "X", 0.9, ""), ("X", "N", 0.1, "")), []),  # a text may not repeat inside a triplet
    ],
)
def test_edge_cases(pairs: pd.DataFrame, expected: list) -> None:
    assert as_tuples(build_triplets(pairs, TRIPLETS)) == expected


def _attrs_frame() -> pd.DataFrame:
    """Anchor A (Django, 서울) has a good posting but no negative of its own; B (Swift, 부산) has both."""
    good = {"j_region": "서울", "j_stacks": ["Django"], "j_preferred": [], "j_min_years": 1,
        "j_max_years": -1,
            "j_role": "backend", "j_work_mode": "online", "j_goal": "study",
                "j_requires_cs": False}  # fmt: skip
    poor = {**good, "j_region": "부산", "j_stacks": ["Swift"], "j_min_years": 9, "j_role": "mobile"}
    a = {"p_region": "서울", "p_stacks": ["Django"], "p_not_stacks": [], "p_years": 3, "p_role": "backend",
         "p_work_mode": "any", "p_background": "cs", "p_goals": ["study"]}  # fmt: skip
    b = {**a, "p_region": "부산", "p_stacks": ["Swift"], "p_years": 10, "p_role": "mobile"}
    frame = pd.DataFrame([
        {"profile_text": "A", "posting_text": "GOOD", **a, **good},
        {"profile_text": "B", "posting_text": "GOOD", **b, **good},
        {"profile_text": "B", "posting_text": "POOR", **b, **poor},
    ])  # fmt: skip
    scored = score_frame(frame[list(PROFILE_COLUMNS)], frame[list(POSTING_COLUMNS)], CFG.data.rules, CATALOG)
    return pd.concat([frame, scored], axis=1)


def test_anchor_without_own_negative_takes_a_rescored_posting_of_its_component() -> None:
    frame = _attrs_frame()
    assert frame["score"].round(6).tolist() == [1.0, 0.3, 1.0]
    assert as_tuples(build_triplets(frame, TRIPLETS)) == [("B", "POOR", "GOOD")]
    rescore = lambda p, j: score_frame(p, j, CFG.data.rules, CATALOG)  # noqa: E731
    triplets = as_tuples(build_triplets(frame, TRIPLETS, rescore))
    assert triplets == [("A", "GOOD", "POOR"), ("B", "POOR", "GOOD")]
    p = frame[list(PROFILE_COLUMNS)].iloc[[0]].reset_index(drop=True)
    j = frame[list(POSTING_COLUMNS)].iloc[[2]].reset_index(drop=True)
    assert score_frame(p, j, CFG.data.rules, CATALOG)["score"].iat[0] <= TRIPLETS.negative_max_score


def test_deterministic() -> None:
    frame = _attrs_frame()
    rescore = lambda p, j: score_frame(p, j, CFG.data.rules, CATALOG)  # noqa: E731
    assert build_triplets(frame, TRIPLETS, rescore).equals(build_triplets(frame.copy(), TRIPLETS, rescore))


@pytest.mark.parametrize(
    ("edges", "labels"),
    [
        ([("a", "x"), ("b", "x"), ("c", "y")], [0, 0, 1]),
        ([("a", "x"), ("b", "y"), ("a", "y"), ("c", "z")], [0, 0, 0, 1]),
        ([("a", "x"), ("b", "y"), ("c", "z")], [0, 1, 2]),
        ([("a", "b"), ("b", "c"), ("d", "e")], [0, 0, 1]),  # external data: a text on both sides
    ],
)
def test_text_components(edges: list[tuple[str, str]], labels: list[int]) -> None:
    frame = pd.DataFrame(edges, columns=["profile_text", "posting_text"])
    got = text_components(frame["profile_text"], frame["posting_text"])
    # labels are equal exactly where the expected ones are
    assert [[a == b for b in got] for a in got] == [[a == b for b in labels] for a in labels]
