"""``python -m pipeline.match "profile text" [--postings FILE] [--backend onnx-int8] ...``: see
:mod:`pipeline.serving.cli` (and ``--help``)."""

from pipeline.serving.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
