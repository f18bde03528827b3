"""Batch samplers for the SentenceTransformerTrainer (``train.batches``; its own samplers ignore these).

Every sampler's order is a function of (seed, epoch) only: a resumed run relies on it to skip the batches
it already trained on.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch
from sentence_transformers.base.sampler import DefaultBatchSampler

from pipeline.config import Config
from pipeline.training.losses import train_columns

if TYPE_CHECKING:
    import datasets

MEGABATCH = 50  # batches per sorted window, as transformers' LengthGroupedSampler


class SeededBatchSampler(DefaultBatchSampler):
    """A batch sampler whose batches ``_batches`` draws from a generator seeded by (seed, epoch)."""

    def _batches(self, g: torch.Generator) -> list[list[int]]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[list[int]]:
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        batches = self._batches(g)
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        yield from batches


def _shuffled(items: list[Any], g: torch.Generator) -> list[Any]:
    return [items[i] for i in torch.randperm(len(items), generator=g).tolist()]


def _num_batches(rows: int, batch_size: int, drop_last: bool) -> int:
    return rows // batch_size if drop_last else -(-rows // batch_size)


class LengthGroupedBatchSampler(SeededBatchSampler):
    """Shuffle, sort each window of ``MEGABATCH`` batches by length, cut it into batches, shuffle the batches.

    Rows of similar length share a batch, so the padded tensors are smaller.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        drop_last: bool,
        *args: Any,
        lengths: Sequence[int],
        **kwargs: Any,
    ) -> None:
        super().__init__(dataset, batch_size, drop_last, *args, **kwargs)
        if len(lengths) != len(dataset):
            raise ValueError(f"{len(lengths)} lengths for {len(dataset)} rows")
        self.lengths = list(lengths)

    def _batches(self, g: torch.Generator) -> list[list[int]]:
        order = torch.randperm(len(self.lengths), generator=g).tolist()
        window = self.batch_size * MEGABATCH
        batches: list[list[int]] = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start : start + window], key=lambda i: -self.lengths[i])
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        return _shuffled(batches, g)

    def __len__(self) -> int:
        return _num_batches(len(self.lengths), self.batch_size, self.drop_last)


