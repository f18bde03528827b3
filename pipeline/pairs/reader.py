"""The one reader of a user's table files: scored pairs or triplets (:mod:`pipeline.pairs.external`),
extra STS files (:mod:`pipeline.evaluation.sts`) and the postings to rank (:mod:`pipeline.serving.matcher`).

* Formats (:data:`SUFFIXES`): csv, tsv, jsonl (one JSON object per line), parquet, and txt (one text per
  line, as the column ``text``). The text formats are UTF-8 (a byte-order mark is dropped); tsv is read
  with quoting disabled (KorSTS sentences hold unbalanced quotes), csv with standard quoting, every cell as
  text ("NA" or "null" are sentences here, not missing values). Header names are stripped of surrounding
  whitespace; blank jsonl and txt lines are skipped.
* Every problem is a :class:`TableError` (a :class:`ConfigError` of the setting that named the file, so a
  stage exits 2 with one line) naming the file, the row (1-based data row, the header not counted; the
  line for jsonl and txt) and the column. :meth:`Table.texts` and :meth:`Table.scores` check cells alike
  for every caller.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.config.errors import ConfigError

__all__ = ["MISSING", "SUFFIXES", "Table", "TableError", "read_table", "short", "warn_if_unit_scores"]

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet", ".txt": "txt"}
MISSING = object()  # a key absent from a jsonl object


class TableError(ConfigError):
    """A problem in a table file: ``{file}: {unit} {row}, column {column!r}: {problem}`` on one line; ``key``
    is the setting that named the file."""

    def __init__(
        self, key: str, file: str, row: int | None, column: str | None, problem: str, unit: str = "row"
    ) -> None:
        self.file, self.row, self.column, self.problem, self.unit = file, row, column, problem, unit
        self.key, self.value, self.allowed = key, file, problem
        where = [f"{unit} {row}" if row is not None else "", f"column {column!r}" if column else ""]
        ValueError.__init__(self, ": ".join(filter(None, [file, ", ".join(filter(None, where)), problem])))


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class Table:
    """One file's cells (object arrays, :data:`MISSING` for absent jsonl keys) and their row numbers."""

    key: str  # the setting that named the file, for errors
    name: str  # the file in messages
    columns: dict[str, np.ndarray]
    rows: np.ndarray  # 1-based data row (csv, tsv, parquet) or line (jsonl, txt) of each record
    unit: str  # "row" or "line"
    available: list[str]  # column names found, for error messages

    def fail(self, i: int, column: str | None, problem: str) -> TableError:
        """The error for the ``i``-th record."""
        return TableError(self.key, self.name, int(self.rows[i]), column, problem, self.unit)

    def require(self, wanted: Sequence[str], fix: Callable[[str], str]) -> None:
        """Raise for the first of ``wanted`` the file lacks, listing its columns and ``fix(column)``."""
        for column in wanted:
            if column not in self.columns:
                found = ", ".join(map(repr, self.available)) or "none"
                where = "the header" if self.unit == "row" else "every line"
                problem = f"missing from {where} (columns: {found}); {fix(column)}"
                raise TableError(self.key, self.name, None, column, problem)
        if len(self.rows) == 0:
            raise TableError(self.key, self.name, None, None, "no data rows")

    def texts(self, column: str) -> np.ndarray:
        """The column's texts, stripped; an absent, non-text or blank cell is an error naming its row."""
        values = self.columns[column]
        bad = np.fromiter(
            (not isinstance(v, str) or not v.strip() for v in values), dtype=bool, count=len(values)
        )
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            v = values[i]
            if v is MISSING:
                problem = "missing (the key is absent on this line)"
            elif v is None or (isinstance(v, float) and np.isnan(v)):
                problem = "empty text (no value)"
            elif isinstance(v, str):
                problem = f"empty text ({short(v)})"
            else:
                problem = f"expected a text, got {type(v).__name__} {short(v)}"
            raise self.fail(i, column, problem)
        return np.array([v.strip() for v in values], dtype=object)

    def scores(self, column: str, score_range: Sequence[float], setting: str) -> np.ndarray:
        """The column's numbers, each within ``score_range`` (the value of ``setting``); a missing,
        non-numeric or out-of-range score is an error naming its row."""
        values = self.columns[column]
        cleaned = pd.Series([_numeric_cell(v) for v in values], dtype=object)
        numbers = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64)
        lo, hi = score_range
        nan = np.isnan(numbers)
        if nan.any():
            i = int(np.flatnonzero(nan)[0])
            v = values[i]
            if v is MISSING:
                problem = "missing (the key is absent on this line)"
            elif v is None or (isinstance(v, str) and not v.strip()):
                problem = "empty score (no value)"
            else:
                problem = f"not a number: {short(v)}"
            raise self.fail(i, column, problem)
        out = (numbers < lo) | (numbers > hi)
        if out.any():
            i = int(np.flatnonzero(out)[0])
            raise self.fail(
                i,
                column,
                f"score {numbers[i]:g} is outside {setting} [{lo:g}, {hi:g}] "
                f"(set it to the file's scale, e.g. -S '{setting}=[0,5]')",
            )
        return numbers


