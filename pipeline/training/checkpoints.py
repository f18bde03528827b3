"""Resumable training: a fingerprint of what a run depends on, and its last complete checkpoint.

Checkpoints go to ``paths.checkpoints`` (outside DVC) every ``train.args.save_steps``. A rerun after a kill
resumes from the last complete checkpoint with the same fingerprint; any other checkpoint is discarded.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Config, to_dict
from pipeline.cpu import resolve_precision
from pipeline.io import file_sha256, write_json
from pipeline.training.views import train_view

if TYPE_CHECKING:
    from pipeline.config.schema import PathsConfig


FINGERPRINT_FILE = "fingerprint.json"


COMPLETE_MARKER = ".complete"  # written after a checkpoint is fully saved; a killed save leaves none


CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def _digest_files(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for p in files:
            h.update(f"{p.relative_to(root.parent)}\0{file_sha256(p)}\n".encode())
    return h.hexdigest()


def config_fingerprint(cfg: Config, paths: PathsConfig) -> str:
    """What a checkpoint must match to be resumed: training-relevant config, data files and base model."""
    relevant = {
        "seed": cfg.seed,
        "model": to_dict(cfg.model),
        "loss": to_dict(cfg.loss),
        "train": to_dict(cfg.train),
        # auto resolves per CPU class: a checkpoint trained in bf16 must not be resumed in fp32.
        "precision": resolve_precision(cfg.train.precision).dtype,
    }
    h = hashlib.sha256(json.dumps(relevant, sort_keys=True).encode())
    names = [train_view(cfg), "dev"]  # exactly the view the run trains on
    h.update(_digest_files([paths.split_dir / f"{n}.parquet" for n in names]).encode())
    h.update(_digest_files([paths.base_model]).encode())
    return h.hexdigest()


def last_checkpoint(checkpoint_dir: Path, fingerprint: str, *, cleanup: bool = True) -> Path | None:
    """The newest complete checkpoint saved under ``fingerprint``; stale or partial ones are deleted.

    Under torchrun every rank asks, and only rank 0 (``cleanup``) deletes or stamps: the others reach
    the same answer because they skip exactly what rank 0 deletes.
    """
    checkpoint_dir = Path(checkpoint_dir)
    stamp = checkpoint_dir / FINGERPRINT_FILE
    stored = json.loads(stamp.read_text())["fingerprint"] if stamp.exists() else None
    if stored != fingerprint:
        if not cleanup:
            return None
        if checkpoint_dir.exists():
            print(f"train: discarding checkpoints in {checkpoint_dir} (they belong to another config)")
            shutil.rmtree(checkpoint_dir)
        checkpoint_dir.mkdir(parents=True)
        write_json(stamp, {"fingerprint": fingerprint})
        return None
    found: list[tuple[int, Path]] = []
    for p in checkpoint_dir.iterdir():
        m = CHECKPOINT_RE.match(p.name)
        if not (m and p.is_dir()):
            continue
        if (p / COMPLETE_MARKER).exists():
            found.append((int(m.group(1)), p))
        elif cleanup:  # killed while saving
            shutil.rmtree(p, ignore_errors=True)
    return max(found)[1] if found else None


def truncate_live(live_dir: Path, max_step: int) -> None:
    """Drop DVCLive rows logged after ``max_step`` (by a run that was killed before its next checkpoint)."""
    for tsv in (live_dir / "plots" / "metrics").rglob("*.tsv"):
        lines = tsv.read_text().splitlines()
        if not lines:
            continue
        step_col = lines[0].split("\t").index("step")
        keep = [lines[0]] + [ln for ln in lines[1:] if int(ln.split("\t")[step_col]) <= max_step]
        tsv.write_text("\n".join(keep) + "\n")
