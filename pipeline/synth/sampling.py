"""Entity pools, candidate pairs and the stratified, block-seeded pair sampler.

Design:

* **Groups.** Profiles and postings are split into ``num_groups`` contiguous groups, each with a theme: a
  home stack family (cycling through the families, so that every family has groups for dev and test to
  draw from), a related second family, and a home location drawn by the catalog's weights (수도권-heavy).
  Entities follow the theme with probability ``group_affinity``, so a group holds good matches as well as
  poor ones. A pair only joins a profile and a posting of the same group, and texts are drawn per entity,
  so the split stage can keep whole groups (connected components of the text graph) in one split.
* **Unseen forms.** The last ``unseen_group_fraction`` of the groups (one per family while they last) are
  written with held-out surface forms; the split puts them in dev or test.
* **Entity pools.** Attributes are drawn per entity from one random stream per side; each text is
  rendered once per entity and pairs refer to it by index, so rendering costs O(entities), not O(pairs).
* **Candidates.** Every same-group (profile, posting) combination is scored once (O(entities x group
  size)) and filed by score bin and by whether it is a near miss (see ``rules.near_miss_kind``).
* **Pairs.** Row ``r`` belongs to block ``r // block_rows``, whose random numbers come from a generator
  seeded by ``(seed, block index)`` alone (numpy ``SeedSequence`` + ``Philox``). Each row picks a score
  bin uniformly, then whether it is a near miss (so that near misses make up ``near_miss_fraction`` of
  the rows where the bins allow); it takes the next candidate of that cell in a seeded shuffled order,
  so pairs repeat only once a cell is used up. Rows therefore do not depend on how many are generated
  or written at once: the shard size changes memory only.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from pipeline.config.schema import DataConfig, RulesConfig
from pipeline.pairs.bins import score_bin
from pipeline.synth.catalog import BACKGROUNDS, POSTING_MODES, PROFILE_MODES, Catalog
from pipeline.synth.rules import (
    NO_CAP,
    NOWHERE,
    PostingCodes,
    ProfileCodes,
    Tables,
    dense,
    near_miss_kind,
    padded,
    score_codes,
    stack_credit,
)
from pipeline.synth.templates import (
    DRAW_WORDS,
    HIRING_GOALS,
    Phrases,
    PostingAttrs,
    ProfileAttrs,
    render_posting,
    render_profile,
)

BLOCK_ROWS = 65536  # part of the row definition: changing it changes the rows of a seed
_CANDIDATE_CHUNK = 1 << 18  # candidates scored at once while building the pool (memory bound)
# Goals of postings (name: weight); names the catalog lacks are skipped, others get weight 1.
_GOAL_WEIGHTS = {"study": 0.15, "toy": 0.08, "side_project": 0.22, "startup": 0.12, "job": 0.28,
                 "freelance": 0.1, "hackathon": 0.05}  # fmt: skip
_UNIFORMS = 32  # random numbers per entity for its attributes (a fixed count keeps streams aligned)
_HALVES = itertools.repeat(0.5)

# Independent random streams: a stream's numbers do not change when another stream draws more.
_THEMES, _PROFILES, _POSTINGS, _SHUFFLE, _BLOCKS = range(5)


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(seed, spawn_key=key)))


def group_starts(num_entities: int, num_groups: int) -> np.ndarray:
    """Offsets of contiguous, near-equal groups: group g holds entities ``starts[g]:starts[g + 1]``."""
    return (np.arange(num_groups + 1, dtype=np.int64) * num_entities) // num_groups


@dataclass(frozen=True)
class Themes:
    location: np.ndarray  # (G,) home location index
    family: np.ndarray  # (G,) home family index
    pool: list[list[int]]  # per group: the stacks of its theme (home family, a related one, their bases)
    unseen: np.ndarray  # (G,) bool: written with held-out forms


def draw_themes(seed: int, data: DataConfig, catalog: Catalog) -> Themes:
    rng = stream(seed, _THEMES)
    g = data.num_groups
    # Families with one stack (a design tool) cannot carry a group: they join others' themes only.
    homes = [i for i, f in enumerate(catalog.families) if len(f.stacks) > 1]
    family = np.array([homes[i % len(homes)] for i in range(g)])
    # The last groups (consecutive, so they cycle through the families too) use held-out forms.
    unseen = np.arange(g) >= g - round(data.unseen_group_fraction * g)
    location = np.searchsorted(np.cumsum(catalog.location_weights), rng.random(g) * 0.999999)
    index = {s.name: i for i, s in enumerate(catalog.stacks)}
    members = [[index[s] for s in f.stacks] for f in catalog.families]
    pool = []
    for k in range(g):
        f = catalog.families[family[k]]
        related = [i for i, other in enumerate(catalog.families) if other.name in f.related]
        second = related[int(rng.integers(len(related)))] if related else family[k]
        stacks = members[family[k]] + members[second]
        bases = [index[b] for s in members[family[k]] for b in catalog.stacks[s].uses]
        pool.append(list(dict.fromkeys(stacks + bases)))
    return Themes(location.astype(np.int16), family, pool, unseen)


@dataclass(frozen=True)
class EntityPool:
    """One side (profiles or postings): groups, codes for scoring, output columns, texts."""

    starts: np.ndarray  # (G + 1,) group offsets
    group: np.ndarray  # int32 per entity
    codes: ProfileCodes | PostingCodes
    columns: dict[str, pa.Array]  # entity-level output columns, text included

    def __len__(self) -> int:
        return len(self.group)


# The next of an entity's uniforms, in [0, 1): ``int(u() * n)`` is an index below n. A C-level iterator, and
# indices inlined, because this runs per entity.
Uniform = Callable[[], float]


class _Vocab:
    """Catalog lookups the draws need, built once."""

    def __init__(self, catalog: Catalog) -> None:
        self.loc_cum = np.cumsum(catalog.location_weights).tolist()
        levels = catalog.experience_levels
        self.level_cum = (np.cumsum([lv.weight for lv in levels]) / sum(lv.weight for lv in levels)).tolist()
        self.levels = [(lv.min_years, lv.max_years) for lv in levels]
        self.role_of = [int(catalog.family_role[f]) for f in catalog.family_of]
        roles = catalog.role_names
        self.fullstack = roles.index("fullstack") if "fullstack" in roles else -1
        self.web = {roles.index(r) for r in ("backend", "frontend") if r in roles}
        weights = [_GOAL_WEIGHTS.get(g.name, 1.0) for g in catalog.goals]
        self.goal_cum = (np.cumsum(weights) / sum(weights)).tolist()
        self.light = [g.light for g in catalog.goals]
        self.goal = catalog.goal_names
        self.n_stacks = len(catalog.stacks)
        self.family = catalog.family_of.tolist()
        fam, rel, uses = catalog.family_of, catalog.related_families, catalog.uses
        self.close = [  # same family, or built on / the base of
            np.flatnonzero(((fam == fam[i]) | uses[i]) & (np.arange(len(fam)) != i)).tolist()
            for i in range(len(fam))
        ]
        self.related = [np.flatnonzero(rel[fam[i]][fam]).tolist() for i in range(len(fam))]
        # A related family of another job is credit for the rules, but odd in one person's or one post's
        # stacks (Yocto for a game, SwiftUI for a BE post): those draw only stacks of the main stack's role,
        # the other web role (풀스택) and, beside the requirements, infrastructure (Docker, AWS).
        devops = {roles.index("devops")} if "devops" in roles else set()

        def fitting(i: int, extra: set[int], web: bool = True) -> list[int]:
            own = {self.role_of[i]} | (self.web if web and self.role_of[i] in self.web else set())
            return [j for j in self.related[i] if self.role_of[j] in own | extra]

        self.related_required = [fitting(i, set()) for i in range(len(fam))]
        # Infrastructure beside a server-side job's stacks (Docker for backend, not Kubernetes for firmware).
        infra = {roles.index(r) for r in ("backend", "fullstack", "data", "ml") if r in roles}
        self.related_own = [
            fitting(i, devops if self.role_of[i] in infra else set()) for i in range(len(fam))
        ]
        # 우대 stays in the job of the main requirement: no Zustand for a backend post, no Prisma for a
        # frontend one (a 풀스택 post requires both kinds; its 우대 follows the first).
        self.related_preferred = [
            fitting(i, devops if self.role_of[i] in infra else set(), web=False) for i in range(len(fam))
        ]
        # What can be a main stack (Redux, Redis, Figma cannot: libraries and tools go beside one).
        self.lead = [s.lead for s in catalog.stacks]
        self.leaders = [i for i, s in enumerate(catalog.stacks) if s.lead]
        index = {x.name: i for i, x in enumerate(catalog.stacks)}
        self.direct = [{index[b] for b in x.uses} for x in catalog.stacks]  # what each is built on directly
        self.bases: list[
            set[int]
        ] = []  # what each stack is built on, transitively (Express: Node.js, JS, TS)
        for x in catalog.stacks:
            todo, seen = [index[b] for b in x.uses], set()
            while todo:
                b = todo.pop()
                if b not in seen:
                    seen.add(b)
                    todo.extend(index[c] for c in catalog.stacks[b].uses)
            self.bases.append(seen)
        # A job's own family, and what is built on the main stack only when it is of the same job (a Python
        # backend post does not require ROS or PyTorch); what the main stack is built on always goes.
        self.close_required = [
            [
                j
                for j in self.close[i]
                if fam[j] == fam[i] or j in self.bases[i] or self.role_of[j] == self.role_of[i]
            ]
            for i in range(len(fam))
        ]
        # Stacks a posting never requires together (Angular and Svelte; Next.js and Vue, through React).
        groups = [{index[n] for n in g} for g in catalog.alternatives]
        self.rivals: list[set[int]] = [set() for _ in catalog.stacks]
        for a in range(self.n_stacks):
            for b in range(a + 1, self.n_stacks):
                sa, sb = {a, *self.bases[a]}, {b, *self.bases[b]}
                if a in sb or b in sa:
                    continue
                if any((sa & g) and (sb & g) and len((sa | sb) & g) > 1 for g in groups):
                    self.rivals[a].add(b)
                    self.rivals[b].add(a)

    @staticmethod
    def weighted(u: Uniform, cumulative: list[float]) -> int:
        return min(bisect.bisect_right(cumulative, u()), len(cumulative) - 1)

    def role(self, stacks: list[int]) -> int:
        """The main stack's role; a backend + frontend mix is 풀스택 (a BE post requiring React Query, or a
        "Backend Engineer" listing Svelte, reads wrong)."""
        if len(stacks) > 1 and len(self.web) == 2 and self.web <= {self.role_of[s] for s in stacks}:
            return self.fullstack
        return self.role_of[stacks[0]]

    def main_first(self, stacks: list[int]) -> list[int]:
        """The stacks with the main one's base of its own family first: Kubernetes before Helm, React before
        Redux ("Helm이 주력이고 Kubernetes도" reads backwards)."""
        main = stacks[0]
        for i, s in enumerate(stacks[1:], 1):
            if s in self.bases[main] and self.family[s] == self.family[main]:
                return [s, *stacks[:i], *stacks[i + 1 :]]
        return stacks

    def stacks(
        self,
        u: Uniform,
        main: int,
        k: int,
        avoid: Sequence[int] = (),
        close: float = 0.65,
        any_: float = 0.05,
        rivals: Sequence[int] | None = None,
        related: list[list[int]] | None = None,
        near: list[list[int]] | None = None,
    ) -> list[int]:
        """Up to ``k`` more distinct stacks that go with ``main``, as people's stacks do: mostly its
        family and what it is built on (``close``), else a related family, seldom (``any_``) anything.
        ``rivals``: none that does the job of another one, nor of these (a job's requirements and its 우대;
        people know several). ``near``/``related``: the pools to draw from instead of every stack of the
        family, built on or of a related family."""
        out: list[int] = []
        own, far = (near or self.close)[main], (related or self.related)[main]
        for _ in range(k):
            x = u()
            pool = own if x < close or not far else far if x < 1.0 - any_ else None
            s = pool[int(u() * len(pool))] if pool else int(u() * self.n_stacks)
            if s == main or s in out or s in avoid or self.bases[s] & self.rivals[main]:
                continue  # nor what is built on a rival of the main stack (AR Foundation for Unreal)
            if not self.lead[s] and self.direct[s] and not self.direct[s] & {main, *out}:
                continue  # a library goes beside what it is built on: Pinia beside Vue, not Angular (a
                # tool built on nothing, Redis or SQL, goes beside anything of its pools)
            if rivals is not None and any(s in self.rivals[t] for t in (*rivals, main, *out)):
                continue
            out.append(s)
        return out

    def one_rival(self, stacks: list[int]) -> list[int]:
        """``stacks`` with one stack at most that does the job of an earlier one: people know two backend
        languages, but "주력: 닷넷, PHP, Ruby on Rails" reads padded."""
        out, rival = stacks[:1], False
        for s in stacks[1:]:
            if any(s in self.rivals[t] for t in out):
                if rival:
                    continue
                rival = True
            out.append(s)
        return out

    def refusal(self, u: Uniform, stacks: list[int]) -> list[int]:
        """A stack of the main one's job that the person has not used: a rival (Vue beside React) or one of a
        related family (not Pinia from a backend developer, nor Unity from a data engineer)."""
        avoid = {*stacks, *self.implied(stacks)}
        job = self.role_of[stacks[0]]
        pool = sorted({r for s in stacks for r in self.rivals[s]} | set(self.related_required[stacks[0]]))
        # A framework or a language one could have used, not a library of another ecosystem (TypeORM from a
        # Python developer) nor the ground of the job (SQL, Redis from a backend developer).
        pool = [s for s in pool if s not in avoid and self.role_of[s] == job and self.lead[s]]
        return [pool[int(u() * len(pool))]] if pool else []

    def implied(self, stacks: Sequence[int]) -> set[int]:
        """What ``stacks`` are built on: implied by them, so never 우대 beside them, nor refused."""
        return set().union(*(self.bases[s] for s in stacks))

    def leads(self, theme: list[int]) -> list[int]:
        """The stacks of a group's theme that can be a main one (not Redux, Redis, Figma: ``lead: false``)."""
        return [s for s in theme if self.lead[s]] or theme

    def main(self, u: Uniform, leads: list[int], affinity: float) -> int:
        """A main stack: of the group's ``leads`` with probability ``affinity``, else any that can lead."""
        if u() < affinity:
            return leads[int(u() * len(leads))]
        return self.leaders[int(u() * len(self.leaders))]


