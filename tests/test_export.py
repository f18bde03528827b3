"""Export stage: model folder + card + ONNX/int8 ONNX, parity gates, metrics and manifest.

Fast tests cover the parity arithmetic, the hashes and offline card generation; the slow ones run
``python -m pipeline.stages.export`` on the tiny model in a scratch work dir and load every artifact in a
fresh process.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.config.compose import compose_config, compose_dict
from pipeline.cpu import detect_quantization
from pipeline.io import file_sha256
from pipeline.release.card import flatten_metrics, fmt
from pipeline.release.manifest import config_hash, dvc_lock_hashes
from pipeline.release.parity import ParityError, check_parity, parity_report, parity_sample
from tests.conftest import TINY_OVERRIDES

ROOT = Path(__file__).resolve().parent.parent
PARITY_TEXTS = 120
# A small parity sample, and a Spearman gate for the trained tiny model: its cosines lie so close together
# that int8 rounding reorders many of its 69 test pairs (a drop of ~0.007 on x86).
EXPORT_OVERRIDES = (f"export.parity_max_texts={PARITY_TEXTS}", "export.max_spearman_drop=0.05")
# Distinctive digits, so finding them in the card cannot be a coincidence.
EVAL_METRICS = {
    "base": {
        "sts_spearman_cosine": 0.412345,
        "ndcg@10": 0.523456,
        "mrr@10": 0.498765,
        "recall@1": 0.213579,
        "recall@5": 0.386421,
        "recall@10": 0.517283,
        "map@100": 0.341592,
    },
    "finetuned": {
        "sts_spearman_cosine": 0.687654,
        "ndcg@10": 0.701928,
        "mrr@10": 0.672819,
        "recall@1": 0.364758,
        "recall@5": 0.592817,
        "recall@10": 0.718293,
        "map@100": 0.563829,
    },
    "info": {"n_queries": 77, "source": "synthetic"},
}
EVAL_METRICS["delta"] = {
    k: round(EVAL_METRICS["finetuned"][k] - v, 6) for k, v in EVAL_METRICS["base"].items()
}


# --- fast: parity arithmetic ------------------------------------------------------------------------------


def _pairs() -> pd.DataFrame:
    rows = [(f"p{i % 7}", f"j{i % 11}", (i * 37 % 100) / 100) for i in range(60)]
    return pd.DataFrame(rows, columns=["profile_text", "posting_text", "score"])


def test_parity_sample_respects_the_budget_and_is_deterministic() -> None:
    test = _pairs()
    texts, pairs = parity_sample(test, max_texts=10, seed=3)
    assert len(texts) <= 10 and len(set(texts)) == len(texts)
    assert len(pairs) > 0
    assert set(pairs.profile_text) | set(pairs.posting_text) <= set(texts)
    again_texts, again_pairs = parity_sample(test, max_texts=10, seed=3)
    assert again_texts == texts and again_pairs.equals(pairs)
    all_texts, all_pairs = parity_sample(test, max_texts=1000, seed=3)
    assert len(all_pairs) == len(test) and len(all_texts) == 7 + 11


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_parity_report_identical_embeddings_pass() -> None:
    texts, pairs = parity_sample(_pairs(), 1000, 0)
    ref = _unit(np.random.default_rng(0).normal(size=(len(texts), 16)).astype(np.float32))
    report = parity_report(ref, {"onnx": ref.copy()}, texts, pairs)
    assert report["parity_texts"] == len(texts) and report["parity_pairs"] == len(pairs)
    assert report["onnx"]["mean_cosine"] == pytest.approx(1.0, abs=1e-6)
    assert report["onnx"]["spearman_drop"] == pytest.approx(0.0, abs=1e-12)
    check_parity(report, min_mean_cosine=0.99, max_spearman_drop=0.005)


def test_parity_failure_names_backend_and_figures() -> None:
    texts, pairs = parity_sample(_pairs(), 1000, 0)
    rng = np.random.default_rng(1)
    ref = _unit(rng.normal(size=(len(texts), 16)).astype(np.float32))
    noisy = _unit(ref + rng.normal(scale=0.5, size=ref.shape).astype(np.float32))
    report = parity_report(ref, {"onnx": ref.copy(), "onnx-int8": noisy}, texts, pairs)
    with pytest.raises(ParityError) as info:
        check_parity(report, min_mean_cosine=0.99, max_spearman_drop=0.005)
    msg = str(info.value)
    assert "onnx-int8: mean cosine vs torch" in msg and f"{report['onnx-int8']['mean_cosine']:.6f}" in msg
    assert "export.min_mean_cosine 0.99" in msg
    assert "onnx:" not in msg.replace("onnx-int8:", "")  # the fp32 export passed and is not blamed


def test_nan_spearman_never_passes_unless_both_undefined() -> None:
    texts, pairs = parity_sample(_pairs(), 1000, 0)
    pairs = pairs.assign(score=0.5)  # constant scores: Spearman undefined for every backend
    ref = _unit(np.random.default_rng(2).normal(size=(len(texts), 8)).astype(np.float32))
    report = parity_report(ref, {"onnx": ref.copy()}, texts, pairs)
    assert report["onnx"]["spearman_drop"] == 0.0
    check_parity(report, 0.99, 0.005)
    report["onnx"]["mean_cosine"] = float("nan")
    with pytest.raises(ParityError):
        check_parity(report, 0.99, 0.005)


# --- fast: hashes, formatting -----------------------------------------------------------------------------


def test_config_hash_covers_what_the_model_depends_on() -> None:
    base = compose_config()
    assert config_hash(base) == config_hash(compose_config())
    for changed in (
        "train.args.learning_rate=0.001",
        "seed=7",
        "loss.module.scale=10.0",
        "data.num_pairs=500",
        "model=tiny",
    ):
        assert config_hash(compose_config([changed])) != config_hash(base), changed
    # Export and evaluation settings do not change the fine-tuned weights.
    for same in ("export.min_mean_cosine=0.5", "eval.relevance_threshold=0.5", "runtime.num_threads=2"):
        assert config_hash(compose_config([same])) == config_hash(base), same


def test_dvc_lock_hashes_lists_upstream_outputs(tmp_path: Path) -> None:
    lock = tmp_path / "dvc.lock"
    assert dvc_lock_hashes(lock) == {}
    lock.write_text(
        yaml.safe_dump(
            {
                "schema": "2.0",
                "stages": {
                    "split": {"outs": [{"path": "data/split", "md5": "abc.dir", "size": 1}]},
                    "export": {"outs": [{"path": "data/export/model", "md5": "zzz.dir"}]},
                },
            }
        )
    )
    assert dvc_lock_hashes(lock) == {"data/split": "abc.dir"}


def test_flatten_and_format() -> None:
    assert flatten_metrics({"a": {"b": 1, "c": [1, 2]}, "d": 0.5}) == {"a/b": 1, "a/c": [1, 2], "d": 0.5}
    assert fmt(0.123456) == "0.1235" and fmt(3) == "3" and fmt("x") == "x" and fmt(None) == "-"


def test_detect_quantization_is_a_valid_preset() -> None:
    from pipeline.config.schema import QUANTIZATIONS

    assert detect_quantization() in QUANTIZATIONS[1:]


@pytest.mark.parametrize(
    ("here", "preset"),
    [("avx512_vnni", "avx2"), ("avx512", "avx2"), ("avx2", "avx2"), ("arm64", "arm64")],
)
def test_auto_int8_preset_is_one_file_for_every_x86_cpu(
    monkeypatch: pytest.MonkeyPatch, here: str, preset: str
) -> None:
    import pipeline.release.onnx as export

    monkeypatch.setattr(export, "detect_quantization", lambda: here)
    assert export.int8_preset("auto") == preset
    assert export.int8_preset("avx512_vnni") == "avx512_vnni"


def test_x86_without_vnni_gets_signed_7bit_weights() -> None:
    """U8S8 runs ONNX Runtime's fast AVX2 kernel; 7-bit weights keep its int16 sums from saturating."""
    from onnxruntime.quantization import QuantType

    from pipeline.release.onnx import _quantization_config

    for preset in ("avx2", "avx512"):
        q = _quantization_config(preset, [])
        assert (q.weights_dtype, q.activations_dtype, q.reduce_range) == (
            QuantType.QInt8,
            QuantType.QUInt8,
            True,
        )
    vnni = _quantization_config("avx512_vnni", ["/x/MatMul"])
    assert (vnni.weights_dtype, vnni.reduce_range, vnni.nodes_to_exclude) == (
        QuantType.QInt8,
        False,
        ["/x/MatMul"],
    )


