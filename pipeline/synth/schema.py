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
        ("theme", pa.string()),  # the group's home stack family: the split stratifies by it
        # The group is written with held-out surface forms: the split keeps it out of train.
        ("unseen_forms", pa.bool_()),
        ("profile_text", pa.string()),
        ("posting_text", pa.string()),
        ("score", pa.float64()),
        ("f_region", pa.float64()),
        ("f_work_mode", pa.float64()),
        ("f_stack", pa.float64()),
        ("f_preferred", pa.float64()),
        ("f_experience", pa.float64()),
        ("f_role", pa.float64()),
        ("f_goals", pa.float64()),
        ("capped", pa.bool_()),
        ("region_match", pa.string()),  # same | near | far | unknown | online
        ("stack_match", pa.string()),  # full | partial | related | unrelated
        ("experience_match", pa.string()),  # meets | slightly_short | far_short | over
        ("p_region", pa.string()),  # catalog location, "" = not stated
        ("p_stacks", _LIST),
        ("p_not_stacks", _LIST),  # stacks the text says the person does not use
        ("p_years", pa.int32()),  # 0 = 신입
        ("p_role", pa.string()),
        ("p_work_mode", pa.string()),  # remote | any | offline
        ("p_background", pa.string()),  # cs | non_cs | unknown
        ("p_goals", _LIST),  # [] = not stated
        ("p_register", pa.string()),  # how the text is written (intro, board, chat, ...)
        ("p_unseen", pa.bool_()),  # the text uses a held-out form
        ("j_region", pa.string()),  # "" = online, no place
        ("j_stacks", _LIST),  # required
        ("j_preferred", _LIST),  # 우대
        ("j_min_years", pa.int32()),
        ("j_max_years", pa.int32()),  # -1 = no upper bound
        ("j_role", pa.string()),
        ("j_work_mode", pa.string()),  # online | offline | hybrid
        ("j_goal", pa.string()),
        ("j_requires_cs", pa.bool_()),
        ("j_register", pa.string()),
        ("j_unseen", pa.bool_()),
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
