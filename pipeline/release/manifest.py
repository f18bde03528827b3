"""The exported folder's ``manifest.json``: the config hash, data hashes, library versions and commit."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import Config, to_dict
from pipeline.io import file_sha256

if TYPE_CHECKING:
    pass


MODEL_PARAMS = ("seed", "data", "model", "loss", "train")  # what data/model is a function of


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
