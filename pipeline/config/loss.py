"""Schema of ``conf/loss/*``: the training objective."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config.checks import check, check_choice, check_range

LOSSES = ("cosine", "cosent", "angle", "mnrl", "cached_mnrl")


@dataclass
class LossConfig:
    name: str
    scale: float  # cosent/angle/mnrl temperature scale
    mini_batch_size: int  # cached_mnrl only
    # Wrap the loss in MatryoshkaLoss with these dimensions (largest first); empty = no wrapper.
    matryoshka_dims: list[int] | None

    def validate(self) -> None:
        check_choice("name", self.name, LOSSES)
        check_range("scale", self.scale, 0.0, lo_open=True)
        check_range("mini_batch_size", self.mini_batch_size, 1)
        dims = self.matryoshka_dims or []
        check(
            all(d > 0 for d in dims) and dims == sorted(dims, reverse=True) and len(set(dims)) == len(dims),
            "matryoshka_dims",
            dims,
            "distinct positive dimensions, largest first",
        )

    @property
    def uses_triplets(self) -> bool:
        return self.name in ("mnrl", "cached_mnrl")
