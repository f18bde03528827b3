"""DVC stage ``train``: fine-tune ``data/base_model/`` on the train split with the configured loss.

* Pair losses (cosine, cosent, angle) fit the cosine of (profile, posting) to the rule score;
  in-batch-negatives losses (mnrl, cached_mnrl) train on the triplet view with no duplicate texts
  in a batch. ``loss.matryoshka_dims`` wraps either kind in MatryoshkaLoss.
* The dev split is scored during training by an EmbeddingSimilarityEvaluator named ``dev``, so
  the logged key is ``eval_dev_spearman_cosine``. DVCLive writes training loss and dev metrics by
  global step to ``dvclive/`` (declared as plots/metrics in dvc.yaml).
* Checkpoints go to ``data/checkpoints/train/`` (outside DVC) every ``train.save_steps``, next to a
  fingerprint of the config, data and base model. A rerun after a kill resumes from the last complete
  checkpoint with the same fingerprint; any other checkpoint is discarded and training starts fresh.
* The final model goes to ``data/model/`` and a summary to ``metrics/train.json``, both atomically.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import Config, ConfigError, to_dict
from pipeline.cpu import Precision, bf16_slowdown, resolve_precision
from pipeline.frozen_cache import FrozenLayerCache
from pipeline.io import atomic_path, file_sha256, write_json
from pipeline.losses import SharedTextLoss, build_loss, train_columns
from pipeline.models.resolve import (
    DOCUMENT_PROMPT,
    QUERY_PROMPT,
    load_folder,
    save_model,
    set_offline_mode,
)
from pipeline.progress import encode_texts, progress
from pipeline.runtime import apply_runtime, run_stage

if TYPE_CHECKING:
    import datasets
    import pandas as pd
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

__all__ = [
    "TrainPaths",
    "TrainingDiverged",
    "config_fingerprint",
    "dev_evaluator",
    "freeze_parameters",
    "last_checkpoint",
    "load_train_dataset",
    "main",
    "train",
    "training_arguments",
]

FINGERPRINT_FILE = "fingerprint.json"
COMPLETE_MARKER = ".complete"  # written after a checkpoint is fully saved; a killed save leaves none
# Batches whose rows repeat texts: SharedTextLoss encodes each distinct text once.
SHARING_BATCHES = ("shared_texts", "rule_blocks")
DEV_NAME = "dev"  # evaluator name: metric keys are eval_dev_spearman_cosine, eval_dev_pearson_cosine
_CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
# Trainer log keys worth a plot; runtimes, epochs and FLOs would only clutter dvclive/.
_LIVE_KEYS = re.compile(r"^(loss|grad_norm|learning_rate|eval_dev_.*)$")


@dataclass
class TrainPaths:
    split_dir: Path = Path("data/split")
    base_model_dir: Path = Path("data/base_model")
    model_dir: Path = Path("data/model")
    checkpoint_dir: Path = Path("data/checkpoints/train")
    metrics_file: Path = Path("metrics/train.json")
    live_dir: Path = Path("dvclive")
    extra: dict[str, Any] = field(default_factory=dict)


# --- data -----------------------------------------------------------------------------------------------


def _read_split(split_dir: Path, name: str, columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    path = split_dir / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run the split stage first (`dvc repro split`)")
    return pd.read_parquet(path, columns=list(columns))


def train_view(cfg: Config) -> str:
    """The split file the training view comes from: triplets, rule blocks or the sampled pairs."""
    if cfg.loss.uses_triplets:
        return "train_triplets"
    return "train_blocks" if cfg.train.batches == "rule_blocks" else "train"


def load_train_dataset(cfg: Config, split_dir: Path) -> datasets.Dataset:
    """The training view that the loss needs: scored pairs (rule blocks keep their ``block`` column) or
    (anchor, positive, negative) triplets."""
    import datasets

    name = train_view(cfg)
    columns = ["block", *train_columns(cfg.loss)] if name == "train_blocks" else train_columns(cfg.loss)
    df = _read_split(split_dir, name, columns)
    if len(df) == 0:
        hint = " (rule blocks exist for generated data only)" if name == "train_blocks" else ""
        raise ValueError(f"{split_dir / name}.parquet has no rows to train on{hint}")
    if "score" in df:
        df["score"] = df["score"].astype("float32")
    n = cfg.train.max_train_samples
    if n is not None and n < len(df):
        df = df.sample(n=n, random_state=cfg.seed).reset_index(drop=True)
    return datasets.Dataset.from_pandas(df, preserve_index=False)


def dev_texts(split_dir: Path) -> pd.DataFrame:
    return _read_split(split_dir, "dev", ["profile_text", "posting_text", "score"])


def dev_evaluator(
    cfg: Config,
    split_dir: Path,
    batch_size: int | None = None,
    *,
    bf16: bool = False,
    cache: FrozenLayerCache | None = None,
) -> EmbeddingSimilarityEvaluator:
    """Spearman/Pearson of cosine(profile, posting) against the rule score on the dev split.

    ``bf16``: encode under bf16 autocast, as the model is trained (3x faster where bf16 is native,
    spearman within 1e-4); never where it is emulated. ``cache``: the frozen lower layers' states of the dev
    texts come from the training cache, so an evaluation runs only the trainable layers (the same function:
    the cache computes in eval mode).
    """
    import torch
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    df = dev_texts(split_dir)

    class PromptedSimilarityEvaluator(EmbeddingSimilarityEvaluator):
        def embed_inputs(self, model, sentences, **kwargs):  # type: ignore[no-untyped-def]
            # Profiles are encoded as queries and postings as documents, as at training and serving time.
            name = QUERY_PROMPT if sentences is self.sentences1 else DOCUMENT_PROMPT
            if name in (model.prompts or {}):
                kwargs.setdefault("prompt_name", name)
            # Each profile and posting appears in many pairs: encode every distinct text once.
            unique = list(dict.fromkeys(sentences))
            index = {text: i for i, text in enumerate(unique)}
            desc = f"train: dev {'profiles' if sentences is self.sentences1 else 'postings'}"
            if cache is not None:
                prompt = (model.prompts or {}).get(kwargs.get("prompt_name", ""))
                embeddings = cache.encode(model, unique, prompt or None, desc, self.batch_size)
            else:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    embeddings = encode_texts(model, unique, desc, batch_size=self.batch_size, **kwargs)
            return embeddings[[index[text] for text in sentences]]

    return PromptedSimilarityEvaluator(
        df.profile_text.tolist(),
        df.posting_text.tolist(),
        df.score.astype(float).tolist(),
        batch_size=batch_size or cfg.eval.batch_size,
        main_similarity="cosine",
        name=DEV_NAME,
        write_csv=False,
    )


def column_prompts(cfg: Config) -> dict[str, str] | None:
    """Prefix per training column: profiles/anchors as queries, postings as documents (None: no prefixes)."""
    q, d = cfg.model.query_prefix, cfg.model.document_prefix
    prompts = {"profile_text": q, "anchor": q, "posting_text": d, "positive": d, "negative": d}
    prompts = {k: v for k, v in prompts.items() if v}
    return prompts or None


# --- model ----------------------------------------------------------------------------------------------


def _encoder_layers(hf_model: Any) -> Sequence[Any]:
    for path in ("encoder.layer", "layers", "encoder.layers", "transformer.layer"):
        node = hf_model
        for part in path.split("."):
            node = getattr(node, part, None)
        if node is not None:
            return node  # type: ignore[no-any-return]
    raise ConfigError("train.freeze_layers", "(unsupported architecture)", "0 for this model")


def freeze_parameters(
    model: SentenceTransformer, freeze_embeddings: bool, freeze_layers: int
) -> tuple[int, int]:
    """Stop gradients into the word embeddings and/or the embedding block plus the lowest ``freeze_layers``.

    For multilingual-e5-small the 250k x 384 word embedding matrix is 96M of 118M parameters, so freezing it
    removes most of the optimizer's work. Returns (trainable, total) parameter counts.
    """
    hf = model[0].auto_model
    if freeze_embeddings:
        hf.get_input_embeddings().weight.requires_grad_(False)
    if freeze_layers:
        layers = _encoder_layers(hf)
        if freeze_layers > len(layers):
            raise ConfigError("train.freeze_layers", freeze_layers, f"at most {len(layers)} for this model")
        for module in [getattr(hf, "embeddings", None), *layers[:freeze_layers]]:
            if module is not None:
                module.requires_grad_(False)
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


# --- checkpoints ----------------------------------------------------------------------------------------


def _digest_files(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for p in files:
            h.update(f"{p.relative_to(root.parent)}\0{file_sha256(p)}\n".encode())
    return h.hexdigest()


def config_fingerprint(cfg: Config, paths: TrainPaths) -> str:
    """What a checkpoint must match to be resumed: training-relevant config, data files and base model."""
    relevant = {
        "seed": cfg.seed,
        "model": to_dict(cfg.model),
        "loss": to_dict(cfg.loss),
        "train": to_dict(cfg.train),
        "eval_batch_size": cfg.eval.batch_size,
        # auto resolves per CPU class: a checkpoint trained in bf16 must not be resumed in fp32.
        "precision": resolve_precision(cfg.train.precision).dtype,
    }
    h = hashlib.sha256(json.dumps(relevant, sort_keys=True).encode())
    names = [train_view(cfg), "dev"]  # exactly the view the run trains on
    h.update(_digest_files([paths.split_dir / f"{n}.parquet" for n in names]).encode())
    h.update(_digest_files([paths.base_model_dir]).encode())
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
        m = _CHECKPOINT_RE.match(p.name)
        if not (m and p.is_dir()):
            continue
        if (p / COMPLETE_MARKER).exists():
            found.append((int(m.group(1)), p))
        elif cleanup:  # killed while saving
            shutil.rmtree(p, ignore_errors=True)
    return max(found)[1] if found else None


# --- divergence -----------------------------------------------------------------------------------------


class TrainingDiverged(RuntimeError):
    """The loss or the weights became non-finite: training stops and no model is saved."""


def non_finite(params: Sequence[Any]) -> int:
    """How many of ``params`` hold a NaN or an infinity."""
    import torch

    return sum(not bool(torch.isfinite(p).all()) for p in params)


def _diverged(cfg: Config, what: str, step: int) -> TrainingDiverged:
    t = cfg.train
    return TrainingDiverged(
        f"training diverged: {what} at step {step}; no model was saved. Lower train.learning_rate "
        f"({t.learning_rate:g}) or train.weight_decay ({t.weight_decay:g}), or check the data's scores"
    )


# --- logging --------------------------------------------------------------------------------------------


def _truncate_live(live_dir: Path, max_step: int) -> None:
    """Drop DVCLive rows logged after ``max_step`` (by a run that was killed before its next checkpoint)."""
    for tsv in (live_dir / "plots" / "metrics").rglob("*.tsv"):
        lines = tsv.read_text().splitlines()
        if not lines:
            continue
        step_col = lines[0].split("\t").index("step")
        keep = [lines[0]] + [ln for ln in lines[1:] if int(ln.split("\t")[step_col]) <= max_step]
        tsv.write_text("\n".join(keep) + "\n")


def _callbacks(live: Any | None, cfg: Config, trainable: Sequence[Any]) -> list[Any]:
    from dvclive.utils import standardize_metric_name
    from transformers import TrainerCallback

    class FiniteGuard(TrainerCallback):
        """Stop at the first step whose weights, or whose logged loss, are not finite."""

        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if bad := non_finite(trainable):
                raise _diverged(cfg, f"{bad} weight tensor(s) became NaN or infinite", state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            loss = (logs or {}).get("loss")
            if isinstance(loss, float) and not math.isfinite(loss):
                raise _diverged(cfg, f"the loss became {loss}", state.global_step)

    class LiveByStep(TrainerCallback):
        """Log to DVCLive at the trainer's global step (transformers' DVCLiveCallback counts log calls)."""

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            if live is None or not state.is_world_process_zero or not logs:
                return
            live.step = state.global_step
            logged = False
            for key, value in logs.items():
                if _LIVE_KEYS.match(key) and isinstance(value, int | float):
                    live.log_metric(standardize_metric_name(key, "dvclive.huggingface"), value)
                    logged = True
            if logged:
                live.make_summary()

    class Checkpoints(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            # The trainer also checkpoints the last step; the final model is saved right after anyway.
            if state.global_step >= state.max_steps:
                control.should_save = False

        def on_save(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if ckpt.is_dir():
                (ckpt / COMPLETE_MARKER).touch()

    class StepProgress(TrainerCallback):
        """A bar over the optimizer steps (i/N, ETA) with the latest loss, and a line per dev evaluation."""

        bar: Any = None

        def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if state.is_world_process_zero:
                self.bar = progress(state.max_steps, "train", unit="step", initial=state.global_step)

        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            if self.bar is not None and logs and "loss" in logs:
                self.bar.set_postfix(loss=f"{logs['loss']:.3f}", refresh=False)

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):  # type: ignore[no-untyped-def]
            key = f"eval_{DEV_NAME}_spearman_cosine"
            if self.bar is not None and metrics and key in metrics:
                msg = f"train: step {state.global_step}: dev spearman {metrics[key]:.4f}"
                self.bar.write(msg, file=self.bar.fp)  # above a live bar; a line of its own in a log

        def on_train_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    # The guard first: a diverged step must not reach DVCLive or a checkpoint.
    return [FiniteGuard(), LiveByStep(), Checkpoints(), StepProgress()]


# --- training -------------------------------------------------------------------------------------------


def training_arguments(cfg: Config, output_dir: Path, **overrides: Any) -> Any:
    """SentenceTransformerTrainingArguments for ``cfg.train`` (shared with benchmarks/bench_train.py)."""
    from sentence_transformers import SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    t = cfg.train
    kwargs: dict[str, Any] = {
        "output_dir": str(output_dir),
        "num_train_epochs": t.epochs,
        "max_steps": t.max_steps,
        "per_device_train_batch_size": t.batch_size,
        "per_device_eval_batch_size": cfg.eval.batch_size,
        "learning_rate": t.learning_rate,
        "warmup_ratio": t.warmup_ratio,
        "weight_decay": t.weight_decay,
        "eval_strategy": "steps",
        "eval_steps": t.eval_steps,
        "save_strategy": "steps",
        "save_steps": t.save_steps,
        "save_total_limit": t.save_total_limit,
        "logging_steps": t.logging_steps,
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "bf16": resolve_precision(t.precision).bf16,
        "use_cpu": True,
        "dataloader_num_workers": 0,
        "report_to": "none",
        "disable_tqdm": True,
        # The Trainer would log a NaN step's loss as the running mean; FiniteGuard needs to see it.
        "logging_nan_inf_filter": False,
        "prompts": column_prompts(cfg),
        # In-batch negatives must not meet their own text twice in a batch.
        "batch_sampler": BatchSamplers.NO_DUPLICATES
        if cfg.loss.uses_triplets
        else BatchSamplers.BATCH_SAMPLER,
    }
    kwargs.update(overrides)
    return SentenceTransformerTrainingArguments(**kwargs)


def _length_grouped_sampler(dataset: datasets.Dataset, columns: Sequence[str]) -> Any:
    """A batch sampler that batches rows of similar length, so less padding is computed."""
    from pipeline.sampling import LengthGroupedBatchSampler

    text_cols = [c for c in columns if c != "score"]
    lengths = [max(len(row[c]) for c in text_cols) for row in dataset.select_columns(text_cols)]
    # A partial, not a closure: the trainer pickles its arguments into every checkpoint.
    return functools.partial(LengthGroupedBatchSampler, lengths=lengths)


def _shared_text_sampler(dataset: datasets.Dataset) -> Any:
    """A batch sampler that fills each batch with pairs sharing profiles and postings."""
    import pandas as pd

    from pipeline.sampling import SharedTextBatchSampler
    from pipeline.synth.triplets import text_components

    profiles, postings = pd.Series(dataset["profile_text"]), pd.Series(dataset["posting_text"])
    components = text_components(profiles, postings).tolist()
    return functools.partial(SharedTextBatchSampler, profiles=profiles.tolist(), components=components)


def _rule_block_sampler(dataset: datasets.Dataset, block_profiles: int) -> Any:
    """A batch sampler of whole blocks (profiles x postings of one component, all pairs scored)."""
    import numpy as np

    from pipeline.sampling import RuleBlockBatchSampler
    from pipeline.synth.blocks import block_layout

    layout = block_layout(np.asarray(dataset["block"]), np.asarray(dataset["profile_text"], dtype=object))
    return functools.partial(RuleBlockBatchSampler, layout=layout, block_profiles=block_profiles)


def _batch_sampler(cfg: Config, dataset: datasets.Dataset) -> Any | None:
    """``train.batches``'s sampler for a pair loss, or None for the Trainer's own (random) batches."""
    if cfg.train.batches == "length_grouped":
        return _length_grouped_sampler(dataset, train_columns(cfg.loss))
    if cfg.train.batches == "shared_texts":
        return _shared_text_sampler(dataset)
    if cfg.train.batches == "rule_blocks":
        return _rule_block_sampler(dataset, cfg.train.block_profiles)
    return None


def _fill_cache(
    cache: FrozenLayerCache, model: Any, cfg: Config, train_ds: datasets.Dataset, split_dir: Path
) -> None:
    """Train texts first (what the steps look up, with the column prompts the collator applies), then the
    dev texts the evaluations encode (profiles as queries, postings as documents)."""
    prompts = column_prompts(cfg) or {}
    texts: dict[str | None, list[str]] = {}
    for column in ("profile_text", "posting_text", "anchor", "positive", "negative"):
        if column in train_ds.column_names:
            texts.setdefault(prompts.get(column), []).extend(train_ds[column])
    cache.fill(model, texts)
    dev = dev_texts(split_dir)
    dev_by_prompt: dict[str | None, list[str]] = {}
    for role, column in ((QUERY_PROMPT, dev.profile_text), (DOCUMENT_PROMPT, dev.posting_text)):
        dev_by_prompt.setdefault((model.prompts or {}).get(role) or None, []).extend(column)
    cache.fill(model, dev_by_prompt, desc="dev texts")


def train(cfg: Config, paths: TrainPaths | None = None) -> dict[str, Any]:
    """Fine-tune, save the model and the metrics summary; returns the summary."""
    paths = paths or TrainPaths()
    set_offline_mode(cfg.model.allow_download)
    import torch  # noqa: F401  (imported before apply_runtime so that thread count and seed apply)
    from dvclive import Live
    from sentence_transformers import SentenceTransformerTrainer
    from transformers.trainer_callback import PrinterCallback

    apply_runtime(cfg)
    started = time.perf_counter()
    if (
        not (paths.base_model_dir / "modules.json").exists()
        and not (paths.base_model_dir / "config.json").exists()
    ):
        raise FileNotFoundError(
            f"{paths.base_model_dir} is not a model folder; run `dvc repro prepare_model` first"
        )

    # Set by torchrun / accelerate launch; the Trainer wraps the model in DDP (gloo on CPU, nccl on GPU).
    rank, world_size = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    fingerprint = config_fingerprint(cfg, paths)
    resume = last_checkpoint(paths.checkpoint_dir, fingerprint, cleanup=rank == 0)
    resumed_step = int(_CHECKPOINT_RE.match(resume.name).group(1)) if resume else 0  # type: ignore[union-attr]
    if resume:
        print(f"train: resuming from {resume} (step {resumed_step})")
        if rank == 0:
            _truncate_live(paths.live_dir, resumed_step)

    precision = choose_precision(cfg.train.precision)
    model = load_folder(paths.base_model_dir)
    model.max_seq_length = cfg.model.max_seq_length
    trainable, total = freeze_parameters(model, cfg.train.freeze_embeddings, cfg.train.freeze_layers)
    train_ds = load_train_dataset(cfg, paths.split_dir)
    loss = build_loss(model, cfg.loss)

    overrides: dict[str, Any] = {}
    sampler = None if cfg.loss.uses_triplets else _batch_sampler(cfg, train_ds)
    if sampler is not None:  # in-batch-negative losses keep their no-duplicates sampler
        overrides["batch_sampler"] = sampler
    cache = None
    if hasattr(loss, "compute_loss_from_embeddings"):  # not cached_mnrl or a Matryoshka wrapper
        if cfg.train.frozen_cache_mb and cfg.train.freeze_layers:
            cache = FrozenLayerCache(
                model, cfg.train.freeze_layers, cfg.train.frozen_cache_mb, bf16=precision.bf16
            )
        if cache is not None or (sampler is not None and cfg.train.batches in SHARING_BATCHES):
            loss = SharedTextLoss(loss, model.tokenizer.pad_token_id, cache)
    evaluator = dev_evaluator(cfg, paths.split_dir, bf16=precision.bf16, cache=cache)
    if cache is not None:
        _fill_cache(cache, model, cfg, train_ds, paths.split_dir)
    print(f"train: {cache.num_layers if cache else 0} frozen layers cached per distinct text")
    if "block" in train_ds.column_names:  # the sampler has its layout; the loss reads only its columns
        train_ds = train_ds.remove_columns("block")
    args = training_arguments(cfg, paths.checkpoint_dir, **overrides)

    # Same dir, resumed: keep the history up to the checkpoint; fresh: DVCLive clears the folder.
    live = (
        Live(dir=str(paths.live_dir), resume=bool(resume), save_dvc_exp=False, dvcyaml=None)
        if rank == 0
        else None
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        loss=loss,
        evaluator=evaluator,
        callbacks=_callbacks(live, cfg, [p for p in model.parameters() if p.requires_grad]),
    )
    # The StepProgress bar shows the loss; the Trainer's PrinterCallback would print every log dict too.
    trainer.remove_callback(PrinterCallback)
    output = trainer.train(resume_from_checkpoint=str(resume) if resume else None)

    final = _final_dev_metrics(trainer)
    summary: dict[str, Any] = {}
    if trainer.is_world_process_zero():
        assert live is not None
        live.step = trainer.state.global_step
        live.end()
        if bad := non_finite(list(model.parameters())):  # never ship a NaN model, whatever changed it
            raise _diverged(cfg, f"{bad} weight tensor(s) are NaN or infinite", trainer.state.global_step)
        # metrics/train.json describes the model: removed as the new one comes in, written after it.
        with atomic_path(paths.model_dir, stale=[paths.metrics_file]) as tmp:
            save_model(model, tmp)
        print(f"train: rank {rank}/{world_size}: saved model to {paths.model_dir}")
        summary = {
            "dev_spearman_cosine": final[f"eval_{DEV_NAME}_spearman_cosine"],
            "dev_pearson_cosine": final[f"eval_{DEV_NAME}_pearson_cosine"],
            "train_loss": output.training_loss,
            "train_runtime_s": output.metrics["train_runtime"],
            "train_samples_per_second": output.metrics["train_samples_per_second"],
            "train_steps_per_second": output.metrics["train_steps_per_second"],
            "global_step": trainer.state.global_step,
            "resumed_from_step": resumed_step,
            "world_size": world_size,
            "precision": precision.dtype,
            "precision_setting": precision.setting,
            "precision_reason": precision.reason,
            "train_rows": len(train_ds),
            "trainable_params": trainable,
            "cached_frozen_layers": cache.num_layers if cache else 0,
            "frozen_cache_texts": len(cache.store) if cache else 0,
            "total_params": total,
            "stage_wall_s": round(time.perf_counter() - started, 2),
        }
        write_json(paths.metrics_file, summary)
        # Finished: the checkpoints only served a possible resume and are ~2x the model size each.
        shutil.rmtree(paths.checkpoint_dir, ignore_errors=True)
    # Under torchrun no rank may exit while another still needs the process group.
    trainer.accelerator.wait_for_everyone()
    return summary


def choose_precision(setting: str) -> Precision:
    """``train.precision`` resolved for this CPU, printed with its reason; an explicit bf16 where it is
    emulated still runs, with a warning that gives the slowdown measured here."""
    precision = resolve_precision(setting)
    print(f"train: precision {precision.dtype} ({setting}): {precision.reason}")
    if precision.bf16 and not precision.native_bf16:
        slowdown = bf16_slowdown()
        print(
            f"warning: train.precision=bf16 on a CPU without native bf16: a probe matmul ran "
            f"{slowdown:.1f}x slower than fp32 here (27x on an AVX2-only EPYC). "
            "Use train.precision=auto (or fp32) unless you are measuring this.",
            file=sys.stderr,
        )
    return precision


def _final_dev_metrics(trainer: Any) -> dict[str, float]:
    """The dev metrics at the last step: logged already when it fell on eval_steps, else evaluated now."""
    step = trainer.state.global_step
    key = f"eval_{DEV_NAME}_spearman_cosine"
    for entry in reversed(trainer.state.log_history):
        if entry.get("step") == step and key in entry:
            return entry  # type: ignore[no-any-return]
    return trainer.evaluate()  # type: ignore[no-any-return]


def main(cfg: Config) -> None:
    try:
        summary = train(cfg)
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    if not summary:  # a rank other than 0 under torchrun: rank 0 reports
        return
    print(
        "train: dev spearman {dev_spearman_cosine:.4f} after {global_step} steps, "
        "{train_runtime_s:.0f} s ({train_samples_per_second:.1f} samples/s)".format(**summary)
    )


if __name__ == "__main__":
    run_stage(main)
