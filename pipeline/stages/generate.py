"""Stage ``generate``: scored synthetic pairs -> ``data/generated/pairs.parquet`` + ``metrics/data.json``.

With ``data.source: external`` it reads a user's pairs or triplets instead (pipeline/pairs/external.py).

Rows are produced block by block (see pipeline/synth/sampling.py) and written ``data.shard_size`` rows per
parquet row group, so memory is bounded by the entity pools plus one shard, and the rows never depend
on the shard size. Same config and seed => byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Config
from pipeline.config.errors import ConfigError, check
from pipeline.io import write_json
from pipeline.pairs.external import generate_external
from pipeline.runtime import run_stage
from pipeline.synth.catalog import load_catalog
from pipeline.synth.generator import generate_pairs


def main(cfg: Config, root: Path | None = None) -> None:
    """Generate into ``root`` (default: the working directory, as under ``dvc repro``)."""
    root = Path.cwd() if root is None else Path(root)
    out, metrics_file = cfg.paths.generated, cfg.paths.data_metrics
    # The metrics describe the pairs file: removed as a new one comes in, written after it (pipeline.io).
    stale = [root / metrics_file]
    if cfg.data.source == "external":
        metrics = generate_external(cfg.data, root, root / out, stale=stale)
        write_json(root / metrics_file, metrics)
        c = metrics["counts"]
        print(f"generate: {c['pairs']} pairs ({c['texts']} texts) from {cfg.data.input} -> {out}")
        return
    if cfg.data.source != "synthetic":
        raise ConfigError("data.source", cfg.data.source, "'synthetic' or 'external' for the generate stage")
    catalog = load_catalog(cfg.data.catalog)
    # DVC tracks data.input as this stage's dependency: it must be the catalog read here.
    reads = f"data.catalog ({cfg.data.catalog!r}), the file that this stage reads and DVC tracks"
    check(cfg.data.input == cfg.data.catalog, "data.input", cfg.data.input, reads)
    metrics = generate_pairs(cfg.data, cfg.data.seed, catalog, root / out, stale=stale)
    write_json(root / metrics_file, metrics)
    c = metrics["counts"]
    print(f"generate: {c['pairs']} pairs ({c['unique_pairs']} unique), {c['profiles']} profiles, "
          f"{c['postings']} postings -> {out}")  # fmt: skip


if __name__ == "__main__":
    run_stage(main)
