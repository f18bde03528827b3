"""Stage ``split``: train/dev/test by connected components of the text graph, plus the MNRL triplets.

Profile texts and posting texts are the nodes of a bipartite graph whose edges are the pairs. Every
connected component goes whole into one split, so no profile text and no posting text appears in two
splits, and no pair is dropped. This needs nothing from the generator (synthetic groups are just what
makes the components small), so it also works for external data. Components are assigned largest
first (ties in a seeded order) to the split furthest below its target share of rows (``data.split``).

Outputs ``data/split/{train,dev,test}.parquet`` (the pair columns), ``data/split/{split}_triplets.parquet``
(anchor, positive, negative; negatives may be re-scored with the rules, hence the catalog) and
``metrics/split.json``. The test split is for the final evaluation only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.config import Config
from pipeline.config.data import SplitConfig
from pipeline.io import atomic_path, write_json
from pipeline.runtime import run_stage
from pipeline.synth.catalog import Catalog, load_catalog
from pipeline.synth.rules import score_frame
from pipeline.synth.sampling import stream
from pipeline.synth.schema import PAIR_SCHEMA, write_parquet
from pipeline.synth.triplets import build_triplets, text_components

PAIRS_PATH = Path("data/generated/pairs.parquet")
SPLIT_DIR = Path("data/split")
METRICS_PATH = Path("metrics/split.json")
SPLITS = ("train", "dev", "test")
_STREAM_SPLIT = 100  # random stream of this stage, apart from the generator's
_ROW_GROUP = 262144


def assign_splits(component: np.ndarray, fractions: SplitConfig, seed: int) -> np.ndarray:
    """Split index (into SPLITS) per row, whole components at a time; raises if a split stays empty."""
    sizes = np.bincount(component)
    tiebreak = stream(seed, _STREAM_SPLIT).permutation(len(sizes))
    order = np.lexsort((tiebreak, -sizes))
    targets = np.array([fractions.train, fractions.dev, fractions.test]) * len(component)
    filled = np.zeros(len(SPLITS))
    split_of = np.empty(len(sizes), dtype=np.int8)
    for c in order:
        k = int(np.argmax(targets - filled))
        split_of[c] = k
        filled[k] += sizes[c]
    empty = [SPLITS[k] for k in range(len(SPLITS)) if filled[k] == 0]
    if empty:
        raise ValueError(
            f"cannot fill split(s) {', '.join(empty)}: {len(sizes)} connected component(s) of texts, "
            f"the largest holds {sizes.max() / len(component):.0%} of {len(component)} rows"
        )
    return split_of[component]


def split_pairs(
    pairs: pa.Table, cfg: Config, catalog: Catalog
) -> tuple[dict[str, pa.Table], dict[str, pa.Table], dict[str, Any]]:
    """(pair tables, triplet tables, metrics) per split."""

    def rescore(profiles: pd.DataFrame, postings: pd.DataFrame) -> pd.DataFrame:
        return score_frame(profiles, postings, cfg.data.rules, catalog)

    component = text_components(pairs["profile_text"], pairs["posting_text"])
    split = assign_splits(component, cfg.data.split, cfg.data.seed)
    tables, triplets, metrics = {}, {}, {"components": int(component.max(initial=-1) + 1)}
    for k, name in enumerate(SPLITS):
        table = pairs.filter(pa.array(split == k)).cast(PAIR_SCHEMA)
        tables[name] = table
        triplets[name] = build_triplets(table, cfg.data.triplets, rescore)
        metrics[name] = {
            "rows": table.num_rows,
            "fraction": round(table.num_rows / max(pairs.num_rows, 1), 6),
            "target_fraction": getattr(cfg.data.split, name),
            "components": len(np.unique(component[split == k])),
            "profiles": pc.count_distinct(table["profile_text"]).as_py(),
            "postings": pc.count_distinct(table["posting_text"]).as_py(),
            "triplets": triplets[name].num_rows,
        }
    return tables, triplets, metrics


def main(cfg: Config, root: Path | None = None) -> None:
    """Split ``root/data/generated/pairs.parquet`` (default root: the working directory)."""
    root = Path.cwd() if root is None else Path(root)
    source = root / PAIRS_PATH
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found: run the generate stage first (dvc repro generate)")
    catalog = load_catalog(cfg.data.catalog)
    tables, triplets, metrics = split_pairs(pq.read_table(source), cfg, catalog)
    with atomic_path(root / SPLIT_DIR) as tmp:
        tmp.mkdir()
        for name in SPLITS:
            write_parquet(tmp / f"{name}.parquet", tables[name], _ROW_GROUP)
            write_parquet(tmp / f"{name}_triplets.parquet", triplets[name], _ROW_GROUP)
    write_json(root / METRICS_PATH, metrics)
    print(
        "split: "
        + ", ".join(f"{n} {metrics[n]['rows']} rows / {metrics[n]['triplets']} triplets" for n in SPLITS)
    )


if __name__ == "__main__":
    run_stage(main)
