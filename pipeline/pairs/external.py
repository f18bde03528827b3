"""A user's scored pairs or triplets (``data.source: external``) as the pairs file the split stage reads.

Selected with ``dvc exp run -S data=external_pairs -S data.external.path=my.tsv`` (or ``external_triplets``);
settings in ``conf/data/external_*.yaml``, schema in ``pipeline/config/schema.py``.

Input
* ``data.external.path``: a file, or a folder whose files are read in name order (hidden files skipped).
* Formats: csv, tsv, jsonl (one JSON object per line), parquet; ``format: auto`` goes by each file's
  extension. tsv is read with quoting disabled (KorSTS sentences hold unbalanced quotes), csv with
  standard quoting; both as UTF-8 (a byte-order mark is dropped). Extra columns are ignored.
* ``kind: pairs``: columns for sentence1, sentence2 and score (names in ``data.external.columns``).
  Scores must lie in ``data.external.score_range`` ([0, 5] for KorSTS, [0, 1] for 0-1 files) and are
  mapped linearly onto [0, 1]. The range is explicit rather than guessed from the scores (a subset of a
  0-5 file can look like 0-1); a 0-5 range over a file whose scores all lie in [0, 1] prints a warning.
* ``kind: triplets``: columns for anchor, positive and negative; the three texts of a row must differ.
* Texts and csv/tsv header names are stripped of surrounding whitespace. Non-ASCII column names need
  quotes in an override: ``-S "data.external.columns.score='점수'"``.
* An empty or missing text, a missing or misnamed column, a score that is not a number or out of range,
  an unreadable file: :class:`ExternalDataError` (a :class:`ConfigError`, so the stage exits 2 with one
  line) naming the file, the row (1-based data row, the header not counted; the line for jsonl) and
  the column.

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

import csv
import difflib
import itertools
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.config.errors import ConfigError
from pipeline.config.schema import EXTERNAL_ROLES, DataConfig, ExternalConfig
from pipeline.io import atomic_path
from pipeline.synth.sampling import score_bin
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
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}
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
_MISSING = object()  # a key absent from a jsonl object


class ExternalDataError(ConfigError):
    """A problem in a user's data file: ``{file}: row {n}, column {name!r}: {problem}`` on one line."""

    def __init__(
        self, file: str, row: int | None, column: str | None, problem: str, unit: str = "row"
    ) -> None:
        self.file, self.row, self.column, self.problem = file, row, column, problem
        self.key, self.value, self.allowed = KEY, file, problem
        where = [f"{unit} {row}" if row is not None else "", f"column {column!r}" if column else ""]
        ValueError.__init__(self, ": ".join([file, *filter(None, [", ".join(filter(None, where))]), problem]))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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


@dataclass
class _Raw:
    """One file's cells (object arrays, ``_MISSING`` for absent jsonl keys) and their row numbers."""

    name: str
    columns: dict[str, np.ndarray]
    rows: np.ndarray  # 1-based data row (csv, tsv, parquet) or line (jsonl) of each record
    unit: str  # "row" or "line"
    available: list[str]  # column names found, for error messages


