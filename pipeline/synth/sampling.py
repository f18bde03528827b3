"""Entity pools, candidate pairs and the stratified, block-seeded pair sampler.

Design:

* **Groups.** Profiles and postings are split into ``num_groups`` contiguous groups, each with a theme
  (a home region and two home stack families) that its entities follow with probability
  ``group_affinity``, so a group holds good matches as well as poor ones. A pair only joins a profile and
  a posting of the same group, and entity texts are drawn per entity, so the split stage can keep whole
  groups (connected components of the text graph) in one split: no pair is dropped and no text leaks.
* **Entity pools.** Attributes are drawn with numpy; each text is rendered once per entity and pairs
  refer to it by index, so rendering costs O(entities), not O(pairs).
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

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.config.schema import DataConfig, RulesConfig
from pipeline.pairs.bins import score_bin
from pipeline.synth.catalog import BACKGROUNDS, WORK_MODES, Catalog
from pipeline.synth.rules import (
    PostingCodes,
    ProfileCodes,
    bitset,
    count_bits,
    near_miss_kind,
    related_bitset,
    score_codes,
)
from pipeline.synth.templates import (
    DRAW_WORDS,
    Phrases,
    PostingAttrs,
    ProfileAttrs,
    render_posting,
    render_profile,
)

BLOCK_ROWS = 65536  # part of the row definition: changing it changes the rows of a seed
HOME_FAMILIES = 2  # stack families per group theme
_RENDER_CHUNK = 1 << 16  # entities whose texts are rendered at once (memory bound)
_CANDIDATE_CHUNK = 1 << 19  # candidates scored at once while building the pool (memory bound)
_ONLINE = WORK_MODES.index("online")

# Independent random streams: a stream's numbers do not change when another stream draws more.
_THEMES, _PROFILES, _POSTINGS, _SHUFFLE, _BLOCKS = range(5)


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(seed, spawn_key=key)))


def group_starts(num_entities: int, num_groups: int) -> np.ndarray:
    """Offsets of contiguous, near-equal groups: group g holds entities ``starts[g]:starts[g + 1]``."""
    return (np.arange(num_groups + 1, dtype=np.int64) * num_entities) // num_groups


@dataclass(frozen=True)
class Themes:
    region: np.ndarray  # (G,) official region code
    stacks: np.ndarray  # (G, L) stack indices of the home families, padded
    num_stacks: np.ndarray  # (G,) valid entries per row of ``stacks``


def draw_themes(seed: int, num_groups: int, catalog: Catalog) -> Themes:
    rng = stream(seed, _THEMES)
    region = rng.integers(0, len(catalog.regions), num_groups)
    fams = len(catalog.families)
    first = rng.integers(0, fams, num_groups)
    chosen = [first]
    for _ in range(1, min(HOME_FAMILIES, fams)):
        chosen.append((chosen[-1] + rng.integers(1, fams, num_groups)) % fams)
    stack_index = {s.name: i for i, s in enumerate(catalog.stacks)}
    members = [[stack_index[s] for s in f.stacks] for f in catalog.families]
    width = sum(sorted(len(m) for m in members)[-len(chosen) :])
    stacks = np.zeros((num_groups, width), dtype=np.int64)
    num = np.zeros(num_groups, dtype=np.int64)
    for g in range(num_groups):
        row = [s for c in chosen for s in members[c[g]]]
        stacks[g, : len(row)] = row
        num[g] = len(row)
    return Themes(region, stacks, num)


@dataclass(frozen=True)
class EntityPool:
    """One side (profiles or postings): groups, codes for scoring, output columns, texts."""

    starts: np.ndarray  # (G + 1,) group offsets
    group: np.ndarray  # int32 per entity
    codes: ProfileCodes | PostingCodes
    columns: dict[str, pa.Array]  # entity-level output columns, text included

    def __len__(self) -> int:
        return len(self.group)


def _regions(rng: np.random.Generator, groups: np.ndarray, themes: Themes, data: DataConfig,
             catalog: Catalog) -> np.ndarray:  # fmt: skip
    n = len(groups)
    home = rng.random(n) < data.group_affinity
    anywhere = rng.integers(0, len(catalog.regions), n)
    remote = rng.random(n) < data.remote_fraction
    region = np.where(home, themes.region[groups], anywhere)
    return np.where(remote, catalog.remote_code, region).astype(np.int16)


def _stack_draws(rng: np.random.Generator, groups: np.ndarray, themes: Themes, max_k: int,
                 data: DataConfig, catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    n = len(groups)
    k = rng.integers(1, max_k + 1, n)
    home = rng.random((n, max_k)) < data.group_affinity
    u = rng.random((n, max_k))
    home_pick = themes.stacks[groups[:, None], (u * themes.num_stacks[groups][:, None]).astype(np.int64)]
    anywhere = rng.integers(0, len(catalog.stacks), (n, max_k))
    return np.where(home, home_pick, anywhere), k


def _goal_draws(
    rng: np.random.Generator, n: int, data: DataConfig, catalog: Catalog
) -> tuple[np.ndarray, np.ndarray]:
    k = rng.integers(1, data.max_goals + 1, n)
    return rng.integers(0, len(catalog.goals), (n, data.max_goals)), k


def _years(rng: np.random.Generator, n: int, catalog: Catalog, minimum: bool) -> np.ndarray:
    levels = catalog.experience_levels
    lo = np.array([lv.min_years for lv in levels])
    hi = np.array([lv.max_years for lv in levels])
    if minimum:
        hi = hi.copy()
        hi[-1] = lo[-1]  # a posting asks for "10년 이상", not for 13
    level = rng.integers(0, len(levels), n)
    return (lo[level] + (rng.random(n) * (hi - lo + 1)[level]).astype(np.int64)).astype(np.int32)


@dataclass(frozen=True)
class _Sets:
    """Per-entity sets (stacks, goals) in draw order without repeats."""

    flat: np.ndarray  # item indices, entity after entity
    offsets: np.ndarray  # (n + 1,) int32
    bits: np.ndarray  # bit sets for scoring

    def column(self, names: Sequence[str]) -> pa.Array:
        values = pa.array(list(names), type=pa.string()).take(pa.array(self.flat))
        return pa.ListArray.from_arrays(pa.array(self.offsets), values)

    def tuples(self, names: Sequence[str], lo: int, hi: int) -> list[tuple[str, ...]]:
        """The named sets of entities lo..hi-1."""
        bounds = self.offsets[lo : hi + 1]
        flat = [names[i] for i in self.flat[bounds[0] : bounds[-1]].tolist()]
        bounds = (bounds - bounds[0]).tolist()
        return [tuple(flat[a:b]) for a, b in itertools.pairwise(bounds)]


def _sets(draws: np.ndarray, k: np.ndarray, size: int) -> _Sets:
    """The first ``k[i]`` draws of row i, repeats dropped (vectorised over rows)."""
    keep = np.arange(draws.shape[1]) < k[:, None]
    for i in range(1, draws.shape[1]):
        keep[:, i] &= (draws[:, :i] != draws[:, i : i + 1]).all(axis=1)
    offsets = np.zeros(len(k) + 1, dtype=np.int32)
    np.cumsum(keep.sum(axis=1), out=offsets[1:])
    rows = np.broadcast_to(np.arange(len(k))[:, None], draws.shape)
    return _Sets(draws[keep], offsets, bitset(rows[keep], draws[keep], len(k), size))


def _names(codes: np.ndarray, names: Sequence[str]) -> pa.Array:
    return pa.array(list(names), type=pa.string()).take(pa.array(codes.astype(np.int64)))


def _render(
    rng: np.random.Generator, n: int, chunk: Callable[[int, int, list[list[int]]], list[str]]
) -> pa.Array:
    """Texts of entities 0..n-1, rendered ``_RENDER_CHUNK`` at a time to bound the Python objects alive;
    the raw draws come off one stream in order, so chunking does not change them."""
    parts = [pa.array([], type=pa.string())]
    for lo in range(0, n, _RENDER_CHUNK):
        hi = min(n, lo + _RENDER_CHUNK)
        draws = rng.bit_generator.random_raw((hi - lo, DRAW_WORDS)).tolist()
        parts.append(pa.array(chunk(lo, hi, draws), type=pa.string()))
    return pa.concat_arrays(parts)


def _entity_draws(
    rng: np.random.Generator, num: int, max_stacks: int, minimum: bool, data: DataConfig, catalog: Catalog,
    themes: Themes,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Sets, np.ndarray, np.ndarray]:  # fmt: skip
    """What profiles and postings draw alike, in this order (the order fixes the bytes): group offsets and
    groups, region, stacks, years (a posting's minimum), work mode (remote work is online work)."""
    starts = group_starts(num, data.num_groups)
    groups = np.repeat(np.arange(data.num_groups), np.diff(starts))
    region = _regions(rng, groups, themes, data, catalog)
    stacks = _sets(*_stack_draws(rng, groups, themes, max_stacks, data, catalog), len(catalog.stacks))
    years = _years(rng, len(groups), catalog, minimum=minimum)
    mode = rng.integers(0, len(WORK_MODES), len(groups)).astype(np.int8)
    mode[region == catalog.remote_code] = _ONLINE
    return starts, groups, region, stacks, years, mode


def build_profiles(seed: int, data: DataConfig, catalog: Catalog, themes: Themes) -> EntityPool:
    rng = stream(seed, _PROFILES)
    starts, groups, region, stacks, years, mode = _entity_draws(
        rng, data.num_profiles, data.max_stacks_per_profile, False, data, catalog, themes
    )
    n = len(groups)
    background = rng.integers(0, len(BACKGROUNDS), n).astype(np.int8)
    goals = _sets(*_goal_draws(rng, n, data, catalog), len(catalog.goals))
    ph = Phrases(catalog)
    rn, sn, gn = catalog.region_names, catalog.stack_names, catalog.goal_names

    def chunk(lo: int, hi: int, draws: list[list[int]]) -> list[str]:
        return [
            render_profile(ProfileAttrs(rn[r], st, y, WORK_MODES[m], BACKGROUNDS[b], go), d, ph)
            for r, st, y, m, b, go, d in zip(
                region[lo:hi].tolist(), stacks.tuples(sn, lo, hi), years[lo:hi].tolist(),
                mode[lo:hi].tolist(), background[lo:hi].tolist(), goals.tuples(gn, lo, hi), draws,
                strict=True,
            )
        ]  # fmt: skip

    texts = _render(rng, n, chunk)
    codes = ProfileCodes(
        region=region,
        stacks=stacks.bits,
        years=years,
        work_mode=mode,
        non_cs=background == BACKGROUNDS.index("non_cs"),
        goals=goals.bits,
    )
    columns = {
        "profile_text": texts,
        "p_region": _names(region, rn),
        "p_stacks": stacks.column(sn),
        "p_years": pa.array(years, type=pa.int32()),
        "p_work_mode": _names(mode, WORK_MODES),
        "p_background": _names(background, BACKGROUNDS),
        "p_goals": goals.column(gn),
    }
    return EntityPool(starts, groups.astype(np.int32), codes, columns)


def build_postings(seed: int, data: DataConfig, catalog: Catalog, themes: Themes) -> EntityPool:
    rng = stream(seed, _POSTINGS)
    starts, groups, region, stacks, min_years, mode = _entity_draws(
        rng, data.num_postings, data.max_stacks_per_posting, True, data, catalog, themes
    )
    n = len(groups)
    goals = _sets(*_goal_draws(rng, n, data, catalog), len(catalog.goals))
    requires_cs = rng.random(n) < data.requires_cs_fraction
    ph = Phrases(catalog)
    rn, sn, gn = catalog.region_names, catalog.stack_names, catalog.goal_names

    def chunk(lo: int, hi: int, draws: list[list[int]]) -> list[str]:
        return [
            render_posting(PostingAttrs(rn[r], st, y, WORK_MODES[m], go, cs), d, ph)
            for r, st, y, m, go, cs, d in zip(
                region[lo:hi].tolist(), stacks.tuples(sn, lo, hi), min_years[lo:hi].tolist(),
                mode[lo:hi].tolist(), goals.tuples(gn, lo, hi), requires_cs[lo:hi].tolist(), draws,
                strict=True,
            )
        ]  # fmt: skip

    texts = _render(rng, n, chunk)
    codes = PostingCodes(
        region=region,
        stacks=stacks.bits,
        related=related_bitset(stacks.bits, catalog),
        min_years=min_years,
        work_mode=mode,
        goals=goals.bits,
        num_goals=count_bits(goals.bits),
        requires_cs=requires_cs,
    )
    columns = {
        "posting_text": texts,
        "j_region": _names(region, rn),
        "j_stacks": stacks.column(sn),
        "j_min_years": pa.array(min_years, type=pa.int32()),
        "j_work_mode": _names(mode, WORK_MODES),
        "j_goals": goals.column(gn),
        "j_requires_cs": pa.array(requires_cs, type=pa.bool_()),
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
    catalog: Catalog,
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
        s = score_codes(profiles.codes.take(p), postings.codes.take(j), rules, catalog.remote_code)
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
