"""Progress output: a live bar on a terminal, readable lines in a log (CI, ``dvc queue logs``)."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline import progress as pg
from tests.conftest import run_module, write_params

ROOT = Path(__file__).resolve().parent.parent


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_one_line_per_refresh_with_step_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg, "LOG_INTERVAL_S", 0.0)
    log = io.StringIO()
    with pg.progress(5, "train", unit="step", stream=log) as bar:
        for _ in range(5):
            bar.update(1)
            time.sleep(0.01)
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert len(lines) >= 2, text
    assert all(line.startswith("train:") for line in lines)
    assert re.search(r"\b5/5\b", lines[-1]) and "step" in lines[-1]
    assert any(re.search(r"<\d\d:\d\d", line) for line in lines), "an ETA"


def test_a_log_is_not_flooded(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    with pg.progress(10_000, "train", stream=log) as bar:
        for _ in range(10_000):
            bar.update(1)
    assert len(log.getvalue().splitlines()) <= 3  # start and end: all of it took less than the interval


def test_a_terminal_gets_a_live_bar() -> None:
    tty = _Tty()
    with pg.progress(3, "train", unit="step", stream=tty) as bar:
        bar.update(3)
    assert "\r" in tty.getvalue() and "3/3" in tty.getvalue()


def test_heartbeat_reports_a_long_call() -> None:
    log = io.StringIO()
    with pg.heartbeat("export: ONNX export", stream=log, interval=0.05):
        time.sleep(0.2)
    lines = log.getvalue().splitlines()
    assert lines[0] == "export: ONNX export ..."
    assert any(re.fullmatch(r"export: ONNX export \.\.\. \d+ s", line) for line in lines[1:-1])
    assert re.fullmatch(r"export: ONNX export: done in \d+\.\d s", lines[-1])


class _FakeModel:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: list[str], **kwargs: object) -> np.ndarray:
        self.calls.append(len(texts))
        return np.array([[float(len(t)), 1.0] for t in texts])


def test_encode_texts_keeps_order_and_reports_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg, "LOG_INTERVAL_S", 0.0)
    model, log = _FakeModel(), io.StringIO()
    texts = ["a" * (i % 7 + 1) for i in range(600)]
    emb = pg.encode_texts(model, texts, "evaluate: base", batch_size=32, stream=log)
    assert emb.dtype == np.float32 and emb.shape == (600, 2)
    np.testing.assert_array_equal(emb[:, 0], [len(t) for t in texts])
    assert model.calls == [256, 256, 88]
    assert "600/600" in log.getvalue().splitlines()[-1]


def test_line_stream_turns_library_redraws_into_lines() -> None:
    log = io.StringIO()
    stream = pg.LineStream(log)
    stream.write("\rComputing:   0%|   | 0/2")
    stream.flush()
    stream.write("\rComputing: 100%|###| 2/2\n")
    print("next line", file=stream)
    assert log.getvalue().splitlines() == [
        "Computing:   0%|   | 0/2",
        "Computing: 100%|###| 2/2",
        "next line",
    ]


def test_encode_texts_is_quiet_for_one_call() -> None:
    log = io.StringIO()
    pg.encode_texts(_FakeModel(), ["query"], "match", batch_size=32, stream=log)
    assert log.getvalue() == ""


@pytest.mark.slow  # a stage run in a subprocess: ~7 s
def test_train_stage_output_is_readable_lines_when_stderr_is_a_pipe(
    tmp_path: Path, tiny_overrides: tuple[str, ...], tiny_split_dir: Path, tiny_model_dir: Path
) -> None:
    """The stage as dvc runs it, stderr a pipe: the bar comes as lines with i/N, and no line is a redraw."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "split").symlink_to(tiny_split_dir, target_is_directory=True)
    (tmp_path / "data" / "base_model").symlink_to(tiny_model_dir, target_is_directory=True)
    params = write_params(tmp_path / "params.yaml", [*tiny_overrides, "train.freeze_layers=1"])  # cache too
    raw = yaml.safe_load(params.read_text(encoding="utf-8"))
    done = run_module(tmp_path, "pipeline.stages.train")
    assert done.returncode == 0, done.stderr[-3000:]
    err = done.stderr
    assert "\r" not in err and "\x1b" not in err
    steps = [line for line in err.splitlines() if re.match(r"train:\s+\d+%", line)]
    max_steps = raw["train"]["args"]["max_steps"]
    assert steps and f"{max_steps}/{max_steps}" in steps[-1], err
    assert any(line.startswith("train: frozen-layer cache (train texts):") for line in err.splitlines()), err
    dev_lines = [line for line in err.splitlines() if re.match(r"train: step \d+: dev spearman", line)]
    assert len(dev_lines) == max_steps // raw["train"]["args"]["eval_steps"], err
    summary = json.loads((tmp_path / "metrics" / "train.json").read_text())
    assert f"train: precision {summary['precision']} (auto)" in done.stdout
    assert summary["precision_setting"] == "auto" and summary["precision_reason"]
