"""Shared fixtures: a tiny labelled data set in the ``data/split`` layout and a tiny model trained on nothing.

Both are built once per session, deterministically, in a few seconds, fully offline.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

# Never touch the network from tests: a hub lookup must fail fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pipeline.config import Config, ConfigError, parse_config
from pipeline.config.compose import compose_config, compose_dict

ROOT = Path(__file__).resolve().parent.parent
PATHS = compose_config([]).paths  # relative to a stage's work dir, as conf/paths/default.yaml says
SPLITS = ("train", "dev", "test")

# Overrides that make every stage run in seconds: tiny model, a handful of steps, small data.
TINY_OVERRIDES: tuple[str, ...] = (
    "model=tiny",
    "train.args.max_steps=12",
    "train.args.per_device_train_batch_size=16",
    "train.block_profiles=4",  # rule blocks of 4 profiles x 4 postings
    "train.args.eval_steps=6",
    "train.args.save_steps=6",
    "train.args.logging_steps=2",
    "train.args.learning_rate=1e-3",
    "train.args.warmup_ratio=0.0",
    # The default freezes lower layers of the 12-layer base model; the tiny model has only 2.
    "train.freeze_layers=0",
)


@pytest.fixture(scope="session")
def tiny_overrides() -> tuple[str, ...]:
    """Hydra overrides for a seconds-long run on the tiny model; extend them per test."""
    return TINY_OVERRIDES


@pytest.fixture(scope="session")
def tiny_config() -> Callable[..., Config]:
    """``tiny_config("loss=mnrl", ...)``: the composed, validated config with the tiny overrides applied."""

    def make(*extra: str) -> Config:
        return compose_config([*TINY_OVERRIDES, *extra])

    return make


@pytest.fixture(scope="session")
def tiny_split_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``data/split`` folder built by the real generate and split stages on a few hundred pairs."""
    from pipeline.stages import generate, split

    work = tmp_path_factory.mktemp("tiny_data")
    cfg = compose_config(
        [
            f"data.catalog={ROOT / 'catalog' / 'ko.yaml'}",
            "data.num_pairs=800",
            "data.num_profiles=200",
            "data.num_postings=200",
            "data.num_groups=20",
        ]
    )
    generate.main(cfg, root=work)
    split.main(cfg, root=work)
    return work / "data" / "split"


def split_texts(split_dir: Path, splits: Sequence[str] = ("train",)) -> list[str]:
    """All profile and posting texts of the given splits, in file order (the tiny tokenizer's corpus)."""
    import pandas as pd

    texts: list[str] = []
    for name in splits:
        df = pd.read_parquet(split_dir / f"{name}.parquet", columns=["profile_text", "posting_text"])
        texts += df.profile_text.tolist() + df.posting_text.tolist()
    return texts


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_split_dir: Path) -> Path:
    """A sentence-transformers folder: a tiny random BERT whose WordPiece vocabulary fits the tiny data."""
    from pipeline.models.tiny import build_tiny_model

    cfg = compose_config(["model=tiny"]).model
    out = tmp_path_factory.mktemp("tiny_model") / "model"
    return build_tiny_model(
        out, split_texts(tiny_split_dir), cfg.tiny, seed=0, max_seq_length=cfg.max_seq_length
    )


@pytest.fixture(scope="session")
def tiny_trained_model_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_split_dir: Path, tiny_model_dir: Path
) -> Path:
    """``data/model`` as the train stage leaves it (tiny overrides); README.md is the Trainer's card."""
    from pipeline.training.trainer import train

    cfg = compose_config([*TINY_OVERRIDES])
    paths = cfg.paths.under(tmp_path_factory.mktemp("tiny_trained"))
    train(cfg, paths.model_copy(update={"split_dir": tiny_split_dir, "base_model": tiny_model_dir}))
    return paths.model


@pytest.fixture
def in_tmp_workdir(tmp_path: Path, tiny_split_dir: Path) -> Iterator[Path]:
    """cwd = a fresh tmp dir whose ``data/split`` is the tiny split (symlinked); stages write beside it."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "split").symlink_to(tiny_split_dir, target_is_directory=True)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def config_error(overrides: dict[str, Any]) -> ConfigError:
    """The ConfigError that parsing the default composition with ``{"a.b": value}`` replaced raises."""
    raw = compose_dict()
    for dotted, value in overrides.items():
        node = raw
        *parents, last = dotted.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    return info.value


class LogRecords(logging.Handler):
    """Collects the messages a logger emits (add it with ``logger.addHandler``): transformers' loggers do not
    propagate to the root logger, so pytest's caplog does not see them."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def write_params(path: Path, overrides: Sequence[str]) -> Path:
    """``path`` (a params.yaml) holding the default composition with ``overrides``, as a stage reads it."""
    import yaml

    path.write_text(yaml.safe_dump(compose_dict(list(overrides)), allow_unicode=True), encoding="utf-8")
    return path


def run_module(cwd: Path, module: str, *args: str, timeout: int = 300) -> Any:
    """``python -m <module> args`` in ``cwd`` with this checkout importable and the Hub off."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", module, *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
