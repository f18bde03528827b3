"""DVC stage ``export``: the fine-tuned model as a shippable folder, with ONNX, int8 ONNX and a model card.

Reads ``data/model`` (train stage), ``data/split`` and the metrics of the data, split and evaluate stages.
Writes:

* ``data/export/model/``: a sentence-transformers folder (loads with ``SentenceTransformer(path)``), its
  ``onnx/model.onnx`` and ``onnx/model_qint8_<preset>.onnx``, made with sentence-transformers' export
  utilities (load with ``backend="onnx", model_kwargs={"file_name": ...}``), ``README.md``, the model card
  (:mod:`pipeline.release.card`), and ``manifest.json``: hash of the config the model depends on, hashes of
  the data, the metrics (evaluation + parity), library versions and the sha256 of every other file in the
  folder. The folder is built aside and swapped in whole, so files and manifest always agree.
* ``metrics/export.json``: parity of each ONNX file against PyTorch on test-split texts: mean/min cosine
  of the embeddings and the Spearman of cosine vs rule score on test pairs. A figure past its gate
  (``export.min_mean_cosine``, ``export.max_spearman_drop``) fails the stage and nothing is written.
  It is removed before the folder is swapped and written after, so it never describes another folder.
"""

from __future__ import annotations

import sys

import torch  # noqa: F401  (imported before run_stage, so that apply_runtime sets its thread count)

from pipeline.config import Config
from pipeline.release.bundle import export
from pipeline.release.parity import ParityError
from pipeline.runtime import run_stage


def main(cfg: Config) -> None:
    try:
        export(cfg)
    except (ParityError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    run_stage(main)