# --- the card: the Trainer's, plus the export sections ----------------------------------------------------


def _headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("## ") or line.startswith("### ")]


def test_model_card_is_the_trainers_card_with_the_export_sections(tiny_trained_model_dir: Path) -> None:
    from pipeline.release.card import CardInputs, build_model_card

    trainer_card = (tiny_trained_model_dir / "README.md").read_text(encoding="utf-8")
    inputs = CardInputs(
        cfg=compose_config([*TINY_OVERRIDES]),
        eval_metrics=EVAL_METRICS,
        data_metrics={"num_pairs": 4321},
        split_metrics={"test": {"pairs": 432}},
        parity={
            "parity_texts": 10,
            "parity_pairs": 5,
            "torch_spearman": 0.5,
            "onnx": {"mean_cosine": 1.0, "min_cosine": 1.0, "spearman": 0.5, "spearman_drop": 0.0},
        },
        onnx_files={"onnx": "onnx/model.onnx"},
        versions={"onnxruntime": "1.x"},
        model_ref="data/export/model",
    )
    card = build_model_card(trainer_card, inputs)
    # The Trainer's metadata and every one of its sections, in its order; only the snippet's model changes.
    front_matter = trainer_card.split("\n---\n", 1)[0]
    assert card.startswith(front_matter + "\n---\n")
    headings = _headings(card)
    assert [h for h in headings if h in _headings(trainer_card)] == _headings(trainer_card)
    assert 'SentenceTransformer("data/export/model")' in card and "sentence_transformers_model_id" not in card
    for group in ("base", "finetuned", "delta"):
        for value in EVAL_METRICS[group].values():
            assert f"{value:.4f}" in card
    assert "4321" in card and "432" in card and 'model_kwargs={"file_name": "onnx/model.onnx"}' in card
    assert "- onnxruntime: 1.x" in card

    def at(heading: str) -> int:
        return headings.index(heading)

    assert (
        at("### Direct Usage (Sentence Transformers)")
        < at("### ONNX and int8 ONNX (CPU)")
        < at("## Evaluation")
    )
    assert (
        at("## Evaluation")
        < at("### Base model vs fine-tuned (test split)")
        < at("### Export parity (test split)")
    )
    assert at("### Export parity (test split)") < at("## Training Details") < at("### Data Statistics")
    assert at("### Data Statistics") < at("### Training Hyperparameters")
    assert at("### Framework Versions") < at("### Export Framework Versions") < at("## Citation")


