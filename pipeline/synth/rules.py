"""The matching score a recruiter would sign: a weighted mean of factor scores in [0, 1], plus a bonus for
우대 stacks, capped by hard constraints. Every value comes from ``data.rules`` (conf/data/synthetic.yaml).

Factors:

* region (offline and hybrid postings only; an online posting ignores where anyone lives): the same
  location (서울, 경기 남부, 부산 …), another location of the same area (수도권, 부울경, 충청 …), elsewhere,
  or unknown (the profile does not say);
* work mode: a table over (profile mode: remote / any / offline) x (posting mode: online / hybrid / offline);
* stack: the mean credit of the posting's required stacks. A required stack earns the credit of the
  profile's closest stack: the same stack, one built on the other (Next.js and React, Spring Boot and
  Java), a sibling in its family (Django and Flask), a stack of a related family (Django and Spring Boot),
  else 0; a stack the profile says it does not use earns 0. The same credits of the 우대 stacks, averaged,
  times ``stack.preferred_bonus``, are added to the total (a bonus, never a requirement);
* experience: meets (years >= the minimum and <= the upper bound, if any), slightly short (by at most
  ``slightly_short_years``), far short, or over the upper bound;
* role: same, related (catalog ``roles[].related``), other, or unknown on either side;
* goals: the posting's goal is one the profile wants, a related one, another, or the profile names none.

Caps (hard constraints): CS major required but the profile says 비전공; a remote-only profile and an offline
posting; an offline or hybrid posting in another area; far-short experience; more years than the posting's
upper bound (a senior for a 신입-only post); a required stack the profile refuses; no credit for any required
stack. Everything is numpy over arrays of codes, so scoring a 1000 x 1000 cross product is a few vectorised
passes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config.schema import RulesConfig
from pipeline.synth.catalog import BACKGROUNDS, POSTING_MODES, PROFILE_MODES, Catalog

REGION_MATCH = ("same", "near", "far", "unknown", "online")
STACK_MATCH = ("full", "partial", "related", "unrelated")
EXPERIENCE_MATCH = ("meets", "slightly_short", "far_short", "over")
# A near miss is a good match but for one thing; the kind says which (0: not a near miss).
NEAR_MISS_KINDS = ("none", "region", "stack", "experience", "constraint")
FACTORS = ("score", "f_region", "f_work_mode", "f_stack", "f_preferred", "f_experience", "f_role", "f_goals")

PROFILE_COLUMNS = (
    "p_region", "p_stacks", "p_not_stacks", "p_years", "p_role", "p_work_mode", "p_background", "p_goals",
)  # fmt: skip
POSTING_COLUMNS = (
    "j_region", "j_stacks", "j_preferred", "j_min_years", "j_max_years", "j_role", "j_work_mode", "j_goal",
    "j_requires_cs",
)  # fmt: skip
SCORE_COLUMNS = (*FACTORS, "capped", "region_match", "stack_match", "experience_match")
# Scores profiles (p_* columns) against postings (j_* columns) row by row, like score_frame with its rules.
Rescore = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]

NOWHERE = -1  # region code of "not stated"
NO_CAP = -1  # j_max_years without an upper bound
_REMOTE, _OFFLINE_P = PROFILE_MODES.index("remote"), PROFILE_MODES.index("offline")
_ONLINE, _OFFLINE_J = POSTING_MODES.index("online"), POSTING_MODES.index("offline")
_NON_CS = BACKGROUNDS.index("non_cs")


@dataclass(frozen=True)
class ProfileCodes:
    """Profiles (one per row) as codes: catalog indices, the credit each stack would earn, bit sets."""

    region: np.ndarray  # int16 location index, NOWHERE when not stated
    credit: np.ndarray  # (n, stacks) float32: credit a posting's stack earns from this profile
    refused: np.ndarray  # (n, stacks) bool: stacks the profile says it does not use
    years: np.ndarray  # int32
    role: np.ndarray  # int16 index into Catalog.role_names
    work_mode: np.ndarray  # int8 index into PROFILE_MODES
    background: np.ndarray  # int8 index into BACKGROUNDS
    goals: np.ndarray  # (n, goals) bool


@dataclass(frozen=True)
class PostingCodes:
    region: np.ndarray
    required: np.ndarray  # (n, k) int16 stack indices, -1 padded
    preferred: np.ndarray  # (n, k) int16, -1 padded
    min_years: np.ndarray
    max_years: np.ndarray  # NO_CAP when unbounded
    role: np.ndarray
    work_mode: np.ndarray  # int8 index into POSTING_MODES
    goal: np.ndarray  # int16 index into Catalog.goal_names
    requires_cs: np.ndarray  # bool


@dataclass(frozen=True)
class Scores:
    score: np.ndarray  # float64
    f_region: np.ndarray
    f_work_mode: np.ndarray
    f_stack: np.ndarray
    f_preferred: np.ndarray
    f_experience: np.ndarray
    f_role: np.ndarray
    f_goals: np.ndarray
    capped: np.ndarray  # bool
    region_match: np.ndarray  # int8 codes into REGION_MATCH
    stack_match: np.ndarray
    experience_match: np.ndarray


@dataclass(frozen=True)
class Tables:
    """The catalog's relations valued by the rules: what :func:`score_codes` looks up."""

    similarity: np.ndarray  # (stacks, stacks) credit of stack a for a profile that has stack b
    area_of: np.ndarray  # area per location
    role_related: np.ndarray
    goal_related: np.ndarray
    unknown_role: int


