"""A tiny randomly initialised BERT with a WordPiece vocabulary trained on the project's own texts.

It trains in seconds on CPU, so tests and smoke runs can exercise the whole training path offline.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pipeline.config.schema import TinyModelConfig
from pipeline.io import atomic_path
from pipeline.runtime import hf_environment

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_POSITIONS = 512


def train_tokenizer(texts: Iterable[str], vocab_size: int):  # -> tokenizers.Tokenizer
    """WordPiece on ``texts``; NFC, no accent stripping (BERT's strip-accents splits Hangul into jamo)."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.BertNormalizer(
                clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True
            ),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    # tokenizers' WordPieceTrainer breaks count ties in hash-map order, so the same texts can give a
    # different vocabulary (huggingface/tokenizers#1794). Build it here instead, deterministically:
    # every character (word-initial and "##"-continuing) plus the most frequent words, ties by text.
    words: Counter[str] = Counter()
    for text in texts:
        normalized = tok.normalizer.normalize_str(text)
        words.update(w for w, _ in tok.pre_tokenizer.pre_tokenize_str(normalized))
    chars = sorted({c for w in words for c in w})
    alphabet = chars + [f"##{c}" for c in chars]
    room = max(vocab_size - len(SPECIAL_TOKENS) - len(alphabet), 0)
    frequent = [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])) if len(w) > 1][:room]
    ordered = SPECIAL_TOKENS + alphabet + sorted(frequent)
    tok.model = WordPiece(
        vocab={t: i for i, t in enumerate(ordered)}, unk_token="[UNK]", continuing_subword_prefix="##"
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return tok


def build_tiny_model(
    out_dir: Path, texts: Iterable[str], cfg: TinyModelConfig, seed: int, *, max_seq_length: int = 128
) -> Path:
    """Write a sentence-transformers folder (BERT + mean pooling) to ``out_dir`` atomically.

    Same inputs give the same bytes.

    ``texts`` trains the tokenizer; the weights are random, drawn from ``seed`` without touching global RNGs.
    """
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    hf_environment(allow_download=True)  # the tokenizers' threads only: building needs no Hub
    texts = [t for t in texts if t]
    if not texts:
        raise ValueError("build_tiny_model needs at least one non-empty text to train its tokenizer")
    backend = train_tokenizer(texts, cfg.vocab_size)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_POSITIONS,
    )
    config = BertConfig(
        vocab_size=backend.get_vocab_size(),
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        intermediate_size=4 * cfg.hidden_size,
        max_position_embeddings=MAX_POSITIONS,
        pad_token_id=backend.token_to_id("[PAD]"),
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        # Keep the (unused) pooler so that loading does not initialise it again from an unseeded RNG.
        bert = BertModel(config)

    out_dir = Path(out_dir)
    with atomic_path(out_dir) as tmp:
        hf_dir = tmp / "_hf"
        bert.save_pretrained(hf_dir)
        tokenizer.save_pretrained(hf_dir)
        transformer = models.Transformer(str(hf_dir), max_seq_length=max_seq_length)
        pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(tmp / "_st"))
        # Only the sentence-transformers folder is the output; the plain HF copy was a stepping stone.
        for p in (tmp / "_st").iterdir():
            os.replace(p, tmp / p.name)
        for d in ("_st", "_hf"):
            _rmtree(tmp / d)
    return out_dir


def _rmtree(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)
