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

External data (pipeline/external.py, recognised by its schema): a text may be sentence1 in one row and
sentence2 in another, so the graph's nodes are texts whichever side they are on. Pairs get their MNRL
triplets from the same thresholds, without near misses or re-scoring (they have no rule attributes);
triplet files keep their own triplets, rebuilt per split from the ``triplet`` column, while the split's
pair files hold their (anchor, positive, 1.0) and (anchor, negative, 0.0) rows. Their blocks file is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.config import Config, ConfigError
from pipeline.config.schema import SplitConfig, TripletConfig
from pipeline.external import EXTERNAL_PAIR_SCHEMA, TRIPLET_COLUMN, is_external
from pipeline.io import atomic_path, write_json
from pipeline.runtime import run_stage
from pipeline.synth.blocks import build_blocks
from pipeline.synth.catalog import Catalog, load_catalog
from pipeline.synth.rules import score_frame
from pipeline.synth.sampling import stream
from pipeline.synth.schema import BLOCK_SCHEMA, PAIR_SCHEMA, TRIPLET_SCHEMA, write_parquet
from pipeline.synth.triplets import build_triplets, text_components

PAIRS_PATH = Path("data/generated/pairs.parquet")
SPLIT_DIR = Path("data/split")
METRICS_PATH = Path("metrics/split.json")
SPLITS = ("train", "dev", "test")
_STREAM_SPLIT = 100  # random stream of this stage, apart from the generator's
_ROW_GROUP = 262144


class UnsplittableError(ValueError):
    """The pairs' texts are too connected to fill every split without a text in two splits."""


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
        raise UnsplittableError(
            f"cannot fill split(s) {', '.join(empty)}: {len(sizes)} connected component(s) of texts, "
            f"the largest holds {sizes.max() / len(component):.0%} of {len(component)} rows; rows that share "
            "a text stay in one split, so the data needs more groups of pairs with no text in common"
        )
    return split_of[component]


Splits = tuple[dict[str, pa.Table], dict[str, pa.Table], dict[str, Any]]  # pairs, triplets, metrics
Views = tuple[dict[str, pa.Table], dict[str, pa.Table], pa.Table, dict[str, Any]]  # ... and train blocks
# One split's rows -> (its pair table as written, its triplets).
SplitView = Callable[[pa.Table], tuple[pa.Table, pa.Table]]


def _split_by_component(pairs: pa.Table, component: np.ndarray, cfg: Config, view: SplitView) -> Splits:
    """Assign whole components to splits and build each split's files with ``view``."""
    split = assign_splits(component, cfg.data.split, cfg.data.seed)
    tables, triplets, metrics = {}, {}, {"components": int(component.max(initial=-1) + 1)}
    for k, name in enumerate(SPLITS):
        tables[name], triplets[name] = view(pairs.filter(pa.array(split == k)))
        metrics[name] = {
            "rows": tables[name].num_rows,
            "fraction": round(tables[name].num_rows / max(pairs.num_rows, 1), 6),
            "target_fraction": getattr(cfg.data.split, name),
            "components": len(np.unique(component[split == k])),
            "profiles": pc.count_distinct(tables[name]["profile_text"]).as_py(),
            "postings": pc.count_distinct(tables[name]["posting_text"]).as_py(),
            "triplets": triplets[name].num_rows,
        }
    return tables, triplets, metrics


def split_pairs(pairs: pa.Table, cfg: Config, catalog: Catalog) -> Views:
    """(pair tables, triplet tables) per split, the train split's rule blocks, metrics."""

    def rescore(profiles: pd.DataFrame, postings: pd.DataFrame) -> pd.DataFrame:
        return score_frame(profiles, postings, cfg.data.rules, catalog)

    def view(rows: pa.Table) -> tuple[pa.Table, pa.Table]:
        table = rows.cast(PAIR_SCHEMA)
        return table, build_triplets(table, cfg.data.triplets, rescore)

    component = text_components(pairs["profile_text"], pairs["posting_text"])
    tables, triplets, metrics = _split_by_component(pairs, component, cfg, view)
    blocks = build_blocks(tables["train"], rescore)
    metrics["train"]["block_pairs"] = blocks.num_rows
    return tables, triplets, blocks, metrics


def shared_text_components(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Component label per row of the graph whose nodes are texts (either column) and whose edges are the
    rows: rows sharing a text, on whichever side, (transitively) share a label."""
    codes, uniques = pd.factorize(np.concatenate([first, second]), sort=False)
    n = len(first)
    graph = coo_matrix((np.ones(n, dtype=np.int8), (codes[:n], codes[n:])), shape=(len(uniques),) * 2)
    _, labels = connected_components(graph, directed=False)
    return labels[codes[:n]].astype(np.int64)


def _external_triplets(table: pa.Table, cfg: TripletConfig) -> pa.Table:
    frame = table.to_pandas()
    if TRIPLET_COLUMN in frame:
        # The file's own triplets: each has a positive row (score 1) and a negative row (score 0).
        pos = frame[frame["score"] > 0.5][[TRIPLET_COLUMN, "profile_text", "posting_text"]]
        neg = frame[frame["score"] <= 0.5][[TRIPLET_COLUMN, "posting_text"]]
        both = pos.merge(neg, on=TRIPLET_COLUMN, suffixes=("", "_neg")).sort_values(TRIPLET_COLUMN)
        names = ("profile_text", "posting_text", "posting_text_neg")
        columns = [pa.array(both[c].to_numpy(dtype=object), type=pa.string()) for c in names]
        return pa.Table.from_arrays(columns, schema=TRIPLET_SCHEMA)
    # No rule attributes: every negative is an ordinary one (no near misses) and none is re-scored.
    neutral = frame.assign(region_match="same", stack_match="exact", experience_match="meets", capped=False)
    return build_triplets(neutral, cfg)


def split_external(pairs: pa.Table, cfg: Config) -> Views:
    """:func:`split_pairs` for external data (see the module docstring); no rule blocks."""

    def view(rows: pa.Table) -> tuple[pa.Table, pa.Table]:
        table = rows.select(EXTERNAL_PAIR_SCHEMA.names).cast(EXTERNAL_PAIR_SCHEMA)
        return table, _external_triplets(rows, cfg.data.triplets)

    component = shared_text_components(pairs["profile_text"].to_numpy(), pairs["posting_text"].to_numpy())
    tables, triplets, metrics = _split_by_component(pairs, component, cfg, view)
    return tables, triplets, BLOCK_SCHEMA.empty_table(), metrics


def main(cfg: Config, root: Path | None = None) -> None:
    """Split ``root/data/generated/pairs.parquet`` (default root: the working directory)."""
    root = Path.cwd() if root is None else Path(root)
    source = root / PAIRS_PATH
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
    with atomic_path(root / SPLIT_DIR, stale=[root / METRICS_PATH]) as tmp:
        tmp.mkdir()
        for name in SPLITS:
            write_parquet(tmp / f"{name}.parquet", tables[name], _ROW_GROUP)
            write_parquet(tmp / f"{name}_triplets.parquet", triplets[name], _ROW_GROUP)
        write_parquet(tmp / "train_blocks.parquet", blocks, _ROW_GROUP)
    write_json(root / METRICS_PATH, metrics)
    print(
        "split: "
        + ", ".join(f"{n} {metrics[n]['rows']} rows / {metrics[n]['triplets']} triplets" for n in SPLITS)
    )


if __name__ == "__main__":
    run_stage(main)