def tables(catalog: Catalog, rules: RulesConfig) -> Tables:
    s = rules.stack
    fam = catalog.family_of
    same_family = fam[:, None] == fam[None, :]
    related = catalog.related_families[np.ix_(fam, fam)]
    sim = np.where(related, s.related, 0.0)
    sim = np.where(same_family, s.family, sim)
    sim = np.where(catalog.uses, np.maximum(sim, s.uses), sim)
    np.fill_diagonal(sim, s.exact)
    return Tables(
        sim.astype(np.float32), catalog.area_of, catalog.related_roles, catalog.related_goals,
        len(catalog.role_names) - 1,
    )  # fmt: skip


def padded(lists: Sequence[Sequence[int]], width: int | None = None) -> np.ndarray:
    """Rows of indices padded with -1 to a common width."""
    width = max([len(x) for x in lists] + [1]) if width is None else width
    out = np.full((len(lists), width), -1, dtype=np.int16)
    for i, row in enumerate(lists):
        out[i, : len(row)] = row
    return out


def stack_credit(stacks: np.ndarray, refused: np.ndarray, t: Tables) -> np.ndarray:
    """(n, stacks) credit per catalog stack for profiles holding ``stacks`` (-1 padded indices)."""
    credit = np.zeros((len(stacks), len(t.similarity)), dtype=np.float32)
    for k in range(stacks.shape[1]):
        col = stacks[:, k]
        has = col >= 0
        credit[has] = np.maximum(credit[has], t.similarity[col[has]])
    credit[refused] = 0.0
    return credit


