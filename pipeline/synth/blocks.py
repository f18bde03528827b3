"""The rule-block view of a split: every (profile, posting) combination of each block of connected components,
scored.

A sampled pair set holds ~6 pairs per text. Training on whole blocks (P profiles x Q postings of one
component, all P*Q pairs labelled) gives P*Q scores for P+Q encoded texts, and every profile is ranked
against every posting of the block, which is what CoSENT learns from. Components come from the split's own
text graph, so a block never crosses splits; the scores are the same rules as the sampled pairs'.

Rows are ordered by block, then profile, then posting: block ``b`` is a ``profiles x postings`` matrix laid
out row-major (``block_layout`` recovers the shapes). Texts are deduplicated, so a text is one row/column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.pairs.components import text_components
from pipeline.synth.rules import POSTING_COLUMNS, PROFILE_COLUMNS, Rescore
from pipeline.synth.schema import BLOCK_SCHEMA


def build_blocks(pairs: pa.Table | pd.DataFrame, rescore: Rescore, groups: int = 1) -> pa.Table:
    """All same-block (profile text, posting text) combinations of ``pairs``, scored by ``rescore``; a block
    is ``groups`` components (``data.split.block_groups``). With more than one, a batch also ranks postings
    of another theme and place, as a search over every posting does; component ``c`` of ``n`` joins those
    ``c + k * ceil(n / groups)``, which the generator made of other stack families (groups cycle through
    them)."""
    frame = pairs.to_pandas() if isinstance(pairs, pa.Table) else pairs.reset_index(drop=True)
    if frame.empty:
        return BLOCK_SCHEMA.empty_table()
    component = pd.factorize(text_components(frame["profile_text"], frame["posting_text"]))[0]
    frame = frame.assign(block=component % -(-(component.max() + 1) // groups))
    profiles = frame.drop_duplicates("profile_text")[["block", "profile_text", *PROFILE_COLUMNS]]
    postings = frame.drop_duplicates("posting_text")[["block", "posting_text", *POSTING_COLUMNS]]
    profiles = profiles.assign(p_order=np.arange(len(profiles)))
    postings = postings.assign(j_order=np.arange(len(postings)))
    # Row-major (profile, posting) order inside each block, blocks in order of first appearance.
    cross = profiles.merge(postings, on="block").sort_values(["block", "p_order", "j_order"], kind="stable")
    scored = rescore(cross[list(PROFILE_COLUMNS)], cross[list(POSTING_COLUMNS)])
    columns = {
        "block": cross["block"].to_numpy(dtype=np.int32),
        "profile_text": cross["profile_text"].to_numpy(dtype=object),
        "posting_text": cross["posting_text"].to_numpy(dtype=object),
    }
    columns |= {name: scored[name].to_numpy() for name in BLOCK_SCHEMA.names if name in scored}
    return pa.Table.from_pydict(columns, schema=BLOCK_SCHEMA)


def block_layout(block: np.ndarray, profile_text: np.ndarray) -> list[tuple[int, int, int]]:
    """``(first row, profiles, postings)`` per block of a table in ``build_blocks`` order.

    Raises ValueError when a block is not a full row-major matrix (rows reordered or filtered).
    """
    block = np.asarray(block)
    if len(block) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    ends = np.r_[starts[1:], len(block)]
    if len(np.unique(block[starts])) != len(starts):
        raise ValueError("the rows of a block are not contiguous")
    layout = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        texts = profile_text[start:end]
        changes = np.flatnonzero(np.r_[True, texts[1:] != texts[:-1]])
        num_profiles = len(changes)
        num_postings = (end - start) // num_profiles
        if num_profiles * num_postings != end - start or not np.all(np.diff(changes) == num_postings):
            raise ValueError(f"block {block[start]} is not a full profiles x postings matrix")
        layout.append((start, num_profiles, num_postings))
    return layout
