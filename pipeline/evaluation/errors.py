"""Error analysis: the gap cosine - rule score per rule factor, to show which rule a model has not learned.

A positive mean gap means the model rates such pairs as better matches than the rules do (for example
it ignores a region mismatch); a large mean |gap| with a small mean gap means it is noisy there.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.synth.rules import EXPERIENCE_MATCH, REGION_MATCH, STACK_MATCH

__all__ = ["FACTORS", "FACTOR_COLUMNS", "factor_error_table"]

# factor -> (column, levels in display order); pairs are bucketed by each factor separately.
FACTORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "region": ("region_match", REGION_MATCH),
    "stack": ("stack_match", STACK_MATCH),
    "experience": ("experience_match", EXPERIENCE_MATCH),
    "hard_constraint": ("capped", ("hit", "not_hit")),
}
FACTOR_COLUMNS = tuple(col for col, _ in FACTORS.values())
TABLE_COLUMNS = [
    "label",
    "factor",
    "level",
    "model",
    "count",
    "mean_gap",
    "mean_abs_gap",
    "mean_cosine",
    "mean_score",
]


def _levels(frame: pd.DataFrame, factor: str) -> pd.Series:
    column, _ = FACTORS[factor]
    if factor == "hard_constraint":
        return frame[column].astype(bool).map({True: "hit", False: "not_hit"})
    return frame[column].astype(str)


def factor_error_table(frame: pd.DataFrame, cosines: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long table, one row per (factor, level, model) present: count, mean gap, mean |gap|, mean cosine/score.

    ``frame`` holds ``score`` and the factor columns (region_match, stack_match, experience_match,
    capped), row-aligned with each model's cosines. ``label`` ("region=same | base") sorts the two
    models of a bucket next to each other in a bar chart.
    """
    missing = [c for c in ("score", *FACTOR_COLUMNS) if c not in frame.columns]
    if missing:
        raise KeyError(f"factor_error_table needs columns {missing}")
    score = frame["score"].to_numpy(dtype=np.float64)
    rows = []
    for factor, (_, order) in FACTORS.items():
        levels = _levels(frame, factor).to_numpy()
        present = [lv for lv in order if lv in set(levels)] + sorted(set(levels) - set(order))
        for level in present:
            mask = levels == level
            for model, cos in cosines.items():
                cos_m = np.asarray(cos, dtype=np.float64)[mask]
                gap = cos_m - score[mask]
                rows.append(
                    {
                        "label": f"{factor}={level} | {model}",
                        "factor": factor,
                        "level": level,
                        "model": model,
                        "count": int(mask.sum()),
                        "mean_gap": float(gap.mean()),
                        "mean_abs_gap": float(np.abs(gap).mean()),
                        "mean_cosine": float(cos_m.mean()),
                        "mean_score": float(score[mask].mean()),
                    }
                )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