def _profile(v: _Vocab, u: Uniform, data: DataConfig, home_loc: int, leads: list[int]) -> tuple[Any, ...]:
    mode_u = u()
    remote, offline = data.remote_fraction, data.offline_fraction
    mode = 0 if mode_u < remote else 2 if mode_u < remote + offline else 1  # PROFILE_MODES order
    loc = home_loc if u() < data.group_affinity else v.weighted(u, v.loc_cum)
    stated = u() < 0.5 if mode == 0 else u() >= data.unstated_region_fraction
    region = loc if stated else NOWHERE
    main = v.main(u, leads, data.group_affinity)
    k = int(u() * data.max_stacks_per_profile)
    stacks = [main, *v.stacks(u, main, k, close=0.75, any_=0.0, related=v.related_own, near=v.close_required)]
    stacks = v.main_first(v.one_rival(stacks))
    # What the person has not used: a rival of their stacks (Vue for a React developer, Azure beside AWS) or a
    # stack of a related family of their job; never one their own stacks build on, nor the ground of their
    # field (Linux for an SRE, C for firmware).
    refuse = v.refusal(u, stacks) if u() < data.not_stacks_fraction else []
    lo, hi = v.levels[v.weighted(u, v.level_cum)]
    years = lo + int(u() * (hi - lo + 1))
    background = 2 if u() < data.unknown_background_fraction else int(u() * 2)
    goals: list[int] = []
    if u() >= data.unstated_goals_fraction:
        for _ in range(1 + int(u() * data.max_goals)):
            g = v.weighted(u, v.goal_cum)
            if g not in goals:
                goals.append(g)
    return region, stacks, refuse, years, v.role(stacks), mode, background, goals


