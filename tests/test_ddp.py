"""Training under torchrun with 2 CPU processes (DDP, gloo) on the tiny model (slow).

Checks that training completes, that only rank 0 writes the model and the metrics, and that the
saved model loads and scores within noise of a single-process run with the same global batch.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.config.compose import compose_dict

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

STEPS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workdir(
    root: Path, split_dir: Path, model_dir: Path, tiny_overrides: tuple[str, ...], batch: int
) -> Path:
    root.mkdir(parents=True)
    (root / "data").mkdir()
    shutil.copytree(split_dir, root / "data" / "split")
    shutil.copytree(model_dir, root / "data" / "base_model")
    overrides = [
        *tiny_overrides,
        f"train.args.max_steps={STEPS}",
        f"train.args.per_device_train_batch_size={batch}",
        "train.args.eval_steps=10",
    ]
    params = compose_dict(overrides)
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return root


def _run(cwd: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def test_two_process_ddp_matches_single_process(
    tmp_path: Path, tiny_split_dir: Path, tiny_model_dir: Path, tiny_overrides: tuple[str, ...]
) -> None:
    from sentence_transformers import SentenceTransformer

    single = _workdir(tmp_path / "single", tiny_split_dir, tiny_model_dir, tiny_overrides, batch=16)
    _run(single, sys.executable, "-m", "pipeline.stages.train")

    # Same global batch: 2 processes x 8.
    ddp = _workdir(tmp_path / "ddp", tiny_split_dir, tiny_model_dir, tiny_overrides, batch=8)
    proc = _run(
        ddp,
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        f"--master_port={_free_port()}",
        "-m",
        "pipeline.stages.train",
    )
    log = proc.stdout + proc.stderr
    # Each rank announces itself; only rank 0 saves.
    assert "rank 0/2: saved model" in log
    assert "rank 1/2: saved model" not in log

    one = json.loads((single / "metrics" / "train.json").read_text())
    two = json.loads((ddp / "metrics" / "train.json").read_text())
    assert two["world_size"] == 2 and one["world_size"] == 1
    assert two["global_step"] == one["global_step"] == STEPS
    # No stray temporary folders from a second writer.
    assert sorted(p.name for p in (ddp / "data").iterdir()) == sorted(
        p.name for p in (single / "data").iterdir()
    )

    model = SentenceTransformer(str(ddp / "data" / "model"), device="cpu")
    base = SentenceTransformer(str(ddp / "data" / "base_model"), device="cpu")
    text = ["부산 장고 개발자"]
    trained, untrained = (
        model.encode(text, normalize_embeddings=True),
        base.encode(text, normalize_embeddings=True),
    )
    assert float((trained * untrained).sum()) < 0.9999  # the synced updates reached rank 0's saved weights
    # The tiny model's dev spearman on the tiny dev set is noise of about ±0.1 (0.119 vs 0.015 at 30 steps,
    # 0.070 vs -0.071 at 300): within noise means within twice that, and finite.
    assert abs(two["dev_spearman_cosine"] - one["dev_spearman_cosine"]) < 0.25, (one, two)
