"""Train/dev/test by connected components of the text graph (whole components to one split), plus each split's
MNRL triplets and, for synthetic data, the train split's rule blocks. See :mod:`pipeline.stages.split`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import Config
from pipeline.config.schema import SplitConfig, TripletConfig
from pipeline.pairs.components import text_components
from pipeline.pairs.external import EXTERNAL_PAIR_SCHEMA, TRIPLET_COLUMN
from pipeline.synth.blocks import build_blocks
from pipeline.synth.catalog import Catalog
from pipeline.synth.rules import score_frame
from pipeline.synth.sampling import stream
from pipeline.synth.schema import BLOCK_SCHEMA, PAIR_SCHEMA, TRIPLET_SCHEMA
from pipeline.synth.triplets import build_triplets

SPLITS = ("train", "dev", "test")


_STREAM_SPLIT = 100  # random stream of this stage, apart from the generator's


class UnsplittableError(ValueError):
    """The pairs' texts are too connected to fill every split without a text in two splits."""


def assign_splits(
    component: np.ndarray, fractions: SplitConfig, seed: int, stratum: np.ndarray | None = None,
    held_out: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """Split index (into SPLITS) per row, whole components at a time; raises if a split stays empty.

    ``held_out`` (per row, e.g. written with surface forms train must not see): such components go to
    dev and test only, alternating. ``stratum`` (per row, e.g. the group's theme family): each stratum
    with at least 3 components gives dev and test one each (held-out ones count; its smallest, so that
    every stratum fits in their share), so both cover every stratum. The remaining components fill the
    splits toward their fractions, largest first.
    """
    sizes = np.bincount(component)
    n = len(sizes)
    tiebreak = stream(seed, _STREAM_SPLIT).permutation(n)
    order = np.lexsort((tiebreak, -sizes))
    comp_stratum = np.zeros(n, dtype=np.int64)
    if stratum is not None:
        comp_stratum[component] = pd.factorize(stratum, sort=True)[0]
    comp_held = np.zeros(n, dtype=bool)
    if held_out is not None:
        np.logical_or.at(comp_held, component, held_out)
    split_of = np.full(n, -1, dtype=np.int8)
    held = order[comp_held[order]]
    held = held[np.argsort(comp_stratum[held], kind="stable")]
    split_of[held] = 1 + np.arange(len(held)) % 2  # dev, test, dev, ...
    targets = np.array([fractions.train, fractions.dev, fractions.test]) * len(component)
    filled = np.bincount(split_of[split_of >= 0], weights=sizes[split_of >= 0], minlength=len(SPLITS))
    if stratum is not None:
        for s in np.unique(comp_stratum):
            members = order[comp_stratum[order] == s]
            if len(members) < 3:
                continue
            for k in (1, 2):
                free = members[split_of[members] == -1]
                # a stratum's smallest free component to dev/test, while that split has room for it
                if (
                    not (split_of[members] == k).any()
                    and len(free) > 1
                    and filled[k] + sizes[free[-1]] <= targets[k]
                ):
                    split_of[free[-1]] = k
                    filled[k] += sizes[free[-1]]
    for c in order[split_of[order] == -1]:
        k = int(np.argmax(targets - filled))
        split_of[c] = k
        filled[k] += sizes[c]
    empty = [SPLITS[k] for k in range(len(SPLITS)) if filled[k] == 0]
    if empty:
        raise UnsplittableError(
            f"cannot fill split(s) {', '.join(empty)}: {n} connected component(s) of texts, "
            f"the largest holds {sizes.max() / len(component):.0%} of {len(component)} rows; rows that share "
            "a text stay in one split, so the data needs more groups of pairs with no text in common"
        )
    return split_of[component]


Splits = tuple[dict[str, pa.Table], dict[str, pa.Table], dict[str, Any]]  # pairs, triplets, metrics


Views = tuple[dict[str, pa.Table], dict[str, pa.Table], pa.Table, dict[str, Any]]  # ... and train blocks


# One split's rows -> (its pair table as written, its triplets).
SplitView = Callable[[pa.Table], tuple[pa.Table, pa.Table]]


def _split_by_component(
    pairs: pa.Table, component: np.ndarray, cfg: Config, view: SplitView, stratified: bool = False
) -> Splits:
    """Assign whole components to splits and build each split's files with ``view``; synthetic pairs
    are ``stratified`` by theme, with the groups of held-out forms in dev and test only."""
    stratum = pairs["theme"].to_numpy(zero_copy_only=False) if stratified else None
    held_out = pairs["unseen_forms"].to_numpy(zero_copy_only=False) if stratified else None
    split = assign_splits(component, cfg.data.split, cfg.data.seed, stratum, held_out)
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
        if stratified:
            rows = tables[name]
            metrics[name]["unseen_form_rows"] = pc.sum(rows["unseen_forms"]).as_py() or 0
            metrics[name]["themes"] = pc.count_distinct(rows["theme"]).as_py()
    return tables, triplets, metrics


def split_pairs(pairs: pa.Table, cfg: Config, catalog: Catalog) -> Views:
    """(pair tables, triplet tables) per split, the train split's rule blocks, metrics."""

    def rescore(profiles: pd.DataFrame, postings: pd.DataFrame) -> pd.DataFrame:
        return score_frame(profiles, postings, cfg.data.rules, catalog)

    def view(rows: pa.Table) -> tuple[pa.Table, pa.Table]:
        table = rows.cast(PAIR_SCHEMA)
        return table, build_triplets(table, cfg.data.triplets, rescore)

    component = text_components(pairs["profile_text"], pairs["posting_text"])
    tables, triplets, metrics = _split_by_component(pairs, component, cfg, view, stratified=True)
    blocks = build_blocks(tables["train"], rescore, cfg.data.split.block_groups)
    metrics["train"]["block_pairs"] = blocks.num_rows
    return tables, triplets, blocks, metrics


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
    neutral = frame.assign(region_match="same", stack_match="full", experience_match="meets", capped=False)
    return build_triplets(neutral, cfg)


def split_external(pairs: pa.Table, cfg: Config) -> Views:
    """:func:`split_pairs` for external data (see the module docstring); no rule blocks."""

    def view(rows: pa.Table) -> tuple[pa.Table, pa.Table]:
        table = rows.select(EXTERNAL_PAIR_SCHEMA.names).cast(EXTERNAL_PAIR_SCHEMA)
        return table, _external_triplets(rows, cfg.data.triplets)

    component = text_components(pairs["profile_text"], pairs["posting_text"])
    tables, triplets, metrics = _split_by_component(pairs, component, cfg, view)
    return tables, triplets, BLOCK_SCHEMA.empty_table(), metrics