def _posting(v: _Vocab, u: Uniform, data: DataConfig, home_loc: int, leads: list[int]) -> tuple[Any, ...]:
    mode_u = u()
    online, hybrid = data.online_fraction, data.hybrid_fraction
    mode = 0 if mode_u < online else 2 if mode_u < online + hybrid else 1  # POSTING_MODES order
    loc = home_loc if u() < data.group_affinity else v.weighted(u, v.loc_cum)
    region = NOWHERE if mode == 0 and u() < 0.7 else loc
    goal = v.weighted(u, v.goal_cum)
    # Coherent requirements: the main stack, then what goes with it.
    main = v.main(u, leads, data.group_affinity)
    # A job asks for what goes together: no off-field requirement, and 우대 never what the required imply.
    k = int(u() * data.max_stacks_per_posting)
    more = v.stacks(
        u, main, k, close=0.85, any_=0.0, rivals=(), related=v.related_required, near=v.close_required
    )
    required = v.main_first([main, *more])
    preferred = []
    if data.max_preferred and u() < data.preferred_fraction:
        avoid = [*required, *v.implied(required)]
        k = 1 + int(u() * data.max_preferred)
        preferred = v.stacks(
            u,
            main,
            k,
            avoid=avoid,
            close=0.5,
            any_=0.0,
            rivals=required,
            related=v.related_preferred,
            near=v.close_required,  # not Unreal for a C++ firmware post, nor TensorFlow for a Python backend
        )
    kind = v.goal[goal]
    if v.light[goal]:  # a study or a toy project seldom asks for years
        min_years = 0 if u() < 0.8 else 1 + int(u() * 2)
    elif kind not in HIRING_GOALS:  # a side project or a founding team asks for a few at most
        min_years = int(u() * 4)
    else:
        lo, hi = v.levels[v.weighted(u, v.level_cum)]
        min_years = min(lo + int(u() * (hi - lo + 1)), 10)
    max_years = min_years + int(u() * 4) if u() < data.max_years_fraction else NO_CAP
    if max_years == min_years > 0 and (kind != "job" or min_years > 5):
        max_years += 1  # exactly 3년 차 is a junior hire's condition, not a study's, a contract's, a senior's
    if (max_years == 0 and kind == "freelance") or kind == "startup":
        max_years = NO_CAP  # no 신입만 contract, no capped co-founder
    requires_cs = u() < data.requires_cs_fraction and kind in HIRING_GOALS  # no study nor side project asks
    return region, required, preferred, min_years, max_years, v.role(required), mode, goal, requires_cs


