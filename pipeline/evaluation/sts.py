"""Extra STS files (``eval.extra_files``: KorSTS-style tsv/csv with sentence1, sentence2, score) as 0-1 scored
pairs, read and checked by :mod:`pipeline.pairs.reader` as external pairs are. The scale is explicit
(``eval.extra_score_range``), never guessed from the scores: a subset of a 0-5 file can look like 0-1."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.config.errors import ConfigError
from pipeline.pairs.reader import SUFFIXES, read_table, warn_if_unit_scores

__all__ = ["STS_COLUMNS", "read_sts_file", "sts_name"]

STS_COLUMNS = ("sentence1", "sentence2", "score")
KEY = "eval.extra_files"
SCALE_KEY = "eval.extra_score_range"


def sts_name(path: Path | str) -> str:
    """Metric prefix of an extra file: its stem as an identifier (``KorSTS dev.tsv`` -> ``korsts_dev``)."""
    return re.sub(r"[^0-9a-z]+", "_", Path(path).stem.lower()).strip("_") or "extra"


def read_sts_file(path: Path | str, score_range: Sequence[float]) -> pd.DataFrame:
    """sentence1, sentence2 (stripped) and the score mapped from ``score_range`` onto [0, 1].

    A missing file, a missing column, an empty text or a score that is not a number in the range is a
    :class:`ConfigError` of ``eval.extra_files`` naming the file (and the row and column).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(KEY, str(path), "existing tsv/csv files (this one does not exist)")
    table = read_table(path, SUFFIXES[path.suffix.lower()], key=KEY, wanted=STS_COLUMNS)
    table.require(STS_COLUMNS, lambda column: f"an extra STS file has columns {', '.join(STS_COLUMNS)}")
    if len(table.rows) < 2:
        raise ConfigError(KEY, str(path), "at least 2 scored pairs (correlations need them)")
    score = table.scores("score", score_range, SCALE_KEY)
    warn_if_unit_scores(str(path), float(score.max()), score_range, SCALE_KEY)
    lo, hi = score_range
    s1, s2 = table.texts("sentence1"), table.texts("sentence2")
    return pd.DataFrame({"sentence1": s1, "sentence2": s2, "score": (score - lo) / (hi - lo)})
