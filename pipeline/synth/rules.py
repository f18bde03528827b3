"""The matching score: a weighted mean of factor scores in [0, 1], capped by hard constraints.

Factors (values from ``data.rules``):

* region: ``same`` (equal official names, or both remote), ``remote`` (one side is remote work),
  ``other``;
* stack: ``exact`` (the profile has one of the posting's stacks), ``related`` (one of its stacks shares a
  family with, or is in a family related to, one of the posting's), ``unrelated``;
* experience: ``meets`` (years >= the posting's minimum), ``slightly_short`` (short by at most
  ``slightly_short_years``), ``far_short``;
* work mode: same mode, one side ``mixed`` (half-compatible), otherwise other;
* goals: the share of the posting's goals the profile also has (1 when the posting lists none).

Hard constraint: a posting that requires a CS background caps the score of a non-major at
``hard_constraint_cap``. Everything is numpy over arrays of codes: stack and goal sets are bit sets
(uint64 words), so scoring a 1000 x 1000 cross product is a few vectorised passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config.schema import RulesConfig
from pipeline.synth.catalog import BACKGROUNDS, WORK_MODES, Catalog

REGION_MATCH = ("same", "remote", "other")
STACK_MATCH = ("exact", "related", "unrelated")
EXPERIENCE_MATCH = ("meets", "slightly_short", "far_short")
# A near miss is a good match but for one thing; the kind says which (0: not a near miss).
NEAR_MISS_KINDS = ("none", "region", "stack", "experience", "constraint")

PROFILE_COLUMNS = ("p_region", "p_stacks", "p_years", "p_work_mode", "p_background", "p_goals")
POSTING_COLUMNS = ("j_region", "j_stacks", "j_min_years", "j_work_mode", "j_goals", "j_requires_cs")
SCORE_COLUMNS = (
    "score", "f_region", "f_stack", "f_experience", "f_work_mode", "f_goals", "capped",
    "region_match", "stack_match", "experience_match",
)  # fmt: skip
# Scores profiles (p_* columns) against postings (j_* columns) row by row, like score_frame with its rules.
Rescore = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]

_MIXED = WORK_MODES.index("mixed")
_NON_CS = BACKGROUNDS.index("non_cs")


@dataclass(frozen=True)
class ProfileCodes:
    """Profiles (one per row) as codes: catalog indices and packed bit sets."""

    region: np.ndarray  # int16, index into Catalog.region_names
    stacks: np.ndarray  # bit set of stack indices (see pack())
    years: np.ndarray  # int32
    work_mode: np.ndarray  # int8, index into WORK_MODES
    non_cs: np.ndarray  # bool
    goals: np.ndarray  # bit set of goal indices

    def take(self, idx: np.ndarray) -> ProfileCodes:
        return ProfileCodes(*(getattr(self, f.name)[idx] for f in fields(self)))


@dataclass(frozen=True)
class PostingCodes:
    region: np.ndarray
    stacks: np.ndarray
    related: np.ndarray  # bit set of every stack related to one of the posting's stacks (its own included)
    min_years: np.ndarray
    work_mode: np.ndarray
    goals: np.ndarray
    num_goals: np.ndarray  # int16
    requires_cs: np.ndarray  # bool

    def take(self, idx: np.ndarray) -> PostingCodes:
        return PostingCodes(*(getattr(self, f.name)[idx] for f in fields(self)))


@dataclass(frozen=True)
class Scores:
    score: np.ndarray  # float64
    f_region: np.ndarray
    f_stack: np.ndarray
    f_experience: np.ndarray
    f_work_mode: np.ndarray
    f_goals: np.ndarray
    capped: np.ndarray  # bool
    region_match: np.ndarray  # int8 codes into REGION_MATCH
    stack_match: np.ndarray
    experience_match: np.ndarray


def pack(dense: np.ndarray) -> np.ndarray:
    """Rows of a bool matrix as bit sets in uint64 words: shape (n,) for up to 64 items, else (n, words)."""
    n, size = dense.shape
    words = max(1, -(-size // 64))
    padded = np.zeros((n, words * 64), dtype=bool)
    padded[:, :size] = dense
    bits = np.packbits(padded, axis=1, bitorder="little").view("<u8")
    return bits[:, 0].copy() if words == 1 else bits


def unpack(bits: np.ndarray, size: int) -> np.ndarray:
    words = bits.reshape(len(bits), -1).astype("<u8")
    return np.unpackbits(words.view(np.uint8), axis=1, count=size, bitorder="little").astype(bool)


def bitset(rows: np.ndarray, items: np.ndarray, num_rows: int, size: int) -> np.ndarray:
    """Bit sets (see :func:`pack`): row ``rows[k]`` contains item ``items[k]``."""
    dense = np.zeros((num_rows, max(size, 1)), dtype=bool)
    dense[rows, items] = True
    return pack(dense)


def related_bitset(stacks: np.ndarray, catalog: Catalog) -> np.ndarray:
    """For stack bit sets, the set of all stacks related to any member (members included)."""
    dense = unpack(stacks, len(catalog.stacks)).astype(np.float32)
    # float32 matmul goes through BLAS (integer matmul does not); sums of a few ones are exact.
    return pack(dense @ catalog.related_stacks.astype(np.float32) > 0)


def _intersects(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    both = np.bitwise_and(a, b)
    return both != 0 if both.ndim == 1 else both.any(axis=1)


def count_bits(bits: np.ndarray) -> np.ndarray:
    counts = np.bitwise_count(bits)
    return (counts if counts.ndim == 1 else counts.sum(axis=1)).astype(np.int16)


def score_codes(p: ProfileCodes, j: PostingCodes, rules: RulesConfig, remote_code: int) -> Scores:
    """Score row i of ``p`` against row i of ``j`` (equal lengths)."""
    region = np.where(
        p.region == j.region, 0, np.where((p.region == remote_code) | (j.region == remote_code), 1, 2)
    ).astype(np.int8)
    stack = np.where(_intersects(p.stacks, j.stacks), 0, np.where(_intersects(p.stacks, j.related), 1, 2))
    gap = j.min_years.astype(np.int32) - p.years
    experience = np.where(gap <= 0, 0, np.where(gap <= rules.slightly_short_years, 1, 2)).astype(np.int8)
    mode = np.where(
        p.work_mode == j.work_mode, 0, np.where((p.work_mode == _MIXED) | (j.work_mode == _MIXED), 1, 2)
    )
    shared = count_bits(np.bitwise_and(p.goals, j.goals))
    f_goals = np.where(j.num_goals > 0, shared / np.maximum(j.num_goals, 1), 1.0)

    def lookup(values: Sequence[float], codes: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)[codes]

    f_region = lookup((rules.region_same, rules.region_remote, rules.region_other), region)
    f_stack = lookup((rules.stack_exact, rules.stack_related, rules.stack_unrelated), stack)
    f_experience = lookup(
        (rules.experience_meets, rules.experience_slightly_short, rules.experience_far_short), experience
    )
    f_work_mode = lookup((rules.work_mode_same, rules.work_mode_mixed, rules.work_mode_other), mode)
    weights = (
        rules.weight_region, rules.weight_stack, rules.weight_experience, rules.weight_work_mode,
        rules.weight_goals,
    )  # fmt: skip
    total = (
        weights[0] * f_region
        + weights[1] * f_stack
        + weights[2] * f_experience
        + weights[3] * f_work_mode
        + weights[4] * f_goals
    ) / sum(weights)
    capped = j.requires_cs & p.non_cs
    score = np.clip(np.where(capped, np.minimum(total, rules.hard_constraint_cap), total), 0.0, 1.0)
    return Scores(
        score, f_region, f_stack, f_experience, f_work_mode, f_goals, capped,
        region, stack.astype(np.int8), experience,
    )  # fmt: skip


def near_miss_kind(
    region_match: np.ndarray, stack_match: np.ndarray, experience_match: np.ndarray, capped: np.ndarray
) -> np.ndarray:
    """Codes into NEAR_MISS_KINDS: same stack elsewhere, right place but unrelated stack, experience just
    short, or a good match that a hard constraint rules out. The kinds exclude each other."""
    place_ok = region_match <= 1
    exact = stack_match == 0
    meets = experience_match == 0
    kind = np.zeros(len(region_match), dtype=np.int8)
    kind[exact & meets & (region_match == 2)] = 1
    kind[place_ok & meets & (stack_match == 2)] = 2
    kind[place_ok & exact & (experience_match == 1)] = 3
    kind[place_ok & exact & meets & capped] = 4
    return kind


def near_miss_frame(frame: pd.DataFrame) -> np.ndarray:
    """:func:`near_miss_kind` for a frame with the string match columns (pairs, splits)."""
    return near_miss_kind(
        _codes(frame["region_match"], REGION_MATCH, "region_match"),
        _codes(frame["stack_match"], STACK_MATCH, "stack_match"),
        _codes(frame["experience_match"], EXPERIENCE_MATCH, "experience_match"),
        frame["capped"].to_numpy(dtype=bool),
    )


# --- frames -> codes ----------------------------------------------------------------------------------


def _codes(values: pd.Series | pa.Array | pa.ChunkedArray, names: Sequence[str], column: str) -> np.ndarray:
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        if values.isna().any():
            raise ValueError(f"{column}: missing values; allowed: {', '.join(names)}")
        return _codes(values.cat.categories.to_series(), names, column)[values.cat.codes.to_numpy()]
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, type=pa.string())
    codes = pc.index_in(arr, value_set=pa.array(list(names), type=pa.string()))
    if codes.null_count:
        unknown = pc.unique(pc.filter(arr, pc.is_null(codes))).to_pylist()[:5]
        raise ValueError(f"{column}: unknown values {unknown}; allowed: {', '.join(names)}")
    return codes.to_numpy(zero_copy_only=False).astype(np.int16)


def _set_codes(values: pd.Series, names: Sequence[str], column: str) -> np.ndarray:
    arr = values.array if isinstance(values.dtype, pd.ArrowDtype) else values
    lists = pa.array(arr, type=pa.list_(pa.string()))
    if lists.null_count:
        raise ValueError(f"{column}: missing lists (use an empty list)")
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy()
    return bitset(parents, _codes(flat, names, column), len(lists), len(names))


def _require(frame: pd.DataFrame, columns: Sequence[str], side: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{side} frame lacks columns {missing}")


def profile_codes(frame: pd.DataFrame, catalog: Catalog) -> ProfileCodes:
    _require(frame, PROFILE_COLUMNS, "profiles")
    return ProfileCodes(
        region=_codes(frame["p_region"], catalog.region_names, "p_region"),
        stacks=_set_codes(frame["p_stacks"], catalog.stack_names, "p_stacks"),
        years=frame["p_years"].to_numpy(dtype=np.int32),
        work_mode=_codes(frame["p_work_mode"], WORK_MODES, "p_work_mode").astype(np.int8),
        non_cs=_codes(frame["p_background"], BACKGROUNDS, "p_background") == _NON_CS,
        goals=_set_codes(frame["p_goals"], catalog.goal_names, "p_goals"),
    )


def posting_codes(frame: pd.DataFrame, catalog: Catalog) -> PostingCodes:
    _require(frame, POSTING_COLUMNS, "postings")
    stacks = _set_codes(frame["j_stacks"], catalog.stack_names, "j_stacks")
    goals = _set_codes(frame["j_goals"], catalog.goal_names, "j_goals")
    return PostingCodes(
        region=_codes(frame["j_region"], catalog.region_names, "j_region"),
        stacks=stacks,
        related=related_bitset(stacks, catalog),
        min_years=frame["j_min_years"].to_numpy(dtype=np.int32),
        work_mode=_codes(frame["j_work_mode"], WORK_MODES, "j_work_mode").astype(np.int8),
        goals=goals,
        num_goals=count_bits(goals),
        requires_cs=frame["j_requires_cs"].to_numpy(dtype=bool),
    )


def score_frame(
    profiles: pd.DataFrame, postings: pd.DataFrame, rules: RulesConfig, catalog: Catalog
) -> pd.DataFrame:
    """Score row i of ``profiles`` (p_* columns) against row i of ``postings`` (j_* columns).

    Returns ``score, f_region, f_stack, f_experience, f_work_mode, f_goals, capped, region_match,
    stack_match, experience_match`` on the index of ``profiles``; the match columns are categoricals.
    Unknown catalog values raise ValueError naming the column.
    """
    if len(profiles) != len(postings):
        raise ValueError(
            f"profiles ({len(profiles)} rows) and postings ({len(postings)}) must align row-wise"
        )
    s = score_codes(
        profile_codes(profiles, catalog), posting_codes(postings, catalog), rules, catalog.remote_code
    )
    out = {name: getattr(s, name) for name in SCORE_COLUMNS[:7]}
    for name, labels in zip(SCORE_COLUMNS[7:], (REGION_MATCH, STACK_MATCH, EXPERIENCE_MATCH), strict=True):
        out[name] = pd.Categorical.from_codes(getattr(s, name), categories=list(labels))
    return pd.DataFrame(out, index=profiles.index)
