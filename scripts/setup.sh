#!/usr/bin/env bash
# Create or reuse .venv and install the project: CPU torch 2.13.0, no CUDA (nvidia-*) wheels.
# Re-running is cheap: the install is skipped while pyproject.toml, the lock and this script are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip "$@" 2> >(grep -v "is ignored: it is neither" >&2); }

stamp=.venv/.setup-stamp
want=$(cat pyproject.toml requirements.lock scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # torch first and exact: any range lets the resolver pick a newer build with several GB of CUDA wheels.
  pip install -q torch==2.13.0
  pip install -q -c requirements.lock -e '.[dev]'
  # dvclive requires nvidia-ml-py only for optional GPU monitoring (a guarded import); keep .venv free of nvidia-*.
  pip uninstall -q -y nvidia-ml-py >/dev/null 2>&1 || true
  rm -f .dvc/offline_plots.html  # made again below from the vl-convert just installed
  echo "$want" > "$stamp"
fi
# The page template of `dvc plots show` (.dvc/config) with the Vega libraries inline, from the installed
# vl-convert wheel: the plots draw with no network, and nothing is fetched when they are viewed.
[ -s .dvc/offline_plots.html ] || .venv/bin/python -m pipeline.release.plots template >/dev/null

if .venv/bin/python -m pip list 2>/dev/null | grep -i '^nvidia-'; then
  echo "error: nvidia-* packages found in .venv (a dependency pulled a CUDA build of torch)" >&2
  exit 1
fi
