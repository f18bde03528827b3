"""ONNX and int8 ONNX files next to the PyTorch weights, with sentence-transformers' export utilities."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import Config
from pipeline.cpu import detect_quantization
from pipeline.models.resolve import save_model
from pipeline.progress import heartbeat
from pipeline.serving.matcher import ONNX_FILE

if TYPE_CHECKING:
    pass


INT8_BACKEND = "onnx-int8"


def int8_preset(setting: str) -> str:
    """``auto``: the avx2 settings below on any x86 CPU (arm64 on ARM); otherwise the named preset.

    Measured on an AVX512-VNNI CPU (1 thread, 300 test texts): the 7-bit U8S8 file encodes as fast as
    optimum's avx512_vnni preset (92.7 vs 92.2 texts/s, 2.7x PyTorch) with the same mean cosine to PyTorch
    (0.9952 vs 0.9954), and it is the file whose kernels suit AVX2: one file for every x86 machine.
    """
    if setting != "auto":
        return setting
    return "arm64" if detect_quantization() == "arm64" else "avx2"


def _quantization_config(preset: str, keep: list[str]) -> Any:
    """optimum's dynamic preset, except that x86 without VNNI gets signed 7-bit weights (U8S8, reduce_range).

    optimum's avx2 preset stores u8 weights, which ONNX Runtime runs with its slower U8U8 kernels; on AVX2 and
    AVX-512 without VNNI the fast U8S8 kernel (vpmaddubsw) can saturate its int16 sums unless the weights
    keep to 7 bits, which is what ONNX Runtime's quantization guide recommends there.
    """
    from onnxruntime.quantization import QuantType
    from optimum.onnxruntime.configuration import AutoQuantizationConfig

    qconfig = getattr(AutoQuantizationConfig, preset)(is_static=False, nodes_to_exclude=keep)
    if preset in ("avx2", "avx512"):
        qconfig = dataclasses.replace(qconfig, weights_dtype=QuantType.QInt8, reduce_range=True)
    return qconfig


def export_onnx(folder: Path, cfg: Config, preset: str) -> dict[str, str]:
    """onnx/model.onnx (and the int8 file) next to the PyTorch weights in ``folder``.

    No offline graph optimisation: ONNX Runtime applies its fusions (attention, LayerNorm, GELU) when it
    loads a model (ORT_ENABLE_ALL), and a graph fused offline (optimum O2) encoded no faster here (35.5 vs
    37.3 texts/s) and cannot be quantized (its contrib ops defeat shape inference).
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model

    # No onnx/model.onnx yet: loading with backend="onnx" exports it (optimum), saving writes onnx/.
    # No file_name here: with one, sentence-transformers looks for an onnx/ subfolder that does not exist.
    with heartbeat("export: ONNX export"):
        onnx_model = SentenceTransformer(
            str(folder),
            backend="onnx",
            device="cpu",
            local_files_only=True,
            model_kwargs={"provider": "CPUExecutionProvider"},
        )
        save_model(onnx_model, folder, create_model_card=False)
    files = {"onnx": ONNX_FILE}
    if cfg.export.quantize:
        keep = _matmul_nodes(folder / ONNX_FILE, cfg.export.int8_fp32_nodes)
        qconfig = _quantization_config(preset, keep)
        # Named as the preset alone would name it, with the weights' real type: model_qint8_avx2.onnx.
        suffix = f"{qconfig.weights_dtype.name.lower()}_{preset}"
        with heartbeat(f"export: int8 quantization ({preset})"):
            export_dynamic_quantized_onnx_model(onnx_model, qconfig, str(folder), file_suffix=suffix)
        files[INT8_BACKEND] = f"onnx/model_{suffix}.onnx"
    return files


def _matmul_nodes(onnx_file: Path, patterns: Sequence[str]) -> list[str]:
    """Names of the MatMul nodes in ``onnx_file`` that match any of ``patterns`` (regex search)."""
    if not patterns:
        return []
    import onnx

    graph = onnx.load(str(onnx_file), load_external_data=False).graph
    names = [n.name for n in graph.node if n.op_type == "MatMul"]
    return [n for n in names if any(re.search(p, n) for p in patterns)]
