"""Extra STS files (KorSTS-style tsv/csv with sentence1, sentence2, score) read into 0-1 scored pairs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config.errors import ConfigError

__all__ = ["STS_COLUMNS", "read_sts_file", "sts_name"]

STS_COLUMNS = ("sentence1", "sentence2", "score")
KEY = "eval.extra_files"


def sts_name(path: Path | str) -> str:
    """Metric prefix of an extra file: its stem as an identifier (``KorSTS dev.tsv`` -> ``korsts_dev``)."""
    return re.sub(r"[^0-9a-z]+", "_", Path(path).stem.lower()).strip("_") or "extra"


def read_sts_file(path: Path | str) -> pd.DataFrame:
    """sentence1, sentence2, score in [0, 1]; 0-5 scores (KorSTS, STS-B) are divided by 5.

    A missing file, a missing column or an unusable score is a :class:`ConfigError` naming the file
    (and the column), since the file comes from ``eval.extra_files``.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(KEY, str(path), "existing tsv/csv files (this one does not exist)")
    if path.suffix.lower() == ".tsv":
        # KorSTS sentences contain unbalanced quotes: read tabs literally.
        frame = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in STS_COLUMNS:
        if column not in frame.columns:
            found = ", ".join(frame.columns)
            raise ConfigError(KEY, str(path), f"a file with column {column!r} (missing; it has: {found})")
    frame = frame.loc[:, list(STS_COLUMNS)]
    score = pd.to_numeric(frame["score"].str.strip(), errors="coerce")
    bad = score.isna() | (score < 0) | (score > 5)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ConfigError(
            KEY,
            str(path),
            f"numbers from 0 to 1 or 0 to 5 in column 'score' "
            f"(data row {row + 1}: {frame['score'].iloc[row]!r})",
        )
    empty = (frame["sentence1"].str.strip() == "") | (frame["sentence2"].str.strip() == "")
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise ConfigError(
            KEY, str(path), f"non-empty sentence1 and sentence2 (data row {row + 1} has an empty one)"
        )
    if len(frame) < 2:
        raise ConfigError(KEY, str(path), "at least 2 scored pairs (correlations need them)")
    # A file is on one scale: anything above 1 means the 0-5 STS scale.
    frame = frame.assign(score=score / 5.0 if score.max() > 1.0 else score)
    return frame.reset_index(drop=True)
