"""Typed configuration: ``params.yaml`` (composed by Hydra from ``conf/``) validated into dataclasses.

Every stage starts with :func:`load_config`. OmegaConf's structured configs reject unknown keys
and values of the wrong type; each section's ``validate()`` checks ranges and choices. Any
problem becomes a :class:`ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import (
    ConfigKeyError,
    MissingMandatoryValue,
    OmegaConfBaseException,
    ValidationError,
)

from pipeline.config.checks import ConfigError, check, check_range
from pipeline.config.data import DataConfig
from pipeline.config.evaluate import EvalConfig
from pipeline.config.export import ExportConfig
from pipeline.config.loss import LossConfig
from pipeline.config.model import ModelConfig
from pipeline.config.train import TrainConfig

__all__ = ["Config", "ConfigError", "load_config", "parse_config"]

DEFAULT_PARAMS = Path("params.yaml")
MAX_SEED = 2**32 - 1  # numpy's RandomState/default_rng bound; torch accepts more


@dataclass
class RuntimeConfig:
    # The 2 slow cores here train 3-30x faster with one torch thread than with two.
    num_threads: int

    def validate(self) -> None:
        check_range("num_threads", self.num_threads, 1)


@dataclass
class Config:
    seed: int
    runtime: RuntimeConfig
    data: DataConfig
    model: ModelConfig
    loss: LossConfig
    train: TrainConfig
    eval: EvalConfig
    export: ExportConfig

    def validate(self) -> None:
        check_range("seed", self.seed, 0, MAX_SEED)
        # Blocks are scored with the rules, from the attributes that only generated pairs carry.
        check(
            not (
                self.data.source == "external"
                and self.train.batches == "rule_blocks"
                and not self.loss.uses_triplets
            ),
            "train.batches",
            self.train.batches,
            "random, length_grouped or shared_texts with external data, whose pairs have no rule "
            "attributes to score blocks with: add -S train.batches=shared_texts",
        )


def _allowed_keys(schema: Any, full_key: str) -> str:
    node: Any = schema
    for part in [p for p in full_key.split(".")[:-1] if p]:
        node = typing.get_type_hints(node).get(part)
        if not dataclasses.is_dataclass(node):
            return "a key of the schema"
    return "one of " + ", ".join(f.name for f in dataclasses.fields(node))


def _validate_tree(obj: Any, prefix: str = "") -> None:
    """Call ``validate()`` on every dataclass in the tree, prefixing errors with the key path.

    Children first: a check across sections (``Config.validate``) may rely on each section being valid.
    """
    if not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        key, value = f"{prefix}.{f.name}" if prefix else f.name, getattr(obj, f.name)
        # YAML reads .inf and .nan as floats that every range check would let through (nan compares False).
        numbers = value if isinstance(value, list | tuple) else [value]
        bad = [v for v in numbers if isinstance(v, float) and not math.isfinite(v)]
        check(not bad, key, value, "finite numbers (no .inf or .nan)")
        _validate_tree(value, key)
    if hasattr(obj, "validate"):
        try:
            obj.validate()
        except ConfigError as err:
            raise err.under(prefix) from None


def parse_config(raw: dict[str, Any]) -> Config:
    """Validate a plain mapping (the content of ``params.yaml``) into a :class:`Config`."""
    schema = OmegaConf.structured(Config)
    try:
        merged = OmegaConf.merge(schema, raw or {})
        cfg: Config = OmegaConf.to_object(merged)  # type: ignore[assignment]
    except ConfigKeyError as err:
        key = err.full_key or str(err.key)
        raise ConfigError(key, "(unknown key)", _allowed_keys(Config, key)) from None
    except MissingMandatoryValue as err:
        raise ConfigError(
            err.full_key or str(err.key), "(missing)", "a value; defaults live in conf/"
        ) from None
    except ValidationError as err:
        raise ConfigError(err.full_key or str(err.key), err.value, str(err).splitlines()[0]) from None
    except OmegaConfBaseException as err:
        raise ConfigError(
            getattr(err, "full_key", "") or "?", getattr(err, "value", None), str(err)
        ) from None
    _validate_tree(cfg)
    return cfg


def load_config(path: Path | str = DEFAULT_PARAMS) -> Config:
    """Read and validate ``params.yaml``; raises :class:`ConfigError` on any bad value."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            "params file",
            str(path),
            "an existing file (run `dvc exp run` or compose conf/)",
        )
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    if not isinstance(raw, dict):
        raise ConfigError("params file", str(path), "a YAML mapping at the top level")
    return parse_config(raw)


def to_dict(obj: Any) -> dict[str, Any]:
    """A dataclass config (or section) as plain JSON/YAML-able data."""
    return dataclasses.asdict(obj)
