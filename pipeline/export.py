"""DVC stage ``export``: the fine-tuned model as a shippable folder, with ONNX, int8 ONNX and a model card.

Reads ``data/model`` (train stage), ``data/split`` and the metrics of the data, split and evaluate stages.
Writes:

* ``data/export/model/``: a sentence-transformers folder (loads with ``SentenceTransformer(path)``), its
  ``onnx/model.onnx`` and ``onnx/model_qint8_<preset>.onnx``, made with sentence-transformers' export
  utilities (load with ``backend="onnx", model_kwargs={"file_name": ...}``), ``README.md``, the model card
  (:mod:`pipeline.model_card`), and ``manifest.json``: hash of the config the model depends on, hashes of
  the data, the metrics (evaluation + parity), library versions and the sha256 of every other file in the
  folder. The folder is built aside and swapped in whole, so files and manifest always agree.
* ``metrics/export.json``: parity of each ONNX file against PyTorch on test-split texts: mean/min cosine
  of the embeddings and the Spearman of cosine vs rule score on test pairs. A figure past its gate
  (``export.min_mean_cosine``, ``export.max_spearman_drop``) fails the stage and nothing is written.
  It is removed before the folder is swapped and written after, so it never describes another folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import json
import math
import os
import platform
import random
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch  # before run_stage, so that apply_runtime sets its thread count

from pipeline.config import Config, to_dict
from pipeline.cpu import detect_quantization
from pipeline.io import atomic_path, file_sha256, write_json
from pipeline.match import MANIFEST, ONNX_FILE, encode, load_model
from pipeline.models.resolve import save_model
from pipeline.progress import heartbeat
from pipeline.runtime import run_stage

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ExportPaths",
    "ParityError",
    "config_hash",
    "export",
    "main",
    "model_params",
    "parity_report",
    "parity_sample",
    "tree_sha256",
]

MODEL_PARAMS = ("seed", "data", "model", "loss", "train")  # what data/model is a function of
INT8_BACKEND = "onnx-int8"
VERSIONED = (
    "sentence-transformers",
    "transformers",
    "torch",
    "tokenizers",
    "datasets",
    "onnx",
    "onnxruntime",
    "optimum",
    "optimum-onnx",
    "dvc",
)


@dataclass
class ExportPaths:
    model_dir: Path = Path("data/model")
    split_dir: Path = Path("data/split")
    out_dir: Path = Path("data/export/model")
    eval_metrics: Path = Path("metrics/eval.json")
    data_metrics: Path = Path("metrics/data.json")
    split_metrics: Path = Path("metrics/split.json")
    export_metrics: Path = Path("metrics/export.json")
    dvc_lock: Path = Path("dvc.lock")
    eval_plots: Path = Path("plots/eval")  # the card's pictures are drawn from its tables
    # How the card's usage snippet refers to the folder (relative to the repository root).
    model_ref: str = "data/export/model"


class ParityError(RuntimeError):
    """An exported backend's embeddings drifted from PyTorch's past the configured gate."""


# --- config and data hashes ---------------------------------------------------------------------------


def model_params(cfg: Config) -> dict[str, Any]:
    return {
        name: getattr(cfg, name) if name == "seed" else to_dict(getattr(cfg, name)) for name in MODEL_PARAMS
    }


def config_hash(cfg: Config) -> str:
    """sha256 of the params the fine-tuned model depends on (canonical JSON: sorted keys)."""
    blob = json.dumps(model_params(cfg), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def tree_sha256(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def dvc_lock_hashes(lock: Path) -> dict[str, str]:
    """``{out path: md5}`` of every stage output DVC recorded (upstream of us), or {} without a lock file."""
    if not lock.is_file():
        return {}
    import yaml

    data = yaml.safe_load(lock.read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    for name, stage in (data.get("stages") or {}).items():
        if name == "export":
            continue
        for entry in stage.get("outs") or []:
            if "md5" in entry:
                out[entry["path"]] = entry["md5"]
    return out


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for dist in VERSIONED:
        try:
            out[dist.replace("-", "_")] = md.version(dist)
        except md.PackageNotFoundError:
            continue
    return out


def git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return None
    return proc.stdout.strip() or None


# --- parity ---------------------------------------------------------------------------------------------


def parity_sample(test: pd.DataFrame, max_texts: int, seed: int) -> tuple[list[str], pd.DataFrame]:
    """At most ``max_texts`` unique test texts (profiles and postings) and every test pair among them.

    The Spearman check needs many pairs for its budget of texts: a random sample of texts holds about
    one pair per two texts, and on a few hundred pairs int8 rounding alone moves Spearman by more than
    the 0.005 gate. So texts are picked greedily, each time the one that completes the most pairs with
    those already picked (a seeded shuffle breaks ties and picks where a new cluster starts): the
    sample grows along the profile-posting graph, is deterministic, and keeps pairs dense.
    """
    neighbours: dict[str, set[str]] = {}
    for profile, posting in zip(test.profile_text, test.posting_text, strict=True):
        neighbours.setdefault(profile, set()).add(posting)
        neighbours.setdefault(posting, set()).add(profile)
    order = list(neighbours)
    random.Random(seed).shuffle(order)
    rank = {t: i for i, t in enumerate(order)}
    budget = min(max_texts, len(order))
    chosen: dict[str, None] = {}
    gain: dict[str, int] = {}  # unchosen text -> pairs it would complete
    heap: list[tuple[int, int, str]] = []  # (-gain, rank, text); stale entries are skipped
    next_seed = 0
    while len(chosen) < budget:
        pick = None
        while heap:
            neg, _, text = heapq.heappop(heap)
            if text not in chosen and gain.get(text) == -neg:
                pick = text
                break
        if pick is None:  # nothing completes a pair: start from the next text in seeded order
            while order[next_seed] in chosen:
                next_seed += 1
            pick = order[next_seed]
        chosen[pick] = None
        gain.pop(pick, None)
        for other in neighbours[pick]:
            if other not in chosen:
                gain[other] = gain.get(other, 0) + 1
                heapq.heappush(heap, (-gain[other], rank[other], other))
    texts = list(chosen)
    keep = test.profile_text.isin(chosen) & test.posting_text.isin(chosen)
    return texts, test.loc[keep, ["profile_text", "posting_text", "score"]].reset_index(drop=True)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(a) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: NaN is the answer, handled by the caller
        return float(spearmanr(a, b).statistic)


def parity_report(
    reference: np.ndarray,
    candidates: dict[str, np.ndarray],
    texts: Sequence[str],
    pairs: pd.DataFrame,
) -> dict[str, Any]:
    """Figures of each candidate's embeddings (rows aligned with ``texts``) against ``reference``."""
    index = {t: i for i, t in enumerate(texts)}
    qi = pairs.profile_text.map(index).to_numpy()
    di = pairs.posting_text.map(index).to_numpy()
    scores = pairs.score.to_numpy(dtype=np.float64)

    def pair_spearman(emb: np.ndarray) -> float:
        return _spearman(np.sum(emb[qi] * emb[di], axis=1), scores)

    ref_spearman = pair_spearman(reference)
    report: dict[str, Any] = {
        "parity_texts": len(texts),
        "parity_pairs": len(pairs),
        "torch_spearman": ref_spearman,
    }
    for name, emb in candidates.items():
        cos = np.sum(reference * emb, axis=1)
        spearman = pair_spearman(emb)
        report[name] = {
            "mean_cosine": float(cos.mean()),
            "min_cosine": float(cos.min()),
            "spearman": spearman,
            # Both undefined (e.g. constant scores) compares nothing: no drop.
            "spearman_drop": 0.0
            if math.isnan(ref_spearman) and math.isnan(spearman)
            else ref_spearman - spearman,
        }
    return report


