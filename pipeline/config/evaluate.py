"""Schema of ``conf/eval/*``: test-split evaluation."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config.checks import check_range


@dataclass
class EvalConfig:
    relevance_threshold: float  # a posting is relevant to a profile when its rule score passes this
    batch_size: int
    max_sts_pairs: int | None
    scatter_sample: int
    extra_files: list[str]

    def validate(self) -> None:
        check_range("relevance_threshold", self.relevance_threshold, 0.0, 1.0)
        check_range("batch_size", self.batch_size, 1)
        check_range("scatter_sample", self.scatter_sample, 1)
