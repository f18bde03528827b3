"""What every stage does first: load and validate params, set threads and seeds, report errors."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable

import numpy as np

from pipeline.config import Config, ConfigError, load_config


def apply_runtime(cfg: Config) -> None:
    """Thread count and seeds from the config; imports torch only if a stage already did."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(cfg.runtime.num_threads)
        torch.manual_seed(cfg.seed)


def run_stage(main: Callable[[Config], None], argv: list[str] | None = None) -> None:
    """Entry point of ``python -m pipeline.<stage> [params.yaml]``: config errors exit 2 with one line."""
    args = sys.argv[1:] if argv is None else argv
    params = args[0] if args else "params.yaml"
    try:
        cfg = load_config(params)
        apply_runtime(cfg)
        main(cfg)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
