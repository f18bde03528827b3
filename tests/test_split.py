"""Stage split: no text in two splits, all rows kept, fractions, triplets per split, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.config import Config
from pipeline.config.compose import compose_config
from pipeline.config.schema import SplitConfig
from pipeline.pairs.split import assign_splits
from pipeline.stages import generate, split
from pipeline.synth.catalog import PROJECT_ROOT, load_catalog
from pipeline.synth.rules import POSTING_COLUMNS, PROFILE_COLUMNS, score_frame
from pipeline.synth.schema import BLOCK_SCHEMA, PAIR_SCHEMA, TRIPLET_SCHEMA
from tests.conftest import PATHS

SMALL = ["data.num_pairs=4000", "data.num_profiles=600", "data.num_postings=600", "data.num_groups=30"]
CATALOG = load_catalog(PROJECT_ROOT / "catalog" / "ko.yaml")


def build(root: Path, cfg: Config) -> Path:
    generate.main(cfg, root)
    split.main(cfg, root)
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("split"), compose_config(SMALL))


def read(root: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(root / PATHS.split_dir / f"{name}.parquet")


def test_no_text_appears_in_two_splits(root: Path) -> None:
    frames = {name: read(root, name) for name in split.SPLITS}
    for col in ("profile_text", "posting_text"):
        seen: dict[str, str] = {}
        for name, frame in frames.items():
            for text in set(frame[col]):
                assert seen.setdefault(text, name) == name, f"{col} in {seen[text]} and {name}: {text}"
    for name, frame in frames.items():  # triplets stay inside their split
        t = read(root, f"{name}_triplets")
        assert set(t["anchor"]) <= set(frame["profile_text"])
        assert set(t["positive"]) | set(t["negative"]) <= set(frame["posting_text"])


def test_every_row_lands_in_exactly_one_split(root: Path) -> None:
    pairs = pd.read_parquet(root / PATHS.generated)
    parts = pd.concat([read(root, name) for name in split.SPLITS], ignore_index=True)
    key = ["profile_id", "posting_id"]
    pd.testing.assert_frame_equal(
        parts.sort_values(key, kind="stable").reset_index(drop=True),
        pairs.sort_values(key, kind="stable").reset_index(drop=True),
    )
    for name in split.SPLITS:
        assert pq.read_schema(root / PATHS.split_dir / f"{name}.parquet").remove_metadata() == PAIR_SCHEMA
        schema = pq.read_schema(root / PATHS.split_dir / f"{name}_triplets.parquet").remove_metadata()
        assert schema == TRIPLET_SCHEMA


def test_fractions_and_metrics(root: Path) -> None:
    metrics = json.loads((root / PATHS.split_metrics).read_text())
    for name, target in zip(split.SPLITS, (0.8, 0.1, 0.1), strict=True):
        m = metrics[name]
        frame = read(root, name)
        assert m["rows"] == len(frame) and m["fraction"] == pytest.approx(target, abs=0.04)
        assert m["profiles"] == frame["profile_text"].nunique()
        assert m["postings"] == frame["posting_text"].nunique()
        assert m["triplets"] == len(read(root, f"{name}_triplets")) > 0
    assert sum(metrics[n]["components"] for n in split.SPLITS) == metrics["components"]


def test_triplets_respect_the_thresholds(root: Path) -> None:
    cfg = compose_config(SMALL).data
    frame = read(root, "train")
    t = read(root, "train_triplets")
    assert not (
        (t["anchor"] == t["positive"]) | (t["anchor"] == t["negative"]) | (t["positive"] == t["negative"])
    ).any()
    assert not t.duplicated().any()
    profiles = frame.drop_duplicates("profile_text").set_index("profile_text")[list(PROFILE_COLUMNS)]
    postings = frame.drop_duplicates("posting_text").set_index("posting_text")[list(POSTING_COLUMNS)]

    def scores(col: str) -> np.ndarray:
        p = profiles.loc[t["anchor"]].reset_index(drop=True)
        j = postings.loc[t[col]].reset_index(drop=True)
        return score_frame(p, j, cfg.rules, CATALOG)["score"].to_numpy()

    assert (scores("positive") >= cfg.triplets.positive_min_score).all()
    assert (scores("negative") <= cfg.triplets.negative_max_score).all()
    # every positive is a stored pair; many negatives are the anchor's own pairs too
    stored = set(zip(frame["profile_text"], frame["posting_text"], strict=True))
    assert all((a, p) in stored for a, p in zip(t["anchor"], t["positive"], strict=True))
    assert np.mean([(a, n) in stored for a, n in zip(t["anchor"], t["negative"], strict=True)]) > 0.3


def test_train_blocks_hold_every_component_pair_scored_by_the_rules(root: Path) -> None:
    from pipeline.synth.blocks import block_layout

    cfg = compose_config(SMALL).data
    train = read(root, "train")
    blocks = read(root, "train_blocks")
    assert pq.read_schema(root / PATHS.split_dir / "train_blocks.parquet").remove_metadata() == BLOCK_SCHEMA
    assert json.loads((root / PATHS.split_metrics).read_text())["train"]["block_pairs"] == len(blocks)
    layout = block_layout(blocks["block"].to_numpy(), blocks["profile_text"].to_numpy())
    assert sum(p * q for _, p, q in layout) == len(blocks) > len(train)
    assert not blocks.duplicated(["profile_text", "posting_text"]).any()
    # Only train texts, and every sampled train pair is in a block with the score it was sampled with.
    assert set(blocks.profile_text) == set(train.profile_text)
    assert set(blocks.posting_text) == set(train.posting_text)
    merged = train.merge(blocks, on=["profile_text", "posting_text"], suffixes=("", "_block"))
    assert len(merged) == len(train), "every sampled pair (repeats included) has its block row"
    np.testing.assert_array_equal(merged["score"], merged["score_block"])
    # Pairs that were never sampled are scored by the same rules from the texts' attributes.
    profiles = train.drop_duplicates("profile_text").set_index("profile_text")[list(PROFILE_COLUMNS)]
    postings = train.drop_duplicates("posting_text").set_index("posting_text")[list(POSTING_COLUMNS)]
    sample = blocks.sample(n=300, random_state=0)
    p = profiles.loc[sample.profile_text].reset_index(drop=True)
    j = postings.loc[sample.posting_text].reset_index(drop=True)
    np.testing.assert_allclose(score_frame(p, j, cfg.rules, CATALOG)["score"], sample["score"])
    # A block is one component: its texts appear in no other block.
    assert (blocks.groupby("profile_text").block.nunique() == 1).all()
    assert (blocks.groupby("posting_text").block.nunique() == 1).all()


def test_dev_and_test_cover_every_stratum_with_its_smallest_components() -> None:
    """Six strata of components sized 100, 10, 10, 10: a 10% split holds 78 rows, so only the small ones
    let it cover all six (the largest-first choice covered none)."""
    sizes = [100, 10, 10, 10] * 6
    component = np.repeat(np.arange(len(sizes)), sizes)
    stratum = np.repeat(np.arange(len(sizes)) // 4, sizes)
    split_of = assign_splits(component, SplitConfig(train=0.8, dev=0.1, test=0.1), 3, stratum)
    for k in (1, 2):
        assert set(stratum[split_of == k]) == set(range(6))


@pytest.mark.parametrize("groups", [1, 2, 3])
def test_a_block_joins_block_groups_components(root: Path, groups: int) -> None:
    """data.split.block_groups: every pair of a block's components is in it, scored, and nothing else."""
    from pipeline.pairs.components import text_components
    from pipeline.synth.blocks import block_layout, build_blocks

    train = read(root, "train")
    component = dict(
        zip(train.profile_text, text_components(train.profile_text, train.posting_text), strict=True)
    )
    n = len(set(component.values()))
    blocks = build_blocks(
        train, lambda p, j: score_frame(p, j, compose_config(SMALL).data.rules, CATALOG), groups
    )
    blocks = blocks.to_pandas()
    block_layout(blocks["block"].to_numpy(), blocks["profile_text"].to_numpy())  # full matrices, or raises
    per_block = blocks.assign(c=blocks.profile_text.map(component)).groupby("block").c.nunique()
    assert len(per_block) == -(-n // groups) and per_block.max() == groups and per_block.min() >= groups - 1
    assert len(blocks) == sum(
        blocks.groupby("block").profile_text.nunique() * blocks.groupby("block").posting_text.nunique()
    )


def test_a_block_of_two_groups_mixes_stack_families(root: Path) -> None:
    """build_blocks joins component c with c + ceil(n / 2), relying on the generator's order (groups cycle
    through the families): the two halves of a block are of different themes."""
    from pipeline.synth.blocks import build_blocks

    train = read(root, "train")
    theme = dict(zip(train.profile_text, train.theme, strict=True))
    blocks = build_blocks(train, lambda p, j: score_frame(p, j, compose_config(SMALL).data.rules, CATALOG), 2)
    themes = blocks.to_pandas().assign(t=lambda b: b.profile_text.map(theme)).groupby("block").t.nunique()
    assert (themes >= 2).mean() > 0.9


def test_same_input_same_bytes(root: Path, tmp_path: Path) -> None:
    again = build(tmp_path, compose_config(SMALL))
    for path in sorted((root / PATHS.split_dir).iterdir()):
        assert (again / PATHS.split_dir / path.name).read_bytes() == path.read_bytes(), path.name
    assert (again / PATHS.split_metrics).read_text() == (root / PATHS.split_metrics).read_text()


def test_default_config_sizes_suit_training_and_evaluation(tmp_path: Path) -> None:
    build(tmp_path, compose_config())
    m = json.loads((tmp_path / PATHS.split_metrics).read_text())
    assert m["train"]["rows"] >= 5000 and m["train"]["triplets"] >= 2000
    assert m["dev"]["rows"] >= 500
    assert m["test"]["profiles"] >= 300 and m["test"]["postings"] >= 300


def _fractions(train: float, dev: float, test: float) -> SplitConfig:
    return SplitConfig(train=train, dev=dev, test=test)


@pytest.mark.parametrize(
    ("sizes", "fractions", "rows"),
    [
        ([10] * 10, (0.8, 0.1, 0.1), [80, 10, 10]),
        ([10] * 10, (0.6, 0.2, 0.2), [60, 20, 20]),
        ([50, 30, 10, 5, 5], (0.5, 0.3, 0.2), [50, 30, 20]),
        ([40, 1, 1, 1, 1, 1, 1], (0.8, 0.1, 0.1), [40, 3, 3]),
    ],
)
def test_components_are_assigned_whole_towards_the_fractions(
    sizes: list[int], fractions: tuple[float, float, float], rows: list[int]
) -> None:
    component = np.repeat(np.arange(len(sizes)), sizes)
    got = assign_splits(component, _fractions(*fractions), seed=0)
    assert np.bincount(got, minlength=3).tolist() == rows
    for c in range(len(sizes)):
        assert len(set(got[component == c])) == 1


def test_one_giant_component_cannot_be_split() -> None:
    component = np.array([0] * 95 + [1] * 5)
    with pytest.raises(ValueError, match=r"cannot fill split\(s\) test: 2 connected component\(s\).*95%"):
        assign_splits(component, _fractions(0.8, 0.1, 0.1), seed=0)


def test_missing_input_says_to_run_generate(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run the generate stage first"):
        split.main(compose_config(SMALL), tmp_path)


def test_groups_with_held_out_forms_stay_out_of_train(root: Path) -> None:
    train, dev, test = (read(root, name) for name in ("train", "dev", "test"))
    assert not train["unseen_forms"].any() and not train[["p_unseen", "j_unseen"]].any().any()
    assert dev["unseen_forms"].any() and test["unseen_forms"].any()
    assert (~dev["unseen_forms"]).any() or (~test["unseen_forms"]).any()


def test_every_stratum_reaches_dev_and_test() -> None:
    from pipeline.pairs.split import assign_splits

    # 12 strata x 10 components of 10 rows, the last component of each stratum held out
    component = np.repeat(np.arange(120), 10)
    stratum = component // 10
    held = component % 10 == 9
    split = assign_splits(component, compose_config().data.split, 42, stratum, held)
    assert set(split[held]) == {1, 2}
    for s in range(12):
        assert {1, 2} <= set(split[stratum == s]), s
    assert np.bincount(split, minlength=3)[0] / len(split) == pytest.approx(0.8, abs=0.05)