def test_card_lists_realtext_and_seen_unseen_metrics_in_their_own_tables() -> None:
    """The hand-written set and the seen/unseen split each get a table (base, fine-tuned, delta) and a line
    saying what they are; the test-split table keeps the rest. No Trainer card needed: a bare one will do."""
    from pipeline.release.card import CardInputs, build_model_card

    extra = {
        "realtext_ndcg@10": (0.314159, 0.402718),
        "realtext_mrr@10": (0.271828, 0.333111),
        "realtext_sts_spearman_cosine": (0.161803, 0.223606),
        "sts_spearman_cosine_seen": (0.577215, 0.693147),
        "sts_spearman_cosine_unseen": (0.141421, 0.173205),
        "ndcg@10_seen": (0.618033, 0.707106),
        "ndcg@10_unseen": None,  # no unseen query had a relevant posting: null in eval.json
    }
    metrics = json.loads(json.dumps(EVAL_METRICS))
    for name, values in extra.items():
        b, f = values or (None, None)
        metrics["base"][name], metrics["finetuned"][name] = b, f
        metrics["delta"][name] = None if values is None else round(f - b, 6)
    metrics["info"]["realtext"] = {"n_profiles": 50, "n_postings": 104}
    inputs = CardInputs(
        cfg=compose_config([]),
        eval_metrics=metrics,
        data_metrics={},
        split_metrics={},
        parity={},
        onnx_files={},
        versions={},
        model_ref="data/export/model",
    )
    card = build_model_card("---\nlanguage: ko\n---\n\n## Evaluation\n\n## Training Details\n", inputs)
    sections = {}
    for block in card.split("\n### ")[1:]:
        title, _, body = block.partition("\n")
        sections[title] = body
    test, forms = (
        sections["Base model vs fine-tuned (test split)"],
        sections["Seen vs unseen surface forms (test split)"],
    )
    realtext = sections["Hand-written Korean texts (realtext)"]
    assert "| recall@5 |" in test and "realtext_" not in test and "_seen" not in test
    assert "50 profiles and 104 postings written by hand" in realtext and "never trained on" in realtext
    assert "scored by the project's matching rules" in realtext
    for name, values in extra.items():
        row = next(line for line in card.splitlines() if line.startswith(f"| {name} |"))
        assert row in (realtext if name.startswith("realtext_") else forms)
        if values is None:
            assert row == f"| {name} | - | - | - |"
        else:
            b, f = values
            assert row == f"| {name} | {b:.4f} | {f:.4f} | {f - b:.4f} |"


