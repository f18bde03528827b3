"""The shippable folder: PyTorch weights, ONNX files, model card with pictures and manifest, swapped in whole
after the parity gate passed (see :mod:`pipeline.stages.export` for what it holds)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.config import Config
from pipeline.io import atomic_path, file_sha256, write_json
from pipeline.models.resolve import save_model
from pipeline.release.manifest import (
    MODEL_PARAMS,
    config_hash,
    dvc_lock_hashes,
    git_commit,
    model_params,
    tree_sha256,
    versions,
)
from pipeline.release.onnx import export_onnx, int8_preset
from pipeline.release.parity import check_parity, parity_report, parity_sample
from pipeline.serving.matcher import MANIFEST, encode, load_model


def _require(paths: Sequence[Path], hint: str) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"missing {', '.join(missing)}; {hint}")


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def export(cfg: Config, root: Path | None = None) -> dict[str, Any]:
    """Build the export folder, check parity, write card, metrics and manifest; returns the parity report."""
    import pandas as pd

    from pipeline.release.card import CardInputs, build_model_card
    from pipeline.release.plots import write_card_images

    root = Path.cwd() if root is None else Path(root)
    paths = cfg.paths.under(root)
    model_ref = cfg.paths.export_model.as_posix()  # how the card's usage snippet refers to the folder
    started = time.perf_counter()
    _require(
        [paths.model / "modules.json", paths.model / "README.md"],
        "run the train stage first (`dvc repro train`); its model card is the base of the exported one",
    )
    _require(
        [paths.split_dir / f"{s}.parquet" for s in ("train", "dev", "test")], "run `dvc repro split` first"
    )
    _require(
        [paths.eval_metrics],
        "run the evaluate stage first (`dvc repro evaluate`); the card shows its numbers",
    )
    threads = cfg.runtime.num_threads
    preset = int8_preset(cfg.export.quantization)

    model = load_model(paths.model, "torch", num_threads=threads)
    test = pd.read_parquet(paths.split_dir / "test.parquet")
    texts, pairs = parity_sample(test, cfg.export.parity_max_texts, cfg.seed)

    onnx_files: dict[str, str] = {}
    # The metrics file is removed as the new folder comes in and written after it (pipeline.io).
    with atomic_path(paths.export_model, stale=[paths.export_metrics]) as tmp:
        # Saving again (rather than copying) keeps only what loading needs; the card is written below.
        save_model(model, tmp, create_model_card=False)
        candidates: dict[str, np.ndarray] = {}
        if cfg.export.onnx:
            onnx_files = export_onnx(tmp, cfg, preset)
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
            eval_metrics=eval_metrics,
            data_metrics=_read_json(paths.data_metrics),
            split_metrics=_read_json(paths.split_metrics),
            parity=report,
            onnx_files=onnx_files,
            versions=versions(),
            model_ref=model_ref,
            images=write_card_images(paths.eval_plots, tmp),  # inside tmp: listed in the manifest
        )
        trainer_card = (paths.model / "README.md").read_text(encoding="utf-8")
        (tmp / "README.md").write_text(build_model_card(trainer_card, inputs), encoding="utf-8")
        manifest = {
            "model": {
                "path": model_ref,
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
                "dvc_lock_md5": dvc_lock_hashes(root / "dvc.lock"),
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
    print(f"export: wrote {paths.export_model} and {paths.export_metrics} in {took:.1f} s")
    return report
