"""Every rule with hand-computed scores (default weights .25/.35/.2/.1/.1), and score_frame's contract."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline.config.compose import compose_config
from pipeline.synth.catalog import PROJECT_ROOT, load_catalog
from pipeline.synth.rules import (
    NEAR_MISS_KINDS,
    SCORE_COLUMNS,
    near_miss_kind,
    pack,
    score_frame,
    unpack,
)

CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")
RULES = compose_config().data.rules

PROFILE = {"p_region": "서울특별시", "p_stacks": ["Django"], "p_years": 5, "p_work_mode": "online",
           "p_background": "cs", "p_goals": ["스터디", "팀 협업"]}  # fmt: skip
POSTING = {"j_region": "서울특별시", "j_stacks": ["Django"], "j_min_years": 3, "j_work_mode": "online",
           "j_goals": ["스터디", "팀 협업"], "j_requires_cs": False}  # fmt: skip


def score_one(profile: dict[str, Any], posting: dict[str, Any], rules: Any = RULES) -> pd.Series:
    p = pd.DataFrame([{**PROFILE, **profile}])
    j = pd.DataFrame([{**POSTING, **posting}])
    return score_frame(p, j, rules, CATALOG).iloc[0]


# (profile changes, posting changes, factor column, factor value, match column, match label, total score)
CASES = [
    ({}, {}, "f_region", 1.0, "region_match", "same", 1.0),
    # region: same / remote-compatible / different
    ({}, {"j_region": "부산광역시"}, "f_region", 0.0, "region_match", "other", 0.75),
    ({}, {"j_region": "원격"}, "f_region", 0.8, "region_match", "remote", 0.95),
    ({"p_region": "원격"}, {}, "f_region", 0.8, "region_match", "remote", 0.95),
    ({"p_region": "원격"}, {"j_region": "원격"}, "f_region", 1.0, "region_match", "same", 1.0),
    # stack: exact / related (same family, related family) / unrelated
    ({"p_stacks": ["Django", "React"]}, {"j_stacks": ["React"]}, "f_stack", 1.0, "stack_match", "exact", 1.0),
    ({}, {"j_stacks": ["Swift", "Django"]}, "f_stack", 1.0, "stack_match", "exact", 1.0),
    ({}, {"j_stacks": ["Flask"]}, "f_stack", 0.5, "stack_match", "related", 0.825),
    ({}, {"j_stacks": ["PostgreSQL"]}, "f_stack", 0.5, "stack_match", "related", 0.825),
    ({}, {"j_stacks": ["Swift"]}, "f_stack", 0.0, "stack_match", "unrelated", 0.65),
    # experience: meets / slightly short (1 year) / far short, 신입 included
    ({}, {"j_min_years": 5}, "f_experience", 1.0, "experience_match", "meets", 1.0),
    ({}, {"j_min_years": 6}, "f_experience", 0.5, "experience_match", "slightly_short", 0.9),
    ({}, {"j_min_years": 7}, "f_experience", 0.0, "experience_match", "far_short", 0.8),
    ({"p_years": 0}, {"j_min_years": 0}, "f_experience", 1.0, "experience_match", "meets", 1.0),
    ({"p_years": 0}, {"j_min_years": 1}, "f_experience", 0.5, "experience_match", "slightly_short", 0.9),
    ({"p_years": 0}, {"j_min_years": 3}, "f_experience", 0.0, "experience_match", "far_short", 0.8),
    # work mode: same / one side mixed / other
    ({}, {"j_work_mode": "offline"}, "f_work_mode", 0.0, None, None, 0.9),
    ({}, {"j_work_mode": "mixed"}, "f_work_mode", 0.5, None, None, 0.95),
    ({"p_work_mode": "mixed"}, {"j_work_mode": "offline"}, "f_work_mode", 0.5, None, None, 0.95),
    # goals: share of the posting's goals the profile has
    ({}, {"j_goals": ["스터디", "창업"]}, "f_goals", 0.5, None, None, 0.95),
    ({}, {"j_goals": ["창업"]}, "f_goals", 0.0, None, None, 0.9),
    ({"p_goals": []}, {"j_goals": ["스터디"]}, "f_goals", 0.0, None, None, 0.9),
    ({}, {"j_goals": []}, "f_goals", 1.0, None, None, 1.0),
]


@pytest.mark.parametrize(("profile", "posting", "factor", "value", "match", "label", "score"), CASES)
def test_factor_and_score(
    profile: dict,
    posting: dict,
    factor: str,
    value: float,
    match: str | None,
    label: str | None,
    score: float,
) -> None:
    out = score_one(profile, posting)
    assert out[factor] == pytest.approx(value)
    if match:
        assert out[match] == label
    assert out["score"] == pytest.approx(score)
    assert not out["capped"]


@pytest.mark.parametrize(
    ("background", "requires_cs", "posting", "capped", "score"),
    [
        ("non_cs", True, {}, True, 0.2),  # a perfect match capped at hard_constraint_cap
        ("cs", True, {}, False, 1.0),
        ("non_cs", False, {}, False, 1.0),
        # already below the cap: capped, score unchanged (0.25 + 0.2 + 0.1 + 0.1 = 0.65 -> 0.2; 0 stays 0)
        ("non_cs", True, {"j_region": "부산광역시", "j_stacks": ["Swift"], "j_min_years": 9,
                          "j_work_mode": "offline", "j_goals": ["창업"]}, True, 0.0),
    ],
)  # fmt: skip
def test_hard_constraint_caps_the_total(
    background: str, requires_cs: bool, posting: dict, capped: bool, score: float
) -> None:
    out = score_one({"p_background": background}, {"j_requires_cs": requires_cs, **posting})
    assert bool(out["capped"]) is capped
    assert out["score"] == pytest.approx(score)


def test_weights_and_levels_are_configuration() -> None:
    region_only = RULES.model_copy(
        update=dict(
            weight_region=1.0, weight_stack=0.0, weight_experience=0.0, weight_work_mode=0.0, weight_goals=0.0
        )
    )
    assert score_one({}, {"j_region": "원격", "j_stacks": ["Swift"]}, region_only)["score"] == pytest.approx(
        0.8
    )
    lenient = RULES.model_copy(update=dict(slightly_short_years=3, region_remote=0.5))
    out = score_one({}, {"j_min_years": 8, "j_region": "원격"}, lenient)
    assert out["experience_match"] == "slightly_short" and out["f_region"] == pytest.approx(0.5)
    # a weighted mean: doubling every weight changes nothing
    names = ("weight_region", "weight_stack", "weight_experience", "weight_work_mode", "weight_goals")
    doubled = RULES.model_copy(update={f: 2 * getattr(RULES, f) for f in names})
    assert score_one({}, {"j_min_years": 6}, doubled)["score"] == pytest.approx(0.9)


def _frames(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    regions, stacks, goals = list(CATALOG.region_names), list(CATALOG.stack_names), list(CATALOG.goal_names)

    def pick_set(pool: list[str], k: int) -> list[list[str]]:
        return [list(rng.choice(pool, size=rng.integers(0, k + 1), replace=False)) for _ in range(n)]

    p = pd.DataFrame({
        "p_region": rng.choice(regions, n), "p_stacks": pick_set(stacks, 3),
        "p_years": rng.integers(0, 16, n),
        "p_work_mode": rng.choice(["online", "offline", "mixed"], n),
        "p_background": rng.choice(["cs", "non_cs"], n), "p_goals": pick_set(goals, 3),
    })  # fmt: skip
    j = pd.DataFrame({
        "j_region": rng.choice(regions, n), "j_stacks": pick_set(stacks, 2),
        "j_min_years": rng.integers(0, 11, n),
        "j_work_mode": rng.choice(["online", "offline", "mixed"], n), "j_goals": pick_set(goals, 3),
        "j_requires_cs": rng.random(n) < 0.3,
    })  # fmt: skip
    return p, j


def _reference(p: pd.Series, j: pd.Series) -> float:
    """The rules written out per pair, as plainly as possible."""
    r = RULES
    if p.p_region == j.j_region:
        region = r.region_same
    elif "원격" in (p.p_region, j.j_region):
        region = r.region_remote
    else:
        region = r.region_other
    fam = {s.name: s.family for s in CATALOG.stacks}
    rel = {f.name: {f.name, *f.related} for f in CATALOG.families}
    if set(p.p_stacks) & set(j.j_stacks):
        stack = r.stack_exact
    elif any(fam[b] in rel[fam[a]] for a in p.p_stacks for b in j.j_stacks):
        stack = r.stack_related
    else:
        stack = r.stack_unrelated
    gap = j.j_min_years - p.p_years
    exp = (
        r.experience_meets
        if gap <= 0
        else r.experience_slightly_short
        if gap <= 1
        else r.experience_far_short
    )
    if p.p_work_mode == j.j_work_mode:
        mode = r.work_mode_same
    elif "mixed" in (p.p_work_mode, j.j_work_mode):
        mode = r.work_mode_mixed
    else:
        mode = r.work_mode_other
    goals = len(set(p.p_goals) & set(j.j_goals)) / len(j.j_goals) if len(j.j_goals) else 1.0
    total = 0.25 * region + 0.35 * stack + 0.2 * exp + 0.1 * mode + 0.1 * goals
    return min(total, r.hard_constraint_cap) if j.j_requires_cs and p.p_background == "non_cs" else total


def test_vectorised_scores_equal_the_rules_written_out() -> None:
    p, j = _frames(2000, seed=1)
    out = score_frame(p, j, RULES, CATALOG)
    expected = [_reference(a, b) for (_, a), (_, b) in zip(p.iterrows(), j.iterrows(), strict=True)]
    np.testing.assert_allclose(out["score"].to_numpy(), expected, atol=1e-12)


def test_cross_product_of_a_thousand_by_a_thousand() -> None:
    p, j = _frames(1000, seed=2)
    left = p.loc[np.repeat(np.arange(1000), 1000)].reset_index(drop=True)
    right = j.loc[np.tile(np.arange(1000), 1000)].reset_index(drop=True)
    out = score_frame(left, right, RULES, CATALOG)
    assert len(out) == 1_000_000 and out["score"].between(0, 1).all()
    sample = np.random.default_rng(0).integers(0, 1_000_000, 200)
    for k in sample:
        assert out["score"].iat[k] == pytest.approx(_reference(left.iloc[k], right.iloc[k]))


def test_output_columns_index_and_input_kinds() -> None:
    p, j = _frames(50, seed=3)
    p.index = pd.RangeIndex(100, 150)
    out = score_frame(p, j, RULES, CATALOG)
    assert list(out.columns) == list(SCORE_COLUMNS) and (out.index == p.index).all()
    # Arrow-backed lists and categorical strings (as read from parquet by other tools) give the same scores.
    p2 = p.assign(
        p_stacks=pd.Series(pa.array(p["p_stacks"].tolist(), pa.list_(pa.string())), dtype=pd.ArrowDtype(
            pa.list_(pa.string())), index=p.index),
        p_region=p["p_region"].astype("category"),
    )  # fmt: skip
    pd.testing.assert_frame_equal(score_frame(p2, j, RULES, CATALOG), out)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"p_stacks": [["Cobol"]]}, "p_stacks: unknown values \\['Cobol'\\]"),
        ({"p_region": ["서울"]}, "p_region: unknown values"),
        ({"p_background": ["self-taught"]}, "p_background"),
    ],
)
def test_unknown_values_are_named(change: dict, message: str) -> None:
    p = pd.DataFrame([{**PROFILE, **{k: v[0] for k, v in change.items()}}])
    with pytest.raises(ValueError, match=message):
        score_frame(p, pd.DataFrame([POSTING]), RULES, CATALOG)


def test_misaligned_or_incomplete_frames() -> None:
    with pytest.raises(ValueError, match="align"):
        score_frame(pd.DataFrame([PROFILE] * 2), pd.DataFrame([POSTING]), RULES, CATALOG)
    with pytest.raises(ValueError, match="lacks columns \\['j_goals'\\]"):
        score_frame(pd.DataFrame([PROFILE]), pd.DataFrame([POSTING]).drop(columns="j_goals"), RULES, CATALOG)


@pytest.mark.parametrize(
    ("region", "stack", "experience", "capped", "kind"),
    [
        ("other", "exact", "meets", False, "region"),  # same stack in another region
        ("same", "unrelated", "meets", False, "stack"),  # right region, unrelated stack
        ("remote", "unrelated", "meets", False, "stack"),
        ("same", "exact", "slightly_short", False, "experience"),  # experience just short
        ("same", "exact", "meets", True, "constraint"),  # a good match ruled out by a hard constraint
        ("same", "exact", "meets", False, "none"),  # a good match
        ("other", "unrelated", "meets", False, "none"),  # two things wrong
        ("same", "related", "far_short", False, "none"),
    ],
)
def test_near_miss_kinds(region: str, stack: str, experience: str, capped: bool, kind: str) -> None:
    codes = near_miss_kind(
        np.array([("same", "remote", "other").index(region)]),
        np.array([("exact", "related", "unrelated").index(stack)]),
        np.array([("meets", "slightly_short", "far_short").index(experience)]),
        np.array([capped]),
    )
    assert NEAR_MISS_KINDS[codes[0]] == kind


@pytest.mark.parametrize("size", [1, 40, 64, 65, 130])
def test_bit_sets_round_trip(size: int) -> None:
    dense = np.random.default_rng(size).random((17, size)) < 0.3
    bits = pack(dense)
    assert bits.ndim == (1 if size <= 64 else 2)
    np.testing.assert_array_equal(unpack(bits, size), dense)


def test_missing_categorical_value_is_named() -> None:
    p = pd.DataFrame([PROFILE]).assign(p_region=pd.Categorical([None], categories=["서울특별시"]))
    with pytest.raises(ValueError, match="p_region: missing values"):
        score_frame(p, pd.DataFrame([POSTING]), RULES, CATALOG)
