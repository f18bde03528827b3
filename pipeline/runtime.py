"""What every stage does first: load and validate params, set environment, threads and seeds, report errors.

The one owner of process set-up: the Hugging Face environment (:func:`hf_environment`), torch's threads
(:func:`set_threads`) and the seeds (:func:`apply_runtime`), for the stages and the serving CLI alike.
"""

from __future__ import annotations

import logging
import os
import random
import re
import sys
from collections.abc import Callable

import numpy as np

from pipeline.config import Config, ConfigError, load_config
from pipeline.models.resolve import is_mistral_folder
from pipeline.progress import readable_stderr


class _DropMessages(logging.Filter):
    def __init__(self, *prefixes: str) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)


class _FalseMistralRegexWarning(logging.Filter):
    """transformers 4.57.3-4.57.6 warn "incorrect regex pattern" for every local tokenizer over 100k tokens
    that they saved themselves, Mistral or not (huggingface/transformers#44031, fixed in v5 by #45444).
    Folders the pipeline writes declare ``fix_mistral_regex=False`` (pipeline.models.resolve.save_model), but
    optimum and sentence-transformers also load them, and temporary copies, through AutoTokenizer. Dropped
    only when the folder's config.json names a model type that is not a Mistral one."""

    _PATTERN = re.compile(r"^The tokenizer you are loading from '(.*)' with an incorrect regex pattern")

    def filter(self, record: logging.LogRecord) -> bool:
        match = self._PATTERN.match(record.getMessage())
        return not match or is_mistral_folder(match.group(1)) is not False


# The model folders set the prefix convention as their default prompt on purpose (see
# pipeline.models.resolve.apply_model_settings); sentence-transformers announces it on every load.
_NOTICES: dict[str, logging.Filter] = {
    "sentence_transformers.base.model": _DropMessages("Default prompt name is set to"),
    "transformers.tokenization_utils_base": _FalseMistralRegexWarning(),
}


def quiet_library_notices() -> None:
    """Drop library notices that describe our own deliberate settings (each filter names its message)."""
    for name, notice in _NOTICES.items():
        logger = logging.getLogger(name)
        if notice not in logger.filters:
            logger.addFilter(notice)


def hf_environment(allow_download: bool = False) -> None:
    """What the Hugging Face libraries read from the environment, set before they are imported: the
    tokenizers' Rust threads off (one thread keeps a trained vocabulary's order reproducible and the CPU
    quiet) and, unless ``allow_download``, huggingface_hub and transformers offline, so a missing model
    fails at once (``local_files_only`` on each load covers a library imported earlier)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not allow_download:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"


def set_threads(num_threads: int) -> None:
    """torch's intra-op thread count (imports torch)."""
    import torch

    torch.set_num_threads(num_threads)


def apply_runtime(cfg: Config) -> None:
    """Environment, notices, thread count and seeds from the config; torch's only if a stage imported it
    (the data stages never do)."""
    hf_environment(cfg.model.allow_download)
    quiet_library_notices()
    if "torch" in sys.modules:
        from transformers import set_seed

        set_threads(cfg.runtime.num_threads)
        set_seed(cfg.seed)  # Python's, numpy's and torch's RNGs
    else:
        random.seed(cfg.seed)
        np.random.seed(cfg.seed)


def run_stage(main: Callable[[Config], None], argv: list[str] | None = None) -> None:
    """Entry point of ``python -m pipeline.<stage> [params.yaml]``: config errors exit 2 with one line."""
    # Under dvc stdout is a pipe: line buffering shows each stage line when it happens, not at exit.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    readable_stderr()
    args = sys.argv[1:] if argv is None else argv
    params = args[0] if args else "params.yaml"
    try:
        cfg = load_config(params)
        apply_runtime(cfg)
        main(cfg)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
