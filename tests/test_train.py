"""Training stage: every loss trains the tiny model end to end; checkpoints resume; config errors."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pipeline.config import Config, ConfigError
from pipeline.config.compose import compose_config, compose_dict
from pipeline.config.schema import PathsConfig
from pipeline.training.checkpoints import COMPLETE_MARKER, config_fingerprint, last_checkpoint
from pipeline.training.frozen_cache import freeze_parameters
from pipeline.training.trainer import train
from tests.conftest import config_error

ROOT = Path(__file__).resolve().parent.parent


def _paths(tmp_path: Path, split_dir: Path, base: Path) -> PathsConfig:
    """The configured paths below ``tmp_path``, reading the shared tiny split and base model."""
    paths = compose_config([]).paths.under(tmp_path)
    return paths.model_copy(update={"split_dir": split_dir, "base_model": base})


def _tsv(path: Path) -> dict[str, list[float]]:
    """A DVCLive metric history: column name -> values (``step`` and the metric)."""
    header, *rows = (line.split("\t") for line in path.read_text().splitlines())
    return {name: [float(r[i]) for r in rows] for i, name in enumerate(header)}


LOSS_CASES = {
    "cosine": ["loss=cosine"],
    "cosent": ["loss=cosent"],
    "angle": ["loss=angle"],
    "mnrl": ["loss=mnrl"],
    "cached_mnrl": ["loss=cached_mnrl", "loss.module.mini_batch_size=8"],
    "matryoshka_cosent": ["loss=cosent", "loss.matryoshka_dims=[64,32,16]"],
    "matryoshka_mnrl": ["loss=mnrl", "loss.matryoshka_dims=[64,16]"],
    "cosent_shared_texts": ["loss=cosent", "train.batches=shared_texts"],
    "cosine_random": ["loss=cosine", "train.batches=random"],
    "angle_length_grouped": ["loss=angle", "train.batches=length_grouped"],
    "cosent_frozen_cache": ["loss=cosent", "train.freeze_layers=1"],
    "mnrl_frozen_cache": ["loss=mnrl", "train.freeze_layers=1"],
}


# One case per loss and the default path (CoSENT on cached frozen layers) in the fast suite; the combinations
# (Matryoshka, other batchers) in the slow one, which CI runs too: the fast suite stays under 2 minutes.
FAST_LOSS_CASES = {"cosine", "cosent", "angle", "mnrl", "cached_mnrl", "cosent_frozen_cache"}
LOSS_PARAMS = [
    c if c in FAST_LOSS_CASES else pytest.param(c, marks=pytest.mark.slow) for c in sorted(LOSS_CASES)
]


@pytest.mark.parametrize("case", LOSS_PARAMS)
def test_tiny_model_trains_with_every_loss(
    case: str, tmp_path: Path, tiny_config: Callable[..., Config], tiny_split_dir: Path, tiny_model_dir: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    cfg = tiny_config(*LOSS_CASES[case])
    paths = _paths(tmp_path, tiny_split_dir, tiny_model_dir)
    summary = train(cfg, paths)

    assert summary["global_step"] == cfg.train.args.max_steps
    assert math.isfinite(summary["train_loss"])
    assert -1.0 <= summary["dev_spearman_cosine"] <= 1.0
    # the tiny dev split holds a group written in held-out forms (and may hold one in seen forms)
    assert -1.0 <= summary["dev_spearman_cosine_unseen"] <= 1.0
    assert -1.0 <= summary.get("dev_spearman_cosine_seen", 0.0) <= 1.0
    assert json.loads(paths.train_metrics.read_text()) == summary
    model = SentenceTransformer(str(paths.model), device="cpu")
    emb = model.encode(["서울 파이썬 개발자"])
    assert emb.shape == (1, 64) and math.isfinite(float(emb.sum()))
    # DVCLive: training loss and the dev metric by global step, and a summary for `dvc exp show`.
    loss = _tsv(paths.live / "plots" / "metrics" / "loss.tsv")
    assert list(loss["step"]) == list(range(2, cfg.train.args.max_steps + 1, 2))
    assert all(math.isfinite(v) for v in loss["loss"])
    dev = _tsv(paths.live / "plots" / "metrics" / "eval" / "dev_spearman_cosine.tsv")
    assert dev["step"] == [6, 12]
    live_summary = json.loads((paths.live / "metrics.json").read_text())
    assert live_summary["eval"]["dev_spearman_cosine"] == pytest.approx(summary["dev_spearman_cosine"])
    assert not paths.checkpoints.exists(), "checkpoints are dropped after a finished run"
    cached = cfg.train.freeze_layers if "frozen_cache" in case else 0
    assert summary["cached_frozen_layers"] == cached
    assert (summary["frozen_cache_texts"] > 0) == bool(cached)


def test_trainer_writes_the_model_card_offline(
    tmp_path: Path,
    tiny_config: Callable[..., Config],
    tiny_split_dir: Path,
    tiny_model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hub lookups enabled as far as the environment goes, sockets blocked: the card must not try either."""
    import socket

    import huggingface_hub
    import sentence_transformers.base.model_card as st_card
    from huggingface_hub import constants

    calls: list[str] = []

    def blocked(name: str):  # type: ignore[no-untyped-def]
        def fn(*args: object, **kwargs: object) -> None:
            calls.append(f"{name}{args}")
            raise OSError(f"{name} blocked by test")

        return fn

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket.socket, "connect", blocked("socket"))
    for name in ("get_model_info", "get_dataset_info"):
        monkeypatch.setattr(st_card, name, blocked(name))
    monkeypatch.setattr(huggingface_hub, "model_info", blocked("model_info"))

    paths = _paths(tmp_path, tiny_split_dir, tiny_model_dir)
    train(tiny_config(), paths)
    assert calls == []
    card = (paths.model / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert header["language"] == ["ko"] and header["library_name"] == "sentence-transformers"
    assert "korean" in header["tags"] and header["model-index"][0]["results"][0]["dataset"]["name"] == "dev"
    assert "base_model" not in header and "co2_eq_emissions" not in header  # the tiny model is built here
    for part in (
        "# tiny-bert fine-tuned for Korean developer-project matching",
        "## Model Details",
        "### Full Model Architecture",
        "## Usage",
        "* Dataset: `dev`",  # the dev evaluator's results
        "### Training Dataset",
        "#### kmatch synthetic pairs (train split)",
        "* Samples:",
        '"inner": "CoSENTLoss"',  # SharedTextLoss around CoSENT (rule-block batches share texts)
        "### Training Hyperparameters",
        # The Trainer leaves a callable batch_sampler out; the train stage names the one it passed.
        "- `batch_sampler`: pipeline.training.samplers.RuleBlockBatchSampler (train.batches=rule_blocks)",
        "### Training Logs",
        "### Framework Versions",
    ):
        assert part in card, part


def test_same_config_gives_same_dev_metric(
    tmp_path: Path, tiny_config: Callable[..., Config], tiny_split_dir: Path, tiny_model_dir: Path
) -> None:
    cfg = tiny_config("train.args.max_steps=6")
    first = train(cfg, _paths(tmp_path / "a", tiny_split_dir, tiny_model_dir))
    second = train(cfg, _paths(tmp_path / "b", tiny_split_dir, tiny_model_dir))
    assert first["dev_spearman_cosine"] == second["dev_spearman_cosine"]
    assert first["train_loss"] == second["train_loss"]
    other = train(
        tiny_config("train.args.max_steps=6", "seed=7"),
        _paths(tmp_path / "c", tiny_split_dir, tiny_model_dir),
    )
    assert other["train_loss"] != first["train_loss"]


def test_max_train_samples_limits_rows(
    tmp_path: Path, tiny_config: Callable[..., Config], tiny_split_dir: Path, tiny_model_dir: Path
) -> None:
    summary = train(
        tiny_config(
            "train.max_train_samples=40",
            "train.batches=shared_texts",
            "train.args.max_steps=2",
            "train.args.eval_steps=2",
        ),
        _paths(tmp_path, tiny_split_dir, tiny_model_dir),
    )
    assert summary["train_rows"] == 40


def test_freezing_embeddings_and_layers(tiny_model_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    def counts(emb: bool, layers: int) -> tuple[int, int]:
        return freeze_parameters(SentenceTransformer(str(tiny_model_dir), device="cpu"), emb, layers)

    trainable, total = counts(False, 0)
    assert trainable == total
    frozen_words, _ = counts(True, 0)
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    words = model[0].auto_model.get_input_embeddings().weight.numel()
    assert frozen_words == total - words
    one_layer, _ = counts(False, 1)
    assert one_layer < frozen_words


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("loss.matryoshka_dims=[128,64]", "loss.matryoshka_dims"),
        ("train.freeze_layers=3", "train.freeze_layers"),
    ],
)
def test_settings_the_model_cannot_take_stop_before_any_checkpoint_is_touched(
    tmp_path: Path,
    tiny_config: Callable[..., Config],
    tiny_split_dir: Path,
    tiny_model_dir: Path,
    override: str,
    key: str,
) -> None:
    """The tiny model has 2 layers and 64 dimensions. A killed run's checkpoints (another config's) stay."""
    paths = _paths(tmp_path, tiny_split_dir, tiny_model_dir)
    killed = paths.checkpoints / "checkpoint-6"
    killed.mkdir(parents=True)
    (paths.checkpoints / "fingerprint.json").write_text('{"fingerprint": "an earlier config"}')
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        train(tiny_config(override), paths)
    assert killed.is_dir() and (paths.checkpoints / "fingerprint.json").is_file()


