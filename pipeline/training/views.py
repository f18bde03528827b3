"""What the train stage reads: the training view the loss needs, and the dev split as an evaluator.

Pair losses train on scored (profile, posting) pairs, rule blocks keep their ``block`` column for the sampler,
in-batch-negatives losses on (anchor, positive, negative) triplets. Profiles and anchors are encoded as
queries, postings as documents, with the model's prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Config
from pipeline.models.resolve import (
    DOCUMENT_PROMPT,
    QUERY_PROMPT,
)
from pipeline.progress import encode_texts
from pipeline.training.frozen_cache import FrozenLayerCache
from pipeline.training.losses import train_columns

if TYPE_CHECKING:
    import datasets
    import pandas as pd
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator


DEV_NAME = "dev"  # evaluator name: metric keys are eval_dev_spearman_cosine, eval_dev_pearson_cosine


def read_split(split_dir: Path, name: str, columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    path = split_dir / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run the split stage first (`dvc repro split`)")
    return pd.read_parquet(path, columns=list(columns))


def train_view(cfg: Config) -> str:
    """The split file the training view comes from: triplets, rule blocks or the sampled pairs."""
    if cfg.loss.uses_triplets:
        return "train_triplets"
    return "train_blocks" if cfg.train.batches == "rule_blocks" else "train"


def load_train_dataset(cfg: Config, split_dir: Path) -> datasets.Dataset:
    """The training view that the loss needs: scored pairs (rule blocks keep their ``block`` column) or
    (anchor, positive, negative) triplets."""
    import datasets

    name = train_view(cfg)
    columns = ["block", *train_columns(cfg.loss)] if name == "train_blocks" else train_columns(cfg.loss)
    df = read_split(split_dir, name, columns)
    if len(df) == 0:
        hint = " (rule blocks exist for generated data only)" if name == "train_blocks" else ""
        raise ValueError(f"{split_dir / name}.parquet has no rows to train on{hint}")
    if "score" in df:
        df["score"] = df["score"].astype("float32")
    n = cfg.train.max_train_samples
    if n is not None and n < len(df):
        df = df.sample(n=n, random_state=cfg.seed).reset_index(drop=True)
    return datasets.Dataset.from_pandas(df, preserve_index=False)


UNSEEN = "unseen_forms"  # generated pairs: the group is written with forms train never saw


def dev_texts(split_dir: Path) -> pd.DataFrame:
    """The dev pairs, with ``unseen_forms`` when the split has it (generated data)."""
    import pyarrow.parquet as pq

    columns = ["profile_text", "posting_text", "score"]
    path = split_dir / "dev.parquet"
    if path.exists() and UNSEEN in pq.read_schema(path).names:
        columns.append(UNSEEN)
    return read_split(split_dir, "dev", columns)


def dev_evaluator(
    cfg: Config,
    split_dir: Path,
    batch_size: int | None = None,
    *,
    bf16: bool = False,
    cache: FrozenLayerCache | None = None,
) -> EmbeddingSimilarityEvaluator:
    """Spearman/Pearson of cosine(profile, posting) against the rule score on the dev split.

    ``bf16``: encode under bf16 autocast, as the model is trained (3x faster where bf16 is native,
    spearman within 1e-4); never where it is emulated. ``cache``: the frozen lower layers' states of the dev
    texts come from the training cache, so an evaluation runs only the trainable layers (the same function:
    the cache computes in eval mode).
    """
    import numpy as np
    import torch
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    df = dev_texts(split_dir)
    unseen = df[UNSEEN].to_numpy(dtype=bool) if UNSEEN in df else None
    embedded: dict[int, np.ndarray] = {}  # the last profile (1) and posting (2) embeddings, per pair

    class PromptedSimilarityEvaluator(EmbeddingSimilarityEvaluator):
        def __call__(self, model, output_path=None, epoch=-1, steps=-1):  # type: ignore[no-untyped-def]
            """The library's metrics, plus spearman on the pairs written in seen and in held-out forms
            (``dev_spearman_cosine_seen`` / ``_unseen``), from the same embeddings."""
            from scipy.stats import spearmanr

            metrics = super().__call__(model, output_path, epoch, steps)
            if unseen is not None:
                a, b = embedded[1], embedded[2]
                cos = (a * b).sum(axis=1) / np.maximum(
                    np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12
                )
                labels = np.asarray(self.scores)
                for name, rows in (("seen", ~unseen), ("unseen", unseen)):
                    if rows.sum() > 1:
                        metrics[f"{self.name}_spearman_cosine_{name}"] = float(
                            spearmanr(labels[rows], cos[rows])[0]
                        )
            return metrics

        def embed_inputs(self, model, sentences, **kwargs):  # type: ignore[no-untyped-def]
            # Profiles are encoded as queries and postings as documents, as at training and serving time.
            name = QUERY_PROMPT if sentences is self.sentences1 else DOCUMENT_PROMPT
            if name in (model.prompts or {}):
                kwargs.setdefault("prompt_name", name)
            # Each profile and posting appears in many pairs: encode every distinct text once.
            unique = list(dict.fromkeys(sentences))
            index = {text: i for i, text in enumerate(unique)}
            desc = f"train: dev {'profiles' if sentences is self.sentences1 else 'postings'}"
            if cache is not None:
                prompt = (model.prompts or {}).get(kwargs.get("prompt_name", ""))
                embeddings = cache.encode(model, unique, prompt or None, desc, self.batch_size)
            else:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    embeddings = encode_texts(model, unique, desc, batch_size=self.batch_size, **kwargs)
            out = embeddings[[index[text] for text in sentences]]
            embedded[1 if sentences is self.sentences1 else 2] = np.asarray(out, dtype=np.float32)
            return out

    return PromptedSimilarityEvaluator(
        df.profile_text.tolist(),
        df.posting_text.tolist(),
        df.score.astype(float).tolist(),
        batch_size=batch_size or cfg.train.batch_size,
        main_similarity="cosine",
        name=DEV_NAME,
        write_csv=False,
    )


def column_prompts(cfg: Config) -> dict[str, str] | None:
    """Prefix per training column: profiles/anchors as queries, postings as documents (None: no prefixes)."""
    q, d = cfg.model.query_prefix, cfg.model.document_prefix
    prompts = {"profile_text": q, "anchor": q, "posting_text": d, "positive": d, "negative": d}
    prompts = {k: v for k, v in prompts.items() if v}
    return prompts or None