def _draw_entities(
    rng: np.random.Generator, data: DataConfig, catalog: Catalog, themes: Themes, num: int, draw: Callable
) -> tuple[np.ndarray, np.ndarray, list[tuple[Any, ...]]]:
    starts = group_starts(num, data.num_groups)
    groups = np.repeat(np.arange(data.num_groups), np.diff(starts))
    uniforms = rng.random((num, _UNIFORMS)).tolist()
    vocab = _Vocab(catalog)
    loc, leads = themes.location.tolist(), [vocab.leads(theme) for theme in themes.pool]
    # Past the drawn uniforms (an entity with many list items), 0.5: rows never borrow from the next entity.
    rows = [
        draw(vocab, itertools.chain(u, _HALVES).__next__, data, loc[g], leads[g])
        for g, u in zip(groups.tolist(), uniforms, strict=True)
    ]
    return starts, groups, rows


def _names(codes: Sequence[int], names: Sequence[str], empty: str | None = None) -> pa.Array:
    """Names of codes; with ``empty``, code -1 (NOWHERE) is ``empty``."""
    table = [*names, empty] if empty is not None else list(names)
    idx = np.asarray(codes, dtype=np.int64)
    return pa.array(table, type=pa.string()).take(pa.array(np.where(idx < 0, len(names), idx)))


