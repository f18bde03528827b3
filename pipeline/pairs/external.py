"""A user's scored pairs or triplets (``data.source: external``) as the pairs file the split stage reads.

Selected with ``dvc exp run -S data=external_pairs -S data.external.path=my.tsv`` (or ``external_triplets``);
settings in ``conf/data/external_*.yaml``, schema in ``pipeline/config/schema.py``.

Input
* ``data.external.path``: a file, or a folder whose files are read in name order (hidden files skipped).
* Formats: csv, tsv, jsonl (one JSON object per line), parquet; ``format: auto`` goes by each file's
  extension. Read by :mod:`pipeline.pairs.reader` (UTF-8, tsv without quoting, every cell as text).
  Extra columns are ignored.
* ``kind: pairs``: columns for sentence1, sentence2 and score (names in ``data.external.columns``).
  Scores must lie in ``data.external.score_range`` ([0, 5] for KorSTS, [0, 1] for 0-1 files) and are
  mapped linearly onto [0, 1]. The range is explicit rather than guessed from the scores (a subset of a
  0-5 file can look like 0-1); a 0-5 range over a file whose scores all lie in [0, 1] prints a warning.
* ``kind: triplets``: columns for anchor, positive and negative; the three texts of a row must differ.
* Texts and csv/tsv header names are stripped of surrounding whitespace. Non-ASCII column names need
  quotes in an override: ``-S "data.external.columns.score='점수'"``.
* An empty or missing text, a missing or misnamed column, a score that is not a number or out of range,
  an unreadable file: :class:`ExternalDataError` (the reader's ``TableError``, a :class:`ConfigError`, so
  the stage exits 2 with one line) naming the file, the row (1-based data row, the header not counted;
  the line for jsonl) and the column.

Output (``data/generated/pairs.parquet``, the same contract as synthetic pairs minus the attribute columns)
* ``profile_text`` = sentence1 / anchor (encoded as the query), ``posting_text`` = sentence2 / positive or
  negative (the document), ``score`` in [0, 1], and ``profile_id``/``posting_id``: one id per distinct
  text, shared by both sides (a text that is sentence1 in one row and sentence2 in another has one id).
* Triplets become two rows each, (anchor, positive, 1.0) and (anchor, negative, 0.0), plus a ``triplet``
  column (the triplet's 0-based row over all files). So pair losses (cosent, cosine, angle) and the STS
  dev evaluator train and score on them, and the split stage, which assigns whole connected components
  of the text graph, keeps every triplet in one split (both rows share the anchor) and rebuilds the
  split's triplets from the ``triplet`` column for the in-batch-negatives losses.
* ``metrics/data.json``: counts, score histogram over ``data.score_bins``, score mean/std.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.config.errors import ConfigError
from pipeline.config.schema import EXTERNAL_ROLES, DataConfig, ExternalConfig
from pipeline.io import atomic_path
from pipeline.pairs import reader
from pipeline.pairs.bins import score_bin, score_histogram
from pipeline.pairs.reader import Table, TableError, read_table, short, warn_if_unit_scores
from pipeline.synth.schema import parquet_writer

__all__ = [
    "EXTERNAL_PAIR_SCHEMA",
    "SUFFIXES",
    "TRIPLET_COLUMN",
    "TRIPLET_PAIR_SCHEMA",
    "ExternalDataError",
    "data_files",
    "generate_external",
    "is_external",
    "load_external",
]

KEY = "data.external.path"
SCALE_KEY = "data.external.score_range"
SUFFIXES = {suffix: fmt for suffix, fmt in reader.SUFFIXES.items() if fmt != "txt"}
TRIPLET_COLUMN = "triplet"
EXTERNAL_PAIR_SCHEMA = pa.schema(
    [
        ("profile_id", pa.int64()),
        ("posting_id", pa.int64()),
        ("profile_text", pa.string()),
        ("posting_text", pa.string()),
        ("score", pa.float64()),
    ]
)
TRIPLET_PAIR_SCHEMA = EXTERNAL_PAIR_SCHEMA.append(pa.field(TRIPLET_COLUMN, pa.int64()))
# A problem in the user's file, named by file, row and column; its key is data.external.path.
ExternalDataError = TableError


def is_external(schema: pa.Schema) -> bool:
    """Whether a pairs file came from this module (no synthetic attribute columns)."""
    return schema.remove_metadata() in (EXTERNAL_PAIR_SCHEMA, TRIPLET_PAIR_SCHEMA)


# --- reading -------------------------------------------------------------------------------------------


def data_files(ext: ExternalConfig, root: Path) -> list[tuple[Path, str, str]]:
    """(file, format, name in messages) for each file to read: ``ext.path`` or its folder's files, by name."""
    path = root / ext.path
    allowed = "an existing csv, tsv, jsonl or parquet file, or a folder of them"
    if not path.exists():
        raise ConfigError(KEY, ext.path, f"{allowed} (this path does not exist)")
    if path.is_file():
        named = [(path, ext.path)]
    else:
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        named = [(f, str(Path(ext.path) / f.name)) for f in files]
    if not named:
        raise ConfigError(KEY, ext.path, f"{allowed} (this folder holds no files)")
    out = []
    for file, name in named:
        fmt = SUFFIXES.get(file.suffix.lower()) if ext.format == "auto" else ext.format
        if fmt is None:
            raise ConfigError(
                "data.external.format",
                ext.format,
                f"csv, tsv, jsonl or parquet for {name}: its extension {file.suffix!r} is none of "
                f"{', '.join(SUFFIXES)}",
            )
        out.append((file, fmt, name))
    return out