# --- batching ------------------------------------------------------------------------------------------


def test_shared_text_loss_equals_the_plain_loss_and_gradient(tiny_model_dir: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    from pipeline.training.losses import SharedTextLoss

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    profiles = ["서울 파이썬 개발자", "부산 자바 개발자", "서울 파이썬 개발자", "대구"]
    postings = ["자바 모집", "서울 파이썬 개발자 모집합니다", "자바 모집", "광주 코틀린 백엔드 개발자 모집"]
    labels = torch.tensor([0.1, 0.9, 0.5, 0.3])

    def loss_and_grads(loss: torch.nn.Module) -> tuple[float, list[torch.Tensor]]:
        model.zero_grad()
        value = loss([model.tokenize(profiles), model.tokenize(postings)], labels)
        value.backward()
        return value.item(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    inner = losses.CoSENTLoss(model)
    plain, plain_grads = loss_and_grads(inner)
    shared, shared_grads = loss_and_grads(SharedTextLoss(inner, model.tokenizer.pad_token_id))
    assert shared == pytest.approx(plain, rel=1e-5)
    assert len(plain_grads) == len(shared_grads)
    for a, b in zip(plain_grads, shared_grads, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_shared_text_batches_cover_every_row_once_with_few_distinct_texts(tiny_split_dir: Path) -> None:
    import pandas as pd

    from pipeline.pairs.components import text_components
    from pipeline.training.samplers import SharedTextBatchSampler

    df = pd.read_parquet(tiny_split_dir / "train.parquet", columns=["profile_text", "posting_text"])
    profiles, postings = df.profile_text.tolist(), df.posting_text.tolist()
    comps = text_components(df.profile_text, df.posting_text).tolist()
    # Rows sharing a text share a component.
    for col in (profiles, postings):
        first: dict[str, int] = {}
        assert all(first.setdefault(t, c) == c for t, c in zip(col, comps, strict=True))

    def sampler(epoch: int) -> SharedTextBatchSampler:
        s = SharedTextBatchSampler(df, 32, False, seed=3, profiles=profiles, components=comps)
        s.set_epoch(epoch)
        return s

    batches = list(sampler(0))
    assert sorted(i for b in batches for i in b) == list(range(len(df)))
    assert len(batches) == len(sampler(0))
    assert batches == list(sampler(0)), "same seed and epoch, same batches (a resumed run relies on it)"
    assert batches != list(sampler(1))
    distinct = sum(len({profiles[i] for i in b} | {postings[i] for i in b}) for b in batches)
    assert distinct < 0.8 * 2 * len(df), "batches share texts"


def test_length_grouped_batches_cover_every_row_once() -> None:
    from pipeline.training.samplers import LengthGroupedBatchSampler

    lengths = [(i * 37) % 101 for i in range(500)]
    s = LengthGroupedBatchSampler(list(range(500)), 16, False, seed=1, lengths=lengths)
    batches = list(s)
    assert sorted(i for b in batches for i in b) == list(range(500)) and len(batches) == len(s)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 20, "rows of a batch have similar lengths"


def test_rule_block_batches_are_whole_blocks_of_scored_pairs(tiny_split_dir: Path) -> None:
    import pandas as pd

    from pipeline.synth.blocks import block_layout
    from pipeline.training.samplers import RuleBlockBatchSampler

    df = pd.read_parquet(tiny_split_dir / "train_blocks.parquet")
    layout = block_layout(df.block.to_numpy(), df.profile_text.to_numpy())

    def sampler(epoch: int) -> RuleBlockBatchSampler:
        s = RuleBlockBatchSampler(df, 12, False, seed=3, layout=layout, block_profiles=3)
        s.set_epoch(epoch)
        return s

    batches = list(sampler(0))
    assert len(batches) == len(sampler(0)) == -(-len(df) // 12)
    assert batches == list(sampler(0)), "same seed and epoch, same batches (a resumed run relies on it)"
    assert batches != list(sampler(1))
    for rows in batches:
        block = df.iloc[rows]
        assert block.block.nunique() == 1, "a batch never mixes components"
        profiles, postings = block.profile_text.nunique(), block.posting_text.nunique()
        _, p, q = next(b for b in layout if df.block.iloc[b[0]] == block.block.iloc[0])
        assert (profiles, postings) == (min(3, p), min(4, q))
        assert len(block) == profiles * postings == len(set(rows)), "every pair of the block, once"
    with pytest.raises(ValueError, match="layout covers"):
        RuleBlockBatchSampler(df.iloc[:-1], 12, False, layout=layout, block_profiles=3)


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        (["train.max_train_samples=40"], "train.max_train_samples", "null with batches=rule_blocks"),
        (["train.block_profiles=65"], "train.block_profiles", "<= 64"),
        (["data=external_pairs"], "train.batches", "shared_texts with external data"),
    ],
)
def test_rule_block_config_errors(overrides: list[str], key: str, allowed: str) -> None:
    from pipeline.config.compose import compose_config

    with pytest.raises(ConfigError) as info:
        compose_config(["train.batches=rule_blocks", "train.args.per_device_train_batch_size=64", *overrides])
    assert info.value.key == key and allowed in info.value.allowed
    if overrides == ["data=external_pairs"]:
        # In-batch-negative losses keep their own sampler, so rule_blocks is moot for them.
        compose_config(["train.batches=rule_blocks", *overrides, "loss=mnrl"])
        # The external data options bring their own default batches.
        assert compose_config(overrides).train.batches == "shared_texts"
        assert compose_config([]).train.batches == "rule_blocks"


def test_frozen_layer_cache_matches_the_plain_forward_pass(tiny_model_dir: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from pipeline.training.frozen_cache import FrozenLayerCache

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    model.eval()  # dropout off, so the upper layers are deterministic too
    texts = ["서울 파이썬 개발자", "부산 자바 개발자, 오프라인 선호", "원격 프로젝트 모집합니다"]
    features = dict(model.tokenize(texts))
    with torch.no_grad():
        plain = model(dict(features))["sentence_embedding"]
        cache = FrozenLayerCache(model, num_layers=1, max_mb=16)
        assert cache.packed, "BERT layers: the upper layers run on the packed tokens"
        first = cache(dict(features))
        assert len(cache.store) == 3 and cache.bytes > 0
        cache.packed = False
        assert torch.allclose(cache(dict(features)), first, atol=1e-6), "packed = padded"
        cache.packed = True
        second = cache(dict(features))  # from the store: the lower layer does not run again
        assert len(cache.store) == 3
        unbounded_bytes = cache.bytes
        nothing_kept = FrozenLayerCache(model, num_layers=1, max_mb=0)
        third = nothing_kept(dict(features))
    assert not nothing_kept.store and unbounded_bytes > 0
    for got in (first, second, third):
        assert torch.allclose(got, plain, atol=1e-5), "fp32 storage: the same function"
    assert torch.equal(first, second)
    with torch.no_grad():
        half = FrozenLayerCache(model, num_layers=1, max_mb=16, bf16=True)
        stored = half(dict(features))
    assert next(iter(half.store.values())).dtype == torch.bfloat16
    assert torch.allclose(stored, plain, atol=2e-2), "bf16 storage, otherwise the same function"


def test_frozen_layer_cache_fill_and_encode_match_the_model(tiny_model_dir: Path) -> None:
    """The up-front pass stores what training batches look up; the dev evaluation through the cache
    gives the model's own embeddings."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from pipeline.training.frozen_cache import FrozenLayerCache

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    texts = [
        "서울 파이썬 개발자",
        "부산 자바 개발자, 오프라인 선호",
        "원격 프로젝트 모집합니다",
        "서울 파이썬 개발자",
    ]
    cache = FrozenLayerCache(model, num_layers=1, max_mb=16)
    assert cache.fill(model, {None: texts, "query: ": texts[:1]}, batch_size=2) == 4  # 3 + 1 prompted
    keys = set(cache.store)
    model.train()
    got = cache.encode(model, texts, None, "dev", batch_size=3)
    assert model.training, "the training mode is restored"
    assert set(cache.store) - keys == set(), "every text was found in the store"
    np.testing.assert_allclose(got, model.encode(texts, convert_to_numpy=True), atol=1e-5)
    full = FrozenLayerCache(model, num_layers=1, max_mb=0)
    assert full.fill(model, {None: texts}) == 0 and full.full


def test_frozen_layer_cache_needs_a_bert_style_encoder() -> None:
    from types import SimpleNamespace

    import torch

    from pipeline.training.frozen_cache import FrozenLayerCache

    with pytest.raises(ConfigError, match=r"train\.frozen_cache_mb.*not a BERT-style encoder"):
        FrozenLayerCache([SimpleNamespace(auto_model=torch.nn.Linear(2, 2))], num_layers=1, max_mb=64)


# --- checkpoints ----------------------------------------------------------------------------------------


def test_checkpoints_of_another_config_are_discarded(
    tmp_path: Path, tiny_config: Callable[..., Config], tiny_split_dir: Path, tiny_model_dir: Path
) -> None:
    paths = _paths(tmp_path, tiny_split_dir, tiny_model_dir)
    fp = config_fingerprint(tiny_config(), paths)
    assert fp == config_fingerprint(tiny_config(), paths)
    assert fp != config_fingerprint(tiny_config("train.args.learning_rate=2e-3"), paths)

    assert last_checkpoint(paths.checkpoints, fp) is None  # creates the folder and its stamp
    for step, complete in ((6, True), (12, True), (18, False)):
        ckpt = paths.checkpoints / f"checkpoint-{step}"
        ckpt.mkdir()
        if complete:
            (ckpt / COMPLETE_MARKER).touch()
    assert last_checkpoint(paths.checkpoints, fp) == paths.checkpoints / "checkpoint-12"
    assert not (paths.checkpoints / "checkpoint-18").exists(), "a half-saved checkpoint is removed"

    assert last_checkpoint(paths.checkpoints, "another-config") is None
    assert not any(p.name.startswith("checkpoint-") for p in paths.checkpoints.iterdir())


@pytest.mark.slow
def test_killed_training_resumes_from_its_last_checkpoint(
    tmp_path: Path, tiny_overrides: tuple[str, ...], tiny_split_dir: Path, tiny_model_dir: Path
) -> None:
    """Kill the stage after a checkpoint, rerun it: it continues from that step instead of step 0."""
    import shutil

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "split").symlink_to(tiny_split_dir, target_is_directory=True)
    shutil.copytree(tiny_model_dir, tmp_path / "data" / "base_model")
    raw = compose_dict(
        [
            *tiny_overrides,
            "train.args.max_steps=600",
            "train.args.save_steps=20",
            "train.args.eval_steps=1000",
            "train.args.logging_steps=10",
        ]
    )
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "pipeline.stages.train"]
    ckpts = tmp_path / "data" / "checkpoints" / "train"

    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any((p / COMPLETE_MARKER).exists() for p in ckpts.glob("checkpoint-*")):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "data" / "model").exists()
    saved = max(
        int(p.name.split("-")[1]) for p in ckpts.glob("checkpoint-*") if (p / COMPLETE_MARKER).exists()
    )

    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((tmp_path / "metrics" / "train.json").read_text())
    assert summary["resumed_from_step"] >= saved > 0
    assert summary["global_step"] == 600
    assert "resuming from" in done.stdout
    loss_steps = list(_tsv(tmp_path / "dvclive" / "plots" / "metrics" / "loss.tsv")["step"])
    assert loss_steps == sorted(set(loss_steps)), "no step is logged twice after the resume"


# --- config errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("model.source", "s3", "'hub'"),
        ("model.path", "", "hub id"),
        ("model.max_seq_length", 4, ">= 8"),
        ("model.tiny.vocab_size", 10, ">= 100"),
        ("model.tiny.hidden_size", 65, "multiple of num_heads"),
        ("model.tiny.num_layers", 0, ">= 1"),
        ("model.allow_download", "maybe", "true or false"),
        ("loss.view", "quads", "'triplets'"),
        ("loss.module", {"scale": 20.0}, "_target_"),
        ("loss.module", {"_target_": "x.CoSENTLoss", "scale": 0.0}, "scale > 0"),
        ("loss.module", {"_target_": "x.CachedMNRL", "mini_batch_size": 0}, "mini_batch_size >= 1"),
        ("loss.module", {"_target_": "x.CoSENTLoss", "scale": float("inf")}, "finite arguments"),
        ("loss.matryoshka_dims", [64, 64], "distinct"),
        ("loss.matryoshka_dims", [0], "positive"),
        ("train.args.num_train_epochs", 0.0, "> 0"),
        ("train.args.per_device_train_batch_size", 1, ">= 2"),
        ("train.args.learning_rate", 2.0, "<= 1"),
        ("train.args.warmup_ratio", 1.5, "<= 1"),
        ("train.args.weight_decay", -0.1, ">= 0"),
        ("train.args.eval_steps", 0, ">= 1"),
        ("train.args.save_steps", 0, ">= 1"),
        ("train.args.save_total_limit", 0, ">= 1"),
        ("train.args.logging_steps", 0, ">= 1"),
        ("train.precision", "fp16", "'fp32'"),
        ("train.freeze_layers", -1, ">= 0"),
        ("train.frozen_cache_mb", -1, ">= 0"),
        ("train.max_train_samples", 0, ">= 1"),
        ("train.batches", "sometimes", "'rule_blocks'"),
        ("train.block_profiles", 0, ">= 1"),
        # Found by the bad-input audit (#12): each used to run, silently or into a traceback.
        ("train.args.weight_decay", float("inf"), "finite numbers"),
        ("train.args.learning_rate", float("nan"), "finite numbers"),
        ("train.args.max_steps", -5, "a positive number of steps, or -1"),
        ("train.args.max_steps", 0, "a positive number of steps, or -1"),
        ("train.args.per_device_train_batch_size", 100, "a multiple of train.block_profiles (16)"),
    ],
)
def test_training_config_errors_name_key_value_and_allowed(key: str, value: object, allowed: str) -> None:
    err = config_error({key: value})
    assert err.key.startswith(key)
    assert allowed in err.allowed


def test_max_steps_minus_one_trains_by_epochs(tmp_path: Path) -> None:
    from pipeline.config.compose import compose_config
    from pipeline.training.trainer import training_arguments

    cfg = compose_config(["train.args.max_steps=-1", "train.args.num_train_epochs=2"])
    args = training_arguments(cfg, tmp_path)
    assert (args.max_steps, args.num_train_epochs) == (-1, 2.0)


def test_train_stage_without_base_model_says_what_to_run(
    tmp_path: Path, tiny_config: Callable[..., Config], tiny_split_dir: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="prepare_model"):
        train(tiny_config(), _paths(tmp_path, tiny_split_dir, tmp_path / "missing"))


# --- found by the bad-input audit (#12) -------------------------------------------------------------------


def test_diverged_training_stops_and_saves_no_model(
    tmp_path: Path,
    tiny_config: Callable[..., Config],
    tiny_split_dir: Path,
    tiny_model_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """weight_decay=inf used to exit 0 with 36 of 39 tensors NaN; a finite but absurd decay blows the
    weights up the same way, and the stage must stop instead of saving them."""
    import pipeline.stages.train as stage

    paths = _paths(tmp_path, tiny_split_dir, tiny_model_dir)
    good = train(tiny_config("train.args.max_steps=2"), paths)
    before = paths.model / "model.safetensors"
    saved = before.read_bytes()
    cfg = tiny_config("train.args.weight_decay=1e30")
    diverged = r"became NaN or infinite at step [12]; no model was saved.*weight_decay \(1e\+30\)"
    with pytest.raises(stage.TrainingDiverged, match=diverged):
        train(cfg, paths)
    assert before.read_bytes() == saved  # the previous model stays
    assert json.loads(paths.train_metrics.read_text()) == good

    monkey = pytest.MonkeyPatch()
    monkey.setattr(cfg, "paths", paths)
    try:
        with pytest.raises(SystemExit) as info:
            stage.main(cfg)
    finally:
        monkey.undo()
    assert info.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("error: training diverged: "), errors  # no traceback


def test_a_loss_class_that_does_not_exist_is_a_config_error(tiny_model_dir: Path) -> None:
    from pipeline.config.compose import compose_config
    from pipeline.models.resolve import load_folder
    from pipeline.training.losses import build_loss

    cfg = compose_config(["loss.module._target_=sentence_transformers.losses.NoSuchLoss"])
    with pytest.raises(ConfigError, match=r"loss\.module=.*NoSuchLoss.*a loss class and its arguments"):
        build_loss(load_folder(tiny_model_dir), cfg.loss)


def test_any_sentence_transformers_loss_can_be_named(tiny_model_dir: Path) -> None:
    """The Hydra convention: a class path and its arguments, nothing to register in the code."""
    from sentence_transformers.sentence_transformer.losses import (
        CoSENTLoss,
        MultipleNegativesSymmetricRankingLoss,
    )

    from pipeline.config.compose import compose_config
    from pipeline.models.resolve import load_folder
    from pipeline.training.losses import build_loss

    model = load_folder(tiny_model_dir)
    loss = build_loss(model, compose_config(["loss.module.scale=7.5"]).loss)
    assert isinstance(loss, CoSENTLoss) and loss.scale == 7.5
    target = "sentence_transformers.sentence_transformer.losses.MultipleNegativesSymmetricRankingLoss"
    cfg = compose_config(["loss=mnrl", f"loss.module._target_={target}"])
    assert isinstance(build_loss(model, cfg.loss), MultipleNegativesSymmetricRankingLoss)
