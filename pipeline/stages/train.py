"""DVC stage ``train``: fine-tune ``data/base_model/`` on the train split with the configured loss.

* Pair losses (cosine, cosent, angle) fit the cosine of (profile, posting) to the rule score;
  in-batch-negatives losses (mnrl, cached_mnrl) train on the triplet view with no duplicate texts
  in a batch. ``loss.matryoshka_dims`` wraps either kind in MatryoshkaLoss.
* The dev split is scored during training by an EmbeddingSimilarityEvaluator named ``dev``, so
  the logged key is ``eval_dev_spearman_cosine``. DVCLive writes training loss and dev metrics by
  global step to ``dvclive/`` (declared as plots/metrics in dvc.yaml).
* Checkpoints go to ``data/checkpoints/train/`` (outside DVC) every ``train.args.save_steps``, next to a
  fingerprint of the config, data and base model. A rerun after a kill resumes from the last complete
  checkpoint with the same fingerprint; any other checkpoint is discarded and training starts fresh.
* The final model goes to ``data/model/`` and a summary to ``metrics/train.json``, both atomically.

The work is in :mod:`pipeline.training`; this module only wires it.
"""

from __future__ import annotations

import sys

from pipeline.config import Config
from pipeline.runtime import run_stage
from pipeline.training.callbacks import TrainingDiverged
from pipeline.training.trainer import train


def main(cfg: Config) -> None:
    try:
        summary = train(cfg)
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    if not summary:  # a rank other than 0 under torchrun: rank 0 reports
        return
    print(
        "train: dev spearman {dev_spearman_cosine:.4f} after {global_step} steps, "
        "{train_runtime_s:.0f} s ({train_samples_per_second:.1f} samples/s)".format(**summary)
    )


if __name__ == "__main__":
    run_stage(main)