def _read(file: Path, fmt: str, name: str, wanted: list[str]) -> _Raw:
    try:
        if fmt == "jsonl":
            return _read_jsonl(file, name, wanted)
        if fmt == "parquet":
            frame = pd.read_parquet(file)
        else:
            # Everything as text: "NA" or "null" are sentences here, not missing values.
            frame = pd.read_csv(
                file,
                sep="\t" if fmt == "tsv" else ",",
                quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
            )
    except ExternalDataError:
        raise
    except (ValueError, OSError, pa.ArrowException) as err:  # UnicodeDecodeError and ParserError included
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExternalDataError(name, None, None, f"cannot be read as {fmt} ({reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]  # "score " from a spreadsheet is "score"
    available = list(frame.columns)
    columns = {c: frame[c].to_numpy(dtype=object) for c in wanted if c in frame.columns}
    return _Raw(name, columns, np.arange(1, len(frame) + 1), "row", available)


def _read_jsonl(file: Path, name: str, wanted: list[str]) -> _Raw:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    with file.open(encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise ExternalDataError(name, n, None, f"not valid JSON ({err.msg})", "line") from None
            if not isinstance(obj, dict):
                raise ExternalDataError(name, n, None, f"not a JSON object ({type(obj).__name__})", "line")
            records.append(obj)
            lines.append(n)
    available = list(dict.fromkeys(k for r in records[:100] for k in r))
    columns = {}
    for c in wanted:
        values = np.empty(len(records), dtype=object)
        values[:] = [r.get(c, _MISSING) for r in records]
        if records and all(v is _MISSING for v in values):
            continue  # absent everywhere: reported like a missing csv column
        columns[c] = values
    return _Raw(name, columns, np.asarray(lines, dtype=np.int64), "line", available)


def _require_columns(raw: _Raw, roles: dict[str, str], kind: str) -> None:
    for role, column in roles.items():
        if column in raw.columns:
            continue
        others = set(roles.values())  # another role's column is no candidate
        hint = difflib.get_close_matches(
            column, [c for c in raw.available if c not in others], n=1, cutoff=0.6
        )
        other = next(k for k in EXTERNAL_ROLES if k != kind)
        if hint:
            fix = f"did you mean {hint[0]!r}? (-S {_override(f'data.external.columns.{role}', hint[0])})"
        elif set(EXTERNAL_ROLES[other]) <= set(raw.available):
            fix = f"it looks like a {other} file: -S data=external_{other}"
        else:
            fix = f"set data.external.columns.{role} to the file's name for it"
        found = ", ".join(map(repr, raw.available)) or "none"
        where = "the header" if raw.unit == "row" else "every line"
        raise ExternalDataError(raw.name, None, column, f"missing from {where} (columns: {found}); {fix}")


def _override(key: str, value: str) -> str:
    """``key=value`` as Hydra's override grammar takes it: other than plain ASCII names, quoted."""
    return f"{key}={value}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value) else f"\"{key}='{value}'\""


def _fail(raw: _Raw, i: int, column: str, problem: str) -> ExternalDataError:
    return ExternalDataError(raw.name, int(raw.rows[i]), column, problem, raw.unit)


def _texts(raw: _Raw, column: str) -> np.ndarray:
    """The column's texts, stripped; an absent, non-text or blank cell is an error naming its row."""
    values = raw.columns[column]
    bad = np.fromiter(
        (not isinstance(v, str) or not v.strip() for v in values), dtype=bool, count=len(values)
    )
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        v = values[i]
        if v is _MISSING:
            problem = "missing (the key is absent on this line)"
        elif v is None or (isinstance(v, float) and np.isnan(v)):
            problem = "empty text (no value)"
        elif isinstance(v, str):
            problem = f"empty text ({_short(v)})"
        else:
            problem = f"expected a text, got {type(v).__name__} {_short(v)}"
        raise _fail(raw, i, column, problem)
    return np.array([v.strip() for v in values], dtype=object)


def _numeric_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if value is _MISSING or isinstance(value, bool | list | dict):  # to_numeric would take True for 1
        return None
    return value


def _scores(raw: _Raw, column: str, score_range: list[float]) -> np.ndarray:
    """Scores as floats in [0, 1]; a missing, non-numeric or out-of-range score is an error naming its row."""
    values = raw.columns[column]
    cleaned = pd.Series([_numeric_cell(v) for v in values], dtype=object)
    numbers = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64)
    lo, hi = score_range
    nan = np.isnan(numbers)
    if nan.any():
        i = int(np.flatnonzero(nan)[0])
        v = values[i]
        if v is _MISSING:
            problem = "missing (the key is absent on this line)"
        elif v is None or (isinstance(v, str) and not v.strip()):
            problem = "empty score (no value)"
        else:
            problem = f"not a number: {_short(v)}"
        raise _fail(raw, i, column, problem)
    out = (numbers < lo) | (numbers > hi)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise _fail(
            raw,
            i,
            column,
            f"score {numbers[i]:g} is outside data.external.score_range [{lo:g}, {hi:g}] "
            "(set it to the file's scale, e.g. -S 'data.external.score_range=[0,5]')",
        )
    return numbers


def _triplet_texts(raw: _Raw, roles: dict[str, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, p, n = (_texts(raw, roles[r]) for r in ("anchor", "positive", "negative"))
    for col, same, what in (
        (roles["positive"], a == p, "the anchor"),
        (roles["negative"], a == n, "the anchor"),
        (roles["negative"], p == n, "the positive"),
    ):
        if same.any():
            i = int(np.flatnonzero(same)[0])
            raise _fail(
                raw, i, col, f"same text as {what} ({_short(p[i] if what == 'the positive' else a[i])})"
            )
    return a, p, n


def load_external(ext: ExternalConfig, root: Path) -> pa.Table:
    """Read and check every file of ``ext``; the rows in the pairs contract (see the module docstring)."""
    roles = dict(ext.columns)
    wanted = [roles[r] for r in EXTERNAL_ROLES[ext.kind]]
    first: list[np.ndarray] = []
    second: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    where: list[np.ndarray] = []  # "file row N" of each output row, for the duplicate report
    raw_max = -np.inf
    for file, fmt, name in data_files(ext, root):
        raw = _read(file, fmt, name, wanted)
        _require_columns(raw, roles, ext.kind)
        if len(raw.rows) == 0:
            raise ExternalDataError(raw.name, None, None, "no data rows")
        if ext.kind == "pairs":
            assert ext.score_range is not None  # the config schema requires it for pairs
            s1, s2 = _texts(raw, roles["sentence1"]), _texts(raw, roles["sentence2"])
            score = _scores(raw, roles["score"], ext.score_range)
            raw_max = max(raw_max, float(score.max()))
            lo, hi = ext.score_range
            first.append(s1)
            second.append(s2)
            scores.append((score - lo) / (hi - lo))
            where.append(np.array([f"{raw.name} {raw.unit} {r}" for r in raw.rows], dtype=object))
        else:
            a, p, n = _triplet_texts(raw, roles)
            # Two rows per triplet, positive first: (anchor, positive, 1.0), (anchor, negative, 0.0).
            first.append(np.repeat(a, 2))
            second.append(np.column_stack([p, n]).ravel())
            scores.append(np.tile([1.0, 0.0], len(a)))
            where.append(np.repeat([f"{raw.name} {raw.unit} {r}" for r in raw.rows], 2).astype(object))
    if ext.kind == "pairs" and ext.score_range is not None and ext.score_range[1] > 1 and raw_max <= 1:
        print(
            f"warning: every score in {ext.path} is <= 1 but data.external.score_range is "
            f"{ext.score_range}: for a 0-1 file set -S 'data.external.score_range=[0,1]'",
            file=sys.stderr,
        )
    profile_text, posting_text = np.concatenate(first), np.concatenate(second)
    check_duplicates(ext, profile_text, posting_text, np.concatenate(scores), np.concatenate(where))
    # One id per distinct text over both sides, in order of first appearance.
    ids, _ = pd.factorize(np.concatenate([profile_text, posting_text]), sort=False)
    n = len(profile_text)
    arrays = [
        pa.array(ids[:n], type=pa.int64()),
        pa.array(ids[n:], type=pa.int64()),
        pa.array(profile_text, type=pa.string()),
        pa.array(posting_text, type=pa.string()),
        pa.array(np.concatenate(scores), type=pa.float64()),
    ]
    if ext.kind == "pairs":
        return pa.Table.from_arrays(arrays, schema=EXTERNAL_PAIR_SCHEMA)
    arrays.append(pa.array(np.arange(n, dtype=np.int64) // 2))
    return pa.Table.from_arrays(arrays, schema=TRIPLET_PAIR_SCHEMA)


def _duplicates(frame: pd.DataFrame) -> tuple[pd.Series, pd.Index]:
    """Rows (columns a, b, score) that repeat an earlier row exactly; (a, b) pairs with several scores."""
    repeated = frame.duplicated(["a", "b", "score"], keep="first")
    sizes = frame[~repeated].groupby(["a", "b"], sort=False).size()
    return repeated, sizes.index[sizes.to_numpy() > 1]


def check_duplicates(
    ext: ExternalConfig, first: np.ndarray, second: np.ndarray, scores: np.ndarray, where: np.ndarray
) -> dict[str, int]:
    """Count rows repeated exactly and pairs scored differently in different rows; warn, or raise
    :class:`ExternalDataError` naming the rows when ``ext.duplicates`` is ``error``. Returns the counts."""
    frame = pd.DataFrame({"a": first, "b": second, "score": scores, "where": where})
    repeated, conflicting = _duplicates(frame)
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
        examples.append(f"the pair {_short(a)} / {_short(b)} has different scores (0-1 scale) in {scored}")
    what = (
        f"{counts['duplicate_rows']} duplicate row(s) and {counts['conflicting_pairs']} pair(s) scored "
        f"differently in different rows; e.g. {'; '.join(examples)}"
    )
    if ext.duplicates == "error":
        raise ExternalDataError(ext.path, None, None, f"{what} (data.external.duplicates=error)")
    print(
        f"warning: {ext.path}: {what}. They are kept; -S data.external.duplicates=error stops on them",
        file=sys.stderr,
    )
    return counts


# --- the generate stage's external path ---------------------------------------------------------------


def external_metrics(table: pa.Table, bins: list[float], files: int) -> dict[str, Any]:
    """The counts, score histogram and score mean/std of ``metrics/data.json`` for external data."""
    frame = table.select(["profile_text", "posting_text", "score"]).to_pandas()
    score = frame["score"].to_numpy(dtype=np.float64)
    n = len(frame)
    hist = np.bincount(score_bin(score, bins), minlength=len(bins) - 1)
    edges = [f"{a:g}-{b:g}" for a, b in itertools.pairwise(bins)]
    repeated, conflicting = _duplicates(frame.set_axis(["a", "b", "score"], axis=1))
    counts = {
        "pairs": n,
        "unique_pairs": len(frame.drop_duplicates(["profile_text", "posting_text"])),
        "duplicate_rows": int(repeated.sum()),
        "conflicting_pairs": len(conflicting),
        "profile_texts": int(frame["profile_text"].nunique()),
        "posting_texts": int(frame["posting_text"].nunique()),
        "texts": int(pd.concat([frame["profile_text"], frame["posting_text"]]).nunique()),
        "files": files,
    }
    if TRIPLET_COLUMN in table.column_names:
        counts["triplets"] = n // 2
    return {
        "counts": counts,
        "score_histogram": {
            e: {"count": int(c), "fraction": round(c / n, 6)} for e, c in zip(edges, hist, strict=True)
        },
        "factors": {"score": {"mean": round(float(score.mean()), 6), "std": round(float(score.std()), 6)}},
    }


def generate_external(
    data: DataConfig, root: Path, out: Path, *, stale: Sequence[Path] = ()
) -> dict[str, Any]:
    """Load ``data.external``, write it to ``out`` (parquet, atomically, removing ``stale`` as it replaces
    the old file) and return the data metrics."""
    assert data.external is not None  # the config schema requires it for source external
    table = load_external(data.external, root)
    with atomic_path(out, stale=stale) as tmp, parquet_writer(tmp, table.schema) as writer:
        writer.write_table(table, row_group_size=data.shard_size)
    return external_metrics(table, data.score_bins, len(data_files(data.external, root)))