# --- slow: the stage end to end ---------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_export(work: Path, params: str = "params.yaml") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.stages.export", params],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _write_params(path: Path, *overrides: str) -> None:
    raw = compose_dict([*TINY_OVERRIDES, *EXPORT_OVERRIDES, *overrides])
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, tiny_trained_model_dir: Path, tiny_split_dir: Path
) -> Path:
    """A work dir after a successful ``python -m pipeline.stages.export`` on the trained tiny model."""
    work = tmp_path_factory.mktemp("export_work")
    (work / "data").mkdir()
    shutil.copytree(tiny_split_dir, work / "data" / "split")
    shutil.copytree(tiny_trained_model_dir, work / "data" / "model")
    metrics = work / "metrics"
    metrics.mkdir()
    (metrics / "eval.json").write_text(json.dumps(EVAL_METRICS), encoding="utf-8")
    upstream = tiny_split_dir.parent.parent / "metrics"  # written there when the real data stages ran
    for name, fallback in (
        ("data.json", {"num_pairs": 6543, "mean_score": 0.456789}),
        ("split.json", {"test": {"pairs": 654, "groups": 3}}),
    ):
        src = upstream / name
        if src.is_file():
            shutil.copy(src, metrics / name)
        else:
            (metrics / name).write_text(json.dumps(fallback), encoding="utf-8")
    shutil.copytree(ROOT / "plots" / "eval", work / "plots" / "eval")  # the card's pictures are drawn from it
    _write_params(work / "params.yaml")
    proc = _run_export(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


@pytest.mark.slow
def test_export_writes_every_artifact(exported: Path) -> None:
    model = exported / "data" / "export" / "model"
    assert (model / "README.md").is_file() and (model / "modules.json").is_file()
    assert (model / "onnx" / "model.onnx").is_file()
    int8 = [p.name for p in (model / "onnx").glob("model_*int8_*.onnx")]
    assert int8 == [
        "model_qint8_arm64.onnx" if platform.machine() in ("arm64", "aarch64") else "model_qint8_avx2.onnx"
    ]
    assert not list((exported / "data" / "export").glob(".model.*"))  # no temp folder left behind
    report = json.loads((exported / "metrics" / "export.json").read_text())
    cfg = compose_config([*TINY_OVERRIDES, *EXPORT_OVERRIDES])
    for backend in ("onnx", "onnx-int8"):
        fig = report[backend]
        assert fig["mean_cosine"] >= cfg.export.min_mean_cosine
        assert fig["spearman_drop"] <= cfg.export.max_spearman_drop
    assert 0 < report["parity_texts"] <= PARITY_TEXTS and report["parity_pairs"] > 0


@pytest.mark.slow
def test_every_artifact_loads_in_a_fresh_process(exported: Path) -> None:
    model = exported / "data" / "export" / "model"
    int8 = next((model / "onnx").glob("model_*int8_*.onnx")).relative_to(model).as_posix()
    script = f"""
import json, numpy as np
from sentence_transformers import SentenceTransformer
texts = ["부산 거주 3년차 장고 개발자, 오프라인 선호", "서울 백엔드 개발자 모집"]
path = {str(model)!r}
torch_m = SentenceTransformer(path, device="cpu", local_files_only=True)
onnx_m = SentenceTransformer(path, backend="onnx", model_kwargs={{"file_name": "onnx/model.onnx"}})
int8_m = SentenceTransformer(path, backend="onnx", model_kwargs={{"file_name": {int8!r}}})
ref = torch_m.encode(texts, normalize_embeddings=True)
out = {{"dim": int(ref.shape[1])}}
for name, m in (("onnx", onnx_m), ("int8", int8_m)):
    emb = m.encode(texts, normalize_embeddings=True)
    out[name] = float((ref * emb).sum(1).min())
print(json.dumps(out))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=exported, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["dim"] > 0 and out["onnx"] > 0.999 and out["int8"] > 0.98


@pytest.mark.slow
def test_card_holds_the_real_metrics(exported: Path) -> None:
    card = (exported / "data" / "export" / "model" / "README.md").read_text(encoding="utf-8")
    evaluation = json.loads((exported / "metrics" / "eval.json").read_text())
    for group in ("base", "finetuned", "delta"):
        for name, value in evaluation[group].items():
            assert f"{value:.4f}" in card, (group, name, value)
    for name, value in flatten_metrics(json.loads((exported / "metrics" / "data.json").read_text())).items():
        if isinstance(value, float):
            assert f"{value:.4f}" in card, name
    report = json.loads((exported / "metrics" / "export.json").read_text())
    assert f"{report['onnx-int8']['mean_cosine']:.4f}" in card and "### Export parity" in card
    header = yaml.safe_load(card.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert header["language"] == ["ko"] and header["model-index"]
    # The Trainer's card (data/model/README.md) is kept whole: everything sentence-transformers writes.
    trainer_card = (exported / "data" / "model" / "README.md").read_text(encoding="utf-8")
    assert set(_headings(trainer_card)) <= set(_headings(card))
    for part in (
        "## Model Details",
        "### Full Model Architecture",
        "## Usage",
        "### Training Dataset",
        "* Samples:",
        "CoSENTLoss",
        "### Training Hyperparameters",
        "### Training Logs",
        "### Framework Versions",
        "model-index:",
        'SentenceTransformer("data/export/model")',
        "onnx/model.onnx",
    ):
        assert part in card, part


@pytest.mark.slow
def test_manifest_pins_config_data_metrics_and_versions(exported: Path) -> None:
    model = exported / "data" / "export" / "model"
    manifest = json.loads((model / "manifest.json").read_text())
    cfg = compose_config([*TINY_OVERRIDES, *EXPORT_OVERRIDES])
    assert manifest["config_hash"] == config_hash(cfg)
    split = exported / "data" / "split"
    assert manifest["data"]["split_sha256"]["test.parquet"] == file_sha256(split / "test.parquet")
    assert manifest["metrics"]["eval"] == json.loads((exported / "metrics" / "eval.json").read_text())
    assert manifest["metrics"]["export"] == json.loads((exported / "metrics" / "export.json").read_text())
    for lib in ("sentence_transformers", "torch", "onnxruntime", "transformers"):
        assert manifest["versions"][lib]
    # The manifest lists every other file of the folder it was swapped in with, by content.
    files = sorted(p.relative_to(model).as_posix() for p in model.rglob("*") if p.is_file())
    assert sorted(manifest["model"]["files_sha256"]) == [f for f in files if f != "manifest.json"]
    for rel, sha in manifest["model"]["files_sha256"].items():
        assert file_sha256(model / rel) == sha, rel


@pytest.mark.slow
def test_card_pictures_are_in_the_folder_and_the_manifest(exported: Path) -> None:
    model = exported / "data" / "export" / "model"
    manifest = json.loads((model / "manifest.json").read_text())
    card = (model / "README.md").read_text(encoding="utf-8")
    pictures = sorted(p.relative_to(model).as_posix() for p in (model / "images").glob("*.png"))
    assert pictures == ["images/calibration.png", "images/scatter.png"]
    for picture in pictures:
        assert manifest["model"]["files_sha256"][picture] == file_sha256(model / picture)
        assert f"]({picture})" in card


@pytest.mark.slow
def test_parity_failure_fails_the_stage_and_keeps_previous_outputs(exported: Path) -> None:
    out = exported / "data" / "export"
    kept = [out / "model" / "manifest.json", out / "model" / "README.md"]
    kept.append(exported / "metrics" / "export.json")
    before = {p: p.read_bytes() for p in kept}
    # No int8 model reproduces fp32 embeddings exactly: a mean cosine of 1.0 is out of reach.
    _write_params(exported / "impossible.yaml", "export.min_mean_cosine=1.0")
    proc = _run_export(exported, "impossible.yaml")
    assert proc.returncode != 0
    err = proc.stderr
    assert "export parity failed" in err and "onnx-int8: mean cosine vs torch 0.99" in err
    assert "< export.min_mean_cosine 1.0" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in before} == before
    assert not list(out.glob(".model.*"))


@pytest.mark.slow
def test_int8_fp32_nodes_stay_unquantized(exported: Path, tmp_path: Path) -> None:
    import onnx

    for part in ("data/split", "data/model", "metrics"):
        shutil.copytree(exported / part, tmp_path / part)
    _write_params(tmp_path / "params.yaml", "export.int8_fp32_nodes=[/output/dense/MatMul$]")
    proc = _run_export(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((tmp_path / "data" / "export" / "model" / "manifest.json").read_text())
    int8 = tmp_path / "data" / "export" / "model" / manifest["model"]["onnx_files"]["onnx-int8"]
    nodes = {n.name: n.op_type for n in onnx.load(str(int8)).graph.node}
    kept = [n for n in nodes if n.endswith("/output/dense/MatMul")]
    assert kept and all(nodes[n] == "MatMul" for n in kept)  # FFN outputs (and attention outputs) in fp32
    assert any(op == "MatMulInteger" for op in nodes.values())  # everything else still int8
