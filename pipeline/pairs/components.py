"""Connected components of the text graph: the unit that the split keeps whole, and the blocks, triplet
fallbacks and shared-text batches draw from."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["text_components"]


def text_components(first: Any, second: Any) -> np.ndarray:
    """Component label per row of the graph whose nodes are texts (of either column) and whose edges are the
    rows: rows sharing a text, on whichever side, (transitively) share a label.

    ``first``/``second``: the two text columns (numpy, pandas or pyarrow). External data may hold a text on
    both sides; in synthetic data profile and posting texts never coincide, so the graph is bipartite.
    """
    texts = [np.asarray(column, dtype=object) for column in (first, second)]
    codes, uniques = pd.factorize(np.concatenate(texts), sort=False)
    n = len(texts[0])
    graph = coo_matrix((np.ones(n, dtype=np.int8), (codes[:n], codes[n:])), shape=(len(uniques),) * 2)
    _, labels = connected_components(graph, directed=False)
    return labels[codes[:n]].astype(np.int64)
