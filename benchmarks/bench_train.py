"""Training-stage benchmarks on the real data/split and data/base_model (run `dvc repro prepare_model` first).

    python benchmarks/bench_train.py compare [--steps 60] [--repeats 2] [override ...]
        The train stage (``python -m pipeline.stages.train``) against a bare SentenceTransformerTrainer
        script with the same data, model and settings, each in a fresh process; prints wall times and the
        ratios. The bare script has only the Trainer's random batches, so the stage runs twice: with
        ``train.batches=random train.frozen_cache_mb=0`` (the same work: the stage's overhead) and as
        configured (its speed-ups).
    python benchmarks/bench_train.py precisions [--steps 40] [override ...]
        Pairs/s of a rule block's forward and backward pass (as the train stage runs it) in fp32 and under
        bf16 autocast on this machine, and what ``train.precision: auto`` picks here and why. bf16 is fast
        only where the CPU has bf16 instructions (pipeline/cpu.py).
    python benchmarks/bench_train.py speedups [--steps 40] [override ...]
        Train pairs/s as the speed settings are switched on one after another (threads, bf16, frozen
        embeddings, length-grouped batches, frozen lower layers, shared-text batches, rule blocks).

Overrides are Hydra overrides on top of conf/ (e.g. ``loss=mnrl train.args.learning_rate=2e-4``).
Every run happens in a temporary folder whose data/split and data/base_model link to the project's, so
nothing in the workspace changes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config, parse_config  # noqa: E402
from pipeline.config.compose import compose_dict  # noqa: E402
from pipeline.cpu import resolve_precision  # noqa: E402

# Cumulative: each row adds one setting to the row above it.
SPEEDUPS: list[tuple[str, list[str]]] = [
    (
        "baseline: 2 threads, fp32, all weights trained, random batches",
        [
            "runtime.num_threads=2",
            "train.precision=fp32",
            "train.freeze_embeddings=false",
            "train.batches=random",
            "train.freeze_layers=0",
            "train.frozen_cache_mb=0",
            "train.args.per_device_train_batch_size=64",
        ],
    ),
    ("+ 1 torch thread", ["runtime.num_threads=1"]),
    ("+ bf16 autocast (fast only where native: see `precisions`)", ["train.precision=bf16"]),
    ("+ frozen word embeddings", ["train.freeze_embeddings=true"]),
    ("+ length-grouped batches", ["train.batches=length_grouped"]),
    ("+ 4 frozen lower layers", ["train.freeze_layers=4"]),
    ("shared-text batches instead of length grouping", ["train.batches=shared_texts"]),
    (
        "rule blocks: 16 profiles x 16 postings, 256 scored pairs a batch",
        ["train.batches=rule_blocks", "train.args.per_device_train_batch_size=256"],
    ),
    ("+ 6 frozen lower layers", ["train.freeze_layers=6"]),
    ("+ frozen layers cached per distinct text (the default)", ["train.frozen_cache_mb=2048"]),
]


def _workdir(params: dict[str, Any]) -> Path:
    work = Path(tempfile.mkdtemp(prefix="bench_train-"))
    (work / "data").mkdir()
    for name in ("split", "base_model"):
        src = ROOT / "data" / name
        if not src.exists():
            raise SystemExit(f"{src} is missing: run `dvc repro prepare_model` first")
        (work / "data" / name).symlink_to(src, target_is_directory=True)
    (work / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return work


def _run(cmd: list[str], work: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return wall


def run_stage(params: dict[str, Any]) -> dict[str, Any]:
    work = _workdir(params)
    wall = _run([sys.executable, "-m", "pipeline.stages.train", "params.yaml"], work)
    summary = json.loads((work / "metrics" / "train.json").read_text())
    return {"wall_s": wall, **summary}


def run_bare(params: dict[str, Any]) -> dict[str, Any]:
    work = _workdir(params)
    wall = _run([sys.executable, str(Path(__file__).resolve()), "_bare", "params.yaml"], work)
    return {"wall_s": wall, **json.loads((work / "bare.json").read_text())}


def bare_main(params_path: str) -> None:
    """The same training with nothing but sentence-transformers: no checkpoint fingerprint, resume,
    DVCLive, length grouping, text de-duplication in the evaluator or atomic writes."""
    cfg = load_config(params_path)
    import pandas as pd
    import torch
    from datasets import Dataset
    from hydra.utils import instantiate
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer import losses
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    torch.set_num_threads(cfg.runtime.num_threads)
    model = SentenceTransformer("data/base_model", device="cpu")
    model.max_seq_length = cfg.model.max_seq_length
    if cfg.train.freeze_embeddings:
        model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)
    if cfg.train.freeze_layers:
        model[0].auto_model.embeddings.requires_grad_(False)
        for layer in model[0].auto_model.encoder.layer[: cfg.train.freeze_layers]:
            layer.requires_grad_(False)
    triplets = cfg.loss.uses_triplets
    cols = ["anchor", "positive", "negative"] if triplets else ["profile_text", "posting_text", "score"]
    df = pd.read_parquet(f"data/split/{'train_triplets' if triplets else 'train'}.parquet", columns=cols)
    if cfg.train.max_train_samples is not None and cfg.train.max_train_samples < len(df):
        df = df.sample(n=cfg.train.max_train_samples, random_state=cfg.seed).reset_index(drop=True)
    train_ds = Dataset.from_pandas(df, preserve_index=False)
    dev = pd.read_parquet("data/split/dev.parquet")
    evaluator = EmbeddingSimilarityEvaluator(
        dev.profile_text.tolist(),
        dev.posting_text.tolist(),
        dev.score.tolist(),
        batch_size=cfg.eval.batch_size,
        main_similarity="cosine",
        name="dev",
    )
    loss = instantiate(cfg.loss.module, model=model)  # what conf/loss names, as the stage builds it
    if cfg.loss.matryoshka_dims:
        loss = losses.MatryoshkaLoss(model, loss, matryoshka_dims=cfg.loss.matryoshka_dims)
    q, d = cfg.model.query_prefix, cfg.model.document_prefix
    prompts = {"profile_text": q, "anchor": q, "posting_text": d, "positive": d, "negative": d}
    t = cfg.train
    args = SentenceTransformerTrainingArguments(
        output_dir="bare_checkpoints",
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.batch_size,
        learning_rate=t.learning_rate,
        warmup_ratio=t.warmup_ratio,
        weight_decay=t.weight_decay,
        eval_strategy="steps",
        eval_steps=t.eval_steps,
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        logging_steps=t.logging_steps,
        seed=cfg.seed,
        bf16=resolve_precision(t.precision).bf16,
        use_cpu=True,
        report_to="none",
        disable_tqdm=True,
        prompts={k: v for k, v in prompts.items() if v} or None,
        batch_sampler=BatchSamplers.NO_DUPLICATES if triplets else BatchSamplers.BATCH_SAMPLER,
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=train_ds, loss=loss, evaluator=evaluator
    )
    out = trainer.train()
    logged = [e for e in trainer.state.log_history if e.get("step") == trainer.state.global_step]
    final = next((e for e in logged if "eval_dev_spearman_cosine" in e), None) or trainer.evaluate()
    model.save("bare_model")
    Path("bare.json").write_text(
        json.dumps(
            {
                "dev_spearman_cosine": final["eval_dev_spearman_cosine"],
                "train_runtime_s": out.metrics["train_runtime"],
                "train_samples_per_second": out.metrics["train_samples_per_second"],
                "global_step": trainer.state.global_step,
            }
        )
    )


def _params(overrides: list[str]) -> dict[str, Any]:
    return compose_dict(overrides)


def compare(steps: int, repeats: int, overrides: list[str]) -> dict[str, Any]:
    params = _params([f"train.args.max_steps={steps}", *overrides])
    # What the bare script does: the Trainer's random batches, every layer run at every step.
    same = _params(
        [f"train.args.max_steps={steps}", *overrides, "train.batches=random", "train.frozen_cache_mb=0"]
    )
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "stage_random": [], "stage": []}
    for _ in range(repeats):  # interleaved, so drifting machine load hits all alike
        runs["stage_random"].append(run_stage(same))
        runs["bare"].append(run_bare(same))
        runs["stage"].append(run_stage(params))

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    result: dict[str, Any] = {"steps": steps, "overrides": overrides, "batches": params["train"]["batches"]}
    for name in runs:
        result[f"{name}_wall_s"] = round(median(name, "wall_s"), 1)
        result[f"{name}_train_runtime_s"] = round(median(name, "train_runtime_s"), 1)
        result[f"{name}_pairs_per_s"] = round(median(name, "train_samples_per_second"), 1)
        result[f"{name}_dev_spearman"] = round(runs[name][0]["dev_spearman_cosine"], 4)
    for name in ("stage_random", "stage"):
        result[f"{name}_wall_ratio"] = round(median(name, "wall_s") / median("bare", "wall_s"), 3)
    print(json.dumps(result, indent=2))
    return result


def speedups(steps: int, overrides: list[str]) -> list[dict[str, Any]]:
    rows, acc = [], []
    base = [
        f"train.args.max_steps={steps}",
        f"train.args.eval_steps={steps}",
        f"train.args.save_steps={10 * steps}",
    ]
    for label, extra in SPEEDUPS:
        acc = [*acc, *extra]
        r = run_stage(_params([*base, *overrides, *acc]))
        rows.append(
            {
                "setting": label,
                "pairs_per_s": r["train_samples_per_second"],
                "train_runtime_s": r["train_runtime_s"],
                "dev_spearman": round(r["dev_spearman_cosine"], 4),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print("\n| setting | pairs/s | train s | dev spearman |\n|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['setting']} | {r['pairs_per_s']:.1f} | {r['train_runtime_s']:.1f} | {r['dev_spearman']} |"
        )
    return rows


def precisions(steps: int, overrides: list[str]) -> list[dict[str, Any]]:
    """Pairs/s of one rule block's forward and backward pass (the default's trainable layers on cached lower
    layers, as the train stage runs it) in fp32 and under bf16 autocast, here; and what ``auto`` picks."""
    import pandas as pd
    import torch
    from sentence_transformers import SentenceTransformer

    from pipeline.training.frozen_cache import FrozenLayerCache, freeze_parameters

    cfg = parse_config(_params(overrides))
    torch.set_num_threads(cfg.runtime.num_threads)
    auto = resolve_precision("auto")
    model = SentenceTransformer(str(ROOT / "data" / "base_model"), device="cpu", local_files_only=True)
    model.max_seq_length = cfg.model.max_seq_length
    freeze_parameters(model, cfg.train.freeze_embeddings, cfg.train.freeze_layers)
    blocks = pd.read_parquet(
        ROOT / "data" / "split" / "train_blocks.parquet", columns=["profile_text", "posting_text"]
    )
    q = cfg.train.batch_size // cfg.train.block_profiles
    texts = [*blocks.profile_text.unique()[: cfg.train.block_profiles], *blocks.posting_text.unique()[:q]]
    features = model.preprocess(texts, prompt=cfg.model.query_prefix or None)
    pairs = cfg.train.block_profiles * q
    rows = []
    for precision in ("fp32", "bf16"):
        bf16 = precision == "bf16"
        cache = (
            FrozenLayerCache(model, cfg.train.freeze_layers, 1024, bf16=bf16)
            if cfg.train.freeze_layers
            else None
        )
        model.train()
        times = []
        for _ in range(steps + 1):  # the first step fills the cache and warms up the kernels
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                emb = cache(dict(features)) if cache else model(dict(features))["sentence_embedding"]
            emb.float().pow(2).sum().backward()
            times.append(time.perf_counter() - start)
        seconds = statistics.mean(times[1:])
        rows.append(
            {
                "precision": precision,
                "s_per_step": round(seconds, 3),
                "pairs_per_s": round(pairs / seconds, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print(
        f"\n{len(texts)} texts / {pairs} pairs a step, {cfg.train.freeze_layers} frozen layers cached, "
        f"{cfg.runtime.num_threads} thread(s)"
    )
    print(f"auto picks {auto.dtype} here: {auto.reason}")
    print(f"bf16 / fp32 speed: {rows[1]['pairs_per_s'] / rows[0]['pairs_per_s']:.2f}x")
    return rows


def main(argv: list[str]) -> None:
    if argv[:1] == ["_bare"]:
        bare_main(argv[1])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["compare", "speedups", "precisions"])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_intermixed_args(argv)
    if args.mode == "compare":
        compare(args.steps, args.repeats, args.overrides)
    elif args.mode == "precisions":
        precisions(args.steps, args.overrides)
    else:
        speedups(args.steps, args.overrides)


if __name__ == "__main__":
    main(sys.argv[1:])
