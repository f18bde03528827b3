"""The DVC promises, end to end on a tiny model in a temporary copy of the project (slow).

- `dvc repro` builds everything; a second `dvc repro` does nothing and returns quickly.
- `dvc exp run -S data.seed=7` regenerates the data.
- the README's sweep (`dvc exp run --queue -S ...` + `dvc queue start`) runs both points and
  `dvc exp show` lists metrics for each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

# Small enough for a couple of minutes per full pipeline run on 2 CPU cores. Written into the copy's
# conf/ (not only params.yaml) because `dvc exp run -S ...` recomposes params.yaml from conf/.
TINY_GROUPS = {"model": "tiny"}
TINY_VALUES = {
    "data": {"num_pairs": 600, "num_profiles": 150, "num_postings": 150, "num_groups": 10},
    "train": {
        "args": {
            "max_steps": 6,
            "eval_steps": 3,
            "save_steps": 3,
            "per_device_train_batch_size": 16,
            "logging_steps": 2,
        },
        "block_profiles": 4,
        "freeze_layers": 0,
    },
    # A near-random tiny model on ~50 pairs: int8 rounding alone moves its spearman by ~0.01.
    "export": {"parity_max_texts": 50, "max_spearman_drop": 0.05},
}


def _make_tiny(conf: Path) -> None:
    config = yaml.safe_load((conf / "config.yaml").read_text())
    defaults = [d for d in config["defaults"] if d != "_self_"]
    defaults = [{k: TINY_GROUPS.get(k, v) for k, v in d.items()} for d in defaults]
    # _self_ last: the values below override the groups' defaults.
    config["defaults"] = [*defaults, "_self_"]
    config.update(TINY_VALUES)
    (conf / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["HF_HUB_OFFLINE"] = "1"
    env.update(
        GIT_AUTHOR_NAME="ci",
        GIT_AUTHOR_EMAIL="ci@example.com",
        GIT_COMMITTER_NAME="ci",
        GIT_COMMITTER_EMAIL="ci@example.com",
    )
    return env


def _run(cwd: Path, *cmd: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree (tracked + untracked, not ignored files) as a fresh git repo with tiny params."""
    dst = tmp_path_factory.mktemp("project")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    for stale in ("dvc.lock", "metrics", "plots"):
        path = dst / stale
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    _make_tiny(dst / "conf")
    _run(dst, sys.executable, "scripts/compose_params.py")
    _run(dst, "git", "init", "-q", "-b", "main")
    _run(dst, "git", "add", "-A")
    _run(dst, "git", "commit", "-qm", "tiny project")
    return dst


def test_repro_builds_then_noop_is_fast(project: Path) -> None:
    _run(project, "dvc", "repro")
    for out in ("data/split/test.parquet", "data/model", "metrics/eval.json", "data/export/model"):
        assert (project / out).exists(), out
    start = time.perf_counter()
    proc = _run(project, "dvc", "repro")
    elapsed = time.perf_counter() - start
    assert "didn't change" in proc.stdout or "up to date" in proc.stdout.lower()
    assert elapsed <= 5.0, f"no-op dvc repro took {elapsed:.1f}s"
    _run(project, "git", "add", "-A")
    _run(project, "git", "commit", "-qm", "baseline")


OUTPUTS = (
    "data/model/model.safetensors",
    "metrics/train.json",
    "metrics/eval.json",
    "metrics/data.json",
    "metrics/split.json",
    "metrics/export.json",
    "data/export/model/manifest.json",
)


def _snapshot(project: Path) -> dict[str, bytes]:
    return {rel: (project / rel).read_bytes() for rel in OUTPUTS}


def _fails(cwd: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode != 0, f"{' '.join(cmd)} should have failed:\n{proc.stdout[-2000:]}"
    return proc


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("train.args.learning_rate", "0", "invalid config: train.args.learning_rate=0"),
        # Model-dependent: the tiny model has 2 layers. Used to be found inside train, after DVC had removed
        # data/model and metrics/train.json, and after the checkpoints of a killed run were deleted.
        ("train.freeze_layers", "5", "invalid config: train.freeze_layers=5; allowed: at most 2"),
    ],
)
def test_a_bad_value_costs_nothing(project: Path, key: str, value: str, message: str) -> None:
    before = _snapshot(project)
    killed = project / "data/checkpoints/train/checkpoint-3"  # what a killed run leaves
    killed.mkdir(parents=True)
    (killed / "weights").write_bytes(b"resume me")
    params = yaml.safe_load((project / "params.yaml").read_text())
    *parents, name = key.split(".")
    node = params
    for part in parents:
        node = node[part]
    node[name] = type(node[name])(value)
    (project / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False))
    try:
        proc = _fails(project, "dvc", "repro")
        assert message in proc.stderr + proc.stdout
        assert "Running stage 'validate'" in proc.stdout and "Running stage 'train'" not in proc.stdout
        assert _snapshot(project) == before and (killed / "weights").read_bytes() == b"resume me"
        _run(project, "git", "checkout", "-q", "HEAD", "--", "params.yaml")
        proc = _fails(project, "dvc", "exp", "run", "-S", f"{key}={value}")
        assert message in proc.stderr + proc.stdout
        assert _snapshot(project) == before and (killed / "weights").read_bytes() == b"resume me"
    finally:
        # core.autostage (.dvc/config) stages what dvc changed: restore from HEAD, not from the index.
        _run(project, "git", "checkout", "-q", "HEAD", "--", ".")
        shutil.rmtree(project / "data/checkpoints", ignore_errors=True)
    _run(project, "dvc", "checkout", "-q")


def test_a_split_setting_reruns_split_but_not_generate(project: Path) -> None:
    proc = _run(project, "dvc", "exp", "run", "-S", "data.split.dev=0.15", "-S", "data.split.train=0.75")
    assert "Running stage 'split'" in proc.stdout
    assert "Running stage 'generate'" not in proc.stdout
    _run(project, "git", "checkout", "-q", "HEAD", "--", ".")
    _run(project, "dvc", "checkout", "-q")


def test_exp_run_with_new_data_seed_regenerates(project: Path) -> None:
    before = (project / "data/generated/pairs.parquet").read_bytes()
    _run(project, "dvc", "exp", "run", "-S", "data.seed=7")
    after = (project / "data/generated/pairs.parquet").read_bytes()
    assert before != after
    _run(project, "git", "checkout", "-q", "--", ".")
    _run(project, "dvc", "checkout", "-q")


def test_queued_sweep_reports_metrics_for_each_point(project: Path) -> None:
    _run(project, "dvc", "exp", "run", "--queue", "-S", "train.args.learning_rate=2e-5,5e-5")
    _run(project, "dvc", "queue", "start", "-j", "1")
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline:
        status = _run(project, "dvc", "queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(5)
    assert "Failed" not in status, status
    shown = json.loads(_run(project, "dvc", "exp", "show", "--json").stdout)
    lrs = {}
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            for rev in exp.get("revs", []):
                data = rev.get("data") or {}
                lr = data.get("params", {}).get("params.yaml", {}).get("data", {}).get("train", {})
                metrics = data.get("metrics", {}).get("metrics/eval.json", {}).get("data", {})
                lr = lr.get("args", {})
                if lr.get("learning_rate") is not None:
                    lrs[lr["learning_rate"]] = metrics
    assert set(lrs) >= {2e-5, 5e-5}, shown
    for metrics in lrs.values():
        assert metrics["finetuned"]["ndcg@10"] >= 0.0
