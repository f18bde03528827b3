"""The MNRL view of scored pairs: (anchor profile, positive posting, hard-negative posting) triplets.

For every anchor (profile text), each distinct posting it scored ``>= positive_min_score`` with becomes a
positive. Its negative is a posting scored ``<= negative_max_score`` against the same anchor: first the
anchor's own pairs, near misses first (a good match but for one thing), then the highest-scoring
(hardest). An anchor with positives but no such pair may, given ``rescore``, take a negative from the
postings of its own connected component (same split, usually the same region and stack families),
scored against it by the rules. The k-th positive of an anchor takes its k-th negative (cycling), so an
anchor's triplets do not all share one negative. No text repeats inside a triplet. Everything follows row
order and stable sorts: deterministic. Built per split, so a triplet never crosses splits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.config.schema import TripletConfig
from pipeline.pairs.components import text_components
from pipeline.synth.rules import POSTING_COLUMNS, PROFILE_COLUMNS, Rescore, near_miss_frame
from pipeline.synth.schema import TRIPLET_SCHEMA


def _ranked(neg: pd.DataFrame) -> pd.DataFrame:
    """Negatives per anchor in order of preference: near misses, then harder (higher score) first."""
    neg = neg.sort_values(
        ["anchor", "near", "score", "order"], ascending=[True, False, False, True], kind="stable"
    )
    return neg.assign(rank=neg.groupby("anchor").cumcount())


def _fallback(frame: pd.DataFrame, rows: pd.DataFrame, anchors: np.ndarray, cfg: TripletConfig,
              rescore: Rescore) -> pd.DataFrame:  # fmt: skip
    """Negatives for ``anchors`` among the postings of their component that they have no pair with."""
    component = text_components(frame["profile_text"], frame["posting_text"])
    rows = rows.assign(component=component)
    first_anchor = rows[rows["anchor"].isin(anchors)].drop_duplicates("anchor")[
        ["anchor", "row", "component"]
    ]
    postings = rows.drop_duplicates("posting")[["posting", "row", "component"]]
    cand = first_anchor.merge(postings, on="component", suffixes=("", "_j"))
    seen = rows[["anchor", "posting"]].drop_duplicates().assign(seen=True)
    cand = cand.merge(seen, on=["anchor", "posting"], how="left")
    cand = cand[cand["seen"].isna()]
    if cand.empty:
        return pd.DataFrame(columns=["anchor", "posting", "score", "order", "near"])
    profiles = frame.iloc[cand["row"].to_numpy()].reset_index(drop=True)
    postings_ = frame.iloc[cand["row_j"].to_numpy()].reset_index(drop=True)
    scored = rescore(profiles[list(PROFILE_COLUMNS)], postings_[list(POSTING_COLUMNS)])
    near = near_miss_frame(scored)
    out = pd.DataFrame({
        "anchor": cand["anchor"].to_numpy(),
        "posting": cand["posting"].to_numpy(),
        "score": scored["score"].to_numpy(dtype=np.float64),
        "order": cand["row_j"].to_numpy(),
        "near": near > 0,
    })  # fmt: skip
    return out[out["score"] <= cfg.negative_max_score]


def build_triplets(
    pairs: pa.Table | pd.DataFrame, cfg: TripletConfig, rescore: Rescore | None = None
) -> pa.Table:
    """Triplets (columns anchor, positive, negative) from the scored pairs of one split."""
    frame = pairs.to_pandas() if isinstance(pairs, pa.Table) else pairs
    frame = frame.reset_index(drop=True)
    rows = pd.DataFrame({
        "anchor": pd.factorize(frame["profile_text"], sort=False)[0],
        "posting": pd.factorize(frame["posting_text"], sort=False)[0],
        "score": frame["score"].to_numpy(dtype=np.float64),
        "row": np.arange(len(frame)),
    })  # fmt: skip
    pos = rows[rows["score"] >= cfg.positive_min_score].drop_duplicates(["anchor", "posting"])
    neg = rows[rows["score"] <= cfg.negative_max_score].drop_duplicates(["anchor", "posting"])
    neg = neg.assign(near=near_miss_frame(frame.iloc[neg["row"].to_numpy()]) > 0, order=neg["row"])
    negs = [neg[["anchor", "posting", "score", "order", "near"]]]
    if rescore is not None:
        lacking = np.setdiff1d(pos["anchor"].unique(), neg["anchor"].unique())
        if len(lacking):
            negs.append(_fallback(frame, rows, lacking, cfg, rescore))
    neg = _ranked(pd.concat(negs, ignore_index=True))
    counts = neg.groupby("anchor").size()

    pos = pos[pos["anchor"].isin(counts.index)]
    k = pos.groupby("anchor").cumcount().to_numpy()
    pos = pos.assign(rank=k % counts.loc[pos["anchor"]].to_numpy())
    merged = pos.merge(neg[["anchor", "rank", "posting"]], on=["anchor", "rank"], suffixes=("", "_neg"))
    merged = merged.sort_values("row", kind="stable")

    profile_text = frame["profile_text"].to_numpy(dtype=object)
    posting_text = frame["posting_text"].to_numpy(dtype=object)
    posting_row = rows.drop_duplicates("posting").set_index("posting")["row"]
    anchor = profile_text[merged["row"].to_numpy()]
    positive = posting_text[merged["row"].to_numpy()]
    negative = posting_text[posting_row.loc[merged["posting_neg"]].to_numpy()]
    keep = (anchor != positive) & (anchor != negative) & (positive != negative)
    return pa.Table.from_arrays(
        [pa.array(anchor[keep], type=pa.string()), pa.array(positive[keep], type=pa.string()),
         pa.array(negative[keep], type=pa.string())],
        schema=TRIPLET_SCHEMA,
    )  # fmt: skip
