"""The exported model's README.md: the card the Trainer wrote, plus the sections only export knows.

The train stage gives its model a ``SentenceTransformerModelCardData`` (``language="ko"``,
``local_files_only=True``; :func:`pipeline.training.trainer.model_card_data`), so the card the Trainer saves
in ``data/model/README.md`` already holds the architecture, usage snippet, training data statistics and
samples, loss, hyperparameters, the dev evaluator's results (also as ``model-index`` metadata), training
logs and framework versions, all written offline. Export copies that card, points its snippet at the
exported folder and adds what the train stage cannot know: ONNX and int8 usage, the test-split evaluation
(``metrics/eval.json``: base vs fine-tuned), the export parity figures, the pictures, the data and split
statistics (``metrics/data.json``, ``metrics/split.json``) and the export libraries' versions. Each goes
before a heading of sentence-transformers' template, or at the end where that heading is missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.release.plots import card_images_md

REALTEXT_PREFIX = "realtext_"  # the evaluate stage's metrics on the hand-written set (realtext/)

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.release.plots import CardImage

__all__ = ["CardInputs", "build_model_card", "flatten_metrics", "fmt"]

# How sentence-transformers' usage snippet loads a model that has no Hub id.
HUB_SNIPPET = ("# Download from the 🤗 Hub\n", 'SentenceTransformer("sentence_transformers_model_id")')


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


@dataclass
class CardInputs:
    """What export adds to the Trainer's card."""

    cfg: Config
    eval_metrics: dict[str, Any]  # metrics/eval.json: {"base": {...}, "finetuned": {...}, "delta": {...}}
    data_metrics: dict[str, Any]  # metrics/data.json
    split_metrics: dict[str, Any]  # metrics/split.json
    # metrics/export.json: {"parity_texts", "parity_pairs", "torch_spearman", <backend>: {...}}
    parity: dict[str, Any]
    onnx_files: dict[str, str]  # backend ("onnx", "onnx-int8") -> file in the folder
    versions: dict[str, str]
    model_ref: str  # how the usage snippet loads the model, e.g. "data/export/model"
    images: Sequence[CardImage] = ()  # pictures already in the model folder (pipeline.release.plots)


def build_model_card(trainer_card: str, inputs: CardInputs) -> str:
    """``trainer_card`` (the README.md the Trainer wrote) with the export sections; returns the markdown."""
    comment, placeholder = HUB_SNIPPET
    text = trainer_card.replace(comment, "# Load the exported folder\n")
    text = text.replace(placeholder, f'SentenceTransformer("{inputs.model_ref}")')
    evaluation = "\n\n".join(filter(None, [_evaluation_md(inputs), card_images_md(inputs.images)]))
    for anchors, block in (
        (
            ["<!--\n### Direct Usage (Transformers)", "## Evaluation", "## Training Details"],
            _usage_md(inputs),
        ),
        (["<!--\n## Bias, Risks", "## Training Details"], evaluation),
        (["### Training Hyperparameters", "### Framework Versions"], _data_md(inputs)),
        (["## Additional Resources", "## Citation"], _versions_md(inputs)),
    ):
        text = _insert_before(text, anchors, block)
    return text


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


def _metric_group(name: str) -> str:
    """Which table of the card a metric of ``metrics/eval.json`` goes to."""
    if name.startswith(REALTEXT_PREFIX):
        return "realtext"
    if name.endswith(("_seen", "_unseen")):
        return "forms"
    return "test"


def _evaluation_md(inputs: CardInputs) -> str:
    ev = inputs.eval_metrics
    base, tuned, delta = (flatten_metrics(ev.get(k, {})) for k in ("base", "finetuned", "delta"))
    parts: list[str] = []
    names = list(dict.fromkeys([*tuned, *base, *delta]))
    groups: dict[str, list[list[Any]]] = {group: [] for group in ("test", "forms", "realtext")}
    for n in names:
        groups[_metric_group(n)].append([n, base.get(n, "-"), tuned.get(n, "-"), delta.get(n, "-")])
    header = ["Metric", "Base", "Fine-tuned", "Delta"]
    threshold = fmt(inputs.cfg.eval.relevance_threshold)
    if groups["test"]:
        parts += [
            "### Base model vs fine-tuned (test split)",
            "",
            "From `metrics/eval.json` (the evaluate stage). A posting is relevant to a profile when its "
            f"rule score is at least {threshold}.",
            "",
            _table(header, groups["test"]),
            "",
        ]
    if groups["forms"]:
        parts += [
            "### Seen vs unseen surface forms (test split)",
            "",
            "Test pairs whose group was written with clause variants and a register that training never "
            "saw (`unseen`) against the rest (`seen`): STS over those pairs, NDCG@10 over those groups' "
            "profiles.",
            "",
            _table(header, groups["forms"]),
            "",
        ]
    if groups["realtext"]:
        counts = ev.get("info", {}).get("realtext", {})
        size = f"{counts.get('n_profiles', '?')} profiles and {counts.get('n_postings', '?')} postings"
        parts += [
            "### Hand-written Korean texts (realtext)",
            "",
            f"{size} written by hand in the styles developers actually use (boards, chats, resumes, job "
            "sites), never trained on, scored by the project's matching rules on every profile x posting "
            f"(relevant: rule score at least {threshold}).",
            "",
            _table(header, groups["realtext"]),
            "",
        ]
    if names:
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


def _versions_md(inputs: CardInputs) -> str:
    versions = inputs.versions
    extra = {k: v for k, v in versions.items() if k in ("onnxruntime", "optimum", "onnx")}
    if not extra:
        return ""
    lines = ["### Export Framework Versions"] + [f"- {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)
