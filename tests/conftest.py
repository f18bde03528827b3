"""Shared fixtures: a tiny labelled data set in the ``data/split`` layout and a tiny model trained on nothing.

Both are built once per session, deterministically, in a few seconds, fully offline.
"""

from __future__ import annotations

import logging
import os
import random
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
SPLITS = ("train", "dev", "test")

# Overrides that make every stage run in seconds: tiny model, a handful of steps, small data.
TINY_OVERRIDES: tuple[str, ...] = (
    "model=tiny",
    "train.max_steps=12",
    "train.batch_size=16",
    "train.block_profiles=4",  # rule blocks of 4 profiles x 4 postings
    "train.eval_steps=6",
    "train.save_steps=6",
    "train.logging_steps=2",
    "train.learning_rate=1e-3",
    "train.warmup_ratio=0.0",
    "loss.mini_batch_size=8",
    # The default freezes lower layers of the 12-layer base model; the tiny model has only 2.
    "train.freeze_layers=0",
)


def _have_data_stages() -> bool:
    return (ROOT / "pipeline" / "generate.py").exists() and (ROOT / "pipeline" / "split.py").exists()


# --- fallback generator (until the data stages exist, and as a reference for the contract) -------------

_REGIONS = ["서울", "부산", "대구", "인천", "광주", "대전"]
_STACKS = ["파이썬", "자바", "리액트", "스프링", "코틀린", "Go", "Rust", "쿠버네티스"]
_MODES = ["원격", "상주", "하이브리드"]


def _fallback_frames(seed: int, n_pairs: int = 420) -> dict[str, object]:
    """Pairs in the ``data/split`` contract: profile_text, posting_text, score in [0, 1], factor columns."""
    import pandas as pd

    rng = random.Random(seed)
    rows = []
    for _ in range(n_pairs):
        p_region, p_stack, p_mode = rng.choice(_REGIONS), rng.choice(_STACKS), rng.choice(_MODES)
        p_years = rng.randint(0, 10)
        # Half the postings copy the profile's attributes, so high scores are common enough to learn from.
        near = rng.random() < 0.5
        j_region = p_region if near and rng.random() < 0.8 else rng.choice(_REGIONS)
        j_stack = p_stack if near and rng.random() < 0.8 else rng.choice(_STACKS)
        j_mode = p_mode if near and rng.random() < 0.8 else rng.choice(_MODES)
        j_years = rng.randint(0, 8)
        f_region = 1.0 if p_region == j_region else (0.8 if j_mode == "원격" else 0.0)
        f_stack = 1.0 if p_stack == j_stack else 0.0
        f_exp = 1.0 if p_years >= j_years else (0.5 if p_years + 1 >= j_years else 0.0)
        f_mode = 1.0 if p_mode == j_mode else 0.0
        score = 0.25 * f_region + 0.35 * f_stack + 0.2 * f_exp + 0.2 * f_mode
        rows.append(
            {
                "profile_text": f"{p_region} 거주 {p_stack} 개발자, 경력 {p_years}년, {p_mode} 근무 선호",
                "posting_text": f"{j_stack} 개발자 모집: {j_region}, 경력 {j_years}년 이상, {j_mode} 근무",
                "score": round(score, 4),
                "factor_region": f_region,
                "factor_stack": f_stack,
                "factor_experience": f_exp,
                "factor_work_mode": f_mode,
            }
        )
    df = pd.DataFrame(rows)
    n = len(df)
    cuts = {"train": df.iloc[: int(n * 0.6)], "dev": df.iloc[int(n * 0.6) : int(n * 0.8)]}
    cuts["test"] = df.iloc[int(n * 0.8) :]
    out: dict[str, object] = {}
    for name, part in cuts.items():
        part = part.reset_index(drop=True)
        out[name] = part
        out[f"{name}_triplets"] = _triplets(part, rng)
    return out


def _triplets(df, rng: random.Random):  # -> pd.DataFrame
    import pandas as pd

    pos = df[df.score >= 0.7]
    neg = df[df.score <= 0.4]
    rows = []
    for _, r in pos.iterrows():
        same = neg[neg.profile_text == r.profile_text]
        negative = same.iloc[0].posting_text if len(same) else neg.iloc[rng.randrange(len(neg))].posting_text
        rows.append({"anchor": r.profile_text, "positive": r.posting_text, "negative": negative})
    return pd.DataFrame(rows, columns=["anchor", "positive", "negative"])


# --- fixtures ---------------------------------------------------------------------------------------------


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
    """A ``data/split``-like folder: {train,dev,test}.parquet, {train,dev,test}_triplets.parquet and
    train_blocks.parquet.

    Built by the real generate/split stages on a few hundred pairs when they exist, else by a small
    rule-based generator with the same columns.
    """
    work = tmp_path_factory.mktemp("tiny_data")
    if _have_data_stages():
        return _split_with_stages(work)
    frames = _fallback_frames(seed=0)
    out = work / "data" / "split"
    out.mkdir(parents=True)
    for name, df in frames.items():
        df.to_parquet(out / f"{name}.parquet", index=False)  # type: ignore[attr-defined]
    return out


def _split_with_stages(work: Path) -> Path:
    from pipeline import generate, split

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
