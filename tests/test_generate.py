"""Stage generate end to end on small data: the pairs contract, determinism, shard invariance, metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.config import Config, ConfigError
from pipeline.config.compose import compose_config, compose_dict
from pipeline.runtime import run_stage
from pipeline.stages import generate
from pipeline.synth import generator
from pipeline.synth.catalog import BACKGROUNDS, POSTING_MODES, PROFILE_MODES, PROJECT_ROOT, load_catalog
from pipeline.synth.rules import (
    EXPERIENCE_MATCH,
    FACTORS,
    POSTING_COLUMNS,
    PROFILE_COLUMNS,
    REGION_MATCH,
    SCORE_COLUMNS,
    STACK_MATCH,
    score_frame,
)
from pipeline.synth.sampling import group_starts
from pipeline.synth.schema import PAIR_SCHEMA
from tests.conftest import PATHS

SMALL = ["data.num_pairs=3000", "data.num_profiles=400", "data.num_postings=400", "data.num_groups=20"]
CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")


def small(*extra: str) -> Config:
    return compose_config([*SMALL, *extra])


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gen")
    generate.main(small(), root)
    return root


@pytest.fixture(scope="module")
def pairs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / PATHS.generated)


def test_writes_the_pairs_contract(out: Path, pairs: pd.DataFrame) -> None:
    assert pq.read_schema(out / PATHS.generated).remove_metadata() == PAIR_SCHEMA
    assert len(pairs) == 3000
    assert pairs["score"].between(0, 1).all()
    for col in FACTORS:
        assert pairs[col].between(0, 1).all()
    assert set(pairs["region_match"]) == set(REGION_MATCH)
    assert set(pairs["stack_match"]) == set(STACK_MATCH)
    assert set(pairs["experience_match"]) == set(EXPERIENCE_MATCH)
    places = {"", *CATALOG.location_names}
    assert set(pairs["p_region"]) <= places and set(pairs["j_region"]) <= places
    assert {"", "서울", "경기 남부"} <= set(pairs["p_region"])
    assert (pairs.loc[pairs["j_region"] == "", "j_work_mode"] == "online").all()
    stacks, goals = set(CATALOG.stack_names), set(CATALOG.goal_names)
    for col in ("p_stacks", "p_not_stacks", "j_stacks", "j_preferred", "p_goals"):
        assert set(np.concatenate(pairs[col].to_numpy())) <= (goals if "goals" in col else stacks)
    assert set(pairs["j_goal"]) <= goals
    assert all(not set(a) & set(b) for a, b in zip(pairs["p_stacks"], pairs["p_not_stacks"], strict=True))
    assert all(not set(a) & set(b) for a, b in zip(pairs["j_stacks"], pairs["j_preferred"], strict=True))
    assert set(pairs["p_background"]) == set(BACKGROUNDS)
    assert set(pairs["p_work_mode"]) == set(PROFILE_MODES)
    assert set(pairs["j_work_mode"]) == set(POSTING_MODES)
    assert pairs["p_years"].min() == 0 and pairs["j_min_years"].min() == 0
    bounded = pairs["j_max_years"] >= 0
    assert bounded.any() and (pairs.loc[bounded, "j_max_years"] >= pairs.loc[bounded, "j_min_years"]).all()
    # held-out forms: only in the unseen groups, and there in most texts
    assert not pairs.loc[~pairs["unseen_forms"], ["p_unseen", "j_unseen"]].any().any()
    assert pairs["j_requires_cs"].any() and pairs["capped"].any()


def test_scores_are_the_rules(pairs: pd.DataFrame) -> None:
    again = score_frame(
        pairs[list(PROFILE_COLUMNS)], pairs[list(POSTING_COLUMNS)], small().data.rules, CATALOG
    )
    for col in SCORE_COLUMNS:
        assert (again[col].astype(pairs[col].dtype) == pairs[col]).all(), col


def test_pairs_join_a_profile_and_a_posting_of_one_group(pairs: pd.DataFrame) -> None:
    cfg = small().data
    p_group = (
        np.searchsorted(group_starts(cfg.num_profiles, cfg.num_groups), pairs["profile_id"], side="right") - 1
    )
    j_group = (
        np.searchsorted(group_starts(cfg.num_postings, cfg.num_groups), pairs["posting_id"], side="right") - 1
    )
    assert (p_group == pairs["group"]).all() and (j_group == pairs["group"]).all()
    # one text per entity
    assert (pairs.groupby("profile_id")["profile_text"].nunique() == 1).all()
    assert (pairs.groupby("posting_id")["posting_text"].nunique() == 1).all()
    assert not set(pairs["profile_text"]) & set(pairs["posting_text"])


def test_score_bins_are_roughly_uniform(pairs: pd.DataFrame) -> None:
    shares = np.histogram(pairs["score"], bins=[0, 0.2, 0.4, 0.6, 0.8, 1.0 + 1e-9])[0] / len(pairs)
    assert np.all((shares > 0.15) & (shares < 0.25)), shares


def test_near_misses_are_present(out: Path) -> None:
    metrics = json.loads((out / PATHS.data_metrics).read_text())
    assert metrics["near_miss_fraction"] == pytest.approx(0.3, abs=0.05)
    assert all(v > 0.005 for v in metrics["near_miss_kinds"].values()), metrics["near_miss_kinds"]


def test_metrics(out: Path, pairs: pd.DataFrame) -> None:
    m = json.loads((out / PATHS.data_metrics).read_text())
    c = m["counts"]
    assert c["pairs"] == 3000 and c["unique_pairs"] == len(
        pairs.drop_duplicates(["profile_id", "posting_id"])
    )
    assert c["profiles"] == pairs["profile_id"].nunique() and c["postings"] == pairs["posting_id"].nunique()
    assert c["texts"] == pairs["profile_text"].nunique() + pairs["posting_text"].nunique()
    assert list(m["score_histogram"]) == ["0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1"]
    assert sum(b["count"] for b in m["score_histogram"].values()) == 3000
    assert m["factors"]["score"]["mean"] == pytest.approx(pairs["score"].mean(), abs=1e-6)
    assert m["factors"]["f_goals"]["std"] == pytest.approx(pairs["f_goals"].std(ddof=0), abs=1e-6)
    assert m["capped_fraction"] == pytest.approx(pairs["capped"].mean(), abs=1e-6)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, out: Path) -> None:
    generate.main(small(), tmp_path / "a")
    generate.main(small("data.seed=43"), tmp_path / "b")
    first = (out / PATHS.generated).read_bytes()
    assert (tmp_path / "a" / PATHS.generated).read_bytes() == first
    assert (tmp_path / "b" / PATHS.generated).read_bytes() != first
    assert (tmp_path / "a" / PATHS.data_metrics).read_text() == (out / PATHS.data_metrics).read_text()


def test_shard_size_changes_row_groups_not_rows(tmp_path: Path) -> None:
    tables = {}
    for shard in (97, 1000, 100000):
        cfg = small(f"data.shard_size={shard}").data
        path = tmp_path / f"{shard}.parquet"
        generate.generate_pairs(cfg, 42, CATALOG, path, block_rows=256)  # 12 blocks
        tables[shard] = pq.read_table(path)
        assert pq.ParquetFile(path).metadata.num_row_groups == -(-3000 // shard)
    assert tables[97].equals(tables[1000]) and tables[1000].equals(tables[100000])


def test_postings_in_a_second_process_give_the_same_bytes(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator, "PARALLEL_ENTITIES", 0)  # spawn the second process even for 800
    generate.main(small(), tmp_path)
    assert (tmp_path / PATHS.generated).read_bytes() == (out / PATHS.generated).read_bytes()


def test_a_failure_on_the_writer_thread_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = generator.block_table

    def failing(*args: object) -> pa.Table:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(generator, "block_table", failing)
    path = tmp_path / "pairs.parquet"
    with pytest.raises(OSError, match="disk full"):
        generate.generate_pairs(small().data, 42, CATALOG, path, block_rows=256)
    assert list(tmp_path.iterdir()) == []


def test_loads_with_datasets(out: Path, tmp_path: Path) -> None:
    ds = datasets.load_dataset(
        "parquet", data_files=str(out / PATHS.generated), split="train", cache_dir=str(tmp_path)
    )
    assert ds.num_rows == 3000 and ds.column_names == PAIR_SCHEMA.names
    assert isinstance(ds[0]["p_stacks"], list) and isinstance(ds[0]["profile_text"], str)


def test_runs_as_a_module_from_params_yaml(tmp_path: Path) -> None:
    """`python -m pipeline.stages.generate params.yaml` in a fresh working directory (what dvc repro runs)."""
    raw = compose_dict(SMALL)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pipeline.stages.generate"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert pq.read_metadata(tmp_path / PATHS.generated).num_rows == 3000
    assert (tmp_path / PATHS.data_metrics).is_file()


def _params(tmp_path: Path, **data: object) -> Path:
    raw = compose_dict(SMALL)
    raw["data"].update(data)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_missing_catalog_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = _params(tmp_path, catalog=str(tmp_path / "missing.yaml"))
    with pytest.raises(SystemExit) as info:
        run_stage(lambda cfg: generate.main(cfg, tmp_path), [str(params)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "data.catalog" in err and "missing.yaml" in err
    assert not (tmp_path / PATHS.generated).exists()


def test_malformed_catalog_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    raw = yaml.safe_load((PROJECT_ROOT / "catalog" / "ko.yaml").read_text(encoding="utf-8"))
    raw["stack_families"][0]["stacks"][0]["aliases"] = "장고"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: stack_families\.0\.stacks\.0\.aliases"):
        generate.main(small(f"data.catalog={bad}"), tmp_path)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("data.max_goals=8", "data.max_goals"),
        ("data.max_stacks_per_profile=102", "data.max_stacks_per_profile"),
    ],
)
def test_settings_beyond_the_catalog(tmp_path: Path, override: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        generate.main(small(override), tmp_path)
    assert info.value.key == key and "catalog/ko.yaml" in info.value.allowed


def test_output_replaces_atomically(tmp_path: Path) -> None:
    generate.main(small("data.num_pairs=100"), tmp_path)
    generate.main(small("data.num_pairs=200"), tmp_path)
    assert pq.read_metadata(tmp_path / PATHS.generated).num_rows == 200
    assert sorted(p.name for p in (tmp_path / "data" / "generated").iterdir()) == ["pairs.parquet"]


def test_texts_are_stored_once_per_row_as_plain_strings(out: Path) -> None:
    schema = pq.read_schema(out / PATHS.generated)
    assert schema.field("profile_text").type == pa.string()
    meta = pq.ParquetFile(out / PATHS.generated).metadata.row_group(0)
    text = next(
        meta.column(i) for i in range(meta.num_columns) if meta.column(i).path_in_schema == "profile_text"
    )
    assert "RLE_DICTIONARY" in text.encodings  # repeated texts are dictionary-encoded in the file
