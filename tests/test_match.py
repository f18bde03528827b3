"""Matching CLI and API: input formats, one-line errors with exit code 2, ranking, backends, the cache.

Input errors are checked before torch is imported, so those CLI tests are fast; the ones that
encode with the tiny model are marked slow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.serving.matcher import Matcher, MatchError, backend_file, load_postings

ROOT = Path(__file__).resolve().parent.parent
QUERY = "부산 거주 3년차 장고 개발자, 오프라인 선호"
POSTINGS = [
    "장고 백엔드 개발자 모집: 부산, 경력 3년 이상, 상주 근무",
    "리액트 프론트엔드 개발자 모집: 서울, 원격 근무",
    "스프링 개발자 모집: 대전, 경력 5년 이상, 하이브리드 근무",
    "파이썬 데이터 엔지니어 모집: 부산, 경력 2년 이상",
    "코틀린 안드로이드 개발자 모집: 인천, 상주 근무",
    "Go 개발자 모집: 광주, 경력 1년 이상, 원격 근무",
]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", KMATCH_CACHE_DIR=str(tmp_path / "cache"))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cli(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.match", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --- postings files (fast) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "column"),
    [(".txt", "")]
    + [(s, c) for s in (".csv", ".tsv", ".jsonl", ".parquet") for c in ("text", "posting_text")],
)
def test_postings_formats(tmp_path: Path, suffix: str, column: str) -> None:
    path = tmp_path / f"postings{suffix}"
    texts = [*POSTINGS, POSTINGS[0]]  # a duplicate is dropped, order kept
    frame = pd.DataFrame({column or "text": texts, "other": range(len(texts))})
    if suffix == ".txt":  # one posting a line; blank lines are skipped
        path.write_text("\n".join([*texts, "", "   "]) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path, index=False)
    assert load_postings(path) == POSTINGS


def test_postings_errors(tmp_path: Path) -> None:
    with pytest.raises(MatchError, match="postings file not found"):
        load_postings(tmp_path / "nope.csv")
    bad = tmp_path / "postings.csv"
    pd.DataFrame({"title": POSTINGS}).to_csv(bad, index=False)
    with pytest.raises(MatchError, match=r"'text' or 'posting_text' column \(it has: title\)"):
        load_postings(bad)
    (tmp_path / "p.xlsx").write_text("x")
    with pytest.raises(MatchError, match="unsupported postings file"):
        load_postings(tmp_path / "p.xlsx")
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(MatchError, match="no postings in"):
        load_postings(tmp_path / "empty.txt")


def test_default_postings_are_the_test_split_posting_texts(
    in_tmp_workdir: Path, tiny_split_dir: Path
) -> None:
    expected = list(dict.fromkeys(pd.read_parquet(tiny_split_dir / "test.parquet").posting_text))
    assert load_postings() == expected


def test_default_postings_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MatchError, match=r"data/split/test.parquet not found .*--postings"):
        load_postings()


# --- CLI input errors: one line, exit code 2 (fast: they fail before torch is imported) -------------------


@pytest.fixture
def postings_txt(tmp_path: Path) -> Path:
    path = tmp_path / "postings.txt"
    path.write_text("\n".join(POSTINGS), encoding="utf-8")
    return path


@pytest.fixture
def fake_model(tmp_path: Path) -> Path:
    """Enough of a model folder to pass the checks that run before loading."""
    path = tmp_path / "model"
    path.mkdir()
    (path / "modules.json").write_text("[]")
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing model", "model folder not found"),
        ("missing postings", "postings file not found"),
        ("empty query", "empty query"),
        ("k zero", "--top-k must be an integer >= 1 (got 0)"),
        ("k negative", "--top-k must be an integer >= 1 (got -3)"),
        ("k not a number", "argument --top-k/-k: invalid int value: 'many'"),
        ("no int8 file", "no int8 ONNX model"),
        ("unknown backend", "argument --backend: invalid choice: 'tpu'"),
    ],
)
def test_cli_input_errors_exit_2_with_one_line(
    case: str, expected: str, tmp_path: Path, postings_txt: Path, fake_model: Path
) -> None:
    args = {
        "missing model": [QUERY, "--model", str(tmp_path / "nope"), "--postings", str(postings_txt)],
        "missing postings": [QUERY, "--model", str(fake_model), "--postings", str(tmp_path / "nope.txt")],
        "empty query": ["   ", "--model", str(fake_model), "--postings", str(postings_txt)],
        "k zero": [QUERY, "--top-k", "0", "--model", str(fake_model), "--postings", str(postings_txt)],
        "k negative": [QUERY, "-k", "-3", "--model", str(fake_model), "--postings", str(postings_txt)],
        "k not a number": [QUERY, "--top-k", "many", "--model", str(fake_model)],
        "no int8 file": [
            QUERY,
            "--backend",
            "onnx-int8",
            "--model",
            str(fake_model),
            "--postings",
            str(postings_txt),
        ],
        "unknown backend": [QUERY, "--backend", "tpu", "--model", str(fake_model)],
    }[case]
    proc = _cli(tmp_path, *args, env=_env(tmp_path))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert proc.stdout == ""


def test_api_rejects_bad_query_and_k_before_encoding(fake_model: Path) -> None:
    with pytest.raises(MatchError, match="unknown backend"):
        backend_file(fake_model, "tpu")
    with pytest.raises(MatchError, match=r"no onnx/model\.onnx"):
        backend_file(fake_model, "onnx")
    assert backend_file(fake_model, "torch") is None


@pytest.mark.parametrize(
    ("files", "cpu_preset", "int8"),
    [
        (
            ["model_qint8_avx2.onnx", "model_qint8_avx512_vnni.onnx"],
            "avx512_vnni",
            "model_qint8_avx512_vnni.onnx",
        ),
        (["model_qint8_avx512_vnni.onnx", "model_qint8_avx2.onnx"], "avx2", "model_qint8_avx2.onnx"),
        # What export writes by default: the 7-bit avx2 file, used on every x86 CPU.
        (["model_qint8_avx2.onnx"], "avx512_vnni", "model_qint8_avx2.onnx"),
        (["model_qint8_avx512_vnni.onnx", "model_qint8_avx2.onnx"], "avx512", "model_qint8_avx2.onnx"),
        # A folder from an older export: whatever int8 file there is.
        (["model_quint8_avx2.onnx"], "avx512_vnni", "model_quint8_avx2.onnx"),
    ],
)
def test_backend_file_picks_the_int8_file_for_this_cpu(
    fake_model: Path, monkeypatch: pytest.MonkeyPatch, files: list[str], cpu_preset: str, int8: str
) -> None:
    import pipeline.serving.matcher as match

    (fake_model / "onnx").mkdir(exist_ok=True)
    for name in files:
        (fake_model / "onnx" / name).write_bytes(b"")
    monkeypatch.setattr(match, "detect_quantization", lambda: cpu_preset)
    assert backend_file(fake_model, "onnx-int8") == f"onnx/{int8}"


# --- with a real (tiny) model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """The tiny model with onnx/model.onnx and an int8 file, made with sentence-transformers' utilities."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model

    path = tmp_path_factory.mktemp("match_model") / "model"
    shutil.copytree(tiny_model_dir, path)
    model = SentenceTransformer(str(path), backend="onnx", device="cpu", local_files_only=True)
    model.save(str(path), create_model_card=False)
    export_dynamic_quantized_onnx_model(model, "avx2", str(path))
    return path