def _lists(rows: Sequence[Sequence[int]], names: Sequence[str]) -> pa.Array:
    offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    flat = np.fromiter((x for r in rows for x in r), dtype=np.int64, count=int(offsets[-1]))
    return pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(list(names), type=pa.string()).take(pa.array(flat))
    )


def _render(rng: np.random.Generator, items: list[Any], unseen: np.ndarray, render: Callable,
            ph: Phrases) -> tuple[pa.Array, pa.Array, pa.Array]:  # fmt: skip
    draws = rng.bit_generator.random_raw((len(items), DRAW_WORDS)).tolist()
    out = [render(a, d, ph, u) for a, d, u in zip(items, draws, unseen.tolist(), strict=True)]
    return (
        pa.array([r.text for r in out], type=pa.string()),
        pa.array([r.register for r in out], type=pa.string()),
        pa.array([r.unseen for r in out], type=pa.bool_()),
    )


def _attr_names(catalog: Catalog) -> tuple[tuple[str, ...], ...]:
    """Stack, goal, location (code -1, NOWHERE, is the last: "") and role names, indexed by code."""
    return catalog.stack_names, catalog.goal_names, (*catalog.location_names, ""), catalog.role_names


def build_profiles(seed: int, data: DataConfig, catalog: Catalog, themes: Themes, t: Tables,
                   ph: Phrases) -> EntityPool:  # fmt: skip
    rng = stream(seed, _PROFILES)
    starts, groups, rows = _draw_entities(rng, data, catalog, themes, data.num_profiles, _profile)
    region, stacks, refuse, years, role, mode, background, goals = (list(c) for c in zip(*rows, strict=True))
    sn, gn, ln, rn = _attr_names(catalog)
    attrs = [
        ProfileAttrs(ln[r], tuple(map(sn.__getitem__, st)), tuple(map(sn.__getitem__, no)), y, rn[ro],
                     PROFILE_MODES[m], BACKGROUNDS[b], tuple(map(gn.__getitem__, go)))
        for r, st, no, y, ro, m, b, go in rows
    ]  # fmt: skip
    texts, register, unseen = _render(rng, attrs, themes.unseen[groups], render_profile, ph)
    refused = dense(padded(refuse), len(sn))
    goal_sets = dense(padded(goals), len(gn))
    codes = ProfileCodes(
        region=np.array(region, dtype=np.int16),
        credit=stack_credit(padded(stacks), refused, t),
        refused=refused,
        years=np.array(years, dtype=np.int32),
        role=np.array(role, dtype=np.int16),
        work_mode=np.array(mode, dtype=np.int8),
        background=np.array(background, dtype=np.int8),
        goals=goal_sets,
    )
    columns = {
        "profile_text": texts,
        "p_region": _names(region, ln, ""),
        "p_stacks": _lists(stacks, sn),
        "p_not_stacks": _lists(refuse, sn),
        "p_years": pa.array(years, type=pa.int32()),
        "p_role": _names(role, catalog.role_names),
        "p_work_mode": _names(mode, PROFILE_MODES),
        "p_background": _names(background, BACKGROUNDS),
        "p_goals": _lists(goals, gn),
        "p_register": register,
        "p_unseen": unseen,
    }
    return EntityPool(starts, groups.astype(np.int32), codes, columns)