class SharedTextBatchSampler(SeededBatchSampler):
    """Batches of pairs that share texts: rows of one connected component, ordered by profile.

    Each epoch shuffles the components, the profiles within a component and the rows within a profile, lays
    the rows out in that order, cuts them into batches and shuffles the batches. A batch then holds a few
    profiles with all their pairs against postings of the same component, so it has far fewer distinct texts
    than rows (see pipeline.training.losses.SharedTextLoss).
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        drop_last: bool,
        *args: Any,
        profiles: Sequence[str],
        components: Sequence[int],
        **kwargs: Any,
    ) -> None:
        super().__init__(dataset, batch_size, drop_last, *args, **kwargs)
        if not len(profiles) == len(components) == len(dataset):
            raise ValueError(
                f"{len(profiles)} profiles / {len(components)} components for {len(dataset)} rows"
            )
        by_component: dict[int, dict[str, list[int]]] = {}
        for row, (profile, comp) in enumerate(zip(profiles, components, strict=True)):
            by_component.setdefault(int(comp), {}).setdefault(profile, []).append(row)
        self.groups = [list(rows.values()) for rows in by_component.values()]
        self.num_rows = len(dataset)

    def _batches(self, g: torch.Generator) -> list[list[int]]:
        order = [
            row
            for component in _shuffled(self.groups, g)
            for profile_rows in _shuffled(component, g)
            for row in _shuffled(profile_rows, g)
        ]
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        return _shuffled(batches, g)

    def __len__(self) -> int:
        return _num_batches(self.num_rows, self.batch_size, self.drop_last)


class RuleBlockBatchSampler(SeededBatchSampler):
    """Batches that are blocks: ``block_profiles`` profiles x ``batch_size // block_profiles`` postings.

    Reads a table in ``pipeline.synth.blocks`` order, described by ``layout`` (first row, profiles, postings
    per block). Each batch picks a block (chance proportional to its number of pairs), then that many of its
    profiles and postings without replacement, and holds all their pairs, so P + Q texts carry P x Q scores.
    A block smaller than that gives a smaller batch. An epoch is as many batches as the table has rows
    divided by ``batch_size``; batches are drawn independently, so a pair may recur within an epoch.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        drop_last: bool,
        *args: Any,
        layout: Sequence[tuple[int, int, int]],
        block_profiles: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(dataset, batch_size, drop_last, *args, **kwargs)
        if not layout:
            raise ValueError("no blocks to sample from")
        if not 1 <= block_profiles <= batch_size:
            raise ValueError(f"block_profiles {block_profiles} must be in [1, batch_size {batch_size}]")
        rows = sum(p * q for _, p, q in layout)
        if rows != len(dataset):
            raise ValueError(f"the layout covers {rows} rows of a {len(dataset)}-row table")
        self.layout = [tuple(map(int, b)) for b in layout]
        self.block_profiles, self.block_postings = block_profiles, batch_size // block_profiles
        self.num_rows = rows

    def _batches(self, g: torch.Generator) -> list[list[int]]:
        weights = torch.tensor([p * q for _, p, q in self.layout], dtype=torch.float64)
        picks = torch.multinomial(weights, len(self), replacement=True, generator=g).tolist()
        batches = []
        for b in picks:
            start, p, q = self.layout[b]
            rows = torch.randperm(p, generator=g)[: self.block_profiles]
            cols = torch.randperm(q, generator=g)[: self.block_postings]
            batches.append((start + rows[:, None] * q + cols[None, :]).flatten().tolist())
        return batches

    def __len__(self) -> int:
        # Never 0: the last partial batch of a small table still counts (drop_last drops only short blocks).
        return max(1, -(-self.num_rows // self.batch_size))


# train.batches -> the sampler that builds its batches (``random`` is the Trainer's own).
SAMPLER_CLASSES: dict[str, type[SeededBatchSampler]] = {
    "length_grouped": LengthGroupedBatchSampler,
    "shared_texts": SharedTextBatchSampler,
    "rule_blocks": RuleBlockBatchSampler,
}


# Batches whose rows repeat texts: SharedTextLoss encodes each distinct text once.
SHARING_BATCHES = ("shared_texts", "rule_blocks")


def _length_grouped_sampler(dataset: datasets.Dataset, columns: Sequence[str]) -> Any:
    """A batch sampler that batches rows of similar length, so less padding is computed."""
    text_cols = [c for c in columns if c != "score"]
    lengths = [max(len(row[c]) for c in text_cols) for row in dataset.select_columns(text_cols)]
    # A partial, not a closure: the trainer pickles its arguments into every checkpoint.
    return functools.partial(LengthGroupedBatchSampler, lengths=lengths)


def _shared_text_sampler(dataset: datasets.Dataset) -> Any:
    """A batch sampler that fills each batch with pairs sharing profiles and postings."""
    import pandas as pd

    from pipeline.pairs.components import text_components

    profiles, postings = pd.Series(dataset["profile_text"]), pd.Series(dataset["posting_text"])
    components = text_components(profiles, postings).tolist()
    return functools.partial(SharedTextBatchSampler, profiles=profiles.tolist(), components=components)


def _rule_block_sampler(dataset: datasets.Dataset, block_profiles: int) -> Any:
    """A batch sampler of whole blocks (profiles x postings of one component, all pairs scored)."""
    import numpy as np

    from pipeline.synth.blocks import block_layout

    layout = block_layout(np.asarray(dataset["block"]), np.asarray(dataset["profile_text"], dtype=object))
    return functools.partial(RuleBlockBatchSampler, layout=layout, block_profiles=block_profiles)


def batch_sampler(cfg: Config, dataset: datasets.Dataset) -> Any | None:
    """``train.batches``'s sampler for a pair loss, or None for the Trainer's own (random) batches."""
    if cfg.train.batches == "length_grouped":
        return _length_grouped_sampler(dataset, train_columns(cfg.loss))
    if cfg.train.batches == "shared_texts":
        return _shared_text_sampler(dataset)
    if cfg.train.batches == "rule_blocks":
        return _rule_block_sampler(dataset, cfg.train.block_profiles)
    return None
