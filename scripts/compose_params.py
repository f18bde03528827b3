"""Write params.yaml from conf/ exactly as `dvc exp run` does (DVC's own Hydra composition).

Usage: python scripts/compose_params.py [override ...]   e.g. data.num_pairs=2000 model=tiny
Plain `dvc repro` reads the committed params.yaml; run this after editing conf/ by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dvc.utils.hydra import compose_and_dump

ROOT = Path(__file__).resolve().parent.parent


def main(overrides: list[str]) -> None:
    compose_and_dump(str(ROOT / "params.yaml"), str(ROOT / "conf"), None, "config", str(ROOT), overrides)


if __name__ == "__main__":
    main(sys.argv[1:])
