"""Length-grouped batches for the SentenceTransformerTrainer (its samplers ignore ``group_by_length``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from sentence_transformers.base.sampler import DefaultBatchSampler

MEGABATCH = 50  # batches per sorted window, as transformers' LengthGroupedSampler


class LengthGroupedBatchSampler(DefaultBatchSampler):
    """Shuffle, sort each window of ``MEGABATCH`` batches by length, cut it into batches, shuffle the batches.

    Rows of similar length share a batch, so the padded tensors are smaller; the order is random but a
    function of (seed, epoch) only, which a resumed run relies on to skip the batches it already trained on.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        drop_last: bool,
        valid_label_columns: list[str] | None = None,
        generator: torch.Generator | None = None,
        seed: int = 0,
        *,
        lengths: Sequence[int],
    ) -> None:
        super().__init__(
            dataset,
            batch_size=batch_size,
            drop_last=drop_last,
            valid_label_columns=valid_label_columns,
            generator=generator,
            seed=seed,
        )
        if len(lengths) != len(dataset):
            raise ValueError(f"{len(lengths)} lengths for {len(dataset)} rows")
        self.lengths = list(lengths)

    def _batches(self) -> list[list[int]]:
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        order = torch.randperm(len(self.lengths), generator=g).tolist()
        window = self.batch_size * MEGABATCH
        batches: list[list[int]] = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start : start + window], key=lambda i: -self.lengths[i])
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        perm = torch.randperm(len(batches), generator=g).tolist()
        return [batches[i] for i in perm]

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._batches()

    def __len__(self) -> int:
        n = len(self.lengths)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def text_components(left: Sequence[str], right: Sequence[str]) -> list[int]:
    """Connected component per row of the bipartite graph whose edges are the rows' (left, right) texts."""
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(x: tuple[int, str]) -> tuple[int, str]:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in zip(left, right, strict=True):
        ra, rb = find((0, a)), find((1, b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    ids: dict[tuple[int, str], int] = {}
    return [ids.setdefault(find((0, a)), len(ids)) for a in left]


class SharedTextBatchSampler(DefaultBatchSampler):
    """Batches of pairs that share texts: rows of one connected component, ordered by profile.

    Each epoch shuffles the components, the profiles within a component and the rows within a profile, lays
    the rows out in that order, cuts them into batches and shuffles the batches. A batch then holds a few
    profiles with all their pairs against postings of the same component, so it has far fewer distinct texts
    than rows (see pipeline.losses.SharedTextLoss). The order depends on (seed, epoch) only.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        drop_last: bool,
        valid_label_columns: list[str] | None = None,
        generator: torch.Generator | None = None,
        seed: int = 0,
        *,
        profiles: Sequence[str],
        components: Sequence[int],
    ) -> None:
        super().__init__(
            dataset,
            batch_size=batch_size,
            drop_last=drop_last,
            valid_label_columns=valid_label_columns,
            generator=generator,
            seed=seed,
        )
        if not len(profiles) == len(components) == len(dataset):
            raise ValueError(
                f"{len(profiles)} profiles / {len(components)} components for {len(dataset)} rows"
            )
        by_component: dict[int, dict[str, list[int]]] = {}
        for row, (profile, comp) in enumerate(zip(profiles, components, strict=True)):
            by_component.setdefault(comp, {}).setdefault(profile, []).append(row)
        self.groups = [list(rows.values()) for rows in by_component.values()]

    def _batches(self) -> list[list[int]]:
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)

        def shuffled(items: list[Any]) -> list[Any]:
            return [items[i] for i in torch.randperm(len(items), generator=g).tolist()]

        order = [
            row
            for component in shuffled(self.groups)
            for profile_rows in shuffled(component)
            for row in shuffled(profile_rows)
        ]
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        return shuffled(batches)

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._batches()

    def __len__(self) -> int:
        n = sum(len(rows) for component in self.groups for rows in component)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
