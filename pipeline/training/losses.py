"""The training objectives of ``conf/loss/*`` and the data view each one trains on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pipeline.config import ConfigError
from pipeline.config.schema import LossConfig

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Pair losses regress the cosine of (profile, posting) onto the rule score; the in-batch-negatives
# losses learn from (anchor, positive, negative) triplets instead.
PAIR_COLUMNS = ("profile_text", "posting_text", "score")
TRIPLET_COLUMNS = ("anchor", "positive", "negative")
# Tokenised features -> sentence embeddings, in place of the model's forward pass.
Encoder = Callable[[dict[str, Tensor]], Tensor]


def train_columns(cfg: LossConfig) -> tuple[str, ...]:
    """Columns, in order, of the training view that ``cfg``'s loss consumes (label last, if any)."""
    return TRIPLET_COLUMNS if cfg.uses_triplets else PAIR_COLUMNS


def build_loss(model: SentenceTransformer, cfg: LossConfig) -> nn.Module:
    """``cfg.module`` instantiated with the model, in MatryoshkaLoss when ``cfg.matryoshka_dims`` is set."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate
    from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss

    try:
        loss: nn.Module = instantiate(cfg.module, model=model)
    except InstantiationException as err:
        first = str(err).strip().splitlines()[0]
        allowed = f"a loss class and its arguments ({first})"
        raise ConfigError("loss.module", dict(cfg.module), allowed) from None
    if cfg.matryoshka_dims:
        loss = MatryoshkaLoss(model, loss, matryoshka_dims=list(cfg.matryoshka_dims))
    return loss


class SharedTextLoss(nn.Module):
    """Encode each distinct text of a batch once, then score with the wrapped loss's own formula.

    A pair loss normally encodes every row of every column. When batches are built from pairs that share
    profiles and postings (``train.batches`` shared_texts or rule_blocks), most rows repeat: 64 sampled
    pairs of one group hold about 40 distinct texts instead of 128, and a rule block of 16 x 16 pairs holds
    32 instead of 512, so one forward/backward pass over those is 3-16x less work.
    Repeated texts reuse the same embedding rows, so the loss and its gradient are unchanged. Works for
    losses with ``compute_loss_from_embeddings`` (cosine, cosent, angle, mnrl). ``encoder`` replaces the
    model's forward pass (pipeline.training.frozen_cache.FrozenLayerCache).
    """

    def __init__(self, inner: nn.Module, pad_token_id: int, encoder: Encoder | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.model = inner.model
        self.pad_token_id = pad_token_id
        self.encoder = encoder

    def forward(self, sentence_features: Iterable[dict[str, Any]], labels: Tensor) -> Tensor:
        embeddings = encode_unique(self.model, list(sentence_features), self.pad_token_id, self.encoder)
        return self.inner.compute_loss_from_embeddings(embeddings, labels)

    @property
    def citation(self) -> str:
        return str(getattr(self.inner, "citation", ""))

    def get_config_dict(self) -> dict[str, Any]:
        getter = getattr(self.inner, "get_config_dict", None)
        return {"inner": type(self.inner).__name__, **(getter() if getter else {})}


def encode_unique(
    model: Any, features: list[dict[str, Any]], pad_token_id: int, encoder: Encoder | None = None
) -> list[Tensor]:
    """Sentence embeddings for every row of every feature dict, running the model once per distinct row."""
    sizes = [f["input_ids"].shape[0] for f in features]
    width = max(f["input_ids"].shape[1] for f in features)
    keys = [k for k, v in features[0].items() if torch.is_tensor(v) and v.dim() == 2]

    def padded(f: dict[str, Any], key: str) -> Tensor:
        value = pad_token_id if key == "input_ids" else 0
        return F.pad(f[key], (0, width - f[key].shape[1]), value=value)

    stacked = {k: torch.cat([padded(f, k) for f in features]) for k in keys}
    ids = stacked["input_ids"].masked_fill(stacked["attention_mask"] == 0, pad_token_id)
    unique, inverse = torch.unique(ids, dim=0, return_inverse=True)
    first = torch.full((unique.shape[0],), ids.shape[0], dtype=torch.long)
    first = first.scatter_reduce(0, inverse, torch.arange(ids.shape[0]), reduce="amin")
    length = int(stacked["attention_mask"][first].sum(dim=1).max())
    sub = {k: v[first, :length] for k, v in stacked.items()}
    out = (encoder(sub) if encoder is not None else model(sub)["sentence_embedding"])[inverse]
    return list(torch.split(out, sizes))
