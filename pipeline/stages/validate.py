"""DVC stage ``validate``, first in the DAG: the whole configuration, and the settings that depend on the base
model, checked before any stage's outputs are removed.

``dvc repro`` deletes a stage's outputs before it runs the stage, so a value rejected inside ``train`` used to
cost ``data/model`` and ``metrics/train.json``. Every stage depends on this stage's stamp, so DVC runs it
first; a bad value stops here (one line, exit 2) and every output stays as it was. The stamp's content never
changes, so a new valid value reruns only the stages that declare it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pipeline.config import Config
from pipeline.io import write_text
from pipeline.models.resolve import ModelNotFoundError, check_fits_model, model_shape
from pipeline.runtime import run_stage
from pipeline.training.trainer import training_arguments

STAMP = "valid\n"


def main(cfg: Config) -> None:
    # run_stage has validated the whole tree already; what is left depends on the base model's shape.
    try:
        shape = model_shape(cfg.model)
    except ModelNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    check_fits_model(cfg.train.freeze_layers, cfg.loss.matryoshka_dims, shape)
    with tempfile.TemporaryDirectory() as scratch:  # the Trainer's own checks of train.args
        training_arguments(cfg, Path(scratch))
    write_text(cfg.paths.validated, STAMP)
    print(f"validate: configuration valid ({cfg.model.name}: {shape[0]} layers, embedding size {shape[1]})")


if __name__ == "__main__":
    run_stage(main)
