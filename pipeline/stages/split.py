"""Stage ``split``: train/dev/test by connected components of the text graph, plus the MNRL triplets.

Profile texts and posting texts are the nodes of a bipartite graph whose edges are the pairs. Every
connected component goes whole into one split, so no profile text and no posting text appears in two
splits, and no pair is dropped. This needs nothing from the generator (synthetic groups are just what
makes the components small), so it also works for external data. Components are assigned largest
first (ties in a seeded order) to the split furthest below its target share of rows (``data.split``).

Outputs ``data/split/{train,dev,test}.parquet`` (the pair columns), ``data/split/{split}_triplets.parquet``
(anchor, positive, negative; negatives may be re-scored with the rules, hence the catalog),
``data/split/train_blocks.parquet`` (every same-component profile x posting combination of the train split,
scored by the rules: the ``train.batches=rule_blocks`` view, see pipeline/synth/blocks.py) and
``metrics/split.json``. The test split is for the final evaluation only.

External data (pipeline/pairs/external.py, recognised by its schema): a text may be sentence1 in one row and
sentence2 in another, so the graph's nodes are texts whichever side they are on. Pairs get their MNRL
triplets from the same thresholds, without near misses or re-scoring (they have no rule attributes);
triplet files keep their own triplets, rebuilt per split from the ``triplet`` column, while the split's
pair files hold their (anchor, positive, 1.0) and (anchor, negative, 0.0) rows. Their blocks file is empty.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from pipeline.config import Config, ConfigError
from pipeline.io import atomic_path, write_json
from pipeline.pairs.external import is_external
from pipeline.pairs.split import SPLITS, UnsplittableError, split_external, split_pairs
from pipeline.runtime import run_stage
from pipeline.synth.catalog import load_catalog
from pipeline.synth.schema import write_parquet

_ROW_GROUP = 262144


def main(cfg: Config, root: Path | None = None) -> None:
    """Split ``paths.generated`` into ``paths.split_dir`` below ``root`` (default: the working directory)."""
    paths = cfg.paths.under(Path.cwd() if root is None else root)
    source = paths.generated
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found: run the generate stage first (dvc repro generate)")
    pairs = pq.read_table(source)
    external = is_external(pairs.schema)
    try:
        if external:
            tables, triplets, blocks, metrics = split_external(pairs, cfg)
        else:
            tables, triplets, blocks, metrics = split_pairs(pairs, cfg, load_catalog(cfg.data.catalog))
    except UnsplittableError as err:
        # What the user can change: their file, or the generator's number of groups.
        key, value = ("data.input", cfg.data.input) if external else ("data.num_groups", cfg.data.num_groups)
        raise ConfigError(key, value, f"data that the split stage can split ({err})") from None
    # The metrics describe the split folder: removed as a new one comes in, written after it (pipeline.io).
    with atomic_path(paths.split_dir, stale=[paths.split_metrics]) as tmp:
        tmp.mkdir()
        for name in SPLITS:
            write_parquet(tmp / f"{name}.parquet", tables[name], _ROW_GROUP)
            write_parquet(tmp / f"{name}_triplets.parquet", triplets[name], _ROW_GROUP)
        write_parquet(tmp / "train_blocks.parquet", blocks, _ROW_GROUP)
    write_json(paths.split_metrics, metrics)
    print(
        "split: "
        + ", ".join(f"{n} {metrics[n]['rows']} rows / {metrics[n]['triplets']} triplets" for n in SPLITS)
    )


if __name__ == "__main__":
    run_stage(main)
