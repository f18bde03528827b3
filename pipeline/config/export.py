"""Schema of ``conf/export/*``: shipping artifacts and their parity gates."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config.checks import check_range


@dataclass
class ExportConfig:
    onnx: bool
    quantize: bool
    min_mean_cosine: float
    max_spearman_drop: float
    parity_max_texts: int

    def validate(self) -> None:
        check_range("min_mean_cosine", self.min_mean_cosine, 0.0, 1.0)
        check_range("max_spearman_drop", self.max_spearman_drop, 0.0, 1.0)
        check_range("parity_max_texts", self.parity_max_texts, 1)
