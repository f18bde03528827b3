"""The matching CLI (``python -m pipeline.match``): argument parsing and output around :class:`Matcher`.

Input errors (a missing file, an empty query, a bad ``--top-k``) print one line and exit 2; the cheap checks
run before torch is imported, so mistakes fail in well under a second.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from pipeline.serving.matcher import (
    BACKENDS,
    DEFAULT_MODEL,
    DEFAULT_POSTINGS,
    Matcher,
    MatchError,
    backend_file,
    check_k,
    check_model_dir,
    check_query,
    load_postings,
)

__all__ = ["format_text", "main", "rank", "run"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 like every other input error."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m pipeline.match", description="Rank project postings for a developer profile.")
    p.add_argument("query", help="the developer profile text")
    p.add_argument("--top-k", "-k", type=int, default=5, help="how many postings to print (default 5)")
    p.add_argument(
        "--postings",
        type=Path,
        default=None,
        help=f"txt (one a line) or csv/tsv/jsonl/parquet with a text or posting_text column "
        f"(default: posting texts of {DEFAULT_POSTINGS})",
    )
    p.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help=f"model folder (default {DEFAULT_MODEL})"
    )
    p.add_argument("--backend", choices=BACKENDS, default="torch", help="inference backend (default torch)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where posting embeddings are cached (default $KMATCH_CACHE_DIR or ~/.cache/kmatch)",
    )
    p.add_argument("--no-cache", action="store_true", help="encode the postings again, ignoring the cache")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for inference (default 1)")
    p.add_argument("--batch-size", type=int, default=32, help="encode batch size (default 32)")
    return p


def _quiet_libraries() -> None:
    """Library warnings (tokenizer notes, export hints) would drown the CLI's results on stderr."""
    import logging

    import transformers

    transformers.logging.set_verbosity_error()
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Parse ``argv``, rank, and return the JSON-able result; raises :class:`MatchError` on bad input."""
    return rank(_parser().parse_args(argv))


def rank(args: argparse.Namespace) -> dict[str, Any]:
    # Validate everything cheap before importing torch (seconds), so mistakes fail fast.
    check_query(args.query)
    check_k(args.top_k)
    if args.threads < 1 or args.batch_size < 1:
        raise MatchError("--threads and --batch-size must be >= 1")
    check_model_dir(args.model)
    backend_file(args.model, args.backend)
    postings = load_postings(args.postings)
    _quiet_libraries()
    matcher = Matcher(
        args.model,
        postings,
        backend=args.backend,
        cache_dir=args.cache_dir,
        batch_size=args.batch_size,
        num_threads=args.threads,
        use_cache=not args.no_cache,
    )
    results = matcher.top_k(args.query, args.top_k)
    return {
        "query": args.query,
        "model": str(args.model),
        "backend": args.backend,
        "num_postings": len(postings),
        "cache": "hit" if matcher.cache_hit else ("off" if args.no_cache else "miss"),
        "results": [asdict(m) for m in results],
    }


def format_text(result: dict[str, Any]) -> str:
    lines = [
        f"top {len(result['results'])} of {result['num_postings']} postings for: {result['query']}",
        f"(model {result['model']}, backend {result['backend']}, "
        f"posting embeddings cache: {result['cache']})",
    ]
    lines += [f"{m['rank']:>3}. {m['score']:.4f}  {m['text']}" for m in result["results"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = rank(args)
    except MatchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_text(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
