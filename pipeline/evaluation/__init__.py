"""Evaluation metrics: retrieval ranking, calibration, per-factor error analysis and STS file reading.

These modules need only numpy/pandas; :mod:`pipeline.evaluation.evaluators` (sentence-transformers
evaluators over an embedding cache) is imported separately because importing torch is slow.
"""

from pipeline.evaluation.calibration import calibration_table
from pipeline.evaluation.errors import FACTORS, factor_error_table
from pipeline.evaluation.retrieval import (
    graded_gains,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    retrieval_metrics,
    top_k,
)
from pipeline.evaluation.sts import read_sts_file, sts_name

__all__ = [
    "FACTORS",
    "calibration_table",
    "factor_error_table",
    "graded_gains",
    "map_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "read_sts_file",
    "recall_at_k",
    "retrieval_metrics",
    "sts_name",
    "top_k",
]
