"""Trainer callbacks: stop on divergence, DVCLive by global step, checkpoint markers, a progress bar."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.progress import progress
from pipeline.training.checkpoints import COMPLETE_MARKER
from pipeline.training.views import DEV_NAME

# Trainer log keys worth a plot; runtimes, epochs and FLOs would only clutter dvclive/.
_LIVE_KEYS = re.compile(r"^(loss|grad_norm|learning_rate|eval_dev_.*)$")


class TrainingDiverged(RuntimeError):
    """The loss or the weights became non-finite: training stops and no model is saved."""


def non_finite(params: Sequence[Any]) -> int:
    """How many of ``params`` hold a NaN or an infinity."""
    import torch

    return sum(not bool(torch.isfinite(p).all()) for p in params)


def diverged(cfg: Config, what: str, step: int) -> TrainingDiverged:
    t = cfg.train
    return TrainingDiverged(
        f"training diverged: {what} at step {step}; no model was saved. Lower train.args.learning_rate "
        f"({t.args.learning_rate:g}) or train.args.weight_decay ({t.args.weight_decay:g}), or check the "
        "data's scores"
    )


def build_callbacks(live: Any | None, cfg: Config, trainable: Sequence[Any]) -> list[Any]:
    from dvclive.utils import standardize_metric_name
    from transformers import TrainerCallback

    class FiniteGuard(TrainerCallback):
        """Stop at the first step whose weights, or whose logged loss, are not finite."""

        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if bad := non_finite(trainable):
                raise diverged(cfg, f"{bad} weight tensor(s) became NaN or infinite", state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            loss = (logs or {}).get("loss")
            if isinstance(loss, float) and not math.isfinite(loss):
                raise diverged(cfg, f"the loss became {loss}", state.global_step)

    class LiveByStep(TrainerCallback):
        """Log to DVCLive at the trainer's global step (transformers' DVCLiveCallback counts log calls)."""

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            if live is None or not state.is_world_process_zero or not logs:
                return
            live.step = state.global_step
            logged = False
            for key, value in logs.items():
                if _LIVE_KEYS.match(key) and isinstance(value, int | float):
                    live.log_metric(standardize_metric_name(key, "dvclive.huggingface"), value)
                    logged = True
            if logged:
                live.make_summary()

    class Checkpoints(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            # The trainer also checkpoints the last step; the final model is saved right after anyway.
            if state.global_step >= state.max_steps:
                control.should_save = False

        def on_save(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if ckpt.is_dir():
                (ckpt / COMPLETE_MARKER).touch()

    class StepProgress(TrainerCallback):
        """A bar over the optimizer steps (i/N, ETA) with the latest loss, and a line per dev evaluation."""

        bar: Any = None

        def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if state.is_world_process_zero:
                self.bar = progress(state.max_steps, "train", unit="step", initial=state.global_step)

        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            if self.bar is not None and logs and "loss" in logs:
                self.bar.set_postfix(loss=f"{logs['loss']:.3f}", refresh=False)

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):  # type: ignore[no-untyped-def]
            key = f"eval_{DEV_NAME}_spearman_cosine"
            if self.bar is not None and metrics and key in metrics:
                msg = f"train: step {state.global_step}: dev spearman {metrics[key]:.4f}"
                self.bar.write(msg, file=self.bar.fp)  # above a live bar; a line of its own in a log

        def on_train_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    # The guard first: a diverged step must not reach DVCLive or a checkpoint.
    return [FiniteGuard(), LiveByStep(), Checkpoints(), StepProgress()]
