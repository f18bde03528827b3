"""Encode throughput of the exported model: PyTorch vs ONNX vs int8 ONNX (a script, not a test).

    .venv/bin/python benchmarks/bench_encode.py
    .venv/bin/python benchmarks/bench_encode.py --model data/export/model --threads 1 --max-texts 500

Texts: the unique profile and posting texts of the test split (what the export stage's parity check
and the matching CLI encode). Every backend gets the same thread count (``--threads``, default the
config's ``runtime.num_threads``), one warm-up batch, then ``--repeats`` timed passes; the best pass
counts. sentence-transformers sorts each call's texts by length before batching, so batches are
already length-bucketed and padding stays small.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pipeline.runtime import quiet_library_notices  # noqa: E402
from pipeline.serving.matcher import BACKENDS, backend_file, encode, load_model  # noqa: E402


def _default_threads() -> int:
    try:
        from pipeline.config import load_config

        return load_config(ROOT / "params.yaml").runtime.num_threads
    except Exception:  # no or stale params.yaml: the benchmark still runs
        return 1


def load_texts(path: Path, max_texts: int) -> list[str]:
    frame = pd.read_parquet(path, columns=["profile_text", "posting_text"])
    texts = list(dict.fromkeys([*frame.profile_text, *frame.posting_text]))
    return texts[:max_texts]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "data/export/model")
    ap.add_argument("--texts", type=Path, default=ROOT / "data/split/test.parquet", help="test pairs")
    ap.add_argument("--max-texts", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=None, help="torch and ONNX Runtime threads")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", default=",".join(BACKENDS), help=f"comma-separated subset of {BACKENDS}")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    ap.add_argument(
        "--all-files", action="store_true", help="also every other ONNX file (other CPUs' int8 files)"
    )
    args = ap.parse_args()

    import transformers

    transformers.logging.set_verbosity_error()
    quiet_library_notices()
    threads = args.threads or _default_threads()
    texts = load_texts(args.texts, args.max_texts)
    tokens = None
    results: dict[str, dict[str, float | str | None]] = {}
    reference: np.ndarray | None = None
    runs = [(b, backend_file(args.model, b)) for b in args.backends.split(",")]
    if args.all_files:  # every ONNX file in the folder, not only the ones this CPU would load
        chosen = {f for _, f in runs}
        for f in sorted((args.model / "onnx").glob("*.onnx")):
            name = f.relative_to(args.model).as_posix()
            if name not in chosen:
                runs.append(("onnx-int8" if "int8_" in name else "onnx", name))
    for backend, file_name in runs:
        model = load_model(args.model, backend, num_threads=threads, file_name=file_name)
        if tokens is None:
            tokens = float(np.mean([len(ids) for ids in model.tokenizer(texts[:200])["input_ids"]]))
        encode(model, texts[: args.batch_size], args.batch_size)  # warm-up: first-call allocations
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            emb = encode(model, texts, args.batch_size)
            best = min(best, time.perf_counter() - start)
        if reference is None:
            reference = emb
        results[file_name or backend] = {
            "backend": backend,
            "file": file_name,
            "sentences_per_s": len(texts) / best,
            "mean_cosine_vs_first": float(np.mean(np.sum(reference * emb, axis=1))),
        }
        del model

    first = next(iter(results.values()))["sentences_per_s"]
    print(
        f"{len(texts)} test texts (mean {tokens:.1f} tokens), batch {args.batch_size}, {threads} thread(s), "
        f"best of {args.repeats}; model {args.model}"
    )
    print(f"{'backend':<10} {'sentences/s':>12} {'speedup':>8} {'cos vs ' + next(iter(results)):>14}  file")
    for r in results.values():
        speedup = r["sentences_per_s"] / first  # type: ignore[operator]
        print(
            f"{r['backend']:<10} {r['sentences_per_s']:>12.1f} {speedup:>7.2f}x "
            f"{r['mean_cosine_vs_first']:>14.4f}  {r['file'] or '-'}"
        )
    if args.all_files:
        print("(the first row of each backend is the file that backend loads on this CPU)")
    if args.json:
        print(json.dumps({"threads": threads, "num_texts": len(texts), "results": results}, indent=2))


if __name__ == "__main__":
    main()