def build_postings(
    seed: int, data: DataConfig, catalog: Catalog, themes: Themes, ph: Phrases | None
) -> EntityPool:
    """The postings; ``ph`` None builds the phrases here (in a second process)."""
    ph = ph or Phrases(catalog)
    rng = stream(seed, _POSTINGS)
    starts, groups, rows = _draw_entities(rng, data, catalog, themes, data.num_postings, _posting)
    region, required, preferred, min_years, max_years, role, mode, goal, requires_cs = (
        list(c) for c in zip(*rows, strict=True)
    )
    sn, gn, ln, rn = _attr_names(catalog)
    attrs = [
        PostingAttrs(ln[r], tuple(map(sn.__getitem__, rq)), tuple(map(sn.__getitem__, pr)), lo, hi, rn[ro],
                     POSTING_MODES[m], gn[go], cs)
        for r, rq, pr, lo, hi, ro, m, go, cs in rows
    ]  # fmt: skip
    texts, register, unseen = _render(rng, attrs, themes.unseen[groups], render_posting, ph)
    width = max(1, max(len(x) for x in required))
    codes = PostingCodes(
        region=np.array(region, dtype=np.int16),
        required=padded(required, width),
        preferred=padded(preferred, max(1, max(len(x) for x in preferred))),
        min_years=np.array(min_years, dtype=np.int32),
        max_years=np.array(max_years, dtype=np.int32),
        role=np.array(role, dtype=np.int16),
        work_mode=np.array(mode, dtype=np.int8),
        goal=np.array(goal, dtype=np.int16),
        requires_cs=np.array(requires_cs, dtype=bool),
    )
    columns = {
        "posting_text": texts,
        "j_region": _names(region, ln, ""),
        "j_stacks": _lists(required, sn),
        "j_preferred": _lists(preferred, sn),
        "j_min_years": pa.array(min_years, type=pa.int32()),
        "j_max_years": pa.array(max_years, type=pa.int32()),
        "j_role": _names(role, catalog.role_names),
        "j_work_mode": _names(mode, POSTING_MODES),
        "j_goal": _names(goal, gn),
        "j_requires_cs": pa.array(requires_cs, type=pa.bool_()),
        "j_register": register,
        "j_unseen": unseen,
    }
    return EntityPool(starts, groups.astype(np.int32), codes, columns)


