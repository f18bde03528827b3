"""Arrow schemas of the data files and the one way they are written (deterministic parquet)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_LIST = pa.list_(pa.string())

PAIR_SCHEMA = pa.schema(
    [
        ("profile_id", pa.int64()),
        ("posting_id", pa.int64()),
        ("group", pa.int32()),
        ("profile_text", pa.string()),
        ("posting_text", pa.string()),
        ("score", pa.float64()),
        ("f_region", pa.float64()),
        ("f_stack", pa.float64()),
        ("f_experience", pa.float64()),
        ("f_work_mode", pa.float64()),
        ("f_goals", pa.float64()),
        ("capped", pa.bool_()),
        ("region_match", pa.string()),  # same | remote | other
        ("stack_match", pa.string()),  # exact | related | unrelated
        ("experience_match", pa.string()),  # meets | slightly_short | far_short
        ("p_region", pa.string()),  # official name or the remote marker (원격)
        ("p_stacks", _LIST),
        ("p_years", pa.int32()),  # 0 = 신입
        ("p_work_mode", pa.string()),  # online | offline | mixed
        ("p_background", pa.string()),  # cs | non_cs
        ("p_goals", _LIST),
        ("j_region", pa.string()),
        ("j_stacks", _LIST),
        ("j_min_years", pa.int32()),
        ("j_work_mode", pa.string()),
        ("j_goals", _LIST),
        ("j_requires_cs", pa.bool_()),
    ]
)

# pipeline.synth.blocks: every same-component combination of a split's texts with its rule score.
BLOCK_SCHEMA = pa.schema(
    [
        ("block", pa.int32()),
        ("profile_text", pa.string()),
        ("posting_text", pa.string()),
        *(field for field in PAIR_SCHEMA if field.name.startswith("f_") or field.name in ("score", "capped")),
    ]
)

TRIPLET_SCHEMA = pa.schema([("anchor", pa.string()), ("positive", pa.string()), ("negative", pa.string())])

# Fixed writer options: same rows => same bytes (no timestamps; pyarrow's created_by is its version).
# Texts repeat across rows (one per entity), so a large dictionary page keeps them dictionary-encoded.
_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": True,
    "dictionary_pagesize_limit": 64 << 20,
    "write_statistics": True,
    "version": "2.6",
}


def parquet_writer(path: Path | str, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(str(path), schema, **_OPTIONS)


def write_parquet(path: Path | str, table: pa.Table, row_group_size: int) -> None:
    with parquet_writer(path, table.schema) as writer:
        writer.write_table(table, row_group_size=max(1, row_group_size))
