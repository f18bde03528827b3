"""sentence-transformers evaluators on an embedding cache: each unique text is encoded once per model.

Encoding is the whole cost of evaluation on CPU, and the STS pairs, the retrieval queries/corpus and
any extra STS files share most texts. Texts are encoded as at training and serving time (see
``pipeline.models.resolve``): profiles with the model's "query" prompt, postings with its "document"
prompt, symmetric STS sentences with the default prompt. The cache is keyed by the prompt text itself,
so with equal query/document prefixes (e5: "query: ") a text is still encoded only once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from sentence_transformers.sentence_transformer.evaluation import (
    EmbeddingSimilarityEvaluator,
    InformationRetrievalEvaluator,
)
from sentence_transformers.util import cos_sim

from pipeline.evaluation.retrieval import MAP_K, MRR_K, NDCG_K, RECALL_K
from pipeline.progress import encode_texts

__all__ = ["SIMILARITY_FNS", "EmbeddingCache", "ir_binary_metrics", "sts_metrics"]

SIMILARITY_FNS = ("cosine", "euclidean", "manhattan", "dot")


class EmbeddingCache:
    """Embeddings of texts under one model; :meth:`add` encodes only texts it has not seen, in one batch.

    ``role`` is "query", "document" or None; a role without a prompt of its own gets the default
    prompt, i.e. what plain ``model.encode`` applies.
    """

    def __init__(self, model: Any, batch_size: int, desc: str = "encode") -> None:
        self.model = model
        self.batch_size = batch_size
        self.desc = desc  # progress bar label
        self.n_encoded = 0  # texts actually sent to the model, for tests and logs
        self._index: dict[tuple[str, str], int] = {}
        self._blocks: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None

    def prompt(self, role: str | None) -> str:
        prompts = dict(getattr(self.model, "prompts", None) or {})
        default = getattr(self.model, "default_prompt_name", None)
        if role is not None and role in prompts:
            return prompts[role] or ""
        return (prompts.get(default) or "") if default else ""

    def add(self, texts: Iterable[str], role: str | None = None) -> None:
        prompt = self.prompt(role)
        new = [t for t in dict.fromkeys(texts) if (prompt, t) not in self._index]
        if not new:
            return
        desc = f"{self.desc}: {role or 'texts'}"
        emb = encode_texts(self.model, new, desc, batch_size=self.batch_size, prompt=prompt or None)
        start = len(self._index)
        self._index.update({(prompt, t): start + i for i, t in enumerate(new)})
        self._blocks.append(emb)
        self._matrix = None
        self.n_encoded += len(new)

    def get(self, texts: Sequence[str], role: str | None = None) -> np.ndarray:
        """Row-aligned embeddings of ``texts`` (encoding any missing ones first)."""
        texts = list(texts)
        self.add(texts, role)
        if self._matrix is None:
            self._matrix = np.concatenate(self._blocks, axis=0)
        prompt = self.prompt(role)
        return self._matrix[[self._index[(prompt, t)] for t in texts]]

    def __len__(self) -> int:
        return len(self._index)


class _CachedSimilarityEvaluator(EmbeddingSimilarityEvaluator):
    def __init__(self, cache: EmbeddingCache, roles: tuple[str | None, str | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache, self.roles = cache, roles

    def embed_inputs(self, model: Any, sentences: Any, **kwargs: Any) -> np.ndarray:
        role = self.roles[0] if sentences is self.sentences1 else self.roles[1]
        return self.cache.get(list(sentences), role)


class _CachedRetrievalEvaluator(InformationRetrievalEvaluator):
    def __init__(self, cache: EmbeddingCache, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache = cache

    def embed_inputs(
        self, model: Any, sentences: Any, encode_fn_name: str | None = None, **kwargs: Any
    ) -> torch.Tensor:
        # encode_fn_name is "query" for the queries and "document" for the corpus.
        return torch.from_numpy(self.cache.get(list(sentences), encode_fn_name))


def sts_metrics(
    cache: EmbeddingCache,
    sentences1: Sequence[str],
    sentences2: Sequence[str],
    scores: Sequence[float],
    roles: tuple[str | None, str | None] = (None, None),
) -> dict[str, float]:
    """Pearson and Spearman of gold ``scores`` vs each similarity: ``{"spearman_cosine": ..., ...}``.

    ``roles`` picks the prompt of each side: ("query", "document") for profile/posting pairs.
    """
    evaluator = _CachedSimilarityEvaluator(
        cache,
        roles,
        sentences1=list(sentences1),
        sentences2=list(sentences2),
        scores=[float(s) for s in scores],
        batch_size=cache.batch_size,
        similarity_fn_names=list(SIMILARITY_FNS),
        write_csv=False,
    )
    results = evaluator(cache.model)
    stats = ("pearson", "spearman")
    return {f"{stat}_{fn}": float(results[f"{stat}_{fn}"]) for fn in SIMILARITY_FNS for stat in stats}


def ir_binary_metrics(
    cache: EmbeddingCache,
    query_texts: Sequence[str],
    doc_texts: Sequence[str],
    relevant: np.ndarray,
) -> dict[str, float]:
    """MRR@10, Recall@1/5/10, MAP@100 and binary NDCG@10 from ``InformationRetrievalEvaluator`` (cosine).

    ``relevant`` is a boolean query x document matrix; queries without a relevant document are left out,
    as the evaluator does. Ids are positions, so duplicate texts stay separate documents.
    """
    relevant = np.asarray(relevant, dtype=bool)
    names = [f"mrr@{MRR_K}", f"ndcg@{NDCG_K}", f"map@{MAP_K}"] + [f"recall@{k}" for k in RECALL_K]
    if not relevant.any():
        # The evaluator divides by the number of queries with a relevant document.
        return dict.fromkeys(names, float("nan"))
    queries = {f"q{i}": t for i, t in enumerate(query_texts)}
    corpus = {f"d{j}": t for j, t in enumerate(doc_texts)}
    relevant_docs = {f"q{i}": {f"d{j}" for j in np.flatnonzero(row)} for i, row in enumerate(relevant)}
    evaluator = _CachedRetrievalEvaluator(
        cache,
        queries=queries,
        corpus=corpus,
        relevant_docs=relevant_docs,
        mrr_at_k=[MRR_K],
        ndcg_at_k=[NDCG_K],
        accuracy_at_k=[1],
        precision_recall_at_k=list(RECALL_K),
        map_at_k=[MAP_K],
        batch_size=cache.batch_size,
        score_functions={"cosine": cos_sim},
        main_score_function="cosine",
        write_csv=False,
    )
    results = evaluator(cache.model)
    return {name: float(results[f"cosine_{name}"]) for name in names}