@dataclass(frozen=True)
class CandidatePool:
    """All same-group pairs, filed by cell ``2 * bin + is_near_miss``.

    A candidate is stored as its index ``k`` in the enumeration group by group, profile-major; uint32
    while that fits, which halves the pool's memory.
    """

    ids: np.ndarray  # enumeration indices, cells one after the other
    starts: np.ndarray  # (num_cells + 1,) cell offsets into ids
    num_bins: int
    group_offsets: np.ndarray  # (G + 1,) first enumeration index of each group
    profile_starts: np.ndarray
    posting_starts: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.starts)

    def decode(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Profile and posting indices of the candidates at ``positions``."""
        return self.decode_indices(self.ids[positions].astype(np.int64))

    def decode_indices(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = np.searchsorted(self.group_offsets, k, side="right") - 1
        local = k - self.group_offsets[g]
        nj = self.posting_starts[g + 1] - self.posting_starts[g]
        return self.profile_starts[g] + local // nj, self.posting_starts[g] + local % nj


def build_candidates(
    profiles: EntityPool,
    postings: EntityPool,
    rules: RulesConfig,
    bins: Sequence[float],
    t: Tables,
    seed: int,
) -> CandidatePool:
    ps, js = profiles.starts, postings.starts
    sizes = np.diff(ps) * np.diff(js)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    dtype = np.uint32 if offsets[-1] <= np.iinfo(np.uint32).max else np.int64
    pool = CandidatePool(np.zeros(0, dtype), np.zeros(1, np.int64), len(bins) - 1, offsets, ps, js)
    num_cells = 2 * pool.num_bins
    pieces: list[list[np.ndarray]] = [[] for _ in range(num_cells)]
    step = max(1, _CANDIDATE_CHUNK // max(int(sizes.max()), 1))
    for g0 in range(0, len(sizes), step):
        k = np.arange(offsets[g0], offsets[min(g0 + step, len(sizes))], dtype=np.int64)
        p, j = pool.decode_indices(k)
        s = score_codes(profiles.codes, postings.codes, rules, t, p, j)
        near = near_miss_kind(s.region_match, s.stack_match, s.experience_match, s.capped) > 0
        cell = 2 * score_bin(s.score, bins).astype(np.int64) + near
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(num_cells + 1))
        k = k[order].astype(dtype)
        for c in range(num_cells):
            pieces[c].append(k[bounds[c] : bounds[c + 1]])
    starts = np.zeros(num_cells + 1, dtype=np.int64)
    np.cumsum([sum(len(x) for x in cell_pieces) for cell_pieces in pieces], out=starts[1:])
    ids = np.empty(int(starts[-1]), dtype=dtype)
    rng = stream(seed, _SHUFFLE)
    for c in range(num_cells):
        cell_ids = ids[starts[c] : starts[c + 1]]
        if pieces[c]:
            np.concatenate(pieces[c], out=cell_ids)
        pieces[c] = []  # free as we go: the pool is the largest allocation of a run
        rng.shuffle(cell_ids)  # rows take each cell's candidates in this order
    return CandidatePool(ids, starts, pool.num_bins, offsets, ps, js)


class PairSampler:
    """Candidate positions for the rows of each block, block after block.

    Block ``b`` draws its rows' cells (bin, near miss) from a generator seeded by ``(seed, b)``. Each cell
    was shuffled once; rows take its candidates in that order, continuing where the previous block
    stopped, so pairs repeat only once a cell is used up. The rows depend on the seed and the row index
    only, never on how many blocks are generated or written at a time.
    """

    def __init__(self, pool: CandidatePool, near_miss_fraction: float, seed: int) -> None:
        if len(pool.ids) == 0:
            raise ValueError("no candidate pairs: every group needs a profile and a posting")
        self.pool, self.seed = pool, seed
        bins = pool.num_bins
        sizes = pool.sizes.reshape(bins, 2)
        other, near = sizes[:, 0], sizes[:, 1]
        # Near misses spread over bins in proportion to how many each holds, so a bin with few is not
        # drained; overall they make up near_miss_fraction of the rows unless bins run out of them.
        share = near / max(int(near.sum()), 1)
        self.p_near = np.where(
            other == 0, (near > 0).astype(float), np.minimum(1.0, near_miss_fraction * bins * share)
        )
        # Rows of a bin without any candidates go to the nearest bin that has some.
        full = np.flatnonzero(sizes.sum(axis=1) > 0)
        self.bin_map = full[np.abs(np.arange(bins)[:, None] - full[None, :]).argmin(axis=1)]

    def blocks(self, num_rows: int, block_rows: int) -> Iterator[np.ndarray]:
        """Positions (into ``pool.ids``) of rows ``0..num_rows-1``, one array per block."""
        pool = self.pool
        taken = np.zeros(len(pool.sizes), dtype=np.int64)
        for b in range(math.ceil(num_rows / block_rows)):
            rows = min(block_rows, num_rows - b * block_rows)
            rng = stream(self.seed, _BLOCKS, b)
            # Full-size draws even for a short last block, so a row's numbers never depend on num_rows.
            bins = self.bin_map[rng.integers(0, pool.num_bins, block_rows)[:rows]]
            cell = 2 * bins + (rng.random(block_rows)[:rows] < self.p_near[bins])
            order = np.argsort(cell, kind="stable")
            counts = np.bincount(cell, minlength=len(taken))
            rank = np.empty(rows, dtype=np.int64)
            rank[order] = np.arange(rows) - np.repeat(np.cumsum(counts) - counts, counts)
            yield pool.starts[cell] + (taken[cell] + rank) % pool.sizes[cell]
            taken += counts
