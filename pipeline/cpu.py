"""What this CPU runs natively: the training precision (``train.precision: auto``) and the int8 ONNX preset.

bf16 autocast is only fast where the CPU has bf16 dot-product instructions (AVX512_BF16 or AMX_BF16 on
x86, the BF16 extension on ARM). Elsewhere PyTorch emulates it: on a 2-core AVX2-only EPYC a forward and
backward 1280x384 @ 384x1536 matmul took 93 ms in fp32 and 2,491 ms under bf16 autocast (27x slower),
while an AVX512_BF16 Xeon ran bf16 1.7x faster than fp32. The choice is made from CPU features, not
timings, so the same machine class always picks the same precision (and trains the same bytes).

Emulating an AVX2-only machine on an AVX-512 one (``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``)
is honoured: both variables cap the kernels PyTorch may use, so they cap what counts as native too.
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "PRECISIONS",
    "Precision",
    "bf16_slowdown",
    "cpu_flags",
    "detect_quantization",
    "native_bf16",
    "resolve_precision",
]

PRECISIONS = ("auto", "fp32", "bf16")
_X86_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# oneDNN ISA caps (ONEDNN_MAX_CPU_ISA) below avx512_core_bf16: bf16 is converted, not computed, there.
# Measured under ONEDNN_MAX_CPU_ISA=AVX512_CORE: bf16 2.3x slower than fp32.
_ONEDNN_NO_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI")


@cache
def cpu_flags() -> frozenset[str]:
    """The feature flags of /proc/cpuinfo (``flags`` on x86, ``Features`` on ARM); empty elsewhere."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def _is_arm() -> bool:
    return platform.machine().lower() in ("arm64", "aarch64")


def native_bf16() -> tuple[bool, str]:
    """Whether bf16 matmuls run natively here, and why (one line for the stage's log)."""
    import torch

    flags = cpu_flags()
    if _is_arm():
        if "bf16" not in flags:
            return False, "this ARM CPU has no BF16 extension"
    elif not any(f in flags for f in _X86_BF16_FLAGS):
        return False, "this CPU has neither AVX512_BF16 nor AMX_BF16, so bf16 matmuls are emulated"
    isa_cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if isa_cap in _ONEDNN_NO_BF16:
        return False, f"ONEDNN_MAX_CPU_ISA={isa_cap} caps oneDNN below its bf16 kernels"
    capability = torch.backends.cpu.get_cpu_capability()
    if not _is_arm() and not capability.startswith("AVX512"):
        return False, f"PyTorch runs {capability} kernels here (ATEN_CPU_CAPABILITY), not AVX512"
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return False, "oneDNN reports no bf16 support on this CPU"
    found = "BF16" if _is_arm() else "/".join(f.upper() for f in _X86_BF16_FLAGS if f in flags)
    return True, f"the CPU runs bf16 natively ({found}, {capability} kernels)"


@dataclass(frozen=True)
class Precision:
    setting: str  # what the config asked for: auto, fp32 or bf16
    dtype: str  # what runs: fp32 or bf16
    reason: str
    native_bf16: bool  # whether this CPU computes bf16 natively (what auto decides on)

    @property
    def bf16(self) -> bool:
        return self.dtype == "bf16"


def resolve_precision(setting: str) -> Precision:
    """``train.precision`` made concrete: ``auto`` picks bf16 only where it is native."""
    if setting not in PRECISIONS:
        raise ValueError(f"precision {setting!r} is not one of {PRECISIONS}")
    native, why = native_bf16()
    if setting == "auto":
        return Precision(setting, "bf16" if native else "fp32", why, native)
    if setting == "bf16" and not native:
        return Precision(setting, "bf16", f"{why}; asked for explicitly", native)
    return Precision(setting, setting, "asked for explicitly", native)


def bf16_slowdown(rows: int = 256, repeats: int = 3) -> float:
    """How many times slower a forward+backward matmul runs under bf16 autocast than in fp32, here.

    A short probe (well under a second where bf16 is native, about one second where it is emulated)
    for the warning on an explicit ``bf16``; never used to choose, so choices stay deterministic.
    """
    import torch

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(rows, 384, generator=gen, requires_grad=True)
    w = torch.randn(384, 1536, generator=gen, requires_grad=True)

    def best(bf16: bool) -> float:
        times = []
        for _ in range(repeats + 1):  # the first call warms up the kernels
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                y = x @ w
            y.float().sum().backward()
            times.append(time.perf_counter() - start)
        return min(times[1:])

    return best(True) / best(False)


def detect_quantization() -> str:
    """The best dynamic int8 preset of optimum for this CPU: avx512_vnni > avx512 > avx2 (arm64 on ARM)."""
    if _is_arm():
        return "arm64"
    flags = cpu_flags()
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    return "avx2"
