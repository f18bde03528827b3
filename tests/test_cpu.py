"""Precision chosen by the machine: ``train.precision: auto`` picks bf16 only where it is native."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from pipeline import cpu
from pipeline.training.trainer import choose_precision
from tests.conftest import config_error

ROOT = Path(__file__).resolve().parent.parent
SAPPHIRE_RAPIDS = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16"})
ICE_LAKE = frozenset({"avx2", "avx512f", "avx512_vnni"})  # AVX-512 without bf16 instructions
EPYC_ZEN2 = frozenset({"avx2", "fma"})


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Pretend to be a CPU: its flags, PyTorch's kernel level and oneDNN's bf16 support."""

    def set_machine(flags: frozenset[str], capability: str, onednn_bf16: bool = True) -> None:
        monkeypatch.setattr(cpu, "cpu_flags", lambda: flags)
        monkeypatch.setattr(cpu, "_is_arm", lambda: False)
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: onednn_bf16)
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)

    return set_machine


def test_auto_picks_bf16_where_it_is_native(machine) -> None:  # type: ignore[no-untyped-def]
    machine(SAPPHIRE_RAPIDS, "AVX512")
    p = cpu.resolve_precision("auto")
    assert (p.setting, p.dtype, p.bf16) == ("auto", "bf16", True)
    assert "AVX512_BF16/AMX_BF16" in p.reason


@pytest.mark.parametrize(
    ("flags", "capability", "env", "why"),
    [
        (EPYC_ZEN2, "AVX2", None, "neither AVX512_BF16 nor AMX_BF16"),
        (ICE_LAKE, "AVX512", None, "neither AVX512_BF16 nor AMX_BF16"),
        # The AVX2 emulation on an AVX-512 machine: either variable alone caps the kernels.
        (SAPPHIRE_RAPIDS, "AVX512", "AVX2", "ONEDNN_MAX_CPU_ISA=AVX2"),
        (SAPPHIRE_RAPIDS, "AVX512", "AVX512_CORE", "ONEDNN_MAX_CPU_ISA=AVX512_CORE"),
        (SAPPHIRE_RAPIDS, "AVX2", None, "ATEN_CPU_CAPABILITY"),
    ],
)
def test_auto_picks_fp32_where_bf16_is_emulated(  # type: ignore[no-untyped-def]
    machine,
    monkeypatch: pytest.MonkeyPatch,
    flags: frozenset[str],
    capability: str,
    env: str | None,
    why: str,
) -> None:
    machine(flags, capability)
    if env:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", env)
    p = cpu.resolve_precision("auto")
    assert (p.dtype, p.bf16) == ("fp32", False)
    assert why in p.reason


def test_auto_picks_fp32_where_onednn_has_no_bf16(machine) -> None:  # type: ignore[no-untyped-def]
    machine(SAPPHIRE_RAPIDS, "AVX512", onednn_bf16=False)
    assert cpu.resolve_precision("auto").dtype == "fp32"


def test_explicit_settings_are_kept(machine) -> None:  # type: ignore[no-untyped-def]
    machine(EPYC_ZEN2, "AVX2")
    assert cpu.resolve_precision("fp32").dtype == "fp32"
    assert cpu.resolve_precision("bf16").dtype == "bf16"
    with pytest.raises(ValueError, match="fp16"):
        cpu.resolve_precision("fp16")


def test_explicit_bf16_without_native_support_warns_with_the_measured_slowdown(  # type: ignore[no-untyped-def]
    machine, capsys: pytest.CaptureFixture[str]
) -> None:
    machine(EPYC_ZEN2, "AVX2")
    p = choose_precision("bf16")
    assert p.dtype == "bf16"  # it still runs
    out, err = capsys.readouterr()
    assert "train: precision bf16 (bf16)" in out
    warning = [line for line in err.splitlines() if line.startswith("warning: train.precision=bf16")]
    assert len(warning) == 1 and "x slower than fp32 here" in warning[0], err
    # The figure is measured by the probe, not typed in: it parses as a positive number.
    assert float(warning[0].split("ran ")[1].split("x slower")[0]) > 0


def test_auto_and_native_bf16_do_not_warn(machine, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    machine(SAPPHIRE_RAPIDS, "AVX512")
    assert choose_precision("bf16").dtype == "bf16"
    assert choose_precision("auto").dtype == "bf16"
    machine(EPYC_ZEN2, "AVX2")
    assert choose_precision("auto").dtype == "fp32"
    assert "warning" not in capsys.readouterr().err


def test_bf16_probe_measures_a_ratio() -> None:
    assert cpu.bf16_slowdown(rows=32, repeats=1) > 0


def test_avx2_emulation_variables_make_auto_choose_fp32_on_any_cpu() -> None:
    """The real detection (no monkeypatching) in a fresh process under the AVX2 emulation variables."""
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "PYTHONPATH": str(ROOT)}
    code = "import json; from pipeline.cpu import resolve_precision as r; print(json.dumps(r('auto').dtype))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == "fp32"


def test_precision_config_lists_auto() -> None:
    err = config_error({"train.precision": "fp16"})
    assert err.key == "train.precision" and err.value == "fp16" and "'auto'" in err.allowed


@pytest.mark.parametrize(
    ("flags", "preset"),
    [(SAPPHIRE_RAPIDS, "avx512_vnni"), (frozenset({"avx2", "avx512f"}), "avx512"), (EPYC_ZEN2, "avx2")],
)
def test_int8_preset_follows_the_cpu(
    monkeypatch: pytest.MonkeyPatch, flags: frozenset[str], preset: str
) -> None:
    monkeypatch.setattr(cpu, "cpu_flags", lambda: flags)
    monkeypatch.setattr(cpu, "_is_arm", lambda: False)
    assert cpu.detect_quantization() == preset