def check_parity(report: dict[str, Any], min_mean_cosine: float, max_spearman_drop: float) -> None:
    """Raise :class:`ParityError` naming every figure past its gate (NaN never passes)."""
    problems = []
    for name, fig in report.items():
        if not isinstance(fig, dict):
            continue
        if not fig["mean_cosine"] >= min_mean_cosine:
            problems.append(
                f"{name}: mean cosine vs torch {fig['mean_cosine']:.6f} "
                f"< export.min_mean_cosine {min_mean_cosine}"
            )
        if not fig["spearman_drop"] <= max_spearman_drop:
            problems.append(
                f"{name}: spearman {fig['spearman']:.6f} vs torch {report['torch_spearman']:.6f}, drop "
                f"{fig['spearman_drop']:.6f} > export.max_spearman_drop {max_spearman_drop}"
            )
    if problems:
        raise ParityError(
            f"export parity failed on {report['parity_texts']} test texts / {report['parity_pairs']} pairs: "
            + "; ".join(problems)
        )


# --- stage ----------------------------------------------------------------------------------------------


def _require(paths: Sequence[Path], hint: str) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"missing {', '.join(missing)}; {hint}")


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def export(cfg: Config, paths: ExportPaths | None = None) -> dict[str, Any]:
    """Build the export folder, check parity, write card, metrics and manifest; returns the parity report."""
    import pandas as pd

    from pipeline.model_card import CardInputs, build_model_card
    from pipeline.plots import write_card_images

    paths = paths or ExportPaths()
    started = time.perf_counter()
    _require([paths.model_dir / "modules.json"], "run the train stage first (`dvc repro train`)")
    _require(
        [paths.split_dir / f"{s}.parquet" for s in ("train", "dev", "test")], "run `dvc repro split` first"
    )
    _require(
        [paths.eval_metrics],
        "run the evaluate stage first (`dvc repro evaluate`); the card shows its numbers",
    )
    torch.set_num_threads(cfg.runtime.num_threads)
    threads = cfg.runtime.num_threads
    preset = int8_preset(cfg.export.quantization)

    model = load_model(paths.model_dir, "torch", num_threads=threads)
    test = pd.read_parquet(paths.split_dir / "test.parquet")
    texts, pairs = parity_sample(test, cfg.export.parity_max_texts, cfg.seed)

    onnx_files: dict[str, str] = {}
    # The metrics file is removed as the new folder comes in and written after it (pipeline.io).
    with atomic_path(paths.out_dir, stale=[paths.export_metrics]) as tmp:
        # Saving again (rather than copying) keeps only what loading needs, and the card is ours to write.
        save_model(model, tmp, create_model_card=False)
        candidates: dict[str, np.ndarray] = {}
        if cfg.export.onnx:
            onnx_files = _export_onnx(tmp, cfg, preset)
        # fp32 on every CPU: parity compares the fp32 graphs, so bf16 autocast would only add noise.
        reference = encode(model, texts, cfg.export.batch_size, desc="export: parity torch")
        for backend, file_name in onnx_files.items():
            onnx_model = load_model(tmp, "onnx", num_threads=threads, file_name=file_name)
            candidates[backend] = encode(
                onnx_model, texts, cfg.export.batch_size, desc=f"export: parity {backend}"
            )
        report = parity_report(reference, candidates, texts, pairs)
        check_parity(report, cfg.export.min_mean_cosine, cfg.export.max_spearman_drop)

        eval_metrics = _read_json(paths.eval_metrics)
        inputs = CardInputs(
            cfg=cfg,
            train_df=_train_view(cfg, paths.split_dir),
            eval_df=None,
            test_df=test,
            eval_metrics=eval_metrics,
            data_metrics=_read_json(paths.data_metrics),
            split_metrics=_read_json(paths.split_metrics),
            parity=report,
            onnx_files=onnx_files,
            versions=versions(),
            model_ref=paths.model_ref,
            trainer_readme=_read_text(paths.model_dir / "README.md"),
            images=write_card_images(paths.eval_plots, tmp),  # inside tmp: listed in the manifest
        )
        card_model = load_model(tmp, "torch", num_threads=threads)
        (tmp / "README.md").write_text(build_model_card(card_model, inputs), encoding="utf-8")
        manifest = {
            "model": {
                "path": paths.model_ref,
                "type": "sentence-transformers",
                "onnx_files": onnx_files,
                "quantization": preset if cfg.export.quantize else None,
                "files_sha256": tree_sha256(tmp),
            },
            "config_hash": config_hash(cfg),
            "config_hash_of": list(MODEL_PARAMS),
            "config": model_params(cfg),
            "data": {
                "split_sha256": {p.name: file_sha256(p) for p in sorted(paths.split_dir.glob("*.parquet"))},
                "dvc_lock_md5": dvc_lock_hashes(paths.dvc_lock),
            },
            "metrics": {"eval": eval_metrics, "export": report},
            "versions": versions(),
            "git_commit": git_commit(),
        }
        write_json(tmp / MANIFEST, manifest)

    write_json(paths.export_metrics, report)
    for backend, fig in report.items():
        if isinstance(fig, dict):
            print(
                f"export: {backend}: mean cosine {fig['mean_cosine']:.4f}, spearman {fig['spearman']:.4f} "
                f"(torch {report['torch_spearman']:.4f})"
            )
    took = time.perf_counter() - started
    print(f"export: wrote {paths.out_dir} and {paths.export_metrics} in {took:.1f} s")
    return report


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


def _export_onnx(folder: Path, cfg: Config, preset: str) -> dict[str, str]:
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


def _train_view(cfg: Config, split_dir: Path) -> pd.DataFrame:
    """The rows the loss trained on (same columns and sampling as the train stage)."""
    from pipeline.train import load_train_dataset

    return load_train_dataset(cfg, split_dir).to_pandas()  # type: ignore[return-value]


def _read_text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def main(cfg: Config) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; a Hub lookup would only stall
    try:
        export(cfg)
    except (ParityError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    run_stage(main)