def _numeric_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if value is MISSING or isinstance(value, bool | list | dict):  # to_numeric would take True for 1
        return None
    return value


def warn_if_unit_scores(what: str, raw_max: float, score_range: Sequence[float], setting: str) -> None:
    """Warn when a range above 1 (e.g. [0, 5]) meets scores that all lie in [0, 1]: likely a 0-1 file.

    The range stays explicit rather than guessed from the scores: a subset of a 0-5 file can look like 0-1."""
    if score_range[1] > 1 and raw_max <= 1:
        print(
            f"warning: every score in {what} is <= 1 but {setting} is {list(score_range)}: for a 0-1 file "
            f"set -S '{setting}=[0,1]'",
            file=sys.stderr,
        )


def read_table(
    path: Path | str, fmt: str, *, key: str, name: str | None = None, wanted: Sequence[str] | None = None
) -> Table:
    """The ``wanted`` columns (all if None; absent ones left out) of ``path`` read as ``fmt`` (one of
    :data:`SUFFIXES`' values); ``name`` is the file in messages (default: the path)."""
    path, name = Path(path), str(path) if name is None else name
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            text = _decode(path.read_bytes())
            if fmt in ("jsonl", "txt"):
                return _read_lines(text, fmt, key, name, wanted)
            frame = pd.read_csv(
                io.StringIO(text),
                sep="\t" if fmt == "tsv" else ",",
                quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL,
                dtype=str,
                keep_default_na=False,
            )
    except TableError:
        raise
    except (ValueError, OSError, pa.ArrowException) as err:  # ParserError included
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise TableError(key, name, None, None, f"cannot be read as {fmt} ({reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]  # "score " from a spreadsheet is "score"
    available = list(frame.columns)
    columns = {c: frame[c].to_numpy(dtype=object) for c in (wanted or available) if c in frame.columns}
    return Table(key, name, columns, np.arange(1, len(frame) + 1), "row", available)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        bad = data[err.start : err.start + 4]
        raise ValueError(
            f"not UTF-8: byte {err.start}, line {line}: {bad!r}; "
            "save it as UTF-8, e.g. iconv -f cp949 -t utf-8"
        ) from None


def _read_lines(text: str, fmt: str, key: str, name: str, wanted: Sequence[str] | None) -> Table:
    records: list[Any] = []
    lines: list[int] = []
    for n, line in enumerate(io.StringIO(text, newline=None), 1):
        if not line.strip():
            continue
        if fmt == "txt":
            records.append(line.rstrip("\n"))
            lines.append(n)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise TableError(key, name, n, None, f"not valid JSON ({err.msg})", "line") from None
        if not isinstance(obj, dict):
            raise TableError(key, name, n, None, f"not a JSON object ({type(obj).__name__})", "line")
        records.append(obj)
        lines.append(n)
    rows = np.asarray(lines, dtype=np.int64)
    if fmt == "txt":
        return Table(key, name, {"text": np.array(records, dtype=object)}, rows, "line", ["text"])
    available = list(dict.fromkeys(k for r in records[:100] for k in r))
    columns = {}
    for c in wanted or available:
        values = np.empty(len(records), dtype=object)
        values[:] = [r.get(c, MISSING) for r in records]
        if records and all(v is MISSING for v in values):
            continue  # absent everywhere: reported like a missing csv column
        columns[c] = values
    return Table(key, name, columns, rows, "line", available)
