"""Hidden states of the frozen lower layers, computed once per distinct text (``train.frozen_cache_mb``).

With ``train.freeze_layers`` = k, the embedding block and the lowest k layers compute the same function at
every step, yet a plain forward pass recomputes them (with dropout) for every text of every batch. Caching
their output per distinct token sequence runs them once per text, in eval mode (no dropout), and later
batches run only the trainable upper layers: measured 23% less time per step with 4 frozen layers of
multilingual-e5-small and 34% with 6. The output of the cached path matches a plain eval-mode forward pass
to bf16 precision (tested).

Supports BERT-style encoders (``embeddings`` + ``encoder.layer``: BERT, RoBERTa/XLM-R, e5); the memory
bound is ``train.frozen_cache_mb``: once full, further texts are computed every time, not stored.

The trainable layers run on the texts' tokens packed together (no padding) wherever the layers are plain
BERT layers: a block's texts differ in length (the default data: 62% of a padded block is real tokens), and
padding costs every matrix product the same as a token. Only the attention itself is padded back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from pipeline.config import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class FrozenLayerCache:
    """``bf16``: keep the states in bf16 (half the memory) when training runs under bf16 autocast anyway;
    otherwise in fp32, so an fp32 run computes exactly what the plain forward pass computes."""

    def __init__(self, model: Any, num_layers: int, max_mb: int, *, bf16: bool = False) -> None:
        hf = getattr(model[0], "auto_model", None)
        layers = getattr(getattr(hf, "encoder", None), "layer", None)
        if layers is None or not hasattr(hf, "embeddings") or not hasattr(hf, "get_extended_attention_mask"):
            raise ConfigError(
                "train.frozen_cache_mb", max_mb, f"0 for {type(hf).__name__} (not a BERT-style encoder)"
            )
        self.hf, self.layers, self.num_layers = hf, layers, num_layers
        self.tail = list(model)[1:]  # pooling, normalisation, ...
        self.max_bytes = max_mb << 20
        self.bf16 = bf16
        self.store_dtype = torch.bfloat16 if bf16 else torch.float32
        self.store: dict[bytes, Tensor] = {}
        self.bytes = 0
        self.full = False  # a state was refused: the bound is reached
        self.packed = all(_plain_bert_layer(layer) for layer in layers[num_layers:])

    def __call__(self, features: dict[str, Tensor]) -> Tensor:
        """Sentence embeddings of the rows of ``features`` (input_ids, attention_mask[, token_type_ids])."""
        ids, mask = features["input_ids"], features["attention_mask"]
        lengths = mask.sum(dim=1).tolist()
        keys = [row[:n].numpy().tobytes() for row, n in zip(ids, lengths, strict=True)]
        states = [self.store.get(k) for k in keys]
        missing = [i for i, s in enumerate(states) if s is None]
        if missing:
            for i, state in zip(missing, self._store(features, missing), strict=True):
                states[i] = state
        if self.packed:
            hidden = self._upper_packed(torch.cat(states).float(), mask)  # type: ignore[arg-type]
        else:
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

    def _upper_packed(self, x: Tensor, mask: Tensor) -> Tensor:
        """The trainable layers on ``x`` ([tokens, hidden]: each row's real tokens, rows in order; padding is
        on the right) as BertLayer computes them, dropout included. Returns [rows, length, hidden], padded."""
        rows, length = mask.shape
        where = mask.reshape(-1).nonzero().squeeze(1)
        keys = mask.bool()[:, None, None, :]

        def padded(t: Tensor) -> Tensor:
            return t.new_zeros(rows * length, t.shape[-1]).index_copy(0, where, t)

        for layer in self.layers[self.num_layers :]:
            att, out = layer.attention.self, layer.attention.output
            mid, end = layer.intermediate, layer.output
            heads, size = att.num_attention_heads, att.attention_head_size

            def split(t: Tensor, heads: int = heads, size: int = size) -> Tensor:
                return padded(t).view(rows, length, heads, size).transpose(1, 2)

            context = torch.nn.functional.scaled_dot_product_attention(
                split(att.query(x)),
                split(att.key(x)),
                split(att.value(x)),
                attn_mask=keys,
                dropout_p=att.dropout.p if att.training else 0.0,
            )
            context = context.transpose(1, 2).reshape(rows * length, -1)[where]
            a = out.LayerNorm(out.dropout(out.dense(context)) + x)
            x = end.LayerNorm(end.dropout(end.dense(mid.intermediate_act_fn(mid.dense(a)))) + a)
        return padded(x).view(rows, length, -1)

    def fill(
        self, model: Any, texts: dict[str | None, list[str]], batch_size: int = 64, desc: str = "train texts"
    ) -> int:
        """Compute the frozen layers of every text up front (``texts``: prompt -> texts), with a progress bar.

        Tokenised as the Trainer's collator does (``model.preprocess(texts, prompt=...)``), so training steps
        find every text of the view; batches of similar length waste little on padding, which makes this
        pass cheaper than filling the cache one training batch at a time. Returns the number of texts
        stored (at most ``max_mb`` worth; the rest are computed at each step as before).
        """
        from pipeline.progress import progress

        jobs = [(prompt, text) for prompt, items in texts.items() for text in dict.fromkeys(items)]
        jobs.sort(key=lambda job: len(job[1]))
        with (
            progress(len(jobs), f"train: frozen-layer cache ({desc})", unit="text") as bar,
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16),
        ):
            for start in range(0, len(jobs), batch_size):
                chunk = jobs[start : start + batch_size]
                for prompt in dict.fromkeys(p for p, _ in chunk):
                    rows = [t for p, t in chunk if p == prompt]
                    features = model.preprocess(rows, prompt=prompt)
                    self._store(features, list(range(len(rows))))
                bar.update(len(chunk))
                if self.full:
                    break
        return len(self.store)

    @torch.no_grad()
    def encode(
        self, model: Any, texts: list[str], prompt: str | None, desc: str, batch_size: int = 64
    ) -> Any:
        """Sentence embeddings of ``texts`` in eval mode through the cache (the dev evaluation in training:
        only the trainable layers run for texts the cache holds). A numpy float32 array, rows as ``texts``."""
        from pipeline.progress import progress

        training = model.training
        model.eval()
        parts = []
        try:
            with (
                progress(len(texts), desc, unit="text") as bar,
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16),
            ):
                for start in range(0, len(texts), batch_size):
                    chunk = texts[start : start + batch_size]
                    parts.append(self(model.preprocess(chunk, prompt=prompt)).float())
                    bar.update(len(chunk))
        finally:
            model.train(training)
        return torch.cat(parts).numpy()

    def _store(self, features: dict[str, Tensor], rows: list[int]) -> list[Tensor]:
        """Run the frozen layers on ``rows`` of ``features`` and keep each row's states (within the bound)."""
        ids, mask = features["input_ids"], features["attention_mask"]
        computed = self._lower({k: v[rows] for k, v in features.items() if torch.is_tensor(v)})
        states = []
        for i, state in zip(rows, computed, strict=True):
            n = int(mask[i].sum())
            states.append(state[:n].to(self.store_dtype))
            self._keep(ids[i, :n].numpy().tobytes(), states[-1])
        return states

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
        else:
            self.full = True


def _plain_bert_layer(layer: Any) -> bool:
    """A BertLayer (RoBERTa's, XLM-R's) without relative positions, cross-attention or chunking."""
    att = getattr(getattr(layer, "attention", None), "self", None)
    return (
        all(hasattr(att, name) for name in ("query", "key", "value", "dropout", "num_attention_heads"))
        and getattr(att, "position_embedding_type", "absolute") == "absolute"
        and not getattr(layer, "add_cross_attention", False)
        and not getattr(layer, "chunk_size_feed_forward", 0)
        and all(hasattr(layer, name) for name in ("intermediate", "output"))
    )


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
        for module in [getattr(hf, "embeddings", None), *layers[:freeze_layers]]:
            if module is not None:
                module.requires_grad_(False)
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)
