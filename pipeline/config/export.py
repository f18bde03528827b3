"""Schema of ``conf/export/*``: shipping artifacts and their parity gates."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.config.checks import check, check_choice, check_range

# Dynamic int8 presets of optimum's AutoQuantizationConfig (avx2 and avx512 with signed 7-bit weights, see
# pipeline/export.py); "auto": avx2 on any x86 CPU, arm64 on ARM.
QUANTIZATIONS = ("auto", "avx512_vnni", "avx512", "avx2", "arm64")


@dataclass
class ExportConfig:
    onnx: bool
    quantize: bool
    quantization: str
    # Regexes of ONNX MatMul node names kept in fp32 in the int8 model, e.g. "/output/dense/MatMul$" (the
    # FFN output projections, whose GELU-activated inputs quantize worst): more accurate, slower.
    int8_fp32_nodes: list[str]
    min_mean_cosine: float
    max_spearman_drop: float
    parity_max_texts: int
    batch_size: int

    def validate(self) -> None:
        # The int8 model is quantized from the ONNX export, so it cannot exist without it.
        check(self.onnx or not self.quantize, "onnx", self.onnx, "true while quantize is true")
        check_choice("quantization", self.quantization, QUANTIZATIONS)
        bad = [p for p in self.int8_fp32_nodes if not _compiles(p)]
        check(not bad, "int8_fp32_nodes", self.int8_fp32_nodes, f"regular expressions (Python re); not {bad}")
        check_range("min_mean_cosine", self.min_mean_cosine, 0.0, 1.0)
        check_range("max_spearman_drop", self.max_spearman_drop, 0.0, 1.0)
        check_range("parity_max_texts", self.parity_max_texts, 1)
        check_range("batch_size", self.batch_size, 1)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
