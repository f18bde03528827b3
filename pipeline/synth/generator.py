"""Scored synthetic pairs, block by block, written ``data.shard_size`` rows per parquet row group: memory is
bounded by the entity pools plus one shard, and the rows never depend on the shard size. Same config and
seed => byte-identical files."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config.errors import check
from pipeline.config.schema import DataConfig
from pipeline.io import atomic_path
from pipeline.pairs.bins import score_bin, score_histogram
from pipeline.synth.catalog import Catalog
from pipeline.synth.rules import (
    EXPERIENCE_MATCH,
    FACTORS,
    NEAR_MISS_KINDS,
    REGION_MATCH,
    STACK_MATCH,
    Scores,
    near_miss_kind,
    score_codes,
    tables,
)
from pipeline.synth.sampling import (
    BLOCK_ROWS,
    CandidatePool,
    EntityPool,
    PairSampler,
    build_candidates,
    build_postings,
    build_profiles,
    draw_themes,
)
from pipeline.synth.schema import PAIR_SCHEMA, parquet_writer
from pipeline.synth.templates import Phrases

# From this many entities (both sides) on, the postings are rendered in a second process: starting it
# costs about a second (imports), rendering 4,000 + 4,000 texts half of that.
PARALLEL_ENTITIES = 40_000


def check_catalog_fits(data: DataConfig, catalog: Catalog) -> None:
    """Settings that only make sense against the catalog in use."""
    for key, value, have, what in (
        ("max_stacks_per_profile", data.max_stacks_per_profile, len(catalog.stacks), "stacks"),
        ("max_stacks_per_posting", data.max_stacks_per_posting, len(catalog.stacks), "stacks"),
        ("max_preferred", data.max_preferred, len(catalog.stacks), "stacks"),
        ("max_goals", data.max_goals, len(catalog.goals), "goals"),
    ):
        check(value <= have, f"data.{key}", value, f"at most {have} (the {what} in {catalog.path})")


def _labels(codes: np.ndarray, labels: tuple[str, ...]) -> pa.Array:
    return pa.array(labels, type=pa.string()).take(pa.array(codes.astype(np.int64)))


def block_table(
    profiles: EntityPool, postings: EntityPool, p: np.ndarray, j: np.ndarray, s: Scores, themes: pa.Array,
    unseen: np.ndarray,
) -> pa.Table:  # fmt: skip
    pi, ji = pa.array(p, type=pa.int64()), pa.array(j, type=pa.int64())
    group = profiles.group[p]
    cols: dict[str, Any] = {
        "profile_id": pi,
        "posting_id": ji,
        "group": pa.array(group, type=pa.int32()),
        "theme": themes.take(pa.array(group, type=pa.int64())),
        "unseen_forms": pa.array(unseen[group], type=pa.bool_()),
        **{name: pa.array(getattr(s, name), type=pa.float64()) for name in FACTORS},
        "capped": pa.array(s.capped, type=pa.bool_()),
        "region_match": _labels(s.region_match, REGION_MATCH),
        "stack_match": _labels(s.stack_match, STACK_MATCH),
        "experience_match": _labels(s.experience_match, EXPERIENCE_MATCH),
    }
    cols.update({name: col.take(pi) for name, col in profiles.columns.items()})
    cols.update({name: col.take(ji) for name, col in postings.columns.items()})
    return pa.Table.from_arrays([cols[f.name] for f in PAIR_SCHEMA], schema=PAIR_SCHEMA)


def _distinct(texts: pa.Array, used: np.ndarray) -> int:
    """Distinct texts among the used entities. Sorting costs one copy of the texts; count_distinct's hash
    table took five times that (600 MB for 666k texts)."""
    texts = texts if used.all() else texts.filter(pa.array(used))
    if len(texts) < 2:
        return len(texts)
    ordered = texts.take(pc.sort_indices(texts))
    return 1 + pc.sum(pc.not_equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py()


class _Stats:
    """Metrics summed block by block, so they too are independent of the shard size."""

    def __init__(self, bins: list[float], pool: CandidatePool, profiles: int, postings: int,
                 unseen_groups: int) -> None:  # fmt: skip
        self.bins = bins
        self.unseen_groups = unseen_groups
        self.hist = np.zeros(len(bins) - 1, dtype=np.int64)
        self.sums = np.zeros((len(FACTORS), 2))
        self.capped = 0
        self.kinds = np.zeros(len(NEAR_MISS_KINDS), dtype=np.int64)
        self.used_pairs = np.zeros(len(pool.ids), dtype=bool)
        self.used_profiles = np.zeros(profiles, dtype=bool)
        self.used_postings = np.zeros(postings, dtype=bool)

    def add(self, positions: np.ndarray, p: np.ndarray, j: np.ndarray, s: Scores) -> None:
        self.hist += np.bincount(score_bin(s.score, self.bins), minlength=len(self.hist))
        for i, name in enumerate(FACTORS):
            v = getattr(s, name)
            self.sums[i] += (v.sum(), np.square(v).sum())
        self.capped += int(s.capped.sum())
        kind = near_miss_kind(s.region_match, s.stack_match, s.experience_match, s.capped)
        self.kinds += np.bincount(kind, minlength=len(self.kinds))
        self.used_pairs[positions] = True
        self.used_profiles[p] = True
        self.used_postings[j] = True

    def metrics(self, profiles: EntityPool, postings: EntityPool, num_groups: int) -> dict[str, Any]:
        n = int(self.hist.sum())
        profile_texts = _distinct(profiles.columns["profile_text"], self.used_profiles)
        posting_texts = _distinct(postings.columns["posting_text"], self.used_postings)
        mean = self.sums[:, 0] / n
        std = np.sqrt(np.maximum(self.sums[:, 1] / n - mean**2, 0.0))
        return {
            "counts": {
                "pairs": n,
                "unique_pairs": int(self.used_pairs.sum()),
                "candidate_pairs": len(self.used_pairs),
                "profiles": int(self.used_profiles.sum()),
                "postings": int(self.used_postings.sum()),
                "profile_texts": profile_texts,
                "posting_texts": posting_texts,
                # The two sides' templates differ (tested), so no text is both a profile and a posting.
                "texts": profile_texts + posting_texts,
                "groups": num_groups,
                "unseen_form_groups": self.unseen_groups,
            },
            "score_histogram": score_histogram(self.hist, self.bins),
            "factors": {
                name: {"mean": round(float(m), 6), "std": round(float(sd), 6)}
                for name, m, sd in zip(FACTORS, mean, std, strict=True)
            },
            "capped_fraction": round(self.capped / n, 6),
            "near_miss_fraction": round(float(self.kinds[1:].sum()) / n, 6),
            "near_miss_kinds": {
                k: round(float(c) / n, 6) for k, c in zip(NEAR_MISS_KINDS[1:], self.kinds[1:], strict=True)
            },
        }


def generate_pairs(
    data: DataConfig,
    seed: int,
    catalog: Catalog,
    out: Path | str,
    *,
    block_rows: int = BLOCK_ROWS,
    stale: Sequence[Path] = (),
) -> dict[str, Any]:
    """Write ``data.num_pairs`` scored pairs to ``out`` (parquet, atomically, removing ``stale`` as it
    replaces the old file); return the data metrics."""
    check_catalog_fits(data, catalog)
    themes = draw_themes(seed, data, catalog)
    t = tables(catalog, data.rules)
    ph = Phrases(catalog)
    theme_names = pa.array([catalog.families[f].name for f in themes.family.tolist()], type=pa.string())
    if data.num_profiles + data.num_postings >= PARALLEL_ENTITIES:
        # Rendering is pure Python: the postings are drawn in a second process while this one draws the
        # profiles (each side has its own random stream, so the bytes are the same either way).
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as side:
            later = side.submit(build_postings, seed, data, catalog, themes, None)
            profiles = build_profiles(seed, data, catalog, themes, t, ph)
            postings = later.result()
    else:
        profiles = build_profiles(seed, data, catalog, themes, t, ph)
        postings = build_postings(seed, data, catalog, themes, ph)
    candidates = build_candidates(profiles, postings, data.rules, data.score_bins, t, seed)
    sampler = PairSampler(candidates, data.near_miss_fraction, seed)
    stats = _Stats(data.score_bins, candidates, len(profiles), len(postings), int(themes.unseen.sum()))
    memory = pa.default_memory_pool()
    memory.release_unused()  # the pools' temporary chunks
    # Gathering a block's columns (arrow take) and parquet encoding release the GIL: they run on a second
    # thread while the main one samples and scores the next blocks. Blocks are handed over in order to the
    # one worker; at most two wait, so memory stays bounded by the pools plus a shard.
    with (
        atomic_path(out, stale=stale) as tmp,
        parquet_writer(tmp, PAIR_SCHEMA) as writer,
        ThreadPoolExecutor(1, thread_name_prefix="parquet") as worker,
    ):
        pending: list[pa.Table] = []
        buffered = 0

        def add(p: np.ndarray, j: np.ndarray, s: Scores) -> None:
            nonlocal pending, buffered
            pending.append(block_table(profiles, postings, p, j, s, theme_names, themes.unseen))
            buffered += len(p)
            while buffered >= data.shard_size:
                table = pa.concat_tables(pending)
                writer.write_table(table.slice(0, data.shard_size), row_group_size=data.shard_size)
                pending, buffered = [table.slice(data.shard_size)], buffered - data.shard_size
                del table
                memory.release_unused()  # mimalloc keeps freed shard buffers otherwise; RSS would creep up

        def finish() -> None:
            nonlocal pending
            if buffered:
                writer.write_table(pa.concat_tables(pending), row_group_size=data.shard_size)
            pending = []  # counting distinct texts afterwards needs the room

        queued: deque[Future[None]] = deque()
        for positions in sampler.blocks(data.num_pairs, block_rows):
            p, j = candidates.decode(positions)
            s = score_codes(profiles.codes, postings.codes, data.rules, t, p, j)
            stats.add(positions, p, j, s)
            if len(queued) == 2:
                queued.popleft().result()
            queued.append(worker.submit(add, p, j, s))
        queued.append(worker.submit(finish))
        for f in queued:
            f.result()
    del sampler, candidates  # counting distinct texts below needs the room
    memory.release_unused()
    return stats.metrics(profiles, postings, data.num_groups)
