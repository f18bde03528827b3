"""Schema of ``conf/train/*``: Trainer settings."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config.checks import check, check_choice, check_range


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
    precision: str  # bf16 autocast measured 1.7x faster on this CPU with the same spearman
    group_by_length: bool  # batches of similar length (less padding); pair losses only
    # Batches of pairs that share profiles/postings, each distinct text encoded once: ~3x fewer encodes.
    share_texts: bool
    freeze_embeddings: bool
    freeze_layers: int

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
        check_choice("precision", self.precision, ["fp32", "bf16"])
        check_range("freeze_layers", self.freeze_layers, 0)
        check(
            not (self.share_texts and self.group_by_length),
            "share_texts",
            self.share_texts,
            "false while group_by_length is true (a batch is built one way or the other)",
        )
        if self.max_train_samples is not None:
            check_range("max_train_samples", self.max_train_samples, 1)
