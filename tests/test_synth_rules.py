"""Every rule with hand-computed scores (default weights .2/.1/.35/.15/.1/.1), the caps a recruiter would
sign, a plain per-pair reference implementation, and score_frame's contract."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline.config.compose import compose_config
from pipeline.synth.catalog import BACKGROUNDS, POSTING_MODES, PROFILE_MODES, PROJECT_ROOT, load_catalog
from pipeline.synth.rules import (
    EXPERIENCE_MATCH,
    NEAR_MISS_KINDS,
    REGION_MATCH,
    SCORE_COLUMNS,
    STACK_MATCH,
    near_miss_kind,
    score_frame,
)

CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")
RULES = compose_config().data.rules

PROFILE = {"p_region": "서울", "p_stacks": ["Django"], "p_not_stacks": [], "p_years": 5, "p_role": "backend",
           "p_work_mode": "any", "p_background": "cs", "p_goals": ["side_project"]}  # fmt: skip
POSTING = {"j_region": "서울", "j_stacks": ["Django"], "j_preferred": [], "j_min_years": 3, "j_max_years": -1,
           "j_role": "backend", "j_work_mode": "offline", "j_goal": "side_project",
           "j_requires_cs": False}  # fmt: skip


def score_one(profile: dict[str, Any], posting: dict[str, Any], rules: Any = RULES) -> pd.Series:
    p = pd.DataFrame([{**PROFILE, **profile}])
    j = pd.DataFrame([{**POSTING, **posting}])
    return score_frame(p, j, rules, CATALOG).iloc[0]


# (profile changes, posting changes, factor column, factor value, match column, label, total, capped)
CASES = [
    ({}, {}, "f_region", 1.0, "region_match", "same", 1.0, False),
    # region: same location / same area (서울 and 판교 are 수도권) / elsewhere (capped) / not stated
    ({}, {"j_region": "경기 남부"}, "f_region", 0.5, "region_match", "near", 0.9, False),
    (
        {"p_region": "경기 북부"},
        {"j_region": "경기 남부"},
        "f_region",
        0.5,
        "region_match",
        "near",
        0.9,
        False,
    ),
    ({}, {"j_region": "제주"}, "f_region", 0.0, "region_match", "far", 0.5, True),
    ({}, {"j_region": "부산", "j_work_mode": "hybrid"}, "f_region", 0.0, "region_match", "far", 0.5, True),
    ({"p_region": ""}, {}, "f_region", 0.5, "region_match", "unknown", 0.9, False),
    # an online posting ignores where anyone lives
    (
        {"p_region": "부산"},
        {"j_region": "", "j_work_mode": "online"},
        "f_region",
        1.0,
        "region_match",
        "online",
        1.0,
        False,
    ),
    (
        {"p_region": "제주"},
        {"j_region": "서울", "j_work_mode": "online"},
        "f_region",
        1.0,
        "region_match",
        "online",
        1.0,
        False,
    ),
    # work mode: remote-only vs offline is capped; hybrid is a poor fit; offline-lovers accept online less
    ({"p_work_mode": "remote"}, {}, "f_work_mode", 0.0, None, None, 0.3, True),
    ({"p_work_mode": "remote"}, {"j_work_mode": "hybrid"}, "f_work_mode", 0.3, None, None, 0.93, False),
    ({"p_work_mode": "remote"}, {"j_work_mode": "online"}, "f_work_mode", 1.0, None, None, 1.0, False),
    ({"p_work_mode": "offline"}, {"j_work_mode": "online"}, "f_work_mode", 0.5, None, None, 0.95, False),
    # stack: exact / built on (framework-language) / sibling / related family / unrelated (capped)
    ({}, {"j_stacks": ["Python"]}, "f_stack", 0.7, "stack_match", "related", 0.895, False),
    (
        {"p_stacks": ["React"]},
        {"j_stacks": ["Next.js"], "j_role": "frontend"},
        "f_stack",
        0.7,
        "stack_match",
        "related",
        0.795,
        False,
    ),
    (
        {"p_stacks": ["Java"]},
        {"j_stacks": ["Spring Boot"]},
        "f_stack",
        0.7,
        "stack_match",
        "related",
        0.895,
        False,
    ),
    ({}, {"j_stacks": ["Flask"]}, "f_stack", 0.5, "stack_match", "related", 0.825, False),
    ({}, {"j_stacks": ["Spring Boot"]}, "f_stack", 0.25, "stack_match", "related", 0.7375, False),
    ({}, {"j_stacks": ["Swift"]}, "f_stack", 0.0, "stack_match", "unrelated", 0.3, True),
    # partial credit: one of two required stacks (Django's family is not related to the frontend's)
    ({}, {"j_stacks": ["Django", "React"]}, "f_stack", 0.5, "stack_match", "partial", 0.825, False),
    (
        {"p_stacks": ["Django", "React"]},
        {"j_stacks": ["Django", "React"]},
        "f_stack",
        1.0,
        "stack_match",
        "full",
        1.0,
        False,
    ),
    # 우대 is a bonus on top, never a requirement
    ({}, {"j_stacks": ["Flask"], "j_preferred": ["Django"]}, "f_preferred", 1.0, None, None, 0.925, False),
    ({}, {"j_stacks": ["Flask"], "j_preferred": ["Swift"]}, "f_preferred", 0.0, None, None, 0.825, False),
    # a stack the profile refuses earns nothing and caps the total
    (
        {"p_not_stacks": ["Flask"]},
        {"j_stacks": ["Flask"]},
        "f_stack",
        0.0,
        "stack_match",
        "unrelated",
        0.3,
        True,
    ),
    (
        {"p_stacks": ["Django", "Java"], "p_not_stacks": ["Spring Boot"]},
        {"j_stacks": ["Spring Boot"]},
        "f_stack",
        0.0,
        "stack_match",
        "unrelated",
        0.3,
        True,
    ),
    # experience: meets / slightly short / far short (capped) / over the upper bound
    ({}, {"j_min_years": 5}, "f_experience", 1.0, "experience_match", "meets", 1.0, False),
    ({}, {"j_min_years": 6}, "f_experience", 0.5, "experience_match", "slightly_short", 0.925, False),
    ({"p_years": 0}, {"j_min_years": 10}, "f_experience", 0.0, "experience_match", "far_short", 0.4, True),
    ({}, {"j_min_years": 0, "j_max_years": 3}, "f_experience", 0.3, "experience_match", "over", 0.6, True),
    (
        {"p_years": 3},
        {"j_min_years": 0, "j_max_years": 3},
        "f_experience",
        1.0,
        "experience_match",
        "meets",
        1.0,
        False,
    ),
    # a posting that requires no stack (hand-written ones may not): met, not unrelated
    ({}, {"j_stacks": []}, "f_stack", 1.0, "stack_match", "full", 1.0, False),
    (
        {"p_years": 0},
        {"j_min_years": 0, "j_max_years": 0},
        "f_experience",
        1.0,
        "experience_match",
        "meets",
        1.0,
        False,
    ),
    # role: same / related / other / unknown
    ({"p_role": "fullstack"}, {}, "f_role", 0.5, None, None, 0.95, False),
    ({"p_role": "frontend"}, {}, "f_role", 0.0, None, None, 0.9, False),
    ({"p_role": "other"}, {}, "f_role", 0.5, None, None, 0.95, False),
    # goals: wanted / related / other / not stated
    ({"p_goals": []}, {}, "f_goals", 1.0, None, None, 1.0, False),
    ({"p_goals": ["toy"]}, {}, "f_goals", 0.5, None, None, 0.95, False),
    ({"p_goals": ["study", "job"]}, {"j_goal": "freelance"}, "f_goals", 0.5, None, None, 0.95, False),
    ({"p_goals": ["study"]}, {}, "f_goals", 0.0, None, None, 0.9, False),
    # a CS requirement caps a stated non-major only
    ({"p_background": "non_cs"}, {"j_requires_cs": True}, None, None, None, None, 0.2, True),
    ({"p_background": "unknown"}, {"j_requires_cs": True}, None, None, None, None, 1.0, False),
]


@pytest.mark.parametrize(
    ("profile", "posting", "factor", "value", "match", "label", "total", "capped"), CASES
)
def test_factor_and_score(
    profile: dict, posting: dict, factor: str | None, value: float | None, match: str | None,
    label: str | None, total: float, capped: bool,
) -> None:  # fmt: skip
    out = score_one(profile, posting)
    if factor is not None:
        assert out[factor] == pytest.approx(value)
    if match is not None:
        assert out[match] == label
    assert out["score"] == pytest.approx(total)
    assert bool(out["capped"]) is capped


# The pairs the issue found a recruiter would reject, and what they score now.
RECRUITER_TABLE = [
    ("remote-only vs offline in 부산", {"p_work_mode": "remote", "p_region": ""}, {"j_region": "부산"}, 0.3),
    ("신입 vs 10 years required", {"p_years": 0}, {"j_min_years": 10}, 0.4),
    ("서울 vs 판교 (경기 남부)", {}, {"j_region": "경기 남부"}, 0.9),
    ("서울 vs 제주", {}, {"j_region": "제주"}, 0.5),
    ("경기 남부 vs 경기 북부", {"p_region": "경기 남부"}, {"j_region": "경기 북부"}, 0.9),
    ("one of two required stacks", {}, {"j_stacks": ["Django", "Swift"]}, 0.825),
    ("unrelated stack and another region", {}, {"j_stacks": ["Swift"], "j_region": "부산"}, 0.3),
]


@pytest.mark.parametrize(("case", "profile", "posting", "score"), RECRUITER_TABLE)
def test_what_a_recruiter_would_reject_scores_low(
    case: str, profile: dict, posting: dict, score: float
) -> None:
    assert score_one(profile, posting)["score"] == pytest.approx(score), case


def test_weights_credits_and_caps_are_configuration() -> None:
    region_only = RULES.model_copy(deep=True)
    region_only.weights = region_only.weights.model_copy(
        update=dict(work_mode=0.0, stack=0.0, experience=0.0, role=0.0, goals=0.0)
    )
    assert score_one({}, {"j_region": "경기 남부"}, region_only)["score"] == pytest.approx(0.5)
    lenient = RULES.model_copy(deep=True)
    lenient.experience = lenient.experience.model_copy(update=dict(slightly_short_years=5))
    lenient.caps = lenient.caps.model_copy(update=dict(far_offline=1.0))
    assert score_one({}, {"j_min_years": 8})["experience_match"] == "far_short"
    assert score_one({}, {"j_min_years": 8}, lenient)["experience_match"] == "slightly_short"
    assert score_one({}, {"j_region": "제주"}, lenient)["score"] == pytest.approx(0.8)
    # a weighted mean: doubling every weight changes nothing
    doubled = RULES.model_copy(deep=True)
    doubled.weights = doubled.weights.model_copy(update={k: 2 * v for k, v in RULES.weights})
    assert score_one({}, {"j_min_years": 6}, doubled)["score"] == pytest.approx(0.925)


def _frames(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    places = ["", *CATALOG.location_names]
    stacks, goals, roles = list(CATALOG.stack_names), list(CATALOG.goal_names), list(CATALOG.role_names)

    def pick_set(pool: list[str], lo: int, hi: int) -> list[list[str]]:
        return [list(rng.choice(pool, size=rng.integers(lo, hi + 1), replace=False)) for _ in range(n)]

    p = pd.DataFrame({
        "p_region": rng.choice(places, n), "p_stacks": pick_set(stacks, 1, 3),
            "p_not_stacks": pick_set(stacks, 0, 1),
        "p_years": rng.integers(0, 16, n), "p_role": rng.choice(roles, n),
        "p_work_mode": rng.choice(PROFILE_MODES, n), "p_background": rng.choice(BACKGROUNDS, n),
        "p_goals": pick_set(goals, 0, 2),
    })  # fmt: skip
    p["p_not_stacks"] = [
        [s for s in no if s not in st] for st, no in zip(p.p_stacks, p.p_not_stacks, strict=True)
    ]
    j = pd.DataFrame({
        "j_region": rng.choice(places, n), "j_stacks": pick_set(stacks, 1, 3),
            "j_preferred": pick_set(stacks, 0, 2),
        "j_min_years": rng.integers(0, 11, n), "j_max_years": rng.choice([-1, -1, 2, 5, 8], n),
        "j_role": rng.choice(roles, n), "j_work_mode": rng.choice(POSTING_MODES, n),
            "j_goal": rng.choice(goals, n),
        "j_requires_cs": rng.random(n) < 0.3,
    })  # fmt: skip
    return p, j


def _credit(mine: list[str], refused: list[str], stack: str) -> float:
    """A required stack's credit from the profile's closest stack, written out."""
    if stack in refused:
        return 0.0
    s, by_name = RULES.stack, {x.name: x for x in CATALOG.stacks}
    fam = {f.name: f for f in CATALOG.families}
    best = 0.0
    for have in mine:
        a, b = by_name[stack], by_name[have]
        if stack == have:
            c = s.exact
        elif stack in b.uses or have in a.uses:
            c = s.uses
        elif a.family == b.family:
            c = s.family
        elif b.family in fam[a.family].related:
            c = s.related
        else:
            c = 0.0
        best = max(best, c)
    return best


def _reference(p: pd.Series, j: pd.Series) -> float:
    """The rules written out per pair, as plainly as possible."""
    r = RULES
    area = {loc.name: loc.area for loc in CATALOG.locations}
    far = False
    if j.j_work_mode == "online":
        region = 1.0
    elif "" in (p.p_region, j.j_region):
        region = r.region.unknown
    elif p.p_region == j.j_region:
        region = r.region.same
    elif area[p.p_region] == area[j.j_region]:
        region = r.region.near
    else:
        region, far = r.region.far, True
    mode = getattr(r.work_mode, p.p_work_mode)[j.j_work_mode]
    credits = [_credit(p.p_stacks, p.p_not_stacks, s) for s in j.j_stacks]
    stack = sum(credits) / len(credits)
    pref = [_credit(p.p_stacks, p.p_not_stacks, s) for s in j.j_preferred]
    bonus = r.stack.preferred_bonus * (sum(pref) / len(pref) if pref else 0.0)
    gap = j.j_min_years - p.p_years
    if gap > r.experience.slightly_short_years:
        exp, far_short = r.experience.far_short, True
    else:
        far_short = False
        if gap > 0:
            exp = r.experience.slightly_short
        elif j.j_max_years >= 0 and p.p_years > j.j_max_years:
            exp = r.experience.over
        else:
            exp = r.experience.meets
    roles = {x.name: x.related for x in CATALOG.roles}
    if "other" in (p.p_role, j.j_role):
        role = r.role.unknown
    elif p.p_role == j.j_role:
        role = r.role.same
    elif j.j_role in roles[p.p_role]:
        role = r.role.related
    else:
        role = r.role.other
    related_goals = {g.name: g.related for g in CATALOG.goals}
    if not p.p_goals:
        goals = r.goals.unstated
    elif j.j_goal in p.p_goals:
        goals = r.goals.same
    elif any(j.j_goal in related_goals[g] for g in p.p_goals):
        goals = r.goals.related
    else:
        goals = r.goals.other
    w = r.weights
    total = (w.region * region + w.work_mode * mode + w.stack * stack + w.experience * exp + w.role * role
             + w.goals * goals) + bonus  # fmt: skip
    caps = [
        r.caps.cs_required if j.j_requires_cs and p.p_background == "non_cs" else 1.0,
        r.caps.remote_vs_offline if p.p_work_mode == "remote" and j.j_work_mode == "offline" else 1.0,
        r.caps.far_offline if far else 1.0,
        r.caps.far_short if far_short else 1.0,
        r.caps.over_max if exp == r.experience.over and not far_short and gap <= 0 else 1.0,
        r.caps.refused_stack if set(j.j_stacks) & set(p.p_not_stacks) else 1.0,
        r.caps.no_stack if stack == 0 else 1.0,
    ]
    return min(total, *caps, 1.0)


def test_vectorised_scores_equal_the_rules_written_out() -> None:
    p, j = _frames(3000, seed=1)
    out = score_frame(p, j, RULES, CATALOG)
    expected = [_reference(a, b) for (_, a), (_, b) in zip(p.iterrows(), j.iterrows(), strict=True)]
    np.testing.assert_allclose(out["score"].to_numpy(), expected, atol=1e-6)
    assert out["capped"].any() and (~out["capped"]).any()


def test_a_cross_product_scores_like_the_reference() -> None:
    """What the evaluation does: every profile against every posting (here 400 x 400) in one call."""
    p, j = _frames(400, seed=2)
    left = p.loc[np.repeat(np.arange(400), 400)].reset_index(drop=True)
    right = j.loc[np.tile(np.arange(400), 400)].reset_index(drop=True)
    out = score_frame(left, right, RULES, CATALOG)
    assert len(out) == 160_000 and out["score"].between(0, 1).all()
    for k in np.random.default_rng(0).integers(0, 160_000, 100):
        assert out["score"].iat[k] == pytest.approx(_reference(left.iloc[k], right.iloc[k]), abs=1e-6)


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
        ({"p_stacks": ["Cobol"]}, "p_stacks: unknown values \\['Cobol'\\]"),
        ({"p_region": "서울특별시"}, "p_region: unknown values"),
        ({"p_background": "self-taught"}, "p_background"),
        ({"p_work_mode": "online"}, "p_work_mode"),
    ],
)
def test_unknown_values_are_named(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_frame(pd.DataFrame([{**PROFILE, **change}]), pd.DataFrame([POSTING]), RULES, CATALOG)


def test_misaligned_or_incomplete_frames() -> None:
    with pytest.raises(ValueError, match="align"):
        score_frame(pd.DataFrame([PROFILE] * 2), pd.DataFrame([POSTING]), RULES, CATALOG)
    with pytest.raises(ValueError, match="lacks columns \\['j_goal'\\]"):
        score_frame(pd.DataFrame([PROFILE]), pd.DataFrame([POSTING]).drop(columns="j_goal"), RULES, CATALOG)


@pytest.mark.parametrize(
    ("region", "stack", "experience", "capped", "kind"),
    [
        ("far", "full", "meets", True, "region"),  # the right stacks in another area
        ("same", "unrelated", "meets", False, "stack"),  # right place, unrelated stacks
        ("online", "unrelated", "meets", False, "stack"),
        ("same", "full", "slightly_short", False, "experience"),  # experience just short
        ("near", "full", "meets", True, "constraint"),  # a good match ruled out by a hard constraint
        ("same", "full", "meets", False, "none"),  # a good match
        ("far", "unrelated", "meets", True, "none"),  # two things wrong
        ("same", "related", "far_short", True, "none"),
    ],
)
def test_near_miss_kinds(region: str, stack: str, experience: str, capped: bool, kind: str) -> None:
    codes = near_miss_kind(
        np.array([REGION_MATCH.index(region)]),
        np.array([STACK_MATCH.index(stack)]),
        np.array([EXPERIENCE_MATCH.index(experience)]),
        np.array([capped]),
    )
    assert NEAR_MISS_KINDS[codes[0]] == kind


def test_missing_categorical_value_is_named() -> None:
    p = pd.DataFrame([PROFILE]).assign(p_region=pd.Categorical([None], categories=["서울"]))
    with pytest.raises(ValueError, match="p_region: missing values"):
        score_frame(p, pd.DataFrame([POSTING]), RULES, CATALOG)