def _mean_credit(
    credit: np.ndarray, rows: np.ndarray, stacks: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: mean credit that profile ``rows`` gives the listed stacks, how many are listed, how many
    earn full credit. Gathers single cells, so no (pairs x stacks) matrix is built."""
    valid = stacks >= 0
    got = credit[rows[:, None], np.where(valid, stacks, 0)] * valid
    n = valid.sum(axis=1)
    return got.sum(axis=1) / np.maximum(n, 1), n, ((got >= 1.0) & valid).sum(axis=1)


def score_codes(
    profiles: ProfileCodes, postings: PostingCodes, rules: RulesConfig, t: Tables,
    pi: np.ndarray | None = None, ji: np.ndarray | None = None,
) -> Scores:  # fmt: skip
    """Score profile ``pi[k]`` against posting ``ji[k]`` (default: row k against row k)."""
    pi = np.arange(len(profiles.years)) if pi is None else pi
    ji = np.arange(len(postings.min_years)) if ji is None else ji
    r = rules
    p_region, j_region = profiles.region[pi], postings.region[ji]
    p_mode, j_mode = profiles.work_mode[pi], postings.work_mode[ji]
    p_years, p_role, j_role = profiles.years[pi], profiles.role[pi], postings.role[ji]
    p_goals, j_goal = profiles.goals[pi], postings.goal[ji]
    required, preferred = postings.required[ji], postings.preferred[ji]

    online = j_mode == _ONLINE
    unknown = (p_region == NOWHERE) | (j_region == NOWHERE)
    same = p_region == j_region
    near = t.area_of[np.maximum(p_region, 0)] == t.area_of[np.maximum(j_region, 0)]
    region = np.select([online, unknown, same, near], [4, 3, 0, 1], default=2).astype(np.int8)
    f_region = np.array([r.region.same, r.region.near, r.region.far, r.region.unknown, 1.0])[region]

    mode_table = np.array([[getattr(r.work_mode, pm)[jm] for jm in POSTING_MODES] for pm in PROFILE_MODES])
    f_work_mode = mode_table[p_mode, j_mode]

    f_stack, n_req, n_full = _mean_credit(profiles.credit, pi, required)
    f_stack = np.where(n_req > 0, f_stack, 1.0)  # nothing required: the requirement is met
    stack = np.select([n_full == n_req, n_full > 0, f_stack > 0], [0, 1, 2], default=3).astype(np.int8)
    f_preferred, n_pref, _ = _mean_credit(profiles.credit, pi, preferred)
    f_preferred = np.where(n_pref > 0, f_preferred, 0.0)
    valid = required >= 0
    refused = (profiles.refused[pi[:, None], np.where(valid, required, 0)] & valid).any(axis=1)

    max_years = postings.max_years[ji]
    gap = postings.min_years[ji] - p_years
    over = (max_years >= 0) & (p_years > max_years)
    short = r.experience.slightly_short_years
    experience = np.select([gap > short, gap > 0, over], [2, 1, 3], default=0).astype(np.int8)
    e = r.experience
    f_experience = np.array([e.meets, e.slightly_short, e.far_short, e.over])[experience]

    role_unknown = (p_role == t.unknown_role) | (j_role == t.unknown_role)
    f_role = np.select(
        [role_unknown, p_role == j_role, t.role_related[p_role, j_role]],
        [r.role.unknown, r.role.same, r.role.related],
        default=r.role.other,
    )
    wants = p_goals[np.arange(len(j_goal)), j_goal]
    near_goal = (p_goals & t.goal_related[j_goal]).any(axis=1)
    f_goals = np.select(
        [~p_goals.any(axis=1), wants, near_goal], [r.goals.unstated, r.goals.same, r.goals.related],
        default=r.goals.other,
    )  # fmt: skip

    w = r.weights
    total = (
        w.region * f_region + w.work_mode * f_work_mode + w.stack * f_stack + w.experience * f_experience
        + w.role * f_role + w.goals * f_goals
    ) / (w.region + w.work_mode + w.stack + w.experience + w.role + w.goals)  # fmt: skip
    total = total + r.stack.preferred_bonus * f_preferred
    c = r.caps
    cap = np.full(len(total), np.inf)
    for broken, value in (
        (postings.requires_cs[ji] & (profiles.background[pi] == _NON_CS), c.cs_required),
        ((p_mode == _REMOTE) & (j_mode == _OFFLINE_J), c.remote_vs_offline),
        (region == 2, c.far_offline),
        (experience == 2, c.far_short),
        (experience == 3, c.over_max),
        (refused, c.refused_stack),
        (stack == 3, c.no_stack),
    ):
        cap = np.where(broken, np.minimum(cap, value), cap)
    capped = cap < total
    score = np.clip(np.minimum(total, cap), 0.0, 1.0)
    return Scores(
        score, f_region, f_work_mode, f_stack.astype(np.float64), f_preferred.astype(np.float64),
        f_experience, f_role.astype(np.float64), f_goals.astype(np.float64), capped, region, stack,
        experience,
    )  # fmt: skip


def near_miss_kind(
    region_match: np.ndarray, stack_match: np.ndarray, experience_match: np.ndarray, capped: np.ndarray
) -> np.ndarray:
    """Codes into NEAR_MISS_KINDS: the right stacks elsewhere, the right place but unrelated stacks,
    experience just short, or a good match that a hard constraint rules out. The kinds exclude each other."""
    place_ok = region_match != 2
    full = stack_match == 0
    meets = experience_match == 0
    kind = np.zeros(len(region_match), dtype=np.int8)
    kind[full & meets & (region_match == 2)] = 1  # capped only by distance (far_offline)
    kind[place_ok & meets & (stack_match == 3) & ~capped] = 2
    kind[place_ok & full & (experience_match == 1) & ~capped] = 3
    kind[place_ok & full & meets & capped] = 4
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


def _region_codes(values: pd.Series, catalog: Catalog, column: str) -> np.ndarray:
    """Location names, "" for not stated."""
    return _codes(values, ("", *catalog.location_names), column) - 1


def _list_codes(values: pd.Series, names: Sequence[str], column: str) -> np.ndarray:
    """Lists of names as -1 padded index rows."""
    arr = values.array if isinstance(values.dtype, pd.ArrowDtype) else values
    lists = pa.array(arr, type=pa.list_(pa.string()))
    if lists.null_count:
        raise ValueError(f"{column}: missing lists (use an empty list)")
    flat = _codes(pc.list_flatten(lists), names, column)
    offsets = lists.offsets.to_numpy()
    return padded([flat[a:b] for a, b in itertools.pairwise(offsets)])


def dense(rows: np.ndarray, size: int) -> np.ndarray:
    """-1 padded index rows as a (rows, size) bool matrix."""
    out = np.zeros((len(rows), size), dtype=bool)
    for k in range(rows.shape[1]):
        has = rows[:, k] >= 0
        out[np.flatnonzero(has), rows[has, k]] = True
    return out


def _require(frame: pd.DataFrame, columns: Sequence[str], side: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{side} frame lacks columns {missing}")


def profile_codes(frame: pd.DataFrame, catalog: Catalog, t: Tables) -> ProfileCodes:
    _require(frame, PROFILE_COLUMNS, "profiles")
    names = catalog.stack_names
    refused = dense(_list_codes(frame["p_not_stacks"], names, "p_not_stacks"), len(names))
    return ProfileCodes(
        region=_region_codes(frame["p_region"], catalog, "p_region"),
        credit=stack_credit(_list_codes(frame["p_stacks"], names, "p_stacks"), refused, t),
        refused=refused,
        years=frame["p_years"].to_numpy(dtype=np.int32),
        role=_codes(frame["p_role"], catalog.role_names, "p_role"),
        work_mode=_codes(frame["p_work_mode"], PROFILE_MODES, "p_work_mode").astype(np.int8),
        background=_codes(frame["p_background"], BACKGROUNDS, "p_background").astype(np.int8),
        goals=dense(_list_codes(frame["p_goals"], catalog.goal_names, "p_goals"), len(catalog.goals)),
    )


def posting_codes(frame: pd.DataFrame, catalog: Catalog) -> PostingCodes:
    _require(frame, POSTING_COLUMNS, "postings")
    return PostingCodes(
        region=_region_codes(frame["j_region"], catalog, "j_region"),
        required=_list_codes(frame["j_stacks"], catalog.stack_names, "j_stacks"),
        preferred=_list_codes(frame["j_preferred"], catalog.stack_names, "j_preferred"),
        min_years=frame["j_min_years"].to_numpy(dtype=np.int32),
        max_years=frame["j_max_years"].to_numpy(dtype=np.int32),
        role=_codes(frame["j_role"], catalog.role_names, "j_role"),
        work_mode=_codes(frame["j_work_mode"], POSTING_MODES, "j_work_mode").astype(np.int8),
        goal=_codes(frame["j_goal"], catalog.goal_names, "j_goal"),
        requires_cs=frame["j_requires_cs"].to_numpy(dtype=bool),
    )


def score_frame(
    profiles: pd.DataFrame, postings: pd.DataFrame, rules: RulesConfig, catalog: Catalog
) -> pd.DataFrame:
    """Score row i of ``profiles`` (p_* columns) against row i of ``postings`` (j_* columns).

    Returns the SCORE_COLUMNS on the index of ``profiles``; the match columns are categoricals. Unknown
    catalog values raise ValueError naming the column.
    """
    if len(profiles) != len(postings):
        raise ValueError(
            f"profiles ({len(profiles)} rows) and postings ({len(postings)}) must align row-wise"
        )
    t = tables(catalog, rules)
    s = score_codes(profile_codes(profiles, catalog, t), posting_codes(postings, catalog), rules, t)
    out = {name: getattr(s, name) for name in (*FACTORS, "capped")}
    for name, labels in zip(SCORE_COLUMNS[-3:], (REGION_MATCH, STACK_MATCH, EXPERIENCE_MATCH), strict=True):
        out[name] = pd.Categorical.from_codes(getattr(s, name), categories=list(labels))
    return pd.DataFrame(out, index=profiles.index)
