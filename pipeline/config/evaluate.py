"""Schema of ``conf/eval/*``: test-split evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from pipeline.config.checks import check, check_range

EXTRA_FILE_SUFFIXES = (".tsv", ".csv")


@dataclass
class EvalConfig:
    relevance_threshold: float  # a posting is relevant to a profile when its rule score passes this
    batch_size: int
    max_sts_pairs: int | None  # STS on a seeded sample of this many test pairs; null = all
    scatter_sample: int  # pairs drawn for the cosine-vs-score scatter plot
    # KorSTS-style files (sentence1, sentence2, score on 0-1 or 0-5) also scored by STS, per model.
    extra_files: list[str]

    def validate(self) -> None:
        check_range("relevance_threshold", self.relevance_threshold, 0.0, 1.0)
        check_range("batch_size", self.batch_size, 1)
        if self.max_sts_pairs is not None:
            check_range("max_sts_pairs", self.max_sts_pairs, 2)
        check_range("scatter_sample", self.scatter_sample, 1)
        bad = [p for p in self.extra_files if PurePath(p).suffix.lower() not in EXTRA_FILE_SUFFIXES]
        check(not bad, "extra_files", self.extra_files, f"paths of .tsv or .csv files (not {bad[:1]})")
        check(
            len(set(self.extra_files)) == len(self.extra_files),
            "extra_files",
            self.extra_files,
            "distinct paths",
        )
