"""Schema of ``conf/train/*``: Trainer settings."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config.checks import check, check_choice, check_range
from pipeline.cpu import PRECISIONS

# random: the Trainer's shuffled batches. length_grouped: rows of similar length together (less padding).
# shared_texts: the sampled pairs of a few profiles per batch, each distinct text encoded once.
# rule_blocks: P profiles x Q postings of one component with all P*Q pairs rule-scored (synthetic data).
BATCHES = ("random", "length_grouped", "shared_texts", "rule_blocks")


@dataclass
class TrainConfig:
    epochs: float
    max_steps: int  # -1: run `epochs`
    max_train_samples: int | None
    batch_size: int
    learning_rate: float
    warmup_ratio: float
    weight_decay: float
    eval_steps: int
    save_steps: int
    save_total_limit: int
    logging_steps: int
    # auto: bf16 autocast where the CPU runs it natively (1.7x faster on AVX512_BF16), fp32 elsewhere
    # (bf16 is 27x slower where emulated, e.g. AVX2-only). See pipeline/cpu.py.
    precision: str
    batches: str  # how pair losses batch rows (BATCHES); triplet losses keep the no-duplicates sampler
    block_profiles: int  # rule_blocks: profiles per batch; postings per batch = batch_size // block_profiles
    freeze_embeddings: bool
    freeze_layers: int
    # MiB for the frozen layers' output per distinct text (pipeline/frozen_cache.py); 0: recompute each step.
    frozen_cache_mb: int

    def validate(self) -> None:
        check_range("epochs", self.epochs, 0.0, lo_open=True)
        check_range("batch_size", self.batch_size, 2)
        check_range("learning_rate", self.learning_rate, 0.0, 1.0, lo_open=True)
        check_range("warmup_ratio", self.warmup_ratio, 0.0, 1.0)
        check_range("weight_decay", self.weight_decay, 0.0)
        check_range("eval_steps", self.eval_steps, 1)
        check_range("save_steps", self.save_steps, 1)
        check_range("save_total_limit", self.save_total_limit, 1)
        check_range("logging_steps", self.logging_steps, 1)
        check_choice("precision", self.precision, list(PRECISIONS))
        check_range("freeze_layers", self.freeze_layers, 0)
        check_range("frozen_cache_mb", self.frozen_cache_mb, 0)
        check_choice("batches", self.batches, list(BATCHES))
        check_range("block_profiles", self.block_profiles, 1, self.batch_size)
        check(
            self.max_steps == -1 or self.max_steps >= 1,
            "max_steps",
            self.max_steps,
            "a positive number of steps, or -1 to train for `epochs`",
        )
        if self.batches == "rule_blocks":
            # A block is block_profiles x (batch_size // block_profiles) pairs: a remainder is dropped.
            check(
                self.batch_size % self.block_profiles == 0,
                "batch_size",
                self.batch_size,
                f"a multiple of train.block_profiles ({self.block_profiles}) with batches=rule_blocks",
            )
        if self.max_train_samples is not None:
            check_range("max_train_samples", self.max_train_samples, 1)
            check(
                self.batches != "rule_blocks",
                "max_train_samples",
                self.max_train_samples,
                "null with batches=rule_blocks (a block holds every pair of its texts; subsample with "
                "batches=shared_texts or random)",
            )
