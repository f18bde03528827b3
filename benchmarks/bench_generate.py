"""Benchmark of the generate stage: pairs/s, wall time and peak RSS (a script, not a test).

    .venv/bin/python benchmarks/bench_generate.py --num-pairs 1000000
    .venv/bin/python benchmarks/bench_generate.py --num-pairs 10000000 --shard-size 262144

Entity counts default to num_pairs / 15 per side (at least the config's), with the config's group size:
for 1M pairs 66,666 profiles and 66,666 postings in 1,333 groups, i.e. 4.4M same-group candidates, so
pairs stay unique. Override with --num-profiles / --num-postings / --num-groups.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config.compose import compose_config  # noqa: E402
from pipeline.stages.generate import generate_pairs  # noqa: E402
from pipeline.synth.catalog import load_catalog  # noqa: E402

PAIRS_PER_ENTITY = 15


def _peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--num-pairs", type=int, default=1_000_000)
    ap.add_argument("--shard-size", type=int, default=None, help="rows per shard (default: data.shard_size)")
    ap.add_argument("--num-profiles", type=int, default=None)
    ap.add_argument("--num-postings", type=int, default=None)
    ap.add_argument("--num-groups", type=int, default=None)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=None, help="parquet path (default: a temporary file)")
    args = ap.parse_args()

    base = compose_config().data
    profiles = args.num_profiles or max(base.num_profiles, args.num_pairs // PAIRS_PER_ENTITY)
    postings = args.num_postings or max(base.num_postings, args.num_pairs // PAIRS_PER_ENTITY)
    # Keep the default group size, so a group's candidates (and the pool) grow linearly with entities.
    groups = args.num_groups or max(3, round(base.num_groups * profiles / base.num_profiles))
    overrides = [
        f"seed={args.seed}",
        f"data.num_pairs={args.num_pairs}",
        f"data.num_profiles={profiles}",
        f"data.num_postings={postings}",
        f"data.num_groups={groups}",
    ]
    if args.shard_size:
        overrides.append(f"data.shard_size={args.shard_size}")
    cfg = compose_config(overrides)
    catalog = load_catalog(ROOT / cfg.data.catalog)
    rss_before = _peak_rss_mib()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "pairs.parquet"
        start = time.perf_counter()
        metrics = generate_pairs(cfg.data, cfg.seed, catalog, out)
        wall = time.perf_counter() - start
        size_mib = out.stat().st_size / 2**20

    counts = metrics["counts"]
    print(f"pairs            {counts['pairs']:,} ({counts['unique_pairs']:,} unique)")
    print(f"entities         {profiles:,} profiles, {postings:,} postings, {groups:,} groups")
    print(f"shard size       {cfg.data.shard_size:,} rows")
    print(f"wall time        {wall:.2f} s (generate + score + write)")
    print(f"throughput       {counts['pairs'] / wall:,.0f} pairs/s")
    print(f"peak RSS         {_peak_rss_mib():,.0f} MiB (after imports: {rss_before:,.0f} MiB)")
    # The postings are rendered in a second process from PARALLEL_ENTITIES on; both peaks together bound
    # what the run held at once.
    print(f"  + 2nd process  {_peak_rss_mib(resource.RUSAGE_CHILDREN):,.0f} MiB")
    print(f"parquet size     {size_mib:,.1f} MiB")


if __name__ == "__main__":
    main()
