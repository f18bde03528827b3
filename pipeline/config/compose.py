"""Compose ``conf/`` with Hydra's compose API (what DVC does for ``dvc exp run -S``), for tests and tools."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from pipeline.config import Config, parse_config

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


def compose_dict(overrides: Sequence[str] = (), conf_dir: Path = CONF_DIR) -> dict[str, Any]:
    with initialize_config_dir(str(conf_dir), version_base=None):
        cfg = compose("config", overrides=list(overrides))
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


def compose_config(overrides: Sequence[str] = (), conf_dir: Path = CONF_DIR) -> Config:
    """The validated config for ``conf/`` plus Hydra overrides such as ``model=tiny`` or ``data.seed=7``."""
    return parse_config(compose_dict(overrides, conf_dir))
