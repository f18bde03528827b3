"""Atomic outputs (pipeline.io): a killed writer leaves the old file or the new one, outputs that describe
one another never disagree, and what a dead writer left behind is cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config.compose import compose_config
from pipeline.io import atomic_path, file_sha256, remove_dead_temporaries
from pipeline.stages import generate
from tests.conftest import PATHS


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    return int(proc.stdout)


def test_stale_files_go_just_before_the_swap_and_stay_on_failure(tmp_path: Path) -> None:
    out, metrics = tmp_path / "pairs.parquet", tmp_path / "metrics.json"
    out.write_text("old")
    metrics.write_text("describes old")
    with pytest.raises(RuntimeError), atomic_path(out, stale=[metrics]) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert out.read_text() == "old" and metrics.read_text() == "describes old"
    with atomic_path(out, stale=[metrics]) as tmp:
        tmp.write_text("new")
        assert metrics.exists()  # still there while the new file is written
    assert out.read_text() == "new" and not metrics.exists()  # the caller writes it next


def test_dead_writers_leftovers_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    """Found by the audit (#12): killed runs left .tmp-PID files and folders that no later run removed."""
    dead, live = _dead_pid(), os.getppid()
    leftovers = [
        tmp_path / f".pairs.parquet.tmp-{dead}",
        tmp_path / f".split.tmp-{dead}",  # a folder
        tmp_path / f".split.old-{dead}",
    ]
    leftovers[0].write_text("half")
    for folder in leftovers[1:]:
        folder.mkdir()
        (folder / "train.parquet").write_text("half")
    running = tmp_path / f".pairs.parquet.tmp-{live}"  # a concurrent writer's
    running.write_text("in progress")
    other = tmp_path / ".notes.tmp-abc"  # not ours: no pid
    other.write_text("keep")
    with atomic_path(tmp_path / "pairs.parquet") as tmp:
        tmp.write_text("new")
    assert not leftovers[0].exists() and leftovers[1].exists()  # only pairs.parquet's, as it is written
    assert set(remove_dead_temporaries(tmp_path)) == set(leftovers[1:])  # every dead writer's
    assert not any(p.exists() for p in leftovers)
    assert running.exists() and other.exists()


def test_file_sha256_hashes_content() -> None:
    import hashlib

    path = Path(__file__)
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_killed_after_the_swap_leaves_no_metrics_of_the_old_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the audit (#12): a kill between pairs.parquet and metrics/data.json left old metrics beside
    new pairs (a 38 ms window)."""
    small = ["data.num_pairs=100", "data.num_profiles=40", "data.num_postings=40", "data.num_groups=4"]
    generate.main(compose_config(small), tmp_path)
    before = file_sha256(tmp_path / PATHS.generated)

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # dies right after the new pairs file is in place

    monkeypatch.setattr(generate, "write_json", killed)
    with pytest.raises(KeyboardInterrupt):
        generate.main(compose_config([*small, "data.seed=7"]), tmp_path)
    assert file_sha256(tmp_path / PATHS.generated) != before
    assert not (tmp_path / PATHS.data_metrics).exists()
