"""The validate stage: everything about the configuration, including what depends on the base model, is
checked before any other stage runs (and so before `dvc repro` removes any output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.runtime import run_stage
from pipeline.stages import validate
from tests.conftest import PATHS, write_params


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the stamp is written where dvc runs the stage


def _validate(root: Path, *overrides: str) -> None:
    params = write_params(root / "params.yaml", overrides)
    run_stage(validate.main, [str(params)])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=tiny", "train.freeze_layers=5"], "train.freeze_layers=5; allowed: at most 2 for this model"),
        (["train.freeze_layers=13"], "train.freeze_layers=13; allowed: at most 12 for this model"),
        (
            ["model=tiny", "train.freeze_layers=0", "loss.matryoshka_dims=[128,64]"],
            "dimensions <= the model's embedding size 64",
        ),
        (["train.args.learning_rate=0"], "train.args.learning_rate=0"),
        # Passed through to SentenceTransformerTrainingArguments, which checks what the schema does not know.
        (["+train.args.lr_scheduler_typ=cosine"], "unexpected keyword argument 'lr_scheduler_typ'"),
        (["+train.args.lr_scheduler_type=sometimes"], "train.args="),
        (["+train.args.seed=3"], "train.args.seed=3; allowed: a TrainingArguments field the stage does not"),
    ],
)
def test_a_bad_value_stops_before_any_output_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], overrides: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        _validate(tmp_path, *overrides)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / PATHS.validated).exists()


def test_any_training_argument_passes_through(tmp_path: Path) -> None:
    from pipeline.config.compose import compose_config
    from pipeline.training.trainer import training_arguments

    _validate(tmp_path, "+train.args.lr_scheduler_type=cosine")
    cfg = compose_config(["+train.args.lr_scheduler_type=cosine", "train.args.learning_rate=1e-4"])
    args = training_arguments(cfg, tmp_path / "out")
    default = compose_config([]).train.args.max_steps  # the rest of conf/train passes through as it is
    assert args.lr_scheduler_type == "cosine" and args.learning_rate == 1e-4 and args.max_steps == default


def test_a_valid_config_writes_the_same_stamp_whatever_its_values(tmp_path: Path) -> None:
    """The stamp is every stage's dependency: its bytes must not change with a valid value."""
    _validate(tmp_path)
    first = (tmp_path / PATHS.validated).read_bytes()
    _validate(tmp_path, "model=tiny", "train.freeze_layers=1", "train.args.learning_rate=0.01")
    assert (tmp_path / PATHS.validated).read_bytes() == first