@pytest.mark.slow
def test_matcher_ranks_like_brute_force_and_caches(onnx_model_dir: Path, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    matcher = Matcher(onnx_model_dir, POSTINGS, cache_dir=tmp_path)
    assert not matcher.cache_hit and matcher.cache_path is not None and matcher.cache_path.is_file()
    top = matcher.top_k(QUERY, 3)
    model = SentenceTransformer(str(onnx_model_dir), device="cpu", local_files_only=True)
    q = model.encode([QUERY], normalize_embeddings=True)[0]
    docs = model.encode(POSTINGS, normalize_embeddings=True)
    scores = docs @ q
    expected = np.argsort(-scores, kind="stable")[:3]
    assert [m.index for m in top] == expected.tolist()
    assert [m.rank for m in top] == [1, 2, 3] and [m.text for m in top] == [POSTINGS[i] for i in expected]
    assert [m.score for m in top] == pytest.approx(scores[expected].tolist(), abs=1e-5)
    assert len(matcher.top_k(QUERY, 100)) == len(POSTINGS)

    again = Matcher(onnx_model_dir, POSTINGS, cache_dir=tmp_path)
    assert again.cache_hit and np.array_equal(again.embeddings, matcher.embeddings)
    other_corpus = Matcher(onnx_model_dir, POSTINGS[:-1], cache_dir=tmp_path)
    assert not other_corpus.cache_hit
    other_backend = Matcher(onnx_model_dir, POSTINGS, backend="onnx", cache_dir=tmp_path)
    assert not other_backend.cache_hit
    with pytest.raises(MatchError, match="empty query"):
        matcher.top_k("", 3)
    with pytest.raises(MatchError, match="--top-k"):
        matcher.top_k(QUERY, 0)


@pytest.mark.slow
def test_onnx_backends_agree_with_torch(onnx_model_dir: Path, tmp_path: Path) -> None:
    ranked = {
        backend: Matcher(onnx_model_dir, POSTINGS, backend=backend, use_cache=False).top_k(
            QUERY, len(POSTINGS)
        )
        for backend in ("torch", "onnx", "onnx-int8")
    }
    by_text = {b: {m.text: m.score for m in r} for b, r in ranked.items()}
    for text, score in by_text["torch"].items():
        assert by_text["onnx"][text] == pytest.approx(score, abs=1e-4)
        assert by_text["onnx-int8"][text] == pytest.approx(score, abs=0.05)


@pytest.mark.slow
def test_cli_text_and_json(onnx_model_dir: Path, postings_txt: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    base = [QUERY, "--model", str(onnx_model_dir), "--postings", str(postings_txt), "--top-k", "3"]
    proc = _cli(tmp_path, *base, "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["query"] == QUERY and result["num_postings"] == len(POSTINGS) and result["cache"] == "miss"
    scores = [m["score"] for m in result["results"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert all(m["text"] in POSTINGS for m in result["results"])

    proc = _cli(tmp_path, *base, env=env)  # second call: the postings come from the cache
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == f"top 3 of {len(POSTINGS)} postings for: {QUERY}" and "cache: hit" in lines[1]
    for m, line in zip(result["results"], lines[2:], strict=True):
        assert line == f"{m['rank']:>3}. {m['score']:.4f}  {m['text']}"

    proc = _cli(tmp_path, *base, "--backend", "onnx-int8", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["backend"] == "onnx-int8"


@pytest.mark.slow
def test_cli_defaults_to_test_split_postings(
    onnx_model_dir: Path, tiny_split_dir: Path, in_tmp_workdir: Path
) -> None:
    proc = _cli(
        in_tmp_workdir, QUERY, "--model", str(onnx_model_dir), "--format", "json", env=_env(in_tmp_workdir)
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    expected = set(pd.read_parquet(tiny_split_dir / "test.parquet").posting_text)
    assert result["num_postings"] == len(expected) and len(result["results"]) == 5
    assert {m["text"] for m in result["results"]} <= expected


def test_cache_key_follows_the_files_the_backend_loads(tmp_path: Path) -> None:
    from pipeline.serving.matcher import model_fingerprint

    model = tmp_path / "model"
    (model / "onnx").mkdir(parents=True)
    for name, data in {
        "model.safetensors": b"w1",
        "config.json": b"{}",
        "README.md": b"card",
        "onnx/model.onnx": b"o1",
        "onnx/model_qint8_avx2.onnx": b"q1",
    }.items():
        (model / name).write_bytes(data)

    def keys() -> dict[str, str]:
        return {
            "torch": model_fingerprint(model, "torch", None),
            "onnx": model_fingerprint(model, "onnx", "onnx/model.onnx"),
            "int8": model_fingerprint(model, "onnx-int8", "onnx/model_qint8_avx2.onnx"),
        }

    first = keys()
    assert len(set(first.values())) == 3
    (model / "README.md").write_bytes(b"a new card")  # the card does not change embeddings
    assert keys() == first
    (model / "onnx" / "model_qint8_avx2.onnx").write_bytes(b"q2")
    second = keys()
    assert (
        second["int8"] != first["int8"]
        and second["torch"] == first["torch"]
        and second["onnx"] == first["onnx"]
    )
    (model / "model.safetensors").write_bytes(b"w2-new-size")
    assert keys()["torch"] != second["torch"] and keys()["onnx"] == second["onnx"]


# --- failures found by the bad-input audit (#12) ----------------------------------------------------------


def test_non_utf8_postings_exit_2_naming_file_and_line(tmp_path: Path, fake_model: Path) -> None:
    postings = tmp_path / "cp949.txt"
    postings.write_bytes("첫 공고\n".encode() + "부산 장고 개발자 모집\n".encode("cp949"))
    proc = _cli(tmp_path, QUERY, "--model", str(fake_model), "--postings", str(postings), env=_env(tmp_path))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cp949.txt: cannot be read as txt (not UTF-8" in lines[0], proc.stderr
    assert "line 2" in lines[0] and "iconv -f cp949 -t utf-8" in lines[0]


def _notices() -> tuple[list[str], Any]:
    seen: list[str] = []
    return seen, seen.append


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (lambda e: e[:-1], "expected float32"),  # wrong shape: used to crash every call (matmul)
        (lambda e: e.astype(np.float64), "expected float32"),
        (lambda e: np.full_like(e, np.nan), "non-finite"),  # used to be served: NaN scores, exit 0
        (lambda e: np.zeros_like(e), "not unit vectors"),  # used to be served: scores of 0.0
        (None, "unreadable"),
    ],
)
def test_a_cache_entry_that_cannot_be_right_is_recomputed(
    tiny_model_dir: Path, tmp_path: Path, entry: Any, problem: str
) -> None:
    seen, notice = _notices()
    first = Matcher(tiny_model_dir, POSTINGS, cache_dir=tmp_path, notice=notice)
    assert first.cache_path is not None and not first.cache_hit and seen == []
    if entry is None:
        first.cache_path.write_bytes(b"not an npy file")
    else:
        np.save(first.cache_path.with_suffix(""), entry(first.embeddings))  # np.save adds .npy back
    again = Matcher(tiny_model_dir, POSTINGS, cache_dir=tmp_path, notice=notice)
    assert not again.cache_hit and np.array_equal(again.embeddings, first.embeddings)
    assert len(seen) == 1 and "discarding cached posting embeddings" in seen[0] and problem in seen[0]
    third = Matcher(tiny_model_dir, POSTINGS, cache_dir=tmp_path, notice=notice)
    assert third.cache_hit and len(seen) == 1  # the recomputed entry replaced the bad one


def test_retrained_weights_of_the_same_size_and_mtime_miss_the_cache(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    """The cache key hashes content: a memo keyed by size and mtime used to serve stale embeddings."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    first = Matcher(model, POSTINGS, cache_dir=tmp_path / "cache")
    weights = model / "model.safetensors"
    stat = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-4:] = np.float32(0.5).tobytes()  # "retrained": the last weight changes, the size does not
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert weights.stat().st_size == stat.st_size and weights.stat().st_mtime_ns == stat.st_mtime_ns
    again = Matcher(model, POSTINGS, cache_dir=tmp_path / "cache")
    assert not again.cache_hit and again.cache_path != first.cache_path


def test_a_folder_that_disagrees_with_its_manifest_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    from pipeline.release.manifest import tree_sha256

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    manifest = {"model": {"files_sha256": tree_sha256(model)}}
    (model / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    Matcher(model, POSTINGS, cache_dir=tmp_path / "cache")  # agrees: served
    (model / "README.md").write_text("a new card", encoding="utf-8")  # the card changes no embedding
    Matcher(model, POSTINGS, cache_dir=tmp_path / "cache")
    (model / "config.json").write_text((model / "config.json").read_text() + "\n", encoding="utf-8")
    with pytest.raises(MatchError, match=r"config\.json differs from .*manifest\.json.*partial copy"):
        Matcher(model, POSTINGS, cache_dir=tmp_path / "cache")


def test_truncated_query_and_postings_get_a_notice(tiny_model_dir: Path, tmp_path: Path) -> None:
    seen, notice = _notices()
    long_posting = "부산 장고 백엔드 개발자 모집 " * 200
    matcher = Matcher(tiny_model_dir, [*POSTINGS, long_posting], use_cache=False, notice=notice)
    assert len(seen) == 1 and f"1 of {len(POSTINGS) + 1} postings are longer than" in seen[0]
    matcher.top_k(QUERY, 3)
    assert len(seen) == 1  # a short query: nothing to say
    matcher.top_k("부산 거주 3년차 장고 개발자 " * 2000, 3)  # 10,000+ characters
    limit = matcher.model.max_seq_length
    expected = f"the query is longer than the model's {limit} tokens: ranked on the first {limit} only"
    assert seen[-1] == expected


def test_a_pickled_model_folder_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    torch.save(load_file(model / "model.safetensors"), model / "pytorch_model.bin")
    (model / "model.safetensors").unlink()
    with pytest.raises(MatchError, match=r"no \.safetensors weights \(it holds pytorch_model\.bin\)"):
        Matcher(model, POSTINGS, use_cache=False)


def test_dead_writers_temporaries_are_removed(tiny_model_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    leftover = cache / f".abc.tmp-{int(dead.stdout)}.npy"
    live = cache / f".def.tmp-{os.getppid()}.npy"  # a live process's: not ours to delete
    leftover.write_bytes(b"half")
    live.write_bytes(b"in progress")
    Matcher(tiny_model_dir, POSTINGS, cache_dir=cache)
    assert not leftover.exists() and live.exists()