def _column_fix(table: Table, roles: dict[str, str], kind: str) -> Callable[[str], str]:
    """What to do about a missing column: a close name in the file, the other kind, or the setting."""

    def fix(column: str) -> str:
        role = next(r for r, c in roles.items() if c == column)
        others = set(roles.values())  # another role's column is no candidate
        hint = difflib.get_close_matches(
            column, [c for c in table.available if c not in others], n=1, cutoff=0.6
        )
        other = next(k for k in EXTERNAL_ROLES if k != kind)
        if hint:
            return f"did you mean {hint[0]!r}? (-S {_override(f'data.external.columns.{role}', hint[0])})"
        if set(EXTERNAL_ROLES[other]) <= set(table.available):
            return f"it looks like a {other} file: -S data=external_{other}"
        return f"set data.external.columns.{role} to the file's name for it"

    return fix


def _override(key: str, value: str) -> str:
    """``key=value`` as Hydra's override grammar takes it: other than plain ASCII names, quoted."""
    return f"{key}={value}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value) else f"\"{key}='{value}'\""


def _triplet_texts(table: Table, roles: dict[str, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, p, n = (table.texts(roles[r]) for r in ("anchor", "positive", "negative"))
    for col, same, what in (
        (roles["positive"], a == p, "the anchor"),
        (roles["negative"], a == n, "the anchor"),
        (roles["negative"], p == n, "the positive"),
    ):
        if same.any():
            i = int(np.flatnonzero(same)[0])
            raise table.fail(
                i, col, f"same text as {what} ({short(p[i] if what == 'the positive' else a[i])})"
            )
    return a, p, n


def load_external(ext: ExternalConfig, root: Path) -> tuple[pa.Table, dict[str, int]]:
    """Read and check every file of ``ext``: the rows in the pairs contract (see the module docstring) and
    the counts of duplicate rows and conflicting pairs among them (:func:`check_duplicates`)."""
    roles = dict(ext.columns)
    wanted = [roles[r] for r in EXTERNAL_ROLES[ext.kind]]
    first: list[np.ndarray] = []
    second: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    where: list[np.ndarray] = []  # "file row N" of each output row, for the duplicate report
    raw_max = -np.inf
    for file, fmt, name in data_files(ext, root):
        table = read_table(file, fmt, key=KEY, name=name, wanted=wanted)
        table.require(wanted, _column_fix(table, roles, ext.kind))
        rows = [f"{table.name} {table.unit} {r}" for r in table.rows]
        if ext.kind == "pairs":
            assert ext.score_range is not None  # the config schema requires it for pairs
            first.append(table.texts(roles["sentence1"]))
            second.append(table.texts(roles["sentence2"]))
            score = table.scores(roles["score"], ext.score_range, SCALE_KEY)
            raw_max = max(raw_max, float(score.max()))
            lo, hi = ext.score_range
            scores.append((score - lo) / (hi - lo))
            where.append(np.array(rows, dtype=object))
        else:
            a, p, n = _triplet_texts(table, roles)
            # Two rows per triplet, positive first: (anchor, positive, 1.0), (anchor, negative, 0.0).
            first.append(np.repeat(a, 2))
            second.append(np.column_stack([p, n]).ravel())
            scores.append(np.tile([1.0, 0.0], len(a)))
            where.append(np.repeat(rows, 2).astype(object))
    if ext.kind == "pairs" and ext.score_range is not None:
        warn_if_unit_scores(ext.path, raw_max, ext.score_range, SCALE_KEY)
    profile_text, posting_text = np.concatenate(first), np.concatenate(second)
    pair_scores = np.concatenate(scores)
    duplicates = check_duplicates(ext, profile_text, posting_text, pair_scores, np.concatenate(where))
    # One id per distinct text over both sides, in order of first appearance.
    ids, _ = pd.factorize(np.concatenate([profile_text, posting_text]), sort=False)
    n = len(profile_text)
    arrays = [
        pa.array(ids[:n], type=pa.int64()),
        pa.array(ids[n:], type=pa.int64()),
        pa.array(profile_text, type=pa.string()),
        pa.array(posting_text, type=pa.string()),
        pa.array(pair_scores, type=pa.float64()),
    ]
    if ext.kind == "pairs":
        return pa.Table.from_arrays(arrays, schema=EXTERNAL_PAIR_SCHEMA), duplicates
    arrays.append(pa.array(np.arange(n, dtype=np.int64) // 2))
    return pa.Table.from_arrays(arrays, schema=TRIPLET_PAIR_SCHEMA), duplicates


def check_duplicates(
    ext: ExternalConfig, first: np.ndarray, second: np.ndarray, scores: np.ndarray, where: np.ndarray
) -> dict[str, int]:
    """Count rows repeated exactly and pairs scored differently in different rows; warn, or raise
    :class:`ExternalDataError` naming the rows when ``ext.duplicates`` is ``error``. Returns the counts."""
    frame = pd.DataFrame({"a": first, "b": second, "score": scores, "where": where})
    repeated = frame.duplicated(["a", "b", "score"], keep="first")
    sizes = frame[~repeated].groupby(["a", "b"], sort=False).size()
    conflicting = sizes.index[sizes.to_numpy() > 1]  # (a, b) pairs with several scores
    counts = {"duplicate_rows": int(repeated.sum()), "conflicting_pairs": len(conflicting)}
    if not any(counts.values()):
        return counts
    examples = []
    if counts["duplicate_rows"]:
        row = frame[repeated].iloc[0]
        same = frame[(frame.a == row.a) & (frame.b == row.b) & (frame.score == row.score)]["where"]
        examples.append(f"{same.iloc[0]} is repeated in {same.iloc[1]}")
    if counts["conflicting_pairs"]:
        a, b = conflicting[0]
        rows = frame[(frame.a == a) & (frame.b == b)]
        scored = ", ".join(f"{w} ({s:g})" for w, s in zip(rows["where"], rows["score"], strict=True))
        examples.append(f"the pair {short(a)} / {short(b)} has different scores (0-1 scale) in {scored}")
    what = (
        f"{counts['duplicate_rows']} duplicate row(s) and {counts['conflicting_pairs']} pair(s) scored "
        f"differently in different rows; e.g. {'; '.join(examples)}"
    )
    if ext.duplicates == "error":
        raise TableError(KEY, ext.path, None, None, f"{what} (data.external.duplicates=error)")
    print(
        f"warning: {ext.path}: {what}. They are kept; -S data.external.duplicates=error stops on them",
        file=sys.stderr,
    )
    return counts


# --- the generate stage's external path ---------------------------------------------------------------


def external_metrics(
    table: pa.Table, bins: list[float], files: int, duplicates: dict[str, int]
) -> dict[str, Any]:
    """The counts (``duplicates`` from :func:`load_external` among them), score histogram and score mean/std
    of ``metrics/data.json`` for external data."""
    frame = table.select(["profile_text", "posting_text", "score"]).to_pandas()
    score = frame["score"].to_numpy(dtype=np.float64)
    n = len(frame)
    hist = np.bincount(score_bin(score, bins), minlength=len(bins) - 1)
    counts = {
        "pairs": n,
        "unique_pairs": len(frame.drop_duplicates(["profile_text", "posting_text"])),
        **duplicates,
        "profile_texts": int(frame["profile_text"].nunique()),
        "posting_texts": int(frame["posting_text"].nunique()),
        "texts": int(pd.concat([frame["profile_text"], frame["posting_text"]]).nunique()),
        "files": files,
    }
    if TRIPLET_COLUMN in table.column_names:
        counts["triplets"] = n // 2
    return {
        "counts": counts,
        "score_histogram": score_histogram(hist, bins),
        "factors": {"score": {"mean": round(float(score.mean()), 6), "std": round(float(score.std()), 6)}},
    }


def generate_external(
    data: DataConfig, root: Path, out: Path, *, stale: Sequence[Path] = ()
) -> dict[str, Any]:
    """Load ``data.external``, write it to ``out`` (parquet, atomically, removing ``stale`` as it replaces
    the old file) and return the data metrics."""
    assert data.external is not None  # the config schema requires it for source external
    table, duplicates = load_external(data.external, root)
    with atomic_path(out, stale=stale) as tmp, parquet_writer(tmp, table.schema) as writer:
        writer.write_table(table, row_group_size=data.shard_size)
    return external_metrics(table, data.score_bins, len(data_files(data.external, root)), duplicates)
